//! Unit tests of `snapshot.rs`.

use super::*;

#[test]
fn query_paths_walk_fields_and_indexes() {
    let record = serde_json::json!({
        "status_code": 200,
        "payload": {"items": [{"price": 3}, {"price": 5}], "total": 8},
    });
    assert_eq!(query_path(&record, "payload.total").unwrap(), 8);
    assert_eq!(query_path(&record, "payload.items[1].price").unwrap(), 5);
    assert_eq!(
        query_path(&record, "payload.totl").unwrap_err(),
        "`payload` has no `totl`; it has: items, total"
    );
    assert_eq!(
        query_path(&record, "payload.items[2]").unwrap_err(),
        "`payload.items` has 2 items, so no [2]"
    );
    assert_eq!(
        query_path(&record, "status_code.x").unwrap_err(),
        "`status_code` is 200, which has no fields"
    );
}

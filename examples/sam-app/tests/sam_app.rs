//! Lambda tests of a SAM application with no `lambda-test.toml`: the local Lambda runs the
//! functions of `template.yaml` as `sam deploy` would deploy them (Globals merged, intrinsics
//! resolved with the parameters' defaults, `AutoPublishAlias` as version 1 and alias `live`).

use lambda_test::{Outcome, lambda_test};

/// The HTTP API event reaches `hello-world`, named by its `FunctionName: !Sub` and given
/// `GREETING: !Sub "Hello from ${AWS::Region}"` and the global `STAGE: !Ref Stage`.
#[lambda_test(function = "local-hello-world", http = "GET /hello?name=Bob")]
async fn greets_through_the_http_api() {}

/// `AutoPublishAlias: live` from Globals: the alias runs version 1.
#[lambda_test(
    function = "local-hello-world",
    qualifier = "live",
    http = "GET /hello"
)]
async fn the_live_alias_runs_version_1(outcome: Outcome) -> Result<(), String> {
    match outcome.executed_version.as_deref() {
        Some("1") => Ok(()),
        other => Err(format!("executed {other:?}, not version 1")),
    }
}

/// A function without `FunctionName` is named by its logical id, with its own
/// `MemorySize` over the global one and `TABLE_NAME: !Ref OrdersTable` (a resource's logical
/// id, as SAM CLI resolves it locally).
#[lambda_test(function = "OrderStatusFunction", payload = r#"{"order_id": "o-1"}"#)]
async fn order_status_runs_with_its_template_settings(outcome: Outcome) -> Result<(), String> {
    let report = outcome.report().ok_or("no REPORT line")?;
    if report.memory_size_mb != 256 {
        return Err(format!(
            "Memory Size: {} MB, not 256",
            report.memory_size_mb
        ));
    }
    Ok(())
}

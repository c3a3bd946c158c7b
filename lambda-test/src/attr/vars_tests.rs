//! Unit tests of `vars.rs`.

use super::*;

#[test]
fn expands_variables() {
    // PATH is set in every test environment.
    let path = std::env::var("PATH").unwrap();
    assert_eq!(expand_vars("a${PATH}b").unwrap(), format!("a{path}b"));
    assert_eq!(expand_vars("$LATEST").unwrap(), "$LATEST");
    assert_eq!(expand_vars("$${PATH}").unwrap(), "${PATH}");
    assert_eq!(expand_vars("{\"a\": 1}").unwrap(), "{\"a\": 1}");
    assert_eq!(
        expand_vars("${LAMBDA_TEST_SURELY_UNSET_VARIABLE:-2}").unwrap(),
        "2"
    );
    assert_eq!(expand_vars("v${PATH:-none}").unwrap(), format!("v{path}"));
    let e = expand_vars("${LAMBDA_TEST_SURELY_UNSET_VARIABLE}").unwrap_err();
    assert!(e.to_string().contains("LAMBDA_TEST_SURELY_UNSET_VARIABLE"));
}

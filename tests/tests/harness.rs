//! The harness end to end, through the attribute, on this package's local Lambda.

use lambda_test::lambda_test;

/// A config naming a binary that does not exist fails the test with the binary, the config
/// file and the fix.
#[lambda_test(function = "missing")]
#[should_panic(expected = "binary `no-such-binary` not found (looked in")]
async fn missing_binary_is_named_with_the_fix() {}

/// The same message, checked in full, without the attribute.
#[test]
fn missing_binary_message_says_how_to_fix_it() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let result = lambda_test::Harness::global().block_on(async {
        let local = lambda_test::Harness::global().local(dir.as_ref()).await?;
        local.check_binary("missing")
    });
    let message = result.unwrap_err().to_string();
    assert!(message.starts_with("function `missing` in "), "{message}");
    assert!(message.contains("tests/lambda-test.toml"), "{message}");
    assert!(
        message.contains("cargo build --bin no-such-binary"),
        "{message}"
    );
}

#[lambda_test(
    function = "probe",
    payload = r#"{"action": "count"}"#,
    snapshot = false
)]
async fn outcome_reaches_the_body(outcome: lambda_test::Outcome) {
    assert_eq!(outcome.status_code, 200);
    assert_eq!(outcome.executed_version.as_deref(), Some("$LATEST"));
    let payload = outcome.payload_json().expect("json payload");
    assert!(payload["served"].as_u64().unwrap() >= 1);
    let report = outcome.report().expect("a REPORT line in the tail");
    assert_eq!(report.memory_size_mb, 256);
}

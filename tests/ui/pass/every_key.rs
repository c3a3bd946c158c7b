//! Every key, in every form it takes, expands without an error.

use lambda_test::lambda_test;

#[lambda_test(
    function = "probe",
    qualifiers = ["live", "1", "$LATEST"],
    same_payload = true,
    payload = r#"{"action": "respond_bytes", "bytes": 3}"#,
    log = "tail",
    client_context = r#"{"custom": {"a": "b"}}"#,
    tenant_id = "tenant-1",
    max_duration_ms = 1000,
    max_memory_mb = 128,
    max_init_ms = 500,
    redact = { r"\d+" = "[n]", "tok" => "[t]" },
    region = "eu-west-1",
    profile = "${AWS_PROFILE}",
    role_arn = "arn:aws:iam::123456789012:role/tester",
    connect_timeout_ms = 500,
    read_timeout_ms = 5000,
    retries = 2,
    endpoint_url = "http://127.0.0.1:9001"
)]
async fn matrix() {}

#[lambda_test(function = "probe", dry_run, redact = ["secret-[a-z]+"])]
async fn dry_run(outcome: lambda_test::Outcome) {
    assert_eq!(outcome.status_code, 204);
}

#[lambda_test(function = "probe", invocation_type = "Event", log = "none", snapshot = false)]
async fn event() -> Result<(), String> {
    Ok(())
}

#[lambda_test(function = "nope", expect_error = "ResourceNotFoundException")]
async fn refused(error: lambda_test::Error) {
    assert_eq!(error.code(), Some("ResourceNotFoundException"));
}

#[lambda_test(function = "probe", stream, stream_chunks = true, max_first_byte_ms = 500)]
async fn streamed(outcome: lambda_test::Outcome) {
    assert!(outcome.stream.is_some());
}

#[lambda_test(function = "probe", stream = true, invocation_type = "DryRun")]
async fn streamed_dry_run() {}

#[lambda_test(function = "nope", stream, expect_error = "ResourceNotFoundException")]
async fn streamed_refused() {}

/// Other attributes are kept.
#[lambda_test(function = "probe", qualifier = "live", dry_run = false)]
#[ignore = "shows that other attributes are kept"]
async fn ignored() {}

fn main() {}

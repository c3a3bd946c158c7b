//! The HTTP API's lambda tests: each API Gateway event in `events/` is one test with its own
//! snapshot (`snapshots/api__routes__<event>.snap`), run against the real binary on the
//! embedded local Lambda.

use lambda_test::{Outcome, lambda_test};

/// One test per event file. Cargo does not watch the folder: after adding a file, touch this
/// test file (or `cargo clean -p http-api`) so the attribute lists the folder again.
#[lambda_test(
    function = "http-api",
    events = "events/*.json",
    max_duration_ms = 1000
)]
async fn routes() {}

/// The body can decode the API Gateway response for its own assertions.
#[lambda_test(
    function = "http-api",
    payload_file = "events/get-hello.json",
    snapshot = false
)]
async fn greeting_is_json(outcome: Outcome) -> Result<(), String> {
    let response = outcome.payload_json().ok_or("no JSON response")?;
    if response["statusCode"] != 200 {
        return Err(format!("expected 200, got {}", response["statusCode"]));
    }
    let body: serde_json::Value = serde_json::from_str(response["body"].as_str().ok_or("no body")?)
        .map_err(|e| format!("the body is not JSON: {e}"))?;
    if body["message"] != "Hello, Bob!" {
        return Err(format!("unexpected greeting {body}"));
    }
    Ok(())
}

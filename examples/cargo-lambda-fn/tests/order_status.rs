//! Lambda tests of a cargo-lambda package with no `lambda-test.toml`: the local Lambda runs
//! the function as `cargo lambda deploy` would deploy it, with the memory, timeout and
//! environment of `[package.metadata.lambda]` in `Cargo.toml`.

use lambda_test::{Outcome, lambda_test};

/// The environment of the metadata reaches the function, and it runs with 256 MB.
#[lambda_test(
    function = "order-status",
    payload = r#"{"order_id": "o-1"}"#,
    max_duration_ms = 1000
)]
async fn runs_with_its_deployed_settings(outcome: Outcome) -> Result<(), String> {
    let report = outcome.report().ok_or("no REPORT line")?;
    if report.memory_size_mb != 256 {
        return Err(format!(
            "Memory Size: {} MB, not 256",
            report.memory_size_mb
        ));
    }
    Ok(())
}

/// Work longer than the deployed `timeout = 2` and the function times out after 2 seconds,
/// not the default 3.
#[lambda_test(
    function = "order-status",
    payload = r#"{"order_id": "o-2", "work_ms": 5000}"#
)]
async fn times_out_after_its_deployed_timeout(outcome: Outcome) -> Result<(), String> {
    let report = outcome.report().ok_or("no REPORT line")?;
    if report.status.as_deref() != Some("timeout") || report.duration_ms >= 3000.0 {
        return Err(format!("not a 2 s timeout: {report:?}"));
    }
    Ok(())
}

//! Lambda tests of a CDK app's function, read from `cdk synth`'s output (`cdk.out/`) with no
//! `lambda-test.toml`: the construct `OrdersApi` runs this package's binary `orders-api`,
//! with the stack's memory, timeout and environment, its two published versions, the alias
//! `live` that routes a quarter of its invocations to the canary, and its Function URL.

use lambda_test::{Outcome, lambda_test};

/// CDK names the function by its logical id; its Function URL (on the alias `live`) gets the
/// Function URL event. The snapshot pins version 1, the alias's primary version.
#[lambda_test(
    function = "OrdersApi5B2E7A41",
    qualifier = "1",
    http = "GET /orders/o-1"
)]
async fn answers_through_its_function_url() {}

/// `live` runs version 1 or the canary, version 2, weighted 0.75 / 0.25.
#[lambda_test(
    function = "OrdersApi5B2E7A41",
    qualifier = "live",
    http = "GET /orders/o-2",
    snapshot = false
)]
async fn the_live_alias_runs_a_published_version(outcome: Outcome) -> Result<(), String> {
    match outcome.executed_version.as_deref() {
        Some("1" | "2") => Ok(()),
        other => Err(format!("executed {other:?}, not version 1 or 2")),
    }
}

/// The stack's `MemorySize: 256`, not the default 128.
#[lambda_test(
    function = "OrdersApi5B2E7A41",
    http = "GET /orders/o-3",
    snapshot = false
)]
async fn runs_with_the_stacks_memory_size(outcome: Outcome) -> Result<(), String> {
    let report = outcome.report().ok_or("no REPORT line")?;
    if report.memory_size_mb != 256 {
        return Err(format!(
            "Memory Size: {} MB, not 256",
            report.memory_size_mb
        ));
    }
    Ok(())
}

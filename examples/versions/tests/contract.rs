//! The pricing function's release contract, checked before and after a deploy:
//! what `live` serves, what the candidate changes, and who may invoke.
//!
//! Locally these run against the versions and aliases of `lambda-test.toml`; with
//! `LAMBDA_TEST_TARGET=aws` the same tests (and snapshots) check the deployed function.

use lambda_test::{Outcome, Target, lambda_test};

/// `live` must serve exactly what version 1 serves.
#[lambda_test(
    function = "pricing",
    qualifiers = ["live", "1"],
    same_payload = true,
    payload = r#"{"sku": "A-1", "quantity": 12}"#
)]
async fn live_is_version_1() {}

/// Small orders price the same in every version, the candidate included.
#[lambda_test(
    function = "pricing",
    qualifiers = ["1", "candidate"],
    same_payload = true,
    payload = r#"{"sku": "B-2", "quantity": 3}"#,
    redact = { r#"\d{4}-\d{2}"# = "[rules]" }
)]
async fn small_orders_are_unchanged() {}

/// Bulk orders: one snapshot per version shows what each release charges.
#[lambda_test(
    function = "pricing",
    qualifiers = ["1", "2", "$LATEST"],
    payload = r#"{"sku": "A-1", "quantity": 12}"#
)]
async fn bulk_pricing_by_version() {}

/// An unknown SKU is a function error, in every version.
#[lambda_test(
    function = "pricing",
    qualifiers = ["live", "candidate"],
    same_payload = true,
    payload = r#"{"sku": "Z-9", "quantity": 1}"#,
    snapshot = false
)]
async fn unknown_sku_is_an_error(outcome: Outcome) {
    assert_eq!(outcome.function_error.as_deref(), Some("Unhandled"));
}

/// A permission check: may this principal invoke `live`? DryRun answers 204 without running
/// the function (403 `AccessDeniedException` when it may not).
#[lambda_test(function = "pricing", qualifier = "live", dry_run = true)]
async fn may_invoke_live() {}

/// A permission check as another principal: the analyst may not invoke `live`. DryRun runs
/// nothing; the refusal is the answer.
#[lambda_test(
    function = "pricing",
    qualifier = "live",
    dry_run = true,
    profile = "analyst",
    expect_error = "AccessDeniedException"
)]
async fn analyst_may_not_invoke_live() {}

/// The same principal, named by its ARN.
#[lambda_test(
    function = "pricing",
    qualifier = "live",
    dry_run = true,
    profile = "arn:aws:iam::123456789012:role/analyst",
    expect_error = "AccessDeniedException"
)]
async fn analyst_by_arn_may_not_invoke_live() {}

/// ...but may try the candidate.
#[lambda_test(
    function = "pricing",
    qualifier = "candidate",
    dry_run = true,
    profile = "analyst"
)]
async fn analyst_may_invoke_the_candidate() {}

/// A version that was never published is refused.
#[lambda_test(
    function = "pricing",
    qualifier = "7",
    expect_error = "ResourceNotFoundException"
)]
async fn unpublished_version_is_refused() {}

/// An asynchronous invocation is accepted with 202 and runs in the background.
#[lambda_test(
    function = "pricing",
    qualifier = "live",
    invocation_type = "Event",
    payload = r#"{"sku": "A-1", "quantity": 1}"#
)]
async fn event_is_queued(outcome: Outcome) {
    assert_eq!(outcome.status_code, 202);
    // Locally, wait for this event to run (retries included) and check that it did not fail;
    // other tests' events do not change its result. AWS keeps no result to ask for.
    if let Some(Target::Local { .. }) = outcome.target() {
        let result = outcome.event_result().await.unwrap();
        assert!(result.succeeded() && !result.dead_lettered, "{result:?}");
        assert_eq!(result.executed_version, "1", "`live` ran version 1");
    }
}

/// The `candidate` alias serves the version under test. In the pre-deploy pipeline
/// (`pre-deploy.sh`) `CANDIDATE_VERSION` is the version just published and pointed at by
/// `candidate`; locally, without it, the candidate is version 2.
#[lambda_test(
    function = "pricing",
    qualifiers = ["candidate", "${CANDIDATE_VERSION:-2}"],
    same_payload = true,
    payload = r#"{"sku": "A-1", "quantity": 12}"#,
    snapshot = false
)]
async fn candidate_alias_serves_the_candidate(outcome: Outcome) {
    assert_eq!(outcome.function_error, None);
}

/// An unsigned request (`no_sign_request`) is refused by a Lambda that verifies signatures.
#[lambda_test(
    function = "pricing",
    qualifier = "candidate",
    dry_run = true,
    no_sign_request = true,
    expect_error = "MissingAuthenticationTokenException"
)]
async fn unsigned_requests_are_refused() {}

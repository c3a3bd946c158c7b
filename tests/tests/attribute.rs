//! `#[lambda_test]` dogfooded: every key against the suite's `probe` function
//! (lambda-test/examples/probe.rs) on the embedded local Lambda of `tests/lambda-test.toml`.

use lambda_test::{Harness, Outcome, lambda_test};

/// One test and one snapshot per qualifier: an alias runs the version it points to, and the
/// snapshot pins `executed_version`.
#[lambda_test(
    function = "probe",
    qualifiers = ["live", "1", "2", "$LATEST"],
    payload = r#"{"action": "respond_bytes", "bytes": 3, "log": ["hello"]}"#
)]
async fn qualifier_matrix() {}

/// Every qualifier returns the same payload.
#[lambda_test(
    function = "probe",
    qualifiers = ["live", "1", "2", "$LATEST"],
    same_payload = true,
    payload = r#"{"action": "respond_bytes", "bytes": 5}"#,
    snapshot = false
)]
async fn same_payload_across_versions(outcome: Outcome) {
    assert_eq!(outcome.payload_json().unwrap(), "xxxxx");
}

/// Versions 1 and 2 run with different environments (`PROBE_NAME`), so their echoes differ:
/// every test of the matrix fails with a diff of the two payloads.
#[lambda_test(
    function = "probe",
    qualifiers = ["1", "2"],
    same_payload = true,
    snapshot = false
)]
#[should_panic(expected = "+  \"probe_name\": \"v2\"")]
async fn same_payload_mismatch_shows_a_diff() {}

/// One test and one snapshot per file of `tests/events/`.
#[lambda_test(function = "probe", events = "events/*.json")]
async fn events_folder() {}

/// Event files times qualifiers: a module per file, a test per qualifier.
#[lambda_test(
    function = "probe",
    events = "events/log-*.json",
    qualifiers = ["1", "$LATEST"]
)]
async fn events_by_qualifier() {}

/// A payload read from a file by the compiler.
#[lambda_test(function = "probe", payload_file = "events/log-lines.json")]
async fn payload_from_a_file() {}

/// DryRun checks the request without running the function: 204, no payload, no log.
#[lambda_test(function = "probe", qualifier = "live", dry_run = true)]
async fn dry_run_checks_without_running() {}

/// Event invocations are accepted with 202 and run in the background.
#[lambda_test(
    function = "probe",
    invocation_type = "Event",
    payload = r#"{"action": "respond_bytes", "bytes": 1}"#
)]
async fn event_is_accepted_with_202(outcome: Outcome) {
    assert_eq!(outcome.status_code, 202);
    let local = Harness::global()
        .local(env!("CARGO_MANIFEST_DIR").as_ref())
        .await
        .unwrap();
    local.events_drained().await.unwrap();
    assert!(local.dead_letters().await.unwrap().is_empty());
}

/// A refused invocation: the body gets the error.
#[lambda_test(function = "nope", expect_error = "ResourceNotFoundException")]
async fn unknown_function_is_refused(error: lambda_test::Error) {
    assert_eq!(error.code(), Some("ResourceNotFoundException"));
    assert!(error.to_string().contains("nope"), "{error}");
}

/// `expect_error` fails the test when the invocation is accepted.
#[lambda_test(function = "probe", expect_error = "ResourceNotFoundException")]
#[should_panic(
    expected = "expected the invocation to be refused with `ResourceNotFoundException`, but it was accepted: status 200"
)]
async fn expect_error_fails_when_accepted() {}

/// `expect_error` fails the test when the service refuses with another code.
#[lambda_test(function = "nope", expect_error = "AccessDeniedException")]
#[should_panic(expected = "but: failed to invoke `nope`: ResourceNotFoundException")]
async fn expect_error_fails_on_another_code() {}

/// Budgets read from the REPORT line.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "respond_bytes", "bytes": 1}"#,
    max_duration_ms = 5000,
    max_memory_mb = 4096,
    max_init_ms = 10000,
    snapshot = false
)]
async fn within_budget(outcome: Outcome) {
    let report = outcome.report().expect("a REPORT line");
    assert!(report.duration_ms < 5000.0);
}

/// A slow invocation fails with the measured duration beside the budget.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "sleep", "ms": 300}"#,
    max_duration_ms = 100,
    snapshot = false
)]
#[should_panic(
    expected = "over budget: `max_duration_ms = 100`, but the REPORT line says Duration: "
)]
async fn over_the_duration_budget() {}

/// Every process uses more than 1 MB.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "respond_bytes", "bytes": 1}"#,
    max_memory_mb = 1,
    snapshot = false
)]
#[should_panic(
    expected = "over budget: `max_memory_mb = 1`, but the REPORT line says Max Memory Used: "
)]
async fn over_the_memory_budget() {}

/// Extra redactions, as a map of regex to replacement, in the payload and the log.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "error", "error_type": "Session s-48213 expired", "log": ["session s-48213 opened"]}"#,
    redact = { r"s-\d+" = "[session]" }
)]
async fn redact_map() {}

/// Extra redactions as a list of regexes, replaced with `[redacted]`.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "respond_bytes", "bytes": 1, "log": ["user alice@example.com", "user bob@example.com"]}"#,
    redact = [r"[a-z]+@example\.com"]
)]
async fn redact_list() {}

/// The body takes the outcome and returns `Result`.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "respond_bytes", "bytes": 4}"#,
    snapshot = false
)]
async fn body_returns_result(outcome: Outcome) -> Result<(), String> {
    let payload = outcome.payload_json().ok_or("no JSON payload")?;
    if payload != "xxxx" {
        return Err(format!("unexpected payload {payload}"));
    }
    Ok(())
}

/// A read timeout shorter than the function gives up.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "sleep", "ms": 1500}"#,
    read_timeout_ms = 200,
    snapshot = false
)]
#[should_panic(expected = "failed to invoke `probe`")]
async fn read_timeout_gives_up() {}

/// Log lines and no log: `log = "none"` leaves `log` out of the snapshot.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "respond_bytes", "bytes": 2, "log": ["not fetched"]}"#,
    log = "none"
)]
async fn no_tail_log() {}

/// Throttling is retried, and only so often. `limited` has a reserved concurrency of 1: while
/// one invocation runs, another is refused with 429 `TooManyRequestsException`.
#[test]
fn throttling_is_retried_with_a_backoff() {
    use lambda_test::{Invocation, Target};
    use std::time::Duration;

    let harness = Harness::global();
    harness.block_on(async {
        let target = Target::resolve(env!("CARGO_MANIFEST_DIR").as_ref(), None).unwrap();
        let client = harness.client(&target).await.unwrap();
        let quick = Invocation::new("limited").payload(r#"{"action": "count"}"#);
        let sleep = |ms: u64| {
            let client = client.clone();
            let invocation =
                Invocation::new("limited").payload(format!(r#"{{"action": "sleep", "ms": {ms}}}"#));
            tokio::spawn(async move { invocation.send(&client).await })
        };
        // Warm one instance first, so the sleeps below start at once.
        quick.send(&client).await.unwrap();

        // Throttled while a short invocation runs, then retried once it is done.
        let running = sleep(300);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let outcome = quick.send(&client).await.expect("retried until accepted");
        assert_eq!(outcome.status_code, 200);
        // It ran on the one instance after the sleep (its third invocation), not on a second
        // instance beside it: it was refused while the sleep ran.
        assert_eq!(
            outcome.payload_json().unwrap()["served"],
            3,
            "{}",
            outcome.payload_text()
        );
        running.await.unwrap().unwrap();

        // Still throttled after every retry (about 0.7 s of backoff) while a long one runs.
        let running = sleep(1500);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let error = quick.send(&client).await.unwrap_err();
        assert_eq!(error.code(), Some("TooManyRequestsException"));
        assert!(error.to_string().contains("(after 4 attempts)"), "{error}");
        // One line that says what to do about it.
        let message = error.to_string();
        assert!(
            message.contains("; throttled: lower the tests' concurrency or raise `retries`"),
            "{message}"
        );
        assert!(!message.contains('\n') && message.len() < 400, "{message}");
        running.await.unwrap().unwrap();
    });
}

/// `query`: the snapshot holds only the paths named, in the order named (`--query`'s
/// counterpart), here without the log.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "respond_bytes", "bytes": 4, "log": ["left out of the snapshot"]}"#,
    query = ["payload", "executed_version"]
)]
async fn query_snapshots_only_the_paths_named() {}

/// A `query` path that matches nothing fails the test, naming what is there.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "respond_bytes", "bytes": 4}"#,
    query = ["payload.total"]
)]
#[should_panic(
    expected = "`query` path `payload.total`: `payload` is \"xxxx\", which has no fields"
)]
async fn a_query_path_that_matches_nothing_fails() {}

/// `no_sign_request`: the request goes unsigned; this local Lambda verifies no signature,
/// so it is accepted (`examples/versions`, which verifies them, refuses it).
#[lambda_test(function = "probe", no_sign_request = true, snapshot = false)]
async fn unsigned_requests_reach_a_lambda_that_verifies_none(outcome: Outcome) {
    assert_eq!(outcome.status_code, 200);
}

/// A `ca_bundle` that is no PEM bundle fails with the fix, before any request.
#[lambda_test(
    function = "probe",
    endpoint_url = "https://127.0.0.1:9",
    ca_bundle = "events/log-lines.json"
)]
#[should_panic(expected = "it holds no PEM certificate")]
async fn a_ca_bundle_that_is_no_bundle_fails() {}

/// The stream keys and `no_sign_request`, type-checked as `every_key_type_checks` is.
#[lambda_test(
    function = "probe",
    stream = true,
    stream_chunks = true,
    max_first_byte_ms = 100,
    no_sign_request = true,
    endpoint_url = "http://127.0.0.1:9"
)]
#[ignore = "type-checks the expansion of the stream keys; its endpoint is fictional"]
async fn stream_keys_type_check(outcome: Outcome) {
    assert_eq!(outcome.status_code, 200);
}

/// Every key at once, compiled by `cargo test`: trybuild builds its pass cases without
/// `--test`, where the generated `#[test]`s vanish, so only here is the expansion of each key
/// type-checked. Never run: the endpoint and the role do not exist.
#[lambda_test(
    function = "probe",
    qualifiers = ["live", "1"],
    same_payload = true,
    payload = r#"{"action": "respond_bytes", "bytes": 3}"#,
    log = "tail",
    client_context = r#"{"custom": {"a": "b"}}"#,
    tenant_id = "tenant-1",
    max_duration_ms = 1000,
    max_memory_mb = 128,
    max_init_ms = 500,
    redact = { r"\d+" = "[n]" },
    region = "eu-west-1",
    profile = "${AWS_PROFILE}",
    role_arn = "arn:aws:iam::123456789012:role/tester",
    connect_timeout_ms = 500,
    read_timeout_ms = 5000,
    retries = 2,
    ca_bundle = "${AWS_CA_BUNDLE}",
    query = ["payload", "log[0]"],
    endpoint_url = "http://127.0.0.1:9"
)]
#[ignore = "type-checks the expansion of every key; its endpoint and role are fictional"]
async fn every_key_type_checks(outcome: Outcome) {
    assert_eq!(outcome.status_code, 200);
}

/// A function whose definition has a Function URL gets the Function URL's event for a
/// request without `integration`.
#[lambda_test(function = "probe-url", http = "GET /items?id=1", snapshot = false)]
async fn a_function_url_function_gets_its_event_by_default(outcome: Outcome) {
    let event = &outcome.payload_json().unwrap()["event"];
    assert_eq!(event["rawPath"], "/items");
    let context = &event["requestContext"];
    assert_eq!(context["accountId"], "anonymous", "{event:#}");
    assert!(
        context["domainName"]
            .as_str()
            .unwrap()
            .contains(".lambda-url."),
        "{event:#}"
    );
}

/// `integration` still chooses: the same function through the HTTP API.
#[lambda_test(
    function = "probe-url",
    http = "GET /items?id=1",
    integration = "http_api",
    snapshot = false
)]
async fn integration_overrides_the_definition(outcome: Outcome) {
    let context = &outcome.payload_json().unwrap()["event"]["requestContext"];
    assert_ne!(context["accountId"], "anonymous", "{context:#}");
    assert!(
        context["domainName"]
            .as_str()
            .unwrap()
            .contains(".execute-api."),
        "{context:#}"
    );
}

/// The probe answers its echo, no HTTP response: through the HTTP API (payload 2.0) that is a
/// 200 `application/json` whose body is the payload, as API Gateway makes of it.
#[lambda_test(
    function = "probe",
    http = "GET /items",
    integration = "http_api",
    query = ["http.status", "http.headers", "http.cookies"]
)]
async fn a_bare_payload_through_the_http_api_is_a_json_200() {}

/// Through a REST API (payload 1.0) the same answer is malformed: API Gateway's 502.
#[lambda_test(
    function = "probe",
    http = "GET /items",
    integration = "rest_api",
    query = ["http"]
)]
async fn a_bare_payload_through_a_rest_api_is_a_502() {}

/// Through an ALB: the load balancer's own 502 page.
#[lambda_test(
    function = "probe",
    http = "GET /items",
    integration = "alb",
    query = ["http.status", "http.headers"]
)]
async fn a_bare_payload_through_an_alb_is_a_502() {}

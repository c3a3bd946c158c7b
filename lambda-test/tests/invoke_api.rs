//! The Invoke contract of the local Lambda (lambda-api.md), through the real aws-sdk-lambda
//! client and, for what SDKs never send, raw HTTP; the function is the real `probe` binary.

mod support;

use std::collections::BTreeSet;

use aws_sdk_lambda::error::ProvideErrorMetadata as _;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{InvocationType, LogType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lambda_test::TailLog;
use serde_json::{Value, json};
use support::{PROBE, raw, start};

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:probe";

async fn invoke(
    client: &aws_sdk_lambda::Client,
    name: &str,
    payload: Value,
) -> aws_sdk_lambda::operation::invoke::InvokeOutput {
    client
        .invoke()
        .function_name(name)
        .log_type(LogType::Tail)
        .payload(Blob::new(payload.to_string()))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "invoke {name}: {}",
                aws_sdk_lambda::error::DisplayErrorContext(&e)
            )
        })
}

fn payload(out: &aws_sdk_lambda::operation::invoke::InvokeOutput) -> Value {
    serde_json::from_slice(out.payload().expect("payload").as_ref()).expect("json payload")
}

fn tail(out: &aws_sdk_lambda::operation::invoke::InvokeOutput) -> TailLog {
    TailLog::decode(out.log_result().expect("a tail log")).expect("base64")
}

async fn error_code(
    client: &aws_sdk_lambda::Client,
    name: &str,
    qualifier: Option<&str>,
) -> (String, String) {
    let e = client
        .invoke()
        .function_name(name)
        .set_qualifier(qualifier.map(str::to_owned))
        .send()
        .await
        .expect_err("the invoke must be refused");
    (
        e.code().unwrap_or("(none)").to_owned(),
        e.message().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn every_name_form_reaches_the_function() {
    let (_emulator, client) = start(PROBE).await;
    let cases = [
        ("probe", None, "$LATEST", ARN.to_owned()),
        ("probe:live", None, "1", format!("{ARN}:live")),
        ("probe", Some("2"), "2", format!("{ARN}:2")),
        ("probe:$LATEST", None, "$LATEST", format!("{ARN}:$LATEST")),
        (ARN, None, "$LATEST", ARN.to_owned()),
        (&format!("{ARN}:1"), None, "1", format!("{ARN}:1")),
        (
            "123456789012:function:probe",
            Some("live"),
            "1",
            format!("{ARN}:live"),
        ),
        ("probe:live", Some("live"), "1", format!("{ARN}:live")),
    ];
    for (name, qualifier, version, invoked_arn) in cases {
        let out = client
            .invoke()
            .function_name(name)
            .set_qualifier(qualifier.map(str::to_owned))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} {qualifier:?}: {e:?}"));
        assert_eq!(out.status_code(), 200, "{name}");
        assert_eq!(
            out.executed_version(),
            Some(version),
            "{name} {qualifier:?}"
        );
        let p = payload(&out);
        assert_eq!(p["invoked_function_arn"], invoked_arn.as_str(), "{name}");
        assert_eq!(p["version"], version, "{name}: AWS_LAMBDA_FUNCTION_VERSION");
    }
}

#[tokio::test]
async fn refused_names_get_aws_errors() {
    let (_emulator, client) = start(PROBE).await;
    let (code, message) = error_code(&client, "nope", None).await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        message,
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST"
    );
    let (code, message) = error_code(&client, "probe", Some("ghost")).await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(message, format!("Function not found: {ARN}:ghost"));
    let (code, _) = error_code(&client, "probe:7", None).await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, message) = error_code(&client, "probe:live", Some("1")).await;
    assert_eq!(code, "InvalidParameterValueException");
    assert_eq!(
        message,
        "The derived qualifier from the function name does not match the specified qualifier."
    );
    let (code, message) = error_code(
        &client,
        "arn:aws:lambda:eu-west-1:123456789012:function:probe",
        None,
    )
    .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        message,
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
    );
    let (code, message) = error_code(&client, "bad name!", None).await;
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("1 validation error detected: Value 'bad name!' at 'functionName'"),
        "{message}"
    );
    let (code, _) = error_code(&client, "probe", Some("a b")).await;
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn versions_have_their_own_settings_and_instances() {
    let (_emulator, client) = start(PROBE).await;
    let latest = payload(&invoke(&client, "probe", json!({})).await);
    let v1 = payload(&invoke(&client, "probe:1", json!({})).await);
    let v2 = payload(&invoke(&client, "probe:2", json!({})).await);
    assert_eq!(latest["probe_name"], "latest");
    assert_eq!(v1["probe_name"], "v1");
    assert_eq!(v2["probe_name"], "v2");
    assert_eq!(v2["memory"], "512");
    let pids: BTreeSet<u64> = [&latest, &v1, &v2]
        .iter()
        .map(|p| p["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids.len(), 3, "each version runs in its own instance");
}

#[tokio::test]
async fn weighted_alias_routes_to_both_versions_and_reports_the_one_that_ran() {
    let (_emulator, client) = start(PROBE).await;
    let mut seen = BTreeSet::new();
    for _ in 0..40 {
        let out = invoke(&client, "probe:canary", json!({})).await;
        let version = out.executed_version().expect("executed version").to_owned();
        assert_eq!(payload(&out)["version"], version.as_str());
        assert_eq!(
            payload(&out)["invoked_function_arn"],
            format!("{ARN}:canary")
        );
        seen.insert(version);
    }
    // Weight 0.5 each: 40 invocations all landing on one side has probability 2^-39.
    assert_eq!(seen, BTreeSet::from(["1".to_owned(), "2".to_owned()]));
}

#[tokio::test]
async fn warm_reuse_and_cold_start_reporting() {
    let (_emulator, client) = start(PROBE).await;
    let first = invoke(&client, "probe", json!({"action": "count"})).await;
    let second = invoke(&client, "probe", json!({"action": "count"})).await;
    assert_eq!(payload(&first)["served"], 1);
    assert_eq!(payload(&second)["served"], 2);
    assert_eq!(payload(&first)["pid"], payload(&second)["pid"]);
    let cold = tail(&first).report.expect("report");
    let warm = tail(&second).report.expect("report");
    assert!(cold.init_duration_ms.is_some_and(|ms| ms > 0.0), "{cold:?}");
    assert_eq!(
        warm.init_duration_ms, None,
        "Init Duration only on a cold start"
    );
    assert_eq!(cold.memory_size_mb, 256);
    assert!(
        warm.max_memory_used_mb > 0,
        "Max Memory Used is measured: {warm:?}"
    );
    assert_eq!(cold.request_id, first.request_id_value());
}

trait RequestIdValue {
    fn request_id_value(&self) -> String;
}

impl RequestIdValue for aws_sdk_lambda::operation::invoke::InvokeOutput {
    fn request_id_value(&self) -> String {
        use aws_sdk_lambda::operation::RequestId as _;
        self.request_id().expect("x-amzn-RequestId").to_owned()
    }
}

#[tokio::test]
async fn tail_log_is_start_to_report_with_the_function_lines() {
    let (_emulator, client) = start(PROBE).await;
    let out = invoke(&client, "probe", json!({"log": ["one", "two"]})).await;
    let log = tail(&out);
    let id = out.request_id_value();
    let raw_lines: Vec<&str> = log.raw.lines().collect();
    assert_eq!(
        raw_lines[0],
        format!("START RequestId: {id} Version: $LATEST")
    );
    assert_eq!(raw_lines[1..3], ["one", "two"]);
    assert_eq!(raw_lines[3], format!("END RequestId: {id}"));
    assert!(raw_lines[4].starts_with(&format!("REPORT RequestId: {id}\tDuration: ")));
    assert!(
        raw_lines[4].ends_with('\t'),
        "REPORT ends with a tab: {:?}",
        raw_lines[4]
    );
    assert_eq!(log.lines, ["one", "two"]);

    let long = invoke(
        &client,
        "probe",
        json!({"action": "log_bytes", "bytes": 10_000}),
    )
    .await;
    let encoded = long.log_result().expect("tail");
    assert_eq!(BASE64.decode(encoded).unwrap().len(), 4096, "the last 4 KB");
    assert!(tail(&long).truncated);
}

#[tokio::test]
async fn function_errors_are_200_with_unhandled() {
    let (_emulator, client) = start(PROBE).await;
    let out = invoke(
        &client,
        "probe",
        json!({"action": "error", "error_type": "Boom"}),
    )
    .await;
    assert_eq!(out.status_code(), 200);
    assert_eq!(out.function_error(), Some("Unhandled"));
    assert_eq!(
        payload(&out),
        json!({"errorType": "Boom", "errorMessage": "the probe was asked to fail"})
    );
    // A handler error keeps the instance warm.
    let after = invoke(&client, "probe", json!({"action": "count"})).await;
    assert_eq!(payload(&after)["served"], 2);
}

#[tokio::test]
async fn crash_is_runtime_exit_error_and_the_next_invoke_is_cold() {
    let (_emulator, client) = start(PROBE).await;
    let id_and_payload = |out: &aws_sdk_lambda::operation::invoke::InvokeOutput| {
        (out.request_id_value(), payload(out))
    };
    let out = invoke(&client, "probe", json!({"action": "exit", "code": 1})).await;
    let (id, p) = id_and_payload(&out);
    assert_eq!(out.function_error(), Some("Unhandled"));
    assert_eq!(
        p,
        json!({"errorType": "Runtime.ExitError", "errorMessage": format!("RequestId: {id} Error: Runtime exited with error: exit status 1")})
    );
    let report = tail(&out).report.expect("report");
    assert_eq!(report.status.as_deref(), Some("error"));
    assert_eq!(report.error_type.as_deref(), Some("Runtime.ExitError"));

    let out = invoke(&client, "probe", json!({"action": "abort"})).await;
    let (id, p) = id_and_payload(&out);
    assert_eq!(
        p["errorMessage"],
        format!("RequestId: {id} Error: Runtime exited with error: signal: aborted")
    );

    let next = invoke(&client, "probe", json!({"action": "count"})).await;
    assert_eq!(payload(&next)["served"], 1, "a new instance after a crash");
    assert!(tail(&next).report.unwrap().init_duration_ms.is_some());
}

#[tokio::test]
async fn timeout_is_sandbox_timedout_kills_and_resets() {
    let (_emulator, client) = start(PROBE).await;
    let before = payload(&invoke(&client, "probe", json!({"action": "count"})).await);
    let out = invoke(&client, "probe", json!({"action": "sleep", "ms": 5_000})).await;
    let id = out.request_id_value();
    assert_eq!(out.status_code(), 200);
    assert_eq!(out.function_error(), Some("Unhandled"));
    assert_eq!(
        payload(&out),
        json!({"errorType": "Sandbox.Timedout", "errorMessage": format!("RequestId: {id} Error: Task timed out after 1.00 seconds")})
    );
    let report = tail(&out).report.expect("report");
    assert_eq!(report.status.as_deref(), Some("timeout"));
    assert!(report.duration_ms >= 1000.0, "{report:?}");
    let pid = before["pid"].as_u64().unwrap() as u32;
    assert!(
        support::gone_within(pid, 5).await,
        "the timed-out process was killed"
    );
    let next = invoke(&client, "probe", json!({"action": "count"})).await;
    assert_eq!(
        payload(&next)["served"],
        1,
        "the next invoke is a cold start"
    );
    assert!(tail(&next).report.unwrap().init_duration_ms.is_some());
}

#[tokio::test]
async fn init_failure_and_missing_entrypoint() {
    let (_emulator, client) = start(
        r#"
[functions.init-exit]
bin = "probe"
environment = { PROBE_INIT = "exit" }

[functions.no-bootstrap]
bin = "/nonexistent/bootstrap"
"#,
    )
    .await;
    for _ in 0..2 {
        // Every invoke tries init again.
        let out = invoke(&client, "init-exit", json!({})).await;
        let id = out.request_id_value();
        assert_eq!(out.function_error(), Some("Unhandled"));
        assert_eq!(
            payload(&out),
            json!({"errorType": "Runtime.ExitError", "errorMessage": format!("RequestId: {id} Error: Runtime exited with error: exit status 3")})
        );
        let log = tail(&out);
        assert!(
            log.lines.contains(&"probe: failing init".to_owned()),
            "{log:?}"
        );
        assert!(
            log.raw.contains("INIT_REPORT Init Duration: ")
                && log
                    .raw
                    .contains("\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError"),
            "{}",
            log.raw
        );
    }
    let out = invoke(&client, "no-bootstrap", json!({})).await;
    let id = out.request_id_value();
    assert_eq!(out.function_error(), Some("Unhandled"));
    assert_eq!(
        payload(&out),
        json!({"errorType": "Runtime.InvalidEntrypoint", "errorMessage": format!("RequestId: {id} Error: Couldn't find valid bootstrap(s): [/nonexistent/bootstrap]")})
    );
}

#[tokio::test]
async fn oversized_requests_and_responses() {
    // `roomy` has 10 s: writing 6.3 MB can outlast `probe`'s 1 s on a loaded machine.
    let config = format!("{PROBE}\n[functions.roomy]\nbin = \"probe\"\ntimeout = 10\n");
    let (_emulator, client) = start(&config).await;
    let big = format!("\"{}\"", "x".repeat(6_291_456));
    let e = client
        .invoke()
        .function_name("probe")
        .payload(Blob::new(big.clone()))
        .send()
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Some("RequestEntityTooLargeException"));
    assert_eq!(
        e.message(),
        Some(
            "6291458 byte payload is too large for the RequestResponse invocation type (limit 6291456 bytes)"
        )
    );
    let event = format!("\"{}\"", "x".repeat(1_048_576));
    let e = client
        .invoke()
        .function_name("probe")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(event))
        .send()
        .await
        .expect_err("refused");
    assert_eq!(
        e.message(),
        Some(
            "1048578 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
        )
    );
    let out = invoke(
        &client,
        "roomy",
        json!({"action": "respond_bytes", "bytes": 6_300_000}),
    )
    .await;
    assert_eq!(out.function_error(), Some("Unhandled"));
    assert_eq!(
        payload(&out),
        json!({"errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).", "errorType": "Function.ResponseSizeTooLarge"})
    );
    // The instance stays warm after an oversized response.
    let after = invoke(&client, "roomy", json!({"action": "count"})).await;
    assert_eq!(payload(&after)["served"], 2);
}

#[tokio::test]
async fn dry_run_is_204_and_runs_nothing() {
    let (_emulator, client) = start(PROBE).await;
    let out = client
        .invoke()
        .function_name("probe:live")
        .invocation_type(InvocationType::DryRun)
        .log_type(LogType::Tail)
        .send()
        .await
        .expect("dry run");
    assert_eq!(out.status_code(), 204);
    assert_eq!(out.executed_version(), None);
    assert_eq!(out.log_result(), None);
    assert!(out.payload().is_none_or(|p| p.as_ref().is_empty()));
    let first = invoke(&client, "probe:live", json!({"action": "count"})).await;
    assert_eq!(
        payload(&first)["served"],
        1,
        "the dry run started no instance"
    );
    // Checks still apply.
    let e = client
        .invoke()
        .function_name("nope")
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn events_are_queued_retried_and_dead_lettered() {
    let (emulator, client) = start(PROBE).await;
    let out = client
        .invoke()
        .function_name("probe:live")
        .invocation_type(InvocationType::Event)
        .log_type(LogType::Tail)
        .payload(Blob::new(r#"{"action":"error"}"#))
        .send()
        .await
        .expect("queued");
    assert_eq!(out.status_code(), 202);
    assert_eq!(out.executed_version(), None);
    assert_eq!(out.log_result(), None);
    let id = out.request_id_value();
    let ok = client
        .invoke()
        .function_name("probe")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(r#"{"action":"sleep","ms":50}"#))
        .send()
        .await
        .expect("queued");
    assert_eq!(ok.status_code(), 202);
    emulator.events_drained().await;
    assert_eq!(emulator.pending_events(), 0);
    let letters = emulator.dead_letters();
    assert_eq!(letters.len(), 1, "only the failing event: {letters:?}");
    let letter = &letters[0];
    assert_eq!(letter.request_id, id);
    assert_eq!(letter.attempts, 3, "the first attempt and two retries");
    assert_eq!(letter.condition, "RetriesExhausted");
    assert_eq!(letter.function_arn, format!("{ARN}:live"));
    assert_eq!(letter.executed_version, "1");
    assert_eq!(letter.request_payload, json!({"action": "error"}));
    assert_eq!(letter.response_payload["errorType"], "ProbeError");
    let record = letter.to_record();
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(record["responseContext"]["functionError"], "Unhandled");
    // Every attempt ran in the same warm instance of version 1.
    let after = invoke(&client, "probe:1", json!({"action": "count"})).await;
    assert_eq!(payload(&after)["served"], 4);
}

#[tokio::test]
async fn client_context_trace_id_and_tenant_reach_the_runtime() {
    let (emulator, client) = start(PROBE).await;
    let out = client
        .invoke()
        .function_name("probe")
        .client_context(
            BASE64.encode(r#"{"custom":{"team":"blue"},"environment":{"stage":"test"}}"#),
        )
        .tenant_id("tenant-7")
        .send()
        .await
        .expect("invoke");
    let p = payload(&out);
    assert_eq!(p["client_context"]["custom"]["team"], "blue");
    assert_eq!(p["client_context"]["env"]["stage"], "test");
    assert_eq!(p["tenant_id"], "tenant-7");
    let trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
    let answer = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/probe/invocations",
        &[("X-Amzn-Trace-Id", trace)],
        b"{}",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["trace_id"], trace);
    // Without one, Lambda makes one up.
    let generated = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/probe/invocations",
        &[],
        b"",
    )
    .await;
    let trace = generated.json()["trace_id"].as_str().unwrap().to_owned();
    assert!(trace.starts_with("Root=1-"), "{trace}");
    assert_eq!(
        generated.json()["event"],
        json!({}),
        "an empty payload arrives as {{}}"
    );
    let bad = client
        .invoke()
        .function_name("probe")
        .client_context("not base64 json")
        .send()
        .await
        .expect_err("refused");
    assert_eq!(bad.code(), Some("InvalidRequestContentException"));
    assert_eq!(
        bad.message(),
        Some("Client context must be a valid Base64-encoded JSON object.")
    );
}

#[tokio::test]
async fn raw_wire_shapes() {
    let (emulator, _client) = start(PROBE).await;
    // Hand-written clients send the `:` unencoded.
    let ok = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/probe:live/invocations",
        &[],
        b"{}",
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-amz-executed-version"), Some("1"));
    assert_eq!(ok.header("content-type"), Some("application/json"));
    assert!(ok.header("x-amzn-requestid").is_some());
    assert!(ok.header("date").is_some());
    // Percent-encoded `$LATEST` in the query.
    let q = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/probe/invocations?Qualifier=%24LATEST",
        &[],
        b"{}",
    )
    .await;
    assert_eq!(q.header("x-amz-executed-version"), Some("$LATEST"));
    let not_json = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/probe/invocations",
        &[],
        b"{nope",
    )
    .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(
        not_json.header("x-amzn-errortype"),
        Some("InvalidRequestContentException")
    );
    assert!(not_json.json()["message"].as_str().unwrap().starts_with(
        "Could not parse request body into json: Could not parse payload into json: "
    ));
    assert_eq!(not_json.json()["Type"], "User");
    let bad_type = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/probe/invocations",
        &[("X-Amz-Invocation-Type", "Async")],
        b"{}",
    )
    .await;
    assert_eq!(bad_type.status, 400);
    assert_eq!(
        bad_type.header("x-amzn-errortype"),
        Some("ValidationException")
    );
    assert_eq!(
        bad_type.json()["message"],
        "1 validation error detected: Value 'Async' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
    );
    let not_found = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/nope/invocations",
        &[],
        b"{}",
    )
    .await;
    assert_eq!(not_found.status, 404);
    assert_eq!(
        not_found.json(),
        json!({"Type": "User", "Message": "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST"})
    );
    let event = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/probe/invocations",
        &[("X-Amz-Invocation-Type", "Event")],
        b"{}",
    )
    .await;
    assert_eq!(event.status, 202);
    assert!(event.body.is_empty());
    assert_eq!(event.header("x-amz-executed-version"), None);
    let unknown = raw(
        &emulator,
        "GET",
        "/2015-03-31/functions/probe/invocations",
        &[],
        b"",
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.header("x-amzn-errortype"),
        Some("UnknownOperationException")
    );
    emulator.events_drained().await;
}

/// The deprecated InvokeAsync, with and without the `/` older SDK models append: an `Event`
/// invoke (202, empty body) for `POST` only.
#[tokio::test]
async fn invoke_async_queues_an_event() {
    let (emulator, _client) = start(PROBE).await;
    for path in [
        "/2014-11-13/functions/probe/invoke-async",
        "/2014-11-13/functions/probe%3Alive/invoke-async/",
    ] {
        let queued = raw(&emulator, "POST", path, &[], br#"{"action":"count"}"#).await;
        assert_eq!(queued.status, 202, "{path}");
        assert!(queued.body.is_empty(), "{path}");
        assert!(queued.header("x-amzn-requestid").is_some(), "{path}");
        let wrong_method = raw(&emulator, "GET", path, &[], b"").await;
        assert_eq!(wrong_method.status, 404, "{path}");
        assert_eq!(
            wrong_method.header("x-amzn-errortype"),
            Some("UnknownOperationException")
        );
    }
    let too_large = raw(
        &emulator,
        "POST",
        "/2014-11-13/functions/probe/invoke-async",
        &[],
        &vec![b' '; 1_048_577],
    )
    .await;
    assert_eq!(too_large.status, 413, "the Event payload limit applies");
    emulator.events_drained().await;
    assert_eq!(emulator.event_stats().enqueued, 2);
}

/// `lambda-test serve` writes one stderr line per request: target, version, status and
/// duration for an invocation; the named function, `-`, status and error type for a refusal.
#[tokio::test]
async fn the_serve_log_has_one_line_per_request() {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};

    let dir = support::temp_dir();
    let config = dir.join("lambda-test.toml");
    std::fs::write(&config, support::config_text(PROBE)).unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_lambda-test"))
        .args(["serve", "--port", "0", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lambda-test serve");
    let mut banner = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let endpoint = banner.trim().rsplit(' ').next().unwrap().to_owned();
    let (lines, logged) = std::sync::mpsc::channel();
    let stderr = server.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines.send(line);
        }
    });

    let client = support::client(&endpoint);
    let send = |name: &'static str, invocation_type: InvocationType| {
        client
            .invoke()
            .function_name(name)
            .invocation_type(invocation_type)
            .payload(Blob::new(r#"{"action":"error"}"#))
            .send()
    };
    send("probe:live", InvocationType::RequestResponse)
        .await
        .unwrap();
    send("probe", InvocationType::DryRun).await.unwrap();
    send("probe:2", InvocationType::Event).await.unwrap();
    send("ghost", InvocationType::RequestResponse)
        .await
        .unwrap_err();
    // An invocation names the key it was signed with (no principals: nothing is verified).
    let expected = [
        (format!("{ARN}:live 1 200 Unhandled "), " ms by key AKID"),
        (format!("{ARN} $LATEST 204 DryRun "), " ms by key AKID"),
        (format!("{ARN}:2 2 202 Event "), " ms by key AKID"),
        ("ghost - 404 ResourceNotFoundException ".to_owned(), " ms"),
    ];
    let mut seen = Vec::new();
    while seen.len() < expected.len() {
        let line = logged
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("serve log so far: {seen:#?}"));
        if !line.starts_with("lambda-test:") {
            seen.push(line);
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    for (line, (prefix, suffix)) in seen.iter().zip(&expected) {
        let duration = line
            .strip_prefix(prefix.as_str())
            .and_then(|rest| rest.strip_suffix(suffix))
            .unwrap_or_else(|| panic!("{line:?} is not {prefix:?}<ms>{suffix}"));
        let (whole, tenth) = duration.split_once('.').expect("one decimal");
        assert!(whole.parse::<u64>().is_ok() && tenth.len() == 1, "{line:?}");
    }
}

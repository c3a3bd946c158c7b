//! The JSON log format (`logging = { format = "JSON" }`): the tail holds `platform.*` records
//! around the function's own lines, as CloudWatch does, and the harness reads its report
//! from them. The function: the `probe` example, a real lambda_runtime binary.

mod support;

use aws_sdk_lambda::operation::RequestId as _;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use lambda_test::TailLog;
use serde_json::Value;

const FUNCTIONS: &str = r#"
[functions.json]
bin = "probe"
timeout = 1
memory_size = 256
logging = { format = "JSON" }

[functions.quiet]
bin = "probe"
logging = { format = "JSON", system_level = "WARN" }
"#;

async fn tail(client: &aws_sdk_lambda::Client, function: &str, payload: &str) -> (String, String) {
    let out = client
        .invoke()
        .function_name(function)
        .payload(Blob::new(payload))
        .log_type(LogType::Tail)
        .send()
        .await
        .expect("invoke");
    let log = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        out.log_result().expect("a tail"),
    )
    .unwrap();
    (
        out.request_id().map(str::to_owned).unwrap_or_default(),
        String::from_utf8(log).unwrap(),
    )
}

fn record(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON record ({e}): {line}"))
}

#[tokio::test]
async fn a_json_tail_is_platform_records_around_the_functions_lines() {
    let (_emulator, client) = support::start(FUNCTIONS).await;
    let (request_id, log) = tail(&client, "json", r#"{"log": ["a line of mine"]}"#).await;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    let start = record(lines[0]);
    assert_eq!(start["type"], "platform.start");
    assert_eq!(start["record"]["requestId"], request_id.as_str());
    assert_eq!(start["record"]["version"], "$LATEST");
    assert_eq!(lines[1], "a line of mine");
    let report = record(lines[2]);
    assert_eq!(report["type"], "platform.report");
    assert_eq!(report["record"]["status"], "success");
    let metrics = &report["record"]["metrics"];
    assert_eq!(metrics["memorySizeMB"], 256);
    assert!(metrics["durationMs"].is_f64(), "{metrics}");
    assert!(
        metrics["initDurationMs"].is_f64(),
        "a cold start: {metrics}"
    );
    assert!(!log.contains("START RequestId"), "no text lines: {log}");

    // The harness reads the same report: budgets work on JSON logs.
    let parsed = TailLog::parse(&log);
    assert_eq!(parsed.lines, ["a line of mine"]);
    let parsed_report = parsed.report.expect("the report record");
    assert_eq!(parsed_report.request_id, request_id);
    assert_eq!(parsed_report.memory_size_mb, 256);
    assert!(parsed_report.init_duration_ms.is_some());
}

#[tokio::test]
async fn a_timeout_is_a_report_with_its_status() {
    let (_emulator, client) = support::start(FUNCTIONS).await;
    let (_, log) = tail(&client, "json", r#"{"action": "sleep", "ms": 3000}"#).await;
    let report = record(log.lines().last().unwrap());
    assert_eq!(report["type"], "platform.report", "{log}");
    assert_eq!(report["record"]["status"], "timeout");
    assert!(
        !log.contains("Task timed out"),
        "no text line in JSON: {log}"
    );
    let parsed = TailLog::parse(&log).report.unwrap();
    assert_eq!(parsed.status.as_deref(), Some("timeout"));
}

#[tokio::test]
async fn the_system_level_warn_drops_the_platform_records() {
    let (_emulator, client) = support::start(FUNCTIONS).await;
    let (_, log) = tail(&client, "quiet", r#"{"log": ["only mine"]}"#).await;
    assert_eq!(log, "only mine\n");
}

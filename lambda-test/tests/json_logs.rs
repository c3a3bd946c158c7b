//! The JSON log format (`logging = { format = "JSON" }`): the tail holds `platform.*` records
//! around the function's own lines, as CloudWatch does, and the harness reads its report
//! from them. The function: the `probe` example, a real lambda_runtime binary.
//!
//! Then real JSON loggers at an application log level: `lambda_runtime`'s own tracing
//! subscriber (in the probe) and awslambdaric's `logging` (`tests/python/json_logging.py`,
//! from the workspace's `.venv`): lines below the level dropped, the rest structured in the
//! snapshot with their volatile fields redacted.

mod support;

use aws_sdk_lambda::operation::RequestId as _;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use lambda_test::TailLog;
use serde_json::{Value, json};

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

// ---------------------------------------------------------------------------------------------
// Real JSON loggers: lambda_runtime's own tracing subscriber and awslambdaric's `logging`
// ---------------------------------------------------------------------------------------------

/// The venv's Python with awslambdaric, or a failure that says how to make it.
fn venv_python() -> std::path::PathBuf {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run ./scripts/test-all, or `python3 -m venv .venv && .venv/bin/pip \
         install -r tests/python-requirements.txt` in the workspace root (it installs awslambdaric)",
        python.display()
    );
    python
}

/// Functions whose application log level is WARN: the probe logging through
/// `lambda_runtime::tracing::init_default_subscriber()`, and a Python handler using `logging`.
fn loggers() -> String {
    let python_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    format!(
        r#"
[functions.traced]
bin = "probe"
environment = {{ PROBE_TRACING = "1" }}
logging = {{ format = "JSON", application_level = "WARN" }}

[functions.traced-debug]
bin = "probe"
environment = {{ PROBE_TRACING = "1" }}
logging = {{ format = "JSON", application_level = "DEBUG" }}

[functions.traced-text]
bin = "probe"
environment = {{ PROBE_TRACING = "1" }}

[functions.python]
command = [{python}, "-m", "awslambdaric", "json_logging.handle"]
timeout = 10
environment = {{ PYTHONPATH = {python_dir}, PYTHONDONTWRITEBYTECODE = "1" }}
logging = {{ format = "JSON", application_level = "WARN" }}
"#,
        python = Value::from(venv_python().to_str().unwrap()),
        python_dir = Value::from(python_dir.to_str().unwrap()),
    )
}

const TRACE_EVENT: &str = r#"{
    "log": ["a plain println", "{\"level\":\"DEBUG\",\"msg\":\"a JSON line of its own\"}", "{\"level\":\"ERROR\",\"msg\":\"kept: ERROR is above WARN\"}"],
    "action": "trace",
    "events": ["debug:checking stock", "info:order received", "warn:low stock", "error:payment declined"]
}"#;

async fn outcome(
    client: &aws_sdk_lambda::Client,
    function: &str,
    event: &str,
) -> lambda_test::Outcome {
    lambda_test::Invocation::new(function)
        .payload(event)
        .send(client)
        .await
        .expect("invoked")
}

/// lambda_runtime's subscriber reads AWS_LAMBDA_LOG_LEVEL and drops what is below it itself;
/// Lambda drops the rest of the function's output below the level: the plain line (INFO) and
/// the JSON line at DEBUG. What is kept is structured, its request and trace ids redacted.
#[tokio::test]
async fn lambda_runtimes_json_subscriber_is_filtered_and_structured() {
    let (_emulator, client) = support::start(&loggers()).await;
    let warn = outcome(&client, "traced", TRACE_EVENT).await;
    insta::assert_yaml_snapshot!("traced_at_warn", warn.snapshot_record());

    // At DEBUG every line is kept, in the order written, and the subscriber's INFO span
    // ("Lambda runtime invoke", off at WARN) carries the request and trace ids.
    let debug = outcome(&client, "traced-debug", TRACE_EVENT).await;
    let raw = &debug.log.as_ref().expect("a tail").raw;
    assert!(
        raw.contains("\"xrayTraceId\":\"Root=1-"),
        "the span carries the trace: {raw}"
    );
    // (Not a snapshot: at DEBUG the runtime's HTTP client logs too, with its port.)
    let lines = debug.snapshot_record().log.unwrap();
    let ours: Vec<String> = lines
        .iter()
        .filter_map(|line| match line {
            Value::String(text) => Some(format!("text: {text}")),
            record => {
                let message = record.get("msg").or(record["fields"].get("message"))?;
                let message = message.as_str()?;
                let own = !message.contains("idle connection");
                own.then(|| format!("{}: {message}", record["level"].as_str().unwrap()))
            }
        })
        .collect();
    assert_eq!(
        ours,
        [
            "text: a plain println",
            "DEBUG: a JSON line of its own",
            "ERROR: kept: ERROR is above WARN",
            "DEBUG: checking stock",
            "INFO: order received",
            "WARN: low stock",
            "ERROR: payment declined",
        ],
        "{}",
        debug.context()
    );
    let low_stock = lines
        .iter()
        .find(|l| l["fields"]["message"] == "low stock")
        .unwrap();
    assert_eq!(
        low_stock["span"],
        json!({"name": "Lambda runtime invoke", "requestId": "[request-id]", "xrayTraceId": "[trace-id]"})
    );

    // In Text the subscriber writes text, Lambda filters nothing, and lines stay strings.
    let text = outcome(&client, "traced-text", TRACE_EVENT).await;
    let lines = text.snapshot_record().log.unwrap();
    assert!(lines.iter().all(Value::is_string), "{lines:?}");
    let warning = " WARN Lambda runtime invoke{requestId=\"[request-id]\"";
    assert!(
        lines.iter().any(|l| l
            .as_str()
            .is_some_and(|l| l.starts_with(warning) && l.ends_with("}: low stock"))),
        "{}",
        text.context()
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.as_str().is_some_and(|l| l.contains("checking stock"))),
        "Text mode: lambda_runtime's default level INFO drops debug: {lines:?}"
    );
}

/// awslambdaric sets the root logger to AWS_LAMBDA_LOG_LEVEL and writes JSON records with
/// `timestamp` and `requestId`; Lambda drops the plain `print` (INFO).
#[tokio::test]
async fn awslambdarics_json_logging_is_filtered_and_structured() {
    let (_emulator, client) = support::start(&loggers()).await;
    let outcome = outcome(&client, "python", "{}").await;
    insta::assert_yaml_snapshot!("python_at_warn", outcome.snapshot_record());
}

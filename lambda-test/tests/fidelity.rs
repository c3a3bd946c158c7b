//! Fidelity against answers recorded from real AWS (issue #17).
//!
//! LocalStack's test suite keeps snapshots recorded against real AWS
//! (`tests/aws/services/lambda_/test_lambda_api.snapshot.json` and `test_lambda.snapshot.json`,
//! with the requests in the `.py` files beside them). `tests/fidelity/invoke.json` holds, in our
//! own structure, every recorded Invoke and Function URL answer the local Lambda can reproduce
//! without control-plane APIs: the snapshot key and recording date, the request, and the
//! recorded answer (status, error code, message, the members and headers boto3 surfaced).
//! Two Function URL tests keep AWS's answer in assertions instead of a snapshot; their rows'
//! answers are what those assertions require (each says so in its `note`).
//!
//! The requests go through boto3, as the recordings' did (`tests/python/fidelity_boto3.py`),
//! to a local Lambda whose functions are Python handlers run by awslambdaric, as AWS's Python
//! runtime runs them (`tests/fidelity/functions`). The comparison is exact after the
//! replacements LocalStack's snapshot transformers made in the recording (account id, region,
//! partition, request ids, long generated values), each listed with its row or below, plus
//! one of ours: the functions' directory stands for `/var/task`, where AWS unpacks the code.
//!
//! A row AWS answers differently on purpose carries `differs`: why (the section of
//! `docs/fidelity.md` that explains it) and what the local Lambda answers instead, which the
//! test pins so that a change of either side is seen.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use lambda_test::config::Config;
use lambda_test::emulator::Emulator;
use regex::Regex;
use serde_json::{Value, json};

/// The account the local Lambda serves; LocalStack's snapshots write every account as
/// `111111111111`.
const ACCOUNT: &str = "123456789012";

fn package_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python of the workspace's venv, which has boto3 and awslambdaric.
fn python() -> PathBuf {
    let path = package_dir().join("../.venv/bin/python");
    assert!(
        path.is_file(),
        "{} is missing: run ./scripts/test-all, which installs boto3 and awslambdaric \
         (tests/python-requirements.txt) into .venv before running the tests",
        path.display()
    );
    path
}

fn functions_dir() -> PathBuf {
    package_dir().join("tests/fidelity/functions")
}

/// The functions the rows invoke: each is the recorded function's handler, its timeout and
/// concurrency as the recording's test set them (LocalStack's default timeout is 30 s).
fn config_text() -> String {
    let python = Value::from(python().to_str().expect("UTF-8 path")).to_string();
    let path = Value::from(functions_dir().to_str().expect("UTF-8 path")).to_string();
    let function_with = |name: &str, handler: &str, env: &str, extra: &str| {
        format!(
            "[functions.{name}]\n\
             command = [{python}, \"-m\", \"awslambdaric\", \"{handler}\"]\n\
             environment = {{ PYTHONPATH = {path}, PYTHONDONTWRITEBYTECODE = \"1\"{env} }}\n\
             {extra}\n"
        )
    };
    let function = |name: &str, handler: &str, extra: &str| function_with(name, handler, "", extra);
    let mut text = format!("[emulator]\nregion = \"us-east-1\"\naccount_id = \"{ACCOUNT}\"\n\n");
    for (name, handler, extra) in [
        ("echo", "lambda_echo.handler", "timeout = 3"),
        // Cold for its one row, whose REPORT line has an Init Duration.
        ("echo-tail", "lambda_echo.handler", "timeout = 3"),
        ("none", "lambda_none.handler", "timeout = 3"),
        (
            "zero-concurrency",
            "lambda_echo.handler",
            "reserved_concurrency = 0",
        ),
        (
            "one-at-a-time",
            "lambda_echo.handler",
            "reserved_concurrency = 1",
        ),
        (
            "with-qualifier",
            "lambda_context.handler",
            "timeout = 10\n[functions.with-qualifier.versions.1]",
        ),
        ("cache", "lambda_cache.handler", "timeout = 3"),
        (
            "handler-one",
            "lambda_multiple_handlers.handler",
            "timeout = 3",
        ),
        (
            "handler-two",
            "lambda_multiple_handlers.handler_two",
            "timeout = 3",
        ),
        ("request-id", "lambda_request_id.handler", "timeout = 3"),
        ("timeout-1s", "lambda_timeout.handler", "timeout = 1"),
        ("timeout-2s", "lambda_timeout.handler", "timeout = 2"),
        (
            "response-size",
            "lambda_response_size.handler",
            "timeout = 30",
        ),
        (
            "handler-error",
            "lambda_handler_error.handler",
            "timeout = 30",
        ),
        (
            "runtime-error",
            "lambda_runtime_error.handler",
            "timeout = 30",
        ),
        (
            "runtime-exit",
            "lambda_runtime_exit.handler",
            "timeout = 30",
        ),
        (
            "handler-exit",
            "lambda_handler_exit.handler",
            "timeout = 30",
        ),
        (
            "runtime-exit-segfault",
            "lambda_runtime_exit_segfault.handler",
            "timeout = 30",
        ),
    ] {
        text.push_str(&function(name, handler, extra));
    }
    // Versions and aliases: each version's environment stands for the code it was published
    // with; `code-changes-early` and `alias-moving` are the recorded functions before their
    // last update, `code-changes` and `alias-moved` after it.
    for (name, latest, versions, alias) in [
        ("code-changes-early", "version2", &["version1"][..], None),
        (
            "code-changes",
            "version3",
            &["version1", "version2", "version3"][..],
            None,
        ),
        (
            "alias-moving",
            "version2",
            &["version1", "version2"][..],
            Some("1"),
        ),
        (
            "alias-moved",
            "version2",
            &["version1", "version2"][..],
            Some("2"),
        ),
    ] {
        let mut extra = "timeout = 3\n".to_owned();
        for (n, code) in versions.iter().enumerate() {
            let n = n + 1;
            extra.push_str(&format!(
                "[functions.{name}.versions.{n}]\nenvironment = {{ VERSION_ID = \"{code}\" }}\n"
            ));
        }
        if let Some(version) = alias {
            extra.push_str(&format!(
                "[functions.{name}.aliases]\nalias1 = \"{version}\"\n"
            ));
        }
        let env = format!(", VERSION_ID = \"{latest}\"");
        text.push_str(&function_with(name, "lambda_version.handler", &env, &extra));
    }
    text.push_str(&function(
        "url-unhandled",
        "lambda_unhandled_error.handler",
        "timeout = 3\n[functions.url-unhandled.url]",
    ));
    for (case, handler) in [
        ("dict", "dict_"),
        ("http-response", "http_response"),
        ("http-response-json", "http_response_json"),
        ("list-mixed", "list_mixed"),
        ("string", "string"),
        ("integer", "integer"),
        ("float", "float_"),
        ("boolean", "boolean"),
    ] {
        let extra = format!("timeout = 3\n[functions.url-{case}.url]");
        text.push_str(&function(
            &format!("url-{case}"),
            &format!("url_returns.{handler}"),
            &extra,
        ));
    }
    text
}

/// One recorded answer and the request that reproduces it.
#[derive(Clone)]
struct Row {
    /// `<test>[<params>] / <snapshot part>`, the key of the recording.
    snapshot: String,
    /// The recording's `recorded-date`.
    recorded: String,
    /// The row as the driver takes it (client, request, extract).
    row: Value,
    /// The recorded answer.
    answer: Value,
    /// The row's own replacements, in order.
    normalise: Vec<(Regex, String)>,
    /// What the local Lambda answers instead, when it differs on purpose.
    differs: Option<Value>,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(package_dir().join("tests/fidelity/invoke.json"))
        .expect("tests/fidelity/invoke.json");
    let rows: Vec<Value> = serde_json::from_str(&text).expect("tests/fidelity/invoke.json is JSON");
    rows.into_iter()
        .map(|row| {
            let text = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
            let normalise = row["normalise"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| {
                    let pattern = n["pattern"].as_str().expect("a pattern");
                    let with = n["with"].as_str().expect("a replacement");
                    (
                        Regex::new(pattern).expect("a valid pattern"),
                        with.to_owned(),
                    )
                })
                .collect();
            Row {
                snapshot: text("snapshot"),
                recorded: text("recorded"),
                answer: row["answer"].clone(),
                differs: row.get("differs").map(|d| d["local"].clone()),
                normalise,
                row,
            }
        })
        .collect()
}

/// What LocalStack's transformers replaced in every recording, then the row's own replacements,
/// applied to every string of an answer.
fn normalise(value: &mut Value, row: &[(Regex, String)], functions: &str) {
    match value {
        Value::String(s) => {
            let mut text = s
                .replace(functions, "/var/task")
                .replace("arn:aws:", "arn:<partition>:")
                .replace(ACCOUNT, "111111111111")
                .replace("us-east-1", "<region>");
            for (pattern, with) in row {
                text = pattern.replace_all(&text, with.as_str()).into_owned();
            }
            *s = text;
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalise(v, row, functions)),
        Value::Object(members) => members
            .values_mut()
            .for_each(|v| normalise(v, row, functions)),
        _ => {}
    }
}

/// Runs every row's request through boto3 (or plain HTTP for Function URLs), in order.
fn replay(endpoint: &str, rows: &[Row]) -> Vec<Value> {
    let input = json!({
        "endpoint": endpoint,
        "rows": rows.iter().map(|r| &r.row).collect::<Vec<_>>(),
    });
    let mut child = Command::new(python())
        .arg(package_dir().join("tests/python/fidelity_boto3.py"))
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_LAMBDA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("failed to run python");
    serde_json::to_writer(child.stdin.take().expect("piped stdin"), &input)
        .expect("write the rows");
    let output = child.wait_with_output().expect("the driver ends");
    assert!(
        output.status.success(),
        "fidelity_boto3.py failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).expect("the driver's JSON");
    assert_eq!(answers.len(), rows.len(), "one answer per row");
    answers
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_and_function_urls_answer_as_recorded_from_aws() {
    let dir = support::temp_dir();
    let path = dir.join("lambda-test.toml");
    let text = config_text();
    std::fs::write(&path, &text).expect("write config");
    let config = Config::parse(&text, &path).expect("valid config");
    let emulator = Emulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("emulator starts");
    let rows = rows();
    let endpoint = emulator.endpoint().to_owned();
    let answers = tokio::task::spawn_blocking({
        let rows = rows.clone();
        move || replay(&endpoint, &rows)
    })
    .await
    .expect("the driver thread");
    emulator.shutdown().await;

    let functions = functions_dir().display().to_string();
    let mut differences = Vec::new();
    for (row, mut ours) in rows.iter().zip(answers) {
        normalise(&mut ours, &row.normalise, &functions);
        let (mut expected, what) = match &row.differs {
            None => (row.answer.clone(), "recorded from AWS"),
            Some(local) => (local.clone(), "documented local answer (docs/fidelity.md)"),
        };
        // The row's replacements stand for what differs between any two runs (the Python
        // version's frames): both sides get them.
        normalise(&mut expected, &row.normalise, &functions);
        if ours != expected {
            differences.push(format!(
                "{} (recorded {}), {what}:\n  expected {}\n  answered {}",
                row.snapshot,
                row.recorded,
                serde_json::to_string(&expected).expect("JSON"),
                serde_json::to_string(&ours).expect("JSON"),
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} rows differ:\n\n{}",
        differences.len(),
        rows.len(),
        differences.join("\n\n")
    );
}

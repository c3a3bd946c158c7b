//! JUnit through nextest's own `[profile.ci.junit]` (`.config/nextest.toml`): a failed lambda
//! test's report carries its request id and tail log, which the harness prints for every
//! invocation and nextest keeps for failures.

use std::path::PathBuf;
use std::process::Command;

use lambda_test::{Outcome, lambda_test};

/// A lambda test that fails after its invocation, as a wrong assertion in a user's test does.
#[lambda_test(
    function = "probe",
    payload = r#"{"log": ["a line the JUnit report shows"]}"#,
    snapshot = false
)]
#[ignore = "fails on purpose: `a_failed_lambda_test_shows_its_request_id_and_tail_log_in_junit` runs it under nextest"]
async fn fails_on_purpose(outcome: Outcome) {
    assert_eq!(outcome.status_code, 500, "this test fails on purpose");
}

#[test]
fn a_failed_lambda_test_shows_its_request_id_and_tail_log_in_junit() {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .to_owned();
    let report = target.join("nextest/ci/junit.xml");
    let _ = std::fs::remove_file(&report);
    let mut command = Command::new("cargo");
    // The workspace, as the outer run built it: nothing is rebuilt.
    command
        .args(["nextest", "run", "--workspace", "--profile", "ci"])
        .args(["--run-ignored", "only", "-E", "test(=fails_on_purpose)"])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    // A run inside a nextest run is a run of its own.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("NEXTEST") {
            command.env_remove(name);
        }
    }
    let output = command.output().expect("cargo-nextest runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "the test fails on purpose:\n{stderr}"
    );
    let xml = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no JUnit report at {}: {e}\n{stderr}", report.display()));
    assert!(xml.contains("<testsuites"), "{xml}");
    let case = xml
        .split("<testcase ")
        .find(|case| case.contains("fails_on_purpose"))
        .unwrap_or_else(|| panic!("the test is in the report: {xml}"));
    assert!(case.contains("<failure"), "{case}");
    let request_id = regex_lite_find(case, "lambda-test: request id ")
        .unwrap_or_else(|| panic!("the request id is in the failure's text: {case}"));
    assert_eq!(request_id.len(), 36, "a UUID: {request_id}");
    assert!(case.contains("  | START RequestId: "), "{case}");
    assert!(case.contains("  | a line the JUnit report shows"), "{case}");
    assert!(case.contains("  | REPORT RequestId: "), "{case}");
    assert!(case.contains("this test fails on purpose"), "{case}");
}

/// The word after `marker` in `text`.
fn regex_lite_find<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let start = text.find(marker)? + marker.len();
    text[start..].split([',', ' ', '\n']).next()
}

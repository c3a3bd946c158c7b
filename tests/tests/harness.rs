//! The harness end to end, through the attribute, on this package's local Lambda.

use lambda_test::lambda_test;

/// A config naming a binary that does not exist fails the test with the binary, the config
/// file and the fix.
#[lambda_test(function = "missing")]
#[should_panic(expected = "binary `no-such-binary` not found (looked in")]
async fn missing_binary_is_named_with_the_fix() {}

/// The same message, checked in full, without the attribute.
#[test]
fn missing_binary_message_says_how_to_fix_it() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let result = lambda_test::Harness::global().block_on(async {
        let local = lambda_test::Harness::global().local(dir.as_ref()).await?;
        local.check_binary("missing")
    });
    let message = result.unwrap_err().to_string();
    assert!(message.starts_with("function `missing` in "), "{message}");
    assert!(message.contains("tests/lambda-test.toml"), "{message}");
    assert!(
        message.contains("cargo build --bin no-such-binary"),
        "{message}"
    );
}

#[lambda_test(
    function = "probe",
    payload = r#"{"action": "count"}"#,
    snapshot = false
)]
async fn outcome_reaches_the_body(outcome: lambda_test::Outcome) {
    assert_eq!(outcome.status_code, 200);
    assert_eq!(outcome.executed_version.as_deref(), Some("$LATEST"));
    let payload = outcome.payload_json().expect("json payload");
    assert!(payload["served"].as_u64().unwrap() >= 1);
    let report = outcome.report().expect("a REPORT line in the tail");
    assert_eq!(report.memory_size_mb, 256);
}

/// Prints how this package's target resolves, for the tests below that run it as a process of
/// its own with the environment they set (a test cannot set its own: the environment is the
/// process's). Does nothing unless asked to.
#[test]
fn prints_the_target() {
    let Some(dir) = std::env::var_os("LAMBDA_TEST_SUITE_PRINT_TARGET_OF") else {
        return;
    };
    match lambda_test::Target::resolve(dir.as_ref(), None) {
        Ok(target) => println!("target={target:?}"),
        Err(lambda_test::Error::InvalidTarget { setting, value }) => {
            println!("invalid-target={setting}={value}")
        }
        Err(e) => println!("error={e}"),
    }
}

/// The target of `dir` with `LAMBDA_TEST_TARGET=value`, as [`prints_the_target`] prints it.
fn target_with(dir: &std::path::Path, value: &str) -> String {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["prints_the_target", "--exact", "--nocapture"])
        .env("LAMBDA_TEST_SUITE_PRINT_TARGET_OF", dir)
        .env("LAMBDA_TEST_TARGET", value)
        .env_remove("LAMBDA_TEST_ENDPOINT_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    stdout
}

/// A package directory without `lambda-test.toml`.
fn package_without_local_definition(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("target-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"p\"\n").unwrap();
    dir
}

/// Real AWS when asked for, with or without a local definition.
#[test]
fn lambda_test_target_aws_chooses_real_aws() {
    let bare = package_without_local_definition("aws");
    assert!(target_with(&bare, "aws").contains("target=Aws\n"));
    let here = env!("CARGO_MANIFEST_DIR").as_ref();
    assert!(target_with(here, "aws").contains("target=Aws\n"));
    assert!(target_with(here, "local").contains("target=Local {"));
}

/// A value that names no target is its own error, naming the variable and the value.
#[test]
fn lambda_test_target_bogus_is_a_typed_error() {
    let out = target_with(env!("CARGO_MANIFEST_DIR").as_ref(), "bogus");
    assert!(
        out.contains("invalid-target=LAMBDA_TEST_TARGET=bogus"),
        "{out}"
    );
}

/// Without a local definition and without asking for AWS, resolving fails: never a silent
/// switch to real AWS. (An empty `LAMBDA_TEST_TARGET` counts as unset.)
#[test]
fn no_local_definition_and_no_aws_is_an_error() {
    let bare = package_without_local_definition("none");
    let out = target_with(&bare, "");
    assert!(
        out.contains("error=failed to choose a target: there is no lambda-test.toml in"),
        "{out}"
    );
    assert!(out.contains("LAMBDA_TEST_TARGET=aws"), "{out}");
    let local = target_with(&bare, "local");
    assert!(local.contains("error=failed to start the local Lambda: LAMBDA_TEST_TARGET=local, but there is no lambda-test.toml in"), "{local}");
}

//! When the real AWS path fails, the test failure is one readable line that says what failed
//! and what to do, not the SDK's `Debug` dump. The failures are real: `aws-config`'s default
//! chain reading a temporary AWS config, and an endpoint that refuses connections. Each case
//! runs [`invoke_and_print`] again as its own process, with the environment it needs.

use std::path::PathBuf;
use std::process::Command;

use lambda_test::{Harness, Invocation, Target};

/// Invokes `f` at the target the environment chooses and prints the failure between markers.
#[test]
#[ignore = "run by the tests below, each with the environment of one failure"]
fn invoke_and_print() {
    let harness = Harness::global();
    let message = harness.block_on(async {
        let target = Target::resolve(env!("CARGO_MANIFEST_DIR").as_ref(), None).unwrap();
        let client = harness.client(&target).await.unwrap();
        Invocation::new("f")
            .payload("{}")
            .send(&client)
            .await
            .expect_err("nothing can answer here")
            .to_string()
    });
    println!("MESSAGE<<{message}>>");
}

/// The failure message of an invoke in a process with `env` (and no AWS settings of ours).
fn failure(case: &str, env: &[(&str, &str)], files: &[(&str, &str)]) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("aws-failures-{case}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "invoke_and_print",
        "--exact",
        "--include-ignored",
        "--nocapture",
    ]);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("AWS_") || name.starts_with("LAMBDA_TEST_") {
            command.env_remove(&*name);
        }
    }
    let output = command
        .env("HOME", &dir)
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        // No instance metadata here: fail fast rather than wait for it.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{case}: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let start = stdout.find("MESSAGE<<").expect("a message") + "MESSAGE<<".len();
    let end = stdout[start..].find(">>").expect("the end of the message") + start;
    let message = stdout[start..end].to_owned();
    eprintln!("{case}: {message}");
    message
}

/// One line, short, naming the cause and the fix, no SDK dump.
fn assert_readable(message: &str, cause: &str, fix: &str) {
    assert!(!message.contains('\n'), "one line: {message}");
    assert!(message.len() < 400, "{} chars: {message}", message.len());
    assert!(!message.contains("DispatchFailure {"), "{message}");
    assert!(!message.contains("ConnectorError {"), "{message}");
    let lower = message.to_lowercase();
    assert!(
        lower.contains(&cause.to_lowercase()),
        "cause `{cause}`: {message}"
    );
    assert!(message.contains(fix), "fix `{fix}`: {message}");
}

#[test]
fn a_refused_connection_names_the_endpoint() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let message = failure("refused", &[("LAMBDA_TEST_ENDPOINT_URL", &url)], &[]);
    assert_readable(
        &message,
        &format!("could not connect to {url}"),
        "check that the endpoint is up",
    );
    assert!(
        message.to_lowercase().contains("connection refused"),
        "{message}"
    );
}

#[test]
fn no_credentials_says_how_to_get_them() {
    let message = failure(
        "no-credentials",
        &[("LAMBDA_TEST_TARGET", "aws")],
        &[
            ("config", "[default]\nregion = us-east-1\n"),
            ("credentials", ""),
        ],
    );
    assert_readable(&message, "no credentials", "AWS_PROFILE");
    assert!(message.contains("aws sso login"), "{message}");
}

#[test]
fn a_failing_credential_process_says_so() {
    let config = "[profile broken]\nregion = us-east-1\n\
                  credential_process = sh -c 'echo token revoked >&2; exit 1'\n";
    let message = failure(
        "credential-process",
        &[("LAMBDA_TEST_TARGET", "aws"), ("AWS_PROFILE", "broken")],
        &[("config", config), ("credentials", "")],
    );
    assert_readable(
        &message,
        "credential_process failed",
        "run the command by hand",
    );
}

#[test]
fn an_sso_profile_without_a_session_says_to_log_in() {
    let config = "[profile sso]\nregion = us-east-1\nsso_start_url = https://example.awsapps.com/start\n\
                  sso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Dev\n";
    let message = failure(
        "sso",
        &[("LAMBDA_TEST_TARGET", "aws"), ("AWS_PROFILE", "sso")],
        &[("config", config), ("credentials", "")],
    );
    assert_readable(
        &message,
        "SSO session is missing or expired",
        "aws sso login",
    );
}

#[test]
fn an_unknown_host_is_a_dns_failure() {
    let url = "http://lambda.invalid";
    let message = failure("dns", &[("LAMBDA_TEST_ENDPOINT_URL", url)], &[]);
    assert_readable(&message, &format!("could not resolve {url}"), "DNS");
}

#[test]
fn a_role_that_cannot_be_assumed_names_the_role_settings() {
    let sts = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
    };
    let config = "[profile base]\nregion = us-east-1\n\
                  [profile deploy]\nregion = us-east-1\nsource_profile = base\n\
                  role_arn = arn:aws:iam::123456789012:role/deploy\n";
    let credentials = "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = secret\n";
    let message = failure(
        "role",
        &[
            ("LAMBDA_TEST_TARGET", "aws"),
            ("AWS_PROFILE", "deploy"),
            ("AWS_ENDPOINT_URL_STS", &sts),
        ],
        &[("config", config), ("credentials", credentials)],
    );
    assert_readable(
        &message,
        "could not reach the credentials' service",
        "role_arn",
    );
    assert!(message.contains("Connection refused"), "{message}");
}

#[test]
fn a_tls_failure_says_tls() {
    // An endpoint that speaks plain text where TLS is expected.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::Write as _;
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let message = failure("tls", &[("LAMBDA_TEST_ENDPOINT_URL", &url)], &[]);
    assert_readable(&message, &format!("TLS with {url} failed"), "AWS_CA_BUNDLE");
}

//! What a function's own AWS calls get (`aws = { ... }`), read back by a real function: the
//! `probe` example's `env` action answers the variables it was started with.
//!
//! `credentials = "caller"` takes the credentials of the process that runs the local Lambda,
//! so those tests run `lambda-test serve` with an environment of their choosing.

mod support;

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use serde_json::{Value, json};

/// The variables the SDKs read for their credentials, endpoints and region.
const NAMES: [&str; 10] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EC2_METADATA_DISABLED",
];

async fn variables(client: &aws_sdk_lambda::Client, function: &str) -> Value {
    let out = client
        .invoke()
        .function_name(function)
        .payload(Blob::new(
            json!({"action": "env", "names": NAMES}).to_string(),
        ))
        .send()
        .await
        .expect("invoke");
    assert_eq!(out.function_error(), None);
    serde_json::from_slice(out.payload().expect("a payload").as_ref()).unwrap()
}

#[tokio::test]
async fn static_keys_endpoints_and_region_reach_the_function_and_none_gives_nothing() {
    let (_emulator, client) = support::start(
        r#"
[functions.keys]
bin = "probe"
aws = { credentials = "static", access_key_id = "testing", secret_access_key = "test-secret", session_token = "test-token", endpoint_url = "http://127.0.0.1:4566", endpoint_urls = { dynamodb = "http://127.0.0.1:8000", secrets-manager = "http://127.0.0.1:8001" }, region = "eu-central-1" }

[functions.bare]
bin = "probe"
"#,
    )
    .await;
    assert_eq!(
        variables(&client, "keys").await,
        json!({
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_ACCESS_KEY": "testing",
            "AWS_SECRET_ACCESS_KEY": "test-secret",
            "AWS_SESSION_TOKEN": "test-token",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:8001",
            "AWS_REGION": "eu-central-1",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        })
    );
    // The default: no credentials, no endpoint, the local Lambda's region, and no instance
    // metadata to wait for. The test process's own AWS_* never reach the function.
    assert_eq!(
        variables(&client, "bare").await,
        json!({
            "AWS_ACCESS_KEY_ID": null,
            "AWS_ACCESS_KEY": null,
            "AWS_SECRET_ACCESS_KEY": null,
            "AWS_SESSION_TOKEN": null,
            "AWS_ENDPOINT_URL": null,
            "AWS_ENDPOINT_URL_DYNAMODB": null,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": null,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        })
    );
}

/// `lambda-test serve` of a `caller` function, in an environment of only `env` (and `PATH`),
/// with a `HOME` that holds no AWS config: its first stdout line, or its stderr when it ends.
fn serve(env: &[(&str, &str)]) -> (std::process::Child, Result<String, String>) {
    let dir = support::temp_dir();
    let config = dir.join("lambda-test.toml");
    let text = support::config_text(
        "[functions.caller]\nbin = \"probe\"\naws = { credentials = \"caller\" }\n",
    );
    std::fs::write(&config, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lambda-test"))
        .args(["serve", "--port", "0", "--config"])
        .arg(&config)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lambda-test serve starts");
    let stdout = child.stdout.take().unwrap();
    let (lines, first) = mpsc::channel();
    std::thread::spawn(move || {
        let line = BufReader::new(stdout).lines().next();
        let _ = lines.send(line.and_then(Result::ok));
    });
    match first.recv_timeout(Duration::from_secs(30)) {
        Ok(Some(banner)) => (child, Ok(banner)),
        _ => {
            let mut stderr = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
            (child, Err(stderr))
        }
    }
}

#[tokio::test]
async fn caller_credentials_are_those_the_default_chain_resolves() {
    let (mut server, banner) = serve(&[
        ("AWS_ACCESS_KEY_ID", "AKIDCALLERTEST"),
        ("AWS_SECRET_ACCESS_KEY", "caller-secret"),
        ("AWS_SESSION_TOKEN", "caller-token"),
    ]);
    let banner = banner.unwrap_or_else(|stderr| panic!("serve failed:\n{stderr}"));
    let endpoint = banner.rsplit_once(" at ").expect("the endpoint").1;
    let vars = variables(&support::client(endpoint), "caller").await;
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(vars["AWS_ACCESS_KEY_ID"], "AKIDCALLERTEST");
    assert_eq!(vars["AWS_SECRET_ACCESS_KEY"], "caller-secret");
    assert_eq!(vars["AWS_SESSION_TOKEN"], "caller-token");
}

#[test]
fn caller_credentials_missing_stop_the_start_with_the_fix() {
    let (mut server, banner) = serve(&[]);
    let _ = server.kill();
    let status = server.wait().unwrap();
    let stderr = banner.expect_err("serve started without credentials to give");
    assert!(!status.success());
    assert!(
        stderr.contains("`credentials = \"caller\"` (caller)")
            && stderr.contains("no providers in chain provided credentials")
            && stderr.contains("credentials = \"static\""),
        "{stderr}"
    );
}

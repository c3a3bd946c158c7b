//! `via = "url"` (issue #12): a lambda test that goes through the function's Function URL,
//! found with `GetFunctionUrlConfig`, through the builder `#[lambda_test]` expands to. The
//! function: the `probe` example, whose echo shows the Function URL event it was given.
//!
//! In process, the embedded local Lambda verifies the SigV4 signature of an `AWS_IAM` URL
//! (a principal of the config); against `lambda-test serve` as an endpoint, the test takes the
//! AWS path's code (lookup at an endpoint, the URL it names).

mod support;

use lambda_test::__private::TestArgs;

const FUNCTIONS: &str = r#"
[emulator.principals.web]
access_key_id = "AKIDWEB"
secret_access_key = "web-secret"
arn = "arn:aws:iam::123456789012:role/web"

[emulator.principals.default]
access_key_id = "AKIDDEFAULT"
secret_access_key = "default-secret"
arn = "arn:aws:iam::123456789012:role/default"

[functions.private]
bin = "probe"
allow = ["web"]
[functions.private.url]
auth_type = "AWS_IAM"

[functions.streamer]
bin = "probe"
timeout = 5
environment = { PROBE_STREAM = "1" }
[functions.streamer.url]
invoke_mode = "RESPONSE_STREAM"

[functions.no_url]
bin = "probe"
"#;

/// A package directory holding `functions` as its lambda-test.toml.
fn package(functions: &str) -> &'static str {
    let dir = support::temp_dir();
    std::fs::write(
        dir.join("lambda-test.toml"),
        support::config_text(functions),
    )
    .unwrap();
    Box::leak(dir.display().to_string().into_boxed_str())
}

#[test]
fn an_aws_iam_url_gets_a_request_signed_as_the_principal() {
    let dir = package(FUNCTIONS);
    let outcome = TestArgs::new(dir)
        .function("private")
        .via("url")
        .profile("web")
        .http("POST /items?id=1")
        .header("content-type", "application/json")
        .body(r#"{"n": 1}"#)
        .run();
    assert_eq!(outcome.status_code, 200);
    let event = &outcome.payload_json().expect("the probe's echo")["event"];
    assert_eq!(event["rawPath"], "/items");
    assert_eq!(event["rawQueryString"], "id=1");
    assert_eq!(event["body"], r#"{"n": 1}"#);
    // The local Lambda verified the signature and names the principal, as AWS does.
    let iam = &event["requestContext"]["authorizer"]["iam"];
    assert_eq!(
        iam["userArn"], "arn:aws:iam::123456789012:role/web",
        "{event:#}"
    );
    // The record is the HTTP response alone: no Invoke status, version or log.
    let record = serde_json::to_value(outcome.snapshot_record()).unwrap();
    assert_eq!(record["http"]["status"], 200, "{record:#}");
    assert_eq!(record.as_object().unwrap().len(), 1, "{record:#}");
}

#[test]
fn a_principal_the_function_does_not_allow_is_forbidden() {
    let dir = package(FUNCTIONS);
    // `default` may look the URL up, and is not in the function's `allow`.
    let outcome = TestArgs::new(dir)
        .function("private")
        .via("url")
        .http("GET /")
        .run();
    assert_eq!(outcome.status_code, 403);
    assert_eq!(outcome.payload_text(), r#"{"Message":"Forbidden"}"#);
}

#[test]
fn a_function_without_a_url_is_not_found_by_the_lookup() {
    let dir = package(FUNCTIONS);
    let error = TestArgs::new(dir)
        .function("no_url")
        .via("url")
        .http("GET /")
        .expect_error("ResourceNotFoundException")
        .run_expect_error();
    assert!(
        error.to_string().contains("GetFunctionUrlConfig"),
        "{error}"
    );
}

#[test]
fn a_response_stream_url_is_read_as_it_streams() {
    let dir = package(FUNCTIONS);
    let outcome = TestArgs::new(dir)
        .function("streamer")
        .via("url")
        .profile("web")
        .http("GET /")
        .run();
    assert_eq!(outcome.status_code, 200);
    assert_eq!(outcome.payload_text(), "first\nlast\n");
    let streamed = outcome.stream.as_ref().expect("a streaming URL");
    assert!(
        streamed.chunks >= 1 && streamed.first_byte.is_some(),
        "{streamed:?}"
    );
}

/// `lambda-test serve` as the endpoint: the lookup goes to it and the URL it answers is used,
/// as on AWS (where the URL is `https://<id>.lambda-url.<region>.on.aws/`).
#[test]
fn through_an_endpoint_the_url_is_the_one_the_lookup_names() {
    use std::io::BufRead as _;
    let functions = "[functions.probe]\nbin = \"probe\"\n[functions.probe.url]\n";
    let dir = package(functions);
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-test"))
        .args(["serve", "--port", "0", "--quiet", "--config"])
        .arg(format!("{dir}/lambda-test.toml"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(serve.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let endpoint = banner.rsplit(" at ").next().unwrap().to_owned();
    std::thread::spawn(move || lines.for_each(drop));
    let outcome = std::panic::catch_unwind(|| {
        TestArgs::new(dir)
            .function("probe")
            .via("url")
            .endpoint_url(&endpoint)
            .http("GET /hello")
            .run()
    });
    let _ = serve.kill();
    let _ = serve.wait();
    let outcome = outcome.expect("the test ran");
    assert_eq!(outcome.status_code, 200);
    let event = &outcome.payload_json().unwrap()["event"];
    assert_eq!(event["rawPath"], "/hello", "{event:#}");
}

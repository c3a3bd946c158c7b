//! Function URLs on the local Lambda (issue #12): real HTTP in, the payload-2.0 event the
//! function gets, the answer mapped back to HTTP. Clients: curl (a real one nobody here
//! wrote) and raw HTTP for what curl will not send; the function: the `probe` example, whose
//! echo shows the event it was given.

mod support;

use std::time::{Duration, SystemTime};

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_sdk_lambda::config::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use lambda_test::emulator::Emulator;
use serde_json::{Value, json};

const FUNCTIONS: &str = r#"
[emulator.principals.web]
access_key_id = "AKIDWEB"
secret_access_key = "web-secret"
arn = "arn:aws:iam::123456789012:role/web"

[functions.probe]
bin = "probe"
timeout = 2
[functions.probe.url]
cors = { allow_origins = ["https://app.example"], allow_methods = ["GET", "POST"], allow_headers = ["content-type"], max_age = 300 }

[functions.private]
bin = "probe"
allow = ["web"]
[functions.private.url]
auth_type = "AWS_IAM"

[functions.aliased]
bin = "probe"
environment = { PROBE_NAME = "latest" }
[functions.aliased.versions.1]
environment = { PROBE_NAME = "v1" }
[functions.aliased.aliases]
live = "1"
[functions.aliased.url]
qualifier = "live"

[functions.streamer]
bin = "probe"
timeout = 5
environment = { PROBE_STREAM = "1" }
[functions.streamer.url]
invoke_mode = "RESPONSE_STREAM"

[functions.limited]
bin = "probe"
reserved_concurrency = 1
[functions.limited.url]

[functions.no_url]
bin = "probe"
"#;

/// What curl printed: the status, the headers (lower-cased names) and the body.
struct Curled {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Curled {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Runs curl against the emulator with `args`, and parses its `-i` output.
async fn curl(emulator: &Emulator, path: &str, args: &[&str]) -> Curled {
    let url = format!("http://{}{path}", emulator.address());
    let output = tokio::process::Command::new("curl")
        .args(["-s", "-i", "--max-time", "20"])
        .args(args)
        .arg(&url)
        .output()
        .await
        .expect("curl runs");
    assert!(output.status.success(), "curl {args:?} {url}: {output:?}");
    let out = output.stdout;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&out[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Curled {
        status,
        headers,
        body: out[split + 4..].to_vec(),
    }
}

/// The event the probe was given, from its echo.
fn event_of(answer: &Curled) -> Value {
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()["event"].clone()
}

#[tokio::test]
async fn a_get_becomes_the_payload_2_0_event_function_urls_send() {
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let answer = curl(
        &emulator,
        "/lambda-url/probe/orders/7?size=large&tag=a&tag=b%20c",
        &[
            "-H",
            "X-Custom: one",
            "-H",
            "Cookie: session=s1; theme=dark",
            "-A",
            "curl-test/1.0",
        ],
    )
    .await;
    let event = event_of(&answer);
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "$default");
    assert_eq!(event["rawPath"], "/orders/7");
    assert_eq!(event["rawQueryString"], "size=large&tag=a&tag=b%20c");
    assert_eq!(
        event["queryStringParameters"],
        json!({"size": "large", "tag": "a,b c"})
    );
    assert_eq!(event["cookies"], json!(["session=s1", "theme=dark"]));
    assert_eq!(event["headers"]["x-custom"], "one");
    assert_eq!(event["headers"]["user-agent"], "curl-test/1.0");
    assert!(
        event["headers"].get("cookie").is_none(),
        "cookies move to `cookies`"
    );
    assert_eq!(event["isBase64Encoded"], false);
    assert!(event.get("body").is_none(), "a GET has no body");
    let context = &event["requestContext"];
    assert_eq!(context["http"]["method"], "GET");
    assert_eq!(context["http"]["path"], "/orders/7");
    assert_eq!(context["http"]["protocol"], "HTTP/1.1");
    assert_eq!(context["stage"], "$default");
    assert_eq!(context["accountId"], "anonymous");
    assert_eq!(
        context["requestId"],
        answer.header("x-amzn-requestid").unwrap()
    );
    let url_id = context["apiId"].as_str().unwrap();
    assert_eq!(url_id.len(), 32);
    assert!(context["timeEpoch"].as_u64().unwrap() > 1_700_000_000_000);
    // `DD/Mon/YYYY:HH:MM:SS +0000`, as API Gateway and Function URLs write it.
    let time = context["time"].as_str().unwrap();
    assert_eq!(
        (time.len(), &time[2..3], &time[6..7]),
        (26, "/", "/"),
        "{time}"
    );
    assert!(time.ends_with(" +0000"), "{time}");
    // The shape both readers of such events accept: aws_lambda_events' Function URL type,
    // and the API Gateway v2 type lambda_http reads Function URL events with.
    let url: LambdaFunctionUrlRequest = serde_json::from_value(event.clone()).unwrap();
    assert_eq!(url.raw_path.as_deref(), Some("/orders/7"));
    assert_eq!(url.request_context.http.method.as_deref(), Some("GET"));
    let v2: ApiGatewayV2httpRequest = serde_json::from_value(event).unwrap();
    assert_eq!(v2.raw_path.as_deref(), Some("/orders/7"));
    assert_eq!(v2.request_context.stage.as_deref(), Some("$default"));
}

#[tokio::test]
async fn bodies_arrive_as_text_or_base64() {
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let json_body = curl(
        &emulator,
        "/lambda-url/probe",
        &[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            r#"{"n":1}"#,
        ],
    )
    .await;
    let event = event_of(&json_body);
    assert_eq!(event["rawPath"], "/");
    assert_eq!(event["body"], r#"{"n":1}"#);
    assert_eq!(event["isBase64Encoded"], false);

    let binary = support::raw(
        &emulator,
        "PUT",
        "/lambda-url/probe/upload",
        &[("content-type", "application/octet-stream")],
        &[0, 159, 146, 150],
    )
    .await;
    let event = binary.json()["event"].clone();
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "AJ+Slg==");
    assert_eq!(event["requestContext"]["http"]["method"], "PUT");
}

#[tokio::test]
async fn an_alias_url_runs_the_aliased_version() {
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let answer = curl(&emulator, "/lambda-url/aliased/", &[]).await;
    assert_eq!(answer.json()["probe_name"], "v1");
    assert!(
        answer.json()["invoked_function_arn"]
            .as_str()
            .unwrap()
            .ends_with(":function:aliased:live")
    );
}

#[tokio::test]
async fn missing_urls_and_oversized_bodies_are_refused() {
    let (emulator, _client) = support::start(FUNCTIONS).await;
    for missing in ["/lambda-url/ghost/", "/lambda-url/no_url/"] {
        let answer = curl(&emulator, missing, &[]).await;
        assert_eq!(answer.status, 403, "{missing}");
        assert_eq!(answer.json(), json!({"Message": null}));
        assert_eq!(
            answer.header("x-amzn-errortype"),
            Some("AccessDeniedException")
        );
    }
    let big = vec![b'a'; 6 * 1024 * 1024 + 1];
    let too_large = support::raw(&emulator, "POST", "/lambda-url/probe", &[], &big).await;
    assert_eq!(too_large.status, 413);
    assert_eq!(
        too_large.json(),
        json!({"Message": "Request must be smaller than 6291456 bytes for the InvokeFunction operation"})
    );
}

/// A function error, a timeout and a failed init are all a 502 with nothing of the error in
/// it; the local Lambda answers the next request as before.
#[tokio::test]
async fn function_failures_are_a_502() {
    let (emulator, _client) = support::start(&format!(
        "{FUNCTIONS}[functions.failing]\nbin = \"probe\"\nenvironment = {{ PROBE_INIT = \"exit\" }}\n[functions.failing.url]\n"
    ))
    .await;
    let post = |body: &'static str| {
        let emulator = &emulator;
        async move {
            curl(
                emulator,
                "/lambda-url/probe/",
                &[
                    "-X",
                    "POST",
                    "-H",
                    "Content-Type: application/json",
                    "--data-binary",
                    body,
                ],
            )
            .await
        }
    };
    for body in [r#"{"action":"error"}"#, r#"{"action":"sleep","ms":3000}"#] {
        let answer = post(body).await;
        assert_eq!(answer.status, 502, "{body}");
        assert_eq!(answer.body, b"Internal Server Error", "{body}");
    }
    let failing = curl(&emulator, "/lambda-url/failing/", &[]).await;
    assert_eq!(failing.status, 502);
    assert_eq!(post("{}").await.status, 200, "the next request is answered");
}

#[tokio::test]
async fn throttling_is_a_429() {
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let address = emulator.address();
    // One slow request holds the only slot of `limited`.
    let busy = tokio::spawn(async move {
        let output = tokio::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
            .args(["-H", "Content-Type: application/json"])
            .args(["--data-binary", r#"{"action":"sleep","ms":1500}"#])
            .arg(format!("http://{address}/lambda-url/limited/"))
            .output()
            .await
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let throttled = curl(&emulator, "/lambda-url/limited/", &[]).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.json(), json!({"Message": "Rate Exceeded."}));
    assert_eq!(busy.await.unwrap(), "200");
    assert_eq!(
        curl(&emulator, "/lambda-url/limited/", &[]).await.status,
        200
    );
}

#[tokio::test]
async fn cors_preflights_are_answered_and_answers_carry_the_origin() {
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let preflight = curl(
        &emulator,
        "/lambda-url/probe/orders",
        &[
            "-X",
            "OPTIONS",
            "-H",
            "Origin: https://app.example",
            "-H",
            "Access-Control-Request-Method: POST",
        ],
    )
    .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET,POST")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("300"));
    assert!(preflight.body.is_empty(), "nothing ran");

    let other = curl(
        &emulator,
        "/lambda-url/probe/",
        &["-H", "Origin: https://evil.example"],
    )
    .await;
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let allowed = curl(
        &emulator,
        "/lambda-url/probe/",
        &["-H", "Origin: https://app.example"],
    )
    .await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example")
    );
}

/// A SigV4-signed request (service `lambda`) as a principal's credentials sign it.
fn signed_headers(host: &str, path: &str, key: &str, secret: &str) -> Vec<(String, String)> {
    let identity = Credentials::new(key, secret, None, None, "function_urls").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("lambda")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "GET",
        format!("http://{host}{path}"),
        [("host", host)].into_iter(),
        SignableBody::Bytes(b""),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test]
async fn aws_iam_urls_take_only_signed_requests_of_allowed_principals() {
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let path = "/lambda-url/private/whoami";
    let unsigned = curl(&emulator, path, &[]).await;
    assert_eq!(unsigned.status, 403);
    assert_eq!(unsigned.json(), json!({"Message": "Forbidden"}));

    let host = emulator.address().to_string();
    let mut args = Vec::new();
    for (name, value) in signed_headers(&host, path, "AKIDWEB", "web-secret") {
        args.push("-H".to_owned());
        args.push(format!("{name}: {value}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let signed = curl(&emulator, path, &args).await;
    let event = event_of(&signed);
    let context = &event["requestContext"];
    assert_eq!(context["accountId"], "123456789012");
    assert_eq!(
        context["authorizer"]["iam"]["userArn"],
        "arn:aws:iam::123456789012:role/web"
    );
    assert_eq!(context["authorizer"]["iam"]["accessKey"], "AKIDWEB");

    let mut wrong = Vec::new();
    for (name, value) in signed_headers(&host, path, "AKIDWEB", "not-the-secret") {
        wrong.push("-H".to_owned());
        wrong.push(format!("{name}: {value}"));
    }
    let wrong: Vec<&str> = wrong.iter().map(String::as_str).collect();
    assert_eq!(curl(&emulator, path, &wrong).await.status, 403);
}

/// A `RESPONSE_STREAM` URL passes the first chunk on while the function has not written the
/// last: the probe's streaming runtime writes `first`, waits for the gate file its event's
/// body names, then writes `last`.
#[tokio::test]
async fn response_stream_urls_stream_as_the_function_writes() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let gate = support::temp_dir().join("gate");
    let body = json!({ "gate": gate }).to_string();
    let stream = tokio::net::TcpStream::connect(emulator.address())
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(
            format!(
                "POST /lambda-url/streamer/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                emulator.address(),
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("first\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), reader.read(&mut buffer))
            .await
            .expect("`first` arrives while the gate is shut")
            .unwrap();
        assert!(
            n > 0,
            "the stream ended early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buffer[..n]);
    }
    assert!(!gate.exists());
    let head = String::from_utf8_lossy(&seen).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(head.contains("content-type: text/plain"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    std::fs::write(&gate, "").unwrap();
    tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut seen))
        .await
        .expect("the stream ends")
        .unwrap();
    assert!(String::from_utf8_lossy(&seen).contains("last\n"));
}

/// A stream that breaks off (the runtime exits mid-body) cuts the HTTP body short: the
/// chunked body has no last chunk, which a client sees as an error. The runtime exits once the
/// test has `first`: a process that exits at once may be seen gone before its answer began,
/// which is a crash before any byte (a 502).
#[tokio::test]
async fn a_stream_that_breaks_off_is_cut_short() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let gate = support::temp_dir().join("gate");
    let body = json!({ "end": "exit", "gate": gate }).to_string();
    let stream = tokio::net::TcpStream::connect(emulator.address())
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(
            format!(
                "POST /lambda-url/streamer/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                emulator.address(),
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("first\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), reader.read(&mut buffer))
            .await
            .expect("`first` arrives")
            .unwrap();
        assert!(
            n > 0,
            "the stream ended early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buffer[..n]);
    }
    std::fs::write(&gate, "").unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut seen)).await;
    let text = String::from_utf8_lossy(&seen);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(!text.ends_with("0\r\n\r\n"), "no last chunk: {text:?}");
}

/// `lambda-test serve` prints each Function URL after its banner, and the URL answers.
#[tokio::test]
async fn serve_prints_each_function_url() {
    use std::io::BufRead as _;
    let dir = support::temp_dir();
    let config = dir.join("lambda-test.toml");
    std::fs::write(
        &config,
        support::config_text(
            "[functions.probe]\nbin = \"probe\"\n[functions.probe.url]\ninvoke_mode = \"RESPONSE_STREAM\"\n[functions.plain]\nbin = \"probe\"\n",
        ),
    )
    .unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-test"))
        .args(["serve", "--port", "0", "--quiet", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(serve.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let endpoint = banner.rsplit(" at ").next().unwrap().to_owned();
    let url_line = lines.next().unwrap().unwrap();
    assert_eq!(
        url_line,
        format!(
            "lambda-test: Function URL of probe (NONE, RESPONSE_STREAM): {endpoint}/lambda-url/probe/"
        )
    );
    let url = url_line.rsplit(": ").next().unwrap().to_owned();
    let output = tokio::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{url}hello"))
        .output()
        .await
        .unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "200");
}

/// `lambda-test serve` with Function URLs, and Python's urllib (and botocore's signer) as the
/// client: `tests/python/url_client.py`, from `.venv` (`./scripts/test-all` installs it).
struct Served {
    child: std::process::Child,
    endpoint: String,
}

impl Served {
    fn start() -> Served {
        use std::io::BufRead as _;
        let dir = support::temp_dir();
        let config = dir.join("lambda-test.toml");
        std::fs::write(&config, support::config_text(FUNCTIONS)).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-test"))
            .args(["serve", "--port", "0", "--quiet", "--config"])
            .arg(&config)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let banner = lines.next().unwrap().unwrap();
        let endpoint = banner.rsplit(" at ").next().unwrap().to_owned();
        // The URL lines follow; nothing else is printed.
        std::thread::spawn(move || lines.for_each(drop));
        Served { child, endpoint }
    }

    fn python(&self, args: &[&str]) -> Value {
        let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let python = workspace.join(".venv/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run ./scripts/test-all, which installs the Python peers into .venv",
            python.display()
        );
        let output = std::process::Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/python/url_client.py"
            ))
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "url_client.py {args:?}: {output:?}"
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn python_clients_get_buffered_streamed_and_signed_answers() {
    let served = Served::start();
    let url =
        |function: &str, path: &str| format!("{}/lambda-url/{function}{path}", served.endpoint);

    let got = served.python(&["get", &url("probe", "/items?id=3")]);
    assert_eq!(got["status"], 200);
    let echo: Value = serde_json::from_str(got["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["event"]["rawPath"], "/items");
    assert_eq!(echo["event"]["queryStringParameters"], json!({"id": "3"}));
    assert!(
        echo["event"]["headers"]["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("Python-urllib/")
    );

    let failed = served.python(&["get", &url("probe", "/"), r#"{"action":"error"}"#]);
    assert_eq!(failed["status"], 502);
    assert_eq!(failed["body"], "Internal Server Error");

    let gate = support::temp_dir().join("gate");
    let streamed = served.python(&["stream", &url("streamer", "/"), gate.to_str().unwrap()]);
    assert_eq!(streamed["status"], 200);
    assert_eq!(streamed["content_type"], "text/plain");
    assert_eq!(streamed["first"], "first\n");
    assert_eq!(streamed["gate_was_shut_at_first_chunk"], true);
    assert_eq!(streamed["body"], "first\nlast\n");

    let signed = served.python(&["signed", &url("private", "/me"), "AKIDWEB", "web-secret"]);
    assert_eq!(signed["status"], 200, "{signed}");
    let echo: Value = serde_json::from_str(signed["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        echo["event"]["requestContext"]["authorizer"]["iam"]["userArn"],
        "arn:aws:iam::123456789012:role/web"
    );
    let refused = served.python(&["signed", &url("private", "/me"), "AKIDWEB", "wrong"]);
    assert_eq!(refused["status"], 403);
    assert_eq!(refused["body"], r#"{"Message":"Forbidden"}"#);
}

/// Bad input at a Function URL: malformed HTTP (a bad request line, a bad length, a path too
/// long) is refused by the HTTP layer with 400 or 414, never a 5xx; an answer that is no HTTP
/// response is passed on as a JSON body; the local Lambda goes on serving.
#[tokio::test]
async fn malformed_requests_and_non_http_answers() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (emulator, _client) = support::start(FUNCTIONS).await;
    let path = "a".repeat(100_000);
    for (request, expected) in [
        ("GARBAGE\r\n\r\n".to_owned(), 400),
        (
            "GET /lambda-url/probe/ HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n".to_owned(),
            400,
        ),
        (
            format!("GET /lambda-url/probe/{path} HTTP/1.1\r\nHost: x\r\n\r\n"),
            414,
        ),
    ] {
        let mut stream = tokio::net::TcpStream::connect(emulator.address())
            .await
            .unwrap();
        let _ = stream.write_all(request.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        let text = String::from_utf8_lossy(&answer);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        assert_eq!(status, expected, "{:?}: {text}", &request[..20]);
    }
    // The probe's echo is JSON without `statusCode`: a 200 JSON body, as Function URLs send it.
    let answer = curl(&emulator, "/lambda-url/probe/", &[]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert!(answer.json()["event"].is_object());
}

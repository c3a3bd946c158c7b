//! Malformed input gets AWS's exact error, and loses nothing: a table of malformed Invoke
//! requests sent as raw HTTP, and a table of malformed `lambda-test.toml` files.

mod support;

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lambda_test::config::Config;
use support::{raw, start};

const FUNCTIONS: &str = r#"
[functions.probe]
bin = "probe"

[functions.probe.versions.1]

[functions.probe.aliases]
live = "1"

[functions.unpublished]
bin = "probe"
"#;

struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    error_type: &'static str,
}

fn case(what: &'static str, method: &'static str, path: impl Into<String>) -> Case {
    Case {
        what,
        method,
        path: path.into(),
        headers: Vec::new(),
        body: b"{}".to_vec(),
        status: 0,
        error_type: "",
    }
}

impl Case {
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
    fn expect(mut self, status: u16, error_type: &'static str) -> Self {
        self.status = status;
        self.error_type = error_type;
        self
    }
}

const INVOKE: &str = "/2015-03-31/functions/probe/invocations";

fn invoke_path(name: &str) -> String {
    format!("/2015-03-31/functions/{name}/invocations")
}

fn cases() -> Vec<Case> {
    let validation = "ValidationException";
    let content = "InvalidRequestContentException";
    let not_found = "ResourceNotFoundException";
    let too_large = "RequestEntityTooLargeException";
    let unknown_op = "UnknownOperationException";
    let b64 = |s: &str| BASE64.encode(s);
    vec![
        // Methods and paths.
        case("GET on invocations", "GET", INVOKE).expect(404, unknown_op),
        case("PUT on invocations", "PUT", INVOKE).expect(404, unknown_op),
        case("DELETE on invocations", "DELETE", INVOKE).expect(404, unknown_op),
        case("PATCH on invocations", "PATCH", INVOKE).expect(404, unknown_op),
        case("OPTIONS on invocations", "OPTIONS", INVOKE).expect(404, unknown_op),
        case("trailing slash", "POST", format!("{INVOKE}/")).expect(404, unknown_op),
        case(
            "GET on invoke-async",
            "GET",
            "/2014-11-13/functions/probe/invoke-async",
        )
        .expect(404, unknown_op),
        case(
            "empty name on invoke-async",
            "POST",
            "/2014-11-13/functions//invoke-async",
        )
        .expect(400, validation),
        case(
            "no invocations segment",
            "POST",
            "/2015-03-31/functions/probe",
        )
        .expect(404, unknown_op),
        case("extra segment", "POST", format!("{INVOKE}/extra")).expect(404, unknown_op),
        case("root", "POST", "/").expect(404, unknown_op),
        case(
            "unknown API version",
            "POST",
            "/2016-01-01/functions/probe/invocations",
        )
        .expect(404, unknown_op),
        // InvokeWithResponseStream lives under its own API date (tests/streaming.rs); under
        // Invoke's, as cargo-lambda serves it, it is no operation.
        case(
            "response streaming under Invoke's date",
            "POST",
            "/2015-03-31/functions/probe/response-streaming-invocations",
        )
        .expect(404, unknown_op),
        // Names.
        case("empty name", "POST", invoke_path("")).expect(400, validation),
        case("space in name", "POST", invoke_path("bad%20name")).expect(400, validation),
        // AWS looks an over-long bare name up and finds nothing (recorded November 2025,
        // tests/fidelity.rs).
        case("65-character name", "POST", invoke_path(&"a".repeat(65))).expect(404, not_found),
        case(
            "257-character ARN",
            "POST",
            invoke_path(&format!(
                "arn:aws:lambda:us-east-1:123456789012:function:{}",
                "a".repeat(220)
            )),
        )
        .expect(400, validation),
        case("two qualifiers", "POST", invoke_path("probe:a:b")).expect(400, validation),
        case(
            "bad region in ARN",
            "POST",
            invoke_path("arn:aws:lambda:useast1:123456789012:function:probe"),
        )
        .expect(400, validation),
        case(
            "short account in ARN",
            "POST",
            invoke_path("arn:aws:lambda:us-east-1:1234:function:probe"),
        )
        .expect(400, validation),
        case("name not UTF-8", "POST", invoke_path("%FF%FE")).expect(400, validation),
        case("slash in name", "POST", invoke_path("a%2Fb")).expect(400, validation),
        case(
            "other region",
            "POST",
            invoke_path("arn:aws:lambda:eu-west-1:123456789012:function:probe"),
        )
        .expect(404, not_found),
        case("unknown function", "POST", invoke_path("ghost")).expect(404, not_found),
        case("unknown alias", "POST", invoke_path("probe:ghost")).expect(404, not_found),
        case("unknown version", "POST", invoke_path("probe:99")).expect(404, not_found),
        case(
            "qualifier conflict",
            "POST",
            format!("{}?Qualifier=1", invoke_path("probe:live")),
        )
        .expect(400, "InvalidParameterValueException"),
        // Qualifiers.
        case("empty Qualifier", "POST", format!("{INVOKE}?Qualifier=")).expect(400, validation),
        case(
            "space in Qualifier",
            "POST",
            format!("{INVOKE}?Qualifier=a%20b"),
        )
        .expect(400, validation),
        case(
            "129-character Qualifier",
            "POST",
            format!("{INVOKE}?Qualifier={}", "q".repeat(129)),
        )
        .expect(400, validation),
        case(
            "no published version",
            "POST",
            format!(
                "{}?Qualifier=%24LATEST.PUBLISHED",
                invoke_path("unpublished")
            ),
        )
        .expect(400, "NoPublishedVersionException"),
        // Headers.
        case("unknown invocation type", "POST", INVOKE)
            .header("X-Amz-Invocation-Type", "Async")
            .expect(400, validation),
        case("invocation type in lower case", "POST", INVOKE)
            .header("X-Amz-Invocation-Type", "event")
            .expect(400, validation),
        case("unknown log type", "POST", INVOKE)
            .header("X-Amz-Log-Type", "Full")
            .expect(400, validation),
        case("client context not base64", "POST", INVOKE)
            .header("X-Amz-Client-Context", "%%%")
            .expect(400, content),
        case("client context an array", "POST", INVOKE)
            .header("X-Amz-Client-Context", b64("[1,2]"))
            .expect(400, content),
        case("client context not JSON", "POST", INVOKE)
            .header("X-Amz-Client-Context", b64("{oops"))
            .expect(400, content),
        case("client context too long", "POST", INVOKE)
            .header(
                "X-Amz-Client-Context",
                b64(&format!("{{\"k\":\"{}\"}}", "v".repeat(3000))),
            )
            .expect(400, content),
        // Bodies.
        case("unterminated object", "POST", INVOKE)
            .body("{")
            .expect(400, content),
        case("invalid UTF-8 body", "POST", INVOKE)
            .body(vec![b'"', 0xFF, 0xFE, b'"'])
            .expect(400, content),
        case("trailing garbage", "POST", INVOKE)
            .body("{} x")
            .expect(400, content),
        case("bare word", "POST", INVOKE)
            .body("nope")
            .expect(400, content),
        case("control character in string", "POST", INVOKE)
            .body(b"\"a\x01b\"".to_vec())
            .expect(400, content),
        case("DryRun with a non-JSON body", "POST", INVOKE)
            .header("X-Amz-Invocation-Type", "DryRun")
            .body("{")
            .expect(400, content),
        case(
            "Event for an unknown function",
            "POST",
            invoke_path("ghost"),
        )
        .header("X-Amz-Invocation-Type", "Event")
        .expect(404, not_found),
        case("sync body over 6 MB", "POST", INVOKE)
            .body(vec![b' '; 6_291_457])
            .expect(413, too_large),
        case("Event body over 1 MB", "POST", INVOKE)
            .header("X-Amz-Invocation-Type", "Event")
            .body(vec![b' '; 1_048_577])
            .expect(413, too_large),
        case("request far over the limit", "POST", INVOKE)
            .body(vec![b' '; 8 << 20])
            .expect(413, too_large),
    ]
}

#[tokio::test]
async fn malformed_requests_get_the_exact_aws_error() {
    let (emulator, client) = start(FUNCTIONS).await;
    let table = cases();
    assert!(table.len() >= 40, "{} cases", table.len());
    let mut failures = Vec::new();
    for c in &table {
        let headers: Vec<(&str, &str)> = c.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let answer = raw(&emulator, c.method, &c.path, &headers, &c.body).await;
        let error_type = answer.header("x-amzn-errortype").unwrap_or("(none)");
        let body: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
        let message = body
            .as_ref()
            .and_then(|b| b.get("message").or_else(|| b.get("Message")))
            .and_then(|m| m.as_str());
        if answer.status != c.status
            || error_type != c.error_type
            || message.is_none_or(str::is_empty)
            || answer.header("x-amzn-requestid").is_none()
        {
            failures.push(format!(
                "{}: expected {} {} with a request id, got {} {error_type} {} (request id {:?})",
                c.what,
                c.status,
                c.error_type,
                answer.status,
                String::from_utf8_lossy(&answer.body),
                answer.header("x-amzn-requestid")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing was lost: the local Lambda still serves.
    let out = client
        .invoke()
        .function_name("probe")
        .send()
        .await
        .expect("still serving");
    assert_eq!(out.status_code(), 200);
}

#[tokio::test]
async fn every_json_value_is_a_valid_payload() {
    let (emulator, _) = start(FUNCTIONS).await;
    for body in ["null", "\"text\"", "42", "[1,2]", "true", " {\"a\": [] } "] {
        let answer = raw(&emulator, "POST", INVOKE, &[], body.as_bytes()).await;
        assert_eq!(answer.status, 200, "{body}");
        let echoed = answer.json()["event"].clone();
        assert_eq!(
            echoed,
            serde_json::from_str::<serde_json::Value>(body).unwrap(),
            "{body}"
        );
    }
}

#[test]
fn malformed_config_files_name_the_file_line_and_key() {
    // (file text, line the message must name, text the message must contain)
    let table: &[(&str, usize, &str)] = &[
        (
            "[functions.f]\nbin = \"f\"\ntimout = 3\n",
            3,
            "unknown field `timout`",
        ),
        (
            "[emulator]\nregon = \"us-east-1\"\n",
            2,
            "unknown field `regon`",
        ),
        ("[functions.f]\nbin = 3\n", 2, "invalid type"),
        (
            "[functions.f]\nbin = \"f\"\ntimeout = \"3\"\n",
            3,
            "invalid type",
        ),
        (
            "[functions.f]\nbin = \"f\"\nenvironment = [\"A=1\"]\n",
            3,
            "environment",
        ),
        ("[functions.f\nbin = \"f\"\n", 1, "TOML parse error"),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.versions.1]\nmemory = 256\n",
            4,
            "unknown field `memory`",
        ),
        ("[functions.f]\ntimeout = 3\n", 1, "needs `bin`"),
        (
            "[functions.f]\nbin = \"f\"\ntimeout = 0\n",
            1,
            "`timeout` = 0",
        ),
        (
            "[functions.f]\nbin = \"f\"\nmemory_size = 64\n",
            1,
            "`memory_size` = 64",
        ),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.aliases]\nlive = \"3\"\n",
            4,
            "alias `live` points at version \"3\"",
        ),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.aliases]\n7 = \"$LATEST\"\n",
            4,
            "alias \"7\"",
        ),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.versions.v1]\n",
            3,
            "version \"v1\"",
        ),
        ("[emulator]\nregion = \"mars\"\n", 2, "`emulator.region`"),
        (
            "[emulator]\naccount_id = \"42\"\n",
            2,
            "`emulator.account_id`",
        ),
        (
            "[functions.\"bad name\"]\nbin = \"f\"\n",
            1,
            "function name \"bad name\"",
        ),
        (
            "[functions.f]\nbin = \"f\"\nallow = [\"ghost\"]\n",
            3,
            "`allow` names \"ghost\"",
        ),
        (
            "[functions.f]\nbin = \"f\"\ncommand = [\"python3\"]\n",
            1,
            "both `bin` and `command`",
        ),
    ];
    let path = Path::new("/pkg/lambda-test.toml");
    for (text, line, needle) in table {
        let message = Config::parse(text, path)
            .err()
            .unwrap_or_else(|| panic!("accepted:\n{text}"))
            .to_string();
        assert!(
            message.starts_with("invalid /pkg/lambda-test.toml: "),
            "{message}"
        );
        assert!(
            message.contains(&format!("line {line}")),
            "line {line}: {message}"
        );
        assert!(message.contains(needle), "{needle}: {message}");
    }
}

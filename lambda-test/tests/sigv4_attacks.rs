//! Attacks on SigV4 verification, end to end over HTTP against a real local Lambda. Each
//! request is first signed correctly (`aws-sigv4` as a client, with the headers botocore
//! signs for Invoke), then altered on the wire. Every alteration must be refused with AWS's
//! status and error type (lambda-api.md 10.3), and the function must not run; the rows that
//! alter nothing that SigV4 signs (header-name case, spacing) must pass, so the table can fail.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use lambda_test::emulator::Emulator;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const FUNCTIONS: &str = r#"
[emulator.principals.ci]
access_key_id = "AKIDCI"
secret_access_key = "ci-secret"

[emulator.principals.other]
access_key_id = "AKIDOTHER"
secret_access_key = "other-secret"

[functions.probe]
bin = "probe"

[functions.probe.versions.1]

[functions.open]
bin = "probe"
"#;

/// The functions a refused request could have run, had it passed.
const TARGETS: [&str; 3] = ["probe", "probe:1", "open"];

const PROBE: &str = "/2015-03-31/functions/probe/invocations";
const BODY: &[u8] = br#"{"a":1}"#;

/// AWS's answers (lambda-api.md 10.3).
const INVALID: Outcome = Outcome::Refused(403, "InvalidSignatureException");
const INCOMPLETE: Outcome = Outcome::Refused(400, "IncompleteSignatureException");
const UNRECOGNIZED: Outcome = Outcome::Refused(403, "UnrecognizedClientException");
const MISSING: Outcome = Outcome::Refused(403, "MissingAuthenticationTokenException");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// 200, and the function ran once.
    Runs,
    /// This status and `x-amzn-ErrorType`, and nothing ran.
    Refused(u16, &'static str),
}

/// How a client signs: the defaults are botocore's for Invoke.
#[derive(Clone)]
struct Signing {
    key: &'static str,
    secret: &'static str,
    region: &'static str,
    service: &'static str,
    at: SystemTime,
    session_token: Option<&'static str>,
    /// Sends and signs `x-amz-content-sha256` (the S3 style): the body's hash, or
    /// `UNSIGNED-PAYLOAD` when `unsigned`.
    content_sha256: Option<Payload>,
}

#[derive(Clone, Copy)]
enum Payload {
    Hashed,
    Unsigned,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            key: "AKIDCI",
            secret: "ci-secret",
            region: "us-east-1",
            service: "lambda",
            at: SystemTime::now(),
            session_token: None,
            content_sha256: None,
        }
    }
}

/// A request as it goes on the wire: everything an attacker may alter.
#[derive(Clone, Debug)]
struct Wire {
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

/// The headers botocore signs for a synchronous Invoke, besides Host and X-Amz-Date.
const BOTOCORE_HEADERS: [(&str, &str); 3] = [
    ("Content-Type", "application/json"),
    ("X-Amz-Invocation-Type", "RequestResponse"),
    ("X-Amz-Log-Type", "None"),
];

impl Wire {
    /// A correctly signed request to `target` (path and query as sent).
    fn signed(
        how: &Signing,
        host: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Wire {
        let mut all: Vec<(String, Vec<u8>)> = vec![("Host".into(), host.into())];
        all.extend(
            headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec())),
        );
        let identity = Credentials::new(
            how.key,
            how.secret,
            how.session_token.map(str::to_owned),
            None,
            "sigv4_attacks",
        )
        .into();
        let mut settings = SigningSettings::default();
        if how.content_sha256.is_some() {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(how.region)
            .name(how.service)
            .time(how.at)
            .settings(settings)
            .build()
            .expect("signing params")
            .into();
        let signable_body = match how.content_sha256 {
            Some(Payload::Unsigned) => SignableBody::UnsignedPayload,
            _ => SignableBody::Bytes(body),
        };
        let signable = SignableRequest::new(
            "POST",
            format!("http://{host}{target}"),
            all.iter()
                .map(|(n, v)| (n.as_str(), std::str::from_utf8(v).expect("text"))),
            signable_body,
        )
        .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("signed").into_parts();
        for (name, value) in instructions.headers() {
            all.push((name.to_owned(), value.as_bytes().to_vec()));
        }
        Wire {
            target: target.to_owned(),
            headers: all,
            body: body.to_vec(),
        }
    }

    fn values(&self, name: &str) -> Vec<&[u8]> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    fn text(&self, name: &str) -> String {
        String::from_utf8(self.values(name)[0].to_vec()).expect("text")
    }

    /// Replaces every value of `name` (case-insensitively) by one, keeping its place.
    fn set(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        let value = value.into();
        let mut placed = false;
        self.headers.retain_mut(|(n, v)| {
            if !n.eq_ignore_ascii_case(name) {
                return true;
            }
            *v = value.clone();
            !std::mem::replace(&mut placed, true)
        });
        if !placed {
            self.headers.push((name.to_owned(), value));
        }
        self
    }

    fn add(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn remove(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// Rewrites the Authorization header's text.
    fn authorization(self, edit: impl FnOnce(&str) -> String) -> Self {
        let edited = edit(&self.text("authorization"));
        self.set("Authorization", edited)
    }

    /// Replaces `from` by `to` once in the Authorization header (which must contain it).
    fn replace_in_authorization(self, from: &str, to: &str) -> Self {
        self.authorization(|a| {
            assert!(a.contains(from), "{a} has no {from}");
            a.replacen(from, to, 1)
        })
    }

    fn target(mut self, target: &str) -> Self {
        self.target = target.to_owned();
        self
    }

    fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    fn rename_headers(mut self, rename: impl Fn(&str) -> String) -> Self {
        for (name, _) in &mut self.headers {
            *name = rename(name);
        }
        self
    }

    /// Sends the request as raw bytes and reads the status and error type.
    async fn send(&self, emulator: &Emulator) -> (u16, Option<String>) {
        let mut request = format!("POST {} HTTP/1.1\r\n", self.target).into_bytes();
        for (name, value) in &self.headers {
            request.extend(name.as_bytes());
            request.extend(b": ");
            request.extend(value);
            request.extend(b"\r\n");
        }
        request.extend(
            format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                self.body.len()
            )
            .as_bytes(),
        );
        request.extend(&self.body);
        let mut stream = tokio::net::TcpStream::connect(emulator.address())
            .await
            .expect("connect");
        stream.write_all(&request).await.expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("read");
        let head = String::from_utf8_lossy(&response);
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {head:?}"));
        let error_type = head
            .split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amzn-errortype"))
            .map(|(_, v)| v.trim().to_owned());
        (status, error_type)
    }
}

/// `YYYYMMDDTHHMMSSZ`.
fn amz_date(at: SystemTime) -> String {
    let t = time::OffsetDateTime::from(at);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Counts the runs of every target through the probe's `count` action, so a refused request
/// that ran anyway shows.
struct Runs {
    client: aws_sdk_lambda::Client,
    /// Per target: its instance's pid and the invocations it served.
    served: BTreeMap<&'static str, (u64, u64)>,
}

impl Runs {
    async fn new(emulator: &Emulator) -> Runs {
        let config = aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(emulator.endpoint())
            .credentials_provider(Credentials::new("AKIDCI", "ci-secret", None, None, "runs"))
            .retry_config(RetryConfig::disabled())
            // A plain HTTP client: lambda-test builds the SDK without its default HTTPS one.
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        let mut runs = Runs {
            client: aws_sdk_lambda::Client::from_conf(config),
            served: BTreeMap::new(),
        };
        runs.since_last(emulator).await;
        runs
    }

    /// The runs of any target since the last call (the counting calls not included).
    async fn since_last(&mut self, emulator: &Emulator) -> u64 {
        emulator.events_drained().await;
        let mut ran = 0;
        for target in TARGETS {
            let out = self
                .client
                .invoke()
                .function_name(target)
                .payload(aws_sdk_lambda::primitives::Blob::new(
                    r#"{"action":"count"}"#,
                ))
                .send()
                .await
                .unwrap_or_else(|e| panic!("counting {target}: {e:?}"));
            let counted: serde_json::Value =
                serde_json::from_slice(out.payload().expect("payload").as_ref()).expect("json");
            let (pid, served) = (
                counted["pid"].as_u64().unwrap(),
                counted["served"].as_u64().unwrap(),
            );
            match self.served.insert(target, (pid, served)) {
                None => ran += served - 1,
                Some((last_pid, last)) => {
                    assert_eq!(
                        last_pid, pid,
                        "{target} changed instance: runs cannot be counted"
                    );
                    ran += served - last - 1;
                }
            }
        }
        ran
    }
}

/// One attack: a request and what AWS answers it.
struct Row {
    name: String,
    wire: Wire,
    expect: Outcome,
}

fn row(name: impl Into<String>, wire: Wire, expect: Outcome) -> Row {
    Row {
        name: name.into(),
        wire,
        expect,
    }
}

/// The rows that alter the signature's scope, time and credentials.
#[rustfmt::skip]
fn scope_and_time_rows(host: &str) -> Vec<Row> {
    let now = SystemTime::now();
    let signed = |how: Signing| Wire::signed(&how, host, PROBE, &BOTOCORE_HEADERS, BODY);
    let base = signed(Signing::default());
    let date = amz_date(now)[..8].to_owned();
    let minutes = |m: u64| Duration::from_secs(m * 60);
    vec![
        row("scope date changed", base.clone().replace_in_authorization(&format!("/{date}/"), "/20000101/"), INVALID),
        row("scope region changed", base.clone().replace_in_authorization("/us-east-1/", "/us-west-2/"), INVALID),
        row("scope region not a region", base.clone().replace_in_authorization("/us-east-1/", "/moon/"), INVALID),
        row("signed for another region", signed(Signing { region: "eu-west-1", ..Signing::default() }), INVALID),
        row("scope service changed", base.clone().replace_in_authorization("/lambda/", "/s3/"), INVALID),
        row("signed for another service", signed(Signing { service: "execute-api", ..Signing::default() }), INVALID),
        row("terminator changed", base.clone().replace_in_authorization("/aws4_request", "/aws4_request2"), INVALID),
        row("terminator in capitals", base.clone().replace_in_authorization("/aws4_request", "/AWS4_REQUEST"), INVALID),
        row("credential with four parts", base.clone().replace_in_authorization("/lambda/aws4_request", "/lambda"), INCOMPLETE),
        row("credential with six parts", base.clone().replace_in_authorization("/aws4_request", "/aws4_request/x"), INCOMPLETE),
        row("signed six minutes ago", signed(Signing { at: now - minutes(6), ..Signing::default() }), INVALID),
        row("signed six minutes ahead", signed(Signing { at: now + minutes(6), ..Signing::default() }), INVALID),
        row("signed a day ago", signed(Signing { at: now - minutes(24 * 60), ..Signing::default() }), INVALID),
        row("x-amz-date a day later than the scope", base.clone().set("X-Amz-Date", amz_date(now + minutes(24 * 60))), INVALID),
        row("x-amz-date one second later", base.clone().set("X-Amz-Date", amz_date(now + Duration::from_secs(1))), INVALID),
        row("x-amz-date sent twice", base.clone().add("X-Amz-Date", base.text("x-amz-date")), INVALID),
        row("x-amz-date removed", base.clone().remove("X-Amz-Date"), INCOMPLETE),
        row("x-amz-date malformed", base.clone().set("X-Amz-Date", format!("{date}T25:00:00Z")), INCOMPLETE),
        row("x-amz-date in ISO 8601 extended form", base.clone().set("X-Amz-Date", time_extended(now)), INCOMPLETE),
        row("unknown access key", signed(Signing { key: "AKIDNOBODY", ..Signing::default() }), UNRECOGNIZED),
        row("access key in lower case", base.clone().replace_in_authorization("AKIDCI/", "akidci/"), UNRECOGNIZED),
        row("wrong secret", signed(Signing { secret: "not-the-secret", ..Signing::default() }), INVALID),
        row("another principal's key on ci's signature", base.clone().replace_in_authorization("AKIDCI/", "AKIDOTHER/"), INVALID),
        row("signed with a session token", signed(Signing { session_token: Some("token"), ..Signing::default() }), UNRECOGNIZED),
        row("session token altered", signed(Signing { session_token: Some("token"), ..Signing::default() }).set("X-Amz-Security-Token", "tokem"), UNRECOGNIZED),
        row("signed session token removed", signed(Signing { session_token: Some("token"), ..Signing::default() }).remove("X-Amz-Security-Token"), INVALID),
        row("unsigned session token added", base.clone().add("X-Amz-Security-Token", "token"), UNRECOGNIZED),
    ]
}

fn time_extended(at: SystemTime) -> String {
    let t = time::OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The rows that alter the Authorization header itself.
#[rustfmt::skip]
fn authorization_rows(host: &str) -> Vec<Row> {
    let base = Wire::signed(&Signing::default(), host, PROBE, &BOTOCORE_HEADERS, BODY);
    let authorization = base.text("authorization");
    let signature = authorization
        .rsplit_once("Signature=")
        .unwrap()
        .1
        .to_owned();
    let flipped = format!(
        "{}{}",
        &signature[..63],
        if signature.ends_with('0') { '1' } else { '0' }
    );
    let signed_headers = "content-type;host;x-amz-date;x-amz-invocation-type;x-amz-log-type";
    assert!(authorization.contains(signed_headers), "{authorization}");
    let list = |to: &str| base.clone().replace_in_authorization(signed_headers, to);
    let algorithm = |to: &str| {
        base.clone()
            .replace_in_authorization("AWS4-HMAC-SHA256 ", to)
    };
    vec![
        row("no Authorization", base.clone().remove("Authorization"), MISSING),
        row("Authorization twice, the same", base.clone().add("Authorization", authorization.clone()), INCOMPLETE),
        row("Authorization twice, the valid one first", base.clone().add("Authorization", "AWS4-HMAC-SHA256 Credential=x"), INCOMPLETE),
        row("Authorization twice, the valid one last", base.clone().set("Authorization", "AWS4-HMAC-SHA256 Credential=x").add("Authorization", authorization.clone()), INCOMPLETE),
        row("signature one digit changed", base.clone().replace_in_authorization(&signature, &flipped), INVALID),
        row("signature in capitals", base.clone().replace_in_authorization(&signature, &signature.to_uppercase()), INVALID),
        row("signature truncated", base.clone().replace_in_authorization(&signature, &signature[..32]), INVALID),
        row("signature empty", base.clone().replace_in_authorization(&signature, ""), INVALID),
        row("two Signature parameters, the valid one first", base.clone().authorization(|a| format!("{a}, Signature={flipped}")), INCOMPLETE),
        row("two Signature parameters, the valid one last", base.clone().authorization(|a| a.replacen("Credential=", &format!("Signature={flipped}, Credential="), 1)), INCOMPLETE),
        row("two Credential parameters", base.clone().authorization(|a| format!("{a}, Credential=AKIDOTHER/20000101/us-east-1/lambda/aws4_request")), INCOMPLETE),
        row("two SignedHeaders parameters", base.clone().authorization(|a| format!("{a}, SignedHeaders=host;x-amz-date")), INCOMPLETE),
        row("Signature without its equal sign", base.clone().replace_in_authorization("Signature=", "Signature "), INCOMPLETE),
        row("Credential without its equal sign", base.clone().replace_in_authorization("Credential=", "Credential"), INCOMPLETE),
        row("space after Credential=", base.clone().replace_in_authorization("Credential=", "Credential= "), INCOMPLETE),
        row("spaces around the equal sign", base.clone().replace_in_authorization("Signature=", "Signature = "), INCOMPLETE),
        row("Signature missing", base.clone().authorization(|a| a.rsplit_once(", Signature=").unwrap().0.to_owned()), INCOMPLETE),
        row("Credential empty", base.clone().authorization(|a| format!("AWS4-HMAC-SHA256 Credential=, {}", a.split_once(", ").unwrap().1)), INCOMPLETE),
        row("algorithm SHA512", algorithm("AWS4-HMAC-SHA512 "), INCOMPLETE),
        row("algorithm in lower case", algorithm("aws4-hmac-sha256 "), INCOMPLETE),
        row("algorithm SigV4a", algorithm("AWS4-ECDSA-P256-SHA256 "), INCOMPLETE),
        row("no algorithm", algorithm(""), INCOMPLETE),
        row("algorithm joined to Credential by a comma", algorithm("AWS4-HMAC-SHA256,"), INCOMPLETE),
        row("SignedHeaders without host", list("content-type;x-amz-date;x-amz-invocation-type;x-amz-log-type"), INVALID),
        row("SignedHeaders without x-amz-date", list("content-type;host;x-amz-invocation-type;x-amz-log-type"), INVALID),
        row("SignedHeaders naming a header sent unsigned", list("content-length;content-type;host;x-amz-date;x-amz-invocation-type;x-amz-log-type"), INVALID),
        row("SignedHeaders naming a header not sent", list("content-type;host;x-amz-client-context;x-amz-date;x-amz-invocation-type;x-amz-log-type"), INVALID),
        row("SignedHeaders reordered", list("host;content-type;x-amz-date;x-amz-invocation-type;x-amz-log-type"), INVALID),
        row("SignedHeaders in capitals", list("Content-Type;Host;X-Amz-Date;X-Amz-Invocation-Type;X-Amz-Log-Type"), INVALID),
        row("SignedHeaders naming host twice", list("content-type;host;host;x-amz-date;x-amz-invocation-type;x-amz-log-type"), INVALID),
        row("SignedHeaders with a trailing semicolon", list(&format!("{signed_headers};")), INVALID),
        row("SignedHeaders empty", list(""), INVALID),
    ]
}

/// The rows that alter what the signature covers: signed headers, path, query and body.
#[rustfmt::skip]
fn content_rows(host: &str) -> Vec<Row> {
    let signed = |target: &str, body: &[u8]| {
        Wire::signed(&Signing::default(), host, target, &BOTOCORE_HEADERS, body)
    };
    let base = signed(PROBE, BODY);
    let mut rows = Vec::new();
    for (name, value) in [("Host", host)].into_iter().chain(BOTOCORE_HEADERS) {
        let altered: &[u8] = match name {
            "Host" => b"localhost",
            "X-Amz-Invocation-Type" => b"Event",
            "X-Amz-Log-Type" => b"Tail",
            _ => b"text/plain",
        };
        rows.push(row(format!("{name} altered"), base.clone().set(name, altered), INVALID));
        rows.push(row(format!("{name} sent twice"), base.clone().add(name, value), INVALID));
        // Authentication comes first (lambda-api.md 3.6), so the Invoke API's own header
        // checks never answer an altered signed header.
        rows.push(row(format!("{name} split in two"), base.clone().set(name, &value[..2]).add(name, &value[2..]), INVALID));
        rows.push(row(format!("{name} not valid UTF-8"), base.clone().set(name, [&value.as_bytes()[..2], b"\xff"].concat()), INVALID));
        rows.push(row(format!("{name} with a tab for a space"), base.clone().set(name, format!("{value}\tx")), INVALID));
        if name != "Host" {
            rows.push(row(format!("{name} removed"), base.clone().remove(name), INVALID));
        }
    }
    // Repeated values verify joined with commas: split at a signed comma, they would verify.
    let comma = Wire::signed(
        &Signing::default(),
        host,
        PROBE,
        &[("Content-Type", "application/json,text/plain")],
        BODY,
    );
    rows.push(row("a signed value split in two at its comma", comma.set("Content-Type", "application/json").add("Content-Type", "text/plain"), INVALID));
    let qualified = signed(&format!("{PROBE}?Qualifier=1"), BODY);
    let colon = signed("/2015-03-31/functions/probe%3A1/invocations", BODY);
    let content_sha256 = |payload| {
        let how = Signing {
            content_sha256: Some(payload),
            ..Signing::default()
        };
        Wire::signed(&how, host, PROBE, &BOTOCORE_HEADERS, BODY)
    };
    rows.extend([
        row("Qualifier added", base.clone().target(&format!("{PROBE}?Qualifier=1")), INVALID),
        row("Qualifier changed", qualified.clone().target(&format!("{PROBE}?Qualifier=%24LATEST")), INVALID),
        row("Qualifier removed", qualified.clone().target(PROBE), INVALID),
        row("Qualifier given twice", qualified.clone().target(&format!("{PROBE}?Qualifier=1&Qualifier=%24LATEST")), INVALID),
        row("another function in the path", base.clone().target("/2015-03-31/functions/open/invocations"), INVALID),
        row("function name in capitals", base.clone().target("/2015-03-31/functions/PROBE/invocations"), INVALID),
        row("%3A sent as a colon", colon.clone().target("/2015-03-31/functions/probe:1/invocations"), INVALID),
        row("a colon sent as %3A", signed("/2015-03-31/functions/probe:1/invocations", BODY).target("/2015-03-31/functions/probe%3A1/invocations"), INVALID),
        row("%3A sent as %3a", colon.clone().target("/2015-03-31/functions/probe%3a1/invocations"), INVALID),
        row("name percent-encoded", base.clone().target("/2015-03-31/functions/%70robe/invocations"), INVALID),
        // SigV4 normalizes `//` away, but no operation has that path.
        row("a doubled leading slash in the path", base.clone().target(&format!("/{PROBE}")), Outcome::Refused(404, "UnknownOperationException")),
        row("body changed, same length", base.clone().body(br#"{"a":2}"#), INVALID),
        row("body extended", base.clone().body(br#"{"a":1} "#), INVALID),
        row("body emptied", base.clone().body(b""), INVALID),
        row("body changed under a signed x-amz-content-sha256", content_sha256(Payload::Hashed).body(br#"{"a":2}"#), INVALID),
        row("body changed under UNSIGNED-PAYLOAD", content_sha256(Payload::Unsigned).body(br#"{"a":2}"#), INVALID),
        row("UNSIGNED-PAYLOAD declared", content_sha256(Payload::Unsigned), INVALID),
        row("body changed with its hash added unsigned", base.clone().body(br#"{"a":2}"#).add("X-Amz-Content-Sha256", hex_sha256(br#"{"a":2}"#)), INVALID),
        row("body changed with a signed hash replaced", content_sha256(Payload::Hashed).body(br#"{"a":2}"#).set("X-Amz-Content-Sha256", hex_sha256(br#"{"a":2}"#)), INVALID),
    ]);
    rows
}

fn hex_sha256(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(data))
}

/// Requests that differ from what was signed only where SigV4 says they may.
#[rustfmt::skip]
fn passing_rows(host: &str) -> Vec<Row> {
    let signed =
        |how: Signing, target: &str| Wire::signed(&how, host, target, &BOTOCORE_HEADERS, BODY);
    let base = signed(Signing::default(), PROBE);
    let spaced = Wire::signed(
        &Signing::default(),
        host,
        PROBE,
        &[("Content-Type", "application/json;  charset=utf-8")],
        BODY,
    );
    vec![
        row("unaltered", base.clone(), Outcome::Runs),
        row("header names in other cases", base.clone().rename_headers(|n| { if n.len() % 2 == 0 { n.to_uppercase() } else { n.to_lowercase() } }), Outcome::Runs),
        row("spacing between the Authorization parameters", base.clone().authorization(|a| a.replace(", ", " ,  ").replacen("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256   ", 1)), Outcome::Runs),
        row("runs of spaces in a signed value", spaced.clone().set("Content-Type", "application/json;    charset=utf-8"), Outcome::Runs),
        row("a signed x-amz-content-sha256 of the body", signed(Signing { content_sha256: Some(Payload::Hashed), ..Signing::default() }, PROBE), Outcome::Runs),
        row("a signed Qualifier", signed(Signing::default(), &format!("{PROBE}?Qualifier=1")), Outcome::Runs),
        row("a signed colon-qualified name", signed(Signing::default(), "/2015-03-31/functions/probe%3A1/invocations"), Outcome::Runs),
        // Dot segments normalize away (SDKs normalize too); the route is the same.
        row("an absolute-form request target", base.clone().target(&format!("http://{host}{PROBE}")), Outcome::Runs),
    ]
}

#[tokio::test]
async fn every_altered_signature_is_refused_and_the_function_does_not_run() {
    let (emulator, _) = support::start(FUNCTIONS).await;
    let host = emulator.address().to_string();
    let mut runs = Runs::new(&emulator).await;
    let rows: Vec<Row> = [
        passing_rows(&host),
        scope_and_time_rows(&host),
        authorization_rows(&host),
        content_rows(&host),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut failures = Vec::new();
    for row in &rows {
        let (status, error_type) = row.wire.send(&emulator).await;
        let ran = runs.since_last(&emulator).await;
        let outcome = match (status, ran) {
            (200, 1) => Outcome::Runs,
            (status, 0) => Outcome::Refused(status, error_type_name(error_type.as_deref())),
            _ => {
                failures.push(format!(
                    "{}: {status} {error_type:?}, ran {ran} times",
                    row.name
                ));
                continue;
            }
        };
        if outcome == row.expect {
            continue;
        }
        failures.push(format!(
            "{}: {outcome:?}, expected {:?}",
            row.name, row.expect
        ));
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

fn error_type_name(error_type: Option<&str>) -> &'static str {
    let known = [
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "UnrecognizedClientException",
        "MissingAuthenticationTokenException",
        "ValidationException",
        "InvalidRequestContentException",
        "UnknownOperationException",
    ];
    match error_type {
        None => "(none)",
        Some(t) => known.into_iter().find(|k| *k == t).unwrap_or("(other)"),
    }
}

/// Defect (a): with `x-amz-content-sha256` signed, a body changed after signing was accepted
/// (the client's hash stood in for the body's), and the function ran the changed body.
#[tokio::test]
async fn body_changed_after_signing_with_content_sha256_is_refused() {
    let (emulator, _) = support::start(FUNCTIONS).await;
    let host = emulator.address().to_string();
    let mut runs = Runs::new(&emulator).await;
    let how = Signing {
        content_sha256: Some(Payload::Hashed),
        ..Signing::default()
    };
    let signed = Wire::signed(&how, &host, PROBE, &BOTOCORE_HEADERS, BODY);
    assert_eq!(signed.text("x-amz-content-sha256"), hex_sha256(BODY));
    assert!(
        signed
            .text("authorization")
            .contains("x-amz-content-sha256")
    );

    let changed = signed.clone().body(br#"{"a":2}"#);
    let (status, error_type) = changed.send(&emulator).await;
    assert_eq!(
        (status, error_type.as_deref()),
        (403, Some("InvalidSignatureException"))
    );
    assert_eq!(runs.since_last(&emulator).await, 0, "the changed body ran");

    let (status, _) = signed.send(&emulator).await;
    assert_eq!(status, 200, "the request as signed passes");
    assert_eq!(runs.since_last(&emulator).await, 1);
}

/// Defect (b): a request signed for `eu-west-1` was accepted by a local Lambda in `us-east-1`.
#[tokio::test]
async fn signature_scoped_to_another_region_is_refused() {
    let (emulator, _) = support::start(FUNCTIONS).await;
    assert_eq!(emulator.region(), "us-east-1");
    let host = emulator.address().to_string();
    let mut runs = Runs::new(&emulator).await;
    let how = Signing {
        region: "eu-west-1",
        ..Signing::default()
    };
    let signed = Wire::signed(&how, &host, PROBE, &BOTOCORE_HEADERS, BODY);
    let (status, error_type) = signed.send(&emulator).await;
    assert_eq!(
        (status, error_type.as_deref()),
        (403, Some("InvalidSignatureException"))
    );
    assert_eq!(runs.since_last(&emulator).await, 0, "the function ran");

    // AWS's wording, through an SDK client configured for the other region.
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(Credentials::new("AKIDCI", "ci-secret", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        // A plain HTTP client: lambda-test builds the SDK without its default HTTPS one.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let e = aws_sdk_lambda::Client::from_conf(config)
        .invoke()
        .function_name("probe")
        .send()
        .await
        .expect_err("refused");
    use aws_sdk_lambda::error::ProvideErrorMetadata as _;
    assert_eq!(e.code(), Some("InvalidSignatureException"));
    assert_eq!(
        e.message(),
        Some("Credential should be scoped to a valid region, not 'eu-west-1'.")
    );
    assert_eq!(runs.since_last(&emulator).await, 0, "the function ran");
}

/// Signs with botocore's own SigV4Auth (the signer the defects were found with); botocore
/// takes a client-set `X-Amz-Content-SHA256` as the payload hash and signs it.
const BOTOCORE_SIGNER: &str = r#"
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
request = AWSRequest(method="POST", url=a["url"], data=a["body"].encode(), headers=a["headers"])
SigV4Auth(Credentials("AKIDCI", "ci-secret", a["token"]), "lambda", a["region"]).add_auth(request)
print(json.dumps(list(request.headers.items())))
"#;

/// A request signed by botocore for the local Lambda.
async fn botocore_signed(
    emulator: &Emulator,
    region: &str,
    headers: &[(&str, &str)],
    token: Option<&str>,
) -> Wire {
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    assert!(
        std::path::Path::new(python).exists(),
        "botocore is missing: run ./scripts/test-all, which installs it into .venv"
    );
    let host = emulator.address().to_string();
    let request = serde_json::json!({
        "url": format!("http://{host}{PROBE}"),
        "body": std::str::from_utf8(BODY).unwrap(),
        "headers": headers.iter().copied().collect::<BTreeMap<_, _>>(),
        "region": region,
        "token": token,
    });
    let out = tokio::process::Command::new(python)
        .args(["-c", BOTOCORE_SIGNER, &request.to_string()])
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed: Vec<(String, String)> = serde_json::from_slice(&out.stdout).expect("headers");
    let mut wire = Wire {
        target: PROBE.to_owned(),
        headers: vec![("Host".into(), host.into_bytes())],
        body: BODY.to_vec(),
    };
    for (name, value) in signed {
        wire = wire.add(&name, value);
    }
    wire
}

/// The two defects as they were found: botocore-signed requests, then altered.
#[tokio::test]
async fn botocore_signed_requests_altered_after_signing_are_refused() {
    let (emulator, _) = support::start(FUNCTIONS).await;
    let mut runs = Runs::new(&emulator).await;
    let invoke = [("X-Amz-Invocation-Type", "RequestResponse")];
    let original_hash = hex_sha256(BODY);
    let with_hash = [invoke[0], ("X-Amz-Content-SHA256", original_hash.as_str())];
    let unsigned = [invoke[0], ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")];
    let changed: &[u8] = br#"{"a":2}"#;
    let rows = [
        (
            "unaltered",
            botocore_signed(&emulator, "us-east-1", &invoke, None).await,
            Outcome::Runs,
        ),
        (
            "with its body's hash, unaltered",
            botocore_signed(&emulator, "us-east-1", &with_hash, None).await,
            Outcome::Runs,
        ),
        (
            "body changed",
            botocore_signed(&emulator, "us-east-1", &invoke, None)
                .await
                .body(changed),
            INVALID,
        ),
        (
            "body changed under the original's signed hash",
            botocore_signed(&emulator, "us-east-1", &with_hash, None)
                .await
                .body(changed),
            INVALID,
        ),
        (
            "body changed under UNSIGNED-PAYLOAD",
            botocore_signed(&emulator, "us-east-1", &unsigned, None)
                .await
                .body(changed),
            INVALID,
        ),
        (
            "signed for eu-west-1",
            botocore_signed(&emulator, "eu-west-1", &invoke, None).await,
            INVALID,
        ),
        (
            "signed with a session token",
            botocore_signed(&emulator, "us-east-1", &invoke, Some("token")).await,
            UNRECOGNIZED,
        ),
    ];
    for (name, wire, expect) in rows {
        let (status, error_type) = wire.send(&emulator).await;
        let ran = runs.since_last(&emulator).await;
        let outcome = match (status, ran) {
            (200, 1) => Outcome::Runs,
            (status, 0) => Outcome::Refused(status, error_type_name(error_type.as_deref())),
            _ => panic!("{name}: {status} {error_type:?}, ran {ran} times"),
        };
        assert_eq!(outcome, expect, "{name}");
    }
}

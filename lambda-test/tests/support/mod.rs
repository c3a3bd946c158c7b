//! Shared set-up for the emulator's integration tests: a local Lambda serving the `probe`
//! example (a real lambda_runtime binary), an SDK client for it, and a raw HTTP client for
//! what SDKs never send.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use lambda_test::config::Config;
use lambda_test::emulator::Emulator;

/// Where `cargo test` put this package's examples (the `probe` function).
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_lambda-test"))
        .parent()
        .expect("target dir")
        .join("examples")
}

/// A fresh directory under the system temp dir.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lambda-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The standard functions: the probe with two versions and aliases.
pub const PROBE: &str = r#"
[functions.probe]
bin = "probe"
timeout = 1
memory_size = 256
environment = { PROBE_NAME = "latest" }

[functions.probe.versions.1]
environment = { PROBE_NAME = "v1" }

[functions.probe.versions.2]
environment = { PROBE_NAME = "v2" }
memory_size = 512

[functions.probe.aliases]
live = "1"
canary = { version = "1", weights = { "2" = 0.5 } }
"#;

/// A config file text with `functions`, finding binaries in the examples dir.
pub fn config_text(functions: &str) -> String {
    format!(
        "[emulator]\nbin_dir = {:?}\nevent_retry_delays = [0.05, 0.05]\n{functions}",
        examples_dir().display().to_string()
    )
}

/// Starts a local Lambda for `functions` (TOML) on a free port.
pub async fn start(functions: &str) -> (Emulator, aws_sdk_lambda::Client) {
    let dir = temp_dir();
    let path = dir.join("lambda-test.toml");
    let text = config_text(functions);
    std::fs::write(&path, &text).expect("write config");
    let config = Config::parse(&text, &path).expect("valid config");
    let emulator = Emulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("emulator starts");
    let client = client(emulator.endpoint());
    (emulator, client)
}

/// An SDK client for an endpoint, without retries.
pub fn client(endpoint: &str) -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        // A plain HTTP client: lambda-test builds the SDK without its default HTTPS one.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request as raw bytes (method, path, headers, body) and reads the whole answer.
pub async fn raw(
    emulator: &Emulator,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let stream = tokio::net::TcpStream::connect(emulator.address())
        .await
        .expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        emulator.address(),
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        request.extend(format!("{name}: {value}\r\n").as_bytes());
    }
    request.extend(b"\r\n");
    request.extend(body);
    // Read while writing: a server may answer (413) and close before an oversized body is all
    // sent; the write then fails, and the answer must still be read.
    let (mut reader, mut writer) = stream.into_split();
    let read = tokio::spawn(async move {
        let mut response = Vec::new();
        let _ = reader.read_to_end(&mut response).await;
        response
    });
    let _ = writer.write_all(&request).await;
    let response = read.await.expect("reader");
    parse_response(&response)
}

fn parse_response(bytes: &[u8]) -> RawResponse {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
    out
}

/// True while a process with this pid exists (and is not a zombie).
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits up to `seconds` for a process to be gone.
pub async fn gone_within(pid: u32, seconds: u64) -> bool {
    for _ in 0..seconds * 20 {
        if !process_alive(pid) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    !process_alive(pid)
}

//! Fuzzes the Invoke API's request handling: any method, path, headers and body.
//!
//! Input layout: byte 0 picks the method; then the path (and query) up to `\n`; then
//! `name: value` header lines up to an empty line; the rest is the body.
//! Properties: no panic; every answer is 2xx, or a 4xx with `x-amzn-ErrorType` and a JSON
//! object body (HEAD answers carry none); never a 5xx (SDKs retry those). The one function's binary does not exist, so
//! no process is spawned: an invoke that passes validation ends as `Runtime.InvalidEntrypoint`.

#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use lambda_test::config::Config;
use lambda_test::emulator::Emulator;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

const CONFIG: &str = r#"
[functions.f]
bin = "/nonexistent/fuzz-bootstrap"
[functions.f.versions.1]
[functions.f.aliases]
live = "1"
"#;

struct Target {
    runtime: tokio::runtime::Runtime,
    emulator: Emulator,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = Config::parse(CONFIG, "/fuzz/lambda-test.toml".as_ref()).unwrap();
        let emulator = runtime
            .block_on(Emulator::start(config, ([127, 0, 0, 1], 0).into()))
            .unwrap();
        Target { runtime, emulator }
    })
}

fn request(data: &[u8]) -> Option<Request<Body>> {
    let (&method, rest) = data.split_first()?;
    let method = [
        "POST", "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "POST",
    ][method as usize % 8];
    let mut parts = rest.splitn(2, |b| *b == b'\n');
    let path = parts.next()?;
    let mut rest = parts.next().unwrap_or_default();
    let mut uri = String::from("http://localhost");
    uri.push_str(&String::from_utf8_lossy(path));
    let mut builder = Request::builder().method(method).uri(uri.as_str());
    loop {
        let (line, tail) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        rest = tail;
        if line.is_empty() {
            break;
        }
        if let Some(colon) = line.iter().position(|b| *b == b':') {
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            builder = builder.header(name, value);
        }
        if rest.is_empty() {
            break;
        }
    }
    builder.body(Body::from(rest.to_vec())).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = request(data) else {
        return;
    };
    // HTTP answers HEAD without a body.
    let is_head = request.method() == axum::http::Method::HEAD;
    let target = target();
    let response = target
        .runtime
        .block_on(target.emulator.router().oneshot(request))
        .unwrap();
    let status = response.status();
    assert!(!status.is_server_error(), "5xx: {status}");
    if !status.is_success() {
        assert!(
            response.headers().contains_key("x-amzn-errortype"),
            "{status} without an error type"
        );
    }
    if !status.is_success() && !is_head {
        let body = target
            .runtime
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error body");
        assert!(json.is_object());
    }
});

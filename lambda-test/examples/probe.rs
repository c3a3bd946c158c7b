//! A Lambda function for tests, whose behaviour the event chooses, so the suite can drive every path of the
//! local Lambda with one real `lambda_runtime` binary.
//!
//! Event keys: `log` (lines to print first), then `action`:
//! `echo` (default: the event and what the function saw), `error`, `panic`, `exit` (with `code`),
//! `abort`, `sleep` (`ms`, then echo), `respond_bytes` (`bytes`), `log_bytes` (`bytes` of output),
//! `spawn_child` (leaves a `sleep` child behind), `count` (invocations this process served),
//! `env` (the variables `names` lists, `null` when unset), `trace` (each `"level:message"` of
//! `events` through `tracing`, e.g. `"warn:low stock"`).
//!
//! Init behaviour comes from the environment: `PROBE_INIT=exit|panic|sleep:<ms>`, and
//! `PROBE_GRACEFUL=1` registers the graceful-shutdown extension, whose hook writes `graceful` to
//! the file `PROBE_SHUTDOWN_FILE` names; with `PROBE_SHUTDOWN_HANG=1` that hook never ends.
//! `PROBE_TRACING=1` installs `lambda_runtime`'s own subscriber
//! (`lambda_runtime::tracing::init_default_subscriber`), which reads `AWS_LAMBDA_LOG_FORMAT`
//! and `AWS_LAMBDA_LOG_LEVEL` as on AWS.
//!
//! `PROBE_STREAM=1` makes it a streaming runtime instead, written on raw HTTP/1.1 (no runtime
//! library streams exactly what a test needs to see): it answers each event with
//! `Lambda-Runtime-Function-Response-Mode: streaming`, a chunk `first\n`, then, once the file
//! the event's `gate` names exists (at once without `gate`), either a chunk `last\n` and the end
//! (`end` missing or `complete`), the error trailers (`end: "trailer"`), or an exit in the middle
//! of the body (`end: "exit"`). The event's `mode` replaces `streaming` in the mode header;
//! `size: N` streams N more bytes (`x`, in 64 KiB chunks) after `first\n`; `error_first: true`
//! answers with `/error` instead, before any byte of a response.
//!
//! For an HTTP event (a Function URL's) whose body is a JSON object, that body chooses, in
//! both modes: `{"action": "error"}` sent to a URL fails as that event would.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

static SERVED: AtomicU64 = AtomicU64::new(0);

/// What chooses the probe's behaviour: the event, or for an HTTP event (a Function URL's or
/// API Gateway's) whose body is a JSON object, that body. The echo shows the whole event.
fn behaviour(event: &Value) -> Value {
    let body = event
        .get("requestContext")
        .and(event.get("body"))
        .and_then(Value::as_str)
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .filter(Value::is_object);
    body.unwrap_or_else(|| event.clone())
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let served = SERVED.fetch_add(1, Ordering::SeqCst) + 1;
    let (event, context) = event.into_parts();
    let payload = behaviour(&event);
    if let Some(lines) = payload.get("log").and_then(Value::as_array) {
        for line in lines {
            println!("{}", line.as_str().unwrap_or_default());
        }
    }
    let number = |key: &str| payload.get(key).and_then(Value::as_u64).unwrap_or(0);
    match payload
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or("echo")
    {
        "error" => {
            return Err(Diagnostic {
                error_type: payload
                    .get("error_type")
                    .and_then(Value::as_str)
                    .unwrap_or("ProbeError")
                    .to_owned(),
                error_message: "the probe was asked to fail".to_owned(),
            });
        }
        "panic" => panic!("the probe was asked to panic"),
        "exit" => std::process::exit(number("code") as i32),
        "abort" => std::process::abort(),
        "sleep" => tokio::time::sleep(std::time::Duration::from_millis(number("ms"))).await,
        "allocate" => {
            // Touched, so resident: `mb` MiB held for `ms` milliseconds.
            let held = vec![1u8; number("mb") as usize * 1024 * 1024];
            tokio::time::sleep(std::time::Duration::from_millis(number("ms"))).await;
            return Ok(json!({ "held_mb": held.len() / (1024 * 1024) }));
        }
        "respond_bytes" => return Ok(Value::String("x".repeat(number("bytes") as usize))),
        "log_bytes" => {
            let line = "y".repeat(99);
            let mut out = std::io::stdout().lock();
            for _ in 0..number("bytes") / 100 {
                let _ = writeln!(out, "{line}");
            }
        }
        "spawn_child" => {
            let child = std::process::Command::new("sleep").arg("600").spawn();
            return Ok(json!({ "child_pid": child.map(|c| c.id()).ok() }));
        }
        "count" => return Ok(json!({ "served": served, "pid": std::process::id() })),
        "env" => {
            let names = payload.get("names").and_then(Value::as_array);
            let vars = names
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|name| (name.to_owned(), json!(std::env::var(name).ok())));
            return Ok(Value::Object(vars.collect()));
        }
        "trace" => {
            let events = payload.get("events").and_then(Value::as_array);
            for event in events.into_iter().flatten().filter_map(Value::as_str) {
                use lambda_runtime::tracing::{debug, error, info, trace, warn};
                match event.split_once(':').unwrap_or(("info", event)) {
                    ("trace", message) => trace!("{message}"),
                    ("debug", message) => debug!("{message}"),
                    ("warn", message) => warn!("{message}"),
                    ("error", message) => error!(order = 7, "{message}"),
                    (_, message) => info!("{message}"),
                }
            }
            return Ok(json!({ "traced": events.map_or(0, Vec::len) }));
        }
        _ => {}
    }
    Ok(json!({
        "event": event,
        "request_id": context.request_id,
        "invoked_function_arn": context.invoked_function_arn,
        "client_context": context.client_context.map(|c| json!({"custom": c.custom, "env": c.environment})),
        "tenant_id": context.tenant_id,
        "trace_id": context.xray_trace_id,
        "deadline_ms": context.deadline,
        "version": std::env::var("AWS_LAMBDA_FUNCTION_VERSION").ok(),
        "probe_name": std::env::var("PROBE_NAME").ok(),
        "memory": std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").ok(),
        "pid": std::process::id(),
    }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::var_os("PROBE_STREAM").is_some() {
        stream::serve();
    }
    if std::env::var_os("PROBE_TRACING").is_some() {
        lambda_runtime::tracing::init_default_subscriber();
    }
    match std::env::var("PROBE_INIT").as_deref() {
        Ok("exit") => {
            eprintln!("probe: failing init");
            std::process::exit(3);
        }
        Ok("panic") => panic!("probe: panicking in init"),
        Ok(other) if other.starts_with("sleep:") => {
            let ms = other["sleep:".len()..].parse().unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        _ => {}
    }
    if std::env::var_os("PROBE_GRACEFUL").is_some() {
        lambda_runtime::spawn_graceful_shutdown_handler(|| async {
            println!("probe: shutting down gracefully");
            if let Some(path) = std::env::var_os("PROBE_SHUTDOWN_FILE") {
                let _ = std::fs::write(path, "graceful");
            }
            if std::env::var_os("PROBE_SHUTDOWN_HANG").is_some() {
                // A runtime that ignores SIGTERM: its shutdown never finishes.
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
        })
        .await;
    }
    lambda_runtime::run(service_fn(handle)).await
}

/// The streaming runtime of `PROBE_STREAM=1`, on blocking sockets.
mod stream {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use serde_json::Value;

    /// Serves events until the Runtime API goes away.
    pub fn serve() -> ! {
        let api = std::env::var("AWS_LAMBDA_RUNTIME_API").expect("AWS_LAMBDA_RUNTIME_API");
        loop {
            let Ok((request_id, event)) = next(&api) else {
                std::process::exit(0);
            };
            respond(&api, &request_id, &super::behaviour(&event));
        }
    }

    /// `GET /next`: the request id and the event.
    fn next(api: &str) -> std::io::Result<(String, Value)> {
        let mut connection = TcpStream::connect(api)?;
        write!(
            connection,
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\n\r\n"
        )?;
        let mut reader = BufReader::new(connection);
        let (mut request_id, mut length) = (String::new(), 0usize);
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "lambda-runtime-aws-request-id" => request_id = value.trim().to_owned(),
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        Ok((
            request_id,
            serde_json::from_slice(&body).unwrap_or(Value::Null),
        ))
    }

    /// `POST /error` before any response, as a runtime that fails before it streams.
    fn error_first(api: &str, request_id: &str) {
        let body =
            r#"{"errorType":"StreamSetupError","errorMessage":"could not start the stream"}"#;
        let mut connection = TcpStream::connect(api).expect("connect to the Runtime API");
        write!(
            connection,
            "POST /2018-06-01/runtime/invocation/{request_id}/error HTTP/1.1\r\nHost: {api}\r\n\
             Lambda-Runtime-Function-Error-Type: Runtime.StreamSetupError\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write the error");
        let mut status = String::new();
        let _ = BufReader::new(connection).read_line(&mut status);
    }

    /// `POST /response` in streaming mode, chunk by chunk.
    fn respond(api: &str, request_id: &str, event: &Value) {
        if event.get("error_first").and_then(Value::as_bool) == Some(true) {
            return error_first(api, request_id);
        }
        let end = event
            .get("end")
            .and_then(Value::as_str)
            .unwrap_or("complete");
        let mode = event
            .get("mode")
            .and_then(Value::as_str)
            .unwrap_or("streaming");
        let mut connection = TcpStream::connect(api).expect("connect to the Runtime API");
        connection.set_nodelay(true).expect("nodelay");
        let trailer = if end == "trailer" {
            "Trailer: Lambda-Runtime-Function-Error-Type\r\nTrailer: Lambda-Runtime-Function-Error-Body\r\n"
        } else {
            ""
        };
        write!(
            connection,
            "POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\nHost: {api}\r\n\
             Lambda-Runtime-Function-Response-Mode: {mode}\r\nTransfer-Encoding: chunked\r\n\
             Content-Type: text/plain\r\n{trailer}\r\n"
        )
        .expect("write the head");
        chunk(&mut connection, b"first\n");
        let mut left = event.get("size").and_then(Value::as_u64).unwrap_or(0) as usize;
        let block = vec![b'x'; 64 * 1024];
        while left > 0 {
            let n = left.min(block.len());
            chunk(&mut connection, &block[..n]);
            left -= n;
        }
        if let Some(gate) = event.get("gate").and_then(Value::as_str) {
            let waited = Instant::now();
            while !std::path::Path::new(gate).exists() && waited.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        match end {
            "exit" => std::process::exit(7),
            "trailer" => {
                // base64 of {"errorMessage":"stream broke","errorType":"Runtime.StreamError"}
                let body = "eyJlcnJvck1lc3NhZ2UiOiJzdHJlYW0gYnJva2UiLCJlcnJvclR5cGUiOiJSdW50aW1lLlN0cmVhbUVycm9yIn0=";
                write!(
                    connection,
                    "0\r\nLambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n\
                     Lambda-Runtime-Function-Error-Body: {body}\r\n\r\n"
                )
                .expect("write the trailers");
            }
            _ => {
                chunk(&mut connection, b"last\n");
                connection.write_all(b"0\r\n\r\n").expect("write the end");
            }
        }
        // The status line of the answer; the connection closes after it, as the contract asks.
        let mut status = String::new();
        let _ = BufReader::new(connection).read_line(&mut status);
        println!(
            "probe: streamed, the Runtime API answered {}",
            status.trim_end()
        );
    }

    fn chunk(connection: &mut TcpStream, data: &[u8]) {
        write!(connection, "{:x}\r\n", data.len()).expect("write a chunk size");
        connection.write_all(data).expect("write a chunk");
        connection.write_all(b"\r\n").expect("write a chunk end");
        connection.flush().expect("flush");
    }
}

//! A Lambda function for tests, whose behaviour the event chooses, so the suite can drive every path of the
//! local Lambda with one real `lambda_runtime` binary.
//!
//! Event keys: `log` (lines to print first), then `action`:
//! `echo` (default: the event and what the function saw), `error`, `panic`, `exit` (with `code`),
//! `abort`, `sleep` (`ms`, then echo), `respond_bytes` (`bytes`), `log_bytes` (`bytes` of output),
//! `spawn_child` (leaves a `sleep` child behind), `count` (invocations this process served).
//!
//! Init behaviour comes from the environment: `PROBE_INIT=exit|panic|sleep:<ms>`, and
//! `PROBE_GRACEFUL=1` registers the graceful-shutdown extension, whose hook writes `graceful` to
//! the file `PROBE_SHUTDOWN_FILE` names; with `PROBE_SHUTDOWN_HANG=1` that hook never ends.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

static SERVED: AtomicU64 = AtomicU64::new(0);

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let served = SERVED.fetch_add(1, Ordering::SeqCst) + 1;
    let (payload, context) = event.into_parts();
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
        _ => {}
    }
    Ok(json!({
        "event": payload,
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

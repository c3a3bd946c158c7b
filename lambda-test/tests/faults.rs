//! Functions that misbehave: each gets AWS's error shape, the next invocation is served, and
//! the process table shows nothing left behind.

mod support;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use serde_json::{Value, json};
use support::{gone_within, process_alive, start};

const FUNCTIONS: &str = r#"
[functions.probe]
bin = "probe"
timeout = 1

[functions.chatty]
bin = "probe"
timeout = 30

[functions.stubborn]
bin = "probe"
environment = { PROBE_GRACEFUL = "1", PROBE_SHUTDOWN_HANG = "1" }
"#;

struct Answer {
    payload: Value,
    function_error: Option<String>,
    log: Option<String>,
}

async fn call(client: &aws_sdk_lambda::Client, name: &str, event: Value) -> Answer {
    let out = client
        .invoke()
        .function_name(name)
        .log_type(LogType::Tail)
        .payload(Blob::new(event.to_string()))
        .send()
        .await
        .expect("function faults are answered with 200, not refused");
    assert_eq!(out.status_code(), 200);
    Answer {
        payload: out
            .payload()
            .map(|p| serde_json::from_slice(p.as_ref()).unwrap_or(Value::Null))
            .unwrap_or(Value::Null),
        function_error: out.function_error().map(str::to_owned),
        log: out.log_result().map(str::to_owned),
    }
}

async fn pid(client: &aws_sdk_lambda::Client, name: &str) -> u32 {
    call(client, name, json!({"action": "count"})).await.payload["pid"]
        .as_u64()
        .unwrap() as u32
}

/// Makes the probe fork a child that would outlive it; its pid.
async fn spawn_child(client: &aws_sdk_lambda::Client) -> u32 {
    call(client, "probe", json!({"action": "spawn_child"}))
        .await
        .payload["child_pid"]
        .as_u64()
        .unwrap() as u32
}

async fn served(client: &aws_sdk_lambda::Client, name: &str) -> u64 {
    call(client, name, json!({"action": "count"})).await.payload["served"]
        .as_u64()
        .unwrap()
}

/// A caller who asks for no tail has nobody read the function's output as it arrives (the
/// pipe is emptied in batches); a function that writes far more than the pipe holds must still
/// run to its end, and the instance serve on.
#[tokio::test]
async fn a_hundred_megabytes_of_logs_nobody_reads_do_not_stall_the_function() {
    let (_emulator, client) = start(FUNCTIONS).await;
    let _warm = served(&client, "chatty").await;
    let out = client
        .invoke()
        .function_name("chatty")
        .payload(Blob::new(
            json!({"action": "log_bytes", "bytes": 100_000_000}).to_string(),
        ))
        .send()
        .await
        .expect("answered");
    assert_eq!(out.status_code(), 200);
    assert_eq!(out.function_error(), None, "within its 30 s timeout");
    assert_eq!(out.log_result(), None);
    assert_eq!(
        served(&client, "chatty").await,
        3,
        "the same instance serves on"
    );
}

#[tokio::test]
async fn crash_mid_invocation_leaves_nothing_and_the_next_is_served() {
    let (_emulator, client) = start(FUNCTIONS).await;
    let before = pid(&client, "probe").await;
    let child = spawn_child(&client).await;
    let crash = call(&client, "probe", json!({"action": "exit", "code": 2})).await;
    assert_eq!(crash.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(crash.payload["errorType"], "Runtime.ExitError");
    assert!(gone_within(before, 5).await, "crashed process");
    assert!(
        gone_within(child, 5).await,
        "its child, killed with its process group"
    );
    assert_eq!(
        served(&client, "probe").await,
        1,
        "a fresh instance serves the next"
    );
}

#[tokio::test]
async fn hang_past_the_timeout_is_killed_with_its_children() {
    let (_emulator, client) = start(FUNCTIONS).await;
    let before = pid(&client, "probe").await;
    let child = spawn_child(&client).await;
    let hang = call(&client, "probe", json!({"action": "sleep", "ms": 60_000})).await;
    assert_eq!(hang.payload["errorType"], "Sandbox.Timedout");
    assert!(gone_within(before, 5).await);
    assert!(gone_within(child, 5).await);
    assert_eq!(served(&client, "probe").await, 1);
}

#[tokio::test]
async fn exit_during_init_every_time() {
    let (_emulator, client) =
        start("[functions.broken]\nbin = \"probe\"\nenvironment = { PROBE_INIT = \"panic\" }\n")
            .await;
    for _ in 0..3 {
        let init = call(&client, "broken", json!({})).await;
        assert_eq!(init.function_error.as_deref(), Some("Unhandled"));
        assert_eq!(init.payload["errorType"], "Runtime.ExitError");
        let message = init.payload["errorMessage"].as_str().unwrap();
        assert!(
            message.ends_with("Runtime exited with error: exit status 101"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_hundred_megabytes_of_logs_cost_bounded_memory() {
    let (_emulator, client) = start(FUNCTIONS).await;
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap()
    };
    let _warm = served(&client, "chatty").await;
    let before = rss();
    let flood = call(
        &client,
        "chatty",
        json!({"action": "log_bytes", "bytes": 100_000_000}),
    )
    .await;
    let after = rss();
    assert_eq!(flood.function_error, None);
    let tail = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        flood.log.unwrap(),
    )
    .unwrap();
    assert_eq!(tail.len(), 4096);
    assert!(
        after.saturating_sub(before) < 64 * 1024,
        "100 MB of output grew this process by {} kB",
        after - before
    );
    assert_eq!(
        served(&client, "chatty").await,
        3,
        "the same instance serves on"
    );
}

#[tokio::test]
async fn seven_megabyte_response_is_function_response_size_too_large() {
    let (_emulator, client) = start(FUNCTIONS).await;
    let big = call(
        &client,
        "chatty",
        json!({"action": "respond_bytes", "bytes": 7_000_000}),
    )
    .await;
    assert_eq!(big.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(big.payload["errorType"], "Function.ResponseSizeTooLarge");
    assert_eq!(served(&client, "chatty").await, 2);
}

#[tokio::test]
async fn a_runtime_ignoring_sigterm_is_killed_at_shutdown() {
    let (emulator, client) = start(FUNCTIONS).await;
    let stubborn = pid(&client, "stubborn").await;
    assert!(process_alive(stubborn));
    emulator.shutdown().await;
    assert!(
        gone_within(stubborn, 5).await,
        "SIGKILL follows the grace period"
    );
}

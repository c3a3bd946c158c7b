//! Execution environments: scale-out, reserved concurrency, graceful shutdown, and no process
//! left behind, whether the local Lambda shuts down or its host process is killed.

mod support;

use std::collections::BTreeSet;
use std::io::BufRead as _;
use std::process::{Command, Stdio};

use aws_sdk_lambda::operation::invoke::InvokeError;
use aws_sdk_lambda::primitives::Blob;
use serde_json::{Value, json};
use support::{gone_within, process_alive, start};

async fn call(client: &aws_sdk_lambda::Client, name: &str, payload: Value) -> Value {
    let out = client
        .invoke()
        .function_name(name)
        .payload(Blob::new(payload.to_string()))
        .send()
        .await
        .expect("invoke");
    assert_eq!(out.function_error(), None, "{:?}", out.payload());
    serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap()
}

#[tokio::test]
async fn concurrent_invokes_scale_out_to_more_instances() {
    let (_emulator, client) = start("[functions.probe]\nbin = \"probe\"\n").await;
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                call(&client, "probe", json!({"action": "sleep", "ms": 400})).await
            })
        })
        .collect();
    let mut pids = BTreeSet::new();
    for c in calls {
        pids.insert(c.await.unwrap()["pid"].as_u64().unwrap());
    }
    assert_eq!(
        pids.len(),
        4,
        "four overlapping invocations need four instances"
    );
}

#[tokio::test]
async fn reserved_concurrency_throttles_with_429() {
    let (_emulator, client) =
        start("[functions.limited]\nbin = \"probe\"\nreserved_concurrency = 1\ntimeout = 5\n")
            .await;
    let busy = {
        let client = client.clone();
        tokio::spawn(async move {
            call(&client, "limited", json!({"action": "sleep", "ms": 2000})).await
        })
    };
    let mut throttled = None;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        match client.invoke().function_name("limited").send().await {
            Err(e) => {
                throttled = Some(e.into_service_error());
                break;
            }
            Ok(_) if busy.is_finished() => break,
            Ok(_) => continue,
        }
    }
    match throttled.expect("a second invocation while the first runs is throttled") {
        InvokeError::TooManyRequestsException(e) => {
            assert_eq!(
                e.reason().map(|r| r.as_str()),
                Some("ReservedFunctionConcurrentInvocationLimitExceeded")
            );
            assert_eq!(e.message(), Some("Rate Exceeded."));
        }
        other => panic!("expected TooManyRequestsException, got {other:?}"),
    }
    busy.await.unwrap();
    // The slot is free again.
    call(&client, "limited", json!({})).await;
}

#[tokio::test]
async fn shutdown_is_graceful_for_extensions_and_kills_everything() {
    let marker = support::temp_dir().join("shutdown");
    let (emulator, client) = start(&format!(
        "[functions.graceful]\nbin = \"probe\"\nenvironment = {{ PROBE_GRACEFUL = \"1\", PROBE_SHUTDOWN_FILE = {:?} }}\n\n[functions.plain]\nbin = \"probe\"\n",
        marker.display().to_string()
    ))
    .await;
    // The graceful-shutdown helper registers an extension at init; without the Extensions
    // API the function would crash at init.
    let graceful = call(&client, "graceful", json!({})).await["pid"]
        .as_u64()
        .unwrap() as u32;
    let plain = call(&client, "plain", json!({})).await["pid"]
        .as_u64()
        .unwrap() as u32;
    let child = call(&client, "plain", json!({"action": "spawn_child"})).await["child_pid"]
        .as_u64()
        .unwrap() as u32;
    assert!(process_alive(graceful) && process_alive(plain) && process_alive(child));
    emulator.shutdown().await;
    for pid in [graceful, plain, child] {
        assert!(gone_within(pid, 5).await, "pid {pid} outlived the shutdown");
    }
    assert_eq!(
        std::fs::read_to_string(&marker).ok().as_deref(),
        Some("graceful"),
        "the runtime got SIGTERM and ran its shutdown hook"
    );
}

/// Kills `lambda-test serve` with SIGKILL, which runs no cleanup code at all: the watchdog
/// still takes every function process (and the children they forked) with it.
#[tokio::test]
async fn no_orphans_when_the_host_process_is_killed() {
    let dir = support::temp_dir();
    let config = dir.join("lambda-test.toml");
    std::fs::write(
        &config,
        support::config_text("[functions.probe]\nbin = \"probe\"\n"),
    )
    .unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_lambda-test"))
        .args(["serve", "--quiet", "--port", "0", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lambda-test serve");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{line}");
    let client = support::client(&endpoint);
    let function_pid = call(&client, "probe", json!({})).await["pid"]
        .as_u64()
        .unwrap() as u32;
    let child = call(&client, "probe", json!({"action": "spawn_child"})).await["child_pid"]
        .as_u64()
        .unwrap() as u32;
    assert!(process_alive(function_pid) && process_alive(child));
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        gone_within(function_pid, 5).await,
        "the function outlived its host"
    );
    assert!(
        gone_within(child, 5).await,
        "the function's child outlived its host"
    );
}

/// A caller who reads no log is answered at the runtime's `/response`, before the invocation
/// ends; the next caller still gets the same warm instance rather than a cold start.
#[tokio::test]
async fn answers_without_a_tail_reuse_the_instance_that_is_still_ending() {
    let (_emulator, client) = start("[functions.probe]\nbin = \"probe\"\n").await;
    let mut pids = BTreeSet::new();
    let mut served = Vec::new();
    for _ in 0..20 {
        let answer = call(&client, "probe", json!({"action": "count"})).await;
        pids.insert(answer["pid"].as_u64().unwrap());
        served.push(answer["served"].as_u64().unwrap());
    }
    assert_eq!(pids.len(), 1, "one instance served them all");
    assert_eq!(served, (1..=20).collect::<Vec<_>>());
}

/// A function whose memory grows past its `memory_size` is killed as Lambda's sandbox kills
/// it: `Runtime.OutOfMemory`, `Max Memory Used` at the limit, and the next invocation cold.
/// Under the limit, the same allocation runs.
#[tokio::test]
async fn memory_past_the_limit_is_out_of_memory() {
    let (_emulator, client) =
        start("[functions.small]\nbin = \"probe\"\ntimeout = 5\nmemory_size = 128\n").await;
    let invoke = |payload: Value| {
        let client = client.clone();
        async move {
            client
                .invoke()
                .function_name("small")
                .payload(Blob::new(payload.to_string()))
                .log_type(aws_sdk_lambda::types::LogType::Tail)
                .send()
                .await
                .expect("invoke")
        }
    };
    let tail = |out: &aws_sdk_lambda::operation::invoke::InvokeOutput| {
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            out.log_result().unwrap(),
        )
        .unwrap();
        String::from_utf8(bytes).unwrap()
    };
    let fits = invoke(json!({"action": "allocate", "mb": 32, "ms": 100})).await;
    assert_eq!(fits.function_error(), None, "{}", tail(&fits));

    let out = invoke(json!({"action": "allocate", "mb": 300, "ms": 2000})).await;
    assert_eq!(out.function_error(), Some("Unhandled"));
    let document: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(document["errorType"], "Runtime.OutOfMemory");
    assert!(
        document["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Error: Runtime exited with error: signal: killed"),
        "{document}"
    );
    let log = tail(&out);
    assert!(log.contains("\nRuntime.OutOfMemory\n"), "{log}");
    let report = log.lines().find(|l| l.starts_with("REPORT")).unwrap();
    assert!(report.contains("Max Memory Used: 128 MB"), "{report}");
    assert!(
        report.ends_with("Status: error\tError Type: Runtime.OutOfMemory"),
        "{report}"
    );

    let next = invoke(json!({})).await;
    assert!(
        tail(&next).contains("Init Duration"),
        "the next start is cold"
    );
}

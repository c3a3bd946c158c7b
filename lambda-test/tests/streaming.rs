//! A response that streams through the local Lambda: the probe in `PROBE_STREAM` mode answers
//! through the Runtime API in streaming mode, chunk by chunk, on raw HTTP/1.1.

mod support;

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use base64::Engine as _;
use lambda_test::config::Config;
use lambda_test::emulator::__internals::{
    Answer, BodyEnd, Invoke, Registry, ResponseMode, VersionPool,
};
use serde_json::{Value, json};
use support::start;

const STREAMER: &str =
    "[functions.streamer]\nbin = \"probe\"\ntimeout = 5\nenvironment = { PROBE_STREAM = \"1\" }\n";

fn pool() -> std::sync::Arc<VersionPool> {
    let dir = support::temp_dir();
    let config = Config::parse(
        &support::config_text(STREAMER),
        &dir.join("lambda-test.toml"),
    )
    .expect("valid config");
    let registry = Registry::new(&config);
    let function = registry.get("streamer").expect("the function");
    std::sync::Arc::clone(function.pool("$LATEST").expect("$LATEST"))
}

fn invoke(payload: Value) -> Invoke {
    Invoke {
        request_id: uuid::Uuid::new_v4().to_string(),
        payload: payload.to_string().into(),
        invoked_arn: "arn:aws:lambda:us-east-1:000000000000:function:streamer".to_owned(),
        trace_id: "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
        client_context: None,
        tenant_id: None,
        log_wanted: true,
    }
}

/// The first chunk reaches the caller while the runtime waits for the test to let it write
/// the last one: nothing on the way buffers the body.
#[tokio::test]
async fn a_streaming_runtimes_chunks_arrive_before_its_last_chunk_is_written() {
    let pool = pool();
    let gate = support::temp_dir().join("gate");
    let streaming = pool.invoke_streaming(invoke(json!({ "gate": gate }))).await;
    let Answer::Response { head, mut body } = streaming.answer else {
        panic!("the runtime answers with a response");
    };
    assert_eq!(head.mode, ResponseMode::Streaming);
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));

    let first = tokio::time::timeout(Duration::from_secs(5), body.next_chunk())
        .await
        .expect("the first chunk arrives while the runtime waits at the gate")
        .expect("a chunk");
    assert_eq!(&first[..], b"first\n");
    assert!(!gate.exists(), "the last chunk is not written yet");

    std::fs::write(&gate, "").unwrap();
    let mut rest = Vec::new();
    while let Some(chunk) = body.next_chunk().await {
        rest.extend_from_slice(&chunk);
    }
    assert_eq!(rest, b"last\n");
    assert_eq!(body.end(), Some(&BodyEnd::Complete));

    let finished = streaming.finished.wait().await;
    let log = String::from_utf8(finished.log).unwrap();
    assert!(log.starts_with("START RequestId: "), "{log}");
    assert!(
        log.contains("probe: streamed, the Runtime API answered HTTP/1.1 202"),
        "{log}"
    );
    assert!(log.contains("\nREPORT RequestId: "), "{log}");
    assert!(finished.reusable);
    pool.shutdown().await;
}

/// The buffered Invoke collects a streamed body; an instance that streamed serves again.
#[tokio::test]
async fn buffered_invoke_collects_a_streamed_body() {
    let (_emulator, client) = start(STREAMER).await;
    for _ in 0..2 {
        let out = client
            .invoke()
            .function_name("streamer")
            .payload(Blob::new("{}"))
            .log_type(LogType::Tail)
            .send()
            .await
            .expect("invoke");
        assert_eq!(out.function_error(), None);
        assert_eq!(out.payload().unwrap().as_ref(), b"first\nlast\n");
        let log = base64::engine::general_purpose::STANDARD
            .decode(out.log_result().unwrap())
            .unwrap();
        let log = String::from_utf8(log).unwrap();
        assert!(log.contains("\nEND RequestId: "), "{log}");
    }
}

/// Error trailers end a streamed body as a function error whose payload is the decoded
/// `Lambda-Runtime-Function-Error-Body`.
#[tokio::test]
async fn error_trailers_become_the_function_error() {
    let (_emulator, client) = start(STREAMER).await;
    let out = client
        .invoke()
        .function_name("streamer")
        .payload(Blob::new(r#"{"end":"trailer"}"#))
        .send()
        .await
        .expect("invoke");
    assert_eq!(out.function_error(), Some("Unhandled"));
    let payload: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(
        payload,
        json!({"errorMessage": "stream broke", "errorType": "Runtime.StreamError"})
    );
}

/// A runtime that exits in the middle of its body crashed: `Runtime.ExitError`, as when it
/// exits before answering.
#[tokio::test]
async fn a_runtime_exiting_mid_body_is_an_exit_error() {
    let (_emulator, client) = start(STREAMER).await;
    let out = client
        .invoke()
        .function_name("streamer")
        .payload(Blob::new(r#"{"end":"exit"}"#))
        .send()
        .await
        .expect("invoke");
    assert_eq!(out.function_error(), Some("Unhandled"));
    let payload: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload["errorType"], "Runtime.ExitError");
    assert_eq!(
        payload["errorMessage"]
            .as_str()
            .unwrap()
            .split_once(" Error: ")
            .unwrap()
            .1,
        "Runtime exited with error: exit status 7"
    );
}

/// A response mode other than `streaming` fails the invocation as RIE does, and the runtime
/// gets 400 `InvalidFunctionResponseMode`; it stays warm.
#[tokio::test]
async fn an_unknown_response_mode_fails_the_invocation() {
    let (_emulator, client) = start(STREAMER).await;
    let out = client
        .invoke()
        .function_name("streamer")
        .payload(Blob::new(r#"{"mode":"chunky"}"#))
        .log_type(LogType::Tail)
        .send()
        .await
        .expect("invoke");
    assert_eq!(out.function_error(), Some("Unhandled"));
    let payload: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload["errorType"], "Runtime.InvalidResponseModeHeader");
    let log = base64::engine::general_purpose::STANDARD
        .decode(out.log_result().unwrap())
        .unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(
        log.contains("the Runtime API answered HTTP/1.1 400"),
        "{log}"
    );
    let again = client
        .invoke()
        .function_name("streamer")
        .payload(Blob::new("{}"))
        .send()
        .await
        .expect("invoke");
    assert_eq!(again.payload().unwrap().as_ref(), b"first\nlast\n");
}

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

// ── InvokeWithResponseStream, through aws-sdk-lambda's own event-stream decoder ──────────────

use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as StreamEvent;

/// What a caller of InvokeWithResponseStream read: the chunks, then the `InvokeComplete`.
#[derive(Debug, Default)]
struct Streamed {
    chunks: Vec<Vec<u8>>,
    error_code: Option<String>,
    error_details: Option<String>,
    log: Option<String>,
    completes: usize,
}

impl Streamed {
    fn payload(&self) -> Vec<u8> {
        self.chunks.concat()
    }

    /// `ErrorDetails` as the error document it holds.
    fn error_document(&self) -> Value {
        serde_json::from_str(self.error_details.as_deref().expect("ErrorDetails")).unwrap()
    }
}

/// Reads a stream to its end.
async fn read_all(
    mut events: aws_sdk_lambda::primitives::event_stream::EventReceiver<
        StreamEvent,
        aws_sdk_lambda::types::error::InvokeWithResponseStreamResponseEventError,
    >,
) -> Streamed {
    let mut streamed = Streamed::default();
    while let Some(event) = events.recv().await.expect("a well-formed event stream") {
        match event {
            StreamEvent::PayloadChunk(chunk) => {
                assert_eq!(streamed.completes, 0, "no chunk after InvokeComplete");
                streamed
                    .chunks
                    .push(chunk.payload().expect("a payload").as_ref().to_vec());
            }
            StreamEvent::InvokeComplete(complete) => {
                streamed.completes += 1;
                streamed.error_code = complete.error_code().map(str::to_owned);
                streamed.error_details = complete.error_details().map(str::to_owned);
                streamed.log = complete.log_result().map(|tail| {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(tail)
                        .expect("LogResult is base64");
                    String::from_utf8(bytes).expect("a UTF-8 log")
                });
            }
            other => panic!("an event Lambda does not send: {other:?}"),
        }
    }
    assert_eq!(streamed.completes, 1, "exactly one InvokeComplete, last");
    streamed
}

/// The HTTP head of a stream's answer, as the SDK reports it.
#[derive(Debug)]
struct StreamHead {
    status: i32,
    executed_version: Option<String>,
    content_type: Option<String>,
}

/// Invokes `function` with InvokeWithResponseStream and reads the whole stream.
async fn stream(
    client: &aws_sdk_lambda::Client,
    function: &str,
    payload: Value,
    log: bool,
) -> (StreamHead, Streamed) {
    let out = client
        .invoke_with_response_stream()
        .function_name(function)
        .payload(Blob::new(payload.to_string()))
        .set_log_type(log.then_some(LogType::Tail))
        .send()
        .await
        .expect("invoke with response stream");
    let head = StreamHead {
        status: out.status_code(),
        executed_version: out.executed_version().map(str::to_owned),
        content_type: out.response_stream_content_type().map(str::to_owned),
    };
    (head, read_all(out.event_stream).await)
}

/// The streamer, and functions beside it: one that times out mid-stream, a buffered one.
const STREAMERS: &str = "[functions.streamer]\nbin = \"probe\"\ntimeout = 5\nenvironment = { PROBE_STREAM = \"1\" }\n\
     [functions.slow_streamer]\nbin = \"probe\"\ntimeout = 1\nenvironment = { PROBE_STREAM = \"1\" }\n\
     [functions.buffered]\nbin = \"probe\"\ntimeout = 5\n\
     [functions.big_streamer]\nbin = \"probe\"\ntimeout = 60\nenvironment = { PROBE_STREAM = \"1\" }\n";

const STREAM_PATH: &str = "/2021-11-15/functions/streamer/response-streaming-invocations";

/// The first `PayloadChunk` reaches the SDK while the runtime waits to write the last one.
#[tokio::test]
async fn stream_chunks_reach_the_caller_as_the_runtime_writes_them() {
    let (_emulator, client) = start(STREAMERS).await;
    let gate = support::temp_dir().join("gate");
    let mut out = client
        .invoke_with_response_stream()
        .function_name("streamer")
        .payload(Blob::new(json!({ "gate": gate }).to_string()))
        .send()
        .await
        .expect("invoke with response stream");
    assert_eq!(out.status_code(), 200);
    let first = tokio::time::timeout(Duration::from_secs(5), out.event_stream.recv())
        .await
        .expect("the first chunk arrives while the runtime waits at the gate")
        .expect("an event")
        .expect("not the end");
    let StreamEvent::PayloadChunk(first) = first else {
        panic!("a chunk first: {first:?}");
    };
    assert_eq!(first.payload().unwrap().as_ref(), b"first\n");
    assert!(!gate.exists());
    std::fs::write(&gate, "").unwrap();
    let rest = read_all(out.event_stream).await;
    assert_eq!(rest.payload(), b"last\n");
    assert_eq!(rest.error_code, None);
}

/// A whole stream: the runtime's content type, the version, the chunks, and the tail log in
/// `InvokeComplete`; an alias and a qualifier resolve as for Invoke.
#[tokio::test]
async fn a_stream_carries_the_content_type_the_version_and_the_tail() {
    let functions = format!(
        "{STREAMERS}[functions.streamer.versions.1]\n[functions.streamer.aliases]\nlive = \"1\"\n"
    );
    let (_emulator, client) = start(&functions).await;
    let (head, streamed) = stream(&client, "streamer", json!({}), true).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.executed_version.as_deref(), Some("$LATEST"));
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));
    assert_eq!(streamed.payload(), b"first\nlast\n");
    assert_eq!((streamed.error_code, streamed.error_details), (None, None));
    let log = streamed.log.expect("LogResult with a tail");
    assert!(log.starts_with("START RequestId: "), "{log}");
    assert!(
        log.contains("probe: streamed, the Runtime API answered HTTP/1.1 202"),
        "{log}"
    );
    assert!(log.contains("\nREPORT RequestId: "), "{log}");

    let (head, streamed) = stream(&client, "streamer:live", json!({}), false).await;
    assert_eq!(head.executed_version.as_deref(), Some("1"));
    assert_eq!(streamed.log, None, "no LogResult without a tail");
    let out = client
        .invoke_with_response_stream()
        .function_name("streamer")
        .qualifier("1")
        .payload(Blob::new("{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.executed_version(), Some("1"));
}

/// Error trailers (as aws-lambda-go sends them) end the stream: the chunks before them stay
/// delivered and `InvokeComplete` names the trailer's type and its decoded body.
#[tokio::test]
async fn error_trailers_end_the_stream_with_their_error() {
    let (_emulator, client) = start(STREAMERS).await;
    let (head, streamed) = stream(&client, "streamer", json!({"end": "trailer"}), false).await;
    assert_eq!(head.status, 200);
    assert_eq!(streamed.payload(), b"first\n");
    assert_eq!(streamed.error_code.as_deref(), Some("Runtime.StreamError"));
    assert_eq!(
        streamed.error_document(),
        json!({"errorMessage": "stream broke", "errorType": "Runtime.StreamError"})
    );
}

/// A runtime that exits mid-stream: what it wrote arrives, then `Unhandled` with the exit
/// error; the next invocation starts a new instance and streams.
#[tokio::test]
async fn a_crash_mid_stream_ends_it_unhandled() {
    let (_emulator, client) = start(STREAMERS).await;
    // The runtime exits once the test has its first chunk: a process that exits at once
    // may be seen gone before its response is, which is a crash before any answer.
    let gate = support::temp_dir().join("gate");
    let mut out = client
        .invoke_with_response_stream()
        .function_name("streamer")
        .payload(Blob::new(json!({"end": "exit", "gate": gate}).to_string()))
        .log_type(LogType::Tail)
        .send()
        .await
        .unwrap();
    let first = out.event_stream.recv().await.unwrap();
    let Some(StreamEvent::PayloadChunk(first)) = first else {
        panic!("a chunk first: {first:?}");
    };
    assert_eq!(first.payload().unwrap().as_ref(), b"first\n");
    std::fs::write(&gate, "").unwrap();
    let streamed = read_all(out.event_stream).await;
    assert!(streamed.chunks.is_empty(), "{:?}", streamed.chunks);
    assert_eq!(streamed.error_code.as_deref(), Some("Unhandled"));
    let document = streamed.error_document();
    assert_eq!(document["errorType"], "Runtime.ExitError");
    assert!(
        document["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Runtime exited with error: exit status 7"),
        "{document}"
    );
    assert!(streamed.log.unwrap().contains("Runtime.ExitError"));
    let (_, again) = stream(&client, "streamer", json!({}), false).await;
    assert_eq!(again.payload(), b"first\nlast\n");
}

/// A timeout mid-stream ends the stream with the timeout error and kills the instance: the
/// next invocation is a cold start.
#[tokio::test]
async fn a_timeout_mid_stream_ends_it_and_the_next_start_is_cold() {
    let (_emulator, client) = start(STREAMERS).await;
    // A gate that never opens: the runtime waits past its 1 s timeout after `first`.
    let gate = support::temp_dir().join("never");
    let (_, streamed) = stream(&client, "slow_streamer", json!({ "gate": gate }), true).await;
    assert_eq!(streamed.payload(), b"first\n");
    assert_eq!(streamed.error_code.as_deref(), Some("Unhandled"));
    let document = streamed.error_document();
    assert_eq!(document["errorType"], "Sandbox.Timedout");
    assert!(
        document["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Task timed out after 1.00 seconds"),
        "{document}"
    );
    let (_, again) = stream(&client, "slow_streamer", json!({}), true).await;
    assert_eq!(again.payload(), b"first\nlast\n");
    let log = again.log.unwrap();
    assert!(log.contains("Init Duration"), "a cold start: {log}");
}

/// `/error` before any byte: no chunk, `Unhandled` with the runtime's error document, and
/// JSON as the content type (there is no response whose type to forward).
#[tokio::test]
async fn an_error_before_the_first_byte_is_unhandled() {
    let (_emulator, client) = start(STREAMERS).await;
    let (head, streamed) = stream(&client, "streamer", json!({"error_first": true}), false).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.content_type.as_deref(), Some("application/json"));
    assert!(streamed.chunks.is_empty(), "{:?}", streamed.chunks);
    assert_eq!(streamed.error_code.as_deref(), Some("Unhandled"));
    assert_eq!(
        streamed.error_document(),
        json!({"errorType": "StreamSetupError", "errorMessage": "could not start the stream"})
    );
}

/// A buffered function through the streaming API: its whole response as the stream's
/// content, `application/json` for a runtime that sent no type, then `InvokeComplete {}`; its
/// error is `Unhandled` with the document Invoke would return.
#[tokio::test]
async fn a_buffered_function_streams_its_whole_response() {
    let (_emulator, client) = start(STREAMERS).await;
    let event = json!({"action": "respond_bytes", "bytes": 300_000});
    let (head, streamed) = stream(&client, "buffered", event.clone(), false).await;
    assert_eq!(head.content_type.as_deref(), Some("application/json"));
    let buffered = client
        .invoke()
        .function_name("buffered")
        .payload(Blob::new(event.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.payload(), buffered.payload().unwrap().as_ref());
    assert_eq!(streamed.error_code, None);

    let (_, failed) = stream(&client, "buffered", json!({"action": "error"}), false).await;
    assert!(failed.chunks.is_empty());
    assert_eq!(failed.error_code.as_deref(), Some("Unhandled"));
    assert_eq!(
        failed.error_document(),
        json!({"errorType": "ProbeError", "errorMessage": "the probe was asked to fail"})
    );
}

/// A streaming function through plain Invoke is buffered up to 6 MB, as on AWS.
#[tokio::test]
async fn a_stream_over_six_mb_through_invoke_is_too_large() {
    let (_emulator, client) = start(STREAMERS).await;
    let out = client
        .invoke()
        .function_name("streamer")
        .payload(Blob::new(
            json!({"size": 6 * 1024 * 1024 + 100}).to_string(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(out.function_error(), Some("Unhandled"));
    let payload: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload["errorType"], "Function.ResponseSizeTooLarge");
    // Under the limit, the streamed body is the payload.
    let out = client
        .invoke()
        .function_name("streamer")
        .payload(Blob::new(json!({"size": 1_000_000}).to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.function_error(), None);
    assert_eq!(out.payload().unwrap().as_ref().len(), 6 + 1_000_000 + 5);
}

/// A stream over 200 MiB: everything up to the limit arrives, then `Unhandled` with
/// `Function.ResponseSizeTooLarge`; the runtime was answered 413 and its instance serves on.
#[tokio::test]
async fn a_stream_over_the_limit_ends_too_large() {
    let (_emulator, client) = start(STREAMERS).await;
    let limit = 200 * 1024 * 1024;
    // `big_streamer` has 60 s: 200 MiB through a debug build can outlast 5 s on a loaded machine.
    let (_, streamed) = stream(&client, "big_streamer", json!({"size": limit}), true).await;
    let received: usize = streamed.chunks.iter().map(Vec::len).sum();
    assert!(
        received <= limit && received > limit - 1024 * 1024,
        "{received}"
    );
    assert_eq!(streamed.error_code.as_deref(), Some("Unhandled"));
    assert_eq!(
        streamed.error_document(),
        json!({
            "errorType": "Function.ResponseSizeTooLarge",
            "errorMessage": "Response payload size exceeded maximum allowed payload size (209715200 bytes)."
        })
    );
    assert!(
        streamed
            .log
            .unwrap()
            .contains("the Runtime API answered HTTP/1.1 413"),
        "the runtime is told"
    );
    let (_, again) = stream(&client, "big_streamer", json!({}), true).await;
    assert!(!again.log.unwrap().contains("Init Duration"), "still warm");
}

/// A caller that hangs up mid-stream leaves no stuck instance: the runtime writes on into
/// nothing, its invocation ends, and the same instance serves the next caller.
#[tokio::test]
async fn a_caller_hanging_up_mid_stream_leaves_the_instance_warm() {
    let (_emulator, client) = start(STREAMERS).await;
    let gate = support::temp_dir().join("gate");
    let mut out = client
        .invoke_with_response_stream()
        .function_name("streamer")
        .payload(Blob::new(
            json!({ "gate": gate, "size": 4 * 1024 * 1024 }).to_string(),
        ))
        .send()
        .await
        .unwrap();
    let first = out.event_stream.recv().await.unwrap();
    assert!(matches!(first, Some(StreamEvent::PayloadChunk(_))));
    drop(out);
    std::fs::write(&gate, "").unwrap();
    let (_, again) = stream(&client, "streamer", json!({}), true).await;
    assert_eq!(again.payload(), b"first\nlast\n");
    assert!(
        !again.log.unwrap().contains("Init Duration"),
        "the same, warm instance"
    );
}

/// DryRun: 204 and nothing runs. `Event` is not an invocation type of this API.
#[tokio::test]
async fn dry_run_answers_204_and_event_is_refused() {
    let (emulator, _client) = start(STREAMERS).await;
    let dry = support::raw(
        &emulator,
        "POST",
        STREAM_PATH,
        &[("x-amz-invocation-type", "DryRun")],
        b"{}",
    )
    .await;
    assert_eq!(dry.status, 204);
    assert!(dry.body.is_empty());
    let event = support::raw(
        &emulator,
        "POST",
        STREAM_PATH,
        &[("x-amz-invocation-type", "Event")],
        b"{}",
    )
    .await;
    assert_eq!(event.status, 400);
    assert_eq!(
        event.header("x-amzn-errortype"),
        Some("ValidationException")
    );
    assert_eq!(
        event.json()["message"],
        "1 validation error detected: Value 'Event' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [RequestResponse, DryRun]"
    );
}

/// Method, path, headers, body; the status and error type AWS answers with.
type BadInput<'a> = (
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [u8],
    u16,
    &'a str,
);

/// Bad input on the streaming route gets the status and error type Invoke's gets.
#[tokio::test]
async fn bad_input_on_the_streaming_route_is_answered_as_for_invoke() {
    let (emulator, _client) = start(STREAMERS).await;
    let big = vec![b' '; 6 * 1024 * 1024 + 1];
    let cases: [BadInput; 7] = [
        (
            "POST",
            "/2021-11-15/functions/ghost/response-streaming-invocations",
            &[],
            b"{}",
            404,
            "ResourceNotFoundException",
        ),
        (
            "POST",
            "/2021-11-15/functions/bad%20name/response-streaming-invocations",
            &[],
            b"{}",
            400,
            "ValidationException",
        ),
        (
            "POST",
            "/2021-11-15/functions/streamer%3A1/response-streaming-invocations?Qualifier=2",
            &[],
            b"{}",
            400,
            "InvalidParameterValueException",
        ),
        (
            "POST",
            STREAM_PATH,
            &[],
            &big,
            413,
            "RequestEntityTooLargeException",
        ),
        (
            "POST",
            STREAM_PATH,
            &[("x-amz-client-context", "not base64!")],
            b"{}",
            400,
            "InvalidRequestContentException",
        ),
        (
            "POST",
            STREAM_PATH,
            &[],
            b"{not json",
            400,
            "InvalidRequestContentException",
        ),
        (
            "GET",
            STREAM_PATH,
            &[],
            b"",
            404,
            "UnknownOperationException",
        ),
    ];
    for (method, path, headers, body, status, error_type) in cases {
        let answer = support::raw(&emulator, method, path, headers, body).await;
        assert_eq!(
            (answer.status, answer.header("x-amzn-errortype")),
            (status, Some(error_type)),
            "{method} {path}: {}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    // Invoke's API date on the streaming path is no operation (cargo-lambda serves it; AWS does not).
    let wrong_date = support::raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/streamer/response-streaming-invocations",
        &[],
        b"{}",
    )
    .await;
    assert_eq!(wrong_date.status, 404);
    assert_eq!(
        wrong_date.header("x-amzn-errortype"),
        Some("UnknownOperationException")
    );
}

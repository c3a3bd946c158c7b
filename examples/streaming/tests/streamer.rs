//! The streamer's lambda tests: each invokes the real binary on the embedded local Lambda with
//! `InvokeWithResponseStream` (`stream = true`), or with plain `Invoke`, and compares the
//! outcome with the snapshot beside this file.

use std::path::Path;
use std::time::{Duration, Instant};

use lambda_test::{Harness, Invocation, Outcome, lambda_test};

/// Three lines, each its own chunk; the HTTP prelude is decoded into `http`.
#[lambda_test(function = "streamer", stream = true, payload = r#"{"lines": 3}"#)]
async fn streams_three_lines() {}

/// With `stream_chunks`, the snapshot shows the chunk count: the prelude, the 8 NUL bytes
/// after it (`lambda_runtime` sends each as its own chunk) and one per line.
#[lambda_test(
    function = "streamer",
    stream = true,
    stream_chunks = true,
    payload = r#"{"lines": 4}"#
)]
async fn counts_its_chunks(outcome: Outcome) {
    let streamed = outcome.stream.expect("a streamed outcome");
    assert_eq!(streamed.chunks, 2 + 4, "{streamed:?}");
}

/// The stream yields an `Err` after two lines: `lambda_runtime` writes its error chunk into the
/// body, Lambda forwards it as payload, and the snapshot shows it decoded (`in_body_error`).
#[lambda_test(
    function = "streamer",
    stream = true,
    payload = r#"{"lines": 3, "fail": "mid_stream"}"#
)]
async fn fails_mid_stream(outcome: Outcome) {
    let parts = outcome.stream_payload();
    assert_eq!(parts.body, b"line 1\nline 2\n");
    let error = parts.in_body_error.expect("the in-body error chunk");
    assert_eq!(error.error_type, "Runtime.StreamError");
    // As on AWS, the stream itself ended normally: the error is in the bytes.
    assert_eq!(outcome.stream.unwrap().error, None);
}

/// The function fails before streaming a byte: no payload, and the `InvokeComplete` event
/// carries `Unhandled` with the error document.
#[lambda_test(
    function = "streamer",
    stream = true,
    payload = r#"{"fail": "before_first_byte"}"#
)]
async fn fails_before_the_first_byte(outcome: Outcome) {
    assert_eq!(outcome.payload, None);
    let streamed = outcome.stream.expect("a streamed outcome");
    assert_eq!(streamed.first_byte, None);
    let error = streamed.error.expect("the InvokeComplete error");
    assert_eq!(error.code.as_deref(), Some("Unhandled"));
}

/// The function runs past its 3 s timeout between the second and third lines: the lines
/// streamed so far stay delivered, and the `InvokeComplete` event carries the timeout.
#[lambda_test(
    function = "streamer",
    stream = true,
    payload = r#"{"lines": 3, "pause_ms": 2000}"#
)]
async fn times_out_mid_stream(outcome: Outcome) {
    assert_eq!(outcome.stream_payload().body, b"line 1\nline 2\n");
    let error = outcome.stream.unwrap().error.expect("the timeout");
    assert_eq!(error.code.as_deref(), Some("Unhandled"));
}

/// The tail log comes in the `InvokeComplete` event; the REPORT line it ends with is what the
/// budgets read, streamed or not.
#[lambda_test(
    function = "streamer",
    stream = true,
    payload = r#"{"lines": 2}"#,
    max_duration_ms = 2000,
    snapshot = false
)]
async fn tail_log_comes_with_the_stream(outcome: Outcome) {
    assert_eq!(outcome.log_lines(), ["streaming 2 lines"]);
    let report = outcome.report().expect("a REPORT line");
    // The function streamed for at least the pause between its two lines.
    assert!(report.duration_ms >= 20.0, "{report:?}");
}

/// The first line is written at once: well within the budget, cold start included.
#[lambda_test(
    function = "streamer",
    stream = true,
    payload = r#"{"lines": 2}"#,
    max_first_byte_ms = 2000
)]
async fn first_byte_within_budget(outcome: Outcome) {
    let first = outcome.stream.unwrap().first_byte.expect("a first byte");
    assert!(first < Duration::from_millis(2000), "{first:?}");
}

/// A first byte 600 ms late fails a 300 ms budget.
#[lambda_test(
    function = "streamer",
    stream = true,
    payload = r#"{"lines": 1, "delay_ms": 600}"#,
    max_first_byte_ms = 300,
    snapshot = false
)]
#[should_panic(expected = "over budget: `max_first_byte_ms = 300`, but the first byte came after")]
async fn first_byte_over_budget() {}

/// A stream that fails before its first byte has no time to first byte: the budget fails.
#[lambda_test(
    function = "streamer",
    stream = true,
    payload = r#"{"fail": "before_first_byte"}"#,
    max_first_byte_ms = 1000,
    snapshot = false
)]
#[should_panic(expected = "`max_first_byte_ms = 1000`, but the stream sent no byte of a body")]
async fn no_first_byte_fails_the_budget() {}

/// A streamed `DryRun`: 204, nothing runs, nothing streams.
#[lambda_test(function = "streamer", stream = true, dry_run = true)]
async fn streamed_dry_run() {}

/// Plain `Invoke` of a streaming function: Lambda buffers the stream (up to 6 MB) and returns
/// its raw bytes, HTTP prelude and NUL bytes included, as AWS does.
#[lambda_test(function = "streamer", payload = r#"{"lines": 2}"#)]
async fn buffered_invoke_returns_the_raw_stream(outcome: Outcome) {
    let parts = outcome.stream_payload();
    assert_eq!(parts.http.expect("the prelude").status_code, Some(200));
    assert_eq!(parts.body, b"line 1\nline 2\n");
}

/// The library API: each chunk is handed over as it arrives, not once the stream has ended.
#[test]
fn chunks_arrive_as_they_are_written() {
    let harness = Harness::global();
    harness.block_on(async {
        let local = harness
            .local(Path::new(env!("CARGO_MANIFEST_DIR")))
            .await
            .expect("the local Lambda");
        let mut stream = Invocation::new("streamer")
            .payload(r#"{"lines": 3, "pause_ms": 300}"#)
            .send_streaming(local.client())
            .await
            .expect("a response stream");
        assert_eq!(stream.status_code(), 200);
        assert_eq!(
            stream.content_type(),
            Some(lambda_test::HTTP_INTEGRATION_CONTENT_TYPE)
        );
        let mut lines = Vec::new();
        while let Some(chunk) = stream.next_chunk().await.expect("a chunk") {
            if chunk.starts_with(b"line ") {
                lines.push((String::from_utf8_lossy(chunk).into_owned(), Instant::now()));
            }
        }
        let texts: Vec<&str> = lines.iter().map(|(text, _)| text.as_str()).collect();
        assert_eq!(texts, ["line 1\n", "line 2\n", "line 3\n"]);
        // Each line came about 300 ms after the one before: it was not buffered.
        for pair in lines.windows(2) {
            let gap = pair[1].1 - pair[0].1;
            assert!(gap >= Duration::from_millis(200), "{gap:?}");
        }
        let outcome = stream.finish().await.expect("the outcome");
        assert_eq!(outcome.stream_payload().body, b"line 1\nline 2\nline 3\n");
        assert_eq!(outcome.stream.unwrap().chunks, 2 + 3);
    });
}

/// A refused streamed invocation is an error, as for `Invoke`.
#[lambda_test(
    function = "no-such-streamer",
    stream = true,
    expect_error = "ResourceNotFoundException"
)]
async fn refuses_an_unknown_function(error: lambda_test::Error) {
    assert!(error.to_string().contains("no-such-streamer"), "{error}");
}

//! A function that streams its response: the streaming example of lambda-test.
//!
//! `{"lines": 3}` streams `line 1\n`, `line 2\n`, `line 3\n` as plain text, one chunk each,
//! `pause_ms` (default 20) apart, after `delay_ms` (default 0) before the first. `fail` picks a
//! failure: `"mid_stream"` ends the stream with an error after the second line (the stream
//! yields an `Err`, which `lambda_runtime` writes into the body as its error chunk), and
//! `"before_first_byte"` fails before streaming anything (the function error `NoSource`).

use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};
use lambda_runtime::{Diagnostic, LambdaEvent, MetadataPrelude, StreamResponse, service_fn};
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;

/// The response stream: each item a chunk, or the error that ends the stream.
type Lines = ReceiverStream<Result<String, String>>;

#[derive(Deserialize)]
struct Request {
    #[serde(default = "default_lines")]
    lines: u32,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default = "default_pause_ms")]
    pause_ms: u64,
    #[serde(default)]
    fail: Option<Failure>,
}

fn default_lines() -> u32 {
    3
}

fn default_pause_ms() -> u64 {
    20
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Failure {
    MidStream,
    BeforeFirstByte,
}

/// The function's own error, reported before any byte is streamed.
#[derive(Debug)]
struct NoSource;

impl From<NoSource> for Diagnostic {
    fn from(_: NoSource) -> Diagnostic {
        Diagnostic {
            error_type: "NoSource".into(),
            error_message: "there is nothing to stream".into(),
        }
    }
}

async fn stream_lines(event: LambdaEvent<Request>) -> Result<StreamResponse<Lines>, NoSource> {
    let request = event.payload;
    if request.fail == Some(Failure::BeforeFirstByte) {
        println!("no source: failing before the first byte");
        return Err(NoSource);
    }
    println!("streaming {} lines", request.lines);
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(request.delay_ms)).await;
        for n in 1..=request.lines {
            if n > 1 {
                // Apart, so that each line is its own chunk all the way to the caller.
                tokio::time::sleep(Duration::from_millis(request.pause_ms)).await;
            }
            if request.fail == Some(Failure::MidStream) && n == 3 {
                println!("the source went away after 2 lines");
                let _ = sender
                    .send(Err("the source went away after 2 lines".to_owned()))
                    .await;
                return;
            }
            if sender.send(Ok(format!("line {n}\n"))).await.is_err() {
                return;
            }
        }
    });
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(StreamResponse {
        metadata_prelude: MetadataPrelude {
            status_code: StatusCode::OK,
            headers,
            cookies: vec!["session=streamer".to_owned()],
        },
        stream: ReceiverStream::new(receiver),
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(stream_lines)).await
}

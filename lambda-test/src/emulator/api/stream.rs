//! InvokeWithResponseStream (lambda-extensions.md §1): the request as Invoke's, checked by the
//! same steps ([`invoke::accept`]); the answer forwarded chunk by chunk as the runtime writes
//! it, framed as `application/vnd.amazon.eventstream` (`PayloadChunk` events, then one
//! `InvokeComplete`), never collected first.
//!
//! How each ending reaches the caller (the status is 200 once the stream began, as on AWS):
//!
//! | ending | `InvokeComplete` |
//! |---|---|
//! | the body ended | `{}`, or `{"LogResult"}` with a tail |
//! | error trailers (`Lambda-Runtime-Function-Error-Type`/`-Body`, as aws-lambda-go sends them) | `ErrorCode` = the type, `ErrorDetails` = the decoded body |
//! | `/error` before the first byte, a timeout, a crash, a body over the limit | `ErrorCode` `Unhandled`, `ErrorDetails` = the error document buffered Invoke returns |
//!
//! `lambda_runtime` writes its stream errors as ordinary body bytes (`Lambda-Runtime-Function-
//! Error-Type: Runtime.StreamError` ... in a last data chunk, not as trailers, §2.2): Lambda
//! cannot tell them from payload, so they are forwarded as payload, as AWS forwards them.

use std::sync::Arc;

use aws_smithy_types::event_stream::{Header, HeaderValue as EventHeaderValue, Message};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::channel::{Channel, Sender};
use tokio::sync::oneshot;

use crate::emulator::Service;
use crate::emulator::api::error::AwsError;
use crate::emulator::api::invoke;
use crate::emulator::api::layer::RequestId;
use crate::emulator::api::post_only;
use crate::emulator::api::request::{Head, InvocationType, LogType};
use crate::emulator::functions::{StreamingInvocation, response_too_large};
use crate::emulator::instance::Answer;
use crate::emulator::logs;
use crate::emulator::runtime_api::{
    BodyEnd, ErrorDocument, MAX_RESPONSE_BYTES, MAX_STREAMED_RESPONSE_BYTES, ResponseMode,
};

/// Event-stream messages in flight to the caller: with the runtime side's own small buffer,
/// a caller who reads slowly holds the runtime back instead of filling memory.
const MESSAGES_IN_FLIGHT: usize = 8;

/// The route, for `api::router` to mount under its layer.
pub(super) fn routes() -> Router<Arc<Service>> {
    Router::new().route(
        "/2021-11-15/functions/{name}/response-streaming-invocations",
        post_only(invoke_with_response_stream),
    )
}

/// `POST /2021-11-15/functions/{name}/response-streaming-invocations`.
async fn invoke_with_response_stream(
    State(shared): State<Arc<Service>>,
    Extension(request_id): Extension<RequestId>,
    request: Request,
) -> Result<Response, AwsError> {
    let (resolved, request) = invoke::accept(&shared, Head::parse_streaming, request).await?;
    let served = |status| resolved.served(status);
    if request.invocation_type == InvocationType::DryRun {
        return Ok(served("204 DryRun").attach(StatusCode::NO_CONTENT.into_response()));
    }
    // Throttling is an ordinary error answer: it comes before the stream begins.
    let slot = resolved.function.acquire()?;
    let pool = Arc::clone(
        resolved
            .function
            .pool(&resolved.version)
            .expect("resolved versions exist"),
    );
    let log_wanted = request.log_type == LogType::Tail;
    let invoke = invoke::invocation(&request_id, &resolved, request);
    let (started_tx, started_rx) = oneshot::channel();
    // The invocation and its forwarding run to their end even if the caller hangs up, as on
    // AWS; the concurrency slot is held until then.
    tokio::spawn(async move {
        let started = pool.invoke_streaming(invoke).await;
        let (sender, body) = Channel::new(MESSAGES_IN_FLIGHT);
        let head = StreamHead {
            executed_version: started.executed_version.clone(),
            content_type: content_type(&started.answer),
            body,
        };
        if started_tx.send(head).is_ok() {
            forward(started, sender, log_wanted).await;
        }
        drop(slot);
    });
    let head = started_rx
        .await
        .map_err(|_| AwsError::service("the streaming invocation ended before its answer"))?;
    Ok(served("200 Stream").attach(head.into_response()))
}

/// The start of the answer: known once the runtime begins to respond.
struct StreamHead {
    executed_version: String,
    content_type: HeaderValue,
    body: Channel<Bytes>,
}

impl StreamHead {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::new(self.body));
        let headers = response.headers_mut();
        // The function's own content type (lambda-extensions.md §0.1); the body is still an
        // event stream.
        headers.insert("content-type", self.content_type);
        if let Ok(v) = HeaderValue::from_str(&self.executed_version) {
            headers.insert("x-amz-executed-version", v);
        }
        response
    }
}

/// The runtime's `Content-Type`; without one, what its response mode implies (§1.2): JSON
/// for a buffered function, bytes for a streaming one. An error before any byte is JSON.
fn content_type(answer: &Answer) -> HeaderValue {
    let fallback = match answer {
        Answer::Response { head, .. } if head.mode == ResponseMode::Streaming => {
            "application/octet-stream"
        }
        _ => "application/json",
    };
    let given = match answer {
        Answer::Response { head, .. } => head.content_type.as_deref(),
        _ => None,
    };
    given
        .and_then(|t| HeaderValue::from_str(t).ok())
        .unwrap_or_else(|| HeaderValue::from_static(fallback))
}

/// Forwards the body as `PayloadChunk`s as it arrives, then the `InvokeComplete`.
async fn forward(started: StreamingInvocation, mut out: Sender<Bytes>, log_wanted: bool) {
    let StreamingInvocation {
        answer, finished, ..
    } = started;
    let ending = match answer {
        Answer::Response { head, mut body } => {
            while let Some(chunk) = body.next_chunk().await {
                // An empty chunk says nothing; AWS forwards none (§1.4).
                if chunk.is_empty() {
                    continue;
                }
                if out.send_data(payload_chunk(chunk)).await.is_err() {
                    // The caller hung up. Dropping the body lets the runtime write on into
                    // nothing, so the invocation ends as it would have and its instance
                    // stays warm; it counts against the function's concurrency until then.
                    drop(body);
                    finished.wait().await;
                    return;
                }
            }
            match body.end().cloned().unwrap_or(BodyEnd::Truncated) {
                BodyEnd::Complete => Ending::Success,
                BodyEnd::ErrorTrailer {
                    error_type,
                    error_body,
                } => Ending::Error {
                    code: error_type,
                    details: String::from_utf8_lossy(&error_body).into_owned(),
                },
                BodyEnd::TooLarge => Ending::unhandled(&response_too_large(match head.mode {
                    ResponseMode::Buffered => MAX_RESPONSE_BYTES,
                    ResponseMode::Streaming => MAX_STREAMED_RESPONSE_BYTES,
                })),
                // The runtime stopped mid-body: the invocation's end tells why.
                BodyEnd::Truncated => Ending::FromFinish,
            }
        }
        Answer::FunctionError(document) => Ending::unhandled(&document),
        Answer::Failed(_) => Ending::FromFinish,
    };
    let needs_end = log_wanted || matches!(ending, Ending::FromFinish);
    let finished = if needs_end {
        Some(finished.wait().await)
    } else {
        None
    };
    let ending = match ending {
        Ending::FromFinish => Ending::unhandled(
            &finished
                .as_ref()
                .and_then(|f| f.error.clone())
                .unwrap_or_else(|| {
                    ErrorDocument::new("Runtime.TruncatedResponse", "The response was truncated.")
                        .to_bytes()
                }),
        ),
        other => other,
    };
    let log_result = finished
        .filter(|_| log_wanted)
        .map(|f| BASE64.encode(logs::tail(&f.log)));
    let _ = out.send_data(invoke_complete(&ending, log_result)).await;
}

/// How a stream ended, for its `InvokeComplete`.
enum Ending {
    Success,
    Error {
        code: String,
        details: String,
    },
    /// Known only once the invocation ended (a timeout, a crash).
    FromFinish,
}

impl Ending {
    /// A failure as Lambda reports it in a stream: `Unhandled`, with the error document.
    fn unhandled(document: &[u8]) -> Ending {
        Ending::Error {
            code: "Unhandled".to_owned(),
            details: String::from_utf8_lossy(document).into_owned(),
        }
    }
}

/// One `PayloadChunk` event: the bytes as they are, with the headers aws-sdk-rust requires
/// (`:message-type`, and `:content-type` `application/octet-stream`, §1.3).
fn payload_chunk(bytes: Bytes) -> Bytes {
    event("PayloadChunk", "application/octet-stream", bytes)
}

/// The last event: `{}` for a success, else `ErrorCode`/`ErrorDetails`; `LogResult` when a
/// tail was asked for.
fn invoke_complete(ending: &Ending, log_result: Option<String>) -> Bytes {
    let mut fields = serde_json::Map::new();
    if let Ending::Error { code, details } = ending {
        fields.insert("ErrorCode".into(), code.as_str().into());
        fields.insert("ErrorDetails".into(), details.as_str().into());
    }
    if let Some(tail) = log_result {
        fields.insert("LogResult".into(), tail.into());
    }
    let json = serde_json::to_vec(&fields).expect("a JSON object serializes");
    event("InvokeComplete", "application/json", Bytes::from(json))
}

/// One event-stream message, framed by `aws-smithy-eventstream`.
fn event(event_type: &'static str, content_type: &'static str, payload: Bytes) -> Bytes {
    let message = Message::new(payload)
        .add_header(Header::new(
            ":event-type",
            EventHeaderValue::String(event_type.into()),
        ))
        .add_header(Header::new(
            ":content-type",
            EventHeaderValue::String(content_type.into()),
        ))
        .add_header(Header::new(
            ":message-type",
            EventHeaderValue::String("event".into()),
        ));
    let mut framed = Vec::with_capacity(message.payload().len() + 96);
    aws_smithy_eventstream::frame::write_message_to(&message, &mut framed)
        .expect("a chunk of at most the stream limit frames");
    Bytes::from(framed)
}

#[cfg(test)]
mod tests {
    use aws_smithy_eventstream::frame::read_message_from;

    use super::*;

    fn header<'a>(message: &'a Message, name: &str) -> &'a str {
        message
            .headers()
            .iter()
            .find(|h| h.name().as_str() == name)
            .and_then(|h| h.value().as_string().ok())
            .map(|s| s.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    #[test]
    fn a_payload_chunk_is_an_event_of_raw_bytes() {
        let framed = payload_chunk(Bytes::from_static(b"\0\x01raw"));
        let message = read_message_from(framed).unwrap();
        assert_eq!(header(&message, ":message-type"), "event");
        assert_eq!(header(&message, ":event-type"), "PayloadChunk");
        assert_eq!(
            header(&message, ":content-type"),
            "application/octet-stream"
        );
        assert_eq!(message.payload().as_ref(), b"\0\x01raw");
    }

    #[test]
    fn invoke_complete_carries_only_what_happened() {
        let success = read_message_from(invoke_complete(&Ending::Success, None)).unwrap();
        assert_eq!(header(&success, ":event-type"), "InvokeComplete");
        assert_eq!(success.payload().as_ref(), b"{}");

        let failed = Ending::unhandled(br#"{"errorType":"Sandbox.Timedout"}"#);
        let message = read_message_from(invoke_complete(&failed, Some("dGFpbA==".into()))).unwrap();
        let fields: serde_json::Value = serde_json::from_slice(message.payload()).unwrap();
        assert_eq!(
            fields,
            serde_json::json!({
                "ErrorCode": "Unhandled",
                "ErrorDetails": r#"{"errorType":"Sandbox.Timedout"}"#,
                "LogResult": "dGFpbA==",
            })
        );
    }
}

//! One `InvokeWithResponseStream` call through `aws-sdk-lambda`: the chunks as they arrive,
//! then an [`Outcome`]; and the decoding of what a streaming function sends (the HTTP prelude
//! of `lambda_runtime`, and its in-body error "trailer").

use std::time::{Duration, Instant};

use aws_sdk_lambda::error::ProvideErrorMetadata as _;
use aws_sdk_lambda::operation::RequestId as _;
use aws_sdk_lambda::operation::invoke_with_response_stream::InvokeWithResponseStreamOutput;
use aws_sdk_lambda::types::InvokeWithResponseStreamResponseEvent as Event;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use crate::Error;
use crate::client::outcome::Outcome;
use crate::client::sdk_error;
use crate::client::tail_log::TailLog;

/// The content type `lambda_runtime` (and `lambda_http`) always stream with: the payload
/// starts with a JSON prelude (status, headers, cookies) and 8 NUL bytes, then the body.
///
/// ```
/// assert_eq!(
///     lambda_test::HTTP_INTEGRATION_CONTENT_TYPE,
///     "application/vnd.awslambda.http-integration-response"
/// );
/// ```
pub const HTTP_INTEGRATION_CONTENT_TYPE: &str =
    "application/vnd.awslambda.http-integration-response";

/// The 8 NUL bytes between the HTTP prelude and the body.
const PRELUDE_SEPARATOR: [u8; 8] = [0; 8];
/// The start of the error chunk `lambda_runtime` writes into the body when its stream fails.
const IN_BODY_ERROR_TYPE: &str = "Lambda-Runtime-Function-Error-Type: ";
/// Between the error type and the base64 error body of that chunk.
const IN_BODY_ERROR_BODY: &str = "\r\nLambda-Runtime-Function-Error-Body: ";

/// A response stream being read: its headers at once, then each payload chunk as it arrives
/// ([`ResponseStream::next_chunk`]), then the [`Outcome`] ([`ResponseStream::finish`]).
///
/// Made by [`Invocation::send_streaming`](crate::Invocation::send_streaming). Every chunk is
/// kept: the outcome carries the joined payload.
///
/// ```no_run
/// # async fn demo(client: aws_sdk_lambda::Client) -> Result<(), lambda_test::Error> {
/// use lambda_test::Invocation;
///
/// let mut stream = Invocation::new("streamer").send_streaming(&client).await?;
/// assert_eq!(stream.status_code(), 200);
/// while let Some(chunk) = stream.next_chunk().await? {
///     println!("{} bytes: {}", chunk.len(), String::from_utf8_lossy(chunk));
/// }
/// let outcome = stream.finish().await?;
/// let streamed = outcome.stream.as_ref().expect("a streamed outcome");
/// assert!(streamed.error.is_none(), "{:?}", streamed.error);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ResponseStream {
    function: String,
    output: InvokeWithResponseStreamOutput,
    sent_at: Instant,
    endpoint: Option<String>,
    payload: Vec<u8>,
    chunks: usize,
    first_byte: Option<Duration>,
    /// Where the body starts, once known: after the HTTP prelude of an HTTP-integration
    /// response, else at 0.
    body_start: Option<usize>,
    /// How far the payload was searched for the end of the prelude.
    searched: usize,
    complete: Option<InvokeComplete>,
    ended: bool,
}

/// The streamed part of an [`Outcome`]: what an `InvokeWithResponseStream` call adds to the
/// fields a buffered invocation has (`payload` is then the joined chunks, raw).
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// let streamed = outcome.stream.as_ref().expect("invoked with `send_streaming`");
/// assert!(streamed.chunks >= 3, "{streamed:?}");
/// assert!(streamed.first_byte.unwrap() < std::time::Duration::from_millis(500));
/// assert_eq!(streamed.error, None);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Streamed {
    /// The HTTP `Content-Type`: the function's own (`lambda_runtime` always sends
    /// [`HTTP_INTEGRATION_CONTENT_TYPE`]).
    pub content_type: Option<String>,
    /// How many non-empty `PayloadChunk` events arrived (the HTTP prelude and the NUL bytes
    /// after it included: `lambda_runtime` sends each as its own chunk).
    pub chunks: usize,
    /// From sending the request to the first byte of the body: of an HTTP-integration
    /// response, the first byte after its prelude (which `lambda_runtime` sends before the
    /// function writes anything), else the first byte of the payload. `None` when no body
    /// byte came.
    pub first_byte: Option<Duration>,
    /// The error of the final `InvokeComplete` event, if any.
    pub error: Option<InvokeCompleteError>,
}

/// The error an `InvokeComplete` event reports: `Unhandled` with the error document for a
/// function that failed, timed out or crashed; the runtime's error type and body for an
/// error sent as HTTP trailers (as aws-lambda-go does).
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// let error = outcome.stream.unwrap().error.expect("a failed stream");
/// assert_eq!(error.code.as_deref(), Some("Unhandled"));
/// assert!(error.details.unwrap().contains("errorMessage"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvokeCompleteError {
    /// `ErrorCode`.
    pub code: Option<String>,
    /// `ErrorDetails`, as sent (often JSON text).
    pub details: Option<String>,
}

/// The decoded `InvokeComplete` event.
#[derive(Debug)]
struct InvokeComplete {
    error: Option<InvokeCompleteError>,
    log: Option<TailLog>,
}

impl ResponseStream {
    pub(crate) fn new(
        function: String,
        output: InvokeWithResponseStreamOutput,
        sent_at: Instant,
        endpoint: Option<String>,
    ) -> Self {
        // A DryRun (204) has no event stream to read.
        let ended = output.status_code() == 204;
        Self {
            function,
            output,
            sent_at,
            endpoint,
            payload: Vec::new(),
            chunks: 0,
            first_byte: None,
            body_start: None,
            searched: 0,
            complete: None,
            ended,
        }
    }

    /// 200, or 204 for a `DryRun`.
    ///
    /// ```no_run
    /// # async fn demo(stream: lambda_test::ResponseStream) {
    /// assert_eq!(stream.status_code(), 200);
    /// # }
    /// ```
    pub fn status_code(&self) -> u16 {
        u16::try_from(self.output.status_code()).unwrap_or(0)
    }

    /// `X-Amz-Executed-Version`: the version that runs.
    ///
    /// ```no_run
    /// # async fn demo(stream: lambda_test::ResponseStream) {
    /// assert_eq!(stream.executed_version(), Some("$LATEST"));
    /// # }
    /// ```
    pub fn executed_version(&self) -> Option<&str> {
        self.output.executed_version()
    }

    /// The function's content type (the HTTP `Content-Type`).
    ///
    /// ```no_run
    /// # async fn demo(stream: lambda_test::ResponseStream) {
    /// assert_eq!(
    ///     stream.content_type(),
    ///     Some(lambda_test::HTTP_INTEGRATION_CONTENT_TYPE)
    /// );
    /// # }
    /// ```
    pub fn content_type(&self) -> Option<&str> {
        self.output.response_stream_content_type()
    }

    /// `x-amzn-RequestId`.
    ///
    /// ```no_run
    /// # async fn demo(stream: lambda_test::ResponseStream) {
    /// println!("request id {:?}", stream.request_id());
    /// # }
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        self.output.request_id()
    }

    /// How many non-empty chunks arrived so far.
    ///
    /// ```no_run
    /// # async fn demo(stream: lambda_test::ResponseStream) {
    /// assert_eq!(stream.chunks(), 0, "nothing read yet");
    /// # }
    /// ```
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    /// The time from sending to the first byte of the body ([`Streamed::first_byte`]), once it
    /// came.
    ///
    /// ```no_run
    /// # async fn demo(stream: lambda_test::ResponseStream) {
    /// assert_eq!(stream.first_byte(), None, "nothing read yet");
    /// # }
    /// ```
    pub fn first_byte(&self) -> Option<Duration> {
        self.first_byte
    }

    /// The next non-empty payload chunk, as it arrives; `None` once the stream ended (with its
    /// `InvokeComplete` event, read by [`ResponseStream::finish`]). A broken stream is an
    /// [`Error::Invoke`].
    ///
    /// ```no_run
    /// # async fn demo(mut stream: lambda_test::ResponseStream) -> Result<(), lambda_test::Error> {
    /// let first = stream.next_chunk().await?.expect("a first chunk").to_vec();
    /// println!("first chunk after {:?}: {first:?}", stream.first_byte());
    /// # Ok(()) }
    /// ```
    pub async fn next_chunk(&mut self) -> Result<Option<&[u8]>, Error> {
        while !self.ended {
            match self.output.event_stream.recv().await {
                Ok(Some(Event::PayloadChunk(update))) => {
                    let bytes = update.payload.map(|b| b.into_inner()).unwrap_or_default();
                    // Lambda sends no empty chunk; one would be no byte to count.
                    if bytes.is_empty() {
                        continue;
                    }
                    self.chunks += 1;
                    let start = self.payload.len();
                    self.payload.extend_from_slice(&bytes);
                    self.note_first_byte();
                    return Ok(Some(&self.payload[start..]));
                }
                Ok(Some(Event::InvokeComplete(complete))) => {
                    let error = (complete.error_code.is_some() || complete.error_details.is_some())
                        .then(|| InvokeCompleteError {
                            code: complete.error_code.clone(),
                            details: complete.error_details.clone(),
                        });
                    let log = complete
                        .log_result()
                        .and_then(|encoded| TailLog::decode(encoded).ok());
                    self.complete = Some(InvokeComplete { error, log });
                    self.ended = true;
                }
                // An event this SDK does not know: skipped, as the SDK's own docs advise.
                Ok(Some(_)) => {}
                Ok(None) => self.ended = true,
                Err(e) => {
                    self.ended = true;
                    return Err(Error::Invoke {
                        function: self.function.clone(),
                        code: e.code().map(str::to_owned),
                        message: format!(
                            "the response stream broke after {} chunks ({} bytes): {}",
                            self.chunks,
                            self.payload.len(),
                            sdk_error::describe(&e, self.endpoint.as_deref())
                        ),
                    });
                }
            }
        }
        Ok(None)
    }

    /// Records the time of the first body byte, once the payload holds one.
    fn note_first_byte(&mut self) {
        if self.first_byte.is_some() {
            return;
        }
        if self.body_start.is_none() {
            let prelude_expected = self.content_type() == Some(HTTP_INTEGRATION_CONTENT_TYPE)
                && self.payload.first() == Some(&b'{');
            if !prelude_expected {
                self.body_start = Some(0);
            } else {
                // From a little before the last search's end: the separator may straddle chunks.
                let from = self.searched.saturating_sub(PRELUDE_SEPARATOR.len() - 1);
                self.body_start = self.payload[from..]
                    .windows(PRELUDE_SEPARATOR.len())
                    .position(|w| w == PRELUDE_SEPARATOR)
                    .map(|at| from + at + PRELUDE_SEPARATOR.len());
                self.searched = self.payload.len();
            }
        }
        if self
            .body_start
            .is_some_and(|start| self.payload.len() > start)
        {
            self.first_byte = Some(self.sent_at.elapsed());
        }
    }

    /// Reads the rest of the stream and returns the outcome: the joined payload, and the
    /// [`Streamed`] details with the `InvokeComplete` error and tail log. A 200 stream that
    /// ends without `InvokeComplete` is an [`Error::Invoke`]: Lambda always sends one.
    ///
    /// ```no_run
    /// # async fn demo(client: aws_sdk_lambda::Client) -> Result<(), lambda_test::Error> {
    /// let outcome = lambda_test::Invocation::new("streamer")
    ///     .send_streaming(&client)
    ///     .await?
    ///     .finish()
    ///     .await?;
    /// println!("{}", outcome.payload_text());
    /// # Ok(()) }
    /// ```
    pub async fn finish(mut self) -> Result<Outcome, Error> {
        while self.next_chunk().await?.is_some() {}
        let status_code = self.status_code();
        let complete = match self.complete.take() {
            Some(complete) => complete,
            None if status_code == 204 => InvokeComplete {
                error: None,
                log: None,
            },
            None => {
                return Err(Error::Invoke {
                    function: self.function,
                    code: None,
                    message: format!(
                        "the response stream ended after {} chunks without its `InvokeComplete` event",
                        self.chunks
                    ),
                });
            }
        };
        Ok(Outcome {
            status_code,
            function_error: None,
            executed_version: self.executed_version().map(str::to_owned),
            request_id: self.request_id().map(str::to_owned),
            payload: (!self.payload.is_empty()).then_some(self.payload),
            log: complete.log,
            target: None,
            url: None,
            stream: Some(Streamed {
                content_type: self.output.response_stream_content_type.take(),
                chunks: self.chunks,
                first_byte: self.first_byte,
                error: complete.error,
            }),
        })
    }
}

/// A streamed payload taken apart: the HTTP prelude `lambda_runtime` starts it with, the body,
/// and the error chunk `lambda_runtime` ends it with when its stream failed. Lambda forwards
/// both as payload bytes; this reads them. Made by [`Outcome::stream_payload`].
///
/// ```
/// use lambda_test::StreamPayload;
///
/// let raw = b"{\"statusCode\":200,\"headers\":{\"content-type\":\"text/plain\"},\"cookies\":[]}\
///             \0\0\0\0\0\0\0\0hello\n";
/// let parts = StreamPayload::parse(raw);
/// assert_eq!(parts.http.unwrap().status_code, Some(200));
/// assert_eq!(parts.body, b"hello\n");
/// assert!(parts.in_body_error.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamPayload<'a> {
    /// The decoded prelude, when the payload starts with one.
    pub http: Option<HttpPrelude>,
    /// What follows the prelude, without a final in-body error chunk.
    pub body: &'a [u8],
    /// The final in-body error chunk, decoded, when there is one.
    pub in_body_error: Option<InBodyError>,
}

/// The JSON prelude of an HTTP-integration response (`statusCode`, `headers`, `cookies`):
/// what a Function URL turns into the HTTP response's status and headers.
///
/// ```
/// let parts = lambda_test::StreamPayload::parse(
///     b"{\"statusCode\":201,\"headers\":{},\"cookies\":[\"a=1\"]}\0\0\0\0\0\0\0\0",
/// );
/// let http = parts.http.unwrap();
/// assert_eq!(http.status_code, Some(201));
/// assert_eq!(http.cookies, ["a=1"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HttpPrelude {
    /// `statusCode`.
    pub status_code: Option<u16>,
    /// `headers`: each value a string, or an array for a repeated name.
    pub headers: Map<String, Value>,
    /// `cookies`.
    pub cookies: Vec<String>,
}

/// The error chunk `lambda_runtime` writes into the body when a stream item is an `Err`:
/// `Lambda-Runtime-Function-Error-Type: <type>\r\nLambda-Runtime-Function-Error-Body:
/// <base64>\r\n`. (It declares HTTP trailers but sends this as data, so Lambda delivers it as
/// payload bytes and the `InvokeComplete` event carries no error.)
///
/// ```
/// let parts = lambda_test::StreamPayload::parse(
///     b"partial\nLambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n\
///       Lambda-Runtime-Function-Error-Body: Ym9vbQ==\r\n",
/// );
/// assert_eq!(parts.body, b"partial\n");
/// let error = parts.in_body_error.unwrap();
/// assert_eq!(error.error_type, "Runtime.StreamError");
/// assert_eq!(error.message, "boom");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InBodyError {
    /// `Lambda-Runtime-Function-Error-Type`.
    pub error_type: String,
    /// `Lambda-Runtime-Function-Error-Body`, base64-decoded (lossy UTF-8).
    pub message: String,
}

impl<'a> StreamPayload<'a> {
    /// Takes a payload apart; bytes that have no prelude or no error chunk are all body.
    pub fn parse(payload: &'a [u8]) -> StreamPayload<'a> {
        let (http, rest) = match split_prelude(payload) {
            Some((http, rest)) => (Some(http), rest),
            None => (None, payload),
        };
        let (body, in_body_error) = match split_in_body_error(rest) {
            Some((body, error)) => (body, Some(error)),
            None => (rest, None),
        };
        StreamPayload {
            http,
            body,
            in_body_error,
        }
    }
}

/// A JSON object followed by the 8 NUL bytes: JSON text holds no raw NUL, so the first NUL
/// run ends the prelude.
fn split_prelude(payload: &[u8]) -> Option<(HttpPrelude, &[u8])> {
    if payload.first() != Some(&b'{') {
        return None;
    }
    let at = payload
        .windows(PRELUDE_SEPARATOR.len())
        .position(|w| w == PRELUDE_SEPARATOR)?;
    let Ok(Value::Object(prelude)) = serde_json::from_slice::<Value>(&payload[..at]) else {
        return None;
    };
    let status_code = prelude
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok());
    let headers = match prelude.get("headers") {
        Some(Value::Object(headers)) => headers.clone(),
        _ => Map::new(),
    };
    let cookies = prelude
        .get("cookies")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let http = HttpPrelude {
        status_code,
        headers,
        cookies,
    };
    Some((http, &payload[at + PRELUDE_SEPARATOR.len()..]))
}

/// The last error chunk, when it ends the body exactly as `lambda_runtime` writes it.
fn split_in_body_error(body: &[u8]) -> Option<(&[u8], InBodyError)> {
    let marker = IN_BODY_ERROR_TYPE.as_bytes();
    let at = body.windows(marker.len()).rposition(|w| w == marker)?;
    let text = std::str::from_utf8(&body[at + marker.len()..]).ok()?;
    let (error_type, encoded) = text.strip_suffix("\r\n")?.split_once(IN_BODY_ERROR_BODY)?;
    if error_type.contains(['\r', '\n']) {
        return None;
    }
    let decoded = BASE64.decode(encoded).ok()?;
    let error = InBodyError {
        error_type: error_type.to_owned(),
        message: String::from_utf8_lossy(&decoded).into_owned(),
    };
    Some((&body[..at], error))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRELUDE: &[u8] = b"{\"statusCode\":200,\"headers\":{\"content-type\":\"text/plain\",\"x-a\":[\"1\",\"2\"]},\"cookies\":[\"c=1\"]}";

    fn with_prelude(body: &[u8]) -> Vec<u8> {
        [PRELUDE, &PRELUDE_SEPARATOR, body].concat()
    }

    #[test]
    fn prelude_body_and_error_are_taken_apart() {
        let error = format!(
            "{IN_BODY_ERROR_TYPE}Runtime.StreamError{IN_BODY_ERROR_BODY}{}\r\n",
            BASE64.encode("disk on fire")
        );
        let raw = with_prelude(format!("one\ntwo\n{error}").as_bytes());
        let parts = StreamPayload::parse(&raw);
        let http = parts.http.unwrap();
        assert_eq!(http.status_code, Some(200));
        assert_eq!(http.headers["content-type"], "text/plain");
        assert_eq!(http.headers["x-a"], serde_json::json!(["1", "2"]));
        assert_eq!(http.cookies, ["c=1"]);
        assert_eq!(parts.body, b"one\ntwo\n");
        let error = parts.in_body_error.unwrap();
        assert_eq!(error.error_type, "Runtime.StreamError");
        assert_eq!(error.message, "disk on fire");
    }

    #[test]
    fn without_a_prelude_everything_is_body() {
        for raw in [
            &b"plain text"[..],
            b"{\"a\":1}",
            // JSON, but no separator after it.
            b"{\"a\":1}\0\0\0\0\0\0\0",
            // A separator, but no JSON object before it.
            b"{not json}\0\0\0\0\0\0\0\0rest",
        ] {
            let parts = StreamPayload::parse(raw);
            assert_eq!(parts.http, None, "{raw:?}");
            assert_eq!(parts.body, raw);
        }
        let prelude_only = with_prelude(b"");
        let empty = StreamPayload::parse(&prelude_only);
        assert!(empty.http.is_some());
        assert_eq!(empty.body, b"");
    }

    #[test]
    fn an_error_chunk_must_end_the_body_in_its_exact_form() {
        let good = format!("{IN_BODY_ERROR_TYPE}T{IN_BODY_ERROR_BODY}eA==\r\n");
        for not_an_error in [
            format!("{good}more"),
            format!("{IN_BODY_ERROR_TYPE}T{IN_BODY_ERROR_BODY}eA=="),
            format!("{IN_BODY_ERROR_TYPE}T{IN_BODY_ERROR_BODY}not base64!\r\n"),
            format!("{IN_BODY_ERROR_TYPE}T\r\nX{IN_BODY_ERROR_BODY}eA==\r\n"),
        ] {
            let parts = StreamPayload::parse(not_an_error.as_bytes());
            assert_eq!(parts.in_body_error, None, "{not_an_error:?}");
            assert_eq!(parts.body, not_an_error.as_bytes());
        }
        // The marker earlier in the body is body text: the last one is the error.
        let raw = format!("quoting {IN_BODY_ERROR_TYPE}here\n{good}");
        let parts = StreamPayload::parse(raw.as_bytes());
        assert_eq!(parts.in_body_error.unwrap().message, "x");
        assert_eq!(
            parts.body,
            format!("quoting {IN_BODY_ERROR_TYPE}here\n").as_bytes()
        );
    }
}

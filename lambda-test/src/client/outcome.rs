//! What an invocation returned, and the record a snapshot holds.

use std::borrow::Cow;

use regex::Regex;
use serde::Serialize;
use serde::ser::{SerializeStruct as _, Serializer};
use serde_json::Value;

use crate::client::http_response::HttpResponseRecord;
use crate::client::stream::{StreamPayload, Streamed};
use crate::client::tail_log::{Report, TailLog};
use crate::client::target::Target;

/// The result of one invocation the service accepted.
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// assert_eq!(outcome.status_code, 200);
/// assert!(outcome.function_error.is_none());
/// assert_eq!(outcome.payload_json().unwrap()["greeting"], "Hello, Bob!");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// 200 (RequestResponse), 202 (Event) or 204 (DryRun).
    pub status_code: u16,
    /// `Unhandled` when the function failed (the payload is then the error document). Never
    /// set for a streamed invocation: its error is [`Streamed::error`].
    pub function_error: Option<String>,
    /// The version that ran (`$LATEST`, `1`, ...): never an alias. Absent for Event and DryRun.
    pub executed_version: Option<String>,
    /// The response bytes; `None` when empty.
    pub payload: Option<Vec<u8>>,
    /// The decoded tail log, when it was asked for and sent.
    pub log: Option<TailLog>,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
    /// Where the invocation went, when the harness sent it (`#[lambda_test]` does).
    pub(crate) target: Option<Target>,
    /// What a streamed invocation ([`Invocation::send_streaming`](crate::Invocation::send_streaming),
    /// `stream = true`) adds: content type, chunk count, time to first byte and the
    /// `InvokeComplete` error; `None` for `Invoke`. `payload` is then the joined chunks.
    pub stream: Option<Streamed>,
}

impl Outcome {
    /// The payload parsed as JSON; `None` when empty or not JSON.
    pub fn payload_json(&self) -> Option<Value> {
        serde_json::from_slice(self.payload.as_deref()?).ok()
    }

    /// The payload as text (lossy), empty when there is none.
    pub fn payload_text(&self) -> String {
        String::from_utf8_lossy(self.payload.as_deref().unwrap_or_default()).into_owned()
    }

    /// The payload taken apart as a streaming function sends it: the HTTP prelude of
    /// `lambda_runtime`, the body, and its final in-body error chunk (each when present).
    /// Works on a buffered payload too: `Invoke` of a streaming function returns those bytes
    /// as they are.
    ///
    /// ```
    /// # fn check(outcome: lambda_test::Outcome) {
    /// let parts = outcome.stream_payload();
    /// assert_eq!(parts.http.unwrap().status_code, Some(200));
    /// assert_eq!(parts.body, b"one\ntwo\nthree\n");
    /// assert!(parts.in_body_error.is_none());
    /// # }
    /// ```
    pub fn stream_payload(&self) -> StreamPayload<'_> {
        StreamPayload::parse(self.payload.as_deref().unwrap_or_default())
    }

    /// Where the invocation went: known when `#[lambda_test]` (or
    /// [`Outcome::sent_to`]) says so, `None` for an outcome of [`Invocation::send`](crate::Invocation::send).
    pub fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }

    /// This outcome, noted as sent to `target` (what [`Outcome::event_result`] asks).
    pub fn sent_to(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// The result of this `Event` invocation, once the local Lambda has run it (retries
    /// included): its attempts, final payload or error, and whether it was dead-lettered.
    /// Keyed by this outcome's request id, so other tests' events (in this process, or in the
    /// whole run on a shared local Lambda) never change it. Waits up to
    /// [`Local::EVENT_RESULT_TIMEOUT`](crate::Local::EVENT_RESULT_TIMEOUT).
    ///
    /// Fails with [`Error::NoEventResult`](crate::Error::NoEventResult) when this is not a
    /// 202 answer, or when it did not come from the embedded local Lambda (AWS keeps no result
    /// to ask for; an on-failure destination records failures there).
    ///
    /// ```no_run
    /// use lambda_test::{Outcome, lambda_test};
    ///
    /// #[lambda_test(function = "greeter", invocation_type = "Event", payload = "{}")]
    /// async fn event_runs(outcome: Outcome) {
    ///     let result = outcome.event_result().await.unwrap();
    ///     assert!(result.succeeded(), "{result:?}");
    /// }
    /// ```
    #[cfg(feature = "emulator")]
    #[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
    pub async fn event_result(&self) -> Result<crate::EventResult, crate::Error> {
        self.event_result_within(crate::Local::EVENT_RESULT_TIMEOUT)
            .await
    }

    /// [`Outcome::event_result`], waiting up to `timeout`.
    #[cfg(feature = "emulator")]
    #[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
    pub async fn event_result_within(
        &self,
        timeout: std::time::Duration,
    ) -> Result<crate::EventResult, crate::Error> {
        let none = |reason: String| crate::Error::NoEventResult { reason };
        if self.status_code != 202 {
            return Err(none(format!(
                "the invocation answered {}, not 202: only an `Event` invocation has one",
                self.status_code
            )));
        }
        let request_id = self
            .request_id
            .as_deref()
            .ok_or_else(|| none("the 202 answer carried no `x-amzn-RequestId`".to_owned()))?;
        match &self.target {
            Some(Target::Local { package_dir }) => {
                let harness = crate::Harness::global();
                let local = harness.local(package_dir).await?;
                local.event_result_within(request_id, timeout).await
            }
            Some(other) => Err(none(format!(
                "the invocation went to {other:?}, not to the embedded local Lambda, which is \
                 the one that keeps event results (on AWS, an on-failure destination records \
                 failed events)"
            ))),
            None => Err(none(
                "this outcome does not say where it was sent (`Invocation::send` returns it): \
                 note it with `Outcome::sent_to`, or ask `Local::event_result` with its request \
                 id"
                .to_owned(),
            )),
        }
    }

    /// The parsed REPORT line of the tail log.
    pub fn report(&self) -> Option<&Report> {
        self.log.as_ref()?.report.as_ref()
    }

    /// The function's own log lines (empty without a tail log).
    pub fn log_lines(&self) -> &[String] {
        self.log.as_ref().map_or(&[], |l| &l.lines)
    }

    /// The record a snapshot holds, with volatile values redacted by [`Redactions::default`].
    pub fn snapshot_record(&self) -> SnapshotRecord {
        self.snapshot_record_with(&Redactions::default())
    }

    /// The record a snapshot holds, with the given redactions. A streamed outcome's record
    /// shows its payload taken apart ([`Outcome::stream_payload`]) and its [`StreamRecord`];
    /// the chunk count only when [`StreamRecord::chunks`] is set on it.
    pub fn snapshot_record_with(&self, redactions: &Redactions) -> SnapshotRecord {
        let request_id = self.request_id.as_deref();
        let log = (self.log.as_ref())
            .map(|log| crate::client::json_log::snapshot_lines(log, redactions, request_id));
        let Some(streamed) = &self.stream else {
            // A function error's document is never a response: it shows as it is.
            let http = match (&self.function_error, self.payload.as_deref()) {
                (None, Some(payload)) => HttpResponseRecord::parse(payload, redactions, request_id),
                _ => None,
            };
            return SnapshotRecord {
                status_code: self.status_code,
                executed_version: self.executed_version.clone(),
                function_error: self.function_error.clone(),
                payload: redactions.in_payload(self.payload.as_deref(), request_id),
                http,
                log,
                stream: None,
            };
        };
        let parts = self.stream_payload();
        let body = (!parts.body.is_empty()).then_some(parts.body);
        SnapshotRecord {
            status_code: self.status_code,
            executed_version: self.executed_version.clone(),
            function_error: self.function_error.clone(),
            payload: redactions.in_payload(body, request_id),
            http: None,
            log,
            stream: Some(StreamRecord {
                content_type: streamed.content_type.clone(),
                http: parts.http.map(|http| HttpRecord {
                    status: http.status_code,
                    headers: redactions.in_json(Value::Object(http.headers), request_id),
                    cookies: http
                        .cookies
                        .iter()
                        .map(|c| redactions.in_text(c, request_id, false))
                        .collect(),
                }),
                in_body_error: parts.in_body_error.map(|e| InBodyErrorRecord {
                    error_type: e.error_type,
                    message: redactions.in_payload(Some(e.message.as_bytes()), request_id),
                }),
                chunks: None,
                error: streamed.error.as_ref().map(|e| ErrorRecord {
                    code: e.code.clone(),
                    details: redactions
                        .in_payload(e.details.as_deref().map(str::as_bytes), request_id),
                }),
            }),
        }
    }

    /// What a reader needs beside a failing assertion: the request id and the raw tail log.
    pub fn context(&self) -> String {
        let mut out = format!(
            "lambda-test: request id {}",
            self.request_id.as_deref().unwrap_or("(none)")
        );
        if let Some(streamed) = &self.stream {
            out.push_str(&format!(", streamed {} chunks", streamed.chunks));
            if let Some(first) = streamed.first_byte {
                out.push_str(&format!(" (first after {} ms)", first.as_millis()));
            }
            if let Some(error) = &streamed.error {
                out.push_str(&format!(
                    ", ended with {} {}",
                    error.code.as_deref().unwrap_or("(no code)"),
                    error.details.as_deref().unwrap_or("(no details)")
                ));
            }
        }
        match &self.log {
            Some(log) => {
                out.push_str(", tail log:\n");
                for line in log.raw.lines() {
                    out.push_str("  | ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            None => out.push_str(" (no tail log)\n"),
        }
        out
    }
}

/// The snapshot of one invocation: everything that is the function's contract, nothing volatile.
///
/// ```yaml
/// status_code: 200
/// executed_version: $LATEST
/// function_error: ~
/// payload:
///   greeting: "Hello, Bob!"
/// log:
///   - greeting Bob
/// ```
///
/// When the function answered an HTTP response (a JSON object with an integer `statusCode`,
/// what `lambda_http` returns), the record shows it as [`HttpResponseRecord`] in place of the
/// payload; [`SnapshotRecord::payload`] and [`Outcome::payload`] keep the raw answer:
///
/// ```yaml
/// status_code: 200
/// executed_version: $LATEST
/// function_error: ~
/// http:
///   status: 201
///   headers:
///     content-type: application/json
///   cookies: []
///   body:
///     sku: A-1
///     status: accepted
/// log:
///   - accepted an order
/// ```
///
/// A streamed invocation (`stream = true`) has no `function_error`; its payload is the body
/// after the HTTP prelude, and its [`StreamRecord`] adds what the stream carried:
///
/// ```yaml
/// status_code: 200
/// executed_version: $LATEST
/// content_type: application/vnd.awslambda.http-integration-response
/// http:
///   status: 200
///   headers:
///     content-type: text/plain
///   cookies: []
/// payload: "one\ntwo\n"
/// in_body_error:
///   type: Runtime.StreamError
///   message: disk on fire
/// chunks: 5
/// log:
///   - writing 2 chunks
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SnapshotRecord {
    /// HTTP status of the Invoke call.
    pub status_code: u16,
    /// The version that ran.
    pub executed_version: Option<String>,
    /// `Unhandled` for function errors (never set on a streamed invocation, whose errors are in
    /// [`StreamRecord::error`]).
    pub function_error: Option<String>,
    /// The payload as JSON (a string when it is not JSON, null when empty); of a streamed
    /// invocation, the body after the HTTP prelude and before an in-body error.
    pub payload: Value,
    /// The answer read as an HTTP response, when it is a well-formed one and no function
    /// error; shown in place of `payload`.
    pub http: Option<HttpResponseRecord>,
    /// The function's own log lines, redacted; absent when no tail log was asked for. Each
    /// is a string, except in the JSON log format, where a line that is a JSON object is
    /// that object, its `timestamp`, `time`, `requestId` and trace ids redacted.
    pub log: Option<Vec<Value>>,
    /// What a streamed invocation adds; `None` for `Invoke`.
    pub stream: Option<StreamRecord>,
}

/// The streamed part of a [`SnapshotRecord`]; each field is shown only when set.
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// let mut record = outcome.snapshot_record();
/// // What `stream_chunks = true` does:
/// if let Some(stream) = &mut record.stream {
///     stream.chunks = outcome.stream.as_ref().map(|s| s.chunks);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StreamRecord {
    /// The function's content type.
    pub content_type: Option<String>,
    /// The HTTP prelude, decoded.
    pub http: Option<HttpRecord>,
    /// The in-body error chunk of `lambda_runtime`, decoded.
    pub in_body_error: Option<InBodyErrorRecord>,
    /// The number of payload chunks: shown only when asked for (`stream_chunks = true`), as
    /// chunk boundaries are not the function's contract.
    pub chunks: Option<usize>,
    /// The error of the `InvokeComplete` event.
    pub error: Option<ErrorRecord>,
}

/// The HTTP prelude in a snapshot.
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// let http = outcome.snapshot_record().stream.unwrap().http.expect("a prelude");
/// assert_eq!(http.status, Some(200));
/// assert_eq!(http.headers["content-type"], "text/plain");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct HttpRecord {
    /// `statusCode`.
    pub status: Option<u16>,
    /// `headers`, redacted.
    pub headers: Value,
    /// `cookies`, redacted.
    pub cookies: Vec<String>,
}

/// The in-body error chunk in a snapshot.
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// let record = outcome.snapshot_record().stream.unwrap();
/// let error = record.in_body_error.expect("an in-body error");
/// assert_eq!(error.error_type, "Runtime.StreamError");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct InBodyErrorRecord {
    /// `Lambda-Runtime-Function-Error-Type`.
    #[serde(rename = "type")]
    pub error_type: String,
    /// The decoded error body: JSON when it is JSON, text otherwise; redacted.
    pub message: Value,
}

/// The `InvokeComplete` error in a snapshot.
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// let error = outcome.snapshot_record().stream.unwrap().error.expect("an error");
/// assert_eq!(error.code.as_deref(), Some("Unhandled"));
/// assert_eq!(error.details["errorType"], "NoSource");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ErrorRecord {
    /// `ErrorCode`.
    pub code: Option<String>,
    /// `ErrorDetails`: JSON when it is JSON (the error document), text otherwise; redacted.
    pub details: Value,
}

/// A buffered record is `status_code`, `executed_version`, `function_error`, `payload` (or
/// `http`), `log`; a streamed one leaves out `function_error` and shows its
/// [`StreamRecord`] fields around the payload, each only when set.
impl Serialize for SnapshotRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_struct("SnapshotRecord", 10)?;
        record.serialize_field("status_code", &self.status_code)?;
        record.serialize_field("executed_version", &self.executed_version)?;
        match &self.stream {
            None => {
                record.serialize_field("function_error", &self.function_error)?;
                match &self.http {
                    Some(http) => record.serialize_field("http", http)?,
                    None => record.serialize_field("payload", &self.payload)?,
                }
            }
            Some(stream) => {
                if let Some(content_type) = &stream.content_type {
                    record.serialize_field("content_type", content_type)?;
                }
                if let Some(http) = &stream.http {
                    record.serialize_field("http", http)?;
                }
                record.serialize_field("payload", &self.payload)?;
                if let Some(error) = &stream.in_body_error {
                    record.serialize_field("in_body_error", error)?;
                }
                if let Some(chunks) = stream.chunks {
                    record.serialize_field("chunks", &chunks)?;
                }
                if let Some(error) = &stream.error {
                    record.serialize_field("error", error)?;
                }
            }
        }
        if let Some(log) = &self.log {
            record.serialize_field("log", log)?;
        }
        record.end()
    }
}

/// Rules that replace volatile text before it reaches a snapshot.
///
/// By default: the invocation's request id everywhere (`[request-id]`); in log lines also
/// any UUID (`[uuid]`), ISO 8601 timestamp (`[timestamp]`) and X-Ray trace id (`[trace-id]`).
/// [`Redactions::add`] adds a rule that applies to the payload and the log.
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// use lambda_test::Redactions;
///
/// let redactions = Redactions::default().add(r"tok-\d+", "[token]").unwrap();
/// let record = outcome.snapshot_record_with(&redactions);
/// # let _ = record; }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Redactions {
    /// Borrowed when compiled once per process ([`Redactions::add_compiled`]): a cloned
    /// `Regex` starts with empty caches.
    user_rules: Vec<(Cow<'static, Regex>, String)>,
}

/// The default log rules, in the order they apply: a matcher that gives the length of the
/// match starting at a position, and the replacement.
///
/// Hand-written rather than regexes: compiling three regexes cost a `cargo nextest` test
/// process (a debug build, one test per process) about 4.5 ms, a fifth of its time
/// (BENCHMARKS.md). Each matcher is the regex in its comment, with its leftmost-first,
/// greedy semantics.
const DEFAULT_LOG_RULES: [(volatile::Matcher, &str); 3] = [
    (volatile::timestamp, "[timestamp]"),
    (volatile::trace_id, "[trace-id]"),
    (volatile::uuid, "[uuid]"),
];

impl Redactions {
    /// Adds a rule: every match of `pattern` (a regex) in payload strings and log lines becomes `replacement`.
    pub fn add(mut self, pattern: &str, replacement: &str) -> Result<Self, regex::Error> {
        self.user_rules
            .push((Cow::Owned(Regex::new(pattern)?), replacement.to_owned()));
        Ok(self)
    }

    /// Adds a rule whose regex is already compiled, for the life of the process.
    pub(crate) fn add_compiled(mut self, regex: &'static Regex, replacement: &str) -> Self {
        self.user_rules
            .push((Cow::Borrowed(regex), replacement.to_owned()));
        self
    }

    pub(crate) fn in_text(&self, text: &str, request_id: Option<&str>, is_log: bool) -> String {
        let mut out = match request_id {
            Some(id) if !id.is_empty() => text.replace(id, "[request-id]"),
            _ => text.to_owned(),
        };
        for (re, with) in &self.user_rules {
            out = re.replace_all(&out, with.as_str()).into_owned();
        }
        if is_log {
            for (matcher, with) in DEFAULT_LOG_RULES {
                out = volatile::replace_all(&out, matcher, with);
            }
        }
        out
    }

    /// Bytes as JSON when they are JSON, as a string otherwise, null when absent; redacted.
    fn in_payload(&self, bytes: Option<&[u8]>, request_id: Option<&str>) -> Value {
        match bytes {
            None => Value::Null,
            Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(json) => self.in_json(json, request_id),
                Err(_) => {
                    Value::String(self.in_text(&String::from_utf8_lossy(bytes), request_id, false))
                }
            },
        }
    }

    pub(crate) fn in_json(&self, value: Value, request_id: Option<&str>) -> Value {
        match value {
            Value::String(s) => Value::String(self.in_text(&s, request_id, false)),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| self.in_json(v, request_id))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, self.in_json(v, request_id)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// Matchers for the volatile values of log lines.
mod volatile {
    /// The length of the match that starts at the beginning of the slice, if one does.
    pub(super) type Matcher = fn(&[u8]) -> Option<usize>;

    /// Replaces every leftmost, non-overlapping match of `matcher` in `text`.
    pub(super) fn replace_all(
        text: &str,
        matcher: fn(&[u8]) -> Option<usize>,
        with: &str,
    ) -> String {
        // Every shape has a `-`: most lines have none and are returned as they are.
        if !text.contains('-') {
            return text.to_owned();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let (mut copied, mut at) = (0, 0);
        while at < bytes.len() {
            match matcher(&bytes[at..]) {
                // A match starts with an ASCII byte, so `at` is a char boundary.
                Some(len) => {
                    out.push_str(&text[copied..at]);
                    out.push_str(with);
                    at += len;
                    copied = at;
                }
                None => at += 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    /// How many bytes at the start of `s` satisfy `class`, up to `max`.
    fn run(s: &[u8], class: fn(&u8) -> bool, max: usize) -> usize {
        s.iter().take(max).take_while(|b| class(b)).count()
    }

    /// Whether `s` starts with exactly the pattern: `d` a digit, `h` a lowercase hex digit,
    /// `H` any hex digit, anything else itself.
    fn shape(s: &[u8], pattern: &[u8]) -> bool {
        s.len() >= pattern.len()
            && pattern.iter().zip(s).all(|(p, b)| match p {
                b'd' => b.is_ascii_digit(),
                b'h' => b.is_ascii_digit() || (b'a'..=b'f').contains(b),
                b'H' => b.is_ascii_hexdigit(),
                p => p == b,
            })
    }

    /// `[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?`
    pub(super) fn timestamp(s: &[u8]) -> Option<usize> {
        if !(shape(s, b"dddd-dd-ddTdd:dd:dd") || shape(s, b"dddd-dd-dd dd:dd:dd")) {
            return None;
        }
        let mut len = 19;
        if s.get(len) == Some(&b'.') {
            let digits = run(&s[len + 1..], u8::is_ascii_digit, usize::MAX);
            if digits > 0 {
                len += 1 + digits;
            }
        }
        let zone = &s[len..];
        len += match zone.first() {
            Some(b'Z') => 1,
            Some(b'+' | b'-') if shape(&zone[1..], b"dd:dd") => 6,
            Some(b'+' | b'-') if shape(&zone[1..], b"dddd") => 5,
            _ => 0,
        };
        Some(len)
    }

    /// `1-[0-9a-f]{8}-[0-9a-f]{24}`
    pub(super) fn trace_id(s: &[u8]) -> Option<usize> {
        shape(s, b"1-hhhhhhhh-hhhhhhhhhhhhhhhhhhhhhhhh").then_some(35)
    }

    /// `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
    pub(super) fn uuid(s: &[u8]) -> Option<usize> {
        shape(s, b"HHHHHHHH-HHHH-HHHH-HHHH-HHHHHHHHHHHH").then_some(36)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::stream::InvokeCompleteError;

    fn outcome(payload: &str, log: &str) -> Outcome {
        Outcome {
            status_code: 200,
            function_error: Some("Unhandled".into()),
            executed_version: Some("$LATEST".into()),
            payload: Some(payload.as_bytes().to_vec()),
            log: Some(TailLog::parse(log)),
            request_id: Some("3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c".into()),
            target: None,
            stream: None,
        }
    }

    #[test]
    fn request_id_is_redacted_in_payload_and_log() {
        let o = outcome(
            r#"{"errorType":"Runtime.ExitError","errorMessage":"RequestId: 3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c Error: Runtime exited"}"#,
            "START RequestId: 3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c Version: $LATEST\nRequestId: 3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c Error: x\nat 2026-01-15T10:15:00.123Z id 0d1f4e9e-5c1e-4c3a-9f7b-1f2e3d4c5b6a\n",
        );
        let r = o.snapshot_record();
        assert_eq!(
            r.payload["errorMessage"],
            "RequestId: [request-id] Error: Runtime exited"
        );
        assert_eq!(
            r.log.unwrap(),
            [
                "RequestId: [request-id] Error: x",
                "at [timestamp] id [uuid]"
            ]
        );
    }

    #[test]
    fn non_json_payload_is_a_string_and_empty_is_null() {
        let mut o = outcome("plain", "");
        assert_eq!(o.snapshot_record().payload, Value::String("plain".into()));
        o.payload = None;
        assert_eq!(o.snapshot_record().payload, Value::Null);
    }

    /// The hand-written matchers against the regexes they stand for, on strings made of the
    /// characters those shapes are built from.
    #[test]
    fn default_log_rules_match_their_regexes() {
        let rules = [
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?",
            r"1-[0-9a-f]{8}-[0-9a-f]{24}",
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        ]
        .map(|rule| Regex::new(rule).unwrap());
        let alphabet: Vec<char> = "0123456789abcdefABCDEFg-:.TZ +é".chars().collect();
        // Templates that put near-misses in reach of a random walk.
        let seeds = [
            "2026-01-15T10:15:00.123Z",
            "2026-01-15 10:15:00+05:30",
            "2026-01-15T10:15:00.+0530",
            "2026-01-15 10:15:00-0800",
            "2026-01-15T10:15:00.5+05:3",
            "1-5e1b4151-5ac6c58f3d2a4b1c9e0f1a2b",
            "0d1f4e9e-5c1e-4c3a-9f7b-1f2e3d4c5b6a",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for case in 0..20_000 {
            let mut text: Vec<char> = if case % 2 == 0 {
                seeds[next(seeds.len())].chars().collect()
            } else {
                Vec::new()
            };
            for _ in 0..next(40) {
                let c = alphabet[next(alphabet.len())];
                match next(3) {
                    0 if !text.is_empty() => {
                        let i = next(text.len());
                        text[i] = c;
                    }
                    _ => {
                        let i = next(text.len() + 1);
                        text.insert(i, c);
                    }
                }
            }
            let text: String = text.into_iter().collect();
            for ((matcher, with), rule) in DEFAULT_LOG_RULES.into_iter().zip(&rules) {
                let expected = rule.replace_all(&text, with);
                assert_eq!(
                    volatile::replace_all(&text, matcher, with),
                    expected,
                    "{rule} on {text:?}"
                );
            }
        }
    }

    fn streamed(payload: &[u8], error: Option<InvokeCompleteError>) -> Outcome {
        Outcome {
            function_error: None,
            payload: Some(payload.to_vec()),
            stream: Some(Streamed {
                content_type: Some(crate::HTTP_INTEGRATION_CONTENT_TYPE.to_owned()),
                chunks: 4,
                first_byte: Some(std::time::Duration::from_millis(3)),
                error,
            }),
            ..outcome("", "START RequestId: 1 Version: $LATEST\nwriting\n")
        }
    }

    fn keys(record: &SnapshotRecord) -> Vec<String> {
        match serde_json::to_value(record).unwrap() {
            Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_buffered_record_keeps_its_fields() {
        let record = outcome(r#"{"a":1}"#, "").snapshot_record();
        let mut expected = [
            "status_code",
            "executed_version",
            "function_error",
            "payload",
            "log",
        ];
        expected.sort();
        assert_eq!(keys(&record), expected);
    }

    #[test]
    fn a_streamed_record_decodes_prelude_body_and_errors() {
        let raw = b"{\"statusCode\":201,\"headers\":{\"x-id\":\"3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c\"},\"cookies\":[]}\
                    \0\0\0\0\0\0\0\0{\"n\":1}Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n\
                    Lambda-Runtime-Function-Error-Body: Ym9vbQ==\r\n";
        let error = InvokeCompleteError {
            code: Some("Unhandled".into()),
            details: Some(
                r#"{"errorType":"X","errorMessage":"RequestId: 3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c"}"#
                    .into(),
            ),
        };
        let o = streamed(raw, Some(error));
        let record = o.snapshot_record();
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["http"]["status"], 201);
        assert_eq!(json["http"]["headers"]["x-id"], "[request-id]");
        // The body after the prelude is JSON, and parsed.
        assert_eq!(json["payload"], serde_json::json!({"n": 1}));
        assert_eq!(json["in_body_error"]["type"], "Runtime.StreamError");
        assert_eq!(json["in_body_error"]["message"], "boom");
        assert_eq!(json["error"]["code"], "Unhandled");
        assert_eq!(
            json["error"]["details"]["errorMessage"],
            "RequestId: [request-id]"
        );
        assert_eq!(json["log"], serde_json::json!(["writing"]));
        // No `function_error`, and the chunk count only when asked for.
        assert!(json.get("function_error").is_none(), "{json}");
        assert!(json.get("chunks").is_none(), "{json}");
        let mut with_chunks = record.clone();
        with_chunks.stream.as_mut().unwrap().chunks = Some(4);
        assert_eq!(serde_json::to_value(&with_chunks).unwrap()["chunks"], 4);
    }

    #[test]
    fn a_streamed_text_body_without_prelude_is_a_string() {
        let mut o = streamed(b"plain", None);
        o.stream.as_mut().unwrap().content_type = Some("text/plain".into());
        let json = serde_json::to_value(o.snapshot_record()).unwrap();
        assert_eq!(json["payload"], "plain");
        assert_eq!(json["content_type"], "text/plain");
        assert!(
            json.get("http").is_none() && json.get("error").is_none(),
            "{json}"
        );
    }

    #[test]
    fn an_http_answer_shows_as_http_unless_the_function_failed() {
        let answer = r#"{"statusCode":201,"headers":{"content-type":"application/json"},"body":"{\"id\":\"3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c\"}"}"#;
        let mut o = outcome(answer, "");
        o.function_error = None;
        let json = serde_json::to_value(o.snapshot_record()).unwrap();
        assert_eq!(
            json["http"],
            serde_json::json!({
                "status": 201,
                "headers": {"content-type": "application/json"},
                "cookies": [],
                "body": {"id": "[request-id]"},
            })
        );
        assert!(json.get("payload").is_none(), "{json}");
        // The raw answer stays on the record and the outcome.
        assert_eq!(o.snapshot_record().payload["statusCode"], 201);
        assert_eq!(o.payload_json().unwrap()["statusCode"], 201);
        // An error document that happens to have a `statusCode` is shown as it is.
        o.function_error = Some("Unhandled".into());
        let json = serde_json::to_value(o.snapshot_record()).unwrap();
        assert!(json.get("http").is_none(), "{json}");
        assert_eq!(json["payload"]["statusCode"], 201);
    }

    #[test]
    fn user_rules_apply_to_payload() {
        let o = outcome(r#"{"token":"abc-123"}"#, "");
        let r = o.snapshot_record_with(&Redactions::default().add(r"abc-\d+", "[token]").unwrap());
        assert_eq!(r.payload["token"], "[token]");
    }
}

//! What an invocation returned, and the record a snapshot holds.

use serde::Serialize;
use serde::ser::{SerializeStruct as _, Serializer};
use serde_json::Value;

use crate::client::function_url::UrlResponse;
use crate::client::http_event::Integration;
use crate::client::http_response::HttpResponseRecord;
pub use crate::client::redactions::Redactions;
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
    /// The HTTP head of an answer through a Function URL (`via = "url"`), whose body is
    /// `payload`; `None` for the Invoke APIs.
    pub(crate) url: Option<UrlResponse>,
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
        self.snapshot_record_through(redactions, None)
    }

    /// [`Outcome::snapshot_record_with`], with the integration the request went through when
    /// it is known: a payload that is no HTTP response is then shown as that integration's
    /// answer to it (`http_response`'s module docs).
    pub(crate) fn snapshot_record_through(
        &self,
        redactions: &Redactions,
        integration: Option<Integration>,
    ) -> SnapshotRecord {
        let request_id = self.request_id.as_deref();
        let log = (self.log.as_ref())
            .map(|log| crate::client::json_log::snapshot_lines(log, redactions, request_id));
        if let Some(url) = &self.url {
            return self.url_record(url, redactions);
        }
        let Some(streamed) = &self.stream else {
            // A function error's document is never a response: it shows as it is.
            let http = match (&self.function_error, self.payload.as_deref()) {
                (None, Some(payload)) => match integration {
                    Some(integration) => {
                        HttpResponseRecord::through(payload, integration, redactions, request_id)
                    }
                    None => HttpResponseRecord::parse(payload, redactions, request_id),
                },
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
                via_url: false,
                body_broken: None,
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
            via_url: false,
            body_broken: None,
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

    /// The record of an answer through a Function URL: the HTTP response alone.
    fn url_record(&self, url: &UrlResponse, redactions: &Redactions) -> SnapshotRecord {
        let request_id = self.request_id.as_deref();
        let body = self.payload.as_deref().unwrap_or_default();
        SnapshotRecord {
            status_code: self.status_code,
            executed_version: None,
            function_error: None,
            payload: redactions.in_payload(self.payload.as_deref(), request_id),
            http: Some(HttpResponseRecord::from_url(
                url, body, redactions, request_id,
            )),
            log: None,
            stream: None,
            via_url: true,
            body_broken: url.broken.clone(),
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
    /// Whether the answer came through a Function URL (`via = "url"`): the record is then
    /// only the HTTP response.
    pub(crate) via_url: bool,
    /// Through a Function URL, why the body broke off before its end.
    pub(crate) body_broken: Option<String>,
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
        // Through a Function URL there is only the HTTP answer: no Invoke status, version,
        // function error or log.
        if self.via_url {
            record.serialize_field("http", &self.http)?;
            if let Some(broken) = &self.body_broken {
                record.serialize_field("body_broken", broken)?;
            }
            return record.end();
        }
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

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;

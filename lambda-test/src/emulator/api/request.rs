//! The Invoke request as typed values (lambda-api.md 1.2 to 1.4), parsed in the order whose
//! errors win when a request has several problems (3.6).
//!
//! The stages, and the handler's own checks between them (`invoke.rs`):
//!
//! | order | check | error | where |
//! |---|---|---|---|
//! | 1 | the whole request over the largest payload | 413 | [`read_body`] |
//! | 2 | SigV4 (it covers the body, so the body is read first) | 403 / 400 | `Auth::verify` |
//! | 3 | `X-Amz-Invocation-Type`, `X-Amz-Log-Type` | 400 `ValidationException` (both listed) | [`Head::parse`] |
//! | 4 | `FunctionName`, `Qualifier`, their conflict | 400 | [`Target::parse`] |
//! | 5 | region, function, version or alias | 404 | `invoke::resolve` |
//! | 6 | the caller's permission | 403 | `invoke::authorize` |
//! | 7 | client context, tenant id and trace id headers | 400 | [`InvokeRequest::complete`] |
//! | 8 | payload size for the invocation type, then JSON | 413 / 400 | [`InvokeRequest::complete`] |
//! | 9 | concurrency | 429 | `invoke::run` |
//!
//! A header value that is not visible ASCII is refused with `InvalidRequestContentException`
//! at the stage that reads it; a repeated header counts by its first value.

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use percent_encoding::percent_decode_str;

use crate::emulator::api::error::AwsError;
use crate::emulator::api::names::{self, FunctionRef};

/// Synchronous request payload limit.
pub(crate) const SYNC_PAYLOAD_LIMIT: usize = 6_291_456;
/// `Event` payload limit since October 2025.
pub(crate) const EVENT_PAYLOAD_LIMIT: usize = 1_048_576;
/// Client context limit (the base64 text).
pub(crate) const CLIENT_CONTEXT_LIMIT: usize = 3_583;
/// Bodies beyond the sync limit plus this are refused without counting them exactly.
const REQUEST_SLACK: usize = 1 << 20;

// The header values are the caller's own types: one enum each for both sides of the API.
pub(crate) use crate::{InvocationType, LogType};

/// The payload limit of an invocation type.
fn payload_limit(invocation_type: InvocationType) -> usize {
    match invocation_type {
        InvocationType::Event => EVENT_PAYLOAD_LIMIT,
        InvocationType::RequestResponse | InvocationType::DryRun => SYNC_PAYLOAD_LIMIT,
    }
}

/// The headers checked first, before the body is read: the invocation and log types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// How to invoke.
    pub(crate) invocation_type: InvocationType,
    /// Whether the answer carries the log tail.
    pub(crate) log_type: LogType,
}

impl Head {
    /// The deprecated InvokeAsync: an `Event` invoke that reads neither header.
    pub(crate) const INVOKE_ASYNC: Head = Head {
        invocation_type: InvocationType::Event,
        log_type: LogType::None,
    };

    /// Invoke's headers: both enums; an absent one takes its default. Both values are
    /// checked before answering, so two bad values are two clauses of one
    /// `ValidationException`.
    pub(crate) fn parse(headers: &HeaderMap) -> Result<Head, AwsError> {
        Head::parse_for(
            headers,
            &[
                InvocationType::Event,
                InvocationType::RequestResponse,
                InvocationType::DryRun,
            ],
        )
    }

    /// InvokeWithResponseStream's headers: its invocation type is the model's
    /// `ResponseStreamingInvocationType`, which has no `Event`.
    pub(crate) fn parse_streaming(headers: &HeaderMap) -> Result<Head, AwsError> {
        Head::parse_for(
            headers,
            &[InvocationType::RequestResponse, InvocationType::DryRun],
        )
    }

    /// The headers, with the invocation types the operation's enum has, in the model's order.
    fn parse_for(headers: &HeaderMap, types: &[InvocationType]) -> Result<Head, AwsError> {
        let mut clauses = Vec::new();
        let invocation_type = match header(headers, "x-amz-invocation-type")? {
            None => InvocationType::RequestResponse,
            Some(value) => match types.iter().find(|t| t.as_str() == value) {
                Some(known) => *known,
                None => {
                    let allowed: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
                    clauses.push(enum_clause(value, "invocationType", &allowed.join(", ")));
                    InvocationType::RequestResponse
                }
            },
        };
        let log_type = match header(headers, "x-amz-log-type")? {
            None | Some("None") => LogType::None,
            Some("Tail") => LogType::Tail,
            Some(other) => {
                clauses.push(enum_clause(other, "logType", "None, Tail"));
                LogType::None
            }
        };
        if clauses.is_empty() {
            Ok(Head {
                invocation_type,
                log_type,
            })
        } else {
            Err(AwsError::validation(&clauses))
        }
    }
}

/// What the request addresses: the function name and the qualifier from either place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The parsed `FunctionName`.
    pub(crate) function: FunctionRef,
    /// The qualifier, from the name or the `Qualifier` parameter (which then agree).
    pub(crate) qualifier: Option<String>,
}

impl Target {
    /// Parses the `{FunctionName}` path segment as it arrived (percent-encoded by SDKs, raw
    /// `:` from hand-written clients: both are accepted) and the query string.
    pub(crate) fn parse(raw_name: &str, query: Option<&str>) -> Result<Target, AwsError> {
        let name = percent_decode_str(raw_name).decode_utf8().map_err(|_| {
            AwsError::validation(&[format!(
                "Value '{}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern",
                percent_decode_str(raw_name).decode_utf8_lossy()
            )])
        })?;
        // Every invalid member is a clause of one error (AWS reported a bad name and an
        // over-long qualifier together, recorded November 2025). The model's member order
        // puts the name first; AWS's own order is not known (the recording sorted them).
        let param = qualifier_param(query);
        let function = names::parse_function_name_clauses(&name);
        let mut clauses = function.as_ref().err().cloned().unwrap_or_default();
        if let Some(q) = &param {
            clauses.extend(names::qualifier_clauses(q));
        }
        let function = match function {
            Ok(function) if clauses.is_empty() => function,
            _ => return Err(AwsError::validation(&clauses)),
        };
        if let (Some(from_name), Some(from_param)) = (&function.qualifier, &param)
            && from_name != from_param
        {
            return Err(AwsError::invalid_parameter(
                "The derived qualifier from the function name does not match the specified qualifier.",
            ));
        }
        let qualifier = function.qualifier.clone().or(param);
        Ok(Target {
            function,
            qualifier,
        })
    }
}

/// A whole Invoke request, every part checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvokeRequest {
    /// The parsed `FunctionName`.
    pub(crate) function: FunctionRef,
    /// The qualifier, from the name or the `Qualifier` parameter.
    pub(crate) qualifier: Option<String>,
    /// How to invoke.
    pub(crate) invocation_type: InvocationType,
    /// Whether the answer carries the log tail.
    pub(crate) log_type: LogType,
    /// The decoded client context JSON.
    pub(crate) client_context: Option<String>,
    /// `X-Amz-Tenant-Id`.
    pub(crate) tenant_id: Option<String>,
    /// `X-Amzn-Trace-Id` as sent; `None` when the caller sent none.
    pub(crate) trace_id: Option<String>,
    /// The event: the body as sent, or `{}` for an empty one.
    pub(crate) payload: Bytes,
}

impl InvokeRequest {
    /// The last stage, once the target exists and the caller may invoke it: the remaining
    /// headers, then the payload against the invocation type's limit and as JSON.
    pub(crate) fn complete(
        head: Head,
        target: Target,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<InvokeRequest, AwsError> {
        let client_context = header(headers, "x-amz-client-context")?
            .map(decode_client_context)
            .transpose()?;
        let tenant_id = header(headers, "x-amz-tenant-id")?.map(str::to_owned);
        let trace_id = header(headers, "x-amzn-trace-id")?.map(str::to_owned);
        let payload = check_payload(body, head.invocation_type)?;
        Ok(InvokeRequest {
            function: target.function,
            qualifier: target.qualifier,
            invocation_type: head.invocation_type,
            log_type: head.log_type,
            client_context,
            tenant_id,
            trace_id,
            payload,
        })
    }
}

/// Reads the body, refusing requests far over the largest payload without buffering them.
pub(crate) async fn read_body(body: Body) -> Result<Bytes, AwsError> {
    axum::body::to_bytes(body, SYNC_PAYLOAD_LIMIT + REQUEST_SLACK)
        .await
        .map_err(|_| {
            AwsError::too_large(format!(
                "Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation"
            ))
        })
}

/// A header's first value as text; a value that is not visible ASCII is refused.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, AwsError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| {
            AwsError::invalid_request_content(format!("Header {name} is not valid ASCII"))
        }),
    }
}

fn enum_clause(value: &str, member: &str, allowed: &str) -> String {
    format!(
        "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{allowed}]"
    )
}

/// The `Qualifier` query parameter; `+` stays literal, as SDKs encode spaces as `%20`.
fn qualifier_param(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode_str(name).decode_utf8_lossy() == "Qualifier")
            .then(|| percent_decode_str(value).decode_utf8_lossy().into_owned())
    })
}

/// Base64 of a JSON object, at most 3,583 bytes; the runtime gets the decoded JSON.
///
/// AWS's message for an over-long context is unconfirmed (lambda-api.md 1.3); we answer it
/// with the same exception and message as a malformed one.
fn decode_client_context(encoded: &str) -> Result<String, AwsError> {
    let invalid = || {
        AwsError::invalid_request_content(
            "Client context must be a valid Base64-encoded JSON object.",
        )
    };
    if encoded.len() > CLIENT_CONTEXT_LIMIT {
        return Err(invalid());
    }
    let decoded = BASE64.decode(encoded.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(_)) => Ok(text),
        _ => Err(invalid()),
    }
}

/// Where AWS's JSON parser (Jackson) says a parse error is, in every message (recorded
/// November 2025).
const JACKSON_SOURCE: &str = "REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)";

/// Jackson's message and position for a byte that is not UTF-8, at `at`, in the two cases
/// recorded from AWS: a C1 control byte where a value starts is an unexpected character at
/// its own column; any other is an invalid start byte one column past it (Jackson counts
/// the byte as read). Columns are 1-based, in bytes, as Jackson counts them.
fn invalid_utf8(bytes: &[u8], at: usize) -> (String, usize, usize) {
    let before = &bytes[..at];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + at
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |n| n + 1);
    let byte = bytes[at];
    let value_starts = before
        .iter()
        .rev()
        .find(|b| !b.is_ascii_whitespace())
        .is_none_or(|b| matches!(b, b'[' | b',' | b':'));
    if value_starts && (0x80..=0x9f).contains(&byte) {
        let detail = format!(
            "Unexpected character ((CTRL-CHAR, code {byte})): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
        );
        return (detail, line, column);
    }
    (
        format!("Invalid UTF-8 start byte 0x{byte:02x}"),
        line,
        column + 1,
    )
}

/// Checks the payload against the invocation type's limit and that it is JSON.
fn check_payload(bytes: Bytes, invocation_type: InvocationType) -> Result<Bytes, AwsError> {
    let limit = payload_limit(invocation_type);
    if bytes.len() > limit {
        return Err(AwsError::too_large(format!(
            "{} byte payload is too large for the {} invocation type (limit {limit} bytes)",
            bytes.len(),
            invocation_type.as_str()
        )));
    }
    if bytes.is_empty() {
        // An omitted payload reaches the function as `{}`.
        return Ok(Bytes::from_static(b"{}"));
    }
    let parse_error = |detail: String, line: usize, column: usize| {
        AwsError::invalid_request_content(format!(
            "Could not parse request body into json: Could not parse payload into json: {detail}\n at [Source: {JACKSON_SOURCE}; line: {line}, column: {column}]"
        ))
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let (detail, line, column) = invalid_utf8(&bytes, e.valid_up_to());
        parse_error(detail, line, column)
    })?;
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| parse_error(e.to_string(), e.line(), e.column()))?;
    Ok(bytes)
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;

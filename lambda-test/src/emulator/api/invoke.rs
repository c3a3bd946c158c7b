//! The Invoke API (lambda-api.md sections 1 to 4): routing, validation in AWS's order (3.6),
//! and the answer for each invocation type.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use percent_encoding::percent_decode_str;

use crate::emulator::Shared;
use crate::emulator::api::error::AwsError;
use crate::emulator::api::names::{self, FunctionRef};
use crate::emulator::functions::Function;
use crate::emulator::instance::Invoke;
use crate::emulator::logs;

/// Synchronous request payload limit.
pub const SYNC_PAYLOAD_LIMIT: usize = 6_291_456;
/// `Event` payload limit since October 2025.
pub const EVENT_PAYLOAD_LIMIT: usize = 1_048_576;
/// Client context limit (the base64 text).
pub const CLIENT_CONTEXT_LIMIT: usize = 3_583;
/// Bodies beyond the sync limit plus this are refused without counting them exactly.
const REQUEST_SLACK: usize = 1 << 20;

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Synchronous.
    RequestResponse,
    /// Queued; 202.
    Event,
    /// Checks only; 204.
    DryRun,
}

impl InvocationType {
    fn as_str(self) -> &'static str {
        match self {
            InvocationType::RequestResponse => "RequestResponse",
            InvocationType::Event => "Event",
            InvocationType::DryRun => "DryRun",
        }
    }
}

/// Entry point for every request on the Invoke API listener.
pub async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let started = Instant::now();
    let path = request.uri().path().to_owned();
    let (mut response, summary) = match invoke(&shared, request, &request_id).await {
        Ok(ok) => ok,
        Err(e) => {
            let status = format!("{} {}", e.status.as_u16(), e.error_type);
            (e.into_response(), Summary::refused(&path, status))
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    if shared.log_invocations {
        eprintln!(
            "{} {} {} {:.1} ms",
            summary.target,
            summary.version,
            summary.status,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    response
}

/// One line of the serve log.
struct Summary {
    target: String,
    version: String,
    status: String,
}

impl Summary {
    /// A refused request: the target is what the path named.
    fn refused(path: &str, status: String) -> Self {
        let target = path
            .split('/')
            .nth(3)
            .map(|name| percent_decode_str(name).decode_utf8_lossy().into_owned())
            .unwrap_or_else(|| path.to_owned());
        Summary {
            target,
            version: "-".into(),
            status,
        }
    }
}

/// The parsed route.
enum Route {
    Invoke(String),
    InvokeAsync(String),
}

fn route(method: &Method, path: &str) -> Result<Route, AwsError> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let route = match segments.as_slice() {
        ["2015-03-31", "functions", name, "invocations"] => Route::Invoke((*name).to_owned()),
        ["2014-11-13", "functions", name, "invoke-async"]
        | ["2014-11-13", "functions", name, "invoke-async", ""] => {
            Route::InvokeAsync((*name).to_owned())
        }
        _ => {
            return Err(AwsError::unknown_operation(format!(
                "No operation matches {method} {path}"
            )));
        }
    };
    if method != Method::POST {
        return Err(AwsError::unknown_operation(format!(
            "No operation matches {method} {path}"
        )));
    }
    Ok(route)
}

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

async fn invoke(
    shared: &Arc<Shared>,
    request: Request,
    request_id: &str,
) -> Result<(Response, Summary), AwsError> {
    let (parts, body) = request.into_parts();
    let route = route(&parts.method, parts.uri.path())?;
    let (raw_name, invocation_type, log_tail) = match route {
        Route::Invoke(name) => {
            let mut clauses = Vec::new();
            let invocation_type = match header(&parts.headers, "x-amz-invocation-type")? {
                None | Some("RequestResponse") => InvocationType::RequestResponse,
                Some("Event") => InvocationType::Event,
                Some("DryRun") => InvocationType::DryRun,
                Some(other) => {
                    clauses.push(enum_clause(
                        other,
                        "invocationType",
                        "Event, RequestResponse, DryRun",
                    ));
                    InvocationType::RequestResponse
                }
            };
            let log_tail = match header(&parts.headers, "x-amz-log-type")? {
                None | Some("None") => false,
                Some("Tail") => true,
                Some(other) => {
                    clauses.push(enum_clause(other, "logType", "None, Tail"));
                    false
                }
            };
            if !clauses.is_empty() {
                return Err(AwsError::validation(&clauses));
            }
            (name, invocation_type, log_tail)
        }
        // The deprecated InvokeAsync is an Event invoke without headers.
        Route::InvokeAsync(name) => (name, InvocationType::Event, false),
    };

    // The body comes first: the signature covers it. Then AWS's order (lambda-api.md 3.6).
    let body = read_body(body).await?;
    let caller = shared.auth.verify(&parts, &body)?;

    // Names arrive percent-encoded from SDKs and raw from hand-written clients; accept both.
    let name = percent_decode_str(&raw_name).decode_utf8().map_err(|_| {
        AwsError::validation(&[format!(
            "Value '{}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern",
            percent_decode_str(&raw_name).decode_utf8_lossy()
        )])
    })?;
    let function_ref = names::parse_function_name(&name)?;
    let param = qualifier_param(parts.uri.query());
    if let Some(q) = &param {
        names::validate_qualifier(q)?;
    }
    if let (Some(from_name), Some(from_param)) = (&function_ref.qualifier, &param)
        && from_name != from_param
    {
        return Err(AwsError::invalid_parameter(
            "The derived qualifier from the function name does not match the specified qualifier.",
        ));
    }
    let qualifier = function_ref.qualifier.clone().or(param);
    let registry = &shared.registry;
    if let Some(region) = &function_ref.region
        && region != &registry.region
    {
        return Err(AwsError::not_found(format!(
            "Functions from '{region}' are not reachable in this region ('{}')",
            registry.region
        )));
    }
    // The emulator serves a single account: an account in the name is accepted as this one.
    let function = lookup(shared, &function_ref, qualifier.as_deref())?;
    let version = function.resolve(qualifier.as_deref())?;
    let resource = match &qualifier {
        Some(q) => format!("{}:{q}", function.arn),
        None => function.arn.clone(),
    };
    if !caller.allowed_by(function.allow_list(qualifier.as_deref())) {
        return Err(AwsError::access_denied(format!(
            "User: {} is not authorized to perform: lambda:InvokeFunction on resource: {resource} because no resource-based policy allows the lambda:InvokeFunction action",
            caller.arn()
        )));
    }

    let client_context = match header(&parts.headers, "x-amz-client-context")? {
        None => None,
        Some(encoded) => Some(decode_client_context(encoded)?),
    };
    let tenant_id = header(&parts.headers, "x-amz-tenant-id")?.map(str::to_owned);
    let trace_id = header(&parts.headers, "x-amzn-trace-id")?
        .map(str::to_owned)
        .unwrap_or_else(new_trace_id);

    let payload = check_payload(body, invocation_type)?;
    let invoked_arn = resource;
    let summary = |status: &str| Summary {
        target: invoked_arn.clone(),
        version: version.clone(),
        status: status.to_owned(),
    };
    match invocation_type {
        InvocationType::DryRun => {
            let response = StatusCode::NO_CONTENT.into_response();
            Ok((response, summary("204 DryRun")))
        }
        InvocationType::Event => {
            let invoke = Invoke {
                request_id: request_id.to_owned(),
                payload,
                invoked_arn: invoked_arn.clone(),
                trace_id,
                // Client context is dropped for asynchronous invocations.
                client_context: None,
                tenant_id,
                // Nobody reads an event's log.
                log_wanted: false,
            };
            shared
                .events
                .enqueue(Arc::clone(function), version.clone(), invoke);
            let response = (StatusCode::ACCEPTED, Body::empty()).into_response();
            Ok((response, summary("202 Event")))
        }
        InvocationType::RequestResponse => {
            let slot = function.acquire()?;
            let pool = Arc::clone(function.pool(&version).expect("resolved versions exist"));
            let invoke = Invoke {
                request_id: request_id.to_owned(),
                payload,
                invoked_arn: invoked_arn.clone(),
                trace_id,
                client_context,
                tenant_id,
                log_wanted: log_tail,
            };
            // Runs to its end even if the caller hangs up, as on AWS.
            let completed = tokio::spawn(async move {
                let completed = pool.invoke(invoke).await;
                drop(slot);
                completed
            })
            .await
            .map_err(|e| AwsError::service(format!("invocation task failed: {e}")))?;

            let mut response = Response::new(Body::from(completed.payload));
            let headers = response.headers_mut();
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&completed.executed_version) {
                headers.insert("x-amz-executed-version", v);
            }
            if completed.function_error {
                headers.insert(
                    "x-amz-function-error",
                    HeaderValue::from_static("Unhandled"),
                );
            }
            if log_tail {
                let tail = BASE64.encode(logs::tail(&completed.log));
                headers.insert(
                    "x-amz-log-result",
                    HeaderValue::from_str(&tail).expect("base64 is a valid header value"),
                );
            }
            let status = if completed.function_error {
                "200 Unhandled"
            } else {
                "200"
            };
            Ok((response, summary(status)))
        }
    }
}

fn lookup<'a>(
    shared: &'a Shared,
    function_ref: &FunctionRef,
    qualifier: Option<&str>,
) -> Result<&'a Arc<Function>, AwsError> {
    shared.registry.get(&function_ref.name).ok_or_else(|| {
        let registry = &shared.registry;
        AwsError::not_found(format!(
            "Function not found: arn:aws:lambda:{}:{}:function:{}:{}",
            registry.region,
            registry.account_id,
            function_ref.name,
            qualifier.unwrap_or("$LATEST")
        ))
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

/// Reads the body, refusing requests far over the largest payload without buffering them.
async fn read_body(body: Body) -> Result<Bytes, AwsError> {
    axum::body::to_bytes(body, SYNC_PAYLOAD_LIMIT + REQUEST_SLACK)
        .await
        .map_err(|_| {
            AwsError::too_large(format!(
                "Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation"
            ))
        })
}

/// Checks the payload against the invocation type's limit and that it is JSON.
fn check_payload(bytes: Bytes, invocation_type: InvocationType) -> Result<Bytes, AwsError> {
    let limit = match invocation_type {
        InvocationType::Event => EVENT_PAYLOAD_LIMIT,
        _ => SYNC_PAYLOAD_LIMIT,
    };
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
    let parse_error = |detail: String| {
        AwsError::invalid_request_content(format!(
            "Could not parse request body into json: Could not parse payload into json: {detail}"
        ))
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let at = e.valid_up_to();
        parse_error(format!(
            "Invalid UTF-8 start byte 0x{:02x}\n at [Source: REDACTED; byte offset: {at}]",
            bytes[at]
        ))
    })?;
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| {
        parse_error(format!(
            "{e}\n at [Source: REDACTED; line: {}, column: {}]",
            e.line(),
            e.column()
        ))
    })?;
    Ok(bytes)
}

/// A new X-Ray trace header, as Lambda generates when the caller sent none.
fn new_trace_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{now:08x}-{};Parent={};Sampled=0",
        &random[..24],
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifier_is_percent_decoded() {
        assert_eq!(
            qualifier_param(Some("Qualifier=%24LATEST")).as_deref(),
            Some("$LATEST")
        );
        assert_eq!(
            qualifier_param(Some("x=1&Qualifier=live")).as_deref(),
            Some("live")
        );
        assert_eq!(qualifier_param(Some("x=1")), None);
        assert_eq!(qualifier_param(None), None);
    }

    #[test]
    fn client_context_must_be_base64_json_object() {
        let ok = BASE64.encode(r#"{"custom":{"a":"b"}}"#);
        assert_eq!(
            decode_client_context(&ok).unwrap(),
            r#"{"custom":{"a":"b"}}"#
        );
        for bad in [
            "not base64!",
            &BASE64.encode("[1]"),
            &BASE64.encode("{"),
            &"A".repeat(3584),
        ] {
            let e = decode_client_context(bad).unwrap_err();
            assert_eq!(e.error_type, "InvalidRequestContentException");
        }
    }

    #[test]
    fn routes() {
        assert!(matches!(
            route(&Method::POST, "/2015-03-31/functions/f/invocations"),
            Ok(Route::Invoke(n)) if n == "f"
        ));
        assert!(matches!(
            route(&Method::POST, "/2014-11-13/functions/f/invoke-async/"),
            Ok(Route::InvokeAsync(_))
        ));
        assert!(route(&Method::GET, "/2015-03-31/functions/f/invocations").is_err());
        assert!(route(&Method::POST, "/2015-03-31/functions/f").is_err());
    }
}

//! The Runtime API one instance's process polls (lambda-api.md section 8), on its own
//! loopback listener so that everything arriving there belongs to that instance.
//!
//! The route table mirrors the API's paths.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use serde_json::json;

pub mod body;
mod error;
mod quickack;
mod state;

pub use body::{BodyEnd, BodyEnded, ResponseBody, ResponseHead, ResponseMode};
pub use error::ErrorDocument;
use quickack::QuickAck;
use state::InFlight;
pub use state::{Delivery, InitError, RuntimeResult, RuntimeState};

/// The most a runtime may POST to `/response` in buffered mode: 6 MiB + 100 bytes.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;

/// The most a streamed response may carry (lambda-extensions.md 1.6: 200 MB).
pub const MAX_STREAMED_RESPONSE_BYTES: usize = 200 * 1024 * 1024;

/// The Runtime API routes for one instance.
fn router(state: Arc<RuntimeState>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .route("/2018-06-01/ping", get(|| async { "pong" }))
        .route("/2020-01-01/extension/register", post(extension_register))
        .route("/2020-01-01/extension/event/next", get(extension_next))
        .route("/2020-01-01/extension/init/error", post(accepted))
        .route("/2020-01-01/extension/exit/error", post(accepted))
        .fallback(|| async {
            runtime_error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "The requested path is not part of the Runtime API",
            )
        })
        .with_state(state)
}

/// Serves the Runtime API of one instance on `listener` until the task is aborted.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<RuntimeState>) {
    let app = router(state).into_make_service_with_connect_info::<QuickAck>();
    let _ = axum::serve(listener, app).await;
}

fn runtime_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        ErrorDocument::new(error_type, message).to_bytes(),
    )
        .into_response()
}

fn accepted_response() -> Response {
    (
        StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

async fn accepted() -> Response {
    accepted_response()
}

fn state_error(from: &str, to: &str) -> Response {
    runtime_error(
        StatusCode::FORBIDDEN,
        "InvalidStateTransition",
        &format!(
            "State transition from {from} to {to} failed for runtime. Error: State transition is not allowed"
        ),
    )
}

async fn next(State(state): State<Arc<RuntimeState>>) -> Response {
    state.first_poll.get_or_init(Instant::now);
    if state.in_flight.lock().expect("poisoned").is_some() {
        return state_error("Running", "Ready");
    }
    state.polls.send_modify(|n| *n += 1);
    let delivery = {
        let mut deliveries = state.deliveries.lock().await;
        tokio::select! {
            d = deliveries.recv() => d,
            () = state.closed() => None,
        }
    };
    let Some(d) = delivery else {
        return runtime_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Runtime.Shutdown",
            "The execution environment is shutting down",
        );
    };
    let now = Instant::now();
    *state.delivered_at.lock().expect("poisoned") = Some(now);
    let deadline_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(d.timeout)
        .as_millis();
    let mut response = Response::new(Body::from(d.payload));
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    // Static and numeric values need no string of their own: an allocation less each.
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    set(headers, "lambda-runtime-aws-request-id", &d.request_id);
    headers.insert(
        "lambda-runtime-deadline-ms",
        HeaderValue::from(u64::try_from(deadline_ms).unwrap_or(u64::MAX)),
    );
    set(
        headers,
        "lambda-runtime-invoked-function-arn",
        &d.invoked_arn,
    );
    set(headers, "lambda-runtime-trace-id", &d.trace_id);
    if let Some(cc) = &d.client_context {
        set(headers, "lambda-runtime-client-context", cc);
    }
    if let Some(t) = &d.tenant_id {
        set(headers, "lambda-runtime-aws-tenant-id", t);
    }
    *state.in_flight.lock().expect("poisoned") = Some(InFlight {
        request_id: d.request_id,
        result: d.result,
    });
    response
}

/// Reads a body of at most `limit` bytes. A larger one is read to its end and dropped before
/// the 413 goes out: answering early would close the connection under a runtime still writing,
/// and `lambda_runtime` exits when its POST fails, where Lambda keeps the instance warm.
async fn read_body(mut body: Body, limit: usize) -> Result<Bytes, Response> {
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(truncated());
        };
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total <= limit {
                kept.extend_from_slice(&data);
            }
        }
    }
    if total > limit {
        return Err(too_large(limit));
    }
    Ok(Bytes::from(kept))
}

/// `POST /{id}/response`: the head goes to the invocation at once, the body follows chunk by
/// chunk. A wrong id or response mode is answered only after the body is read, as a body that
/// is too large is. The request is taken whole: a `HeaderMap` extractor would clone its headers.
async fn response(
    State(state): State<Arc<RuntimeState>>,
    ConnectInfo(quick_ack): ConnectInfo<QuickAck>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let Some(result) = state.take_in_flight(&id) else {
        return match read_body(body, MAX_RESPONSE_BYTES).await {
            Ok(_) => invalid_request_id(),
            Err(rejection) => rejection,
        };
    };
    let mode_header = headers.get("lambda-runtime-function-response-mode");
    let Some(mode) = ResponseMode::from_header(mode_header.map(HeaderValue::as_bytes)) else {
        // Read to its end and kept nowhere.
        let _ = read_body(body, 0).await;
        let _ = result.send(RuntimeResult::InvalidResponseMode);
        return runtime_error(
            StatusCode::BAD_REQUEST,
            "InvalidFunctionResponseMode",
            "Invalid function response mode",
        );
    };
    let limit = match mode {
        ResponseMode::Buffered => MAX_RESPONSE_BYTES,
        ResponseMode::Streaming => {
            // Each chunk should come through as the runtime writes it (quickack.rs).
            quick_ack.arm();
            MAX_STREAMED_RESPONSE_BYTES
        }
    };
    let head = ResponseHead {
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        mode,
    };
    let (writer, response_body, ended) = body::channel(limit);
    let _ = result.send(RuntimeResult::Response {
        head,
        body: response_body,
        ended,
    });
    forward(body, writer, limit).await
}

/// Feeds the request body into the response body, and answers the runtime once it ended.
async fn forward(mut request: Body, mut writer: body::BodyWriter, limit: usize) -> Response {
    let mut end = BodyEnd::Complete;
    while let Some(frame) = request.frame().await {
        let Ok(frame) = frame else {
            writer.end(BodyEnd::Truncated).await;
            return truncated();
        };
        match frame.into_data() {
            Ok(data) => writer.write(data).await,
            Err(frame) => {
                if let Some(trailer) = frame.trailers_ref().and_then(error_trailer) {
                    end = trailer;
                }
            }
        }
    }
    if writer.over_limit() {
        writer.end(BodyEnd::TooLarge).await;
        return too_large(limit);
    }
    writer.end(end).await;
    accepted_response()
}

/// The `Lambda-Runtime-Function-Error-*` trailers of a streamed body, if it has them.
fn error_trailer(trailers: &HeaderMap) -> Option<BodyEnd> {
    let error_type = trailers
        .get("lambda-runtime-function-error-type")?
        .to_str()
        .ok()?
        .to_owned();
    let raw = trailers
        .get("lambda-runtime-function-error-body")
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let error_body = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_or_else(|_| Bytes::copy_from_slice(raw), Bytes::from);
    Some(BodyEnd::ErrorTrailer {
        error_type,
        error_body,
    })
}

fn invalid_request_id() -> Response {
    runtime_error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID",
    )
}

fn truncated() -> Response {
    runtime_error(
        StatusCode::BAD_REQUEST,
        "TruncatedHTTPRequest",
        "HTTP request detected as truncated",
    )
}

fn too_large(limit: usize) -> Response {
    runtime_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        &format!("Exceeded maximum allowed payload size ({limit} bytes)."),
    )
}

async fn error(
    State(state): State<Arc<RuntimeState>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    match read_body(body, MAX_RESPONSE_BYTES).await {
        Ok(bytes) => {
            let Some(result) = state.take_in_flight(&id) else {
                return invalid_request_id();
            };
            let _ = result.send(RuntimeResult::Error(error_body(bytes, &parts.headers)));
            accepted_response()
        }
        Err(rejection) => rejection,
    }
}

/// The error document as the caller sees it, typed by the runtime's header.
fn error_body(bytes: Bytes, headers: &HeaderMap) -> Bytes {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Runtime.Unknown");
    ErrorDocument::or_empty_body(bytes, error_type)
}

async fn init_error(
    State(state): State<Arc<RuntimeState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if state.first_poll().is_some() {
        return state_error("Ready", "InitError");
    }
    match read_body(body, MAX_RESPONSE_BYTES).await {
        Ok(bytes) => {
            let error_type = headers
                .get("lambda-runtime-function-error-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            *state.init_error.lock().expect("poisoned") = Some(InitError {
                body: error_body(bytes, &headers),
                error_type,
            });
            accepted_response()
        }
        Err(rejection) => rejection,
    }
}

async fn extension_register(
    State(state): State<Arc<RuntimeState>>,
    headers: HeaderMap,
) -> Response {
    if state.first_poll().is_some() {
        return state_error("Ready", "ExtensionRegistered");
    }
    if headers.get("lambda-extension-name").is_none() {
        return runtime_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Lambda-Extension-Name header is required",
        );
    }
    state.extension_registered.store(true, Ordering::Relaxed);
    let mut body = state.register_body.clone();
    let wants_account = headers
        .get("lambda-extension-accept-feature")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|f| f.trim() == "accountId"));
    if !wants_account && let Some(map) = body.as_object_mut() {
        map.remove("accountId");
    }
    (
        StatusCode::OK,
        [
            ("content-type", "application/json".to_owned()),
            (
                "lambda-extension-identifier",
                uuid::Uuid::new_v4().to_string(),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Internal extensions without events block here until the instance shuts down.
async fn extension_next(State(state): State<Arc<RuntimeState>>) -> Response {
    state.closed().await;
    (
        StatusCode::OK,
        [
            ("content-type", "application/json".to_owned()),
            (
                "lambda-extension-event-identifier",
                uuid::Uuid::new_v4().to_string(),
            ),
        ],
        json!({"eventType": "SHUTDOWN", "shutdownReason": "spindown", "deadlineMs": 0}).to_string(),
    )
        .into_response()
}

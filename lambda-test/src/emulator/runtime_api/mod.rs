//! The Runtime API one instance's process polls (lambda-api.md section 8), on its own
//! loopback listener so that everything arriving there belongs to that instance.
//!
//! The route table mirrors the API's paths.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};

/// The most a runtime may POST to `/response`: 6 MiB + 100 bytes.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;

/// An event handed to the runtime by `GET /next`.
pub struct Delivery {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// The event, verbatim.
    pub payload: Bytes,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub invoked_arn: String,
    /// `Lambda-Runtime-Trace-Id`.
    pub trace_id: String,
    /// `Lambda-Runtime-Client-Context` (decoded JSON).
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Aws-Tenant-Id`.
    pub tenant_id: Option<String>,
    /// Timeout of the function, to compute `Lambda-Runtime-Deadline-Ms` at delivery.
    pub timeout: std::time::Duration,
    /// Where the runtime's answer goes.
    pub result: oneshot::Sender<RuntimeResult>,
}

/// What the runtime answered for one invocation.
#[derive(Debug)]
pub enum RuntimeResult {
    /// `POST /{id}/response`.
    Response(Bytes),
    /// `POST /{id}/error`.
    Error(Bytes),
    /// `POST /{id}/response` over [`MAX_RESPONSE_BYTES`].
    ResponseTooLarge,
}

struct InFlight {
    request_id: String,
    result: oneshot::Sender<RuntimeResult>,
}

/// An `init/error` report.
#[derive(Debug, Clone)]
pub struct InitError {
    /// The body, returned to the caller verbatim.
    pub body: Bytes,
    /// `Lambda-Runtime-Function-Error-Type`.
    pub error_type: Option<String>,
}

/// The state shared between one instance's Runtime API and the code driving the instance.
pub struct RuntimeState {
    deliveries: tokio::sync::Mutex<mpsc::Receiver<Delivery>>,
    in_flight: Mutex<Option<InFlight>>,
    /// Counts `GET /next` requests: a change means the runtime is ready for the next event.
    polls: watch::Sender<u64>,
    /// When the current event was handed out (the start of Duration).
    delivered_at: Mutex<Option<Instant>>,
    first_poll: OnceLock<Instant>,
    init_error: Mutex<Option<InitError>>,
    extension_registered: AtomicBool,
    closed: watch::Sender<bool>,
    register_body: serde_json::Value,
}

impl RuntimeState {
    /// New state; `deliveries` is fed by the instance, `register_body` answers extension registration.
    pub fn new(
        deliveries: mpsc::Receiver<Delivery>,
        register_body: serde_json::Value,
    ) -> Arc<Self> {
        Arc::new(Self {
            deliveries: tokio::sync::Mutex::new(deliveries),
            in_flight: Mutex::new(None),
            polls: watch::channel(0).0,
            delivered_at: Mutex::new(None),
            first_poll: OnceLock::new(),
            init_error: Mutex::new(None),
            extension_registered: AtomicBool::new(false),
            closed: watch::channel(false).0,
            register_body,
        })
    }

    /// Watches `GET /next` requests.
    pub fn polls(&self) -> watch::Receiver<u64> {
        self.polls.subscribe()
    }

    /// When init ended (the first `GET /next`).
    pub fn first_poll(&self) -> Option<Instant> {
        self.first_poll.get().copied()
    }

    /// When the current event was handed to the runtime.
    pub fn delivered_at(&self) -> Option<Instant> {
        *self.delivered_at.lock().expect("poisoned")
    }

    /// The `init/error` report, if the runtime made one.
    pub fn init_error(&self) -> Option<InitError> {
        self.init_error.lock().expect("poisoned").clone()
    }

    /// Whether an extension registered (the runtime then gets SIGTERM before SIGKILL).
    pub fn extension_registered(&self) -> bool {
        self.extension_registered.load(Ordering::Relaxed)
    }

    /// Ends every pending long poll; the instance is going away.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    async fn closed(&self) {
        let mut closed = self.closed.subscribe();
        let _ = closed.wait_for(|c| *c).await;
    }
}

/// The Runtime API routes for one instance.
pub fn router(state: Arc<RuntimeState>) -> Router {
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

fn runtime_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({"errorMessage": message, "errorType": error_type}).to_string(),
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
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &d.request_id);
    set("lambda-runtime-deadline-ms", &deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &d.invoked_arn);
    set("lambda-runtime-trace-id", &d.trace_id);
    if let Some(cc) = &d.client_context {
        set("lambda-runtime-client-context", cc);
    }
    if let Some(t) = &d.tenant_id {
        set("lambda-runtime-aws-tenant-id", t);
    }
    *state.in_flight.lock().expect("poisoned") = Some(InFlight {
        request_id: d.request_id,
        result: d.result,
    });
    response
}

/// Hands the runtime's answer to the waiting invocation, if `id` is the one in flight.
fn complete(state: &RuntimeState, id: &str, result: RuntimeResult) -> Response {
    let mut in_flight = state.in_flight.lock().expect("poisoned");
    match in_flight.take() {
        Some(f) if f.request_id == id => {
            let _ = f.result.send(result);
            accepted_response()
        }
        other => {
            *in_flight = other;
            runtime_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestID",
                "Invalid request ID",
            )
        }
    }
}

/// Reads a body of at most `limit` bytes. A larger one is read to its end and dropped before
/// the 413 goes out: answering early would close the connection under a runtime still writing,
/// and `lambda_runtime` exits when its POST fails, where Lambda keeps the instance warm.
async fn read_body(mut body: Body, limit: usize) -> Result<Bytes, Response> {
    use http_body_util::BodyExt as _;
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(runtime_error(
                StatusCode::BAD_REQUEST,
                "TruncatedHTTPRequest",
                "HTTP request detected as truncated",
            ));
        };
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total <= limit {
                kept.extend_from_slice(&data);
            }
        }
    }
    if total > limit {
        return Err(runtime_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."),
        ));
    }
    Ok(Bytes::from(kept))
}

async fn response(
    State(state): State<Arc<RuntimeState>>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    match read_body(body, MAX_RESPONSE_BYTES).await {
        Ok(bytes) => complete(&state, &id, RuntimeResult::Response(bytes)),
        Err(rejection) => {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                let _ = complete(&state, &id, RuntimeResult::ResponseTooLarge);
            }
            rejection
        }
    }
}

async fn error(
    State(state): State<Arc<RuntimeState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match read_body(body, MAX_RESPONSE_BYTES).await {
        Ok(bytes) => {
            let body = error_body(bytes, &headers);
            complete(&state, &id, RuntimeResult::Error(body))
        }
        Err(rejection) => rejection,
    }
}

/// The error document as the caller sees it: verbatim, or synthesized when empty
/// (AWS's answer for an empty body is unconfirmed, lambda-api.md 5.3).
fn error_body(bytes: Bytes, headers: &HeaderMap) -> Bytes {
    if !bytes.is_empty() {
        return bytes;
    }
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Runtime.Unknown");
    Bytes::from(json!({"errorType": error_type, "errorMessage": ""}).to_string())
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

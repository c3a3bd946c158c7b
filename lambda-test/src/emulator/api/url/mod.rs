//! Function URLs: plain HTTP to a function that declares `[functions.<name>.url]`, at
//! `/lambda-url/<name>/<path>` (cargo-lambda's layout), with the payload-2.0 event Function
//! URLs build and their mapping of the answer back to HTTP.
//!
//! | what happens | answer |
//! |---|---|
//! | no function of that name, or it has no URL | 403 `{"Message":null}`, `AccessDeniedException` (what AWS answers for a URL that does not exist) |
//! | `AWS_IAM` without a valid signature of an allowed principal | 403 `{"Message":"Forbidden"}` |
//! | a body over 6 MB | 413 `{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}` |
//! | throttled | 429 `{"Message":"Rate Exceeded."}` |
//! | a function error, a timeout, a crash | 502 `Internal Server Error` |
//! | a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) | 200 with the CORS headers, without invoking |
//! | an answer | its `statusCode`, `headers`, `cookies` and `body` (base64-decoded when `isBase64Encoded`); an answer without `statusCode` is a 200 `application/json` whose body is the answer |
//!
//! `RESPONSE_STREAM` URLs stream the answer as it arrives: `lambda_runtime`'s HTTP prelude
//! (JSON, then eight NUL bytes) gives the status, headers and cookies; an error after the
//! first byte cuts the body short, as a broken stream shows to an HTTP client.
//!
//! `event.rs` builds the event, `answer.rs` maps buffered and streamed answers back to HTTP,
//! `cors.rs` answers preflights and adds CORS headers.
//!
//! The messages of the 403s, 413 and 429 follow what AWS's Function URLs send as far as known
//! (LocalStack's recordings); they are best guesses where none was recorded.

mod answer;
mod cors;
mod event;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderValue, StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

use crate::config::{FunctionUrl, UrlAuthType, UrlInvokeMode};
use crate::emulator::Service;
use crate::emulator::api::invoke;
use crate::emulator::api::layer::{RequestId, Served};
use crate::emulator::api::request::SYNC_PAYLOAD_LIMIT;
use crate::emulator::auth::Caller;
use crate::emulator::functions::{ConcurrencySlot, Function, VersionPool};
use crate::emulator::instance::Invoke;

/// The routes, for `api::router` to mount under its layer.
pub(super) fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/lambda-url/{function}", any(function_url))
        .route("/lambda-url/{function}/", any(function_url))
        .route("/lambda-url/{function}/{*path}", any(function_url))
}

/// Any method, any path below `/lambda-url/<function>`.
async fn function_url(
    State(shared): State<Arc<Service>>,
    Extension(request_id): Extension<RequestId>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    match serve(&shared, &request_id, parts, body).await {
        Ok(response) | Err(response) => response,
    }
}

/// Each step in the order AWS takes them; an `Err` is the answer of the step that refused.
async fn serve(
    shared: &Service,
    request_id: &RequestId,
    parts: Parts,
    body: Body,
) -> Result<Response, Response> {
    let name = parts.uri.path().split('/').nth(2).unwrap_or_default();
    let (function, url) = shared
        .registry
        .get(name)
        .and_then(|f| f.url.clone().map(|u| (Arc::clone(f), u)))
        .ok_or_else(|| {
            url_error(
                StatusCode::FORBIDDEN,
                Some("AccessDeniedException"),
                Value::Null,
            )
        })?;
    let body = read_body(body).await?;
    if let Some(preflight) = url.cors.as_ref().and_then(|c| cors::preflight(c, &parts)) {
        return Ok(preflight);
    }
    let caller = authorize(shared, &function, &url, &parts, &body)
        .map_err(|Forbidden| url_error(StatusCode::FORBIDDEN, None, json!("Forbidden")))?;
    let qualifier = url.qualifier.as_deref();
    let version = function
        .resolve(qualifier)
        .map_err(|_| url_error(StatusCode::BAD_GATEWAY, None, Value::Null))?;
    let slot = function
        .acquire()
        .map_err(|_| url_error(StatusCode::TOO_MANY_REQUESTS, None, json!("Rate Exceeded.")))?;
    let pool = Arc::clone(function.pool(&version).expect("resolved versions exist"));
    let invoked_arn = function.invoked_arn(qualifier);
    let event = event::event(
        &parts,
        &body,
        request_id,
        &shared.registry.account_id,
        caller.as_ref(),
    );
    let invoke = Invoke {
        request_id: request_id.as_str().to_owned(),
        payload: Bytes::from(serde_json::to_vec(&event).expect("an event serializes")),
        invoked_arn: invoked_arn.clone(),
        trace_id: invoke::new_trace_id(),
        client_context: None,
        tenant_id: None,
        log_wanted: false,
    };
    let served = |status| Served::new(&invoked_arn, &version, status);
    let mut response = dispatch(url.invoke_mode, pool, invoke, slot, served).await;
    if let Some(cors) = &url.cors {
        cors::add_cors_headers(cors, &parts.headers, response.headers_mut());
    }
    Ok(response)
}

/// The request's body, up to the synchronous payload limit (413 past it).
async fn read_body(body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, SYNC_PAYLOAD_LIMIT)
        .await
        .map_err(|_| {
            url_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                json!(format!(
                    "Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation"
                )),
            )
        })
}

/// Why an `AWS_IAM` URL refuses a request: no valid signature of a principal the function
/// allows (a 403).
struct Forbidden;

/// The caller of an `AWS_IAM` URL: a valid signature of a principal the function allows. A
/// `NONE` URL has no caller.
fn authorize(
    shared: &Service,
    function: &Function,
    url: &FunctionUrl,
    parts: &Parts,
    body: &[u8],
) -> Result<Option<Caller>, Forbidden> {
    match url.auth_type {
        UrlAuthType::None => Ok(None),
        UrlAuthType::AwsIam => shared
            .auth
            .verify(parts, body)
            .ok()
            .filter(|caller| caller.allowed_by(function.allow_list(url.qualifier.as_deref())))
            .map(Some)
            .ok_or(Forbidden),
    }
}

/// Invokes as the URL's invoke mode says and answers: buffered, the whole answer mapped to
/// HTTP; streamed, the head as soon as the prelude is in, then the body as it arrives.
async fn dispatch(
    mode: UrlInvokeMode,
    pool: Arc<VersionPool>,
    invoke: Invoke,
    slot: ConcurrencySlot,
    served: impl Fn(&'static str) -> Served,
) -> Response {
    match mode {
        UrlInvokeMode::Buffered => {
            // Runs to its end even if the caller hangs up, as on AWS.
            let completed = tokio::spawn(async move {
                let completed = pool.invoke(invoke).await;
                drop(slot);
                completed
            })
            .await;
            match completed {
                Ok(c) if !c.function_error => {
                    served("200 URL").attach(answer::http_answer(&c.payload))
                }
                _ => served("502 URL").attach(function_failed()),
            }
        }
        UrlInvokeMode::ResponseStream => {
            let started = pool.invoke_streaming(invoke).await;
            let response = answer::stream_answer(started.answer, slot).await;
            served("200 URL stream").attach(response)
        }
    }
}

/// A Function URL's own error answer: `{"Message": ...}` (AWS capitalizes it here).
fn url_error(status: StatusCode, error_type: Option<&'static str>, message: Value) -> Response {
    let mut response = (
        status,
        Body::from(json!({ "Message": message }).to_string()),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some(error_type) = error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    }
    response
}

/// A function error, a timeout or a crash behind a URL: 502, and nothing of the error.
fn function_failed() -> Response {
    let mut response = (StatusCode::BAD_GATEWAY, "Internal Server Error").into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    response
}

#[cfg(test)]
mod tests;

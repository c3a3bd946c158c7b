//! The Invoke API, the front end callers talk to: its routes, function names and qualifiers
//! as AWS accepts them, the request's validation in AWS's order, and errors in AWS's
//! restJson1 shape.
//!
//! - `router`: the declared routes, the answer for every other path or method, and the
//!   layer that gives each request its id and serve log line (`layer.rs`);
//! - `invoke.rs`: Invoke and InvokeAsync, from the parsed request to the answer of each
//!   invocation type, and the checks every invocation API shares (`accept`);
//! - `stream.rs`: InvokeWithResponseStream, the answer forwarded as an event stream;
//! - `url/`: Function URLs at `/lambda-url/<function>/...`, plain HTTP in and out;
//! - `url_config.rs`: GetFunctionUrlConfig, how a client finds a function's URL;
//! - `request.rs`: the request as typed values, parsed in AWS's validation order;
//! - [`names`], [`error`]: `FunctionName`/`Qualifier` parsing and AWS's error shapes.
//!
//! A new invocation API is one new file with a `routes()` like `invoke::routes`, merged in
//! `router`, as `stream.rs` and `url.rs` are (Function URLs take every method, below their
//! own `/lambda-url/` prefix, which no Lambda API path starts with).

pub mod error;
mod invoke;
mod layer;
pub mod names;
mod request;
pub(crate) mod serve_log;
mod stream;
mod url;
mod url_config;

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::{Method, Uri};
use axum::routing::{MethodRouter, any};

use crate::emulator::Service;
use error::AwsError;

/// The Invoke API: its routes, the unknown-operation answer for every other path or method,
/// and a request id and serve log line on every answer.
pub(crate) fn router(shared: Arc<Service>) -> Router {
    Router::new()
        .merge(invoke::routes())
        .merge(stream::routes())
        .merge(url::routes())
        .merge(url_config::routes())
        .fallback(unknown_operation)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            layer::request_id_and_serve_log,
        ))
        .with_state(shared)
}

/// A route that answers `POST` only: any other method is an unknown operation, as AWS
/// answers it (404 `UnknownOperationException`, not 405, and no `Allow` header).
fn post_only<H, T>(handler: H) -> MethodRouter<Arc<Service>>
where
    H: Handler<T, Arc<Service>>,
    T: 'static,
{
    any(unknown_operation).post(handler)
}

/// The answer for a path or method that is not part of the API.
async fn unknown_operation(method: Method, uri: Uri) -> AwsError {
    AwsError::unknown_operation(format!("No operation matches {method} {}", uri.path()))
}

/// The `{FunctionName}` segment of a Lambda API path (`/<api version>/functions/<name>/...`),
/// as it arrived: axum's path parameters are percent-decoded, and refuse a name that is not
/// UTF-8 with a 400 of their own, where AWS answers with the name's `ValidationException`.
fn raw_function_name(path: &str) -> &str {
    path.split('/').nth(3).unwrap_or_default()
}

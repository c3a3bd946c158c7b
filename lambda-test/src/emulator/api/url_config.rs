//! `GetFunctionUrlConfig` (`GET /2021-10-31/functions/{name}/url[?Qualifier=]`): what a
//! client needs to call a function's URL. A lambda test with `via = "url"` looks the URL up
//! with it, on AWS and here alike, so that the two targets take one path.
//!
//! The answer has AWS's fields (`FunctionUrl`, `FunctionArn`, `AuthType`, `InvokeMode`,
//! `Cors`, `CreationTime`, `LastModifiedTime`); `FunctionUrl` is this local Lambda's
//! `/lambda-url/<name>/` at the address the request came to (so a shared server answers with
//! its own), where AWS answers `https://<url-id>.lambda-url.<region>.on.aws/`. A function
//! without a URL, or a qualifier other than the URL's alias, is AWS's 404
//! `ResourceNotFoundException` "The resource you requested does not exist.".

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any};
use serde_json::{Value, json};

use crate::config::Cors;
use crate::emulator::Service;
use crate::emulator::api::error::AwsError;
use crate::emulator::api::request::Target;
use crate::emulator::api::{raw_function_name, unknown_operation};

/// Fixed times: the local URL exists as long as the server, and a snapshot never shows them.
const CREATED: &str = "2026-01-01T00:00:00.000000Z";

/// The route, for `api::router` to mount under its layer.
pub(super) fn routes() -> Router<Arc<Service>> {
    let get_only: MethodRouter<Arc<Service>> = any(unknown_operation).get(get_function_url_config);
    Router::new().route("/2021-10-31/functions/{name}/url", get_only)
}

/// `GET /2021-10-31/functions/{name}/url`: verify, resolve, answer.
async fn get_function_url_config(
    State(shared): State<Arc<Service>>,
    request: Request,
) -> Result<Response, AwsError> {
    let (parts, _) = request.into_parts();
    shared.auth.verify(&parts, &[])?;
    let target = Target::parse(raw_function_name(parts.uri.path()), parts.uri.query())?;
    let missing = || AwsError::not_found("The resource you requested does not exist.");
    let function = shared
        .registry
        .get(&target.function.name)
        .ok_or_else(missing)?;
    let url = function.url.as_ref().ok_or_else(missing)?;
    let asked = target.qualifier.as_deref().filter(|q| *q != "$LATEST");
    if asked != url.qualifier.as_deref().filter(|q| *q != "$LATEST") {
        return Err(missing());
    }
    let host = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let mut answer = json!({
        "FunctionUrl": format!("http://{host}/lambda-url/{}/", function.name),
        "FunctionArn": function.invoked_arn(url.qualifier.as_deref()),
        "AuthType": url.auth_type.as_str(),
        "InvokeMode": url.invoke_mode.as_str(),
        "CreationTime": CREATED,
        "LastModifiedTime": CREATED,
    });
    if let Some(cors) = &url.cors {
        answer["Cors"] = cors_json(cors);
    }
    Ok(([("content-type", "application/json")], answer.to_string()).into_response())
}

/// `Cors` as the API spells it.
fn cors_json(cors: &Cors) -> Value {
    json!({
        "AllowCredentials": cors.allow_credentials,
        "AllowHeaders": cors.allow_headers,
        "AllowMethods": cors.allow_methods,
        "AllowOrigins": cors.allow_origins,
        "ExposeHeaders": cors.expose_headers,
        "MaxAge": cors.max_age,
    })
}

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
//! The messages of the 403s, 413 and 429 follow what AWS's Function URLs send as far as known
//! (LocalStack's recordings); they are best guesses where none was recorded.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::channel::{Channel, Sender};
use serde_json::{Map, Value, json};

use crate::config::{Cors, UrlAuthType, UrlInvokeMode};
use crate::emulator::Service;
use crate::emulator::api::invoke;
use crate::emulator::api::layer::{RequestId, Served};
use crate::emulator::api::request::SYNC_PAYLOAD_LIMIT;
use crate::emulator::auth::Caller;
use crate::emulator::instance::{Answer, Invoke};
use crate::emulator::runtime_api::BodyEnd;

/// The content type of a `lambda_runtime` streaming answer: a JSON prelude, eight NUL bytes,
/// then the body.
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";

/// The most a prelude may be before the body: a prelude that big is no prelude.
const MAX_PRELUDE: usize = 64 * 1024;

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
    let name = parts.uri.path().split('/').nth(2).unwrap_or_default();
    let Some((function, url)) = shared
        .registry
        .get(name)
        .and_then(|f| f.url.clone().map(|u| (f, u)))
    else {
        return url_error(
            StatusCode::FORBIDDEN,
            Some("AccessDeniedException"),
            Value::Null,
        );
    };
    let Ok(body) = axum::body::to_bytes(body, SYNC_PAYLOAD_LIMIT).await else {
        return url_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            json!(format!(
                "Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation"
            )),
        );
    };
    if let Some(preflight) = url.cors.as_ref().and_then(|c| preflight(c, &parts)) {
        return preflight;
    }
    let caller = match url.auth_type {
        UrlAuthType::None => None,
        UrlAuthType::AwsIam => {
            let allowed =
                shared.auth.verify(&parts, &body).ok().filter(|caller| {
                    caller.allowed_by(function.allow_list(url.qualifier.as_deref()))
                });
            match allowed {
                Some(caller) => Some(caller),
                None => {
                    return url_error(StatusCode::FORBIDDEN, None, json!("Forbidden"));
                }
            }
        }
    };
    let qualifier = url.qualifier.as_deref();
    let Ok(version) = function.resolve(qualifier) else {
        return url_error(StatusCode::BAD_GATEWAY, None, Value::Null);
    };
    let Ok(slot) = function.acquire() else {
        return url_error(StatusCode::TOO_MANY_REQUESTS, None, json!("Rate Exceeded."));
    };
    let pool = Arc::clone(function.pool(&version).expect("resolved versions exist"));
    let invoked_arn = function.invoked_arn(qualifier);
    let event = event(
        &parts,
        &body,
        &request_id,
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
    let mut response = match url.invoke_mode {
        UrlInvokeMode::Buffered => {
            // Runs to its end even if the caller hangs up, as on AWS.
            let completed = tokio::spawn(async move {
                let completed = pool.invoke(invoke).await;
                drop(slot);
                completed
            })
            .await;
            match completed {
                Ok(c) if !c.function_error => served("200 URL").attach(http_answer(&c.payload)),
                _ => served("502 URL").attach(function_failed()),
            }
        }
        UrlInvokeMode::ResponseStream => {
            let started = pool.invoke_streaming(invoke).await;
            let response = stream_answer(started.answer, slot).await;
            served("200 URL stream").attach(response)
        }
    };
    if let Some(cors) = &url.cors {
        add_cors_headers(cors, &parts.headers, response.headers_mut());
    }
    response
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

/// The payload-2.0 event a Function URL builds from an HTTP request.
fn event(
    parts: &Parts,
    body: &[u8],
    request_id: &RequestId,
    account_id: &str,
    caller: Option<&Caller>,
) -> Value {
    let path = parts.uri.path();
    // `/lambda-url/<function>` and what follows: the function's own path starts after it.
    let raw_path = match path.splitn(4, '/').nth(3) {
        Some(rest) => format!("/{rest}"),
        None => "/".to_owned(),
    };
    let raw_query = parts.uri.query().unwrap_or_default();
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for name in parts.headers.keys() {
        let values: Vec<&str> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if name == "cookie" {
            cookies.extend(values.iter().flat_map(|v| v.split("; ")).map(str::to_owned));
            continue;
        }
        headers.insert(name.as_str().to_owned(), values.join(",").into());
    }
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    headers.insert("x-forwarded-proto".into(), "http".into());
    headers.insert("x-forwarded-for".into(), "127.0.0.1".into());
    let port = host.rsplit_once(':').map_or("80", |(_, p)| p).to_owned();
    headers.insert("x-forwarded-port".into(), port.into());
    let mut query = Map::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        let (key, value) = (decode(key), decode(value));
        match query.get_mut(&key) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                query.insert(key, value.into());
            }
        }
    }
    let url_id = url_id(path.split('/').nth(2).unwrap_or_default());
    let now = SystemTime::now();
    let epoch_ms = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let user_agent = parts
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut context = json!({
        "accountId": "anonymous",
        "apiId": url_id,
        "domainName": host,
        "domainPrefix": url_id,
        "http": {
            "method": parts.method.as_str(),
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": user_agent,
        },
        "requestId": request_id.as_str(),
        "routeKey": "$default",
        "stage": "$default",
        "time": crate::client::http_event::clf_time(epoch_ms as i64),
        "timeEpoch": epoch_ms,
    });
    if let Some(Caller::Principal(p)) = caller {
        let account = p.arn.split(':').nth(4).unwrap_or(account_id).to_owned();
        context["accountId"] = account.clone().into();
        context["authorizer"] = json!({
            "iam": {
                "accessKey": p.access_key_id,
                "accountId": account,
                "callerId": p.name,
                "cognitoIdentity": null,
                "principalOrgId": null,
                "userArn": p.arn,
                "userId": p.name,
            }
        });
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = cookies.into();
    }
    if !query.is_empty() {
        event["queryStringParameters"] = query.into();
    }
    if !body.is_empty() {
        let content_type = parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let textual = ["text", "json", "xml", "javascript", "x-www-form-urlencoded"]
            .iter()
            .any(|t| content_type.contains(t));
        match std::str::from_utf8(body) {
            Ok(text) if textual => event["body"] = text.into(),
            _ => {
                event["body"] = BASE64.encode(body).into();
                event["isBase64Encoded"] = true.into();
            }
        }
    }
    event
}

/// A stable, URL-id-shaped (32 lowercase letters and digits) id for a function's URL.
fn url_id(function: &str) -> String {
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    let mut id = String::with_capacity(32);
    while id.len() < 32 {
        for b in function.bytes().chain(id.len().to_le_bytes()) {
            state = (state ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let digit = (state % 36) as u8;
        id.push(char::from(if digit < 10 {
            b'0' + digit
        } else {
            b'a' + digit - 10
        }));
    }
    id
}

/// A buffered answer mapped to HTTP as Function URLs map it.
fn http_answer(payload: &[u8]) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(payload).ok();
    let Some(Value::Object(answer)) = parsed.clone().filter(|v| v.get("statusCode").is_some())
    else {
        // Not an HTTP answer: the payload is the body of a 200 JSON response; a JSON string
        // is its text, other JSON is written without whitespace, as AWS re-serializes it
        // (`{"hello": "world"}` came back as 17 bytes, recorded November 2025).
        let body = match parsed {
            Some(Value::String(text)) => Bytes::from(text),
            Some(_) => Bytes::from(compact_json(payload)),
            None => Bytes::copy_from_slice(payload),
        };
        let mut response = Response::new(Body::from(body));
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return response;
    };
    let status = answer
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok());
    let Some(status) = status else {
        return function_failed();
    };
    let body = match answer.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) if answer.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            match BASE64.decode(text) {
                Ok(bytes) => Bytes::from(bytes),
                Err(_) => return function_failed(),
            }
        }
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(other) => Bytes::from(other.to_string()),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some(Value::Object(given)) = answer.get("headers") {
        for (name, value) in given {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            insert_header(headers, name, &value);
        }
    }
    if let Some(Value::Array(cookies)) = answer.get("cookies") {
        for cookie in cookies.iter().filter_map(Value::as_str) {
            if let Ok(v) = HeaderValue::from_str(cookie) {
                headers.append("set-cookie", v);
            }
        }
    }
    response
}

/// Valid JSON text without the whitespace between its tokens, members kept in their order.
fn compact_json(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in text {
        if in_string {
            in_string = escaped || b != b'"';
            escaped = !escaped && b == b'\\';
        } else if b.is_ascii_whitespace() {
            continue;
        } else {
            in_string = b == b'"';
        }
        out.push(b);
    }
    out
}

/// One header of the function's answer; `content-length` is Lambda's to set, so the
/// function's own goes out as `x-amzn-remapped-content-length`, as on AWS.
fn insert_header(headers: &mut HeaderMap, name: &str, value: &str) {
    let name = name.to_ascii_lowercase();
    let name = if name == "content-length" {
        "x-amzn-remapped-content-length".to_owned()
    } else {
        name
    };
    if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
        headers.insert(name, value);
    }
}

/// A streamed answer: the prelude's status and headers, then the body as it arrives.
async fn stream_answer(answer: Answer, slot: impl Send + 'static) -> Response {
    let Answer::Response { head, mut body } = answer else {
        return function_failed();
    };
    let mut first = Vec::new();
    let mut prelude = None;
    if head.content_type.as_deref() == Some(HTTP_INTEGRATION) {
        // The prelude ends at eight NUL bytes; whatever follows in the same chunks is body.
        while prelude.is_none() && first.len() <= MAX_PRELUDE {
            match body.next_chunk().await {
                Some(chunk) => first.extend_from_slice(&chunk),
                None => break,
            }
            if let Some(at) = first.windows(8).position(|w| w == [0u8; 8]) {
                prelude = Some(first[..at].to_vec());
                first.drain(..at + 8);
            }
        }
        if prelude.is_none() {
            return function_failed();
        }
    }
    let mut response = match prelude.as_deref().map(serde_json::from_slice::<Value>) {
        Some(Ok(prelude)) => {
            let mut answer = prelude;
            answer["body"] = Value::Null;
            http_answer(&serde_json::to_vec(&answer).expect("JSON serializes"))
        }
        Some(Err(_)) => return function_failed(),
        None => {
            let mut response = Response::new(Body::empty());
            let content_type = head
                .content_type
                .as_deref()
                .unwrap_or("application/octet-stream");
            if let Ok(v) = HeaderValue::from_str(content_type) {
                response.headers_mut().insert("content-type", v);
            }
            response
        }
    };
    let (sender, channel) = Channel::<Bytes, std::io::Error>::new(8);
    tokio::spawn(async move {
        forward_body(sender, Bytes::from(first), body).await;
        drop(slot);
    });
    *response.body_mut() = Body::new(channel);
    response
}

/// The body after the prelude, chunk by chunk; a body that ends in an error is cut short.
async fn forward_body(
    mut out: Sender<Bytes, std::io::Error>,
    first: Bytes,
    mut body: crate::emulator::runtime_api::ResponseBody,
) {
    if !first.is_empty() && out.send_data(first).await.is_err() {
        return;
    }
    while let Some(chunk) = body.next_chunk().await {
        if !chunk.is_empty() && out.send_data(chunk).await.is_err() {
            return;
        }
    }
    if body.end() != Some(&BodyEnd::Complete) {
        // No way to say "error" in HTTP once the head went out: the body breaks off.
        out.abort(std::io::Error::other("the function's stream broke off"));
    }
}

/// The answer to a CORS preflight, when the request is one.
fn preflight(cors: &Cors, parts: &Parts) -> Option<Response> {
    let origin = parts.headers.get("origin")?;
    parts.headers.get("access-control-request-method")?;
    if parts.method != Method::OPTIONS {
        return None;
    }
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    if allows(&cors.allow_origins, origin.to_str().unwrap_or_default()) {
        add_cors_headers(cors, &parts.headers, headers);
        if !cors.allow_methods.is_empty() {
            insert_header(
                headers,
                "access-control-allow-methods",
                &cors.allow_methods.join(","),
            );
        }
        if !cors.allow_headers.is_empty() {
            insert_header(
                headers,
                "access-control-allow-headers",
                &cors.allow_headers.join(","),
            );
        }
        if let Some(age) = cors.max_age {
            insert_header(headers, "access-control-max-age", &age.to_string());
        }
    }
    Some(response)
}

/// The CORS headers of an answer to an allowed origin.
fn add_cors_headers(cors: &Cors, request: &HeaderMap, headers: &mut HeaderMap) {
    let Some(origin) = request.get("origin").and_then(|o| o.to_str().ok()) else {
        return;
    };
    if !allows(&cors.allow_origins, origin) {
        return;
    }
    let allowed = if cors.allow_origins.iter().any(|o| o == "*") && !cors.allow_credentials {
        "*"
    } else {
        origin
    };
    insert_header(headers, "access-control-allow-origin", allowed);
    if cors.allow_credentials {
        insert_header(headers, "access-control-allow-credentials", "true");
    }
    if !cors.expose_headers.is_empty() {
        insert_header(
            headers,
            "access-control-expose-headers",
            &cors.expose_headers.join(","),
        );
    }
    insert_header(headers, "vary", "Origin");
}

fn allows(list: &[String], value: &str) -> bool {
    list.iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(value))
}

#[cfg(test)]
#[path = "url_tests.rs"]
mod tests;

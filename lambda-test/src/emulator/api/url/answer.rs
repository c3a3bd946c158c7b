//! A function's answer mapped back to HTTP as Function URLs map it, buffered or streamed.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::channel::{Channel, Sender};
use serde_json::Value;

use super::function_failed;
use crate::emulator::instance::Answer;
use crate::emulator::runtime_api::BodyEnd;

/// The content type of a `lambda_runtime` streaming answer: a JSON prelude, eight NUL bytes,
/// then the body.
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";

/// The most a prelude may be before the body: a prelude that big is no prelude.
const MAX_PRELUDE: usize = 64 * 1024;

/// A buffered answer mapped to HTTP as Function URLs map it.
pub(super) fn http_answer(payload: &[u8]) -> Response {
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

/// One header of the function's answer; `content-length` is Lambda's to set, so the
/// function's own goes out as `x-amzn-remapped-content-length`, as on AWS.
pub(super) fn insert_header(headers: &mut HeaderMap, name: &str, value: &str) {
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
pub(super) async fn stream_answer(answer: Answer, slot: impl Send + 'static) -> Response {
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

//! The payload-2.0 event of a Function URL request, as Function URLs fill it.

use std::time::SystemTime;

use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use crate::emulator::api::layer::RequestId;
use crate::emulator::auth::Caller;

/// The payload-2.0 event a Function URL builds from an HTTP request.
pub(super) fn event(
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
    let (headers, cookies) = headers_and_cookies(parts);
    let query = query_parameters(raw_query);
    let url_id = url_id(path.split('/').nth(2).unwrap_or_default());
    let mut context = request_context(parts, &raw_path, &url_id, request_id);
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
    add_body(&mut event, parts, body);
    event
}

/// The headers, lower-cased and comma-joined, with the `x-forwarded-*` ones Function URLs
/// add; the `cookie` header split into the event's `cookies`.
fn headers_and_cookies(parts: &Parts) -> (Map<String, Value>, Vec<String>) {
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
    headers.insert("x-forwarded-proto".into(), "http".into());
    headers.insert("x-forwarded-for".into(), "127.0.0.1".into());
    let port = host(parts)
        .rsplit_once(':')
        .map_or("80", |(_, p)| p)
        .to_owned();
    headers.insert("x-forwarded-port".into(), port.into());
    (headers, cookies)
}

fn host(parts: &Parts) -> &str {
    parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
}

/// `queryStringParameters`: decoded, repeated keys comma-joined.
fn query_parameters(raw_query: &str) -> Map<String, Value> {
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
    query
}

/// The `requestContext` of an unauthenticated request; an `AWS_IAM` caller is added to it.
fn request_context(parts: &Parts, raw_path: &str, url_id: &str, request_id: &RequestId) -> Value {
    let epoch_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let user_agent = parts
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    json!({
        "accountId": "anonymous",
        "apiId": url_id,
        "domainName": host(parts),
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
    })
}

/// The body as text for textual content types, base64 (`isBase64Encoded`) otherwise.
fn add_body(event: &mut Value, parts: &Parts, body: &[u8]) {
    if body.is_empty() {
        return;
    }
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

/// A stable, URL-id-shaped (32 lowercase letters and digits) id for a function's URL.
pub(super) fn url_id(function: &str) -> String {
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

//! A function's answer read as the HTTP response API Gateway, an ALB or a Function URL makes of
//! it, for snapshots a reader can review: status, sorted headers, cookies and a parsed body.
//!
//! # A payload that is not a response
//!
//! When the test knows the integration (a request key, `integration`, or a local function
//! with a Function URL), a payload without a well-formed `statusCode` becomes what that
//! integration answers:
//!
//! | integration | answer | source |
//! |---|---|---|
//! | HTTP API (payload 2.0), Function URL | 200, `content-type: application/json`, the payload as the body (a JSON string: its text); a payload with a malformed `statusCode` is shown as it is | AWS docs, "Working with AWS Lambda proxy integrations for HTTP APIs" (response format 2.0: "If your Lambda function returns valid JSON and doesn't return a statusCode, API Gateway assumes ... statusCode 200, content-type application/json, body is the function's response") and "Invoking Lambda function URLs" (response payload format: the same inference) |
//! | REST API (payload 1.0) | 502, `content-type: application/json`, `{"message": "Internal server error"}` | AWS docs, "Set up Lambda proxy integrations" (a malformed proxy response is a 502 `Internal server error`); the body's spacing as API Gateway sends it is a best guess |
//! | ALB (either header mode) | 502, `content-type: text/html`, the ALB's "502 Bad Gateway" page | ELB docs, "Lambda functions as targets" (a malformed response is an HTTP 502); the page's exact bytes are a best guess |
//!
//! A function error is shown as the error document it is, whatever the integration.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::client::function_url::{TRANSPORT_HEADERS, UrlResponse};
use crate::client::http_event::Integration;
use crate::client::outcome::Redactions;

/// The HTTP response in a snapshot, shown instead of the raw payload when the function answered
/// one (a JSON object with an integer `statusCode`, as `lambda_http` and every integration's
/// response format have it).
///
/// ```yaml
/// http:
///   status: 201
///   headers:
///     content-type: application/json
///     date: "[date]"
///   cookies:
///     - session=abc; Path=/
///   body:
///     status: accepted
/// ```
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// let http = outcome.snapshot_record().http.expect("an HTTP response");
/// assert_eq!(http.status, 201);
/// assert_eq!(http.headers["content-type"], "application/json");
/// assert_eq!(http.body["status"], "accepted");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct HttpResponseRecord {
    /// `statusCode`.
    pub status: u16,
    /// `headers` and `multiValueHeaders` merged: names lower-cased, values of one name
    /// comma-joined, sorted by name; volatile values redacted. `set-cookie` is in `cookies`.
    pub headers: BTreeMap<String, String>,
    /// `cookies` (payload 2.0) and `set-cookie` headers, in that order; redacted.
    pub cookies: Vec<String>,
    /// The body (base64-decoded first when `isBase64Encoded`): parsed for a JSON content type,
    /// text for a text one, `<N bytes, sha256 HEX>` for anything else; null when empty.
    pub body: Value,
}

/// The body of an ALB's own 502 (what ALBs send for a malformed Lambda answer, as observed;
/// the exact bytes are a best guess).
const ALB_BAD_GATEWAY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

/// Headers whose values change on every request, and what they become.
const VOLATILE_HEADERS: [(&str, &str); 6] = [
    ("date", "[date]"),
    ("x-amzn-requestid", "[request-id]"),
    ("x-amz-apigw-id", "[request-id]"),
    ("apigw-requestid", "[request-id]"),
    ("x-amzn-trace-id", "[trace-id]"),
    ("x-amz-cf-id", "[request-id]"),
];

impl HttpResponseRecord {
    /// The record of `payload` when it is a well-formed HTTP response, `None` otherwise (the
    /// snapshot then shows the payload as it is).
    pub(crate) fn parse(
        payload: &[u8],
        redactions: &Redactions,
        request_id: Option<&str>,
    ) -> Option<Self> {
        let Ok(Value::Object(response)) = serde_json::from_slice::<Value>(payload) else {
            return None;
        };
        let status = u16::try_from(response.get("statusCode")?.as_u64()?).ok()?;
        if !(100..=599).contains(&status) {
            return None;
        }
        let mut merged: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in object_or_empty(response.get("headers"))? {
            merged
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(scalar_text(&value)?);
        }
        for (name, values) in object_or_empty(response.get("multiValueHeaders"))? {
            let values = match values {
                Value::Array(values) => values,
                Value::Null => continue,
                _ => return None,
            };
            let values = values.iter().map(scalar_text).collect::<Option<Vec<_>>>()?;
            let entry = merged.entry(name.to_ascii_lowercase()).or_default();
            // API Gateway's rule: a name-value pair in both maps appears once, from
            // `multiValueHeaders`.
            entry.retain(|single| !values.contains(single));
            entry.extend(values);
        }
        let mut cookies = match response.get("cookies") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?,
            Some(_) => return None,
        };
        cookies.extend(merged.remove("set-cookie").unwrap_or_default());
        let is_base64 = match response.get("isBase64Encoded") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return None,
        };
        let body = match response.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(text)) if is_base64 => base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()?,
            Some(Value::String(text)) => text.clone().into_bytes(),
            Some(_) => return None,
        };
        Some(Self::assemble(
            status, merged, cookies, &body, is_base64, redactions, request_id,
        ))
    }

    /// The record of `payload` as `integration` turns it into HTTP: a well-formed response as
    /// it is; otherwise the integration's own rule (module docs, "A payload that is not a
    /// response"). `None` when the integration has no rule for it (the payload then shows as
    /// it is).
    pub(crate) fn through(
        payload: &[u8],
        integration: Integration,
        redactions: &Redactions,
        request_id: Option<&str>,
    ) -> Option<Self> {
        if let Some(record) = Self::parse(payload, redactions, request_id) {
            return Some(record);
        }
        let json: Value = serde_json::from_slice(payload).ok()?;
        let (status, content_type, body) = match integration {
            // A `statusCode` that is there and malformed is no bare payload: shown as it is.
            Integration::HttpApi | Integration::FunctionUrl if json.get("statusCode").is_some() => {
                return None;
            }
            Integration::HttpApi | Integration::FunctionUrl => {
                let body = match json {
                    Value::String(text) => text.into_bytes(),
                    _ => payload.to_vec(),
                };
                (200, "application/json", body)
            }
            Integration::RestApi => (
                502,
                "application/json",
                br#"{"message": "Internal server error"}"#.to_vec(),
            ),
            Integration::Alb | Integration::AlbMultiValue => {
                (502, "text/html", ALB_BAD_GATEWAY.as_bytes().to_vec())
            }
        };
        let headers = BTreeMap::from([("content-type".to_owned(), vec![content_type.to_owned()])]);
        Some(Self::assemble(
            status,
            headers,
            Vec::new(),
            &body,
            false,
            redactions,
            request_id,
        ))
    }

    /// The record of an answer that came through a Function URL (`via = "url"`): its status,
    /// its headers without the transport's ([`TRANSPORT_HEADERS`]), `set-cookie` as cookies.
    pub(crate) fn from_url(
        url: &UrlResponse,
        body: &[u8],
        redactions: &Redactions,
        request_id: Option<&str>,
    ) -> Self {
        let mut merged: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &url.headers {
            if !TRANSPORT_HEADERS.contains(&name.as_str()) {
                merged.entry(name.clone()).or_default().push(value.clone());
            }
        }
        let cookies = merged.remove("set-cookie").unwrap_or_default();
        Self::assemble(
            url.status, merged, cookies, body, false, redactions, request_id,
        )
    }

    /// The record from its parts: the body read by its content type, volatile headers and
    /// values redacted.
    fn assemble(
        status: u16,
        merged: BTreeMap<String, Vec<String>>,
        cookies: Vec<String>,
        body: &[u8],
        is_base64: bool,
        redactions: &Redactions,
        request_id: Option<&str>,
    ) -> Self {
        let content_type = merged
            .get("content-type")
            .and_then(|v| v.first())
            .map(String::as_str);
        let body = body_value(body, content_type, is_base64, redactions, request_id);
        let headers = merged
            .into_iter()
            .map(|(name, values)| {
                let joined = values.join(",");
                let shown = match VOLATILE_HEADERS.iter().find(|(n, _)| *n == name) {
                    Some((_, with)) => (*with).to_owned(),
                    None => redactions.in_text(&joined, request_id, true),
                };
                (name, shown)
            })
            .collect();
        Self {
            status,
            headers,
            cookies: cookies
                .iter()
                .map(|c| redactions.in_text(c, request_id, true))
                .collect(),
            body,
        }
    }
}

/// The object at `value`, an empty one when absent or null, `None` when it is something else.
fn object_or_empty(value: Option<&Value>) -> Option<Map<String, Value>> {
    match value {
        None | Some(Value::Null) => Some(Map::new()),
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => None,
    }
}

/// A header value as text: a string, or a number or boolean as API Gateway would print it.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What kind of body a content type announces.
#[derive(Debug, PartialEq)]
enum BodyKind {
    Json,
    Text,
    Binary,
}

fn body_kind(content_type: Option<&str>) -> Option<BodyKind> {
    let essence = content_type?
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    Some(
        if essence == "application/json" || essence.ends_with("+json") {
            BodyKind::Json
        } else if essence.starts_with("text/")
            || essence.ends_with("+xml")
            || matches!(
                essence.as_str(),
                "application/xml"
                    | "application/javascript"
                    | "application/x-www-form-urlencoded"
                    | "application/graphql"
            )
        {
            BodyKind::Text
        } else {
            BodyKind::Binary
        },
    )
}

fn body_value(
    body: &[u8],
    content_type: Option<&str>,
    is_base64: bool,
    redactions: &Redactions,
    request_id: Option<&str>,
) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    // Without a content type, a body that was not base64-encoded is text, and maybe JSON.
    let kind = body_kind(content_type).unwrap_or(if is_base64 {
        BodyKind::Binary
    } else {
        BodyKind::Text
    });
    let text = std::str::from_utf8(body).ok();
    match (kind, text) {
        (BodyKind::Json | BodyKind::Text, Some(text)) => {
            match serde_json::from_str::<Value>(text) {
                Ok(json)
                    if content_type.is_none()
                        || body_kind(content_type) == Some(BodyKind::Json) =>
                {
                    redactions.in_json(json, request_id)
                }
                _ => Value::String(redactions.in_text(text, request_id, false)),
            }
        }
        _ => {
            let digest = Sha256::digest(body);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            Value::String(format!("<{} bytes, sha256 {hex}>", body.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(response: Value) -> Option<HttpResponseRecord> {
        HttpResponseRecord::parse(
            response.to_string().as_bytes(),
            &Redactions::default(),
            Some("3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c"),
        )
    }

    #[test]
    fn headers_are_merged_lowercased_sorted_and_redacted() {
        let record = parse(json!({
            "statusCode": 200,
            "headers": {"Content-Type": "application/json", "X-Id": "3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c", "Date": "Wed, 02 Dec 2026 13:00:00 GMT"},
            "multiValueHeaders": {"vary": ["origin", "accept"], "content-type": ["application/json"], "x-n": ["1", "1"]},
            "body": "{\"ok\":true}",
        }))
        .unwrap();
        let headers: Vec<_> = record
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            headers,
            [
                ("content-type", "application/json"),
                ("date", "[date]"),
                ("vary", "origin,accept"),
                ("x-id", "[request-id]"),
                // Repeated within `multiValueHeaders`, a value is kept twice.
                ("x-n", "1,1"),
            ]
        );
        assert_eq!(record.body, json!({"ok": true}));
    }

    #[test]
    fn cookies_come_from_the_cookies_list_and_set_cookie_headers() {
        let record = parse(json!({
            "statusCode": 204,
            "cookies": ["a=1; Path=/"],
            "multiValueHeaders": {"Set-Cookie": ["b=2", "c=3"]},
        }))
        .unwrap();
        assert_eq!(record.cookies, ["a=1; Path=/", "b=2", "c=3"]);
        assert!(record.headers.is_empty(), "{:?}", record.headers);
        assert_eq!(record.body, Value::Null);
    }

    #[test]
    fn bodies_by_content_type() {
        let body = |content_type: Option<&str>, body: &str, base64: bool| {
            let mut response = json!({"statusCode": 200, "body": body, "isBase64Encoded": base64});
            if let Some(ct) = content_type {
                response["headers"] = json!({ "content-type": ct });
            }
            parse(response).unwrap().body
        };
        assert_eq!(
            body(Some("application/problem+json"), "{\"a\":1}", false),
            json!({"a": 1})
        );
        // JSON-looking text under a text type stays text.
        assert_eq!(
            body(Some("text/plain; charset=utf-8"), "{\"a\":1}", false),
            "{\"a\":1}"
        );
        assert_eq!(body(Some("text/html"), "PGI+aGk8L2I+", true), "<b>hi</b>");
        assert_eq!(body(None, "[1,2]", false), json!([1, 2]));
        assert_eq!(body(None, "plain", false), "plain");
        // sha256("abc"), the FIPS 180-2 example.
        assert_eq!(
            body(Some("image/png"), "YWJj", true),
            "<3 bytes, sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad>"
        );
        assert_eq!(
            body(None, "YWJj", true),
            "<3 bytes, sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad>"
        );
    }

    #[test]
    fn malformed_answers_are_not_http() {
        for response in [
            json!({"greeting": "hi"}),
            json!({"statusCode": "200"}),
            json!({"statusCode": 42}),
            json!({"statusCode": 200, "headers": ["a"]}),
            json!({"statusCode": 200, "headers": {"a": {"b": 1}}}),
            json!({"statusCode": 200, "body": {"a": 1}}),
            json!({"statusCode": 200, "body": "!!", "isBase64Encoded": true}),
            json!({"statusCode": 200, "cookies": "a=1"}),
            json!([{"statusCode": 200}]),
        ] {
            assert!(parse(response.clone()).is_none(), "{response}");
        }
        assert!(HttpResponseRecord::parse(b"not json", &Redactions::default(), None).is_none());
    }
}

//! Unit tests of the answer mapping and URL ids.

use axum::response::Response;

use super::answer::http_answer;
use super::event::url_id;

fn answer(payload: &str) -> (u16, Vec<(String, String)>, String) {
    let response = http_answer(payload.as_bytes());
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let body = futures_body(response);
    (status, headers, body)
}

fn futures_body(response: Response) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bytes = runtime
        .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn an_http_answer_gives_its_status_headers_cookies_and_body() {
    let (status, headers, body) = answer(
        r#"{"statusCode": 201, "headers": {"Content-Type": "text/plain", "Content-Length": "2", "x-n": 1}, "cookies": ["a=1", "b=2"], "body": "ok"}"#,
    );
    assert_eq!(status, 201);
    assert_eq!(body, "ok");
    let has = |n: &str, v: &str| headers.iter().any(|(hn, hv)| hn == n && hv == v);
    assert!(has("content-type", "text/plain"), "{headers:?}");
    assert!(has("x-amzn-remapped-content-length", "2"), "{headers:?}");
    assert!(has("x-n", "1"), "{headers:?}");
    assert!(
        has("set-cookie", "a=1") && has("set-cookie", "b=2"),
        "{headers:?}"
    );
}

#[test]
fn a_base64_body_is_decoded() {
    let (_, _, body) = answer(r#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#);
    assert_eq!(body, "hi");
}

#[test]
fn an_answer_without_status_code_is_a_json_200() {
    let (status, headers, body) = answer(r#"{"message": "hello, \"you\" \\", "b": [1, 2]}"#);
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"message":"hello, \"you\" \\","b":[1,2]}"#);
    assert!(headers.contains(&("content-type".into(), "application/json".into())));
    let (_, _, body) = answer(r#""plain words""#);
    assert_eq!(body, "plain words");
}

#[test]
fn a_malformed_status_is_a_bad_gateway() {
    assert_eq!(answer(r#"{"statusCode": "two hundred"}"#).0, 502);
    assert_eq!(answer(r#"{"statusCode": 99999}"#).0, 502);
}

#[test]
fn url_ids_are_stable_and_shaped_like_aws_ones() {
    let id = url_id("greeter");
    assert_eq!(id, url_id("greeter"));
    assert_ne!(id, url_id("other"));
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
}

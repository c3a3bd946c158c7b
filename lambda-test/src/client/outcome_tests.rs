//! Unit tests of `outcome.rs`: the snapshot record of buffered, streamed and HTTP answers.

use super::*;
use crate::client::stream::InvokeCompleteError;

fn outcome(payload: &str, log: &str) -> Outcome {
    Outcome {
        status_code: 200,
        function_error: Some("Unhandled".into()),
        executed_version: Some("$LATEST".into()),
        payload: Some(payload.as_bytes().to_vec()),
        log: Some(TailLog::parse(log)),
        request_id: Some("3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c".into()),
        target: None,
        stream: None,
        url: None,
    }
}

#[test]
fn request_id_is_redacted_in_payload_and_log() {
    let o = outcome(
        r#"{"errorType":"Runtime.ExitError","errorMessage":"RequestId: 3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c Error: Runtime exited"}"#,
        "START RequestId: 3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c Version: $LATEST\nRequestId: 3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c Error: x\nat 2026-01-15T10:15:00.123Z id 0d1f4e9e-5c1e-4c3a-9f7b-1f2e3d4c5b6a\n",
    );
    let r = o.snapshot_record();
    assert_eq!(
        r.payload["errorMessage"],
        "RequestId: [request-id] Error: Runtime exited"
    );
    assert_eq!(
        r.log.unwrap(),
        [
            "RequestId: [request-id] Error: x",
            "at [timestamp] id [uuid]"
        ]
    );
}

#[test]
fn non_json_payload_is_a_string_and_empty_is_null() {
    let mut o = outcome("plain", "");
    assert_eq!(o.snapshot_record().payload, Value::String("plain".into()));
    o.payload = None;
    assert_eq!(o.snapshot_record().payload, Value::Null);
}

fn streamed(payload: &[u8], error: Option<InvokeCompleteError>) -> Outcome {
    Outcome {
        function_error: None,
        payload: Some(payload.to_vec()),
        stream: Some(Streamed {
            content_type: Some(crate::HTTP_INTEGRATION_CONTENT_TYPE.to_owned()),
            chunks: 4,
            first_byte: Some(std::time::Duration::from_millis(3)),
            error,
        }),
        ..outcome("", "START RequestId: 1 Version: $LATEST\nwriting\n")
    }
}

fn keys(record: &SnapshotRecord) -> Vec<String> {
    match serde_json::to_value(record).unwrap() {
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("{other}"),
    }
}

#[test]
fn a_buffered_record_keeps_its_fields() {
    let record = outcome(r#"{"a":1}"#, "").snapshot_record();
    let mut expected = [
        "status_code",
        "executed_version",
        "function_error",
        "payload",
        "log",
    ];
    expected.sort();
    assert_eq!(keys(&record), expected);
}

#[test]
fn a_streamed_record_decodes_prelude_body_and_errors() {
    let raw = b"{\"statusCode\":201,\"headers\":{\"x-id\":\"3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c\"},\"cookies\":[]}\
                \0\0\0\0\0\0\0\0{\"n\":1}Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n\
                Lambda-Runtime-Function-Error-Body: Ym9vbQ==\r\n";
    let error = InvokeCompleteError {
        code: Some("Unhandled".into()),
        details: Some(
            r#"{"errorType":"X","errorMessage":"RequestId: 3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c"}"#
                .into(),
        ),
    };
    let o = streamed(raw, Some(error));
    let record = o.snapshot_record();
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["http"]["status"], 201);
    assert_eq!(json["http"]["headers"]["x-id"], "[request-id]");
    // The body after the prelude is JSON, and parsed.
    assert_eq!(json["payload"], serde_json::json!({"n": 1}));
    assert_eq!(json["in_body_error"]["type"], "Runtime.StreamError");
    assert_eq!(json["in_body_error"]["message"], "boom");
    assert_eq!(json["error"]["code"], "Unhandled");
    assert_eq!(
        json["error"]["details"]["errorMessage"],
        "RequestId: [request-id]"
    );
    assert_eq!(json["log"], serde_json::json!(["writing"]));
    // No `function_error`, and the chunk count only when asked for.
    assert!(json.get("function_error").is_none(), "{json}");
    assert!(json.get("chunks").is_none(), "{json}");
    let mut with_chunks = record.clone();
    with_chunks.stream.as_mut().unwrap().chunks = Some(4);
    assert_eq!(serde_json::to_value(&with_chunks).unwrap()["chunks"], 4);
}

#[test]
fn a_streamed_text_body_without_prelude_is_a_string() {
    let mut o = streamed(b"plain", None);
    o.stream.as_mut().unwrap().content_type = Some("text/plain".into());
    let json = serde_json::to_value(o.snapshot_record()).unwrap();
    assert_eq!(json["payload"], "plain");
    assert_eq!(json["content_type"], "text/plain");
    assert!(
        json.get("http").is_none() && json.get("error").is_none(),
        "{json}"
    );
}

#[test]
fn an_http_answer_shows_as_http_unless_the_function_failed() {
    let answer = r#"{"statusCode":201,"headers":{"content-type":"application/json"},"body":"{\"id\":\"3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c\"}"}"#;
    let mut o = outcome(answer, "");
    o.function_error = None;
    let json = serde_json::to_value(o.snapshot_record()).unwrap();
    assert_eq!(
        json["http"],
        serde_json::json!({
            "status": 201,
            "headers": {"content-type": "application/json"},
            "cookies": [],
            "body": {"id": "[request-id]"},
        })
    );
    assert!(json.get("payload").is_none(), "{json}");
    // The raw answer stays on the record and the outcome.
    assert_eq!(o.snapshot_record().payload["statusCode"], 201);
    assert_eq!(o.payload_json().unwrap()["statusCode"], 201);
    // An error document that happens to have a `statusCode` is shown as it is.
    o.function_error = Some("Unhandled".into());
    let json = serde_json::to_value(o.snapshot_record()).unwrap();
    assert!(json.get("http").is_none(), "{json}");
    assert_eq!(json["payload"]["statusCode"], 201);
}

#[test]
fn user_rules_apply_to_payload() {
    let o = outcome(r#"{"token":"abc-123"}"#, "");
    let r = o.snapshot_record_with(&Redactions::default().add(r"abc-\d+", "[token]").unwrap());
    assert_eq!(r.payload["token"], "[token]");
}

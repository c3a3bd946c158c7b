//! The parser on its own, stage by stage: each check, which of two errors wins, and header
//! edge cases. The HTTP tests (tests/invoke_api.rs, bad_input.rs) cover the same through a
//! socket, with the signature and the registry between the stages.

use axum::http::{HeaderName, HeaderValue};

use super::*;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// A header value with bytes beyond ASCII, as HTTP allows (`obs-text`).
fn with_raw(name: &'static str, value: &[u8]) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(name, HeaderValue::from_bytes(value).unwrap());
    map
}

fn enum_message(value: &str, member: &str, allowed: &str) -> String {
    format!(
        "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{allowed}]"
    )
}

const INVOCATION_TYPES: &str = "Event, RequestResponse, DryRun";

fn target(name: &str) -> Target {
    Target::parse(name, None).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn complete(head: Head, pairs: &[(&str, &str)], body: &[u8]) -> Result<InvokeRequest, AwsError> {
    InvokeRequest::complete(
        head,
        target("f"),
        &headers(pairs),
        Bytes::copy_from_slice(body),
    )
}

fn sync() -> Head {
    Head::parse(&HeaderMap::new()).unwrap()
}

/// A JSON string of exactly `len` bytes.
fn json_of_len(len: usize) -> Vec<u8> {
    let mut text = vec![b'a'; len];
    (text[0], text[len - 1]) = (b'"', b'"');
    text
}

fn head_of(invocation_type: InvocationType) -> Head {
    Head {
        invocation_type,
        log_type: LogType::None,
    }
}

// Stage 1: the enum headers.

#[test]
fn absent_enum_headers_take_their_defaults() {
    assert_eq!(
        sync(),
        Head {
            invocation_type: InvocationType::RequestResponse,
            log_type: LogType::None
        }
    );
}

#[test]
fn every_enum_value_parses() {
    for (value, expected) in [
        ("RequestResponse", InvocationType::RequestResponse),
        ("Event", InvocationType::Event),
        ("DryRun", InvocationType::DryRun),
    ] {
        let head = Head::parse(&headers(&[("x-amz-invocation-type", value)])).unwrap();
        assert_eq!(head.invocation_type, expected, "{value}");
        assert_eq!(expected.as_str(), value);
    }
    for (value, expected) in [("None", LogType::None), ("Tail", LogType::Tail)] {
        let head = Head::parse(&headers(&[("x-amz-log-type", value)])).unwrap();
        assert_eq!(head.log_type, expected, "{value}");
    }
}

#[test]
fn invalid_enum_values_get_aws_wording() {
    for value in ["Async", "event", "EVENT", " Event", ""] {
        let e = Head::parse(&headers(&[("x-amz-invocation-type", value)])).unwrap_err();
        assert_eq!(e.error_type, "ValidationException");
        assert_eq!(
            e.message,
            format!(
                "1 validation error detected: {}",
                enum_message(value, "invocationType", INVOCATION_TYPES)
            )
        );
    }
    let e = Head::parse(&headers(&[("x-amz-log-type", "Full")])).unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "1 validation error detected: {}",
            enum_message("Full", "logType", "None, Tail")
        )
    );
}

#[test]
fn two_invalid_enum_values_are_two_clauses_invocation_type_first() {
    let e = Head::parse(&headers(&[
        ("x-amz-log-type", "Full"),
        ("x-amz-invocation-type", "Async"),
    ]))
    .unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "2 validation errors detected: {}; {}",
            enum_message("Async", "invocationType", INVOCATION_TYPES),
            enum_message("Full", "logType", "None, Tail")
        )
    );
}

#[test]
fn a_repeated_header_counts_by_its_first_value() {
    let first_valid = headers(&[
        ("x-amz-invocation-type", "Event"),
        ("x-amz-invocation-type", "Async"),
    ]);
    assert_eq!(
        Head::parse(&first_valid).unwrap().invocation_type,
        InvocationType::Event
    );
    let first_invalid = headers(&[
        ("x-amz-invocation-type", "Async"),
        ("x-amz-invocation-type", "Event"),
    ]);
    assert!(Head::parse(&first_invalid).is_err());
}

#[test]
fn non_ascii_enum_headers_are_invalid_content_and_win_over_enum_clauses() {
    let e = Head::parse(&with_raw("x-amz-invocation-type", b"Ev\xe9nt")).unwrap_err();
    assert_eq!(e.error_type, "InvalidRequestContentException");
    assert_eq!(e.message, "Header x-amz-invocation-type is not valid ASCII");

    // A bad enum value first, then a non-ASCII log type: the content error answers.
    let mut map = with_raw("x-amz-log-type", b"T\xc3\xa4il");
    map.insert("x-amz-invocation-type", HeaderValue::from_static("Async"));
    let e = Head::parse(&map).unwrap_err();
    assert_eq!(e.message, "Header x-amz-log-type is not valid ASCII");
}

#[test]
fn invoke_async_is_an_event_without_a_tail() {
    assert_eq!(Head::INVOKE_ASYNC.invocation_type, InvocationType::Event);
    assert_eq!(Head::INVOKE_ASYNC.log_type, LogType::None);
}

// Stage 2: the body.

#[tokio::test]
async fn a_body_far_over_the_limit_is_refused_while_read() {
    let limit = SYNC_PAYLOAD_LIMIT + REQUEST_SLACK;
    let e = read_body(Body::from(vec![b' '; limit + 1]))
        .await
        .unwrap_err();
    assert_eq!(e.status, 413);
    assert_eq!(
        e.message,
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    );
    // Between the payload limit and the slack, the payload check says how large it is.
    let body = read_body(Body::from(vec![b' '; SYNC_PAYLOAD_LIMIT + 1]))
        .await
        .unwrap();
    assert_eq!(body.len(), SYNC_PAYLOAD_LIMIT + 1);
}

// Stage 4: the name and the qualifier.

#[test]
fn raw_and_percent_encoded_names_are_the_same() {
    for (raw, encoded) in [
        ("f:live", "f%3Alive"),
        ("f:$LATEST", "f%3A%24LATEST"),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:f:1",
            "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3A1",
        ),
    ] {
        assert_eq!(target(raw), target(encoded), "{raw}");
    }
    let arn = target("arn:aws:lambda:us-east-1:123456789012:function:f:1");
    assert_eq!(arn.function.name, "f");
    assert_eq!(arn.function.region.as_deref(), Some("us-east-1"));
    assert_eq!(arn.qualifier.as_deref(), Some("1"));
}

#[test]
fn names_are_decoded_once() {
    // `%253A` is a literal `%3A` in the name, which no name allows.
    let e = Target::parse("f%253Alive", None).unwrap_err();
    assert!(
        e.message.contains("Value 'f%3Alive' at 'functionName'"),
        "{}",
        e.message
    );
}

#[test]
fn a_name_that_is_not_utf8_is_a_validation_error() {
    let e = Target::parse("%FF%FE", None).unwrap_err();
    assert_eq!(e.error_type, "ValidationException");
    assert_eq!(
        e.message,
        "1 validation error detected: Value '\u{FFFD}\u{FFFD}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern"
    );
}

#[test]
fn an_empty_name_or_a_slash_is_a_validation_error() {
    for raw in ["", "a%2Fb", "bad%20name"] {
        let e = Target::parse(raw, None).unwrap_err();
        assert_eq!(e.error_type, "ValidationException", "{raw:?}");
        assert!(
            e.message.contains("at 'functionName'"),
            "{raw:?}: {}",
            e.message
        );
    }
}

#[test]
fn the_qualifier_comes_from_the_name_or_the_parameter() {
    assert_eq!(target("f").qualifier, None);
    assert_eq!(target("f:live").qualifier.as_deref(), Some("live"));
    let from_param = Target::parse("f", Some("Qualifier=%24LATEST")).unwrap();
    assert_eq!(from_param.qualifier.as_deref(), Some("$LATEST"));
    let both = Target::parse("f%3Alive", Some("Qualifier=live")).unwrap();
    assert_eq!(both.qualifier.as_deref(), Some("live"));
}

#[test]
fn qualifier_is_percent_decoded() {
    assert_eq!(
        qualifier_param(Some("Qualifier=%24LATEST")).as_deref(),
        Some("$LATEST")
    );
    assert_eq!(
        qualifier_param(Some("x=1&Qualifier=live")).as_deref(),
        Some("live")
    );
    assert_eq!(
        qualifier_param(Some("Qualifier=a&Qualifier=b")).as_deref(),
        Some("a"),
        "the first one counts"
    );
    assert_eq!(qualifier_param(Some("Qualifier")).as_deref(), Some(""));
    assert_eq!(qualifier_param(Some("x=1")), None);
    assert_eq!(qualifier_param(None), None);
}

#[test]
fn a_plus_in_the_qualifier_stays_literal() {
    assert_eq!(
        qualifier_param(Some("Qualifier=a+b")).as_deref(),
        Some("a+b")
    );
    let e = Target::parse("f", Some("Qualifier=a+b")).unwrap_err();
    assert!(
        e.message.contains("Value 'a+b' at 'qualifier'"),
        "{}",
        e.message
    );
}

#[test]
fn an_empty_qualifier_parameter_is_too_short() {
    let e = Target::parse("f", Some("Qualifier=")).unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '' at 'qualifier' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn conflicting_qualifiers_are_an_invalid_parameter() {
    let e = Target::parse("f:live", Some("Qualifier=1")).unwrap_err();
    assert_eq!(e.error_type, "InvalidParameterValueException");
    assert_eq!(
        e.message,
        "The derived qualifier from the function name does not match the specified qualifier."
    );
}

#[test]
fn the_name_is_checked_before_the_qualifier_and_both_before_their_conflict() {
    let e = Target::parse("bad%20name", Some("Qualifier=a%20b")).unwrap_err();
    assert!(e.message.contains("at 'functionName'"), "{}", e.message);
    let e = Target::parse("f:live", Some("Qualifier=a%20b")).unwrap_err();
    assert_eq!(e.error_type, "ValidationException");
    assert!(e.message.contains("at 'qualifier'"), "{}", e.message);
}

// Stages 7 and 8: the remaining headers, then the payload.

#[test]
fn a_complete_request_carries_every_part() {
    let context = BASE64.encode(r#"{"custom":{"a":"b"}}"#);
    let head = Head {
        invocation_type: InvocationType::RequestResponse,
        log_type: LogType::Tail,
    };
    let request = InvokeRequest::complete(
        head,
        Target::parse("f%3Alive", None).unwrap(),
        &headers(&[
            ("x-amz-client-context", &context),
            ("x-amz-tenant-id", "tenant-1"),
            (
                "x-amzn-trace-id",
                "Root=1-5759e988-bd862e3fe1be46a994272793",
            ),
        ]),
        Bytes::from_static(br#"{"a":1}"#),
    )
    .unwrap();
    assert_eq!(
        request,
        InvokeRequest {
            function: names::parse_function_name("f:live").unwrap(),
            qualifier: Some("live".into()),
            invocation_type: InvocationType::RequestResponse,
            log_type: LogType::Tail,
            client_context: Some(r#"{"custom":{"a":"b"}}"#.into()),
            tenant_id: Some("tenant-1".into()),
            trace_id: Some("Root=1-5759e988-bd862e3fe1be46a994272793".into()),
            payload: Bytes::from_static(br#"{"a":1}"#),
        }
    );
}

#[test]
fn absent_optional_headers_are_none_and_empty_ones_are_kept() {
    let request = complete(sync(), &[], b"{}").unwrap();
    assert_eq!(
        (request.client_context, request.tenant_id, request.trace_id),
        (None, None, None)
    );
    let request = complete(
        sync(),
        &[("x-amz-tenant-id", ""), ("x-amzn-trace-id", "")],
        b"{}",
    )
    .unwrap();
    assert_eq!(request.tenant_id.as_deref(), Some(""));
    assert_eq!(request.trace_id.as_deref(), Some(""));
}

#[test]
fn client_context_must_be_base64_json_object() {
    let ok = BASE64.encode(r#"{"custom":{"a":"b"}}"#);
    assert_eq!(
        decode_client_context(&ok).unwrap(),
        r#"{"custom":{"a":"b"}}"#
    );
    for bad in [
        "",
        "not base64!",
        &BASE64.encode("[1]"),
        &BASE64.encode("{"),
        &BASE64.encode("null"),
        &"A".repeat(3584),
    ] {
        let e = decode_client_context(bad).unwrap_err();
        assert_eq!(e.error_type, "InvalidRequestContentException", "{bad:?}");
        assert_eq!(
            e.message,
            "Client context must be a valid Base64-encoded JSON object."
        );
    }
}

#[test]
fn the_client_context_limit_is_on_the_base64_text() {
    // The longest context that fits: 3,580 base64 characters of a JSON object, plus padding.
    let fits = BASE64.encode(format!("{{\"k\":\"{}\"}}", "v".repeat(2677)));
    assert!(fits.len() <= CLIENT_CONTEXT_LIMIT, "{}", fits.len());
    assert!(decode_client_context(&fits).is_ok());
    let over = BASE64.encode(format!("{{\"k\":\"{}\"}}", "v".repeat(2680)));
    assert!(over.len() > CLIENT_CONTEXT_LIMIT, "{}", over.len());
    assert!(decode_client_context(&over).is_err());
}

#[test]
fn header_errors_come_before_payload_errors() {
    let e = complete(sync(), &[("x-amz-client-context", "%%%")], b"{").unwrap_err();
    assert_eq!(
        e.message,
        "Client context must be a valid Base64-encoded JSON object."
    );
    let mut map = with_raw("x-amz-tenant-id", b"t\xe9");
    map.insert("x-amz-client-context", HeaderValue::from_static("%%%"));
    let e =
        InvokeRequest::complete(sync(), target("f"), &map, Bytes::from_static(b"{")).unwrap_err();
    assert_eq!(
        e.message, "Client context must be a valid Base64-encoded JSON object.",
        "the client context is read before the tenant id"
    );
    let e = InvokeRequest::complete(
        sync(),
        target("f"),
        &with_raw("x-amz-tenant-id", b"t\xe9"),
        Bytes::from_static(b"{"),
    )
    .unwrap_err();
    assert_eq!(e.message, "Header x-amz-tenant-id is not valid ASCII");
    let e = InvokeRequest::complete(
        sync(),
        target("f"),
        &with_raw("x-amzn-trace-id", b"\xff"),
        Bytes::from_static(b"{}"),
    )
    .unwrap_err();
    assert_eq!(e.message, "Header x-amzn-trace-id is not valid ASCII");
}

#[test]
fn the_payload_limit_depends_on_the_invocation_type() {
    let event = head_of(InvocationType::Event);
    assert!(complete(event, &[], &json_of_len(EVENT_PAYLOAD_LIMIT)).is_ok());
    let e = complete(event, &[], &json_of_len(EVENT_PAYLOAD_LIMIT + 1)).unwrap_err();
    assert_eq!(e.error_type, "RequestEntityTooLargeException");
    assert_eq!(
        e.message,
        "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    );
    for invocation_type in [InvocationType::RequestResponse, InvocationType::DryRun] {
        let head = head_of(invocation_type);
        assert!(complete(head, &[], &json_of_len(SYNC_PAYLOAD_LIMIT)).is_ok());
        let e = complete(head, &[], &json_of_len(SYNC_PAYLOAD_LIMIT + 1)).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "6291457 byte payload is too large for the {} invocation type (limit 6291456 bytes)",
                invocation_type.as_str()
            )
        );
    }
}

#[test]
fn the_size_is_checked_before_the_json() {
    let e = complete(
        head_of(InvocationType::Event),
        &[],
        &vec![b'{'; EVENT_PAYLOAD_LIMIT + 1],
    )
    .unwrap_err();
    assert_eq!(e.error_type, "RequestEntityTooLargeException");
}

#[test]
fn an_empty_payload_is_an_empty_object_and_any_json_value_passes_verbatim() {
    assert_eq!(complete(sync(), &[], b"").unwrap().payload, "{}");
    for body in ["null", "\"text\"", "42", "[1,2]", "true", " {\"a\": [] } "] {
        assert_eq!(
            complete(sync(), &[], body.as_bytes()).unwrap().payload,
            body
        );
    }
}

#[test]
fn payloads_that_are_not_json_get_the_parser_detail() {
    let prefix = "Could not parse request body into json: Could not parse payload into json: ";
    let e = complete(sync(), &[], b"{").unwrap_err();
    assert_eq!(e.error_type, "InvalidRequestContentException");
    assert!(e.message.starts_with(prefix), "{}", e.message);
    assert!(e.message.ends_with("line: 1, column: 1]"), "{}", e.message);
    let source = "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)";
    let e = complete(sync(), &[], b"\"\xff\"").unwrap_err();
    assert_eq!(
        e.message,
        format!("{prefix}Invalid UTF-8 start byte 0xff\n at {source}; line: 1, column: 3]")
    );
    // The two answers recorded from AWS (LocalStack's test_lambda_invoke_payload_encoding_error).
    let e = complete(sync(), &[], b"n\x87r\x9e").unwrap_err();
    assert_eq!(
        e.message,
        format!("{prefix}Invalid UTF-8 start byte 0x87\n at {source}; line: 1, column: 3]")
    );
    let e = complete(sync(), &[], b"\x99\xeb,j").unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "{prefix}Unexpected character ((CTRL-CHAR, code 153)): expected a valid value \
             (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at {source}; line: 1, column: 1]"
        )
    );
    // DryRun checks the payload too.
    assert!(complete(head_of(InvocationType::DryRun), &[], b"nope").is_err());
}

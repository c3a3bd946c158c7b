use lambda_http::{Body, RequestExt as _, RequestPayloadExt as _};

use super::*;

const ALL: [Integration; 5] = [
    Integration::HttpApi,
    Integration::FunctionUrl,
    Integration::RestApi,
    Integration::Alb,
    Integration::AlbMultiValue,
];

fn order() -> HttpRequest {
    HttpRequest::parse("POST /orders/7?dry_run=1&tag=a&tag=b%20c")
        .unwrap()
        .header("Content-Type", "application/json")
        .header("X-Trace", "one")
        .header("x-trace", "two")
        .cookie("session=abc")
        .cookie("theme=dark")
        .body(r#"{"sku":"A-1"}"#)
}

/// Each event deserializes into the crate's own type for its integration.
#[test]
fn each_event_is_its_integrations_type() {
    let request = order();
    for integration in ALL {
        let event = request.event(integration).unwrap();
        let text = event.to_string();
        let parsed = match integration {
            Integration::HttpApi => serde_json::from_str::<ApiGatewayV2httpRequest>(&text)
                .map(|e| (e.raw_path, e.request_context.request_id)),
            Integration::FunctionUrl => serde_json::from_str::<LambdaFunctionUrlRequest>(&text)
                .map(|e| (e.raw_path, e.request_context.request_id)),
            Integration::RestApi => serde_json::from_str::<ApiGatewayProxyRequest>(&text)
                .map(|e| (e.path, e.request_context.request_id)),
            Integration::Alb | Integration::AlbMultiValue => {
                serde_json::from_str::<AlbTargetGroupRequest>(&text)
                    .map(|e| (e.path, Some("none".to_owned())))
            }
        };
        let (path, request_id) = parsed.unwrap_or_else(|e| panic!("{integration:?}: {e}"));
        assert_eq!(path.as_deref(), Some("/orders/7"), "{integration:?}");
        assert!(request_id.is_some(), "{integration:?}");
    }
}

/// What a `lambda_http` function sees: method, path, query, headers, cookies and body, for
/// every integration.
#[test]
fn lambda_http_extracts_the_request_from_every_event() {
    let request = order();
    for integration in ALL {
        let event = request.event(integration).unwrap().to_string();
        let got = lambda_http::request::from_str(&event)
            .unwrap_or_else(|e| panic!("{integration:?}: {e}\n{event}"));
        let what = format!("{integration:?}: {event}");
        assert_eq!(got.method(), Method::POST, "{what}");
        assert_eq!(got.raw_http_path(), "/orders/7", "{what}");
        let query = got.query_string_parameters();
        assert_eq!(query.first("dry_run"), Some("1"), "{what}");
        let tags = query.all("tag").unwrap_or_default();
        match integration {
            // Payload 2.0 comma-joins a repeated name; lambda_http splits it again.
            Integration::HttpApi | Integration::FunctionUrl => {
                assert_eq!(tags, ["a", "b c"], "{what}")
            }
            Integration::RestApi => assert_eq!(tags, ["a", "b c"], "{what}"),
            // An ALB without multi-value headers keeps the last value (as sent, which
            // lambda_http decodes).
            Integration::Alb => assert_eq!(tags, ["b c"], "{what}"),
            // With multi-value headers every value arrives.
            Integration::AlbMultiValue => assert_eq!(tags, ["a", "b c"], "{what}"),
        }
        let header = |name: &str| {
            got.headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("|")
        };
        assert_eq!(header("content-type"), "application/json", "{what}");
        assert_eq!(header("user-agent"), "lambda-test", "{what}");
        // lambda_http joins payload 2.0's `cookies` into one `cookie` header.
        assert_eq!(header("cookie"), "session=abc; theme=dark", "{what}");
        let trace = match integration {
            Integration::HttpApi | Integration::FunctionUrl => "one,two",
            // Payload 1.0 has both values in `multiValueHeaders`, the last in `headers`,
            // which lambda_http lets win.
            Integration::RestApi | Integration::Alb => "two",
            Integration::AlbMultiValue => "one|two",
        };
        assert_eq!(header("x-trace"), trace, "{what}");
        assert_eq!(header("content-length"), "13", "{what}");
        assert_eq!(
            got.body(),
            &Body::Text(r#"{"sku":"A-1"}"#.to_owned()),
            "{what}"
        );
        let order: serde_json::Value = got.payload().unwrap().unwrap();
        assert_eq!(order["sku"], "A-1", "{what}");
    }
}

#[test]
fn a_binary_body_is_base64_and_arrives_as_bytes() {
    let bytes = vec![0u8, 159, 146, 150, 255];
    let request = HttpRequest::parse("PUT /images/1")
        .unwrap()
        .header("content-type", "image/png")
        .body(bytes.clone());
    for integration in ALL {
        let event = request.event(integration).unwrap();
        assert_eq!(event["isBase64Encoded"], true, "{integration:?}");
        assert_eq!(event["body"], "AJ+Slv8=", "{integration:?}");
        let got = lambda_http::request::from_str(&event.to_string()).unwrap();
        assert_eq!(got.body(), &Body::Binary(bytes.clone()), "{integration:?}");
    }
}

#[test]
fn payload_2_0_fields_are_filled_as_aws_fills_them() {
    let event = order()
        .event_at(Integration::HttpApi, "req-1", 1_764_681_600_123)
        .unwrap();
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "$default");
    assert_eq!(event["rawQueryString"], "dry_run=1&tag=a&tag=b%20c");
    assert_eq!(
        event["queryStringParameters"],
        serde_json::json!({"dry_run": "1", "tag": "a,b c"})
    );
    assert_eq!(
        event["cookies"],
        serde_json::json!(["session=abc", "theme=dark"])
    );
    assert!(event["headers"].get("cookie").is_none(), "{event}");
    let context = &event["requestContext"];
    assert_eq!(context["stage"], "$default");
    assert_eq!(context["requestId"], "req-1");
    assert_eq!(context["timeEpoch"], 1_764_681_600_123_i64);
    assert_eq!(context["time"], "02/Dec/2025:13:20:00 +0000");
    assert_eq!(context["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(context["http"]["method"], "POST");
    // None of the custom-authorizer fields the type also serializes.
    for field in ["httpMethod", "type", "methodArn"] {
        assert!(event.get(field).is_none(), "{field}: {event}");
    }
    let url = order()
        .event_at(Integration::FunctionUrl, "req-1", 0)
        .unwrap();
    assert_eq!(url["requestContext"]["stage"], "$default");
    assert_eq!(url["requestContext"]["accountId"], "anonymous");
    assert!(
        url["requestContext"]["domainName"]
            .as_str()
            .unwrap()
            .ends_with(".lambda-url.us-east-1.on.aws")
    );
    let rest = order().event_at(Integration::RestApi, "req-1", 0).unwrap();
    assert_eq!(rest["requestContext"]["stage"], "test");
    assert_eq!(rest["requestContext"]["path"], "/test/orders/7");
    assert_eq!(rest["resource"], "/{proxy+}");
    assert_eq!(rest["pathParameters"]["proxy"], "orders/7");
    assert_eq!(rest["headers"]["cookie"], "session=abc; theme=dark");
    assert_eq!(
        rest["multiValueHeaders"]["x-trace"],
        serde_json::json!(["one", "two"])
    );
    assert_eq!(
        rest["multiValueQueryStringParameters"]["tag"],
        serde_json::json!(["a", "b c"])
    );
    let alb = order().event_at(Integration::Alb, "req-1", 0).unwrap();
    assert_eq!(
        alb["requestContext"]["elb"]["targetGroupArn"],
        TARGET_GROUP_ARN
    );
    assert_eq!(alb["queryStringParameters"]["tag"], "b%20c");
}

#[test]
fn request_lines_are_checked() {
    let ok = HttpRequest::parse("GET /").unwrap();
    assert_eq!(
        (ok.method, ok.path.as_str(), ok.query.as_str()),
        (Method::GET, "/", "")
    );
    let ok = HttpRequest::parse("DELETE /a?b=1&c").unwrap();
    assert_eq!(
        (ok.method, ok.path.as_str(), ok.query.as_str()),
        (Method::DELETE, "/a", "b=1&c")
    );
    for bad in ["GET", "get /", "GET orders", "FETCH! /", "GET /a b"] {
        assert!(HttpRequest::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn times_are_in_common_log_format() {
    assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
    assert_eq!(clf_time(951_782_400_000), "29/Feb/2000:00:00:00 +0000");
    assert_eq!(clf_time(1_798_761_599_000), "31/Dec/2026:23:59:59 +0000");
}

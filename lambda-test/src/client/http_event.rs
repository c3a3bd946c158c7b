//! The event an HTTP integration sends a function for one request: built with the types of
//! `aws_lambda_events` (what `lambda_http` deserializes) and filled as AWS fills them.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupRequestContext, ElbContext};
use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyRequestContext, ApiGatewayRequestIdentity,
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue, Method};
use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlRequestContext,
    LambdaFunctionUrlRequestContextHttpDescription,
};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine as _;
use serde_json::Value;

/// Which integration delivers the request, and so which event shape the function gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integration {
    /// API Gateway HTTP API, payload format 2.0 (`$default` route and stage).
    HttpApi,
    /// A Lambda Function URL: payload 2.0 with its own `requestContext`.
    FunctionUrl,
    /// API Gateway REST API, payload format 1.0 (a `/{proxy+}` resource on stage `test`).
    RestApi,
    /// An Application Load Balancer target group, without multi-value headers.
    Alb,
    /// An Application Load Balancer target group with multi-value headers turned on.
    AlbMultiValue,
}

impl Integration {
    /// The attribute's names, in the order the reference lists them.
    pub(crate) const NAMES: [&'static str; 5] = [
        "http_api",
        "function_url",
        "rest_api",
        "alb",
        "alb_multi_value",
    ];

    /// The attribute's name of this integration.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::HttpApi => "http_api",
            Self::FunctionUrl => "function_url",
            Self::RestApi => "rest_api",
            Self::Alb => "alb",
            Self::AlbMultiValue => "alb_multi_value",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "http_api" => Self::HttpApi,
            "function_url" => Self::FunctionUrl,
            "rest_api" => Self::RestApi,
            "alb" => Self::Alb,
            "alb_multi_value" => Self::AlbMultiValue,
            _ => return None,
        })
    }
}

/// The account, region and ids of the integration the events name: fixed, so only the
/// request id and the times change between runs.
const ACCOUNT_ID: &str = "123456789012";
const API_ID: &str = "lambdatest";
const URL_ID: &str = "lambdatestfunctionurl0000000000";
const REGION: &str = "us-east-1";
const SOURCE_IP: &str = "127.0.0.1";
const USER_AGENT: &str = "lambda-test";
const REST_STAGE: &str = "test";
const TARGET_GROUP_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-test/0123456789abcdef";

/// One HTTP request as a test describes it (`http`, `headers`, `cookies`, `body`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HttpRequest {
    method: Method,
    path: String,
    /// The raw query string, without `?`; empty when there is none.
    query: String,
    /// As written; names are lower-cased when the event is built.
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// `"POST /orders?dry_run=1"`: a method, a space, a path starting with `/` and an optional
    /// query.
    pub(crate) fn parse(line: &str) -> Result<Self, String> {
        let (method, target) = line
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("`{line}` is not `METHOD /path`, like `GET /orders?id=1`"))?;
        let method = Method::from_bytes(method.as_bytes())
            .ok()
            .filter(|_| method.bytes().all(|b| b.is_ascii_uppercase()))
            .ok_or_else(|| format!("`{method}` is not an HTTP method, like `GET` or `POST`"))?;
        let target = target.trim();
        if !target.starts_with('/') || target.contains(char::is_whitespace) {
            return Err(format!(
                "the path `{target}` must start with `/` and have no spaces, like `/orders?id=1`"
            ));
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Ok(Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            cookies: Vec::new(),
            body: None,
        })
    }

    pub(crate) fn method(&self) -> &Method {
        &self.method
    }

    /// The path, starting with `/`.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string, without `?`; empty when there is none.
    pub(crate) fn query(&self) -> &str {
        &self.query
    }

    /// The headers as written.
    pub(crate) fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The cookies, each `name=value`.
    pub(crate) fn cookies(&self) -> &[String] {
        &self.cookies
    }

    /// The body; empty when there is none.
    pub(crate) fn body_bytes(&self) -> &[u8] {
        self.body.as_deref().unwrap_or_default()
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn cookie(mut self, cookie: &str) -> Self {
        self.cookies.push(cookie.to_owned());
        self
    }

    pub(crate) fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The event `integration` sends for this request, with a fresh request id and the time now.
    pub(crate) fn event(&self, integration: Integration) -> Result<Value, String> {
        self.event_at(integration, &uuid::Uuid::new_v4().to_string(), now_ms())
    }

    fn event_at(
        &self,
        integration: Integration,
        request_id: &str,
        epoch_ms: i64,
    ) -> Result<Value, String> {
        let event = match integration {
            Integration::HttpApi => serde_json::to_value(self.http_api(request_id, epoch_ms)?),
            Integration::FunctionUrl => {
                serde_json::to_value(self.function_url(request_id, epoch_ms)?)
            }
            Integration::RestApi => serde_json::to_value(self.rest_api(request_id, epoch_ms)?),
            Integration::Alb => serde_json::to_value(self.alb()?),
            Integration::AlbMultiValue => serde_json::to_value(self.alb_multi_value()?),
        };
        let mut event = event.map_err(|e| format!("the event does not serialize: {e}"))?;
        if integration == Integration::FunctionUrl {
            // The type has no `routeKey` and no `stage`, which Function URLs send.
            event["routeKey"] = Value::from("$default");
            event["requestContext"]["routeKey"] = Value::from("$default");
            event["requestContext"]["stage"] = Value::from("$default");
        }
        if integration == Integration::AlbMultiValue
            && let Value::Object(fields) = &mut event
        {
            // A target group with multi-value headers sends only the multi-value maps.
            fields.remove("headers");
            fields.remove("queryStringParameters");
        }
        if integration == Integration::HttpApi
            && let Value::Object(fields) = &mut event
        {
            // Fields of custom-authorizer v1 payloads that the type serializes too; an HTTP API
            // request has none of them.
            for field in [
                "type",
                "methodArn",
                "httpMethod",
                "identitySource",
                "authorizationToken",
                "resource",
            ] {
                fields.remove(field);
            }
        }
        Ok(event)
    }

    /// The headers as the integration passes them: names lower-cased, the ones the
    /// integration adds (host, forwarding, length), the client's repeated values comma-joined
    /// (`joined`) or one per value. Cookies go in a `cookie` header unless `cookies_apart`.
    fn header_map(
        &self,
        host: &str,
        joined: bool,
        cookies_apart: bool,
    ) -> Result<HeaderMap, String> {
        let mut written: Vec<(String, String)> = vec![
            ("host".to_owned(), host.to_owned()),
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
            ("x-forwarded-for".to_owned(), SOURCE_IP.to_owned()),
            ("x-forwarded-port".to_owned(), "443".to_owned()),
            ("x-forwarded-proto".to_owned(), "https".to_owned()),
        ];
        let mut own = |name: &str, value: &str| {
            let name = name.to_ascii_lowercase();
            // The client's own user agent replaces the default.
            if name == "user-agent" || name == "host" {
                written.retain(|(n, _)| *n != name);
            }
            written.push((name, value.to_owned()));
        };
        for (name, value) in &self.headers {
            own(name, value);
        }
        if !cookies_apart && !self.cookies.is_empty() {
            own("cookie", &self.cookies.join("; "));
        }
        if let Some(body) = &self.body
            && !self
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        {
            own("content-length", &body.len().to_string());
        }
        let mut map = HeaderMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in written {
            if !values.contains_key(&name) {
                order.push(name.clone());
            }
            values.entry(name).or_default().push(value);
        }
        for name in order {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{name}` is not a valid header name"))?;
            let all = &values[&name];
            let shown = if joined {
                vec![all.join(",")]
            } else {
                all.clone()
            };
            for value in shown {
                let value = HeaderValue::from_str(&value)
                    .map_err(|_| format!("the value of header `{name}` is not valid"))?;
                map.append(header.clone(), value);
            }
        }
        Ok(map)
    }

    /// The body and whether it is base64: text content types are sent as they are, anything
    /// else base64-encoded, as the HTTP API and Function URLs do (and REST APIs with binary
    /// media types).
    fn event_body(&self) -> (Option<String>, bool) {
        let Some(body) = &self.body else {
            return (None, false);
        };
        let content_type = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str());
        match std::str::from_utf8(body) {
            Ok(text) if content_type.is_some_and(is_text_type) => (Some(text.to_owned()), false),
            _ => (
                Some(base64::engine::general_purpose::STANDARD.encode(body)),
                true,
            ),
        }
    }

    /// The query string's parameters, decoded, each name with its values in order.
    fn query_pairs(&self, decode: bool) -> Vec<(String, String)> {
        let part = |s: &str| {
            if decode {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            } else {
                s.to_owned()
            }
        };
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (part(k), part(v))
            })
            .collect()
    }

    fn multi_query(&self, decode: bool) -> HashMap<String, Vec<String>> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in self.query_pairs(decode) {
            map.entry(k).or_default().push(v);
        }
        map
    }

    /// The last value of each name: what payload 1.0's `queryStringParameters` holds.
    fn last_query(&self, decode: bool) -> HashMap<String, String> {
        self.query_pairs(decode).into_iter().collect()
    }

    /// Payload 2.0's `queryStringParameters`: values of one name comma-joined.
    fn joined_query(&self) -> HashMap<String, String> {
        self.multi_query(true)
            .into_iter()
            .map(|(k, v)| (k, v.join(",")))
            .collect()
    }

    fn cookies_v2(&self) -> Option<Vec<String>> {
        (!self.cookies.is_empty()).then(|| self.cookies.clone())
    }

    fn http_api(&self, request_id: &str, epoch_ms: i64) -> Result<ApiGatewayV2httpRequest, String> {
        let domain = format!("{API_ID}.execute-api.{REGION}.amazonaws.com");
        let (body, is_base64_encoded) = self.event_body();
        let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
        http.method = self.method.clone();
        http.path = Some(self.path.clone());
        http.protocol = Some("HTTP/1.1".to_owned());
        http.source_ip = Some(SOURCE_IP.to_owned());
        http.user_agent = Some(self.user_agent());
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.route_key = Some("$default".to_owned());
        context.account_id = Some(ACCOUNT_ID.to_owned());
        context.stage = Some("$default".to_owned());
        context.request_id = Some(request_id.to_owned());
        context.apiid = Some(API_ID.to_owned());
        context.domain_prefix = Some(API_ID.to_owned());
        context.domain_name = Some(domain.clone());
        context.time = Some(clf_time(epoch_ms));
        context.time_epoch = epoch_ms;
        context.http = http;
        let mut event = ApiGatewayV2httpRequest::default();
        event.version = Some("2.0".to_owned());
        event.route_key = Some("$default".to_owned());
        event.raw_path = Some(self.path.clone());
        event.raw_query_string = Some(self.query.clone());
        event.cookies = self.cookies_v2();
        event.headers = self.header_map(&domain, true, true)?;
        event.query_string_parameters = QueryMap::from(self.joined_query());
        event.request_context = context;
        event.body = body;
        event.is_base64_encoded = is_base64_encoded;
        Ok(event)
    }

    fn function_url(
        &self,
        request_id: &str,
        epoch_ms: i64,
    ) -> Result<LambdaFunctionUrlRequest, String> {
        let domain = format!("{URL_ID}.lambda-url.{REGION}.on.aws");
        let (body, is_base64_encoded) = self.event_body();
        let mut http = LambdaFunctionUrlRequestContextHttpDescription::default();
        http.method = Some(self.method.to_string());
        http.path = Some(self.path.clone());
        http.protocol = Some("HTTP/1.1".to_owned());
        http.source_ip = Some(SOURCE_IP.to_owned());
        http.user_agent = Some(self.user_agent());
        let mut context = LambdaFunctionUrlRequestContext::default();
        // An `AuthType NONE` URL's caller is anonymous.
        context.account_id = Some("anonymous".to_owned());
        context.request_id = Some(request_id.to_owned());
        context.apiid = Some(URL_ID.to_owned());
        context.domain_name = Some(domain.clone());
        context.domain_prefix = Some(URL_ID.to_owned());
        context.time = Some(clf_time(epoch_ms));
        context.time_epoch = epoch_ms;
        context.http = http;
        let mut event = LambdaFunctionUrlRequest::default();
        event.version = Some("2.0".to_owned());
        event.raw_path = Some(self.path.clone());
        event.raw_query_string = Some(self.query.clone());
        event.cookies = self.cookies_v2();
        event.headers = self.header_map(&domain, true, true)?;
        event.query_string_parameters = self.joined_query();
        event.request_context = context;
        event.body = body;
        event.is_base64_encoded = is_base64_encoded;
        Ok(event)
    }

    fn rest_api(&self, request_id: &str, epoch_ms: i64) -> Result<ApiGatewayProxyRequest, String> {
        let domain = format!("{API_ID}.execute-api.{REGION}.amazonaws.com");
        let (body, is_base64_encoded) = self.event_body();
        let all_headers = self.header_map(&domain, false, false)?;
        let last_headers = last_values(&all_headers);
        let mut identity = ApiGatewayRequestIdentity::default();
        identity.source_ip = Some(SOURCE_IP.to_owned());
        identity.user_agent = Some(self.user_agent());
        let mut context = ApiGatewayProxyRequestContext::default();
        context.account_id = Some(ACCOUNT_ID.to_owned());
        context.resource_id = Some("proxy0".to_owned());
        context.stage = Some(REST_STAGE.to_owned());
        context.domain_name = Some(domain);
        context.domain_prefix = Some(API_ID.to_owned());
        context.request_id = Some(request_id.to_owned());
        context.protocol = Some("HTTP/1.1".to_owned());
        context.identity = identity;
        context.resource_path = Some("/{proxy+}".to_owned());
        context.path = Some(format!("/{REST_STAGE}{}", self.path));
        context.http_method = self.method.clone();
        context.request_time = Some(clf_time(epoch_ms));
        context.request_time_epoch = epoch_ms;
        context.apiid = Some(API_ID.to_owned());
        let mut event = ApiGatewayProxyRequest::default();
        event.resource = Some("/{proxy+}".to_owned());
        event.path = Some(self.path.clone());
        event.http_method = self.method.clone();
        event.headers = last_headers;
        event.multi_value_headers = all_headers;
        event.query_string_parameters = QueryMap::from(self.last_query(true));
        event.multi_value_query_string_parameters = QueryMap::from(self.multi_query(true));
        event.path_parameters = HashMap::from([(
            "proxy".to_owned(),
            self.path.trim_start_matches('/').to_owned(),
        )]);
        event.request_context = context;
        event.body = body;
        event.is_base64_encoded = is_base64_encoded;
        Ok(event)
    }

    fn alb(&self) -> Result<AlbTargetGroupRequest, String> {
        let (body, is_base64_encoded) = self.event_body();
        let mut elb = ElbContext::default();
        elb.target_group_arn = Some(TARGET_GROUP_ARN.to_owned());
        let mut context = AlbTargetGroupRequestContext::default();
        context.elb = elb;
        let mut event = AlbTargetGroupRequest::default();
        event.http_method = self.method.clone();
        event.path = Some(self.path.clone());
        // Without multi-value headers an ALB passes the query as sent (no decoding), the last
        // value of a repeated name, and a repeated header's last value.
        event.query_string_parameters = QueryMap::from(self.last_query(false));
        let all = self.header_map("lambda-test.elb.amazonaws.com", false, false)?;
        event.headers = last_values(&all);
        event.request_context = context;
        event.body = Some(body.unwrap_or_default());
        event.is_base64_encoded = is_base64_encoded;
        Ok(event)
    }

    /// An ALB with multi-value headers: every value of a repeated header or query name, in
    /// `multiValueHeaders` and `multiValueQueryStringParameters` (the query as sent), and no
    /// single-value maps.
    fn alb_multi_value(&self) -> Result<AlbTargetGroupRequest, String> {
        let mut event = self.alb()?;
        event.headers = HeaderMap::new();
        event.query_string_parameters = QueryMap::default();
        event.multi_value_headers =
            self.header_map("lambda-test.elb.amazonaws.com", false, false)?;
        event.multi_value_query_string_parameters = QueryMap::from(self.multi_query(false));
        Ok(event)
    }

    fn user_agent(&self) -> String {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
            .map_or(USER_AGENT, |(_, v)| v.as_str())
            .to_owned()
    }
}

/// Each name's last value: what payload 1.0's `headers` holds beside `multiValueHeaders`.
fn last_values(all: &HeaderMap) -> HeaderMap {
    let mut last = HeaderMap::new();
    for name in all.keys() {
        if let Some(value) = all.get_all(name).iter().next_back() {
            last.insert(name.clone(), value.clone());
        }
    }
    last
}

/// Whether a body of this content type is sent as text.
pub(crate) fn is_text_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
                | "application/graphql"
        )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `02/Dec/2026:13:20:00 +0000`: the common log format time API Gateway puts in `time`.
pub(crate) fn clf_time(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
#[path = "http_event_tests.rs"]
mod tests;

//! The HTTP API's lambda tests, run against the real binary on the embedded local Lambda. Each
//! test describes a request (`http`, `headers`, `cookies`, `body`); the harness builds the
//! event the integration sends (API Gateway HTTP API unless `integration` says otherwise), and
//! the snapshot shows the response as HTTP.

use lambda_test::{Outcome, lambda_test};

/// Events files still work: one test per hand-written API Gateway event in `events/`. Cargo
/// does not watch the folder: after adding a file, touch this test file (or
/// `cargo clean -p http-api`) so the attribute lists the folder again.
#[lambda_test(
    function = "http-api",
    events = "events/*.json",
    max_duration_ms = 1000
)]
async fn routes() {}

#[lambda_test(function = "http-api", http = "GET /hello?name=Bob")]
async fn greets_by_name() {}

#[lambda_test(function = "http-api", http = "GET /hello")]
async fn greets_the_world_without_a_name() {}

#[lambda_test(
    function = "http-api",
    http = "POST /orders",
    headers = { "content-type" = "application/json" },
    body = r#"{"sku": "A-1", "quantity": 2}"#
)]
async fn accepts_an_order() {}

/// The body read from a file at compile time.
#[lambda_test(
    function = "http-api",
    http = "POST /orders",
    headers = { "content-type" = "application/json" },
    body_file = "requests/order.json"
)]
async fn accepts_an_order_from_a_file() {}

#[lambda_test(
    function = "http-api",
    http = "POST /orders",
    headers = { "content-type" = "application/json" },
    body = "{}"
)]
async fn refuses_an_empty_order() {}

#[lambda_test(
    function = "http-api",
    http = "POST /orders",
    headers = { "content-type" = "application/json" },
    body = "not json"
)]
async fn refuses_a_malformed_order() {}

#[lambda_test(function = "http-api", http = "DELETE /admin")]
async fn unknown_route() {}

/// The response's cookie is in the snapshot's `cookies`.
#[lambda_test(
    function = "http-api",
    http = "POST /login",
    headers = { "content-type" = "application/x-www-form-urlencoded" },
    body = "user=bob"
)]
async fn login_sets_a_session_cookie() {}

/// A request cookie reaches the function.
#[lambda_test(function = "http-api", http = "GET /me", cookies = ["session=bob"])]
async fn the_session_cookie_names_the_user() {}

/// A binary body is shown by its size and digest.
#[lambda_test(function = "http-api", http = "GET /logo.png")]
async fn serves_a_binary_logo() {}

/// What arrives through each integration: method, path, query, headers, cookies and body, as
/// lambda_http hands them to the function.
#[lambda_test(
    function = "http-api",
    http = "PUT /echo?tag=a&tag=b%20c&n=1",
    headers = { "content-type" = "text/plain", "X-Tag" = "t-1" },
    cookies = ["session=bob", "theme=dark"],
    body = "hello",
    integration = "http_api"
)]
async fn echo_http_api() {}

#[lambda_test(
    function = "http-api",
    http = "PUT /echo?tag=a&tag=b%20c&n=1",
    headers = { "content-type" = "text/plain", "X-Tag" = "t-1" },
    cookies = ["session=bob", "theme=dark"],
    body = "hello",
    integration = "function_url"
)]
async fn echo_function_url() {}

#[lambda_test(
    function = "http-api",
    http = "PUT /echo?tag=a&tag=b%20c&n=1",
    headers = { "content-type" = "text/plain", "X-Tag" = "t-1" },
    cookies = ["session=bob", "theme=dark"],
    body = "hello",
    integration = "rest_api"
)]
async fn echo_rest_api() {}

#[lambda_test(
    function = "http-api",
    http = "PUT /echo?tag=a&tag=b%20c&n=1",
    headers = { "content-type" = "text/plain", "X-Tag" = "t-1" },
    cookies = ["session=bob", "theme=dark"],
    body = "hello",
    integration = "alb"
)]
async fn echo_alb() {}

/// An ALB with multi-value headers passes every value of a repeated name; without them
/// (`echo_alb`) only the last.
#[lambda_test(
    function = "http-api",
    http = "PUT /echo?tag=a&tag=b%20c&n=1",
    headers = { "content-type" = "text/plain", "X-Tag" = "t-1" },
    cookies = ["session=bob", "theme=dark"],
    body = "hello",
    integration = "alb_multi_value"
)]
async fn echo_alb_multi_value() {}

/// The body can assert on the HTTP response, or on the raw payload it came from.
#[lambda_test(function = "http-api", http = "GET /hello?name=Ann", snapshot = false)]
async fn greeting_is_json(outcome: Outcome) -> Result<(), String> {
    let http = outcome
        .snapshot_record()
        .http
        .ok_or("not an HTTP response")?;
    if http.status != 200 || http.body["message"] != "Hello, Ann!" {
        return Err(format!("unexpected response {http:?}"));
    }
    let raw = outcome.payload_json().ok_or("no JSON payload")?;
    if !raw["body"].is_string() {
        return Err(format!("the raw payload's body is a JSON string: {raw}"));
    }
    Ok(())
}

/// Through the Function URL (`via = "url"`): real HTTP to `/lambda-url/http-api-url/...` on
/// the local Lambda (on AWS, the URL `GetFunctionUrlConfig` names), and the snapshot is the
/// HTTP response the caller got.
#[lambda_test(
    function = "http-api-url",
    via = "url",
    http = "POST /orders?dry_run=1",
    headers = { "content-type" = "application/json" },
    body = r#"{"sku": "A-1", "quantity": 2}"#
)]
async fn accepts_an_order_through_the_function_url() {}

/// A cookie the function sets arrives as a `set-cookie` header, shown in `cookies`.
#[lambda_test(
    function = "http-api-url",
    via = "url",
    http = "POST /login",
    headers = { "content-type" = "application/x-www-form-urlencoded" },
    body = "user=bob"
)]
async fn login_through_the_function_url() {}

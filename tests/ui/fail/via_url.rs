use lambda_test::lambda_test;

#[lambda_test(function = "probe-url", via = "url", payload = "{}")]
async fn payload_through_a_url() {}

#[lambda_test(function = "probe-url", via = "url", http = "GET /", invocation_type = "Event")]
async fn an_event_through_a_url() {}

#[lambda_test(function = "probe-url", via = "url", http = "GET /", qualifiers = ["1", "2"])]
async fn qualifiers_through_a_url() {}

#[lambda_test(function = "probe-url", via = "url", http = "GET /", integration = "rest_api")]
async fn another_integration_through_a_url() {}

#[lambda_test(function = "probe-url", via = "web", http = "GET /")]
async fn unknown_via() {}

fn main() {}

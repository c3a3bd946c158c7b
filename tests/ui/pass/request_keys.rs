use lambda_test::lambda_test;

#[lambda_test(
    function = "probe",
    http = "POST /orders?dry_run=1",
    headers = { "content-type" = "application/json", "x-tag" = "t" },
    cookies = ["a=1", "b=2"],
    body = "{}",
    integration = "rest_api",
    snapshot = false
)]
async fn a_request() {}

#[lambda_test(
    function = "probe",
    http = "PUT /blob",
    body_file = "Cargo.toml",
    integration = "function_url",
    snapshot = false
)]
async fn a_body_file() {}

fn main() {}

use lambda_test::lambda_test;

#[lambda_test(function = "probe", http = "FETCH /orders")]
async fn unknown_method() {}

#[lambda_test(function = "probe", http = "get /orders")]
async fn lower_case_method() {}

#[lambda_test(function = "probe", http = "GET orders")]
async fn relative_path() {}

#[lambda_test(function = "probe", http = "/orders")]
async fn no_method() {}

#[lambda_test(function = "probe", http = "GET /", integration = "api_gateway")]
async fn unknown_integration() {}

#[lambda_test(function = "probe", http = "GET /", headers = { "bad name" = "x" })]
async fn bad_header_name() {}

#[lambda_test(function = "probe", http = "GET /", headers = ["content-type"])]
async fn headers_not_a_map() {}

#[lambda_test(function = "probe", http = "GET /", cookies = ["no-equals"])]
async fn bad_cookie() {}

#[lambda_test(function = "probe", http = "POST /", body_file = "requests/none.bin")]
async fn missing_body_file() {}

fn main() {}

use lambda_test::lambda_test;

#[lambda_test(
    function = "probe",
    headers = { "content-type" = "application/json" },
    cookies = ["a=1"],
    body = "{}",
    integration = "alb"
)]
async fn no_request_line() {}

fn main() {}

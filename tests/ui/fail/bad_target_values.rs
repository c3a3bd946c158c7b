use lambda_test::lambda_test;

#[lambda_test(
    function = "",
    endpoint_url = "localhost:9001",
    role_arn = "tester",
    region = ""
)]
async fn bad_values() {}

fn main() {}

use lambda_test::lambda_test;

#[lambda_test(function = probe, snapshot = "no", qualifiers = "live", retries = true)]
async fn wrong_types() {}

fn main() {}

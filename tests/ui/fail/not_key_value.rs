use lambda_test::lambda_test;

#[lambda_test("probe")]
async fn positional() {}

fn main() {}

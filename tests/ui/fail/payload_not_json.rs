use lambda_test::lambda_test;

#[lambda_test(function = "probe", payload = "{name: 'Bob'}")]
async fn not_json() {}

fn main() {}

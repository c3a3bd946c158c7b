use lambda_test::lambda_test;

#[lambda_test(function = "probe")]
fn not_async() {}

fn main() {}

use lambda_test::lambda_test;

#[lambda_test(function = "probe")]
async fn two_args(outcome: lambda_test::Outcome, extra: u32) {}

fn main() {}

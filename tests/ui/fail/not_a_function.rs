use lambda_test::lambda_test;

#[lambda_test(function = "probe")]
struct NotAFunction;

fn main() {}

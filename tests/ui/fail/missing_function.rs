use lambda_test::lambda_test;

#[lambda_test(payload = "{}")]
async fn which_function() {}

#[lambda_test]
async fn no_arguments_at_all() {}

fn main() {}

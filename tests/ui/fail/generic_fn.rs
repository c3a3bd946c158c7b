use lambda_test::lambda_test;

#[lambda_test(function = "probe")]
async fn generic<T: Default>() {}

fn main() {}

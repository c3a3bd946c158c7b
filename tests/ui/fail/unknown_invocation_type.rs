use lambda_test::lambda_test;

#[lambda_test(function = "probe", invocation_type = "Dryrun")]
async fn misspelled_type() {}

#[lambda_test(function = "probe", invocation_type = "Async")]
async fn unknown_type() {}

fn main() {}

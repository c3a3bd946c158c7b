use lambda_test::lambda_test;

#[lambda_test(function = "probe", events = "no-such-folder/*.json")]
async fn no_events() {}

fn main() {}

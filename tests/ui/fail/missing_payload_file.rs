use lambda_test::lambda_test;

#[lambda_test(function = "probe", payload_file = "events/no-such-event.json")]
async fn missing_file() {}

fn main() {}

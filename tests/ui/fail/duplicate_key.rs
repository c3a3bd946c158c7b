use lambda_test::lambda_test;

#[lambda_test(function = "probe", payload = "{}", function = "other")]
async fn twice() {}

fn main() {}

use lambda_test::lambda_test;

#[lambda_test(function = "probe")]
#[tokio::test]
async fn twice_a_test() {}

fn main() {}

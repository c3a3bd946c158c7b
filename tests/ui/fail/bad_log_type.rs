use lambda_test::lambda_test;

#[lambda_test(function = "probe", log = "Tail")]
async fn capitalized() {}

fn main() {}

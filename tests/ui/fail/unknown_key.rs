use lambda_test::lambda_test;

#[lambda_test(fuction = "probe")]
async fn misspelled() {}

fn main() {}

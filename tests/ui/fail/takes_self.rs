use lambda_test::lambda_test;

struct Suite;

impl Suite {
    #[lambda_test(function = "probe")]
    async fn method(&self) {}
}

fn main() {}

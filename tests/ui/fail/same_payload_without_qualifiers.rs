use lambda_test::lambda_test;

#[lambda_test(function = "probe", qualifier = "live", same_payload = true)]
async fn nothing_to_compare() {}

#[lambda_test(function = "probe", qualifiers = ["live"], same_payload = true)]
async fn one_qualifier() {}

fn main() {}

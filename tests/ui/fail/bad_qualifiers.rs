use lambda_test::lambda_test;

#[lambda_test(function = "probe", qualifiers = ["$LATEST", "latest"])]
async fn same_test_name() {}

#[lambda_test(function = "probe", qualifiers = [])]
async fn no_qualifiers() {}

#[lambda_test(function = "probe", qualifiers = ["live", 2])]
async fn not_a_string() {}

#[lambda_test(function = "probe", qualifiers = ["live"])]
async fn live() {}

fn main() {}

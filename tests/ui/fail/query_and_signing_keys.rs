use lambda_test::lambda_test;

#[lambda_test(function = "f", query = ["payload..total"])]
async fn empty_field() {}

#[lambda_test(function = "f", query = ["payload.items[x]"])]
async fn bad_index() {}

#[lambda_test(function = "f", query = [])]
async fn no_paths() {}

#[lambda_test(function = "f", snapshot = false, query = ["payload"])]
async fn query_without_a_snapshot() {}

#[lambda_test(function = "f", no_sign_request = true, profile = "ci")]
async fn unsigned_with_a_profile() {}

#[lambda_test(function = "f", ca_bundle = " ")]
async fn empty_bundle() {}

fn main() {}

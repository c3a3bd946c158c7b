use lambda_test::lambda_test;

#[lambda_test(function = "probe", redact = { "tok-(" = "[token]", "id" = 1 })]
async fn bad_rules() {}

#[lambda_test(function = "probe", redact = "tok-[0-9]+")]
async fn not_a_map() {}

#[lambda_test(function = "probe", redact = ["a+"], snapshot = false)]
async fn nothing_to_redact() {}

fn main() {}

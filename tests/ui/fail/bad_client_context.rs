use lambda_test::lambda_test;

#[lambda_test(function = "probe", client_context = r#"["not", "an", "object"]"#)]
async fn not_an_object() {}

#[lambda_test(function = "probe", client_context = "{custom: 1}")]
async fn not_json() {}

fn main() {}

//! The user's lambda test: one invocation of the real binary on the embedded local Lambda,
//! compared with the committed snapshot beside this file.

use lambda_test::lambda_test;

#[lambda_test(function = "hello", payload = r#"{"name": "Ada"}"#)]
async fn says_hello_to_ada() {}

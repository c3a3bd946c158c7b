//! The greeter's lambda tests: each invokes the real binary on the embedded local Lambda
//! and compares the outcome with the snapshot beside this file.

use lambda_test::lambda_test;

#[lambda_test(function = "greeter", payload = r#"{"name": "Bob"}"#)]
async fn greets_bob() {}

#[lambda_test(function = "greeter", payload = r#"{"name": ""}"#)]
async fn rejects_an_empty_name() {}

//! A greeting function: the example function repo of lambda-test.
//!
//! It answers `{"name": "Bob"}` with `{"greeting": "Hello, Bob!"}` (the word comes from the
//! `GREETING` environment variable) and fails with `EmptyName` for an empty name.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    name: String,
}

#[derive(Serialize)]
struct Response {
    greeting: String,
}

/// The function's own error, reported with its own `errorType`.
#[derive(Debug)]
enum GreeterError {
    EmptyName,
}

impl From<GreeterError> for Diagnostic {
    fn from(error: GreeterError) -> Diagnostic {
        match error {
            GreeterError::EmptyName => Diagnostic {
                error_type: "EmptyName".into(),
                error_message: "name must not be empty".into(),
            },
        }
    }
}

async fn greet(event: LambdaEvent<Request>) -> Result<Response, GreeterError> {
    let name = event.payload.name;
    if name.is_empty() {
        println!("refusing an empty name");
        return Err(GreeterError::EmptyName);
    }
    println!("greeting {name}");
    let word = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_owned());
    Ok(Response {
        greeting: format!("{word}, {name}!"),
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(greet)).await
}

//! An order-status function, deployed with `cargo lambda deploy`: its memory, timeout and
//! environment are declared in `Cargo.toml` under `[package.metadata.lambda]`.
//!
//! It answers `{"order_id": "o-1"}` with the order's status and the settings it runs with
//! (`TABLE_NAME` and `STAGE` from the metadata, its memory size from the runtime's
//! environment). `work_ms` makes it work that long first, to reach its timeout.

use std::time::Duration;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    order_id: String,
    #[serde(default)]
    work_ms: u64,
}

#[derive(Serialize)]
struct Response {
    order_id: String,
    status: &'static str,
    table: String,
    stage: String,
    memory_mb: String,
}

/// The function's own error, reported with its own `errorType`.
#[derive(Debug)]
struct Unconfigured(&'static str);

impl From<Unconfigured> for Diagnostic {
    fn from(error: Unconfigured) -> Diagnostic {
        Diagnostic {
            error_type: "Unconfigured".into(),
            error_message: format!("{} is not set", error.0),
        }
    }
}

fn setting(name: &'static str) -> Result<String, Unconfigured> {
    std::env::var(name).map_err(|_| Unconfigured(name))
}

async fn order_status(event: LambdaEvent<Request>) -> Result<Response, Unconfigured> {
    let request = event.payload;
    let table = setting("TABLE_NAME")?;
    println!("looking up {} in {table}", request.order_id);
    tokio::time::sleep(Duration::from_millis(request.work_ms)).await;
    Ok(Response {
        order_id: request.order_id,
        status: "shipped",
        table,
        stage: setting("STAGE")?,
        memory_mb: setting("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")?,
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(order_status)).await
}

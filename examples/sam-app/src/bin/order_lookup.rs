//! `{"order_id": "o-1"}` answered with the order's status, the table the template gives it
//! (`TABLE_NAME: !Ref OrdersTable`) and the memory size it runs with.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    order_id: String,
}

#[derive(Serialize)]
struct Response {
    order_id: String,
    status: &'static str,
    table: String,
    memory_mb: String,
}

async fn order_status(event: LambdaEvent<Request>) -> Result<Response, Error> {
    let table = std::env::var("TABLE_NAME")?;
    println!("looking up {} in {table}", event.payload.order_id);
    Ok(Response {
        order_id: event.payload.order_id,
        status: "shipped",
        table,
        memory_mb: std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")?,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(order_status)).await
}

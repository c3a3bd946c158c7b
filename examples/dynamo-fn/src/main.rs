//! `orders`: stores an order in DynamoDB and reads it back, with `aws-sdk-dynamodb`.
//!
//! The event `{"id": "o-1", "item": "book", "quantity": 2}` puts the order into the table
//! named by `TABLE_NAME` and answers what a consistent read of it returns; `{"id": "o-1"}`
//! alone only reads it (`null` when there is none). The SDK finds its region, credentials and
//! endpoint in the environment, as on AWS: locally, `aws = { ... }` in `lambda-test.toml`
//! gives them.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Order {
    id: String,
    item: Option<String>,
    quantity: Option<u32>,
}

async fn handle(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    event: LambdaEvent<Order>,
) -> Result<Value, Diagnostic> {
    let order = event.payload;
    if let Some(item) = order.item {
        let quantity = order.quantity.unwrap_or(1);
        client
            .put_item()
            .table_name(table)
            .item("id", AttributeValue::S(order.id.clone()))
            .item("item", AttributeValue::S(item))
            .item("quantity", AttributeValue::N(quantity.to_string()))
            .send()
            .await
            .map_err(failed)?;
        println!("stored order {}", order.id);
    }
    let read = client
        .get_item()
        .table_name(table)
        .key("id", AttributeValue::S(order.id))
        .consistent_read(true)
        .send()
        .await
        .map_err(failed)?;
    Ok(read.item.map_or(Value::Null, |item| to_json(&item)))
}

/// An SDK error with its causes (the SDK's own `Display` says only "dispatch failure").
fn failed(error: impl std::error::Error + 'static) -> Diagnostic {
    Diagnostic {
        error_type: "DynamoDbError".to_owned(),
        error_message: DisplayErrorContext(&error).to_string(),
    }
}

/// An item as plain JSON: strings as strings, numbers as numbers.
fn to_json(item: &HashMap<String, AttributeValue>) -> Value {
    let fields = item.iter().map(|(name, value)| {
        let value = match value {
            AttributeValue::S(s) => json!(s),
            AttributeValue::N(n) => n.parse::<f64>().map_or_else(|_| json!(n), |n| json!(n)),
            other => json!(format!("{other:?}")),
        };
        (name.clone(), value)
    });
    Value::Object(fields.collect())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    lambda_runtime::run(service_fn(|event| handle(&client, &table, event))).await
}

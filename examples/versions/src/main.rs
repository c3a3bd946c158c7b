//! Prices an order. The rules come from the environment, which each published version pins:
//! `PRICING_RULES` names them, `BULK_DISCOUNT_PERCENT` applies to orders of 10 or more.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Order {
    sku: String,
    quantity: u64,
}

#[derive(Serialize)]
struct Quote {
    sku: String,
    quantity: u64,
    unit_price_cents: u64,
    discount_percent: u64,
    total_cents: u64,
    rules: String,
}

fn unit_price_cents(sku: &str) -> Option<u64> {
    match sku {
        "A-1" => Some(1250),
        "B-2" => Some(399),
        _ => None,
    }
}

async fn handle(event: LambdaEvent<Order>) -> Result<Quote, Diagnostic> {
    let order = event.payload;
    let Some(unit) = unit_price_cents(&order.sku) else {
        println!("unknown sku {}", order.sku);
        return Err(Diagnostic {
            error_type: "UnknownSku".to_owned(),
            error_message: format!("no price for `{}`", order.sku),
        });
    };
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let discount = if order.quantity >= 10 {
        env("BULK_DISCOUNT_PERCENT").parse().unwrap_or(0)
    } else {
        0
    };
    let total = unit * order.quantity * (100 - discount) / 100;
    println!("priced {} x {} at {total}", order.quantity, order.sku);
    Ok(Quote {
        sku: order.sku,
        quantity: order.quantity,
        unit_price_cents: unit,
        discount_percent: discount,
        total_cents: total,
        rules: env("PRICING_RULES"),
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handle)).await
}

//! A small HTTP API behind API Gateway (HTTP API, payload format 2.0), written with
//! `lambda_http`: `GET /hello?name=...` greets, `POST /orders` validates a JSON order,
//! anything else is a 404.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, RequestExt as _, Response, service_fn};
use serde_json::{Value, json};

fn reply(status: StatusCode, body: &Value) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))?)
}

async fn handle(request: Request) -> Result<Response<Body>, Error> {
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_owned());
    match (request.method(), request.raw_http_path()) {
        (&Method::GET, "/hello") => {
            let query = request.query_string_parameters();
            let name = query.first("name").unwrap_or("world");
            println!("greeting {name}");
            reply(
                StatusCode::OK,
                &json!({ "message": format!("{greeting}, {name}!") }),
            )
        }
        (&Method::POST, "/orders") => {
            let order: Value = match serde_json::from_slice(request.body().as_ref()) {
                Ok(order) => order,
                Err(e) => {
                    println!("rejecting a malformed order: {e}");
                    return reply(
                        StatusCode::BAD_REQUEST,
                        &json!({ "error": "the body must be a JSON order" }),
                    );
                }
            };
            let quantity = order["quantity"].as_u64().unwrap_or(0);
            if quantity == 0 {
                return reply(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &json!({ "error": "quantity must be at least 1" }),
                );
            }
            println!("accepted an order of {quantity}");
            reply(
                StatusCode::CREATED,
                &json!({ "sku": order["sku"], "quantity": quantity, "status": "accepted" }),
            )
        }
        (method, path) => reply(
            StatusCode::NOT_FOUND,
            &json!({ "error": format!("no route for {method} {path}") }),
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(handle)).await
}

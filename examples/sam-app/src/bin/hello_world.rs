//! `GET /hello?name=...` behind the template's HTTP API: greets with the template's
//! `GREETING` and says which stage it runs in.

use lambda_http::{Body, Error, Request, RequestExt as _, Response, service_fn};

async fn hello(request: Request) -> Result<Response<Body>, Error> {
    let query = request.query_string_parameters();
    let name = query.first("name").unwrap_or("world");
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_owned());
    let stage = std::env::var("STAGE").unwrap_or_default();
    println!("greeting {name} in {stage}");
    let body = serde_json::json!({ "message": format!("{greeting}, {name}!"), "stage": stage });
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(hello)).await
}

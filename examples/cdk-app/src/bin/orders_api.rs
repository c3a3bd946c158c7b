//! `GET /orders/<id>` behind a Function URL: the order's status, the table the stack gives
//! it and the version that answered (`AWS_LAMBDA_FUNCTION_VERSION`).

use lambda_http::{Body, Error, Request, Response, service_fn};

async fn orders(request: Request) -> Result<Response<Body>, Error> {
    let Some(id) = request.uri().path().strip_prefix("/orders/") else {
        return Ok(Response::builder().status(404).body(Body::Empty)?);
    };
    let table = std::env::var("TABLE_NAME")?;
    println!("looking up {id} in {table}");
    let body = serde_json::json!({
        "order_id": id,
        "status": "shipped",
        "table": table,
        "version": std::env::var("AWS_LAMBDA_FUNCTION_VERSION")?,
    });
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(orders)).await
}

//! A small HTTP API written with `lambda_http` (behind API Gateway, an ALB or a Function URL):
//! `GET /hello?name=...` greets, `POST /orders` validates a JSON order, `POST /login` sets a
//! session cookie that `GET /me` reads, `GET /logo.png` is a binary body, `POST /echo` answers
//! what arrived, anything else is a 404.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, RequestExt as _, Response, service_fn};
use serde_json::{Value, json};

/// A PNG's 8-byte signature and the start of its header chunk: bytes that are not UTF-8.
const LOGO: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

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
        (&Method::POST, "/login") => {
            let form = String::from_utf8_lossy(request.body().as_ref()).into_owned();
            let Some(user) = form.strip_prefix("user=").filter(|u| !u.is_empty()) else {
                return reply(
                    StatusCode::BAD_REQUEST,
                    &json!({ "error": "the body must be `user=<name>`" }),
                );
            };
            println!("signing in {user}");
            Ok(Response::builder()
                .status(StatusCode::NO_CONTENT)
                .header("set-cookie", format!("session={user}; Path=/; HttpOnly"))
                .body(Body::Empty)?)
        }
        (&Method::GET, "/me") => match cookie(&request, "session") {
            Some(user) => reply(StatusCode::OK, &json!({ "user": user })),
            None => reply(
                StatusCode::UNAUTHORIZED,
                &json!({ "error": "sign in first" }),
            ),
        },
        (&Method::GET, "/logo.png") => Ok(Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "image/png")
            .header("cache-control", "max-age=3600")
            .body(Body::Binary(LOGO.to_vec()))?),
        (_, "/echo") => {
            let headers: serde_json::Map<String, Value> = ["content-type", "user-agent", "x-tag"]
                .into_iter()
                .filter_map(|name| {
                    let value = request.headers().get(name)?.to_str().ok()?;
                    Some((name.to_owned(), Value::from(value)))
                })
                .collect();
            let query = request.query_string_parameters();
            let query: serde_json::Map<String, Value> = query
                .iter()
                .map(|(name, _)| (name.to_owned(), json!(query.all(name).unwrap_or_default())))
                .collect();
            reply(
                StatusCode::OK,
                &json!({
                    "method": request.method().as_str(),
                    "path": request.raw_http_path(),
                    "query": query,
                    "headers": headers,
                    "cookies": request
                        .headers()
                        .get_all("cookie")
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .collect::<Vec<_>>(),
                    "body": String::from_utf8_lossy(request.body().as_ref()),
                }),
            )
        }
        (method, path) => reply(
            StatusCode::NOT_FOUND,
            &json!({ "error": format!("no route for {method} {path}") }),
        ),
    }
}

/// The value of cookie `name` in the request's `cookie` header.
fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(handle)).await
}

use lambda_test::lambda_test;

#[lambda_test(function = "probe", http = "GET /", payload = "{}")]
async fn request_and_payload() {}

#[lambda_test(function = "probe", payload_file = "events/a.json", http = "GET /")]
async fn payload_file_and_request() {}

#[lambda_test(function = "probe", events = "events/*.json", http = "POST /", body = "x")]
async fn events_and_request() {}

#[lambda_test(function = "probe", http = "POST /", body = "x", body_file = "Cargo.toml")]
async fn two_bodies() {}

fn main() {}

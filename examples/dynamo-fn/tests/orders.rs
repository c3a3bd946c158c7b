//! The `orders` function against a real DynamoDB API: moto's server (PyPI `moto[server]`),
//! which each test starts on a free port of 127.0.0.1 from the workspace's `.venv`
//! (`./scripts/test-all` installs it), creating the table before it invokes.
//!
//! The port is known only once moto runs, so each test loads this package's
//! `lambda-test.toml`, points `orders`' DynamoDB endpoint at its moto, and starts a local
//! Lambda of its own; the invocation and its snapshot are what `#[lambda_test]` does.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lambda_test::config::Config;
use lambda_test::emulator::Emulator;
use lambda_test::{Harness, Invocation, Outcome, Target};
use serde_json::{Value, json};

/// moto's server on a free port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Moto {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let server = workspace.join(".venv/bin/moto_server");
        assert!(
            server.is_file(),
            "{} is missing: run ./scripts/test-all, or create it with `python3 -m venv .venv && \
             .venv/bin/pip install -r tests/python-requirements.txt` in the workspace root \
             (it installs moto[server])",
            server.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// Creates the `orders` table, keyed by `id`, as a deployment would.
    async fn create_table(&self) {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
            .create_table()
            .table_name("orders")
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("moto creates the table");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This package's functions, `orders` reaching DynamoDB at `moto`.
fn config(moto: &Moto) -> Config {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("lambda-test.toml");
    let mut config = Config::load(&path).expect("lambda-test.toml is valid");
    let orders = config.functions.get_mut("orders").expect("declared");
    orders
        .latest
        .aws
        .service_endpoints
        .insert("DYNAMODB".to_owned(), moto.endpoint.clone());
    config
}

/// Invokes `function` with each event in turn on a local Lambda whose `orders` uses `moto`.
async fn invoke_all(moto: &Moto, function: &str, events: &[Value]) -> Vec<Outcome> {
    let emulator = Emulator::start(config(moto), ([127, 0, 0, 1], 0).into())
        .await
        .expect("the local Lambda starts");
    emulator
        .check_binary(function)
        .expect("`cargo test` builds the binary");
    let target = Target::Endpoint {
        url: emulator.endpoint().to_owned(),
    };
    let client = Harness::global().client(&target).await.expect("a client");
    let mut outcomes = Vec::new();
    for event in events {
        let outcome = Invocation::new(function)
            .payload_json(event)
            .send(&client)
            .await
            .expect("invoked");
        outcomes.push(outcome);
    }
    emulator.shutdown().await;
    outcomes
}

#[test]
fn stores_an_order_and_reads_it_back() {
    let moto = Moto::start();
    let outcomes = Harness::global().block_on(async {
        moto.create_table().await;
        invoke_all(
            &moto,
            "orders",
            &[
                json!({"id": "o-1", "item": "book", "quantity": 2}),
                json!({"id": "o-1"}),
                json!({"id": "o-2"}),
            ],
        )
        .await
    });
    let [stored, read, missing] = <[Outcome; 3]>::try_from(outcomes).unwrap();
    insta::assert_yaml_snapshot!("stored", stored.snapshot_record());
    // The second invocation, on the warm instance, reads what the first one wrote.
    insta::assert_yaml_snapshot!("read", read.snapshot_record());
    assert_eq!(
        missing.payload_json(),
        Some(Value::Null),
        "{}",
        missing.context()
    );
}

#[test]
fn without_aws_the_function_has_no_credentials() {
    let moto = Moto::start();
    let outcomes = Harness::global().block_on(async {
        moto.create_table().await;
        invoke_all(&moto, "orders-without-aws", &[json!({"id": "o-1"})]).await
    });
    let outcome = &outcomes[0];
    assert_eq!(outcome.function_error.as_deref(), Some("Unhandled"));
    // The SDK's wording of its causes is its own: only the cause is checked.
    let error = outcome.payload_json().unwrap();
    assert_eq!(error["errorType"], "DynamoDbError");
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("no providers in chain provided credentials"),
        "the SDK fails for want of credentials: {message}\n{}",
        outcome.context()
    );
}

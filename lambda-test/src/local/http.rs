//! The control operations over HTTP: what a test process uses to reach a local Lambda that
//! another process serves (`super::shared`). hyper's client, the one the AWS SDK already
//! brings in; every request runs on the harness runtime, so its pooled connections never
//! belong to a test's own runtime (which dies with the test).

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;

use super::control::{Answer, Request};
use crate::Error;
use crate::emulator::functions::Registry;

/// How long a request waits for the server to accept its connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A local Lambda's control routes, reached over HTTP.
pub(crate) struct HttpControl {
    endpoint: String,
    state_dir: Option<PathBuf>,
    /// This process's view of the functions, for binary checks before any invoke.
    registry: Registry,
    /// Built on the first control request: most test processes send none.
    client: std::sync::OnceLock<Client<HttpConnector, Full<Bytes>>>,
}

impl HttpControl {
    /// The control routes of the local Lambda at `endpoint` (`http://127.0.0.1:<port>`), which
    /// serves `registry`'s functions; `state_dir` is a shared server's, named in errors.
    pub(crate) fn new(endpoint: &str, state_dir: Option<PathBuf>, registry: Registry) -> Self {
        HttpControl {
            endpoint: endpoint.to_owned(),
            state_dir,
            registry,
            client: std::sync::OnceLock::new(),
        }
    }

    fn client(&self) -> Client<HttpConnector, Full<Bytes>> {
        let client = self.client.get_or_init(|| {
            let mut connector = HttpConnector::new();
            connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
            connector.set_nodelay(true);
            Client::builder(TokioExecutor::new()).build(connector)
        });
        client.clone()
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Sends one request to the control route; its answer.
    pub(crate) async fn call<T: DeserializeOwned>(&self, request: Request) -> Result<T, Error> {
        let uri = format!("{}{}", self.endpoint, crate::emulator::control::ROUTE);
        let body = serde_json::to_vec(&request).expect("control requests serialize");
        let client = self.client();
        let sent = crate::Harness::global()
            .run(async move {
                let request = http::Request::post(uri)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(body)))
                    .map_err(|e| e.to_string())?;
                let response = client.request(request).await.map_err(|e| {
                    // The connector's error says why (refused, timed out) in its source.
                    let cause = std::error::Error::source(&e)
                        .map(|s| format!(": {s}"))
                        .unwrap_or_default();
                    format!("{e}{cause}")
                })?;
                let status = response.status();
                let bytes = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                Ok::<_, String>((status, bytes))
            })
            .await;
        let (status, bytes) = sent.map_err(|message| self.error(message))?;
        let answer: Answer = serde_json::from_slice(&bytes).map_err(|e| {
            self.error(format!(
                "answered {status} with no control answer ({e}): {}",
                String::from_utf8_lossy(&bytes)
            ))
        })?;
        match answer {
            Answer::Ok(value) => serde_json::from_value(value)
                .map_err(|e| self.error(format!("an answer of another shape: {e}"))),
            Answer::Error(error) => Err(error.into_error(|message| self.error(message))),
        }
    }

    fn error(&self, message: String) -> Error {
        Error::Control {
            endpoint: self.endpoint.clone(),
            state_dir: self.state_dir.clone(),
            message,
        }
    }
}

//! One control path to a local Lambda: the operations a test has beside invoking (wait for its
//! events, read dead letters, stop instances), declared once.
//!
//! [`operations!`] turns one list into the [`LocalControl`] trait, the serializable
//! [`Request`] a shared server receives on its control route, the [`dispatch`] that route calls,
//! and the HTTP implementation ([`HttpControl`](super::http::HttpControl)). The in-process
//! implementation is the emulator's own (`emulator::control`). A new operation is one entry
//! here and one method there; the compiler checks both sides.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http::HttpControl;
use crate::Error;
use crate::emulator::{DeadLetter, EventResult, EventStats};

/// What a control operation returns.
pub(crate) type ControlFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Declares the control operations: each `fn name(args) -> Answer;` becomes a method of
/// [`LocalControl`], a variant of [`Request`] (its arguments serialized), an arm of
/// [`dispatch`], and a method of [`HttpControl`] that sends the request.
macro_rules! operations {
    ($(
        $(#[doc = $doc:literal])*
        fn $name:ident($($arg:ident: $ty:ty),*) -> $answer:ty;
    )*) => {
        /// What a test reaches on its local Lambda beside the Invoke API, in this process
        /// (the emulator) or over HTTP (a server shared by the test processes of a run).
        pub(crate) trait LocalControl: Send + Sync {
            /// Fails with a message naming the binary and the fix when `function`'s `bin` is
            /// missing. Not a request: both sides read the same config (the shared server's
            /// key hashes it), so each answers from its own.
            fn check_binary(&self, function: &str) -> Result<(), Error>;
            $(
                $(#[doc = $doc])*
                fn $name(&self $(, $arg: $ty)*) -> ControlFuture<'_, $answer>;
            )*
        }

        /// One control operation with its arguments, as the control route receives it:
        /// `{"operation": "<name>", <arguments>}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "operation")]
        #[allow(non_camel_case_types)]
        pub(crate) enum Request {
            $(
                $(#[doc = $doc])*
                $name { $($arg: $ty),* },
            )*
        }

        /// Runs a request on an implementation; its answer as JSON.
        pub(crate) async fn dispatch(
            control: &dyn LocalControl,
            request: Request,
        ) -> Result<Value, Error> {
            match request {
                $(
                    Request::$name { $($arg),* } => {
                        let answer = control.$name($($arg),*).await?;
                        Ok(serde_json::to_value(answer).expect("control answers serialize"))
                    }
                )*
            }
        }

        impl LocalControl for HttpControl {
            fn check_binary(&self, function: &str) -> Result<(), Error> {
                self.registry().check_binary(function)
            }
            $(
                fn $name(&self $(, $arg: $ty)*) -> ControlFuture<'_, $answer> {
                    Box::pin(self.call(Request::$name { $($arg),* }))
                }
            )*
        }
    };
}

operations! {
    /// Waits until every queued `Event` invocation has run, retries included: every test's.
    fn events_drained() -> ();
    /// The result of one `Event` invocation, by the request id of its 202 answer, once it has
    /// finished (retries included); [`Error::EventTimeout`] after `timeout`,
    /// [`Error::UnknownEvent`] for an id the local Lambda never queued.
    fn event_result(request_id: String, timeout: Duration) -> EventResult;
    /// Events that failed on every attempt, oldest first: every test's.
    fn dead_letters() -> Vec<DeadLetter>;
    /// Counts of what the event queue did.
    fn event_stats() -> EventStats;
    /// Stops every warm instance; the next invocation of each version is a cold start.
    fn stop_instances() -> ();
}

/// The answer of the control route: `{"ok": <answer>}` or `{"error": <error>}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Answer {
    /// The operation's answer.
    Ok(Value),
    /// Why it failed.
    Error(WireError),
}

/// An [`Error`] as it crosses the control route: the variants a caller matches on keep their
/// fields, the others their message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum WireError {
    /// [`Error::UnknownEvent`].
    UnknownEvent {
        /// The request id.
        request_id: String,
    },
    /// [`Error::EventTimeout`].
    EventTimeout {
        /// The request id.
        request_id: String,
        /// How long the server waited.
        timeout: Duration,
    },
    /// Any other error, by its message.
    Other {
        /// The message.
        message: String,
    },
}

impl From<&Error> for WireError {
    fn from(error: &Error) -> Self {
        match error.inner() {
            Error::UnknownEvent { request_id } => WireError::UnknownEvent {
                request_id: request_id.clone(),
            },
            Error::EventTimeout {
                request_id,
                timeout,
            } => WireError::EventTimeout {
                request_id: request_id.clone(),
                timeout: *timeout,
            },
            other => WireError::Other {
                message: other.to_string(),
            },
        }
    }
}

impl WireError {
    /// The error again, on the caller's side; `other` makes the error of a message.
    pub(crate) fn into_error(self, other: impl FnOnce(String) -> Error) -> Error {
        match self {
            WireError::UnknownEvent { request_id } => Error::UnknownEvent { request_id },
            WireError::EventTimeout {
                request_id,
                timeout,
            } => Error::EventTimeout {
                request_id,
                timeout,
            },
            WireError::Other { message } => other(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::harness::{ClientOptions, endpoint_client, local_credentials};
    use crate::config::Config;
    use crate::emulator::functions::Registry;
    use crate::emulator::{Emulator, Options};
    use crate::{Harness, Invocation, InvocationType};

    /// Functions that need no runtime binary: one whose command does not exist (every attempt
    /// fails with `Runtime.InvalidEntrypoint`, so its event is dead-lettered), one that never
    /// polls the Runtime API (its event is still running when a short wait ends), one whose `bin`
    /// was never built.
    const CONFIG: &str = r#"
[emulator]
event_retry_delays = [0.0, 0.0]

[functions.broken]
command = ["/nonexistent/lambda-test-no-such-runtime"]

[functions.stuck]
command = ["/bin/sh", "-c", "exec sleep 1"]
timeout = 1

[functions.missing]
bin = "no-such-binary"
"#;

    fn config() -> Config {
        // Its directory is the functions' working directory: one that exists.
        Config::parse(CONFIG, &std::env::temp_dir().join("lambda-test.toml")).unwrap()
    }

    async fn start(control_route: bool) -> Emulator {
        let options = Options {
            control: control_route,
            ..Options::default()
        };
        Emulator::start_with(config(), ([127, 0, 0, 1], 0).into(), options)
            .await
            .unwrap()
    }

    /// Sends an `Event` to the emulator at `endpoint`; the request id of its 202 answer.
    async fn send_event(endpoint: &str, function: &str) -> String {
        let client = endpoint_client(
            endpoint,
            None,
            &ClientOptions::default(),
            Some(local_credentials()),
        )
        .unwrap();
        let outcome = Invocation::new(function)
            .invocation_type(InvocationType::Event)
            .payload(r#"{"n": 1}"#)
            .send(&client)
            .await
            .unwrap();
        assert_eq!(outcome.status_code, 202);
        outcome.request_id.unwrap()
    }

    /// What every implementation must do, asserted the same way for each.
    async fn control_contract(control: &dyn LocalControl, endpoint: &str) {
        assert_eq!(control.event_stats().await.unwrap(), EventStats::default());
        assert!(control.dead_letters().await.unwrap().is_empty());
        control.events_drained().await.unwrap();

        let unknown = control
            .event_result("no-such-id".to_owned(), Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(
            matches!(&unknown, Error::UnknownEvent { request_id } if request_id == "no-such-id"),
            "{unknown}"
        );

        let failing = send_event(endpoint, "broken").await;
        let result = control
            .event_result(failing.clone(), Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(result.request_id, failing);
        assert_eq!(result.attempts, 3, "{result:?}");
        assert!(result.dead_lettered && !result.succeeded(), "{result:?}");
        assert_eq!(result.function_error.as_deref(), Some("Unhandled"));
        assert_eq!(result.payload["errorType"], "Runtime.InvalidEntrypoint");
        assert_eq!(result.executed_version, "$LATEST");
        // Asked again: the same result.
        let again = control
            .event_result(failing.clone(), Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(again, result);

        let stuck = send_event(endpoint, "stuck").await;
        let timed_out = control
            .event_result(stuck.clone(), Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(
            matches!(&timed_out, Error::EventTimeout { request_id, .. } if *request_id == stuck),
            "{timed_out}"
        );

        control.events_drained().await.unwrap();
        let letters = control.dead_letters().await.unwrap();
        assert_eq!(letters.len(), 2, "{letters:?}");
        assert_eq!(letters[0].request_id, failing);
        let stats = control.event_stats().await.unwrap();
        assert_eq!((stats.enqueued, stats.dead_lettered), (2, 2), "{stats:?}");
        control.stop_instances().await.unwrap();

        let missing = control.check_binary("missing").unwrap_err();
        assert!(matches!(missing, Error::MissingBinary { .. }), "{missing}");
        control.check_binary("broken").unwrap();
    }

    #[test]
    fn the_emulator_keeps_the_contract_in_process() {
        Harness::global().block_on(async {
            let emulator = Harness::global().run(start(false)).await;
            control_contract(emulator.control(), emulator.endpoint()).await;
            emulator.shutdown().await;
        });
    }

    #[test]
    fn the_control_route_keeps_the_contract_over_http() {
        Harness::global().block_on(async {
            let emulator = Harness::global().run(start(true)).await;
            let http = HttpControl::new(emulator.endpoint(), None, Registry::new(&config()));
            control_contract(&http, emulator.endpoint()).await;
            emulator.shutdown().await;
        });
    }

    #[test]
    fn requests_read_as_the_route_documents() {
        let request = Request::event_result {
            request_id: "abc".to_owned(),
            timeout: Duration::from_secs(2),
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["operation"], "event_result");
        assert_eq!(json["request_id"], "abc");
        assert_eq!(serde_json::from_value::<Request>(json).unwrap(), request);
        let drained: Request = serde_json::from_str(r#"{"operation":"events_drained"}"#).unwrap();
        assert_eq!(drained, Request::events_drained {});
    }

    #[test]
    fn a_refused_connection_names_the_endpoint() {
        Harness::global().block_on(async {
            // A port nothing listens on: bound, then released.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let endpoint = format!("http://127.0.0.1:{port}");
            let http = HttpControl::new(&endpoint, Some("/state".into()), Registry::new(&config()));
            let error = http.event_stats().await.unwrap_err();
            assert!(matches!(error, Error::Control { .. }), "{error}");
            let message = error.to_string();
            assert!(message.contains(&endpoint), "{message}");
            assert!(message.contains("/state/server.log"), "{message}");
        });
    }
}

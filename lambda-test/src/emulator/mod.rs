//! The embedded local Lambda: it runs real function binaries through the Runtime API and
//! answers the Invoke API the way AWS does.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lambda_test::Error> {
//! use lambda_test::config::Config;
//! use lambda_test::emulator::Emulator;
//!
//! let config = Config::load("lambda-test.toml".as_ref())?;
//! let emulator = Emulator::start(config, "127.0.0.1:0".parse().unwrap()).await?;
//! println!("invoke at {}", emulator.endpoint());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Its parts are named after the Lambda service's own (the crate's [`architecture`] page
//! follows one invocation through them): `api/` (the Invoke API front end: routes, parsing in
//! AWS's order, errors), `auth` (SigV4 and permissions), `functions/` (versions, aliases and
//! the warm instances of each version), `instance/` (one execution environment and the
//! watchdog that leaves no process behind), `runtime_api/` (what the process polls, one
//! listener per instance), `events` (the `Event` queue), `logs/` (captured output and platform
//! lines) and `control` (what tests reach beside the Invoke API).
//!
//! [`architecture`]: crate::architecture

pub(crate) mod api;
pub(crate) mod auth;
mod clock;
pub(crate) mod control;
pub(crate) mod events;
pub(crate) mod functions;
pub(crate) mod instance;
pub(crate) mod logs;
pub(crate) mod runtime_api;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::Error;
use crate::config::Config;
use events::EventQueue;
pub use events::{DeadLetter, EventResult, EventStats};
use functions::Registry;

/// Not public API, and exempt from semver: the response pipeline below the Invoke API (a
/// version's pool, the streamed answer, the body's end), for this crate's own tests of
/// streaming until InvokeWithResponseStream reaches it through an API.
#[doc(hidden)]
pub mod __internals {
    pub use super::functions::{Finishing, Registry, StreamingInvocation, VersionPool};
    pub use super::instance::{Answer, Finished, Invoke};
    pub use super::runtime_api::{BodyEnd, ResponseBody, ResponseHead, ResponseMode};
}

/// The local Lambda as a service: what the Invoke API's handlers and the control route share.
pub(crate) struct Service {
    registry: Registry,
    auth: auth::Auth,
    events: Arc<EventQueue>,
    /// The serve log's writer, when invocations are logged.
    serve_log: Option<api::serve_log::ServeLog>,
    activity: control::Activity,
}

/// A running local Lambda.
pub struct Emulator {
    shared: Arc<Service>,
    endpoint: String,
    address: SocketAddr,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

/// Options beyond the config file.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Print one line per invocation to stderr (function, version, status, duration). The
    /// lines are written by a thread of their own, those of each 10 ms together.
    pub log_invocations: bool,
    /// Serve the control route too (a local Lambda shared by test processes).
    pub control: bool,
}

impl Emulator {
    /// Starts the Invoke API on `address` (port 0 picks a free port).
    pub async fn start(config: Config, address: SocketAddr) -> Result<Emulator, Error> {
        Self::start_with(config, address, Options::default()).await
    }

    /// [`Emulator::start`] with [`Options`].
    pub async fn start_with(
        config: Config,
        address: SocketAddr,
        options: Options,
    ) -> Result<Emulator, Error> {
        check_caller_credentials(&config).await?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| Error::Bind { address, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| Error::Bind { address, source })?;
        let delays = config.emulator.event_retry_delays.clone();
        let dead_letter_file = config.emulator.dead_letter_file.clone();
        let shared = Arc::new(Service {
            registry: Registry::new(&config),
            auth: auth::Auth::from_config(&config),
            events: EventQueue::new(delays, dead_letter_file),
            serve_log: options
                .log_invocations
                .then(api::serve_log::ServeLog::stderr),
            activity: control::Activity::new(),
        });
        let app = if options.control {
            control::router(Arc::clone(&shared))
        } else {
            api::router(Arc::clone(&shared))
        };
        let (stop, mut stopped) = watch::channel(false);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
        });
        Ok(Emulator {
            shared,
            endpoint: format!("http://{address}"),
            address,
            stop,
            server,
        })
    }

    /// The Invoke API as a router, to drive without a socket (the fuzz target does).
    pub fn router(&self) -> axum::Router {
        api::router(Arc::clone(&self.shared))
    }

    /// `http://127.0.0.1:<port>`, for `endpoint_url`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The address the Invoke API listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The region the local Lambda answers for.
    pub fn region(&self) -> &str {
        &self.shared.registry.region
    }

    /// Fails with a message naming the binary and the fix when `function`'s `bin` is missing.
    pub fn check_binary(&self, function: &str) -> Result<(), Error> {
        self.shared.registry.check_binary(function)
    }

    /// Waits until every queued `Event` invocation has run, retries included.
    pub async fn events_drained(&self) {
        self.shared.events.drained().await;
    }

    /// `Event` invocations queued or running now.
    pub fn pending_events(&self) -> usize {
        self.shared.events.pending()
    }

    /// Counts of what the event queue did.
    pub fn event_stats(&self) -> EventStats {
        self.shared.events.stats()
    }

    /// Events that failed on every attempt.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.shared.events.dead_letters()
    }

    /// The result of the `Event` invocation whose 202 answer carried `request_id`, once it has
    /// finished (retries included): waits up to `timeout`.
    pub async fn event_result(
        &self,
        request_id: &str,
        timeout: Duration,
    ) -> Result<EventResult, Error> {
        self.shared.events.result(request_id, timeout).await
    }

    /// The control operations, as a shared server's control route serves them.
    pub(crate) fn control(&self) -> &dyn crate::local::control::LocalControl {
        &*self.shared
    }

    /// Stops listening and stops every instance.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        self.stop_instances().await;
        let _ = self.server.await;
        if let Some(log) = &self.shared.serve_log {
            log.close();
        }
    }

    /// Stops every warm instance; the next invocation of each version is a cold start.
    pub async fn stop_instances(&self) {
        stop_instances(&self.shared.registry).await;
    }

    /// How long no request has been in flight (tracked with [`Options::control`] only).
    pub fn idle_for(&self) -> Duration {
        self.shared.activity.idle_for()
    }
}

/// Functions with `aws = { credentials = "caller" }` get the default chain's credentials at
/// each cold start: a chain that has none fails here, before any test runs, rather than in
/// every invocation.
async fn check_caller_credentials(config: &Config) -> Result<(), Error> {
    let callers: Vec<&str> = config
        .functions
        .values()
        .filter(|f| {
            f.all_versions()
                .any(|v| v.aws.credentials == crate::config::AwsCredentials::Caller)
        })
        .map(|f| f.name.as_str())
        .collect();
    if callers.is_empty() {
        return Ok(());
    }
    instance::caller_credentials()
        .await
        .map(drop)
        .map_err(|message| Error::CallerCredentials {
            functions: callers.join(", "),
            message,
        })
}

/// A random (version 4) UUID from a fast generator seeded once per thread: request ids and
/// trace ids must be unique, not secret, and `Uuid::new_v4` costs a `getrandom` syscall each.
pub(crate) fn fast_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()
}

async fn stop_instances(registry: &Registry) {
    for function in registry.functions() {
        for pool in function.pools() {
            pool.shutdown().await;
        }
    }
}

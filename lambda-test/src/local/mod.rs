//! A local Lambda reached by tests: in this process, or shared by the test processes of a
//! nextest run. Either way the same calls reach it, through one trait
//! ([`control::LocalControl`]): the emulator implements it in process, [`http::HttpControl`]
//! over the shared server's control route.

pub(crate) mod control;
pub(crate) mod http;
pub(crate) mod shared;

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_lambda::config::Credentials;

use crate::Error;
use crate::client::harness::{ClientOptions, Harness, endpoint_client, local_credentials};
use crate::emulator::{DeadLetter, Emulator, EventResult, EventStats};
use control::LocalControl;
use http::HttpControl;

/// The local Lambda of one package and a client for it.
///
/// In process, or shared with the other test processes of the run (under
/// `cargo nextest run`, or with `LAMBDA_TEST_SHARED=1`; see the crate docs): either way
/// the same calls reach it.
///
/// ```no_run
/// # async fn demo(outcome: lambda_test::Outcome) -> Result<(), lambda_test::Error> {
/// use lambda_test::Harness;
///
/// let local = Harness::global().local(env!("CARGO_MANIFEST_DIR").as_ref()).await?;
/// // ... invoke with `invocation_type = "Event"` ...
/// let request_id = outcome.request_id.as_deref().unwrap();
/// let result = local.event_result(request_id).await?;
/// assert!(result.succeeded());
/// # Ok(()) }
/// ```
pub struct Local {
    server: Server,
    client: aws_sdk_lambda::Client,
    region: String,
    /// The declared principals, whose credentials a client signs with.
    auth: crate::emulator::auth::Auth,
    /// The functions that declare a Function URL: their requests default to its event.
    with_url: std::collections::BTreeSet<String>,
}

enum Server {
    InProcess(Emulator),
    // Boxed: the hyper client is several times the size of the emulator's handle.
    Shared(Box<HttpControl>),
}

impl Local {
    /// How long [`Local::event_result`] and
    /// [`Outcome::event_result`](crate::Outcome::event_result) wait for an event to finish.
    pub const EVENT_RESULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// Starts the local Lambda of `package_dir` on the harness runtime, or joins the one
    /// the test processes of this run share.
    pub(crate) async fn start(harness: &Harness, package_dir: PathBuf) -> Result<Local, Error> {
        let config = crate::config::Config::load(&package_dir.join(crate::CONFIG_FILE_NAME))?;
        let auth = crate::emulator::auth::Auth::from_config(&config);
        let region = config.emulator.region.clone();
        let with_url = config
            .functions
            .values()
            .filter(|f| f.url.is_some())
            .map(|f| f.name.clone())
            .collect();
        let client_for = |endpoint: &str| {
            endpoint_client(
                endpoint,
                Some(&region),
                &ClientOptions::default(),
                Some(local_credentials()),
            )
            .expect("a local endpoint is plain HTTP: nothing to set up can fail")
        };
        if shared::enabled() {
            let registry = crate::emulator::functions::Registry::new(&config);
            let dir = shared::state_dir(&package_dir, &config, &registry.binaries());
            let package = package_dir.clone();
            let joined = tokio::task::spawn_blocking(move || {
                shared::Server::connect_or_start(&dir, &package)
            })
            .await
            .expect("joining the shared local Lambda panicked")?;
            if let Some(server) = joined {
                let client = client_for(&server.endpoint);
                let control =
                    HttpControl::new(&server.endpoint, Some(server.dir().to_owned()), registry);
                return Ok(Local {
                    server: Server::Shared(Box::new(control)),
                    client,
                    region,
                    auth,
                    with_url,
                });
            }
        }
        let emulator = harness
            .run(Emulator::start(config, ([127, 0, 0, 1], 0).into()))
            .await?;
        let client = client_for(emulator.endpoint());
        Ok(Local {
            server: Server::InProcess(emulator),
            client,
            region,
            auth,
            with_url,
        })
    }

    /// The control operations, in process or over HTTP.
    fn control(&self) -> &dyn LocalControl {
        match &self.server {
            Server::InProcess(emulator) => emulator.control(),
            Server::Shared(http) => &**http,
        }
    }

    /// A client whose endpoint is the local Lambda.
    pub fn client(&self) -> &aws_sdk_lambda::Client {
        &self.client
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        match &self.server {
            Server::InProcess(emulator) => emulator.endpoint(),
            Server::Shared(http) => http.endpoint(),
        }
    }

    /// The region the local Lambda answers for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Whether `function` declares a Function URL (`[functions.<name>.url]`).
    pub fn has_function_url(&self, function: &str) -> bool {
        self.with_url.contains(function)
    }

    /// The emulator, when it runs in this process; `None` when it is shared.
    pub fn emulator(&self) -> Option<&Emulator> {
        match &self.server {
            Server::InProcess(emulator) => Some(emulator),
            Server::Shared(_) => None,
        }
    }

    /// Whether the local Lambda is shared with other test processes.
    pub fn is_shared(&self) -> bool {
        matches!(self.server, Server::Shared(_))
    }

    /// Fails with a message naming the binary and the fix when `function`'s `bin` is
    /// missing.
    pub fn check_binary(&self, function: &str) -> Result<(), Error> {
        self.control().check_binary(function)
    }

    /// The result of the `Event` invocation whose 202 answer carried `request_id`
    /// ([`Outcome::request_id`](crate::Outcome::request_id)), once it has finished, retries
    /// included: this invocation's alone, whatever other tests queue. Waits up to
    /// [`Local::EVENT_RESULT_TIMEOUT`]; [`Outcome::event_result`](crate::Outcome::event_result)
    /// is the same call from a test body.
    pub async fn event_result(&self, request_id: &str) -> Result<EventResult, Error> {
        self.event_result_within(request_id, Self::EVENT_RESULT_TIMEOUT)
            .await
    }

    /// [`Local::event_result`], waiting up to `timeout`.
    pub async fn event_result_within(
        &self,
        request_id: &str,
        timeout: Duration,
    ) -> Result<EventResult, Error> {
        self.control()
            .event_result(request_id.to_owned(), timeout)
            .await
    }

    /// Waits until every queued `Event` invocation has run, retries included: every
    /// test's, so [`Local::event_result`] is the call that waits for one test's own.
    pub async fn events_drained(&self) -> Result<(), Error> {
        self.control().events_drained().await
    }

    /// Events that failed on every attempt: every test's of this local Lambda (of the
    /// whole run, when it is shared).
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, Error> {
        self.control().dead_letters().await
    }

    /// Counts of what the event queue did.
    pub async fn event_stats(&self) -> Result<EventStats, Error> {
        self.control().event_stats().await
    }

    /// Stops every warm instance; the next invocation of each version is a cold start.
    pub async fn stop_instances(&self) -> Result<(), Error> {
        self.control().stop_instances().await
    }

    /// Whether the local Lambda verifies signatures (it declares principals).
    pub(crate) fn verifies_signatures(&self) -> bool {
        self.auth.is_on()
    }

    /// The credentials of a declared principal, named by its name or ARN.
    pub(crate) fn principal_credentials(&self, name: &str) -> Option<Credentials> {
        self.auth.principal(name).map(|p| {
            Credentials::new(
                &p.access_key_id,
                &p.secret_access_key,
                None,
                None,
                "lambda-test",
            )
        })
    }
}

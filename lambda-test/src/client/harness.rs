//! The process-wide harness: one background runtime that owns the local Lambda and the SDK
//! clients, so nothing a test needs dies with that test's own runtime.
//!
//! Every `#[tokio::test]` builds and drops a runtime. A connection pool or a server task
//! spawned on one test's runtime would die with it and break the next test that reuses it;
//! here they live on a runtime that lives as long as the process.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::config::timeout::TimeoutConfig;
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use tokio::sync::OnceCell;

use crate::Error;

/// Where invocations go.
///
/// ```no_run
/// use lambda_test::Target;
///
/// // What `#[lambda_test]` does for a test in this package.
/// let target = Target::resolve(env!("CARGO_MANIFEST_DIR").as_ref(), None).unwrap();
/// if let Target::Local { package_dir } = &target {
///     println!("the embedded local Lambda serves {}", package_dir.display());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// The embedded local Lambda serving the package's `lambda-test.toml`.
    Local {
        /// The package directory holding `lambda-test.toml`.
        package_dir: PathBuf,
    },
    /// Any Lambda-compatible endpoint (e.g. `lambda-test serve`).
    Endpoint {
        /// Its URL.
        url: String,
    },
    /// Real AWS, through `aws-config`'s default chain.
    Aws,
}

impl Target {
    /// Resolves the target for a package, as documented in the crate docs:
    /// an explicit endpoint, then `LAMBDA_TEST_ENDPOINT_URL`, then `LAMBDA_TEST_TARGET=aws`,
    /// then a `lambda-test.toml` in the package, else real AWS.
    pub fn resolve(package_dir: &Path, endpoint_url: Option<&str>) -> Result<Target, Error> {
        if let Some(url) = endpoint_url {
            return Ok(Target::Endpoint {
                url: url.to_owned(),
            });
        }
        if let Some(url) = env_nonempty("LAMBDA_TEST_ENDPOINT_URL") {
            return Ok(Target::Endpoint { url });
        }
        let has_config = package_dir.join(crate::CONFIG_FILE_NAME).is_file();
        match env_nonempty("LAMBDA_TEST_TARGET").as_deref() {
            Some("aws") => Ok(Target::Aws),
            None | Some("local") if has_config => Ok(Target::Local {
                package_dir: package_dir.to_owned(),
            }),
            Some("local") => Err(Error::EmulatorStart(format!(
                "LAMBDA_TEST_TARGET=local, but there is no {} in {}",
                crate::CONFIG_FILE_NAME,
                package_dir.display()
            ))),
            None => Ok(Target::Aws),
            Some(other) => Err(Error::EmulatorStart(format!(
                "LAMBDA_TEST_TARGET={other:?} is not `local` or `aws`"
            ))),
        }
    }
}

/// How to build a client, beyond the target: the `region`, `profile`, `role_arn` and timeout
/// keys of `#[lambda_test]`.
///
/// ```no_run
/// # async fn demo() -> Result<(), lambda_test::Error> {
/// use lambda_test::{ClientOptions, Harness, Target};
///
/// let mut options = ClientOptions::default();
/// options.role_arn = Some("arn:aws:iam::123456789012:role/tester".into());
/// options.read_timeout = Some(std::time::Duration::from_secs(5));
/// let client = Harness::global().client_with(&Target::Aws, &options).await?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The region (real AWS and endpoints; the local Lambda answers for its own region).
    pub region: Option<String>,
    /// Real AWS: a named profile of the shared AWS config. Locally: the principal of
    /// `lambda-test.toml` to sign as.
    pub profile: Option<String>,
    /// A role to assume through STS before invoking (real AWS only).
    pub role_arn: Option<String>,
    /// How long to wait for a connection.
    pub connect_timeout: Option<Duration>,
    /// How long to wait for the answer once connected.
    pub read_timeout: Option<Duration>,
}

impl ClientOptions {
    fn timeouts(&self, base: Option<&TimeoutConfig>) -> Option<TimeoutConfig> {
        if self.connect_timeout.is_none() && self.read_timeout.is_none() {
            return None;
        }
        let mut builder = base.map(TimeoutConfig::to_builder).unwrap_or_default();
        if let Some(d) = self.connect_timeout {
            builder = builder.connect_timeout(d);
        }
        if let Some(d) = self.read_timeout {
            builder = builder.read_timeout(d);
        }
        Some(builder.build())
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The local Lambda of one package and a client for it.
///
/// In process, or shared with the other test processes of the run (under
/// `cargo nextest run`, or with `LAMBDA_TEST_SHARED=1`; see the crate docs): either way
/// the same calls reach it.
///
/// ```no_run
/// # async fn demo() -> Result<(), lambda_test::Error> {
/// use lambda_test::Harness;
///
/// let local = Harness::global().local(env!("CARGO_MANIFEST_DIR").as_ref()).await?;
/// // ... invoke with `invocation_type = "Event"` ...
/// local.events_drained().await?;
/// assert!(local.dead_letters().await?.is_empty());
/// # Ok(()) }
/// ```
#[cfg(feature = "emulator")]
pub struct Local {
    server: LocalServer,
    client: aws_sdk_lambda::Client,
    region: String,
    /// The declared principals, whose credentials a client signs with.
    auth: crate::emulator::auth::Auth,
}

#[cfg(feature = "emulator")]
enum LocalServer {
    InProcess(crate::emulator::Emulator),
    Shared {
        server: crate::local::shared::Server,
        /// This process's view of the functions, for binary checks before any invoke.
        registry: crate::emulator::functions::Registry,
    },
}

#[cfg(feature = "emulator")]
impl Local {
    /// A client whose endpoint is the local Lambda.
    pub fn client(&self) -> &aws_sdk_lambda::Client {
        &self.client
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        match &self.server {
            LocalServer::InProcess(emulator) => emulator.endpoint(),
            LocalServer::Shared { server, .. } => &server.endpoint,
        }
    }

    /// The region the local Lambda answers for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The emulator, when it runs in this process; `None` when it is shared.
    pub fn emulator(&self) -> Option<&crate::emulator::Emulator> {
        match &self.server {
            LocalServer::InProcess(emulator) => Some(emulator),
            LocalServer::Shared { .. } => None,
        }
    }

    /// Whether the local Lambda is shared with other test processes.
    pub fn is_shared(&self) -> bool {
        matches!(self.server, LocalServer::Shared { .. })
    }

    /// Fails with a message naming the binary and the fix when `function`'s `bin` is missing.
    pub fn check_binary(&self, function: &str) -> Result<(), Error> {
        match &self.server {
            LocalServer::InProcess(emulator) => emulator.check_binary(function),
            LocalServer::Shared { registry, .. } => registry.check_binary(function),
        }
    }

    /// Waits until every queued `Event` invocation has run, retries included.
    pub async fn events_drained(&self) -> Result<(), Error> {
        match &self.server {
            LocalServer::InProcess(emulator) => {
                emulator.events_drained().await;
                Ok(())
            }
            LocalServer::Shared { server, .. } => server.events_drained().await,
        }
    }

    /// Events that failed on every attempt.
    pub async fn dead_letters(&self) -> Result<Vec<crate::emulator::DeadLetter>, Error> {
        match &self.server {
            LocalServer::InProcess(emulator) => Ok(emulator.dead_letters()),
            LocalServer::Shared { server, .. } => server.dead_letters().await,
        }
    }

    /// Counts of what the event queue did.
    pub async fn event_stats(&self) -> Result<crate::emulator::EventStats, Error> {
        match &self.server {
            LocalServer::InProcess(emulator) => Ok(emulator.event_stats()),
            LocalServer::Shared { server, .. } => server.event_stats().await,
        }
    }

    /// Stops every warm instance; the next invocation of each version is a cold start.
    pub async fn stop_instances(&self) -> Result<(), Error> {
        match &self.server {
            LocalServer::InProcess(emulator) => {
                emulator.stop_instances().await;
                Ok(())
            }
            LocalServer::Shared { server, .. } => server.stop_instances().await,
        }
    }

    /// The credentials of a declared principal, named by its name or ARN.
    fn principal_credentials(&self, name: &str) -> Option<Credentials> {
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

type Cell<T> = Arc<OnceCell<Result<T, String>>>;

/// The process-wide harness: use it to invoke without the attribute, or to reach the local
/// Lambda from a test body.
///
/// ```no_run
/// use lambda_test::{Harness, Invocation, Target};
///
/// let harness = Harness::global();
/// let outcome = harness.block_on(async {
///     let target = Target::resolve(env!("CARGO_MANIFEST_DIR").as_ref(), None)?;
///     let client = harness.client(&target).await?;
///     Invocation::new("greeter").payload(r#"{"name": "Bob"}"#).send(&client).await
/// });
/// assert_eq!(outcome.unwrap().status_code, 200);
/// ```
pub struct Harness {
    runtime: tokio::runtime::Runtime,
    #[cfg(feature = "emulator")]
    locals: Mutex<HashMap<PathBuf, Cell<Arc<Local>>>>,
    clients: Mutex<HashMap<(Target, ClientOptions), Cell<aws_sdk_lambda::Client>>>,
}

impl Harness {
    /// The harness of this process, created on first use.
    pub fn global() -> &'static Harness {
        static HARNESS: OnceLock<Harness> = OnceLock::new();
        HARNESS.get_or_init(|| Harness {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("lambda-test")
                .enable_all()
                .build()
                .expect("failed to start the lambda-test runtime"),
            #[cfg(feature = "emulator")]
            locals: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
        })
    }

    /// Runs a future to completion on the harness runtime, from a thread outside any runtime
    /// (a plain `#[test]`).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // Boxed, so tokio's `block_on` is compiled once per output type rather than once per
        // future: every `#[lambda_test]` body is its own future type, and instantiating the
        // runtime's `block_on` for each made most of the attribute's compile cost (BENCHMARKS.md).
        self.block_on_boxed(Box::pin(future))
    }

    fn block_on_boxed<T>(&self, future: std::pin::Pin<Box<dyn Future<Output = T> + '_>>) -> T {
        self.runtime.block_on(future)
    }

    /// Runs a future on the harness runtime from any async context (any runtime).
    pub async fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.runtime.spawn(future).await {
            Ok(output) => output,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// The local Lambda of a package, started on first use: in this process, or the one the
    /// test processes of a nextest run share (crate docs, "Under `cargo nextest run`").
    #[cfg(feature = "emulator")]
    pub async fn local(&self, package_dir: &Path) -> Result<Arc<Local>, Error> {
        let cell = Arc::clone(
            self.locals
                .lock()
                .expect("harness poisoned")
                .entry(package_dir.to_owned())
                .or_default(),
        );
        let dir = package_dir.to_owned();
        let started = cell
            .get_or_init(|| async move { self.start_local(dir).await.map_err(|e| e.to_string()) })
            .await;
        started.clone().map_err(Error::EmulatorStart)
    }

    #[cfg(feature = "emulator")]
    async fn start_local(&self, package_dir: PathBuf) -> Result<Arc<Local>, Error> {
        use crate::local::shared;
        let config = crate::config::Config::load(&package_dir.join(crate::CONFIG_FILE_NAME))?;
        if let Some(dir) = std::env::var_os(shared::SERVE_ENV) {
            // This process was started to be the shared server (crate::shared).
            let served = self
                .run(shared::serve_until_idle(PathBuf::from(dir), package_dir))
                .await;
            shared::exit(served);
        }
        let auth = crate::emulator::auth::Auth::from_config(&config);
        let region = config.emulator.region.clone();
        let client_for = |endpoint: &str| {
            endpoint_client(
                endpoint,
                Some(&region),
                &ClientOptions::default(),
                local_credentials(),
            )
        };
        if shared::enabled() {
            let registry = crate::emulator::functions::Registry::new(&config);
            let dir = shared::state_dir(&package_dir, &config, &registry.binaries());
            let joined =
                tokio::task::spawn_blocking(move || shared::Server::connect_or_start(&dir))
                    .await
                    .expect("joining the shared local Lambda panicked")?;
            if let Some(server) = joined {
                let client = client_for(&server.endpoint);
                return Ok(Arc::new(Local {
                    server: LocalServer::Shared { server, registry },
                    client,
                    region,
                    auth,
                }));
            }
        }
        let emulator = self
            .run(crate::emulator::Emulator::start(
                config,
                ([127, 0, 0, 1], 0).into(),
            ))
            .await?;
        let client = client_for(emulator.endpoint());
        Ok(Arc::new(Local {
            server: LocalServer::InProcess(emulator),
            client,
            region,
            auth,
        }))
    }

    /// A client for a target, built once per process.
    pub async fn client(&self, target: &Target) -> Result<aws_sdk_lambda::Client, Error> {
        self.client_with(target, &ClientOptions::default()).await
    }

    /// A client for a target with options, built once per process and options.
    pub async fn client_with(
        &self,
        target: &Target,
        options: &ClientOptions,
    ) -> Result<aws_sdk_lambda::Client, Error> {
        #[cfg(feature = "emulator")]
        if let Target::Local { package_dir } = target {
            let local = self.local(package_dir).await?;
            // Locally, `profile` names a principal of lambda-test.toml to sign as.
            let principal = options
                .profile
                .as_deref()
                .or_else(|| local.auth.is_on().then_some(DEFAULT_PRINCIPAL));
            let local_options = ClientOptions {
                connect_timeout: options.connect_timeout,
                read_timeout: options.read_timeout,
                profile: principal.map(str::to_owned),
                ..ClientOptions::default()
            };
            if local_options == ClientOptions::default() {
                return Ok(local.client.clone());
            }
            let credentials = match principal {
                None => local_credentials(),
                Some(name) => {
                    local.principal_credentials(name).ok_or_else(|| {
                        Error::EmulatorStart(format!(
                            "{} declares no principal `{name}` under [emulator.principals]; `profile` names the principal to sign as locally{}",
                            package_dir.join(crate::CONFIG_FILE_NAME).display(),
                            if options.profile.is_none() {
                                " (declare a `default` principal, or set `profile`)"
                            } else {
                                ""
                            }
                        ))
                    })?
                }
            };
            // Built once per process, principal and timeouts, like every other client.
            let cell = Arc::clone(
                self.clients
                    .lock()
                    .expect("harness poisoned")
                    .entry((target.clone(), local_options.clone()))
                    .or_default(),
            );
            let client = cell
                .get_or_init(|| async {
                    Ok(endpoint_client(
                        local.endpoint(),
                        Some(local.region()),
                        &local_options,
                        credentials,
                    ))
                })
                .await;
            return client.clone().map_err(Error::EmulatorStart);
        }
        let cell = Arc::clone(
            self.clients
                .lock()
                .expect("harness poisoned")
                .entry((target.clone(), options.clone()))
                .or_default(),
        );
        let target = target.clone();
        let options = options.clone();
        let client = cell
            .get_or_init(|| async move {
                match target {
                    Target::Endpoint { url } => {
                        Ok(endpoint_client(&url, None, &options, local_credentials()))
                    }
                    Target::Aws => Ok(aws_client(&options).await),
                    #[allow(unreachable_patterns)]
                    Target::Local { package_dir } => Err(format!(
                        "{} needs the `emulator` feature of lambda-test",
                        package_dir.join(crate::CONFIG_FILE_NAME).display()
                    )),
                }
            })
            .await;
        client.clone().map_err(Error::EmulatorStart)
    }
}

/// A client for a local or compatible endpoint: static credentials, no SDK retries (a retried
/// invoke would run a non-idempotent function twice; [`Invocation`](crate::Invocation) retries
/// throttling itself).
fn endpoint_client(
    url: &str,
    region: Option<&str>,
    options: &ClientOptions,
    credentials: Credentials,
) -> aws_sdk_lambda::Client {
    let region = options
        .region
        .clone()
        .or(region.map(str::to_owned))
        .or_else(|| env_nonempty("AWS_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let mut config = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(url)
        .credentials_provider(credentials)
        .retry_config(RetryConfig::disabled());
    if url.starts_with("http://") {
        // No TLS to set up: building the default HTTPS client loads and parses every root
        // certificate of the system, a cost each `cargo nextest` test process would pay.
        config = config.http_client(aws_smithy_http_client::Builder::new().build_http());
    }
    config.set_timeout_config(options.timeouts(None));
    aws_sdk_lambda::Client::from_conf(config.build())
}

/// The principal a local client signs as when lambda-test.toml declares principals and the
/// test names none.
pub const DEFAULT_PRINCIPAL: &str = "default";

/// Static credentials for a local Lambda that verifies no signature.
fn local_credentials() -> Credentials {
    Credentials::new(
        "AKIDLAMBDATEST",
        "lambda-test-local-secret",
        None,
        None,
        "lambda-test",
    )
}

/// A client for real AWS through the default credential and region chain, with the options'
/// region, profile and assumed role.
async fn aws_client(options: &ClientOptions) -> aws_sdk_lambda::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    let shared = loader.load().await;
    let mut config =
        aws_sdk_lambda::config::Builder::from(&shared).retry_config(RetryConfig::disabled());
    if let Some(timeouts) = options.timeouts(shared.timeout_config()) {
        config = config.timeout_config(timeouts);
    }
    if let Some(role_arn) = &options.role_arn {
        let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name("lambda-test")
            .configure(&shared)
            .build()
            .await;
        config = config.credentials_provider(provider);
    }
    aws_sdk_lambda::Client::from_conf(config.build())
}

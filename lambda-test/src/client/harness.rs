//! The process-wide harness: one background runtime that owns the local Lambda and the SDK
//! clients, so nothing a test needs dies with that test's own runtime.
//!
//! Every `#[tokio::test]` builds and drops a runtime. A connection pool or a server task
//! spawned on one test's runtime would die with it and break the next test that reuses it;
//! here they live on a runtime that lives as long as the process.

use std::collections::HashMap;
use std::future::Future;
#[cfg(feature = "emulator")]
use std::path::Path;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_lambda::config::SharedHttpClient;
use aws_sdk_lambda::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::config::timeout::TimeoutConfig;
use aws_sdk_lambda::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
    SharedCredentialsProvider, SharedInterceptor,
};
use aws_sdk_lambda::error::BoxError;
use tokio::sync::OnceCell;

use crate::Error;
#[cfg(feature = "emulator")]
use crate::Local;
use crate::client::target::{Target, env_nonempty};

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
    /// Send requests unsigned (`aws lambda invoke --no-sign-request`): no credentials are
    /// loaded (nor a role assumed), and a service that verifies signatures refuses them.
    pub no_sign_request: bool,
    /// A PEM file of the certificates to trust for HTTPS, beside the system's
    /// (`--ca-bundle`): for a TLS-intercepting proxy or a private endpoint. Without it,
    /// `AWS_CA_BUNDLE` is read, as the AWS CLI reads it.
    pub ca_bundle: Option<PathBuf>,
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

/// A value built once per process; its error too, shared by every test that asks again.
type Cell<T> = Arc<OnceCell<Result<T, Arc<Error>>>>;

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
    #[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
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
            .get_or_init(|| async move {
                Local::start(self, dir)
                    .await
                    .map(Arc::new)
                    .map_err(Error::into_shared)
            })
            .await;
        started.clone().map_err(Error::Shared)
    }

    /// A client for a target, built once per process.
    pub async fn client(&self, target: &Target) -> Result<aws_sdk_lambda::Client, Error> {
        self.client_with(target, &ClientOptions::default()).await
    }

    /// The credentials the client of `client_with(target, options)` signs with; `None` when
    /// it sends unsigned requests (`no_sign_request`). What a request to an `AWS_IAM`
    /// Function URL is signed with (`via = "url"`).
    pub(crate) async fn credentials_with(
        &self,
        target: &Target,
        options: &ClientOptions,
    ) -> Result<Option<SharedCredentialsProvider>, Error> {
        if options.no_sign_request {
            return Ok(None);
        }
        let credentials = match target {
            #[cfg(feature = "emulator")]
            Target::Local { package_dir } => {
                let local = self.local(package_dir).await?;
                local_signer(&local, package_dir, options)?
            }
            Target::Endpoint { .. } => Some(local_credentials()),
            Target::Aws => return aws_credentials(options).await.map(Some),
            #[allow(unreachable_patterns)]
            Target::Local { package_dir } => {
                return Err(Error::EmulatorDisabled {
                    config: package_dir.join(crate::CONFIG_FILE_NAME),
                });
            }
        };
        Ok(credentials.map(SharedCredentialsProvider::new))
    }

    /// A client for a target with options, built once per process and options.
    pub async fn client_with(
        &self,
        target: &Target,
        options: &ClientOptions,
    ) -> Result<aws_sdk_lambda::Client, Error> {
        #[cfg(feature = "emulator")]
        if let Target::Local { package_dir } = target {
            return self.local_client(package_dir, target, options).await;
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
                let built = match target {
                    Target::Endpoint { url } => {
                        let credentials = (!options.no_sign_request).then(local_credentials);
                        endpoint_client(&url, None, &options, credentials)
                    }
                    Target::Aws => aws_client(&options).await,
                    #[allow(unreachable_patterns)]
                    Target::Local { package_dir } => Err(Error::EmulatorDisabled {
                        config: package_dir.join(crate::CONFIG_FILE_NAME),
                    }),
                };
                built.map_err(Error::into_shared)
            })
            .await;
        client.clone().map_err(Error::Shared)
    }

    /// A client for the local Lambda of `package_dir`: its own client unless a principal or a
    /// timeout asks for another, built once per process and options.
    #[cfg(feature = "emulator")]
    async fn local_client(
        &self,
        package_dir: &Path,
        target: &Target,
        options: &ClientOptions,
    ) -> Result<aws_sdk_lambda::Client, Error> {
        let local = self.local(package_dir).await?;
        let principal = local_principal(&local, options);
        let local_options = ClientOptions {
            connect_timeout: options.connect_timeout,
            read_timeout: options.read_timeout,
            profile: principal.map(str::to_owned),
            no_sign_request: options.no_sign_request,
            ..ClientOptions::default()
        };
        if local_options == ClientOptions::default() {
            return Ok(local.client().clone());
        }
        let credentials = local_signer(&local, package_dir, options)?;
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
                endpoint_client(
                    local.endpoint(),
                    Some(local.region()),
                    &local_options,
                    credentials,
                )
                .map_err(Error::into_shared)
            })
            .await;
        client.clone().map_err(Error::Shared)
    }
}

/// The principal of lambda-test.toml a local client signs as: `profile`, or the default one
/// when the local Lambda verifies signatures; none for `no_sign_request`.
#[cfg(feature = "emulator")]
fn local_principal<'a>(local: &Local, options: &'a ClientOptions) -> Option<&'a str> {
    options
        .profile
        .as_deref()
        .or_else(|| local.verifies_signatures().then_some(DEFAULT_PRINCIPAL))
        .filter(|_| !options.no_sign_request)
}

/// The credentials of [`local_principal`]; `None` for `no_sign_request`.
#[cfg(feature = "emulator")]
fn local_signer(
    local: &Local,
    package_dir: &Path,
    options: &ClientOptions,
) -> Result<Option<Credentials>, Error> {
    Ok(match local_principal(local, options) {
        _ if options.no_sign_request => None,
        None => Some(local_credentials()),
        Some(name) => {
            Some(
                local
                    .principal_credentials(name)
                    .ok_or_else(|| Error::UnknownPrincipal {
                        config: package_dir.join(crate::CONFIG_FILE_NAME),
                        name: name.to_owned(),
                        defaulted: options.profile.is_none(),
                    })?,
            )
        }
    })
}

/// A client for a local or compatible endpoint: static credentials (none: unsigned), no SDK
/// retries (a retried invoke would run a non-idempotent function twice;
/// [`Invocation`](crate::Invocation) retries throttling itself).
pub(crate) fn endpoint_client(
    url: &str,
    region: Option<&str>,
    options: &ClientOptions,
    credentials: Option<Credentials>,
) -> Result<aws_sdk_lambda::Client, Error> {
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
        .retry_config(RetryConfig::disabled());
    let signing = credentials.is_some();
    let credentials = credentials.unwrap_or_else(placeholder_credentials);
    config.set_credentials_provider(Some(SharedCredentialsProvider::new(credentials)));
    if !signing {
        config.push_interceptor(SharedInterceptor::new(Unsigned));
    }
    if url.starts_with("http://") {
        // No TLS to set up: building the default HTTPS client loads and parses every root
        // certificate of the system, a cost each `cargo nextest` test process would pay.
        config = config.http_client(aws_smithy_http_client::Builder::new().build_http());
    } else {
        config = config.http_client(https_client(options)?);
    }
    config.set_timeout_config(options.timeouts(None));
    Ok(aws_sdk_lambda::Client::from_conf(config.build()))
}

/// Strips the signature from every request, after signing (`--no-sign-request`): the SDK
/// signs every Lambda request it sends, with placeholder credentials here, and the request
/// goes out as an unsigned one would.
#[derive(Debug)]
struct Unsigned;

impl Intercept for Unsigned {
    fn name(&self) -> &'static str {
        "lambda_test::Unsigned"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        for name in [
            "authorization",
            "x-amz-date",
            "x-amz-security-token",
            "x-amz-content-sha256",
        ] {
            headers.remove(name);
        }
        Ok(())
    }
}

/// The credentials an unsigned client signs with before [`Unsigned`] strips the signature.
fn placeholder_credentials() -> Credentials {
    Credentials::new("unsigned", "unsigned", None, None, "lambda-test-unsigned")
}

/// The HTTPS client of every AWS client lambda-test builds: hyper 1 and rustls on ring, the
/// one crypto provider of the build (the SDK's default client would bring aws-lc-rs), trusting
/// the system's roots and the CA bundle of the options or of `AWS_CA_BUNDLE`. It loads the
/// roots when a client first uses it.
pub(crate) fn https_client(options: &ClientOptions) -> Result<SharedHttpClient, Error> {
    use aws_smithy_http_client::tls;
    let builder = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(
        tls::rustls_provider::CryptoMode::Ring,
    ));
    let Some(path) = options
        .ca_bundle
        .clone()
        .or_else(|| env_nonempty("AWS_CA_BUNDLE").map(PathBuf::from))
    else {
        return Ok(builder.build_https());
    };
    let failed = |reason: String| Error::CaBundle {
        path: path.clone(),
        reason,
    };
    let pem = std::fs::read(&path).map_err(|e| failed(e.to_string()))?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(failed("it holds no PEM certificate".to_owned()));
    }
    let trust = tls::TrustStore::default().with_pem_certificate(pem);
    let context = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| failed(e.to_string()))?;
    Ok(builder.tls_context(context).build_https())
}

/// The principal a local client signs as when lambda-test.toml declares principals and the
/// test names none.
#[cfg(feature = "emulator")]
pub const DEFAULT_PRINCIPAL: &str = "default";

/// Static credentials for a local Lambda that verifies no signature.
pub(crate) fn local_credentials() -> Credentials {
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
async fn aws_client(options: &ClientOptions) -> Result<aws_sdk_lambda::Client, Error> {
    let shared = aws_loader(options)?.load().await;
    let mut config =
        aws_sdk_lambda::config::Builder::from(&shared).retry_config(RetryConfig::disabled());
    if let Some(timeouts) = options.timeouts(shared.timeout_config()) {
        config = config.timeout_config(timeouts);
    }
    if options.no_sign_request {
        config = config.interceptor(Unsigned);
    } else if let Some(role_arn) = &options.role_arn {
        config = config.credentials_provider(assume_role(role_arn, &shared).await);
    }
    Ok(aws_sdk_lambda::Client::from_conf(config.build()))
}

/// The default chain's loader with the options' region, profile and CA bundle.
fn aws_loader(options: &ClientOptions) -> Result<aws_config::ConfigLoader, Error> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if options.no_sign_request {
        loader = loader.credentials_provider(placeholder_credentials());
    }
    // aws-config's own clients (STS for assumed roles and web identity, SSO, IMDS, ECS) use
    // the loader's client: with it they trust the bundle too, as behind a proxy they must.
    loader = loader.http_client(https_client(options)?);
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    Ok(loader)
}

/// `role_arn`'s credentials, assumed with the default chain's.
async fn assume_role(
    role_arn: &str,
    shared: &aws_config::SdkConfig,
) -> aws_config::sts::AssumeRoleProvider {
    aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name("lambda-test")
        .configure(shared)
        .build()
        .await
}

/// The credentials [`aws_client`] signs with, for a request the SDK does not send (a signed
/// Function URL request): the default chain's, or `role_arn`'s.
async fn aws_credentials(options: &ClientOptions) -> Result<SharedCredentialsProvider, Error> {
    let shared = aws_loader(options)?.load().await;
    if let Some(role_arn) = &options.role_arn {
        return Ok(SharedCredentialsProvider::new(
            assume_role(role_arn, &shared).await,
        ));
    }
    shared.credentials_provider().ok_or_else(|| Error::Invoke {
        function: String::new(),
        code: None,
        message: "no AWS credentials in the default chain (environment, profile, SSO, web \
                  identity, IMDS) to sign the Function URL request with"
            .to_owned(),
    })
}

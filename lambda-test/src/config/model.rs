//! The config model: what the local Lambda serves, with every default applied.
//!
//! Sources ([`super::Source`]) never build these types directly: they declare
//! [`super::Definitions`], and [`super::Definitions::resolve`] checks them and fills in the
//! defaults below. So a default or a rule lives here once, whichever file a value came from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The environment variables Lambda sets itself, which a function's own may not set
/// (lambda-extensions.md 4.1).
pub const RESERVED_VARIABLES: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// The default region of the local Lambda.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The default account id in ARNs.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// Seconds before each retry of a failed `Event` invocation, by default. AWS retries twice,
/// after about 1 and 2 minutes; the default keeps tests fast.
pub const DEFAULT_EVENT_RETRY_DELAYS: [f64; 2] = [1.0, 2.0];
/// The default timeout, as on AWS.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// The default memory size in MB, as on AWS.
pub const DEFAULT_MEMORY_SIZE: u32 = 128;
/// The default `Handler` (`_HANDLER`) of a custom runtime.
pub const DEFAULT_HANDLER: &str = "bootstrap";

/// The functions the local Lambda serves and its own settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Settings of the local Lambda itself.
    pub emulator: EmulatorSettings,
    /// The functions, by name.
    pub functions: BTreeMap<String, Function>,
    /// The directory of `lambda-test.toml`: relative paths of the file resolved against it.
    pub base_dir: PathBuf,
    /// `lambda-test.toml` itself (absolute), for error messages and to notice edits.
    pub path: PathBuf,
}

/// The local Lambda's own settings (`[emulator]`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmulatorSettings {
    /// The region the local Lambda pretends to be in (ARNs, `AWS_REGION`).
    pub region: String,
    /// The account id in ARNs.
    pub account_id: String,
    /// Where binaries named by `bin` are looked for first (absolute); the other places are
    /// the emulator's to know.
    pub bin_dir: Option<PathBuf>,
    /// The wait before each retry of a failed `Event` invocation; its length is the number
    /// of retries (at most 2, as on AWS).
    pub event_retry_delays: Vec<Duration>,
    /// The file (absolute) dead-letter records are appended to, one JSON per line.
    pub dead_letter_file: Option<PathBuf>,
    /// Callers, by name. Any principal turns SigV4 verification on.
    pub principals: BTreeMap<String, Principal>,
}

/// A caller that signs its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// Its name (the key under `[emulator.principals]`).
    pub name: String,
    /// The access key id it signs with (unique among principals).
    pub access_key_id: String,
    /// Its secret access key.
    pub secret_access_key: String,
    /// Its ARN: as declared, or `arn:aws:iam::<account>:user/<name>`.
    pub arn: String,
}

/// One function: `$LATEST`, its published versions and its aliases.
///
/// A Function URL will be one more field here (auth type, invoke mode), declared by the
/// sources next to the function.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Function {
    /// The name.
    pub name: String,
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub arn: String,
    /// The settings of `$LATEST`.
    pub latest: Version,
    /// Published versions by number: `$LATEST`'s settings with their overrides.
    pub versions: BTreeMap<String, Version>,
    /// Aliases by name.
    pub aliases: BTreeMap<String, Alias>,
    /// Reserved concurrency: more concurrent invocations get 429.
    pub reserved_concurrency: Option<u32>,
    /// Who may invoke it (principal names, ARNs or `"*"`); `None`: anyone.
    pub allow: Option<Vec<String>>,
    /// Its Function URL, when it has one.
    pub url: Option<FunctionUrl>,
}

/// A Function URL (`AWS::Lambda::Url`, `FunctionUrlConfig`): HTTP straight to the function,
/// with the payload-2.0 event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunctionUrl {
    /// `NONE` (anyone) or `AWS_IAM` (SigV4-signed requests of allowed principals).
    pub auth_type: UrlAuthType,
    /// `BUFFERED` (Invoke) or `RESPONSE_STREAM` (the answer streams).
    pub invoke_mode: UrlInvokeMode,
    /// The alias the URL invokes (`$LATEST` when `None`).
    pub qualifier: Option<String>,
    /// Cross-origin settings, when any.
    pub cors: Option<Cors>,
}

/// A Function URL's CORS settings, as AWS names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cors {
    /// `AllowOrigins` (`*` for any).
    pub allow_origins: Vec<String>,
    /// `AllowMethods` (`*` for any).
    pub allow_methods: Vec<String>,
    /// `AllowHeaders`.
    pub allow_headers: Vec<String>,
    /// `ExposeHeaders`.
    pub expose_headers: Vec<String>,
    /// `MaxAge` in seconds.
    pub max_age: Option<u32>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
}

impl Function {
    /// `$LATEST` and then each published version.
    pub fn all_versions(&self) -> impl Iterator<Item = &Version> {
        std::iter::once(&self.latest).chain(self.versions.values())
    }
}

/// The resolved settings of one version.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Version {
    /// `$LATEST` or a number.
    pub version: String,
    /// What to run.
    pub code: Code,
    /// The working directory (`LAMBDA_TASK_ROOT`); relative paths of `code` resolve against it.
    pub task_root: PathBuf,
    /// Invocation timeout (default 3 s).
    pub timeout: Duration,
    /// Memory size in MB (default 128).
    pub memory_size: u32,
    /// The `Handler` setting, passed as `_HANDLER` (default `bootstrap`).
    pub handler: String,
    /// The function's own environment variables.
    pub environment: BTreeMap<String, String>,
    /// The instruction set it is deployed for. The local Lambda runs the local build whatever
    /// this says; templates declare it.
    pub architecture: Architecture,
    /// Log format and levels.
    pub logging: Logging,
    /// What the function uses for its own AWS calls: credentials, endpoints, region.
    pub aws: AwsAccess,
}

/// What a function's own AWS calls get (`aws = { ... }` in `lambda-test.toml`): the
/// variables an AWS SDK inside the function reads, which Lambda reserves, so they come from
/// here and never from `environment`.
///
/// ```
/// use lambda_test::config::{AwsCredentials, Config};
///
/// let config = Config::parse(
///     r#"
///     [functions.orders]
///     bin = "orders"
///     aws = { credentials = "static", access_key_id = "testing", secret_access_key = "testing", endpoint_url = "http://127.0.0.1:5000" }
///     "#,
///     "lambda-test.toml".as_ref(),
/// )?;
/// let aws = &config.functions["orders"].latest.aws;
/// assert!(matches!(aws.credentials, AwsCredentials::Static(_)));
/// assert_eq!(aws.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
/// # Ok::<(), lambda_test::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AwsAccess {
    /// The credentials the function gets (default: none).
    pub credentials: AwsCredentials,
    /// `AWS_ENDPOINT_URL`: every service's endpoint, e.g. a local AWS-compatible server.
    pub endpoint_url: Option<String>,
    /// Per-service endpoints, by the variable's suffix (`DYNAMODB` for
    /// `AWS_ENDPOINT_URL_DYNAMODB`); they win over [`AwsAccess::endpoint_url`] for their
    /// service, as the SDKs read them.
    pub service_endpoints: BTreeMap<String, String>,
    /// The region the function's SDK calls (`AWS_REGION`, `AWS_DEFAULT_REGION`); `None`: the
    /// local Lambda's own region, as on AWS.
    pub region: Option<String>,
}

/// Which credentials a function gets for its own AWS calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AwsCredentials {
    /// None (the default): an SDK inside the function finds no credentials and fails at once,
    /// so a test never reaches real AWS by accident.
    #[default]
    None,
    /// These keys, as `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`,
    /// the variables Lambda sets from the execution role.
    Static(StaticCredentials),
    /// The credentials the local Lambda's own process resolves through `aws-config`'s default
    /// chain (environment, profile, SSO, ...), passed in as Lambda passes the execution
    /// role's: the function acts as whoever runs the tests.
    Caller,
}

/// Keys given in the config (literal test keys, or read from the environment with `${VAR}`).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StaticCredentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
}

impl StaticCredentials {
    /// Keys for a function's own calls.
    ///
    /// ```
    /// let keys = lambda_test::config::StaticCredentials::new("testing", "testing", None);
    /// assert_eq!(keys.access_key_id, "testing");
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
        }
    }
}

// The secret stays out of logs and panic messages.
impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// What a version runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// A `[[bin]]` of the package, looked up by name; or a path (with a `/`) to an executable.
    Bin(String),
    /// A command line, e.g. `python3 -m awslambdaric app.handler`.
    Command {
        /// The executable: a name on `PATH`, or a path (with a `/`).
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
}

/// An alias: a version, optionally with a weighted second one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Alias {
    /// The name.
    pub name: String,
    /// The primary version (`$LATEST` or a number).
    pub version: String,
    /// A second published version that gets a share of the invocations.
    pub additional: Option<WeightedVersion>,
    /// Who may invoke through this alias (instead of the function's `allow`).
    pub allow: Option<Vec<String>>,
}

/// The additional version of a weighted alias.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WeightedVersion {
    /// A published version other than the alias's primary one.
    pub version: String,
    /// The share of invocations it gets, 0.0 to 1.0.
    pub weight: f64,
}

impl Alias {
    /// The version an invocation runs, given a uniform random number in `0.0..1.0`.
    pub fn pick(&self, random: f64) -> &str {
        match &self.additional {
            Some(extra) if random < extra.weight => &extra.version,
            _ => &self.version,
        }
    }
}

/// The instruction set architecture of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Architecture {
    /// `x86_64`, AWS's default.
    #[default]
    X86_64,
    /// `arm64` (Graviton).
    Arm64,
}

/// A function's logging controls (AWS's `LoggingConfig`).
///
/// In the JSON format the local Lambda writes `platform.*` records filtered by the system
/// level, and drops the function's lines below the application level.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Logging {
    /// `Text` (default) or `JSON`.
    pub format: LogFormat,
    /// The least severe application record kept; JSON format only (default `INFO`).
    pub application_level: ApplicationLogLevel,
    /// The least severe platform record kept; JSON format only (default `INFO`).
    pub system_level: SystemLogLevel,
    /// The CloudWatch log group (default `/aws/lambda/<function name>`).
    pub log_group: String,
}

impl Logging {
    /// AWS's defaults for a function.
    pub fn defaults(function: &str) -> Logging {
        Logging {
            format: LogFormat::Text,
            application_level: ApplicationLogLevel::Info,
            system_level: SystemLogLevel::Info,
            log_group: format!("/aws/lambda/{function}"),
        }
    }
}

/// Defines a closed set of values spelled as AWS spells them, with `FromStr` and `Display`;
/// a parse error lists every valid spelling.
macro_rules! aws_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every valid spelling, in AWS's order.
            pub const VALUES: &[&str] = &[$($text),+];

            /// The spelling AWS uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("{s:?} is not one of {}", quote_all(Self::VALUES))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

aws_enum!(
    /// `LogFormat`: how the function's log lines are written.
    LogFormat {
        /// Plain lines (the default).
        Text = "Text",
        /// One JSON object per line.
        Json = "JSON",
    }
);

aws_enum!(
    /// `ApplicationLogLevel`: the least severe application record kept.
    ApplicationLogLevel {
        /// Everything.
        Trace = "TRACE",
        /// Debug and above.
        Debug = "DEBUG",
        /// Info and above (the default).
        Info = "INFO",
        /// Warnings and above.
        Warn = "WARN",
        /// Errors and above.
        Error = "ERROR",
        /// Fatal only.
        Fatal = "FATAL",
    }
);

aws_enum!(
    /// `SystemLogLevel`: the least severe platform record kept.
    SystemLogLevel {
        /// Every platform record, `runtimeDone` included.
        Debug = "DEBUG",
        /// `start`, `report` and the init records (the default).
        Info = "INFO",
        /// Warnings only.
        Warn = "WARN",
    }
);

aws_enum!(
    /// `AuthType` of a Function URL.
    UrlAuthType {
        /// Anyone may call it.
        None = "NONE",
        /// Only SigV4-signed requests of principals allowed to invoke.
        AwsIam = "AWS_IAM",
    }
);

aws_enum!(
    /// `InvokeMode` of a Function URL.
    UrlInvokeMode {
        /// The answer is collected, as Invoke does (the default).
        Buffered = "BUFFERED",
        /// The answer streams as the function writes it.
        ResponseStream = "RESPONSE_STREAM",
    }
);

impl FromStr for Architecture {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "x86_64" => Ok(Architecture::X86_64),
            "arm64" => Ok(Architecture::Arm64),
            _ => Err(format!("{s:?} is not one of \"x86_64\", \"arm64\"")),
        }
    }
}

/// `"a", "b", "c"`.
fn quote_all(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `^(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-[0-9]$`, by hand: compiling the regex was
/// a cost every test process paid when it loaded lambda-test.toml (BENCHMARKS.md).
pub(crate) fn is_region(s: &str) -> bool {
    fn lower(part: &str) -> bool {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase())
    }
    fn partition(part: &str) -> bool {
        part == "gov"
            || part
                .strip_prefix("iso")
                .is_some_and(|x| x.is_empty() || (x.len() == 1 && lower(x)))
    }
    let name_and_digit = |rest: &[&str]| matches!(rest, [name, digit] if lower(name) && digit.len() == 1 && digit.as_bytes()[0].is_ascii_digit());
    let parts: Vec<&str> = s.strip_prefix("eusc-").unwrap_or(s).split('-').collect();
    match parts.as_slice() {
        [area, rest @ ..] if area.len() == 2 && lower(area) => {
            // The partition is optional: `us-gov-1` is area `us`, name `gov`.
            name_and_digit(rest)
                || matches!(rest, [p, tail @ ..] if partition(p) && name_and_digit(tail))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_region_matches_the_sdk_pattern() {
        let re =
            regex::Regex::new(r"^(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-[0-9]$").unwrap();
        let parts = [
            "", "eusc", "us", "u", "usa", "gov", "iso", "isob", "isoB", "isobb", "west", "1", "12",
            "x", "US", "Ab",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        for s in [
                            format!("{a}-{b}-{c}-{d}"),
                            format!("{a}-{b}-{c}"),
                            format!("{a}-{b}"),
                        ] {
                            assert_eq!(is_region(&s), re.is_match(&s), "{s:?}");
                            checked += usize::from(re.is_match(&s));
                        }
                    }
                }
            }
        }
        // The grid holds valid regions of every shape, not only refusals.
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn log_settings_parse_as_aws_spells_them() {
        assert_eq!("JSON".parse(), Ok(LogFormat::Json));
        assert_eq!("Text".parse(), Ok(LogFormat::Text));
        // AWS's casing: `Text`, not `TEXT`; `JSON`, not `json`.
        assert_eq!(
            "TEXT".parse::<LogFormat>(),
            Err("\"TEXT\" is not one of \"Text\", \"JSON\"".to_owned())
        );
        assert!("json".parse::<LogFormat>().is_err());
        for level in ApplicationLogLevel::VALUES {
            assert_eq!(
                level.parse::<ApplicationLogLevel>().unwrap().as_str(),
                *level
            );
        }
        assert!("TRACE".parse::<SystemLogLevel>().is_err());
        assert_eq!("WARN".parse(), Ok(SystemLogLevel::Warn));
    }

    #[test]
    fn logging_defaults_to_text_and_the_function_log_group() {
        let logging = Logging::defaults("greeter");
        assert_eq!(logging.format, LogFormat::Text);
        assert_eq!(logging.application_level, ApplicationLogLevel::Info);
        assert_eq!(logging.system_level, SystemLogLevel::Info);
        assert_eq!(logging.log_group, "/aws/lambda/greeter");
    }

    #[test]
    fn a_weighted_alias_picks_by_weight() {
        let alias = Alias {
            name: "live".into(),
            version: "2".into(),
            additional: Some(WeightedVersion {
                version: "1".into(),
                weight: 0.25,
            }),
            allow: None,
        };
        assert_eq!(alias.pick(0.0), "1");
        assert_eq!(alias.pick(0.2499), "1");
        assert_eq!(alias.pick(0.25), "2");
        assert_eq!(alias.pick(0.99), "2");
        let plain = Alias {
            additional: None,
            ..alias
        };
        assert_eq!(plain.pick(0.0), "2");
    }
}

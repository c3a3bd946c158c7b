//! The functions the embedded local Lambda serves: `lambda-test.toml`, over cargo-lambda's
//! `[package.metadata.lambda]` and SAM/CloudFormation templates (see "Where functions are
//! declared" below).
//!
//! ```toml
//! [emulator]                       # optional
//! region = "us-east-1"
//! account_id = "123456789012"
//! event_retry_delays = [1.0, 2.0]  # seconds before each retry of a failed Event (AWS: ~60, ~120)
//! dead_letter_file = "dead-letters.jsonl"   # failed events, one destination record per line
//! bin_dir = "target/debug"         # where `bin` is looked for (default: next to the test binary)
//!
//! [emulator.principals.ci]         # declaring any principal turns SigV4 verification on
//! access_key_id = "AKIDCI"
//! secret_access_key = "ci-secret"
//! # arn = "arn:aws:iam::123456789012:role/ci"   (default: ...:user/<name>)
//!
//! [functions.greeter]
//! bin = "greeter"                  # a [[bin]] of this package, or a path
//! # command = ["python3", "-m", "awslambdaric", "app.handler"]   (instead of `bin`)
//! timeout = 3                      # seconds (default 3)
//! memory_size = 128                # MB (default 128), reported in REPORT lines
//! handler = "bootstrap"            # `_HANDLER`
//! environment = { GREETING = "Hello" }   # not what Lambda reserves (AWS_REGION, ...) nor `_...`
//! reserved_concurrency = 4         # more concurrent invocations get 429
//! allow = ["ci"]                   # who may invoke (default: anyone)
//! logging = { format = "JSON", application_level = "INFO", system_level = "INFO", log_group = "/aws/lambda/greeter" }
//! #   AWS's LoggingConfig: format "Text" (default) or "JSON"; application_level TRACE, DEBUG,
//! #   INFO, WARN, ERROR or FATAL and system_level DEBUG, INFO or WARN (JSON only, default
//! #   INFO); log_group (default /aws/lambda/<name>). JSON writes platform.* records, the
//! #   runtime gets AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL, and the function's lines
//! #   below application_level are dropped (by a JSON line's "level"; other lines are INFO).
//! aws = { credentials = "static", access_key_id = "testing", secret_access_key = "testing", endpoint_urls = { dynamodb = "${DYNAMODB_ENDPOINT:-http://127.0.0.1:8000}" } }
//! #   The function's own AWS calls (Lambda reserves these variables: not in `environment`):
//! #   credentials "none" (default: an SDK finds none), "static" (access_key_id,
//! #   secret_access_key, session_token: AWS_ACCESS_KEY_ID...) or "caller" (what aws-config's
//! #   default chain resolves for whoever runs the tests); endpoint_url (AWS_ENDPOINT_URL) and
//! #   endpoint_urls per service id (AWS_ENDPOINT_URL_DYNAMODB...); region (AWS_REGION and
//! #   AWS_DEFAULT_REGION, default the emulator's). Values expand ${VAR} and ${VAR:-default};
//! #   a version's `aws` replaces $LATEST's whole.
//!
//! [functions.greeter.versions.1]   # a published version: $LATEST's settings with overrides
//! environment = { GREETING = "Hi" }  # merged over $LATEST's; `logging` merges key by key
//!
//! [functions.greeter.aliases]
//! live = "1"                       # or { version = "2", weights = { "1" = 0.25 }, allow = [...] }
//!
//! [functions.greeter.url]          # a Function URL: http://<local Lambda>/lambda-url/greeter/...
//! auth_type = "NONE"               # or "AWS_IAM": SigV4-signed, by principals `allow` admits
//! invoke_mode = "BUFFERED"         # or "RESPONSE_STREAM"
//! # qualifier = "live"             # the alias it invokes (default $LATEST)
//! # cors = { allow_origins = ["https://example.com"], allow_methods = ["GET"], max_age = 300 }
//!
//! [template]                       # optional: a SAM/CloudFormation template and its parameters
//! path = "infra/template.yaml"     # instead of the template.yaml / cdk.out found in the package
//! parameters = { Stage = "test" }  # over the parameters' defaults
//! ```
//!
//! Every table rejects unknown keys; errors name the file, the line and column, what is wrong
//! and the valid keys or values.
//!
//! # Where functions are declared, and which source wins
//!
//! [`Config::load`] reads a package's sources in this order, each overlaying the ones before
//! it field by field (environment variables merge name by name):
//!
//! 1. cargo-lambda's metadata in the package's `Cargo.toml`, when it has
//!    `[package.metadata.lambda]` (with the workspace root's `[workspace.metadata.lambda]`):
//!    one function per binary, named as `cargo lambda deploy` names it (`deploy.name`, else
//!    the binary), with `deploy.memory`, `deploy.timeout`, `deploy.env`/`env_var`,
//!    `deploy.env_file` and the `env` tables, merged with cargo-lambda's precedence: the
//!    workspace table, the workspace's per-binary table, then the package's per-binary table
//!    when there is one, else the package table. Keys that matter only to a deploy (`role`,
//!    `layers`, `vpc`, `tags`, `s3_*`, `build`, `watch`...) are accepted and ignored.
//! 2. SAM and CloudFormation templates (`template.yaml`, `cdk.out/*.template.json`, or the
//!    file `[template] path` or `LAMBDA_TEST_TEMPLATE` names): see the `template` module.
//!    A template and the metadata that define one function differently, where
//!    `lambda-test.toml` does not settle it, are an error naming both.
//! 3. `lambda-test.toml`, the overlay, which wins where they disagree.
//!
//! ```toml
//! # Cargo.toml
//! [package.metadata.lambda.deploy]
//! memory = 256
//! timeout = 2
//! env = { TABLE_NAME = "orders" }
//! ```
//!
//! ```toml
//! # lambda-test.toml (optional): here `order-status` gets 5 s, 256 MB and both variables
//! [functions.order-status]
//! timeout = 5
//! environment = { DEBUG = "1" }
//! ```
//!
//! A package with `[package.metadata.lambda]` or a template needs no `lambda-test.toml`. A package with
//! neither (a plain binary crate, or only `[workspace.metadata.lambda]` above it) declares no
//! function: it must say "lambda" somewhere.
//!
//! # Sources and the model
//!
//! [`Config`] is the model the local Lambda serves, with every default applied. Inside the
//! crate it is built from sources (the `Source` trait): each declares `Definitions` (every
//! value optional, each with the file, line and column it was read from), later sources
//! overlay earlier ones field by field, and one resolver checks the result and applies the
//! defaults, so a rule or a default holds for every source alike. `lambda-test.toml` is the
//! last source: the overlay for what only tests need, which wins where they disagree.

mod agree;
mod aws_access;
mod cargo_lambda;
mod definition;
mod model;
mod resolve;
mod template;
mod toml_source;

#[cfg(test)]
mod template_tests;
#[cfg(test)]
mod tests;

use std::path::Path;

use cargo_lambda::package_binaries;
pub(crate) use cargo_lambda::{CargoLambdaSource, has_lambda_metadata, may_have_metadata};
pub(crate) use definition::Definitions;
pub(crate) use model::is_region;
pub use model::{
    Alias, ApplicationLogLevel, Architecture, AwsAccess, AwsCredentials, Code, Config, Cors,
    EmulatorSettings, Function, FunctionUrl, LogFormat, Logging, Principal, RESERVED_VARIABLES,
    StaticCredentials, SystemLogLevel, UrlAuthType, UrlInvokeMode, Version, WeightedVersion,
};
pub use template::TEMPLATE_VARIABLE;
pub(crate) use template::{TemplateSource, has_template};
pub(crate) use toml_source::TomlSource;

pub use crate::CONFIG_FILE_NAME;
use crate::Error;

/// A place that declares functions: cargo-lambda's metadata, SAM/CloudFormation templates and
/// `lambda-test.toml`.
///
/// A source reads its own format and declares only what that format says, marking each
/// value with where it was read; it applies no defaults and checks only its format's own
/// rules, so that the rules and defaults of [`Definitions::resolve`] hold for every source
/// alike. A new source is one file in this folder, listed in [`Config::load`]'s sources
/// before `lambda-test.toml`.
///
/// What a source carries has its place in
/// [`SettingsDefinition`](definition::SettingsDefinition): memory, timeout, environment,
/// handler, architecture, logging, and the code (a template's `CodeUri` or a cargo-lambda
/// binary, with its directory as the task root). A SAM `AutoPublishAlias` or an
/// `AWS::Lambda::Alias` becomes an [`AliasDefinition`](definition::AliasDefinition), a
/// `FunctionUrlConfig` or an `AWS::Lambda::Url` a [`UrlDefinition`](definition::UrlDefinition).
pub(crate) trait Source {
    /// What this source declares.
    fn definitions(&self) -> Result<Definitions, Error>;
}

impl Config {
    /// Reads and validates the functions of the package whose `lambda-test.toml` is `path`:
    /// cargo-lambda's `[package.metadata.lambda]` of the `Cargo.toml` beside it (when it has
    /// one), then the file at `path` as the overlay that wins. The file may be absent when
    /// the `Cargo.toml` declares the functions.
    ///
    /// ```no_run
    /// use lambda_test::config::Config;
    ///
    /// let config = Config::load("examples/cargo-lambda-fn/lambda-test.toml".as_ref())?;
    /// println!("{:?}", config.functions.keys().collect::<Vec<_>>());
    /// # Ok::<(), lambda_test::Error>(())
    /// ```
    pub fn load(path: &Path) -> Result<Config, Error> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let package_dir = path.parent().unwrap_or(Path::new("/"));
        let overlay = match std::fs::read_to_string(&path) {
            Ok(text) => Some(TomlSource::new(text, &path).definitions()?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(Error::ConfigRead { path, source }),
        };
        let mut deployed = Vec::new();
        if let Some(cargo_lambda) = CargoLambdaSource::discover(package_dir)? {
            deployed.push(cargo_lambda.definitions()?);
        }
        for template in TemplateSource::discover(package_dir, overlay.as_ref())? {
            deployed.push(template.definitions()?);
        }
        if overlay.is_none() && deployed.is_empty() {
            let source = std::io::Error::from(std::io::ErrorKind::NotFound);
            return Err(Error::ConfigRead { path, source });
        }
        Self::from_definitions(deployed, overlay, &path)
    }

    /// Reads the functions of one SAM or CloudFormation template (YAML or JSON) alone: no
    /// cargo-lambda metadata, no `lambda-test.toml`, parameters at their defaults. `path`
    /// names it in messages; relative `CodeUri`s resolve against its directory, which is
    /// also the package whose binaries a CDK asset maps to.
    ///
    /// ```
    /// use lambda_test::config::Config;
    ///
    /// let template = "Resources:\n  Api:\n    Type: AWS::Lambda::Function\n    Properties: { MemorySize: 512 }\n";
    /// let config = Config::parse_template(template, "/app/template.yaml".as_ref());
    /// // It declares no code: lambda-test.toml would give it (`bin` or `command`).
    /// assert!(config.unwrap_err().to_string().contains("needs `bin`"));
    /// ```
    pub fn parse_template(text: &str, path: &Path) -> Result<Config, Error> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let dir = path.parent().unwrap_or(Path::new("/"));
        let source = TemplateSource::new(text, &path, dir);
        Self::from_definitions(
            vec![source.definitions()?],
            None,
            &dir.join(CONFIG_FILE_NAME),
        )
    }

    /// The model of what the deployment sources declare (cargo-lambda, templates), which
    /// must agree where they overlap, under the overlay (`lambda-test.toml`), which wins.
    fn from_definitions(
        deployed: Vec<Definitions>,
        overlay: Option<Definitions>,
        path: &Path,
    ) -> Result<Config, Error> {
        let mut definitions = Definitions::default();
        for source in deployed {
            agree::check(&definitions, &source, overlay.as_ref())?;
            definitions.overlay(source);
        }
        if let Some(overlay) = overlay {
            definitions.overlay(overlay);
        }
        definitions.resolve(path)
    }

    /// Parses and validates config text; `path` is used for error messages and relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        // Absolute, so that a relative `--config lambda-test.toml` gives instances a real
        // working directory (a bare file name's parent is the empty path).
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        Self::from_sources(&[&TomlSource::new(text, &path)], &path)
    }

    /// The model of several sources, each overlaying the ones before it; `path` is the
    /// overlay file (`lambda-test.toml`, the last source): [`Config::path`], and its directory
    /// the task root of functions no source gives one.
    pub(crate) fn from_sources(sources: &[&dyn Source], path: &Path) -> Result<Config, Error> {
        let mut definitions = Definitions::default();
        for source in sources {
            definitions.overlay(source.definitions()?);
        }
        definitions.resolve(path)
    }
}

//! The one error type of the library.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Everything that can go wrong before an invocation has an [`Outcome`](crate::Outcome), and
/// while a test reaches its local Lambda.
///
/// One variant per failure; messages are lowercase, carry their cause, and say what to do.
///
/// ```no_run
/// # async fn demo(client: aws_sdk_lambda::Client) {
/// use lambda_test::Invocation;
///
/// let error = Invocation::new("nope").send(&client).await.unwrap_err();
/// assert_eq!(error.code(), Some("ResourceNotFoundException"));
/// # }
/// ```
///
/// The harness starts a local Lambda or builds a client once per process and hands every test
/// the same result, so an error it remembers reaches each test as [`Error::Shared`]: its
/// message is the original's, and [`Error::inner`] gives the original to match on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file that defines functions (`lambda-test.toml`, a `Cargo.toml`, a template) could
    /// not be read.
    #[error("failed to read {}: {source}", path.display())]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file that defines functions (`lambda-test.toml`, a `Cargo.toml`, a template) is not
    /// valid.
    #[error("invalid {}: {message}", path.display())]
    ConfigInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// A function's binary does not exist.
    #[error(
        "function `{function}` in {}: binary `{bin}` not found (looked in {}); \
         `bin` must name a [[bin]] target of this package, which `cargo test` builds for \
         integration tests in `tests/`: fix the name, or build it with `cargo build --bin {bin}`",
        config.display(),
        searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    MissingBinary {
        /// The function.
        function: String,
        /// The `bin` value.
        bin: String,
        /// The config file naming it.
        config: PathBuf,
        /// Directories searched.
        searched: Vec<PathBuf>,
    },
    /// The local Lambda could not listen on its address.
    #[error("failed to start the local Lambda: failed to bind {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// `LAMBDA_TEST_TARGET` (or the package's `target` setting) names no target.
    #[error(
        "failed to choose a target: {setting}={value:?} is not `local` or `aws`; \
         `local` runs the package's functions on the embedded local Lambda, `aws` invokes the \
         deployed ones"
    )]
    InvalidTarget {
        /// Where the value comes from: `LAMBDA_TEST_TARGET`, or the package's manifest key.
        setting: String,
        /// The value.
        value: String,
    },
    /// The local Lambda was asked for, but the package defines no local function.
    #[error(
        "failed to start the local Lambda: {reason}, but there is no {} in {}, no SAM or \
         CloudFormation template (template.yaml, cdk.out/*.template.json) and its Cargo.toml \
         has no cargo-lambda `[package.metadata.lambda]`",
        crate::CONFIG_FILE_NAME,
        package_dir.display()
    )]
    NoLocalConfig {
        /// What asked for it (`LAMBDA_TEST_TARGET=local`, ...).
        reason: String,
        /// The directory searched.
        package_dir: PathBuf,
    },
    /// Nothing says where invocations go: no local definition, and real AWS not asked for.
    #[error(
        "failed to choose a target: there is no {file} in {dir}, no SAM or CloudFormation \
         template (template.yaml, cdk.out/*.template.json) and no cargo-lambda \
         `[package.metadata.lambda]` in {dir}/Cargo.toml, and real AWS is reached only when \
         asked for; define the package's functions in {dir}/{file} (or in a template, or in \
         `[package.metadata.lambda]`) for the embedded local Lambda, or invoke the deployed functions with `LAMBDA_TEST_TARGET=aws` or with \
         `[package.metadata.lambda-test] target = \"aws\"` in {dir}/Cargo.toml",
        file = crate::CONFIG_FILE_NAME,
        dir = package_dir.display()
    )]
    NoTarget {
        /// The directory searched.
        package_dir: PathBuf,
    },
    /// The package's `[package.metadata.lambda-test]` could not be read.
    #[error("failed to read `[package.metadata.lambda-test]` of {}: {message}", manifest.display())]
    PackageMetadata {
        /// The package's `Cargo.toml`.
        manifest: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `profile` names a principal the local Lambda does not declare.
    #[error(
        "failed to sign as `{name}`: {} declares no principal `{name}` under \
         [emulator.principals]; `profile` names the principal to sign as locally{}",
        config.display(),
        if *defaulted { " (declare a `default` principal, or set `profile`)" } else { "" }
    )]
    UnknownPrincipal {
        /// The config file.
        config: PathBuf,
        /// The principal's name or ARN.
        name: String,
        /// Whether the name is the default one (the test named none).
        defaulted: bool,
    },
    /// A local target, in a build without the `emulator` feature.
    #[error(
        "failed to start the local Lambda: {} needs the `emulator` feature of lambda-test; \
         enable it (a default feature), or set `LAMBDA_TEST_TARGET=aws`",
        config.display()
    )]
    EmulatorDisabled {
        /// The config file.
        config: PathBuf,
    },
    /// The state directory of a shared local Lambda could not be used.
    #[error("failed to start the local Lambda: shared local Lambda in {}: {what}: {source}", dir.display())]
    SharedState {
        /// The state directory.
        dir: PathBuf,
        /// What failed (`lock \`users\``, ...).
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// A control request to a local Lambda (drained, dead letters, ...) failed.
    #[error(
        "failed to reach the local Lambda at {endpoint}{}: {message}",
        state_dir.as_deref().map(in_state_dir).unwrap_or_default()
    )]
    Control {
        /// Its endpoint.
        endpoint: String,
        /// The state directory of a shared server, whose `server.log` holds its output.
        state_dir: Option<PathBuf>,
        /// What failed.
        message: String,
    },
    /// No `Event` invocation with this request id reached the local Lambda.
    #[error(
        "failed to wait for event `{request_id}`: no `Event` invocation with this request id \
         reached the local Lambda; pass the request id of a 202 answer of the same local Lambda"
    )]
    UnknownEvent {
        /// The request id asked for.
        request_id: String,
    },
    /// An `Event` invocation had not finished in time.
    #[error(
        "failed to wait for event `{request_id}`: not finished after {timeout:?}; wait longer \
         (`event_result_within`), or check the function's log and `event_retry_delays`"
    )]
    EventTimeout {
        /// The request id.
        request_id: String,
        /// How long the wait was.
        timeout: Duration,
    },
    /// An event result was asked of an invocation that no local Lambda queued.
    #[error("failed to wait for the event result: {reason}")]
    NoEventResult {
        /// Why there is none, and what to do.
        reason: String,
    },
    /// The invocation could not be sent or was refused by the service.
    #[error("failed to invoke `{function}`: {message}")]
    Invoke {
        /// The function name as given.
        function: String,
        /// The service error code (`ResourceNotFoundException`, ...), if the service answered.
        code: Option<String>,
        /// The error message.
        message: String,
    },
    /// The CA bundle (`ca_bundle`, `AWS_CA_BUNDLE`) could not be read or holds no certificate.
    #[error("failed to use the CA bundle {}: {reason}; give a PEM file of the certificates to trust (`ca_bundle`, AWS_CA_BUNDLE)", path.display())]
    CaBundle {
        /// The bundle.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A function has `aws = { credentials = "caller" }`, and the default chain of the process
    /// that runs the local Lambda gives no credentials.
    #[error(
        "failed to resolve the credentials of functions with `credentials = \"caller\"` ({functions}): {message}"
    )]
    CallerCredentials {
        /// The functions that ask for them.
        functions: String,
        /// Why, and what to do.
        message: String,
    },
    /// A payload file or argument is not usable.
    #[error("invalid payload: {0}")]
    Payload(String),
    /// A `${VAR}` in an attribute value names an unset variable.
    #[error("environment variable `{0}` is not set (used as `${{{0}}}`)")]
    MissingVariable(String),
    /// An error the harness remembers and gives every test that asks again (a local Lambda
    /// that failed to start, a client that could not be built): the message is the original's.
    #[error(transparent)]
    Shared(Arc<Error>),
}

fn in_state_dir(dir: &Path) -> String {
    format!(" (its output: {})", dir.join("server.log").display())
}

impl Error {
    /// The AWS error code, for an invocation the service refused.
    pub fn code(&self) -> Option<&str> {
        match self.inner() {
            Error::Invoke { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The error itself: the original of a [`Error::Shared`], else `self`.
    ///
    /// ```
    /// use lambda_test::Error;
    /// use std::sync::Arc;
    ///
    /// let original = Error::MissingVariable("HOME".into());
    /// let shared = Error::Shared(Arc::new(original));
    /// assert!(matches!(shared.inner(), Error::MissingVariable(name) if name == "HOME"));
    /// ```
    pub fn inner(&self) -> &Error {
        match self {
            Error::Shared(original) => original.inner(),
            other => other,
        }
    }

    /// An error as a cache holds it: shared, never nested twice.
    pub(crate) fn into_shared(self) -> Arc<Error> {
        match self {
            Error::Shared(original) => original,
            other => Arc::new(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_error_reads_as_its_original() {
        let original = Error::Invoke {
            function: "f".into(),
            code: Some("ResourceNotFoundException".into()),
            message: "no".into(),
        };
        let text = original.to_string();
        let shared = Error::Shared(original.into_shared());
        assert_eq!(shared.to_string(), text);
        assert_eq!(shared.code(), Some("ResourceNotFoundException"));
        let twice = Error::Shared(shared.into_shared());
        assert!(matches!(twice, Error::Shared(ref e) if matches!(**e, Error::Invoke { .. })));
    }

    #[test]
    fn messages_name_the_fix() {
        let no_target = Error::NoTarget {
            package_dir: "/p".into(),
        }
        .to_string();
        assert!(
            no_target.contains("no lambda-test.toml in /p"),
            "{no_target}"
        );
        assert!(no_target.contains("LAMBDA_TEST_TARGET=aws"), "{no_target}");
        assert!(
            no_target.contains("target = \"aws\"` in /p/Cargo.toml"),
            "{no_target}"
        );
        let control = Error::Control {
            endpoint: "http://127.0.0.1:1".into(),
            state_dir: Some("/s".into()),
            message: "refused".into(),
        }
        .to_string();
        assert_eq!(
            control,
            "failed to reach the local Lambda at http://127.0.0.1:1 (its output: /s/server.log): refused"
        );
    }
}

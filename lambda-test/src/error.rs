//! The one error type of the library.

use std::path::PathBuf;

/// Everything that can go wrong before an invocation has an [`Outcome`](crate::Outcome).
///
/// Messages are lowercase, carry their cause, and say what to do.
///
/// ```no_run
/// # async fn demo(client: aws_sdk_lambda::Client) {
/// use lambda_test::Invocation;
///
/// let error = Invocation::new("nope").send(&client).await.unwrap_err();
/// assert_eq!(error.code(), Some("ResourceNotFoundException"));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `lambda-test.toml` could not be read.
    #[error("failed to read {}: {source}", path.display())]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `lambda-test.toml` is not valid.
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
    /// The local Lambda could not start.
    #[error("failed to start the local Lambda: {0}")]
    EmulatorStart(String),
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
    /// A payload file or argument is not usable.
    #[error("invalid payload: {0}")]
    Payload(String),
    /// A `${VAR}` in an attribute value names an unset variable.
    #[error("environment variable `{0}` is not set (used as `${{{0}}}`)")]
    MissingVariable(String),
}

impl Error {
    /// The AWS error code, for an invocation the service refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Invoke { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

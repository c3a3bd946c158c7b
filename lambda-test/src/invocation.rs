//! One `Invoke` call through `aws-sdk-lambda`: the single invoke path for every target.

use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata as _};
use aws_sdk_lambda::operation::RequestId as _;
use aws_sdk_lambda::primitives::Blob;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::Error;
use crate::outcome::Outcome;
use crate::tail_log::TailLog;

/// How the function is invoked (`--invocation-type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InvocationType {
    /// Synchronous: wait for the response (200).
    #[default]
    RequestResponse,
    /// Asynchronous: queued, answered with 202 at once.
    Event,
    /// A permission and parameter check without running the function (204).
    DryRun,
}

/// Whether the last 4 KB of the log come back (`--log-type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogType {
    /// `Tail`: the log comes back and is parsed (the default here, unlike the CLI).
    #[default]
    Tail,
    /// `None`.
    None,
}

/// A builder for one invocation: the counterpart of `aws lambda invoke`.
///
/// ```no_run
/// # async fn demo(client: aws_sdk_lambda::Client) -> Result<(), lambda_test::Error> {
/// use lambda_test::{Invocation, InvocationType};
///
/// let outcome = Invocation::new("greeter")
///     .qualifier("live")
///     .payload(r#"{"name": "Bob"}"#)
///     .send(&client)
///     .await?;
/// assert_eq!(outcome.status_code, 200);
///
/// let dry_run = Invocation::new("greeter")
///     .invocation_type(InvocationType::DryRun)
///     .send(&client)
///     .await?;
/// assert_eq!(dry_run.status_code, 204);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Invocation {
    function: String,
    qualifier: Option<String>,
    payload: Option<Vec<u8>>,
    invocation_type: InvocationType,
    log: LogType,
    client_context: Option<String>,
    tenant_id: Option<String>,
}

impl Invocation {
    /// Invokes `function`: a name, `name:qualifier`, or a full or partial ARN (`--function-name`).
    pub fn new(function: impl Into<String>) -> Self {
        Self {
            function: function.into(),
            ..Self::default()
        }
    }

    /// A version or alias (`--qualifier`).
    pub fn qualifier(mut self, qualifier: impl Into<String>) -> Self {
        self.qualifier = Some(qualifier.into());
        self
    }

    /// The event, as raw bytes (`--payload`); usually JSON text.
    pub fn payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.payload = Some(payload.into());
        self
    }

    /// The event, as a JSON value.
    pub fn payload_json(self, payload: &serde_json::Value) -> Self {
        self.payload(payload.to_string())
    }

    /// `RequestResponse` (default), `Event` or `DryRun` (`--invocation-type`).
    pub fn invocation_type(mut self, invocation_type: InvocationType) -> Self {
        self.invocation_type = invocation_type;
        self
    }

    /// Whether the tail log comes back (`--log-type`); default [`LogType::Tail`].
    pub fn log(mut self, log: LogType) -> Self {
        self.log = log;
        self
    }

    /// Client context as JSON text; it is sent base64-encoded (`--client-context` takes the
    /// encoded form).
    pub fn client_context(mut self, json: impl Into<String>) -> Self {
        self.client_context = Some(json.into());
        self
    }

    /// The tenant id of a multi-tenant function.
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// The function name as given.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// Sends the invocation. Function errors are an [`Outcome`] (status 200 with
    /// `function_error`); a refused request is an [`Error::Invoke`] with the service's code.
    pub async fn send(&self, client: &aws_sdk_lambda::Client) -> Result<Outcome, Error> {
        use aws_sdk_lambda::types::{InvocationType as Sdk, LogType as SdkLog};
        let mut request = client
            .invoke()
            .function_name(&self.function)
            .invocation_type(match self.invocation_type {
                InvocationType::RequestResponse => Sdk::RequestResponse,
                InvocationType::Event => Sdk::Event,
                InvocationType::DryRun => Sdk::DryRun,
            })
            .log_type(match self.log {
                LogType::Tail => SdkLog::Tail,
                LogType::None => SdkLog::None,
            })
            .set_qualifier(self.qualifier.clone())
            .set_tenant_id(self.tenant_id.clone())
            .set_client_context(self.client_context.as_ref().map(|c| BASE64.encode(c)));
        if let Some(payload) = &self.payload {
            request = request.payload(Blob::new(payload.clone()));
        }
        match request.send().await {
            Ok(output) => Ok(Outcome {
                status_code: u16::try_from(output.status_code()).unwrap_or(0),
                function_error: output.function_error().map(str::to_owned),
                executed_version: output.executed_version().map(str::to_owned),
                payload: output
                    .payload()
                    .map(|b| b.as_ref().to_vec())
                    .filter(|b| !b.is_empty()),
                log: output
                    .log_result()
                    .and_then(|encoded| TailLog::decode(encoded).ok()),
                request_id: output.request_id().map(str::to_owned),
            }),
            Err(e) => {
                let code = e.code().map(str::to_owned);
                let message = match (e.code(), e.message()) {
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    _ => DisplayErrorContext(&e).to_string(),
                };
                Err(Error::Invoke {
                    function: self.function.clone(),
                    code,
                    message,
                })
            }
        }
    }
}

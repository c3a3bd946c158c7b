//! One `Invoke` or `InvokeWithResponseStream` call through `aws-sdk-lambda`: the single invoke
//! path for every target.

use std::time::Instant;

use aws_sdk_lambda::config::http::HttpResponse;
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::operation::RequestId as _;
use aws_sdk_lambda::primitives::Blob;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::Error;
use crate::client::outcome::Outcome;
use crate::client::sdk_error::{self, RecordEndpoint};
use crate::client::stream::ResponseStream;
use crate::client::tail_log::TailLog;

/// How the function is invoked (`--invocation-type`).
///
/// ```
/// use lambda_test::{Invocation, InvocationType};
///
/// let check = Invocation::new("greeter").invocation_type(InvocationType::DryRun);
/// # let _ = check;
/// ```
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

impl InvocationType {
    /// The `X-Amz-Invocation-Type` value, as AWS names the type in its messages.
    ///
    /// ```
    /// assert_eq!(lambda_test::InvocationType::DryRun.as_str(), "DryRun");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            InvocationType::RequestResponse => "RequestResponse",
            InvocationType::Event => "Event",
            InvocationType::DryRun => "DryRun",
        }
    }
}

/// Whether the last 4 KB of the log come back (`--log-type`).
///
/// ```
/// use lambda_test::{Invocation, LogType};
///
/// let quiet = Invocation::new("greeter").log(LogType::None);
/// # let _ = quiet;
/// ```
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
    retries: u32,
}

/// How many times a throttled invocation (`TooManyRequestsException`, 429) is retried by
/// default: throttling means the function did not run, so a retry cannot run it twice.
pub const THROTTLING_RETRIES: u32 = 3;

/// Whether a failed attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Refused for good.
    No,
    /// Throttled: the function did not run.
    Throttled,
    /// A timeout, a connection failure or a 5xx: the function may have run.
    Transient,
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

    /// Retries after a timeout, a connection failure or a 5xx answer (default 0: a retried
    /// invocation may run a non-idempotent function twice). Throttling is always retried, up
    /// to this many times or [`THROTTLING_RETRIES`], whichever is more.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The function name as given.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// Sends the invocation. Function errors are an [`Outcome`] (status 200 with
    /// `function_error`); a refused request is an [`Error::Invoke`] with the service's code.
    /// Throttling is retried with a backoff; other failures only with [`Invocation::retries`].
    pub async fn send(&self, client: &aws_sdk_lambda::Client) -> Result<Outcome, Error> {
        self.with_retries(|| self.send_once(client)).await
    }

    /// Sends the invocation with `InvokeWithResponseStream` (`aws lambda
    /// invoke-with-response-stream`): the stream answers once its headers are in, and gives
    /// the payload chunks as they arrive, then the [`Outcome`]
    /// ([`ResponseStream::finish`]). A function that fails reports it in the stream's final
    /// `InvokeComplete` event ([`Streamed::error`](crate::Streamed::error)), not as an
    /// `Error`. Refusals and retries are as for [`Invocation::send`]; once the stream has
    /// started nothing is retried. `InvokeWithResponseStream` has no `Event` type: an
    /// [`InvocationType::Event`] invocation is an [`Error::Invoke`] without sending.
    ///
    /// ```no_run
    /// # async fn demo(client: aws_sdk_lambda::Client) -> Result<(), lambda_test::Error> {
    /// use lambda_test::Invocation;
    ///
    /// let mut stream = Invocation::new("streamer")
    ///     .payload(r#"{"chunks": 3}"#)
    ///     .send_streaming(&client)
    ///     .await?;
    /// while let Some(chunk) = stream.next_chunk().await? {
    ///     print!("{}", String::from_utf8_lossy(chunk));
    /// }
    /// let outcome = stream.finish().await?;
    /// let streamed = outcome.stream.as_ref().unwrap();
    /// println!("{} chunks, first after {:?}", streamed.chunks, streamed.first_byte);
    /// # Ok(()) }
    /// ```
    pub async fn send_streaming(
        &self,
        client: &aws_sdk_lambda::Client,
    ) -> Result<ResponseStream, Error> {
        if self.invocation_type == InvocationType::Event {
            return Err(Error::Invoke {
                function: self.function.clone(),
                code: None,
                message: "InvokeWithResponseStream has no `Event` invocation type (only \
                          `RequestResponse` and `DryRun`); send an `Event` invocation with \
                          `Invocation::send`"
                    .to_owned(),
            });
        }
        self.with_retries(|| self.send_streaming_once(client)).await
    }

    /// Runs `attempt` until it succeeds or may not be retried: throttling up to
    /// [`THROTTLING_RETRIES`] times (or [`Invocation::retries`]), other transient failures up
    /// to [`Invocation::retries`], with a backoff.
    async fn with_retries<T, F, Fut>(&self, attempt: F) -> Result<T, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, (Error, Retry)>>,
    {
        let mut throttled = 0;
        let mut transient = 0;
        loop {
            let (error, retry) = match attempt().await {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            let attempts = throttled + transient;
            let again = match retry {
                Retry::Throttled => {
                    throttled += 1;
                    throttled <= self.retries.max(THROTTLING_RETRIES)
                }
                Retry::Transient => {
                    transient += 1;
                    transient <= self.retries
                }
                Retry::No => false,
            };
            if !again {
                return Err(match error {
                    Error::Invoke {
                        function,
                        code,
                        message,
                    } if attempts > 0 => Error::Invoke {
                        function,
                        code,
                        message: format!("{message} (after {} attempts)", attempts + 1),
                    },
                    other => other,
                });
            }
            let backoff = 100u64 << (throttled + transient - 1).min(5);
            tokio::time::sleep(std::time::Duration::from_millis(backoff)).await;
        }
    }

    /// The refusal of one attempt, and whether it may be retried.
    fn refused<E>(&self, e: &SdkError<E, HttpResponse>, endpoint: &RecordEndpoint) -> (Error, Retry)
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = e.raw_response().map(|r| r.status().as_u16());
        let retry = if e.code() == Some("TooManyRequestsException") || status == Some(429) {
            Retry::Throttled
        } else if matches!(e, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_))
            || status.is_some_and(|s| s >= 500)
        {
            Retry::Transient
        } else {
            Retry::No
        };
        let code = e.code().map(str::to_owned);
        let message = sdk_error::describe(e, endpoint.get().as_deref());
        (
            Error::Invoke {
                function: self.function.clone(),
                code,
                message,
            },
            retry,
        )
    }

    async fn send_streaming_once(
        &self,
        client: &aws_sdk_lambda::Client,
    ) -> Result<ResponseStream, (Error, Retry)> {
        use aws_sdk_lambda::types::{LogType as SdkLog, ResponseStreamingInvocationType as Sdk};
        let mut request = client
            .invoke_with_response_stream()
            .function_name(&self.function)
            .invocation_type(match self.invocation_type {
                InvocationType::DryRun => Sdk::DryRun,
                // `Event` is refused before sending.
                InvocationType::RequestResponse | InvocationType::Event => Sdk::RequestResponse,
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
        let endpoint = RecordEndpoint::default();
        let sent_at = Instant::now();
        match request
            .customize()
            .interceptor(endpoint.clone())
            .send()
            .await
        {
            Ok(output) => Ok(ResponseStream::new(
                self.function.clone(),
                output,
                sent_at,
                endpoint.get(),
            )),
            Err(e) => Err(self.refused(&e, &endpoint)),
        }
    }

    async fn send_once(&self, client: &aws_sdk_lambda::Client) -> Result<Outcome, (Error, Retry)> {
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
        let endpoint = RecordEndpoint::default();
        match request
            .customize()
            .interceptor(endpoint.clone())
            .send()
            .await
        {
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
                target: None,
                stream: None,
                url: None,
            }),
            Err(e) => Err(self.refused(&e, &endpoint)),
        }
    }
}

//! An SDK failure as one line: what failed, its causes, and what to do.
//!
//! The SDK's own `Display` of a failure is a label ("dispatch failure") and its `Debug` a dump
//! of nested structs; the causes are in the `source()` chain. This joins the chain and adds
//! the fix a failure of that kind needs (no credentials, an expired SSO session, a refused
//! role, a refused connection, DNS, TLS, a timeout, a throttled or refused invoke).

use std::error::Error as StdError;
use std::sync::{Arc, Mutex};

use aws_sdk_lambda::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_lambda::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_lambda::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;

/// What `SdkError` displays for each variant: labels, not causes.
const SDK_LABELS: &[&str] = &[
    "failed to construct request",
    "request has timed out",
    "dispatch failure",
    "response error",
    "service error",
];

/// What rustls's errors say (it is no direct dependency to downcast to).
const TLS_SIGNS: &[&str] = &[
    "certificate",
    "tls",
    "handshake",
    "corrupt message",
    "fatal alert",
    "invalid peer",
    "peer sent",
    "peer is incompatible",
    "peer misbehaved",
];

/// The longest a message's causes may be, so a failure stays one readable line.
const MAX_CAUSES: usize = 240;

/// The message of a failed request: `what: causes; fix`. `endpoint` is where the request
/// went, when it got that far.
pub(crate) fn describe<E, R>(error: &SdkError<E, R>, endpoint: Option<&str>) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug + 'static,
{
    if let SdkError::ServiceError(service) = error {
        let err = service.err();
        let code = err.code().unwrap_or("unknown error");
        let message = err.message().map(|m| format!(": {m}")).unwrap_or_default();
        let fix = service_fix(code)
            .map(|f| format!("; {f}"))
            .unwrap_or_default();
        return format!("{code}{message}{fix}");
    }
    if let Some(refusal) = sts_refusal(error) {
        return format!(
            "STS refused to assume the role: {refusal}; check `role_arn`, that the source \
             credentials may sts:AssumeRole it, and the role's trust policy"
        );
    }
    let causes = causes(error);
    let at = endpoint.unwrap_or("the Lambda endpoint");
    let lower = causes.to_lowercase();
    let (what, fix) = if lower.contains("credential") || has_word(&lower, "sso") {
        credentials_fix(&lower)
    } else {
        match error {
            SdkError::ConstructionFailure(_) => (
                "could not build the request".to_owned(),
                "check the function name, qualifier and payload",
            ),
            SdkError::TimeoutError(_) => (
                format!("timed out calling {at}"),
                "raise `read_timeout_ms` / `connect_timeout_ms`, or `retries`",
            ),
            SdkError::ResponseError(_) => (
                format!("unreadable answer from {at}"),
                "check that the endpoint is a Lambda endpoint (`endpoint_url`, AWS_ENDPOINT_URL_LAMBDA)",
            ),
            _ => connection_fix(&lower, at),
        }
    };
    format!("{what}: {causes}; {fix}")
}

/// STS's answer when it refused `AssumeRole` for the credentials: its code and message, or
/// its HTTP status when the answer had no code the SDK could read.
fn sts_refusal(error: &(dyn StdError + 'static)) -> Option<String> {
    type AssumeRoleFailure = SdkError<AssumeRoleError, aws_sdk_sts::config::http::HttpResponse>;
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(SdkError::ServiceError(service)) = e.downcast_ref::<AssumeRoleFailure>() {
            let err = service.err();
            return Some(match err.code() {
                Some(code) => {
                    let message = err.message().map(|m| format!(": {m}")).unwrap_or_default();
                    format!("{code}{message}")
                }
                None => format!("HTTP {}", service.raw().status().as_u16()),
            });
        }
        next = e.source();
    }
    None
}

/// The fix for a service error code that the caller can act on.
fn service_fix(code: &str) -> Option<&'static str> {
    Some(match code {
        "TooManyRequestsException" | "ThrottlingException" => {
            "throttled: lower the tests' concurrency or raise `retries`"
        }
        "AccessDeniedException" | "AccessDenied" => {
            "the caller may not invoke the function: allow lambda:InvokeFunction for it, or use another profile (`profile`, AWS_PROFILE)"
        }
        "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "ExpiredTokenException"
        | "ExpiredToken"
        | "InvalidClientTokenId" => {
            "the credentials were refused: refresh them (`aws sso login`, new keys) or use another profile (AWS_PROFILE)"
        }
        _ => return None,
    })
}

fn credentials_fix(lower: &str) -> (String, &'static str) {
    if has_word(lower, "sso") {
        (
            "the SSO session is missing or expired".to_owned(),
            "run `aws sso login` (with --profile for the profile in use)",
        )
    } else if lower.contains("assumerole")
        || lower.contains("assume role")
        || has_word(lower, "sts")
    {
        (
            "the role could not be assumed".to_owned(),
            "check `role_arn`, the source profile's sts:AssumeRole permission and the role's trust policy",
        )
    } else if lower.contains("external process") || lower.contains("credential_process") {
        (
            "the profile's credential_process failed".to_owned(),
            "run the command by hand to see why, or use another profile (AWS_PROFILE)",
        )
    } else if ["connect", "dns error", "timed out", "timeout"]
        .iter()
        .any(|sign| lower.contains(sign))
    {
        (
            "could not reach the credentials' service (STS for a role, SSO, instance metadata)"
                .to_owned(),
            "check the network and its endpoint (AWS_ENDPOINT_URL_STS), and the profile's `role_arn` and `source_profile`",
        )
    } else {
        (
            "no credentials".to_owned(),
            "set AWS_PROFILE (or `profile`) to a profile with credentials, run `aws sso login` for an SSO profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        )
    }
}

fn connection_fix(lower: &str, at: &str) -> (String, &'static str) {
    if lower.contains("dns") || lower.contains("lookup address") || lower.contains("resolve") {
        (
            format!("could not resolve {at}"),
            "check the region and endpoint (`region`, `endpoint_url`, AWS_ENDPOINT_URL_LAMBDA) and DNS",
        )
    } else if TLS_SIGNS.iter().any(|sign| lower.contains(sign)) {
        (
            format!("TLS with {at} failed"),
            "behind a TLS-intercepting proxy, set AWS_CA_BUNDLE to its certificate bundle; check the endpoint's scheme",
        )
    } else if lower.contains("timed out") || lower.contains("timeout") {
        (
            format!("timed out connecting to {at}"),
            "check the endpoint and the network, or raise `connect_timeout_ms` / `retries`",
        )
    } else {
        (
            format!("could not connect to {at}"),
            "check that the endpoint is up and right (`endpoint_url`, AWS_ENDPOINT_URL_LAMBDA, `region`) and the network",
        )
    }
}

/// Whether `word` is a word of `text` (between characters that are not letters or digits).
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == word)
}

/// The `source()` chain below the SDK's own labels, joined with `: `, without repeats (a
/// cause that quotes its source), on one line and bounded.
fn causes(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = error.source();
    while let Some(cause) = next {
        next = cause.source();
        // The labels of a nested SDK failure (a credentials provider's call to STS, say).
        let is_label = cause
            .downcast_ref::<aws_sdk_lambda::error::ConnectorError>()
            .is_some()
            || SDK_LABELS.contains(&cause.to_string().as_str());
        let text = cause
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if is_label || text.is_empty() || parts.iter().any(|p| p.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    let mut joined = if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    };
    if joined.len() > MAX_CAUSES {
        let mut end = MAX_CAUSES;
        while !joined.is_char_boundary(end) {
            end -= 1;
        }
        joined.truncate(end);
        joined.push('…');
    }
    joined
}

/// Records where a request went (scheme, host and port), for the message of a failure to
/// reach it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordEndpoint(Arc<Mutex<Option<String>>>);

impl RecordEndpoint {
    /// The endpoint recorded, once the request was about to be sent.
    pub(crate) fn get(&self) -> Option<String> {
        self.0.lock().expect("endpoint poisoned").clone()
    }
}

impl Intercept for RecordEndpoint {
    fn name(&self) -> &'static str {
        "lambda_test::RecordEndpoint"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        let origin = match uri.find("://") {
            Some(scheme) => {
                let rest = &uri[scheme + 3..];
                let end = rest.find('/').map_or(uri.len(), |i| scheme + 3 + i);
                &uri[..end]
            }
            None => uri,
        };
        *self.0.lock().expect("endpoint poisoned") = Some(origin.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Cause(&'static str, Option<Box<Cause>>);

    impl std::fmt::Display for Cause {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Cause {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|c| c as _)
        }
    }

    fn chain(texts: &[&'static str]) -> Cause {
        let mut cause: Option<Box<Cause>> = None;
        for text in texts.iter().rev() {
            cause = Some(Box::new(Cause(text, cause)));
        }
        Cause("top", cause.map(|c| *c).map(Box::new))
    }

    #[test]
    fn causes_are_joined_without_repeats_on_one_line() {
        let error = chain(&[
            "client error (Connect)",
            "tcp connect\nerror",
            "tcp connect error",
        ]);
        assert_eq!(causes(&error), "client error (Connect): tcp connect error");
    }

    #[test]
    fn long_causes_are_cut() {
        let error = chain(&[Box::leak("x".repeat(1000).into_boxed_str())]);
        assert!(causes(&error).chars().count() <= MAX_CAUSES + 1);
    }

    #[test]
    fn each_kind_of_failure_names_its_fix() {
        let cases = [
            (
                "failed to load sso token: the sso session expired",
                "aws sso login",
            ),
            (
                "error calling sts AssumeRole: access denied",
                "trust policy",
            ),
            (
                "external process exited with code 1",
                "run the command by hand",
            ),
            ("no credentials in the chain", "AWS_PROFILE"),
            (
                "loading credentials: tcp connect error",
                "AWS_ENDPOINT_URL_STS",
            ),
        ];
        for (text, fix) in cases {
            let (_, found) = credentials_fix(text);
            assert!(found.contains(fix), "{text}: {found}");
        }
        let at = "https://lambda.x";
        let cases = [
            ("dns error: failed to lookup address", "could not resolve"),
            ("invalid peer certificate: unknown issuer", "TLS with"),
            (
                "received corrupt message of type InvalidContentType",
                "TLS with",
            ),
            ("connection refused (os error 111)", "could not connect to"),
        ];
        for (text, what) in cases {
            let (found, _) = connection_fix(text, at);
            assert!(
                found.starts_with(what) && found.contains(at),
                "{text}: {found}"
            );
        }
        assert!(
            service_fix("TooManyRequestsException")
                .unwrap()
                .contains("retries")
        );
        assert!(
            service_fix("ExpiredTokenException")
                .unwrap()
                .contains("aws sso login")
        );
        assert_eq!(service_fix("ResourceNotFoundException"), None);
    }
}

//! Invoke API service errors in the restJson1 shape AWS uses (lambda-api.md 3.1, 3.4, 3.5).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// A service error: the request was refused before (or instead of) running the function.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    /// HTTP status.
    pub status: StatusCode,
    /// `x-amzn-ErrorType`, the bare shape name.
    pub error_type: &'static str,
    /// The message text.
    pub message: String,
    /// The body key the model spells the message with: `message` or `Message`.
    message_key: &'static str,
    /// Whether the body carries `"Type":"User"` (or `"Service"`), as AWS sends for Lambda's own errors.
    body_type: Option<&'static str>,
    /// Extra modeled members, e.g. `Reason` for throttling.
    extra: Vec<(&'static str, String)>,
}

impl AwsError {
    fn new(
        status: u16,
        error_type: &'static str,
        message_key: &'static str,
        body_type: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("valid status"),
            error_type,
            message: message.into(),
            message_key,
            body_type,
            extra: Vec::new(),
        }
    }

    /// 400 `ValidationException` with AWS's "N validation errors detected" text.
    pub fn validation(clauses: &[String]) -> Self {
        let n = clauses.len();
        let plural = if n == 1 { "error" } else { "errors" };
        Self::new(
            400,
            "ValidationException",
            "message",
            None,
            format!("{n} validation {plural} detected: {}", clauses.join("; ")),
        )
    }

    /// 400 `InvalidParameterValueException`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(
            400,
            "InvalidParameterValueException",
            "message",
            Some("User"),
            message,
        )
    }

    /// 400 `InvalidRequestContentException`.
    pub fn invalid_request_content(message: impl Into<String>) -> Self {
        Self::new(
            400,
            "InvalidRequestContentException",
            "message",
            Some("User"),
            message,
        )
    }

    /// 400 `NoPublishedVersionException` for `$LATEST.PUBLISHED` without versions.
    pub fn no_published_version(message: impl Into<String>) -> Self {
        Self::new(
            400,
            "NoPublishedVersionException",
            "Message",
            Some("User"),
            message,
        )
    }

    /// 404 `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(
            404,
            "ResourceNotFoundException",
            "Message",
            Some("User"),
            message,
        )
    }

    /// 413 `RequestEntityTooLargeException` (what AWS sends, not the modeled `RequestTooLargeException`).
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(
            413,
            "RequestEntityTooLargeException",
            "message",
            Some("User"),
            message,
        )
    }

    /// 429 `TooManyRequestsException` with its `Reason`. No `Retry-After` header: AWS sent none
    /// for reserved concurrency (boto3 would surface it as `retryAfterSeconds`; recorded
    /// November 2025).
    pub fn throttled(reason: &'static str, message: impl Into<String>) -> Self {
        let mut e = Self::new(
            429,
            "TooManyRequestsException",
            "message",
            Some("User"),
            message,
        );
        e.extra.push(("Reason", reason.to_owned()));
        e
    }

    /// 403 `AccessDeniedException`.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDeniedException", "Message", None, message)
    }

    /// 404 for a route that is not part of the API.
    pub fn unknown_operation(message: impl Into<String>) -> Self {
        Self::new(404, "UnknownOperationException", "message", None, message)
    }

    /// 500 `ServiceException`: an emulator fault (clients retry it, so never after running).
    pub fn service(message: impl Into<String>) -> Self {
        Self::new(500, "ServiceException", "Message", Some("Service"), message)
    }

    /// 400 `IncompleteSignatureException`: a malformed `Authorization` (400 per the generic
    /// AWS docs; lambda-api.md 10.3 marks the status unsure).
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::new(
            400,
            "IncompleteSignatureException",
            "message",
            None,
            message,
        )
    }

    /// 403 errors of request signing (section 10.3).
    pub fn auth(error_type: &'static str, message: impl Into<String>) -> Self {
        Self::new(403, error_type, "message", None, message)
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        if let Some(t) = self.body_type {
            body.insert("Type".into(), Value::String(t.into()));
        }
        for (k, v) in &self.extra {
            body.insert((*k).into(), Value::String(v.clone()));
        }
        body.insert(self.message_key.into(), Value::String(self.message.clone()));
        Value::Object(body)
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).expect("serializable");
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(self.error_type),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_uses_capital_message_and_type() {
        let e = AwsError::not_found("Function not found: arn");
        assert_eq!(
            e.body().to_string(),
            r#"{"Message":"Function not found: arn","Type":"User"}"#
        );
    }

    #[test]
    fn throttle_carries_reason() {
        let e = AwsError::throttled(
            "ReservedFunctionConcurrentInvocationLimitExceeded",
            "Rate Exceeded.",
        );
        assert_eq!(
            e.body()["Reason"],
            "ReservedFunctionConcurrentInvocationLimitExceeded"
        );
        assert_eq!(e.body()["message"], "Rate Exceeded.");
    }

    #[test]
    fn validation_counts_clauses() {
        let e = AwsError::validation(&["a".into(), "b".into()]);
        assert_eq!(e.message, "2 validation errors detected: a; b");
        assert!(e.body().get("Type").is_none());
    }
}

//! The `{"errorMessage","errorType"}` document: what the Runtime API answers a bad call with,
//! and the payload of an invocation that failed (lambda-api.md 5.3, lambda-extensions.md 5.3).

use axum::body::Bytes;
use serde::{Deserialize, Serialize};

/// An error as Lambda writes one, field order as AWS's (`errorMessage` first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDocument {
    /// `errorMessage`.
    #[serde(rename = "errorMessage")]
    pub error_message: String,
    /// `errorType`, e.g. `Runtime.ExitError`.
    #[serde(rename = "errorType")]
    pub error_type: String,
}

impl ErrorDocument {
    /// A document of this type and message.
    pub fn new(error_type: impl Into<String>, error_message: impl Into<String>) -> Self {
        Self {
            error_message: error_message.into(),
            error_type: error_type.into(),
        }
    }

    /// A runtime's error body as the caller sees it: verbatim, or a document of `error_type`
    /// with an empty message when the body is empty (AWS's answer for an empty body is
    /// unconfirmed, lambda-api.md 5.3).
    pub fn or_empty_body(body: Bytes, error_type: &str) -> Bytes {
        if body.is_empty() {
            ErrorDocument::new(error_type, "").to_bytes()
        } else {
            body
        }
    }

    /// The JSON text.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).expect("two strings always serialize"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte for byte what `json!({...}).to_string()` wrote before (serde_json sorts its map keys).
    #[test]
    fn renders_message_then_type() {
        let document = ErrorDocument::new("Runtime.ExitError", "RequestId: 1 Error: \"x\"");
        assert_eq!(
            document.to_bytes(),
            Bytes::from_static(
                br#"{"errorMessage":"RequestId: 1 Error: \"x\"","errorType":"Runtime.ExitError"}"#
            )
        );
        assert_eq!(
            ErrorDocument::or_empty_body(Bytes::new(), "Runtime.Unknown"),
            Bytes::from_static(br#"{"errorMessage":"","errorType":"Runtime.Unknown"}"#)
        );
        assert_eq!(
            ErrorDocument::or_empty_body(Bytes::from_static(b"kept"), "Runtime.Unknown"),
            Bytes::from_static(b"kept")
        );
        let back: ErrorDocument = serde_json::from_slice(&document.to_bytes()).unwrap();
        assert_eq!(back, document);
    }
}

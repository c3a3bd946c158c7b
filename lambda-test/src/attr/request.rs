//! The request keys (`http`, `headers`, `cookies`, `body`, `integration`) as written, and the
//! event they become.

use crate::Error;
use crate::client::http_event::{HttpRequest, Integration};

/// The request keys of a test, as written; turned into an event when the test runs.
#[derive(Debug, Clone, Default)]
pub(super) struct RequestKeys {
    pub(super) line: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) cookies: Vec<String>,
    pub(super) body: Option<Vec<u8>>,
    pub(super) body_file: Option<String>,
    pub(super) integration: Option<String>,
}

impl RequestKeys {
    /// The event the integration sends for this request, fresh (request id, time) each run;
    /// without `integration`, `default`'s.
    pub(super) fn event(&self, default: Integration) -> Result<serde_json::Value, Error> {
        let bad = |e: String| Error::Payload(format!("`http = \"{}\"`: {e}", self.line));
        let integration = match self.integration.as_deref() {
            None => default,
            Some(name) => Integration::parse(name).ok_or_else(|| {
                bad(format!(
                    "unknown integration `{name}`; expected one of {}",
                    Integration::NAMES.join(", ")
                ))
            })?,
        };
        let request = self.request()?;
        request.event(integration).map_err(bad)
    }

    /// The request as written, for an event or for a Function URL (`via = "url"`).
    pub(super) fn request(&self) -> Result<HttpRequest, Error> {
        let bad = |e: String| Error::Payload(format!("`http = \"{}\"`: {e}", self.line));
        let mut request = HttpRequest::parse(&self.line).map_err(bad)?;
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        for cookie in &self.cookies {
            request = request.cookie(cookie);
        }
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        Ok(request)
    }
}

//! The layer around every answer of the Invoke API listener, refusals and unknown routes
//! included: it gives the request its id (`x-amzn-RequestId`, which is also the invocation's
//! id) and, when invocations are logged ([`Options::log_invocations`](crate::emulator::Options)),
//! hands the serve log line to its writer ([`ServeLog`](super::serve_log::ServeLog)). Nothing of
//! the line is made when nobody logs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use percent_encoding::percent_decode_str;

use crate::emulator::Service;

/// The id of one request, made before routing; handlers take it as an extension. Its text
/// is held inline, so making, storing and extracting it (two clones) allocate nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestId([u8; uuid::fmt::Hyphenated::LENGTH]);

impl RequestId {
    fn new() -> Self {
        let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
        crate::emulator::fast_uuid()
            .hyphenated()
            .encode_lower(&mut text);
        RequestId(text)
    }

    /// The id, a UUID.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a hyphenated UUID is ASCII")
    }
}

/// What the serve log says of an invocation that was answered: a handler attaches it to its
/// response ([`Served::attach`]). A response without one is a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Served {
    /// The ARN as invoked, qualifier included.
    target: String,
    /// The version that ran (or would have).
    version: String,
    /// The status and what it means, e.g. `200 Unhandled` or `202 Event`.
    status: &'static str,
    /// Who invoked (`Caller::describe`), when the request was signed.
    caller: Option<String>,
}

impl Served {
    /// The summary of an answered invocation.
    pub(crate) fn new(target: &str, version: &str, status: &'static str) -> Self {
        Served {
            target: target.to_owned(),
            version: version.to_owned(),
            status,
            caller: None,
        }
    }

    /// The summary, naming who invoked.
    pub(crate) fn by(mut self, caller: Option<String>) -> Self {
        self.caller = caller;
        self
    }

    /// `response`, carrying this summary to the layer.
    pub(crate) fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// One line of the serve log: `<target> <version> <status> <milliseconds> ms`, then
/// `by <caller>` for a signed request.
fn log_line(response: &mut Response, path: &str, elapsed: Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    match response.extensions_mut().remove::<Served>() {
        Some(served) => {
            let mut line = format!(
                "{} {} {} {ms:.1} ms",
                served.target, served.version, served.status
            );
            if let Some(caller) = served.caller {
                line.push_str(" by ");
                line.push_str(&caller);
            }
            line
        }
        None => {
            let error_type = response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            format!(
                "{} - {} {error_type} {ms:.1} ms",
                refused_target(path),
                response.status().as_u16()
            )
        }
    }
}

/// The target of a refused request: the function the path named, else the path.
fn refused_target(path: &str) -> String {
    path.split('/')
        .nth(3)
        .map(|name| percent_decode_str(name).decode_utf8_lossy().into_owned())
        .unwrap_or_else(|| path.to_owned())
}

/// The middleware: request id in, request id on the answer, one log line out when logging.
pub(crate) async fn request_id_and_serve_log(
    State(shared): State<Arc<Service>>,
    mut request: Request,
    next: Next,
) -> Response {
    let request_id = RequestId::new();
    request.extensions_mut().insert(request_id);
    let Some(log) = &shared.serve_log else {
        let mut response = next.run(request).await;
        set_request_id(&mut response, &request_id);
        return response;
    };
    let started = Instant::now();
    let path = request.uri().path().to_owned();
    let mut unanswered = HungUp {
        pending: Some((Arc::clone(&shared), path)),
        started,
    };
    let mut response = next.run(request).await;
    let (_, path) = unanswered.pending.take().expect("taken only here");
    set_request_id(&mut response, &request_id);
    log.line(&log_line(&mut response, &path, started.elapsed()));
    response
}

fn set_request_id(response: &mut Response, request_id: &RequestId) {
    if let Ok(v) = HeaderValue::from_str(request_id.as_str()) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
}

/// Logs a request whose caller hung up before its answer (a client timeout, say): the
/// handler is dropped then, and its invocation goes on without a line of its own.
struct HungUp {
    /// The service (whose serve log it is) and the request's path, while it is unanswered.
    pending: Option<(Arc<Service>, String)>,
    started: Instant,
}

impl Drop for HungUp {
    fn drop(&mut self) {
        if let Some((shared, path)) = &self.pending
            && let Some(log) = &shared.serve_log
        {
            let ms = self.started.elapsed().as_secs_f64() * 1000.0;
            log.line(&format!(
                "{} - caller hung up {ms:.1} ms",
                refused_target(path)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse as _;

    use super::*;
    use crate::emulator::api::error::AwsError;

    #[test]
    fn an_answered_invocation_is_logged_by_its_summary() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:f:live";
        let mut response = Served::new(arn, "1", "200 Unhandled").attach(Response::default());
        let line = log_line(&mut response, "/ignored", Duration::from_micros(12_340));
        assert_eq!(line, format!("{arn} 1 200 Unhandled 12.3 ms"));
        let mut response = Served::new(arn, "1", "200")
            .by(Some("principal ci".into()))
            .attach(Response::default());
        let line = log_line(&mut response, "/ignored", Duration::from_micros(500));
        assert_eq!(line, format!("{arn} 1 200 0.5 ms by principal ci"));
        assert!(
            response.extensions().get::<Served>().is_none(),
            "the summary is taken off the answer"
        );
    }

    #[test]
    fn a_refusal_is_logged_by_the_name_in_its_path_and_its_error_type() {
        let mut response = AwsError::not_found("Function not found").into_response();
        let line = log_line(
            &mut response,
            "/2015-03-31/functions/f%3Alive/invocations",
            Duration::from_millis(2),
        );
        assert_eq!(line, "f:live - 404 ResourceNotFoundException 2.0 ms");
        let mut response = AwsError::unknown_operation("No operation").into_response();
        let line = log_line(&mut response, "/", Duration::ZERO);
        assert_eq!(line, "/ - 404 UnknownOperationException 0.0 ms");
    }

    #[test]
    fn request_ids_are_fresh_uuids() {
        let (a, b) = (RequestId::new(), RequestId::new());
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(a.as_str()).is_ok());
    }
}

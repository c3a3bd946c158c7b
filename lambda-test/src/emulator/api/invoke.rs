//! The Invoke operation (lambda-api.md sections 1 to 4) and the deprecated InvokeAsync:
//! parse ([`request`](super::request)), verify, resolve, authorize, dispatch, and the answer
//! of each invocation type.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::emulator::Service;
use crate::emulator::api::error::AwsError;
use crate::emulator::api::layer::{RequestId, Served};
use crate::emulator::api::request::{
    Head, InvocationType, InvokeRequest, LogType, Target, read_body,
};
use crate::emulator::api::{post_only, raw_function_name};
use crate::emulator::auth::Caller;
use crate::emulator::functions::Function;
use crate::emulator::instance::{Completed, Invoke};
use crate::emulator::logs;

/// The routes of Invoke and InvokeAsync (older SDK models append a `/` to the latter), for
/// `api::router` to mount under its layer, whose [`RequestId`] the handlers take.
pub(super) fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route(
            "/2015-03-31/functions/{name}/invocations",
            post_only(invoke),
        )
        .route(
            "/2014-11-13/functions/{name}/invoke-async",
            post_only(invoke_async),
        )
        .route(
            "/2014-11-13/functions/{name}/invoke-async/",
            post_only(invoke_async),
        )
}

/// `POST /2015-03-31/functions/{name}/invocations`.
async fn invoke(
    State(shared): State<Arc<Service>>,
    Extension(request_id): Extension<RequestId>,
    request: Request,
) -> Result<Response, AwsError> {
    answer(&shared, &request_id, Head::parse, request).await
}

/// `POST /2014-11-13/functions/{name}/invoke-async`: an `Event` invoke without headers.
async fn invoke_async(
    State(shared): State<Arc<Service>>,
    Extension(request_id): Extension<RequestId>,
    request: Request,
) -> Result<Response, AwsError> {
    answer(&shared, &request_id, |_| Ok(Head::INVOKE_ASYNC), request).await
}

/// One request, accepted, then answered by its invocation type.
async fn answer(
    shared: &Service,
    request_id: &RequestId,
    head: impl FnOnce(&HeaderMap) -> Result<Head, AwsError>,
    request: Request,
) -> Result<Response, AwsError> {
    let (resolved, request) = accept(shared, head, request).await?;
    dispatch(shared, request_id, resolved, request).await
}

/// Checks one request in AWS's order (the table in `request.rs`), up to the function and
/// version it runs: what every invocation API shares. `head` reads the operation's own
/// headers once the caller is authenticated.
pub(super) async fn accept(
    shared: &Service,
    head: impl FnOnce(&HeaderMap) -> Result<Head, AwsError>,
    request: Request,
) -> Result<(Resolved<'_>, InvokeRequest), AwsError> {
    let (parts, body) = request.into_parts();
    // The body comes before the signature, which covers it.
    let body = read_body(body).await?;
    let caller = shared.auth.verify(&parts, &body)?;
    let head = head(&parts.headers)?;
    let target = Target::parse(raw_function_name(parts.uri.path()), parts.uri.query())?;
    let mut resolved = resolve(shared, &target)?;
    authorize(&caller, &resolved)?;
    // Only the serve log reads it: no work per invocation when nobody logs them.
    if shared.serve_log.is_some() {
        resolved.caller = caller.describe(&parts);
    }
    let request = InvokeRequest::complete(head, target, &parts.headers, body)?;
    Ok((resolved, request))
}

/// The function and version a request reaches.
pub(super) struct Resolved<'a> {
    pub(super) function: &'a Arc<Function>,
    /// The version that runs: an alias's weights are rolled here.
    pub(super) version: String,
    /// The ARN as invoked, qualifier included.
    pub(super) invoked_arn: String,
    /// Who may invoke it; `None` is everyone.
    allow: Option<&'a [String]>,
    /// Who invoked, for the serve log.
    pub(super) caller: Option<String>,
}

impl Resolved<'_> {
    /// The serve log's summary of this invocation.
    pub(super) fn served(&self, status: &'static str) -> Served {
        Served::new(&self.invoked_arn, &self.version, status).by(self.caller.clone())
    }
}

/// Region, function, then version or alias.
fn resolve<'a>(shared: &'a Service, target: &Target) -> Result<Resolved<'a>, AwsError> {
    let registry = &shared.registry;
    if let Some(region) = &target.function.region
        && region != &registry.region
    {
        return Err(AwsError::not_found(format!(
            "Functions from '{region}' are not reachable in this region ('{}')",
            registry.region
        )));
    }
    // The emulator serves a single account: an account in the name is accepted as this one.
    let qualifier = target.qualifier.as_deref();
    let function = registry.get(&target.function.name).ok_or_else(|| {
        AwsError::not_found(format!(
            "Function not found: arn:aws:lambda:{}:{}:function:{}:{}",
            registry.region,
            registry.account_id,
            target.function.name,
            qualifier.unwrap_or("$LATEST")
        ))
    })?;
    let version = function.resolve(qualifier)?;
    let invoked_arn = function.invoked_arn(qualifier);
    Ok(Resolved {
        function,
        version,
        invoked_arn,
        allow: function.allow_list(qualifier),
        caller: None,
    })
}

/// The function's or alias's `allow` list against the verified caller.
fn authorize(caller: &Caller, resolved: &Resolved<'_>) -> Result<(), AwsError> {
    if caller.allowed_by(resolved.allow) {
        return Ok(());
    }
    Err(AwsError::access_denied(format!(
        "User: {} is not authorized to perform: lambda:InvokeFunction on resource: {} because no resource-based policy allows the lambda:InvokeFunction action",
        caller.arn(),
        resolved.invoked_arn
    )))
}

/// Answers by invocation type, each answer with its serve log summary.
async fn dispatch(
    shared: &Service,
    request_id: &RequestId,
    resolved: Resolved<'_>,
    request: InvokeRequest,
) -> Result<Response, AwsError> {
    // Only the serve log reads the summary: none is made when nobody logs.
    let served = |status| shared.serve_log.is_some().then(|| resolved.served(status));
    match request.invocation_type {
        InvocationType::DryRun => Ok(attach(served("204 DryRun"), dry_run_answer())),
        InvocationType::Event => {
            let summary = served("202 Event");
            let invoke = Invoke {
                // Client context is dropped for asynchronous invocations.
                client_context: None,
                // Nobody reads an event's log.
                log_wanted: false,
                ..invocation(request_id, &resolved, request)
            };
            let function = Arc::clone(resolved.function);
            shared.events.enqueue(function, resolved.version, invoke);
            Ok(attach(summary, event_answer()))
        }
        InvocationType::RequestResponse => {
            let log_type = request.log_type;
            let completed = run(request_id, &resolved, request).await?;
            let status = if completed.function_error {
                "200 Unhandled"
            } else {
                "200"
            };
            Ok(attach(
                served(status),
                request_response_answer(completed, log_type),
            ))
        }
    }
}

/// `response`, with the serve log's summary when there is one.
fn attach(summary: Option<Served>, response: Response) -> Response {
    match summary {
        Some(summary) => summary.attach(response),
        None => response,
    }
}

/// What the runtime is given.
pub(super) fn invocation(
    request_id: &RequestId,
    resolved: &Resolved<'_>,
    request: InvokeRequest,
) -> Invoke {
    Invoke {
        request_id: request_id.as_str().to_owned(),
        payload: request.payload,
        invoked_arn: resolved.invoked_arn.clone(),
        trace_id: request.trace_id.unwrap_or_else(new_trace_id),
        client_context: request.client_context,
        tenant_id: request.tenant_id,
        log_wanted: request.log_type == LogType::Tail,
    }
}

/// Runs a synchronous invocation within the function's concurrency.
async fn run(
    request_id: &RequestId,
    resolved: &Resolved<'_>,
    request: InvokeRequest,
) -> Result<Completed, AwsError> {
    let slot = resolved.function.acquire()?;
    let pool = Arc::clone(
        resolved
            .function
            .pool(&resolved.version)
            .expect("resolved versions exist"),
    );
    let invoke = invocation(request_id, resolved, request);
    // Runs to its end even if the caller hangs up, as on AWS.
    tokio::spawn(async move {
        let completed = pool.invoke(invoke).await;
        drop(slot);
        completed
    })
    .await
    .map_err(|e| AwsError::service(format!("invocation task failed: {e}")))
}

/// `DryRun`: 204, nothing ran.
fn dry_run_answer() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `Event`: 202 with an empty body, once queued.
fn event_answer() -> Response {
    (StatusCode::ACCEPTED, Body::empty()).into_response()
}

/// `RequestResponse`: 200 with the function's answer (or its error document), the version
/// that ran, `Unhandled` for a function error, and the log tail when asked for.
fn request_response_answer(completed: Completed, log_type: LogType) -> Response {
    let mut response = Response::new(Body::from(completed.payload));
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&completed.executed_version) {
        headers.insert("x-amz-executed-version", v);
    }
    if completed.function_error {
        headers.insert(
            "x-amz-function-error",
            HeaderValue::from_static("Unhandled"),
        );
    }
    if log_type == LogType::Tail {
        let tail = BASE64.encode(logs::tail(&completed.log));
        headers.insert(
            "x-amz-log-result",
            HeaderValue::from_str(&tail).expect("base64 is a valid header value"),
        );
    }
    response
}

/// A new X-Ray trace header, as Lambda generates when the caller sent none.
pub(super) fn new_trace_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    // 96 random bits for the root's id, 64 for the parent's (see `fast_uuid` for why not
    // `getrandom`).
    let root = fastrand::u128(..) >> 32;
    let parent = fastrand::u64(..);
    format!("Root=1-{now:08x}-{root:024x};Parent={parent:016x};Sampled=0")
}

#[cfg(test)]
mod tests {
    use axum::body::{Bytes, to_bytes};

    use super::*;
    use crate::config::Config;
    use crate::emulator::auth::{Auth, Principal};
    use crate::emulator::control::Activity;
    use crate::emulator::events::EventQueue;
    use crate::emulator::functions::Registry;

    const FUNCTIONS: &str = r#"
[emulator.principals.ci]
access_key_id = "AKIDCI"
secret_access_key = "ci-secret"
[functions.f]
bin = "/nonexistent/f"
allow = ["ci"]
[functions.f.versions.1]
[functions.f.aliases]
live = "1"
open = { version = "1", allow = ["*"] }
"#;

    fn shared() -> Service {
        let config = Config::parse(FUNCTIONS, "/test/lambda-test.toml".as_ref()).unwrap();
        Service {
            registry: Registry::new(&config),
            auth: Auth::from_config(&config),
            events: EventQueue::new(Vec::new(), None),
            serve_log: None,
            activity: Activity::new(),
        }
    }

    fn target(name: &str) -> Target {
        Target::parse(name, None).unwrap()
    }

    fn principal(name: &str) -> Caller {
        Caller::Principal(Principal {
            name: name.into(),
            access_key_id: format!("AKID{name}"),
            secret_access_key: "secret".into(),
            arn: format!("arn:aws:iam::123456789012:user/{name}"),
        })
    }

    #[test]
    fn resolve_finds_the_version_and_the_invoked_arn() {
        let shared = shared();
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        let plain = resolve(&shared, &target("f")).unwrap();
        assert_eq!(
            (plain.version.as_str(), plain.invoked_arn.as_str()),
            ("$LATEST", arn)
        );
        let alias = resolve(&shared, &target("f:live")).unwrap();
        assert_eq!(alias.version, "1");
        assert_eq!(alias.invoked_arn, format!("{arn}:live"));
        let by_arn = resolve(&shared, &target(&format!("{arn}:1"))).unwrap();
        assert_eq!(by_arn.version, "1");
    }

    #[test]
    fn resolve_refuses_other_regions_before_looking_the_function_up() {
        let shared = shared();
        let other = "arn:aws:lambda:eu-west-1:123456789012:function:ghost";
        let e = resolve(&shared, &target(other)).err().unwrap();
        assert_eq!(e.error_type, "ResourceNotFoundException");
        assert_eq!(
            e.message,
            "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
        );
        let e = resolve(&shared, &target("ghost:live")).err().unwrap();
        assert_eq!(
            e.message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost:live"
        );
        let e = resolve(&shared, &target("f:ghost")).err().unwrap();
        assert_eq!(
            e.message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:f:ghost"
        );
    }

    #[test]
    fn authorize_applies_the_alias_list_over_the_function_list() {
        let shared = shared();
        let function = resolve(&shared, &target("f")).unwrap();
        assert!(authorize(&principal("ci"), &function).is_ok());
        let e = authorize(&Caller::Anyone, &function).unwrap_err();
        assert_eq!(e.error_type, "AccessDeniedException");
        assert_eq!(
            e.message,
            "User: anonymous is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:f because no resource-based policy allows the lambda:InvokeFunction action"
        );
        let open = resolve(&shared, &target("f:open")).unwrap();
        assert!(authorize(&Caller::Anyone, &open).is_ok());
    }

    fn completed(function_error: bool) -> Completed {
        Completed {
            payload: Bytes::from_static(br#"{"ok":true}"#),
            function_error,
            executed_version: "1".into(),
            log: b"START RequestId: x\nREPORT RequestId: x\n".to_vec(),
            reusable: true,
        }
    }

    #[tokio::test]
    async fn the_request_response_answer_carries_the_version_error_and_tail() {
        let answer = request_response_answer(completed(false), LogType::None);
        assert_eq!(answer.status(), 200);
        let headers = answer.headers();
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["x-amz-executed-version"], "1");
        assert!(headers.get("x-amz-function-error").is_none());
        assert!(headers.get("x-amz-log-result").is_none());
        let body = to_bytes(answer.into_body(), usize::MAX).await.unwrap();
        assert_eq!(body, r#"{"ok":true}"#);

        let answer = request_response_answer(completed(true), LogType::Tail);
        assert_eq!(answer.headers()["x-amz-function-error"], "Unhandled");
        let tail = BASE64
            .decode(answer.headers()["x-amz-log-result"].as_bytes())
            .unwrap();
        assert_eq!(tail, b"START RequestId: x\nREPORT RequestId: x\n");
    }

    #[tokio::test]
    async fn event_and_dry_run_answers_are_empty() {
        for (answer, status) in [(event_answer(), 202), (dry_run_answer(), 204)] {
            assert_eq!(answer.status(), status);
            assert!(answer.headers().get("x-amz-executed-version").is_none());
            let body = to_bytes(answer.into_body(), usize::MAX).await.unwrap();
            assert!(body.is_empty());
        }
    }

    #[test]
    fn generated_trace_ids_have_the_x_ray_shape() {
        let id = new_trace_id();
        let parts: Vec<&str> = id.split(';').collect();
        assert_eq!(parts.len(), 3, "{id}");
        assert!(
            parts[0].starts_with("Root=1-") && parts[0].len() == 7 + 8 + 1 + 24,
            "{id}"
        );
        assert!(
            parts[1].starts_with("Parent=") && parts[1].len() == 7 + 16,
            "{id}"
        );
        assert_eq!(parts[2], "Sampled=0");
    }
}

//! The control route of a local Lambda shared by several test processes (`crate::local`):
//! the control operations (`crate::local::control::LocalControl`) a test reaches in process
//! through the emulator, over HTTP, and the in-process implementation they all dispatch to.
//!
//! `POST /__lambda-test/control` takes one operation as JSON
//! (`{"operation": "event_result", "request_id": "...", "timeout": {...}}`; the list is
//! `crate::local::control`) and answers 200 with `{"ok": <answer>}` or `{"error": <error>}`.
//! It lives under `/__lambda-test/`, a path no Invoke API request has (every Invoke path starts
//! with `/2015-03-31/`), and is mounted only on a shared server, never by `lambda-test serve`.
//!
//! The server also counts requests in flight and when the last one ended, so it can stop
//! when nobody uses it.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::Service;
use super::events::{DeadLetter, EventResult, EventStats};
use crate::Error;
use crate::local::control::{Answer, ControlFuture, LocalControl, Request, WireError, dispatch};

/// The path of the control route.
pub const ROUTE: &str = "/__lambda-test/control";

/// Requests in flight and the end of the last one.
#[derive(Debug)]
pub struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    pub(super) fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        }
    }

    /// How long no request has been in flight; zero while one is.
    pub fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return Duration::ZERO;
        }
        self.last.lock().expect("activity poisoned").elapsed()
    }

    fn touch(&self) {
        *self.last.lock().expect("activity poisoned") = Instant::now();
    }
}

/// Counts a request as in flight until its answer is written, or until it is dropped
/// unanswered (the caller went away).
async fn track(
    State(shared): State<Arc<Service>>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let _in_flight = InFlight::new(&shared.activity);
    next.run(request).await
}

struct InFlight<'a>(&'a Activity);

impl<'a> InFlight<'a> {
    fn new(activity: &'a Activity) -> Self {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        activity.touch();
        InFlight(activity)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The in-process implementation: the emulator's own state, which the control route also
/// serves.
impl LocalControl for Service {
    fn check_binary(&self, function: &str) -> Result<(), Error> {
        self.registry.check_binary(function)
    }

    fn events_drained(&self) -> ControlFuture<'_, ()> {
        Box::pin(async move {
            self.events.drained().await;
            Ok(())
        })
    }

    fn event_result(
        &self,
        request_id: String,
        timeout: Duration,
    ) -> ControlFuture<'_, EventResult> {
        Box::pin(async move { self.events.result(&request_id, timeout).await })
    }

    fn dead_letters(&self) -> ControlFuture<'_, Vec<DeadLetter>> {
        Box::pin(async move { Ok(self.events.dead_letters()) })
    }

    fn event_stats(&self) -> ControlFuture<'_, EventStats> {
        Box::pin(async move { Ok(self.events.stats()) })
    }

    fn stop_instances(&self) -> ControlFuture<'_, ()> {
        Box::pin(async move {
            super::stop_instances(&self.registry).await;
            Ok(())
        })
    }
}

/// The control route: one operation in, its answer out.
async fn control(State(shared): State<Arc<Service>>, body: Bytes) -> Response {
    let answer = match serde_json::from_slice::<Request>(&body) {
        Ok(request) => match dispatch(&*shared, request).await {
            Ok(value) => Answer::Ok(value),
            Err(e) => Answer::Error(WireError::from(&e)),
        },
        Err(e) => {
            let message = format!("not a control request ({e})");
            let body = serde_json::to_vec(&Answer::Error(WireError::Other { message }));
            return (StatusCode::BAD_REQUEST, body.expect("serializable")).into_response();
        }
    };
    let body = serde_json::to_vec(&answer).expect("control answers serialize");
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

/// The Invoke API plus the control route, with activity tracking.
pub(super) fn router(shared: Arc<Service>) -> axum::Router {
    // The control route is added after the Invoke API's layer: it gets no request id and no
    // serve log line, as it is no invocation.
    crate::emulator::api::router(Arc::clone(&shared))
        .route(ROUTE, post(control).with_state(Arc::clone(&shared)))
        .layer(axum::middleware::from_fn_with_state(shared, track))
}

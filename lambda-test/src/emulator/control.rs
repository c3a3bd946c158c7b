//! The control routes of a local Lambda shared by several test processes (`crate::shared`):
//! what a test reaches in process through [`Emulator`](super::Emulator), over HTTP.
//!
//! They live under `/__lambda-test/`, a path no Invoke API request has (every Invoke path
//! starts with `/2015-03-31/`), and are mounted only on a shared server, never by
//! `lambda-test serve`.
//!
//! | route | answer |
//! |---|---|
//! | `POST /__lambda-test/events-drained` | 200 once every queued `Event` has run |
//! | `GET /__lambda-test/dead-letters` | the dead letters, JSON |
//! | `GET /__lambda-test/event-stats` | the event counters, JSON |
//! | `POST /__lambda-test/stop-instances` | 200 once every warm instance is stopped |
//!
//! The server also counts requests in flight and when the last one ended, so it can stop
//! when nobody uses it.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::Shared;

/// The path prefix of the control routes.
pub const PREFIX: &str = "/__lambda-test";

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
async fn track(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
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

fn json(value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("serializable");
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// The Invoke API plus the control routes, with activity tracking.
pub(super) fn router(shared: Arc<Shared>) -> axum::Router {
    let control = axum::Router::new()
        .route(
            "/events-drained",
            post(|State(s): State<Arc<Shared>>| async move { s.events.drained().await }),
        )
        .route(
            "/dead-letters",
            get(|State(s): State<Arc<Shared>>| async move { json(&s.events.dead_letters()) }),
        )
        .route(
            "/event-stats",
            get(|State(s): State<Arc<Shared>>| async move { json(&s.events.stats()) }),
        )
        .route(
            "/stop-instances",
            post(|State(s): State<Arc<Shared>>| async move {
                super::stop_instances(&s.registry).await;
                ().into_response()
            }),
        );
    crate::emulator::api::router(Arc::clone(&shared))
        .nest(PREFIX, control.with_state(Arc::clone(&shared)))
        .layer(axum::middleware::from_fn_with_state(shared, track))
}

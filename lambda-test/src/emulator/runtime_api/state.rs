//! What one instance's Runtime API and the code driving the instance share: the event waiting
//! for `GET /next`, the invocation in flight, and what the runtime reported.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::body::Bytes;
use tokio::sync::{mpsc, oneshot, watch};

use super::body::{BodyEnded, ResponseBody, ResponseHead};

/// An event handed to the runtime by `GET /next`.
pub struct Delivery {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// The event, verbatim.
    pub payload: Bytes,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub invoked_arn: String,
    /// `Lambda-Runtime-Trace-Id`.
    pub trace_id: String,
    /// `Lambda-Runtime-Client-Context` (decoded JSON).
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Aws-Tenant-Id`.
    pub tenant_id: Option<String>,
    /// Timeout of the function, to compute `Lambda-Runtime-Deadline-Ms` at delivery.
    pub timeout: std::time::Duration,
    /// Where the runtime's answer goes.
    pub result: oneshot::Sender<RuntimeResult>,
}

/// What the runtime answered for one invocation.
pub enum RuntimeResult {
    /// `POST /{id}/response` began: its head now, its body as it arrives.
    Response {
        /// Content type and response mode.
        head: ResponseHead,
        /// The body, chunk by chunk.
        body: ResponseBody,
        /// When the runtime finished writing the body.
        ended: BodyEnded,
    },
    /// `POST /{id}/error`: the error document.
    Error(Bytes),
    /// `POST /{id}/response` with a `Lambda-Runtime-Function-Response-Mode` that is neither
    /// missing nor `streaming`.
    InvalidResponseMode,
}

pub(super) struct InFlight {
    pub(super) request_id: String,
    pub(super) result: oneshot::Sender<RuntimeResult>,
}

/// An `init/error` report.
#[derive(Debug, Clone)]
pub struct InitError {
    /// The body, returned to the caller verbatim.
    pub body: Bytes,
    /// `Lambda-Runtime-Function-Error-Type`.
    pub error_type: Option<String>,
}

/// The state shared between one instance's Runtime API and the code driving the instance.
pub struct RuntimeState {
    pub(super) deliveries: tokio::sync::Mutex<mpsc::Receiver<Delivery>>,
    pub(super) in_flight: Mutex<Option<InFlight>>,
    /// Counts `GET /next` requests: a change means the runtime is ready for the next event.
    pub(super) polls: watch::Sender<u64>,
    /// When the current event was handed out (the start of Duration).
    pub(super) delivered_at: Mutex<Option<Instant>>,
    pub(super) first_poll: OnceLock<Instant>,
    pub(super) init_error: Mutex<Option<InitError>>,
    pub(super) extension_registered: AtomicBool,
    closed: watch::Sender<bool>,
    pub(super) register_body: serde_json::Value,
}

impl RuntimeState {
    /// New state; `deliveries` is fed by the instance, `register_body` answers extension registration.
    pub fn new(
        deliveries: mpsc::Receiver<Delivery>,
        register_body: serde_json::Value,
    ) -> Arc<Self> {
        Arc::new(Self {
            deliveries: tokio::sync::Mutex::new(deliveries),
            in_flight: Mutex::new(None),
            polls: watch::channel(0).0,
            delivered_at: Mutex::new(None),
            first_poll: OnceLock::new(),
            init_error: Mutex::new(None),
            extension_registered: AtomicBool::new(false),
            closed: watch::channel(false).0,
            register_body,
        })
    }

    /// Watches `GET /next` requests.
    pub fn polls(&self) -> watch::Receiver<u64> {
        self.polls.subscribe()
    }

    /// When init ended (the first `GET /next`).
    pub fn first_poll(&self) -> Option<Instant> {
        self.first_poll.get().copied()
    }

    /// When the current event was handed to the runtime.
    pub fn delivered_at(&self) -> Option<Instant> {
        *self.delivered_at.lock().expect("poisoned")
    }

    /// The `init/error` report, if the runtime made one.
    pub fn init_error(&self) -> Option<InitError> {
        self.init_error.lock().expect("poisoned").clone()
    }

    /// Whether an extension registered (the runtime then gets SIGTERM before SIGKILL).
    pub fn extension_registered(&self) -> bool {
        self.extension_registered.load(Ordering::Relaxed)
    }

    /// Ends every pending long poll; the instance is going away.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    pub(super) async fn closed(&self) {
        let mut closed = self.closed.subscribe();
        let _ = closed.wait_for(|c| *c).await;
    }

    /// Where the answer for `id` goes, if `id` is the invocation in flight; it is then no
    /// longer in flight (a second answer is refused).
    pub(super) fn take_in_flight(&self, id: &str) -> Option<oneshot::Sender<RuntimeResult>> {
        let mut in_flight = self.in_flight.lock().expect("poisoned");
        match in_flight.take() {
            Some(f) if f.request_id == id => Some(f.result),
            other => {
                *in_flight = other;
                None
            }
        }
    }
}

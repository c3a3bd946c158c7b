//! Asynchronous (`Event`) invocations: a queue, retries on function errors, a dead-letter
//! record of the events that still failed (lambda-api.md 7.4), and the result of each event
//! by its request id, so a test waits for its own event and no one else's.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use super::instance::{Completed, Invoke};
use crate::Error;
use crate::emulator::functions::Function;

/// How one `Event` invocation ended, retries included.
///
/// ```no_run
/// # async fn demo(outcome: lambda_test::Outcome) -> Result<(), lambda_test::Error> {
/// // In a `#[lambda_test(invocation_type = "Event", ...)]` body:
/// let result = outcome.event_result().await?;
/// assert!(result.succeeded(), "{result:?}");
/// assert_eq!(result.attempts, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventResult {
    /// The request id of the 202 answer, which every attempt used.
    pub request_id: String,
    /// The ARN as the caller addressed the function.
    pub function_arn: String,
    /// The version that ran.
    pub executed_version: String,
    /// How many times the function ran (1, or up to 3 with retries).
    pub attempts: u32,
    /// `Unhandled` when the last attempt failed (the payload is then its error document).
    pub function_error: Option<String>,
    /// What the last attempt returned: the function's response, or its error document (JSON;
    /// a string when it is not JSON).
    pub payload: Value,
    /// Whether the event was given up and recorded as a [`DeadLetter`].
    pub dead_lettered: bool,
}

impl EventResult {
    /// Whether the last attempt succeeded.
    pub fn succeeded(&self) -> bool {
        self.function_error.is_none()
    }
}

/// An event that failed on every attempt: the on-failure destination record AWS writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The request id every attempt used.
    pub request_id: String,
    /// The ARN as the caller addressed the function.
    pub function_arn: String,
    /// The version that ran.
    pub executed_version: String,
    /// `RetriesExhausted`.
    pub condition: String,
    /// How many times the function ran.
    pub attempts: u32,
    /// The event.
    pub request_payload: Value,
    /// The last error document.
    pub response_payload: Value,
    /// When the event was given up, RFC 3339.
    pub timestamp: String,
}

impl DeadLetter {
    /// The record in AWS's destination format.
    pub fn to_record(&self) -> Value {
        serde_json::json!({
            "version": "1.0",
            "timestamp": self.timestamp,
            "requestContext": {
                "requestId": self.request_id,
                "functionArn": self.function_arn,
                "condition": self.condition,
                "approximateInvokeCount": self.attempts,
            },
            "requestPayload": self.request_payload,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": self.executed_version,
                "functionError": "Unhandled",
            },
            "responsePayload": self.response_payload,
        })
    }
}

/// Counts of what the queue did, for accounting in tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventStats {
    /// Events accepted (202).
    pub enqueued: u64,
    /// Events whose last attempt succeeded.
    pub succeeded: u64,
    /// Events given up after every retry.
    pub dead_lettered: u64,
    /// Times the function ran for an event, retries included.
    pub attempts: u64,
}

/// The queue of one local Lambda.
pub struct EventQueue {
    stats: Mutex<EventStats>,
    retry_delays: Vec<Duration>,
    pending: watch::Sender<usize>,
    dead_letters: Mutex<Vec<DeadLetter>>,
    dead_letter_file: Option<PathBuf>,
    /// Every event's result by request id: `None` while it is queued or running.
    results: Mutex<HashMap<String, watch::Sender<Option<EventResult>>>>,
}

/// How long a throttled event waits before it tries for a slot again (not counted as a retry).
const THROTTLE_BACKOFF: Duration = Duration::from_millis(50);

impl EventQueue {
    /// A queue that retries a failed event once after each delay (AWS: 2 retries, after 1 and 2 minutes).
    pub fn new(retry_delays: Vec<Duration>, dead_letter_file: Option<PathBuf>) -> Arc<Self> {
        Arc::new(Self {
            stats: Mutex::new(EventStats::default()),
            retry_delays,
            pending: watch::channel(0).0,
            dead_letters: Mutex::new(Vec::new()),
            dead_letter_file,
            results: Mutex::default(),
        })
    }

    /// Queues an event; it runs in the background. Its result is kept under
    /// `invoke.request_id` ([`EventQueue::result`]).
    pub fn enqueue(self: &Arc<Self>, function: Arc<Function>, version: String, invoke: Invoke) {
        self.pending.send_modify(|n| *n += 1);
        self.count(|s| s.enqueued += 1);
        self.results
            .lock()
            .expect("poisoned")
            .insert(invoke.request_id.clone(), watch::channel(None).0);
        let queue = Arc::clone(self);
        tokio::spawn(async move {
            let result = queue.run(function, version, &invoke).await;
            if let Some(sender) = queue
                .results
                .lock()
                .expect("poisoned")
                .get(&invoke.request_id)
            {
                sender.send_replace(Some(result));
            }
            queue.pending.send_modify(|n| *n -= 1);
        });
    }

    /// Runs an event until it succeeds or its retries are spent; how it ended.
    async fn run(&self, function: Arc<Function>, version: String, invoke: &Invoke) -> EventResult {
        let Some(pool) = function.pool(&version).cloned() else {
            // The Invoke API resolved the version before queueing; it cannot vanish.
            return EventResult {
                request_id: invoke.request_id.clone(),
                function_arn: invoke.invoked_arn.clone(),
                executed_version: version,
                attempts: 0,
                function_error: Some("Unhandled".to_owned()),
                payload: serde_json::json!({"errorMessage": "the version no longer exists"}),
                dead_lettered: false,
            };
        };
        let mut attempts = 0u32;
        loop {
            let slot = loop {
                match function.acquire() {
                    Ok(slot) => break slot,
                    Err(_) => tokio::time::sleep(THROTTLE_BACKOFF).await,
                }
            };
            attempts += 1;
            self.count(|s| s.attempts += 1);
            let completed = pool.invoke(invoke.clone()).await;
            drop(slot);
            if !completed.function_error {
                self.count(|s| s.succeeded += 1);
                return result(invoke, attempts, completed, false);
            }
            match self.retry_delays.get(attempts as usize - 1) {
                Some(delay) => tokio::time::sleep(*delay).await,
                None => {
                    let result = result(invoke, attempts, completed, true);
                    self.dead_letter(DeadLetter {
                        request_id: invoke.request_id.clone(),
                        function_arn: invoke.invoked_arn.clone(),
                        executed_version: result.executed_version.clone(),
                        condition: "RetriesExhausted".to_owned(),
                        attempts,
                        request_payload: json_or_text(&invoke.payload),
                        response_payload: result.payload.clone(),
                        timestamp: super::clock::rfc3339_millis(std::time::SystemTime::now()),
                    });
                    return result;
                }
            }
        }
    }

    /// The result of the event queued with `request_id`, once it has finished: waits up to
    /// `timeout` for it.
    pub async fn result(&self, request_id: &str, timeout: Duration) -> Result<EventResult, Error> {
        let receiver = self
            .results
            .lock()
            .expect("poisoned")
            .get(request_id)
            .map(watch::Sender::subscribe);
        let Some(mut receiver) = receiver else {
            return Err(Error::UnknownEvent {
                request_id: request_id.to_owned(),
            });
        };
        let timed_out = || Error::EventTimeout {
            request_id: request_id.to_owned(),
            timeout,
        };
        match tokio::time::timeout(timeout, receiver.wait_for(Option::is_some)).await {
            Ok(Ok(finished)) => Ok(finished.clone().expect("waited for a result")),
            // The sender lives in the map as long as the queue: not dropped while we wait.
            Ok(Err(_)) | Err(_) => Err(timed_out()),
        }
    }

    fn count(&self, update: impl FnOnce(&mut EventStats)) {
        update(&mut self.stats.lock().expect("poisoned"));
    }

    /// What the queue did so far.
    pub fn stats(&self) -> EventStats {
        *self.stats.lock().expect("poisoned")
    }

    fn dead_letter(&self, letter: DeadLetter) {
        self.count(|s| s.dead_lettered += 1);
        if let Some(path) = &self.dead_letter_file {
            let line = letter.to_record().to_string();
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{line}"));
            if let Err(e) = written {
                eprintln!(
                    "lambda-test: failed to write dead letter to {}: {e}",
                    path.display()
                );
            }
        }
        self.dead_letters.lock().expect("poisoned").push(letter);
    }

    /// Events that failed on every attempt, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.dead_letters.lock().expect("poisoned").clone()
    }

    /// Waits until no event is queued or running.
    pub async fn drained(&self) {
        let mut pending = self.pending.subscribe();
        let _ = pending.wait_for(|n| *n == 0).await;
    }

    /// Events queued or running now.
    pub fn pending(&self) -> usize {
        *self.pending.borrow()
    }
}

/// The result of an event whose last attempt ended with `completed`.
fn result(
    invoke: &Invoke,
    attempts: u32,
    completed: Completed,
    dead_lettered: bool,
) -> EventResult {
    EventResult {
        request_id: invoke.request_id.clone(),
        function_arn: invoke.invoked_arn.clone(),
        executed_version: completed.executed_version,
        attempts,
        function_error: completed.function_error.then(|| "Unhandled".to_owned()),
        payload: json_or_text(&completed.payload),
        dead_lettered,
    }
}

/// A payload as JSON, or as a string when it is not JSON.
fn json_or_text(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

//! The warm instances of one version, and the two ways to invoke one: streaming (the answer's
//! head as soon as the runtime starts it, the body as it arrives) and buffered (a collector
//! over the streaming one).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::oneshot;

use crate::emulator::instance::{
    Answer, Completed, Finished, Instance, InvalidEntrypoint, Invoke, VersionSettings,
};
use crate::emulator::logs::{
    self, InvocationLog, InvocationReport, LogFormat, PlatformEvent, ReportStatus,
};
use crate::emulator::runtime_api::{BodyEnd, ErrorDocument, MAX_RESPONSE_BYTES};

/// The warm instances of one version.
pub struct VersionPool {
    settings: Arc<VersionSettings>,
    state: Mutex<PoolState>,
}

/// What a pool holds, under one lock.
#[derive(Default)]
struct PoolState {
    idle: Vec<Instance>,
    /// Instances whose caller has its answer but whose invocation is still ending.
    finishing: usize,
    /// Callers waiting for a finishing instance, first come first served: an instance that
    /// comes back goes to the oldest. `None` tells a waiter its instance will not come back.
    waiters: VecDeque<oneshot::Sender<Option<Instance>>>,
}

/// How long, at most, a caller waits for an instance that is ending its last invocation
/// before it starts a new one. Ending takes the runtime's next `GET /next`, normally far less;
/// the bound keeps a runtime that lingers after its response from holding callers up.
const FINISHING_WAIT: Duration = Duration::from_millis(100);

/// An invocation whose answer has begun.
pub struct StreamingInvocation {
    /// The version that runs.
    pub executed_version: String,
    /// The answer: a response streaming in, or an error document.
    pub answer: Answer,
    /// The end of the invocation: its log, and whether the instance stays warm.
    pub finished: Finishing,
}

/// The end of an invocation still running after its answer began.
pub struct Finishing(oneshot::Receiver<Finished>);

impl Finishing {
    /// Waits for the invocation's end (the runtime's next `GET /next`, its exit, or a kill).
    pub async fn wait(self) -> Finished {
        self.0
            .await
            .expect("the invocation task always finishes before it ends")
    }

    fn ready(finished: Finished) -> Finishing {
        let (sender, receiver) = oneshot::channel();
        let _ = sender.send(finished);
        Finishing(receiver)
    }
}

impl VersionPool {
    pub(super) fn new(settings: VersionSettings) -> Self {
        Self {
            settings: Arc::new(settings),
            state: Mutex::new(PoolState::default()),
        }
    }

    /// The version's settings.
    pub fn settings(&self) -> &VersionSettings {
        &self.settings
    }

    /// Runs an invocation on a warm instance, or on a new one (a cold start), and returns as
    /// soon as the runtime starts answering. The invocation goes on in the background, even if
    /// the answer is dropped, and its instance comes back to the pool when it ends.
    pub async fn invoke_streaming(self: &Arc<Self>, invoke: Invoke) -> StreamingInvocation {
        let mut instance = match self.checkout().await {
            Ok(instance) => instance,
            Err(e) => return self.invalid_entrypoint(&invoke.request_id, &e.0),
        };
        // A caller who reads no log leaves before the instance is back: it counts as
        // finishing from before the answer goes out, so that the next caller waits for it
        // rather than cold-starting another.
        let answered_early = !invoke.log_wanted;
        if answered_early {
            self.state.lock().expect("pool poisoned").finishing += 1;
        }
        let (answer_tx, answer_rx) = oneshot::channel();
        let (finished_tx, finished_rx) = oneshot::channel();
        let pool = Arc::clone(self);
        tokio::spawn(async move {
            let (answer, pending) = instance.begin(invoke).await;
            let _ = answer_tx.send(answer);
            let finished = instance.finish(pending).await;
            // Back in the pool before the log goes out: a caller reading logs one invocation
            // after another finds its instance warm.
            pool.checkin(instance, finished.reusable, answered_early);
            let _ = finished_tx.send(finished);
        });
        StreamingInvocation {
            executed_version: self.settings.version.clone(),
            answer: answer_rx
                .await
                .expect("the invocation task always answers before it ends"),
            finished: Finishing(finished_rx),
        }
    }

    /// Runs an invocation and collects its answer, of at most [`MAX_RESPONSE_BYTES`].
    ///
    /// A caller who reads no log is answered as soon as the function's result is in; the
    /// instance finishes its invocation in the background and comes back to the pool then.
    pub async fn invoke(self: &Arc<Self>, invoke: Invoke) -> Completed {
        let log_wanted = invoke.log_wanted;
        self.invoke_streaming(invoke)
            .await
            .collect(log_wanted)
            .await
    }

    /// A warm instance; or one finishing its last invocation, if one comes back within
    /// [`FINISHING_WAIT`]; or a new one (a cold start).
    ///
    /// A caller waits only for an instance no earlier caller is waiting for, and instances go
    /// to waiters in arrival order: a caller that could lose every race for returning
    /// instances made the tail latency under concurrency.
    async fn checkout(&self) -> Result<Instance, InvalidEntrypoint> {
        let waiting = {
            let mut state = self.state.lock().expect("pool poisoned");
            if let Some(instance) = state.idle.pop() {
                return Ok(instance);
            }
            state.waiters.retain(|w| !w.is_closed());
            (state.finishing > state.waiters.len()).then(|| {
                let (sender, receiver) = oneshot::channel();
                state.waiters.push_back(sender);
                receiver
            })
        };
        if let Some(receiver) = waiting
            && let Ok(Ok(Some(instance))) = tokio::time::timeout(FINISHING_WAIT, receiver).await
        {
            return Ok(instance);
        }
        Instance::spawn(Arc::clone(&self.settings)).await
    }

    fn checkin(&self, instance: Instance, reusable: bool, was_finishing: bool) {
        let mut state = self.state.lock().expect("pool poisoned");
        if was_finishing {
            state.finishing -= 1;
        }
        if !reusable {
            // A waiter counting on this instance starts a new one now instead of waiting.
            state.waiters.retain(|w| !w.is_closed());
            if state.waiters.len() > state.finishing
                && let Some(waiter) = state.waiters.pop_back()
            {
                let _ = waiter.send(None);
            }
            drop(state);
            drop(instance);
            return;
        }
        let mut instance = instance;
        while let Some(waiter) = state.waiters.pop_front() {
            match waiter.send(Some(instance)) {
                Ok(()) => return,
                // That caller gave up waiting: the next one, or the idle list.
                Err(back) => instance = back.expect("sent an instance"),
            }
        }
        state.idle.push(instance);
    }

    /// Kills every warm instance (gracefully where an extension asked for it).
    pub async fn shutdown(&self) {
        let instances = std::mem::take(&mut self.state.lock().expect("pool poisoned").idle);
        for instance in instances {
            instance.shutdown().await;
        }
    }

    /// The answer when the entrypoint cannot be started (lambda-api.md 5.6).
    fn invalid_entrypoint(&self, id: &str, reason: &str) -> StreamingInvocation {
        let error_type = "Runtime.InvalidEntrypoint";
        let mut log = InvocationLog::new(LogFormat::of(&self.settings.logging));
        log.event(PlatformEvent::Start {
            request_id: id,
            version: &self.settings.version,
        });
        log.event(PlatformEvent::RuntimeError {
            request_id: id,
            reason,
            error_type,
        });
        log.event(PlatformEvent::End { request_id: id });
        log.event(PlatformEvent::Report(InvocationReport {
            request_id: id,
            duration: Duration::ZERO,
            memory_size_mb: self.settings.memory_size,
            max_memory_used_mb: 0,
            init_duration: None,
            status: ReportStatus::Error(error_type),
        }));
        let document = ErrorDocument::new(error_type, logs::error_message(id, reason)).to_bytes();
        StreamingInvocation {
            executed_version: self.settings.version.clone(),
            answer: Answer::Failed(document.clone()),
            finished: Finishing::ready(Finished {
                error: Some(document),
                log: log.into_bytes(),
                reusable: false,
            }),
        }
    }
}

impl StreamingInvocation {
    /// Collects the answer as the buffered Invoke returns it: a body over
    /// [`MAX_RESPONSE_BYTES`] becomes `Function.ResponseSizeTooLarge`. Without `log_wanted` it
    /// returns as soon as the answer is complete, before the invocation ends.
    pub async fn collect(self, log_wanted: bool) -> Completed {
        let (payload, function_error) = match self.answer {
            Answer::Response { body, .. } => {
                let collected = body.collect(MAX_RESPONSE_BYTES).await;
                match collected.end {
                    BodyEnd::Complete => (collected.bytes, false),
                    BodyEnd::TooLarge => (response_too_large(MAX_RESPONSE_BYTES), true),
                    BodyEnd::ErrorTrailer {
                        error_type,
                        error_body,
                    } => (ErrorDocument::or_empty_body(error_body, &error_type), true),
                    // No answer after all: the invocation's end tells what happened.
                    BodyEnd::Truncated => return ended(self.executed_version, self.finished).await,
                }
            }
            Answer::FunctionError(document) => (document, true),
            Answer::Failed(_) => return ended(self.executed_version, self.finished).await,
        };
        let (log, reusable) = if log_wanted {
            let finished = self.finished.wait().await;
            (finished.log, finished.reusable)
        } else {
            (Vec::new(), true)
        };
        Completed {
            payload,
            function_error,
            executed_version: self.executed_version,
            log,
            reusable,
        }
    }
}

/// The result of an invocation that failed: its error document and log, once it ended.
async fn ended(executed_version: String, finished: Finishing) -> Completed {
    let finished = finished.wait().await;
    let payload = finished.error.unwrap_or_else(|| {
        ErrorDocument::new("Runtime.TruncatedResponse", "The response was truncated.").to_bytes()
    });
    Completed {
        payload,
        function_error: true,
        executed_version,
        log: finished.log,
        reusable: finished.reusable,
    }
}

/// The error document of a response over `limit` bytes.
pub(crate) fn response_too_large(limit: usize) -> Bytes {
    ErrorDocument::new(
        "Function.ResponseSizeTooLarge",
        format!("Response payload size exceeded maximum allowed payload size ({limit} bytes)."),
    )
    .to_bytes()
}

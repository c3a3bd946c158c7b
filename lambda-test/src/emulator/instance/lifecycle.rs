//! The steps of one invocation on an instance: init (when cold), deliver, await the head of the
//! answer, drain its body, await the runtime's next `GET /next`, and the log of it all.
//!
//! Every way an invocation ends goes through [`Instance::conclude`], which writes END and
//! REPORT; the platform events are values that [`InvocationLog`] renders.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::oneshot;
use tokio::time::sleep_until;

use super::memory;
use super::process::exit_reason;
use super::{Answer, Finished, Instance, Invoke};
use crate::emulator::logs::{
    self, InvocationLog, InvocationReport, LogFormat, PlatformEvent, ReportStatus,
};
use crate::emulator::runtime_api::{BodyEnd, BodyEnded, Delivery, ErrorDocument, RuntimeResult};

/// On-demand init may take this long before it counts as timed out.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a process that exited gets to have its exit status collected.
const EXIT_WAIT: Duration = Duration::from_secs(1);

/// An invocation between [`Instance::begin`] and [`Instance::finish`].
pub struct Pending(Stage);

enum Stage {
    /// It has ended already (it failed before any answer).
    Ended(Finished),
    /// The runtime answered with an error document in this time.
    Answered { run: Run, duration: Duration },
    /// The runtime's response body is still arriving.
    Streaming { run: Run, ended: BodyEnded },
}

/// One invocation in progress.
struct Run {
    request_id: String,
    log: InvocationLog,
    init_duration: Option<Duration>,
    /// `GET /next` count when the event went out: one more ends the invocation.
    polls_at_delivery: u64,
    sent_at: Instant,
    deadline: tokio::time::Instant,
}

/// How an invocation ended, for its REPORT line and its error document.
enum Ending {
    /// The runtime answered (a response or an error document of its own).
    Answered,
    /// It ran out of time.
    Timeout,
    /// The runtime failed; the caller gets `document`.
    Failed { error_type: String, document: Bytes },
}

impl Instance {
    /// Runs an invocation up to the start of the runtime's answer: init when the instance is
    /// cold, then the event. The answer is what a caller who reads no log may have at once;
    /// [`Instance::finish`] must follow, before the instance serves again.
    pub async fn begin(&mut self, invoke: Invoke) -> (Answer, Pending) {
        let cold = self.served == 0;
        self.served += 1;
        self.log_wanted = invoke.log_wanted;
        // Nobody reads the log of a caller who asked for no tail: no output is kept for it
        // and no platform line rendered.
        self.output.keep(invoke.log_wanted);
        let mut log = if invoke.log_wanted {
            InvocationLog::new(LogFormat::of(&self.settings.logging))
        } else {
            InvocationLog::unread()
        };
        let init_duration = if cold {
            match self.await_init(&invoke.request_id, log).await {
                Ok((init_duration, unused_log)) => {
                    log = unused_log;
                    init_duration
                }
                Err(finished) => return failed(finished),
            }
        } else {
            None
        };
        // Init output is not part of the invocation log.
        let _init_output = self.take_output();
        log.event(PlatformEvent::Start {
            request_id: &invoke.request_id,
            version: &self.settings.version,
        });
        let (run, result) = match self.deliver(invoke, log, init_duration) {
            Ok(delivered) => delivered,
            Err(run) => {
                // The Runtime API is gone; the process is on its way out.
                let status = self.wait_exit(EXIT_WAIT).await;
                return failed(self.crashed(run, status));
            }
        };
        self.await_head(run, result).await
    }

    /// Runs an invocation begun by [`Instance::begin`] to its end: the rest of the answer,
    /// the runtime's next `GET /next` (or its exit, or the deadline), END and REPORT.
    pub async fn finish(&mut self, pending: Pending) -> Finished {
        match pending.0 {
            Stage::Ended(finished) => finished,
            Stage::Answered { run, duration } => {
                self.await_next(&run).await;
                self.conclude(run, Ending::Answered, duration)
            }
            Stage::Streaming { run, ended } => self.drain(run, ended).await,
        }
    }

    /// Init: from spawn to the first `GET /next`. A failed or timed-out init ends the
    /// invocation; otherwise its duration (for REPORT) and the untouched log come back.
    async fn await_init(
        &mut self,
        request_id: &str,
        log: InvocationLog,
    ) -> Result<(Option<Duration>, InvocationLog), Finished> {
        let mut polls = self.state.polls();
        let mut exit = self.exit.clone();
        let init_deadline = tokio::time::Instant::from_std(self.spawned_at + INIT_TIMEOUT);
        let run = |log| Run {
            request_id: request_id.to_owned(),
            log,
            init_duration: None,
            polls_at_delivery: 0,
            sent_at: Instant::now(),
            deadline: init_deadline,
        };
        tokio::select! {
            _ = polls.wait_for(|n| *n > 0) => {
                let init_duration = self.state.first_poll().map(|t| t - self.spawned_at);
                Ok((init_duration, log))
            }
            status = exit.wait_for(Option::is_some) => {
                let status = status.ok().and_then(|s| *s);
                Err(self.init_failed(run(log), status))
            }
            () = sleep_until(init_deadline) => Err(self.init_timed_out(run(log))),
        }
    }

    /// Hands the event to the runtime's `GET /next`; the run back if the Runtime API is gone.
    fn deliver(
        &mut self,
        invoke: Invoke,
        log: InvocationLog,
        init_duration: Option<Duration>,
    ) -> Result<(Run, oneshot::Receiver<RuntimeResult>), Run> {
        let (result_tx, result_rx) = oneshot::channel();
        let polls_at_delivery = *self.state.polls().borrow();
        let request_id = invoke.request_id.clone();
        let sent = self.deliveries.try_send(Delivery {
            request_id: invoke.request_id,
            payload: invoke.payload,
            invoked_arn: invoke.invoked_arn,
            trace_id: invoke.trace_id,
            client_context: invoke.client_context,
            tenant_id: invoke.tenant_id,
            timeout: self.settings.timeout,
            result: result_tx,
        });
        let sent_at = Instant::now();
        self.running.send_replace(true);
        // Measured now as well as at the end: a process that crashes has no /proc entry left.
        self.measure_memory();
        let run = Run {
            request_id,
            log,
            init_duration,
            polls_at_delivery,
            sent_at,
            deadline: tokio::time::Instant::from_std(sent_at + self.settings.timeout),
        };
        match sent {
            Ok(()) => Ok((run, result_rx)),
            Err(_) => Err(run),
        }
    }

    /// Waits for the runtime to start answering: `/response` (its head), `/error`, its exit, or
    /// the deadline.
    async fn await_head(
        &mut self,
        run: Run,
        result: oneshot::Receiver<RuntimeResult>,
    ) -> (Answer, Pending) {
        let mut exit = self.exit.clone();
        let memory = memory::exceeded(self.over_memory.clone());
        let answer = tokio::select! {
            r = result => r.ok(),
            _ = exit.wait_for(Option::is_some) => None,
            () = sleep_until(run.deadline) => return failed(self.timed_out(run)),
            () = memory => return failed(self.out_of_memory(run)),
        };
        let error = |document: Bytes, run: Run| {
            let duration = run.started(self).elapsed();
            let pending = Pending(Stage::Answered { run, duration });
            (Answer::FunctionError(document), pending)
        };
        match answer {
            Some(RuntimeResult::Response { head, body, ended }) => (
                Answer::Response { head, body },
                Pending(Stage::Streaming { run, ended }),
            ),
            Some(RuntimeResult::Error(document)) => error(document, run),
            Some(RuntimeResult::InvalidResponseMode) => {
                let document = ErrorDocument::new(
                    "Runtime.InvalidResponseModeHeader",
                    "Invalid function response mode",
                );
                error(document.to_bytes(), run)
            }
            None => {
                let status = self.wait_exit(EXIT_WAIT).await;
                failed(self.crashed(run, status))
            }
        }
    }

    /// Waits for the runtime to finish writing its response body, then for its next request.
    /// A body cut short is no answer: the invocation ends as the process does, or at the
    /// deadline.
    async fn drain(&mut self, run: Run, mut ended: BodyEnded) -> Finished {
        let mut exit = self.exit.clone();
        let memory = memory::exceeded(self.over_memory.clone());
        let end = tokio::select! {
            end = ended.wait() => Some(end),
            _ = exit.wait_for(Option::is_some) => None,
            () = sleep_until(run.deadline) => return self.timed_out(run),
            () = memory => return self.out_of_memory(run),
        };
        // The process is gone, so its connection is: the body ends at once.
        let end = match end {
            Some(end) => end,
            None => tokio::time::timeout(EXIT_WAIT, ended.wait())
                .await
                .unwrap_or(BodyEnd::Truncated),
        };
        if end == BodyEnd::Truncated {
            let mut exit = self.exit.clone();
            tokio::select! {
                _ = exit.wait_for(Option::is_some) => {}
                () = sleep_until(run.deadline) => return self.timed_out(run),
            }
            let status = self.wait_exit(EXIT_WAIT).await;
            return self.crashed(run, status);
        }
        let duration = run.started(self).elapsed();
        self.await_next(&run).await;
        self.conclude(run, Ending::Answered, duration)
    }

    /// The invocation ends when the runtime asks for the next event (or exits, or the
    /// deadline passes).
    async fn await_next(&self, run: &Run) {
        let mut polls = self.state.polls();
        let mut exit = self.exit.clone();
        tokio::select! {
            _ = polls.wait_for(|n| *n > run.polls_at_delivery) => {}
            _ = exit.wait_for(Option::is_some) => {}
            () = sleep_until(run.deadline) => {}
        }
    }

    /// The deadline passed: the process is killed, and the next invocation starts cold.
    fn timed_out(&mut self, run: Run) -> Finished {
        self.kill();
        let timeout = self.settings.timeout;
        self.conclude(run, Ending::Timeout, timeout)
    }

    /// The process's memory passed the function's `memory_size`: it is killed, as Lambda's
    /// sandbox kills it (`Runtime.OutOfMemory`, `Max Memory Used` at the limit), and the next
    /// invocation starts cold.
    fn out_of_memory(&mut self, mut run: Run) -> Finished {
        let reason = "Runtime exited with error: signal: killed";
        let error_type = "Runtime.OutOfMemory";
        run.log.output(&self.take_output());
        run.log.event(PlatformEvent::RuntimeError {
            request_id: &run.request_id,
            reason,
            error_type,
        });
        self.kill();
        // It was stopped at the limit: REPORT shows the limit, as AWS's does.
        self.max_memory_mb = u64::from(self.settings.memory_size);
        let message = logs::error_message(&run.request_id, reason);
        let ending = Ending::Failed {
            error_type: error_type.to_owned(),
            document: ErrorDocument::new(error_type, message).to_bytes(),
        };
        let duration = run.started(self).elapsed();
        self.conclude(run, ending, duration)
    }

    /// Init did not end within [`INIT_TIMEOUT`].
    fn init_timed_out(&mut self, mut run: Run) -> Finished {
        self.log_init_failure(&mut run, INIT_TIMEOUT, ReportStatus::Timeout);
        self.kill();
        self.conclude(run, Ending::Timeout, INIT_TIMEOUT)
    }

    /// The process exited before its first `GET /next`, with or without an `/init/error`.
    fn init_failed(&mut self, mut run: Run, status: Option<ExitStatus>) -> Finished {
        let init_time = self.spawned_at.elapsed();
        let (document, error_type) = match self.state.init_error() {
            Some(init) => {
                let error_type = init.error_type;
                (
                    init.body,
                    error_type.unwrap_or_else(|| "Runtime.Unknown".to_owned()),
                )
            }
            None => {
                let message = logs::error_message(&run.request_id, &exit_reason(status));
                let document = ErrorDocument::new("Runtime.ExitError", message);
                (document.to_bytes(), document.error_type)
            }
        };
        self.log_init_failure(&mut run, init_time, ReportStatus::Error(&error_type));
        self.kill();
        let ending = Ending::Failed {
            error_type,
            document,
        };
        self.conclude(run, ending, init_time)
    }

    /// START, the init output and INIT_REPORT. Instances start at invoke time, so a failed
    /// init is a suppressed init: phase `invoke`, inside START..END, and every later invoke
    /// tries init again (lambda-api.md 5.6).
    fn log_init_failure(&self, run: &mut Run, duration: Duration, status: ReportStatus<'_>) {
        run.log.event(PlatformEvent::Start {
            request_id: &run.request_id,
            version: &self.settings.version,
        });
        run.log.output(&self.take_output());
        run.log.event(PlatformEvent::InitReport {
            duration,
            phase: "invoke",
            status,
        });
    }

    /// The process exited or was lost while an event was in flight.
    fn crashed(&mut self, mut run: Run, status: Option<ExitStatus>) -> Finished {
        let reason = exit_reason(status);
        let error_type = "Runtime.ExitError";
        run.log.output(&self.take_output());
        run.log.event(PlatformEvent::RuntimeError {
            request_id: &run.request_id,
            reason: &reason,
            error_type,
        });
        self.kill();
        let message = logs::error_message(&run.request_id, &reason);
        let ending = Ending::Failed {
            error_type: error_type.to_owned(),
            document: ErrorDocument::new(error_type, message).to_bytes(),
        };
        let duration = run.started(self).elapsed();
        self.conclude(run, ending, duration)
    }

    /// The one end of every invocation: the rest of the output, END and REPORT.
    fn conclude(&mut self, mut run: Run, ending: Ending, duration: Duration) -> Finished {
        self.running.send_replace(false);
        run.log.output(&self.take_output());
        let id = &run.request_id;
        let (error, status) = match &ending {
            Ending::Answered => (None, ReportStatus::Ok),
            Ending::Timeout => {
                let timeout = self.settings.timeout;
                run.log.event(PlatformEvent::Timeout {
                    request_id: id,
                    timeout,
                });
                let message = logs::timeout_message(id, timeout);
                let document = ErrorDocument::new("Sandbox.Timedout", message);
                (Some(document.to_bytes()), ReportStatus::Timeout)
            }
            Ending::Failed {
                error_type,
                document,
            } => (Some(document.clone()), ReportStatus::Error(error_type)),
        };
        self.measure_memory();
        run.log.event(PlatformEvent::End { request_id: id });
        run.log.event(PlatformEvent::Report(InvocationReport {
            request_id: id,
            duration,
            memory_size_mb: self.settings.memory_size,
            // The sandbox's cgroup caps memory at the limit: AWS never reports more.
            max_memory_used_mb: self.max_memory_mb.min(u64::from(self.settings.memory_size)),
            init_duration: run.init_duration,
            status,
        }));
        Finished {
            error,
            log: run.log.into_bytes(),
            reusable: self.is_alive(),
        }
    }
}

impl Instance {
    /// The output since the last take, when the invocation's log is wanted (otherwise it is
    /// dropped as it arrives, and there is nothing to take).
    fn take_output(&self) -> Vec<u8> {
        if self.log_wanted {
            self.output.take()
        } else {
            Vec::new()
        }
    }
}

impl Run {
    /// When the runtime got the event (the start of Duration).
    fn started(&self, instance: &Instance) -> Instant {
        instance.state.delivered_at().unwrap_or(self.sent_at)
    }
}

/// An invocation that ended before any answer.
fn failed(finished: Finished) -> (Answer, Pending) {
    let document = finished.error.clone().unwrap_or_default();
    (Answer::Failed(document), Pending(Stage::Ended(finished)))
}

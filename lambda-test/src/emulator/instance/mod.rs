//! One execution environment: a function process, its Runtime API listener and its output.
//!
//! An instance serves one invocation at a time. [`Instance::invoke`] walks the lifecycle of
//! lambda-api.md 8.7: init (spawn to first `GET /next`), the event, the runtime's answer, and
//! its next `GET /next`, which ends the invocation; then END and REPORT are written.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub mod reaper;

use super::logs::{self, LogCapture, ReportStatus};
use super::runtime_api::{self, Delivery, RuntimeResult, RuntimeState};
use reaper::Reaper;

/// On-demand init may take this long before it counts as timed out.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a runtime that registered an extension gets between SIGTERM and SIGKILL.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Everything needed to start instances of one function version.
#[derive(Debug, Clone)]
pub struct VersionSettings {
    /// Function name.
    pub function_name: String,
    /// `$LATEST` or a number.
    pub version: String,
    /// The executable and its arguments.
    pub program: PathBuf,
    /// Arguments after the program.
    pub args: Vec<String>,
    /// Working directory (`LAMBDA_TASK_ROOT`).
    pub task_root: PathBuf,
    /// The function's own environment variables.
    pub environment: BTreeMap<String, String>,
    /// Invocation timeout.
    pub timeout: Duration,
    /// Memory size in MB.
    pub memory_size: u32,
    /// `_HANDLER`.
    pub handler: String,
    /// Region, for ARNs and `AWS_REGION`.
    pub region: String,
    /// Account id, for ARNs.
    pub account_id: String,
}

/// One invocation handed to an instance.
#[derive(Debug, Clone)]
pub struct Invoke {
    /// The request id.
    pub request_id: String,
    /// The event.
    pub payload: Bytes,
    /// The ARN as the caller addressed the function.
    pub invoked_arn: String,
    /// X-Ray trace header.
    pub trace_id: String,
    /// Decoded client context JSON.
    pub client_context: Option<String>,
    /// Tenant id.
    pub tenant_id: Option<String>,
    /// Whether anyone reads this invocation's log (a tail was asked for): only then is memory
    /// measured for its REPORT line (two `/proc` reads).
    pub log_wanted: bool,
}

/// How an invocation ended.
#[derive(Debug, Clone)]
pub struct Completed {
    /// The payload: the function's response, or its error document.
    pub payload: Bytes,
    /// True when `payload` is an error document (`X-Amz-Function-Error: Unhandled`).
    pub function_error: bool,
    /// The version that ran.
    pub executed_version: String,
    /// START through REPORT.
    pub log: Vec<u8>,
    /// Whether the instance stays warm for the next invocation.
    pub reusable: bool,
}

/// A running function process.
pub struct Instance {
    settings: Arc<VersionSettings>,
    pgid: Option<u32>,
    state: Arc<RuntimeState>,
    deliveries: mpsc::Sender<Delivery>,
    exit: watch::Receiver<Option<ExitStatus>>,
    log: Arc<LogCapture>,
    server: JoinHandle<()>,
    spawned_at: Instant,
    served: u64,
    log_wanted: bool,
    max_memory_mb: u64,
    /// `/proc/<pid>/status`, kept open: reading it again at offset 0 skips the path lookup an
    /// open costs, and it is read twice per invocation whose log is wanted.
    status: Option<std::fs::File>,
}

/// The `VmHWM:` value, in kB, of a `/proc/<pid>/status` text.
fn vm_hwm_kb(status: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"VmHWM:";
    let at = status.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let value = status[at..].split(|b| *b == b'\n').next()?;
    std::str::from_utf8(value)
        .ok()?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Why an instance could not be started: the entrypoint is missing or not executable.
#[derive(Debug)]
pub struct InvalidEntrypoint(pub String);

impl Instance {
    /// Starts the process with the Lambda environment and its own Runtime API listener.
    pub async fn spawn(settings: Arc<VersionSettings>) -> Result<Instance, InvalidEntrypoint> {
        let entrypoint_error = || {
            InvalidEntrypoint(format!(
                "Couldn't find valid bootstrap(s): [{}]",
                settings.program.display()
            ))
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| InvalidEntrypoint(format!("failed to bind a Runtime API port: {e}")))?;
        let api_addr = listener
            .local_addr()
            .map_err(|e| InvalidEntrypoint(e.to_string()))?;

        let (deliveries, delivery_rx) = mpsc::channel(1);
        let register_body = json!({
            "functionName": settings.function_name,
            "functionVersion": settings.version,
            "handler": settings.handler,
            "accountId": settings.account_id,
        });
        let state = RuntimeState::new(delivery_rx, register_body);
        let app = runtime_api::router(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let (reader, writer) = std::io::pipe().map_err(|e| InvalidEntrypoint(e.to_string()))?;
        let stderr = writer
            .try_clone()
            .map_err(|e| InvalidEntrypoint(e.to_string()))?;
        let log = LogCapture::start(reader).map_err(|e| InvalidEntrypoint(e.to_string()))?;

        let mut command = tokio::process::Command::new(&settings.program);
        command
            .args(&settings.args)
            .current_dir(&settings.task_root)
            .env_clear()
            .envs(lambda_environment(&settings, &api_addr.to_string()))
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::from(stderr))
            .process_group(0);
        let spawned_at = Instant::now();
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(_) => {
                server.abort();
                return Err(entrypoint_error());
            }
        };
        // The pipe's write ends now live only in the child (and its children).
        drop(command);
        let pid = child.id().expect("a just-spawned child has a pid");
        Reaper::global().watch(pid);

        let (exit_tx, exit) = watch::channel(None);
        tokio::spawn(async move {
            let status = child
                .wait()
                .await
                .unwrap_or_else(|_| ExitStatus::from_raw(1 << 8));
            let _ = exit_tx.send(Some(status));
        });

        Ok(Instance {
            settings,
            pgid: Some(pid),
            state,
            deliveries,
            exit,
            log,
            server,
            spawned_at,
            served: 0,
            log_wanted: true,
            max_memory_mb: 0,
            status: std::fs::File::open(format!("/proc/{pid}/status")).ok(),
        })
    }

    /// Runs one invocation to its end.
    ///
    /// With `early`, a caller who reads no log gets the answer as soon as the runtime posts it,
    /// as on Lambda; the invocation then still runs to its end (END, REPORT) before this returns.
    /// `early` is left `None` once used.
    pub async fn invoke(
        &mut self,
        invoke: Invoke,
        early: &mut Option<oneshot::Sender<Completed>>,
    ) -> Completed {
        let cold = self.served == 0;
        self.served += 1;
        self.log_wanted = invoke.log_wanted;
        let id = invoke.request_id.clone();
        let version = self.settings.version.clone();
        let mut log = Vec::new();

        // Init: from spawn to the first GET /next. Its output is not part of the invocation log.
        let mut init_duration = None;
        if cold {
            let mut polls = self.state.polls();
            let init_deadline = tokio::time::Instant::from_std(self.spawned_at + INIT_TIMEOUT);
            let mut exit = self.exit.clone();
            tokio::select! {
                _ = polls.wait_for(|n| *n > 0) => {
                    init_duration = self.state.first_poll().map(|t| t - self.spawned_at);
                }
                status = exit.wait_for(Option::is_some) => {
                    let status = status.ok().and_then(|s| *s);
                    return self.init_failed(&id, status, log);
                }
                () = tokio::time::sleep_until(init_deadline) => {
                    log.extend(logs::start_line(&id, &version).as_bytes());
                    log.extend(self.log.take());
                    if !log.ends_with(b"\n") {
                        log.push(b'\n');
                    }
                    log.extend(logs::init_report_line(INIT_TIMEOUT, "invoke", ReportStatus::Timeout).as_bytes());
                    self.kill();
                    return self.finish(&id, log, Outcome::Timeout, INIT_TIMEOUT, None);
                }
            }
        }

        let _init_output = self.log.take();
        log.extend(logs::start_line(&id, &version).as_bytes());

        let (result_tx, result_rx) = oneshot::channel();
        let polls_at_delivery = *self.state.polls().borrow();
        let sent = self.deliveries.try_send(Delivery {
            request_id: id.clone(),
            payload: invoke.payload,
            invoked_arn: invoke.invoked_arn,
            trace_id: invoke.trace_id,
            client_context: invoke.client_context,
            tenant_id: invoke.tenant_id,
            timeout: self.settings.timeout,
            result: result_tx,
        });
        let sent_at = Instant::now();
        // Measured now as well as at the end: a process that crashes has no /proc entry left.
        self.measure_memory();
        if sent.is_err() {
            // The runtime API is gone; the process is on its way out.
            let status = self.wait_exit(Duration::from_secs(1)).await;
            return self.crashed(&id, status, log, sent_at, init_duration);
        }
        let deadline = tokio::time::Instant::from_std(sent_at + self.settings.timeout);

        let mut exit = self.exit.clone();
        let answer = tokio::select! {
            r = result_rx => r.ok(),
            _ = exit.wait_for(Option::is_some) => None,
            () = tokio::time::sleep_until(deadline) => {
                self.kill();
                let duration = self.settings.timeout;
                return self.finish(&id, log, Outcome::Timeout, duration, init_duration);
            }
        };
        let started = self.state.delivered_at().unwrap_or(sent_at);
        let duration = started.elapsed();
        let outcome = match answer {
            Some(RuntimeResult::Response(body)) => Outcome::Response(body),
            Some(RuntimeResult::Error(body)) => Outcome::Error(body),
            Some(RuntimeResult::ResponseTooLarge) => Outcome::Error(Bytes::from(
                json!({
                    "errorMessage": format!(
                        "Response payload size exceeded maximum allowed payload size ({} bytes).",
                        runtime_api::MAX_RESPONSE_BYTES
                    ),
                    "errorType": "Function.ResponseSizeTooLarge",
                })
                .to_string(),
            )),
            None => {
                let status = self.wait_exit(Duration::from_secs(1)).await;
                return self.crashed(&id, status, log, started, init_duration);
            }
        };

        if !self.log_wanted
            && let Some(answer) = early.take()
        {
            let (payload, function_error) = match &outcome {
                Outcome::Response(body) => (body.clone(), false),
                Outcome::Error(body) => (body.clone(), true),
                Outcome::Timeout | Outcome::Crash { .. } => unreachable!("answered outcomes only"),
            };
            let _ = answer.send(Completed {
                payload,
                function_error,
                executed_version: version.clone(),
                log: Vec::new(),
                reusable: true,
            });
        }

        // The invocation ends when the runtime asks for the next event (or exits).
        let mut polls = self.state.polls();
        let mut exit = self.exit.clone();
        tokio::select! {
            _ = polls.wait_for(|n| *n > polls_at_delivery) => {}
            _ = exit.wait_for(Option::is_some) => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
        self.finish(&id, log, outcome, duration, init_duration)
    }

    /// Writes END and REPORT and builds the result.
    fn finish(
        &mut self,
        id: &str,
        mut log: Vec<u8>,
        outcome: Outcome,
        duration: Duration,
        init_duration: Option<Duration>,
    ) -> Completed {
        log.extend(self.log.take());
        let error_type;
        let (payload, function_error, status) = match outcome {
            Outcome::Response(body) => (body, false, ReportStatus::Ok),
            Outcome::Error(body) => (body, true, ReportStatus::Ok),
            Outcome::Timeout => {
                let message = format!(
                    "RequestId: {id} Error: Task timed out after {:.2} seconds",
                    self.settings.timeout.as_secs_f64()
                );
                log.extend(format!("{message}\n").as_bytes());
                let body = json!({"errorType": "Sandbox.Timedout", "errorMessage": message});
                (Bytes::from(body.to_string()), true, ReportStatus::Timeout)
            }
            Outcome::Crash {
                body,
                error_type: kind,
            } => {
                error_type = kind;
                (body, true, ReportStatus::Error(&error_type))
            }
        };
        self.measure_memory();
        if !log.ends_with(b"\n") && !log.is_empty() {
            log.push(b'\n');
        }
        log.extend(logs::end_line(id).as_bytes());
        log.extend(
            logs::report_line(&logs::Report {
                request_id: id,
                duration,
                memory_size_mb: self.settings.memory_size,
                max_memory_used_mb: self.max_memory_mb,
                init_duration,
                status,
            })
            .as_bytes(),
        );
        Completed {
            payload,
            function_error,
            executed_version: self.settings.version.clone(),
            log,
            reusable: self.is_alive(),
        }
    }

    /// The process exited or was lost while an event was in flight.
    fn crashed(
        &mut self,
        id: &str,
        status: Option<ExitStatus>,
        mut log: Vec<u8>,
        started: Instant,
        init_duration: Option<Duration>,
    ) -> Completed {
        log.extend(self.log.take());
        let reason = exit_reason(status);
        let message = format!("RequestId: {id} Error: {reason}");
        if !log.ends_with(b"\n") && !log.is_empty() {
            log.push(b'\n');
        }
        log.extend(format!("{message}\nRuntime.ExitError\n").as_bytes());
        self.kill();
        let body = json!({"errorType": "Runtime.ExitError", "errorMessage": message});
        self.finish(
            id,
            log,
            Outcome::Crash {
                body: Bytes::from(body.to_string()),
                error_type: "Runtime.ExitError".to_owned(),
            },
            started.elapsed(),
            init_duration,
        )
    }

    /// The process exited before its first `GET /next`.
    fn init_failed(&mut self, id: &str, status: Option<ExitStatus>, mut log: Vec<u8>) -> Completed {
        let init_time = self.spawned_at.elapsed();
        let output = self.log.take();
        let (body, error_type) = match self.state.init_error() {
            Some(init) => {
                let error_type = init
                    .error_type
                    .unwrap_or_else(|| "Runtime.Unknown".to_owned());
                (init.body, error_type)
            }
            None => {
                let body = json!({
                    "errorType": "Runtime.ExitError",
                    "errorMessage": format!("RequestId: {id} Error: {}", exit_reason(status)),
                });
                (
                    Bytes::from(body.to_string()),
                    "Runtime.ExitError".to_owned(),
                )
            }
        };
        log.extend(logs::start_line(id, &self.settings.version).as_bytes());
        log.extend(output);
        if !log.ends_with(b"\n") {
            log.push(b'\n');
        }
        log.extend(
            // Instances start at invoke time, so a failed init is a suppressed init: phase `invoke`,
            // inside START..END, and every later invoke tries init again (lambda-api.md 5.6).
            logs::init_report_line(init_time, "invoke", ReportStatus::Error(&error_type))
                .as_bytes(),
        );
        self.kill();
        self.finish(
            id,
            log,
            Outcome::Crash { body, error_type },
            init_time,
            None,
        )
    }

    async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let mut exit = self.exit.clone();
        tokio::time::timeout(limit, exit.wait_for(Option::is_some))
            .await
            .ok()
            .and_then(|r| r.ok().and_then(|s| *s))
    }

    fn is_alive(&self) -> bool {
        self.pgid.is_some() && self.exit.borrow().is_none()
    }

    /// Peak resident memory of the process, from `/proc/<pid>/status` (`VmHWM`).
    fn measure_memory(&mut self) {
        use std::os::unix::fs::FileExt as _;
        if !self.log_wanted {
            return;
        }
        let Some(status) = &self.status else {
            return;
        };
        // The whole file is about 1.5 KB; `VmHWM` is in its first half.
        let mut buffer = [0u8; 4096];
        let Ok(read) = status.read_at(&mut buffer, 0) else {
            return;
        };
        if let Some(kb) = vm_hwm_kb(&buffer[..read]) {
            self.max_memory_mb = self.max_memory_mb.max(kb.div_ceil(1024));
        }
    }

    /// Kills the process group at once.
    fn kill(&mut self) {
        self.measure_memory();
        if let Some(pgid) = self.pgid.take() {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pgid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            Reaper::global().forget(pgid);
        }
        self.state.close();
        self.server.abort();
    }

    /// Stops the instance as Lambda retires one: SIGTERM and a grace period when an
    /// extension registered (that is what `spawn_graceful_shutdown_handler` waits for), then SIGKILL.
    pub async fn shutdown(mut self) {
        if let Some(pgid) = self.pgid
            && self.state.extension_registered()
            && self.exit.borrow().is_none()
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pgid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            self.wait_exit(SHUTDOWN_GRACE).await;
        }
        self.kill();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

enum Outcome {
    Response(Bytes),
    Error(Bytes),
    Timeout,
    Crash { body: Bytes, error_type: String },
}

/// The environment of lambda-api.md 8.9, then the function's own variables.
///
/// The host environment is not inherited, except `PATH` and `HOME` (a local process needs
/// them to find interpreters) and `LD_LIBRARY_PATH`.
fn lambda_environment(settings: &VersionSettings, runtime_api: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for inherited in ["PATH", "HOME", "LD_LIBRARY_PATH"] {
        if let Ok(v) = std::env::var(inherited) {
            env.insert(inherited.to_owned(), v);
        }
    }
    let name = &settings.function_name;
    let stream = format!(
        "{}/[{}]{}",
        super::clock::log_stream_date(std::time::SystemTime::now()),
        settings.version,
        uuid::Uuid::new_v4().simple()
    );
    let task_root = settings.task_root.display().to_string();
    for (k, v) in [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("_HANDLER", settings.handler.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", settings.version.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            settings.memory_size.to_string(),
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", settings.region.clone()),
        ("AWS_DEFAULT_REGION", settings.region.clone()),
        ("LAMBDA_TASK_ROOT", task_root),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
    ] {
        env.insert(k.to_owned(), v);
    }
    env.extend(settings.environment.clone());
    env
}

/// Go's `ProcessState.String()` wording, which AWS's messages use (RAPID is written in Go).
fn exit_reason(status: Option<ExitStatus>) -> String {
    let Some(status) = status else {
        return "Runtime exited without providing a reason".to_owned();
    };
    if let Some(code) = status.code() {
        if code == 0 {
            return "Runtime exited without providing a reason".to_owned();
        }
        return format!("Runtime exited with error: exit status {code}");
    }
    let signal = match status.signal() {
        Some(9) => "killed".to_owned(),
        Some(11) => "segmentation fault".to_owned(),
        Some(6) => "aborted".to_owned(),
        Some(15) => "terminated".to_owned(),
        Some(2) => "interrupt".to_owned(),
        Some(7) => "bus error".to_owned(),
        Some(8) => "floating point exception".to_owned(),
        Some(n) => format!("signal {n}"),
        None => "unknown".to_owned(),
    };
    format!("Runtime exited with error: signal: {signal}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_from_a_status_text() {
        let status =
            b"Name:\tprobe\nVmPeak:\t  145856 kB\nVmHWM:\t    8240 kB\nVmRSS:\t    8100 kB\n";
        assert_eq!(vm_hwm_kb(status), Some(8240));
        assert_eq!(vm_hwm_kb(b"Name:\tzombie\nState:\tZ (zombie)\n"), None);
    }

    /// The kept-open file reads again at offset 0, as a fresh open of the path would.
    #[test]
    fn a_kept_open_status_file_reads_again() {
        use std::os::unix::fs::FileExt as _;
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let mut buffer = [0u8; 4096];
        for _ in 0..2 {
            let read = file.read_at(&mut buffer, 0).unwrap();
            let kb = vm_hwm_kb(&buffer[..read]).expect("VmHWM in our own status");
            assert!(kb > 0);
        }
    }

    #[test]
    fn exit_reasons_use_go_wording() {
        assert_eq!(
            exit_reason(Some(ExitStatus::from_raw(1 << 8))),
            "Runtime exited with error: exit status 1"
        );
        assert_eq!(
            exit_reason(Some(ExitStatus::from_raw(0))),
            "Runtime exited without providing a reason"
        );
        assert_eq!(
            exit_reason(Some(ExitStatus::from_raw(9))),
            "Runtime exited with error: signal: killed"
        );
    }
}

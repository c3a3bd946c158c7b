//! One execution environment: a function process, its Runtime API listener and its output.
//!
//! An instance serves one invocation at a time, in two halves (lambda-api.md 8.7):
//! [`Instance::begin`] runs init if the instance is cold, hands the event to the runtime and
//! waits for the start of its answer; [`Instance::finish`] waits for the end of the answer and
//! the runtime's next `GET /next`, which ends the invocation, and writes END and REPORT. A
//! caller who reads no log is answered between the two, as on Lambda.
//!
//! Its files: `process` (spawn, exit, kill, graceful shutdown), `lifecycle` (the steps of one
//! invocation), `memory` (peak memory for REPORT) and [`reaper`] (no process left behind).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

mod credentials;
mod lifecycle;
mod memory;
mod process;
pub mod reaper;

pub use credentials::caller_credentials;

use super::logs::LogCapture;
use super::runtime_api::{Delivery, ResponseBody, ResponseHead, RuntimeState};

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
    /// Logging controls: `AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`, the log group.
    pub logging: crate::config::Logging,
    /// Credentials, endpoints and region of the function's own AWS calls.
    pub aws: crate::config::AwsAccess,
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

/// What the caller of an invocation gets first, as soon as it is known.
pub enum Answer {
    /// The runtime is answering: its head now, its body as it streams.
    Response {
        /// Content type and response mode.
        head: ResponseHead,
        /// The body, chunk by chunk.
        body: ResponseBody,
    },
    /// The function answered with an error document: its `/error`, or a response Lambda
    /// refuses (`Runtime.InvalidResponseModeHeader`).
    FunctionError(Bytes),
    /// The invocation failed before any answer (timeout, crash, failed init, missing
    /// entrypoint), with this error document; it has already ended.
    Failed(Bytes),
}

/// The end of an invocation.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The error document of an invocation that failed (timed out, crashed) after its answer
    /// began, or before it ([`Answer::Failed`]).
    pub error: Option<Bytes>,
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
    output: Arc<LogCapture>,
    server: JoinHandle<()>,
    spawned_at: Instant,
    served: u64,
    log_wanted: bool,
    max_memory_mb: u64,
    /// `/proc/<pid>/status`, kept open: reading it again at offset 0 skips the path lookup an
    /// open costs, and it is read twice per invocation whose log is wanted. Shared with the
    /// memory watch of each invocation (a clone of the `Arc`, where a `dup` would be a syscall).
    status: Option<Arc<std::fs::File>>,
    /// Whether an invocation runs: the memory watch reads only then.
    running: watch::Sender<bool>,
    /// Set by the memory watch once the process is over its `memory_size`.
    over_memory: watch::Receiver<bool>,
}

/// Why an instance could not be started: the entrypoint is missing or not executable.
#[derive(Debug)]
pub struct InvalidEntrypoint(pub String);

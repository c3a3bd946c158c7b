//! Platform events: the lines Lambda itself writes into an invocation's log (lambda-api.md
//! section 6), as values. A [`Renderer`] turns them into text; the text format is
//! [`super::text::Text`], and a JSON format (lambda-extensions.md 3.3) is a second renderer.

use std::time::Duration;

/// How an invocation or an init ended, for the status fields of REPORT and INIT_REPORT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus<'a> {
    /// No status fields on REPORT; `Status: success` on INIT_REPORT.
    Ok,
    /// `Status: timeout`.
    Timeout,
    /// `Status: error\tError Type: <type>`.
    Error(&'a str),
}

/// The measurements a REPORT line carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvocationReport<'a> {
    /// The invocation id.
    pub request_id: &'a str,
    /// From delivery to completion.
    pub duration: Duration,
    /// Configured memory.
    pub memory_size_mb: u32,
    /// Peak resident memory of the instance.
    pub max_memory_used_mb: u64,
    /// Set on the first invocation of an instance whose init succeeded.
    pub init_duration: Option<Duration>,
    /// How it ended.
    pub status: ReportStatus<'a>,
}

/// One platform event of an invocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlatformEvent<'a> {
    /// The invocation starts (`START`).
    Start {
        /// The invocation id.
        request_id: &'a str,
        /// `$LATEST` or a number.
        version: &'a str,
    },
    /// The invocation ended (`END`).
    End {
        /// The invocation id.
        request_id: &'a str,
    },
    /// Its measurements (`REPORT`).
    Report(InvocationReport<'a>),
    /// An init that ran inside the invocation and failed or timed out (`INIT_REPORT`).
    InitReport {
        /// From spawn to the end of init.
        duration: Duration,
        /// `invoke` for an init that ran at invoke time.
        phase: &'a str,
        /// How init ended.
        status: ReportStatus<'a>,
    },
    /// The runtime failed: its process exited, or it could not be started.
    RuntimeError {
        /// The invocation id.
        request_id: &'a str,
        /// Why, in AWS's words (e.g. `Runtime exited with error: exit status 1`).
        reason: &'a str,
        /// e.g. `Runtime.ExitError`.
        error_type: &'a str,
    },
    /// The invocation ran out of time.
    Timeout {
        /// The invocation id.
        request_id: &'a str,
        /// The function's timeout.
        timeout: Duration,
    },
}

/// `RequestId: <id> Error: <reason>`: the message of a runtime failure, in the log and in
/// the error document alike.
pub fn error_message(request_id: &str, reason: &str) -> String {
    format!("RequestId: {request_id} Error: {reason}")
}

/// The message of a timeout, in the log and in the error document alike.
pub fn timeout_message(request_id: &str, timeout: Duration) -> String {
    error_message(
        request_id,
        &format!("Task timed out after {:.2} seconds", timeout.as_secs_f64()),
    )
}

/// Writes platform events in one log format.
pub trait Renderer: Send + Sync {
    /// Appends `event`, ending with a newline, to `out`.
    fn render(&self, event: &PlatformEvent<'_>, out: &mut Vec<u8>);
}

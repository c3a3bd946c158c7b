//! The text log format: `START`/`END`/`REPORT` lines as CloudWatch shows them.

use std::fmt::Write as _;
use std::time::Duration;

use super::platform::{InvocationReport, PlatformEvent, Renderer, ReportStatus, error_message};

/// Lambda's default log format (`LogFormat: Text`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Text;

impl Renderer for Text {
    fn render(&self, event: &PlatformEvent<'_>, out: &mut Vec<u8>) {
        let line = match event {
            // A space, not a tab, before `Version`.
            PlatformEvent::Start {
                request_id,
                version,
            } => format!("START RequestId: {request_id} Version: {version}\n"),
            PlatformEvent::End { request_id } => format!("END RequestId: {request_id}\n"),
            PlatformEvent::Report(report) => report_line(report),
            PlatformEvent::InitReport {
                duration,
                phase,
                status,
            } => init_report_line(*duration, phase, *status),
            PlatformEvent::RuntimeError {
                request_id,
                reason,
                error_type,
            } => format!("{}\n{error_type}\n", error_message(request_id, reason)),
            PlatformEvent::Timeout {
                request_id,
                timeout,
            } => format!(
                "{}\n",
                super::platform::timeout_message(request_id, *timeout)
            ),
        };
        out.extend_from_slice(line.as_bytes());
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `REPORT RequestId: ...` with tab-separated fields and the trailing tab AWS writes.
///
/// Billed duration is `ceil(Init Duration + Duration)`, as for `provided.*` runtimes (and, since
/// August 2025, every zip function). After status fields AWS's trailing tab is unconfirmed
/// (lambda-api.md 6.1); we write none there, as CloudWatch logs of timeouts show.
fn report_line(r: &InvocationReport<'_>) -> String {
    let duration = ms(r.duration);
    let billed = (duration + r.init_duration.map(ms).unwrap_or(0.0))
        .ceil()
        .max(1.0) as u64;
    let mut line = format!(
        "REPORT RequestId: {}\tDuration: {duration:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
        r.request_id, r.memory_size_mb, r.max_memory_used_mb
    );
    if let Some(init) = r.init_duration {
        let _ = write!(line, "Init Duration: {:.2} ms\t", ms(init));
    }
    match r.status {
        ReportStatus::Ok => {}
        ReportStatus::Timeout => line.push_str("Status: timeout"),
        ReportStatus::Error(kind) => {
            let _ = write!(line, "Status: error\tError Type: {kind}");
        }
    }
    line.push('\n');
    line
}

/// `INIT_REPORT Init Duration: <ms> ms\tPhase: <phase>\tStatus: <status>[\tError Type: <type>]`.
fn init_report_line(duration: Duration, phase: &str, status: ReportStatus<'_>) -> String {
    let mut line = format!(
        "INIT_REPORT Init Duration: {:.2} ms\tPhase: {phase}\t",
        ms(duration)
    );
    match status {
        ReportStatus::Ok => line.push_str("Status: success"),
        ReportStatus::Timeout => line.push_str("Status: timeout"),
        ReportStatus::Error(kind) => {
            let _ = write!(line, "Status: error\tError Type: {kind}");
        }
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(event: PlatformEvent<'_>) -> String {
        let mut out = Vec::new();
        Text.render(&event, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn start_and_end_lines() {
        assert_eq!(
            text(PlatformEvent::Start {
                request_id: "id",
                version: "$LATEST"
            }),
            "START RequestId: id Version: $LATEST\n"
        );
        assert_eq!(
            text(PlatformEvent::End { request_id: "id" }),
            "END RequestId: id\n"
        );
    }

    #[test]
    fn report_line_matches_aws_layout() {
        let line = text(PlatformEvent::Report(InvocationReport {
            request_id: "id",
            duration: Duration::from_micros(3_010),
            memory_size_mb: 128,
            max_memory_used_mb: 36,
            init_duration: Some(Duration::from_micros(110_100)),
            status: ReportStatus::Ok,
        }));
        assert_eq!(
            line,
            "REPORT RequestId: id\tDuration: 3.01 ms\tBilled Duration: 114 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 110.10 ms\t\n"
        );
    }

    #[test]
    fn report_line_with_timeout_status() {
        let line = text(PlatformEvent::Report(InvocationReport {
            request_id: "id",
            duration: Duration::from_secs(3),
            memory_size_mb: 128,
            max_memory_used_mb: 10,
            init_duration: None,
            status: ReportStatus::Timeout,
        }));
        assert!(
            line.ends_with("Max Memory Used: 10 MB\tStatus: timeout\n"),
            "{line}"
        );
        assert!(line.contains("Billed Duration: 3000 ms"), "{line}");
    }

    #[test]
    fn report_line_with_error_status() {
        let line = text(PlatformEvent::Report(InvocationReport {
            request_id: "id",
            duration: Duration::ZERO,
            memory_size_mb: 128,
            max_memory_used_mb: 0,
            init_duration: None,
            status: ReportStatus::Error("Runtime.InvalidEntrypoint"),
        }));
        assert_eq!(
            line,
            "REPORT RequestId: id\tDuration: 0.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: Runtime.InvalidEntrypoint\n"
        );
    }

    #[test]
    fn init_report_lines() {
        let init = |status| {
            text(PlatformEvent::InitReport {
                duration: Duration::from_millis(10_000),
                phase: "invoke",
                status,
            })
        };
        assert_eq!(
            init(ReportStatus::Timeout),
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: invoke\tStatus: timeout\n"
        );
        assert_eq!(
            init(ReportStatus::Error("Runtime.ExitError")),
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError\n"
        );
        assert_eq!(
            init(ReportStatus::Ok),
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: invoke\tStatus: success\n"
        );
    }

    #[test]
    fn runtime_error_and_timeout_lines() {
        assert_eq!(
            text(PlatformEvent::RuntimeError {
                request_id: "id",
                reason: "Runtime exited with error: exit status 1",
                error_type: "Runtime.ExitError",
            }),
            "RequestId: id Error: Runtime exited with error: exit status 1\nRuntime.ExitError\n"
        );
        assert_eq!(
            text(PlatformEvent::Timeout {
                request_id: "id",
                timeout: Duration::from_secs(3),
            }),
            "RequestId: id Error: Task timed out after 3.00 seconds\n"
        );
    }
}

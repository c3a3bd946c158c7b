//! The JSON log format (`LogFormat: JSON`, lambda-extensions.md 3.3): platform events as the
//! records CloudWatch gets, `{"time", "type": "platform.<event>", "record"}`, one per line, kept
//! or dropped by the system log level.
//!
//! What Text writes as lines of their own (a runtime's error, a timeout's message) has no
//! record of its own here: the `platform.report` carries the `status` and `errorType`.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::platform::{InvocationReport, PlatformEvent, Renderer, ReportStatus};
use crate::config::SystemLogLevel;
use crate::emulator::clock;

/// Lambda's JSON log format, at one system log level.
#[derive(Debug, Clone, Copy)]
pub struct Json {
    /// The least severe platform record kept.
    pub system_level: SystemLogLevel,
}

impl Json {
    /// The JSON format at each system level, for [`super::LogFormat::renderer`].
    pub const DEBUG: Json = Json {
        system_level: SystemLogLevel::Debug,
    };
    /// See [`Json::DEBUG`].
    pub const INFO: Json = Json {
        system_level: SystemLogLevel::Info,
    };
    /// See [`Json::DEBUG`].
    pub const WARN: Json = Json {
        system_level: SystemLogLevel::Warn,
    };
}

impl Renderer for Json {
    fn render(&self, event: &PlatformEvent<'_>, out: &mut Vec<u8>) {
        // start, report and initReport are INFO records; WARN keeps only warnings, which no
        // event here is.
        if self.system_level == SystemLogLevel::Warn {
            return;
        }
        let (kind, record) = match event {
            PlatformEvent::Start {
                request_id,
                version,
            } => (
                "platform.start",
                json!({ "requestId": request_id, "version": version }),
            ),
            PlatformEvent::Report(report) => ("platform.report", report_record(report)),
            PlatformEvent::InitReport {
                duration,
                phase,
                status,
            } => {
                let mut record = json!({
                    "initializationType": "on-demand",
                    "phase": phase,
                    "status": status_name(*status),
                    "metrics": { "durationMs": ms(*duration) },
                });
                if let ReportStatus::Error(kind) = status {
                    record["errorType"] = (*kind).into();
                }
                ("platform.initReport", record)
            }
            PlatformEvent::End { .. }
            | PlatformEvent::RuntimeError { .. }
            | PlatformEvent::Timeout { .. } => return,
        };
        let line = json!({
            "time": clock::rfc3339_millis(SystemTime::now()),
            "type": kind,
            "record": record,
        });
        serde_json::to_writer(&mut *out, &line).expect("JSON writes to a Vec");
        out.push(b'\n');
    }
}

/// Metrics are floats where AWS writes floats (durations), integers elsewhere.
fn report_record(r: &InvocationReport<'_>) -> Value {
    let duration = ms(r.duration);
    let billed = (duration + r.init_duration.map(ms).unwrap_or(0.0))
        .ceil()
        .max(1.0) as u64;
    let mut metrics = json!({
        "durationMs": duration,
        "billedDurationMs": billed,
        "memorySizeMB": r.memory_size_mb,
        "maxMemoryUsedMB": r.max_memory_used_mb,
    });
    if let Some(init) = r.init_duration {
        metrics["initDurationMs"] = ms(init).into();
    }
    let mut record = json!({
        "requestId": r.request_id,
        "metrics": metrics,
        "status": status_name(r.status),
    });
    if let ReportStatus::Error(kind) = r.status {
        record["errorType"] = kind.into();
    }
    record
}

fn status_name(status: ReportStatus<'_>) -> &'static str {
    match status {
        ReportStatus::Ok => "success",
        ReportStatus::Timeout => "timeout",
        ReportStatus::Error(_) => "error",
    }
}

/// Milliseconds with at most three decimals, as AWS writes them.
fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(format: Json, event: PlatformEvent<'_>) -> Vec<Value> {
        let mut out = Vec::new();
        format.render(&event, &mut out);
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn start_and_report_are_platform_records() {
        let start = records(
            Json::INFO,
            PlatformEvent::Start {
                request_id: "id",
                version: "$LATEST",
            },
        );
        assert_eq!(start.len(), 1);
        assert_eq!(start[0]["type"], "platform.start");
        assert_eq!(
            start[0]["record"],
            json!({"requestId": "id", "version": "$LATEST"})
        );
        assert!(start[0]["time"].as_str().unwrap().ends_with('Z'));

        let report = records(
            Json::INFO,
            PlatformEvent::Report(InvocationReport {
                request_id: "id",
                duration: Duration::from_micros(26_734),
                memory_size_mb: 128,
                max_memory_used_mb: 75,
                init_duration: Some(Duration::from_micros(503_083)),
                status: ReportStatus::Error("Runtime.ExitError"),
            }),
        );
        assert_eq!(
            report[0]["record"],
            json!({
                "requestId": "id",
                "metrics": {
                    "durationMs": 26.734,
                    "billedDurationMs": 530,
                    "memorySizeMB": 128,
                    "maxMemoryUsedMB": 75,
                    "initDurationMs": 503.083,
                },
                "status": "error",
                "errorType": "Runtime.ExitError",
            })
        );
    }

    #[test]
    fn end_and_error_lines_have_no_record_and_warn_keeps_nothing() {
        assert!(records(Json::INFO, PlatformEvent::End { request_id: "id" }).is_empty());
        assert!(
            records(
                Json::INFO,
                PlatformEvent::Timeout {
                    request_id: "id",
                    timeout: Duration::from_secs(3)
                }
            )
            .is_empty()
        );
        assert!(
            records(
                Json::WARN,
                PlatformEvent::Start {
                    request_id: "id",
                    version: "1"
                }
            )
            .is_empty()
        );
    }
}

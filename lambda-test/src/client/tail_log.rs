//! The decoded `LogResult`: the function's own lines and the parsed REPORT line.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The tail of an invocation log (`LogType=Tail`): at most the last 4 KB, from START to REPORT.
///
/// ```
/// use lambda_test::TailLog;
///
/// let log = TailLog::parse(
///     "START RequestId: 1 Version: $LATEST\ngreeting Bob\nEND RequestId: 1\n\
///      REPORT RequestId: 1\tDuration: 3.01 ms\tBilled Duration: 4 ms\t\
///      Memory Size: 128 MB\tMax Memory Used: 36 MB\t\n",
/// );
/// assert_eq!(log.lines, ["greeting Bob"]);
/// assert_eq!(log.report.unwrap().max_memory_used_mb, 36);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TailLog {
    /// The decoded text as Lambda sent it.
    pub raw: String,
    /// The function's own lines (and platform error lines), without START, END, REPORT,
    /// INIT_* and XRAY lines.
    pub lines: Vec<String>,
    /// The parsed REPORT line, when the tail holds one.
    pub report: Option<Report>,
    /// True when the 4 KB cut fell inside the log: the partial first line was dropped.
    pub truncated: bool,
}

/// The measurements of a REPORT line: what the budgets of `#[lambda_test]` read.
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// let report = outcome.report().expect("a REPORT line in the tail log");
/// assert!(report.duration_ms < 500.0, "took {} ms", report.duration_ms);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// The invocation's request id.
    pub request_id: String,
    /// `Duration`, in ms.
    pub duration_ms: f64,
    /// `Billed Duration`, in ms.
    pub billed_duration_ms: u64,
    /// `Memory Size`, in MB.
    pub memory_size_mb: u64,
    /// `Max Memory Used`, in MB.
    pub max_memory_used_mb: u64,
    /// `Init Duration`, in ms: only on cold starts.
    pub init_duration_ms: Option<f64>,
    /// `Status` (`timeout`, `error`), when the invocation failed.
    pub status: Option<String>,
    /// `Error Type`, with `Status: error`.
    pub error_type: Option<String>,
}

const PLATFORM_PREFIXES: [&str; 6] = [
    "START RequestId: ",
    "END RequestId: ",
    "REPORT RequestId: ",
    "INIT_START ",
    "INIT_REPORT ",
    "XRAY TraceId: ",
];

impl TailLog {
    /// Decodes a base64 `LogResult`.
    pub fn decode(log_result: &str) -> Result<TailLog, base64::DecodeError> {
        let bytes = BASE64.decode(log_result.trim())?;
        Ok(TailLog::parse(&String::from_utf8_lossy(&bytes)))
    }

    /// Parses decoded log text.
    pub fn parse(raw: &str) -> TailLog {
        let mut text = raw;
        let truncated = !(text.is_empty() || text.starts_with("START RequestId: "));
        if truncated {
            text = text.split_once('\n').map_or("", |(_, rest)| rest);
        }
        let mut lines = Vec::new();
        let mut report = None;
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(rest) = line.strip_prefix("REPORT RequestId: ") {
                report = Report::parse(rest);
            } else if !PLATFORM_PREFIXES.iter().any(|p| line.starts_with(p)) {
                lines.push(line.to_owned());
            }
        }
        TailLog {
            raw: raw.to_owned(),
            lines,
            report,
            truncated,
        }
    }
}

impl Report {
    /// Parses what follows `REPORT RequestId: `.
    fn parse(rest: &str) -> Option<Report> {
        let mut fields = rest.split('\t');
        let request_id = fields.next()?.trim().to_owned();
        let mut report = Report {
            request_id,
            duration_ms: 0.0,
            billed_duration_ms: 0,
            memory_size_mb: 0,
            max_memory_used_mb: 0,
            init_duration_ms: None,
            status: None,
            error_type: None,
        };
        for field in fields {
            let Some((key, value)) = field.split_once(": ") else {
                continue;
            };
            let number = value.trim_end_matches(" ms").trim_end_matches(" MB").trim();
            match key {
                "Duration" => report.duration_ms = number.parse().ok()?,
                "Billed Duration" => report.billed_duration_ms = number.parse().ok()?,
                "Memory Size" => report.memory_size_mb = number.parse().ok()?,
                "Max Memory Used" => report.max_memory_used_mb = number.parse().ok()?,
                "Init Duration" => report.init_duration_ms = number.parse().ok(),
                "Status" => report.status = Some(value.to_owned()),
                "Error Type" => report.error_type = Some(value.to_owned()),
                _ => {}
            }
        }
        Some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "START RequestId: 0d1f Version: $LATEST\ngreeting Bob\nEND RequestId: 0d1f\nREPORT RequestId: 0d1f\tDuration: 3.01 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 110.10 ms\t\n";

    #[test]
    fn splits_function_lines_from_platform_lines() {
        let log = TailLog::parse(LOG);
        assert_eq!(log.lines, ["greeting Bob"]);
        assert!(!log.truncated);
        let report = log.report.unwrap();
        assert_eq!(report.request_id, "0d1f");
        assert_eq!(report.duration_ms, 3.01);
        assert_eq!(report.billed_duration_ms, 4);
        assert_eq!(report.memory_size_mb, 128);
        assert_eq!(report.max_memory_used_mb, 36);
        assert_eq!(report.init_duration_ms, Some(110.10));
        assert_eq!(report.status, None);
    }

    #[test]
    fn decodes_base64() {
        let log = TailLog::decode(&BASE64.encode(LOG)).unwrap();
        assert_eq!(log.raw, LOG);
    }

    #[test]
    fn timeout_report_status() {
        let log = TailLog::parse(
            "START RequestId: a Version: 1\nEND RequestId: a\nREPORT RequestId: a\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\tStatus: timeout\n",
        );
        let report = log.report.unwrap();
        assert_eq!(report.status.as_deref(), Some("timeout"));
        assert_eq!(report.init_duration_ms, None);
    }

    #[test]
    fn tail_log_cut_inside_a_line_drops_the_partial_line() {
        let log = TailLog::parse("ting Bob\nsecond\nEND RequestId: a\n");
        assert!(log.truncated);
        assert_eq!(log.lines, ["second"]);
    }

    #[test]
    fn tail_log_cut_inside_utf8_char_still_decodes() {
        let full = format!("{}\nlast\n", "é".repeat(10));
        let cut = &full.as_bytes()[1..];
        let log = TailLog::decode(&BASE64.encode(cut)).unwrap();
        assert_eq!(log.lines, ["last"]);
    }
}

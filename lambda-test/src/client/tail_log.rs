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

/// The most a `LogResult` holds.
const TAIL_BYTES: usize = 4096;

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

    /// Parses decoded log text, in the Text format (`START`/`REPORT` lines) or the JSON one
    /// (`platform.*` records, lambda-extensions.md 3.3).
    pub fn parse(raw: &str) -> TailLog {
        let mut text = raw;
        let first = text.lines().next().unwrap_or_default();
        // A whole log starts with START (Text) or a `platform.*` record (JSON). A JSON log at
        // system level WARN has no records at all: there only its length (the 4 KB cut, less
        // the slack of a character cut in two and decoded lossily) can say it was cut.
        let starts_whole =
            first.starts_with("START RequestId: ") || platform_record(first).is_some();
        let has_records = text.lines().any(|l| {
            PLATFORM_PREFIXES.iter().any(|p| l.starts_with(p)) || platform_record(l).is_some()
        });
        let truncated =
            !text.is_empty() && !starts_whole && (has_records || text.len() + 3 >= TAIL_BYTES);
        if truncated {
            text = text.split_once('\n').map_or("", |(_, rest)| rest);
        }
        let mut lines = Vec::new();
        let mut report = None;
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(rest) = line.strip_prefix("REPORT RequestId: ") {
                report = Report::parse(rest);
            } else if let Some((kind, record)) = platform_record(line) {
                if kind == "platform.report" {
                    report = Report::from_record(&record);
                }
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

/// A JSON platform record's type and record (`{"time", "type": "platform.…", "record"}`).
fn platform_record(line: &str) -> Option<(String, serde_json::Value)> {
    if !line.starts_with('{') || !line.contains("\"platform.") {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_str(line).ok()?;
    let kind = value.get("type")?.as_str()?.to_owned();
    kind.starts_with("platform.").then(|| {
        (
            kind,
            value
                .get_mut("record")
                .map(serde_json::Value::take)
                .unwrap_or_default(),
        )
    })
}

impl Report {
    /// A `platform.report` record's measurements.
    fn from_record(record: &serde_json::Value) -> Option<Report> {
        let metrics = record.get("metrics")?;
        let number = |key: &str| metrics.get(key).and_then(serde_json::Value::as_f64);
        let status = record
            .get("status")
            .and_then(serde_json::Value::as_str)
            .filter(|s| *s != "success")
            .map(str::to_owned);
        Some(Report {
            request_id: record.get("requestId")?.as_str()?.to_owned(),
            duration_ms: number("durationMs")?,
            billed_duration_ms: number("billedDurationMs").unwrap_or(0.0) as u64,
            memory_size_mb: number("memorySizeMB").unwrap_or(0.0) as u64,
            max_memory_used_mb: number("maxMemoryUsedMB").unwrap_or(0.0) as u64,
            init_duration_ms: number("initDurationMs"),
            status,
            error_type: record
                .get("errorType")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
        })
    }

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
    #[test]
    fn json_platform_records_are_read_and_left_out_of_the_lines() {
        let log = super::TailLog::parse(concat!(
            r#"{"time":"2026-01-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"1","version":"$LATEST"}}"#,
            "\n",
            r#"{"level":"INFO","fields":{"message":"hello"}}"#,
            "\nplain line\n",
            r#"{"time":"2026-01-01T00:00:00.010Z","type":"platform.report","record":{"requestId":"1","metrics":{"durationMs":3.5,"billedDurationMs":4,"memorySizeMB":128,"maxMemoryUsedMB":36,"initDurationMs":20.25},"status":"timeout"}}"#,
            "\n"
        ));
        assert!(!log.truncated);
        assert_eq!(
            log.lines,
            [
                r#"{"level":"INFO","fields":{"message":"hello"}}"#,
                "plain line"
            ]
        );
        let report = log.report.unwrap();
        assert_eq!(report.request_id, "1");
        assert_eq!(report.duration_ms, 3.5);
        assert_eq!(report.max_memory_used_mb, 36);
        assert_eq!(report.init_duration_ms, Some(20.25));
        assert_eq!(report.status.as_deref(), Some("timeout"));
    }

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
    fn a_short_json_tail_without_records_is_whole() {
        // System level WARN: no platform records, and the first line is the function's.
        let log = TailLog::parse("{\"level\":\"WARN\"}\nsecond\n");
        assert!(!log.truncated);
        assert_eq!(log.lines, ["{\"level\":\"WARN\"}", "second"]);
        let cut = format!("ial line\n{}", "z\n".repeat(2100));
        assert!(TailLog::parse(&cut).truncated);
    }

    #[test]
    fn tail_log_cut_inside_a_line_drops_the_partial_line() {
        let log = TailLog::parse("ting Bob\nsecond\nEND RequestId: a\n");
        assert!(log.truncated);
        assert_eq!(log.lines, ["second"]);
    }

    #[test]
    fn tail_log_cut_inside_utf8_char_still_decodes() {
        // The last 4 KB of a longer log, starting inside a two-byte character.
        let full = format!("x{}\nlast\n", "é".repeat(2100));
        let cut = &full.as_bytes()[full.len() - 4096..];
        let log = TailLog::decode(&BASE64.encode(cut)).unwrap();
        assert_eq!(log.lines, ["last"]);
    }
}

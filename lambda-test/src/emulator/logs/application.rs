//! The application log level of the JSON format (lambda-extensions.md 3.1): Lambda drops the
//! function's own lines below `ApplicationLogLevel`.
//!
//! As AWS documents for runtimes that log to stdout: a line that is a JSON object with a
//! `"level"` has that level (any case); a line without one, with a level Lambda does not
//! know, or that is not JSON at all (plain text, a panic message) counts as `INFO`. Lines are
//! kept as the function wrote them: Lambda wraps none and encodes no JSON line twice.
//! Beside AWS's six names, `WARNING` and `CRITICAL` (Python's `logging`) count as `WARN` and
//! `FATAL` (our choice: AWS's own Python runtime writes those words).

use crate::config::ApplicationLogLevel;

/// The least severe level kept, by rank: TRACE 0 to FATAL 5.
fn rank(level: ApplicationLogLevel) -> u8 {
    match level {
        ApplicationLogLevel::Trace => 0,
        ApplicationLogLevel::Debug => 1,
        ApplicationLogLevel::Info => 2,
        ApplicationLogLevel::Warn => 3,
        ApplicationLogLevel::Error => 4,
        ApplicationLogLevel::Fatal => 5,
    }
}

/// The rank of one line of the function's output.
fn line_rank(line: &[u8]) -> u8 {
    const INFO: u8 = 2;
    let trimmed = line.trim_ascii();
    if !trimmed.starts_with(b"{") {
        return INFO;
    }
    let Ok(serde_json::Value::Object(record)) = serde_json::from_slice(trimmed) else {
        return INFO;
    };
    let Some(level) = record.get("level").and_then(serde_json::Value::as_str) else {
        return INFO;
    };
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => 0,
        "DEBUG" => 1,
        "WARN" | "WARNING" => 3,
        "ERROR" => 4,
        "FATAL" | "CRITICAL" => 5,
        _ => INFO,
    }
}

/// Appends the lines of `output` that `least` keeps. A last line without its newline is
/// judged as it is (the rest of it comes with the next output, unjudged).
pub(super) fn filter_into(output: &[u8], least: ApplicationLogLevel, out: &mut Vec<u8>) {
    let least = rank(least);
    if least == 0 {
        out.extend_from_slice(output);
        return;
    }
    for line in output.split_inclusive(|&b| b == b'\n') {
        if line_rank(line) >= least {
            out.extend_from_slice(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(output: &str, least: ApplicationLogLevel) -> String {
        let mut out = Vec::new();
        filter_into(output.as_bytes(), least, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_below_the_level_are_dropped_by_their_json_level() {
        let output = concat!(
            "{\"level\":\"debug\",\"msg\":\"d\"}\n",
            "{\"level\":\"INFO\",\"fields\":{\"message\":\"i\"}}\n",
            "{\"level\":\"WARN\",\"msg\":\"w\"}\n",
            "{\"level\":\"WARNING\",\"message\":\"py\"}\n",
            "{\"level\":\"ERROR\",\"msg\":\"e\"}\n",
            "{\"level\":\"CRITICAL\",\"msg\":\"c\"}\n",
        );
        assert_eq!(kept(output, ApplicationLogLevel::Trace), output);
        assert_eq!(
            kept(output, ApplicationLogLevel::Warn),
            concat!(
                "{\"level\":\"WARN\",\"msg\":\"w\"}\n",
                "{\"level\":\"WARNING\",\"message\":\"py\"}\n",
                "{\"level\":\"ERROR\",\"msg\":\"e\"}\n",
                "{\"level\":\"CRITICAL\",\"msg\":\"c\"}\n",
            )
        );
        assert_eq!(
            kept(output, ApplicationLogLevel::Fatal),
            "{\"level\":\"CRITICAL\",\"msg\":\"c\"}\n"
        );
    }

    #[test]
    fn lines_without_a_known_level_count_as_info() {
        let output = "plain text\n{\"msg\":\"no level\"}\n{\"level\":\"loud\"}\n{broken\n[1,2]\n";
        assert_eq!(kept(output, ApplicationLogLevel::Info), output);
        assert_eq!(kept(output, ApplicationLogLevel::Warn), "");
    }

    #[test]
    fn a_last_line_without_newline_is_judged_too() {
        assert_eq!(
            kept(
                "{\"level\":\"DEBUG\"}\n{\"level\":\"ERROR\"}",
                ApplicationLogLevel::Info
            ),
            "{\"level\":\"ERROR\"}"
        );
    }
}

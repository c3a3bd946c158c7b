//! The function's log lines in a snapshot: text as text, and, in the JSON log format, each
//! line that is a JSON object as a map, with its volatile fields redacted.
//!
//! A tail is in the JSON format when it has no `START`/`END`/`REPORT` text lines: a Text
//! tail always ends with `END` and `REPORT`, a JSON one has `platform.*` records instead (or
//! none, at system level `WARN`). So the same rule reads a local tail and a deployed one.

use serde_json::Value;

use crate::client::outcome::Redactions;
use crate::client::tail_log::TailLog;

/// Keys whose values change with every invocation, at any depth of a JSON line, and what
/// they show as: the names AWS's runtimes and `lambda_runtime`'s tracing subscriber write.
const VOLATILE_KEYS: [(&str, &str); 6] = [
    ("timestamp", "[timestamp]"),
    ("time", "[timestamp]"),
    ("requestId", "[request-id]"),
    ("xrayTraceId", "[trace-id]"),
    ("traceId", "[trace-id]"),
    ("AWSTraceHeader", "[trace-id]"),
];

/// Whether `log` is in the JSON log format (see the module docs).
pub(crate) fn is_json_format(log: &TailLog) -> bool {
    !log.raw.lines().any(|line| {
        ["START RequestId: ", "END RequestId: ", "REPORT RequestId: "]
            .iter()
            .any(|prefix| line.starts_with(prefix))
    })
}

/// The snapshot values of a tail's lines.
pub(crate) fn snapshot_lines(
    log: &TailLog,
    redactions: &Redactions,
    request_id: Option<&str>,
) -> Vec<Value> {
    let json = is_json_format(log);
    log.lines
        .iter()
        .map(|line| match json_object(line).filter(|_| json) {
            Some(record) => redact(record, redactions, request_id),
            None => Value::String(redactions.in_text(line, request_id, true)),
        })
        .collect()
}

fn json_object(line: &str) -> Option<Value> {
    if !line.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str::<Value>(line)
        .ok()
        .filter(Value::is_object)
}

/// Volatile keys replaced, and every string redacted as a log line is.
fn redact(value: Value, redactions: &Redactions, request_id: Option<&str>) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, v)| {
                    let volatile = VOLATILE_KEYS
                        .iter()
                        .find(|(name, _)| *name == key)
                        .filter(|_| !v.is_null() && !v.is_object() && !v.is_array());
                    let v = match volatile {
                        Some((_, shown)) => Value::String((*shown).to_owned()),
                        None => redact(v, redactions, request_id),
                    };
                    (key, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| redact(v, redactions, request_id))
                .collect(),
        ),
        Value::String(s) => Value::String(redactions.in_text(&s, request_id, true)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "3e4b1c6a-2f5d-4b8e-9c1a-7d6e5f4a3b2c";

    fn lines(raw: &str) -> Vec<Value> {
        snapshot_lines(&TailLog::parse(raw), &Redactions::default(), Some(ID))
    }

    #[test]
    fn json_lines_are_maps_with_volatile_fields_redacted() {
        let raw = format!(
            concat!(
                r#"{{"time":"2026-01-01T00:00:00.000Z","type":"platform.start","record":{{"requestId":"{id}","version":"$LATEST"}}}}"#,
                "\n",
                r#"{{"level":"WARN","fields":{{"message":"low stock"}},"span":{{"requestId":"{id}","xrayTraceId":"Root=1-5e1b4151-5ac6c58f3d2a4b1c9e0f1a2b","name":"Lambda runtime invoke"}}}}"#,
                "\n",
                r#"{{"timestamp":"2026-01-01T00:00:00Z","level":"ERROR","message":"order {id} failed","logger":"root","requestId":"{id}"}}"#,
                "\nplain text at 2026-01-01T00:00:00Z\n[1, 2]\n",
            ),
            id = ID
        );
        assert_eq!(
            lines(&raw),
            [
                json!({"level": "WARN", "fields": {"message": "low stock"}, "span": {"requestId": "[request-id]", "xrayTraceId": "[trace-id]", "name": "Lambda runtime invoke"}}),
                json!({"timestamp": "[timestamp]", "level": "ERROR", "message": "order [request-id] failed", "logger": "root", "requestId": "[request-id]"}),
                json!("plain text at [timestamp]"),
                json!("[1, 2]"),
            ]
        );
    }

    #[test]
    fn in_the_text_format_json_lines_stay_text() {
        let raw = format!(
            "START RequestId: {ID} Version: $LATEST\n{{\"level\":\"INFO\",\"requestId\":\"{ID}\"}}\nEND RequestId: {ID}\n"
        );
        assert_eq!(
            lines(&raw),
            [json!(r#"{"level":"INFO","requestId":"[request-id]"}"#)]
        );
    }

    #[test]
    fn a_json_tail_without_platform_records_is_still_json() {
        let log = TailLog::parse("{\"level\":\"WARN\",\"msg\":\"only mine\"}\n");
        assert!(is_json_format(&log));
        assert_eq!(
            lines(&log.raw),
            [json!({"level": "WARN", "msg": "only mine"})]
        );
    }
}

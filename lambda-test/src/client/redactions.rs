//! Rules that replace volatile text (request ids, UUIDs, timestamps, trace ids, user patterns)
//! before it reaches a snapshot.

use std::borrow::Cow;

use regex::Regex;
use serde_json::Value;

/// Rules that replace volatile text before it reaches a snapshot.
///
/// By default: the invocation's request id everywhere (`[request-id]`); in log lines also
/// any UUID (`[uuid]`), ISO 8601 timestamp (`[timestamp]`) and X-Ray trace id (`[trace-id]`).
/// [`Redactions::add`] adds a rule that applies to the payload and the log.
///
/// ```
/// # fn check(outcome: lambda_test::Outcome) {
/// use lambda_test::Redactions;
///
/// let redactions = Redactions::default().add(r"tok-\d+", "[token]").unwrap();
/// let record = outcome.snapshot_record_with(&redactions);
/// # let _ = record; }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Redactions {
    /// Borrowed when compiled once per process ([`Redactions::add_compiled`]): a cloned
    /// `Regex` starts with empty caches.
    user_rules: Vec<(Cow<'static, Regex>, String)>,
}

/// The default log rules, in the order they apply: a matcher that gives the length of the
/// match starting at a position, and the replacement.
///
/// Hand-written rather than regexes: compiling three regexes cost a `cargo nextest` test
/// process (a debug build, one test per process) about 4.5 ms, a fifth of its time
/// (BENCHMARKS.md). Each matcher is the regex in its comment, with its leftmost-first,
/// greedy semantics.
const DEFAULT_LOG_RULES: [(volatile::Matcher, &str); 3] = [
    (volatile::timestamp, "[timestamp]"),
    (volatile::trace_id, "[trace-id]"),
    (volatile::uuid, "[uuid]"),
];

impl Redactions {
    /// Adds a rule: every match of `pattern` (a regex) in payload strings and log lines becomes `replacement`.
    pub fn add(mut self, pattern: &str, replacement: &str) -> Result<Self, regex::Error> {
        self.user_rules
            .push((Cow::Owned(Regex::new(pattern)?), replacement.to_owned()));
        Ok(self)
    }

    /// Adds a rule whose regex is already compiled, for the life of the process.
    pub(crate) fn add_compiled(mut self, regex: &'static Regex, replacement: &str) -> Self {
        self.user_rules
            .push((Cow::Borrowed(regex), replacement.to_owned()));
        self
    }

    pub(crate) fn in_text(&self, text: &str, request_id: Option<&str>, is_log: bool) -> String {
        let mut out = match request_id {
            Some(id) if !id.is_empty() => text.replace(id, "[request-id]"),
            _ => text.to_owned(),
        };
        for (re, with) in &self.user_rules {
            out = re.replace_all(&out, with.as_str()).into_owned();
        }
        if is_log {
            for (matcher, with) in DEFAULT_LOG_RULES {
                out = volatile::replace_all(&out, matcher, with);
            }
        }
        out
    }

    /// Bytes as JSON when they are JSON, as a string otherwise, null when absent; redacted.
    pub(crate) fn in_payload(&self, bytes: Option<&[u8]>, request_id: Option<&str>) -> Value {
        match bytes {
            None => Value::Null,
            Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(json) => self.in_json(json, request_id),
                Err(_) => {
                    Value::String(self.in_text(&String::from_utf8_lossy(bytes), request_id, false))
                }
            },
        }
    }

    pub(crate) fn in_json(&self, value: Value, request_id: Option<&str>) -> Value {
        match value {
            Value::String(s) => Value::String(self.in_text(&s, request_id, false)),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| self.in_json(v, request_id))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, self.in_json(v, request_id)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// Matchers for the volatile values of log lines.
mod volatile {
    /// The length of the match that starts at the beginning of the slice, if one does.
    pub(super) type Matcher = fn(&[u8]) -> Option<usize>;

    /// Replaces every leftmost, non-overlapping match of `matcher` in `text`.
    pub(super) fn replace_all(
        text: &str,
        matcher: fn(&[u8]) -> Option<usize>,
        with: &str,
    ) -> String {
        // Every shape has a `-`: most lines have none and are returned as they are.
        if !text.contains('-') {
            return text.to_owned();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let (mut copied, mut at) = (0, 0);
        while at < bytes.len() {
            match matcher(&bytes[at..]) {
                // A match starts with an ASCII byte, so `at` is a char boundary.
                Some(len) => {
                    out.push_str(&text[copied..at]);
                    out.push_str(with);
                    at += len;
                    copied = at;
                }
                None => at += 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    /// How many bytes at the start of `s` satisfy `class`, up to `max`.
    fn run(s: &[u8], class: fn(&u8) -> bool, max: usize) -> usize {
        s.iter().take(max).take_while(|b| class(b)).count()
    }

    /// Whether `s` starts with exactly the pattern: `d` a digit, `h` a lowercase hex digit,
    /// `H` any hex digit, anything else itself.
    fn shape(s: &[u8], pattern: &[u8]) -> bool {
        s.len() >= pattern.len()
            && pattern.iter().zip(s).all(|(p, b)| match p {
                b'd' => b.is_ascii_digit(),
                b'h' => b.is_ascii_digit() || (b'a'..=b'f').contains(b),
                b'H' => b.is_ascii_hexdigit(),
                p => p == b,
            })
    }

    /// `[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?`
    pub(super) fn timestamp(s: &[u8]) -> Option<usize> {
        if !(shape(s, b"dddd-dd-ddTdd:dd:dd") || shape(s, b"dddd-dd-dd dd:dd:dd")) {
            return None;
        }
        let mut len = 19;
        if s.get(len) == Some(&b'.') {
            let digits = run(&s[len + 1..], u8::is_ascii_digit, usize::MAX);
            if digits > 0 {
                len += 1 + digits;
            }
        }
        let zone = &s[len..];
        len += match zone.first() {
            Some(b'Z') => 1,
            Some(b'+' | b'-') if shape(&zone[1..], b"dd:dd") => 6,
            Some(b'+' | b'-') if shape(&zone[1..], b"dddd") => 5,
            _ => 0,
        };
        Some(len)
    }

    /// `1-[0-9a-f]{8}-[0-9a-f]{24}`
    pub(super) fn trace_id(s: &[u8]) -> Option<usize> {
        shape(s, b"1-hhhhhhhh-hhhhhhhhhhhhhhhhhhhhhhhh").then_some(35)
    }

    /// `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
    pub(super) fn uuid(s: &[u8]) -> Option<usize> {
        shape(s, b"HHHHHHHH-HHHH-HHHH-HHHH-HHHHHHHHHHHH").then_some(36)
    }
}

#[cfg(test)]
#[path = "redactions_tests.rs"]
mod tests;

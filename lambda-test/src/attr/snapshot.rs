//! What a test's snapshot holds: its description, redactions, the record and `query` paths.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use super::TestArgs;
use crate::client::http_event::Integration;
use crate::client::invocation::InvocationType;
use crate::client::outcome::{Outcome, Redactions, SnapshotRecord};

/// A `redact` pattern compiled once for the process. The set of patterns is the attributes'
/// own, so leaking each one compiled keeps it shared with its caches rather than cloned
/// without them.
fn compiled(pattern: &str) -> &'static regex::Regex {
    static COMPILED: LazyLock<Mutex<HashMap<String, &'static regex::Regex>>> =
        LazyLock::new(Mutex::default);
    if let Some(regex) = COMPILED
        .lock()
        .expect("redact patterns poisoned")
        .get(pattern)
    {
        return regex;
    }
    // Compiled outside the lock: an invalid pattern fails its own test, not the lock.
    let regex = regex::Regex::new(pattern)
        .unwrap_or_else(|e| panic!("invalid `redact` pattern `{pattern}`: {e}"));
    COMPILED
        .lock()
        .expect("redact patterns poisoned")
        .entry(pattern.to_owned())
        .or_insert_with(|| Box::leak(Box::new(regex)))
}

impl TestArgs {
    /// insta settings for this test's snapshot: a description of the invocation in the
    /// snapshot header instead of the generated expression.
    pub fn snapshot_settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        settings.set_omit_expression(true);
        settings.set_description(self.description());
        settings
    }

    fn description(&self) -> String {
        if let (true, Some(keys)) = (self.via_url, &self.request) {
            let mut description =
                format!("`{}` to the Function URL of `{}`", keys.line, self.function);
            if let Some(q) = &self.qualifier {
                description.push_str(&format!(" (alias `{q}`)"));
            }
            if let Some(file) = &keys.body_file {
                description.push_str(&format!(" (body `{file}`)"));
            }
            return description;
        }
        let mut description = format!("invoke `{}`", self.function);
        if let Some(q) = &self.qualifier {
            description.push_str(&format!(" qualifier `{q}`"));
        }
        if self.stream {
            description.push_str(" (streamed)");
        }
        if self.invocation_type != InvocationType::RequestResponse {
            description.push_str(&format!(" as {:?}", self.invocation_type));
        }
        if let Some(keys) = &self.request {
            let default = self
                .integration_used
                .get()
                .copied()
                .unwrap_or(Integration::HttpApi);
            description.push_str(&format!(
                " with `{}` through {}",
                keys.line,
                keys.integration.as_deref().unwrap_or(default.name())
            ));
            if let Some(file) = &keys.body_file {
                description.push_str(&format!(" (body `{file}`)"));
            }
        }
        match (&self.payload_file, &self.payload) {
            (Some(file), _) => description.push_str(&format!(" with `{file}`")),
            (None, Some(p)) => {
                let compact = serde_json::from_str::<serde_json::Value>(p)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|_| p.clone());
                description.push_str(&format!(" with {compact}"));
            }
            (None, None) => {}
        }
        description
    }

    /// The redactions of this test: the defaults and every `redact` rule. Each pattern is
    /// compiled once per process: the tests of an `events` folder or a `qualifiers` matrix
    /// share their rules, and a debug build compiles a regex slowly.
    pub fn redactions(&self) -> Redactions {
        self.redact
            .iter()
            .fold(Redactions::default(), |redactions, (pattern, with)| {
                redactions.add_compiled(compiled(pattern), with)
            })
    }

    /// What the snapshot holds: the record, or with `query` only the paths it names.
    ///
    /// Panics, naming what is there, when a path matches nothing: a misspelt path would
    /// otherwise snapshot a `null` that no test notices.
    #[track_caller]
    pub fn snapshot_value(&self, outcome: &Outcome) -> SnapshotValue {
        let record = self.snapshot_record(outcome);
        let Some(paths) = &self.query else {
            return SnapshotValue::Record(Box::new(record));
        };
        let whole = serde_json::to_value(&record).expect("a snapshot record serializes");
        let mut fields = Vec::new();
        for path in paths {
            match query_path(&whole, path) {
                Ok(value) => fields.push((path.clone(), value.clone())),
                Err(missing) => panic!("`query` path `{path}`: {missing}"),
            }
        }
        SnapshotValue::Query(fields)
    }

    /// The integration a request key went through, when known: `integration`, else the
    /// default the target chose; `None` without request keys.
    fn integration_of_request(&self) -> Option<Integration> {
        let keys = self.request.as_ref()?;
        match keys.integration.as_deref() {
            Some(name) => Integration::parse(name),
            None => self.integration_used.get().copied(),
        }
    }

    /// The record the snapshot holds, with this test's redactions.
    pub fn snapshot_record(&self, outcome: &Outcome) -> SnapshotRecord {
        let mut record =
            outcome.snapshot_record_through(&self.redactions(), self.integration_of_request());
        if self.stream_chunks
            && let (Some(shown), Some(streamed)) = (&mut record.stream, &outcome.stream)
        {
            shown.chunks = Some(streamed.chunks);
        }
        record
    }
}

/// What a snapshot holds: the whole record, or the `query` paths with their values, in the
/// order the attribute lists them.
#[derive(Debug, Clone)]
pub enum SnapshotValue {
    /// The whole record.
    Record(Box<SnapshotRecord>),
    /// `(path, value)` for each `query` path.
    Query(Vec<(String, serde_json::Value)>),
}

impl serde::Serialize for SnapshotValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        match self {
            SnapshotValue::Record(record) => record.serialize(serializer),
            SnapshotValue::Query(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (path, value) in fields {
                    map.serialize_entry(path, value)?;
                }
                map.end()
            }
        }
    }
}

/// The value at `path` (`a.b[0].c`) in `value`; what is there instead when nothing is.
fn query_path<'a>(
    value: &'a serde_json::Value,
    path: &str,
) -> Result<&'a serde_json::Value, String> {
    let mut at = value;
    let mut walked = String::new();
    for segment in path.split('.') {
        let (name, mut indexes) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
        let here = if walked.is_empty() {
            "the record".to_owned()
        } else {
            format!("`{walked}`")
        };
        at = match at {
            serde_json::Value::Object(map) => map.get(name).ok_or_else(|| {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                format!("{here} has no `{name}`; it has: {}", keys.join(", "))
            })?,
            other => return Err(format!("{here} is {other}, which has no fields")),
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(name);
        while let Some((index, rest)) = indexes.strip_prefix('[').and_then(|r| r.split_once(']')) {
            let i: usize = index
                .parse()
                .map_err(|_| format!("`{index}` is not an index"))?;
            at = match at {
                serde_json::Value::Array(items) => items
                    .get(i)
                    .ok_or_else(|| format!("`{walked}` has {} items, so no [{i}]", items.len()))?,
                other => return Err(format!("`{walked}` is {other}, not a list")),
            };
            walked.push_str(&format!("[{i}]"));
            indexes = rest;
        }
    }
    Ok(at)
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;

//! The budgets (`max_duration_ms`, `max_memory_mb`, `max_init_ms`, `max_first_byte_ms`):
//! what exceeds one, with the measured value beside it.

use std::time::Duration;

use super::TestArgs;
use crate::client::outcome::Outcome;

impl TestArgs {
    /// What exceeds a budget, with the measured value beside it.
    pub(super) fn over_budget(&self, outcome: &Outcome) -> Option<String> {
        if self.max_duration_ms.is_none()
            && self.max_memory_mb.is_none()
            && self.max_init_ms.is_none()
        {
            return None;
        }
        let Some(report) = outcome.report() else {
            return Some(format!(
                "the budgets read the REPORT line of the tail log, and this invocation \
                 returned none (status {}); budgets need a RequestResponse invocation with \
                 `log = \"tail\"`",
                outcome.status_code
            ));
        };
        let mut over = Vec::new();
        if let Some(max) = self.max_duration_ms
            && report.duration_ms > max as f64
        {
            over.push(format!(
                "`max_duration_ms = {max}`, but the REPORT line says Duration: {} ms",
                report.duration_ms
            ));
        }
        if let Some(max) = self.max_memory_mb
            && report.max_memory_used_mb > max
        {
            over.push(format!(
                "`max_memory_mb = {max}`, but the REPORT line says Max Memory Used: {} MB",
                report.max_memory_used_mb
            ));
        }
        if let Some(max) = self.max_init_ms
            && let Some(init) = report.init_duration_ms
            && init > max as f64
        {
            over.push(format!(
                "`max_init_ms = {max}`, but the REPORT line says Init Duration: {init} ms"
            ));
        }
        (!over.is_empty()).then(|| format!("over budget: {}", over.join("; ")))
    }

    /// What exceeds `max_first_byte_ms`, with the measured time beside it.
    pub(super) fn first_byte_late(&self, outcome: &Outcome) -> Option<String> {
        let max = self.max_first_byte_ms?;
        let Some(streamed) = &outcome.stream else {
            return Some(format!(
                "`max_first_byte_ms = {max}` times a response stream, and this invocation was \
                 not streamed (status {}); add `stream = true`",
                outcome.status_code
            ));
        };
        match streamed.first_byte {
            Some(first) if first > Duration::from_millis(max) => Some(format!(
                "over budget: `max_first_byte_ms = {max}`, but the first byte came after {} ms \
                 (measured from sending the request to the first byte of the body, after the \
                 HTTP prelude)",
                first.as_millis()
            )),
            Some(_) => None,
            None => Some(format!(
                "`max_first_byte_ms = {max}`, but the stream sent no byte of a body (status {}{})",
                outcome.status_code,
                streamed
                    .error
                    .as_ref()
                    .map(|e| format!(
                        ", ended with {}: {}",
                        e.code.as_deref().unwrap_or("(no code)"),
                        e.details.as_deref().unwrap_or("(no details)")
                    ))
                    .unwrap_or_default()
            )),
        }
    }
}

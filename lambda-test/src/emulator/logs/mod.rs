//! Function output capture and the platform log lines (lambda-api.md section 6).

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::unix::pipe;

/// The tail of an invocation log that `X-Amz-Log-Result` carries.
pub const TAIL_BYTES: usize = 4096;

/// How much unread function output an instance keeps; older output is dropped, so a
/// function that writes gigabytes of logs costs a bounded amount of memory.
const MAX_BUFFERED: usize = 1 << 20;

/// stdout and stderr of one instance, both written to one pipe so their order is kept.
pub struct LogCapture {
    pipe: pipe::Receiver,
    buffer: Mutex<VecDeque<u8>>,
}

impl LogCapture {
    /// Wraps the read end of the instance's output pipe and starts reading it.
    pub fn start(reader: std::io::PipeReader) -> std::io::Result<Arc<Self>> {
        let capture = Arc::new(Self {
            pipe: pipe::Receiver::from_owned_fd(reader.into())?,
            buffer: Mutex::new(VecDeque::new()),
        });
        let background = Arc::clone(&capture);
        tokio::spawn(async move {
            // Ends at EOF: when the process and every child holding the pipe are gone.
            while background.pipe.readable().await.is_ok() {
                if background.drain() {
                    break;
                }
            }
        });
        Ok(capture)
    }

    /// Moves everything the pipe holds right now into the buffer; true at end of file.
    ///
    /// The buffer lock is held while reading, so output is appended in pipe order even
    /// when the background reader and [`LogCapture::take`] race.
    fn drain(&self) -> bool {
        let mut buffer = self.buffer.lock().expect("log buffer poisoned");
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.pipe.try_read(&mut chunk) {
                Ok(0) => return true,
                Ok(n) => {
                    buffer.extend(&chunk[..n]);
                    let excess = buffer.len().saturating_sub(MAX_BUFFERED);
                    buffer.drain(..excess);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return true,
            }
        }
    }

    /// Everything written so far that was not taken yet.
    ///
    /// Call it after the runtime's next request (or its exit): what the process wrote
    /// before that request is in the pipe, so the drain here sees all of it.
    pub fn take(&self) -> Vec<u8> {
        self.drain();
        let mut buffer = self.buffer.lock().expect("log buffer poisoned");
        std::mem::take(&mut *buffer).into()
    }
}

/// `START RequestId: <id> Version: <v>` (a space, not a tab, before `Version`).
pub fn start_line(request_id: &str, version: &str) -> String {
    format!("START RequestId: {request_id} Version: {version}\n")
}

/// `END RequestId: <id>`.
pub fn end_line(request_id: &str) -> String {
    format!("END RequestId: {request_id}\n")
}

/// How an invocation ended, for the REPORT line's status fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus<'a> {
    /// No status fields.
    Ok,
    /// `Status: timeout`.
    Timeout,
    /// `Status: error\tError Type: <type>`.
    Error(&'a str),
}

/// The measurements a REPORT line carries.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
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

/// `REPORT RequestId: ...` with tab-separated fields and the trailing tab AWS writes.
///
/// Billed duration is `ceil(Init Duration + Duration)`, as for `provided.*` runtimes (and, since
/// August 2025, every zip function). After status fields AWS's trailing tab is unconfirmed
/// (lambda-api.md 6.1); we write none there, as CloudWatch logs of timeouts show.
pub fn report_line(r: &Report<'_>) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let duration = ms(r.duration);
    let billed = (duration + r.init_duration.map(ms).unwrap_or(0.0))
        .ceil()
        .max(1.0) as u64;
    let mut line = format!(
        "REPORT RequestId: {}\tDuration: {duration:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
        r.request_id, r.memory_size_mb, r.max_memory_used_mb
    );
    if let Some(init) = r.init_duration {
        line.push_str(&format!("Init Duration: {:.2} ms\t", ms(init)));
    }
    match r.status {
        ReportStatus::Ok => {}
        ReportStatus::Timeout => line.push_str("Status: timeout"),
        ReportStatus::Error(kind) => line.push_str(&format!("Status: error\tError Type: {kind}")),
    }
    line.push('\n');
    line
}

/// `INIT_REPORT Init Duration: <ms> ms\tPhase: <phase>\tStatus: <status>[\tError Type: <type>]`.
pub fn init_report_line(duration: Duration, phase: &str, status: ReportStatus<'_>) -> String {
    let mut line = format!(
        "INIT_REPORT Init Duration: {:.2} ms\tPhase: {phase}\t",
        duration.as_secs_f64() * 1000.0
    );
    match status {
        ReportStatus::Ok => line.push_str("Status: success"),
        ReportStatus::Timeout => line.push_str("Status: timeout"),
        ReportStatus::Error(kind) => line.push_str(&format!("Status: error\tError Type: {kind}")),
    }
    line.push('\n');
    line
}

/// The last [`TAIL_BYTES`] of a log, cut from the front.
pub fn tail(log: &[u8]) -> &[u8] {
    &log[log.len().saturating_sub(TAIL_BYTES)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_line_matches_aws_layout() {
        let line = report_line(&Report {
            request_id: "id",
            duration: Duration::from_micros(3_010),
            memory_size_mb: 128,
            max_memory_used_mb: 36,
            init_duration: Some(Duration::from_micros(110_100)),
            status: ReportStatus::Ok,
        });
        assert_eq!(
            line,
            "REPORT RequestId: id\tDuration: 3.01 ms\tBilled Duration: 114 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 110.10 ms\t\n"
        );
    }

    #[test]
    fn report_line_with_timeout_status() {
        let line = report_line(&Report {
            request_id: "id",
            duration: Duration::from_secs(3),
            memory_size_mb: 128,
            max_memory_used_mb: 10,
            init_duration: None,
            status: ReportStatus::Timeout,
        });
        assert!(
            line.ends_with("Max Memory Used: 10 MB\tStatus: timeout\n"),
            "{line}"
        );
        assert!(line.contains("Billed Duration: 3000 ms"), "{line}");
    }

    #[test]
    fn tail_keeps_last_4096_bytes() {
        let log = vec![b'x'; 5000];
        assert_eq!(tail(&log).len(), 4096);
        assert_eq!(tail(b"short"), b"short");
    }
}

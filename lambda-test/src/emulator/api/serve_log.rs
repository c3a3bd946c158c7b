//! The serve log's writer: lines are gathered in memory and written by a thread of their own,
//! all that arrived within [`GATHER`] in one `write(2)`, so that a request pays for its line
//! with an append to a buffer, not with a blocking write to stderr.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer waits after a first line for more, to write them together. Short
/// enough for a person watching the log; under load it turns thousands of writes a second
/// into a hundred.
const GATHER: Duration = Duration::from_millis(10);

/// Lines on their way to the log's output.
pub(crate) struct ServeLog {
    pending: Arc<Pending>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

struct Pending {
    lines: Mutex<Lines>,
    /// Signalled when the first line arrives in an empty buffer, and on close.
    arrived: Condvar,
}

#[derive(Default)]
struct Lines {
    text: Vec<u8>,
    closed: bool,
}

impl ServeLog {
    /// A log written to stderr.
    pub(crate) fn stderr() -> ServeLog {
        ServeLog::to(std::io::stderr())
    }

    /// A log written to `output`.
    pub(crate) fn to(mut output: impl Write + Send + 'static) -> ServeLog {
        let pending = Arc::new(Pending {
            lines: Mutex::new(Lines::default()),
            arrived: Condvar::new(),
        });
        let shared = Arc::clone(&pending);
        let writer = std::thread::Builder::new()
            .name("lambda-test-serve-log".into())
            .spawn(move || {
                while let Some(text) = shared.next_batch() {
                    // Nothing to do about a log nobody can write to.
                    let _ = output.write_all(&text);
                    let _ = output.flush();
                }
            })
            .expect("failed to start the serve log's thread");
        ServeLog {
            pending,
            writer: Mutex::new(Some(writer)),
        }
    }

    /// Adds one line (without its newline).
    pub(crate) fn line(&self, line: &str) {
        let mut lines = self.pending.lines.lock().expect("serve log poisoned");
        if lines.closed {
            return;
        }
        let first = lines.text.is_empty();
        lines.text.extend_from_slice(line.as_bytes());
        lines.text.push(b'\n');
        drop(lines);
        // Only a line into an empty buffer wakes the writer: the others go with it.
        if first {
            self.pending.arrived.notify_one();
        }
    }
}

impl Pending {
    /// The lines to write next, once some arrived and [`GATHER`] passed (at once on close);
    /// `None` when the log is closed and everything is written.
    fn next_batch(&self) -> Option<Vec<u8>> {
        let mut lines = self.lines.lock().expect("serve log poisoned");
        while lines.text.is_empty() && !lines.closed {
            lines = self.arrived.wait(lines).expect("serve log poisoned");
        }
        if lines.text.is_empty() {
            return None;
        }
        if !lines.closed {
            drop(lines);
            std::thread::sleep(GATHER);
            lines = self.lines.lock().expect("serve log poisoned");
        }
        Some(std::mem::take(&mut lines.text))
    }
}

impl ServeLog {
    /// Writes what is left at once and stops the writer; lines after it are dropped.
    pub(crate) fn close(&self) {
        self.pending
            .lines
            .lock()
            .expect("serve log poisoned")
            .closed = true;
        self.pending.arrived.notify_one();
        let writer = self.writer.lock().expect("serve log poisoned").take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

impl Drop for ServeLog {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// An output that records each write, and holds the first one until released.
    struct Recorder {
        writes: Arc<Mutex<Vec<String>>>,
        entered: mpsc::Sender<()>,
        release: mpsc::Receiver<()>,
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut writes = self.writes.lock().unwrap();
            if writes.is_empty() {
                drop(writes);
                let _ = self.entered.send(());
                let _ = self.release.recv();
                writes = self.writes.lock().unwrap();
            }
            writes.push(String::from_utf8_lossy(buf).into_owned());
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_that_arrive_during_a_write_go_out_together_in_order() {
        let writes = Arc::new(Mutex::new(Vec::new()));
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        let log = ServeLog::to(Recorder {
            writes: Arc::clone(&writes),
            entered: entered_tx,
            release: release_rx,
        });
        log.line("first");
        entered.recv().unwrap();
        // The writer is inside its first write: these wait for it, and then go as one.
        log.line("second");
        log.line("third");
        release.send(()).unwrap();
        drop(log);
        assert_eq!(*writes.lock().unwrap(), ["first\n", "second\nthird\n"]);
    }

    #[test]
    fn closing_the_log_writes_what_is_left() {
        let writes = Arc::new(Mutex::new(Vec::new()));
        let (entered_tx, _entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        release.send(()).unwrap();
        let log = ServeLog::to(Recorder {
            writes: Arc::clone(&writes),
            entered: entered_tx,
            release: release_rx,
        });
        log.line("only");
        drop(log);
        assert_eq!(writes.lock().unwrap().concat(), "only\n");
    }
}

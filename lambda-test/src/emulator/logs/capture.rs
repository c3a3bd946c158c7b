//! Function output capture: stdout and stderr of one instance through one pipe.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::unix::pipe;

/// How much unread function output an instance keeps; older output is dropped, so a
/// function that writes gigabytes of logs costs a bounded amount of memory.
const MAX_BUFFERED: usize = 1 << 20;

/// stdout and stderr of one instance, both written to one pipe so their order is kept.
pub struct LogCapture {
    pipe: pipe::Receiver,
    buffer: Mutex<VecDeque<u8>>,
    /// Whether output is kept for [`LogCapture::take`]; while nobody reads the log, it is
    /// read from the pipe and dropped.
    keep: AtomicBool,
}

impl LogCapture {
    /// Wraps the read end of the instance's output pipe and starts reading it.
    pub fn start(reader: std::io::PipeReader) -> std::io::Result<Arc<Self>> {
        let capture = Arc::new(Self {
            pipe: pipe::Receiver::from_owned_fd(reader.into())?,
            buffer: Mutex::new(VecDeque::new()),
            keep: AtomicBool::new(true),
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
                Ok(_) if !self.keep.load(Ordering::Relaxed) => {}
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

    /// Keeps output from now on, or drops it as it is read (and what is kept so far).
    ///
    /// An invocation whose log is wanted calls it, then [`LogCapture::take`] before its event
    /// goes out: what was in the pipe before is taken then, so none of it is counted twice.
    pub fn keep(&self, keep: bool) {
        self.keep.store(keep, Ordering::Relaxed);
        if !keep {
            self.buffer.lock().expect("log buffer poisoned").clear();
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

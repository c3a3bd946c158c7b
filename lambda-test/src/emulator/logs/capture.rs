//! Function output capture: stdout and stderr of one instance through one pipe.
//!
//! While an invocation's log is wanted, a task reads the pipe as output arrives. While nobody
//! wants it (no `LogType=Tail`), the pipe is not watched at all: each line a function prints
//! would otherwise wake the server and cost two `read`s (the line, then `EAGAIN`). Instead the
//! pipe is enlarged to [`PIPE_SIZE`] and emptied in batches by [`LogCapture::discard_pending`]
//! (the memory watch calls it on each tick while an invocation runs, and it reads every
//! [`DISCARD_EVERY`]th time), and watched again for a function found writing fast enough to
//! fill half of it between two such reads, until it writes little.

use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use tokio::net::unix::pipe;
use tokio::sync::Notify;

/// How much unread function output an instance keeps; older output is dropped, so a
/// function that writes gigabytes of logs costs a bounded amount of memory.
const MAX_BUFFERED: usize = 1 << 20;

/// The pipe's capacity asked for (Linux's default limit for an unprivileged process,
/// `/proc/sys/fs/pipe-max-size`): what a function can write between two batched reads before
/// it blocks. If the kernel refuses, the pipe keeps its default 64 KiB.
const PIPE_SIZE: usize = 1 << 20;

/// How many calls of [`LogCapture::discard_pending`] make one read of unwatched output: the
/// memory watch ticks every 20 ms, so 80 ms between reads: a function that writes more than
/// 6.25 MiB/s (half the pipe in 80 ms) counts as chatty.
const DISCARD_EVERY: u32 = 4;

/// A chatty function whose output is not kept stays watched while it writes at least this
/// much between two reads of [`DISCARD_EVERY`] ticks.
const STILL_CHATTY: usize = PIPE_SIZE / 16;

/// stdout and stderr of one instance, both written to one pipe so their order is kept.
pub struct LogCapture {
    /// The read end, non-blocking.
    pipe: OwnedFd,
    buffer: Mutex<VecDeque<u8>>,
    /// Whether output is kept for [`LogCapture::take`]; otherwise what is read is dropped.
    keep: AtomicBool,
    /// Whether the reader task watches the pipe: while output is kept, or the function is
    /// chatty.
    watched: AtomicBool,
    /// Whether the function writes so much that its output is read as it arrives even when
    /// nobody keeps it (or the pipe would fill between two batched reads).
    chatty: AtomicBool,
    /// Bytes read since the last check of `chatty`.
    read_since_check: AtomicUsize,
    /// Calls of [`LogCapture::discard_pending`], for [`DISCARD_EVERY`].
    discard_calls: AtomicU32,
    /// Set when the instance is gone: the reader task ends.
    closed: AtomicBool,
    /// Wakes the reader task when `watched` or `closed` changes.
    wake: Notify,
}

impl LogCapture {
    /// Takes the read end of the instance's output pipe and starts reading it.
    pub fn start(reader: std::io::PipeReader) -> std::io::Result<Arc<Self>> {
        let pipe = OwnedFd::from(reader);
        fcntl(&pipe, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        // Best effort: a smaller pipe only makes a chatty function wait for the next batch.
        let _ = fcntl(&pipe, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE as i32));
        let capture = Arc::new(Self {
            pipe,
            buffer: Mutex::new(VecDeque::new()),
            keep: AtomicBool::new(true),
            watched: AtomicBool::new(true),
            chatty: AtomicBool::new(false),
            read_since_check: AtomicUsize::new(0),
            discard_calls: AtomicU32::new(0),
            closed: AtomicBool::new(false),
            wake: Notify::new(),
        });
        tokio::spawn(Arc::clone(&capture).read_while_watched());
        Ok(capture)
    }

    /// The reader task: reads the pipe as output arrives while it is watched, sleeps
    /// otherwise (the pipe unregistered from the runtime's epoll, so a write to it wakes
    /// nothing). Ends at end of file while watched, or when the instance is gone.
    async fn read_while_watched(self: Arc<Self>) {
        while !self.closed.load(Ordering::Relaxed) {
            if !self.watched.load(Ordering::Relaxed) {
                self.wake.notified().await;
                continue;
            }
            // A duplicate of the read end, registered with the runtime while watched
            // (`AsyncFd` would need `unsafe` for a borrowed fd); dropping it unregisters it.
            let Ok(registered) = self
                .pipe
                .try_clone()
                .and_then(pipe::Receiver::from_owned_fd_unchecked)
            else {
                return;
            };
            loop {
                tokio::select! {
                    () = self.wake.notified() => {
                        if self.closed.load(Ordering::Relaxed)
                            || !self.watched.load(Ordering::Relaxed)
                        {
                            break;
                        }
                    }
                    ready = registered.readable() => {
                        if ready.is_err() {
                            return;
                        }
                        let mut eof = false;
                        // The `WouldBlock` clears the readiness seen (a later write sets it
                        // again).
                        let _ = registered.try_io(|| {
                            eof = self.drain().eof;
                            Err::<(), _>(std::io::ErrorKind::WouldBlock.into())
                        });
                        if eof {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Reads everything the pipe holds right now: into the buffer when output is kept,
    /// dropped otherwise.
    ///
    /// The buffer lock is held while reading, so output is appended in pipe order even
    /// when the reader task and [`LogCapture::take`] race.
    fn drain(&self) -> Drained {
        let mut buffer = self.buffer.lock().expect("log buffer poisoned");
        let mut chunk = [0u8; 16 * 1024];
        let mut drained = Drained::default();
        loop {
            match nix::unistd::read(&self.pipe, &mut chunk) {
                Ok(0) => {
                    drained.eof = true;
                    return drained;
                }
                Ok(n) => {
                    drained.bytes += n;
                    self.read_since_check.fetch_add(n, Ordering::Relaxed);
                    if self.keep.load(Ordering::Relaxed) {
                        buffer.extend(&chunk[..n]);
                        let excess = buffer.len().saturating_sub(MAX_BUFFERED);
                        buffer.drain(..excess);
                    }
                    // A pipe's read returns less than asked only when the pipe is empty:
                    // the `EAGAIN` read after it would tell nothing new.
                    if n < chunk.len() {
                        return drained;
                    }
                }
                Err(Errno::EAGAIN) => return drained,
                Err(Errno::EINTR) => {}
                Err(_) => {
                    drained.eof = true;
                    return drained;
                }
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
        self.watch(keep || self.chatty.load(Ordering::Relaxed));
    }

    /// Drops what the pipe holds, when output is not kept; called every few milliseconds
    /// while an invocation runs, it reads every [`DISCARD_EVERY`]th time. A function that
    /// filled half the pipe since the last read has its output read as it arrives from then
    /// on, until it writes less than [`STILL_CHATTY`] between two reads.
    pub fn discard_pending(&self) {
        if self.keep.load(Ordering::Relaxed)
            || !self
                .discard_calls
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(DISCARD_EVERY)
        {
            return;
        }
        let read = if self.chatty.load(Ordering::Relaxed) {
            // The reader task reads it as it arrives.
            0
        } else {
            self.drain().bytes
        };
        let read = read + self.read_since_check.swap(0, Ordering::Relaxed);
        let chatty = if self.chatty.load(Ordering::Relaxed) {
            read >= STILL_CHATTY
        } else {
            read >= PIPE_SIZE / 2
        };
        self.chatty.store(chatty, Ordering::Relaxed);
        self.watch(chatty);
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

    /// Ends the reader task: the instance is gone.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    fn watch(&self, watched: bool) {
        if self.watched.swap(watched, Ordering::Relaxed) != watched {
            self.wake.notify_one();
        }
    }
}

/// What one [`LogCapture::drain`] read.
#[derive(Default)]
struct Drained {
    bytes: usize,
    eof: bool,
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[tokio::test]
    async fn output_nobody_keeps_waits_in_the_pipe_until_discarded() {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let capture = LogCapture::start(reader).unwrap();
        capture.keep(false);
        writer.write_all(b"unread\n").unwrap();
        tokio::task::yield_now().await;
        assert_eq!(
            capture.drain().bytes,
            7,
            "still in the pipe, not read by the task"
        );
        writer.write_all(b"unread again\n").unwrap();
        for _ in 0..DISCARD_EVERY {
            capture.discard_pending();
        }
        capture.keep(true);
        assert_eq!(capture.take(), b"", "discarded, not kept");
    }

    #[tokio::test]
    async fn kept_output_is_read_as_it_arrives_and_taken_once() {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let capture = LogCapture::start(reader).unwrap();
        capture.keep(false);
        writer.write_all(b"before\n").unwrap();
        capture.keep(true);
        // What came before `keep(true)` is taken (and dropped) as init output is.
        assert_eq!(capture.take(), b"before\n");
        writer.write_all(b"mine\n").unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while capture.buffer.lock().unwrap().is_empty() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the reader task reads kept output as it arrives");
        assert_eq!(capture.take(), b"mine\n");
        assert_eq!(capture.take(), b"");
    }

    #[tokio::test]
    async fn a_function_that_fills_half_the_pipe_is_read_as_it_writes() {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let capture = LogCapture::start(reader).unwrap();
        if fcntl(&capture.pipe, FcntlArg::F_GETPIPE_SZ).unwrap() < PIPE_SIZE as i32 {
            eprintln!("skipped: the kernel kept the pipe small");
            return;
        }
        capture.keep(false);
        writer.write_all(&vec![b'y'; PIPE_SIZE / 2]).unwrap();
        capture.discard_pending();
        assert!(capture.watched.load(Ordering::Relaxed));
        capture.keep(false);
        assert!(
            capture.watched.load(Ordering::Relaxed),
            "chatty across invocations"
        );
        // More than the pipe holds: only a reader that reads as output arrives lets it end.
        let writing = std::thread::spawn(move || writer.write_all(&vec![b'y'; 2 * PIPE_SIZE]));
        tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while !writing.is_finished() {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the writer is not blocked");
        // What the reader task has not read yet; counted as read since the last check.
        capture.drain();
        for _ in 0..DISCARD_EVERY {
            capture.discard_pending();
        }
        assert!(
            capture.watched.load(Ordering::Relaxed),
            "it wrote a lot: still chatty"
        );
        // Quiet until the next check: batched again.
        for _ in 0..DISCARD_EVERY {
            capture.discard_pending();
        }
        assert!(!capture.watched.load(Ordering::Relaxed), "lazy again");
    }
}

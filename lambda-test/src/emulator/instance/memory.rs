//! Memory of an instance, read from `/proc/<pid>/status`: its peak for the REPORT line, and
//! its resident size against the function's `memory_size`.
//!
//! The limit is checked every [`MEMORY_POLL`] while an invocation runs ([`watch`]): a process that
//! passes it is killed, as Lambda's sandbox kills it (`Runtime.OutOfMemory`). AWS enforces
//! the limit on the whole sandbox at once, through its cgroup; polling the process's
//! resident size is coarser: a process that allocates faster than the poll can run past the
//! limit for up to one interval, and memory a child process holds is not counted.

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::Instance;
use crate::emulator::logs::LogCapture;

/// How often a running invocation's memory is read.
pub(super) const MEMORY_POLL: Duration = Duration::from_millis(20);

/// The `VmHWM:` value, in kB, of a `/proc/<pid>/status` text.
fn vm_hwm_kb(status: &[u8]) -> Option<u64> {
    field_kb(status, b"VmHWM:")
}

/// A `kB` field of a `/proc/<pid>/status` text.
fn field_kb(status: &[u8], key: &[u8]) -> Option<u64> {
    let at = status.windows(key.len()).position(|w| w == key)? + key.len();
    let value = status[at..].split(|b| *b == b'\n').next()?;
    std::str::from_utf8(value)
        .ok()?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Watches the process's resident memory while `running` is true, from its status file every
/// [`MEMORY_POLL`], and sets the returned flag once it passes `limit_mb`; never, without a
/// file to read. On the same ticks it empties the output pipe of output nobody reads
/// ([`LogCapture::discard_pending`]). The task ends with the instance (when `running`'s
/// sender is dropped).
///
/// One watch per instance rather than a timer per invocation: a new timer that is due before
/// the runtime's next wake-up wakes its driver (an eventfd write and an extra `epoll_wait`),
/// which at one caller was 3 of the 15 syscalls of each invocation. The watch's ticks keep
/// running while invocations follow each other, so the deadlines of later invocations, due
/// after the next tick, wake nothing.
pub(super) fn watch(
    status: Option<Arc<File>>,
    limit_mb: u32,
    mut running: watch::Receiver<bool>,
    output: Arc<LogCapture>,
) -> watch::Receiver<bool> {
    let (over_tx, over) = watch::channel(false);
    let limit_kb = u64::from(limit_mb) * 1024;
    tokio::spawn(async move {
        let mut buffer = [0u8; 4096];
        // Until the instance is gone: wait for an invocation, then read every tick while
        // invocations run.
        while running.wait_for(|r| *r).await.is_ok() {
            let mut ticks = tokio::time::interval(MEMORY_POLL);
            ticks.reset();
            loop {
                ticks.tick().await;
                if running.has_changed().is_err() {
                    return;
                }
                if !*running.borrow_and_update() {
                    break;
                }
                output.discard_pending();
                let Some(status) = &status else {
                    continue;
                };
                let Ok(read) = status.read_at(&mut buffer, 0) else {
                    return;
                };
                if field_kb(&buffer[..read], b"VmRSS:").is_some_and(|kb| kb > limit_kb) {
                    over_tx.send_replace(true);
                    return;
                }
            }
        }
    });
    over
}

/// Resolves once the watch of [`watch`] saw the memory over its limit; never otherwise.
pub(super) async fn exceeded(mut over: watch::Receiver<bool>) {
    if over.wait_for(|o| *o).await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Instance {
    /// Peak resident memory of the process, from `/proc/<pid>/status` (`VmHWM`); only when
    /// the invocation's log is wanted (two `/proc` reads per invocation otherwise spent).
    pub(super) fn measure_memory(&mut self) {
        if !self.log_wanted {
            return;
        }
        let Some(status) = &self.status else {
            return;
        };
        // The whole file is about 1.5 KB; `VmHWM` is in its first half.
        let mut buffer = [0u8; 4096];
        let Ok(read) = status.read_at(&mut buffer, 0) else {
            return;
        };
        if let Some(kb) = vm_hwm_kb(&buffer[..read]) {
            self.max_memory_mb = self.max_memory_mb.max(kb.div_ceil(1024));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_from_a_status_text() {
        let status =
            b"Name:\tprobe\nVmPeak:\t  145856 kB\nVmHWM:\t    8240 kB\nVmRSS:\t    8100 kB\n";
        assert_eq!(vm_hwm_kb(status), Some(8240));
        assert_eq!(vm_hwm_kb(b"Name:\tzombie\nState:\tZ (zombie)\n"), None);
    }

    #[tokio::test]
    async fn the_watch_reads_only_while_an_invocation_runs() {
        // This test process is over 1 MB.
        let status = Arc::new(std::fs::File::open("/proc/self/status").unwrap());
        let (running, running_rx) = watch::channel(false);
        let (reader, _writer) = std::io::pipe().unwrap();
        let output = LogCapture::start(reader).unwrap();
        let over = super::watch(Some(status), 1, running_rx, output);
        tokio::time::sleep(MEMORY_POLL * 3).await;
        assert!(!*over.borrow(), "nothing runs, so nothing is read");
        running.send_replace(true);
        tokio::time::timeout(Duration::from_secs(10), exceeded(over))
            .await
            .expect("the watch sees the memory over the limit");
    }

    /// The kept-open file reads again at offset 0, as a fresh open of the path would.
    #[test]
    fn a_kept_open_status_file_reads_again() {
        use std::os::unix::fs::FileExt as _;
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let mut buffer = [0u8; 4096];
        for _ in 0..2 {
            let read = file.read_at(&mut buffer, 0).unwrap();
            let kb = vm_hwm_kb(&buffer[..read]).expect("VmHWM in our own status");
            assert!(kb > 0);
        }
    }
}

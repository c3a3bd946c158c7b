//! Memory of an instance, read from `/proc/<pid>/status`: its peak for the REPORT line, and
//! its resident size against the function's `memory_size`.
//!
//! The limit is checked every [`MEMORY_POLL`] while an invocation runs: a process that
//! passes it is killed, as Lambda's sandbox kills it (`Runtime.OutOfMemory`). AWS enforces
//! the limit on the whole sandbox at once, through its cgroup; polling the process's
//! resident size is coarser: a process that allocates faster than the poll can run past the
//! limit for up to one interval, and memory a child process holds is not counted.

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::sync::Arc;
use std::time::Duration;

use super::Instance;

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

/// Resolves once the process's resident memory passes `limit_mb`, read from its status
/// file every [`MEMORY_POLL`]; never, without a file to read.
pub(super) async fn exceeded(status: Option<Arc<File>>, limit_mb: u32) {
    let Some(status) = status else {
        return std::future::pending().await;
    };
    let limit_kb = u64::from(limit_mb) * 1024;
    let mut buffer = [0u8; 4096];
    loop {
        tokio::time::sleep(MEMORY_POLL).await;
        let Ok(read) = status.read_at(&mut buffer, 0) else {
            return std::future::pending().await;
        };
        if field_kb(&buffer[..read], b"VmRSS:").is_some_and(|kb| kb > limit_kb) {
            return;
        }
    }
}

impl Instance {
    /// The status file, for a watch that must not borrow the instance.
    pub(super) fn status_file(&self) -> Option<Arc<File>> {
        self.status.clone()
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

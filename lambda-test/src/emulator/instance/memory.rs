//! Peak memory of an instance, for its REPORT line, read from `/proc/<pid>/status`.

use super::Instance;

/// The `VmHWM:` value, in kB, of a `/proc/<pid>/status` text.
fn vm_hwm_kb(status: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"VmHWM:";
    let at = status.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let value = status[at..].split(|b| *b == b'\n').next()?;
    std::str::from_utf8(value)
        .ok()?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

impl Instance {
    /// Peak resident memory of the process, from `/proc/<pid>/status` (`VmHWM`); only when
    /// the invocation's log is wanted (two `/proc` reads per invocation otherwise spent).
    pub(super) fn measure_memory(&mut self) {
        use std::os::unix::fs::FileExt as _;
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

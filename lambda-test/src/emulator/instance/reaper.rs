//! No orphan processes, however the host process ends.
//!
//! Function processes run in their own process groups. A small watchdog shell, started once per
//! host process in a process group of its own (so a terminal's Ctrl-C does not reach it first),
//! reads group ids on its standard input (`kill -9 -<pgid>`: the form dash, the usual `/bin/sh`,
//! accepts). When the host process ends in any way, even by
//! SIGKILL or a panic in a test, the kernel closes that pipe, and the watchdog kills every group
//! it still knows. This needs no `unsafe` (no `pre_exec`/`prctl`) and no extra binary.

use std::io::Write;
use std::os::unix::process::CommandExt as _;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Reads `<pgid>` (watch) or `-<pgid>` (forget) lines; at end of input kills what is left.
const WATCHDOG: &str = r#"groups=" "
while read -r line; do
  case "$line" in
    -*) id=${line#-}; case "$groups" in *" $id "*) groups="${groups%% $id *} ${groups#* $id }";; esac ;;
    *) groups="$groups$line " ;;
  esac
done
for id in $groups; do kill -9 "-$id" 2>/dev/null; done
"#;

/// The process-wide watchdog.
pub struct Reaper {
    input: Mutex<Option<ChildStdin>>,
}

impl Reaper {
    /// The watchdog of this process, started on first use.
    pub fn global() -> &'static Reaper {
        static REAPER: OnceLock<Reaper> = OnceLock::new();
        REAPER.get_or_init(|| {
            let input = Command::new("/bin/sh")
                .arg("-c")
                .arg(WATCHDOG)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .ok()
                .and_then(|mut child| child.stdin.take());
            Reaper {
                input: Mutex::new(input),
            }
        })
    }

    fn send(&self, line: &str) {
        let mut input = self.input.lock().expect("reaper poisoned");
        if let Some(pipe) = input.as_mut()
            && pipe.write_all(line.as_bytes()).is_err()
        {
            *input = None;
        }
    }

    /// Kill this process group if the host process ends.
    pub fn watch(&self, pgid: u32) {
        self.send(&format!("{pgid}\n"));
    }

    /// The group was killed already.
    pub fn forget(&self, pgid: u32) {
        self.send(&format!("-{pgid}\n"));
    }
}

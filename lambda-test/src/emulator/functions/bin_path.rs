//! Where a function's `bin = "..."` is found.
//!
//! In order: the directories a setting names (`bin_dir` in `lambda-test.toml`,
//! `LAMBDA_TEST_BIN_DIR`), then the binary the test runner names at run time
//! (`NEXTEST_BIN_EXE_<bin>`, `CARGO_BIN_EXE_<bin>`), then the build's own directories (beside
//! the test executable, `CARGO_TARGET_DIR`, a `target` above the package). The runner's
//! variables are what make an archived run work: `cargo nextest run --archive-file` extracts
//! the binaries somewhere else than where they were built and says where.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::config::Config;

/// The places a `bin` is looked for.
pub(super) struct BinSearch {
    /// Directories a setting names: searched first.
    explicit: Vec<PathBuf>,
    /// Directories of the build: searched after the runner's variables.
    build: Vec<PathBuf>,
}

impl BinSearch {
    /// The search of `config`'s functions, from its settings and this process's environment.
    pub(super) fn new(config: &Config) -> BinSearch {
        let mut explicit = Vec::new();
        explicit.extend(config.emulator.bin_dir.clone());
        explicit.extend(std::env::var_os("LAMBDA_TEST_BIN_DIR").map(PathBuf::from));
        BinSearch {
            explicit,
            build: build_dirs(&config.base_dir),
        }
    }

    /// The binary `bin` (relative to `base` when it is a path), or everything searched.
    pub(super) fn locate(&self, base: &Path, bin: &str) -> Result<PathBuf, Vec<PathBuf>> {
        self.locate_with(base, bin, |name| std::env::var_os(name))
    }

    fn locate_with(
        &self,
        base: &Path,
        bin: &str,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<PathBuf, Vec<PathBuf>> {
        if bin.contains('/') {
            let path = base.join(bin);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(vec![path])
            };
        }
        let in_dirs = |dirs: &[PathBuf]| dirs.iter().map(|d| d.join(bin)).find(|p| p.is_file());
        if let Some(found) = in_dirs(&self.explicit) {
            return Ok(found);
        }
        let named = runner_named(bin, env);
        if let Some(found) = named.iter().find(|p| p.is_file()) {
            return Ok(found.clone());
        }
        if let Some(found) = in_dirs(&self.build) {
            return Ok(found);
        }
        Err(self
            .explicit
            .iter()
            .chain(&named)
            .chain(&self.build)
            .cloned()
            .collect())
    }

    /// Where a missing `bin` would have been run from, for the error that names it.
    pub(super) fn fallback(&self, bin: &str) -> PathBuf {
        self.explicit
            .iter()
            .chain(&self.build)
            .next()
            .map_or_else(|| PathBuf::from(bin), |d| d.join(bin))
    }
}

/// The paths the test runner gives for `bin`: nextest's `NEXTEST_BIN_EXE_<bin>` (also with `-`
/// as `_`, as nextest sets it for shells), then `CARGO_BIN_EXE_<bin>` if set at run time.
fn runner_named(bin: &str, env: impl Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let mut names = vec![format!("NEXTEST_BIN_EXE_{bin}")];
    if bin.contains('-') {
        names.push(format!("NEXTEST_BIN_EXE_{}", bin.replace('-', "_")));
    }
    names.push(format!("CARGO_BIN_EXE_{bin}"));
    names
        .iter()
        .filter_map(|name| env(name))
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// The build's directories: beside the test executable, `CARGO_TARGET_DIR`, and the first
/// `target` above the package.
fn build_dirs(package_base: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    // A test executable lives in target/<profile>/deps; the package's binaries one level up.
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        if dir.ends_with("deps") {
            dirs.extend(dir.parent().map(Path::to_owned));
        } else {
            dirs.push(dir.to_owned());
        }
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        let target = PathBuf::from(target);
        dirs.push(target.join("debug"));
        dirs.push(target.join("release"));
    }
    for ancestor in package_base.ancestors() {
        let target = ancestor.join("target");
        if target.is_dir() {
            dirs.push(target.join("debug"));
            dirs.push(target.join("release"));
            break;
        }
    }
    dirs.dedup();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory holding empty `files`, removed when dropped.
    struct Dir(PathBuf);

    impl Dir {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir_with(files: &[&str]) -> Dir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("lambda-test-bins-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for file in files {
            std::fs::write(dir.join(file), "").unwrap();
        }
        Dir(dir)
    }

    fn search(explicit: &Path, build: &Path) -> BinSearch {
        BinSearch {
            explicit: vec![explicit.to_owned()],
            build: vec![build.to_owned()],
        }
    }

    #[test]
    fn the_runners_binary_comes_before_the_builds_and_after_a_setting() {
        let (explicit, build, runner) = (dir_with(&[]), dir_with(&["f"]), dir_with(&["f"]));
        let search = search(explicit.path(), build.path());
        let runner_f = runner.path().join("f");
        let env = |name: &str| (name == "NEXTEST_BIN_EXE_f").then(|| runner_f.clone().into());
        assert_eq!(
            search.locate_with(Path::new("/"), "f", env),
            Ok(runner_f.clone())
        );
        assert_eq!(
            search.locate_with(Path::new("/"), "f", |_| None),
            Ok(build.path().join("f"))
        );

        let explicit = dir_with(&["f"]);
        let search = super::tests::search(explicit.path(), build.path());
        assert_eq!(
            search.locate_with(Path::new("/"), "f", env),
            Ok(explicit.path().join("f"))
        );
    }

    #[test]
    fn cargo_and_shell_style_names_are_read() {
        let runner = dir_with(&["my-fn"]);
        let path = runner.path().join("my-fn");
        let (empty_a, empty_b) = (dir_with(&[]), dir_with(&[]));
        let search = search(empty_a.path(), empty_b.path());
        for variable in ["NEXTEST_BIN_EXE_my_fn", "CARGO_BIN_EXE_my-fn"] {
            let env = |name: &str| (name == variable).then(|| path.clone().into());
            assert_eq!(
                search.locate_with(Path::new("/"), "my-fn", env),
                Ok(path.clone()),
                "{variable}"
            );
        }
    }

    #[test]
    fn a_missing_binary_lists_everything_searched() {
        let (explicit, build) = (dir_with(&[]), dir_with(&[]));
        let search = search(explicit.path(), build.path());
        let env = |name: &str| (name == "NEXTEST_BIN_EXE_f").then(|| "/gone/f".into());
        let searched = search.locate_with(Path::new("/"), "f", env).unwrap_err();
        assert_eq!(
            searched,
            vec![
                explicit.path().to_owned(),
                PathBuf::from("/gone/f"),
                build.path().to_owned()
            ]
        );
    }
}

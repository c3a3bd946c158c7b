//! A suite split across CI machines, as nextest does it: `cargo nextest archive` in one
//! checkout, then `cargo nextest run --archive-file --workspace-remap --partition` in another
//! directory, where neither the checkout the tests were built in nor its target directory
//! exists. Every lambda test must run once in total, pass against the local Lambda with the
//! committed snapshots, and leave no process behind.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The workspace files a copy of the checkout needs to build `greeter`'s tests.
const CHECKOUT: &[&str] = &[
    ".cargo",
    "Cargo.toml",
    "Cargo.lock",
    "lambda-test",
    "lambda-test-macros",
    "examples",
    "tests",
];

const PARTITIONS: u32 = 2;

#[test]
#[ignore = "builds greeter's tests in a target directory of its own, then archives and runs \
            them with cargo-nextest: minutes on a cold build (run by hand: README, \"CI\")"]
fn an_archived_run_works_remapped_and_partitioned() {
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("archived-run");
    let (built, moved) = (work.join("built"), work.join("moved"));
    let (target, parked) = (work.join("target"), work.join("target-parked"));
    // A run that failed half way left them moved: move them back, the build is reused.
    drop(MoveBack(vec![
        (moved.clone(), built.clone()),
        (parked.clone(), target.clone()),
    ]));
    copy_checkout(&built);
    let archive = work.join("greeter.tar.zst");
    let built_archive = nextest(&built)
        .args(["archive", "-p", "greeter", "--archive-file"])
        .arg(&archive)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert_success("cargo nextest archive", &built_archive);

    // Another machine: the checkout elsewhere, no target directory where the build had it.
    std::fs::rename(&built, &moved).unwrap();
    std::fs::rename(&target, &parked).unwrap();
    let moved_back = MoveBack(vec![(moved.clone(), built.clone()), (parked, target)]);
    let all = listed_tests(&archive, &moved);
    assert!(all.len() >= 2, "greeter's lambda tests: {all:?}");

    let mut ran = Vec::new();
    for partition in 1..=PARTITIONS {
        let extracted = work.join(format!("extracted-{partition}"));
        let shared = work.join(format!("shared-{partition}"));
        for dir in [&extracted, &shared] {
            let _ = std::fs::remove_dir_all(dir);
            std::fs::create_dir_all(dir).unwrap();
        }
        let output = remapped_run(&archive, &moved)
            .arg("--partition")
            .arg(format!("count:{partition}/{PARTITIONS}"))
            .arg("--extract-to")
            .arg(&extracted)
            .env("LAMBDA_TEST_SHARED_DIR", &shared)
            .output()
            .unwrap();
        assert_success(&format!("partition {partition}"), &output);
        let passed = passed_tests(&output);
        assert!(!passed.is_empty(), "partition {partition} ran no test");
        // Each partition is its own nextest run: one shared local Lambda of its own.
        let servers: Vec<_> = std::fs::read_dir(&shared).unwrap().collect();
        assert_eq!(servers.len(), 1, "partition {partition}: {servers:?}");
        assert_no_process_under(&[&extracted, &moved]);
        eprintln!("partition {partition}/{PARTITIONS} passed {passed:?}");
        ran.extend(passed);
    }

    let unique: BTreeSet<String> = ran.iter().cloned().collect();
    assert_eq!(unique.len(), ran.len(), "a test ran twice: {ran:?}");
    assert_eq!(unique, all, "every test runs in one partition");
    let new_snapshots = find_files(&moved, ".snap.new");
    assert!(new_snapshots.is_empty(), "{new_snapshots:?}");
    drop(moved_back);
}

/// Moves the checkout and its target directory back where they were built when dropped, so
/// the next run's build is incremental, whether this one passed or not.
struct MoveBack(Vec<(PathBuf, PathBuf)>);

impl Drop for MoveBack {
    fn drop(&mut self) {
        for (from, to) in &self.0 {
            if from.exists() && !to.exists() {
                let _ = std::fs::rename(from, to);
            }
        }
    }
}

/// This workspace's sources, copied over `to` with their modification times, so that an
/// unchanged file does not rebuild.
fn copy_checkout(to: &Path) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::create_dir_all(to).unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .args(CHECKOUT.iter().map(|entry| workspace.join(entry)))
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success(), "copying the checkout to {}", to.display());
}

/// `cargo nextest` in `dir`, with none of this test's own cargo or lambda-test settings.
fn nextest(dir: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.arg("nextest").current_dir(dir);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let ours = [
            "CARGO_",
            "NEXTEST",
            "LAMBDA_TEST_",
            "AWS_",
            "INSTA_",
            "RUST_TEST",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix));
        if ours {
            command.env_remove(&*name);
        }
    }
    command
}

/// `cargo nextest run` of the archive in the moved checkout, as a CI machine runs it: `CI=true`
/// (insta then fails on a snapshot it would write), the snapshots' root named, no AWS.
fn remapped_run(archive: &Path, checkout: &Path) -> Command {
    let mut command = nextest(checkout);
    command
        .args([
            "run",
            "--color",
            "never",
            "--no-fail-fast",
            "--archive-file",
        ])
        .arg(archive)
        .arg("--workspace-remap")
        .arg(checkout)
        .env("CI", "true")
        .env("INSTA_WORKSPACE_ROOT", checkout)
        // Real AWS would fail fast here; the local Lambda must answer.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    command
}

/// Every test of the archive, as `<binary id> <test name>`.
fn listed_tests(archive: &Path, checkout: &Path) -> BTreeSet<String> {
    let output = nextest(checkout)
        .args(["list", "--message-format", "oneline", "--archive-file"])
        .arg(archive)
        .arg("--workspace-remap")
        .arg(checkout)
        .output()
        .unwrap();
    assert_success("cargo nextest list", &output);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

/// The tests nextest reports as passed.
fn passed_tests(output: &std::process::Output) -> Vec<String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .filter(|line| line.trim_start().starts_with("PASS ["))
        .filter_map(|line| line.split_once("] ").map(|(_, test)| test.trim()))
        // nextest counts the tests of a partition: `PASS [ 0.1s] (1/2) <binary id> <test>`.
        .map(|test| match test.split_once(") ") {
            Some((counter, rest)) if counter.starts_with('(') => rest.to_owned(),
            _ => test.to_owned(),
        })
        .collect()
}

fn assert_success(what: &str, output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Waits (a shared server stops once idle) until no process runs an executable under `dirs`.
fn assert_no_process_under(dirs: &[&Path]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = processes_under(dirs);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn processes_under(dirs: &[&Path]) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let zombie = std::fs::read_to_string(entry.path().join("stat")).is_ok_and(|stat| {
            stat.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        });
        if let Ok(exe) = std::fs::read_link(entry.path().join("exe"))
            && !zombie
            && dirs.iter().any(|dir| exe.starts_with(dir))
        {
            found.push((pid, exe));
        }
    }
    found
}

fn find_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found
}

//! One local Lambda shared by test processes (what `cargo nextest run` gets): this test
//! executable runs its own `#[lambda_test]`s again as separate processes with
//! `LAMBDA_TEST_SHARED=1`, the way nextest runs every test, and checks what they share.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use lambda_test::{Harness, Outcome, lambda_test};

/// Prints what the instance that answered has served, for the process-level tests below.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "count"}"#,
    snapshot = false
)]
async fn counts(outcome: Outcome) {
    let payload = outcome.payload_json().expect("json payload");
    println!(
        "served={} pid={} shared={}",
        payload["served"],
        payload["pid"],
        local().await.is_shared()
    );
}

/// An `Event`, then the queue, as a test reaches it in process or shared.
#[lambda_test(
    function = "probe",
    invocation_type = "Event",
    payload = r#"{"action": "respond_bytes", "bytes": 1}"#,
    snapshot = false
)]
async fn queues_an_event(outcome: Outcome) {
    assert_eq!(outcome.status_code, 202);
    let local = local().await;
    local.events_drained().await.unwrap();
    assert!(local.dead_letters().await.unwrap().is_empty());
    let stats = local.event_stats().await.unwrap();
    assert!(stats.succeeded >= 1, "{stats:?}");
    println!("events={} shared={}", stats.succeeded, local.is_shared());
}

/// An `Event` that fails on every attempt: its own result says so, dead-lettered.
#[lambda_test(
    function = "probe",
    invocation_type = "Event",
    payload = r#"{"action": "error"}"#,
    snapshot = false
)]
#[ignore = "run by the `event_results_*` tests, beside `event_that_succeeds`"]
async fn event_that_fails(outcome: Outcome) {
    let result = outcome.event_result().await.unwrap();
    assert!(result.dead_lettered && !result.succeeded(), "{result:?}");
    assert_eq!(result.attempts, 3, "{result:?}");
    assert_eq!(result.payload["errorType"], "ProbeError", "{result:?}");
    println!(
        "failed_attempts={} shared={}",
        result.attempts,
        local().await.is_shared()
    );
}

/// An `Event` that succeeds while another test's fails: its result is its own. It runs
/// long enough for the other's dead letter to land first, which the queue-wide
/// `dead_letters()` then shows.
#[lambda_test(
    function = "probe",
    invocation_type = "Event",
    payload = r#"{"action": "sleep", "ms": 500}"#,
    snapshot = false
)]
#[ignore = "run by the `event_results_*` tests, beside `event_that_fails`"]
async fn event_that_succeeds(outcome: Outcome) {
    let result = outcome.event_result().await.unwrap();
    assert!(result.succeeded() && !result.dead_lettered, "{result:?}");
    assert_eq!(result.attempts, 1, "{result:?}");
    assert_eq!(result.request_id, outcome.request_id.unwrap());
    let local = local().await;
    println!(
        "succeeded_attempts={} dead_letters_of_others={} shared={}",
        result.attempts,
        local.dead_letters().await.unwrap().len(),
        local.is_shared()
    );
}

/// A caller that gives up: the server must not count its request as in flight forever.
#[lambda_test(
    function = "probe",
    payload = r#"{"action": "sleep", "ms": 1500}"#,
    read_timeout_ms = 200,
    snapshot = false
)]
#[should_panic(expected = "failed to invoke `probe`")]
async fn gives_up() {}

async fn local() -> std::sync::Arc<lambda_test::Local> {
    Harness::global()
        .local(env!("CARGO_MANIFEST_DIR").as_ref())
        .await
        .unwrap()
}

/// Runs one test of this executable as its own process, sharing the local Lambda of `run`.
fn run_test(run: &Run, test: &str) -> String {
    run_tests(run, &[test, "--exact"], "1")
}

/// Runs the tests of this executable that `filter` selects (ignored ones included) in one
/// process, with `LAMBDA_TEST_SHARED=shared` and `run`'s state directory.
fn run_tests(run: &Run, filter: &[&str], shared: &str) -> String {
    let output: Output = Command::new(std::env::current_exe().unwrap())
        .args(filter)
        .args(["--include-ignored", "--nocapture", "--test-threads", "4"])
        .env("LAMBDA_TEST_SHARED", shared)
        .env("LAMBDA_TEST_SHARED_DIR", &run.dir)
        .env("NEXTEST_RUN_ID", &run.id)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{filter:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The value of `key=` in a test's output.
fn field(stdout: &str, key: &str) -> String {
    let start = stdout
        .find(&format!("{key}="))
        .unwrap_or_else(|| panic!("no {key}= in:\n{stdout}"))
        + key.len()
        + 1;
    stdout[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A run of its own: a fresh state directory and run id, so no other test's server is found.
struct Run {
    dir: PathBuf,
    id: String,
}

impl Run {
    fn new(name: &str) -> Run {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("shared-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Run {
            dir,
            id: format!("{name}-{}", std::process::id()),
        }
    }

    /// The one server's state directory.
    fn state(&self) -> PathBuf {
        let dirs: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(dirs.len(), 1, "one server per package and run: {dirs:?}");
        dirs.into_iter().next().unwrap()
    }

    /// The server's process id, from its state directory.
    fn server_pid(&self) -> String {
        std::fs::read_to_string(self.state().join("pid")).unwrap()
    }

    /// Waits for the running server to stop by itself once nobody uses it.
    fn wait_until_idle_stop(&self) {
        self.wait_until_stopped(&self.state(), &self.server_pid());
    }

    /// Waits for the server to stop by itself once nobody uses it.
    fn wait_until_stopped(&self, state: &Path, pid: &str) {
        wait_for_exit(pid, "the server, once idle");
        assert!(!state.join("endpoint").exists(), "it removes its endpoint");
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // Kept when the test failed: the state directory holds the server's log.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn wait_for_exit(pid: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid) {
        assert!(Instant::now() < deadline, "{what} ({pid}) is still running");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_zombie(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// Processes in a row find the same server and the same warm instance; once they are gone the
/// server stops, with its function, and the next process starts a new one.
#[test]
fn test_processes_share_one_local_lambda() {
    let run = Run::new("share");
    let first = run_test(&run, "counts");
    assert_eq!(field(&first, "shared"), "true", "{first}");
    assert_eq!(field(&first, "served"), "1", "a cold start: {first}");
    let server_pid = run.server_pid();

    let second = run_test(&run, "counts");
    assert_eq!(field(&second, "served"), "2", "the warm instance: {second}");
    assert_eq!(field(&second, "pid"), field(&first, "pid"));
    let state = run.state();
    assert_eq!(run.server_pid(), server_pid);

    // Four at once: every one is answered, by one server.
    let parallel: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| run_test(&run, "counts")))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for out in &parallel {
        assert_eq!(field(out, "shared"), "true", "{out}");
    }
    assert_eq!(run.server_pid(), server_pid);

    run.wait_until_stopped(&state, &server_pid);
    wait_for_exit(&field(&first, "pid"), "the stopped server's function");

    let after = run_test(&run, "counts");
    assert_eq!(field(&after, "served"), "1", "a new server: {after}");
    assert_ne!(run.server_pid(), server_pid);
    run.wait_until_idle_stop();
}

/// The queue of the shared server is reachable from the test body: drained, dead letters and
/// counters over the control routes.
#[test]
fn a_shared_servers_event_queue_is_reachable() {
    let run = Run::new("events");
    let first = run_test(&run, "queues_an_event");
    assert_eq!(field(&first, "shared"), "true", "{first}");
    assert_eq!(field(&first, "events"), "1", "{first}");
    let second = run_test(&run, "queues_an_event");
    assert_eq!(field(&second, "events"), "2", "the same queue: {second}");
    run.wait_until_idle_stop();
}

/// Two tests in one process, one whose event fails: each waits for its own event's result,
/// and the failing one does not fail the other (on the local Lambda of the process).
#[test]
fn event_results_are_per_invocation_in_process() {
    let run = Run::new("results-local");
    let out = run_tests(&run, &["event_that_"], "0");
    assert_eq!(field(&out, "shared"), "false", "{out}");
    assert_eq!(field(&out, "failed_attempts"), "3", "{out}");
    assert_eq!(field(&out, "succeeded_attempts"), "1", "{out}");
    assert_eq!(field(&out, "dead_letters_of_others"), "1", "{out}");
    assert!(!run.dir.exists(), "no server was started");
}

/// The same on a shared server: the two tests in one process, then each in its own process
/// at once (as nextest runs them), all on one server whose queue they share.
#[test]
fn event_results_are_per_invocation_on_a_shared_server() {
    let run = Run::new("results-shared");
    let together = run_tests(&run, &["event_that_"], "1");
    assert_eq!(field(&together, "shared"), "true", "{together}");
    assert_eq!(field(&together, "failed_attempts"), "3", "{together}");
    assert_eq!(field(&together, "succeeded_attempts"), "1", "{together}");
    let server_pid = run.server_pid();
    let run = &run;
    let apart: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["event_that_fails", "event_that_succeeds"]
            .map(|test| scope.spawn(move || run_test(run, test)))
            .into_iter()
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(field(&apart[0], "failed_attempts"), "3", "{}", apart[0]);
    assert_eq!(field(&apart[1], "succeeded_attempts"), "1", "{}", apart[1]);
    assert_eq!(field(&apart[1], "shared"), "true", "{}", apart[1]);
    assert_eq!(run.server_pid(), server_pid, "one server for all");
    run.wait_until_idle_stop();
}

/// A server killed outright (SIGKILL) takes its functions with it, and the next process starts
/// a new one rather than trusting the endpoint it left behind.
#[test]
fn a_killed_server_is_replaced() {
    let run = Run::new("killed");
    let first = run_test(&run, "counts");
    let server_pid = run.server_pid();
    let status = Command::new("kill")
        .args(["-KILL", &server_pid])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for_exit(&server_pid, "the killed server");
    wait_for_exit(&field(&first, "pid"), "the killed server's function");

    let second = run_test(&run, "counts");
    assert_eq!(field(&second, "served"), "1", "a new server: {second}");
    assert_ne!(run.server_pid(), server_pid);
    run.wait_until_idle_stop();
}

/// The state directories of servers that stopped long ago are removed by the next server; a
/// recent one is kept.
#[test]
fn old_state_directories_are_removed() {
    let run = Run::new("stale");
    let (old, recent) = (run.dir.join("old-run"), run.dir.join("recent-run"));
    for dir in [&old, &recent] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("server.log"), "").unwrap();
    }
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::open(&old)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    run_test(&run, "counts");
    assert!(!old.exists(), "a directory two hours old is removed");
    assert!(recent.exists(), "a recent one is kept");
    std::fs::remove_dir_all(&recent).unwrap();
    run.wait_until_idle_stop();
}

/// A caller that went away does not keep the server up.
#[test]
fn a_server_whose_caller_gave_up_still_stops() {
    let run = Run::new("gave-up");
    run_test(&run, "gives_up");
    run.wait_until_idle_stop();
}

/// With `LAMBDA_TEST_SHARED=0`, every process has its own local Lambda, even under nextest.
#[test]
fn sharing_can_be_turned_off() {
    let run = Run::new("off");
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["counts", "--exact", "--nocapture"])
        .env("LAMBDA_TEST_SHARED", "0")
        .env("NEXTEST_EXECUTION_MODE", "process-per-test")
        .env("LAMBDA_TEST_SHARED_DIR", &run.dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert_eq!(field(&stdout, "shared"), "false", "{stdout}");
    assert!(!run.dir.exists(), "no server was started");
}

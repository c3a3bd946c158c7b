//! One local Lambda per target directory, shared by the test processes of a run.
//!
//! `cargo nextest run` gives every test its own process. Each would start its own local Lambda
//! and cold-start its functions, and a 500-test suite paid that 500 times (BENCHMARKS.md). So
//! under nextest (or with `LAMBDA_TEST_SHARED=1`) the first test process that needs a
//! package's local Lambda starts it as a server of its own, and every later process of the run
//! uses it, warm instances included.
//!
//! - **Which server**: a directory under the target directory, named by a key that hashes the
//!   lambda-test version, the package, its `lambda-test.toml`, the function binaries (path,
//!   size, modification time) and nextest's run id (outside nextest: the test executable's path
//!   and modification time). A new run, a rebuilt binary or an edited config gets a new server.
//! - **Who starts it**: the process takes `lock` (an exclusive file lock) and uses the server
//!   named in `endpoint` if one holds `alive` locked (as a server does all its life), else
//!   starts one. The server is the test executable itself, run again for the same test with
//!   [`SERVE_ENV`] set (see "Why a test becomes the server" below). It runs in its own process
//!   group with no inherited output, so nextest neither waits for it nor kills it with the
//!   test.
//! - **When it stops**: every process using it holds a shared lock on `users` until it exits.
//!   The server stops, removing `endpoint` first, once no process holds that lock, no request has
//!   been in flight for [`IDLE`], and no `Event` is queued. Its functions go with it; if it is
//!   killed, its watchdog stops them (`emulator::instance::reaper`). While it runs, `pid` holds its
//!   process id and `server.log` its output. A starting server removes the directories of
//!   servers that stopped over an hour ago.
//!
//! A process that calls [`Harness::local`](crate::Harness::local) outside a `#[lambda_test]`,
//! with no server running, starts its own local Lambda: only a test the attribute runs is known
//! to start with the harness, so only such a test is safe to run again as the server.
//!
//! # Why a test becomes the server
//!
//! An integration test executable has libtest's `main`, not ours: a test crate gets no custom
//! main without `harness = false`, which every user would have to write into their
//! `Cargo.toml`. The only code of ours that runs in it is a test, so the server is the
//! executable run again for one `#[lambda_test]` (`<name> --exact`, the name the attribute
//! passes: [`enter_test`]), and that test's first call ([`enter_test`], from
//! [`TestArgs::run`](crate::attr::TestArgs::run)) is the one place that decides the role: with
//! [`SERVE_ENV`] set to `<token> <state dir>` and the state directory's `serve-claim` holding
//! the same token, the process claims it (removes the file: one process wins), serves the
//! package the claim names until idle, and exits there, before libtest sees the test end.
//! The claim is what makes the role explicit: a process that merely inherits the variable (a
//! child of a test, a stale shell) finds no claim with its token and runs as a test.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::Error;
use crate::config::Config;

/// Set in the environment of a server process: `<token> <state dir>`; the state directory's
/// [`CLAIM`] file holds the same token and the package directory to serve.
pub const SERVE_ENV: &str = "LAMBDA_TEST_SERVE_SHARED";
/// The file of a state directory that names the process to become its server.
const CLAIM: &str = "serve-claim";
/// `1` shares one local Lambda between test processes, `0` gives each process its own.
/// Unset: shared under `cargo nextest run` (one process per test), not otherwise.
pub const MODE_ENV: &str = "LAMBDA_TEST_SHARED";
/// The directory that holds the servers' state directories (default:
/// `target/<profile>/lambda-test-shared`).
pub const DIR_ENV: &str = "LAMBDA_TEST_SHARED_DIR";
/// How long a server with no user and no request waits before it stops.
pub const IDLE: Duration = Duration::from_secs(2);
/// Bumped whenever the control route changes, so old and new servers never meet.
const PROTOCOL: u32 = 2;
/// How long a process waits for the server it started to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether this process shares local Lambdas with the other test processes of its run.
pub fn enabled() -> bool {
    match std::env::var(MODE_ENV).as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => std::env::var("NEXTEST_EXECUTION_MODE").as_deref() == Ok("process-per-test"),
    }
}

/// The test this process runs, when a `#[lambda_test]` runs it: its libtest name, so the test
/// can be run again as a server.
static ENTERED_TEST: OnceLock<Option<String>> = OnceLock::new();

/// The entry of every `#[lambda_test]`: when this process was started to be a shared server,
/// serves and exits here (module docs, "Why a test becomes the server"); otherwise notes the
/// test's libtest name (`module_path` is the expansion's `module_path!()`, whose first segment,
/// the crate, libtest leaves out), so that a shared server can be started from it.
pub fn enter_test(test: Option<(&str, &str)>) {
    if let Some((dir, package_dir)) = claimed_role() {
        let served = crate::Harness::global().block_on(serve_until_idle(dir, package_dir));
        exit(served);
    }
    ENTERED_TEST.get_or_init(|| {
        test.map(|(module_path, name)| match module_path.split_once("::") {
            Some((_crate, path)) => format!("{path}::{name}"),
            None => name.to_owned(),
        })
    });
}

/// The state directory and package this process serves, when [`SERVE_ENV`] names a state
/// directory whose claim holds its token; the claim is removed, so only one process serves.
fn claimed_role() -> Option<(PathBuf, PathBuf)> {
    let role = std::env::var(SERVE_ENV).ok()?;
    let (token, dir) = role.split_once(' ')?;
    let dir = PathBuf::from(dir);
    let claim = std::fs::read_to_string(dir.join(CLAIM)).ok()?;
    let (claimed_token, package_dir) = claim.split_once('\n')?;
    if claimed_token != token || std::fs::remove_file(dir.join(CLAIM)).is_err() {
        return None;
    }
    Some((dir, PathBuf::from(package_dir)))
}

/// A server shared by test processes: where it listens and where its state lives.
#[derive(Debug, Clone)]
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    dir: PathBuf,
}

/// The `users` lock files this process holds, one per server it uses: kept open (so locked)
/// until the process exits.
static USING: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// The state directory of a package's shared server for this run.
pub fn state_dir(package_dir: &Path, config: &Config, binaries: &[PathBuf]) -> PathBuf {
    let mut hasher = std::hash::DefaultHasher::new();
    (env!("CARGO_PKG_VERSION"), PROTOCOL, package_dir).hash(&mut hasher);
    std::fs::read(&config.path).ok().hash(&mut hasher);
    // cargo-lambda's metadata is a source too: a changed Cargo.toml is another config.
    std::fs::read(package_dir.join("Cargo.toml"))
        .ok()
        .hash(&mut hasher);
    match std::env::var("NEXTEST_RUN_ID") {
        // Every process of a nextest run, whichever test executable it is, shares the server.
        Ok(run) => run.hash(&mut hasher),
        // Elsewhere a rebuilt test executable (a changed lambda-test, say) gets a new one.
        Err(_) => {
            let exe = std::env::current_exe().ok();
            let modified = exe
                .as_ref()
                .and_then(|e| std::fs::metadata(e).ok()?.modified().ok());
            (exe, modified).hash(&mut hasher);
        }
    }
    for bin in binaries {
        let meta = std::fs::metadata(bin).ok();
        (bin, meta.as_ref().map(|m| (m.len(), m.modified().ok()))).hash(&mut hasher);
    }
    let root = std::env::var_os(DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| profile_dir().join("lambda-test-shared"));
    root.join(format!("{:016x}", hasher.finish()))
}

/// `target/<profile>`: the test executable's directory, above `deps`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().unwrap_or(Path::new(".")).to_owned();
    match dir.parent() {
        Some(parent) if dir.ends_with("deps") => parent.to_owned(),
        _ => dir,
    }
}

impl Server {
    /// The running server for `dir`, started if there is none and this process may start
    /// one. `Ok(None)`: there is none and this process may not (see the module docs) or could
    /// not start one.
    /// Blocking: file locks and a child process.
    pub fn connect_or_start(dir: &Path, package_dir: &Path) -> Result<Option<Server>, Error> {
        let fail = |what: &str, source: std::io::Error| Error::SharedState {
            dir: dir.to_owned(),
            what: what.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail("create the directory", e))?;
        let users = lock_file(dir, "users").map_err(|e| fail("open `users`", e))?;
        users.lock_shared().map_err(|e| fail("lock `users`", e))?;
        USING.lock().expect("poisoned").push(users);

        let lock = File::create(dir.join("lock")).map_err(|e| fail("open `lock`", e))?;
        lock.lock().map_err(|e| fail("lock `lock`", e))?;
        if let Some(endpoint) = read_endpoint(dir)
            && is_alive(dir).map_err(|e| fail("check `alive`", e))?
        {
            return Ok(Some(Server {
                endpoint,
                dir: dir.to_owned(),
            }));
        }
        let Some(Some(test)) = ENTERED_TEST.get() else {
            return Ok(None);
        };
        let _ = std::fs::remove_file(dir.join("endpoint"));
        match start(dir, test, package_dir) {
            Ok(endpoint) => Ok(Some(Server {
                endpoint,
                dir: dir.to_owned(),
            })),
            // A test that cannot be run again as a server (a custom test harness, say) still
            // runs, on a local Lambda of its own.
            Err(e) => {
                eprintln!(
                    "lambda-test: no shared local Lambda ({}: {e}); this process starts its own",
                    dir.display()
                );
                Ok(None)
            }
        }
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Whether the server of `dir` runs: it holds `alive` locked for as long as it lives (the
/// kernel drops the lock with the process, however it ends), which costs no request to a
/// server that is a debug build.
fn is_alive(dir: &Path) -> std::io::Result<bool> {
    let alive = lock_file(dir, "alive")?;
    match alive.try_lock_shared() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// How old the state directory of a stopped server must be before a new server removes it.
const STALE: Duration = Duration::from_secs(3600);

/// Removes the state directories of servers that stopped long ago (every nextest run leaves
/// one), so they do not pile up in the target directory.
fn remove_stale_siblings(dir: &Path) {
    let Some(Ok(entries)) = dir.parent().map(std::fs::read_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE));
        if path != dir && old && matches!(is_alive(&path), Ok(false)) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Opens (creating it if needed) a file that is only ever locked, never written.
fn lock_file(dir: &Path, name: &str) -> std::io::Result<File> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(name))
}

fn read_endpoint(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join("endpoint"))
        .ok()
        .filter(|e| e.starts_with("http://"))
}

/// Runs this test executable again as the server of `package_dir` and waits until it listens.
fn start(dir: &Path, test: &str, package_dir: &Path) -> std::io::Result<String> {
    use std::os::unix::process::CommandExt as _;
    let log = File::create(dir.join("server.log"))?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let package = package_dir
        .to_str()
        .ok_or_else(|| std::io::Error::other("the package directory is not UTF-8"))?;
    let dir_text = dir
        .to_str()
        .ok_or_else(|| std::io::Error::other("the state directory is not UTF-8"))?;
    std::fs::write(dir.join(CLAIM), format!("{token}\n{package}"))?;
    let mut child = Command::new(std::env::current_exe()?)
        .args([test, "--exact", "--include-ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(SERVE_ENV, format!("{token} {dir_text}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own group: nextest stops a test's process group when the test ends badly.
        .process_group(0)
        .spawn()?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(endpoint) = read_endpoint(dir) {
            // Reaped by nobody: it outlives this process, and init adopts it.
            return Ok(endpoint);
        }
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            return Err(std::io::Error::other(format!(
                "it exited ({status}) before listening; its output:\n{log}"
            )));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(std::io::Error::other(format!(
                "it did not listen within {START_TIMEOUT:?}"
            )));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Ends the server process when [`serve_until_idle`] returns.
fn exit(served: Result<(), Error>) -> ! {
    let code = match served {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lambda-test: shared local Lambda: {e}");
            1
        }
    };
    std::process::exit(code)
}

/// Serves the local Lambda of `package_dir` as the shared server of `dir` until nobody uses it.
async fn serve_until_idle(dir: PathBuf, package_dir: PathBuf) -> Result<(), Error> {
    let dir = dir.as_path();
    let config = Config::load(&package_dir.join(crate::CONFIG_FILE_NAME))?;
    let options = crate::emulator::Options {
        control: true,
        ..Default::default()
    };
    let emulator =
        crate::emulator::Emulator::start_with(config, ([127, 0, 0, 1], 0).into(), options).await?;
    let io = |source: std::io::Error| Error::SharedState {
        dir: dir.to_owned(),
        what: "serve".to_owned(),
        source,
    };
    let alive = lock_file(dir, "alive").map_err(io)?;
    alive.lock().map_err(io)?;
    remove_stale_siblings(dir);
    std::fs::write(dir.join("pid"), std::process::id().to_string()).map_err(io)?;
    // Written whole, then renamed: a reader never sees half an address.
    let partial = dir.join("endpoint.partial");
    std::fs::write(&partial, emulator.endpoint()).map_err(io)?;
    std::fs::rename(&partial, dir.join("endpoint")).map_err(io)?;
    let users = lock_file(dir, "users").map_err(io)?;
    loop {
        tokio::time::sleep(IDLE / 4).await;
        if emulator.idle_for() < IDLE || emulator.pending_events() > 0 {
            continue;
        }
        // Held until the process exits: a process that comes now waits on its shared lock,
        // then finds no endpoint and starts a new server.
        if users.try_lock().is_ok() {
            let _ = std::fs::remove_file(dir.join("endpoint"));
            let _ = std::fs::remove_file(dir.join("pid"));
            emulator.shutdown().await;
            return Ok(());
        }
    }
}

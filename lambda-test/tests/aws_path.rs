//! The real-AWS path of the harness (`LAMBDA_TEST_TARGET=aws`, issue #14), exercised without an
//! AWS account by real parts no one here wrote: `aws-config`'s default chain reads a temporary
//! shared config and credentials file; the per-service endpoint setting sends Lambda's requests
//! to `lambda-test serve`, which verifies each SigV4 signature against its principals and logs
//! who invoked; moto's server (PyPI `moto[server]`, in `.venv`) answers STS's `AssumeRole`.
//!
//! Each case runs [`invoke_as_configured`] again as its own process, with only the environment
//! and files of that case, as a CI job would have them.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lambda_test::{ClientOptions, Harness, Invocation, Target};

/// The invocation a case makes, at the target and with the options its environment gives:
/// `CASE_PROFILE`, `CASE_ROLE_ARN`, `CASE_REGION`, `CASE_READ_TIMEOUT_MS`,
/// `CASE_CONNECT_TIMEOUT_MS`, `CASE_RETRIES`, `CASE_PAYLOAD`, `CASE_CA_BUNDLE`,
/// `CASE_NO_SIGN_REQUEST`. Prints the outcome or the
/// failure between markers.
#[test]
#[ignore = "run by the tests below, each in a process with the environment of one case"]
fn invoke_as_configured() {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let ms = |name: &str| var(name).map(|v| Duration::from_millis(v.parse().unwrap()));
    let mut options = ClientOptions::default();
    options.profile = var("CASE_PROFILE");
    options.role_arn = var("CASE_ROLE_ARN");
    options.region = var("CASE_REGION");
    options.read_timeout = ms("CASE_READ_TIMEOUT_MS");
    options.connect_timeout = ms("CASE_CONNECT_TIMEOUT_MS");
    options.ca_bundle = var("CASE_CA_BUNDLE").map(PathBuf::from);
    options.no_sign_request = var("CASE_NO_SIGN_REQUEST").is_some();
    let retries = var("CASE_RETRIES").map_or(0, |v| v.parse().unwrap());
    let payload = var("CASE_PAYLOAD").unwrap_or_else(|| "{}".to_owned());
    // A package without lambda-test.toml: only LAMBDA_TEST_TARGET=aws may send it to AWS.
    let package = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("aws-path-no-config");
    std::fs::create_dir_all(&package).unwrap();
    let harness = Harness::global();
    let result = harness.block_on(async {
        let target = Target::resolve(&package, None)?;
        assert_eq!(target, Target::Aws);
        let client = harness.client_with(&target, &options).await?;
        Invocation::new("probe")
            .payload(payload)
            .retries(retries)
            .send(&client)
            .await
    });
    match result {
        Ok(outcome) => println!(
            "OUTCOME<<{} {}>>",
            outcome.status_code,
            outcome.payload_text()
        ),
        Err(e) => println!("FAILURE<<{e}>>"),
    }
}

/// What one case's process printed.
#[derive(Debug)]
enum Printed {
    Outcome(String),
    Failure(String),
}

impl Printed {
    #[track_caller]
    fn outcome(self) -> String {
        match self {
            Printed::Outcome(o) => o,
            Printed::Failure(f) => panic!("the invocation failed: {f}"),
        }
    }

    #[track_caller]
    fn failure(self) -> String {
        match self {
            Printed::Failure(f) => f,
            Printed::Outcome(o) => panic!("the invocation succeeded: {o}"),
        }
    }
}

/// A case's home: `config` and `credentials` files (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`), and the environment beyond them.
struct Case<'a> {
    name: &'a str,
    config: &'a str,
    credentials: &'a str,
    env: Vec<(&'a str, String)>,
}

impl Case<'_> {
    fn run(&self) -> Printed {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "aws-path-{}-{}",
            self.name,
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config"), self.config).unwrap();
        std::fs::write(dir.join("credentials"), self.credentials).unwrap();
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args([
            "invoke_as_configured",
            "--exact",
            "--include-ignored",
            "--nocapture",
        ]);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("AWS_") || name.starts_with("LAMBDA_TEST_") {
                command.env_remove(&*name);
            }
        }
        let output = command
            .env("HOME", &dir)
            .env("LAMBDA_TEST_TARGET", "aws")
            .env("AWS_CONFIG_FILE", dir.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let between = |start: &str| {
            let from = stdout.find(start)? + start.len();
            let to = stdout[from..].find(">>")?;
            Some(stdout[from..from + to].to_owned())
        };
        if let Some(outcome) = between("OUTCOME<<") {
            Printed::Outcome(outcome)
        } else if let Some(failure) = between("FAILURE<<") {
            Printed::Failure(failure)
        } else {
            panic!(
                "case {} printed neither:\n{stdout}\n{}",
                self.name,
                String::from_utf8_lossy(&output.stderr)
            )
        }
    }
}

/// The principals of the served lambda-test.toml, as the shared credentials file names them.
const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\
     [ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = ci-secret\n\
     [deployer]\naws_access_key_id = AKIDDEPLOYER\naws_secret_access_key = deployer-secret\n";

const PRINCIPALS: &str = "[emulator.principals.laptop]\naccess_key_id = \"AKIDDEFAULT\"\nsecret_access_key = \"default-secret\"\n\
     [emulator.principals.ci]\naccess_key_id = \"AKIDCI\"\nsecret_access_key = \"ci-secret\"\n\
     [emulator.principals.deployer]\naccess_key_id = \"AKIDDEPLOYER\"\nsecret_access_key = \"deployer-secret\"\n";

const FUNCTIONS: &str = "[functions.probe]\nbin = \"probe\"\ntimeout = 5\nallow = [\"*\"]\n";

/// `lambda-test serve` on a free port, its invocation log collected as it runs.
struct Serve {
    child: Child,
    endpoint: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    fn start(name: &str, toml: &str) -> Serve {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("aws-path-serve-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let examples = Path::new(env!("CARGO_BIN_EXE_lambda-test"))
            .parent()
            .unwrap()
            .join("examples");
        let text = format!(
            "[emulator]\nbin_dir = {:?}\n{toml}",
            examples.display().to_string()
        );
        std::fs::write(dir.join("lambda-test.toml"), text).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_lambda-test"))
            .args(["serve", "--port", "0", "--config"])
            .arg(dir.join("lambda-test.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let banner = stdout
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains(" at http://"))
            .expect("lambda-test serve prints where it serves");
        let endpoint = banner.rsplit(" at ").next().unwrap().to_owned();
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = Arc::clone(&log);
        let stderr = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Serve {
            child,
            endpoint,
            log,
        }
    }

    /// The invocation lines logged so far (`... ms[ by <caller>]`).
    fn invocations(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(" ms"))
            .cloned()
            .collect()
    }

    /// The last invocation's log line once there are more than `before`: serve writes its
    /// log in batches, a moment after the answers.
    fn last_invocation(&self, before: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut lines = self.invocations();
            if lines.len() > before {
                return lines.pop().unwrap();
            }
            assert!(Instant::now() < deadline, "no invocation logged");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Who made the last invocation, waiting a moment for its log line.
    fn last_caller(&self, before: usize) -> String {
        let line = self.last_invocation(before);
        line.split_once(" ms by ")
            .map(|(_, by)| by.to_owned())
            .unwrap_or_else(|| panic!("an unsigned invocation: {line}"))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every way aws-config picks a profile and an endpoint reaches `lambda-test serve`, which
/// names the principal whose signature it verified.
#[test]
fn profiles_and_endpoint_settings_choose_who_signs() {
    let serve = Serve::start("profiles", &format!("{PRINCIPALS}{FUNCTIONS}"));
    let endpoint = serve.endpoint.clone();
    let region = "[default]\nregion = us-east-1\n[profile ci]\nregion = us-east-1\n";
    let with_endpoint_env = |name, config: &'static str, env: Vec<(&'static str, String)>| Case {
        name,
        config,
        credentials: CREDENTIALS,
        env: [vec![("AWS_ENDPOINT_URL_LAMBDA", endpoint.clone())], env].concat(),
    };
    let in_profile = format!(
        "[default]\nregion = us-east-1\n[profile deployer]\nregion = us-east-1\nendpoint_url = {endpoint}\n"
    );
    let in_services = format!(
        "[default]\nregion = us-east-1\n[profile ci]\nregion = us-east-1\nservices = local\n\
         [services local]\nlambda =\n  endpoint_url = {endpoint}\n"
    );
    let cases = [
        (
            with_endpoint_env("default", region, vec![]),
            "principal laptop",
        ),
        (
            with_endpoint_env("profile-key", region, vec![("CASE_PROFILE", "ci".into())]),
            "principal ci",
        ),
        (
            with_endpoint_env("aws-profile", region, vec![("AWS_PROFILE", "ci".into())]),
            "principal ci",
        ),
        (
            Case {
                name: "endpoint-in-profile",
                config: &in_profile,
                credentials: CREDENTIALS,
                env: vec![("AWS_PROFILE", "deployer".into())],
            },
            "principal deployer",
        ),
        (
            Case {
                name: "endpoint-in-services",
                config: &in_services,
                credentials: CREDENTIALS,
                env: vec![("CASE_PROFILE", "ci".into())],
            },
            "principal ci",
        ),
    ];
    for (case, principal) in cases {
        let before = serve.invocations().len();
        let outcome = case.run().outcome();
        assert!(outcome.starts_with("200 "), "{}: {outcome}", case.name);
        assert_eq!(serve.last_caller(before), principal, "case {}", case.name);
    }
}

/// `region` signs for that region; the local Lambda serves one, and refuses a signature
/// scoped to another with AWS's message.
#[test]
fn the_region_setting_scopes_the_signature() {
    let serve = Serve::start("region", &format!("{PRINCIPALS}{FUNCTIONS}"));
    let case = |name, region: &str| Case {
        name,
        config: "[default]\nregion = us-east-1\n",
        credentials: CREDENTIALS,
        env: vec![
            ("AWS_ENDPOINT_URL_LAMBDA", serve.endpoint.clone()),
            ("CASE_REGION", region.to_owned()),
        ],
    };
    assert!(
        case("same-region", "us-east-1")
            .run()
            .outcome()
            .starts_with("200 ")
    );
    let refused = case("other-region", "eu-west-1").run().failure();
    assert!(
        refused.contains("InvalidSignatureException") || refused.contains("eu-west-1"),
        "{refused}"
    );
}

/// moto's STS server on a free port, from `.venv`.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start(env: &[(&str, &str)]) -> Moto {
        let server = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .join(".venv/bin/moto_server");
        assert!(
            server.is_file(),
            "{} is missing: run ./scripts/test-all, which installs moto[server] \
             (tests/python-requirements.txt) into .venv",
            server.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, endpoint }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A role assumed through a real STS `AssumeRole` (moto), by `role_arn` and by a profile's
/// `role_arn` + `source_profile`: the invoke is signed with the session's credentials (an
/// `ASIA` key and a token), not the source profile's.
#[test]
fn a_role_is_assumed_through_sts_and_its_session_invokes() {
    let moto = Moto::start(&[]);
    // No principals: the local Lambda verifies nothing and logs the key each request used.
    let serve = Serve::start("assume-role", FUNCTIONS);
    let endpoints = vec![
        ("AWS_ENDPOINT_URL_LAMBDA", serve.endpoint.clone()),
        ("AWS_ENDPOINT_URL_STS", moto.endpoint.clone()),
    ];
    let role = "arn:aws:iam::123456789012:role/deploy";
    let role_config = format!(
        "[default]\nregion = us-east-1\n[profile deploy]\nregion = us-east-1\n\
         role_arn = {role}\nsource_profile = ci\n"
    );
    let cases = [
        Case {
            name: "role-key",
            config: "[default]\nregion = us-east-1\n",
            credentials: CREDENTIALS,
            env: [endpoints.clone(), vec![("CASE_ROLE_ARN", role.to_owned())]].concat(),
        },
        Case {
            name: "role-profile",
            config: &role_config,
            credentials: CREDENTIALS,
            env: [
                endpoints.clone(),
                vec![("AWS_PROFILE", "deploy".to_owned())],
            ]
            .concat(),
        },
    ];
    for case in cases {
        let before = serve.invocations().len();
        let outcome = case.run().outcome();
        assert!(outcome.starts_with("200 "), "{}: {outcome}", case.name);
        let caller = serve.last_caller(before);
        assert!(
            caller.starts_with("key ASIA") && caller.ends_with(" (session)"),
            "case {}: signed by {caller}",
            case.name
        );
    }
}

/// STS refusing the role is one readable failure that names STS and the fix.
#[test]
fn a_refused_role_is_one_clear_failure() {
    // With authentication on, moto refuses credentials it never issued.
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let serve = Serve::start("refused-role", FUNCTIONS);
    let failure = Case {
        name: "refused-role",
        config: "[default]\nregion = us-east-1\n",
        credentials: CREDENTIALS,
        env: vec![
            ("AWS_ENDPOINT_URL_LAMBDA", serve.endpoint.clone()),
            ("AWS_ENDPOINT_URL_STS", moto.endpoint.clone()),
            (
                "CASE_ROLE_ARN",
                "arn:aws:iam::123456789012:role/deploy".to_owned(),
            ),
        ],
    }
    .run()
    .failure();
    assert!(!failure.contains('\n'), "one line: {failure}");
    assert!(
        failure.starts_with("failed to invoke `probe`: "),
        "{failure}"
    );
    // moto words its refusal unlike STS (an extra `<Errors>` level), so no SDK reads its
    // code: the status is what is left to name.
    assert!(
        failure.contains("STS refused to assume the role: HTTP 403; check `role_arn`"),
        "{failure}"
    );
    assert!(serve.invocations().is_empty(), "nothing reached Lambda");
}

/// `read_timeout_ms` against a function slower than it, and `retries` resending: the local
/// Lambda logs every attempt. A refused connection is retried as often, then named.
#[test]
fn timeouts_and_retries_against_slow_and_refusing_endpoints() {
    let serve = Serve::start("timeouts", FUNCTIONS);
    let case = |name, endpoint: String, env: Vec<(&'static str, String)>| Case {
        name,
        config: "[default]\nregion = us-east-1\n",
        credentials: CREDENTIALS,
        env: [vec![("AWS_ENDPOINT_URL_LAMBDA", endpoint)], env].concat(),
    };
    let slow = r#"{"action": "sleep", "ms": 1500}"#.to_owned();
    let failure = case(
        "read-timeout",
        serve.endpoint.clone(),
        vec![
            ("CASE_PAYLOAD", slow.clone()),
            ("CASE_READ_TIMEOUT_MS", "300".into()),
            ("CASE_RETRIES", "1".into()),
        ],
    )
    .run()
    .failure();
    assert!(
        failure.contains("timed out") || failure.contains("timeout"),
        "{failure}"
    );
    assert!(failure.ends_with("(after 2 attempts)"), "{failure}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while serve.invocations().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(serve.invocations().len(), 2, "each attempt reached Lambda");

    let patient = case(
        "read-timeout-enough",
        serve.endpoint.clone(),
        vec![
            ("CASE_PAYLOAD", slow),
            ("CASE_READ_TIMEOUT_MS", "4000".into()),
        ],
    )
    .run()
    .outcome();
    assert!(patient.starts_with("200 "), "{patient}");

    // A port nobody listens on: connections are refused at once.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = case(
        "refused",
        format!("http://127.0.0.1:{closed}"),
        vec![
            ("CASE_CONNECT_TIMEOUT_MS", "500".into()),
            ("CASE_RETRIES", "2".into()),
        ],
    )
    .run()
    .failure();
    assert!(refused.contains("refused"), "{refused}");
    assert!(refused.ends_with("(after 3 attempts)"), "{refused}");
}

/// A TLS terminator (Python's ssl, that is OpenSSL) in front of `upstream`, with a
/// certificate from a CA made for the run: `ca.pem` in its directory is the bundle to trust.
struct Terminator {
    child: Child,
    endpoint: String,
    bundle: PathBuf,
}

impl Terminator {
    fn start(name: &str, upstream: &str) -> Terminator {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let python = workspace.join(".venv/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run ./scripts/test-all, which makes .venv",
            python.display()
        );
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("aws-path-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new(python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/tls_terminator.py"))
            .arg(&dir)
            .arg(upstream.trim_start_matches("http://"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let port = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("listening ").map(str::to_owned))
            .expect("the terminator prints its port");
        Terminator {
            child,
            endpoint: format!("https://127.0.0.1:{port}"),
            bundle: dir.join("ca.pem"),
        }
    }
}

impl Drop for Terminator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `--ca-bundle`'s counterpart: `lambda-test serve` behind a TLS terminator whose certificate
/// no system trusts is reached once its CA is given, as `ca_bundle` or as `AWS_CA_BUNDLE`;
/// without it the failure says TLS and names the fix.
#[test]
fn a_ca_bundle_trusts_a_tls_terminating_proxy() {
    let serve = Serve::start("tls", &format!("{PRINCIPALS}{FUNCTIONS}"));
    let tls = Terminator::start("tls", &serve.endpoint);
    let case = |name, env: Vec<(&'static str, String)>| Case {
        name,
        config: "[default]\nregion = us-east-1\n",
        credentials: CREDENTIALS,
        env: [vec![("AWS_ENDPOINT_URL_LAMBDA", tls.endpoint.clone())], env].concat(),
    };
    let bundle = tls.bundle.display().to_string();

    let untrusted = case("tls-untrusted", vec![]).run().failure();
    assert!(untrusted.contains("TLS"), "{untrusted}");
    assert!(untrusted.contains("AWS_CA_BUNDLE"), "{untrusted}");

    for (name, env) in [
        ("tls-option", vec![("CASE_CA_BUNDLE", bundle.clone())]),
        ("tls-env", vec![("AWS_CA_BUNDLE", bundle.clone())]),
    ] {
        let before = serve.invocations().len();
        let outcome = case(name, env).run().outcome();
        assert!(outcome.starts_with("200 "), "{name}: {outcome}");
        assert_eq!(serve.last_caller(before), "principal laptop", "{name}");
    }

    let not_pem = tls.bundle.with_file_name("not-a-bundle.txt");
    std::fs::write(&not_pem, "no certificate here").unwrap();
    let refused = case(
        "tls-not-pem",
        vec![("CASE_CA_BUNDLE", not_pem.display().to_string())],
    )
    .run()
    .failure();
    assert!(
        refused.starts_with(&format!(
            "failed to use the CA bundle {}: it holds no PEM certificate",
            not_pem.display()
        )),
        "{refused}"
    );
}

/// `--no-sign-request`'s counterpart: nothing is signed, so a Lambda that verifies
/// signatures refuses the request, and one that does not logs it as unsigned.
#[test]
fn no_sign_request_sends_unsigned_requests() {
    let verifying = Serve::start("unsigned-verifying", &format!("{PRINCIPALS}{FUNCTIONS}"));
    let open = Serve::start("unsigned-open", FUNCTIONS);
    let case = |name, endpoint: &str| Case {
        name,
        config: "[default]\nregion = us-east-1\n",
        credentials: CREDENTIALS,
        env: vec![
            ("AWS_ENDPOINT_URL_LAMBDA", endpoint.to_owned()),
            ("CASE_NO_SIGN_REQUEST", "1".to_owned()),
        ],
    };
    let refused = case("unsigned-refused", &verifying.endpoint)
        .run()
        .failure();
    assert!(refused.contains("MissingAuthenticationToken"), "{refused}");

    let before = open.invocations().len();
    let outcome = case("unsigned-accepted", &open.endpoint).run().outcome();
    assert!(outcome.starts_with("200 "), "{outcome}");
    let line = open.last_invocation(before);
    assert!(line.ends_with(" ms"), "unsigned: no caller named: {line}");
}

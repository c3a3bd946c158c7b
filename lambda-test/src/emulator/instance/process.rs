//! The function process: its start with the Lambda environment and its own Runtime API
//! listener, its exit, and its end (killed, or retired gracefully).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_lambda::config::Credentials;
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::reaper::Reaper;
use super::{Instance, InvalidEntrypoint, VersionSettings};
use crate::config::AwsCredentials;
use crate::emulator::logs::LogCapture;
use crate::emulator::runtime_api::{self, Delivery, RuntimeState};

/// How long a runtime that registered an extension gets between SIGTERM and SIGKILL.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// One instance's Runtime API, serving on its own loopback port.
struct RuntimeApi {
    address: SocketAddr,
    state: Arc<RuntimeState>,
    deliveries: mpsc::Sender<Delivery>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    async fn start(settings: &VersionSettings) -> Result<RuntimeApi, InvalidEntrypoint> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| InvalidEntrypoint(format!("failed to bind a Runtime API port: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| InvalidEntrypoint(e.to_string()))?;
        let (deliveries, delivery_rx) = mpsc::channel(1);
        let register_body = json!({
            "functionName": settings.function_name,
            "functionVersion": settings.version,
            "handler": settings.handler,
            "accountId": settings.account_id,
        });
        let state = RuntimeState::new(delivery_rx, register_body);
        let server = tokio::spawn(runtime_api::serve(listener, Arc::clone(&state)));
        Ok(RuntimeApi {
            address,
            state,
            deliveries,
            server,
        })
    }
}

impl Instance {
    /// Starts the process with the Lambda environment and its own Runtime API listener.
    pub async fn spawn(settings: Arc<VersionSettings>) -> Result<Instance, InvalidEntrypoint> {
        // What Lambda takes from the execution role: here, the caller's own, refreshed.
        let caller = match settings.aws.credentials {
            AwsCredentials::Caller => Some(
                super::caller_credentials()
                    .await
                    .map_err(|e| InvalidEntrypoint(format!("lambda-test: {e}")))?,
            ),
            _ => None,
        };
        let api = RuntimeApi::start(&settings).await?;
        let io_error = |e: std::io::Error| InvalidEntrypoint(e.to_string());
        let (reader, writer) = std::io::pipe().map_err(io_error)?;
        let stderr = writer.try_clone().map_err(io_error)?;
        let output = LogCapture::start(reader).map_err(io_error)?;

        let mut command = tokio::process::Command::new(&settings.program);
        command
            .args(&settings.args)
            .current_dir(&settings.task_root)
            .env_clear()
            .envs(lambda_environment(
                &settings,
                &api.address.to_string(),
                caller.as_ref(),
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::from(stderr))
            .process_group(0);
        let spawned_at = Instant::now();
        let Ok(child) = command.spawn() else {
            api.server.abort();
            return Err(InvalidEntrypoint(format!(
                "Couldn't find valid bootstrap(s): [{}]",
                settings.program.display()
            )));
        };
        // The pipe's write ends now live only in the child (and its children).
        drop(command);
        let pid = child.id().expect("a just-spawned child has a pid");
        Reaper::global().watch(pid);
        let status = std::fs::File::open(format!("/proc/{pid}/status"))
            .ok()
            .map(Arc::new);
        let (running, running_rx) = watch::channel(false);
        let over_memory = super::memory::watch(
            status.clone(),
            settings.memory_size,
            running_rx,
            Arc::clone(&output),
        );
        Ok(Instance {
            settings,
            pgid: Some(pid),
            state: api.state,
            deliveries: api.deliveries,
            exit: watch_exit(child),
            output,
            server: api.server,
            spawned_at,
            served: 0,
            log_wanted: true,
            max_memory_mb: 0,
            status,
            running,
            over_memory,
        })
    }

    /// The exit status, if the process exits within `limit`.
    pub(super) async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let mut exit = self.exit.clone();
        tokio::time::timeout(limit, exit.wait_for(Option::is_some))
            .await
            .ok()
            .and_then(|r| r.ok().and_then(|s| *s))
    }

    pub(super) fn is_alive(&self) -> bool {
        self.pgid.is_some() && self.exit.borrow().is_none()
    }

    /// Kills the process group at once.
    pub(super) fn kill(&mut self) {
        self.measure_memory();
        if let Some(pgid) = self.pgid.take() {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pgid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            Reaper::global().forget(pgid);
        }
        self.state.close();
        self.server.abort();
    }

    /// Stops the instance as Lambda retires one: SIGTERM and a grace period when an
    /// extension registered (that is what `spawn_graceful_shutdown_handler` waits for), then SIGKILL.
    pub async fn shutdown(mut self) {
        if let Some(pgid) = self.pgid
            && self.state.extension_registered()
            && self.exit.borrow().is_none()
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pgid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            self.wait_exit(SHUTDOWN_GRACE).await;
        }
        self.kill();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
        self.output.close();
    }
}

/// The child's exit status once it exits, `None` until then.
fn watch_exit(mut child: tokio::process::Child) -> watch::Receiver<Option<ExitStatus>> {
    let (exit_tx, exit) = watch::channel(None);
    tokio::spawn(async move {
        let status = child
            .wait()
            .await
            .unwrap_or_else(|_| ExitStatus::from_raw(1 << 8));
        let _ = exit_tx.send(Some(status));
    });
    exit
}

/// The variables Lambda sets that a function's own may replace (RIE's `overridable` set,
/// lambda-extensions.md 3.2 and 4.2).
const OVERRIDABLE: &[&str] = &[
    "AWS_LAMBDA_LOG_FORMAT",
    "AWS_LAMBDA_LOG_LEVEL",
    "AWS_XRAY_CONTEXT_MISSING",
    "AWS_XRAY_DAEMON_ADDRESS",
    "LANG",
    "LD_LIBRARY_PATH",
    "PATH",
    "TZ",
];

/// The environment a function gets on AWS (lambda-extensions.md 4), then the function's own
/// variables where AWS lets them replace Lambda's.
///
/// Nothing of the host's environment reaches the function but `PATH` and `LD_LIBRARY_PATH`
/// (a local process needs them to find its interpreter and libraries). No `HOME` and no
/// `AWS_*` of the host: an AWS SDK inside the function finds no credentials, config file or
/// profile of the developer's, and reaches real AWS only with what its definition gives it.
/// Instance metadata is switched off (`AWS_EC2_METADATA_DISABLED`), so such an SDK fails at
/// once instead of waiting for an endpoint that is not there. What the function's own AWS
/// calls get comes from its `aws` setting ([`aws_environment`]); `caller` holds the
/// credentials of `credentials = "caller"`.
fn lambda_environment(
    settings: &VersionSettings,
    runtime_api: &str,
    caller: Option<&Credentials>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for inherited in ["PATH", "LD_LIBRARY_PATH"] {
        if let Ok(v) = std::env::var(inherited) {
            env.insert(inherited.to_owned(), v);
        }
    }
    let name = &settings.function_name;
    let stream = format!(
        "{}/[{}]{}",
        crate::emulator::clock::log_stream_date(std::time::SystemTime::now()),
        settings.version,
        uuid::Uuid::new_v4().simple()
    );
    let logging = &settings.logging;
    let json = logging.format == crate::config::LogFormat::Json;
    for (k, v) in [
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT", logging.format.to_string()),
        ("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".to_owned()),
        ("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000".to_owned()),
    ] {
        env.insert(k.to_owned(), v);
    }
    if json {
        env.insert(
            "AWS_LAMBDA_LOG_LEVEL".to_owned(),
            logging.application_level.to_string(),
        );
    }
    // The function's own variables: they replace the overridable ones above, never the
    // reserved ones below (which the config refuses them to set).
    env.extend(settings.environment.clone());
    let task_root = settings.task_root.display().to_string();
    for (k, v) in [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("_HANDLER", settings.handler.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", settings.version.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            settings.memory_size.to_string(),
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", logging.log_group.clone()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", settings.region.clone()),
        ("AWS_DEFAULT_REGION", settings.region.clone()),
        ("LAMBDA_TASK_ROOT", task_root),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
        ("_AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129".to_owned()),
        ("_AWS_XRAY_DAEMON_PORT", "2000".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ] {
        env.insert(k.to_owned(), v);
    }
    aws_environment(&settings.aws, caller, &mut env);
    debug_assert!(
        OVERRIDABLE
            .iter()
            .all(|k| !crate::config::RESERVED_VARIABLES.contains(k))
    );
    env
}

/// The variables of the function's own AWS calls: the credentials as Lambda sets its
/// execution role's, the endpoint overrides the SDKs read, and a region that replaces the
/// local Lambda's.
fn aws_environment(
    aws: &crate::config::AwsAccess,
    caller: Option<&Credentials>,
    env: &mut BTreeMap<String, String>,
) {
    let keys = match &aws.credentials {
        AwsCredentials::None => None,
        AwsCredentials::Static(keys) => Some((
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
            keys.session_token.clone(),
        )),
        AwsCredentials::Caller => caller.map(|c| {
            (
                c.access_key_id().to_owned(),
                c.secret_access_key().to_owned(),
                c.session_token().map(str::to_owned),
            )
        }),
    };
    if let Some((id, secret, token)) = keys {
        // Lambda sets both names of the key id.
        env.insert("AWS_ACCESS_KEY_ID".to_owned(), id.clone());
        env.insert("AWS_ACCESS_KEY".to_owned(), id);
        env.insert("AWS_SECRET_ACCESS_KEY".to_owned(), secret);
        if let Some(token) = token {
            env.insert("AWS_SESSION_TOKEN".to_owned(), token);
        }
    }
    if let Some(url) = &aws.endpoint_url {
        env.insert("AWS_ENDPOINT_URL".to_owned(), url.clone());
    }
    for (service, url) in &aws.service_endpoints {
        env.insert(format!("AWS_ENDPOINT_URL_{service}"), url.clone());
    }
    if let Some(region) = &aws.region {
        env.insert("AWS_REGION".to_owned(), region.clone());
        env.insert("AWS_DEFAULT_REGION".to_owned(), region.clone());
    }
}

/// Go's `ProcessState.String()` wording, which AWS's messages use (RAPID is written in Go).
pub(super) fn exit_reason(status: Option<ExitStatus>) -> String {
    let Some(status) = status else {
        return "Runtime exited without providing a reason".to_owned();
    };
    if let Some(code) = status.code() {
        if code == 0 {
            return "Runtime exited without providing a reason".to_owned();
        }
        return format!("Runtime exited with error: exit status {code}");
    }
    let signal = match status.signal() {
        Some(9) => "killed".to_owned(),
        Some(11) => "segmentation fault".to_owned(),
        Some(6) => "aborted".to_owned(),
        Some(15) => "terminated".to_owned(),
        Some(2) => "interrupt".to_owned(),
        Some(7) => "bus error".to_owned(),
        Some(8) => "floating point exception".to_owned(),
        Some(n) => format!("signal {n}"),
        None => "unknown".to_owned(),
    };
    format!("Runtime exited with error: signal: {signal}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(environment: &[(&str, &str)], json: bool) -> VersionSettings {
        let mut logging = crate::config::Logging::defaults("f");
        if json {
            logging.format = crate::config::LogFormat::Json;
            logging.application_level = crate::config::ApplicationLogLevel::Debug;
            logging.log_group = "/custom/f".to_owned();
        }
        VersionSettings {
            function_name: "f".into(),
            version: "1".into(),
            program: "/bin/true".into(),
            args: Vec::new(),
            task_root: "/pkg".into(),
            environment: environment
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            timeout: std::time::Duration::from_secs(3),
            memory_size: 256,
            handler: "bootstrap".into(),
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            logging,
            aws: crate::config::AwsAccess::default(),
        }
    }

    #[test]
    fn the_environment_is_lambdas_and_nothing_of_the_hosts() {
        let env = lambda_environment(
            &settings(&[("TABLE", "orders"), ("TZ", "Europe/Paris")], false),
            "127.0.0.1:9",
            None,
        );
        for (k, v) in [
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9"),
            ("AWS_LAMBDA_FUNCTION_NAME", "f"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "1"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/f"),
            ("AWS_LAMBDA_LOG_FORMAT", "Text"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("LAMBDA_TASK_ROOT", "/pkg"),
            ("_HANDLER", "bootstrap"),
            ("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("TABLE", "orders"),
            // Overridable: the function's own wins.
            ("TZ", "Europe/Paris"),
        ] {
            assert_eq!(env.get(k).map(String::as_str), Some(v), "{k}");
        }
        assert!(env["AWS_LAMBDA_LOG_STREAM_NAME"].contains("/[1]"));
        assert!(
            !env.contains_key("AWS_LAMBDA_LOG_LEVEL"),
            "Text has no level"
        );
        for host in ["HOME", "USER", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "CARGO"] {
            assert!(!env.contains_key(host), "{host} leaked in");
        }
    }

    #[test]
    fn json_logging_sets_the_format_level_and_group() {
        let env = lambda_environment(&settings(&[], true), "127.0.0.1:9", None);
        assert_eq!(env["AWS_LAMBDA_LOG_FORMAT"], "JSON");
        assert_eq!(env["AWS_LAMBDA_LOG_LEVEL"], "DEBUG");
        assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/custom/f");
    }

    #[test]
    fn the_aws_setting_gives_credentials_endpoints_and_region() {
        use crate::config::{AwsAccess, StaticCredentials};
        let mut s = settings(&[], false);
        s.aws = AwsAccess {
            credentials: AwsCredentials::Static(StaticCredentials::new("testing", "secret", None)),
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            service_endpoints: [("DYNAMODB".into(), "http://127.0.0.1:8000".into())].into(),
            region: Some("ap-south-1".into()),
        };
        let env = lambda_environment(&s, "127.0.0.1:9", None);
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_ACCESS_KEY", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
            ("AWS_REGION", "ap-south-1"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
        ] {
            assert_eq!(env.get(k).map(String::as_str), Some(v), "{k}");
        }
        assert!(
            !env.contains_key("AWS_SESSION_TOKEN"),
            "static keys without a token"
        );

        // The caller's credentials, as resolved, session token included.
        s.aws.credentials = AwsCredentials::Caller;
        let caller = Credentials::new(
            "ASIACALLER",
            "caller-secret",
            Some("token".into()),
            None,
            "t",
        );
        let env = lambda_environment(&s, "127.0.0.1:9", Some(&caller));
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "ASIACALLER");
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "caller-secret");
        assert_eq!(env["AWS_SESSION_TOKEN"], "token");

        // None (the default): no key of any kind.
        s.aws.credentials = AwsCredentials::None;
        let env = lambda_environment(&s, "127.0.0.1:9", Some(&caller));
        assert!(
            !env.keys().any(|k| k.starts_with("AWS_ACCESS")
                || k.starts_with("AWS_SECRET")
                || k == "AWS_SESSION_TOKEN"),
            "{env:?}"
        );
    }

    #[test]
    fn exit_reasons_use_go_wording() {
        assert_eq!(
            exit_reason(Some(ExitStatus::from_raw(1 << 8))),
            "Runtime exited with error: exit status 1"
        );
        assert_eq!(
            exit_reason(Some(ExitStatus::from_raw(0))),
            "Runtime exited without providing a reason"
        );
        assert_eq!(
            exit_reason(Some(ExitStatus::from_raw(9))),
            "Runtime exited with error: signal: killed"
        );
    }
}

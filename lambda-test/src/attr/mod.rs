//! What a `#[lambda_test]` expands to: one builder, one method per attribute key.
//!
//! The builder and its keys are here; what a run does is in the siblings: `request` (request
//! keys into an event), `run` (invoking, `same_payload` matrices), `budgets`, `snapshot`
//! (redactions, the record, `query`) and `vars` (`${VAR}` expansion).

mod budgets;
mod request;
mod run;
mod snapshot;
mod vars;

pub use snapshot::SnapshotValue;
pub use vars::expand_vars;

use crate::client::http_event::Integration;
use crate::client::invocation::{InvocationType, LogType};
use request::RequestKeys;

/// The replacement of a `redact` pattern given without one.
pub const DEFAULT_REDACTION: &str = "[redacted]";

/// The arguments of one generated test. Not public API: the attribute's expansion builds it.
#[derive(Debug, Clone)]
pub struct TestArgs {
    package_dir: &'static str,
    /// The package's name, to recognize its directory at run time ([`Target::package_dir`]).
    package_name: Option<&'static str>,
    /// The test's `module_path!()` and name, for running it again as a shared server.
    test: Option<(&'static str, &'static str)>,
    function: String,
    qualifier: Option<String>,
    payload: Option<String>,
    payload_file: Option<String>,
    /// The request keys: `http`, `headers`, `cookies`, `body`/`body_file`, `integration`.
    request: Option<RequestKeys>,
    /// The integration the request went through without `integration`: known once the
    /// target is (a local function with a Function URL gets its event), for the snapshot's
    /// description.
    integration_used: std::sync::OnceLock<Integration>,
    /// `via = "url"`: through the function's Function URL instead of the Invoke API.
    via_url: bool,
    invocation_type: InvocationType,
    log: LogType,
    client_context: Option<String>,
    tenant_id: Option<String>,
    endpoint_url: Option<String>,
    region: Option<String>,
    profile: Option<String>,
    role_arn: Option<String>,
    no_sign_request: bool,
    ca_bundle: Option<String>,
    connect_timeout_ms: Option<u64>,
    read_timeout_ms: Option<u64>,
    retries: u32,
    expect_error: Option<String>,
    same_payload: Option<Vec<String>>,
    max_duration_ms: Option<u64>,
    max_memory_mb: Option<u64>,
    max_init_ms: Option<u64>,
    stream: bool,
    stream_chunks: bool,
    max_first_byte_ms: Option<u64>,
    redact: Vec<(String, String)>,
    query: Option<Vec<String>>,
}

impl TestArgs {
    /// Arguments for a test in the package at `package_dir` (`env!("CARGO_MANIFEST_DIR")`).
    pub fn new(package_dir: &'static str) -> Self {
        Self {
            package_dir,
            package_name: None,
            test: None,
            function: String::new(),
            qualifier: None,
            payload: None,
            payload_file: None,
            request: None,
            integration_used: std::sync::OnceLock::new(),
            via_url: false,
            invocation_type: InvocationType::RequestResponse,
            log: LogType::Tail,
            client_context: None,
            tenant_id: None,
            endpoint_url: None,
            region: None,
            profile: None,
            role_arn: None,
            no_sign_request: false,
            ca_bundle: None,
            connect_timeout_ms: None,
            read_timeout_ms: None,
            retries: 0,
            expect_error: None,
            same_payload: None,
            max_duration_ms: None,
            max_memory_mb: None,
            max_init_ms: None,
            stream: false,
            stream_chunks: false,
            max_first_byte_ms: None,
            redact: Vec::new(),
            query: None,
        }
    }

    /// The package's name (`env!("CARGO_PKG_NAME")`): its directory is then the runner's
    /// `CARGO_MANIFEST_DIR` when that names it, as in a remapped nextest run.
    pub fn package(mut self, name: &'static str) -> Self {
        self.package_name = Some(name);
        self
    }

    /// The test's `module_path!()` and function name: what libtest calls it, so that a shared
    /// local Lambda can be started by running this test again (`crate::local::shared`).
    pub fn test(mut self, module_path: &'static str, name: &'static str) -> Self {
        self.test = Some((module_path, name));
        self
    }

    /// `function = "..."`.
    pub fn function(mut self, function: &str) -> Self {
        self.function = function.to_owned();
        self
    }

    /// `qualifier = "..."`, and each test of `qualifiers = [...]`.
    pub fn qualifier(mut self, qualifier: &str) -> Self {
        self.qualifier = Some(qualifier.to_owned());
        self
    }

    /// `payload = "..."` (checked as JSON at compile time).
    pub fn payload(mut self, payload: &str) -> Self {
        self.payload = Some(payload.to_owned());
        self
    }

    /// `payload_file = "..."`, and each test of `events = "..."`: the file's path relative to
    /// the package and its contents (read by the compiler through `include_str!`).
    pub fn payload_file(mut self, path: &str, contents: &str) -> Self {
        self.payload_file = Some(path.to_owned());
        self.payload = Some(contents.to_owned());
        self
    }

    /// `http = "METHOD /path?query"` (checked at compile time): the payload is the event the
    /// integration sends for this request.
    pub fn http(mut self, line: &str) -> Self {
        self.request_keys().line = line.to_owned();
        self
    }

    /// One entry of `headers = { "name" = "value", ... }`.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request_keys()
            .headers
            .push((name.to_owned(), value.to_owned()));
        self
    }

    /// One entry of `cookies = ["name=value", ...]`.
    pub fn cookie(mut self, cookie: &str) -> Self {
        self.request_keys().cookies.push(cookie.to_owned());
        self
    }

    /// `body = "..."`.
    pub fn body(mut self, body: &str) -> Self {
        self.request_keys().body = Some(body.as_bytes().to_vec());
        self
    }

    /// `body_file = "..."`: the path relative to the package and the bytes the compiler read
    /// (`include_bytes!`).
    pub fn body_file(mut self, path: &str, contents: &[u8]) -> Self {
        let keys = self.request_keys();
        keys.body = Some(contents.to_vec());
        keys.body_file = Some(path.to_owned());
        self
    }

    /// `integration = "http_api" | "function_url" | "rest_api" | "alb"` (checked at compile
    /// time; `http_api` without it).
    pub fn integration(mut self, name: &str) -> Self {
        self.request_keys().integration = Some(name.to_owned());
        self
    }

    /// `via = "url"` (checked at compile time; `"invoke"` is the default): the request goes
    /// to the function's Function URL.
    pub fn via(mut self, via: &str) -> Self {
        self.via_url = via == "url";
        self
    }

    fn request_keys(&mut self) -> &mut RequestKeys {
        self.request.get_or_insert_with(RequestKeys::default)
    }

    /// `invocation_type = "..."`, and `dry_run = true`.
    pub fn invocation_type(mut self, invocation_type: InvocationType) -> Self {
        self.invocation_type = invocation_type;
        self
    }

    /// `log = "tail" | "none"`.
    pub fn log(mut self, log: LogType) -> Self {
        self.log = log;
        self
    }

    /// `client_context = "..."` (JSON).
    pub fn client_context(mut self, json: &str) -> Self {
        self.client_context = Some(json.to_owned());
        self
    }

    /// `tenant_id = "..."`.
    pub fn tenant_id(mut self, tenant_id: &str) -> Self {
        self.tenant_id = Some(tenant_id.to_owned());
        self
    }

    /// `endpoint_url = "..."`.
    pub fn endpoint_url(mut self, url: &str) -> Self {
        self.endpoint_url = Some(url.to_owned());
        self
    }

    /// `region = "..."`.
    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// `profile = "..."`.
    pub fn profile(mut self, profile: &str) -> Self {
        self.profile = Some(profile.to_owned());
        self
    }

    /// `role_arn = "..."`.
    pub fn role_arn(mut self, role_arn: &str) -> Self {
        self.role_arn = Some(role_arn.to_owned());
        self
    }

    /// `no_sign_request = true`.
    pub fn no_sign_request(mut self, on: bool) -> Self {
        self.no_sign_request = on;
        self
    }

    /// `ca_bundle = "..."`: relative to the package directory.
    pub fn ca_bundle(mut self, path: &str) -> Self {
        self.ca_bundle = Some(path.to_owned());
        self
    }

    /// `query = [...]`: the snapshot holds only these paths of the record.
    pub fn query(mut self, paths: &[&str]) -> Self {
        self.query = Some(paths.iter().map(|p| (*p).to_owned()).collect());
        self
    }

    /// `connect_timeout_ms = ...`.
    pub fn connect_timeout_ms(mut self, ms: u64) -> Self {
        self.connect_timeout_ms = Some(ms);
        self
    }

    /// `read_timeout_ms = ...`.
    pub fn read_timeout_ms(mut self, ms: u64) -> Self {
        self.read_timeout_ms = Some(ms);
        self
    }

    /// `retries = ...`.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// `expect_error = "..."`: run with [`TestArgs::run_expect_error`].
    pub fn expect_error(mut self, code: &str) -> Self {
        self.expect_error = Some(code.to_owned());
        self
    }

    /// `same_payload = true`, with the matrix's `qualifiers`.
    pub fn same_payload(mut self, qualifiers: &[&str]) -> Self {
        self.same_payload = Some(qualifiers.iter().map(|q| (*q).to_owned()).collect());
        self
    }

    /// `max_duration_ms = ...`.
    pub fn max_duration_ms(mut self, ms: u64) -> Self {
        self.max_duration_ms = Some(ms);
        self
    }

    /// `max_memory_mb = ...`.
    pub fn max_memory_mb(mut self, mb: u64) -> Self {
        self.max_memory_mb = Some(mb);
        self
    }

    /// `max_init_ms = ...`.
    pub fn max_init_ms(mut self, ms: u64) -> Self {
        self.max_init_ms = Some(ms);
        self
    }

    /// `stream = true`: invoke with `InvokeWithResponseStream`.
    pub fn stream(mut self, stream: bool) -> Self {
        self.stream = stream;
        self
    }

    /// `stream_chunks = true`: the snapshot shows the number of chunks.
    pub fn stream_chunks(mut self, show: bool) -> Self {
        self.stream_chunks = show;
        self
    }

    /// `max_first_byte_ms = ...`: a budget for the time from sending to the first chunk.
    pub fn max_first_byte_ms(mut self, ms: u64) -> Self {
        self.max_first_byte_ms = Some(ms);
        self
    }

    /// One rule of `redact = { "pattern" = "replacement" }`, or of `redact = ["pattern"]`
    /// (replaced with [`DEFAULT_REDACTION`]).
    pub fn redact(mut self, pattern: &str, replacement: Option<&str>) -> Self {
        self.redact.push((
            pattern.to_owned(),
            replacement.unwrap_or(DEFAULT_REDACTION).to_owned(),
        ));
        self
    }
}

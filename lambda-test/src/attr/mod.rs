//! What a `#[lambda_test]` expands to: one builder, one method per attribute key.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use crate::Error;
use crate::client::harness::{ClientOptions, Harness};
use crate::client::http_event::{HttpRequest, Integration};
use crate::client::invocation::{Invocation, InvocationType, LogType};
use crate::client::outcome::{Outcome, Redactions, SnapshotRecord};
use crate::client::target::Target;

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

/// A `redact` pattern compiled once for the process. The set of patterns is the attributes'
/// own, so leaking each one compiled keeps it shared with its caches rather than cloned
/// without them.
fn compiled(pattern: &str) -> &'static regex::Regex {
    static COMPILED: LazyLock<Mutex<HashMap<String, &'static regex::Regex>>> =
        LazyLock::new(Mutex::default);
    if let Some(regex) = COMPILED
        .lock()
        .expect("redact patterns poisoned")
        .get(pattern)
    {
        return regex;
    }
    // Compiled outside the lock: an invalid pattern fails its own test, not the lock.
    let regex = regex::Regex::new(pattern)
        .unwrap_or_else(|e| panic!("invalid `redact` pattern `{pattern}`: {e}"));
    COMPILED
        .lock()
        .expect("redact patterns poisoned")
        .entry(pattern.to_owned())
        .or_insert_with(|| Box::leak(Box::new(regex)))
}

/// The request keys of a test, as written; turned into an event when the test runs.
#[derive(Debug, Clone, Default)]
struct RequestKeys {
    line: String,
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    body: Option<Vec<u8>>,
    body_file: Option<String>,
    integration: Option<String>,
}

impl RequestKeys {
    /// The event the integration sends for this request, fresh (request id, time) each run;
    /// without `integration`, `default`'s.
    fn event(&self, default: Integration) -> Result<serde_json::Value, Error> {
        let bad = |e: String| Error::Payload(format!("`http = \"{}\"`: {e}", self.line));
        let integration = match self.integration.as_deref() {
            None => default,
            Some(name) => Integration::parse(name).ok_or_else(|| {
                bad(format!(
                    "unknown integration `{name}`; expected one of {}",
                    Integration::NAMES.join(", ")
                ))
            })?,
        };
        let mut request = HttpRequest::parse(&self.line).map_err(bad)?;
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        for cookie in &self.cookies {
            request = request.cookie(cookie);
        }
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        request.event(integration).map_err(bad)
    }
}

type Matrix = Arc<tokio::sync::OnceCell<Result<Vec<Outcome>, String>>>;

/// The outcomes of `same_payload` matrices, invoked once per process and shared by the
/// matrix's tests.
static MATRICES: LazyLock<Mutex<HashMap<String, Matrix>>> = LazyLock::new(Mutex::default);

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

    /// insta settings for this test's snapshot: a description of the invocation in the
    /// snapshot header instead of the generated expression.
    pub fn snapshot_settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        settings.set_omit_expression(true);
        settings.set_description(self.description());
        settings
    }

    fn description(&self) -> String {
        let mut description = format!("invoke `{}`", self.function);
        if let Some(q) = &self.qualifier {
            description.push_str(&format!(" qualifier `{q}`"));
        }
        if self.stream {
            description.push_str(" (streamed)");
        }
        if self.invocation_type != InvocationType::RequestResponse {
            description.push_str(&format!(" as {:?}", self.invocation_type));
        }
        if let Some(keys) = &self.request {
            let default = self
                .integration_used
                .get()
                .copied()
                .unwrap_or(Integration::HttpApi);
            description.push_str(&format!(
                " with `{}` through {}",
                keys.line,
                keys.integration.as_deref().unwrap_or(default.name())
            ));
            if let Some(file) = &keys.body_file {
                description.push_str(&format!(" (body `{file}`)"));
            }
        }
        match (&self.payload_file, &self.payload) {
            (Some(file), _) => description.push_str(&format!(" with `{file}`")),
            (None, Some(p)) => {
                let compact = serde_json::from_str::<serde_json::Value>(p)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|_| p.clone());
                description.push_str(&format!(" with {compact}"));
            }
            (None, None) => {}
        }
        description
    }

    /// The redactions of this test: the defaults and every `redact` rule. Each pattern is
    /// compiled once per process: the tests of an `events` folder or a `qualifiers` matrix
    /// share their rules, and a debug build compiles a regex slowly.
    pub fn redactions(&self) -> Redactions {
        self.redact
            .iter()
            .fold(Redactions::default(), |redactions, (pattern, with)| {
                redactions.add_compiled(compiled(pattern), with)
            })
    }

    /// What the snapshot holds: the record, or with `query` only the paths it names.
    ///
    /// Panics, naming what is there, when a path matches nothing: a misspelt path would
    /// otherwise snapshot a `null` that no test notices.
    #[track_caller]
    pub fn snapshot_value(&self, outcome: &Outcome) -> SnapshotValue {
        let record = self.snapshot_record(outcome);
        let Some(paths) = &self.query else {
            return SnapshotValue::Record(Box::new(record));
        };
        let whole = serde_json::to_value(&record).expect("a snapshot record serializes");
        let mut fields = Vec::new();
        for path in paths {
            match query_path(&whole, path) {
                Ok(value) => fields.push((path.clone(), value.clone())),
                Err(missing) => panic!("`query` path `{path}`: {missing}"),
            }
        }
        SnapshotValue::Query(fields)
    }

    /// The record the snapshot holds, with this test's redactions.
    pub fn snapshot_record(&self, outcome: &Outcome) -> SnapshotRecord {
        let mut record = outcome.snapshot_record_with(&self.redactions());
        if self.stream_chunks
            && let (Some(shown), Some(streamed)) = (&mut record.stream, &outcome.stream)
        {
            shown.chunks = Some(streamed.chunks);
        }
        record
    }

    /// Invokes on the process-wide harness and returns the outcome; prints the request id and
    /// the tail log (shown when the test fails); panics with the reason and the fix when the
    /// invocation cannot be made, when a budget is exceeded, or when the qualifiers of a
    /// `same_payload` matrix disagree.
    #[track_caller]
    pub fn run(&self) -> Outcome {
        self.enter();
        let harness = Harness::global();
        let (outcome, mismatch) = match &self.same_payload {
            None => match harness.block_on(self.invoke()) {
                Ok(outcome) => (outcome, None),
                Err(e) => panic!("{e}"),
            },
            Some(qualifiers) => match harness.block_on(self.invoke_matrix(qualifiers)) {
                Ok(found) => found,
                Err(e) => panic!("{e}"),
            },
        };
        eprintln!("{}", outcome.context());
        if let Some(mismatch) = mismatch {
            panic!("{mismatch}");
        }
        if let Some(over) = self.over_budget(&outcome) {
            panic!("{over}");
        }
        if let Some(late) = self.first_byte_late(&outcome) {
            panic!("{late}");
        }
        outcome
    }

    /// Invokes and expects the service to refuse with the `expect_error` code; panics with
    /// what happened instead.
    #[track_caller]
    pub fn run_expect_error(&self) -> Error {
        self.enter();
        let code = self.expect_error.as_deref().unwrap_or_default();
        match Harness::global().block_on(self.invoke()) {
            Ok(outcome) => panic!(
                "expected the invocation to be refused with `{code}`, but it was accepted: \
                 status {}, function error {:?}, payload {}\n{}",
                outcome.status_code,
                outcome.function_error,
                outcome.payload_text(),
                outcome.context()
            ),
            Err(e) if e.code() == Some(code) => {
                eprintln!("lambda-test: refused as expected: {e}");
                e
            }
            Err(e) => panic!("expected the invocation to be refused with `{code}`, but: {e}"),
        }
    }

    /// The first call of every generated test: a process started to be a shared local Lambda
    /// serves and exits here (`crate::local::shared`, "Why a test becomes the server").
    fn enter(&self) {
        #[cfg(feature = "emulator")]
        crate::local::shared::enter_test(self.test);
    }

    /// Every qualifier of the matrix, invoked once per process; this test's outcome, and the
    /// first payload difference, if any.
    async fn invoke_matrix(
        &self,
        qualifiers: &[String],
    ) -> Result<(Outcome, Option<String>), String> {
        let key = format!(
            "{:?}",
            TestArgs {
                qualifier: None,
                test: None,
                ..self.clone()
            }
        );
        let cell = Arc::clone(
            MATRICES
                .lock()
                .expect("matrix memo poisoned")
                .entry(key)
                .or_default(),
        );
        let outcomes = cell
            .get_or_init(|| async {
                let mut outcomes = Vec::new();
                for q in qualifiers {
                    let args = self.clone().qualifier(q);
                    let outcome = args
                        .invoke()
                        .await
                        .map_err(|e| format!("qualifier `{q}`: {e}"))?;
                    outcomes.push(outcome);
                }
                Ok(outcomes)
            })
            .await
            .clone()?;
        let own = qualifiers
            .iter()
            .position(|q| Some(q) == self.qualifier.as_ref())
            .ok_or_else(|| "`same_payload` needs this test's qualifier in the matrix".to_owned())?;
        let mismatch = self.payload_mismatch(qualifiers, &outcomes);
        Ok((outcomes[own].clone(), mismatch))
    }

    /// A diff of the first qualifier's payload and the first one that differs.
    fn payload_mismatch(&self, qualifiers: &[String], outcomes: &[Outcome]) -> Option<String> {
        let redactions = self.redactions();
        let render = |outcome: &Outcome| {
            let payload = outcome.snapshot_record_with(&redactions).payload;
            let mut text = serde_json::to_string_pretty(&payload).unwrap_or_default();
            text.push('\n');
            text
        };
        let first = render(outcomes.first()?);
        for (q, outcome) in qualifiers.iter().zip(outcomes).skip(1) {
            let other = render(outcome);
            if other != first {
                let diff = similar::TextDiff::from_lines(&first, &other)
                    .unified_diff()
                    .header(
                        &format!("qualifier {}", qualifiers[0]),
                        &format!("qualifier {q}"),
                    )
                    .to_string();
                return Some(format!(
                    "`same_payload`: qualifiers `{}` and `{q}` of `{}` return different payloads:\n{diff}",
                    qualifiers[0], self.function
                ));
            }
        }
        None
    }

    /// What exceeds a budget, with the measured value beside it.
    fn over_budget(&self, outcome: &Outcome) -> Option<String> {
        if self.max_duration_ms.is_none()
            && self.max_memory_mb.is_none()
            && self.max_init_ms.is_none()
        {
            return None;
        }
        let Some(report) = outcome.report() else {
            return Some(format!(
                "the budgets read the REPORT line of the tail log, and this invocation \
                 returned none (status {}); budgets need a RequestResponse invocation with \
                 `log = \"tail\"`",
                outcome.status_code
            ));
        };
        let mut over = Vec::new();
        if let Some(max) = self.max_duration_ms
            && report.duration_ms > max as f64
        {
            over.push(format!(
                "`max_duration_ms = {max}`, but the REPORT line says Duration: {} ms",
                report.duration_ms
            ));
        }
        if let Some(max) = self.max_memory_mb
            && report.max_memory_used_mb > max
        {
            over.push(format!(
                "`max_memory_mb = {max}`, but the REPORT line says Max Memory Used: {} MB",
                report.max_memory_used_mb
            ));
        }
        if let Some(max) = self.max_init_ms
            && let Some(init) = report.init_duration_ms
            && init > max as f64
        {
            over.push(format!(
                "`max_init_ms = {max}`, but the REPORT line says Init Duration: {init} ms"
            ));
        }
        (!over.is_empty()).then(|| format!("over budget: {}", over.join("; ")))
    }

    /// What exceeds `max_first_byte_ms`, with the measured time beside it.
    fn first_byte_late(&self, outcome: &Outcome) -> Option<String> {
        let max = self.max_first_byte_ms?;
        let Some(streamed) = &outcome.stream else {
            return Some(format!(
                "`max_first_byte_ms = {max}` times a response stream, and this invocation was \
                 not streamed (status {}); add `stream = true`",
                outcome.status_code
            ));
        };
        match streamed.first_byte {
            Some(first) if first > Duration::from_millis(max) => Some(format!(
                "over budget: `max_first_byte_ms = {max}`, but the first byte came after {} ms \
                 (measured from sending the request to the first byte of the body, after the \
                 HTTP prelude)",
                first.as_millis()
            )),
            Some(_) => None,
            None => Some(format!(
                "`max_first_byte_ms = {max}`, but the stream sent no byte of a body (status {}{})",
                outcome.status_code,
                streamed
                    .error
                    .as_ref()
                    .map(|e| format!(
                        ", ended with {}: {}",
                        e.code.as_deref().unwrap_or("(no code)"),
                        e.details.as_deref().unwrap_or("(no details)")
                    ))
                    .unwrap_or_default()
            )),
        }
    }

    fn client_options(&self, package_dir: &Path) -> Result<ClientOptions, Error> {
        Ok(ClientOptions {
            region: self.region.as_deref().map(expand_vars).transpose()?,
            profile: self.profile.as_deref().map(expand_vars).transpose()?,
            role_arn: self.role_arn.as_deref().map(expand_vars).transpose()?,
            connect_timeout: self.connect_timeout_ms.map(Duration::from_millis),
            read_timeout: self.read_timeout_ms.map(Duration::from_millis),
            no_sign_request: self.no_sign_request,
            ca_bundle: match &self.ca_bundle {
                Some(path) => Some(package_dir.join(expand_vars(path)?)),
                None => None,
            },
        })
    }

    async fn invoke(&self) -> Result<Outcome, Error> {
        let function = expand_vars(&self.function)?;
        let endpoint_url = self.endpoint_url.as_deref().map(expand_vars).transpose()?;
        let package_dir = match self.package_name {
            Some(name) => Target::package_dir(name, Path::new(self.package_dir)),
            None => Path::new(self.package_dir).to_owned(),
        };
        let target = Target::resolve(&package_dir, endpoint_url.as_deref())?;
        let harness = Harness::global();
        // A request goes through the HTTP API unless the function's definition says it has
        // a Function URL (known locally; on AWS, `integration` says it).
        #[allow(unused_mut)]
        let mut default_integration = Integration::HttpApi;
        #[cfg(feature = "emulator")]
        if let Target::Local { package_dir } = &target {
            let local = harness.local(package_dir).await?;
            if let Ok(name) = crate::emulator::api::names::parse_function_name(&function) {
                local.check_binary(&name.name)?;
                if local.has_function_url(&name.name) {
                    default_integration = Integration::FunctionUrl;
                }
            }
        }
        if self.request.is_some() {
            let _ = self.integration_used.set(default_integration);
        }
        let client = harness
            .client_with(&target, &self.client_options(&package_dir)?)
            .await?;
        let mut invocation = Invocation::new(function)
            .invocation_type(self.invocation_type)
            .log(self.log)
            .retries(self.retries);
        if let Some(q) = &self.qualifier {
            invocation = invocation.qualifier(expand_vars(q)?);
        }
        match (&self.payload_file, &self.payload) {
            (Some(file), Some(contents)) => {
                if let Err(e) = serde_json::from_str::<serde_json::Value>(contents) {
                    return Err(Error::Payload(format!(
                        "`{file}` is not valid JSON ({e}); Lambda takes a JSON event"
                    )));
                }
                invocation = invocation.payload(contents.clone());
            }
            (None, Some(p)) => invocation = invocation.payload(expand_vars(p)?),
            _ => {}
        }
        if let Some(keys) = &self.request {
            invocation = invocation.payload(keys.event(default_integration)?.to_string());
        }
        if let Some(c) = &self.client_context {
            invocation = invocation.client_context(expand_vars(c)?);
        }
        if let Some(t) = &self.tenant_id {
            invocation = invocation.tenant_id(expand_vars(t)?);
        }
        let outcome = if self.stream {
            harness
                .run(async move { invocation.send_streaming(&client).await?.finish().await })
                .await?
        } else {
            harness
                .run(async move { invocation.send(&client).await })
                .await?
        };
        Ok(outcome.sent_to(target))
    }
}

/// What a snapshot holds: the whole record, or the `query` paths with their values, in the
/// order the attribute lists them.
#[derive(Debug, Clone)]
pub enum SnapshotValue {
    /// The whole record.
    Record(Box<SnapshotRecord>),
    /// `(path, value)` for each `query` path.
    Query(Vec<(String, serde_json::Value)>),
}

impl serde::Serialize for SnapshotValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        match self {
            SnapshotValue::Record(record) => record.serialize(serializer),
            SnapshotValue::Query(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (path, value) in fields {
                    map.serialize_entry(path, value)?;
                }
                map.end()
            }
        }
    }
}

/// The value at `path` (`a.b[0].c`) in `value`; what is there instead when nothing is.
fn query_path<'a>(
    value: &'a serde_json::Value,
    path: &str,
) -> Result<&'a serde_json::Value, String> {
    let mut at = value;
    let mut walked = String::new();
    for segment in path.split('.') {
        let (name, mut indexes) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
        let here = if walked.is_empty() {
            "the record".to_owned()
        } else {
            format!("`{walked}`")
        };
        at = match at {
            serde_json::Value::Object(map) => map.get(name).ok_or_else(|| {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                format!("{here} has no `{name}`; it has: {}", keys.join(", "))
            })?,
            other => return Err(format!("{here} is {other}, which has no fields")),
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(name);
        while let Some((index, rest)) = indexes.strip_prefix('[').and_then(|r| r.split_once(']')) {
            let i: usize = index
                .parse()
                .map_err(|_| format!("`{index}` is not an index"))?;
            at = match at {
                serde_json::Value::Array(items) => items
                    .get(i)
                    .ok_or_else(|| format!("`{walked}` has {} items, so no [{i}]", items.len()))?,
                other => return Err(format!("`{walked}` is {other}, not a list")),
            };
            walked.push_str(&format!("[{i}]"));
            indexes = rest;
        }
    }
    Ok(at)
}

/// Replaces `${NAME}` with the environment variable `NAME`, and `${NAME:-default}` with it or,
/// when it is unset or empty, `default`; `$${` is a literal `${`.
pub fn expand_vars(text: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(literal) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = literal;
        } else if let Some(var) = after.strip_prefix("${")
            && let Some(end) = var.find('}')
        {
            let (name, default) = match var[..end].split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (&var[..end], None),
            };
            let set = std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty() || default.is_none());
            let value = set
                .as_deref()
                .or(default)
                .ok_or_else(|| Error::MissingVariable(name.to_owned()))?;
            out.push_str(value);
            rest = &var[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_paths_walk_fields_and_indexes() {
        let record = serde_json::json!({
            "status_code": 200,
            "payload": {"items": [{"price": 3}, {"price": 5}], "total": 8},
        });
        assert_eq!(query_path(&record, "payload.total").unwrap(), 8);
        assert_eq!(query_path(&record, "payload.items[1].price").unwrap(), 5);
        assert_eq!(
            query_path(&record, "payload.totl").unwrap_err(),
            "`payload` has no `totl`; it has: items, total"
        );
        assert_eq!(
            query_path(&record, "payload.items[2]").unwrap_err(),
            "`payload.items` has 2 items, so no [2]"
        );
        assert_eq!(
            query_path(&record, "status_code.x").unwrap_err(),
            "`status_code` is 200, which has no fields"
        );
    }

    #[test]
    fn expands_variables() {
        // PATH is set in every test environment.
        let path = std::env::var("PATH").unwrap();
        assert_eq!(expand_vars("a${PATH}b").unwrap(), format!("a{path}b"));
        assert_eq!(expand_vars("$LATEST").unwrap(), "$LATEST");
        assert_eq!(expand_vars("$${PATH}").unwrap(), "${PATH}");
        assert_eq!(expand_vars("{\"a\": 1}").unwrap(), "{\"a\": 1}");
        assert_eq!(
            expand_vars("${LAMBDA_TEST_SURELY_UNSET_VARIABLE:-2}").unwrap(),
            "2"
        );
        assert_eq!(expand_vars("v${PATH:-none}").unwrap(), format!("v{path}"));
        let e = expand_vars("${LAMBDA_TEST_SURELY_UNSET_VARIABLE}").unwrap_err();
        assert!(e.to_string().contains("LAMBDA_TEST_SURELY_UNSET_VARIABLE"));
    }
}

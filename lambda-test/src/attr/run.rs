//! Running a test: invoking on the process-wide harness, `same_payload` matrices, and what
//! fails the test.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use super::{TestArgs, expand_vars};
use crate::Error;
use crate::client::function_url;
use crate::client::harness::{ClientOptions, Harness};
use crate::client::http_event::Integration;
use crate::client::invocation::Invocation;
use crate::client::outcome::Outcome;
use crate::client::target::Target;

type Matrix = Arc<tokio::sync::OnceCell<Result<Vec<Outcome>, String>>>;

/// The outcomes of `same_payload` matrices, invoked once per process and shared by the
/// matrix's tests.
static MATRICES: LazyLock<Mutex<HashMap<String, Matrix>>> = LazyLock::new(Mutex::default);

impl TestArgs {
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
        let options = self.client_options(&package_dir)?;
        let client = harness.client_with(&target, &options).await?;
        if self.via_url {
            return self
                .invoke_via_url(target, client, &options, function)
                .await;
        }
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

    /// `via = "url"`: the request to the function's Function URL, looked up with
    /// `GetFunctionUrlConfig` through the test's client (crate::client::function_url).
    async fn invoke_via_url(
        &self,
        target: Target,
        client: aws_sdk_lambda::Client,
        options: &ClientOptions,
        function: String,
    ) -> Result<Outcome, Error> {
        let keys = self.request.as_ref().ok_or_else(|| {
            Error::Payload("`via = \"url\"` sends an HTTP request: add `http = \"GET /\"`".into())
        })?;
        let request = keys.request()?;
        let qualifier = self.qualifier.as_deref().map(expand_vars).transpose()?;
        let harness = Harness::global();
        let credentials = harness.credentials_with(&target, options).await?;
        let outcome = harness
            .run(async move {
                let config = function_url::lookup(&client, &function, qualifier.as_deref()).await?;
                function_url::send(&client, credentials.as_ref(), &function, &config, &request)
                    .await
            })
            .await?;
        Ok(outcome.sent_to(target))
    }
}

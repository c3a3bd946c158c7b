//! What a `#[lambda_test]` expands to: one builder, one method per attribute key.

use std::path::Path;

use crate::Error;
use crate::harness::{Harness, Target};
use crate::invocation::{Invocation, InvocationType, LogType};
use crate::outcome::Outcome;

/// The arguments of one generated test. Not public API: the attribute's expansion builds it.
#[derive(Debug, Clone)]
pub struct TestArgs {
    package_dir: &'static str,
    function: String,
    qualifier: Option<String>,
    payload: Option<String>,
    invocation_type: InvocationType,
    log: LogType,
    client_context: Option<String>,
    tenant_id: Option<String>,
    endpoint_url: Option<String>,
}

impl TestArgs {
    /// Arguments for a test in the package at `package_dir` (`env!("CARGO_MANIFEST_DIR")`).
    pub fn new(package_dir: &'static str) -> Self {
        Self {
            package_dir,
            function: String::new(),
            qualifier: None,
            payload: None,
            invocation_type: InvocationType::RequestResponse,
            log: LogType::Tail,
            client_context: None,
            tenant_id: None,
            endpoint_url: None,
        }
    }

    /// `function = "..."`.
    pub fn function(mut self, function: &str) -> Self {
        self.function = function.to_owned();
        self
    }

    /// `qualifier = "..."`.
    pub fn qualifier(mut self, qualifier: &str) -> Self {
        self.qualifier = Some(qualifier.to_owned());
        self
    }

    /// `payload = "..."` (checked as JSON at compile time).
    pub fn payload(mut self, payload: &str) -> Self {
        self.payload = Some(payload.to_owned());
        self
    }

    /// `invocation_type = "..."`.
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

    /// insta settings for this test's snapshot: a description of the invocation in the
    /// snapshot header instead of the generated expression.
    pub fn snapshot_settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        settings.set_omit_expression(true);
        let mut description = format!("invoke `{}`", self.function);
        if let Some(q) = &self.qualifier {
            description.push_str(&format!(" qualifier `{q}`"));
        }
        if self.invocation_type != InvocationType::RequestResponse {
            description.push_str(&format!(" as {:?}", self.invocation_type));
        }
        if let Some(p) = &self.payload {
            let compact = serde_json::from_str::<serde_json::Value>(p)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| p.clone());
            description.push_str(&format!(" with {compact}"));
        }
        settings.set_description(description);
        settings
    }

    /// Invokes on the process-wide harness and returns the outcome; panics with the reason
    /// and the fix when the invocation cannot be made.
    pub fn run(self) -> Outcome {
        match Harness::global().block_on(self.invoke()) {
            Ok(outcome) => outcome,
            Err(e) => panic!("{e}"),
        }
    }

    async fn invoke(self) -> Result<Outcome, Error> {
        let function = expand_vars(&self.function)?;
        let endpoint_url = self.endpoint_url.as_deref().map(expand_vars).transpose()?;
        let target = Target::resolve(Path::new(self.package_dir), endpoint_url.as_deref())?;
        let harness = Harness::global();
        #[cfg(feature = "emulator")]
        if let Target::Local { package_dir } = &target {
            let local = harness.local(package_dir).await?;
            if let Ok(name) = crate::emulator::names::parse_function_name(&function) {
                local.emulator.check_binary(&name.name)?;
            }
        }
        let client = harness.client(&target).await?;
        let mut invocation = Invocation::new(function)
            .invocation_type(self.invocation_type)
            .log(self.log);
        if let Some(q) = &self.qualifier {
            invocation = invocation.qualifier(expand_vars(q)?);
        }
        if let Some(p) = &self.payload {
            invocation = invocation.payload(expand_vars(p)?);
        }
        if let Some(c) = &self.client_context {
            invocation = invocation.client_context(expand_vars(c)?);
        }
        if let Some(t) = &self.tenant_id {
            invocation = invocation.tenant_id(expand_vars(t)?);
        }
        harness
            .run(async move { invocation.send(&client).await })
            .await
    }
}

/// Replaces `${NAME}` with the environment variable `NAME`; `$${` is a literal `${`.
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
            let name = &var[..end];
            let value = std::env::var(name).map_err(|_| Error::MissingVariable(name.to_owned()))?;
            out.push_str(&value);
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
    fn expands_variables() {
        // PATH is set in every test environment.
        let path = std::env::var("PATH").unwrap();
        assert_eq!(expand_vars("a${PATH}b").unwrap(), format!("a{path}b"));
        assert_eq!(expand_vars("$LATEST").unwrap(), "$LATEST");
        assert_eq!(expand_vars("$${PATH}").unwrap(), "${PATH}");
        assert_eq!(expand_vars("{\"a\": 1}").unwrap(), "{\"a\": 1}");
        let e = expand_vars("${LAMBDA_TEST_SURELY_UNSET_VARIABLE}").unwrap_err();
        assert!(e.to_string().contains("LAMBDA_TEST_SURELY_UNSET_VARIABLE"));
    }
}

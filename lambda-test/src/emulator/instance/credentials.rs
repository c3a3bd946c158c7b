//! The credentials of functions with `aws = { credentials = "caller" }`: what `aws-config`'s
//! default chain resolves in this process, the one that runs the tests, passed to each new
//! instance as Lambda passes its execution role's.

use std::time::{Duration, SystemTime};

use aws_sdk_lambda::config::{BehaviorVersion, Credentials, ProvideCredentials as _};
use aws_smithy_types::error::display::DisplayErrorContext;
use tokio::sync::{Mutex, OnceCell};

/// Credentials this close to their expiry are resolved again before an instance gets them.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// The default chain, loaded once per process, and the credentials it last gave.
struct Caller {
    provider: OnceCell<Option<aws_sdk_lambda::config::SharedCredentialsProvider>>,
    last: Mutex<Option<Credentials>>,
}

static CALLER: Caller = Caller {
    provider: OnceCell::const_new(),
    last: Mutex::const_new(None),
};

/// The caller's credentials, resolved on first use and again when they near their expiry;
/// the error says what to do.
pub async fn caller_credentials() -> Result<Credentials, String> {
    let mut last = CALLER.last.lock().await;
    if let Some(credentials) = last.as_ref()
        && credentials
            .expiry()
            .is_none_or(|at| at > SystemTime::now() + REFRESH_BEFORE_EXPIRY)
    {
        return Ok(credentials.clone());
    }
    let provider = CALLER
        .provider
        .get_or_try_init(|| async {
            // The harness's HTTPS client (lambda-test's AWS crates have no default one), which
            // also trusts `AWS_CA_BUNDLE`: the chain's SSO, STS and IMDS requests go through it.
            let http_client = crate::client::harness::https_client(&Default::default())
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(
                aws_config::defaults(BehaviorVersion::latest())
                    .http_client(http_client)
                    .load()
                    .await
                    .credentials_provider(),
            )
        })
        .await?;
    let fix = "sign in as for the AWS CLI (AWS_PROFILE, `aws sso login`, AWS_ACCESS_KEY_ID...), or give the function `credentials = \"static\"` keys";
    let Some(provider) = provider else {
        return Err(format!(
            "aws-config's default chain has no credentials provider; {fix}"
        ));
    };
    let credentials = provider.provide_credentials().await.map_err(|e| {
        format!(
            "aws-config's default chain found none ({}); {fix}",
            DisplayErrorContext(&e)
        )
    })?;
    *last = Some(credentials.clone());
    Ok(credentials)
}

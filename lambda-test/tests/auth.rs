//! SigV4 verification and the permission model, through aws-sdk-lambda signing for real.

mod support;

use std::time::{Duration, SystemTime};

use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::error::ProvideErrorMetadata as _;
use aws_sdk_lambda::types::InvocationType;
use aws_smithy_async::time::StaticTimeSource;
use support::{raw, start};

const FUNCTIONS: &str = r#"
[emulator.principals.ci]
access_key_id = "AKIDCI"
secret_access_key = "ci-secret"

[emulator.principals.intern]
access_key_id = "AKIDINTERN"
secret_access_key = "intern-secret"
arn = "arn:aws:iam::123456789012:role/intern"

[functions.probe]
bin = "probe"
allow = ["ci", "intern"]

[functions.probe.versions.1]

[functions.probe.aliases]
live = { version = "1", allow = ["ci"] }

[functions.open]
bin = "probe"
"#;

fn client_as(
    endpoint: &str,
    key: &str,
    secret: &str,
    at: Option<SystemTime>,
) -> aws_sdk_lambda::Client {
    let mut config = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .retry_config(RetryConfig::disabled())
        // A plain HTTP client: lambda-test builds the SDK without its default HTTPS one.
        .http_client(aws_smithy_http_client::Builder::new().build_http());
    if let Some(at) = at {
        config = config.time_source(StaticTimeSource::new(at));
    }
    aws_sdk_lambda::Client::from_conf(config.build())
}

async fn refusal(client: &aws_sdk_lambda::Client, name: &str, dry_run: bool) -> (String, String) {
    let mut call = client.invoke().function_name(name);
    if dry_run {
        call = call.invocation_type(InvocationType::DryRun);
    }
    let e = call.send().await.expect_err("refused");
    (
        e.code().unwrap_or("(none)").to_owned(),
        e.message().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn signed_requests_from_declared_principals_pass() {
    let (emulator, _) = start(FUNCTIONS).await;
    let ci = client_as(emulator.endpoint(), "AKIDCI", "ci-secret", None);
    for name in ["probe", "probe:live", "probe:1", "open"] {
        let out = ci.invoke().function_name(name).send().await;
        assert_eq!(out.expect(name).status_code(), 200, "{name}");
    }
    let dry = ci
        .invoke()
        .function_name("probe:live")
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .expect("allowed dry run");
    assert_eq!(dry.status_code(), 204);
}

#[tokio::test]
async fn principals_outside_the_allow_list_get_access_denied() {
    let (emulator, _) = start(FUNCTIONS).await;
    let intern = client_as(emulator.endpoint(), "AKIDINTERN", "intern-secret", None);
    // Allowed on the function, not on the alias: DryRun says so without running anything.
    assert_eq!(
        intern
            .invoke()
            .function_name("probe")
            .send()
            .await
            .unwrap()
            .status_code(),
        200
    );
    for dry_run in [false, true] {
        let (code, message) = refusal(&intern, "probe:live", dry_run).await;
        assert_eq!(code, "AccessDeniedException");
        assert_eq!(
            message,
            "User: arn:aws:iam::123456789012:role/intern is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:probe:live because no resource-based policy allows the lambda:InvokeFunction action"
        );
    }
}

#[tokio::test]
async fn bad_credentials_and_signatures() {
    let (emulator, _) = start(FUNCTIONS).await;
    let endpoint = emulator.endpoint();
    let (code, message) = refusal(
        &client_as(endpoint, "AKIDCI", "wrong-secret", None),
        "open",
        false,
    )
    .await;
    assert_eq!(code, "InvalidSignatureException");
    assert!(
        message.starts_with("The request signature we calculated does not match"),
        "{message}"
    );
    let (code, message) =
        refusal(&client_as(endpoint, "AKIDNOBODY", "x", None), "open", false).await;
    assert_eq!(code, "UnrecognizedClientException");
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );
    let ten_minutes_ago = SystemTime::now() - Duration::from_secs(600);
    let (code, message) = refusal(
        &client_as(endpoint, "AKIDCI", "ci-secret", Some(ten_minutes_ago)),
        "open",
        false,
    )
    .await;
    assert_eq!(code, "InvalidSignatureException");
    assert!(message.starts_with("Signature expired: "), "{message}");
    let ahead = SystemTime::now() + Duration::from_secs(600);
    let (_, message) = refusal(
        &client_as(endpoint, "AKIDCI", "ci-secret", Some(ahead)),
        "open",
        false,
    )
    .await;
    assert!(
        message.starts_with("Signature not yet current: "),
        "{message}"
    );

    let unsigned = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/open/invocations",
        &[],
        b"{}",
    )
    .await;
    assert_eq!(unsigned.status, 403);
    assert_eq!(
        unsigned.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
    let garbled = raw(
        &emulator,
        "POST",
        "/2015-03-31/functions/open/invocations",
        &[(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDCI/20260101/us-east-1/lambda/aws4_request",
        )],
        b"{}",
    )
    .await;
    assert_eq!(garbled.status, 400);
    assert_eq!(
        garbled.header("x-amzn-errortype"),
        Some("IncompleteSignatureException")
    );
}

/// Replaces the body after the SDK signed the request: a signature covers the body.
#[derive(Debug)]
struct TamperWithBody;

impl aws_sdk_lambda::config::Intercept for TamperWithBody {
    fn name(&self) -> &'static str {
        "TamperWithBody"
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_sdk_lambda::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _: &aws_sdk_lambda::config::RuntimeComponents,
        _: &mut aws_sdk_lambda::config::ConfigBag,
    ) -> Result<(), aws_sdk_lambda::error::BoxError> {
        // Same length: only the signature can tell.
        *context.request_mut().body_mut() = aws_sdk_lambda::primitives::SdkBody::from(r#"{"a":2}"#);
        Ok(())
    }
}

#[tokio::test]
async fn a_tampered_body_fails_the_signature() {
    let (emulator, _) = start(FUNCTIONS).await;
    let client = client_as(emulator.endpoint(), "AKIDCI", "ci-secret", None);
    let send = |tamper: bool| {
        let mut call = client
            .invoke()
            .function_name("open")
            .payload(aws_sdk_lambda::primitives::Blob::new(r#"{"a":1}"#))
            .customize();
        if tamper {
            call = call.interceptor(TamperWithBody);
        }
        call.send()
    };
    assert!(send(false).await.is_ok(), "the untouched request passes");
    let e = send(true).await.expect_err("the tampered body is refused");
    assert_eq!(e.code(), Some("InvalidSignatureException"));
}

/// The AWS CLI (botocore signs differently from the Rust SDK: other signed headers, no
/// Content-Type) passes verification, and is refused where its principal is not allowed.
#[tokio::test]
async fn aws_cli_signatures_verify_and_permissions_apply() {
    let (emulator, _) = start(FUNCTIONS).await;
    let aws = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/aws");
    assert!(
        std::path::Path::new(aws).exists(),
        "the AWS CLI is missing: run ./scripts/test-all, which installs it into .venv"
    );
    let out_file = support::temp_dir().join("out.json");
    let cli = |key: &str, secret: &str, name: &str| {
        tokio::process::Command::new(aws)
            .args(["lambda", "invoke", "--endpoint-url", emulator.endpoint()])
            .args(["--region", "us-east-1", "--function-name", name])
            .args(["--payload", r#"{"from":"cli"}"#])
            .arg(&out_file)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
    };
    let ok = cli("AKIDCI", "ci-secret", "probe:live")
        .await
        .expect("aws runs");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("json");
    assert_eq!(printed["StatusCode"], 200);
    assert_eq!(printed["ExecutedVersion"], "1");
    let payload: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(payload["event"]["from"], "cli");

    let denied = cli("AKIDINTERN", "intern-secret", "probe:live")
        .await
        .expect("aws runs");
    assert_eq!(
        denied.status.code(),
        Some(255),
        "CLI v1 exits 255 on a service error"
    );
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(
        stderr.contains("An error occurred (AccessDeniedException) when calling the Invoke operation: User: arn:aws:iam::123456789012:role/intern is not authorized"),
        "{stderr}"
    );
    let forged = cli("AKIDCI", "not-the-secret", "open")
        .await
        .expect("aws runs");
    assert!(
        String::from_utf8_lossy(&forged.stderr).contains("(InvalidSignatureException)"),
        "{}",
        String::from_utf8_lossy(&forged.stderr)
    );
}

//! A test through the function's Function URL (`via = "url"`) instead of the Invoke API.
//!
//! One path for every target: the URL is looked up with `GetFunctionUrlConfig` (the
//! qualifier is the URL's alias) through the test's `aws-sdk-lambda` client, so locally the
//! local Lambda answers with its own `/lambda-url/<function>/` and on AWS the function's
//! `https://<id>.lambda-url.<region>.on.aws/`. The request goes through the SDK's own HTTP
//! connector (hyper 1 and rustls: no second HTTP stack), signed with SigV4 for service
//! `lambda` with the client's credentials and region when the URL's auth type is `AWS_IAM`.
//! A `RESPONSE_STREAM` URL's body is read chunk by chunk as it arrives.
//!
//! The outcome's payload is the response body; the snapshot shows the HTTP response
//! ([`crate::HttpResponseRecord`]) without the headers the transport and the platform add
//! ([`TRANSPORT_HEADERS`]), so that a local snapshot also holds on AWS.

use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_lambda::config::{ProvideCredentials as _, SharedCredentialsProvider};
use aws_sdk_lambda::error::ProvideErrorMetadata as _;
use aws_sdk_lambda::primitives::ByteStream;
use aws_sdk_lambda::types::{FunctionUrlAuthType, InvokeMode};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::{Connector, tls};
use aws_smithy_runtime_api::client::http::HttpConnector as _;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest as SmithyRequest;
use aws_smithy_types::body::SdkBody;

use crate::Error;
use crate::client::http_event::HttpRequest;
use crate::client::outcome::Outcome;
use crate::client::sdk_error;
use crate::client::stream::Streamed;

/// Response headers that describe the connection or the platform, not the function's answer:
/// left out of the snapshot (they differ between the local Lambda and AWS, or on every
/// request).
pub(crate) const TRANSPORT_HEADERS: [&str; 7] = [
    "connection",
    "content-length",
    "date",
    "keep-alive",
    "transfer-encoding",
    "x-amzn-requestid",
    "x-amzn-trace-id",
];

/// What `GetFunctionUrlConfig` says about a function's URL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UrlConfig {
    /// `FunctionUrl`, with its trailing `/`.
    pub(crate) url: String,
    /// `AuthType = AWS_IAM`: requests must be signed.
    pub(crate) signed: bool,
    /// `InvokeMode = RESPONSE_STREAM`.
    pub(crate) streaming: bool,
}

/// The HTTP head of a Function URL's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UrlResponse {
    /// The status code.
    pub(crate) status: u16,
    /// Every header, names lower-case, in the order received.
    pub(crate) headers: Vec<(String, String)>,
    /// Why the body broke off before its end, when it did (a streamed answer whose function
    /// failed after the head went out).
    pub(crate) broken: Option<String>,
}

/// The SDK's connector (hyper 1, rustls on ring: the provider of every client lambda-test
/// builds), built once: it keeps its connections.
static CONNECTOR: LazyLock<Connector> = LazyLock::new(|| {
    Connector::builder()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build()
});

/// `GetFunctionUrlConfig` of `function` (and the URL's alias `qualifier`).
pub(crate) async fn lookup(
    client: &aws_sdk_lambda::Client,
    function: &str,
    qualifier: Option<&str>,
) -> Result<UrlConfig, Error> {
    let answer = client
        .get_function_url_config()
        .function_name(function)
        .set_qualifier(qualifier.map(str::to_owned))
        .send()
        .await
        .map_err(|e| Error::Invoke {
            function: function.to_owned(),
            code: e.code().map(str::to_owned),
            message: format!(
                "`via = \"url\"` looks the URL up with GetFunctionUrlConfig: {}; the function \
                 needs a Function URL (`[functions.<name>.url]` in lambda-test.toml, or \
                 `aws lambda create-function-url-config`)",
                sdk_error::describe(&e, None)
            ),
        })?;
    Ok(UrlConfig {
        url: answer.function_url().to_owned(),
        signed: *answer.auth_type() == FunctionUrlAuthType::AwsIam,
        streaming: answer.invoke_mode() == Some(&InvokeMode::ResponseStream),
    })
}

/// Sends `request` to the URL and reads the whole answer, chunk by chunk.
pub(crate) async fn send(
    client: &aws_sdk_lambda::Client,
    credentials: Option<&SharedCredentialsProvider>,
    function: &str,
    config: &UrlConfig,
    request: &HttpRequest,
) -> Result<Outcome, Error> {
    let failed = |message: String| Error::Invoke {
        function: function.to_owned(),
        code: None,
        message,
    };
    let mut http = build(config, request).map_err(&failed)?;
    if config.signed {
        sign_request(client, credentials, &mut http, request.body_bytes())
            .await
            .map_err(|e| failed(format!("failed to sign the request to {}: {e}", config.url)))?;
    }
    let sent = Instant::now();
    let smithy = SmithyRequest::try_from(http).map_err(|e| failed(e.to_string()))?;
    let response = CONNECTOR
        .call(smithy)
        .await
        .map_err(|e| failed(format!("failed to reach {}: {e:?}", config.url)))?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    let (body, chunks, first_byte, broken) = read_body(response.into_body().into(), sent).await;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    Ok(Outcome {
        status_code: status,
        function_error: None,
        executed_version: None,
        payload: (!body.is_empty()).then_some(body),
        log: None,
        request_id: header("x-amzn-requestid"),
        target: None,
        stream: config.streaming.then(|| Streamed {
            content_type: header("content-type"),
            chunks,
            first_byte,
            error: None,
        }),
        url: Some(UrlResponse {
            status,
            headers,
            broken,
        }),
    })
}

/// The request to the URL: its path below the URL's root, the query, headers, cookies (one
/// `cookie` header, as browsers send them) and body.
fn build(config: &UrlConfig, request: &HttpRequest) -> Result<http::Request<SdkBody>, String> {
    let root = config.url.trim_end_matches('/');
    let mut uri = format!("{root}{}", request.path());
    if !request.query().is_empty() {
        uri.push('?');
        uri.push_str(request.query());
    }
    let mut builder = http::Request::builder()
        .method(request.method().clone())
        .uri(&uri);
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if !request.cookies().is_empty() {
        builder = builder.header("cookie", request.cookies().join("; "));
    }
    let body = request.body_bytes();
    builder
        .body(SdkBody::from(body.to_vec()))
        .map_err(|e| format!("`{uri}` is not a request to send: {e}"))
}

/// SigV4 for service `lambda`, with the credentials and region of the test's client (a
/// principal of lambda-test.toml locally, the default chain, `profile` or `role_arn` on AWS).
async fn sign_request(
    client: &aws_sdk_lambda::Client,
    credentials: Option<&SharedCredentialsProvider>,
    request: &mut http::Request<SdkBody>,
    body: &[u8],
) -> Result<(), String> {
    let config = client.config();
    let provider = credentials.ok_or(
        "the URL's auth type is AWS_IAM, and `no_sign_request` sends it unsigned (AWS answers 403)",
    )?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| format!("no credentials: {e}"))?;
    let region = config
        .region()
        .map(|r| r.as_ref().to_owned())
        .ok_or("no region")?;
    let identity = Identity::from(credentials);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name("lambda")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let signable = SignableRequest::new(
        request.method().as_str(),
        request.uri().to_string(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

/// The body as it arrives: its bytes, the number of non-empty chunks, the time from sending
/// to the first byte, and why it broke off, if it did.
async fn read_body(
    mut stream: ByteStream,
    sent: Instant,
) -> (Vec<u8>, usize, Option<Duration>, Option<String>) {
    let (mut body, mut chunks, mut first_byte) = (Vec::new(), 0, None);
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) if chunk.is_empty() => {}
            Ok(chunk) => {
                first_byte.get_or_insert_with(|| sent.elapsed());
                chunks += 1;
                body.extend_from_slice(&chunk);
            }
            Err(e) => return (body, chunks, first_byte, Some(e.to_string())),
        }
    }
    (body, chunks, first_byte, None)
}

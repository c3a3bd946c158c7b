//! Who is calling: SigV4 verification (lambda-api.md section 10) and the permission model.
//!
//! With no principals declared, the local Lambda accepts any request, signed or not (what
//! local emulators usually do). Once `[emulator.principals]` declares any, every request must
//! be signed by one of them, for this local Lambda's region, and a function or alias with an
//! `allow` list refuses the others with `AccessDeniedException`, `DryRun` included.
//!
//! The expected signature is `aws-sigv4`'s, computed over the request as it arrived: its
//! method, its path as on the wire, its query, the headers its `SignedHeaders` names and the
//! body received (never a hash the client sent). Only the parsing of the `Authorization`
//! header and AWS's wording of the refusals are ours.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_lambda::config::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use axum::http::Uri;
use axum::http::request::Parts;
use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq as _;

use crate::emulator::api::error::AwsError;

mod authorization;
use authorization::{Authorization, authorization_header};

/// How far a request's clock may be from ours.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// The only algorithm Lambda takes (SigV4a is refused, lambda-api.md 10.4).
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The service a Lambda request is signed for.
const SERVICE: &str = "lambda";

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// A declared caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Its name in the config.
    pub name: String,
    /// Access key id it signs with.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: String,
    /// Its ARN, as AWS names it in `AccessDeniedException`.
    pub arn: String,
}

/// The verified caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Verification is off.
    Anyone,
    /// A declared principal whose signature checked out.
    Principal(Principal),
}

impl Caller {
    /// Whether an `allow` list admits this caller; no list admits everyone.
    pub fn allowed_by(&self, allow: Option<&[String]>) -> bool {
        match (allow, self) {
            (None, _) => true,
            (Some(list), _) if list.iter().any(|a| a == "*") => true,
            (Some(_), Caller::Anyone) => false,
            (Some(list), Caller::Principal(p)) => list.iter().any(|a| *a == p.name || *a == p.arn),
        }
    }

    /// Who sent a request, for the serve log: a verified principal by its name; without
    /// verification, the access key the request was signed with (`parts` tells it), marked
    /// as a session's when it came with a token. `None` for an unsigned request.
    pub fn describe(&self, parts: &Parts) -> Option<String> {
        match self {
            Caller::Principal(p) => Some(format!("principal {}", p.name)),
            Caller::Anyone => {
                let header = parts.headers.get("authorization")?.to_str().ok()?;
                let key = header.split("Credential=").nth(1)?.split('/').next()?;
                let session = if parts.headers.contains_key("x-amz-security-token") {
                    " (session)"
                } else {
                    ""
                };
                Some(format!("key {key}{session}"))
            }
        }
    }

    /// The ARN AWS names in an access-denied message.
    pub fn arn(&self) -> &str {
        match self {
            Caller::Anyone => "anonymous",
            Caller::Principal(p) => &p.arn,
        }
    }
}

/// The request verifier of one local Lambda.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    by_key: BTreeMap<String, Principal>,
    /// The one region signatures must be scoped to; `None` takes any valid region.
    region: Option<String>,
}

impl Auth {
    /// A verifier for these principals; none turns verification off. It takes signatures
    /// for any valid region until [`Auth::in_region`] pins one ([`Auth::from_config`] does).
    pub fn new(principals: impl IntoIterator<Item = Principal>) -> Self {
        Self {
            by_key: principals
                .into_iter()
                .map(|p| (p.access_key_id.clone(), p))
                .collect(),
            region: None,
        }
    }

    /// This verifier, refusing signatures scoped to any region but `region`, as AWS does.
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The verifier of a config's `[emulator.principals]`, in the config's region.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self::new(config.emulator.principals.values().map(|p| Principal {
            name: p.name.clone(),
            access_key_id: p.access_key_id.clone(),
            secret_access_key: p.secret_access_key.clone(),
            arn: p.arn.clone(),
        }))
        .in_region(config.emulator.region.clone())
    }

    /// Whether any principal is declared (and so verification is on).
    pub fn is_on(&self) -> bool {
        !self.by_key.is_empty()
    }

    /// The principal with this name (or ARN).
    pub fn principal(&self, name: &str) -> Option<&Principal> {
        self.by_key
            .values()
            .find(|p| p.name == name || p.arn == name)
    }

    /// Verifies the request's signature against the body it carried.
    pub fn verify(&self, parts: &Parts, body: &[u8]) -> Result<Caller, AwsError> {
        self.verify_at(parts, body, SystemTime::now())
    }

    /// The checks in AWS's order (lambda-api.md 10.2): the header, the scope, the time, the
    /// key, then the signature.
    fn verify_at(&self, parts: &Parts, body: &[u8], now: SystemTime) -> Result<Caller, AwsError> {
        if self.by_key.is_empty() {
            return Ok(Caller::Anyone);
        }
        let authorization = Authorization::parse(authorization_header(parts)?)?;
        let scope = self.scope(authorization.credential)?;
        let request_time = request_time(parts, &scope, now)?;
        let principal = self.signer(parts, scope.key_id)?;
        if !authorization.signed_headers.split(';').any(|h| h == "host") {
            return Err(invalid(
                "'Host' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
        let expected = expected_signature(
            parts,
            body,
            &authorization,
            &scope,
            request_time,
            &principal.secret_access_key,
        );
        match expected {
            Some(expected) if expected.matches(&authorization) => {
                Ok(Caller::Principal(principal.clone()))
            }
            _ => Err(invalid(SIGNATURE_MISMATCH)),
        }
    }

    /// The Credential's scope, checked part by part with AWS's messages.
    fn scope<'a>(&self, credential: &'a str) -> Result<Scope<'a>, AwsError> {
        let parts: Vec<&str> = credential.split('/').collect();
        let [key_id, date, region, service, terminator] = parts[..] else {
            return Err(AwsError::incomplete_signature(format!(
                "Credential should have 5 parts: '{credential}'"
            )));
        };
        if terminator != "aws4_request" {
            return Err(invalid(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            )));
        }
        if service != SERVICE {
            return Err(invalid(
                "Credential should be scoped to correct service: 'lambda'.",
            ));
        }
        // AWS words a region that is not its own as it words one that is no region at all.
        let foreign = self.region.as_deref().is_some_and(|ours| ours != region);
        if foreign || !crate::config::is_region(region) {
            return Err(invalid(format!(
                "Credential should be scoped to a valid region, not '{region}'."
            )));
        }
        Ok(Scope {
            key_id,
            date,
            region,
        })
    }

    /// The declared principal that signed, refusing session tokens: principals sign with
    /// long-term keys, so any token is one AWS would not recognize.
    fn signer(&self, parts: &Parts, key_id: &str) -> Result<&Principal, AwsError> {
        let unrecognized = || {
            AwsError::auth(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        };
        let principal = self.by_key.get(key_id).ok_or_else(unrecognized)?;
        if parts.headers.contains_key("x-amz-security-token") {
            return Err(unrecognized());
        }
        Ok(principal)
    }
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::auth("InvalidSignatureException", message)
}

/// The checked parts of a Credential the signature depends on.
struct Scope<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
}

/// The request time, from `X-Amz-Date`: on the scope's date and within five minutes of ours.
fn request_time(parts: &Parts, scope: &Scope<'_>, now: SystemTime) -> Result<SystemTime, AwsError> {
    let Some(amz_date) = parts
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
    else {
        return Err(AwsError::incomplete_signature(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    let Some(request_time) = super::clock::parse_amz_date(amz_date) else {
        return Err(AwsError::incomplete_signature(format!(
            "Invalid X-Amz-Date: '{amz_date}'"
        )));
    };
    let date = scope.date;
    if amz_date[..8] != *date {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date}'.",
            &amz_date[..8]
        )));
    }
    let stamp = super::clock::amz_date;
    if let Ok(ahead) = request_time.duration_since(now)
        && ahead > MAX_SKEW
    {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
            stamp(now + MAX_SKEW),
            stamp(now)
        )));
    }
    if let Ok(behind) = now.duration_since(request_time)
        && behind > MAX_SKEW
    {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
            stamp(now - MAX_SKEW),
            stamp(now)
        )));
    }
    Ok(request_time)
}

/// What `aws-sigv4` signs for the request as received.
struct Expected {
    signed_headers: String,
    signature: String,
}

impl Expected {
    /// The client's list must be the one rebuilt, and its signature the one computed.
    fn matches(&self, authorization: &Authorization<'_>) -> bool {
        self.signed_headers == authorization.signed_headers
            && bool::from(
                self.signature
                    .as_bytes()
                    .ct_eq(authorization.signature.as_bytes()),
            )
    }
}

/// Signs the request as received, with the settings SDKs sign Lambda requests with; `None`
/// when it cannot be what a signer signed (see [`signed_header_values`], [`signable_uri`]).
fn expected_signature(
    parts: &Parts,
    body: &[u8],
    authorization: &Authorization<'_>,
    scope: &Scope<'_>,
    time: SystemTime,
    secret: &str,
) -> Option<Expected> {
    let headers = signed_header_values(parts, authorization.signed_headers)?;
    let uri = signable_uri(&parts.uri)?;
    let identity = Credentials::new(scope.key_id, secret, None, None, "lambda-test.toml").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Double;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Enabled;
    // The payload line is always the hash of the body received, whatever the client sent.
    settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
    settings.signature_location = SignatureLocation::Headers;
    // Sign exactly the headers the client named: the list comes from the request already.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .ok()?
        .into();
    let request = SignableRequest::new(
        parts.method.as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .ok()?;
    let (instructions, signature) = sign(request, &params).ok()?.into_parts();
    let (_, authorization) = instructions
        .headers()
        .find(|(name, _)| *name == "authorization")?;
    let signed_headers = authorization
        .split(", ")
        .find_map(|part| part.strip_prefix("SignedHeaders="))?
        .to_owned();
    Some(Expected {
        signed_headers,
        signature,
    })
}

/// The received value of each header `SignedHeaders` names. `None` when the list is not one a
/// signer writes (lowercase, sorted, each name once), or a named header is absent, not text,
/// or repeated: repeated values verify joined (`a,b`) while the Invoke API reads the first.
fn signed_header_values<'a>(
    parts: &'a Parts,
    signed_headers: &'a str,
) -> Option<Vec<(&'a str, &'a str)>> {
    let names: Vec<&str> = signed_headers.split(';').collect();
    let canonical = names.windows(2).all(|pair| pair[0] < pair[1])
        && names
            .iter()
            .all(|name| !name.is_empty() && !name.bytes().any(|b| b.is_ascii_uppercase()));
    if !canonical {
        return None;
    }
    names
        .into_iter()
        .map(|name| {
            let mut values = parts.headers.get_all(name).iter();
            let value = values.next()?.to_str().ok()?;
            values.next().is_none().then_some((name, value))
        })
        .collect()
}

/// The path exactly as received and the query. `None` for a query naming a parameter twice:
/// SigV4 sorts parameters, so their order (which one the Invoke API reads) is unsigned.
fn signable_uri(uri: &Uri) -> Option<String> {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return Some(path.to_owned());
    };
    let mut names: Vec<Vec<u8>> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| percent_decode_str(pair.split('=').next().unwrap_or_default()).collect())
        .collect();
    let count = names.len();
    names.sort();
    names.dedup();
    if names.len() != count {
        return None;
    }
    // aws-sigv4 reads `+` as a space (form encoding); the Invoke API, as AWS, reads a `+`.
    Some(format!("{path}?{}", query.replace('+', "%2B")))
}

#[cfg(test)]
mod verification_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists() {
        let p = Principal {
            name: "ci".into(),
            access_key_id: "AKID".into(),
            secret_access_key: "s".into(),
            arn: "arn:aws:iam::123456789012:user/ci".into(),
        };
        let caller = Caller::Principal(p);
        assert!(caller.allowed_by(None));
        assert!(caller.allowed_by(Some(&["ci".into()])));
        assert!(caller.allowed_by(Some(&["arn:aws:iam::123456789012:user/ci".into()])));
        assert!(!caller.allowed_by(Some(&["deployer".into()])));
        assert!(!Caller::Anyone.allowed_by(Some(&["ci".into()])));
    }
}

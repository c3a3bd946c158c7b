//! Who is calling: SigV4 verification (lambda-api.md section 10) and the permission model.
//!
//! With no principals declared, the local Lambda accepts any request, signed or not (what
//! local emulators usually do). Once `[emulator.principals]` declares any, every request must
//! be signed by one of them, and a function or alias with an `allow` list refuses the others
//! with `AccessDeniedException`, `DryRun` included.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use axum::http::request::Parts;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::aws_error::AwsError;

type HmacSha256 = Hmac<Sha256>;

/// How far a request's clock may be from ours.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

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
}

impl Auth {
    /// A verifier for these principals; none turns verification off.
    pub fn new(principals: impl IntoIterator<Item = Principal>) -> Self {
        Self {
            by_key: principals
                .into_iter()
                .map(|p| (p.access_key_id.clone(), p))
                .collect(),
        }
    }

    /// The verifier of a config's `[emulator.principals]`.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self::new(config.emulator.principals.values().map(|p| Principal {
            name: p.name.clone(),
            access_key_id: p.access_key_id.clone(),
            secret_access_key: p.secret_access_key.clone(),
            arn: p.arn.clone(),
        }))
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

    fn verify_at(&self, parts: &Parts, body: &[u8], now: SystemTime) -> Result<Caller, AwsError> {
        if self.by_key.is_empty() {
            return Ok(Caller::Anyone);
        }
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let incomplete = |m: String| AwsError::incomplete_signature(m);
        let Some(authorization) = header("authorization") else {
            return Err(AwsError::auth(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ));
        };
        let Some(fields) = authorization.strip_prefix("AWS4-HMAC-SHA256 ") else {
            return Err(incomplete(format!(
                "Unsupported authorization type: '{}'; use AWS4-HMAC-SHA256",
                authorization.split(' ').next().unwrap_or_default()
            )));
        };
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for field in fields.split(',') {
            match field.trim().split_once('=') {
                Some(("Credential", v)) => credential = Some(v),
                Some(("SignedHeaders", v)) => signed_headers = Some(v),
                Some(("Signature", v)) => signature = Some(v),
                _ => {}
            }
        }
        let missing: Vec<&str> = [
            ("Credential", credential.is_none()),
            ("Signature", signature.is_none()),
            ("SignedHeaders", signed_headers.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(n, _)| *n)
        .collect();
        if !missing.is_empty() {
            return Err(incomplete(format!(
                "Authorization header requires {} parameter(s). Authorization={authorization}",
                missing.join(", ")
            )));
        }
        let (credential, signed_headers, signature) = (
            credential.unwrap_or_default(),
            signed_headers.unwrap_or_default(),
            signature.unwrap_or_default(),
        );
        let scope: Vec<&str> = credential.split('/').collect();
        let [key_id, date, region, service, terminator] = scope[..] else {
            return Err(incomplete(format!(
                "Credential should have 5 parts: '{credential}'"
            )));
        };
        let invalid = |m: String| AwsError::auth("InvalidSignatureException", m);
        if terminator != "aws4_request" {
            return Err(invalid(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            )));
        }
        if service != "lambda" {
            return Err(invalid(
                "Credential should be scoped to correct service: 'lambda'.".to_owned(),
            ));
        }
        if !crate::config::is_region(region) {
            return Err(invalid(format!(
                "Credential should be scoped to a valid region, not '{region}'."
            )));
        }
        let Some(amz_date) = header("x-amz-date") else {
            return Err(incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                    .to_owned(),
            ));
        };
        let Some(request_time) = super::clock::parse_amz_date(amz_date) else {
            return Err(incomplete(format!("Invalid X-Amz-Date: '{amz_date}'")));
        };
        if !amz_date.starts_with(date) || date.len() != 8 {
            return Err(invalid(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date}'.",
                &amz_date[..8.min(amz_date.len())]
            )));
        }
        if let Ok(ahead) = request_time.duration_since(now)
            && ahead > MAX_SKEW
        {
            return Err(invalid(format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
                super::clock::amz_date(now + MAX_SKEW),
                super::clock::amz_date(now)
            )));
        }
        if let Ok(behind) = now.duration_since(request_time)
            && behind > MAX_SKEW
        {
            return Err(invalid(format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
                super::clock::amz_date(now - MAX_SKEW),
                super::clock::amz_date(now)
            )));
        }
        let Some(principal) = self.by_key.get(key_id) else {
            return Err(AwsError::auth(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        };
        let names: Vec<&str> = signed_headers.split(';').collect();
        if !names.contains(&"host") {
            return Err(invalid(
                "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
            ));
        }
        let canonical = canonical_request(parts, &names, signed_headers, body);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(
            format!("AWS4{}", principal.secret_access_key).as_bytes(),
            date,
        );
        for part in [region, service, "aws4_request"] {
            key = hmac(&key, part);
        }
        let mut mac = HmacSha256::new_from_slice(&key).expect("hmac takes any key");
        mac.update(string_to_sign.as_bytes());
        let matches = hex::decode(signature)
            .ok()
            .is_some_and(|given| mac.verify_slice(&given).is_ok());
        if !matches {
            return Err(invalid(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
                    .to_owned(),
            ));
        }
        Ok(Caller::Principal(principal.clone()))
    }
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes any key");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The canonical request of SigV4, rebuilt from what arrived and the client's SignedHeaders.
fn canonical_request(parts: &Parts, names: &[&str], signed_headers: &str, body: &[u8]) -> String {
    let payload_hash = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    let mut headers = String::new();
    for name in names {
        let values: Vec<String> = parts
            .headers
            .get_all(*name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{}\n{}\n{}\n{headers}\n{signed_headers}\n{payload_hash}",
        parts.method,
        canonical_uri(parts.uri.path()),
        canonical_query(parts.uri.query().unwrap_or_default())
    )
}

/// SDKs encode the path once to send it and once more to sign it (all services but S3).
fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let normalized = segments.join("/");
    let normalized = if normalized.is_empty() {
        "/".to_owned()
    } else {
        normalized
    };
    encode(&normalized, true)
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
            (
                encode_bytes(&decode(name), false),
                encode_bytes(&decode(value), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str, keep_slash: bool) -> String {
    encode_bytes(text.as_bytes(), keep_slash)
}

fn encode_bytes(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uri_is_encoded_twice() {
        assert_eq!(
            canonical_uri("/2015-03-31/functions/my-fn%3Aprod/invocations"),
            "/2015-03-31/functions/my-fn%253Aprod/invocations"
        );
    }

    #[test]
    fn canonical_query_sorts_and_reencodes() {
        assert_eq!(
            canonical_query("Qualifier=%24LATEST"),
            "Qualifier=%24LATEST"
        );
        assert_eq!(canonical_query("b=2&a=1&a"), "a=&a=1&b=2");
    }

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

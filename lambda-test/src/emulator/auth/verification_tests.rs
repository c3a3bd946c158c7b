//! The verifier against a SigV4 signer written by hand from lambda-api.md 10.2 (not
//! `aws-sigv4`), so that a fault the crate shared between signing and verifying would show.

use std::time::SystemTime;

use axum::http::Request;
use axum::http::request::Parts;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{Auth, AwsError, Caller, Principal};

const DATE: &str = "20260115T101500Z";
const PATH: &str = "/2015-03-31/functions/my-fn%3Aprod/invocations";

fn ci() -> Principal {
    Principal {
        name: "ci".into(),
        access_key_id: "AKIDCI".into(),
        secret_access_key: "ci-secret".into(),
        arn: "arn:aws:iam::123456789012:user/ci".into(),
    }
}

fn auth() -> Auth {
    Auth::new([ci()]).in_region("us-east-1")
}

fn at_date() -> SystemTime {
    crate::emulator::clock::parse_amz_date(DATE).unwrap()
}

/// How the reference client signs.
struct Signer<'a> {
    region: &'a str,
    /// The canonical path; SDKs encode the wire path once more ([`canonical_uri`]).
    double_encode: bool,
    /// The payload line, when not the body's hash (a client-sent `x-amz-content-sha256`).
    payload_hash: Option<&'a str>,
}

const CLIENT: Signer<'static> = Signer {
    region: "us-east-1",
    double_encode: true,
    payload_hash: None,
};

/// A request as a client sends it: `headers` are signed (sorted by name), with Host and
/// X-Amz-Date added.
fn signed(signer: &Signer<'_>, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Parts {
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
        .collect();
    all.push(("host".into(), "localhost:9000".into()));
    all.push(("x-amz-date".into(), DATE.into()));
    all.sort();
    let mut parts = Request::builder()
        .method("POST")
        .uri(uri)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    let signed_headers = names.join(";");
    let canonical_headers: String = all.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let path = parts.uri.path();
    let body_hash = hex::encode(Sha256::digest(body));
    let canonical = format!(
        "POST\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        if signer.double_encode {
            canonical_uri(path)
        } else {
            path.to_owned()
        },
        canonical_query(parts.uri.query().unwrap_or_default()),
        signer.payload_hash.unwrap_or(&body_hash)
    );
    let scope = format!("{}/{}/lambda/aws4_request", &DATE[..8], signer.region);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{DATE}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(b"AWS4ci-secret", &DATE[..8]);
    for part in [signer.region, "lambda", "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex::encode(hmac(&key, &string_to_sign));
    for (name, value) in &all {
        parts.headers.append(
            name.parse::<axum::http::HeaderName>().unwrap(),
            value.parse().unwrap(),
        );
    }
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDCI/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    );
    parts
        .headers
        .insert("authorization", authorization.parse().unwrap());
    parts
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac takes any key");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
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
    encode_bytes(normalized.as_bytes(), true)
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

fn refusal(auth: &Auth, parts: &Parts, body: &[u8]) -> (&'static str, String) {
    let e: AwsError = auth.verify_at(parts, body, at_date()).expect_err("refused");
    (e.error_type, e.message)
}

const MISMATCH: (&str, &str) = ("InvalidSignatureException", super::SIGNATURE_MISMATCH);

fn is_mismatch(refused: (&'static str, String)) -> bool {
    (refused.0, refused.1.as_str()) == MISMATCH
}

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
fn a_reference_signature_verifies() {
    let uri = format!("{PATH}?Qualifier=%24LATEST");
    let headers = [("X-Amz-Invocation-Type", "RequestResponse")];
    let parts = signed(&CLIENT, &uri, &headers, br#"{"a":1}"#);
    assert_eq!(
        auth().verify_at(&parts, br#"{"a":1}"#, at_date()),
        Ok(Caller::Principal(ci()))
    );
}

#[test]
fn a_single_encoded_path_does_not_verify() {
    let single = Signer {
        double_encode: false,
        ..CLIENT
    };
    let parts = signed(&single, PATH, &[], b"{}");
    assert!(is_mismatch(refusal(&auth(), &parts, b"{}")));
}

#[test]
fn the_payload_hash_is_the_body_received_never_the_clients() {
    let original = br#"{"a":1}"#;
    let changed = br#"{"a":2}"#;
    let original_hash = hex::encode(Sha256::digest(original));
    for claimed in [original_hash.as_str(), "UNSIGNED-PAYLOAD"] {
        let signer = Signer {
            payload_hash: Some(claimed),
            ..CLIENT
        };
        let parts = signed(
            &signer,
            PATH,
            &[("x-amz-content-sha256", claimed)],
            original,
        );
        assert!(is_mismatch(refusal(&auth(), &parts, changed)), "{claimed}");
    }
    // A client-sent hash that is the body's own changes nothing.
    let honest = Signer {
        payload_hash: Some(&original_hash),
        ..CLIENT
    };
    let parts = signed(
        &honest,
        PATH,
        &[("x-amz-content-sha256", &original_hash)],
        original,
    );
    assert!(auth().verify_at(&parts, original, at_date()).is_ok());
}

#[test]
fn signatures_are_pinned_to_the_local_region() {
    let elsewhere = Signer {
        region: "eu-west-1",
        ..CLIENT
    };
    let parts = signed(&elsewhere, PATH, &[], b"{}");
    assert_eq!(
        refusal(&auth(), &parts, b"{}"),
        (
            "InvalidSignatureException",
            "Credential should be scoped to a valid region, not 'eu-west-1'.".into()
        )
    );
    // Unpinned, the same signature is a valid one.
    let unpinned = Auth::new([ci()]);
    assert!(unpinned.verify_at(&parts, b"{}", at_date()).is_ok());
}

#[test]
fn a_session_token_is_unrecognized() {
    let parts = signed(&CLIENT, PATH, &[("x-amz-security-token", "token")], b"{}");
    assert_eq!(
        refusal(&auth(), &parts, b"{}"),
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".into()
        )
    );
}

#[test]
fn a_signed_header_sent_twice_is_refused() {
    let mut parts = signed(&CLIENT, PATH, &[("x-amz-log-type", "None")], b"{}");
    assert!(auth().verify_at(&parts, b"{}", at_date()).is_ok());
    parts
        .headers
        .append("x-amz-log-type", "Tail".parse().unwrap());
    assert!(is_mismatch(refusal(&auth(), &parts, b"{}")));
}

#[test]
fn a_query_naming_a_parameter_twice_is_refused() {
    // Signed as sent: only the order, which SigV4 does not sign, could tell the two apart.
    let uri = format!("{PATH}?Qualifier=1&Qualifier=2");
    let parts = signed(&CLIENT, &uri, &[], b"{}");
    assert!(is_mismatch(refusal(&auth(), &parts, b"{}")));
}

#[test]
fn a_plus_in_the_query_is_a_plus() {
    let parts = signed(&CLIENT, &format!("{PATH}?Qualifier=a+b"), &[], b"{}");
    assert!(auth().verify_at(&parts, b"{}", at_date()).is_ok());
}

#[test]
fn the_signed_headers_list_must_be_the_canonical_one() {
    let parts = signed(&CLIENT, PATH, &[], b"{}");
    let authorization = parts.headers["authorization"].to_str().unwrap().to_owned();
    for list in [
        "x-amz-date;host",
        "Host;X-Amz-Date",
        "host;host;x-amz-date",
        "host",
    ] {
        let mut altered = parts.clone();
        altered.headers.insert(
            "authorization",
            authorization
                .replace(
                    "SignedHeaders=host;x-amz-date",
                    &format!("SignedHeaders={list}"),
                )
                .parse()
                .unwrap(),
        );
        let (error_type, _) = refusal(&auth(), &altered, b"{}");
        assert_eq!(error_type, "InvalidSignatureException", "{list}");
    }
}

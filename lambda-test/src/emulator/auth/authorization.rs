//! The `Authorization` header of a SigV4 request, read as AWS reads it (lambda-api.md 10.2
//! step 1), with AWS's wording of what is wrong with it.

use axum::http::request::Parts;

use super::ALGORITHM;
use crate::emulator::api::error::AwsError;

/// The one `Authorization` header, as text.
pub(super) fn authorization_header(parts: &Parts) -> Result<&str, AwsError> {
    let mut values = parts.headers.get_all("authorization").iter();
    let Some(value) = values.next() else {
        return Err(AwsError::auth(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    // Two headers are two claims: which one a proxy, a log or we would read is anyone's guess.
    if values.next().is_some() {
        return Err(AwsError::incomplete_signature(
            "The request must carry one Authorization header, not several.",
        ));
    }
    value
        .to_str()
        .map_err(|_| AwsError::incomplete_signature("The Authorization header is not valid ASCII."))
}

/// The parameters of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Authorization<'a> {
    /// `AKID/date/region/service/terminator`.
    pub(super) credential: &'a str,
    /// The `;`-separated names the client says it signed.
    pub(super) signed_headers: &'a str,
    /// The hex signature.
    pub(super) signature: &'a str,
}

impl<'a> Authorization<'a> {
    /// Reads the header as AWS does: the algorithm, then `key=value` pairs separated by
    /// commas and spaces alike; each parameter once; other keys ignored.
    pub(super) fn parse(header: &'a str) -> Result<Self, AwsError> {
        let incomplete = AwsError::incomplete_signature;
        let (algorithm, parameters) = header.split_once(' ').unwrap_or((header, ""));
        if algorithm != ALGORITHM {
            return Err(incomplete(format!(
                "Unsupported authorization type: '{algorithm}'; use AWS4-HMAC-SHA256"
            )));
        }
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for pair in parameters.split([',', ' ']).filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(incomplete(format!(
                    "'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
                )));
            };
            let slot = match key {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(incomplete(format!(
                    "Authorization header has a duplicate '{key}' parameter. Authorization={header}"
                )));
            }
        }
        match (credential, signed_headers, signature) {
            (Some(credential), Some(signed_headers), Some(signature)) => Ok(Self {
                credential,
                signed_headers,
                signature,
            }),
            _ => {
                let missing: Vec<&str> = [
                    ("Credential", credential.is_none()),
                    ("Signature", signature.is_none()),
                    ("SignedHeaders", signed_headers.is_none()),
                ]
                .into_iter()
                .filter_map(|(name, missing)| missing.then_some(name))
                .collect();
                Err(incomplete(format!(
                    "Authorization header requires {} parameter(s). Authorization={header}",
                    missing.join(", ")
                )))
            }
        }
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "AWS4-HMAC-SHA256 Credential=AKIDCI/20260115/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123";

    fn parsed(header: &str) -> Result<Authorization<'_>, AwsError> {
        Authorization::parse(header)
    }

    fn refusal(header: &str) -> (&'static str, String) {
        let e = parsed(header).expect_err(header);
        (e.error_type, e.message)
    }

    #[test]
    fn the_three_parameters_parse_in_any_order_and_spacing() {
        let expected = Authorization {
            credential: "AKIDCI/20260115/us-east-1/lambda/aws4_request",
            signed_headers: "host;x-amz-date",
            signature: "abc123",
        };
        for header in [
            VALID,
            "AWS4-HMAC-SHA256 Credential=AKIDCI/20260115/us-east-1/lambda/aws4_request,SignedHeaders=host;x-amz-date,Signature=abc123",
            "AWS4-HMAC-SHA256 Signature=abc123, SignedHeaders=host;x-amz-date, Credential=AKIDCI/20260115/us-east-1/lambda/aws4_request",
            "AWS4-HMAC-SHA256   Credential=AKIDCI/20260115/us-east-1/lambda/aws4_request ,, SignedHeaders=host;x-amz-date Signature=abc123 ",
        ] {
            assert_eq!(parsed(header), Ok(expected), "{header}");
        }
    }

    #[test]
    fn parameters_other_than_the_three_are_ignored() {
        let header = format!("{VALID}, Expires=60");
        assert_eq!(parsed(&header).unwrap().signature, "abc123");
    }

    #[test]
    fn other_algorithms_are_unsupported() {
        for (header, named) in [
            (
                "AWS4-ECDSA-P256-SHA256 Credential=AKIDCI/20260115/lambda/aws4_request, SignedHeaders=host, Signature=ab",
                "AWS4-ECDSA-P256-SHA256",
            ),
            (
                "aws4-hmac-sha256 Credential=x, SignedHeaders=host, Signature=ab",
                "aws4-hmac-sha256",
            ),
            (
                "AWS4-HMAC-SHA512 Credential=x, SignedHeaders=host, Signature=ab",
                "AWS4-HMAC-SHA512",
            ),
            ("Basic dXNlcjpwYXNz", "Basic"),
            (
                "AWS4-HMAC-SHA256,Credential=x,SignedHeaders=host,Signature=ab",
                "AWS4-HMAC-SHA256,Credential=x,SignedHeaders=host,Signature=ab",
            ),
            ("", ""),
        ] {
            assert_eq!(
                refusal(header),
                (
                    "IncompleteSignatureException",
                    format!("Unsupported authorization type: '{named}'; use AWS4-HMAC-SHA256")
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn missing_parameters_are_listed() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDCI/20260115/us-east-1/lambda/aws4_request";
        assert_eq!(
            refusal(header),
            (
                "IncompleteSignatureException",
                format!(
                    "Authorization header requires Signature, SignedHeaders parameter(s). Authorization={header}"
                )
            )
        );
        assert_eq!(
            refusal("AWS4-HMAC-SHA256 ").1,
            "Authorization header requires Credential, Signature, SignedHeaders parameter(s). Authorization=AWS4-HMAC-SHA256 "
        );
    }

    #[test]
    fn a_pair_without_an_equal_sign_is_named() {
        // A space after `=` splits the pair, as at AWS.
        let header = "AWS4-HMAC-SHA256 Credential= AKIDCI/20260115/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=ab";
        assert_eq!(
            refusal(header),
            (
                "IncompleteSignatureException",
                format!(
                    "'AKIDCI/20260115/us-east-1/lambda/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
                )
            )
        );
        let spaced = "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature = ab";
        assert!(
            refusal(spaced)
                .1
                .starts_with("'Signature' not a valid key=value pair")
        );
    }

    #[test]
    fn a_parameter_given_twice_is_refused() {
        for key in ["Credential", "SignedHeaders", "Signature"] {
            let header = format!("{VALID}, {key}=again");
            assert_eq!(
                refusal(&header),
                (
                    "IncompleteSignatureException",
                    format!(
                        "Authorization header has a duplicate '{key}' parameter. Authorization={header}"
                    )
                )
            );
        }
    }

    #[test]
    fn empty_values_parse_and_fail_later() {
        let header = "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=";
        assert_eq!(
            parsed(header),
            Ok(Authorization {
                credential: "",
                signed_headers: "",
                signature: "",
            })
        );
    }

    fn parts_with(headers: &[(&str, &[u8])]) -> Parts {
        let mut request = axum::http::Request::builder().uri("/");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_authorization_header_is_one_text_value() {
        let missing = authorization_header(&parts_with(&[])).unwrap_err();
        assert_eq!(
            (missing.error_type, missing.message.as_str()),
            (
                "MissingAuthenticationTokenException",
                "Missing Authentication Token"
            )
        );
        let twice = parts_with(&[
            ("authorization", VALID.as_bytes()),
            ("Authorization", VALID.as_bytes()),
        ]);
        assert_eq!(
            authorization_header(&twice).unwrap_err().error_type,
            "IncompleteSignatureException"
        );
        let binary = parts_with(&[("authorization", b"AWS4-HMAC-SHA256 Credential=\xff")]);
        assert_eq!(
            authorization_header(&binary).unwrap_err().error_type,
            "IncompleteSignatureException"
        );
        let one = parts_with(&[("authorization", VALID.as_bytes())]);
        assert_eq!(authorization_header(&one), Ok(VALID));
    }
}

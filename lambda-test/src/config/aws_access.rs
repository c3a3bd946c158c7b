//! `aws = { ... }`: what a function uses for its own AWS calls, declared and resolved.
//!
//! Lambda reserves the variables an AWS SDK reads its credentials from, so a function's
//! `environment` may not set them; this setting is the one place they come from locally.
//! Values may read the environment of the process that loads the config: `"${NAME}"`.

use std::collections::BTreeMap;

use super::definition::Sourced;
use super::model::{self, AwsAccess, AwsCredentials, StaticCredentials};
use super::resolve::Invalid;

/// A declared `aws` table, as the file spells it.
#[derive(Debug, Clone, Default)]
pub(crate) struct AwsDefinition {
    /// `credentials`: `none`, `static` or `caller`.
    pub credentials: Option<Sourced<String>>,
    /// `access_key_id`, with `static`.
    pub access_key_id: Option<Sourced<String>>,
    /// `secret_access_key`, with `static`.
    pub secret_access_key: Option<Sourced<String>>,
    /// `session_token`, optional with `static`.
    pub session_token: Option<Sourced<String>>,
    /// `endpoint_url`: `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<Sourced<String>>,
    /// `endpoint_urls`: service and URL, `AWS_ENDPOINT_URL_<SERVICE>`.
    pub endpoint_urls: Vec<(Sourced<String>, Sourced<String>)>,
    /// `region`: `AWS_REGION` and `AWS_DEFAULT_REGION` of the function.
    pub region: Option<Sourced<String>>,
}

/// The valid values of `credentials`.
const CREDENTIALS: &str = "\"none\", \"static\", \"caller\"";

/// Resolves a version's `aws` table (`None`: the defaults, no credentials and no endpoint).
/// `lookup` reads the environment for `${NAME}`.
pub(super) fn resolve(
    context: &str,
    declared: Option<&AwsDefinition>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<AwsAccess, Invalid> {
    let Some(d) = declared else {
        return Ok(AwsAccess::default());
    };
    let value = |v: &Sourced<String>, key: &str| -> Result<String, Invalid> {
        expand(&v.value, lookup)
            .map_err(|e| Invalid::new(&v.origin, format!("{context}: `aws.{key}` {e}")))
    };
    let optional = |v: &Option<Sourced<String>>, key: &str| -> Result<Option<String>, Invalid> {
        v.as_ref().map(|v| value(v, key)).transpose()
    };
    let keys = [
        (&d.access_key_id, "access_key_id"),
        (&d.secret_access_key, "secret_access_key"),
        (&d.session_token, "session_token"),
    ];
    let kind = d.credentials.as_ref().map_or("none", |c| c.value.as_str());
    let credentials = match kind {
        "static" => {
            let origin = &d.credentials.as_ref().expect("`static` is written").origin;
            let required = |v: &Option<Sourced<String>>, key: &str| match v {
                Some(v) => value(v, key),
                None => Err(Invalid::new(
                    origin,
                    format!(
                        "{context}: `aws.credentials = \"static\"` needs `{key}`; add it, e.g. `{key} = \"testing\"` for a local server, or `{key} = \"${{MY_{}}}\"` to read it from the environment",
                        key.to_uppercase()
                    ),
                )),
            };
            let access_key_id = required(&d.access_key_id, "access_key_id")?;
            if let Some(id) = &d.access_key_id
                && !id.value.contains("${")
                && looks_real(&access_key_id)
            {
                return Err(Invalid::new(
                    &id.origin,
                    format!(
                        "{context}: `aws.access_key_id` = {access_key_id:?} looks like a real AWS access key written into the file; read it from the environment instead (`access_key_id = \"${{MY_ACCESS_KEY_ID}}\"`), or use a test key like \"testing\""
                    ),
                ));
            }
            AwsCredentials::Static(StaticCredentials {
                access_key_id,
                secret_access_key: required(&d.secret_access_key, "secret_access_key")?,
                session_token: optional(&d.session_token, "session_token")?,
            })
        }
        "none" | "caller" => {
            if let Some((key, origin)) = keys
                .iter()
                .find_map(|(v, key)| v.as_ref().map(|v| (*key, &v.origin)))
            {
                return Err(Invalid::new(
                    origin,
                    format!(
                        "{context}: `aws.{key}` is for `credentials = \"static\"` (here: \"{kind}\"); add `credentials = \"static\"`, or remove `{key}`"
                    ),
                ));
            }
            if kind == "caller" {
                AwsCredentials::Caller
            } else {
                AwsCredentials::None
            }
        }
        other => {
            let origin = &d.credentials.as_ref().expect("a value was written").origin;
            return Err(Invalid::new(
                origin,
                format!(
                    "{context}: `aws.credentials` = {other:?} is not one of {CREDENTIALS}: \"none\" (the default) gives the function no credentials, \"static\" the keys written here, \"caller\" those of whoever runs the tests (aws-config's default chain)"
                ),
            ));
        }
    };
    let endpoint_url = match &d.endpoint_url {
        Some(v) => Some(url(context, "endpoint_url", v, value(v, "endpoint_url")?)?),
        None => None,
    };
    let mut service_endpoints = BTreeMap::new();
    for (service, endpoint) in &d.endpoint_urls {
        let suffix = service_suffix(&service.value).ok_or_else(|| {
            Invalid::new(
                &service.origin,
                format!(
                    "{context}: `aws.endpoint_urls` key {:?} is not a service id like `dynamodb`, `s3` or `secrets_manager` (letters, digits, `_`, `-`)",
                    service.value
                ),
            )
        })?;
        let key = format!("endpoint_urls.{}", service.value);
        let resolved = url(context, &key, endpoint, value(endpoint, &key)?)?;
        service_endpoints.insert(suffix, resolved);
    }
    let region = match &d.region {
        Some(v) => {
            let region = value(v, "region")?;
            if !model::is_region(&region) {
                return Err(Invalid::new(
                    &v.origin,
                    format!(
                        "{context}: `aws.region` = {region:?} is not a region like `us-east-1`"
                    ),
                ));
            }
            Some(region)
        }
        None => None,
    };
    Ok(AwsAccess {
        credentials,
        endpoint_url,
        service_endpoints,
        region,
    })
}

/// Why `environment` may not set `name`, when `aws` is where it comes from: the endpoints
/// (on AWS a function may set them; locally they are this setting's, with the credentials).
pub(super) fn set_by_aws(name: &str) -> Option<String> {
    (name == "AWS_ENDPOINT_URL" || name.starts_with("AWS_ENDPOINT_URL_")).then(|| {
        format!(
            "`environment` sets {name}; the endpoints of the function's own AWS calls come from `aws`: write `aws = {{ endpoint_url = \"http://127.0.0.1:8000\" }}` (every service) or `aws = {{ endpoint_urls = {{ dynamodb = \"...\" }} }}` (one service)"
        )
    })
}

/// `http://` or `https://` and a host, as the SDKs require of an endpoint.
fn url(context: &str, key: &str, at: &Sourced<String>, value: String) -> Result<String, Invalid> {
    let valid = value
        .parse::<http::Uri>()
        .ok()
        .filter(|uri| matches!(uri.scheme_str(), Some("http" | "https")))
        .is_some_and(|uri| uri.host().is_some_and(|h| !h.is_empty()));
    if valid {
        Ok(value)
    } else {
        Err(Invalid::new(
            &at.origin,
            format!(
                "{context}: `aws.{key}` = {value:?} is not an endpoint URL; write it like \"http://127.0.0.1:8000\""
            ),
        ))
    }
}

/// `dynamodb` -> `DYNAMODB`, `secrets-manager` -> `SECRETS_MANAGER`: the suffix of the
/// service's `AWS_ENDPOINT_URL_<SERVICE>` (its service id, upper case, spaces and dashes as
/// underscores).
fn service_suffix(service: &str) -> Option<String> {
    let valid = !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_- ".contains(&b));
    valid.then(|| service.to_ascii_uppercase().replace(['-', ' '], "_"))
}

/// An access key id of AWS's own shape (`AKIA`/`ASIA` and 16 more), except AWS's
/// documentation examples (`...EXAMPLE`).
fn looks_real(id: &str) -> bool {
    (id.starts_with("AKIA") || id.starts_with("ASIA"))
        && id.len() == 20
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && !id.ends_with("EXAMPLE")
}

/// Replaces each `${NAME}` with the variable's value and `${NAME:-default}` with the value,
/// or `default` when it is unset or empty; `$${` is a literal `${` (the rules of the
/// attribute's string values). An unset variable without a default, or a malformed reference,
/// is an error (the text after the key in the message).
fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        if rest[..start].ends_with('$') {
            out.push_str(&rest[..start - 1]);
            out.push_str("${");
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| {
            format!("has `${{` without a closing `}}` in {text:?}; write `${{NAME}}`")
        })?;
        let (name, default) = match after[..end].split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (&after[..end], None),
        };
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!(
                "reads `${{{name}}}`, which is not a variable name (letters, digits, `_`)"
            ));
        }
        let value = match (lookup(name), default) {
            (Some(value), Some(default)) if value.is_empty() => default.to_owned(),
            (Some(value), _) => value,
            (None, Some(default)) => default.to_owned(),
            (None, None) => {
                return Err(format!(
                    "reads `${{{name}}}`, which is not set in the environment of the tests; set {name}, write `${{{name}:-default}}`, or write the value itself"
                ));
            }
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(aws: &str) -> Result<AwsAccess, String> {
        let text = format!("[functions.f]\nbin = \"f\"\naws = {aws}\n");
        Config::parse(&text, "/pkg/lambda-test.toml".as_ref())
            .map(|c| c.functions["f"].latest.aws.clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn no_table_is_no_credentials_and_no_endpoint() {
        let c = Config::parse("[functions.f]\nbin = \"f\"\n", "/pkg/x.toml".as_ref()).unwrap();
        assert_eq!(c.functions["f"].latest.aws, AwsAccess::default());
        assert_eq!(parse("{}").unwrap(), AwsAccess::default());
    }

    #[test]
    fn static_keys_endpoints_and_region_resolve() {
        let aws = parse(
            r#"{ credentials = "static", access_key_id = "testing", secret_access_key = "s", session_token = "t", endpoint_url = "http://127.0.0.1:5000", endpoint_urls = { dynamodb = "http://127.0.0.1:8000", secrets-manager = "https://sm.local" }, region = "eu-west-1" }"#,
        )
        .unwrap();
        assert_eq!(
            aws.credentials,
            AwsCredentials::Static(StaticCredentials::new("testing", "s", Some("t".into())))
        );
        assert_eq!(aws.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(aws.service_endpoints["DYNAMODB"], "http://127.0.0.1:8000");
        assert_eq!(aws.service_endpoints["SECRETS_MANAGER"], "https://sm.local");
        assert_eq!(aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            parse(r#"{ credentials = "caller" }"#).unwrap().credentials,
            AwsCredentials::Caller
        );
        // The secret never shows in debug output.
        let debug = format!("{:?}", aws.credentials);
        assert!(
            !debug.contains("\"s\"") && debug.contains("redacted"),
            "{debug}"
        );
    }

    #[test]
    fn a_version_replaces_the_aws_table_whole() {
        let c = Config::parse(
            "[functions.f]\nbin = \"f\"\naws = { credentials = \"caller\", region = \"eu-west-1\" }\n[functions.f.versions.1]\naws = { endpoint_url = \"http://localhost:1\" }\n[functions.f.versions.2]\n",
            "/pkg/lambda-test.toml".as_ref(),
        )
        .unwrap();
        let f = &c.functions["f"];
        assert_eq!(f.versions["1"].aws.credentials, AwsCredentials::None);
        assert_eq!(f.versions["1"].aws.region, None);
        assert_eq!(f.versions["2"].aws, f.latest.aws);
    }

    #[test]
    fn bad_tables_name_the_line_column_and_fix() {
        let cases = [
            (
                r#"{ credentials = "role" }"#,
                23,
                r#"is not one of "none", "static", "caller""#,
            ),
            (r#"{ credentials = "static" }"#, 23, "needs `access_key_id`"),
            (
                r#"{ credentials = "static", access_key_id = "a" }"#,
                23,
                "needs `secret_access_key`",
            ),
            (
                r#"{ access_key_id = "a" }"#,
                25,
                r#"is for `credentials = "static"` (here: "none")"#,
            ),
            (
                r#"{ credentials = "caller", secret_access_key = "a" }"#,
                53,
                "remove `secret_access_key`",
            ),
            (
                r#"{ credentials = "static", access_key_id = "AKIAZ7Q2J4XW3VN5PLMR", secret_access_key = "x" }"#,
                49,
                "looks like a real AWS access key",
            ),
            (
                r#"{ credentials = "static", access_key_id = "${LAMBDA_TEST_UNSET_FOR_TESTS}", secret_access_key = "x" }"#,
                49,
                "`${LAMBDA_TEST_UNSET_FOR_TESTS}`, which is not set",
            ),
            (
                r#"{ endpoint_url = "localhost:8000" }"#,
                24,
                "is not an endpoint URL",
            ),
            (
                r#"{ endpoint_urls = { "dynamo/db" = "http://x" } }"#,
                27,
                "not a service id",
            ),
            (
                r#"{ endpoint_urls = { dynamodb = "ftp://x" } }"#,
                38,
                "`aws.endpoint_urls.dynamodb`",
            ),
            (r#"{ region = "moon-1" }"#, 18, "not a region"),
            (
                r#"{ credential = "none" }"#,
                9,
                "did you mean `credentials`?",
            ),
            (r#""static""#, 7, "write it as a table: aws = {"),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|(aws, column, needle)| {
                let message = match parse(aws) {
                    Ok(v) => return Some(format!("{aws}: accepted as {v:?}")),
                    Err(m) => m,
                };
                let at = format!("line 3, column {column}: ");
                (!message.contains(&at) || !message.contains(needle))
                    .then(|| format!("{aws}\n  want {at:?} and {needle:?}\n  got  {message}"))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn endpoints_and_keys_may_not_come_from_the_environment_table() {
        for name in [
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_DYNAMODB",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            let text = format!("[functions.f]\nbin = \"f\"\nenvironment = {{ {name} = \"x\" }}\n");
            let message = Config::parse(&text, "/pkg/lambda-test.toml".as_ref())
                .unwrap_err()
                .to_string();
            assert!(
                message.contains(name) && message.contains("aws = {"),
                "{message}"
            );
        }
    }

    #[test]
    fn variables_expand_and_unset_ones_are_errors() {
        let lookup = |name: &str| (name == "KEY").then(|| "abc".to_owned());
        assert_eq!(expand("${KEY}", &lookup).unwrap(), "abc");
        assert_eq!(expand("x-${KEY}-${KEY}", &lookup).unwrap(), "x-abc-abc");
        assert_eq!(expand("no refs $ { }", &lookup).unwrap(), "no refs $ { }");
        assert!(
            expand("${MISSING}", &lookup)
                .unwrap_err()
                .contains("set MISSING")
        );
        assert!(expand("${KEY", &lookup).unwrap_err().contains("closing"));
        assert!(
            expand("${A B}", &lookup)
                .unwrap_err()
                .contains("not a variable")
        );
    }

    #[test]
    fn service_suffixes_are_the_sdk_variable_names() {
        assert_eq!(service_suffix("dynamodb").as_deref(), Some("DYNAMODB"));
        assert_eq!(
            service_suffix("secrets-manager").as_deref(),
            Some("SECRETS_MANAGER")
        );
        assert_eq!(
            service_suffix("Secrets Manager").as_deref(),
            Some("SECRETS_MANAGER")
        );
        assert_eq!(service_suffix(""), None);
        assert_eq!(service_suffix("s3/x"), None);
    }

    #[test]
    fn real_looking_keys_are_told_apart_from_test_keys() {
        assert!(looks_real("AKIAZ7Q2J4XW3VN5PLMR"));
        assert!(looks_real("ASIAZ7Q2J4XW3VN5PLMR"));
        assert!(!looks_real("AKIAIOSFODNN7EXAMPLE"));
        assert!(!looks_real("testing"));
        assert!(!looks_real("AKIDCI"));
    }
}

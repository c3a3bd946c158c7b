//! The HTTP request keys: the request line, header names, cookies, the integration, and the
//! keys they need or exclude.

use super::validate::later_of;
use super::{Args, Errors, INTEGRATIONS, REQUEST_KEYS};

/// The keys that give the payload as it is: a request key builds the payload instead.
const PAYLOAD_KEYS: &[&str] = &["payload", "payload_file", "events"];

/// The methods `http` accepts.
const HTTP_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];

/// The request keys: the request line, header names, cookies, the integration, and which
/// keys they need or exclude.
pub(super) fn validate_request(args: &Args, errors: &mut Errors) {
    if let Some(line) = args.str("http") {
        if let Err(why) = check_request_line(&line.value()) {
            errors.at(line, why);
        }
    } else {
        for key in REQUEST_KEYS.iter().filter(|k| **k != "http") {
            if let Some(ident) = args.key(key) {
                errors.at(
                    ident,
                    format!(
                        "`{key}` is part of an HTTP request: add `http = \"POST /orders\"` (method and path)"
                    ),
                );
            }
        }
    }
    for key in REQUEST_KEYS {
        for payload in PAYLOAD_KEYS {
            if args.key(key).is_some() && args.key(payload).is_some() {
                let (first, later) = later_of(args, key, payload);
                errors.at(
                    args.key(later),
                    format!(
                        "`{first}` and `{later}` cannot be used together: a request key builds the payload"
                    ),
                );
            }
        }
    }
    for (name, _) in args.map("headers") {
        let value = name.value();
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if value.is_empty() || !value.bytes().all(token) {
            errors.at(
                name,
                format!("`{value}` is not a header name, like `content-type`"),
            );
        }
    }
    for cookie in args.list("cookies").unwrap_or_default() {
        let value = cookie.value();
        let has_name = value
            .split_once('=')
            .is_some_and(|(name, _)| !name.trim().is_empty());
        if !has_name || value.contains(';') {
            errors.at(
                cookie,
                "a cookie is one `name=value`, like `\"session=abc\"`",
            );
        }
    }
    if let Some(integration) = args.str("integration")
        && !INTEGRATIONS.contains(&integration.value().as_str())
    {
        errors.at(
            integration,
            format!(
                "unknown integration `{}`; expected one of {}",
                integration.value(),
                INTEGRATIONS
                    .iter()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

/// `METHOD /path?query`.
fn check_request_line(line: &str) -> Result<(), String> {
    let example = "like `\"POST /orders?dry_run=1\"`";
    let Some((method, target)) = line.trim().split_once(' ') else {
        return Err(format!("`http` is a method and a path, {example}"));
    };
    if !HTTP_METHODS.contains(&method) {
        return Err(format!(
            "`{method}` is not an HTTP method; expected one of {}",
            HTTP_METHODS.join(", ")
        ));
    }
    let target = target.trim();
    if !target.starts_with('/') {
        return Err(format!(
            "the path `{target}` must start with `/`, {example}"
        ));
    }
    if target.contains(char::is_whitespace) {
        return Err(format!(
            "the path `{target}` has a space; encode it as `%20`"
        ));
    }
    Ok(())
}

/// The keys that make no sense through a Function URL, and why.
const NOT_THROUGH_URL: &[(&str, &str)] = &[
    (
        "payload",
        "a Function URL takes an HTTP request, not an event; describe it with `http`, `headers` and `body`",
    ),
    (
        "payload_file",
        "a Function URL takes an HTTP request, not an event; describe it with `http`, `headers` and `body_file`",
    ),
    (
        "events",
        "a Function URL takes an HTTP request, not an event; describe it with `http`, `headers` and `body`",
    ),
    (
        "qualifiers",
        "a Function URL invokes its one alias; give it as `qualifier`",
    ),
    ("same_payload", "a Function URL invokes its one alias"),
    (
        "stream",
        "a Function URL streams when its invoke mode is `RESPONSE_STREAM`",
    ),
    ("dry_run", "a Function URL has no `DryRun`"),
    ("log", "a Function URL returns no tail log"),
    ("client_context", "a Function URL sends no client context"),
    ("tenant_id", "a Function URL sends no tenant id"),
    ("max_duration_ms", "a Function URL returns no REPORT line"),
    ("max_memory_mb", "a Function URL returns no REPORT line"),
    ("max_init_ms", "a Function URL returns no REPORT line"),
];

/// `via = "invoke" | "url"`, and what `url` needs (an HTTP request) and excludes.
pub(super) fn validate_via(args: &Args, errors: &mut Errors) {
    let Some(via) = args.str("via") else {
        return;
    };
    match via.value().as_str() {
        "invoke" => return,
        "url" => {}
        other => {
            errors.at(
                via,
                format!("unknown `via` `{other}`; expected `invoke` (the default) or `url`"),
            );
            return;
        }
    }
    if args.key("http").is_none() {
        errors.at(
            via,
            "`via = \"url\"` sends an HTTP request to the Function URL: add `http = \"GET /\"` (method and path)",
        );
    }
    for (key, why) in NOT_THROUGH_URL {
        if let Some(ident) = args.key(key) {
            errors.at(
                ident,
                format!("`{key}` cannot be used with `via = \"url\"`: {why}"),
            );
        }
    }
    if let Some(t) = args.str("invocation_type")
        && t.value() != "RequestResponse"
    {
        errors.at(
            t,
            format!(
                "`via = \"url\"` is a synchronous HTTP request: a Function URL has no `{}` invocation",
                t.value()
            ),
        );
    }
    if let Some(integration) = args.str("integration")
        && integration.value() != "function_url"
    {
        errors.at(
            integration,
            format!(
                "`via = \"url\"` goes through the Function URL, not `{}`; remove `integration` or write `\"function_url\"`",
                integration.value()
            ),
        );
    }
}

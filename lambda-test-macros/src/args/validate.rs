//! Checks of values and of combinations of keys, each error spanned on the narrowest token.

use syn::LitStr;

use super::{
    Args, BUDGETS, Errors, INVOCATION_TYPES, NameFor, POSITIVE_NUMBER_KEYS, STREAM_KEYS, has_vars,
    test_name,
};

/// Pairs of keys that cannot be used together, with why.
const CONFLICTS: &[(&str, &str, &str)] = &[
    (
        "qualifier",
        "qualifiers",
        "`qualifiers` already makes one test per qualifier",
    ),
    ("payload", "payload_file", "a test sends one payload"),
    ("body", "body_file", "a request has one body"),
    (
        "payload",
        "events",
        "`events` already gives each test its payload",
    ),
    (
        "payload_file",
        "events",
        "`events` already gives each test its payload",
    ),
    (
        "dry_run",
        "invocation_type",
        "`dry_run` is `invocation_type = \"DryRun\"`",
    ),
    (
        "expect_error",
        "snapshot",
        "a refused invocation has no outcome to snapshot",
    ),
    (
        "expect_error",
        "redact",
        "a refused invocation has no outcome to snapshot",
    ),
    (
        "expect_error",
        "same_payload",
        "a refused invocation has no payload to compare",
    ),
    (
        "expect_error",
        "max_duration_ms",
        "a refused invocation has no REPORT line",
    ),
    (
        "expect_error",
        "max_memory_mb",
        "a refused invocation has no REPORT line",
    ),
    (
        "expect_error",
        "max_init_ms",
        "a refused invocation has no REPORT line",
    ),
    (
        "expect_error",
        "max_first_byte_ms",
        "a refused invocation streams no byte",
    ),
    (
        "expect_error",
        "stream_chunks",
        "a refused invocation has no outcome to snapshot",
    ),
    (
        "expect_error",
        "query",
        "a refused invocation has no outcome to snapshot",
    ),
    (
        "no_sign_request",
        "profile",
        "an unsigned request uses no credentials",
    ),
    (
        "no_sign_request",
        "role_arn",
        "an unsigned request uses no credentials",
    ),
];

/// Checks that need more than one key, or the content of a value. The order is the order of
/// the errors in a compile error (the UI tests' `.stderr` files).
pub(super) fn validate(args: &Args, errors: &mut Errors) {
    validate_not_empty(args, errors);
    validate_json(args, errors);
    validate_names(args, errors);
    validate_addresses(args, errors);
    validate_numbers(args, errors);
    if let Some(qualifiers) = args.list("qualifiers") {
        validate_qualifiers(args, qualifiers, errors);
    }
    validate_redact(args, errors);
    validate_combinations(args, errors);
}

/// The string keys that name something: never empty.
fn validate_not_empty(args: &Args, errors: &mut Errors) {
    for key in [
        "function",
        "qualifier",
        "tenant_id",
        "expect_error",
        "region",
        "profile",
        "payload_file",
        "events",
        "ca_bundle",
        "body_file",
    ] {
        if let Some(s) = args.str(key)
            && s.value().trim().is_empty()
        {
            errors.at(s, format!("`{key}` must not be empty"));
        }
    }
}

/// `payload` and `client_context`, which Lambda takes as JSON.
fn validate_json(args: &Args, errors: &mut Errors) {
    // A value with `${VAR}` is JSON only once the variable is expanded, at run time.
    if let Some(payload) = args.str("payload")
        && !has_vars(payload)
        && let Err(e) = serde_json::from_str::<serde_json::Value>(&payload.value())
    {
        errors.at(payload, format!("`payload` is not valid JSON: {e}"));
    }
    if let Some(cc) = args.str("client_context")
        && !has_vars(cc)
    {
        match serde_json::from_str::<serde_json::Value>(&cc.value()) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(_) => errors.at(
                cc,
                "`client_context` must be a JSON object, like `{\"custom\": {}}`",
            ),
            Err(e) => errors.at(cc, format!("`client_context` is not valid JSON: {e}")),
        }
    }
}

/// The values spelled as the API spells them: invocation and log types, error codes.
fn validate_names(args: &Args, errors: &mut Errors) {
    if let Some(t) = args.str("invocation_type") {
        let value = t.value();
        if !INVOCATION_TYPES.contains(&value.as_str()) {
            let hint = INVOCATION_TYPES
                .iter()
                .find(|known| known.eq_ignore_ascii_case(&value))
                .map(|known| format!("; did you mean `{known}`?"))
                .unwrap_or_default();
            errors.at(
                t,
                format!(
                    "unknown invocation type `{value}`{hint} (expected `RequestResponse`, `Event` or `DryRun`)"
                ),
            );
        }
    }
    if let Some(log) = args.str("log")
        && !matches!(log.value().as_str(), "tail" | "none")
    {
        errors.at(
            log,
            format!(
                "unknown log type `{}`; expected `tail` or `none`",
                log.value()
            ),
        );
    }
    if let Some(code) = args.str("expect_error")
        && !code.value().is_empty()
        && !code
            .value()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        errors.at(
            code,
            "`expect_error` takes a service error code, like `\"AccessDeniedException\"`",
        );
    }
}

/// `endpoint_url` and `role_arn`, unless they expand variables at run time.
fn validate_addresses(args: &Args, errors: &mut Errors) {
    if let Some(url) = args.str("endpoint_url")
        && !has_vars(url)
        && !(url.value().starts_with("http://") || url.value().starts_with("https://"))
    {
        errors.at(
            url,
            "`endpoint_url` must start with `http://` or `https://`",
        );
    }
    if let Some(arn) = args.str("role_arn")
        && !has_vars(arn)
        && !arn.value().starts_with("arn:")
    {
        errors.at(
            arn,
            "`role_arn` must be a role ARN, like `\"arn:aws:iam::123456789012:role/tester\"`",
        );
    }
}

/// Budgets and timeouts above 0; `retries` within `u32`.
fn validate_numbers(args: &Args, errors: &mut Errors) {
    for key in POSITIVE_NUMBER_KEYS {
        if let Some(i) = args.int(key)
            && i.base10_parse::<u64>().ok() == Some(0)
        {
            errors.at(i, format!("`{key}` must be greater than 0"));
        }
    }
    if let Some(r) = args.int("retries")
        && r.base10_parse::<u32>().is_err()
    {
        errors.at(r, "`retries` is too large");
    }
}

/// Each `redact` pattern parses, with the parser and defaults (Unicode, UTF-8, nesting limit)
/// `regex::Regex::new` uses, so its errors are the ones the runtime would give.
fn validate_redact(args: &Args, errors: &mut Errors) {
    for (pattern, _) in args.redact() {
        if let Err(e) = regex_syntax::Parser::new().parse(&pattern.value()) {
            let message = e.to_string();
            let last = message.lines().last().unwrap_or_default().trim().to_owned();
            errors.at(
                pattern,
                format!("`redact` pattern is not a valid regex: {last}"),
            );
        }
    }
}

/// At least one qualifier, none empty, no two making the same test name.
fn validate_qualifiers(args: &Args, qualifiers: &[LitStr], errors: &mut Errors) {
    if qualifiers.is_empty() {
        errors.at(
            args.key("qualifiers"),
            "`qualifiers` needs at least one qualifier, like `qualifiers = [\"live\", \"1\"]`",
        );
    }
    let mut seen: Vec<(String, &LitStr)> = Vec::new();
    for q in qualifiers {
        if q.value().trim().is_empty() {
            errors.at(q, "a qualifier must not be empty");
            continue;
        }
        let name = test_name(&q.value(), NameFor::Qualifier);
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            errors.at(
                q,
                format!(
                    "qualifiers `{}` and `{}` both make the test `{name}`; list each qualifier once",
                    first.value(),
                    q.value()
                ),
            );
        } else {
            seen.push((name, q));
        }
    }
}

/// Keys that exclude or need each other.
fn validate_combinations(args: &Args, errors: &mut Errors) {
    for (a, b, why) in CONFLICTS {
        if args.key(a).is_some() && args.key(b).is_some() {
            let (first, later) = later_of(args, a, b);
            errors.at(
                args.key(later),
                format!("`{first}` and `{later}` cannot be used together: {why}"),
            );
        }
    }
    if args.is_true("same_payload") {
        match args.list("qualifiers") {
            None => errors.at(
                args.key("same_payload"),
                "`same_payload` compares the qualifiers of a matrix; add `qualifiers = [\"live\", \"1\"]`",
            ),
            Some(list) if list.len() == 1 => errors.at(
                args.key("same_payload"),
                "`same_payload` needs at least two qualifiers to compare",
            ),
            Some(_) => {}
        }
    }
    validate_snapshot_keys(args, errors);
    validate_stream(args, errors);
    super::request::validate_request(args, errors);
    super::request::validate_via(args, errors);
    validate_budgets(args, errors);
}

/// `redact` and `query` need a snapshot; `query` paths are well-formed.
fn validate_snapshot_keys(args: &Args, errors: &mut Errors) {
    if let Some(snapshot) = args.bool("snapshot")
        && !snapshot.value
    {
        for key in ["redact", "query"] {
            if let Some(ident) = args.key(key) {
                errors.at(
                    ident,
                    format!("`{key}` applies to the snapshot, and `snapshot = false` turns it off"),
                );
            }
        }
    }
    for path in args.list("query").unwrap_or_default() {
        if let Err(why) = check_query_path(&path.value()) {
            errors.at(path, format!("`query` path {:?} {why}", path.value()));
        }
    }
    if let Some(list) = args.list("query")
        && list.is_empty()
        && let Some(ident) = args.key("query")
    {
        errors.at(
            ident,
            "`query` needs at least one path, like `[\"payload.total\"]`",
        );
    }
}

/// The budgets read the REPORT line of a synchronous invocation's tail log.
fn validate_budgets(args: &Args, errors: &mut Errors) {
    let Some(budget) = BUDGETS.iter().find_map(|k| args.key(k)) else {
        return;
    };
    if let Some(log) = args.str("log")
        && log.value() == "none"
    {
        errors.at(
            log,
            format!(
                "`{budget}` reads the REPORT line of the tail log, and `log = \"none\"` does not fetch it"
            ),
        );
    }
    let asynchronous = args
        .str("invocation_type")
        .filter(|t| t.value() != "RequestResponse")
        .map(|t| (t.value(), quote::ToTokens::to_token_stream(t)))
        .or_else(|| {
            args.bool("dry_run")
                .filter(|b| b.value)
                .map(|b| ("DryRun".to_owned(), quote::ToTokens::to_token_stream(b)))
        });
    if let Some((kind, tokens)) = asynchronous {
        errors.at(
            tokens,
            format!(
                "`{budget}` needs a `RequestResponse` invocation: `{kind}` invocations return no REPORT line"
            ),
        );
    }
}

/// A `query` path: fields of the snapshot record joined by `.`, each optionally followed by
/// `[N]` indexes (`payload.items[0].price`).
fn check_query_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("is empty; name a field of the snapshot, like \"payload.total\"");
    }
    for segment in path.split('.') {
        let (name, mut rest) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(
                "has an empty or invalid field name; write fields joined by `.`, like \"payload.items[0].price\"",
            );
        }
        while !rest.is_empty() {
            let Some(index) = rest.strip_prefix('[').and_then(|r| r.split_once(']')) else {
                return Err("has a malformed index; write `[0]`");
            };
            if index.0.is_empty() || !index.0.bytes().all(|b| b.is_ascii_digit()) {
                return Err("has a malformed index; write `[0]`");
            }
            rest = index.1;
        }
    }
    Ok(())
}

/// `stream = true` and the keys that need it.
fn validate_stream(args: &Args, errors: &mut Errors) {
    let stream = args.is_true("stream");
    for key in STREAM_KEYS {
        if let Some(ident) = args.key(key)
            && !stream
        {
            let hint = match args.bool("stream") {
                Some(b) if !b.value => "; `stream = false` turns it off",
                _ => "; add `stream = true`",
            };
            errors.at(ident, format!("`{key}` applies to a response stream{hint}"));
        }
    }
    if !stream {
        return;
    }
    if let Some(t) = args.str("invocation_type")
        && t.value() == "Event"
    {
        errors.at(
            t,
            "`stream = true` invokes with InvokeWithResponseStream, which has no `Event` invocation type (only `RequestResponse` and `DryRun`)",
        );
    }
    let dry_run = args
        .str("invocation_type")
        .filter(|t| t.value() == "DryRun")
        .map(quote::ToTokens::to_token_stream)
        .or_else(|| {
            args.bool("dry_run")
                .filter(|b| b.value)
                .map(quote::ToTokens::to_token_stream)
        });
    if let (Some(tokens), Some(_)) = (dry_run, args.key("max_first_byte_ms")) {
        errors.at(
            tokens,
            "`max_first_byte_ms` needs a `RequestResponse` invocation: a `DryRun` streams no byte",
        );
    }
}

/// Of two present keys, the one written first and the one written later.
pub(super) fn later_of<'a>(args: &Args, a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    let position = |key: &str| args.entries.iter().position(|(_, k, _)| *k == key);
    if position(a) < position(b) {
        (a, b)
    } else {
        (b, a)
    }
}

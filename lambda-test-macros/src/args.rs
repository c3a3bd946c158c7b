//! Parsing and validating the attribute's arguments. No I/O, no defaults: those live in the library.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitInt, LitStr, Token};

/// What a key's value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `"..."`.
    Str,
    /// `true` / `false`; a bare key means `true`.
    Bool,
    /// A whole number.
    Int,
    /// `["...", ...]`.
    StrList,
    /// `{ "regex" = "replacement", ... }` or `["regex", ...]`.
    Redact,
    /// `{ "name" = "value", ... }`.
    StrMap,
}

/// Every key, in the order the reference documents them.
pub const KEYS: &[(&str, Kind)] = &[
    ("function", Kind::Str),
    ("qualifier", Kind::Str),
    ("qualifiers", Kind::StrList),
    ("same_payload", Kind::Bool),
    ("payload", Kind::Str),
    ("payload_file", Kind::Str),
    ("events", Kind::Str),
    ("http", Kind::Str),
    ("headers", Kind::StrMap),
    ("cookies", Kind::StrList),
    ("body", Kind::Str),
    ("body_file", Kind::Str),
    ("integration", Kind::Str),
    ("invocation_type", Kind::Str),
    ("dry_run", Kind::Bool),
    ("stream", Kind::Bool),
    ("log", Kind::Str),
    ("client_context", Kind::Str),
    ("tenant_id", Kind::Str),
    ("expect_error", Kind::Str),
    ("max_duration_ms", Kind::Int),
    ("max_memory_mb", Kind::Int),
    ("max_init_ms", Kind::Int),
    ("max_first_byte_ms", Kind::Int),
    ("redact", Kind::Redact),
    ("snapshot", Kind::Bool),
    ("query", Kind::StrList),
    ("stream_chunks", Kind::Bool),
    ("endpoint_url", Kind::Str),
    ("region", Kind::Str),
    ("profile", Kind::Str),
    ("role_arn", Kind::Str),
    ("no_sign_request", Kind::Bool),
    ("ca_bundle", Kind::Str),
    ("connect_timeout_ms", Kind::Int),
    ("read_timeout_ms", Kind::Int),
    ("retries", Kind::Int),
];

/// The whole-number keys that must be greater than 0: budgets and timeouts.
pub const POSITIVE_NUMBER_KEYS: [&str; 6] = [
    "max_duration_ms",
    "max_memory_mb",
    "max_init_ms",
    "max_first_byte_ms",
    "connect_timeout_ms",
    "read_timeout_ms",
];
/// The invocation types, as the API spells them.
pub const INVOCATION_TYPES: &[&str] = &["RequestResponse", "Event", "DryRun"];

/// The budget keys: each needs the REPORT line of a synchronous invocation's tail log.
pub const BUDGETS: &[&str] = &["max_duration_ms", "max_memory_mb", "max_init_ms"];

/// The keys that describe an HTTP request; each but `http` needs `http`.
pub const REQUEST_KEYS: &[&str] = &[
    "http",
    "headers",
    "cookies",
    "body",
    "body_file",
    "integration",
];

/// The keys that give the payload as it is: a request key builds the payload instead.
const PAYLOAD_KEYS: &[&str] = &["payload", "payload_file", "events"];

/// The integrations a request can come through, as `integration` spells them.
pub const INTEGRATIONS: &[&str] = &[
    "http_api",
    "function_url",
    "rest_api",
    "alb",
    "alb_multi_value",
];

/// The methods `http` accepts.
const HTTP_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];

/// The keys about a response stream: each needs `stream = true`.
pub const STREAM_KEYS: &[&str] = &["max_first_byte_ms", "stream_chunks"];

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

/// A parsed value, typed by its key's [`Kind`].
#[derive(Debug, Clone)]
pub enum Value {
    /// A string.
    Str(LitStr),
    /// A bool (for a bare key, spanned on the key).
    Bool(LitBool),
    /// A whole number.
    Int(LitInt),
    /// A list of strings.
    StrList(Vec<LitStr>),
    /// Redaction rules: pattern and optional replacement.
    Redact(Vec<(LitStr, Option<LitStr>)>),
    /// Names and values.
    StrMap(Vec<(LitStr, LitStr)>),
}

/// The validated arguments, in the order they were written.
#[derive(Debug, Default)]
pub struct Args {
    entries: Vec<(Ident, &'static str, Value)>,
    /// Keys written, valid or not, and the keys suggested for unknown ones.
    mentioned: Vec<&'static str>,
}

impl Args {
    fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(_, k, _)| *k == key)
            .map(|(_, _, v)| v)
    }

    /// The key's token, for spans.
    pub fn key(&self, key: &str) -> Option<&Ident> {
        self.entries
            .iter()
            .find(|(_, k, _)| *k == key)
            .map(|(i, _, _)| i)
    }

    /// A string key.
    pub fn str(&self, key: &str) -> Option<&LitStr> {
        match self.get(key)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A bool key.
    pub fn bool(&self, key: &str) -> Option<&LitBool> {
        match self.get(key)? {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// True when a bool key is present and `true`.
    pub fn is_true(&self, key: &str) -> bool {
        self.bool(key).is_some_and(|b| b.value)
    }

    /// A whole-number key.
    pub fn int(&self, key: &str) -> Option<&LitInt> {
        match self.get(key)? {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// A string-list key.
    pub fn list(&self, key: &str) -> Option<&[LitStr]> {
        match self.get(key)? {
            Value::StrList(l) => Some(l),
            _ => None,
        }
    }

    /// A map of strings (`headers`); empty when absent.
    pub fn map(&self, key: &str) -> &[(LitStr, LitStr)] {
        match self.get(key) {
            Some(Value::StrMap(entries)) => entries,
            _ => &[],
        }
    }

    /// The redaction rules.
    pub fn redact(&self) -> &[(LitStr, Option<LitStr>)] {
        match self.get("redact") {
            Some(Value::Redact(rules)) => rules,
            _ => &[],
        }
    }
}

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds an error.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds an error spanning `tokens`.
    pub fn at(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// The combined error, if any.
    pub fn finish(self) -> Option<syn::Error> {
        self.0
    }
}

fn expected_keys() -> String {
    KEYS.iter()
        .map(|(k, _)| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One `key`, `key = value`, before typing.
struct RawArg {
    key: Ident,
    value: Option<RawValue>,
}

enum RawValue {
    /// `[a, b]`.
    List(syn::token::Bracket, Punctuated<Expr, Token![,]>),
    /// `{ "a" = "b", ... }`.
    Map(syn::token::Brace, Punctuated<MapEntry, Token![,]>),
    /// Anything else.
    Expr(Expr),
}

struct MapEntry {
    pattern: Lit,
    replacement: Lit,
}

impl Parse for MapEntry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let pattern = input.parse()?;
        if input.peek(Token![=>]) {
            input.parse::<Token![=>]>()?;
        } else {
            input.parse::<Token![=]>().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `=` between a pattern and its replacement, like `{ \"[0-9]+\" = \"[n]\" }`",
                )
            })?;
        }
        let replacement = input.parse()?;
        Ok(MapEntry {
            pattern,
            replacement,
        })
    }
}

impl Parse for RawArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a key; arguments are `key = value` pairs, like `function = \"my-function\"`",
            )
        })?;
        if !input.peek(Token![=]) {
            return Ok(RawArg { key, value: None });
        }
        input.parse::<Token![=]>()?;
        let value = if input.peek(syn::token::Bracket) {
            let content;
            let bracket = syn::bracketed!(content in input);
            RawValue::List(bracket, Punctuated::parse_terminated(&content)?)
        } else if input.peek(syn::token::Brace) {
            let content;
            let brace = syn::braced!(content in input);
            RawValue::Map(brace, Punctuated::parse_terminated(&content)?)
        } else {
            RawValue::Expr(input.parse()?)
        };
        Ok(RawArg {
            key,
            value: Some(value),
        })
    }
}

/// Parses and validates the attribute's token stream. Returns `None` when the tokens are not
/// `key = value` pairs at all (the error is in `errors`).
pub fn parse(attr: TokenStream, errors: &mut Errors) -> Option<Args> {
    let raw = match Punctuated::<RawArg, Token![,]>::parse_terminated.parse2(attr) {
        Ok(raw) => raw,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let mut args = Args::default();
    for arg in raw {
        let name = arg.key.to_string();
        let Some(&(key, kind)) = KEYS.iter().find(|(k, _)| *k == name) else {
            if let Some(suggested) = unknown_key(errors, &arg.key, &name) {
                args.mentioned.push(suggested);
            }
            continue;
        };
        args.mentioned.push(key);
        if args.key(key).is_some() {
            errors.at(&arg.key, format!("duplicate argument `{key}`"));
            continue;
        }
        if let Some(value) = typed(key, kind, &arg, errors) {
            args.entries.push((arg.key, key, value));
        }
    }
    validate(&args, errors);
    Some(args)
}

/// Types a raw value by its key's kind; reports a wrong type on the value.
fn typed(key: &str, kind: Kind, arg: &RawArg, errors: &mut Errors) -> Option<Value> {
    let lit = match &arg.value {
        Some(RawValue::Expr(Expr::Lit(ExprLit { lit, .. }))) => Some(lit),
        _ => None,
    };
    let example = match kind {
        Kind::Str => format!("`{key}` takes a string literal, like `{key} = \"...\"`"),
        Kind::Bool => format!("`{key}` takes `true` or `false`, like `{key} = true`"),
        Kind::Int => {
            let example = match key {
                "retries" => 2,
                "max_memory_mb" => 256,
                _ => 1000,
            };
            format!("`{key}` takes a whole number, like `{key} = {example}`")
        }
        Kind::StrList => {
            format!("`{key}` takes a list of string literals, like `{key} = [\"live\", \"1\"]`")
        }
        Kind::Redact => format!(
            "`{key}` takes a map of regex to replacement, like `{key} = {{ \"tok-[0-9]+\" = \"[token]\" }}`, or a list of regexes"
        ),
        Kind::StrMap => format!(
            "`{key}` takes a map of names to values, like `{key} = {{ \"content-type\" = \"application/json\" }}`"
        ),
    };
    let Some(raw) = &arg.value else {
        if kind == Kind::Bool {
            return Some(Value::Bool(LitBool::new(true, arg.key.span())));
        }
        errors.at(
            &arg.key,
            format!(
                "`{key}` takes a value: {}",
                example
                    .split_once(", ")
                    .map_or(example.as_str(), |(_, e)| e)
            ),
        );
        return None;
    };
    let wrong = |errors: &mut Errors| {
        match raw {
            RawValue::Expr(e) => errors.at(e, &example),
            RawValue::List(b, _) => errors.push(syn::Error::new(b.span.join(), &example)),
            RawValue::Map(b, _) => errors.push(syn::Error::new(b.span.join(), &example)),
        }
        None
    };
    match (kind, lit, raw) {
        (Kind::Str, Some(Lit::Str(s)), _) => Some(Value::Str(s.clone())),
        (Kind::Bool, Some(Lit::Bool(b)), _) => Some(Value::Bool(b.clone())),
        (Kind::Int, Some(Lit::Int(i)), _) => match i.base10_parse::<u64>() {
            Ok(_) if i.suffix().is_empty() => Some(Value::Int(i.clone())),
            _ => wrong(errors),
        },
        (Kind::StrList, _, RawValue::List(_, items)) => {
            let strings = string_items(key, items, errors)?;
            Some(Value::StrList(strings))
        }
        (Kind::Redact, _, RawValue::List(_, items)) => {
            let strings = string_items(key, items, errors)?;
            Some(Value::Redact(
                strings.into_iter().map(|s| (s, None)).collect(),
            ))
        }
        (Kind::Redact, _, RawValue::Map(_, entries)) => {
            let mut rules = Vec::new();
            let mut ok = true;
            for entry in entries {
                match (&entry.pattern, &entry.replacement) {
                    (Lit::Str(p), Lit::Str(r)) => rules.push((p.clone(), Some(r.clone()))),
                    (Lit::Str(_), other) | (other, _) => {
                        ok = false;
                        errors.at(
                            other,
                            "a redaction is a string literal regex and its string literal replacement",
                        );
                    }
                }
            }
            ok.then_some(Value::Redact(rules))
        }
        (Kind::StrMap, _, RawValue::Map(_, entries)) => {
            let mut pairs = Vec::new();
            let mut ok = true;
            for entry in entries {
                match (&entry.pattern, &entry.replacement) {
                    (Lit::Str(name), Lit::Str(value)) => pairs.push((name.clone(), value.clone())),
                    (Lit::Str(_), other) | (other, _) => {
                        ok = false;
                        errors.at(
                            other,
                            format!("`{key}` takes string literal names and values"),
                        );
                    }
                }
            }
            ok.then_some(Value::StrMap(pairs))
        }
        _ => wrong(errors),
    }
}

fn string_items(
    key: &str,
    items: &Punctuated<Expr, Token![,]>,
    errors: &mut Errors,
) -> Option<Vec<LitStr>> {
    let mut strings = Vec::new();
    let mut ok = true;
    for item in items {
        match item {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => strings.push(s.clone()),
            other => {
                ok = false;
                errors.at(
                    other,
                    format!("`{key}` takes string literals; write this one as `\"...\"`"),
                );
            }
        }
    }
    ok.then_some(strings)
}

/// Reports an unknown key; returns the suggested key, if any.
fn unknown_key(
    errors: &mut Errors,
    tokens: impl quote::ToTokens,
    key: &str,
) -> Option<&'static str> {
    let closest = KEYS
        .iter()
        .map(|(k, _)| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min();
    let message = match closest {
        Some((_, k)) => format!(
            "unknown argument `{key}`; did you mean `{k}`? (expected one of {})",
            expected_keys()
        ),
        None => format!(
            "unknown argument `{key}`; expected one of {}",
            expected_keys()
        ),
    };
    errors.at(tokens, message);
    closest.map(|(_, k)| k)
}

/// True when a value is expanded from the environment at run time, so its content cannot be
/// checked now.
pub(crate) fn has_vars(s: &LitStr) -> bool {
    s.value().contains("${")
}

/// Checks that need more than one key, or the content of a value.
fn validate(args: &Args, errors: &mut Errors) {
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
    if let Some(qualifiers) = args.list("qualifiers") {
        validate_qualifiers(args, qualifiers, errors);
    }
    for (pattern, _) in args.redact() {
        if let Err(e) = regex::Regex::new(&pattern.value()) {
            let message = e.to_string();
            let last = message.lines().last().unwrap_or_default().trim().to_owned();
            errors.at(
                pattern,
                format!("`redact` pattern is not a valid regex: {last}"),
            );
        }
    }
    validate_combinations(args, errors);
}

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
    validate_stream(args, errors);
    validate_request(args, errors);
    let budget = BUDGETS.iter().find_map(|k| args.key(k));
    if let Some(budget) = budget {
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
}

/// The request keys: the request line, header names, cookies, the integration, and which
/// keys they need or exclude.
fn validate_request(args: &Args, errors: &mut Errors) {
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
fn later_of<'a>(args: &Args, a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    let position = |key: &str| args.entries.iter().position(|(_, k, _)| *k == key);
    if position(a) < position(b) {
        (a, b)
    } else {
        (b, a)
    }
}

/// Reports a missing `function` at the attribute, unless it was written (or misspelled) and
/// already reported.
pub fn require_function(args: &Args, span: Span, errors: &mut Errors) {
    if !args.mentioned.contains(&"function") {
        errors.push(syn::Error::new(
            span,
            "missing argument `function`, like `#[lambda_test(function = \"my-function\")]`",
        ));
    }
}

/// What a generated test is named after.
#[derive(Debug, Clone, Copy)]
pub enum NameFor {
    /// A qualifier: `$LATEST` is `latest`, a version `1` is `v1`.
    Qualifier,
    /// An event file stem: `get-hello` is `get_hello`, `1-ping` is `event_1_ping`.
    Event,
}

/// A valid snake-case identifier for a generated test.
pub fn test_name(text: &str, kind: NameFor) -> String {
    let mut name = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    let name = name.trim_end_matches('_').to_owned();
    let name = match name.chars().next() {
        None => "unnamed".to_owned(),
        Some(c) if c.is_ascii_digit() => match kind {
            NameFor::Qualifier => format!("v{name}"),
            NameFor::Event => format!("event_{name}"),
        },
        Some(_) => name,
    };
    if syn::parse_str::<Ident>(&name).is_err() {
        format!("{name}_")
    } else {
        name
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse_ok(tokens: TokenStream) -> Args {
        let mut errors = Errors::default();
        let args = parse(tokens, &mut errors);
        if let Some(e) = errors.finish() {
            panic!("{e}");
        }
        args.expect("args")
    }

    fn parse_err(tokens: TokenStream) -> String {
        let mut errors = Errors::default();
        parse(tokens, &mut errors);
        errors
            .finish()
            .expect("an error")
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn parses_every_kind() {
        let args = parse_ok(quote!(
            function = "f",
            qualifiers = ["live", "1", "$LATEST"],
            same_payload = true,
            payload = "{}",
            invocation_type = "Event",
            log = "tail",
            client_context = "{}",
            tenant_id = "t",
            endpoint_url = "http://x",
            redact = { "a+" = "[a]", "b" => "[b]" },
            region = "eu-west-1",
            retries = 2
        ));
        assert_eq!(args.str("function").unwrap().value(), "f");
        let qualifiers: Vec<_> = args
            .list("qualifiers")
            .unwrap()
            .iter()
            .map(LitStr::value)
            .collect();
        assert_eq!(qualifiers, ["live", "1", "$LATEST"]);
        assert!(args.is_true("same_payload"));
        assert_eq!(args.redact().len(), 2);
        assert_eq!(args.redact()[1].1.as_ref().unwrap().value(), "[b]");
        assert_eq!(
            args.int("retries").unwrap().base10_parse::<u32>().unwrap(),
            2
        );
    }

    #[test]
    fn a_bare_bool_key_is_true_and_redact_takes_a_list() {
        let args = parse_ok(quote!(function = "f", dry_run, redact = ["x+"]));
        assert!(args.is_true("dry_run"));
        assert!(args.redact()[0].1.is_none());
    }

    #[test]
    fn unknown_key_suggests_the_closest() {
        let e = parse_err(quote!(fuction = "f"));
        assert!(
            e.contains("unknown argument `fuction`; did you mean `function`?"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_and_wrong_type_are_reported_together() {
        let e = parse_err(quote!(function = "f", function = "g", snapshot = "no"));
        assert!(e.contains("duplicate argument `function`"), "{e}");
        assert!(e.contains("`snapshot` takes `true` or `false`"), "{e}");
    }

    #[test]
    fn payload_must_be_json() {
        let e = parse_err(quote!(function = "f", payload = "{name: 1}"));
        assert!(e.contains("`payload` is not valid JSON"), "{e}");
    }

    #[test]
    fn conflicts_name_both_keys() {
        let e = parse_err(quote!(function = "f", qualifier = "1", qualifiers = ["2"]));
        assert!(
            e.contains("`qualifier` and `qualifiers` cannot be used together"),
            "{e}"
        );
        let e = parse_err(quote!(function = "f", same_payload = true));
        assert!(e.contains("add `qualifiers"), "{e}");
        let e = parse_err(quote!(function = "f", log = "none", max_duration_ms = 5));
        assert!(e.contains("REPORT line"), "{e}");
    }

    #[test]
    fn stream_keys_need_a_request_response_stream() {
        parse_ok(quote!(
            function = "f",
            stream = true,
            max_first_byte_ms = 100,
            stream_chunks,
            dry_run = false
        ));
        let e = parse_err(quote!(function = "f", max_first_byte_ms = 100));
        assert!(
            e.contains("`max_first_byte_ms` applies to a response stream; add `stream = true`"),
            "{e}"
        );
        let e = parse_err(quote!(function = "f", stream = false, stream_chunks = true));
        assert!(e.contains("`stream = false` turns it off"), "{e}");
        let e = parse_err(quote!(function = "f", stream, invocation_type = "Event"));
        assert!(e.contains("has no `Event` invocation type"), "{e}");
        let e = parse_err(quote!(
            function = "f",
            stream,
            dry_run,
            max_first_byte_ms = 5
        ));
        assert!(e.contains("a `DryRun` streams no byte"), "{e}");
        // A streamed DryRun without a first-byte budget is a permission check like any other.
        parse_ok(quote!(function = "f", stream, invocation_type = "DryRun"));
        let e = parse_err(quote!(function = "f", stream, max_first_byte_ms = 0));
        assert!(e.contains("greater than 0"), "{e}");
    }

    #[test]
    fn budgets_are_whole_numbers() {
        let e = parse_err(quote!(function = "f", max_memory_mb = 1.5));
        assert!(e.contains("`max_memory_mb` takes a whole number"), "{e}");
        let e = parse_err(quote!(function = "f", max_memory_mb = 0));
        assert!(e.contains("greater than 0"), "{e}");
    }

    #[test]
    fn bad_redaction_regex() {
        let e = parse_err(quote!(function = "f", redact = { "(" = "x" }));
        assert!(e.contains("not a valid regex"), "{e}");
    }

    #[test]
    fn test_names() {
        assert_eq!(test_name("$LATEST", NameFor::Qualifier), "latest");
        assert_eq!(test_name("1", NameFor::Qualifier), "v1");
        assert_eq!(test_name("live", NameFor::Qualifier), "live");
        assert_eq!(test_name("get-hello.v2", NameFor::Event), "get_hello_v2");
        assert_eq!(test_name("404", NameFor::Event), "event_404");
        assert_eq!(test_name("type", NameFor::Event), "type_");
        assert_eq!(test_name("---", NameFor::Event), "unnamed");
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("fuction", "function"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}

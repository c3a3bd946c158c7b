//! Parsing and validating the attribute's arguments. No I/O, no defaults: those live in the library.
//!
//! The keys and the typed [`Args`] are here; `raw` parses `key = value` tokens and types them
//! by their [`Kind`], `validate` checks values and combinations, `request` the HTTP request keys.

mod raw;
mod request;
mod validate;

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser as _;
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitInt, LitStr, Token};

use raw::{RawArg, typed, unknown_key};

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
    ("via", Kind::Str),
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

/// The integrations a request can come through, as `integration` spells them.
pub const INTEGRATIONS: &[&str] = &[
    "http_api",
    "function_url",
    "rest_api",
    "alb",
    "alb_multi_value",
];

/// The keys about a response stream: each needs `stream = true`.
pub const STREAM_KEYS: &[&str] = &["max_first_byte_ms", "stream_chunks"];

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
    validate::validate(&args, errors);
    Some(args)
}

/// True when a value is expanded from the environment at run time, so its content cannot be
/// checked now.
pub(crate) fn has_vars(s: &LitStr) -> bool {
    s.value().contains("${")
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

#[cfg(test)]
mod tests;

//! Parsing and validating the attribute's arguments. No I/O, no defaults: those live in the library.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser as _;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitBool, LitStr, Meta, Token};

/// Every key, in the order the reference documents them.
pub const KEYS: &[&str] = &[
    "function",
    "qualifier",
    "payload",
    "invocation_type",
    "log",
    "client_context",
    "tenant_id",
    "endpoint_url",
    "snapshot",
];

/// The invocation types, as the API spells them.
pub const INVOCATION_TYPES: &[&str] = &["RequestResponse", "Event", "DryRun"];

/// The validated arguments.
#[derive(Debug, Default)]
pub struct Args {
    /// `function = "..."` (required).
    pub function: Option<LitStr>,
    /// `qualifier = "..."`.
    pub qualifier: Option<LitStr>,
    /// `payload = "..."`, valid JSON.
    pub payload: Option<LitStr>,
    /// `invocation_type = "..."`, one of [`INVOCATION_TYPES`].
    pub invocation_type: Option<LitStr>,
    /// `log = "tail" | "none"`.
    pub log: Option<LitStr>,
    /// `client_context = "..."`, a JSON object.
    pub client_context: Option<LitStr>,
    /// `tenant_id = "..."`.
    pub tenant_id: Option<LitStr>,
    /// `endpoint_url = "..."`.
    pub endpoint_url: Option<LitStr>,
    /// `snapshot = false` turns off the snapshot assertion.
    pub snapshot: Option<LitBool>,
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
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses the attribute's token stream.
pub fn parse(attr: TokenStream, errors: &mut Errors) -> Args {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr) {
        Ok(metas) => metas,
        Err(e) => {
            errors.push(syn::Error::new(
                e.span(),
                format!(
                    "{e}; arguments are `key = value` pairs, like `function = \"my-function\"`"
                ),
            ));
            return Args::default();
        }
    };
    let mut args = Args::default();
    for meta in metas {
        let Some(key) = meta.path().get_ident().map(ToString::to_string) else {
            errors.at(
                meta.path(),
                format!("unknown argument; expected one of {}", expected_keys()),
            );
            continue;
        };
        let value = match &meta {
            Meta::NameValue(nv) => &nv.value,
            _ => {
                if KEYS.contains(&key.as_str()) {
                    errors.at(&meta, format!("`{key}` takes a value, like `{key} = ...`"));
                } else {
                    unknown_key(errors, &meta, &key);
                }
                continue;
            }
        };
        let slot = match key.as_str() {
            "function" => Slot::Str(&mut args.function),
            "qualifier" => Slot::Str(&mut args.qualifier),
            "payload" => Slot::Str(&mut args.payload),
            "invocation_type" => Slot::Str(&mut args.invocation_type),
            "log" => Slot::Str(&mut args.log),
            "client_context" => Slot::Str(&mut args.client_context),
            "tenant_id" => Slot::Str(&mut args.tenant_id),
            "endpoint_url" => Slot::Str(&mut args.endpoint_url),
            "snapshot" => Slot::Bool(&mut args.snapshot),
            _ => {
                unknown_key(errors, meta.path(), &key);
                continue;
            }
        };
        slot.set(&key, meta.path(), value, errors);
    }
    validate(&args, errors);
    args
}

enum Slot<'a> {
    Str(&'a mut Option<LitStr>),
    Bool(&'a mut Option<LitBool>),
}

impl Slot<'_> {
    fn set(self, key: &str, path: &syn::Path, value: &Expr, errors: &mut Errors) {
        let lit = match value {
            Expr::Lit(ExprLit { lit, .. }) => Some(lit),
            _ => None,
        };
        match (self, lit) {
            (Slot::Str(slot), Some(Lit::Str(s))) => {
                if slot.is_some() {
                    errors.at(path, format!("duplicate argument `{key}`"));
                } else {
                    *slot = Some(s.clone());
                }
            }
            (Slot::Bool(slot), Some(Lit::Bool(b))) => {
                if slot.is_some() {
                    errors.at(path, format!("duplicate argument `{key}`"));
                } else {
                    *slot = Some(b.clone());
                }
            }
            (Slot::Str(_), _) => errors.at(
                value,
                format!("`{key}` takes a string literal, like `{key} = \"...\"`"),
            ),
            (Slot::Bool(_), _) => errors.at(
                value,
                format!("`{key}` takes `true` or `false`, like `{key} = false`"),
            ),
        }
    }
}

fn unknown_key(errors: &mut Errors, tokens: impl quote::ToTokens, key: &str) {
    let closest = KEYS
        .iter()
        .map(|k| (edit_distance(key, k), *k))
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
}

/// Checks that need more than one key, or the content of a value.
fn validate(args: &Args, errors: &mut Errors) {
    if let Some(function) = &args.function
        && function.value().trim().is_empty()
    {
        errors.at(function, "`function` must not be empty");
    }
    if let Some(payload) = &args.payload
        && let Err(e) = serde_json::from_str::<serde_json::Value>(&payload.value())
    {
        errors.at(payload, format!("`payload` is not valid JSON: {e}"));
    }
    if let Some(cc) = &args.client_context {
        match serde_json::from_str::<serde_json::Value>(&cc.value()) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(_) => errors.at(
                cc,
                "`client_context` must be a JSON object, like `{\"custom\": {}}`",
            ),
            Err(e) => errors.at(cc, format!("`client_context` is not valid JSON: {e}")),
        }
    }
    if let Some(t) = &args.invocation_type
        && !INVOCATION_TYPES.contains(&t.value().as_str())
    {
        errors.at(
            t,
            format!(
                "unknown invocation type `{}`; expected `RequestResponse`, `Event` or `DryRun`",
                t.value()
            ),
        );
    }
    if let Some(log) = &args.log
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
}

/// Reports a missing `function` at the attribute.
pub fn require_function(args: &Args, span: Span, errors: &mut Errors) {
    if args.function.is_none() {
        errors.push(syn::Error::new(
            span,
            "missing argument `function`, like `#[lambda_test(function = \"my-function\")]`",
        ));
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
        args
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
    fn parses_every_string_key() {
        let args = parse_ok(quote!(
            function = "f",
            qualifier = "live",
            payload = "{}",
            invocation_type = "Event",
            log = "none",
            client_context = "{}",
            tenant_id = "t",
            endpoint_url = "http://x",
            snapshot = false
        ));
        assert_eq!(args.function.unwrap().value(), "f");
        assert_eq!(args.qualifier.unwrap().value(), "live");
        assert!(!args.snapshot.unwrap().value);
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
    fn distances() {
        assert_eq!(edit_distance("fuction", "function"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}

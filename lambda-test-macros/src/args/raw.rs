//! `key`, `key = value`, `key = [..]` and `key = { .. }` tokens, typed by each key's [`Kind`].

use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitStr, Token};

use super::{Errors, KEYS, Kind, Value};

fn expected_keys() -> String {
    KEYS.iter()
        .map(|(k, _)| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One `key`, `key = value`, before typing.
pub(super) struct RawArg {
    pub(super) key: Ident,
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

/// Types a raw value by its key's kind; reports a wrong type on the value.
pub(super) fn typed(key: &str, kind: Kind, arg: &RawArg, errors: &mut Errors) -> Option<Value> {
    let lit = match &arg.value {
        Some(RawValue::Expr(Expr::Lit(ExprLit { lit, .. }))) => Some(lit),
        _ => None,
    };
    let example = example(key, kind);
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
            let why = "a redaction is a string literal regex and its string literal replacement";
            let pairs = string_pairs(entries, why, errors)?;
            Some(Value::Redact(
                pairs.into_iter().map(|(p, r)| (p, Some(r))).collect(),
            ))
        }
        (Kind::StrMap, _, RawValue::Map(_, entries)) => {
            let why = format!("`{key}` takes string literal names and values");
            string_pairs(entries, &why, errors).map(Value::StrMap)
        }
        _ => wrong(errors),
    }
}

/// What a key's value looks like, as the message for a value of the wrong type.
fn example(key: &str, kind: Kind) -> String {
    match kind {
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
    }
}

/// The entries of a `{ "a" = "b", ... }` map when all are string literals; `why` on each that
/// is not.
fn string_pairs(
    entries: &Punctuated<MapEntry, Token![,]>,
    why: &str,
    errors: &mut Errors,
) -> Option<Vec<(LitStr, LitStr)>> {
    let mut pairs = Vec::new();
    let mut ok = true;
    for entry in entries {
        match (&entry.pattern, &entry.replacement) {
            (Lit::Str(name), Lit::Str(value)) => pairs.push((name.clone(), value.clone())),
            (Lit::Str(_), other) | (other, _) => {
                ok = false;
                errors.at(other, why);
            }
        }
    }
    ok.then_some(pairs)
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
pub(super) fn unknown_key(
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

/// Levenshtein distance, for "did you mean" suggestions.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
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

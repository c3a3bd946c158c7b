//! `${VAR}` expansion of attribute values at run time.

use crate::Error;

/// Replaces `${NAME}` with the environment variable `NAME`, and `${NAME:-default}` with it or,
/// when it is unset or empty, `default`; `$${` is a literal `${`.
pub fn expand_vars(text: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(literal) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = literal;
        } else if let Some(var) = after.strip_prefix("${")
            && let Some(end) = var.find('}')
        {
            let (name, default) = match var[..end].split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (&var[..end], None),
            };
            let set = std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty() || default.is_none());
            let value = set
                .as_deref()
                .or(default)
                .ok_or_else(|| Error::MissingVariable(name.to_owned()))?;
            out.push_str(value);
            rest = &var[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
#[path = "vars_tests.rs"]
mod tests;

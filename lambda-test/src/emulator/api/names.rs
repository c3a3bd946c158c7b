//! Function names and qualifiers as the Invoke API accepts them (lambda-api.md section 2).

use std::sync::LazyLock;

use regex::Regex;

use crate::emulator::api::error::AwsError;

/// The pattern AWS prints in a `functionName` validation message (recorded November 2025, see
/// `docs/fidelity.md`): not the model's `NamespacedFunctionName` pattern, and looser than what
/// AWS accepts ([`FUNCTION_NAME`] is that), so it is only echoed, never matched.
const FUNCTION_NAME_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?";

/// The `NumericLatestPublishedOrAliasQualifier` pattern as the model writes it.
const QUALIFIER_PATTERN: &str = r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+";

/// The names AWS accepts (the model's `NamespacedFunctionName`), anchored, with named groups.
static FUNCTION_NAME: LazyLock<Regex> = LazyLock::new(|| {
    // `[0-9]`, not `\d` (all of Unicode's digits): a smaller automaton, cheaper to build once
    // per test process.
    let region = r"(?:eusc-)?[a-z]{2}(?:(?:-gov)|(?:-iso[a-z]?))?-[a-z]+-[0-9]";
    Regex::new(&format!(
        r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:(?P<arn_region>{region}):(?P<arn_account>[0-9]{{12}}):|(?:(?P<region>{region}):)?(?:(?P<account>[0-9]{{12}}):)?)(?:function:)?(?P<name>[a-zA-Z0-9_.\-]+)(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_\-]+))?$"
    ))
    .expect("valid regex")
});

static QUALIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9$_\-]+)$").expect("valid regex")
});

/// A parsed `FunctionName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// The region, when an ARN or a region prefix named one.
    pub region: Option<String>,
    /// The account, when an ARN or an account prefix named one.
    pub account: Option<String>,
    /// The bare function name.
    pub name: String,
    /// The qualifier written into the name (`f:live`), if any.
    pub qualifier: Option<String>,
}

fn clause(value: &str, member: &str, constraint: &str) -> String {
    format!("Value '{value}' at '{member}' failed to satisfy constraint: {constraint}")
}

/// Parses a percent-decoded `FunctionName`, with AWS's validation errors.
pub fn parse_function_name(value: &str) -> Result<FunctionRef, AwsError> {
    parse_function_name_clauses(value).map_err(|clauses| AwsError::validation(&clauses))
}

/// [`parse_function_name`], its failures as validation clauses, for a caller that reports
/// them together with other members' (AWS lists every invalid member in one error).
///
/// A bare name over 64 characters is accepted: no function has one, so AWS answers it with
/// 404 `ResourceNotFoundException` (recorded November 2025), not a validation error.
pub(crate) fn parse_function_name_clauses(value: &str) -> Result<FunctionRef, Vec<String>> {
    if let Some(simple) = simple_name(value) {
        return Ok(simple);
    }
    let mut clauses = Vec::new();
    if value.len() > 256 {
        clauses.push(clause(
            value,
            "functionName",
            "Member must have length less than or equal to 256",
        ));
    }
    let captures = FUNCTION_NAME.captures(value);
    if captures.is_none() {
        clauses.push(clause(
            value,
            "functionName",
            &format!("Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"),
        ));
    }
    let Some(c) = captures.filter(|_| clauses.is_empty()) else {
        return Err(clauses);
    };
    let group = |n: &str| c.name(n).map(|m| m.as_str().to_owned());
    Ok(FunctionRef {
        region: group("arn_region").or_else(|| group("region")),
        account: group("arn_account").or_else(|| group("account")),
        name: group("name").expect("name group always matches"),
        qualifier: group("qualifier"),
    })
}

/// The common forms, `name` and `name:qualifier`, without the regex (whose construction
/// dominates a short test process). Anything else takes the full path.
fn simple_name(value: &str) -> Option<FunctionRef> {
    let (name, qualifier) = match value.split_once(':') {
        None => (value, None),
        Some((name, q)) => (name, Some(q)),
    };
    // Over 256 characters, the length clause is due.
    let name_ok = !name.is_empty()
        && value.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let qualifier_ok = qualifier.is_none_or(|q| {
        q == "$LATEST"
            || q == "$LATEST.PUBLISHED"
            || (!q.is_empty()
                && q.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')))
    });
    // `123456789012:name` and `us-east-1:name` are an account or region and a name, not a name
    // and a qualifier.
    let prefix_like = qualifier.is_some()
        && ((name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit()))
            || crate::config::is_region(name));
    (name_ok && qualifier_ok && !prefix_like && name != "function" && name != "arn").then(|| {
        FunctionRef {
            region: None,
            account: None,
            name: name.to_owned(),
            qualifier: qualifier.map(str::to_owned),
        }
    })
}

/// The `Qualifier` parameter's validation clauses; none when it is valid.
pub(crate) fn qualifier_clauses(value: &str) -> Vec<String> {
    let mut clauses = Vec::new();
    if value.is_empty() {
        clauses.push(clause(
            value,
            "qualifier",
            "Member must have length greater than or equal to 1",
        ));
    }
    if value.len() > 128 {
        clauses.push(clause(
            value,
            "qualifier",
            "Member must have length less than or equal to 128",
        ));
    }
    if !value.is_empty() && !QUALIFIER.is_match(value) {
        clauses.push(clause(
            value,
            "qualifier",
            &format!("Member must satisfy regular expression pattern: {QUALIFIER_PATTERN}"),
        ));
    }
    clauses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> FunctionRef {
        parse_function_name(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn every_name_form() {
        let plain = parse("my-fn");
        assert_eq!((plain.name.as_str(), plain.qualifier), ("my-fn", None));

        let q = parse("my-fn:prod");
        assert_eq!(q.qualifier.as_deref(), Some("prod"));

        let latest = parse("my-fn:$LATEST");
        assert_eq!(latest.qualifier.as_deref(), Some("$LATEST"));

        let arn = parse("arn:aws:lambda:us-west-2:123456789012:function:my-fn:7");
        assert_eq!(arn.region.as_deref(), Some("us-west-2"));
        assert_eq!(arn.account.as_deref(), Some("123456789012"));
        assert_eq!(arn.name, "my-fn");
        assert_eq!(arn.qualifier.as_deref(), Some("7"));

        let partial = parse("123456789012:function:my-fn");
        assert_eq!(partial.account.as_deref(), Some("123456789012"));
        assert_eq!((partial.region, partial.qualifier), (None, None));

        let gov = parse("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f");
        assert_eq!(gov.region.as_deref(), Some("us-gov-west-1"));
    }

    #[test]
    fn the_fast_path_agrees_with_the_pattern() {
        for name in [
            "f",
            "my-fn",
            "my_fn.v2",
            "f:prod",
            "f:$LATEST",
            "f:$LATEST.PUBLISHED",
            "f:7",
            "123456789012:f",
            "us-east-1:f",
            "us-east-1",
            "123456789012",
            "function:f",
            "us-east-1:123456789012:function:f:live",
        ] {
            let fast = simple_name(name);
            let full = FUNCTION_NAME.captures(name).map(|c| FunctionRef {
                region: c
                    .name("arn_region")
                    .or(c.name("region"))
                    .map(|m| m.as_str().to_owned()),
                account: c
                    .name("arn_account")
                    .or(c.name("account"))
                    .map(|m| m.as_str().to_owned()),
                name: c["name"].to_owned(),
                qualifier: c.name("qualifier").map(|m| m.as_str().to_owned()),
            });
            if let Some(fast) = fast {
                assert_eq!(Some(fast), full, "{name}");
            }
            assert!(full.is_some(), "{name}");
        }
    }

    #[test]
    fn invalid_names_are_validation_errors() {
        for bad in [
            "",
            "my fn",
            "f:a:b:c",
            "arn:aws:lambda:us-east-1:12:function:f",
            "f/g",
        ] {
            let e = parse_function_name(bad).unwrap_err();
            assert_eq!(e.error_type, "ValidationException", "{bad}");
            assert!(
                e.message
                    .starts_with("1 validation error detected: Value '"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn long_names() {
        // AWS looks a 65-character name up (and finds nothing) rather than refusing it.
        let long = "a".repeat(65);
        assert_eq!(parse(&long).name, long);
        let e = parse_function_name(&"a".repeat(300)).unwrap_err();
        assert!(
            e.message.contains("less than or equal to 256"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_printed_pattern_is_awss() {
        let e = parse_function_name("my-function!").unwrap_err();
        assert!(
            e.message.ends_with(
                r"pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
            ),
            "{}",
            e.message
        );
    }

    #[test]
    fn qualifiers() {
        for valid in ["$LATEST", "live", "$LATEST.PUBLISHED", "$latest"] {
            assert_eq!(qualifier_clauses(valid), Vec::<String>::new(), "{valid}");
        }
        for invalid in ["$LATEST.OTHER", "", "a b"] {
            assert_eq!(qualifier_clauses(invalid).len(), 1, "{invalid}");
        }
    }
}

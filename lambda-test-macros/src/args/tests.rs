//! Unit tests of the argument parser and its checks.

use super::raw::edit_distance;
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

/// The attribute parses patterns with regex-syntax alone: it refuses what `Regex::new` (the
/// runtime's compiler) refuses, with the same words, and accepts what it accepts.
#[test]
fn redaction_regex_errors_are_the_regex_crate_s() {
    for bad in [
        "(",
        "a{2,1}",
        r"\p{NoSuchClass}",
        r"(?-u:\xFF)",
        "[z-a]",
        "*",
    ] {
        let e = parse_err(quote!(function = "f", redact = [#bad]));
        let want = regex::Regex::new(bad).expect_err(bad).to_string();
        let want = want.lines().last().unwrap().trim();
        assert!(e.ends_with(want), "{bad}: {e} / {want}");
    }
    for good in [
        r"\d{4}-[0-9]+",
        r"(?i)token=\S+",
        r"\p{Greek}+",
        r"(?-u:\w)",
    ] {
        assert!(regex::Regex::new(good).is_ok(), "{good}");
        parse_ok(quote!(function = "f", redact = [#good]));
    }
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

#[test]
fn via_url_needs_a_request_and_excludes_what_a_url_has_not() {
    parse_ok(quote!(
        function = "f",
        via = "url",
        http = "GET /",
        qualifier = "live"
    ));
    parse_ok(quote!(function = "f", via = "invoke", payload = "{}"));
    let e = parse_err(quote!(function = "f", via = "url"));
    assert!(e.contains("add `http = \"GET /\"`"), "{e}");
    let e = parse_err(quote!(function = "f", via = "link", http = "GET /"));
    assert!(e.contains("unknown `via` `link`"), "{e}");
    let e = parse_err(quote!(
        function = "f",
        via = "url",
        http = "GET /",
        qualifiers = ["1", "2"],
        invocation_type = "Event",
        integration = "rest_api",
        stream
    ));
    assert!(
        e.contains("`qualifiers` cannot be used with `via = \"url\"`"),
        "{e}"
    );
    assert!(e.contains("has no `Event` invocation"), "{e}");
    assert!(e.contains("not `rest_api`"), "{e}");
    assert!(
        e.contains("`stream` cannot be used with `via = \"url\"`"),
        "{e}"
    );
    let e = parse_err(quote!(function = "f", via = "url", payload = "{}"));
    assert!(e.contains("add `http"), "{e}");
}

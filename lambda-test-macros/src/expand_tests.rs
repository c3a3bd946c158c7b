use super::*;
use quote::ToTokens as _;

fn expand_fn(attr: TokenStream, item: TokenStream) -> syn::File {
    syn::parse2(expand(attr, item)).expect("expansion parses as items")
}

#[test]
fn generates_a_sync_test_around_the_async_fn() {
    let file = expand_fn(
        quote!(function = "greeter", payload = r#"{"name": "Bob"}"#),
        quote!(
            async fn greets_bob() {}
        ),
    );
    let syn::Item::Fn(outer) = &file.items[0] else {
        panic!("expected a fn")
    };
    assert_eq!(outer.sig.ident, "greets_bob");
    assert!(outer.sig.asyncness.is_none());
    let test_attr = outer.attrs[0].path().to_token_stream().to_string();
    assert_eq!(test_attr, ":: core :: prelude :: v1 :: test");
    let body = outer.block.to_token_stream().to_string();
    assert!(body.contains("async fn greets_bob"), "{body}");
    assert!(body.contains(". function (\"greeter\")"), "{body}");
    assert!(body.contains("assert_yaml_snapshot"), "{body}");
}

/// Each generated test names itself (its module path and libtest name), so that the library
/// can run it again as a shared local Lambda.
#[test]
fn each_test_names_itself() {
    let file = expand_fn(
        quote!(function = "greeter", qualifiers = ["live"]),
        quote!(
            async fn r#matrix() {}
        ),
    );
    let text = file.to_token_stream().to_string();
    assert!(
        text.contains(". test (:: core :: module_path ! () , \"live\")"),
        "{text}"
    );
}

#[test]
fn snapshot_false_drops_the_assertion_and_outcome_is_passed() {
    let file = expand_fn(
        quote!(function = "f", snapshot = false),
        quote!(
            async fn checks(outcome: lambda_test::Outcome) {}
        ),
    );
    let body = file.items[0].to_token_stream().to_string();
    assert!(!body.contains("assert_yaml_snapshot"), "{body}");
    assert!(body.contains("checks (__lambda_test_outcome)"), "{body}");
}

#[test]
fn qualifiers_make_a_module_with_one_test_each() {
    let file = expand_fn(
        quote!(
            function = "f",
            qualifiers = ["live", "1", "$LATEST"],
            same_payload = true
        ),
        quote!(
            /// Docs.
            async fn matrix() {}
        ),
    );
    let syn::Item::Mod(module) = &file.items[0] else {
        panic!("expected a module")
    };
    assert_eq!(module.ident, "matrix");
    let items = &module.content.as_ref().unwrap().1;
    let tests: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Fn(f) if f.sig.asyncness.is_none() => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(tests, ["live", "v1", "latest"]);
    let text = module.to_token_stream().to_string();
    assert!(text.contains(". qualifier (\"$LATEST\")"), "{text}");
    assert!(
        text.contains(". same_payload (& [\"live\" , \"1\" , \"$LATEST\"])"),
        "{text}"
    );
    // The body is defined once, in the module.
    assert_eq!(text.matches("async fn matrix").count(), 1, "{text}");
}

#[test]
fn expect_error_passes_the_error_and_skips_the_snapshot() {
    let file = expand_fn(
        quote!(
            function = "nope",
            expect_error = "ResourceNotFoundException"
        ),
        quote!(
            async fn refused(error: lambda_test::Error) {}
        ),
    );
    let text = file.to_token_stream().to_string();
    assert!(text.contains("run_expect_error"), "{text}");
    assert!(text.contains("refused (__lambda_test_error)"), "{text}");
    assert!(!text.contains("assert_yaml_snapshot"), "{text}");
}

#[test]
fn request_keys_become_builder_calls() {
    let file = expand_fn(
        quote!(
            function = "api",
            http = "POST /orders?dry_run=1",
            headers = { "content-type" = "application/json", "x-tag" = "t" },
            cookies = ["a=1", "b=2"],
            body_file = "Cargo.toml",
            integration = "alb"
        ),
        quote!(
            async fn orders() {}
        ),
    );
    let text = file.to_token_stream().to_string();
    for call in [
        ". http (\"POST /orders?dry_run=1\")",
        ". header (\"content-type\" , \"application/json\")",
        ". header (\"x-tag\" , \"t\")",
        ". cookie (\"a=1\")",
        ". cookie (\"b=2\")",
        ". body_file (\"Cargo.toml\" , :: core :: include_bytes !",
        ". integration (\"alb\")",
    ] {
        assert!(text.contains(call), "{call} in {text}");
    }
    // The request builds the payload: no payload call.
    assert!(!text.contains(". payload"), "{text}");
}

#[test]
fn stream_keys_become_builder_calls() {
    let file = expand_fn(
        quote!(
            function = "streamer",
            stream = true,
            stream_chunks,
            max_first_byte_ms = 250
        ),
        quote!(
            async fn streams() {}
        ),
    );
    let text = file.to_token_stream().to_string();
    assert!(text.contains(". stream (true)"), "{text}");
    assert!(text.contains(". stream_chunks (true)"), "{text}");
    assert!(text.contains(". max_first_byte_ms (250)"), "{text}");
    let off = expand_fn(
        quote!(function = "streamer", stream = false),
        quote!(
            async fn buffered() {}
        ),
    )
    .to_token_stream()
    .to_string();
    assert!(!off.contains(". stream"), "{off}");
}

#[test]
fn payload_file_is_included_by_the_compiler() {
    // The macro checks that the file exists: use one of this crate's own.
    let file = expand_fn(
        quote!(function = "f", payload_file = "Cargo.toml"),
        quote!(
            async fn from_file() {}
        ),
    );
    let text = file.to_token_stream().to_string();
    assert!(text.contains("include_str"), "{text}");
    assert!(text.contains(". payload_file (\"Cargo.toml\""), "{text}");
}

#[test]
fn a_missing_payload_file_is_reported_with_its_path() {
    let out = expand(
        quote!(function = "f", payload_file = "events/none.json"),
        quote!(
            async fn from_file() {}
        ),
    )
    .to_string();
    assert!(out.contains("is not a file"), "{out}");
    assert!(out.contains("async fn from_file"), "{out}");
}

#[test]
fn an_absolute_payload_file_is_refused() {
    let out = expand(
        quote!(function = "f", payload_file = "/etc/hostname"),
        quote!(
            async fn from_file() {}
        ),
    )
    .to_string();
    assert!(
        out.contains("is relative to the package directory"),
        "{out}"
    );
}

#[test]
fn json_with_variables_is_checked_at_run_time() {
    let out = expand(
        quote!(
            function = "f",
            payload = r#"{"n": ${N}}"#,
            client_context = "${CC}"
        ),
        quote!(
            async fn with_vars() {}
        ),
    )
    .to_string();
    assert!(!out.contains("compile_error"), "{out}");
    let bad = expand(
        quote!(function = "f", payload = r#"{"n": }"#),
        quote!(
            async fn without_vars() {}
        ),
    )
    .to_string();
    assert!(bad.contains("is not valid JSON"), "{bad}");
}

#[test]
fn errors_keep_the_function() {
    let out = expand(
        quote!(fuction = "f"),
        quote!(
            async fn kept() {}
        ),
    )
    .to_string();
    assert!(out.contains("compile_error"), "{out}");
    assert!(out.contains("async fn kept"), "{out}");
}

#[test]
fn missing_async_is_reported() {
    let out = expand(
        quote!(function = "f"),
        quote!(
            fn not_async() {}
        ),
    )
    .to_string();
    assert!(out.contains("the `async` keyword is missing"), "{out}");
}

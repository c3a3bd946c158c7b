//! Code generation: one builder chain into the library, and the insta assertion in the user's
//! test, where insta takes the snapshot's file and name from.
//!
//! A plain attribute makes one test named after the function. `qualifiers` and `events` make
//! a module named after the function with one test per qualifier or per event file (and, with
//! both, one module per event file holding one test per qualifier), so each snapshot is
//! `<file>__<function>__<case>.snap`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{FnArg, Ident, ItemFn, LitStr};

use crate::args::{self, Args, Errors, NameFor};

/// Expands `#[lambda_test(attr)] item`.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let error = syn::Error::new(e.span(), "`#[lambda_test]` goes on an `async fn`");
            let error = error.to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = Errors::default();
    let args = args::parse(attr, &mut errors);
    if let Some(args) = &args {
        args::require_function(args, Span::call_site(), &mut errors);
    }
    check_signature(&function, args.as_ref(), &mut errors);
    let plan = args.as_ref().map(|args| plan(args, &function, &mut errors));
    match (errors.finish(), args, plan) {
        (None, Some(args), Some(plan)) => generate(&args, &function, &plan),
        (error, _, _) => {
            // Keep the function so rust-analyzer and the rest of the file still work.
            let error = error.map(|e| e.to_compile_error());
            quote!(#error #[allow(unused)] #function)
        }
    }
}

fn check_signature(function: &ItemFn, args: Option<&Args>, errors: &mut Errors) {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        );
    }
    for attr in &function.attrs {
        let path = attr.path();
        let last = path.segments.last().map(|s| s.ident.to_string());
        if matches!(last.as_deref(), Some("test" | "lambda_test")) {
            errors.at(
                attr,
                "a second test attribute: `#[lambda_test]` already makes this a test; remove this one",
            );
        }
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.at(&sig.generics, "a lambda test cannot be generic");
    }
    let takes = if args.is_some_and(|a| a.key("expect_error").is_some()) {
        "the `lambda_test::Error` the service refused with"
    } else {
        "the `lambda_test::Outcome`"
    };
    if sig.inputs.len() > 1 {
        let extra: Vec<_> = sig.inputs.iter().skip(1).collect();
        errors.at(
            quote!(#(#extra),*),
            format!("a lambda test takes no argument, or one: {takes}"),
        );
    }
    if let Some(FnArg::Receiver(r)) = sig.inputs.first() {
        errors.at(r, "a lambda test cannot take `self`");
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "a lambda test cannot be variadic");
    }
}

/// An event file of `events = "..."`.
struct EventFile {
    /// Relative to the package directory, with `/` separators.
    relative: String,
    /// The test (or module) it makes.
    ident: Ident,
}

/// What to generate: one test, or a module of cases.
enum Plan {
    Single,
    Matrix {
        qualifiers: Vec<(Ident, LitStr)>,
        events: Vec<EventFile>,
        /// The `events` literal, for spans.
        events_lit: Option<LitStr>,
    },
}

fn plan(args: &Args, function: &ItemFn, errors: &mut Errors) -> Plan {
    let qualifiers: Vec<(Ident, LitStr)> = args
        .list("qualifiers")
        .unwrap_or_default()
        .iter()
        .map(|q| {
            let name = args::test_name(&q.value(), NameFor::Qualifier);
            (Ident::new(&name, q.span()), q.clone())
        })
        .collect();
    let events_lit = args.str("events").cloned();
    // With a conflicting payload there is no test to generate: do not list the folder.
    let conflicting = ["payload", "payload_file"]
        .iter()
        .chain(args::REQUEST_KEYS)
        .any(|k| args.key(k).is_some());
    let events = events_lit
        .as_ref()
        .filter(|_| !conflicting)
        .map(|pattern| list_events(pattern, errors))
        .unwrap_or_default();
    // Only a file that would be sent is checked: with a conflict there is nothing to send.
    if let Some(file) = args.str("payload_file")
        && args.key("payload").is_none()
        && args.key("events").is_none()
        && !args::REQUEST_KEYS.iter().any(|k| args.key(k).is_some())
    {
        check_file("payload_file", file, errors);
    }
    if let Some(file) = args.str("body_file")
        && args.key("body").is_none()
        && args.key("http").is_some()
    {
        check_file("body_file", file, errors);
    }
    let fn_name = function.sig.ident.to_string();
    for ident in qualifiers
        .iter()
        .map(|(i, _)| i)
        .chain(events.iter().map(|e| &e.ident))
    {
        if *ident == fn_name {
            errors.at(
                ident,
                format!(
                    "this makes a test named `{fn_name}` inside the module `{fn_name}`; rename the function"
                ),
            );
        }
    }
    if args.key("qualifiers").is_none() && events_lit.is_none() {
        Plan::Single
    } else {
        Plan::Matrix {
            qualifiers,
            events,
            events_lit,
        }
    }
}

/// A missing payload or body file is reported here, with the path as written, rather than by
/// `include_str!` with the absolute path it resolved to.
fn check_file(key: &str, file: &LitStr, errors: &mut Errors) {
    if std::path::Path::new(&file.value()).is_absolute() {
        errors.at(
            file,
            format!("`{key}` is relative to the package directory, like `\"events/order.json\"`"),
        );
        return;
    }
    let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else {
        return;
    };
    if !std::path::Path::new(&dir).join(file.value()).is_file() {
        errors.at(
            file,
            format!(
                "`{key} = \"{}\"` is not a file; the path is relative to the package directory (`CARGO_MANIFEST_DIR`)",
                file.value()
            ),
        );
    }
}

/// Lists the files an `events` glob matches: the one piece of I/O the macro does, so that each
/// file becomes its own test.
fn list_events(pattern: &LitStr, errors: &mut Errors) -> Vec<EventFile> {
    let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else {
        errors.at(
            pattern,
            "`events` needs `CARGO_MANIFEST_DIR`; build with cargo",
        );
        return Vec::new();
    };
    let value = pattern.value();
    if args::has_vars(pattern) {
        errors.at(
            pattern,
            "`events` is listed at compile time, so it cannot use `${VAR}`",
        );
        return Vec::new();
    }
    if std::path::Path::new(&value).is_absolute() || value.split('/').any(|p| p == "..") {
        errors.at(
            pattern,
            "`events` is a glob relative to the package directory, like `\"events/*.json\"`",
        );
        return Vec::new();
    }
    let full = format!("{}/{}", glob::Pattern::escape(&dir), value);
    let paths = match glob::glob(&full) {
        Ok(paths) => paths,
        Err(e) => {
            errors.at(pattern, format!("`events` is not a valid glob: {}", e.msg));
            return Vec::new();
        }
    };
    let mut files: Vec<String> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .filter_map(|p| {
            p.strip_prefix(&dir)
                .ok()
                .map(|r| r.to_string_lossy().replace('\\', "/"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        errors.at(
            pattern,
            format!(
                "`events = \"{value}\"` matches no file; the glob is relative to the package directory (`CARGO_MANIFEST_DIR`)"
            ),
        );
        return Vec::new();
    }
    let mut events: Vec<EventFile> = Vec::new();
    for relative in files {
        let stem = std::path::Path::new(&relative)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = args::test_name(&stem, NameFor::Event);
        if let Some(first) = events.iter().find(|e| e.ident == name) {
            errors.at(
                pattern,
                format!(
                    "`{}` and `{relative}` both make the test `{name}`; rename one, or narrow the glob",
                    first.relative
                ),
            );
            continue;
        }
        events.push(EventFile {
            ident: Ident::new(&name, pattern.span()),
            relative,
        });
    }
    events
}

fn generate(args: &Args, function: &ItemFn, plan: &Plan) -> TokenStream {
    let ident = &function.sig.ident;
    let vis = &function.vis;
    let mut body_fn = function.clone();
    body_fn.attrs.clear();
    body_fn.vis = syn::Visibility::Inherited;
    match plan {
        Plan::Single => test_fn(args, function, ident, vis, None, None, Some(&body_fn)),
        Plan::Matrix {
            qualifiers,
            events,
            events_lit,
        } => {
            let docs = function
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .collect::<Vec<_>>();
            let cases = if events.is_empty() {
                qualifiers
                    .iter()
                    .map(|(name, q)| test_fn(args, function, name, vis, Some(q), None, None))
                    .collect::<Vec<_>>()
            } else {
                let events_lit = events_lit.as_ref().expect("events come from the key");
                events
                    .iter()
                    .map(|event| {
                        let source = Some((events_lit, event.relative.as_str()));
                        if qualifiers.is_empty() {
                            test_fn(args, function, &event.ident, vis, None, source, None)
                        } else {
                            let tests = qualifiers.iter().map(|(name, q)| {
                                test_fn(args, function, name, vis, Some(q), source, None)
                            });
                            let module = &event.ident;
                            quote! {
                                mod #module {
                                    #[allow(unused_imports)]
                                    use super::*;
                                    #(#tests)*
                                }
                            }
                        }
                    })
                    .collect()
            };
            quote! {
                #(#docs)*
                #vis mod #ident {
                    #[allow(unused_imports)]
                    use super::*;
                    #body_fn
                    #(#cases)*
                }
            }
        }
    }
}

/// One `#[test]`: builds the arguments, invokes, asserts the snapshot, runs the body.
fn test_fn(
    args: &Args,
    function: &ItemFn,
    name: &Ident,
    vis: &syn::Visibility,
    qualifier: Option<&LitStr>,
    event: Option<(&LitStr, &str)>,
    body_fn: Option<&ItemFn>,
) -> TokenStream {
    let ident = &function.sig.ident;
    let output = &function.sig.output;
    let attrs = &function.attrs;
    let mut calls = builder_calls(args);
    // `#[test]` items vanish outside `cargo test`: include the file there too, so that a
    // missing file is an error in every build (`cargo build`, `cargo check`, clippy).
    let file_check = args.str("payload_file").map(|file| {
        let include = include_file(file.span(), &file.value());
        quote!(#[cfg(not(test))] const _: &str = #include;)
    });
    let body_file_check = args.str("body_file").map(|file| {
        let include = include_bytes_file(file.span(), &file.value());
        quote!(#[cfg(not(test))] const _: &[u8] = #include;)
    });
    if let Some(q) = qualifier {
        calls.push(quote_spanned!(q.span()=> .qualifier(#q)));
    }
    if let Some((lit, relative)) = event {
        calls.push(payload_file_call(lit.span(), relative));
    }
    let expect_error = args.key("expect_error").is_some();
    let snapshot = !expect_error && args.bool("snapshot").is_none_or(|b| b.value);
    let takes_arg = !function.sig.inputs.is_empty();
    let (run, value) = if expect_error {
        (
            quote!(let __lambda_test_error = __lambda_test_args.run_expect_error();),
            quote!(__lambda_test_error),
        )
    } else {
        (
            quote!(let __lambda_test_outcome = __lambda_test_args.run();),
            quote!(__lambda_test_outcome),
        )
    };
    let assertion = snapshot.then(|| {
        quote! {
            __lambda_test_args.snapshot_settings().bind(|| {
                ::lambda_test::__private::insta::assert_yaml_snapshot!(
                    __lambda_test_args.snapshot_value(&__lambda_test_outcome)
                );
            });
        }
    });
    let call_body = if takes_arg {
        quote_spanned!(function.sig.span()=> #ident(#value))
    } else {
        quote_spanned!(function.sig.span()=> #ident())
    };
    // The unused binding keeps a body without argument warning-free.
    let discard = (!takes_arg && !snapshot).then(|| quote!(let _ = &#value;));
    let test_name = syn::ext::IdentExt::unraw(name).to_string();
    quote! {
        #file_check
        #body_file_check
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() #output {
            #body_fn
            let __lambda_test_args =
                ::lambda_test::__private::TestArgs::new(::core::env!("CARGO_MANIFEST_DIR"))
                    .package(::core::env!("CARGO_PKG_NAME"))
                    .test(::core::module_path!(), #test_name)
                    #(#calls)*;
            #run
            #assertion
            #discard
            ::lambda_test::__private::block_on(#call_body)
        }
    }
}

/// `.payload_file("rel", include_str!(...))`: the compiler reads the file, so edits rebuild,
/// and a missing file is an error on the literal.
fn payload_file_call(span: Span, relative: &str) -> TokenStream {
    let include = include_file(span, relative);
    quote_spanned!(span=> .payload_file(#relative, #include))
}

/// `include_str!` of a file relative to the package directory, spanned on the literal.
fn include_file(span: Span, relative: &str) -> TokenStream {
    let path = format!("/{relative}");
    quote_spanned! {span=>
        ::core::include_str!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), #path))
    }
}

/// `include_bytes!` of a file relative to the package directory, spanned on the literal.
fn include_bytes_file(span: Span, relative: &str) -> TokenStream {
    let path = format!("/{relative}");
    quote_spanned! {span=>
        ::core::include_bytes!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), #path))
    }
}

/// One builder method per key (`qualifiers` and `events` are one test per value, each with
/// `.qualifier()` or `.payload_file()`; `snapshot` is the assertion itself).
fn builder_calls(args: &Args) -> Vec<TokenStream> {
    let mut calls = Vec::new();
    value_calls(args, &mut calls);
    request_calls(args, &mut calls);
    invocation_calls(args, &mut calls);
    check_calls(args, &mut calls);
    calls
}

/// The string keys that pass their literal as it is, and `payload_file`.
fn value_calls(args: &Args, calls: &mut Vec<TokenStream>) {
    for key in [
        "function",
        "payload",
        "qualifier",
        "client_context",
        "tenant_id",
        "expect_error",
        "endpoint_url",
        "region",
        "profile",
        "role_arn",
        "ca_bundle",
        "http",
        "body",
        "integration",
        "via",
    ] {
        if let Some(v) = args.str(key) {
            let method = format_ident!("{key}", span = v.span());
            calls.push(quote!(.#method(#v)));
        }
    }
    if let Some(file) = args.str("payload_file") {
        calls.push(payload_file_call(file.span(), &file.value()));
    }
}

/// The request keys that are more than a string: `headers`, `cookies`, `body_file`.
fn request_calls(args: &Args, calls: &mut Vec<TokenStream>) {
    for (name, value) in args.map("headers") {
        calls.push(quote_spanned!(name.span()=> .header(#name, #value)));
    }
    for cookie in args.list("cookies").unwrap_or_default() {
        calls.push(quote_spanned!(cookie.span()=> .cookie(#cookie)));
    }
    if let Some(file) = args.str("body_file") {
        let relative = file.value();
        let include = include_bytes_file(file.span(), &relative);
        calls.push(quote_spanned!(file.span()=> .body_file(#relative, #include)));
    }
}

/// How the invocation is made and what its snapshot holds: types, `query`, the bool keys,
/// `log`.
fn invocation_calls(args: &Args, calls: &mut Vec<TokenStream>) {
    if let Some(t) = args.str("invocation_type") {
        let variant = Ident::new(&t.value(), t.span());
        calls.push(quote!(.invocation_type(::lambda_test::InvocationType::#variant)));
    }
    if let Some(b) = args.bool("dry_run").filter(|b| b.value) {
        let variant = Ident::new("DryRun", b.span());
        calls.push(quote!(.invocation_type(::lambda_test::InvocationType::#variant)));
    }
    if let Some(query) = args.list("query") {
        let span = args.key("query").map_or_else(Span::call_site, Ident::span);
        calls.push(quote_spanned!(span=> .query(&[#(#query),*])));
    }
    for key in ["stream", "stream_chunks", "no_sign_request"] {
        if let Some(b) = args.bool(key).filter(|b| b.value) {
            let method = format_ident!("{key}", span = b.span());
            calls.push(quote!(.#method(true)));
        }
    }
    if let Some(log) = args.str("log") {
        let variant = Ident::new(
            if log.value() == "tail" {
                "Tail"
            } else {
                "None"
            },
            log.span(),
        );
        calls.push(quote!(.log(::lambda_test::LogType::#variant)));
    }
}

/// What the outcome is checked against: `same_payload`, budgets and timeouts, `redact`.
fn check_calls(args: &Args, calls: &mut Vec<TokenStream>) {
    if args.is_true("same_payload") {
        let qualifiers = args.list("qualifiers").unwrap_or_default();
        let span = args
            .key("same_payload")
            .map_or_else(Span::call_site, Ident::span);
        calls.push(quote_spanned!(span=> .same_payload(&[#(#qualifiers),*])));
    }
    for key in args::POSITIVE_NUMBER_KEYS.into_iter().chain(["retries"]) {
        if let Some(v) = args.int(key) {
            let method = format_ident!("{key}", span = v.span());
            calls.push(quote!(.#method(#v)));
        }
    }
    for (pattern, replacement) in args.redact() {
        let replacement = match replacement {
            Some(r) => quote!(::core::option::Option::Some(#r)),
            None => quote!(::core::option::Option::None),
        };
        calls.push(quote!(.redact(#pattern, #replacement)));
    }
}

#[cfg(test)]
#[path = "expand_tests.rs"]
mod tests;

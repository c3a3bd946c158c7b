//! Code generation: one builder chain into the library, and the insta assertion in the user's
//! test, where insta takes the snapshot's file and name from.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{FnArg, ItemFn, LitStr};

use crate::args::{self, Args, Errors};

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
    let attr_span = attr_span(&attr);
    let args = args::parse(attr, &mut errors);
    args::require_function(&args, attr_span, &mut errors);
    check_signature(&function, &mut errors);
    match errors.finish() {
        Some(e) => {
            // Keep the function so rust-analyzer and the rest of the file still work.
            let error = e.to_compile_error();
            quote!(#error #[allow(dead_code)] #function)
        }
        None => generate(&args, function),
    }
}

fn attr_span(attr: &TokenStream) -> Span {
    attr.clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

fn check_signature(function: &ItemFn, errors: &mut Errors) {
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
    if sig.inputs.len() > 1 {
        errors.at(
            &sig.inputs,
            "a lambda test takes no argument, or one: the `lambda_test::Outcome`",
        );
    }
    if let Some(FnArg::Receiver(r)) = sig.inputs.first() {
        errors.at(r, "a lambda test cannot take `self`");
    }
}

fn generate(args: &Args, function: ItemFn) -> TokenStream {
    let ident = &function.sig.ident;
    let vis = &function.vis;
    let output = &function.sig.output;
    let outer_attrs = &function.attrs;
    let mut inner = function.clone();
    inner.attrs.clear();
    inner.vis = syn::Visibility::Inherited;

    let calls = builder_calls(args);
    let snapshot = args.snapshot.as_ref().is_none_or(|b| b.value);
    let assertion = snapshot.then(|| {
        quote! {
            __lambda_test_settings.bind(|| {
                ::lambda_test::__private::insta::assert_yaml_snapshot!(
                    __lambda_test_outcome.snapshot_record()
                );
            });
        }
    });
    let call_body = if function.sig.inputs.is_empty() {
        quote_spanned!(function.sig.span()=> #ident())
    } else {
        quote_spanned!(function.sig.span()=> #ident(__lambda_test_outcome))
    };
    quote! {
        #(#outer_attrs)*
        #[::core::prelude::v1::test]
        #vis fn #ident() #output {
            #inner
            let __lambda_test_args =
                ::lambda_test::__private::TestArgs::new(::core::env!("CARGO_MANIFEST_DIR"))
                    #(#calls)*;
            let __lambda_test_settings = __lambda_test_args.snapshot_settings();
            let __lambda_test_outcome = __lambda_test_args.run();
            // Captured by the test runner: shown beside insta's diff when the test fails.
            ::std::eprintln!("{}", __lambda_test_outcome.context());
            #assertion
            ::lambda_test::__private::block_on(#call_body)
        }
    }
}

/// One builder method per key.
fn builder_calls(args: &Args) -> Vec<TokenStream> {
    let mut calls = Vec::new();
    let mut string = |name: &str, value: &Option<LitStr>| {
        if let Some(v) = value {
            let method = syn::Ident::new(name, v.span());
            calls.push(quote!(.#method(#v)));
        }
    };
    string("function", &args.function);
    string("qualifier", &args.qualifier);
    string("payload", &args.payload);
    string("client_context", &args.client_context);
    string("tenant_id", &args.tenant_id);
    string("endpoint_url", &args.endpoint_url);
    if let Some(t) = &args.invocation_type {
        let variant = syn::Ident::new(&t.value(), t.span());
        calls.push(quote!(.invocation_type(::lambda_test::InvocationType::#variant)));
    }
    if let Some(log) = &args.log {
        let variant = syn::Ident::new(
            if log.value() == "tail" {
                "Tail"
            } else {
                "None"
            },
            log.span(),
        );
        calls.push(quote!(.log(::lambda_test::LogType::#variant)));
    }
    calls
}

#[cfg(test)]
mod tests {
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
}

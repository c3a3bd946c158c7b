//! The `#[lambda_test]` attribute. Use it through the `lambda-test` crate, which documents it
//! and holds everything it calls.
//!
//! Not public API on its own, and exempt from semantic versioning: `lambda-test` depends on
//! exactly its own version of this crate, and its expansion calls `lambda-test`'s hidden
//! support module, which changes with it.

mod args;
mod expand;

/// Generates a test that invokes a Lambda function and snapshot-asserts the outcome.
/// See `lambda_test::lambda_test` for the reference.
#[proc_macro_attribute]
pub fn lambda_test(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::expand(attr.into(), item.into()).into()
}

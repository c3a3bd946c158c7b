//! Compile-time diagnostics of `#[lambda_test]`, where users stand: against `lambda-test`.
//!
//! `ui/fail/*.rs` must fail with the committed `.stderr`; `ui/pass/*.rs` must compile.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p lambda-test-suite
//! --test ui`, and read every one before committing it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}

//! Snapshot tests for AWS Lambda functions, run against a faithful embedded local Lambda or
//! the real deployment.
//!
//! ```no_run
//! use lambda_test::lambda_test;
//!
//! #[lambda_test(function = "greeter", payload = r#"{"name": "Bob"}"#)]
//! async fn greets_bob() {}
//! ```
//!
//! The attribute makes a test that invokes `greeter` through `aws-sdk-lambda`, decodes the
//! tail log, and snapshot-asserts the outcome with `insta`
//! (`tests/snapshots/<test file>__greets_bob.snap`):
//!
//! ```yaml
//! status_code: 200
//! executed_version: $LATEST
//! function_error: ~
//! payload:
//!   greeting: "Hello, Bob!"
//! log:
//!   - greeting Bob
//! ```
//!
//! Beyond one invocation: `qualifiers = ["live", "1"]` makes one test per alias or version,
//! `same_payload = true` asserts they agree, `events = "events/*.json"` makes one test per
//! event file, `dry_run` checks permissions, `expect_error = "..."` expects a refusal, and
//! `max_duration_ms` / `max_memory_mb` / `max_init_ms` are budgets read from the REPORT line.
//! The [`lambda_test`](macro@lambda_test) attribute documents every key.
//!
//! ```no_run
//! use lambda_test::lambda_test;
//!
//! #[lambda_test(function = "greeter", qualifiers = ["live", "1"], same_payload = true)]
//! async fn live_is_version_1() {}
//! ```
//!
//! # Targets
//!
//! Resolved for each test ([`Target::resolve`]), the first that applies:
//!
//! 1. an `endpoint_url` attribute, or `LAMBDA_TEST_ENDPOINT_URL`: that endpoint;
//! 2. `LAMBDA_TEST_TARGET=aws`: real AWS through `aws-config`'s default chain
//!    (`LAMBDA_TEST_TARGET=local`: the local Lambda, an error without `lambda-test.toml` or
//!    `[package.metadata.lambda]`);
//! 3. the package's own setting in its `Cargo.toml`, read at run time:
//!    `[package.metadata.lambda-test] target = "aws"` (or `"local"`);
//! 4. a `lambda-test.toml` in the package, or cargo-lambda's `[package.metadata.lambda]` in
//!    its `Cargo.toml` ([`config`], "Where functions are declared"): the embedded local Lambda
//!    ([`emulator`]), started once per test process;
//! 5. otherwise [`Error::NoTarget`], whose message names the directory searched and both ways
//!    to reach real AWS.
//!
//! **Breaking change:** before, case 5 sent invocations to real AWS. A moved checkout or a
//! renamed file then ran the tests against the deployed functions with whatever credentials
//! the machine had; real AWS is now reached only when asked for.
//!
//! ```toml
//! # Cargo.toml of a package whose tests check the deployed functions
//! [package.metadata.lambda-test]
//! target = "aws"
//! ```
//!
//! ## Event invocations
//!
//! An `Event` invocation answers 202 at once and runs in the background.
//! [`Outcome::event_result`] waits for that invocation's own result (attempts, final payload or
//! error, dead-lettered or not), keyed by its request id, so another test's failing event never
//! fails this one; it works the same in process and on a shared local Lambda.
//! [`Local::events_drained`] and [`Local::dead_letters`] read the whole queue, every test's.
//!
//! ## Under `cargo nextest run`
//!
//! nextest runs every test in its own process. There, the test processes of a run share one
//! local Lambda per package instead of starting one each: the first process starts it as a
//! server (its own test executable, run again), the others use it and its warm instances, and
//! it stops by itself once no test process has used it for two seconds. Its state lives
//! in `target/<profile>/lambda-test-shared/` (`server.log` holds its output).
//! [`Local`] reaches it either way.
//!
//! | variable | effect |
//! |---|---|
//! | `LAMBDA_TEST_SHARED=1` | share under any runner (e.g. several `cargo test` processes at once) |
//! | `LAMBDA_TEST_SHARED=0` | one local Lambda per process, under nextest too |
//! | `LAMBDA_TEST_SHARED_DIR` | where the shared state directories go |
//!
//! # Without the attribute
//!
//! [`Invocation`] is the builder behind it, usable with any `aws_sdk_lambda::Client`;
//! [`Harness`] gives the client of a target and runs the local Lambda.
//!
//! How the crate is built, file by file, and where new pieces plug in: [`architecture`].
//! Where the local Lambda's answers were checked against ones recorded from real AWS, and where
//! it differs on purpose: [`fidelity`].
//!
//! # Features
//!
//! - `emulator` (default): the embedded local Lambda.
//! - `macros` (default): the `#[lambda_test]` attribute.
//! - `cli`: the `lambda-test serve` binary (`cargo run -p lambda-test --features cli -- serve`);
//!   off by default so that the tests of a function package do not compile its command line.
//!
//! # Stability
//!
//! `lambda-test` follows semantic versioning (for `0.x`, a minor release may break; `CHANGELOG.md`
//! marks every such change **Breaking**). Public API, covered by that promise:
//!
//! - the [`lambda_test`](macro@lambda_test) attribute and its keys;
//! - the snapshot record (its fields, their order and the default redactions): a change that
//!   makes a committed snapshot fail is a breaking change;
//! - `lambda-test.toml`'s keys, the `[package.metadata.lambda-test]` table and the
//!   `LAMBDA_TEST_*` environment variables;
//! - every item these docs show: [`Invocation`], [`Outcome`], [`Harness`], [`Target`],
//!   [`Local`], [`Error`] and the rest of the crate root, [`config`]'s model, and [`emulator`]'s
//!   [`Emulator`](emulator::Emulator) and [`Options`](emulator::Options). Enums and records
//!   marked `#[non_exhaustive]` may gain variants and fields in a minor release.
//!
//! Exempt, and free to change in any release:
//!
//! - `lambda_test::__private`, the support code `#[lambda_test]` expands to, and the
//!   `lambda-test-macros` crate itself: depend on `lambda-test` alone (it pins the macros
//!   crate's exact version), never on the macros crate;
//! - `emulator::__internals` and everything else `#[doc(hidden)]`: the local Lambda's internals
//!   (its instances, pools, Runtime API plumbing), kept reachable only for this crate's own tests
//!   and benchmarks;
//! - the shared local Lambda's control route and state directory, and the exact wording of error
//!   messages and of `lambda-test serve`'s log.
//!
//! The minimum supported Rust version is the `rust-version` of `Cargo.toml` (the README says
//! which it is); raising it is a minor release.

// docs.rs builds with `--cfg docsrs` on nightly: feature-gated items show the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod attr;
mod client;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod config;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
mod error;
#[cfg(feature = "emulator")]
mod local;

/// The name of the config file the local Lambda reads from a package directory.
pub const CONFIG_FILE_NAME: &str = "lambda-test.toml";

pub use client::harness::{ClientOptions, Harness};
pub use client::http_response::HttpResponseRecord;
pub use client::invocation::{Invocation, InvocationType, LogType, THROTTLING_RETRIES};
pub use client::outcome::{
    ErrorRecord, HttpRecord, InBodyErrorRecord, Outcome, Redactions, SnapshotRecord, StreamRecord,
};
pub use client::stream::{
    HTTP_INTEGRATION_CONTENT_TYPE, HttpPrelude, InBodyError, InvokeCompleteError, ResponseStream,
    StreamPayload, Streamed,
};
pub use client::tail_log::{Report, TailLog};
pub use client::target::Target;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub use emulator::EventResult;
pub use error::Error;
#[doc = include_str!("../docs/lambda_test.md")]
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use lambda_test_macros::lambda_test;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub use local::Local;

#[doc = include_str!("../docs/architecture.md")]
pub mod architecture {}

#[doc = include_str!("../docs/fidelity.md")]
pub mod fidelity {}

/// Not public API; used by `#[lambda_test]`.
#[doc(hidden)]
pub mod __private {
    pub use crate::attr::{SnapshotValue, TestArgs};
    pub use insta;

    /// Runs the test body on the harness runtime.
    pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
        crate::Harness::global().block_on(future)
    }
}

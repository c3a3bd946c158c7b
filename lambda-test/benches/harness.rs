//! Harness overhead: the median latency of one invoke through lambda-test against a bare
//! `aws-sdk-lambda` invoke, same local Lambda, same function, same client, same run; the
//! variants alternate round by round so the machine's noise hits all alike. Target: ≤ 1.05x.
//!
//! ```text
//! cargo bench -p lambda-test --bench harness [-- --rounds 400]
//! ```
//!
//! Variants (each round runs every one, in a rotating order):
//! - `sdk_tail`: `client.invoke()` with `LogType::Tail` (the request lambda-test sends);
//! - `sdk_none`: the same without a log type (the `aws lambda invoke` default), for reference;
//! - `invocation`: `lambda_test::Invocation::send` (builder, tail-log decode);
//! - `test_args`: what `#[lambda_test(snapshot = false)]` runs: `TestArgs::run` (target
//!   resolution, harness lookup, binary check, invoke on the harness runtime, context print);
//! - `lambda_test`: what `#[lambda_test]` runs: the above plus the redacted snapshot record and
//!   the insta assertion (against `benches/snapshots/`).
//!
//! The measuring process runs as a child with stderr sent to /dev/null: `TestArgs::run` prints
//! the request id and tail log for every test (libtest captures it; a bench would drown in it).

mod common;

use std::time::{Duration, Instant};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use lambda_test::{Harness, Invocation};

/// A deterministic answer (so a snapshot can hold it) with one log line the default
/// redactions rewrite.
const PAYLOAD: &str =
    r#"{"action":"respond_bytes","bytes":16,"log":["served at 2026-01-01T00:00:00Z"]}"#;
const FUNCTION: &str = "echo";
const VARIANTS: [&str; 5] = [
    "sdk_tail",
    "sdk_none",
    "invocation",
    "test_args",
    "lambda_test",
];

fn main() {
    if std::env::var_os("LAMBDA_BENCH_CHILD").is_none() {
        let status = std::process::Command::new(std::env::current_exe().expect("own path"))
            .args(std::env::args().skip(1))
            .env("LAMBDA_BENCH_CHILD", "1")
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run the measuring child");
        std::process::exit(status.code().unwrap_or(1));
    }
    let rounds: usize = common::arg("--rounds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let bin = common::probe_binary();
    let dir = common::config_dir(FUNCTION, &bin);
    let package_dir: &'static str = Box::leak(dir.display().to_string().into_boxed_str());

    let harness = Harness::global();
    let local = harness
        .block_on(harness.local(&dir))
        .unwrap_or_else(|e| panic!("{e}"));
    let client = local.client().clone();
    let args = lambda_test::__private::TestArgs::new(package_dir)
        .function(FUNCTION)
        .payload(PAYLOAD);

    let run = |variant: &str| -> Duration {
        let started = Instant::now();
        match variant {
            "sdk_tail" | "sdk_none" => {
                let mut request = client
                    .invoke()
                    .function_name(FUNCTION)
                    .payload(Blob::new(PAYLOAD));
                if variant == "sdk_tail" {
                    request = request.log_type(LogType::Tail);
                }
                let out = harness.block_on(request.send()).expect("bare invoke");
                assert_eq!(out.status_code(), 200);
            }
            "invocation" => {
                let outcome = harness
                    .block_on(Invocation::new(FUNCTION).payload(PAYLOAD).send(&client))
                    .expect("invocation");
                assert_eq!(outcome.status_code, 200);
            }
            "test_args" => {
                let outcome = args.run();
                assert_eq!(outcome.status_code, 200);
            }
            "lambda_test" => {
                let outcome = args.run();
                args.snapshot_settings().bind(|| {
                    lambda_test::__private::insta::assert_yaml_snapshot!(
                        "harness_overhead",
                        args.snapshot_record(&outcome)
                    );
                });
            }
            other => unreachable!("{other}"),
        }
        started.elapsed()
    };

    for _ in 0..50 {
        for v in VARIANTS {
            run(v);
        }
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); VARIANTS.len()];
    for round in 0..rounds {
        for k in 0..VARIANTS.len() {
            let i = (round + k) % VARIANTS.len();
            samples[i].push(run(VARIANTS[i]));
        }
    }
    let base = common::median(&samples[0]).as_secs_f64();
    println!(
        "# harness overhead: {rounds} rounds, variants interleaved, function `probe` as `{FUNCTION}`"
    );
    for (name, s) in VARIANTS.iter().zip(&samples) {
        let st = common::stats(s);
        println!(
            "HARNESS variant={name} n={} p50_ms={} p90_ms={} p99_ms={} ratio_vs_sdk_tail={:.3}",
            st.n,
            common::ms(st.p50),
            common::ms(st.p90),
            common::ms(st.p99),
            st.p50.as_secs_f64() / base
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

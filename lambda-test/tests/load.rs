//! Load: many invocations at concurrency 64, synchronous and `Event` mixed. Every synchronous
//! call is answered once, with its own event; every event is delivered (retries included) and
//! accounted for; memory stays flat.
//!
//! CI runs a bounded count; `LAMBDA_TEST_LOAD_INVOCATIONS=100000` runs the full load (its last
//! result is in BENCHMARKS.md).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::{Value, json};

const CONCURRENCY: u64 = 64;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_load_is_answered_and_accounted_for() {
    let total: u64 = std::env::var("LAMBDA_TEST_LOAD_INVOCATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let (emulator, client) =
        support::start("[functions.probe]\nbin = \"probe\"\ntimeout = 30\n").await;
    let next = Arc::new(AtomicU64::new(0));
    let failing_events = Arc::new(AtomicU64::new(0));
    let started = std::time::Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let client = client.clone();
            let next = Arc::clone(&next);
            let failing_events = Arc::clone(&failing_events);
            tokio::spawn(async move {
                let mut sync_answers = 0u64;
                loop {
                    let seq = next.fetch_add(1, Ordering::Relaxed);
                    if seq >= total {
                        return sync_answers;
                    }
                    // One in four is an Event; one event in ten fails (and is retried twice).
                    if seq.is_multiple_of(4) {
                        let fails = seq.is_multiple_of(40);
                        if fails {
                            failing_events.fetch_add(1, Ordering::Relaxed);
                        }
                        let event = if fails {
                            json!({"seq": seq, "action": "error"})
                        } else {
                            json!({"seq": seq})
                        };
                        let out = client
                            .invoke()
                            .function_name("probe")
                            .invocation_type(InvocationType::Event)
                            .payload(Blob::new(event.to_string()))
                            .send()
                            .await
                            .expect("event accepted");
                        assert_eq!(out.status_code(), 202);
                    } else {
                        let out = client
                            .invoke()
                            .function_name("probe")
                            .payload(Blob::new(json!({"seq": seq}).to_string()))
                            .send()
                            .await
                            .expect("answered");
                        let payload: Value =
                            serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
                        assert_eq!(
                            payload["event"]["seq"], seq,
                            "each caller gets its own answer"
                        );
                        sync_answers += 1;
                    }
                }
            })
        })
        .collect();
    // Memory after the first fifth, when every instance exists, against the end.
    while next.load(Ordering::Relaxed) < total / 5 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let rss_at_fifth = rss_kb();
    let mut sync_answers = 0;
    for w in workers {
        sync_answers += w.await.expect("worker");
    }
    emulator.events_drained().await;
    let elapsed = started.elapsed();
    let rss_at_end = rss_kb();

    let events = total.div_ceil(4);
    let failing = failing_events.load(Ordering::Relaxed);
    assert_eq!(sync_answers, total - events);
    let stats = emulator.event_stats();
    assert_eq!(stats.enqueued, events);
    assert_eq!(stats.succeeded, events - failing);
    assert_eq!(stats.dead_lettered, failing);
    assert_eq!(
        stats.attempts,
        (events - failing) + 3 * failing,
        "two retries per failure"
    );
    assert_eq!(emulator.dead_letters().len() as u64, failing);
    let growth = rss_at_end.saturating_sub(rss_at_fifth);
    eprintln!(
        "load: {total} invocations ({events} events, {failing} failing) at concurrency {CONCURRENCY} in {:.2} s; RSS {rss_at_fifth} kB after a fifth, {rss_at_end} kB at the end",
        elapsed.as_secs_f64()
    );
    assert!(
        growth < 64 * 1024,
        "memory grew by {growth} kB from a fifth of the load to its end"
    );
}

//! The local Lambda under load: warm invoke latency (p50, p99) and throughput at concurrency 1,
//! 8 and 64 for an echo function, cold start (what the emulator adds to the function's own
//! init), and the emulator's RSS idle, per warm instance and under 64-way load.
//!
//! ```text
//! cargo bench -p lambda-test --bench emulator                 # everything, against `lambda-test serve`
//! cargo bench -p lambda-test --bench emulator -- --endpoint http://127.0.0.1:9000 --function echo
//! cargo bench -p lambda-test --bench emulator -- --endpoint http://127.0.0.1:9000 --function echo --url
//!                                                             # only the load levels, any endpoint
//! cargo bench -p lambda-test --bench emulator -- --function-alone   # the function alone (below)
//! ```
//!
//! `--function-alone` runs the function processes against a minimal Runtime API written for
//! the purpose, which hands each one the next event the moment it asks, with no Invoke API and
//! no caller. Its p50 (event handed out to response received) is the function's own handling
//! time, which every emulator's latency includes; its rate is what the function takes with
//! nothing in front of it (not a strict bound: an emulator's Runtime API can serve the runtime
//! faster than this one does).
//!
//! Options: `--levels 1,8,64`, `--duration <s>` (measured, per level), `--warmup <s>`,
//! `--label <name>` (of the `RESULT` lines), `--cold <n>` (cold starts), `--skip-cold`.
//! `LAMBDA_BENCH_FUNCTION_BIN` replaces the `probe` example as the function binary.
//! Targets are goals here, never assertions: the bench reports, it does not fail.

mod common;

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use common::{LoadResult, RawClient, ms, rss_kb};
use lambda_test::TailLog;
use tokio::io::AsyncReadExt as _;

const ECHO: &[u8] = b"{}";
const FUNCTION: &str = "echo";

fn main() {
    // The minimal Runtime API runs on one thread, as `lambda-test serve` does, so that its CPU
    // per invocation counts the same wake-ups.
    let runtime = if common::flag("--function-alone") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    }
    .expect("runtime");
    runtime.block_on(async {
        let levels: Vec<usize> = common::arg("--levels")
            .unwrap_or_else(|| "1,8,64".into())
            .split(',')
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        let seconds = |name: &str, default: f64| {
            Duration::from_secs_f64(
                common::arg(name)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(default),
            )
        };
        let duration = seconds("--duration", 3.0);
        let warmup = seconds("--warmup", 1.0);
        if common::flag("--function-alone") {
            let bin = common::probe_binary();
            let label = common::arg("--label").unwrap_or_else(|| "function-alone".into());
            for c in levels {
                let alone = function_alone(&bin, c, warmup, duration).await;
                println!(
                    "FUNCTION_ALONE label={label} c={c} rps={:.0} handling_p50_ms={} cpu_us_per_inv={:.1} (minimal Runtime API, no caller)",
                    alone.rps,
                    ms(alone.handling_p50),
                    alone.cpu_us_per_inv
                );
            }
            return;
        }
        if let Some(endpoint) = common::arg("--endpoint") {
            let function = common::arg("--function").unwrap_or_else(|| FUNCTION.into());
            let label = common::arg("--label").unwrap_or_else(|| "endpoint".into());
            // `--url`: the function's Function URL (`/lambda-url/<function>/`, the layout of
            // both lambda-test serve and cargo lambda watch) instead of its Invoke route.
            let path = if common::flag("--url") {
                format!("/lambda-url/{function}/")
            } else {
                common::invoke_path(&function)
            };
            for c in levels {
                let result = common::load_at(&endpoint, &path, ECHO, c, warmup, duration).await;
                println!("{}", result.line(&label));
            }
            return;
        }
        let bin = common::probe_binary();
        println!("# function binary: {}", bin.display());
        let label = common::arg("--label").unwrap_or_else(|| "lambda-test".into());
        serve_bench(&bin, &levels, warmup, duration, &label).await;
        if !common::flag("--skip-cold") {
            let n = common::arg("--cold")
                .and_then(|v| v.parse().ok())
                .unwrap_or(15);
            cold_bench(&bin, n).await;
        }
    });
}

/// `lambda-test serve` as a child process, so its RSS is the emulator's alone.
struct Server {
    child: Child,
    endpoint: String,
}

impl Server {
    fn start(config: &Path) -> Server {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-test"))
            .args(["serve", "--port", "0", "--quiet", "--config"])
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start lambda-test serve");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the serve banner");
        let endpoint = line
            .split_whitespace()
            .last()
            .filter(|e| e.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected banner {line:?}"))
            .to_owned();
        Server { child, endpoint }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (the server stops its instances), then wait.
    fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn mib(kb: u64) -> String {
    format!("{:.1}", kb as f64 / 1024.0)
}

/// Sum of the children's RSS (the function processes), in KiB.
fn children_rss_kb(pid: u32) -> (usize, u64) {
    let children = common::children(pid);
    let total = children
        .iter()
        .filter_map(|c| rss_kb(*c))
        .map(|(rss, _)| rss)
        .sum();
    (children.len(), total)
}

async fn serve_bench(
    bin: &Path,
    levels: &[usize],
    warmup: Duration,
    duration: Duration,
    label: &str,
) {
    let dir = common::config_dir(FUNCTION, bin);
    let server = Server::start(&dir.join("lambda-test.toml"));
    let pid = server.pid();
    let endpoint = server.endpoint.clone();
    println!("# lambda-test serve (pid {pid}) at {endpoint}");

    // Memory: idle, one warm instance, eight warm instances.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle, _) = rss_kb(pid).expect("rss");
    let mut client = RawClient::connect(&endpoint, FUNCTION, false)
        .await
        .expect("connect");
    let (status, _) = client.invoke(ECHO).await.expect("first invoke");
    assert_eq!(status, 200, "the echo function answers");
    for _ in 0..50 {
        client.invoke(ECHO).await.expect("warm invoke");
    }
    let (one, _) = rss_kb(pid).expect("rss");
    // Eight callers at once: every one that finds no idle instance starts one.
    let burst: Vec<_> = (0..8)
        .map(|_| {
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let mut c = RawClient::connect(&endpoint, FUNCTION, false).await?;
                for _ in 0..20 {
                    c.invoke(ECHO).await?;
                }
                std::io::Result::Ok(())
            })
        })
        .collect();
    for b in burst {
        let _ = b.await;
    }
    let (eight, _) = rss_kb(pid).expect("rss");
    let (instances, fn_eight) = children_rss_kb(pid);
    println!(
        "MEMORY idle_mib={} one_instance_mib={} eight_instances_mib={} per_instance_kib={} instances={instances} function_process_rss_mib={}",
        mib(idle),
        mib(one),
        mib(eight),
        (eight.saturating_sub(one)) / (instances.max(2) as u64 - 1),
        mib(fn_eight / instances.max(1) as u64),
    );

    // Load levels; RSS sampled every 20 ms during the last (64-way) one.
    let mut results: Vec<LoadResult> = Vec::new();
    for &c in levels {
        let sampling = Arc::new(AtomicBool::new(true));
        let peak = Arc::new(AtomicU64::new(0));
        let sampler = {
            let sampling = Arc::clone(&sampling);
            let peak = Arc::clone(&peak);
            tokio::spawn(async move {
                while sampling.load(Ordering::Relaxed) {
                    if let Some((rss, _)) = rss_kb(pid) {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        let result = common::load(&endpoint, FUNCTION, ECHO, c, warmup, duration).await;
        sampling.store(false, Ordering::Relaxed);
        let _ = sampler.await;
        println!("{}", result.line(label));
        let (instances, fn_total) = children_rss_kb(pid);
        println!(
            "MEMORY_UNDER_LOAD c={c} emulator_peak_mib={} emulator_hwm_mib={} instances={instances} functions_rss_mib={}",
            mib(peak.load(Ordering::Relaxed)),
            mib(rss_kb(pid).map(|(_, hwm)| hwm).unwrap_or(0)),
            mib(fn_total),
        );
        results.push(result);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "MEMORY after_load_mib={}",
        mib(rss_kb(pid).map(|(rss, _)| rss).unwrap_or(0))
    );
    server.stop();
    let _ = std::fs::remove_dir_all(dir);
}

fn sdk_client(endpoint: &str) -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "bench"))
        .retry_config(RetryConfig::disabled())
        // A plain HTTP client: lambda-test builds the SDK without its default HTTPS one.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

/// The function's own init: spawn to its first `GET /next`, against a bare listener that does
/// nothing else. No emulator can start the function faster than this.
async fn own_init(bin: &Path) -> Duration {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let api = listener.local_addr().expect("addr").to_string();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .env_clear()
        .envs(function_env(&api))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the function");
    let (mut socket, _) = listener.accept().await.expect("the runtime connects");
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.expect("read");
        assert!(n > 0, "the runtime hung up before asking for an event");
        seen.extend_from_slice(&buf[..n]);
    }
    let elapsed = started.elapsed();
    assert!(
        seen.starts_with(b"GET /2018-06-01/runtime/invocation/next"),
        "the first request is /next"
    );
    let _ = child.kill().await;
    elapsed
}

/// What [`function_alone`] measured over its `duration`.
struct FunctionAlone {
    /// Invocations per second.
    rps: f64,
    /// The median time from handing out an event to its response.
    handling_p50: Duration,
    /// CPU time of this process (the bare Runtime API, its function processes excluded) per
    /// invocation: what answering the runtime alone costs, the floor of any Runtime API.
    cpu_us_per_inv: f64,
}

/// `c` function processes against a bare Runtime API: every `GET /next` is answered at once
/// with `{}`, every `/response` is counted, over `duration` after `warmup`.
async fn function_alone(
    bin: &Path,
    c: usize,
    warmup: Duration,
    duration: Duration,
) -> FunctionAlone {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let api = listener.local_addr().expect("addr").to_string();
    let children: Vec<_> = (0..c)
        .map(|_| {
            tokio::process::Command::new(bin)
                .env_clear()
                .envs(function_env(&api))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("spawn the function")
        })
        .collect();
    let measuring = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let accept = {
        let (measuring, samples) = (Arc::clone(&measuring), Arc::clone(&samples));
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.expect("accept");
                let _ = socket.set_nodelay(true);
                let (measuring, samples) = (Arc::clone(&measuring), Arc::clone(&samples));
                tokio::spawn(bare_runtime_api(socket, measuring, samples));
            }
        })
    };
    tokio::time::sleep(warmup).await;
    measuring.store(true, Ordering::SeqCst);
    let cpu_before = own_cpu_seconds();
    tokio::time::sleep(duration).await;
    let cpu = own_cpu_seconds() - cpu_before;
    measuring.store(false, Ordering::SeqCst);
    accept.abort();
    drop(children);
    let samples = std::mem::take(&mut *samples.lock().expect("samples"));
    let rps = samples.len() as f64 / duration.as_secs_f64();
    let cpu_us_per_inv = cpu * 1e6 / samples.len().max(1) as f64;
    let latencies: Vec<Duration> = samples.into_iter().flatten().collect();
    FunctionAlone {
        rps,
        handling_p50: common::median(&latencies),
        cpu_us_per_inv,
    }
}

/// utime + stime of this process's threads, children excluded, from `/proc/self/stat`: the
/// reading `scripts/bench-cpu` takes of a server's pid.
fn own_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name is in parentheses and may hold spaces: split after it.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of proc(5), in clock ticks of 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

fn function_env(api: &str) -> [(&'static str, String); 8] {
    [
        ("AWS_LAMBDA_RUNTIME_API", api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION.to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/echo".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
    ]
}

/// One runtime connection of [`function_alone`]: the least a Runtime API can do.
async fn bare_runtime_api(
    socket: tokio::net::TcpStream,
    measuring: Arc<AtomicBool>,
    samples: Arc<std::sync::Mutex<Vec<Option<Duration>>>>,
) {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
    let mut socket = tokio::io::BufReader::new(socket);
    let mut handed_out: Option<Instant> = None;
    let mut next_id = 0u64;
    loop {
        let mut head = Vec::new();
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if socket.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                content_length = v.trim().parse().unwrap_or(0);
            }
            head.push(line);
        }
        let mut body = vec![0u8; content_length];
        if socket.read_exact(&mut body).await.is_err() {
            return;
        }
        let request_line = head.first().cloned().unwrap_or_default();
        let answer = if request_line.starts_with("GET ") {
            next_id += 1;
            handed_out = Some(Instant::now());
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: {next_id}\r\nlambda-runtime-deadline-ms: 99999999999999\r\nlambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:echo\r\nlambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\ncontent-length: {}\r\n\r\n{}",
                ECHO.len(),
                String::from_utf8_lossy(ECHO)
            )
        } else {
            // `None` when the runtime answers on another connection than it asked on: the
            // invocation still counts, with no latency sample.
            if measuring.load(Ordering::Relaxed) {
                samples
                    .lock()
                    .expect("samples")
                    .push(handed_out.take().map(|at| at.elapsed()));
            }
            "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n{\"status\":\"OK\"}".to_owned()
        };
        if socket.get_mut().write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn cold_bench(bin: &Path, n: usize) {
    let dir = common::config_dir(FUNCTION, bin);
    let config =
        lambda_test::config::Config::load(&dir.join("lambda-test.toml")).expect("bench config");
    let emulator = lambda_test::emulator::Emulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("emulator starts");
    let client = sdk_client(emulator.endpoint());
    let invoke = || async {
        let started = Instant::now();
        let out = client
            .invoke()
            .function_name(FUNCTION)
            .log_type(LogType::Tail)
            .payload(Blob::new(ECHO))
            .send()
            .await
            .expect("invoke");
        let elapsed = started.elapsed();
        let report = out
            .log_result()
            .and_then(|l| TailLog::decode(l).ok())
            .and_then(|l| l.report);
        (elapsed, report)
    };
    let (mut cold, mut warm, mut own, mut init) = (vec![], vec![], vec![], vec![]);
    for i in 0..n + 1 {
        emulator.stop_instances().await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        // Alternate which is measured first, so drift hits both alike.
        let own_first = i % 2 == 0;
        if own_first {
            own.push(own_init(bin).await);
        }
        let (c, report) = invoke().await;
        let (w, _) = invoke().await;
        if !own_first {
            own.push(own_init(bin).await);
        }
        if i == 0 {
            // The first spawn of the binary pays for the page cache; not counted.
            own.clear();
            continue;
        }
        cold.push(c);
        warm.push(w);
        if let Some(ms) = report.and_then(|r| r.init_duration_ms) {
            init.push(ms);
        }
    }
    let cold_ms = common::median(&cold).as_secs_f64() * 1000.0;
    let warm_ms = common::median(&warm).as_secs_f64() * 1000.0;
    let own_ms = common::median(&own).as_secs_f64() * 1000.0;
    let init_ms = common::median_f64(&init);
    println!(
        "COLD n={n} cold_invoke_ms={cold_ms:.3} warm_invoke_ms={warm_ms:.3} own_init_ms={own_ms:.3} report_init_duration_ms={init_ms:.3} emulator_adds_ms={:.3} (cold - warm - own init) outside_init_ms={:.3} (cold - warm - REPORT Init Duration)",
        cold_ms - warm_ms - own_ms,
        cold_ms - warm_ms - init_ms,
    );
    let (cold, own) = (common::stats(&cold), common::stats(&own));
    println!(
        "# cold p50 {} ms, max {} ms; own init p50 {} ms, max {} ms",
        ms(cold.p50),
        ms(cold.max),
        ms(own.p50),
        ms(own.max),
    );
    emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

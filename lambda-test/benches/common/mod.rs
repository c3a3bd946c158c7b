//! Helpers shared by the benches: percentiles, a raw HTTP/1.1 keep-alive load generator, the
//! echo function's binary, `/proc` readers. No criterion: these are plain `harness = false`
//! programs, to keep the build cost of `cargo bench` low.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

/// Summary of a set of latencies.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// How many samples.
    pub n: usize,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Smallest.
    pub min: Duration,
    /// Largest.
    pub max: Duration,
}

/// Nearest-rank percentile of sorted samples (`p` in 0..=100).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median (mean of the two middle samples for an even count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => Duration::ZERO,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// Median of plain numbers.
pub fn median_f64(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// p50/p90/p99/min/max of samples.
pub fn stats(samples: &[Duration]) -> Stats {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    Stats {
        n: sorted.len(),
        p50: median(&sorted),
        p90: percentile(&sorted, 90.0),
        p99: percentile(&sorted, 99.0),
        min: sorted.first().copied().unwrap_or_default(),
        max: sorted.last().copied().unwrap_or_default(),
    }
}

/// Milliseconds with three decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// One HTTP/1.1 keep-alive connection that POSTs Invoke requests, without an SDK: the load
/// generator should cost the 2-core machine as little as possible, so the server is measured.
pub struct RawClient {
    address: String,
    path: String,
    stream: BufReader<TcpStream>,
    tail: bool,
}

/// `http://host:port[/...]` to `host:port`.
pub fn host_port(endpoint: &str) -> String {
    let rest = endpoint
        .strip_prefix("http://")
        .unwrap_or(endpoint)
        .trim_end_matches('/');
    rest.split('/').next().unwrap_or(rest).to_owned()
}

impl RawClient {
    /// Connects to an endpoint (`http://127.0.0.1:9001`) for `function`'s Invoke route.
    pub async fn connect(endpoint: &str, function: &str, tail: bool) -> std::io::Result<Self> {
        Self::connect_to(endpoint, &invoke_path(function), tail).await
    }

    /// Connects to an endpoint for `POST`s to `path` (an Invoke route, or a Function URL's
    /// `/lambda-url/<function>/`).
    pub async fn connect_to(endpoint: &str, path: &str, tail: bool) -> std::io::Result<Self> {
        let address = host_port(endpoint);
        let stream = TcpStream::connect(&address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            path: path.to_owned(),
            address,
            stream: BufReader::new(stream),
            tail,
        })
    }

    /// One invocation: the status and the body.
    pub async fn invoke(&mut self, payload: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let mut request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            self.path,
            self.address,
            payload.len()
        );
        if self.tail {
            request.push_str("X-Amz-Log-Type: Tail\r\n");
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(payload);
        self.stream.get_mut().write_all(&bytes).await?;
        let (status, body, close) = read_response(&mut self.stream).await?;
        if close {
            let stream = TcpStream::connect(&self.address).await?;
            stream.set_nodelay(true)?;
            self.stream = BufReader::new(stream);
        }
        Ok((status, body))
    }
}

fn bad(message: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.into())
}

async fn read_response(stream: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<u8>, bool)> {
    let mut line = String::new();
    if stream.read_line(&mut line).await? == 0 {
        return Err(bad("connection closed before the status line"));
    }
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
    let mut length = None;
    let mut chunked = false;
    let mut close = false;
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            stream.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|_| bad("bad chunk size"))?;
            let mut chunk = vec![0; size + 2];
            stream.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        stream.read_exact(&mut body).await?;
    } else if status != 204 && status != 304 && close {
        stream.read_to_end(&mut body).await?;
    }
    Ok((status, body, close))
}

/// The Invoke route of `function`.
pub fn invoke_path(function: &str) -> String {
    format!("/2015-03-31/functions/{function}/invocations")
}

/// What one load level measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Concurrent connections (in-flight requests).
    pub concurrency: usize,
    /// Requests completed inside the measured window.
    pub completed: usize,
    /// Non-200 answers and transport errors inside the window.
    pub errors: usize,
    /// Requests per second inside the window.
    pub throughput: f64,
    /// Latency summary.
    pub latency: Stats,
}

impl LoadResult {
    /// One machine-readable line: `RESULT label=... c=... rps=... p50_ms=... p99_ms=...`.
    pub fn line(&self, label: &str) -> String {
        format!(
            "RESULT label={label} c={} n={} errors={} rps={:.0} p50_ms={} p90_ms={} p99_ms={} max_ms={}",
            self.concurrency,
            self.completed,
            self.errors,
            self.throughput,
            ms(self.latency.p50),
            ms(self.latency.p90),
            ms(self.latency.p99),
            ms(self.latency.max),
        )
    }
}

/// Drives `function` at `endpoint` with `concurrency` keep-alive connections: `warmup` unmeasured
/// (instances scale out there), then `duration` measured.
pub async fn load(
    endpoint: &str,
    function: &str,
    payload: &'static [u8],
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> LoadResult {
    load_at(
        endpoint,
        &invoke_path(function),
        payload,
        concurrency,
        warmup,
        duration,
    )
    .await
}

/// [`load`] on any `POST` route: `path` (a Function URL's, say).
pub async fn load_at(
    endpoint: &str,
    path: &str,
    payload: &'static [u8],
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> LoadResult {
    let start = Instant::now() + warmup;
    let end = start + duration;
    let endpoint: Arc<str> = endpoint.into();
    let function: Arc<str> = path.into();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let endpoint = Arc::clone(&endpoint);
            let function = Arc::clone(&function);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(4096);
                let mut errors = 0usize;
                let mut client = loop {
                    match RawClient::connect_to(&endpoint, &function, false).await {
                        Ok(c) => break c,
                        Err(_) if Instant::now() < end => {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        Err(e) => panic!("cannot connect to {endpoint}: {e}"),
                    }
                };
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let answer = client.invoke(payload).await;
                    let done = Instant::now();
                    let ok = matches!(answer, Ok((200, _)));
                    if !ok {
                        if sent >= start && done <= end {
                            errors += 1;
                        }
                        if answer.is_err() {
                            match RawClient::connect_to(&endpoint, &function, false).await {
                                Ok(c) => client = c,
                                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                            }
                        }
                        continue;
                    }
                    if sent >= start && done <= end {
                        latencies.push(done - sent);
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (l, e) = worker.await.expect("load worker");
        latencies.extend(l);
        errors += e;
    }
    LoadResult {
        concurrency,
        completed: latencies.len(),
        errors,
        throughput: latencies.len() as f64 / duration.as_secs_f64(),
        latency: stats(&latencies),
    }
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
pub fn rss_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The direct children of a process (every thread's `children` list).
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The `probe` example (a real `lambda_runtime` function; the event `{}` echoes), built in the
/// same profile as the running bench when it is missing.
pub fn probe_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LAMBDA_BENCH_FUNCTION_BIN") {
        return PathBuf::from(path);
    }
    let serve = Path::new(env!("CARGO_BIN_EXE_lambda-test"));
    let profile_dir = serve.parent().expect("target/<profile>");
    let probe = profile_dir.join("examples").join("probe");
    if !probe.is_file() {
        let release = profile_dir.ends_with("release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut command = std::process::Command::new(cargo);
        command.args(["build", "-q", "-p", "lambda-test", "--example", "probe"]);
        if release {
            command.arg("--release");
        }
        let status = command.status().expect("run cargo build for the probe");
        assert!(status.success(), "building the probe example failed");
    }
    probe
}

/// A fresh temp dir holding a `lambda-test.toml` that serves `bin` as `function`.
pub fn config_dir(function: &str, bin: &Path) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lambda-test-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("lambda-test.toml"),
        format!(
            "[functions.{function}]\nbin = {:?}\ntimeout = 30\nmemory_size = 128\n",
            bin.display().to_string()
        ),
    )
    .expect("write config");
    dir
}

/// The value after `--name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip_while(|a| a != name);
    args.next()?;
    args.next()
}

/// Whether `--name` is on the command line.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

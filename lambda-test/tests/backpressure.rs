//! Backpressure on InvokeWithResponseStream, against `lambda-test serve` as its own process:
//! a caller who reads slowly holds the function back instead of filling the server's memory,
//! and a caller who stops reading and hangs up leaves nothing stuck behind (issue #11).
//!
//! The caller is a raw HTTP/1.1 client on a blocking socket, so the test decides exactly how
//! fast the answer is read; it decodes the chunked body and then the event-stream frames
//! (`aws-smithy-eventstream`'s decoder, which checks every CRC) and compares the joined
//! payload with what the `probe` example's streaming mode (`PROBE_STREAM`) writes:
//! `first\n`, `size` bytes of `x` in 64 KiB chunks, `last\n`. Memory is read from
//! `/proc/<pid>/status` (`VmRSS`, `VmHWM`) of the server. Whether the function is held back is
//! read from `/proc/<pid>/syscall` of its process: a blocking TCP send with no room left sleeps
//! in `sendto` (its `wchar` in `/proc/<pid>/io` would not tell: socket sends do not count).

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::Message;
use bytes::{Buf as _, BytesMut};
use serde_json::{Value, json};

const MIB: u64 = 1024 * 1024;

/// 200 MB: just under the 200 MiB a stream may carry (with `first\n` and `last\n`).
const STREAM_BYTES: u64 = 200_000_000;

/// What the server may grow by while it streams 200 MB: the in-flight messages, hyper's
/// buffers and allocator slack come to a few MiB; a server that buffered would need 200 MB.
const MAX_GROWTH: u64 = 64 * MIB;

/// How long a paced read waits after each read of at most 64 KiB: at most 64 MB/s, slower
/// than the function writes (200 MB take 5 to 7 s in a debug build on 2 busy cores).
const PACE: Duration = Duration::from_millis(1);

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/// A `lambda-test serve --quiet` process serving `streamer` (the probe in streaming mode),
/// stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    address: String,
    dir: PathBuf,
    /// What the server wrote to stderr, shown when a test fails.
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// Serves `streamer`; `reserved_concurrency` caps its instances.
    fn start(name: &str, reserved_concurrency: Option<u32>) -> Server {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("backpressure-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("failed to create the test directory");
        let config = dir.join("lambda-test.toml");
        // A generous timeout: the slow reader must not be what ends the stream.
        let mut functions = "[functions.streamer]\nbin = \"probe\"\ntimeout = 60\n\
                             environment = { PROBE_STREAM = \"1\" }\n"
            .to_owned();
        if let Some(n) = reserved_concurrency {
            functions.push_str(&format!("reserved_concurrency = {n}\n"));
        }
        std::fs::write(&config, support::config_text(&functions)).expect("write the config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_lambda-test"))
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .args(["--port", "0", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("failed to start lambda-test serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut banner = String::new();
        stdout.read_line(&mut banner).expect("read the banner");
        // Kept open and drained: the server must never write into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let address = banner
            .trim_end()
            .rsplit_once(" at http://")
            .map(|(_, address)| address.to_owned())
            .unwrap_or_else(|| panic!("unexpected first line of lambda-test serve: {banner:?}"));
        Server {
            child,
            address,
            dir,
            stderr: Some(stderr),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts an InvokeWithResponseStream of the streamer with `event`, with the tail log.
    fn stream(&self, event: &Value) -> Stream {
        Stream::open(&self.address, event).unwrap_or_else(|head| panic!("not a stream: {head}"))
    }

    /// SIGTERM, and the exit code once it is gone.
    fn stop(&mut self) -> Option<i32> {
        let _ = terminate(self.pid());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "lambda-test serve did not exit within 10 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = terminate(self.pid());
            std::thread::sleep(Duration::from_millis(500));
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            if let Some(stderr) = self.stderr.take() {
                eprintln!(
                    "lambda-test serve's stderr:\n{}",
                    stderr.join().unwrap_or_default()
                );
            }
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn terminate(pid: u32) -> std::io::Result<std::process::ExitStatus> {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
}

// ---------------------------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------------------------

/// A `kB` field of `/proc/<pid>/status`, in bytes.
fn status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().strip_suffix(" kB")?.parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// The numbers of `sendto` and `recvfrom`, which Rust's `TcpStream` write and read call.
#[cfg(target_arch = "x86_64")]
const SENDTO_RECVFROM: Option<(&str, &str)> = Some(("44", "45"));
#[cfg(target_arch = "aarch64")]
const SENDTO_RECVFROM: Option<(&str, &str)> = Some(("206", "207"));
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const SENDTO_RECVFROM: Option<(&str, &str)> = None;

/// The system call the process's main thread (where the probe's streaming runtime runs)
/// sleeps in, from `/proc/<pid>/stat` (the state) and `/proc/<pid>/syscall`; `Some("")` when
/// it is not asleep in one, `None` where the kernel does not tell.
fn sleeping_in(pid: u32) -> Option<String> {
    let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).ok()?;
    let number = syscall.split(' ').next()?.trim().to_owned();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let sleeping = stat[stat.rfind(')')? + 2..].starts_with('S');
    Some(if sleeping && number != "running" {
        number
    } else {
        String::new()
    })
}

/// Whether the probe sleeps inside `sendto`: a blocking TCP send waits there for room in the
/// socket's send buffer, so its peer is not taking what it writes.
fn waits_to_send(pid: u32) -> Option<bool> {
    let (sendto, _) = SENDTO_RECVFROM?;
    Some(sleeping_in(pid)? == sendto)
}

/// Whether the probe sleeps inside `recvfrom`: its stream is over and it waits for the answer
/// to its `GET /next`, its next event.
fn waits_for_an_event(pid: u32) -> Option<bool> {
    let (_, recvfrom) = SENDTO_RECVFROM?;
    Some(sleeping_in(pid)? == recvfrom)
}

/// Watches a process whose reader has stopped reading: true once it has slept in `sendto`
/// for `settled` without a break (the buffers on the way are full and nothing drains them),
/// false if that never happens within 10 s.
fn held_back_within(pid: u32, settled: Duration) -> Option<bool> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut waiting_since = None;
    while Instant::now() < deadline {
        if waits_to_send(pid)? {
            let since = *waiting_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= settled {
                return Some(true);
            }
        } else {
            waiting_since = None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Some(false)
}

/// The parent pid, from `/proc/<pid>/stat`.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
}

/// Every process below `root`.
fn descendants(root: u32) -> BTreeSet<u32> {
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect();
    let mut found = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, _) in all.iter().filter(|(_, p)| *p == parent) {
            if found.insert(*pid) {
                frontier.push(*pid);
            }
        }
    }
    found
}

/// Samples a process's `VmRSS` every 10 ms until dropped; the largest sample is kept.
struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let peak = Arc::new(AtomicU64::new(status_bytes(pid, "VmRSS")));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (peak, stop) = (Arc::clone(&peak), Arc::clone(&stop));
            move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(status_bytes(pid, "VmRSS"), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        });
        RssSampler {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// The largest `VmRSS` seen.
    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the sampler thread");
        }
        self.peak.load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------------------------
// The caller: raw HTTP/1.1, chunked decoding, event-stream frames
// ---------------------------------------------------------------------------------------------

/// One InvokeWithResponseStream answer, read off the socket no faster than the caller asks.
struct Stream {
    socket: TcpStream,
    /// Bytes off the socket, not yet de-chunked.
    raw: BytesMut,
    /// The de-chunked body, not yet decoded into messages.
    body: BytesMut,
    /// Bytes of the current HTTP chunk still to come, and whether its CRLF is.
    chunk_left: usize,
    chunk_crlf: bool,
    /// The last (zero-size) HTTP chunk was seen.
    ended: bool,
    decoder: MessageFrameDecoder,
    /// Slept after each socket read.
    pace: Duration,
    status: u16,
}

impl Stream {
    /// Sends the request and reads the head; an answer other than a 200 is `Err(head)`.
    fn open(address: &str, event: &Value) -> Result<Stream, String> {
        let body = event.to_string();
        let mut socket = TcpStream::connect(address).expect("connect to lambda-test serve");
        socket
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        write!(
            socket,
            "POST /2021-11-15/functions/streamer/response-streaming-invocations HTTP/1.1\r\n\
             Host: {address}\r\nX-Amz-Log-Type: Tail\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send the request");
        let mut stream = Stream {
            socket,
            raw: BytesMut::new(),
            body: BytesMut::new(),
            chunk_left: 0,
            chunk_crlf: false,
            ended: false,
            decoder: MessageFrameDecoder::new(),
            pace: Duration::ZERO,
            status: 0,
        };
        let head = loop {
            if let Some(end) = stream.raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&stream.raw[..end]).into_owned();
                stream.raw.advance(end + 4);
                break head;
            }
            assert!(stream.read_some() > 0, "the server closed before its head");
        };
        stream.status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {head}"));
        if stream.status != 200 {
            return Err(head);
        }
        assert!(
            head.lines()
                .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked")),
            "a streamed answer is chunked: {head}"
        );
        Ok(stream)
    }

    /// One read of at most 64 KiB off the socket, then the pace's sleep.
    fn read_some(&mut self) -> usize {
        let mut buffer = [0u8; 64 * 1024];
        let n = self.socket.read(&mut buffer).expect("read the answer");
        self.raw.extend_from_slice(&buffer[..n]);
        if !self.pace.is_zero() {
            std::thread::sleep(self.pace);
        }
        n
    }

    /// Moves what `raw` holds of the chunked body into `body`.
    fn dechunk(&mut self) {
        while !self.ended {
            if self.chunk_left > 0 {
                let n = self.chunk_left.min(self.raw.len());
                if n == 0 {
                    return;
                }
                self.body.extend_from_slice(&self.raw.split_to(n));
                self.chunk_left -= n;
                self.chunk_crlf = self.chunk_left == 0;
            } else if self.chunk_crlf {
                if self.raw.len() < 2 {
                    return;
                }
                assert_eq!(&self.raw[..2], b"\r\n", "a chunk ends with CRLF");
                self.raw.advance(2);
                self.chunk_crlf = false;
            } else {
                let Some(end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                    return;
                };
                let line = String::from_utf8_lossy(&self.raw[..end]).into_owned();
                let size = line.split(';').next().unwrap_or_default().trim();
                self.chunk_left = usize::from_str_radix(size, 16)
                    .unwrap_or_else(|_| panic!("a chunk size line: {line:?}"));
                self.raw.advance(end + 2);
                self.ended = self.chunk_left == 0;
            }
        }
    }

    /// The next event-stream message, reading as much as it needs; `None` at the end.
    fn next_message(&mut self) -> Option<Message> {
        loop {
            self.dechunk();
            match self
                .decoder
                .decode_frame(&mut self.body)
                .expect("a well-formed event stream")
            {
                DecodedFrame::Complete(message) => return Some(message),
                DecodedFrame::Incomplete if self.ended => {
                    assert!(self.body.is_empty(), "the body ends inside a message");
                    return None;
                }
                DecodedFrame::Incomplete => {
                    assert!(self.read_some() > 0, "the server closed mid-body");
                }
            }
        }
    }
}

fn header<'a>(message: &'a Message, name: &str) -> &'a str {
    message
        .headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| h.value().as_string().ok())
        .map(|s| s.as_str())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// Checks each payload chunk against what the probe writes, without keeping it.
struct Expected {
    size: u64,
    received: u64,
    chunks: u64,
}

impl Expected {
    fn new(size: u64) -> Expected {
        Expected {
            size,
            received: 0,
            chunks: 0,
        }
    }

    /// `first\n`, then `size` bytes of `x`, then `last\n`.
    fn total(&self) -> u64 {
        6 + self.size + 5
    }

    /// Compares `chunk` with the stream at its offset, region by region.
    fn check(&mut self, chunk: &[u8]) {
        let xs = vec![b'x'; 64 * 1024];
        let mut at = self.received;
        let mut rest = chunk;
        while !rest.is_empty() {
            let (region, offset, len): (&[u8], u64, u64) = if at < 6 {
                (b"first\n", at, 6 - at)
            } else if at < 6 + self.size {
                (&xs, 0, (6 + self.size - at).min(xs.len() as u64))
            } else {
                (b"last\n", at - 6 - self.size, 11 + self.size - at)
            };
            let n = (len as usize).min(rest.len());
            assert!(n > 0, "more bytes than the probe writes, at {at}");
            assert_eq!(
                &rest[..n],
                &region[offset as usize..offset as usize + n],
                "the payload differs at byte {at}"
            );
            rest = &rest[n..];
            at += n as u64;
        }
        self.received = at;
        self.chunks += 1;
    }
}

/// The fields of the `InvokeComplete` event.
fn invoke_complete(message: &Message) -> Value {
    assert_eq!(header(message, ":message-type"), "event");
    assert_eq!(header(message, ":event-type"), "InvokeComplete");
    serde_json::from_slice(message.payload()).expect("InvokeComplete holds JSON")
}

/// Reads a small stream to its end: the joined payload and the `InvokeComplete`.
fn read_small(mut stream: Stream) -> (Vec<u8>, Value) {
    let mut payload = Vec::new();
    loop {
        let message = stream.next_message().expect("an InvokeComplete at the end");
        if header(&message, ":event-type") == "PayloadChunk" {
            payload.extend_from_slice(message.payload());
        } else {
            let complete = invoke_complete(&message);
            assert!(
                stream.next_message().is_none(),
                "nothing after InvokeComplete"
            );
            return (payload, complete);
        }
    }
}

/// The decoded tail log of an `InvokeComplete`.
fn tail_of(complete: &Value) -> String {
    use base64::Engine as _;
    let encoded = complete["LogResult"]
        .as_str()
        .unwrap_or_else(|| panic!("a LogResult: {complete}"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("LogResult is base64");
    String::from_utf8(bytes).expect("a UTF-8 log")
}

/// The one function process below the server (the streamer's instance; the server's other
/// child is its watchdog shell).
fn the_instance(server: &Server) -> u32 {
    let instances: Vec<u32> = descendants(server.pid())
        .into_iter()
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|exe| exe.file_name().is_some_and(|name| name == "probe"))
        })
        .collect();
    assert_eq!(instances.len(), 1, "one instance: {instances:?}");
    instances[0]
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// 200 MB to a caller that reads 64 KiB at a time with a pause after each read, and stops once
/// on the way until the function has waited 300 ms to send: every byte arrives, in order, the
/// server's memory stays within [`MAX_GROWTH`] of where it began, and during the stop the
/// function is held back rather than the server taking in what it writes.
#[test]
fn a_slow_reader_holds_the_function_back_and_the_server_memory_stays_bounded() {
    let server = Server::start("slow-reader", None);
    // A first, small stream starts the instance and warms the server's allocations.
    let (payload, complete) = read_small(server.stream(&json!({})));
    assert_eq!(payload, b"first\nlast\n");
    assert!(complete.get("ErrorCode").is_none(), "{complete}");
    let instance = the_instance(&server);

    let rss_before = status_bytes(server.pid(), "VmRSS");
    let sampler = RssSampler::start(server.pid());
    let started = Instant::now();
    let mut stream = server.stream(&json!({ "size": STREAM_BYTES }));
    stream.pace = PACE;
    let mut expected = Expected::new(STREAM_BYTES);
    let mut held_back = None;
    let complete = loop {
        let message = stream.next_message().expect("an InvokeComplete at the end");
        match header(&message, ":event-type") {
            "PayloadChunk" => {
                assert_eq!(header(&message, ":message-type"), "event");
                expected.check(message.payload());
            }
            _ => break invoke_complete(&message),
        }
        if held_back.is_none() && expected.received > 50 * MIB {
            held_back = Some(held_back_within(instance, Duration::from_millis(300)));
        }
    };
    let elapsed = started.elapsed();
    assert!(
        stream.next_message().is_none(),
        "nothing after InvokeComplete"
    );
    let rss_peak = sampler.finish();
    let hwm = status_bytes(server.pid(), "VmHWM");

    assert_eq!(
        expected.received,
        expected.total(),
        "every byte arrived, in order"
    );
    let log = tail_of(&complete);
    assert!(
        complete.get("ErrorCode").is_none(),
        "the stream completed: {complete}\n{log}"
    );
    assert!(log.contains("\nREPORT RequestId: "), "{log}");
    assert!(
        !log.contains("Init Duration"),
        "the same, warm instance: {log}"
    );

    // VmHWM may hold a peak from before the stream: the larger of it and the samples bounds
    // the growth from above.
    let growth = hwm.max(rss_peak).saturating_sub(rss_before);
    eprintln!(
        "streamed {} bytes in {} payload chunks in {elapsed:.2?} ({:.0} MB/s); server RSS \
         {:.1} MiB before, sampled peak {:.1} MiB, VmHWM {:.1} MiB: growth at most {:.1} MiB; \
         the function waited to send during the stop: {held_back:?}",
        expected.received,
        expected.chunks,
        expected.received as f64 / 1e6 / elapsed.as_secs_f64(),
        rss_before as f64 / MIB as f64,
        rss_peak as f64 / MIB as f64,
        hwm as f64 / MIB as f64,
        growth as f64 / MIB as f64,
    );
    assert!(
        growth < MAX_GROWTH,
        "the server grew by {growth} bytes while streaming {STREAM_BYTES}"
    );
    let held_back = held_back.expect("the reader stopped once");
    assert_ne!(
        held_back,
        Some(false),
        "while the reader stopped, the function kept writing: the server took it in"
    );
}

/// Reads a stream of `size` bytes until 4 MiB arrived, checks that the function is then held
/// back while nobody reads, and hangs up. The instance's pid.
fn hang_up_mid_stream(server: &Server, size: u64) -> u32 {
    let mut stream = server.stream(&json!({ "size": size }));
    let mut expected = Expected::new(size);
    while expected.received < 4 * MIB {
        let message = stream.next_message().expect("payload before the end");
        assert_eq!(header(&message, ":event-type"), "PayloadChunk");
        expected.check(message.payload());
    }
    let instance = the_instance(server);
    assert_ne!(
        held_back_within(instance, Duration::from_millis(300)),
        Some(false),
        "the function kept writing to a reader that stopped"
    );
    drop(stream);
    instance
}

/// A caller that stops reading mid-stream and hangs up: the next caller is answered in full,
/// the abandoned invocation runs to its end (the function writes on into nothing) and its
/// instance goes back to waiting for events, and after the server stops no process it started
/// is left.
#[test]
fn a_reader_that_stops_and_hangs_up_leaves_no_stuck_instance_or_orphan() {
    let mut server = Server::start("hang-up", None);
    let instance = hang_up_mid_stream(&server, 64 * MIB);

    let (payload, complete) = read_small(server.stream(&json!({})));
    assert_eq!(payload, b"first\nlast\n");
    assert!(complete.get("ErrorCode").is_none(), "{complete}");
    assert!(tail_of(&complete).contains("\nREPORT RequestId: "));

    // The abandoned stream drains: its instance leaves `sendto` and asks for its next event.
    let deadline = Instant::now() + Duration::from_secs(15);
    while waits_for_an_event(instance) == Some(false) {
        assert!(
            Instant::now() < deadline,
            "the abandoned instance is still busy after 15 s (in syscall {:?})",
            sleeping_in(instance)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Every instance is idle now: two calls at once are both served warm.
    let (first, second) = (server.stream(&json!({})), server.stream(&json!({})));
    for (payload, complete) in [read_small(first), read_small(second)] {
        assert_eq!(payload, b"first\nlast\n");
        let log = tail_of(&complete);
        assert!(!log.contains("Init Duration"), "a warm instance: {log}");
    }

    let processes = descendants(server.pid());
    assert!(processes.contains(&instance), "{processes:?}");
    assert_eq!(server.stop(), Some(0), "a clean exit on SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(3);
    while processes.iter().any(|pid| support::process_alive(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<u32> = processes
        .iter()
        .copied()
        .filter(|pid| support::process_alive(*pid))
        .collect();
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// An invocation whose caller hung up still runs, and so still holds its concurrency slot,
/// until it ends (stream.rs's own doc says so): with `reserved_concurrency = 1` the next caller
/// is throttled (429) until the abandoned stream drained, then served by the same, warm instance.
#[test]
fn a_hung_up_invocation_holds_its_concurrency_slot_until_it_ends() {
    let server = Server::start("hang-up-slot", Some(1));
    let instance = hang_up_mid_stream(&server, 64 * MIB);
    let deadline = Instant::now() + Duration::from_secs(15);
    let (payload, complete) = loop {
        match Stream::open(&server.address, &json!({})) {
            Ok(stream) => break read_small(stream),
            Err(head) => {
                assert!(head.starts_with("HTTP/1.1 429 "), "{head}");
                assert!(
                    Instant::now() < deadline,
                    "the abandoned invocation still holds its slot after 15 s"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    assert_eq!(payload, b"first\nlast\n");
    let log = tail_of(&complete);
    assert!(!log.contains("Init Duration"), "a warm instance: {log}");
    assert_eq!(the_instance(&server), instance, "the same instance");
}

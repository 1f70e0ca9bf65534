//! `meerkat-bench`: the load generator and measurements behind `make bench`.
//!
//! Each subcommand runs one workload once against a running server and prints one JSON
//! line of figures; `bench/run.sh` starts the servers, repeats the runs and calls
//! `report` to turn the lines into medians and ratios.
//!
//! ```text
//! meerkat-bench register  --target T --http ADDR --prefix P --users N --password PW
//! meerkat-bench rest-send --target T --http ADDR --c2s ADDR --prefix P --users N --senders C --seconds S [--rate R] [--pid PIDS]
//! meerkat-bench c2s       --c2s ADDR --prefix P --pairs N --window W --seconds S [--rate R] [--pid PIDS]
//! meerkat-bench room-fanout --http ADDR --c2s ADDR --prefix P --members M --online N --senders C --seconds S [--pid PIDS]
//! meerkat-bench muc-fanout --target T --c2s ADDR --service DOMAIN --prefix P --occupants N --senders C --window W --seconds S [--pid PIDS]
//! meerkat-bench idle      --c2s ADDR --prefix P --sessions N --pid PID [--gc COMMAND] [--settle S]
//! (rest-send, c2s, idle: `--tls 1` for STARTTLS sessions; `--http https://ADDR` for HTTPS;
//! every XMPP login: `--sasl scram-sha-1` instead of PLAIN)
//! meerkat-bench archive-fill --data-dir DIR --count N [--from N]
//! meerkat-bench archive-read --http ADDR --requests N
//! meerkat-bench keyed-send --http ADDR --prefix P --user N --held N --sends N
//! meerkat-bench auth-cost
//! meerkat-bench report FILE
//! meerkat-bench failures FILE          (the FAILED workloads; exits 1 if there is one)
//! meerkat-bench bound FILE WORKLOAD TARGET   (server, generator, waiting, unknown or failed)
//! meerkat-bench median FILE WORKLOAD TARGET FIGURE
//! meerkat-bench charts FILE DIR        (growth curves as SVG, see charts.rs)
//! meerkat-bench splice DOC GENERATED   (the generated part of docs/performance.md)
//! meerkat-bench settle    --pid PIDS --seconds MAX
//! meerkat-bench soak      --http ADDR --c2s ADDR --pid PID --users N --seconds S --rate R [--mix full|smoke] ...
//! ```
//!
//! `soak` (see `soak.rs`) is the long mixed-load run behind `make soak`; it exits nonzero
//! when an acknowledged message is missing from the archive or the server did not stay
//! flat.
//!
//! Targets are `meerkat` (REST send is `POST /api/messages` with Basic auth), `ejabberd`
//! (REST send is mod_http_api's `send_message`) and `prosody` (REST send is `POST /rest`
//! with Basic auth, `bench/prosody/mod_bench_rest.lua`); `room-fanout` is meerkat only
//! (MUC Light rooms over its REST API); `muc-fanout` is XEP-0045 over c2s on every server. `--label` names a configuration of a target in the
//! results (e.g. `ejabberd-sql-pgsql`). `--pid` on the throughput workloads is a
//! comma-separated list of the server's processes, whose CPU time over the window gives
//! `server_cores` and `delivered_per_cpu_s`; the generator's own CPU over the window is
//! `generator_cores`, so that the report can tell which of the two was the limit.
//!
//! Every workload counts what went wrong (`failed_logins`, `errors`, `timeouts`,
//! `undelivered`) and its line carries the total and the reason (`failures`, `failure`).
//! A run with any of it is failed: the report shows its workload as FAILED, with the counts,
//! instead of figures, and takes no median over it. Loads touch loopback only and stop by
//! themselves.

mod charts;
mod soak;
mod tls;
mod xmpp;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

const DOMAIN: &str = "localhost";
const PASSWORD: &str = "bench-secret";

fn epoch() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

struct Args(HashMap<String, String>);

impl Args {
    fn parse(args: &[String]) -> Args {
        let mut map = HashMap::new();
        let mut i = 0;
        while i < args.len() {
            if let Some(k) = args[i].strip_prefix("--") {
                map.insert(k.to_owned(), args.get(i + 1).cloned().unwrap_or_default());
                i += 2;
            } else {
                i += 1;
            }
        }
        Args(map)
    }
    fn get(&self, k: &str) -> String {
        self.0.get(k).cloned().unwrap_or_else(|| panic!("missing --{k}"))
    }
    fn num(&self, k: &str, default: u64) -> u64 {
        self.0.get(k).map(|v| v.parse().expect("a number")).unwrap_or(default)
    }
    fn addr(&self, k: &str) -> SocketAddr {
        self.get(k).parse().expect("an address")
    }
}

type HttpClient = hyper_util::client::legacy::Client<tls::Connector, Full<Bytes>>;

fn http_client(pool: usize) -> HttpClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_max_idle_per_host(pool)
        .build(tls::Connector)
}

/// `--tls 1`: c2s sessions negotiate STARTTLS (and `--http https://…` makes REST HTTPS).
static TLS: OnceLock<bool> = OnceLock::new();

/// How long a login or a request may take before it counts as a timeout: far beyond any
/// latency these loads have seen, so that a server that stops answering fails the run
/// instead of hanging it or quietly lowering its figure.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The error of a request that got no answer within [`TIMEOUT`], told apart from the others
/// since a result line counts timeouts on their own.
const TIMED_OUT: &str = "timed out";

/// A load session of `user`, over STARTTLS when the run asks for TLS.
async fn login(c2s: SocketAddr, source: Option<IpAddr>, user: &str, resource: &str) -> std::io::Result<xmpp::Session> {
    let tls = *TLS.get().unwrap_or(&false);
    match tokio::time::timeout(
        TIMEOUT,
        xmpp::connect(c2s, source, DOMAIN, (user, PASSWORD, resource), tls),
    )
    .await
    {
        Ok(session) => session,
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "login timed out")),
    }
}

/// What went wrong in one run, by kind. A run with any of it is a failed run: the report
/// shows its workload as FAILED instead of its figures (see [`failure`]).
#[derive(Default)]
struct Failures {
    logins: AtomicU64,
    errors: AtomicU64,
    timeouts: AtomicU64,
}

impl Failures {
    /// A login that failed; the first one is printed, the rest only counted.
    fn login(&self, who: &str, e: &dyn std::fmt::Display) {
        if self.logins.fetch_add(1, Ordering::Relaxed) == 0 {
            eprintln!("login {who}: {e}");
        }
    }

    /// A request that did not get the answer wanted: a timeout or an error.
    fn request(&self, what: &str, outcome: &dyn std::fmt::Debug, timed_out: bool) {
        let counter = if timed_out { &self.timeouts } else { &self.errors };
        if counter.fetch_add(1, Ordering::Relaxed) == 0 {
            eprintln!("{what}: {outcome:?}");
        }
    }

    /// An answer other than `ok`: counted, as a timeout where it is one.
    fn answer(&self, what: &str, outcome: &Result<u16, String>) {
        self.request(what, outcome, matches!(outcome, Err(e) if e == TIMED_OUT));
    }

    /// The counts, into a result line.
    fn record(&self, out: &mut Value) {
        out["failed_logins"] = json!(self.logins.load(Ordering::Relaxed));
        out["errors"] = json!(self.errors.load(Ordering::Relaxed));
        out["timeouts"] = json!(self.timeouts.load(Ordering::Relaxed));
    }
}

/// The counters of a result line that say something went wrong, with what each counts.
/// `failed` is the name older lines gave failed logins (`idle`).
const FAILURE_COUNTERS: [(&str, &str); 6] = [
    ("failed_logins", "failed logins"),
    ("failed", "failed logins"),
    ("errors", "errors"),
    ("timeouts", "timeouts"),
    ("undelivered", "missing deliveries"),
    ("streams_ended", "receivers' streams ended by the server"),
];

/// How many things went wrong in the run of result line `v`, and what they were (e.g.
/// "8000 failed logins"), or `None` for a run with nothing wrong. Read from the counters
/// themselves rather than from a flag, so that lines written before the flag existed are
/// judged by the same rule.
fn failure(v: &Value) -> Option<(u64, String)> {
    let parts = failure_parts(v);
    if parts.is_empty() {
        return None;
    }
    Some((parts.iter().map(|p| p.0).sum(), failure_text(&parts)))
}

/// The nonzero failure counters of result line `v`, with what each counts.
fn failure_parts(v: &Value) -> Vec<(u64, &'static str)> {
    FAILURE_COUNTERS
        .iter()
        .filter_map(|(field, what)| Some((v[*field].as_u64().filter(|n| *n > 0)?, *what)))
        .collect()
}

/// "8000 failed logins, 3 errors".
fn failure_text(parts: &[(u64, &str)]) -> String {
    parts
        .iter()
        .map(|(n, what)| format!("{n} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn basic(user: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}@{DOMAIN}:{PASSWORD}"))
    )
}

async fn post(client: &HttpClient, url: &str, auth: Option<&str>, body: String) -> Result<u16, String> {
    Ok(post_for_body(client, url, auth, body).await?.0)
}

/// `post`, keeping the answer's body.
async fn post_for_body(
    client: &HttpClient,
    url: &str,
    auth: Option<&str>,
    body: String,
) -> Result<(u16, Bytes), String> {
    let mut req = hyper::Request::post(url).header("content-type", "application/json");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let req = req.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
    let exchange = async {
        let resp = client.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, body))
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(TIMED_OUT.into()))
}

/// Creates `users` accounts `PREFIX0..` on the target.
async fn register(a: &Args) -> Value {
    let target = a.get("target");
    let http = a.get("http");
    let prefix = a.get("prefix");
    let users = a.num("users", 100);
    let client = http_client(32);
    let limit = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    let t = Instant::now();
    for i in 0..users {
        let permit = limit.clone().acquire_owned().await.unwrap();
        let (client, target, http, prefix) = (client.clone(), target.clone(), http.clone(), prefix.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let user = format!("{prefix}{i}");
            let (url, body) = if target == "ejabberd" {
                (
                    format!("http://{http}/api/register"),
                    json!({"user": user, "host": DOMAIN, "password": PASSWORD}).to_string(),
                )
            } else {
                (
                    format!("http://{http}/api/users/{DOMAIN}"),
                    json!({"username": user, "password": PASSWORD}).to_string(),
                )
            };
            match post(&client, &url, None, body).await {
                Ok(200 | 201 | 409) => true,
                Ok(other) => {
                    eprintln!("register {user}: HTTP {other}");
                    false
                }
                Err(e) => {
                    eprintln!("register {user}: {e}");
                    false
                }
            }
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap() as u64;
    }
    json!({"workload": "register", "users": users, "ok": ok, "seconds": t.elapsed().as_secs_f64()})
}

/// Latency samples (µs) and the delivered count, shared by receivers. An arrival counts
/// while `measuring`, if it was sent in `[sent_from, sent_until)` (by default: any time).
/// `all` counts every arrival of the run whatever its time, to hold against every message
/// the run sent.
struct Receipts {
    delivered: AtomicU64,
    all: AtomicU64,
    measuring: AtomicBool,
    sent_from: AtomicU64,
    sent_until: AtomicU64,
    latencies_us: Mutex<Vec<u32>>,
    /// Receivers' streams that ended while counting (the server closed them: a receiver
    /// too slow for its queue, for one): their missing deliveries then say why.
    ended: AtomicU64,
}

impl Default for Receipts {
    fn default() -> Self {
        Receipts {
            delivered: AtomicU64::new(0),
            all: AtomicU64::new(0),
            measuring: AtomicBool::new(false),
            sent_from: AtomicU64::new(0),
            sent_until: AtomicU64::new(u64::MAX),
            latencies_us: Mutex::default(),
            ended: AtomicU64::new(0),
        }
    }
}

impl Receipts {
    /// Whether a message sent at `sent` (ns since the epoch) counts now.
    fn counts(&self, sent: u64) -> bool {
        self.measuring.load(Ordering::Acquire)
            && sent >= self.sent_from.load(Ordering::Acquire)
            && sent < self.sent_until.load(Ordering::Acquire)
    }

    /// Starts counting messages sent from now on; the window's start (ns since the epoch).
    fn open_window(&self) -> u64 {
        let start = now_ns();
        self.sent_from.store(start, Ordering::Release);
        self.measuring.store(true, Ordering::Release);
        start
    }

    /// Messages sent from now on no longer count; the window's end.
    fn close_window(&self) -> u64 {
        let end = now_ns();
        self.sent_until.store(end, Ordering::Release);
        end
    }

    /// Waits until `expected` deliveries arrived or `deadline` passed, then stops counting:
    /// the deliveries and their latency p50 and p99.
    async fn drain(&self, expected: u64, deadline: tokio::time::Instant) -> (u64, f64, f64) {
        while self.delivered.load(Ordering::Relaxed) < expected && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.measuring.store(false, Ordering::Release);
        let (p50, p99) = percentiles(std::mem::take(&mut *self.latencies_us.lock().unwrap()));
        (self.delivered.load(Ordering::Relaxed), p50, p99)
    }

    /// Waits until `sent` messages in all have arrived, for as long as arrivals keep coming
    /// (at most [`DRAIN`] apart) and at most [`DRAIN_MAX`]; the messages still missing.
    /// A slow server's backlog is waited for; a lost message is not.
    async fn missing_of(&self, sent: u64) -> u64 {
        let start = tokio::time::Instant::now();
        let (mut last, mut last_change) = (self.all.load(Ordering::Relaxed), start);
        loop {
            let now = tokio::time::Instant::now();
            let all = self.all.load(Ordering::Relaxed);
            if all >= sent || now - last_change > DRAIN || now - start > DRAIN_MAX {
                return sent.saturating_sub(all);
            }
            if all != last {
                (last, last_change) = (all, now);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A receiver's stream ended; counted while the run counts.
    fn stream_ended(&self) {
        if self.measuring.load(Ordering::Acquire) {
            self.ended.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The receivers' streams that ended, into a result line.
    fn record(&self, out: &mut Value) {
        out["streams_ended"] = json!(self.ended.load(Ordering::Relaxed));
    }

    /// A message sent at `sent` arrived at `now`: counted, with its latency, if it counts.
    fn arrived(&self, sent: u64, now: u64) {
        self.all.fetch_add(1, Ordering::Relaxed);
        if self.counts(sent) {
            self.delivered.fetch_add(1, Ordering::Relaxed);
            let us = now.saturating_sub(sent) / 1000;
            self.latencies_us.lock().unwrap().push(us.min(u32::MAX as u64) as u32);
        }
    }
}

/// Reads a receiver's stream until it ends, recording each `<body>t=…</body>` arrival
/// while measuring; `arrived` hears how many came in each read.
async fn receive_loop(session: xmpp::Session, receipts: Arc<Receipts>, arrived: impl FnMut(usize, &[u8])) {
    let xmpp::Session { reader, writer } = session;
    // Dropping the write half would end the stream.
    let _keep = writer;
    read_bodies(reader, receipts, arrived).await;
}

/// [`receive_loop`] on a read half; `arrived` also sees the bytes of each read.
async fn read_bodies(mut reader: xmpp::Reader, receipts: Arc<Receipts>, mut arrived: impl FnMut(usize, &[u8])) {
    let mut scanner = xmpp::BodyScanner::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(n) if n > 0 => n,
            _ => return receipts.stream_ended(),
        };
        let now = now_ns();
        let mut got = 0;
        scanner.feed(&buf[..n], |sent| {
            got += 1;
            receipts.arrived(sent, now);
        });
        arrived(got, &buf[..n]);
    }
}

/// Logs in `n` receivers `PREFIXi/r` and counts `<body>t=…</body>` arrivals; a receiver
/// that cannot log in is counted in `failures` (its messages then go missing too).
/// Receiver `i` logs in at `c2s[i % len]` (several addresses: the nodes of a cluster).
async fn receivers(
    c2s: &[SocketAddr],
    prefix: &str,
    n: u64,
    receipts: Arc<Receipts>,
    failures: &Failures,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = Vec::new();
    for i in 0..n {
        let name = format!("{prefix}{i}");
        match login(c2s[i as usize % c2s.len()], None, &name, "r").await {
            Ok(session) => handles.push(tokio::spawn(receive_loop(session, receipts.clone(), |_, _| {}))),
            Err(e) => failures.login(&name, &e),
        }
    }
    handles
}

fn percentiles(v: Vec<u32>) -> (f64, f64) {
    let (p50, p99, _) = tail_percentiles(v);
    (p50, p99)
}

/// p50, p99 and p99.9 in ms of latencies in µs (NaN when there are none).
fn tail_percentiles(mut v: Vec<u32>) -> (f64, f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_unstable();
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    (p(0.5), p(0.99), p(0.999))
}

/// REST send → XMPP delivery. Closed loop (as fast as answers come) unless `--rate`
/// (messages/s in total) is given. `--http` and `--c2s` may list several addresses
/// (comma-separated, the nodes of a cluster): sender `s` posts to the `s`-th, receiver
/// `r` logs in at the `r`-th, round the list.
async fn rest_send(a: &Args) -> Value {
    let target = a.get("target");
    let http_list: Vec<String> = a.get("http").split(',').map(str::to_owned).collect();
    let c2s: Vec<SocketAddr> = a
        .get("c2s")
        .split(',')
        .map(|c| c.parse().expect("an address"))
        .collect();
    let prefix = a.get("prefix");
    let users = a.num("users", 50);
    let senders = a.num("senders", 64);
    let seconds = a.num("seconds", 10);
    let rate = a.num("rate", 0);
    let pids = pid_list(a);
    let receipts = Arc::new(Receipts::default());
    let failures = Arc::new(Failures::default());
    let handles = receivers(&c2s, &prefix, users, receipts.clone(), &failures).await;
    let client = http_client(senders as usize);
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for s in 0..senders {
        let (client, target, http, prefix, stop, sent, failures) = (
            client.clone(),
            target.clone(),
            http_list[s as usize % http_list.len()].clone(),
            prefix.clone(),
            stop.clone(),
            sent.clone(),
            failures.clone(),
        );
        tasks.push(tokio::spawn(async move {
            // Senders are users too (they send to the receivers); sender s is receiver s's peer.
            let me = format!("{prefix}{}", s % users);
            let auth = basic(&me);
            let base = tls::base(&http);
            let url = match target.as_str() {
                "ejabberd" => format!("{base}/api/send_message"),
                "prosody" => format!("{base}/rest"),
                _ => format!("{base}/api/messages"),
            };
            let mut ticker = (rate > 0).then(|| {
                let every = Duration::from_secs_f64(senders as f64 / rate as f64);
                // Senders start out of phase, so arrivals are spread over each period
                // instead of landing together.
                let offset = every.mul_f64(s as f64 / senders as f64);
                let mut t = tokio::time::interval_at(tokio::time::Instant::now() + offset, every);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                t
            });
            let mut i = s;
            while !stop.load(Ordering::Relaxed) {
                if let Some(t) = ticker.as_mut() {
                    t.tick().await;
                }
                let to = format!("{prefix}{}@{DOMAIN}", (i + 1) % users);
                i += senders;
                let body = format!("t={}", now_ns());
                let (payload, auth) = match target.as_str() {
                    "ejabberd" => (
                        json!({"type": "chat", "from": format!("{me}@{DOMAIN}"), "to": to, "subject": "", "body": body}).to_string(),
                        None,
                    ),
                    "prosody" => (
                        json!({"kind": "message", "type": "chat", "to": to, "body": body}).to_string(),
                        Some(auth.as_str()),
                    ),
                    _ => (json!({"to": to, "body": body}).to_string(), Some(auth.as_str())),
                };
                // Prosody answers a message it accepted with 202.
                match post(&client, &url, auth, payload).await {
                    Ok(200 | 202) => {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    other => failures.answer(&format!("rest-send: {url}"), &other),
                }
            }
        }));
    }
    // Warm up, then measure a fixed window.
    tokio::time::sleep(Duration::from_secs(2)).await;
    receipts.measuring.store(true, Ordering::Relaxed);
    let sent_before = sent.load(Ordering::Relaxed);
    let cpu = CpuClock::start(&pids);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    receipts.measuring.store(false, Ordering::Relaxed);
    let window = t.elapsed().as_secs_f64();
    let cpu = cpu.stop();
    let sent_in_window = sent.load(Ordering::Relaxed) - sent_before;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    // Every message the server accepted, over the whole run, must reach its receiver.
    let undelivered = receipts.missing_of(sent.load(Ordering::Relaxed)).await;
    for h in handles {
        h.abort();
    }
    let delivered = receipts.delivered.load(Ordering::Relaxed);
    let (p50, p99, p999) = tail_percentiles(std::mem::take(&mut *receipts.latencies_us.lock().unwrap()));
    let mut out = json!({
        "workload": if rate > 0 { "rest-send-paced" } else { "rest-send" },
        "target": target,
        "delivered_per_s": delivered as f64 / window,
        "acked_per_s": sent_in_window as f64 / window,
        "p50_ms": p50,
        "p99_ms": p99,
        "p999_ms": p999,
        "undelivered": undelivered,
        "rate": rate,
        "senders": senders,
        "users": users,
    });
    cpu.record(&mut out, window, delivered);
    failures.record(&mut out);
    receipts.record(&mut out);
    out
}

/// c2s → c2s: `pairs` senders each keep up to `window` messages in flight to their own
/// receiver. Closed loop (as fast as credit comes back) unless `--rate`: then the
/// senders together send `rate` messages a second, still within their window, and the
/// workload is `c2s-paced`.
async fn c2s(a: &Args) -> Value {
    let c2s = a.addr("c2s");
    let prefix = a.get("prefix");
    let pairs = a.num("pairs", 50);
    let window = a.num("window", 16) as usize;
    let rate = a.num("rate", 0);
    let seconds = a.num("seconds", 10);
    let target = a.0.get("target").cloned().unwrap_or_default();
    let pids = pid_list(a);
    let receipts = Arc::new(Receipts::default());
    let failures = Arc::new(Failures::default());
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    // Senders wait for every pair to be logged in: on a server slower than its load, the
    // later logins would otherwise queue behind the first pairs' messages.
    let (start, started) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for p in 0..pairs {
        let sender_name = format!("{prefix}{}", 2 * p);
        let receiver_name = format!("{prefix}{}", 2 * p + 1);
        // A pair with a failed login sends nothing; the run is failed anyway.
        let sender = login(c2s, None, &sender_name, "s").await;
        let receiver = login(c2s, None, &receiver_name, "r").await;
        let (sender, receiver) = match (sender, receiver) {
            (Ok(s), Ok(r)) => (s, r),
            (s, r) => {
                for (name, e) in [(&sender_name, s.err()), (&receiver_name, r.err())] {
                    if let Some(e) = e {
                        failures.login(name, &e);
                    }
                }
                continue;
            }
        };
        let credit = Arc::new(Semaphore::new(window));
        // Receiver: count, and give the sender credit back.
        let rc = credit.clone();
        tasks.push(tokio::spawn(receive_loop(receiver, receipts.clone(), move |got, _| {
            rc.add_permits(got)
        })));
        let (s, sc, stop, sent, failures, mut started) = (
            sender,
            credit,
            stop.clone(),
            sent.clone(),
            failures.clone(),
            started.clone(),
        );
        let to = format!("{receiver_name}@{DOMAIN}");
        tasks.push(tokio::spawn(async move {
            let xmpp::Session { reader, mut writer } = s;
            let _keep = reader;
            if started.wait_for(|go| *go).await.is_err() {
                return;
            }
            let mut ticker = (rate > 0).then(|| {
                let every = Duration::from_secs_f64(pairs as f64 / rate as f64);
                // Out of phase, as the paced REST senders are.
                let offset = every.mul_f64(p as f64 / pairs as f64);
                let mut t = tokio::time::interval_at(tokio::time::Instant::now() + offset, every);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                t
            });
            while !stop.load(Ordering::Relaxed) {
                if let Some(t) = ticker.as_mut() {
                    t.tick().await;
                }
                let Ok(permit) = sc.acquire().await else { return };
                permit.forget();
                let stanza = format!("<message to='{to}' type='chat'><body>t={}</body></message>", now_ns());
                if let Err(e) = writer.write_all(stanza.as_bytes()).await {
                    failures.request("c2s send", &e, false);
                    return;
                }
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let _ = start.send(true);
    tokio::time::sleep(Duration::from_secs(2)).await;
    receipts.measuring.store(true, Ordering::Relaxed);
    let cpu = CpuClock::start(&pids);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    receipts.measuring.store(false, Ordering::Relaxed);
    let window_s = t.elapsed().as_secs_f64();
    let cpu = cpu.stop();
    stop.store(true, Ordering::Relaxed);
    // Every message written, over the whole run, must reach its receiver; the senders
    // waiting for credit stay where they are (the stop flag ends them before they write).
    let undelivered = receipts.missing_of(sent.load(Ordering::Relaxed)).await;
    for t in tasks {
        t.abort();
    }
    let delivered = receipts.delivered.load(Ordering::Relaxed);
    let (p50, p99, p999) = tail_percentiles(std::mem::take(&mut *receipts.latencies_us.lock().unwrap()));
    let workload = if rate > 0 { "c2s-paced" } else { "c2s" };
    let mut out = json!({"workload": workload, "target": target, "delivered_per_s": delivered as f64 / window_s,
                         "p50_ms": p50, "p99_ms": p99, "p999_ms": p999, "pairs": pairs, "window": window, "rate": rate,
                         "undelivered": undelivered});
    cpu.record(&mut out, window_s, delivered);
    failures.record(&mut out);
    receipts.record(&mut out);
    out
}

/// Longest wait after a room-fanout window for the answers and deliveries still under way;
/// in the other workloads, the longest gap between two arrivals while the last deliveries
/// are awaited.
const DRAIN: Duration = Duration::from_secs(5);

/// Longest wait in all for the last deliveries of a run while they keep coming: a slow
/// server's backlog (Prosody's c2s run holds about 6 s of it) still arrives.
const DRAIN_MAX: Duration = Duration::from_secs(60);

/// Room fan-out: one MUC Light room of `members` users (`PREFIX0` owns it), the first
/// `online` of them reading it over XMPP, and `senders` REST clients (members too) posting
/// to it in a closed loop. Every message goes to every online member, so deliveries are
/// `online` times the accepted messages. Only messages sent inside the window count, and
/// their deliveries are awaited for up to [`DRAIN`] after it.
async fn room_fanout(a: &Args) -> Value {
    let http = a.get("http");
    let c2s = a.addr("c2s");
    let prefix = a.get("prefix");
    let members = a.num("members", 100);
    let online = a.num("online", 50);
    let senders = a.num("senders", 8);
    let seconds = a.num("seconds", 10);
    assert!(members >= 1 && online <= members, "need 1 <= --online <= --members");
    let pids = pid_list(a);
    let client = http_client(senders as usize);
    let failures = Arc::new(Failures::default());

    // Setup, not timed: the room with every member in it, then the readers. A room that
    // cannot be made ends the run with the error counted.
    let owner = basic(&format!("{prefix}0"));
    let create = json!({"name": "bench fan-out", "subject": "load"}).to_string();
    let created = post_for_body(&client, &format!("http://{http}/api/rooms"), Some(&owner), create).await;
    let room = created.as_ref().ok().and_then(|(status, body)| {
        let v = serde_json::from_slice::<Value>(body).ok()?;
        v["id"].as_str().filter(|_| *status == 201).map(str::to_owned)
    });
    let Some(room) = room else {
        let outcome = created.map(|(status, body)| format!("HTTP {status} {}", String::from_utf8_lossy(&body)));
        failures.request(
            "room-fanout: create room",
            &outcome,
            matches!(&outcome, Err(e) if e == TIMED_OUT),
        );
        let mut out = json!({"workload": "room-fanout", "target": "meerkat", "members": members, "online": online,
                             "senders": senders});
        failures.record(&mut out);
        return out;
    };
    let users_url = format!("http://{http}/api/rooms/{room}/users");
    for i in 1..members {
        let user = format!("{prefix}{i}@{DOMAIN}");
        let add = json!({"user": user}).to_string();
        let outcome = post(&client, &users_url, Some(&owner), add).await;
        if !matches!(outcome, Ok(204)) {
            failures.answer(&format!("room-fanout: add {user}"), &outcome);
        }
    }
    let receipts = Arc::new(Receipts::default());
    let handles = receivers(&[c2s], &prefix, online, receipts.clone(), &failures).await;

    let url = format!("http://{http}/api/rooms/{room}/messages");
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for s in 0..senders {
        let (client, url, prefix, stop, accepted, failures, receipts) = (
            client.clone(),
            url.clone(),
            prefix.clone(),
            stop.clone(),
            accepted.clone(),
            failures.clone(),
            receipts.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let auth = basic(&format!("{prefix}{}", s % members));
            while !stop.load(Ordering::Relaxed) {
                let sent = now_ns();
                let payload = json!({"body": format!("t={sent}")}).to_string();
                match post(&client, &url, Some(&auth), payload).await {
                    Ok(200) => {
                        if receipts.counts(sent) {
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    other => failures.answer(&format!("room-fanout: {url}"), &other),
                }
            }
        }));
    }
    // Warm up (the readers' presence lands, connections open), then a window counted by
    // send time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = receipts.open_window();
    let cpu = CpuClock::start(&pids);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let cpu = cpu.stop();
    let end = receipts.close_window();
    stop.store(true, Ordering::Relaxed);
    let window = (end - start) as f64 / 1e9;
    // Drain: the answers in flight, then the deliveries of every accepted message.
    let deadline = tokio::time::Instant::now() + DRAIN;
    for mut t in tasks {
        if tokio::time::timeout_at(deadline, &mut t).await.is_err() {
            t.abort();
        }
    }
    let expected = accepted.load(Ordering::Relaxed) * online;
    let (delivered, p50, p99) = receipts.drain(expected, deadline).await;
    for h in handles {
        h.abort();
    }
    let mut out = json!({
        "workload": "room-fanout",
        "target": "meerkat",
        "members": members,
        "online": online,
        "senders": senders,
        "accepted_per_s": accepted.load(Ordering::Relaxed) as f64 / window,
        "deliveries_per_s": delivered as f64 / window,
        "p50_ms": p50,
        "p99_ms": p99,
        "undelivered": expected.saturating_sub(delivered),
    });
    cpu.record(&mut out, window, delivered);
    failures.record(&mut out);
    receipts.record(&mut out);
    out
}

/// Room fan-out over XEP-0045, the same on every server: `occupants` users (`PREFIX0`…)
/// enter one new room on `service` over c2s, and the first `senders` of them send
/// groupchat messages, each with at most `window` of its own not yet back. The room sends
/// every message to every occupant, its sender included (§7.4), so a sender's own copy is
/// its acknowledgement, and deliveries are `occupants` times the messages. Only messages
/// sent inside the window count; their deliveries are awaited for up to [`DRAIN`].
async fn muc_fanout(a: &Args) -> Value {
    let c2s = a.addr("c2s");
    let target = a.get("target");
    let prefix = a.get("prefix");
    let service = a.get("service");
    let occupants = a.num("occupants", 50);
    let senders = a.num("senders", 8);
    let window = a.num("window", 8) as usize;
    let seconds = a.num("seconds", 10);
    assert!(
        senders >= 1 && senders <= occupants,
        "need 1 <= --senders <= --occupants"
    );
    let pids = pid_list(a);
    let room = format!("bench{}@{service}", now_ns() % 1_000_000_000);
    let receipts = Arc::new(Receipts::default());
    let failures = Arc::new(Failures::default());
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let (start, started) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    // Setup, not timed: every occupant in, one at a time (the first creates the room). One
    // that cannot log in or enter is counted as a failed login and left out.
    let mut inside = 0;
    for i in 0..occupants {
        let name = format!("{prefix}{i}");
        let mut session = match login(c2s, None, &name, "muc").await {
            Ok(session) => session,
            Err(e) => {
                failures.login(&name, &e);
                continue;
            }
        };
        let entered = tokio::time::timeout(TIMEOUT, xmpp::enter_room(&mut session, &room, &name)).await;
        match entered {
            Ok(Ok(())) => inside += 1,
            Ok(Err(e)) => {
                failures.login(&format!("{name} entering {room}"), &e);
                continue;
            }
            Err(_) => {
                failures.login(&format!("{name} entering {room}"), &TIMED_OUT);
                continue;
            }
        }
        let xmpp::Session { reader, mut writer } = session;
        if i >= senders {
            let receiver = xmpp::Session { reader, writer };
            tasks.push(tokio::spawn(receive_loop(receiver, receipts.clone(), |_, _| {})));
            continue;
        }
        let credit = Arc::new(Semaphore::new(window));
        let (rc, marker) = (credit.clone(), format!(";s={i}<"));
        let mut own = xmpp::MarkerCounter::new(&marker);
        // The sender's own copies give its credit back.
        tasks.push(tokio::spawn(read_bodies(reader, receipts.clone(), move |_, bytes| {
            rc.add_permits(own.feed(bytes))
        })));
        let (stop, sent, mut started, room) = (stop.clone(), sent.clone(), started.clone(), room.clone());
        let (receipts_s, failures) = (receipts.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            if started.wait_for(|go| *go).await.is_err() {
                return;
            }
            while !stop.load(Ordering::Relaxed) {
                let Ok(permit) = credit.acquire().await else { return };
                permit.forget();
                let t = now_ns();
                let stanza = format!("<message to='{room}' type='groupchat'><body>t={t};s={i}</body></message>");
                if let Err(e) = writer.write_all(stanza.as_bytes()).await {
                    failures.request("muc-fanout send", &e, false);
                    return;
                }
                if receipts_s.counts(t) {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Stopped sending, still reading: the stream stays open until the drain is
            // over (a sender that hung up at the window's end lost what was still on its
            // way to it, its own copies included).
            let _keep = writer;
            std::future::pending::<()>().await;
        }));
    }
    let _ = start.send(true);
    // Warm up, then a window counted by send time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let begin = receipts.open_window();
    let cpu = CpuClock::start(&pids);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let cpu = cpu.stop();
    let end = receipts.close_window();
    stop.store(true, Ordering::Relaxed);
    let window_s = (end - begin) as f64 / 1e9;
    let expected = sent.load(Ordering::Relaxed) * inside;
    let (delivered, p50, p99) = receipts.drain(expected, tokio::time::Instant::now() + DRAIN).await;
    for t in tasks {
        t.abort();
    }
    let mut out = json!({
        "workload": "muc-fanout",
        "target": target,
        "occupants": occupants,
        "senders": senders,
        "window": window,
        "sent_per_s": sent.load(Ordering::Relaxed) as f64 / window_s,
        "deliveries_per_s": delivered as f64 / window_s,
        "p50_ms": p50,
        "p99_ms": p99,
        "undelivered": expected.saturating_sub(delivered),
    });
    cpu.record(&mut out, window_s, delivered);
    failures.record(&mut out);
    receipts.record(&mut out);
    out
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The server's processes from `--pid` (comma-separated), if given.
fn pid_list(a: &Args) -> Vec<u32> {
    a.0.get("pid")
        .map(|v| {
            v.split(',')
                .filter(|p| !p.is_empty())
                .map(|p| p.trim().parse().expect("a pid"))
                .collect()
        })
        .unwrap_or_default()
}

/// CPU time (user + system, every thread) used so far by `pids`, from `/proc/PID/stat`.
/// Its ticks are USER_HZ, which Linux fixes at 100 for userspace.
fn cpu_seconds(pids: &[u32]) -> f64 {
    pids.iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Fields after the command name, which may itself hold spaces and parentheses:
            // state is the first, utime the 12th, stime the 13th.
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let f: Vec<u64> = rest
                .split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|x| x.parse().ok())
                .collect();
            f.iter().sum::<u64>() as f64 / 100.0
        })
        .sum()
}

/// The cores of this machine, which the server and the load generator share.
fn machine_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// CPU time of the server's processes and of this load generator from the start of a
/// window: which of the two used the machine tells whether a figure is the server's limit
/// or the generator's (see [`Bound`]).
struct CpuClock {
    pids: Vec<u32>,
    server: f64,
    generator: f64,
    machine: f64,
}

/// CPU-seconds used over a window by the server (`None` without `--pid`), the generator,
/// and every process of the machine together.
struct CpuUse {
    server: Option<f64>,
    generator: f64,
    machine: f64,
}

/// CPU-seconds every core of the machine has spent busy (not idle, not waiting for I/O),
/// from the first line of `/proc/stat` (USER_HZ ticks, as in `cpu_seconds`): with the
/// server's and the generator's, whether other processes took the machine from them.
fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let busy: u64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    busy as f64 / 100.0
}

impl CpuClock {
    fn start(pids: &[u32]) -> CpuClock {
        CpuClock {
            pids: pids.to_vec(),
            server: cpu_seconds(pids),
            generator: cpu_seconds(&[std::process::id()]),
            machine: machine_busy_seconds(),
        }
    }

    fn stop(self) -> CpuUse {
        let server = cpu_seconds(&self.pids) - self.server;
        CpuUse {
            server: (!self.pids.is_empty() && server > 0.0).then_some(server),
            generator: cpu_seconds(&[std::process::id()]) - self.generator,
            machine: machine_busy_seconds() - self.machine,
        }
    }
}

impl CpuUse {
    /// Cores the server and the generator used over the window, the machine's cores, and the
    /// deliveries per CPU-second of the server (`null` without `--pid`).
    fn record(&self, out: &mut Value, window_s: f64, delivered: u64) {
        out["server_cores"] = json!(self.server.map(|s| s / window_s));
        out["delivered_per_cpu_s"] = json!(self.server.map(|s| delivered as f64 / s));
        out["generator_cores"] = json!(self.generator / window_s);
        out["machine_busy_cores"] = json!(self.machine / window_s);
        out["machine_cores"] = json!(machine_cores());
    }
}

/// Memory per idle session: RSS growth of `pid` after `sessions` logins (authenticated,
/// bound, available), divided by their number. Every login must succeed: RSS divided by
/// the sessions held would otherwise stand for a smaller point of the curve than the one
/// asked for. `--settle S` (10): seconds between the last login and the reading.
async fn idle(a: &Args) -> Value {
    let c2s = a.addr("c2s");
    let prefix = a.get("prefix");
    let sessions = a.num("sessions", 10_000);
    let pid = a.num("pid", 0) as u32;
    let target = a.0.get("target").cloned().unwrap_or_default();
    let settle = a.num("settle", 10);
    let before = rss_kb(pid);
    let limit = Arc::new(Semaphore::new(64));
    let mut tasks = Vec::new();
    let t = Instant::now();
    for i in 0..sessions {
        let permit = limit.clone().acquire_owned().await.unwrap();
        let prefix = prefix.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            // Spread over 127.0.0.2..51 so source ports never run short.
            let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (i % 50) as u8));
            login(c2s, Some(source), &format!("{prefix}{i}"), "idle").await
        }));
    }
    let mut held = Vec::with_capacity(sessions as usize);
    let mut failed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(s) => held.push(s),
            Err(e) => {
                failed += 1;
                if failed < 5 {
                    eprintln!("idle login failed: {e}");
                }
            }
        }
    }
    let login_s = t.elapsed().as_secs_f64();
    // Let the server settle (presence, allocations, a garbage collector) before reading
    // its size.
    tokio::time::sleep(Duration::from_secs(settle)).await;
    let after = rss_kb(pid);
    let per_session_kb = (after.saturating_sub(before)) as f64 / held.len().max(1) as f64;
    // A garbage-collected server holds garbage its idle processes have not collected yet:
    // `--gc` forces a collection (the sessions still held), and RSS is read again.
    let (after_gc, per_session_gc_kb) = match a.0.get("gc") {
        Some(command) if force_gc(command).await => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let after_gc = rss_kb(pid);
            let per = (after_gc.saturating_sub(before)) as f64 / held.len().max(1) as f64;
            (json!(after_gc), json!(per))
        }
        _ => (Value::Null, Value::Null),
    };
    drop(held);
    json!({"workload": "idle", "target": target, "sessions": sessions, "failed_logins": failed,
           "rss_before_kb": before, "rss_after_kb": after, "per_session_kb": per_session_kb,
           "rss_after_gc_kb": after_gc, "per_session_gc_kb": per_session_gc_kb, "login_s": login_s})
}

/// Runs `command` with `sh -c`, for at most two minutes; whether it succeeded.
async fn force_gc(command: &str) -> bool {
    let run = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .status();
    match tokio::time::timeout(Duration::from_secs(120), run).await {
        Ok(Ok(status)) if status.success() => true,
        Ok(Ok(status)) => {
            eprintln!("idle: the collection command failed: {status}");
            false
        }
        Ok(Err(e)) => {
            eprintln!("idle: the collection command did not start: {e}");
            false
        }
        Err(_) => {
            eprintln!("idle: the collection command timed out");
            false
        }
    }
}

/// Fills alice@localhost's archive (with bob@localhost) in DIR before the server starts.
async fn archive_fill(a: &Args) -> Value {
    use meerkat::store::{ArchiveStore, ArchivedMessage, SqliteStore};
    let dir = a.get("data-dir");
    let count = a.num("count", 1_000_000) as usize;
    // `--from N`: numbers the messages from N, to add to an archive filled before.
    let from = a.num("from", 0) as usize;
    let store = SqliteStore::open(std::path::Path::new(&dir)).expect("open the store");
    let t = Instant::now();
    let base: i64 = 1_764_000_000_000;
    let end = from + count;
    for start in (from..end).step_by(10_000) {
        let rows: Vec<ArchivedMessage> = (start..(start + 10_000).min(end))
            .map(|i| {
                let ts = base + i as i64;
                let (from, to) = if i % 2 == 0 { ("alice", "bob") } else { ("bob", "alice") };
                ArchivedMessage {
                    id: (ts << 16) | (i as i64 & 0xffff),
                    owner: "alice@localhost".into(),
                    with: "bob@localhost".into(),
                    timestamp_ms: ts,
                    stanza: format!("<message xmlns='jabber:client' from='{from}@localhost' to='{to}@localhost' type='chat' id='m{i}'><body>archived message number {i}</body></message>"),
                    shared: true,
                }
            })
            .collect();
        store.archive_append(rows).await.expect("append");
    }
    json!({"workload": "archive-fill", "count": count, "seconds": t.elapsed().as_secs_f64()})
}

/// `GET /api/messages/bob@localhost?limit=50` as alice, sequentially over keep-alive.
async fn archive_read(a: &Args) -> Value {
    let http = a.get("http");
    let requests = a.num("requests", 2000);
    let client = http_client(1);
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("alice@{DOMAIN}:{PASSWORD}"))
    );
    let url = format!("http://{http}/api/messages/bob@{DOMAIN}?limit=50");
    let failures = Failures::default();
    let mut samples = Vec::with_capacity(requests as usize);
    for i in 0..requests + 50 {
        let req = hyper::Request::get(&url)
            .header("authorization", &auth)
            .body(Full::new(Bytes::new()))
            .expect("a GET with a valid URL and header");
        let t = Instant::now();
        let exchange = async {
            let resp = client.request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok::<_, String>((status, body))
        };
        let body = match tokio::time::timeout(TIMEOUT, exchange).await {
            Ok(Ok((200, body))) => body,
            Ok(other) => {
                failures.request("archive-read", &other.map(|(status, _)| status), false);
                continue;
            }
            Err(_) => {
                failures.request("archive-read", &TIMED_OUT, true);
                continue;
            }
        };
        let us = t.elapsed().as_micros() as u32;
        // A page of fewer than 50 messages would be a cheaper read than the one measured.
        let items = serde_json::from_slice::<Value>(&body).ok();
        if items.as_ref().and_then(Value::as_array).map(Vec::len) != Some(50) {
            failures.request("archive-read: not a page of 50", &String::from_utf8_lossy(&body), false);
            continue;
        }
        if i >= 50 {
            samples.push(us);
        }
    }
    let (p50, p99) = percentiles(samples);
    let mut out =
        json!({"workload": "archive-read", "target": "meerkat", "p50_ms": p50, "p99_ms": p99, "requests": requests});
    failures.record(&mut out);
    out
}

/// A REST send with an `Idempotency-Key` while its user already holds `--held` keys:
/// user `PREFIX<user>` first sends `held` keyed messages (8 at a time, not timed), then
/// `--sends` more one after another, each timed from request to answer. The cost of a
/// claim must not grow with the keys held (compare `keyed-send-10-held` with
/// `keyed-send-10000-held`). Each run needs a user that holds no keys yet.
async fn keyed_send(a: &Args) -> Value {
    let http = a.get("http");
    let prefix = a.get("prefix");
    let user = a.num("user", 0);
    let held = a.num("held", 10);
    let sends = a.num("sends", 500);
    let me = format!("{prefix}{user}");
    let to = format!("{prefix}{}@{DOMAIN}", user + 1);
    let auth = basic(&me);
    let url = format!("{}/api/messages", tls::base(&http));
    let client = http_client(8);
    let send = |client: HttpClient, key: String| {
        let (url, auth, to) = (url.clone(), auth.clone(), to.clone());
        async move {
            let req = hyper::Request::post(&url)
                .header("content-type", "application/json")
                .header("authorization", &auth)
                .header("idempotency-key", &key)
                .body(Full::new(Bytes::from(json!({"to": to, "body": key}).to_string())))
                .map_err(|e| Err(e.to_string()))?;
            let exchange = async {
                let resp = client.request(req).await.map_err(|e| e.to_string())?;
                let status = resp.status().as_u16();
                let _ = resp.into_body().collect().await;
                Ok::<_, String>(status)
            };
            match tokio::time::timeout(TIMEOUT, exchange).await {
                Ok(Ok(200)) => Ok(()),
                Ok(other) => Err(other),
                Err(_) => Err(Err(TIMED_OUT.to_owned())),
            }
        }
    };
    // The keys held must all be there, or the timed sends measure a smaller table.
    let failures = Failures::default();
    let mut filled = 0;
    while filled < held {
        let batch: Vec<_> = (filled..(filled + 8).min(held))
            .map(|i| tokio::spawn(send(client.clone(), format!("fill-{me}-{i}"))))
            .collect();
        filled += batch.len() as u64;
        for t in batch {
            match t.await {
                Ok(Ok(())) => {}
                Ok(Err(outcome)) => failures.answer(&format!("keyed-send fill: {url}"), &outcome),
                Err(e) => failures.request("keyed-send fill", &e, false),
            }
        }
    }
    let mut samples = Vec::with_capacity(sends as usize);
    for i in 0..sends {
        let t = Instant::now();
        match send(client.clone(), format!("timed-{me}-{i}")).await {
            Ok(()) => samples.push(t.elapsed().as_micros() as u32),
            Err(outcome) => failures.answer(&format!("keyed-send: {url}"), &outcome),
        }
    }
    let (p50, p99) = percentiles(samples);
    let mut out = json!({
        "workload": format!("keyed-send-{held}-held"),
        "target": "meerkat",
        "p50_ms": p50,
        "p99_ms": p99,
        "held": held,
        "sends": sends,
    });
    failures.record(&mut out);
    out
}

/// Server-side cost of REST Basic auth, measured in process on the server's own code.
async fn auth_cost() -> Value {
    use meerkat::core::account::Accounts;
    use meerkat::store::SqliteStore;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let cached = Accounts::new(
        store.clone(),
        std::sync::Arc::new(meerkat::core::hosts::Hosts::new(vec![DOMAIN.into()])),
        4096,
        10_000,
    );
    let uncached = Accounts::new(
        store,
        std::sync::Arc::new(meerkat::core::hosts::Hosts::new(vec![DOMAIN.into()])),
        4096,
        0,
    );
    let jid = cached.user_jid("alice", DOMAIN).unwrap();
    cached.register(&jid, PASSWORD).await.unwrap();
    let n = 20_000;
    let t = Instant::now();
    for _ in 0..n {
        assert!(cached
            .check_password("alice@localhost", PASSWORD)
            .await
            .unwrap()
            .is_some());
    }
    let cached_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let m = 50;
    let t = Instant::now();
    for _ in 0..m {
        assert!(uncached
            .check_password("alice@localhost", PASSWORD)
            .await
            .unwrap()
            .is_some());
    }
    let uncached_us = t.elapsed().as_secs_f64() * 1e6 / m as f64;
    json!({"workload": "auth-cost", "target": "meerkat", "cached_us": cached_us, "verify_us": uncached_us})
}

fn median_min_max(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// The label of meerkat's runs with the archive off.
const CEILING: &str = "meerkat-archive-off";

/// The peers' configurations with their archive on, as their docs advise for production
/// (`bench/run.sh`); each headline ratio is against the best of them for its figure.
const PEERS_ARCHIVE_ON: [&str; 3] = ["ejabberd-sql-sqlite", "ejabberd-sql-pgsql", "prosody"];

/// ejabberd with its archive off: the peer for meerkat's own ceiling.
const PEER_ARCHIVE_OFF: &str = "ejabberd-archive-off";

/// The labels whose runs are points of a curve (one label, several sizes): each point is a
/// group of its own, named with its size, so that no median mixes sizes.
const CURVES: [(&str, &str); 2] = [("meerkat-idle-curve", "sessions"), ("meerkat-senders", "senders")];

/// What `bench/run.sh` appends to a label for the re-runs of a generator-bound workload
/// with the load generator pinned to one core.
const PINNED: &str = "-pinned";

/// Figures where more is better; the other compared figures are latencies and memory.
const HIGHER_IS_BETTER: [&str; 5] = [
    "delivered_per_s",
    "accepted_per_s",
    "sent_per_s",
    "deliveries_per_s",
    "delivered_per_cpu_s",
];

/// Figures the report reads from the result lines.
const FIGURES: [&str; 15] = [
    "delivered_per_s",
    "accepted_per_s",
    "sent_per_s",
    "deliveries_per_s",
    "delivered_per_cpu_s",
    "server_cores",
    "generator_cores",
    "machine_busy_cores",
    "p50_ms",
    "p99_ms",
    "p999_ms",
    "per_session_kb",
    "per_session_gc_kb",
    "cached_us",
    "verify_us",
];

/// The peer figures a meerkat figure is held against: memory per session also against
/// the peer's after a forced collection (meerkat has no collector to force).
fn peer_figures(figure: &str) -> &'static [&'static str] {
    match figure {
        "per_session_kb" => &["per_session_kb", "per_session_gc_kb"],
        "delivered_per_s" => &["delivered_per_s"],
        "accepted_per_s" => &["accepted_per_s"],
        "sent_per_s" => &["sent_per_s"],
        "deliveries_per_s" => &["deliveries_per_s"],
        "delivered_per_cpu_s" => &["delivered_per_cpu_s"],
        "p50_ms" => &["p50_ms"],
        "p99_ms" => &["p99_ms"],
        "p999_ms" => &["p999_ms"],
        _ => &[],
    }
}

/// Where a figure comes in the headline: deliveries per CPU-second first (the figure the
/// shared machine distorts least), then throughput, then latency and memory.
fn headline_rank(figure: &str) -> u8 {
    match figure {
        "delivered_per_cpu_s" => 0,
        f if HIGHER_IS_BETTER.contains(&f) => 1,
        "p50_ms" | "p99_ms" | "p999_ms" => 2,
        _ => 3,
    }
}

/// The throughput figure of a "ceiling" workload: one run as fast as the server goes
/// (unpaced), whose figure is only the server's if the server was the limit.
fn ceiling_figure(workload: &str) -> Option<&'static str> {
    match workload {
        "rest-send" | "c2s" => Some("delivered_per_s"),
        "muc-fanout" | "room-fanout" => Some("deliveries_per_s"),
        _ => None,
    }
}

/// The share of the machine's cores from which the server counts as the limit of a ceiling
/// workload: 1.5 of 2 cores.
const SERVER_BOUND_SHARE: f64 = 0.75;

/// The share of the machine's cores the server and the generator must use together for
/// the generator to count as the limit (1.8 of 2 cores): below it, neither used the
/// machine, and the server was waiting (on syncs, a lock, its one thread).
const BUSY_SHARE: f64 = 0.9;

/// What limited a ceiling workload's figure.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    /// The server used at least [`SERVER_BOUND_SHARE`] of the cores.
    Server,
    /// The server used less, and the generator took the rest of the machine.
    Generator,
    /// The server used less, and the generator's CPU was not recorded (lines written
    /// before it was): taken as generator-bound, since nothing shows otherwise.
    GeneratorUnrecorded,
    /// The server used less, and other processes than the two took the machine.
    Others,
    /// The server used less, and the machine was partly idle.
    Waiting,
    /// The server's CPU was not measured (no `--pid`).
    Unknown,
}

impl Bound {
    /// From the cores the server, the generator and the whole machine (`busy`) used over
    /// the window, on a machine of `machine_cores`.
    fn of(server_cores: Option<f64>, generator_cores: Option<f64>, busy: Option<f64>, machine_cores: f64) -> Bound {
        let Some(server) = server_cores.filter(|s| s.is_finite()) else {
            return Bound::Unknown;
        };
        let full = BUSY_SHARE * machine_cores;
        if server >= SERVER_BOUND_SHARE * machine_cores {
            Bound::Server
        } else {
            match generator_cores.filter(|g| g.is_finite()) {
                None => Bound::GeneratorUnrecorded,
                Some(g) if server + g >= full => Bound::Generator,
                Some(_) if busy.is_some_and(|b| b >= full) => Bound::Others,
                Some(_) => Bound::Waiting,
            }
        }
    }

    fn text(self) -> &'static str {
        match self {
            Bound::Server => "server-bound",
            Bound::Generator => "generator-bound",
            Bound::GeneratorUnrecorded => "generator-bound (generator CPU not recorded)",
            Bound::Others => "other processes: the machine was busy",
            Bound::Waiting => "neither: the server waited",
            Bound::Unknown => "unknown: server CPU not measured",
        }
    }

    /// The word `bench/run.sh` reads (`meerkat-bench bound`).
    fn word(self) -> &'static str {
        match self {
            Bound::Server => "server",
            Bound::Generator | Bound::GeneratorUnrecorded => "generator",
            Bound::Others => "others",
            Bound::Waiting => "waiting",
            Bound::Unknown => "unknown",
        }
    }
}

/// The name a result line's runs are grouped under: its label, with its size for a point
/// of a curve.
fn group_target(v: &Value) -> String {
    let target = v["target"].as_str().unwrap_or_default();
    match CURVES.iter().find(|(label, _)| *label == target) {
        Some((_, by)) => format!("{target}, {} {by}", v[*by]),
        None => target.to_owned(),
    }
}

/// The runs of one workload on one configuration.
#[derive(Default)]
struct Group {
    runs: usize,
    /// How many runs failed, and what went wrong in them in all, by kind.
    failed: usize,
    failures: Vec<(u64, &'static str)>,
    /// The figures of the runs that did not fail.
    figures: HashMap<String, Vec<f64>>,
    machine_cores: Vec<f64>,
}

impl Group {
    fn failed(&self) -> bool {
        self.failed > 0
    }

    /// "FAILED: 8000 failed logins in 1 of 1 runs", for a group with a failed run.
    fn failure_text(&self) -> String {
        format!(
            "FAILED: {} in {} of {} runs",
            failure_text(&self.failures),
            self.failed,
            self.runs
        )
    }

    fn median(&self, figure: &str) -> Option<f64> {
        let m = median_min_max(self.figures.get(figure)?.clone()).0;
        m.is_finite().then_some(m)
    }

    /// What limited the group's figure, for a ceiling workload that did not fail.
    fn bound(&self) -> Bound {
        let cores = median_min_max(self.machine_cores.clone()).0;
        let cores = if cores.is_finite() {
            cores
        } else {
            machine_cores() as f64
        };
        Bound::of(
            self.median("server_cores"),
            self.median("generator_cores"),
            self.median("machine_busy_cores"),
            cores,
        )
    }
}

/// The result lines of `text` by (workload, group target). A run with any failure counts
/// in its group's failures and gives it no figure: medians are never taken over failed runs.
fn groups(text: &str) -> BTreeMap<(String, String), Group> {
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for v in text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()) {
        let Some(workload) = v["workload"].as_str() else {
            continue;
        };
        let group = groups.entry((workload.to_owned(), group_target(&v))).or_default();
        group.runs += 1;
        let parts = failure_parts(&v);
        if !parts.is_empty() {
            group.failed += 1;
            for (n, what) in parts {
                match group.failures.iter_mut().find(|f| f.1 == what) {
                    Some(f) => f.0 += n,
                    None => group.failures.push((n, what)),
                }
            }
            continue;
        }
        for figure in FIGURES {
            if let Some(x) = v[figure].as_f64() {
                group.figures.entry(figure.to_owned()).or_default().push(x);
            }
        }
        if let Some(c) = v["machine_cores"].as_f64() {
            group.machine_cores.push(c);
        }
    }
    groups
}

type Medians = HashMap<(String, String, String), f64>;

/// The best median of `figure` in `workload` among `labels`, with its label.
fn best_of<'a>(medians: &Medians, workload: &str, figure: &str, labels: &[&'a str]) -> Option<(&'a str, f64)> {
    let higher = HIGHER_IS_BETTER.contains(&figure);
    labels
        .iter()
        .filter_map(|l| {
            let m = *medians.get(&(workload.to_owned(), (*l).to_owned(), figure.to_owned()))?;
            m.is_finite().then_some((*l, m))
        })
        .reduce(|a, b| if (b.1 > a.1) == higher && b.1 != a.1 { b } else { a })
}

/// `ours / theirs`, or a dash where the peer's figure is zero (nothing delivered in the window).
fn ratio(ours: f64, theirs: f64) -> String {
    if theirs == 0.0 {
        "— (peer: 0)".into()
    } else {
        format!("{:.2}", ours / theirs)
    }
}

/// The workloads whose runs failed, one line each (for the script's check).
fn failed_lines(text: &str) -> Vec<String> {
    groups(text)
        .iter()
        .filter(|(_, g)| g.failed())
        .map(|((w, t), g)| format!("{w} {t}: {}", g.failure_text()))
        .collect()
}

/// Medians (min–max) per workload, target and figure, with failed workloads shown as
/// FAILED instead; what limited each ceiling figure; meerkat's share of its own ceiling;
/// and the headline ratios against the peers, per CPU-second first.
fn render_report(text: &str) -> String {
    use std::fmt::Write as _;
    let groups = groups(text);
    let mut out = String::new();
    let o = &mut out;
    let failed: Vec<_> = groups.iter().filter(|(_, g)| g.failed()).collect();
    if !failed.is_empty() {
        let _ = writeln!(
            o,
            "FAILED workloads: a failed login, an error, a timeout or a missing delivery in any run; \
             no figure or median is given for them."
        );
        let _ = writeln!(o);
        for ((w, t), g) in &failed {
            let _ = writeln!(o, "- {w}, {t}: {}", g.failure_text());
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "| workload | figure | target | median | min | max | runs |");
    let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- | --- |");
    let mut medians = Medians::new();
    for ((w, t), g) in &groups {
        if g.failed() {
            let _ = writeln!(o, "| {w} | — | {t} | **{}** | | | {} |", g.failure_text(), g.runs);
            continue;
        }
        let mut figures: Vec<_> = g.figures.iter().collect();
        figures.sort_by(|a, b| a.0.cmp(b.0));
        for (figure, values) in figures {
            let (med, min, max) = median_min_max(values.clone());
            medians.insert((w.clone(), t.clone(), figure.clone()), med);
            let _ = writeln!(
                o,
                "| {w} | {figure} | {t} | {med:.2} | {min:.2} | {max:.2} | {} |",
                values.len()
            );
        }
    }

    // What limited each ceiling figure, with the pinned re-run beside it where there is one.
    let bounds: HashMap<(String, String), Bound> = groups
        .iter()
        .filter(|((w, _), g)| ceiling_figure(w).is_some() && !g.failed())
        .map(|(k, g)| (k.clone(), g.bound()))
        .collect();
    let mut ceiling_rows: Vec<_> = groups
        .iter()
        .filter(|((w, t), _)| ceiling_figure(w).is_some() && !t.ends_with(PINNED))
        .collect();
    ceiling_rows.sort_by(|a, b| a.0.cmp(b.0));
    if !ceiling_rows.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "What limited each ceiling figure (unpaced runs). The server and the load generator share this \
             machine's cores: a figure is server-bound when the server used at least {:.0}% of them, \
             generator-bound when it used less while the generator took the rest (at least {:.0}% together, or \
             the generator's CPU not recorded), \"other processes\" when the two used less but the machine was \
             busy all the same, and \"the server waited\" when the machine was partly idle. A \
             generator-bound figure is a floor of the server's, not its limit. Where a workload was \
             generator-bound, `bench/run.sh` runs it again with the generator pinned to one core (label \
             `…{PINNED}`); the tables above and below report the unpinned runs.",
            SERVER_BOUND_SHARE * 100.0,
            BUSY_SHARE * 100.0
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| workload | target | median figure | server cores | generator cores | limit | generator pinned |"
        );
        let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- | --- |");
        let cell = |g: &Group, figure: &str| g.median(figure).map_or("—".to_owned(), |m| format!("{m:.2}"));
        for ((w, t), g) in ceiling_rows {
            let figure = ceiling_figure(w).unwrap_or_default();
            let pinned = match groups.get(&(w.clone(), format!("{t}{PINNED}"))) {
                None => String::new(),
                Some(p) if p.failed() => p.failure_text(),
                Some(p) => format!(
                    "{} at {} server cores: {}",
                    cell(p, figure),
                    cell(p, "server_cores"),
                    p.bound().text()
                ),
            };
            if g.failed() {
                let _ = writeln!(o, "| {w} | {t} | **{}** | | | | {pinned} |", g.failure_text());
            } else {
                let _ = writeln!(
                    o,
                    "| {w} | {t} | {figure} {} | {} | {} | {} | {pinned} |",
                    cell(g, figure),
                    cell(g, "server_cores"),
                    cell(g, "generator_cores"),
                    g.bound().text()
                );
            }
        }
    }

    let limit = |w: &str, t: &str, figure: &str| -> String {
        if ceiling_figure(w).is_none() || headline_rank(figure) > 1 {
            return String::new();
        }
        bounds
            .get(&(w.to_owned(), t.to_owned()))
            .map_or(String::new(), |b| b.text().to_owned())
    };
    let mut ours: Vec<(String, String)> = medians
        .keys()
        .filter(|k| k.1 == "meerkat")
        .map(|k| (k.0.clone(), k.2.clone()))
        .collect();
    ours.sort_by(|a, b| (headline_rank(&a.1), &a.0, &a.1).cmp(&(headline_rank(&b.1), &b.0, &b.1)));
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "| workload | figure | archive on / archive off (meerkat's ceiling) |"
    );
    let _ = writeln!(o, "| --- | --- | --- |");
    for (w, figure) in ours.iter().filter(|k| !peer_figures(&k.1).is_empty()) {
        if let Some(off) = medians.get(&(w.clone(), CEILING.into(), figure.clone())) {
            let on = medians[&(w.clone(), "meerkat".into(), figure.clone())];
            let _ = writeln!(o, "| {w} | {figure} | {:.2} |", on / off);
        }
    }
    let peers_ran = groups
        .keys()
        .any(|k| PEERS_ARCHIVE_ON.contains(&k.1.as_str()) || k.1 == PEER_ARCHIVE_OFF);
    if peers_ran {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Headline: meerkat (archive on) against the best peer configuration with its archive on"
        );
        let _ = writeln!(
            o,
            "({}) that did not fail, chosen per workload and figure: per CPU-second first, then throughput, \
             then latency and memory. The paced REST send and c2s run each server at half its own maximum, so their \
             latencies are taken at different rates.",
            PEERS_ARCHIVE_ON.join(", ")
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| workload | figure | meerkat | best peer, archive on | peer figure | peer median | meerkat / peer | limit: meerkat; peer |"
        );
        let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- | --- | --- |");
        for (w, figure) in &ours {
            // A paced run's rate is half each server's own maximum: only its latencies compare.
            if w.ends_with("-paced") && HIGHER_IS_BETTER.contains(&figure.as_str()) {
                continue;
            }
            for peer_figure in peer_figures(figure) {
                if let Some((label, m)) = best_of(&medians, w, peer_figure, &PEERS_ARCHIVE_ON) {
                    let mine = medians[&(w.clone(), "meerkat".into(), figure.clone())];
                    let limits = match (limit(w, "meerkat", figure), limit(w, label, figure)) {
                        (a, b) if a.is_empty() && b.is_empty() => String::new(),
                        (a, b) => format!("{a}; {b}"),
                    };
                    let _ = writeln!(
                        o,
                        "| {w} | {figure} | {mine:.2} | {label} | {peer_figure} | {m:.2} | {} | {limits} |",
                        ratio(mine, m)
                    );
                }
            }
        }
        let not_compared: Vec<String> = failed
            .iter()
            .filter(|((_, t), _)| PEERS_ARCHIVE_ON.contains(&t.as_str()) || t == PEER_ARCHIVE_OFF || t == "meerkat")
            .map(|((w, t), _)| format!("{w} on {t}"))
            .collect();
        if !not_compared.is_empty() {
            let _ = writeln!(o);
            let _ = writeln!(o, "Not compared, FAILED (see above): {}.", not_compared.join(", "));
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "Archive off: meerkat ({CEILING}) against {PEER_ARCHIVE_OFF}.");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| workload | figure | {CEILING} | {PEER_ARCHIVE_OFF} | ratio | limit: meerkat; peer |"
        );
        let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- |");
        let mut off: Vec<_> = medians
            .keys()
            .filter(|k| k.1 == CEILING && !peer_figures(&k.2).is_empty())
            .collect();
        off.sort_by(|a, b| (headline_rank(&a.2), &a.0, &a.2).cmp(&(headline_rank(&b.2), &b.0, &b.2)));
        for k in off {
            if let Some(p) = medians.get(&(k.0.clone(), PEER_ARCHIVE_OFF.into(), k.2.clone())) {
                let limits = match (limit(&k.0, CEILING, &k.2), limit(&k.0, PEER_ARCHIVE_OFF, &k.2)) {
                    (a, b) if a.is_empty() && b.is_empty() => String::new(),
                    (a, b) => format!("{a}; {b}"),
                };
                let _ = writeln!(
                    o,
                    "| {} | {} | {:.2} | {:.2} | {} | {limits} |",
                    k.0,
                    k.2,
                    medians[k],
                    p,
                    ratio(medians[k], *p)
                );
            }
        }
        let cores = machine_cores();
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Per core: Prosody runs its server on one thread, so it can use one core at most; meerkat and \
             ejabberd can use all {cores} cores of this machine (shared with the load generator). `server_cores` \
             is the server's CPU use over the window (with PostgreSQL's processes for ejabberd-sql-pgsql), \
             `generator_cores` the load generator's, `delivered_per_cpu_s` the server's deliveries per CPU-second."
        );
    }
    out
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(cmd) = args.get(1) else {
        eprintln!("usage: meerkat-bench COMMAND [--key value ...] (see the source header)");
        std::process::exit(2);
    };
    let a = Args::parse(&args[2..]);
    let _ = TLS.set(a.num("tls", 0) == 1);
    let _ = xmpp::SCRAM.set(a.0.get("sasl").is_some_and(|m| m == "scram-sha-1"));
    epoch();
    let out = match cmd.as_str() {
        "register" => {
            // Accounts that were not made would show up later as failed logins, far from
            // their cause.
            let out = register(&a).await;
            if out["ok"] != out["users"] {
                eprintln!("register: only {} of {} accounts made", out["ok"], out["users"]);
                println!("{out}");
                std::process::exit(1);
            }
            out
        }
        "rest-send" => rest_send(&a).await,
        "c2s" => c2s(&a).await,
        "room-fanout" => room_fanout(&a).await,
        "muc-fanout" => muc_fanout(&a).await,
        "idle" => idle(&a).await,
        "archive-fill" => archive_fill(&a).await,
        "archive-read" => archive_read(&a).await,
        "keyed-send" => keyed_send(&a).await,
        "auth-cost" => auth_cost().await,
        "soak" => std::process::exit(soak::run(&a).await),
        "soak-child" => std::process::exit(soak::child(&a).await),
        "report" => {
            let text = std::fs::read_to_string(args.get(2).map_or("", String::as_str)).expect("results file");
            print!("{}", render_report(&text));
            return;
        }
        "failures" => {
            // failures FILE: the failed workloads, one a line; exits 1 if there is one.
            let text = std::fs::read_to_string(&args[2]).expect("results file");
            let failed = failed_lines(&text);
            for line in &failed {
                println!("{line}");
            }
            std::process::exit(i32::from(!failed.is_empty()));
        }
        "bound" => {
            // bound FILE WORKLOAD TARGET: what limited that ceiling figure (server, generator,
            // waiting, unknown), or `failed`, or `none` without runs.
            let text = std::fs::read_to_string(&args[2]).expect("results file");
            let groups = groups(&text);
            let word = match groups.get(&(args[3].clone(), args[4].clone())) {
                None => "none",
                Some(g) if g.failed() => "failed",
                Some(g) => g.bound().word(),
            };
            println!("{word}");
            return;
        }
        "charts" => {
            // charts RESULTS DIR: the growth curves as SVG files in DIR.
            for file in charts::write(&args[2], &args[3]) {
                println!("{file}");
            }
            return;
        }
        "splice" => {
            // splice DOC GENERATED: DOC's generated part becomes GENERATED's text.
            let doc = std::fs::read_to_string(&args[2]).expect("the document");
            let generated = std::fs::read_to_string(&args[3]).expect("the generated text");
            match charts::splice(&doc, &generated) {
                Ok(text) => std::fs::write(&args[2], text).expect("write the document"),
                Err(e) => {
                    eprintln!("{}: {e}", args[2]);
                    std::process::exit(1);
                }
            }
            return;
        }
        "median" => {
            // median FILE WORKLOAD TARGET FIGURE: one number, for the script, over the runs
            // that did not fail; 0 when there is none.
            let text = std::fs::read_to_string(&args[2]).expect("results file");
            let values: Vec<f64> = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|v| v["workload"] == args[3].as_str() && v["target"] == args[4].as_str())
                .filter(|v| failure(v).is_none())
                .filter_map(|v| v[args[5].as_str()].as_f64())
                .collect();
            let median = median_min_max(values).0;
            println!("{:.0}", if median.is_finite() { median } else { 0.0 });
            return;
        }
        "settle" => {
            // settle --pid PIDS --seconds MAX: waits until the server's processes are idle
            // (under 5% of a core over half a second), for at most MAX seconds, so that a
            // slow server's backlog from the last run does not land in the next one.
            let pids = pid_list(&a);
            let deadline = Instant::now() + Duration::from_secs(a.num("seconds", 60));
            let mut last = cpu_seconds(&pids);
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let now = cpu_seconds(&pids);
                if now - last < 0.025 {
                    return;
                }
                if Instant::now() > deadline {
                    eprintln!("settle: the server is still busy after the wait");
                    return;
                }
                last = now;
            }
        }
        "free-port" => {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            println!("{}", l.local_addr().unwrap().port());
            return;
        }
        other => {
            eprintln!("unknown command {other}");
            std::process::exit(2);
        }
    };
    let mut out = out;
    // `--label` names a configuration of the target (its protocol still comes from
    // `--target`), e.g. meerkat with its archive off.
    if let Some(label) = a.0.get("label") {
        out["target"] = json!(label);
    }
    // `--archive N`: how many messages the archive held, for the growth curves.
    if let Some(n) = a.0.get("archive") {
        out["archive"] = json!(n.parse::<u64>().expect("a number"));
    }
    // The verdict beside the counts, so that a reader of the raw line sees it too.
    let (failures, reason) = failure(&out).map_or((0, Value::Null), |(n, why)| (n, json!(why)));
    out["failures"] = json!(failures);
    out["failure"] = reason;
    if failures > 0 {
        eprintln!("{cmd}: FAILED: {}", out["failure"]);
    }
    println!("{out}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_with_anything_wrong_is_failed_whatever_the_age_of_its_line() {
        let old_idle = json!({"workload": "idle", "sessions": 18000, "failed": 8000, "per_session_kb": 13.4});
        assert_eq!(failure(&old_idle), Some((8000, "8000 failed logins".into())));
        let send = json!({"workload": "rest-send", "errors": 2, "timeouts": 1, "undelivered": 5, "failed_logins": 0});
        assert_eq!(
            failure(&send),
            Some((8, "2 errors, 1 timeouts, 5 missing deliveries".into()))
        );
        let clean = json!({"workload": "c2s", "errors": 0, "undelivered": 0, "failed_logins": 0, "timeouts": 0});
        assert_eq!(failure(&clean), None);
    }

    #[test]
    fn a_failed_workload_shows_as_failed_and_gives_no_median() {
        let lines = [
            json!({"workload": "idle", "target": "meerkat", "sessions": 10000, "failed_logins": 0, "per_session_kb": 13.2}),
            json!({"workload": "idle", "target": "meerkat-idle-curve", "sessions": 18000, "failed": 8000, "per_session_kb": 13.4}),
            json!({"workload": "idle", "target": "meerkat-idle-curve", "sessions": 5000, "failed_logins": 0, "per_session_kb": 13.0}),
            json!({"workload": "c2s", "target": "meerkat", "delivered_per_s": 100.0, "undelivered": 0}),
            json!({"workload": "c2s", "target": "meerkat", "delivered_per_s": 900.0, "undelivered": 3}),
        ];
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let report = render_report(&text);
        assert!(report.contains("FAILED: 8000 failed logins in 1 of 1 runs"), "{report}");
        assert!(
            report.contains("FAILED: 3 missing deliveries in 1 of 2 runs"),
            "{report}"
        );
        assert!(
            !report.contains("13.40"),
            "a failed run's figure is not reported: {report}"
        );
        assert!(
            !report.contains("| c2s | delivered_per_s |"),
            "no median over failed runs: {report}"
        );
        // Each point of the curve is a group of its own.
        assert!(
            report.contains("| idle | per_session_kb | meerkat-idle-curve, 5000 sessions | 13.00 |"),
            "{report}"
        );
        assert_eq!(failed_lines(&text).len(), 2);
    }

    #[test]
    fn a_server_under_one_and_a_half_of_two_cores_is_not_the_limit() {
        assert_eq!(Bound::of(Some(1.6), Some(0.4), Some(2.0), 2.0), Bound::Server);
        assert_eq!(Bound::of(Some(1.2), Some(0.7), Some(1.9), 2.0), Bound::Generator);
        assert_eq!(Bound::of(Some(0.63), None, None, 2.0), Bound::GeneratorUnrecorded);
        assert_eq!(Bound::of(Some(0.8), Some(0.1), Some(1.0), 2.0), Bound::Waiting);
        assert_eq!(Bound::of(Some(0.8), Some(0.1), Some(1.95), 2.0), Bound::Others);
        assert_eq!(Bound::of(None, Some(1.0), Some(2.0), 2.0), Bound::Unknown);
    }

    #[test]
    fn the_headline_gives_ratios_per_cpu_second_before_throughput() {
        let mut text = String::new();
        for (target, per_s, per_cpu) in [("meerkat", 9000.0, 7000.0), ("prosody", 150.0, 200.0)] {
            let line = json!({"workload": "rest-send", "target": target, "delivered_per_s": per_s,
                              "delivered_per_cpu_s": per_cpu, "server_cores": 1.2, "generator_cores": 0.7,
                              "p99_ms": 20.0, "errors": 0, "undelivered": 0});
            text.push_str(&format!("{line}\n"));
        }
        let report = render_report(&text);
        let headline = &report[report.find("Headline").expect("a headline")..];
        let per_cpu = headline
            .find("| rest-send | delivered_per_cpu_s |")
            .expect("a per-CPU row");
        let per_s = headline
            .find("| rest-send | delivered_per_s |")
            .expect("a throughput row");
        assert!(per_cpu < per_s, "{headline}");
        assert!(headline.contains("generator-bound; generator-bound"), "{headline}");
    }
}

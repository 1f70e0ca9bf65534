//! `meerkat-bench`: the load generator and measurements behind `make bench`.
//!
//! Each subcommand runs one workload once against a running server and prints one JSON
//! line of figures; `bench/run.sh` starts the servers, repeats the runs and calls
//! `report` to turn the lines into medians and ratios.
//!
//! ```text
//! meerkat-bench register  --target T --http ADDR --prefix P --users N --password PW
//! meerkat-bench rest-send --target T --http ADDR --c2s ADDR --prefix P --users N --senders C --seconds S [--rate R] [--pid PIDS]
//! meerkat-bench c2s       --c2s ADDR --prefix P --pairs N --window W --seconds S [--pid PIDS]
//! meerkat-bench room-fanout --http ADDR --c2s ADDR --prefix P --members M --online N --senders C --seconds S
//! meerkat-bench muc-fanout --target T --c2s ADDR --service DOMAIN --prefix P --occupants N --senders C --window W --seconds S [--pid PIDS]
//! meerkat-bench idle      --c2s ADDR --prefix P --sessions N --pid PID [--gc COMMAND]
//! (rest-send, c2s, idle: `--tls 1` for STARTTLS sessions; `--http https://ADDR` for HTTPS;
//! every XMPP login: `--sasl scram-sha-1` instead of PLAIN)
//! meerkat-bench archive-fill --data-dir DIR --count N [--from N]
//! meerkat-bench archive-read --http ADDR --requests N
//! meerkat-bench keyed-send --http ADDR --prefix P --user N --held N --sends N
//! meerkat-bench auth-cost
//! meerkat-bench report FILE
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
//! `server_cores` and `delivered_per_cpu_s`. Loads touch loopback only and stop by
//! themselves.

mod charts;
mod soak;
mod tls;
mod xmpp;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use std::collections::HashMap;
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

/// A load session of `user`, over STARTTLS when the run asks for TLS.
async fn login(c2s: SocketAddr, source: Option<IpAddr>, user: &str, resource: &str) -> std::io::Result<xmpp::Session> {
    let tls = *TLS.get().unwrap_or(&false);
    xmpp::connect(c2s, source, DOMAIN, (user, PASSWORD, resource), tls).await
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
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
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
struct Receipts {
    delivered: AtomicU64,
    measuring: AtomicBool,
    sent_from: AtomicU64,
    sent_until: AtomicU64,
    latencies_us: Mutex<Vec<u32>>,
}

impl Default for Receipts {
    fn default() -> Self {
        Receipts {
            delivered: AtomicU64::new(0),
            measuring: AtomicBool::new(false),
            sent_from: AtomicU64::new(0),
            sent_until: AtomicU64::new(u64::MAX),
            latencies_us: Mutex::default(),
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

    /// A message sent at `sent` arrived at `now`: counted, with its latency, if it counts.
    fn arrived(&self, sent: u64, now: u64) {
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
        let Ok(n) = reader.read(&mut buf).await else { return };
        if n == 0 {
            return;
        }
        let now = now_ns();
        let mut got = 0;
        scanner.feed(&buf[..n], |sent| {
            got += 1;
            receipts.arrived(sent, now);
        });
        arrived(got, &buf[..n]);
    }
}

/// Logs in `n` receivers `PREFIXi/r` and counts `<body>t=…</body>` arrivals.
/// Receiver `i` logs in at `c2s[i % len]` (several addresses: the nodes of a cluster).
async fn receivers(
    c2s: &[SocketAddr],
    prefix: &str,
    n: u64,
    receipts: Arc<Receipts>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = Vec::new();
    for i in 0..n {
        let session = login(c2s[i as usize % c2s.len()], None, &format!("{prefix}{i}"), "r")
            .await
            .unwrap_or_else(|e| panic!("receiver {prefix}{i} login: {e}"));
        handles.push(tokio::spawn(receive_loop(session, receipts.clone(), |_, _| {})));
    }
    handles
}

fn percentiles(mut v: Vec<u32>) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort_unstable();
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    (p(0.5), p(0.99))
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
    let handles = receivers(&c2s, &prefix, users, receipts.clone()).await;
    let client = http_client(senders as usize);
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for s in 0..senders {
        let (client, target, http, prefix, stop, sent, errors) = (
            client.clone(),
            target.clone(),
            http_list[s as usize % http_list.len()].clone(),
            prefix.clone(),
            stop.clone(),
            sent.clone(),
            errors.clone(),
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
                    other => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("rest-send: {url}: {other:?}");
                        }
                    }
                }
            }
        }));
    }
    // Warm up, then measure a fixed window.
    tokio::time::sleep(Duration::from_secs(2)).await;
    receipts.measuring.store(true, Ordering::Relaxed);
    let sent_before = sent.load(Ordering::Relaxed);
    let cpu_before = cpu_seconds(&pids);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    receipts.measuring.store(false, Ordering::Relaxed);
    let window = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds(&pids) - cpu_before;
    let sent_in_window = sent.load(Ordering::Relaxed) - sent_before;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    for h in handles {
        h.abort();
    }
    let delivered = receipts.delivered.load(Ordering::Relaxed);
    let (p50, p99) = percentiles(std::mem::take(&mut *receipts.latencies_us.lock().unwrap()));
    let (cores, per_cpu_s) = cpu_figures(&pids, cpu, window, delivered);
    json!({
        "workload": if rate > 0 { "rest-send-paced" } else { "rest-send" },
        "target": target,
        "delivered_per_s": delivered as f64 / window,
        "server_cores": cores,
        "delivered_per_cpu_s": per_cpu_s,
        "acked_per_s": sent_in_window as f64 / window,
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": errors.load(Ordering::Relaxed),
        "rate": rate,
        "senders": senders,
        "users": users,
    })
}

/// c2s → c2s: `pairs` senders each keep up to `window` messages in flight to their own
/// receiver.
async fn c2s(a: &Args) -> Value {
    let c2s = a.addr("c2s");
    let prefix = a.get("prefix");
    let pairs = a.num("pairs", 50);
    let window = a.num("window", 16) as usize;
    let seconds = a.num("seconds", 10);
    let target = a.0.get("target").cloned().unwrap_or_default();
    let pids = pid_list(a);
    let receipts = Arc::new(Receipts::default());
    let stop = Arc::new(AtomicBool::new(false));
    // Senders wait for every pair to be logged in: on a server slower than its load, the
    // later logins would otherwise queue behind the first pairs' messages.
    let (start, started) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for p in 0..pairs {
        let sender_name = format!("{prefix}{}", 2 * p);
        let receiver_name = format!("{prefix}{}", 2 * p + 1);
        let sender = login(c2s, None, &sender_name, "s")
            .await
            .unwrap_or_else(|e| panic!("{sender_name}: {e}"));
        let receiver = login(c2s, None, &receiver_name, "r")
            .await
            .unwrap_or_else(|e| panic!("{receiver_name}: {e}"));
        let credit = Arc::new(Semaphore::new(window));
        // Receiver: count, and give the sender credit back.
        let rc = credit.clone();
        tasks.push(tokio::spawn(receive_loop(receiver, receipts.clone(), move |got, _| {
            rc.add_permits(got)
        })));
        let (s, sc, stop, mut started) = (sender, credit, stop.clone(), started.clone());
        let to = format!("{receiver_name}@{DOMAIN}");
        tasks.push(tokio::spawn(async move {
            let xmpp::Session { reader, mut writer } = s;
            let _keep = reader;
            if started.wait_for(|go| *go).await.is_err() {
                return;
            }
            while !stop.load(Ordering::Relaxed) {
                let Ok(permit) = sc.acquire().await else { return };
                permit.forget();
                let stanza = format!("<message to='{to}' type='chat'><body>t={}</body></message>", now_ns());
                if writer.write_all(stanza.as_bytes()).await.is_err() {
                    return;
                }
            }
        }));
    }
    let _ = start.send(true);
    tokio::time::sleep(Duration::from_secs(2)).await;
    receipts.measuring.store(true, Ordering::Relaxed);
    let cpu_before = cpu_seconds(&pids);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    receipts.measuring.store(false, Ordering::Relaxed);
    let window_s = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds(&pids) - cpu_before;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }
    let delivered = receipts.delivered.load(Ordering::Relaxed);
    let (p50, p99) = percentiles(std::mem::take(&mut *receipts.latencies_us.lock().unwrap()));
    let (cores, per_cpu_s) = cpu_figures(&pids, cpu, window_s, delivered);
    json!({"workload": "c2s", "target": target, "delivered_per_s": delivered as f64 / window_s, "p50_ms": p50, "p99_ms": p99,
           "server_cores": cores, "delivered_per_cpu_s": per_cpu_s, "pairs": pairs, "window": window})
}

/// Longest wait after a room-fanout window for the answers and deliveries still under way.
const DRAIN: Duration = Duration::from_secs(5);

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
    let client = http_client(senders as usize);

    // Setup, not timed: the room with every member in it, then the readers.
    let owner = basic(&format!("{prefix}0"));
    let create = json!({"name": "bench fan-out", "subject": "load"}).to_string();
    let (status, body) = post_for_body(&client, &format!("http://{http}/api/rooms"), Some(&owner), create)
        .await
        .unwrap_or_else(|e| panic!("create room: {e}"));
    let room = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .filter(|_| status == 201)
        .unwrap_or_else(|| panic!("create room: HTTP {status} {}", String::from_utf8_lossy(&body)));
    let users_url = format!("http://{http}/api/rooms/{room}/users");
    for i in 1..members {
        let user = format!("{prefix}{i}@{DOMAIN}");
        let add = json!({"user": user}).to_string();
        match post_for_body(&client, &users_url, Some(&owner), add).await {
            Ok((204, _)) => {}
            Ok((other, body)) => panic!("add {user}: HTTP {other} {}", String::from_utf8_lossy(&body)),
            Err(e) => panic!("add {user}: {e}"),
        }
    }
    let receipts = Arc::new(Receipts::default());
    let handles = receivers(&[c2s], &prefix, online, receipts.clone()).await;

    let url = format!("http://{http}/api/rooms/{room}/messages");
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for s in 0..senders {
        let (client, url, prefix, stop, accepted, errors, receipts) = (
            client.clone(),
            url.clone(),
            prefix.clone(),
            stop.clone(),
            accepted.clone(),
            errors.clone(),
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
                    other => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("rest-send: {url}: {other:?}");
                        }
                    }
                }
            }
        }));
    }
    // Warm up (the readers' presence lands, connections open), then a window counted by
    // send time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = receipts.open_window();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
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
    json!({
        "workload": "room-fanout",
        "target": "meerkat",
        "members": members,
        "online": online,
        "senders": senders,
        "accepted_per_s": accepted.load(Ordering::Relaxed) as f64 / window,
        "deliveries_per_s": delivered as f64 / window,
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": errors.load(Ordering::Relaxed),
        "undelivered": expected.saturating_sub(delivered),
    })
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
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let (start, started) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    // Setup, not timed: every occupant in, one at a time (the first creates the room).
    for i in 0..occupants {
        let name = format!("{prefix}{i}");
        let mut session = login(c2s, None, &name, "muc")
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        xmpp::enter_room(&mut session, &room, &name)
            .await
            .unwrap_or_else(|e| panic!("{name} entering {room}: {e}"));
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
        let receipts_s = receipts.clone();
        tasks.push(tokio::spawn(async move {
            if started.wait_for(|go| *go).await.is_err() {
                return;
            }
            while !stop.load(Ordering::Relaxed) {
                let Ok(permit) = credit.acquire().await else { return };
                permit.forget();
                let t = now_ns();
                let stanza = format!("<message to='{room}' type='groupchat'><body>t={t};s={i}</body></message>");
                if writer.write_all(stanza.as_bytes()).await.is_err() {
                    return;
                }
                if receipts_s.counts(t) {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let _ = start.send(true);
    // Warm up, then a window counted by send time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let begin = receipts.open_window();
    let cpu_before = cpu_seconds(&pids);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let cpu = cpu_seconds(&pids) - cpu_before;
    let end = receipts.close_window();
    stop.store(true, Ordering::Relaxed);
    let window_s = (end - begin) as f64 / 1e9;
    let expected = sent.load(Ordering::Relaxed) * occupants;
    let (delivered, p50, p99) = receipts.drain(expected, tokio::time::Instant::now() + DRAIN).await;
    for t in tasks {
        t.abort();
    }
    let (cores, per_cpu_s) = cpu_figures(&pids, cpu, window_s, delivered);
    json!({
        "workload": "muc-fanout",
        "target": target,
        "occupants": occupants,
        "senders": senders,
        "window": window,
        "sent_per_s": sent.load(Ordering::Relaxed) as f64 / window_s,
        "deliveries_per_s": delivered as f64 / window_s,
        "p50_ms": p50,
        "p99_ms": p99,
        "server_cores": cores,
        "delivered_per_cpu_s": per_cpu_s,
        "undelivered": expected.saturating_sub(delivered),
    })
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

/// Cores the server used over the window, and deliveries per CPU-second: `null` without `--pid`.
fn cpu_figures(pids: &[u32], cpu_s: f64, window_s: f64, delivered: u64) -> (Value, Value) {
    if pids.is_empty() || cpu_s <= 0.0 {
        return (Value::Null, Value::Null);
    }
    (json!(cpu_s / window_s), json!(delivered as f64 / cpu_s))
}

/// Memory per idle session: RSS growth of `pid` after `sessions` logins (authenticated,
/// bound, available), divided by their number.
async fn idle(a: &Args) -> Value {
    let c2s = a.addr("c2s");
    let prefix = a.get("prefix");
    let sessions = a.num("sessions", 10_000);
    let pid = a.num("pid", 0) as u32;
    let target = a.0.get("target").cloned().unwrap_or_default();
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
    tokio::time::sleep(Duration::from_secs(10)).await;
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
    json!({"workload": "idle", "target": target, "sessions": sessions, "failed": failed,
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
    let mut samples = Vec::with_capacity(requests as usize);
    for i in 0..requests + 50 {
        let req = hyper::Request::get(&url)
            .header("authorization", &auth)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let t = Instant::now();
        let resp = client.request(req).await.expect("request");
        assert_eq!(resp.status(), 200);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let us = t.elapsed().as_micros() as u32;
        if i >= 50 {
            samples.push(us);
        }
        if i == 0 {
            let items: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(items.as_array().map(Vec::len), Some(50));
        }
    }
    let (p50, p99) = percentiles(samples);
    json!({"workload": "archive-read", "target": "meerkat", "p50_ms": p50, "p99_ms": p99, "requests": requests})
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
                .map_err(|e| e.to_string())?;
            let resp = client.request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let _ = resp.into_body().collect().await;
            if status == 200 {
                Ok(())
            } else {
                Err(format!("keyed-send: {url}: {status}"))
            }
        }
    };
    let mut filled = 0;
    while filled < held {
        let batch: Vec<_> = (filled..(filled + 8).min(held))
            .map(|i| tokio::spawn(send(client.clone(), format!("fill-{me}-{i}"))))
            .collect();
        filled += batch.len() as u64;
        for t in batch {
            t.await.expect("a fill send").expect("a fill send answered 200");
        }
    }
    let mut samples = Vec::with_capacity(sends as usize);
    let mut errors = 0u64;
    for i in 0..sends {
        let t = Instant::now();
        match send(client.clone(), format!("timed-{me}-{i}")).await {
            Ok(()) => samples.push(t.elapsed().as_micros() as u32),
            Err(e) => {
                if errors == 0 {
                    eprintln!("{e}");
                }
                errors += 1;
            }
        }
    }
    let (p50, p99) = percentiles(samples);
    json!({
        "workload": format!("keyed-send-{held}-held"),
        "target": "meerkat",
        "p50_ms": p50,
        "p99_ms": p99,
        "held": held,
        "sends": sends,
        "errors": errors,
    })
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

/// Figures where more is better; the other compared figures are latencies and memory.
const HIGHER_IS_BETTER: [&str; 5] = [
    "delivered_per_s",
    "accepted_per_s",
    "sent_per_s",
    "deliveries_per_s",
    "delivered_per_cpu_s",
];

/// Figures the report reads from the result lines.
const FIGURES: [&str; 12] = [
    "delivered_per_s",
    "accepted_per_s",
    "sent_per_s",
    "deliveries_per_s",
    "delivered_per_cpu_s",
    "server_cores",
    "p50_ms",
    "p99_ms",
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
        _ => &[],
    }
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

/// Medians (min–max) per workload, target and figure, meerkat's share of its own ceiling,
/// and the headline ratios against the peers.
fn report(path: &str) {
    let text = std::fs::read_to_string(path).expect("results file");
    let mut runs: HashMap<(String, String, String), Vec<f64>> = HashMap::new();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).expect("JSON line");
        let workload = v["workload"].as_str().unwrap_or_default().to_owned();
        let target = v["target"].as_str().unwrap_or_default().to_owned();
        for figure in FIGURES {
            if let Some(x) = v[figure].as_f64() {
                runs.entry((workload.clone(), target.clone(), figure.to_owned()))
                    .or_default()
                    .push(x);
            }
        }
    }
    let mut keys: Vec<_> = runs.keys().cloned().collect();
    keys.sort();
    println!("| workload | figure | target | median | min | max | runs |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut medians = Medians::new();
    for k in &keys {
        let (med, min, max) = median_min_max(runs[k].clone());
        medians.insert(k.clone(), med);
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {} |",
            k.0,
            k.2,
            k.1,
            med,
            min,
            max,
            runs[k].len()
        );
    }
    let ours: Vec<_> = keys.iter().filter(|k| k.1 == "meerkat").collect();
    println!();
    println!("| workload | figure | archive on / archive off (meerkat's ceiling) |");
    println!("| --- | --- | --- |");
    for k in ours.iter().filter(|k| !peer_figures(&k.2).is_empty()) {
        if let Some(off) = medians.get(&(k.0.clone(), CEILING.into(), k.2.clone())) {
            println!("| {} | {} | {:.2} |", k.0, k.2, medians[*k] / off);
        }
    }
    let peers_ran = keys
        .iter()
        .any(|k| PEERS_ARCHIVE_ON.contains(&k.1.as_str()) || k.1 == PEER_ARCHIVE_OFF);
    if !peers_ran {
        return;
    }
    println!();
    println!("Headline: meerkat (archive on) against the best peer configuration with its archive on");
    println!(
        "({}), chosen per workload and figure. The paced REST send runs each server at half its own \
         maximum, so its latencies are taken at different rates.",
        PEERS_ARCHIVE_ON.join(", ")
    );
    println!();
    println!("| workload | figure | meerkat | best peer, archive on | peer figure | peer median | meerkat / peer |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for k in &ours {
        // A paced run's rate is half each server's own maximum: only its latencies compare.
        if k.0 == "rest-send-paced" && HIGHER_IS_BETTER.contains(&k.2.as_str()) {
            continue;
        }
        for peer_figure in peer_figures(&k.2) {
            if let Some((label, m)) = best_of(&medians, &k.0, peer_figure, &PEERS_ARCHIVE_ON) {
                let ours = medians[*k];
                println!(
                    "| {} | {} | {:.2} | {} | {} | {:.2} | {} |",
                    k.0,
                    k.2,
                    ours,
                    label,
                    peer_figure,
                    m,
                    ratio(ours, m)
                );
            }
        }
    }
    println!();
    println!("Archive off: meerkat ({CEILING}) against {PEER_ARCHIVE_OFF}.");
    println!();
    println!("| workload | figure | {CEILING} | {PEER_ARCHIVE_OFF} | ratio |");
    println!("| --- | --- | --- | --- | --- |");
    for k in keys.iter().filter(|k| k.1 == CEILING && !peer_figures(&k.2).is_empty()) {
        if let Some(p) = medians.get(&(k.0.clone(), PEER_ARCHIVE_OFF.into(), k.2.clone())) {
            println!(
                "| {} | {} | {:.2} | {:.2} | {} |",
                k.0,
                k.2,
                medians[k],
                p,
                ratio(medians[k], *p)
            );
        }
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "Per core: Prosody runs its server on one thread, so it can use one core at most; meerkat and \
         ejabberd can use all {cores} cores of this machine (shared with the load generator). `server_cores` \
         is the server's CPU use over the window (with PostgreSQL's processes for ejabberd-sql-pgsql), \
         `delivered_per_cpu_s` its deliveries per CPU-second."
    );
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
        "register" => register(&a).await,
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
            report(&args.get(2).cloned().unwrap_or_default());
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
            // median FILE WORKLOAD TARGET FIGURE: one number, for the script.
            let text = std::fs::read_to_string(&args[2]).expect("results file");
            let values: Vec<f64> = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|v| v["workload"] == args[3].as_str() && v["target"] == args[4].as_str())
                .filter_map(|v| v[args[5].as_str()].as_f64())
                .collect();
            println!("{:.0}", median_min_max(values).0);
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
    println!("{out}");
}

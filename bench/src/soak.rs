//! `meerkat-bench soak`: mixed load against one running server for a long time, then three
//! verdicts — every message the server acknowledged is in its archive, the server's
//! memory, file descriptors and threads stayed flat, and its slow-reader defences did
//! their work. `bench/soak.sh` (`make soak`, `make soak-smoke`) starts the server and
//! registers the accounts; this runs the load and writes the report.
//!
//! The load, each client in its own task (numbers per `--mix`):
//! - REST senders: `POST /api/messages` with Basic auth at a steady pace; some of them
//!   open a new connection every few requests. A `200 {"id"}` is an acknowledgement.
//! - XMPP senders: messages in small batches, each batch followed by a ping to the server
//!   on the same stream; the ping's answer acknowledges every message before it that did
//!   not come back as an error (the server handles a stream's stanzas in order and
//!   archives a message before reading the next stanza). After a while each sender drops
//!   its connection mid-stanza without closing the stream (half of the time with an RST)
//!   and logs in again. XMPP reconnectors do the same in cycles of a second or two,
//!   mostly closing their stream properly.
//! - Killed clients: `meerkat-bench soak-child` processes that log in over XMPP, open an
//!   event stream they never read, send acknowledged messages and print each
//!   acknowledgement; each is killed with SIGKILL after a few seconds, and the
//!   acknowledgements it printed before dying count like any other.
//! - Recipients: XMPP receivers reading everything (whitespace keepalives every minute),
//!   fast SSE readers, SSE readers that reconnect every few seconds, accounts nobody
//!   reads, and slow SSE readers on sockets with a 4 KiB receive buffer and 1 KiB
//!   segments ([`sse::SLOW`]), one kind per defence of the server: "stalled" readers are
//!   sent about 160 KB and then take nothing (the server's `send_timeout` must end their
//!   stream); "trickle" readers take a few KB a second, enough for the server's writes to
//!   keep moving, while several shares of the small messages come in (the queue's bound in
//!   stanzas); "bulk" readers read as slowly while a REST sender of its own posts them
//!   messages of 8 to 24 KB (the bound in bytes).
//! - Connections that hold a slot ([`stalled`]): request bodies that never arrive (the
//!   server's body deadline must answer `408` and close) and HTTP/2 connections served
//!   once, then kept with nothing but pings (`idle_timeout` must close them).
//!
//! Every `--sample-ms` the server process is read from `/proc/<pid>` (VmRSS, open file
//! descriptors, threads). At the end: every acknowledged id is looked up in its sender's
//! archive with `GET /api/messages/{jid}` (paging back with `before`), the readings are
//! judged with [`logic::judge`], and the descriptors must come back to their level
//! before the load. The report goes to `--out` (markdown) and `--csv` (every reading).

mod logic;
mod sse;
mod stalled;

use crate::{basic, http_client, post_for_body, xmpp, Args, HttpClient, DOMAIN, PASSWORD};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use logic::{judge, median, next_page, scan_log, Judgement, LogFindings, NextPage, Occurrences, Reading, Rng};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

/// Longest wait for one REST answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the answer to an XMPP ping after a batch.
const ACK_TIMEOUT: Duration = Duration::from_secs(20);
/// After the load: how long the clients get to finish what they are doing.
const WIND_DOWN: Duration = Duration::from_secs(30);
/// After the load: how long the server's descriptors get to come back.
const SETTLE: Duration = Duration::from_secs(60);
/// Descriptors the server may hold above its level before the load, once it settled.
const FD_SLACK: u64 = 4;
/// How often a trickle reader reads.
const TRICKLE_EVERY: Duration = Duration::from_millis(250);
/// Whitespace keepalives of the XMPP receivers (the server's idle timeout counts client
/// silence).
const KEEPALIVE: Duration = Duration::from_secs(60);
/// A client process ends by itself after this, should nobody kill it.
const CHILD_MAX_LIFE: Duration = Duration::from_secs(60);
/// Messages per acknowledged XMPP batch.
const BATCH: usize = 4;
/// The server's `max_session_queue_bytes` (its default; bench/soak.sh keeps it).
const QUEUE_BYTES: u64 = 1 << 20;
/// Archive page size for the verification (the API's maximum).
const PAGE: usize = 500;

/// What stops a soak run before its verdicts.
#[derive(Debug, thiserror::Error)]
pub enum SoakError {
    #[error("bad arguments: {0}")]
    Usage(String),
    #[error("the client mix needs {needed} accounts but only {have} were registered (--users)")]
    TooFewAccounts { needed: usize, have: u64 },
    #[error("cannot read the server process {pid} ({what}): {source}")]
    Proc {
        pid: u32,
        what: &'static str,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("cannot find this program to start client processes: {0}")]
    Exe(std::io::Error),
}

/// How many clients of each kind, and their rhythm.
#[derive(Debug, Clone, Copy)]
struct Mix {
    name: &'static str,
    rest_senders: usize,
    /// Of the REST senders, how many open a new connection every few requests.
    rest_reconnecting: usize,
    xmpp_senders: usize,
    xmpp_reconnectors: usize,
    /// Client processes alive at once (each is killed, then replaced).
    killed: usize,
    xmpp_receivers: usize,
    sse_fast: usize,
    sse_stall: usize,
    sse_trickle: usize,
    sse_bulk: usize,
    sse_reconnect: usize,
    offline: usize,
    /// Messages per second of 8 to 24 KB for the bulk readers (one more REST sender).
    bulk_per_s: f64,
    /// Bytes a trickle or bulk reader takes every [`TRICKLE_EVERY`].
    trickle_bytes: usize,
    /// Shares of the traffic each trickle reader gets (others get one).
    trickle_shares: usize,
    /// How long a trickle or bulk reader reads slowly before it reads what is left.
    slow_for_s: u64,
    /// A steady XMPP sender's session lasts this long (ms) before it is dropped.
    sender_life_ms: (u64, u64),
    /// A client process lives this long (ms) before it is killed.
    child_life_ms: (u64, u64),
    /// Clients sending request bodies that never arrive, one at a time.
    stalled_bodies: usize,
    /// Clients keeping an HTTP/2 connection idle after one request.
    idle_http2: usize,
}

const FULL: Mix = Mix {
    name: "full",
    rest_senders: 8,
    rest_reconnecting: 3,
    xmpp_senders: 6,
    xmpp_reconnectors: 4,
    killed: 3,
    xmpp_receivers: 4,
    sse_fast: 4,
    sse_stall: 2,
    sse_trickle: 2,
    sse_bulk: 2,
    sse_reconnect: 2,
    offline: 4,
    bulk_per_s: 5.0,
    trickle_bytes: 1024,
    trickle_shares: 3,
    slow_for_s: 45,
    sender_life_ms: (15_000, 60_000),
    child_life_ms: (1_500, 6_000),
    stalled_bodies: 4,
    idle_http2: 2,
};

const SMOKE: Mix = Mix {
    name: "smoke",
    rest_senders: 2,
    rest_reconnecting: 1,
    xmpp_senders: 2,
    xmpp_reconnectors: 1,
    killed: 1,
    xmpp_receivers: 1,
    sse_fast: 1,
    sse_stall: 1,
    sse_trickle: 1,
    sse_bulk: 1,
    sse_reconnect: 1,
    offline: 1,
    bulk_per_s: 8.0,
    // Short runs leave little time to fall behind: a small read and a large share keep
    // the trickle reader's backlog growing by about 100 events a second.
    trickle_bytes: 1024,
    trickle_shares: 10,
    slow_for_s: 20,
    sender_life_ms: (3_000, 8_000),
    child_life_ms: (1_000, 3_000),
    stalled_bodies: 1,
    idle_http2: 1,
};

/// The accounts of each role, `PREFIXn` in order.
#[derive(Debug, Default)]
struct Layout {
    rest: Vec<String>,
    xmpp: Vec<String>,
    reconnectors: Vec<String>,
    killed: Vec<String>,
    receivers: Vec<String>,
    sse_fast: Vec<String>,
    stall: Vec<String>,
    trickle: Vec<String>,
    bulk: Vec<String>,
    /// The REST sender of the large messages to the bulk readers.
    bulk_sender: Vec<String>,
    sse_reconnect: Vec<String>,
    offline: Vec<String>,
    stalled_bodies: Vec<String>,
    idle_http2: Vec<String>,
    /// Recipient bare JIDs, trickle readers several times (they must fall behind).
    targets: Vec<String>,
    /// The bulk readers' bare JIDs.
    bulk_targets: Vec<String>,
    accounts: usize,
}

fn layout(prefix: &str, mix: &Mix) -> Layout {
    let mut next = 0;
    let mut take = |n: usize| -> Vec<String> {
        let v = (next..next + n).map(|i| format!("{prefix}{i}")).collect();
        next += n;
        v
    };
    let mut l = Layout {
        rest: take(mix.rest_senders),
        xmpp: take(mix.xmpp_senders),
        reconnectors: take(mix.xmpp_reconnectors),
        killed: take(mix.killed),
        receivers: take(mix.xmpp_receivers),
        sse_fast: take(mix.sse_fast),
        stall: take(mix.sse_stall),
        trickle: take(mix.sse_trickle),
        bulk: take(mix.sse_bulk),
        bulk_sender: take(usize::from(mix.sse_bulk > 0)),
        sse_reconnect: take(mix.sse_reconnect),
        offline: take(mix.offline),
        stalled_bodies: take(mix.stalled_bodies),
        idle_http2: take(mix.idle_http2),
        ..Layout::default()
    };
    l.accounts = next;
    let jid = |u: &String| format!("{u}@{DOMAIN}");
    for group in [
        &l.receivers,
        &l.sse_fast,
        &l.stall,
        &l.bulk,
        &l.sse_reconnect,
        &l.offline,
    ] {
        l.targets.extend(group.iter().map(jid));
    }
    l.bulk_targets = l.bulk.iter().map(jid).collect();
    for _ in 0..mix.trickle_shares {
        l.targets.extend(l.trickle.iter().map(jid));
    }
    l
}

struct Params {
    http: SocketAddr,
    c2s: SocketAddr,
    pid: u32,
    prefix: String,
    users: u64,
    seconds: u64,
    /// Messages per second in total, half over REST, half over XMPP (plus the killed
    /// clients' own).
    rate: u64,
    sample: Duration,
    send_timeout: Duration,
    /// The server's `request_timeout` and `idle_timeout` on the client API's listener.
    request_timeout: Duration,
    idle_timeout: Duration,
    mix: Mix,
    server_log: Option<PathBuf>,
    out: PathBuf,
    csv: PathBuf,
    command: String,
    /// When the run started, as the caller writes it (the report's heading).
    when: String,
    seed: u64,
}

fn opt<'a>(a: &'a Args, k: &str) -> Option<&'a str> {
    a.0.get(k).map(String::as_str)
}

fn req<'a>(a: &'a Args, k: &str) -> Result<&'a str, SoakError> {
    opt(a, k).ok_or_else(|| SoakError::Usage(format!("--{k} is required")))
}

fn num(a: &Args, k: &str, default: u64) -> Result<u64, SoakError> {
    match opt(a, k) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| SoakError::Usage(format!("--{k} {v}: not a number"))),
    }
}

fn addr(a: &Args, k: &str) -> Result<SocketAddr, SoakError> {
    let v = req(a, k)?;
    v.parse()
        .map_err(|_| SoakError::Usage(format!("--{k} {v}: not an address")))
}

impl Params {
    fn parse(a: &Args) -> Result<Params, SoakError> {
        let mix = match opt(a, "mix").unwrap_or("full") {
            "full" => FULL,
            "smoke" => SMOKE,
            other => return Err(SoakError::Usage(format!("--mix {other}: full or smoke"))),
        };
        let p = Params {
            http: addr(a, "http")?,
            c2s: addr(a, "c2s")?,
            pid: num(a, "pid", 0)? as u32,
            prefix: opt(a, "prefix").unwrap_or("soak").to_owned(),
            users: num(a, "users", 0)?,
            seconds: num(a, "seconds", 600)?,
            rate: num(a, "rate", 400)?,
            // About 16 readings at least, at most one every 2 s.
            sample: Duration::from_millis(num(
                a,
                "sample-ms",
                (num(a, "seconds", 600)? * 1000 / 16).clamp(250, 2000),
            )?),
            send_timeout: Duration::from_secs(num(a, "send-timeout", 30)?),
            request_timeout: Duration::from_secs(num(a, "request-timeout", 30)?),
            idle_timeout: Duration::from_secs(num(a, "idle-timeout", 60)?),
            mix,
            server_log: opt(a, "server-log").map(PathBuf::from),
            out: PathBuf::from(opt(a, "out").unwrap_or("target/soak.md")),
            csv: PathBuf::from(opt(a, "csv").unwrap_or("target/soak.csv")),
            command: opt(a, "command").unwrap_or("meerkat-bench soak").to_owned(),
            when: opt(a, "when").unwrap_or("-").to_owned(),
            seed: num(a, "seed", 1)?,
        };
        if p.pid == 0 {
            return Err(SoakError::Usage("--pid (the server's process id) is required".into()));
        }
        if p.rate < 2 || p.seconds == 0 || p.sample.is_zero() {
            return Err(SoakError::Usage(
                "--rate must be at least 2, --seconds and --sample-ms above 0".into(),
            ));
        }
        Ok(p)
    }
}

macro_rules! counters {
    ($($name:ident: $label:expr,)*) => {
        /// What the clients saw, counted as it happens.
        #[derive(Default)]
        struct Counters { $($name: AtomicU64,)* }
        impl Counters {
            fn rows(&self) -> Vec<(&'static str, u64)> {
                vec![$(($label, self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

counters! {
    rest_acked: "REST sends answered `200` with an id",
    rest_refused: "REST sends answered with another status",
    rest_failed: "REST sends with no answer (connection error, or none in 10 s)",
    rest_new_connections: "REST connections replaced by reconnecting senders",
    xmpp_logins: "XMPP logins (senders, reconnectors, receivers)",
    xmpp_login_failures: "XMPP logins that failed",
    xmpp_acked: "XMPP messages acknowledged (ping answered, no error for them)",
    xmpp_bounced: "XMPP messages answered with an error",
    xmpp_unanswered: "XMPP batches whose ping got no answer (stream lost or 20 s)",
    xmpp_clean_closes: "XMPP streams closed properly",
    xmpp_resets: "XMPP connections reset (RST) mid-stanza, stream left open",
    xmpp_dropped: "XMPP connections closed (FIN) mid-stanza, stream left open",
    children_started: "client processes started",
    children_killed: "client processes killed with SIGKILL",
    children_early: "client processes that ended before being killed",
    child_acked: "messages acknowledged to client processes (printed before they died)",
    receiver_messages: "messages read by XMPP receivers",
    receiver_lost: "XMPP receiver streams ended by the server",
    sse_opened: "event streams opened",
    sse_busy: "event streams refused with `429` (account's session limit)",
    sse_refused: "event streams refused with another status",
    sse_failed: "event streams that could not be opened",
    sse_fast_events: "message events read by fast SSE readers",
    sse_fast_ended: "fast SSE streams ended by the server",
    sse_reconnects: "SSE reconnector cycles (open, read 0.5-3 s, hang up)",
    stall_cut: "stalled SSE readers cut off by the server",
    stall_survived: "stalled SSE readers still served at the end of their stall",
    trickle_cut: "trickle SSE readers cut off by the server",
    trickle_survived: "trickle SSE readers not cut off within their time",
    bulk_cut: "bulk SSE readers cut off by the server",
    bulk_survived: "bulk SSE readers not cut off within their time",
    body_cut: "stalled request bodies answered `408` and closed at `request_timeout`",
    body_not_cut: "stalled request bodies answered otherwise (status, no close, or time)",
    h2_served: "idle HTTP/2 connections served their one request",
    h2_closed: "idle HTTP/2 connections closed by the server after `idle_timeout`",
    h2_survived: "idle HTTP/2 connections still open past `idle_timeout` + `request_timeout` + 5 s",
    h2_failed: "idle HTTP/2 connections not made, not served, or closed too early",
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Which kind of client a message was acknowledged to.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Rest = 0,
    Xmpp = 1,
    Killed = 2,
}

/// Every acknowledged message id, by sender (local part) and recipient (bare JID).
#[derive(Default)]
struct Ledger {
    pairs: HashMap<(String, String), Vec<String>>,
    by_kind: [u64; 3],
}

/// Shared by every client task.
struct Env {
    http: SocketAddr,
    c2s: SocketAddr,
    targets: Vec<String>,
    /// The account that fills stalled readers' sockets (the bulk sender).
    primer: Option<String>,
    counters: Counters,
    ledger: Mutex<Ledger>,
    statuses: Mutex<BTreeMap<u16, u64>>,
    notes: Mutex<Vec<String>>,
}

impl Env {
    fn pick(&self, rng: &mut Rng) -> String {
        self.targets[rng.below(self.targets.len() as u64) as usize].clone()
    }

    fn ack(&self, kind: Kind, from: &str, with: &str, id: String) {
        let mut l = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        l.pairs.entry((from.to_owned(), with.to_owned())).or_default().push(id);
        l.by_kind[kind as usize] += 1;
    }

    fn acked(&self) -> u64 {
        self.ledger
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_kind
            .iter()
            .sum()
    }

    /// Keeps the first client-side problems for the report.
    fn note(&self, what: String) {
        let mut n = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if n.len() < 20 {
            n.push(what);
        }
    }
}

/// The end of the load, seen by every task.
#[derive(Clone)]
struct Stop(watch::Receiver<bool>);

impl Stop {
    fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    async fn wait(&mut self) {
        // An error means the sender is gone, which also means stop.
        let _ = self.0.wait_for(|s| *s).await;
    }

    /// Sleeps for `d` unless the load ends first; `true` when it has ended.
    async fn sleep(&mut self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => self.is_set(),
            _ = self.wait() => true,
        }
    }
}

/// The length of most message bodies.
const BODY: (u64, u64) = (16, 400);
/// The length of the bodies for the bulk readers.
const BULK_BODY: (u64, u64) = (8_000, 24_000);

/// A message body of `len` characters (inclusive bounds).
fn body(rng: &mut Rng, len: (u64, u64)) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 ";
    let len = rng.between(len.0, len.1) as usize;
    (0..len)
        .map(|_| CHARS[rng.below(CHARS.len() as u64) as usize] as char)
        .collect()
}

fn message(to: &str, id: &str, body: &str) -> String {
    format!("<message to='{to}' type='chat' id='{id}'><body>{body}</body></message>")
}

// ---------------------------------------------------------------- clients -------------

/// How a REST sender behaves.
#[derive(Clone)]
struct RestPlan {
    per_s: f64,
    /// A new connection every this many requests.
    reconnect_every: Option<u64>,
    /// Recipients other than the shared ones.
    targets: Option<Arc<Vec<String>>>,
    body_len: (u64, u64),
}

async fn rest_sender(env: Arc<Env>, me: String, plan: RestPlan, mut stop: Stop, mut rng: Rng) {
    let auth = basic(&me);
    let url = format!("http://{}/api/messages", env.http);
    let mut client: HttpClient = http_client(1);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / plan.per_s));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut sent = 0u64;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait() => return,
        }
        if let Some(every) = plan.reconnect_every {
            if sent > 0 && sent.is_multiple_of(every) {
                client = http_client(1);
                bump(&env.counters.rest_new_connections);
            }
        }
        sent += 1;
        let to = match &plan.targets {
            Some(t) => t[rng.below(t.len() as u64) as usize].clone(),
            None => env.pick(&mut rng),
        };
        send_rest(&env, &client, &url, &auth, &me, &to, body(&mut rng, plan.body_len)).await;
    }
}

/// `POST /api/messages` as `me`; a `200` with an id goes in the ledger.
async fn send_rest(env: &Env, client: &HttpClient, url: &str, auth: &str, me: &str, to: &str, body: String) {
    let payload = serde_json::json!({"to": to, "body": body}).to_string();
    match tokio::time::timeout(REQUEST_TIMEOUT, post_for_body(client, url, Some(auth), payload)).await {
        Ok(Ok((200, answer))) => {
            let id = serde_json::from_slice::<Value>(&answer)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned));
            match id {
                Some(id) => {
                    env.ack(Kind::Rest, me, to, id);
                    bump(&env.counters.rest_acked);
                }
                None => {
                    bump(&env.counters.rest_refused);
                    env.note(format!("{me}: 200 without an id: {}", String::from_utf8_lossy(&answer)));
                }
            }
        }
        Ok(Ok((status, answer))) => {
            bump(&env.counters.rest_refused);
            *env.statuses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(status)
                .or_default() += 1;
            env.note(format!(
                "{me}: POST /api/messages {status} {}",
                String::from_utf8_lossy(&answer)
            ));
        }
        Ok(Err(e)) => {
            bump(&env.counters.rest_failed);
            env.note(format!("{me}: POST /api/messages: {e}"));
        }
        Err(_) => {
            bump(&env.counters.rest_failed);
            env.note(format!("{me}: POST /api/messages: no answer in {REQUEST_TIMEOUT:?}"));
        }
    }
}

/// Large messages that fill a stalled reader's socket at once (about 160 KB, more than
/// the kernel buffers of its socket), so that the server's writes wait from then on.
const PRIME: usize = 8;

async fn prime(env: &Env, from: &str, to: &str, rng: &mut Rng) {
    let client = http_client(1);
    let url = format!("http://{}/api/messages", env.http);
    let auth = basic(from);
    for _ in 0..PRIME {
        send_rest(env, &client, &url, &auth, from, to, body(rng, BULK_BODY)).await;
    }
}

/// How an XMPP sender behaves.
#[derive(Clone, Copy)]
struct XmppPlan {
    per_s: f64,
    /// A session lasts this long (ms)...
    life_ms: (u64, u64),
    /// ...and then ends properly with this probability (%), otherwise mid-stanza.
    clean_percent: u64,
    resource: &'static str,
}

enum SessionEnd {
    Stop,
    Life,
    Lost,
}

async fn xmpp_sender(env: Arc<Env>, me: String, plan: XmppPlan, mut stop: Stop, mut rng: Rng) {
    let period = Duration::from_secs_f64(BATCH as f64 / plan.per_s);
    let mut session_no = 0u64;
    while !stop.is_set() {
        session_no += 1;
        let mut session = match xmpp::login(env.c2s, None, DOMAIN, &me, PASSWORD, plan.resource).await {
            Ok(s) => {
                bump(&env.counters.xmpp_logins);
                s
            }
            Err(e) => {
                bump(&env.counters.xmpp_login_failures);
                env.note(format!("{me}: XMPP login: {e}"));
                if stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        let until = Instant::now() + Duration::from_millis(rng.between(plan.life_ms.0, plan.life_ms.1));
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut seq = 0u64;
        let end = loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.wait() => break SessionEnd::Stop,
            }
            if Instant::now() >= until {
                break SessionEnd::Life;
            }
            let mut stanzas = String::new();
            let mut batch = Vec::with_capacity(BATCH);
            for _ in 0..BATCH {
                seq += 1;
                let id = format!("{me}-{session_no}-{seq}");
                let to = env.pick(&mut rng);
                stanzas.push_str(&message(&to, &id, &body(&mut rng, BODY)));
                batch.push((to, id));
            }
            let ids: Vec<String> = batch.iter().map(|(_, id)| id.clone()).collect();
            let ping = format!("ping-{session_no}-{seq}");
            match xmpp::send_and_ping(&mut session, DOMAIN, &stanzas, &ids, &ping, ACK_TIMEOUT).await {
                Ok(bounced) => {
                    for (to, id) in batch {
                        if bounced.contains(&id) {
                            bump(&env.counters.xmpp_bounced);
                        } else {
                            env.ack(Kind::Xmpp, &me, &to, id);
                            bump(&env.counters.xmpp_acked);
                        }
                    }
                }
                Err(e) => {
                    bump(&env.counters.xmpp_unanswered);
                    env.note(format!("{me}: XMPP batch: {e}"));
                    break SessionEnd::Lost;
                }
            }
        };
        match end {
            SessionEnd::Stop => {
                let _ = xmpp::close(session).await;
                return;
            }
            SessionEnd::Life if rng.percent(plan.clean_percent) => match xmpp::close(session).await {
                Ok(()) => bump(&env.counters.xmpp_clean_closes),
                Err(e) => env.note(format!("{me}: closing the stream: {e}")),
            },
            SessionEnd::Life => {
                // Unacknowledged messages, then half a stanza, then the connection goes
                // without `</stream:stream>`.
                let to = env.pick(&mut rng);
                let cut = format!(
                    "{}<message to='{to}' type='chat' id='{me}-{session_no}-cut'><bo",
                    message(&to, &format!("{me}-{session_no}-last"), &body(&mut rng, BODY))
                );
                let _ = tokio::time::timeout(Duration::from_secs(5), session.writer.write_all(cut.as_bytes())).await;
                let reset = rng.percent(50);
                xmpp::drop_abruptly(session, reset);
                bump(if reset {
                    &env.counters.xmpp_resets
                } else {
                    &env.counters.xmpp_dropped
                });
            }
            SessionEnd::Lost => {}
        }
    }
}

async fn xmpp_receiver(env: Arc<Env>, me: String, mut stop: Stop) {
    while !stop.is_set() {
        let session = match xmpp::login(env.c2s, None, DOMAIN, &me, PASSWORD, "reader").await {
            Ok(s) => {
                bump(&env.counters.xmpp_logins);
                s
            }
            Err(e) => {
                bump(&env.counters.xmpp_login_failures);
                env.note(format!("{me}: XMPP login: {e}"));
                if stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        let xmpp::Session { mut reader, mut writer } = session;
        let mut messages = Occurrences::new("<message");
        let mut buf = vec![0u8; 64 * 1024];
        let mut keepalive = tokio::time::interval_at(Instant::now() + KEEPALIVE, KEEPALIVE);
        let lost = loop {
            tokio::select! {
                r = reader.read(&mut buf) => match r {
                    Ok(0) | Err(_) => break true,
                    Ok(n) => {
                        let got = messages.feed(&buf[..n]);
                        env.counters.receiver_messages.fetch_add(got, Ordering::Relaxed);
                    }
                },
                _ = keepalive.tick() => {
                    let _ = tokio::time::timeout(Duration::from_secs(5), writer.write_all(b" ")).await;
                }
                _ = stop.wait() => break false,
            }
        };
        if !lost {
            let _ = xmpp::close(xmpp::Session { reader, writer }).await;
            return;
        }
        bump(&env.counters.receiver_lost);
        env.note(format!("{me}: the server ended a receiver's stream"));
        if stop.sleep(Duration::from_secs(1)).await {
            return;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SseKind {
    Fast,
    Stall,
    Trickle,
    Bulk,
    Reconnect,
}

/// Reads whatever comes for up to `limit`: `true` if the stream ended (the server cut it
/// off), `false` if it was still being served at the end.
async fn ended_within(s: &mut sse::EventStream, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read_some(64 * 1024)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

async fn sse_reader(
    env: Arc<Env>,
    me: String,
    kind: SseKind,
    send_timeout: Duration,
    mix: Mix,
    mut stop: Stop,
    mut rng: Rng,
) {
    let auth = basic(&me);
    let jid = format!("{me}@{DOMAIN}");
    let c = &env.counters;
    let slow = matches!(kind, SseKind::Stall | SseKind::Trickle | SseKind::Bulk);
    while !stop.is_set() {
        let mut s = match sse::open(env.http, &auth, slow.then_some(sse::SLOW)).await {
            Ok(sse::Opened::Stream(s)) => {
                bump(&c.sse_opened);
                s
            }
            Ok(sse::Opened::Refused(status)) => {
                bump(if status == 429 { &c.sse_busy } else { &c.sse_refused });
                if status != 429 {
                    env.note(format!("{me}: GET /api/sse {status}"));
                }
                if stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
            Err(e) => {
                bump(&c.sse_failed);
                env.note(format!("{me}: GET /api/sse: {e}"));
                if stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        match kind {
            SseKind::Fast => {
                let ended = loop {
                    tokio::select! {
                        r = s.read_some(64 * 1024) => if matches!(r, Ok(0) | Err(_)) { break true },
                        _ = stop.wait() => break false,
                    }
                };
                c.sse_fast_events.fetch_add(s.events(), Ordering::Relaxed);
                if !ended {
                    return;
                }
                bump(&c.sse_fast_ended);
                env.note(format!("{me}: the server ended a fast reader's event stream"));
            }
            SseKind::Stall => {
                // Fill the socket, take nothing until `send_timeout` has passed, then see
                // whether the server gave up.
                if let Some(from) = &env.primer {
                    prime(&env, from, &jid, &mut rng).await;
                }
                if stop.sleep(send_timeout + Duration::from_secs(10)).await {
                    return;
                }
                if ended_within(&mut s, Duration::from_secs(10)).await {
                    bump(&c.stall_cut);
                } else {
                    bump(&c.stall_survived);
                }
            }
            SseKind::Trickle | SseKind::Bulk => {
                // Read slowly for a while; the server's end of the stream is behind what
                // its kernel still holds, so read it all at once afterwards.
                let until = Instant::now() + Duration::from_secs(mix.slow_for_s);
                loop {
                    if stop.sleep(TRICKLE_EVERY).await {
                        return;
                    }
                    if let Ok(Ok(0) | Err(_)) =
                        tokio::time::timeout(TRICKLE_EVERY, s.read_some(mix.trickle_bytes)).await
                    {
                        break;
                    }
                    if Instant::now() >= until {
                        break;
                    }
                }
                let cut = ended_within(&mut s, Duration::from_secs(10)).await;
                bump(match (kind, cut) {
                    (SseKind::Trickle, true) => &c.trickle_cut,
                    (SseKind::Trickle, false) => &c.trickle_survived,
                    (_, true) => &c.bulk_cut,
                    (_, false) => &c.bulk_survived,
                });
            }
            SseKind::Reconnect => {
                let hang_up = Instant::now() + Duration::from_millis(rng.between(500, 3000));
                loop {
                    tokio::select! {
                        r = s.read_some(64 * 1024) => if matches!(r, Ok(0) | Err(_)) { break },
                        _ = tokio::time::sleep_until(hang_up) => break,
                        _ = stop.wait() => return,
                    }
                }
                bump(&c.sse_reconnects);
                continue;
            }
        }
        drop(s);
        if stop.sleep(Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Runs client processes for `me` one after the other, killing each with SIGKILL.
async fn killer(env: Arc<Env>, exe: PathBuf, me: String, life_ms: (u64, u64), mut stop: Stop, mut rng: Rng) {
    let targets = env.targets.join(",");
    while !stop.is_set() {
        let spawned = tokio::process::Command::new(&exe)
            .arg("soak-child")
            .args(["--c2s", &env.c2s.to_string(), "--http", &env.http.to_string()])
            .args(["--user", &me, "--to", &targets, "--seed", &rng.next_u64().to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                env.note(format!("{me}: cannot start a client process: {e}"));
                if stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        bump(&env.counters.children_started);
        let Some(stdout) = child.stdout.take() else {
            let _ = child.start_kill();
            continue;
        };
        let mut lines = tokio::io::BufReader::new(stdout);
        let mut line = Vec::new();
        let kill_at = Instant::now() + Duration::from_millis(rng.between(life_ms.0, life_ms.1));
        let mut ended = false;
        loop {
            tokio::select! {
                // read_until keeps a partly read line in `line` when another branch wins.
                r = lines.read_until(b'\n', &mut line) => match r {
                    Ok(0) | Err(_) => { ended = true; break }
                    Ok(_) => child_line(&env, &me, &mut line),
                },
                _ = tokio::time::sleep_until(kill_at) => break,
                _ = stop.wait() => break,
            }
        }
        if ended {
            bump(&env.counters.children_early);
        } else {
            let _ = child.start_kill();
            bump(&env.counters.children_killed);
            // What it printed before it died counts: read to the end of the pipe.
            let rest = async {
                while let Ok(n) = lines.read_until(b'\n', &mut line).await {
                    if n == 0 {
                        break;
                    }
                    child_line(&env, &me, &mut line);
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(5), rest).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    }
}

/// One line from a client process: `ack WITH ID` or `error TEXT`. A line cut short by
/// the kill (no newline) is not an acknowledgement.
fn child_line(env: &Env, me: &str, line: &mut Vec<u8>) {
    if line.ends_with(b"\n") {
        let text = String::from_utf8_lossy(line);
        let mut words = text.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("ack"), Some(with), Some(id)) => {
                env.ack(Kind::Killed, me, with, id.to_owned());
                bump(&env.counters.child_acked);
            }
            _ => env.note(format!("{me} (process): {}", text.trim_end())),
        }
        line.clear();
    }
}

/// `meerkat-bench soak-child`: logs in as `--user` over XMPP, opens an event stream it
/// never reads, and sends acknowledged batches to `--to` (comma-separated), printing
/// `ack WITH ID` per acknowledged message, until killed (or [`CHILD_MAX_LIFE`]).
pub async fn child(a: &Args) -> i32 {
    use std::io::Write;
    let (Ok(c2s), Ok(http), Ok(me), Ok(to)) = (addr(a, "c2s"), addr(a, "http"), req(a, "user"), req(a, "to")) else {
        eprintln!("soak-child: --c2s, --http, --user and --to are required");
        return 2;
    };
    let targets: Vec<&str> = to.split(',').filter(|t| !t.is_empty()).collect();
    if targets.is_empty() {
        eprintln!("soak-child: --to names no recipient");
        return 2;
    }
    let mut rng = Rng::new(num(a, "seed", 1).unwrap_or(1));
    let deadline = Instant::now() + CHILD_MAX_LIFE;
    let mut out = std::io::stdout();
    let mut session = match xmpp::login(c2s, None, DOMAIN, me, PASSWORD, "child").await {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(out, "error XMPP login: {e}");
            return 1;
        }
    };
    // Held open and never read until the process dies.
    let _events = sse::open(http, &basic(me), Some(sse::SLOW)).await;
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    let tag = std::process::id();
    let mut seq = 0u64;
    while Instant::now() < deadline {
        ticker.tick().await;
        let mut stanzas = String::new();
        let mut batch = Vec::with_capacity(BATCH);
        for _ in 0..BATCH {
            seq += 1;
            let id = format!("{me}-k{tag}-{seq}");
            let to = targets[rng.below(targets.len() as u64) as usize];
            stanzas.push_str(&message(to, &id, &body(&mut rng, BODY)));
            batch.push((to, id));
        }
        let ids: Vec<String> = batch.iter().map(|(_, id)| id.clone()).collect();
        match xmpp::send_and_ping(
            &mut session,
            DOMAIN,
            &stanzas,
            &ids,
            &format!("ping-{seq}"),
            ACK_TIMEOUT,
        )
        .await
        {
            Ok(bounced) => {
                for (to, id) in batch {
                    if !bounced.contains(&id) && writeln!(out, "ack {to} {id}").is_err() {
                        return 1;
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(out, "error XMPP batch: {e}");
                return 1;
            }
        }
    }
    0
}

// ---------------------------------------------------------------- the server process ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Before,
    Load,
    /// The clients gone, the descriptors settled.
    After,
    /// After the archive was read back.
    Checked,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    t_s: f64,
    phase: Phase,
    reading: Reading,
    acked: u64,
}

/// VmRSS, open descriptors and threads of `pid`; an error once the process is gone (a
/// zombie has no VmRSS).
fn read_proc(pid: u32) -> Result<Reading, SoakError> {
    let proc_err = |what, source| SoakError::Proc { pid, what, source };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| proc_err("status", e))?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    let (Some(rss_kb), Some(threads)) = (field("VmRSS:"), field("Threads:")) else {
        return Err(proc_err(
            "status",
            std::io::Error::other("no VmRSS: the process has exited"),
        ));
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|e| proc_err("fd", e))?
        .count() as u64;
    Ok(Reading { rss_kb, fds, threads })
}

/// CPU seconds the process has used (user + system), from `/proc/<pid>/stat` in
/// USER_HZ (100 per second on Linux).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------- verification --------

#[derive(Default)]
struct Verification {
    acked: u64,
    found: u64,
    /// (sender, with, id), the first ones.
    missing: Vec<(String, String, String)>,
    missing_count: u64,
    /// Pairs that could not be read to the end, with the reason.
    unverified: Vec<String>,
    requests: u64,
    /// Pages whose items all had one timestamp (paging past it may skip some).
    past_pages: u64,
    seconds: f64,
}

struct PairResult {
    missing: Vec<String>,
    found: u64,
    requests: u64,
    past_pages: u64,
    error: Option<String>,
}

async fn get_json(client: &HttpClient, url: &str, auth: &str) -> Result<Value, String> {
    let req = hyper::Request::get(url)
        .header("authorization", auth)
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let fetch = async {
        let resp = client.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        if status != 200 {
            return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, fetch)
        .await
        .map_err(|_| format!("no answer in {REQUEST_TIMEOUT:?}"))?
}

/// Pages back through `from`'s archive with `with` until every id is found or the
/// archive ends.
async fn verify_pair(client: HttpClient, http: SocketAddr, from: String, with: String, ids: Vec<String>) -> PairResult {
    let auth = basic(&from);
    let mut wanted: HashSet<String> = ids.into_iter().collect();
    let total = wanted.len() as u64;
    let mut r = PairResult {
        missing: Vec::new(),
        found: 0,
        requests: 0,
        past_pages: 0,
        error: None,
    };
    let mut before: Option<i64> = None;
    while !wanted.is_empty() {
        let url = match before {
            None => format!("http://{http}/api/messages/{with}?limit={PAGE}"),
            Some(b) => format!("http://{http}/api/messages/{with}?limit={PAGE}&before={b}"),
        };
        let mut page = Err(String::new());
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            r.requests += 1;
            page = get_json(&client, &url, &auth).await;
            if page.is_ok() {
                break;
            }
        }
        let items = match page {
            Ok(Value::Array(items)) => items,
            Ok(other) => {
                r.error = Some(format!("{url}: not a list: {other}"));
                break;
            }
            Err(e) => {
                r.error = Some(format!("{url}: {e}"));
                break;
            }
        };
        let mut stamps = Vec::with_capacity(items.len());
        for item in &items {
            if let Some(id) = item["id"].as_str() {
                wanted.remove(id);
            }
            stamps.push(item["timestamp"].as_i64().unwrap_or(i64::MAX));
        }
        if items.len() < PAGE {
            break;
        }
        match next_page(&stamps) {
            Some(NextPage::Before(b)) => before = Some(b),
            Some(NextPage::Past(b)) => {
                r.past_pages += 1;
                before = Some(b);
            }
            None => break,
        }
    }
    r.found = total - wanted.len() as u64;
    r.missing = wanted.into_iter().collect();
    r.missing.sort();
    r
}

async fn verify(env: &Env, deadline: Duration) -> Verification {
    let started = Instant::now();
    let (pairs, acked) = {
        let l = env.ledger.lock().unwrap_or_else(|e| e.into_inner());
        (l.pairs.clone(), l.by_kind.iter().sum::<u64>())
    };
    let mut v = Verification {
        acked,
        ..Verification::default()
    };
    let client = http_client(4);
    let limit = Arc::new(tokio::sync::Semaphore::new(4));
    let mut set = JoinSet::new();
    for ((from, with), ids) in pairs {
        let (client, limit, http) = (client.clone(), limit.clone(), env.http);
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let label = format!("{from}@{DOMAIN} with {with}");
            (
                label,
                from.clone(),
                with.clone(),
                verify_pair(client, http, from, with, ids).await,
            )
        });
    }
    let until = Instant::now() + deadline;
    loop {
        match tokio::time::timeout_at(until, set.join_next()).await {
            Ok(None) => break,
            Ok(Some(Ok((label, from, with, r)))) => {
                v.found += r.found;
                v.requests += r.requests;
                v.past_pages += r.past_pages;
                v.missing_count += r.missing.len() as u64;
                for id in r.missing {
                    if v.missing.len() < 20 {
                        v.missing.push((from.clone(), with.clone(), id));
                    }
                }
                if let Some(e) = r.error {
                    v.unverified.push(format!("{label}: {e}"));
                }
            }
            Ok(Some(Err(e))) => v.unverified.push(format!("a verification task failed: {e}")),
            Err(_) => {
                v.unverified
                    .push(format!("{} conversations not read within {deadline:?}", set.len()));
                set.shutdown().await;
                break;
            }
        }
    }
    v.seconds = started.elapsed().as_secs_f64();
    v
}

// ---------------------------------------------------------------- the run -------------

/// `meerkat-bench soak`; the process exit code.
pub async fn run(a: &Args) -> i32 {
    match soak(a).await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e @ SoakError::Usage(_)) => {
            eprintln!("soak: {e}");
            2
        }
        Err(e) => {
            eprintln!("soak: {e}");
            1
        }
    }
}

fn say(msg: impl std::fmt::Display) {
    eprintln!("soak: {msg}");
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Starts every client of the mix; they run until `stop`.
fn spawn_clients(p: &Params, l: &Layout, env: &Arc<Env>, exe: &Path, stop: &Stop) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let mut seed = Rng::new(p.seed);
    let rest_each = (p.rate as f64 / 2.0) / l.rest.len().max(1) as f64;
    for (i, me) in l.rest.iter().enumerate() {
        let plan = RestPlan {
            per_s: rest_each,
            reconnect_every: (i < p.mix.rest_reconnecting).then_some(5),
            targets: None,
            body_len: BODY,
        };
        tasks.spawn(rest_sender(
            env.clone(),
            me.clone(),
            plan,
            stop.clone(),
            Rng::new(seed.next_u64()),
        ));
    }
    let bulk = RestPlan {
        per_s: p.mix.bulk_per_s,
        reconnect_every: None,
        targets: Some(Arc::new(l.bulk_targets.clone())),
        body_len: BULK_BODY,
    };
    for me in &l.bulk_sender {
        tasks.spawn(rest_sender(
            env.clone(),
            me.clone(),
            bulk.clone(),
            stop.clone(),
            Rng::new(seed.next_u64()),
        ));
    }
    let xmpp_each = (p.rate as f64 / 2.0) / (l.xmpp.len() + l.reconnectors.len()).max(1) as f64;
    let steady = XmppPlan {
        per_s: xmpp_each,
        life_ms: p.mix.sender_life_ms,
        clean_percent: 0,
        resource: "sender",
    };
    for me in &l.xmpp {
        tasks.spawn(xmpp_sender(
            env.clone(),
            me.clone(),
            steady,
            stop.clone(),
            Rng::new(seed.next_u64()),
        ));
    }
    let cycling = XmppPlan {
        per_s: xmpp_each,
        life_ms: (500, 2_000),
        clean_percent: 70,
        resource: "cycle",
    };
    for me in &l.reconnectors {
        tasks.spawn(xmpp_sender(
            env.clone(),
            me.clone(),
            cycling,
            stop.clone(),
            Rng::new(seed.next_u64()),
        ));
    }
    for me in &l.killed {
        tasks.spawn(killer(
            env.clone(),
            exe.to_path_buf(),
            me.clone(),
            p.mix.child_life_ms,
            stop.clone(),
            Rng::new(seed.next_u64()),
        ));
    }
    for me in &l.receivers {
        tasks.spawn(xmpp_receiver(env.clone(), me.clone(), stop.clone()));
    }
    for (group, kind) in [
        (&l.sse_fast, SseKind::Fast),
        (&l.stall, SseKind::Stall),
        (&l.trickle, SseKind::Trickle),
        (&l.bulk, SseKind::Bulk),
        (&l.sse_reconnect, SseKind::Reconnect),
    ] {
        for me in group {
            tasks.spawn(sse_reader(
                env.clone(),
                me.clone(),
                kind,
                p.send_timeout,
                p.mix,
                stop.clone(),
                Rng::new(seed.next_u64()),
            ));
        }
    }
    for me in &l.stalled_bodies {
        tasks.spawn(stalled::stalled_body(
            env.clone(),
            me.clone(),
            p.request_timeout,
            stop.clone(),
        ));
    }
    for me in &l.idle_http2 {
        tasks.spawn(stalled::idle_http2(
            env.clone(),
            me.clone(),
            p.idle_timeout,
            p.request_timeout,
            stop.clone(),
        ));
    }
    tasks
}

/// Reads the server every second until its descriptors are at most `fds` or [`SETTLE`]
/// has passed: the last reading, and how long it took if they came down.
async fn settle(pid: u32, fds: u64) -> Result<(Reading, Option<f64>), SoakError> {
    let from = Instant::now();
    loop {
        let r = read_proc(pid)?;
        if r.fds <= fds {
            return Ok((r, Some(from.elapsed().as_secs_f64())));
        }
        if from.elapsed() >= SETTLE {
            return Ok((r, None));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn soak(a: &Args) -> Result<bool, SoakError> {
    let p = Params::parse(a)?;
    let l = layout(&p.prefix, &p.mix);
    if l.accounts as u64 > p.users {
        return Err(SoakError::TooFewAccounts {
            needed: l.accounts,
            have: p.users,
        });
    }
    let exe = std::env::current_exe().map_err(SoakError::Exe)?;
    let env = Arc::new(Env {
        http: p.http,
        c2s: p.c2s,
        targets: l.targets.clone(),
        primer: l.bulk_sender.first().cloned(),
        counters: Counters::default(),
        ledger: Mutex::default(),
        statuses: Mutex::default(),
        notes: Mutex::default(),
    });
    let load_before = loadavg();
    let t0 = Instant::now();
    let since = |t: Instant| t.duration_since(t0).as_secs_f64();
    let baseline = read_proc(p.pid)?;
    let cpu_before = cpu_seconds(p.pid);
    let mut samples = vec![Sample {
        t_s: 0.0,
        phase: Phase::Before,
        reading: baseline,
        acked: 0,
    }];
    say(format!(
        "{} s, {} messages/s, mix {}, {} accounts; server RSS {:.1} MiB, {} fds, {} threads",
        p.seconds,
        p.rate,
        p.mix.name,
        l.accounts,
        mib(baseline.rss_kb),
        baseline.fds,
        baseline.threads
    ));

    // The clients.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = spawn_clients(&p, &l, &env, &exe, &Stop(stop_rx));

    // The load runs; the server is read every sample period.
    let load_until = t0 + Duration::from_secs(p.seconds);
    let mut ticker = tokio::time::interval(p.sample);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker.tick().await;
    let mut gone: Option<String> = None;
    let progress_every = (p.seconds / 10).clamp(10, 60) as f64;
    let mut next_progress = progress_every;
    loop {
        ticker.tick().await;
        let now = Instant::now();
        if now >= load_until {
            break;
        }
        match read_proc(p.pid) {
            Ok(reading) => samples.push(Sample {
                t_s: since(now),
                phase: Phase::Load,
                reading,
                acked: env.acked(),
            }),
            Err(e) => {
                gone = Some(e.to_string());
                break;
            }
        }
        if since(now) >= next_progress {
            next_progress += progress_every;
            let last = samples[samples.len() - 1];
            say(format!(
                "{:.0}/{} s: acknowledged {}, RSS {:.1} MiB, {} fds, {} threads",
                last.t_s,
                p.seconds,
                last.acked,
                mib(last.reading.rss_kb),
                last.reading.fds,
                last.reading.threads
            ));
        }
    }
    let load_s = since(Instant::now());
    let cpu_after = cpu_seconds(p.pid);
    let _ = stop_tx.send(true);
    say(format!("load over after {load_s:.0} s; the clients wind down"));
    let wind_down = Instant::now() + WIND_DOWN;
    let mut panicked = 0;
    while let Ok(Some(joined)) = tokio::time::timeout_at(wind_down, tasks.join_next()).await {
        if joined.is_err() {
            panicked += 1;
        }
    }
    let stragglers = tasks.len();
    tasks.shutdown().await;

    // The descriptors must come back once the clients are gone.
    let (mut after, mut settled_at) = (None, None);
    if gone.is_none() {
        match settle(p.pid, baseline.fds + FD_SLACK).await {
            Ok((r, t)) => (after, settled_at) = (Some(r), t),
            Err(e) => gone = Some(e.to_string()),
        }
    }
    if let Some(r) = after {
        samples.push(Sample {
            t_s: since(Instant::now()),
            phase: Phase::After,
            reading: r,
            acked: env.acked(),
        });
    }

    // Every acknowledged message must be in its sender's archive.
    let acked = env.acked();
    let verification = if gone.is_none() {
        say(format!("looking up {acked} acknowledged messages in the archive"));
        verify(&env, Duration::from_secs(120 + acked / 1000)).await
    } else {
        Verification {
            acked,
            unverified: vec!["the server went away, so the archive was not read".into()],
            ..Verification::default()
        }
    };

    // And what reading the whole archive back cost.
    let mut checked = None;
    if gone.is_none() {
        match read_proc(p.pid) {
            Ok(r) => {
                checked = Some(r);
                samples.push(Sample {
                    t_s: since(Instant::now()),
                    phase: Phase::Checked,
                    reading: r,
                    acked,
                });
            }
            Err(e) => gone = Some(e.to_string()),
        }
    }

    let log = match &p.server_log {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(scan_log(&text)),
            Err(e) => {
                env.note(format!("cannot read the server log {}: {e}", path.display()));
                None
            }
        },
        None => None,
    };

    let load: Vec<Reading> = samples
        .iter()
        .filter(|s| s.phase == Phase::Load)
        .map(|s| s.reading)
        .collect();
    let judgements = judge(&load, &logic::TOLERANCES);
    let run = Run {
        p: &p,
        l: &l,
        env: &env,
        samples: &samples,
        baseline,
        after,
        checked,
        settled_at,
        judgements,
        verification: &verification,
        log: log.as_ref(),
        gone: gone.as_deref(),
        panicked,
        stragglers,
        load_s,
        server_cpu_s: cpu_before.zip(cpu_after).map(|(b, a)| a - b),
        load_before,
        load_after: loadavg(),
    };
    let (report, checks) = run.report();
    write(&p.out, &report)?;
    write(&p.csv, &run.csv())?;
    println!("{report}");
    let passed = checks.iter().all(|c| c.1);
    for (what, ok) in &checks {
        say(format!("{} {what}", if *ok { "ok  " } else { "FAIL" }));
    }
    say(format!(
        "acknowledged {}, missing {}; {}; report in {}",
        verification.acked,
        verification.missing_count,
        if passed { "passed" } else { "FAILED" },
        p.out.display()
    ));
    Ok(passed)
}

fn write(path: &Path, text: &str) -> Result<(), SoakError> {
    let err = |source| SoakError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    std::fs::write(path, text).map_err(err)
}

/// Everything the report is made of.
struct Run<'a> {
    p: &'a Params,
    l: &'a Layout,
    env: &'a Env,
    samples: &'a [Sample],
    baseline: Reading,
    after: Option<Reading>,
    checked: Option<Reading>,
    settled_at: Option<f64>,
    judgements: Option<[Judgement; 3]>,
    verification: &'a Verification,
    log: Option<&'a LogFindings>,
    gone: Option<&'a str>,
    panicked: usize,
    stragglers: usize,
    load_s: f64,
    server_cpu_s: Option<f64>,
    load_before: String,
    load_after: String,
}

impl Run<'_> {
    /// The markdown report and the checks it decided (what, passed).
    fn report(&self) -> (String, Vec<(String, bool)>) {
        let (p, l, v) = (self.p, self.l, self.verification);
        let counters: HashMap<&str, u64> = self.env.counters.rows().into_iter().collect();
        let count = |label: &str| counters.get(label).copied().unwrap_or(0);
        let mut checks: Vec<(String, bool)> = Vec::new();
        let mut r = String::new();
        let _ = writeln!(r, "# Soak run\n");
        let _ = writeln!(r, "- command: `{}`", p.command);
        let _ = writeln!(
            r,
            "- started: {}; load for {:.0} s at {} messages/s requested (half REST, half XMPP), mix `{}`, {} accounts",
            p.when, self.load_s, p.rate, p.mix.name, l.accounts
        );
        let _ = writeln!(
            r,
            "- machine: {} cores; load average {} before, {} after",
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            self.load_before,
            self.load_after
        );
        if let Some(cpu) = self.server_cpu_s {
            let _ = writeln!(
                r,
                "- server CPU during the load: {cpu:.1} s ({:.2} cores on average)",
                cpu / self.load_s.max(1.0)
            );
        }
        let _ = writeln!(
            r,
            "- clients: {} REST senders ({} reconnecting) and {} of large messages ({}/s), {} XMPP senders, {} XMPP reconnectors, {} killed processes at a time, {} XMPP receivers, SSE: {} fast, {} stalled, {} trickle, {} bulk, {} reconnecting; {} accounts nobody reads",
            l.rest.len(),
            p.mix.rest_reconnecting,
            l.bulk_sender.len(),
            p.mix.bulk_per_s,
            l.xmpp.len(),
            l.reconnectors.len(),
            l.killed.len(),
            l.receivers.len(),
            l.sse_fast.len(),
            l.stall.len(),
            l.trickle.len(),
            l.bulk.len(),
            l.sse_reconnect.len(),
            l.offline.len()
        );
        let _ = writeln!(
            r,
            "- connections holding a slot: {} sending request bodies that never arrive, {} keeping HTTP/2 connections idle",
            l.stalled_bodies.len(),
            l.idle_http2.len()
        );
        let _ = writeln!(
            r,
            "- server: `send_timeout` {} s, `request_timeout` {} s, `idle_timeout` {} s; readings every {} ms\n",
            p.send_timeout.as_secs(),
            p.request_timeout.as_secs(),
            p.idle_timeout.as_secs(),
            p.sample.as_millis()
        );

        if let Some(g) = self.gone {
            let _ = writeln!(r, "**The server process went away: {g}**\n");
        }
        checks.push(("the server ran to the end".into(), self.gone.is_none()));

        // Messages.
        let by_kind = self.env.ledger.lock().unwrap_or_else(|e| e.into_inner()).by_kind;
        let _ = writeln!(r, "## Messages\n");
        let _ = writeln!(
            r,
            "**acknowledged {}, missing {}** (REST {}, XMPP {}, killed processes {}); {} found by {} archive requests in {:.1} s.\n",
            v.acked,
            v.missing_count,
            by_kind[Kind::Rest as usize],
            by_kind[Kind::Xmpp as usize],
            by_kind[Kind::Killed as usize],
            v.found,
            v.requests,
            v.seconds
        );
        for (from, with, id) in &v.missing {
            let _ = writeln!(r, "- missing: `{id}` from {from}@{DOMAIN} to {with}");
        }
        for u in &v.unverified {
            let _ = writeln!(r, "- not verified: {u}");
        }
        if v.past_pages > 0 {
            let _ = writeln!(
                r,
                "- {} archive pages held a single millisecond; paging past them may have skipped messages",
                v.past_pages
            );
        }
        checks.push(("messages were acknowledged".into(), v.acked > 0));
        checks.push((
            format!(
                "every acknowledged message is in the archive (missing {})",
                v.missing_count
            ),
            self.gone.is_none() && v.missing_count == 0 && v.unverified.is_empty(),
        ));

        // Clients.
        let _ = writeln!(r, "\n## What the clients saw\n");
        let _ = writeln!(r, "| | count |\n| --- | --- |");
        for (label, n) in self.env.counters.rows() {
            let _ = writeln!(r, "| {label} | {n} |");
        }
        let statuses = self.env.statuses.lock().unwrap_or_else(|e| e.into_inner());
        for (status, n) in statuses.iter() {
            let _ = writeln!(r, "| REST sends answered `{status}` | {n} |");
        }
        checks.push(("no client task failed".into(), self.panicked == 0));
        if !l.stalled_bodies.is_empty() {
            let (cut, not) = (
                count("stalled request bodies answered `408` and closed at `request_timeout`"),
                count("stalled request bodies answered otherwise (status, no close, or time)"),
            );
            checks.push((
                format!("the body deadline cut off every stalled request body ({cut} cut, {not} otherwise)"),
                cut > 0 && not == 0,
            ));
        }
        if !l.idle_http2.is_empty() {
            let (closed, survived) = (
                count("idle HTTP/2 connections closed by the server after `idle_timeout`"),
                count("idle HTTP/2 connections still open past `idle_timeout` + `request_timeout` + 5 s"),
            );
            checks.push((
                format!("idle_timeout closed every idle HTTP/2 connection ({closed} closed, {survived} left open)"),
                closed > 0 && survived == 0,
            ));
        }
        if self.panicked > 0 || self.stragglers > 0 {
            let _ = writeln!(
                r,
                "\n{} client tasks failed, {} did not finish within {WIND_DOWN:?} of the end and were stopped.",
                self.panicked, self.stragglers
            );
        }
        let notes = self.env.notes.lock().unwrap_or_else(|e| e.into_inner());
        if !notes.is_empty() {
            let _ = writeln!(r, "\nFirst client-side problems:\n");
            for n in notes.iter() {
                let _ = writeln!(r, "- {}", n.replace('\n', " "));
            }
        }

        // The server's log.
        let _ = writeln!(r, "\n## The server's log\n");
        match self.log {
            Some(f) => {
                // (by bytes, by stanzas) over a group's accounts.
                let on = |group: &[String]| -> (u64, u64) {
                    group.iter().fold((0, 0), |acc, u| {
                        let (b, n) = f.queue_full_of(&format!("{u}@{DOMAIN}"), QUEUE_BYTES);
                        (acc.0 + b, acc.1 + n)
                    })
                };
                let _ = writeln!(
                    r,
                    "- sessions closed for a full queue: {} in all (a close with ≥ 960 KiB queued counts as the bound in bytes, others as the bound in stanzas)",
                    f.queue_full_total()
                );
                for (group, kind) in [(&l.stall, "stalled"), (&l.trickle, "trickle"), (&l.bulk, "bulk")] {
                    let (b, n) = on(group);
                    let _ = writeln!(r, "  - {kind} readers: {b} by bytes, {n} by stanzas");
                }
                let (sb, sn) = on(&l.stall);
                let stall_cut = count("stalled SSE readers cut off by the server");
                let by_timeout = stall_cut.saturating_sub(sb + sn);
                let _ = writeln!(
                    r,
                    "- stalled readers cut off without a full queue, so by `send_timeout`: {by_timeout}"
                );
                // Each defence must have done its work at least once.
                if !l.stall.is_empty() {
                    checks.push((
                        format!("send_timeout cut off stalled SSE readers ({by_timeout} cut-offs)"),
                        by_timeout > 0,
                    ));
                }
                if !l.trickle.is_empty() {
                    let n = on(&l.trickle).1;
                    checks.push((
                        format!("the queue bound in stanzas cut off trickle SSE readers ({n} cut-offs)"),
                        n > 0,
                    ));
                }
                if !l.bulk.is_empty() {
                    let b = on(&l.bulk).0;
                    checks.push((
                        format!("the queue bound in bytes cut off bulk SSE readers ({b} cut-offs)"),
                        b > 0,
                    ));
                }
                let _ = writeln!(r, "- `ERROR` lines: {}; panics: {}", f.errors, f.panics);
                for e in &f.first_errors {
                    let _ = writeln!(r, "  - `{e}`");
                }
                checks.push(("no panic in the server's log".into(), f.panics == 0));
                checks.push(("no ERROR line in the server's log".into(), f.errors == 0));
            }
            None => {
                let _ = writeln!(r, "- not read (no `--server-log`)");
            }
        }

        // The server process.
        let _ = writeln!(r, "\n## The server process\n");
        let load: Vec<&Sample> = self.samples.iter().filter(|s| s.phase == Phase::Load).collect();
        let row = |r: &mut String, what: &str, x: Option<Reading>| {
            if let Some(x) = x {
                let _ = writeln!(r, "| {what} | {:.1} | {} | {} |", mib(x.rss_kb), x.fds, x.threads);
            }
        };
        let med = |part: &[&Sample]| -> Option<Reading> {
            Some(Reading {
                rss_kb: median(&part.iter().map(|s| s.reading.rss_kb).collect::<Vec<_>>())?,
                fds: median(&part.iter().map(|s| s.reading.fds).collect::<Vec<_>>())?,
                threads: median(&part.iter().map(|s| s.reading.threads).collect::<Vec<_>>())?,
            })
        };
        let q = load.len() / 4;
        let _ = writeln!(r, "| | RSS (MiB) | open fds | threads |\n| --- | --- | --- | --- |");
        row(&mut r, "before the load", Some(self.baseline));
        row(&mut r, "first reading under load", load.first().map(|s| s.reading));
        if q > 0 {
            row(
                &mut r,
                "warm-up level (median of the 2nd quarter)",
                med(&load[q..2 * q]),
            );
            row(&mut r, "middle reading", Some(load[load.len() / 2].reading));
            row(
                &mut r,
                "end level (median of the last quarter)",
                med(&load[load.len() - q..]),
            );
        }
        row(&mut r, "last reading under load", load.last().map(|s| s.reading));
        row(&mut r, "after the load, clients gone", self.after);
        row(&mut r, "after reading the archive back", self.checked);
        let _ = writeln!(r);
        match &self.judgements {
            Some(js) => {
                for j in js {
                    let (unit, scale) = if j.figure.starts_with("RSS") {
                        (" MiB", 1024.0)
                    } else {
                        ("", 1.0)
                    };
                    let _ = writeln!(
                        r,
                        "- {}: {:.1}{unit} → {:.1}{unit}, growth allowed {:.1}{unit}: **{}**",
                        j.figure.trim_end_matches(" (KiB)"),
                        j.warm as f64 / scale,
                        j.end as f64 / scale,
                        j.allowed as f64 / scale,
                        if j.flat { "flat" } else { "NOT flat" }
                    );
                    checks.push((format!("{} flat", j.figure.trim_end_matches(" (KiB)")), j.flat));
                }
                let times: Vec<f64> = load[q..].iter().map(|s| s.t_s / 60.0).collect();
                let rss: Vec<f64> = load[q..].iter().map(|s| mib(s.reading.rss_kb)).collect();
                let _ = writeln!(
                    r,
                    "- RSS trend after warm-up (least squares): {:+.2} MiB per minute",
                    logic::slope(&times, &rss)
                );
            }
            None => {
                let _ = writeln!(r, "- too few readings ({}) to judge flatness", load.len());
                checks.push(("enough readings to judge flatness".into(), false));
            }
        }
        match (self.after, self.settled_at) {
            (Some(a), Some(t)) => {
                let _ = writeln!(
                    r,
                    "- after the load the open fds came back to {} ({} before the load) within {t:.0} s",
                    a.fds, self.baseline.fds
                );
            }
            (Some(a), None) => {
                let _ = writeln!(
                    r,
                    "- after the load the open fds stayed at {} ({} before the load) for {SETTLE:?}",
                    a.fds, self.baseline.fds
                );
            }
            _ => {}
        }
        checks.push((
            format!("open fds came back to the level before the load (+{FD_SLACK})"),
            self.settled_at.is_some(),
        ));

        // The series, about 20 rows.
        let _ = writeln!(r, "\n## Series\n");
        let _ = writeln!(
            r,
            "| t (s) | phase | RSS (MiB) | open fds | threads | acknowledged |\n| --- | --- | --- | --- | --- | --- |"
        );
        let step = (self.samples.len() / 20).max(1);
        for (i, s) in self.samples.iter().enumerate() {
            if i % step == 0 || i + 1 == self.samples.len() || s.phase != Phase::Load {
                let _ = writeln!(
                    r,
                    "| {:.0} | {:?} | {:.1} | {} | {} | {} |",
                    s.t_s,
                    s.phase,
                    mib(s.reading.rss_kb),
                    s.reading.fds,
                    s.reading.threads,
                    s.acked
                );
            }
        }
        let _ = writeln!(r, "\nEvery reading: `{}`.\n", p.csv.display());
        let _ = writeln!(r, "## Checks\n");
        for (what, ok) in &checks {
            let _ = writeln!(r, "- {} {what}", if *ok { "✔" } else { "✘ **FAILED**:" });
        }
        (r, checks)
    }

    fn csv(&self) -> String {
        let mut out = String::from("t_s,phase,rss_kb,fds,threads,acknowledged\n");
        for s in self.samples {
            let _ = writeln!(
                out,
                "{:.1},{},{},{},{},{}",
                s.t_s,
                format!("{:?}", s.phase).to_lowercase(),
                s.reading.rss_kb,
                s.reading.fds,
                s.reading.threads,
                s.acked
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layouts_give_every_role_its_own_accounts() {
        for mix in [FULL, SMOKE] {
            let l = layout("s", &mix);
            let mut all: Vec<&String> = [
                &l.rest,
                &l.xmpp,
                &l.reconnectors,
                &l.killed,
                &l.receivers,
                &l.sse_fast,
                &l.stall,
                &l.trickle,
                &l.bulk,
                &l.bulk_sender,
                &l.sse_reconnect,
                &l.offline,
                &l.stalled_bodies,
                &l.idle_http2,
            ]
            .into_iter()
            .flatten()
            .collect();
            assert_eq!(all.len(), l.accounts);
            all.sort();
            all.dedup();
            assert_eq!(all.len(), l.accounts, "no account has two roles");
            // Senders never receive; trickle readers get more shares.
            assert!(l.targets.iter().all(|t| !t.starts_with(&format!("{}@", l.rest[0]))));
            let trickle = format!("{}@{DOMAIN}", l.trickle[0]);
            let offline = format!("{}@{DOMAIN}", l.offline[0]);
            assert_eq!(l.targets.iter().filter(|t| **t == trickle).count(), mix.trickle_shares);
            assert_eq!(l.targets.iter().filter(|t| **t == offline).count(), 1);
        }
        assert!(layout("s", &FULL).accounts <= 64, "bench/soak.sh registers 64");
    }

    #[test]
    fn only_complete_lines_of_a_killed_process_count() {
        let env = Env {
            http: "127.0.0.1:1".parse().unwrap(),
            c2s: "127.0.0.1:2".parse().unwrap(),
            targets: vec![],
            primer: None,
            counters: Counters::default(),
            ledger: Mutex::default(),
            statuses: Mutex::default(),
            notes: Mutex::default(),
        };
        let mut line = b"ack s9@localhost s3-k1-1\n".to_vec();
        child_line(&env, "s3", &mut line);
        assert!(line.is_empty());
        let mut cut = b"ack s9@localhost s3-k1-".to_vec();
        child_line(&env, "s3", &mut cut);
        assert!(!cut.is_empty(), "kept until its newline comes (or never)");
        let l = env.ledger.lock().unwrap();
        assert_eq!(l.by_kind, [0, 0, 1]);
        assert_eq!(l.pairs[&("s3".to_owned(), "s9@localhost".to_owned())], ["s3-k1-1"]);
    }
}

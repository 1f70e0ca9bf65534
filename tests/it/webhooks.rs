//! Webhooks (`[modules.mod_event_pusher.http]`, docs/webhooks.md): a receiver in this
//! test (a small HTTP server on 127.0.0.1) checks every delivery's Standard Webhooks
//! signature and records what it got, in arrival order. The scenarios: events signed
//! and in archive order (and replayed on request); a receiver down for thirty seconds;
//! the server killed mid-delivery; a receiver answering `500` for ever.

use crate::common::{self, TestServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use meerkat_admin_api::ApiNoContext as _;
use meerkat_client_api::models::{MessageRequest, RoomInvite, RoomMessage, RoomRequest};
use meerkat_client_api::{
    ApiNoContext as _, CreateRoomResponse, InviteToRoomResponse, SendMessageResponse, SendRoomMessageResponse,
};
use serde_json::Value;
use sha2::Sha256;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &[u8; 32] = b"meerkat-webhook-test-key-32bytes";

fn secret() -> String {
    format!("whsec_{}", STANDARD.encode(KEY))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// `204` at once.
    Accept,
    /// Records, waits this long, then `204`.
    Slow(Duration),
    /// `500`, recording nothing.
    Fail,
}

/// One delivery as received.
#[derive(Debug, Clone)]
struct Hook {
    id: String,
    body: Value,
}

impl Hook {
    fn kind(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

#[derive(Default)]
struct Got {
    /// Deliveries with a good signature, in arrival order (retries included).
    hooks: Vec<Hook>,
    /// Why deliveries were refused (bad signature, stale timestamp).
    refused: Vec<String>,
    /// Requests answered `500`.
    failed: usize,
}

struct Shared {
    mode: Mutex<Mode>,
    got: Mutex<Got>,
}

/// The test's webhook receiver.
struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accepting: Option<tokio::task::JoinHandle<()>>,
}

/// Whether `signature` (space-separated `v1,<base64>` entries) signs `id.timestamp.body`.
fn verify(id: &str, timestamp: &str, body: &[u8], signature: &str) -> Result<(), String> {
    let ts: i64 = timestamp.parse().map_err(|_| format!("bad timestamp {timestamp:?}"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if (now - ts).abs() > 300 {
        return Err(format!("timestamp {ts} is {}s away", now - ts));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    if signature.split(' ').any(|s| s == expected) {
        Ok(())
    } else {
        Err(format!("signature {signature:?} is not {expected:?}"))
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, ts, sig) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let body = req.into_body().collect().await?.to_bytes();
    let answer = |status: StatusCode| Ok(Response::builder().status(status).body(Full::default()).unwrap());
    let mode = *shared.mode.lock().unwrap();
    if mode == Mode::Fail {
        shared.got.lock().unwrap().failed += 1;
        return answer(StatusCode::INTERNAL_SERVER_ERROR);
    }
    if let Err(why) = verify(&id, &ts, &body, &sig) {
        shared.got.lock().unwrap().refused.push(why);
        return answer(StatusCode::BAD_REQUEST);
    }
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.got.lock().unwrap().hooks.push(Hook { id, body: parsed });
    if let Mode::Slow(d) = mode {
        tokio::time::sleep(d).await;
    }
    answer(StatusCode::NO_CONTENT)
}

impl Receiver {
    async fn start(mode: Mode) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut r = Receiver {
            addr: listener.local_addr().unwrap(),
            shared: Arc::new(Shared {
                mode: Mutex::new(mode),
                got: Mutex::default(),
            }),
            accepting: None,
        };
        r.serve(listener);
        r
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let shared = self.shared.clone();
        self.accepting = Some(tokio::spawn(async move {
            // Connections end with the accepting task (a receiver going down).
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        }));
    }

    fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    /// Goes down: the port refuses connections.
    fn stop(&mut self) {
        if let Some(t) = self.accepting.take() {
            t.abort();
        }
    }

    /// Comes back on the same port.
    async fn resume(&mut self) {
        let started = Instant::now();
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if started.elapsed() < Duration::from_secs(5) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    fn hooks(&self) -> Vec<Hook> {
        self.shared.got.lock().unwrap().hooks.clone()
    }

    /// Each id once, where it first arrived: what a de-duplicating receiver keeps.
    fn unique(&self) -> Vec<Hook> {
        let mut seen = std::collections::HashSet::new();
        self.hooks().into_iter().filter(|h| seen.insert(h.id.clone())).collect()
    }

    fn refused(&self) -> Vec<String> {
        self.shared.got.lock().unwrap().refused.clone()
    }

    fn failed(&self) -> usize {
        self.shared.got.lock().unwrap().failed
    }

    /// Waits until `done` holds for the de-duplicated deliveries.
    async fn wait_until(&self, within: Duration, what: &str, done: impl Fn(&[Hook]) -> bool) -> Vec<Hook> {
        let deadline = Instant::now() + within;
        loop {
            let unique = self.unique();
            if done(&unique) {
                return unique;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {within:?}; got {} deliveries: {:?}",
                self.hooks().len(),
                unique.iter().map(|h| (&h.id, h.kind())).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A server whose endpoint `crm` posts `events` to `url`, retrying quickly.
fn config(dir: &Path, url: &str, events: &[&str], max_backlog: u64) -> String {
    let events: Vec<String> = events.iter().map(|e| format!("\"{e}\"")).collect();
    common::default_config(
        dir,
        &format!(
            r#"
[modules.mod_mam]
[modules.mod_roster]
[modules.mod_muc_light]
host = "muclight.@HOST@"

[modules.mod_event_pusher.http]
max_backlog = {max_backlog}
request_timeout_ms = 2000
backoff_initial_ms = 100
backoff_max_s = 1
poll_interval_ms = 50

[[modules.mod_event_pusher.http.endpoints]]
name = "crm"
url = "{url}"
secret = "{secret}"
events = [{events}]
"#,
            secret = secret(),
            events = events.join(", ")
        ),
    )
}

async fn send(server: &TestServer, from: &str, to: &str, body: &str) -> String {
    let r = server
        .client_as(&format!("{from}@localhost"), "secret")
        .send_message(MessageRequest::new(format!("{to}@localhost"), body.into()), None)
        .await
        .unwrap();
    match r {
        SendMessageResponse::MessageSent(id) => id.id,
        other => panic!("{other:?}"),
    }
}

fn chat(hooks: &[Hook]) -> Vec<Hook> {
    hooks.iter().filter(|h| h.kind() == "message").cloned().collect()
}

fn bodies(hooks: &[Hook]) -> Vec<String> {
    hooks
        .iter()
        .map(|h| h.body["data"]["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The ids, as archive ids, increase: archive order.
fn assert_archive_order(hooks: &[Hook]) {
    let ids: Vec<i64> = hooks.iter().map(|h| h.id.parse().expect("an archive id")).collect();
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "not in archive order: {ids:?}");
}

/// `meerkat ARGS` against the server's admin API (its port was chosen at start).
fn cli(server: &TestServer, args: &[&str]) -> std::process::Output {
    let url = format!("{}/api", server.base_url("mongoose_admin_api"));
    let mut all = args.to_vec();
    all.extend(["--admin-url", &url]);
    server.cli(&all)
}

async fn endpoint_state(server: &TestServer) -> meerkat_admin_api::models::WebhookEndpoint {
    match server.admin(None).list_webhooks().await.unwrap() {
        meerkat_admin_api::ListWebhooksResponse::Endpoints(mut all) => {
            assert_eq!(all.len(), 1, "{all:?}");
            all.remove(0)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_gets_signed_events_in_archive_order_and_a_replay_sends_them_again_with_their_ids() {
    let receiver = Receiver::start(Mode::Accept).await;
    let url = receiver.url();
    let all = [
        "message",
        "room.message",
        "account.created",
        "account.password_changed",
        "account.removed",
    ];
    let server = TestServer::start_with(|dir| config(dir, &url, &all, 1000));
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let mut sent = Vec::new();
    for i in 0..10 {
        sent.push(send(&server, "alice", "bob", &format!("m{i}")).await);
    }
    sent.push(send(&server, "bob", "alice", "reply 1").await);
    sent.push(send(&server, "bob", "alice", "reply 2").await);
    let alice = server.client_as("alice@localhost", "secret");
    let room = match alice
        .create_room(RoomRequest::new("Burrow".into(), "Sentries".into()), None)
        .await
        .unwrap()
    {
        CreateRoomResponse::RoomCreated(r) => r.id,
        other => panic!("{other:?}"),
    };
    let invited = alice
        .invite_to_room(room.clone(), RoomInvite::new("bob@localhost".into()))
        .await
        .unwrap();
    assert_eq!(invited, InviteToRoomResponse::UserInvited);
    for i in 0..3 {
        let mut m = RoomMessage::new();
        m.body = Some(format!("r{i}"));
        let r = alice.send_room_message(room.clone(), m, None).await.unwrap();
        assert!(matches!(r, SendRoomMessageResponse::MessageSent(_)), "{r:?}");
    }

    let room_messages = |h: &[Hook]| -> Vec<Hook> {
        h.iter()
            .filter(|h| h.kind() == "room.message" && h.body["data"]["type"] == "message")
            .cloned()
            .collect()
    };
    let got = receiver
        .wait_until(Duration::from_secs(20), "every event", |h| {
            chat(h).len() == 12
                && room_messages(h).len() == 3
                && h.iter().filter(|h| h.kind() == "account.created").count() == 2
        })
        .await;
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());

    // One-to-one messages: each once, as sent, in archive order, the webhook-id the
    // archive id the payload carries.
    let messages = chat(&got);
    assert_eq!(
        bodies(&messages),
        ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "reply 1", "reply 2"]
    );
    assert_archive_order(&messages);
    for (h, id) in messages.iter().zip(&sent) {
        assert_eq!(h.body["data"]["archive_id"], h.id.as_str());
        assert_eq!(h.body["data"]["id"], id.as_str());
        assert!(h.body["timestamp"].as_i64().is_some(), "{:?}", h.body);
    }
    assert_eq!(messages[0].body["data"]["from"], "alice@localhost");
    assert_eq!(messages[0].body["data"]["to"], "bob@localhost");
    // Room events: every one from the room's archive, in order, with the room's id.
    let room_events: Vec<Hook> = got.iter().filter(|h| h.kind() == "room.message").cloned().collect();
    assert_archive_order(&room_events);
    assert!(room_events.iter().all(|h| h.body["data"]["room"] == room.as_str()));
    assert!(
        room_events
            .iter()
            .any(|h| h.body["data"]["type"] == "affiliation" && h.body["data"]["user"] == "bob@localhost"),
        "{room_events:?}"
    );
    assert_eq!(bodies(&room_messages(&got)), ["r0", "r1", "r2"]);
    // Accounts: `account-<n>` ids, the JID in the payload.
    let accounts: Vec<(String, String)> = got
        .iter()
        .filter(|h| h.kind() == "account.created")
        .map(|h| {
            (
                h.id.clone(),
                h.body["data"]["jid"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(accounts.len(), 2);
    assert!(
        accounts.iter().all(|(id, _)| id.starts_with("account-")),
        "{accounts:?}"
    );
    assert_eq!(
        accounts.iter().map(|(_, j)| j.as_str()).collect::<Vec<_>>(),
        ["alice@localhost", "bob@localhost"]
    );

    // The admin API: all delivered, nothing waiting, nothing dropped.
    let state = endpoint_state(&server).await;
    assert_eq!((state.name.as_str(), state.url.as_str()), ("crm", url.as_str()));
    assert_eq!((state.backlog, state.dropped, state.last_error.clone()), (0, 0, None));
    assert!(state.delivered >= got.len() as i64, "{state:?}");

    // A replay from m4's id: m4 and everything archived after it again, same ids, in order.
    let before = receiver.hooks().len();
    let from = messages[4].id.clone();
    let out = cli(&server, &["webhooks", "replay", "crm", &from]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected: Vec<String> = got
        .iter()
        .filter(|h| h.id.parse::<i64>().is_ok_and(|id| id >= from.parse::<i64>().unwrap()))
        .map(|h| h.id.clone())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let again: Vec<String> = receiver.hooks()[before..].iter().map(|h| h.id.clone()).collect();
        if again == expected {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replay: got {again:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let unknown = cli(&server, &["webhooks", "replay", "nobody", &from]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("Unknown webhook endpoint"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
    let listed = cli(&server, &["webhooks", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.starts_with("crm backlog=0 "), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_thirty_seconds_gets_every_message_once_when_it_is_back() {
    let mut receiver = Receiver::start(Mode::Accept).await;
    let url = receiver.url();
    let server = TestServer::start_with(|dir| config(dir, &url, &["message"], 1000));
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    receiver.stop();
    let down = Instant::now();
    let mut expected = Vec::new();
    let mut n = 0;
    // Messages keep coming while it is down, and messaging is not slowed by it.
    while down.elapsed() < Duration::from_secs(30) {
        for _ in 0..3 {
            let body = format!("m{n}");
            let started = Instant::now();
            send(&server, "alice", "bob", &body).await;
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "a send took {:?} while the receiver was down",
                started.elapsed()
            );
            expected.push(body);
            n += 1;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let state = endpoint_state(&server).await;
    assert_eq!(state.backlog, expected.len() as i64, "{state:?}");
    assert!(state.last_error.is_some(), "{state:?}");
    receiver.resume().await;
    let got = receiver
        .wait_until(
            Duration::from_secs(30),
            "every message after the receiver came back",
            |h| chat(h).len() == expected.len(),
        )
        .await;
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    assert_eq!(bodies(&got), expected);
    assert_archive_order(&got);
    // Nothing reached it while it was down, so nothing came twice.
    assert_eq!(receiver.hooks().len(), expected.len());
    let state = endpoint_state(&server).await;
    assert_eq!((state.backlog, state.dropped), (0, 0), "{state:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_delivery_delivers_every_acknowledged_message_after_restart() {
    let receiver = Receiver::start(Mode::Slow(Duration::from_millis(150))).await;
    let url = receiver.url();
    let mut server = TestServer::start_with(|dir| config(dir, &url, &["message"], 1000));
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let mut expected = Vec::new();
    for i in 0..40 {
        let body = format!("m{i}");
        // Answered 200: acknowledged.
        send(&server, "alice", "bob", &body).await;
        expected.push(body);
    }
    receiver
        .wait_until(Duration::from_secs(20), "the first deliveries", |h| h.len() >= 5)
        .await;
    let delivered_before = receiver.unique().len();
    assert!(delivered_before < expected.len(), "delivery was over before the kill");
    server.restart(); // kill -9, then start again on the same data
    receiver.set_mode(Mode::Accept);
    for i in 40..45 {
        let body = format!("m{i}");
        send(&server, "alice", "bob", &body).await;
        expected.push(body);
    }
    let got = receiver
        .wait_until(Duration::from_secs(30), "every acknowledged message", |h| {
            chat(h).len() == expected.len()
        })
        .await;
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    assert_eq!(bodies(&got), expected, "lost or reordered across the kill");
    assert_archive_order(&got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_500_for_ever_keeps_the_outbox_bounded_and_counts_what_falls_out() {
    let receiver = Receiver::start(Mode::Fail).await;
    let url = receiver.url();
    let server = TestServer::start_with(|dir| config(dir, &url, &["message"], 20));
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let mut most = 0;
    for i in 0..60 {
        send(&server, "alice", "bob", &format!("m{i}")).await;
        if i % 10 == 9 {
            most = most.max(endpoint_state(&server).await.backlog);
        }
    }
    let settled = |s: &meerkat_admin_api::models::WebhookEndpoint, total: i64| s.backlog + s.dropped == total;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut state = endpoint_state(&server).await;
    while !settled(&state, 60) {
        assert!(
            Instant::now() < deadline,
            "the outbox never took every event: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        state = endpoint_state(&server).await;
    }
    assert_eq!(
        (state.backlog, state.dropped, state.delivered),
        (20, 40, 0),
        "{state:?}"
    );
    assert_eq!(state.last_error.as_deref(), Some("HTTP 500"));
    assert!(most <= 20, "the backlog reached {most}");
    assert!(receiver.failed() > 0);

    // Many more: memory stays flat, the backlog at its bound, the rest counted.
    let rss_before = server.rss_kb();
    for i in 60..260 {
        send(&server, "alice", "bob", &format!("m{i}")).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    state = endpoint_state(&server).await;
    while !settled(&state, 260) {
        assert!(state.backlog <= 20, "{state:?}");
        assert!(
            Instant::now() < deadline,
            "the outbox never took every event: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        state = endpoint_state(&server).await;
    }
    assert_eq!((state.backlog, state.dropped), (20, 240), "{state:?}");
    let grown = server.rss_kb().saturating_sub(rss_before);
    assert!(grown < 16 * 1024, "memory grew by {grown} KiB");
    let listed = cli(&server, &["webhooks", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("crm backlog=20 delivered=0 dropped=240") && listed.contains("last_error=HTTP 500"),
        "{listed}"
    );

    // Back to health: the newest 20 arrive, in order.
    receiver.set_mode(Mode::Accept);
    let got = receiver
        .wait_until(Duration::from_secs(20), "the events still waiting", |h| {
            chat(h).len() == 20
        })
        .await;
    let expected: Vec<String> = (240..260).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies(&got), expected);
}

/// The SDK helpers (sdk/helpers/webhooks.{py,go,ts}) against the Standard Webhooks
/// convention's published test vector: it verifies, a changed body or a stale timestamp
/// does not.
#[test]
fn the_sdk_helpers_verify_the_published_test_vector() {
    use std::process::Command;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let helpers = root.join("sdk/helpers");
    let run = |what: &str, command: &mut Command| {
        let out = command.output().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
        assert!(
            out.status.success(),
            "{what} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run("python", Command::new("python3").arg(helpers.join("webhooks.py")));
    let go_cache = tempfile::tempdir().unwrap();
    run(
        "go test",
        Command::new("go")
            .args(["test", "webhooks.go", "webhooks_test.go"])
            .current_dir(&helpers)
            .env("GOCACHE", go_cache.path().join("cache"))
            .env("GO111MODULE", "off"),
    );
    let tsc = root.join("tests/sdk-ts/node_modules/.bin/tsc");
    assert!(
        tsc.exists(),
        "TypeScript is missing: run `make test` (or `npm ci` in tests/sdk-ts)"
    );
    let out = tempfile::tempdir().unwrap();
    run(
        "tsc",
        Command::new(&tsc)
            .args([
                "--strict",
                "--target",
                "ES2022",
                "--lib",
                "ES2022,DOM",
                "--module",
                "commonjs",
            ])
            .arg("--outDir")
            .arg(out.path())
            .arg(helpers.join("webhooks.ts")),
    );
    let check = r#"
const w = require(process.argv[1]);
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const body = '{"test": 2432232314}';
const headers = { 'Webhook-Id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'Webhook-Timestamp': '1614265330', 'Webhook-Signature': signature };
(async () => {
  if (await w.signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body) !== signature) throw new Error('sign');
  if ((await w.verifyWebhook(secret, headers, Buffer.from(body), 1614265330)).test !== 2432232314) throw new Error('verify');
  for (const [b, at] of [['{"test": 2432232315}', 1614265330], [body, 1614265330 + 301]]) {
    let refused = false;
    try { await w.verifyWebhook(secret, headers, b, at); } catch (e) { refused = e instanceof w.WebhookVerificationError; }
    if (!refused) throw new Error('a bad delivery was accepted');
  }
})().catch((e) => { console.error(e); process.exit(1); });
"#;
    run(
        "node",
        Command::new("node")
            .args(["-e", check])
            .arg(out.path().join("webhooks.js")),
    );
}

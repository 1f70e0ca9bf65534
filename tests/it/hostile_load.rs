//! The server under attack, on loopback: readers that never read, connections that say
//! nothing, one address opening everything. Each test states the bound it holds.

use crate::common::xmpp::{self, online, raw_bind, raw_login, Jid, Transport};
use crate::common::{basic, raw_request, TestServer};
use meerkat_client_api::models::MessageRequest;
use meerkat_client_api::{ApiNoContext as _, SendMessageResponse};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One HTTP listener for the client API (large bodies allowed), one for the admin API,
/// a c2s listener; `extra` goes into `[general]`, `listener` into the client API's
/// `[[listen.http]]`, and the archive is off so that memory shows the queues alone.
fn config(data: &std::path::Path, general: &str, listener: &str) -> String {
    // `general` lines starting with `auth.` go to `[auth]`.
    let (auth, general): (Vec<&str>, Vec<&str>) = general.lines().partition(|l| l.starts_with("auth."));
    let auth: Vec<&str> = auth.iter().map(|l| &l["auth.".len()..]).collect();
    let (auth, general) = (auth.join("\n"), general.join("\n"));
    format!(
        r#"
[auth]
scram_iterations = 4096
sync_interval_ms = 100
{auth}

[general]
hosts = ["localhost"]
data_dir = "{data}"
{general}

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
max_body_size = 1048576
{listener}
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"

[[listen.c2s]]
port = 0
ip_address = "127.0.0.1"
max_connections_per_ip = 5

[modules.mod_roster]
"#,
        data = data.display()
    )
}

async fn server(general: &str, listener: &str) -> TestServer {
    let (general, listener) = (general.to_owned(), listener.to_owned());
    let server = TestServer::start_with(move |dir| config(dir, &general, &listener));
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    server
}

/// Opens `/api/sse` as `user` and never reads the response: a reader that stopped.
fn stalled_event_stream(addr: SocketAddr, user: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    // A small receive buffer, so the server's writes back up quickly.
    let req = format!(
        "GET /api/sse HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\n\r\n",
        basic(user, "secret")
    );
    s.write_all(req.as_bytes()).unwrap();
    s
}

/// The status line of whatever the server answered on `s` first.
fn status_of(s: &mut TcpStream) -> u16 {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Whether the server closed `s` (read gives end of stream or a reset) within `wait`,
/// skipping whatever it had sent.
fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    let mut buf = vec![0u8; 64 * 1024];
    while Instant::now() < deadline {
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(_) => return true,
        }
    }
    false
}

#[tokio::test]
async fn readers_that_never_read_cost_a_bounded_amount_of_memory_that_comes_back() {
    let server = server(
        "max_user_sessions = 4\nmax_session_queue_bytes = 262144",
        "send_timeout = 2",
    )
    .await;
    let api = server.addr("mongoose_client_api");
    let baseline = server.rss_kb();
    // Ten streams for bob; four are allowed, the rest are told why not.
    let mut opened: Vec<TcpStream> = (0..10).map(|_| stalled_event_stream(api, "bob@localhost")).collect();
    let statuses: Vec<u16> = opened.iter_mut().map(status_of).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 6, "{statuses:?}");
    let mut streams: Vec<TcpStream> = opened
        .into_iter()
        .zip(&statuses)
        .filter(|(_, s)| **s == 200)
        .map(|(s, _)| s)
        .collect();
    assert_eq!(streams.len(), 4, "an account has at most max_user_sessions sessions");

    // 80 messages of 256 KiB for bob: 20 MiB each stream would have to hold.
    let alice = server.client_as("alice@localhost", "secret");
    let body = "x".repeat(256 * 1024);
    for _ in 0..80 {
        let r = alice
            .send_message(MessageRequest::new("bob@localhost".into(), body.clone()), None)
            .await
            .unwrap();
        assert!(matches!(r, SendMessageResponse::MessageSent(_)), "{r:?}");
    }
    let peak = server.rss_kb();
    assert!(
        peak < baseline + 100 * 1024,
        "four stalled streams must not hold 80 MiB: {baseline} KiB → {peak} KiB"
    );
    let kicks = server.log().matches("outbound queue full").count();
    assert!((1..=4).contains(&kicks), "one line per stalled session, got {kicks}");

    // After send_timeout the server drops the stalled connections, and their memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for s in streams.iter_mut() {
        assert!(closed_within(s, Duration::from_secs(10)), "a stalled stream is closed");
    }
    let mut fresh = stalled_event_stream(api, "bob@localhost");
    assert_eq!(status_of(&mut fresh), 200, "the sessions were given back");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.rss_kb();
    assert!(
        after < baseline + 40 * 1024,
        "memory comes back: {baseline} KiB → {after} KiB"
    );
}

#[tokio::test]
async fn a_connection_that_says_nothing_is_closed_and_one_address_cannot_take_every_slot() {
    let server = server("", "request_timeout = 1\nmax_connections_per_ip = 5").await;
    let api = server.addr("mongoose_client_api");
    let from = |ip: &str| {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
        socket
    };
    let mut silent = Vec::new();
    for _ in 0..5 {
        silent.push(from("127.0.0.2").connect(api).await.unwrap().into_std().unwrap());
    }
    let mut sixth = from("127.0.0.2").connect(api).await.unwrap().into_std().unwrap();
    sixth.set_nonblocking(false).unwrap();
    assert!(
        closed_within(&mut sixth, Duration::from_millis(900)),
        "over the per-address cap"
    );
    // Others are served meanwhile.
    let r = raw_request(
        api,
        "GET",
        "/api/contacts",
        &[("Authorization", &basic("alice@localhost", "secret"))],
        "",
    );
    assert_eq!(r.status, 200);
    for s in silent.iter_mut() {
        s.set_nonblocking(false).unwrap();
        assert!(closed_within(s, Duration::from_secs(5)), "silent past request_timeout");
    }
}

#[tokio::test]
async fn c2s_takes_at_most_max_connections_per_ip_from_one_address() {
    let server = server("", "").await;
    let c2s = server.addr("c2s_starttls");
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(c2s).unwrap());
    }
    let mut sixth = TcpStream::connect(c2s).unwrap();
    assert!(closed_within(&mut sixth, Duration::from_secs(2)));
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_client, jid) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    assert_eq!(jid.to_string(), "alice@localhost/a");
}

#[tokio::test]
async fn an_account_at_its_session_limit_cannot_bind_another_resource() {
    let server = server("max_user_sessions = 2", "").await;
    let _a = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    let _b = online(&server, "alice@localhost/b", "secret", Transport::StartTls).await;
    let connector = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost/c".parse().unwrap();
    let (_, mut stream) = raw_login(&connector, &jid, "secret", None).await.unwrap();
    let refused = raw_bind(&mut stream, "c").await.unwrap_err();
    assert!(
        refused.contains("ResourceConstraint") || refused.contains("resource-constraint"),
        "{refused}"
    );
    // Replacing a bound resource is no new session.
    let (_, jid) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    assert_eq!(jid.to_string(), "alice@localhost/a");
}

/// A raw HTTP/1.1 GET of `path` with Basic credentials, from the local address `from`:
/// the status and the `Retry-After` header.
async fn get_from(from: &str, addr: SocketAddr, path: &str, user: &str, password: &str) -> (u16, Option<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut s = socket.connect(addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: {}\r\n\r\n",
        basic(user, password)
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let retry = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("retry-after: ")
                .or_else(|| l.strip_prefix("Retry-After: "))
        })
        .map(str::to_owned);
    (status, retry)
}

#[tokio::test]
async fn failed_logins_are_counted_for_every_door_and_the_owner_elsewhere_still_gets_in() {
    let server = server("auth.max_failures_per_account = 3", "").await;
    let api = server.addr("mongoose_client_api");
    for _ in 0..3 {
        let (status, _) = get_from("127.0.0.1", api, "/api/contacts", "alice@localhost", "guess").await;
        assert_eq!(status, 401);
    }
    let (status, retry) = get_from("127.0.0.1", api, "/api/contacts", "Alice@LocalHost", "secret").await;
    assert_eq!(status, 429, "even the right password, from the guessing address");
    let retry: u64 = retry.expect("Retry-After").trim().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // The XMPP door counts the same failures.
    let connector = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost".parse().unwrap();
    match raw_login(&connector, &jid, "secret", None).await {
        Err(tokio_xmpp::Error::Auth(tokio_xmpp::error::AuthError::Fail(condition))) => assert_eq!(
            condition,
            tokio_xmpp::parsers::sasl::DefinedCondition::TemporaryAuthFailure
        ),
        other => panic!("expected a temporary failure, got {:?}", other.map(|_| ())),
    }
    // Someone else behind the same address, and alice from elsewhere, are fine.
    assert_eq!(
        get_from("127.0.0.1", api, "/api/contacts", "bob@localhost", "secret")
            .await
            .0,
        200
    );
    assert_eq!(
        get_from("127.0.0.2", api, "/api/contacts", "alice@localhost", "secret")
            .await
            .0,
        200
    );
}

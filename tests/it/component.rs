//! External components (XEP-0114) on a `[[listen.service]]` listener: slixmpp's
//! ComponentXMPP as a third-party component (tests/slixmpp/component.py), and raw sockets
//! for what no library sends: wrong secrets and the throttle, claims on the server's own
//! domains, a `from` outside the component's domain, a second connection for a connected
//! domain.

use crate::common;
use crate::common::xmpp::{next_stanza, online, Transport};
use crate::common::TestServer;
use sha1::{Digest, Sha1};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_xmpp::Stanza;

const SECRET: &str = "component-secret";

/// The test config with one component listener carrying `options`, and `auth` keys.
fn config(dir: &Path, options: &str, auth: &str) -> String {
    common::default_config(
        dir,
        &format!("[[listen.service]]\nport = 0\npassword = \"{SECRET}\"\nnegotiation_timeout = 2\n{options}\n"),
    )
    .replace("[auth]\n", &format!("[auth]\n{auth}\n"))
}

fn start(options: &str, auth: &str) -> TestServer {
    TestServer::start_with(|dir| config(dir, options, auth))
}

/// A component's side of the wire, read as text.
struct Raw {
    stream: TcpStream,
    seen: String,
}

impl Raw {
    async fn connect(addr: SocketAddr) -> Raw {
        Raw {
            stream: TcpStream::connect(addr).await.expect("connect"),
            seen: String::new(),
        }
    }

    async fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).await.expect("write");
    }

    /// Reads until `done` holds for everything read so far, the server closes, or five
    /// seconds pass; returns everything read.
    async fn read_until(&mut self, done: impl Fn(&str) -> bool) -> &str {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        while !done(&self.seen) {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                _ => break,
            }
        }
        &self.seen
    }

    /// Opens a component stream for `domain`; the stream id the server gave.
    async fn open(addr: SocketAddr, domain: &str) -> (Raw, Option<String>) {
        let mut raw = Raw::connect(addr).await;
        raw.send(&format!(
            "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='{domain}'>"
        ))
        .await;
        let seen = raw
            .read_until(|s| s.find("<stream:stream").is_some_and(|i| s[i..].contains('>')))
            .await;
        let id = seen
            .split_once(" id='")
            .and_then(|(_, rest)| rest.split_once('\''))
            .map(|(id, _)| id.to_owned());
        (raw, id)
    }

    /// Sends the handshake for `secret`; whether the server answered `<handshake/>`.
    async fn handshake(&mut self, id: &str, secret: &str) -> bool {
        let digest: String = Sha1::digest(format!("{id}{secret}").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.send(&format!("<handshake>{digest}</handshake>")).await;
        let seen = self
            .read_until(|s| s.contains("<handshake/>") || s.contains("</stream:stream>"))
            .await;
        seen.contains("<handshake/>")
    }

    /// A component for `domain`, connected with `secret`.
    async fn connected(addr: SocketAddr, domain: &str) -> Raw {
        let (mut raw, id) = Raw::open(addr, domain).await;
        let id = id.unwrap_or_else(|| panic!("no stream id in {:?}", raw.seen));
        assert!(raw.handshake(&id, SECRET).await, "handshake refused: {}", raw.seen);
        raw.seen.clear();
        raw
    }

    /// The condition of the stream error the server ends the stream with.
    async fn stream_error(&mut self) -> String {
        let seen = self.read_until(|s| s.contains("</stream:stream>")).await;
        let after = seen
            .split_once("<stream:error><")
            .unwrap_or_else(|| panic!("no stream error in {seen:?}"))
            .1;
        after.split([' ', '/', '>']).next().unwrap_or_default().to_owned()
    }

    /// Whether the server closed the connection (after whatever it sent).
    async fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(n)) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => return false,
            }
        }
    }
}

#[tokio::test]
async fn a_slixmpp_component_echoes_messages_and_is_listed_only_while_connected() {
    let server = start("", "");
    server.register("alice", "secret").await;
    let addr = server.addr("service").to_string();
    tokio::task::spawn_blocking(move || common::slix::run(&server, "component.py", &[&addr, SECRET]))
        .await
        .expect("scenario ran");
}

#[tokio::test]
async fn a_wrong_secret_is_not_authorized_and_repeated_guesses_are_throttled() {
    let server = start("", "max_failures_per_account = 3");
    let addr = server.addr("service");
    for guess in ["guess-1", "guess-2", "guess-3"] {
        let (mut raw, id) = Raw::open(addr, "echo.localhost").await;
        assert!(!raw.handshake(&id.expect("a stream id"), guess).await);
        assert_eq!(raw.stream_error().await, "not-authorized");
        assert!(raw.closed().await);
    }
    // The domain is now refused from this address, even with the right secret...
    let (mut raw, id) = Raw::open(addr, "echo.localhost").await;
    assert!(!raw.handshake(&id.expect("a stream id"), SECRET).await);
    assert_eq!(raw.stream_error().await, "policy-violation");
    assert!(raw.seen.contains("too many failed handshakes"), "{}", raw.seen);
    // ...while another domain from the same address still connects.
    let _other = Raw::connected(addr, "other.localhost").await;
}

#[tokio::test]
async fn a_component_cannot_claim_a_domain_the_server_serves_itself() {
    let server = start("", "");
    let addr = server.addr("service");
    for domain in [
        "localhost",
        "example.com",
        "LocalHost",
        "muclight.localhost",
        "bot@echo.localhost",
        "",
    ] {
        let (mut raw, _) = Raw::open(addr, domain).await;
        assert_eq!(raw.stream_error().await, "host-unknown", "{domain}");
    }
    // Not a component stream at all.
    let mut raw = Raw::connect(addr).await;
    raw.send(
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='echo.localhost'>",
    )
    .await;
    assert_eq!(raw.stream_error().await, "invalid-namespace");
    // Something else than a handshake.
    let (mut raw, _) = Raw::open(addr, "echo.localhost").await;
    raw.send("<message to='alice@localhost'/>").await;
    assert_eq!(raw.stream_error().await, "not-authorized");
    // The same strict XML rules as client streams.
    let (mut raw, _) = Raw::open(addr, "echo.localhost").await;
    raw.send("<!-- hello -->").await;
    assert_eq!(raw.stream_error().await, "restricted-xml");
    // A connection that never says anything is timed out (negotiation_timeout = 2).
    let mut silent = Raw::connect(addr).await;
    assert_eq!(silent.stream_error().await, "connection-timeout");
}

#[tokio::test]
async fn a_component_speaks_for_its_own_domain_and_nothing_else() {
    let server = start("", "");
    server.register("bob", "secret").await;
    let (mut bob, _) = online(&server, "bob@localhost/phone", "secret", Transport::StartTls).await;
    let mut echo = Raw::connected(server.addr("service"), "echo.localhost").await;

    // Both ways, addressed by the component itself.
    echo.send("<message from='bot@echo.localhost' to='bob@localhost/phone' type='chat' id='c1'><body>from the bot</body></message>")
        .await;
    let got = next_stanza(&mut bob, |s| matches!(s, Stanza::Message(m) if m.id.is_some())).await;
    let Stanza::Message(m) = got else { unreachable!() };
    assert_eq!(m.from.map(|f| f.to_string()).as_deref(), Some("bot@echo.localhost"));
    let to_bot = tokio_xmpp::parsers::message::Message::new(Some("bot@echo.localhost".parse().unwrap()))
        .with_body("en".into(), "to the bot".into());
    bob.send_stanza(to_bot.into()).await.expect("send");
    let seen = echo.read_until(|s| s.contains("to the bot")).await;
    assert!(
        seen.contains("from='bob@localhost/phone'") && seen.contains("to='bot@echo.localhost'"),
        "{seen}"
    );

    // A stanza claiming to be from a user: the stream ends, nothing is delivered.
    echo.send("<message from='alice@localhost' to='bob@localhost/phone' type='chat' id='spoof'><body>I am alice</body></message>")
        .await;
    assert_eq!(echo.stream_error().await, "invalid-from");
    assert!(echo.closed().await);
    assert!(
        !common::xmpp::arrives(&mut bob, Duration::from_millis(500), |s| matches!(
            s,
            Stanza::Message(m) if m.id.as_ref().is_some_and(|i| i.0 == "spoof")
        ))
        .await,
        "the spoofed message was not delivered"
    );
    // Once gone, its domain is unknown again.
    assert_eq!(
        common::xmpp::ping_error(&mut bob, "echo.localhost").await,
        Some(tokio_xmpp::parsers::stanza_error::DefinedCondition::RemoteServerNotFound)
    );
    let _ = bob.send_end().await;
}

#[tokio::test]
async fn a_second_connection_for_a_connected_domain_is_refused_while_the_first_stays() {
    let server = start("", "");
    let addr = server.addr("service");
    let mut first = Raw::connected(addr, "echo.localhost").await;
    let (mut second, id) = Raw::open(addr, "echo.localhost").await;
    assert!(!second.handshake(&id.expect("a stream id"), SECRET).await);
    assert_eq!(second.stream_error().await, "conflict");

    // The first still works: the server answers its ping.
    first
        .send("<iq type='get' id='p1' from='echo.localhost' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let seen = first.read_until(|s| s.contains("id='p1'")).await;
    assert!(seen.contains("type='result'"), "{seen}");

    // Once it closes, the domain is free again.
    first.send("</stream:stream>").await;
    assert!(first.closed().await);
    let _third = Raw::connected(addr, "echo.localhost").await;
}

#[tokio::test]
async fn with_kick_old_a_new_connection_takes_the_domain_over() {
    let server = start("conflict_behaviour = \"kick_old\"", "");
    let addr = server.addr("service");
    let mut first = Raw::connected(addr, "echo.localhost").await;
    let mut second = Raw::connected(addr, "echo.localhost").await;
    assert_eq!(first.stream_error().await, "conflict");
    second
        .send("<iq type='get' id='p2' from='echo.localhost' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let seen = second.read_until(|s| s.contains("id='p2'")).await;
    assert!(seen.contains("type='result'"), "{seen}");
}

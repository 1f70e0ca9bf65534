//! The edges of a client stream: timeouts, throttled logins, restricted XML, stanzas
//! before authentication, the legacy session IQ. Malformed input is sent over a raw
//! socket (no client library sends it on purpose); the rest goes through tokio-xmpp.

use crate::common;
use crate::common::xmpp::{self, raw_bind, raw_login, raw_stream_error, Jid, Transport};
use crate::common::TestServer;
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::stream_error::DefinedCondition as StreamCondition;
use tokio_xmpp::xmlstream::{FallibleStreamElement, ReadError, XmppStreamElement};
use tokio_xmpp::Stanza;

const OPEN: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

/// Sends `input` on a fresh plain connection and returns all the server wrote back
/// until it closed the connection (at most ten seconds).
async fn exchange(server: &TestServer, input: &str) -> String {
    let mut s = TcpStream::connect(server.addr("c2s_starttls")).await.unwrap();
    s.write_all(input.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn with_c2s_options(options: &str) -> TestServer {
    TestServer::start_with(|dir| {
        common::default_config(dir, "").replacen(
            "max_stanza_size = 8192",
            &format!("max_stanza_size = 8192\n{options}"),
            1,
        )
    })
}

#[tokio::test]
async fn restricted_xml_ends_the_stream() {
    let server = TestServer::start();
    for input in [
        format!("{OPEN}<!-- a comment -->"),
        format!("{OPEN}<?pi data?>"),
        "<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY x 'y'>]><stream:stream/>".to_owned(),
        format!("{OPEN}<message><body>&x;</body></message>"),
    ] {
        let out = exchange(&server, &input).await;
        assert!(
            out.contains("<restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
            "{input}: {out}"
        );
        assert!(out.ends_with("</stream:stream>"), "{out}");
    }
}

#[tokio::test]
async fn malformed_xml_and_wrong_headers_get_their_stream_errors() {
    let server = TestServer::start();
    let cases = [
        (format!("{OPEN}<message></iq>"), "not-well-formed"),
        (
            "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>".to_owned(),
            "invalid-namespace",
        ),
        (
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='elsewhere.example' version='1.0'>".to_owned(),
            "host-unknown",
        ),
        (
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost'>".to_owned(),
            "unsupported-version",
        ),
        (format!("{OPEN}<message to='bob@localhost'><body>hi</body></message>"), "not-authorized"),
        (format!("{OPEN}<x:y xmlns:z='urn:z'/>"), "bad-namespace-prefix"),
    ];
    for (input, condition) in cases {
        let out = exchange(&server, &input).await;
        assert!(
            out.starts_with("<?xml version='1.0'?><stream:stream"),
            "the header comes first: {out}"
        );
        assert!(
            out.contains(&format!("<{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>")),
            "{condition}: {out}"
        );
    }
}

#[tokio::test]
async fn a_client_that_never_authenticates_is_timed_out() {
    let server = with_c2s_options("negotiation_timeout = 1");
    let out = exchange(&server, OPEN).await;
    assert!(out.contains("<connection-timeout"), "{out}");
}

#[tokio::test]
async fn an_idle_session_is_closed_and_whitespace_keeps_it_alive() {
    let server = with_c2s_options("idle_timeout = 2");
    server.register("alice", "secret").await;
    let c = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost/idle".parse().unwrap();

    // Whitespace every half second: still connected after three seconds.
    let (_, mut kept) = raw_login(&c, &jid, "secret", None).await.unwrap();
    raw_bind(&mut kept, "kept").await.unwrap();
    let (_, mut idle) = raw_login(&c, &jid, "secret", None).await.unwrap();
    raw_bind(&mut idle, "idle").await.unwrap();
    let mut tcp_kept = kept.into_inner();
    for _ in 0..6 {
        tcp_kept.write_all(b" ").await.unwrap();
        tcp_kept.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(raw_stream_error(&mut idle).await, StreamCondition::ConnectionTimeout);
    // The kept-alive stream still answers.
    tcp_kept
        .write_all(b"<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await
        .unwrap();
    tcp_kept.flush().await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains("id='p1'") {
        let n = tokio::time::timeout_at(deadline, tcp_kept.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("type='result'"), "{seen}");
}

#[tokio::test]
async fn repeated_failed_logins_from_one_address_are_throttled() {
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, "").replacen(
            "sync_interval_ms = 100",
            "sync_interval_ms = 100\nmax_failures_per_ip = 2",
            1,
        )
    });
    server.register("alice", "secret").await;
    let c = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost".parse().unwrap();
    for _ in 0..2 {
        assert!(raw_login(&c, &jid, "guess", None).await.is_err());
    }
    // Even the right password is refused now, with a temporary failure.
    match raw_login(&c, &jid, "secret", None).await {
        Err(tokio_xmpp::Error::Auth(tokio_xmpp::error::AuthError::Fail(condition))) => {
            assert_eq!(
                condition,
                tokio_xmpp::parsers::sasl::DefinedCondition::TemporaryAuthFailure
            )
        }
        other => panic!("expected a temporary failure, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn the_legacy_session_iq_is_accepted_and_unknown_top_level_elements_are_not() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    let c = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost/s".parse().unwrap();
    let (_, mut stream) = raw_login(&c, &jid, "secret", None).await.unwrap();
    raw_bind(&mut stream, "s").await.unwrap();
    let session = Iq::Set {
        from: None,
        to: None,
        id: "sess1".into(),
        payload: Element::builder("session", "urn:ietf:params:xml:ns:xmpp-session").build(),
    };
    stream.send(&XmppStreamElement::Stanza(session.into())).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
        {
            Some(Ok(FallibleStreamElement::Ok(XmppStreamElement::Stanza(Stanza::Iq(Iq::Result { id, .. }))))) => {
                assert_eq!(id, "sess1");
                break;
            }
            Some(Err(ReadError::SoftTimeout)) | Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    }
    // An element the server does not know at the top level is no stanza (stream
    // management's `<enable/>` is known since XEP-0198 is supported; its unsupported
    // throttling notification is not).
    let mut tcp = stream.into_inner();
    tcp.write_all(b"<t xmlns='urn:xmpp:sm:3'/>").await.unwrap();
    tcp.flush().await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut out)).await;
    let out = String::from_utf8_lossy(&out);
    assert!(out.contains("<unsupported-stanza-type"), "{out}");
}

#[tokio::test]
async fn input_xml_forbids_gets_its_stream_error_at_once_and_oversized_input_a_policy_violation() {
    let server = TestServer::start();
    // The default test listener allows 8 KiB stanzas.
    let cases = [
        (
            format!("{OPEN}<message><body>a\u{0}b</body></message>"),
            "not-well-formed",
        ),
        (
            format!("{OPEN}<message><body>\u{1}</body></message>"),
            "not-well-formed",
        ),
        (
            format!("{OPEN}<message><body>\u{1b}[31m</body></message>"),
            "not-well-formed",
        ),
        (
            format!("{OPEN}<message><body>\u{fffe}</body></message>"),
            "not-well-formed",
        ),
        (
            format!("{OPEN}<message><body>&#x1;</body></message>"),
            "not-well-formed",
        ),
        (format!("{OPEN}<message a='1'b='2'/>"), "not-well-formed"),
        // The stray quote leaves the tag open: refused without waiting for more input.
        (format!("{OPEN}<message to=\"b\"ob@localhost\">"), "not-well-formed"),
        (format!("{OPEN}<message :a='1'/>"), "not-well-formed"),
        (format!("{OPEN}<message z:a='1'/>"), "bad-namespace-prefix"),
        (
            format!("{OPEN}<message to='{}'/>", "x".repeat(8200)),
            "policy-violation",
        ),
        (
            format!("{OPEN}<message><body>{}</body></message>", "y".repeat(8200)),
            "policy-violation",
        ),
        (format!("{OPEN}{}", " ".repeat(66_000)), "policy-violation"),
    ];
    for (input, condition) in cases {
        let started = std::time::Instant::now();
        let out = exchange(&server, &input).await;
        let shown: String = input.chars().take(120).collect();
        assert!(
            out.contains(&format!("<{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>")),
            "{shown:?}: {out}"
        );
        assert!(out.ends_with("</stream:stream>"), "{shown:?}: {out}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{shown:?} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_shaped_connection_is_slowed_to_its_rate_and_loses_nothing() {
    // 8,000 bytes per second; the first second's worth is a burst.
    let server = with_c2s_options("shaper = \"slow\"\n[shaper.slow]\nmax_rate = 8000");
    server.register("alice", "secret").await;
    let c = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost/shaped".parse().unwrap();
    let (_, mut stream) = raw_login(&c, &jid, "secret", None).await.unwrap();
    raw_bind(&mut stream, "shaped").await.unwrap();
    let mut tcp = stream.into_inner();
    // 40 pings of about 1 KB each: about 40 KB, four seconds' worth beyond the burst.
    let pad = "p".repeat(950);
    let mut input = String::new();
    for i in 0..40 {
        input.push_str(&format!(
            "<iq type='get' id='{pad}{i}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
        ));
    }
    let started = std::time::Instant::now();
    tcp.write_all(input.as_bytes()).await.unwrap();
    tcp.flush().await.unwrap();
    let mut seen = String::new();
    let mut buf = vec![0u8; 16384];
    let last = format!("id='{pad}39'");
    while !seen.contains(&last) {
        let n = tokio::time::timeout(Duration::from_secs(20), tcp.read(&mut buf))
            .await
            .expect("answers within 20 s")
            .unwrap();
        assert!(n > 0, "closed after {:?}", started.elapsed());
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let took = started.elapsed();
    assert_eq!(seen.matches("type='result'").count(), 40, "every ping answered");
    assert!(took >= Duration::from_secs(3), "40 KB at 8 KB/s took only {took:?}");
}

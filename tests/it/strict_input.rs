//! What XML cannot carry is refused at every door, and every door reads a JID the same
//! way: a message with a forbidden character never reaches its recipient or an archive.

use crate::common;
use crate::common::xmpp::{next_stanza, online, raw_bind, raw_login, Client, Jid, Transport};
use crate::common::TestServer;
use meerkat_client_api::models::{ChatMessage, MessageRequest};
use meerkat_client_api::{ApiNoContext as _, GetMessagesWithResponse, SendMessageResponse};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_xmpp::parsers::message::{Lang, Message};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::Stanza;

async fn send(server: &TestServer, to: &str, body: &str) -> SendMessageResponse {
    server
        .client_as("alice@localhost", "secret")
        .send_message(MessageRequest::new(to.into(), body.into()), None)
        .await
        .unwrap()
}

async fn history(server: &TestServer, owner: &str, with: &str) -> Vec<ChatMessage> {
    match server
        .client_as(&format!("{owner}@localhost"), "secret")
        .get_messages_with(with.into(), None, None, None, None)
        .await
        .unwrap()
    {
        GetMessagesWithResponse::ArchivedMessages(m) => m,
        other => panic!("{other:?}"),
    }
}

/// Writes `input` on a bound stream's socket and reads until `needle` arrives (5 s).
async fn write_and_read_until<S: AsyncRead + AsyncWrite + Unpin>(tcp: &mut S, input: &[u8], needle: &str) -> String {
    tcp.write_all(input).await.unwrap();
    tcp.flush().await.unwrap();
    let mut seen = String::new();
    let mut buf = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !seen.contains(needle) {
        let n = tokio::time::timeout_at(deadline, tcp.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle} within 5 s: {seen}"))
            .unwrap();
        assert!(n > 0, "closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    seen
}

/// Alice, logged in and bound over a raw stream, sends `stanza`: the server must end her
/// stream with `<not-well-formed/>`.
async fn ends_the_stream_as_not_well_formed(server: &TestServer, stanza: &[u8]) {
    let c = common::xmpp::connector(server, Transport::StartTls);
    let jid: Jid = "alice@localhost/raw".parse().unwrap();
    let (_, mut raw) = raw_login(&c, &jid, "secret", None).await.unwrap();
    raw_bind(&mut raw, "raw").await.unwrap();
    let mut tcp = raw.into_inner();
    let reply = write_and_read_until(&mut tcp, stanza, "</stream:stream>").await;
    assert!(
        reply.contains("<not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
        "{reply}"
    );
}

/// A clean REST message from alice is the first bob gets, and the only one in `owners`'
/// archives of their conversation: nothing refused before it got through.
async fn only_the_clean_message_arrives(server: &TestServer, bob: &mut Client, owners: &[&str]) {
    let SendMessageResponse::MessageSent(sent) = send(server, "bob@localhost", "clean").await else {
        panic!("a clean message was refused")
    };
    let first = next_stanza(bob, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&first), Some("clean"));
    for owner in owners {
        let with = if *owner == "alice" {
            "bob@localhost"
        } else {
            "alice@localhost"
        };
        let h = history(server, owner, with).await;
        assert_eq!(
            h.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            [sent.id.as_str()],
            "{owner}"
        );
    }
}

fn body_of(stanza: &Stanza) -> Option<&str> {
    match stanza {
        Stanza::Message(m) => m.bodies.values().next().map(String::as_str),
        _ => None,
    }
}

#[tokio::test]
async fn a_message_xml_cannot_carry_is_refused_over_rest_and_xmpp_and_never_relayed() {
    let server = TestServer::start();
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    let (mut bob, _) = online(&server, "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    for body in ["a\u{0}b", "\u{1b}[31mred", "x\u{fffe}", "\u{7}"] {
        assert_eq!(
            send(&server, "bob@localhost", body).await,
            SendMessageResponse::BadRequest("Invalid message body".into()),
            "{body:?}"
        );
    }

    // The same characters over XMPP end the sender's stream before anything is routed.
    ends_the_stream_as_not_well_formed(
        &server,
        b"<message to='bob@localhost' type='chat'><body>a\x01b</body></message>",
    )
    .await;
    only_the_clean_message_arrives(&server, &mut bob, &["alice", "bob"]).await;
    bob.send_end().await.unwrap();
}

#[tokio::test]
async fn rest_and_xmpp_read_a_jid_the_same_way() {
    let server = TestServer::start();
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    let (mut bob, _) = online(&server, "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    for to in [
        "bob@@localhost",
        "bob@localhost..",
        "@localhost",
        "bob@",
        "bob\u{0}@localhost",
    ] {
        assert_eq!(
            send(&server, to, "x").await,
            SendMessageResponse::BadRequest("Invalid recipient JID".into()),
            "{to:?}"
        );
    }
    // A fully qualified domain (trailing dot) is the same domain, over both doors.
    let SendMessageResponse::MessageSent(_) = send(&server, "Bob@LocalHost.", "over rest").await else {
        panic!("refused a JID with a trailing dot")
    };
    let got = next_stanza(&mut bob, |s| body_of(s).is_some()).await;
    let Stanza::Message(m) = got else { unreachable!() };
    assert_eq!(m.to.map(|j| j.to_string()).as_deref(), Some("bob@localhost"));

    let (mut alice, _) = online(&server, "alice@localhost/pc", "secret", Transport::StartTls).await;
    let mut over_xmpp = Message::chat(Some("bob@localhost.".parse().unwrap()));
    over_xmpp.bodies.insert(Lang::default(), "over xmpp".into());
    alice.send_stanza(over_xmpp.into()).await.unwrap();
    let got = next_stanza(&mut bob, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got), Some("over xmpp"));
    let Stanza::Message(m) = got else { unreachable!() };
    assert_eq!(m.to.map(|j| j.to_string()).as_deref(), Some("bob@localhost"));

    // An '@' inside the domain is malformed over XMPP too (sent raw: the client library
    // would refuse to build it).
    let c = common::xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost/raw".parse().unwrap();
    let (_, mut raw) = raw_login(&c, &jid, "secret", None).await.unwrap();
    raw_bind(&mut raw, "raw").await.unwrap();
    let mut tcp = raw.into_inner();
    let reply = write_and_read_until(
        &mut tcp,
        b"<message to='bob@@localhost' id='bad1' type='chat'><body>nope</body></message>",
        "jid-malformed",
    )
    .await;
    assert!(reply.contains("id='bad1'") && reply.contains("type='error'"), "{reply}");
    alice.send_end().await.unwrap();
    bob.send_end().await.unwrap();
}

/// A field the body's schema does not name is ignored: the request is served, and the
/// field's name (the client's text: a forged log line, 900,000 characters) is neither
/// logged nor echoed in a response header.
#[tokio::test]
async fn an_unknown_field_is_ignored_and_never_logged_or_echoed() {
    use crate::common::{basic, raw_request};
    // Bodies up to a megabyte, as by default, so that the field's name can be long.
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, "").replace("max_body_size = 4096", "max_body_size = 1048576")
    });
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    let forged = format!("x\n2026-12-07T03:00:00Z ERROR forged line {}", "y".repeat(900_000));
    let body = serde_json::json!({
        "to": "bob@localhost",
        "body": "with an extra field",
        forged.clone(): 1,
        "nested": {"also": "unknown"},
    })
    .to_string();
    let auth = basic("alice@localhost", "secret");
    let r = raw_request(
        server.addr("mongoose_client_api"),
        "POST",
        "/api/messages",
        &[("Authorization", auth.as_str()), ("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("warning").is_none(), "{:?}", r.headers);
    assert!(r.headers.iter().all(|(_, v)| v.len() < 1_000), "{:?}", r.headers);
    let archived = history(&server, "bob", "alice@localhost").await;
    assert_eq!(archived.last().map(|m| m.body.as_str()), Some("with an extra field"));
    // The admin API too.
    let admin = raw_request(
        server.addr("mongoose_admin_api"),
        "POST",
        "/api/users/localhost",
        &[("Content-Type", "application/json")],
        &serde_json::json!({"username": "carol", "password": "secret", forged.clone(): true}).to_string(),
    );
    assert_eq!(admin.status, 201, "{}", admin.body);
    assert!(admin.header("warning").is_none(), "{:?}", admin.headers);
    let log = server.log();
    assert!(!log.contains("forged line") && !log.contains("unknown field"), "{log}");
}

/// An attribute given twice under two prefixes bound to one namespace (Namespaces in XML
/// 1.0 §6.3), or a prefix declared empty (§3), ends the sender's stream: the message is
/// neither relayed nor archived.
#[tokio::test]
async fn an_attribute_given_twice_under_two_prefixes_ends_the_stream_and_is_never_relayed() {
    let server = TestServer::start();
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    let (mut bob, _) = online(&server, "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    for stanza in [
        &b"<message to='bob@localhost' type='chat' xmlns:a='urn:u' xmlns:b='urn:u' a:x='1' b:x='2'>\
          <body>twice</body></message>"[..],
        b"<message to='bob@localhost' type='chat' xmlns:a=''><body>undeclared</body></message>",
    ] {
        ends_the_stream_as_not_well_formed(&server, stanza).await;
    }
    only_the_clean_message_arrives(&server, &mut bob, &["bob"]).await;
    bob.send_end().await.unwrap();
}

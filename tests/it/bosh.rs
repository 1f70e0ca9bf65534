//! XMPP over BOSH (XEP-0124, XEP-0206) end to end: Strophe.js (its Node build, installed
//! into tests/bosh-client by `make test`) against TCP clients and the REST API, and raw
//! HTTP requests for what no well-behaved client sends (replayed and out-of-window
//! rids, unknown sessions, bad bodies, silence).

use crate::common;
use crate::common::node_client::{event, NodeClient, STROPHE_JS};
use crate::common::xmpp::{arrives, next_stanza, online, Transport};
use crate::common::TestServer;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use meerkat_client_api::models::{ContactAction, ContactActionType, ContactRequest, MessageRequest};
use meerkat_client_api::{ApiNoContext as _, ManageContactResponse, SendMessageResponse};
use sasl::client::mechanisms::Scram;
use sasl::client::Mechanism;
use sasl::common::scram::Sha1;
use sasl::common::ChannelBinding;
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::message::{Lang, Message, MessageType};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::Stanza;

const HTTPBIND: &str = "http://jabber.org/protocol/httpbind";
const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";

/// The test server with a BOSH endpoint on a listener of its own (16 KiB bodies, three
/// connections or sessions per address), `modules` appended (the defaults when empty).
fn bosh_server(modules: &str) -> TestServer {
    let modules = modules.to_owned();
    TestServer::start_with(move |dir| {
        common::default_config(
            dir,
            &format!(
                r#"
[[listen.http]]
port = 0
ip_address = "127.0.0.1"
max_body_size = 16384
max_connections_per_ip = 3
  [[listen.http.handlers.mod_bosh]]
  host = "_"
  path = "/http-bind"
{modules}
"#
            ),
        )
    })
}

/// Every module on, BOSH with the given extra keys.
fn modules_with_bosh(keys: &str) -> String {
    format!("[modules.mod_roster]\n[modules.mod_mam]\n[modules.mod_muc_light]\n[modules.mod_bosh]\n{keys}\n")
}

// --- Strophe.js --------------------------------------------------------------------------

/// A Strophe.js client logging `jid` in over BOSH, asking the server to hold requests at
/// most `wait` seconds.
fn strophe_js(server: &TestServer, jid: &str, password: &str, wait: u64) -> NodeClient {
    let service = format!("http://{}/http-bind", server.addr("mod_bosh"));
    NodeClient::start(&STROPHE_JS, &[&service, jid, password, &wait.to_string()])
}

fn chat(to: &str, text: &str) -> Stanza {
    let mut m = Message::new(Some(to.parse().unwrap()));
    m.type_ = MessageType::Chat;
    m.bodies.insert(Lang::default(), text.into());
    m.into()
}

fn has_body(text: &'static str) -> impl FnMut(&Stanza) -> bool {
    move |s| matches!(s, Stanza::Message(m) if m.bodies.values().any(|b| b == text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strophe_client_logs_in_over_bosh_and_chats_with_tcp_and_rest_users() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;

    let mut alice = strophe_js(&server, "alice@localhost/browser", "secret", 30);
    let online_event = alice.expect_async(event("online")).await;
    assert_eq!(online_event["jid"], "alice@localhost/browser");
    alice.command(json!({"presence": {}}));

    let (mut bob, bob_jid) = online(&server, "bob@localhost/desk", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    alice.command(json!({"send": {"to": bob_jid.to_string(), "body": "hello from BOSH"}}));
    let got = next_stanza(&mut bob, has_body("hello from BOSH")).await;
    let Stanza::Message(m) = got else { unreachable!() };
    assert_eq!(m.from.unwrap().to_string(), "alice@localhost/browser");

    bob.send_stanza(chat("alice@localhost", "hello over TCP"))
        .await
        .unwrap();
    let got = alice.expect_async(event("message")).await;
    assert_eq!(
        (got["body"].as_str(), got["from"].as_str()),
        (Some("hello over TCP"), Some("bob@localhost/desk"))
    );

    // A message sent over REST reaches the BOSH session as well.
    let r = server
        .client_as("bob@localhost", "secret")
        .send_message(
            MessageRequest::new("alice@localhost".into(), "hello over REST".into()),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(r, SendMessageResponse::MessageSent(_)), "{r:?}");
    let got = alice.expect_async(event("message")).await;
    assert_eq!(
        (got["body"].as_str(), got["from"].as_str()),
        (Some("hello over REST"), Some("bob@localhost"))
    );

    alice.command(json!({"quit": true}));
    alice.expect_async(event("closed")).await;
    bob.send_end().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_request_returns_as_soon_as_a_message_arrives_not_at_the_end_of_wait() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    // Requests may be held 20 s.
    let alice = strophe_js(&server, "alice@localhost/browser", "secret", 20);
    alice.expect_async(event("online")).await;
    let (mut bob, _) = online(&server, "bob@localhost/desk", "secret", Transport::StartTls).await;

    // Alice's client now has a request held, with nothing to say.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = Instant::now();
    bob.send_stanza(chat("alice@localhost/browser", "are you there?"))
        .await
        .unwrap();
    // The response that carries it (reported as it is read, before the message is
    // handed to the application) answers a request held since before the message was
    // sent: a long poll, not a fresh request.
    let held = alice
        .expect_async(|v| {
            v["event"] == "held"
                && v["stanzas"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|k| k == "message"))
        })
        .await;
    let got = alice.expect_async(event("message")).await;
    let took = sent.elapsed();
    assert_eq!(got["body"], "are you there?");
    assert!(
        took < Duration::from_secs(2),
        "the message took {took:?}, as if the held request waited out its 20 s"
    );
    let held_ms = held["ms"].as_u64().unwrap();
    assert!((1000..10_000).contains(&held_ms), "held for {held_ms} ms");
    bob.send_end().await.unwrap();
}

/// Makes alice and bob contacts both ways, over REST.
async fn befriend(server: &TestServer, a: &str, b: &str) {
    let (a_rest, b_rest) = (
        server.client_as(&format!("{a}@localhost"), "secret"),
        server.client_as(&format!("{b}@localhost"), "secret"),
    );
    for (asker, other, answerer, asker_jid) in [(&a_rest, b, &b_rest, a), (&b_rest, a, &a_rest, b)] {
        let _ = asker
            .add_contact(ContactRequest::new(format!("{other}@localhost")))
            .await
            .unwrap();
        let invite = ContactAction::new(ContactActionType::Invite);
        assert_eq!(
            asker
                .manage_contact(format!("{other}@localhost"), invite)
                .await
                .unwrap(),
            ManageContactResponse::ActionDone
        );
        let accept = ContactAction::new(ContactActionType::Accept);
        assert_eq!(
            answerer
                .manage_contact(format!("{asker_jid}@localhost"), accept)
                .await
                .unwrap(),
            ManageContactResponse::ActionDone
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strophe_client_that_terminates_is_seen_going_unavailable() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    befriend(&server, "alice", "bob").await;
    let (mut bob, _) = online(&server, "bob@localhost/desk", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    let mut alice = strophe_js(&server, "alice@localhost/browser", "secret", 30);
    alice.expect_async(event("online")).await;
    alice.command(json!({"presence": {}}));
    let available = |s: &Stanza| {
        matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::None
            && p.from.as_ref().is_some_and(|f| f.to_string() == "alice@localhost/browser"))
    };
    next_stanza(&mut bob, available).await;
    // Alice sees Bob too: presence flows both ways over BOSH.
    alice
        .expect_async(|v| v["event"] == "presence" && v["from"] == "bob@localhost/desk")
        .await;

    alice.command(json!({"quit": true}));
    alice.expect_async(event("closed")).await;
    let gone = |s: &Stanza| {
        matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::Unavailable
            && p.from.as_ref().is_some_and(|f| f.to_string() == "alice@localhost/browser"))
    };
    next_stanza(&mut bob, gone).await;
    bob.send_end().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_over_bosh_is_refused() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    let client = strophe_js(&server, "alice@localhost", "wrong", 30);
    let failed = client.expect_async(event("auth-failed")).await;
    assert_eq!(failed["event"], "auth-failed");
}

// --- raw HTTP ------------------------------------------------------------------------------

/// A raw HTTP/1.1 POST (one connection per request, as a BOSH client may do): the status
/// and the body.
async fn post(addr: SocketAddr, body: &str) -> (u16, String) {
    request(addr, "POST", body, &[]).await
}

async fn request(addr: SocketAddr, method: &str, body: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} /http-bind HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("a response within 30 s")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/xml; charset=utf-8"),
        "{head}"
    );
    (status, body.to_owned())
}

fn parse(body: &str) -> Element {
    body.parse().unwrap_or_else(|e| panic!("not XML ({e}): {body}"))
}

fn is_terminate(body: &str, condition: &str) -> bool {
    let el = parse(body);
    el.is("body", HTTPBIND) && el.attr("type") == Some("terminate") && el.attr("condition") == Some(condition)
}

/// A BOSH session driven by hand.
struct Raw {
    addr: SocketAddr,
    sid: String,
    rid: u64,
}

impl Raw {
    /// Opens a session asking for `wait` seconds: the session and the creation response.
    async fn create(addr: SocketAddr, wait: u64) -> (Raw, Element) {
        let rid = 1_000_000 + u64::from(rand_u16());
        let (status, body) = post(
            addr,
            &format!(
                "<body rid='{rid}' to='localhost' wait='{wait}' hold='1' ver='1.6' xml:lang='en' \
                 xmpp:version='1.0' xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh'/>"
            ),
        )
        .await;
        assert_eq!(status, 200);
        let el = parse(&body);
        let sid = el.attr("sid").unwrap_or_else(|| panic!("no sid: {body}")).to_owned();
        (Raw { addr, sid, rid }, el)
    }

    /// The next request, with `attrs` on the wrapper and `payload` in it.
    fn body(&mut self, attrs: &str, payload: &str) -> String {
        self.rid += 1;
        format!(
            "<body rid='{}' sid='{}' {attrs} xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh'>{payload}</body>",
            self.rid, self.sid
        )
    }

    async fn send(&mut self, payload: &str) -> String {
        let body = self.body("", payload);
        post(self.addr, &body).await.1
    }

    /// Logs `user` in with SCRAM-SHA-1 and binds `resource`.
    async fn login(addr: SocketAddr, user: &str, password: &str, resource: &str, wait: u64) -> Raw {
        let (mut raw, created) = Raw::create(addr, wait).await;
        assert!(created
            .get_child("features", "http://etherx.jabber.org/streams")
            .is_some());
        let mut scram = Scram::<Sha1>::new(user, password, ChannelBinding::None).unwrap();
        let first = B64.encode(scram.initial());
        let got = parse(
            &raw.send(&format!("<auth xmlns='{SASL}' mechanism='SCRAM-SHA-1'>{first}</auth>"))
                .await,
        );
        let challenge = got.get_child("challenge", SASL).expect("a challenge").text();
        let response = B64.encode(scram.response(&B64.decode(challenge).unwrap()).unwrap());
        let got = parse(
            &raw.send(&format!("<response xmlns='{SASL}'>{response}</response>"))
                .await,
        );
        assert!(got.get_child("success", SASL).is_some(), "{got:?}");
        let restart = raw.body("to='localhost' xmpp:restart='true'", "");
        let got = parse(&post(addr, &restart).await.1);
        let features = got
            .get_child("features", "http://etherx.jabber.org/streams")
            .expect("features after the restart");
        assert!(features.has_child("bind", "urn:ietf:params:xml:ns:xmpp-bind"));
        let got = raw
            .send(&format!(
                "<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                 <resource>{resource}</resource></bind></iq>"
            ))
            .await;
        assert!(got.contains(&format!("{user}@localhost/{resource}")), "{got}");
        raw
    }
}

fn rand_u16() -> u16 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        % 60_000) as u16
}

#[tokio::test]
async fn a_session_creation_response_says_what_the_session_allows() {
    let server = bosh_server("");
    let addr = server.addr("mod_bosh");
    // The client asks for more than the server gives: wait and hold are lowered.
    let (status, body) = post(
        addr,
        &format!(
            "<body rid='42' to='localhost' wait='600' hold='5' ver='1.6' xmpp:version='1.0' \
             xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh'/>"
        ),
    )
    .await;
    assert_eq!(status, 200);
    let el = parse(&body);
    for (attr, want) in [
        ("wait", "60"),
        ("hold", "1"),
        ("requests", "2"),
        ("inactivity", "30"),
        ("maxpause", "120"),
        ("polling", "2"),
        ("ver", "1.6"),
        ("from", "localhost"),
    ] {
        assert_eq!(el.attr(attr), Some(want), "{attr} in {body}");
    }
    assert!(el.attr("sid").is_some_and(|s| s.len() >= 32), "{body}");
    assert!(el.attr("authid").is_some_and(|s| !s.is_empty()), "{body}");
    assert!(body.contains("xmpp:version='1.0'"), "{body}");
    let features = el
        .get_child("features", "http://etherx.jabber.org/streams")
        .expect("stream features");
    let mechanisms = features.get_child("mechanisms", SASL).expect("SASL mechanisms");
    let offered: Vec<String> = mechanisms.children().map(|m| m.text()).collect();
    // Plain HTTP: no PLAIN.
    assert_eq!(offered, ["SCRAM-SHA-256", "SCRAM-SHA-1"]);

    // A domain not served.
    let (_, body) = post(
        addr,
        &format!("<body rid='7' to='elsewhere.example' wait='10' hold='1' xmpp:version='1.0' xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh'/>"),
    )
    .await;
    assert!(is_terminate(&body, "host-unknown"), "{body}");
}

#[tokio::test]
async fn a_repeated_rid_gets_the_same_response_without_being_processed_again() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    let addr = server.addr("mod_bosh");
    let (mut raw, created) = Raw::create(addr, 10).await;
    let creation_rid = raw.rid;
    // The creation request again: the same response, the same session.
    let again = post(
        addr,
        &format!(
            "<body rid='{creation_rid}' to='localhost' wait='10' hold='1' xmpp:version='1.0' sid='{}' xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh'/>",
            raw.sid
        ),
    )
    .await
    .1;
    assert_eq!(parse(&again).attr("sid"), created.attr("sid"));

    // SASL's first step; sent twice, it is answered twice with the same challenge (a
    // second exchange would have a new nonce).
    let mut scram = Scram::<Sha1>::new("alice", "secret", ChannelBinding::None).unwrap();
    let auth = raw.body(
        "",
        &format!(
            "<auth xmlns='{SASL}' mechanism='SCRAM-SHA-1'>{}</auth>",
            B64.encode(scram.initial())
        ),
    );
    let first = post(addr, &auth).await.1;
    assert!(first.contains("<challenge"), "{first}");
    let replayed = post(addr, &auth).await.1;
    assert_eq!(replayed, first);
    // And the exchange goes on as if the copy had never been sent.
    let challenge = parse(&first).get_child("challenge", SASL).unwrap().text();
    let response = B64.encode(scram.response(&B64.decode(challenge).unwrap()).unwrap());
    let done = raw
        .send(&format!("<response xmlns='{SASL}'>{response}</response>"))
        .await;
    assert!(done.contains("<success"), "{done}");
}

#[tokio::test]
async fn a_rid_outside_the_window_ends_the_session_with_item_not_found() {
    let server = bosh_server("");
    let addr = server.addr("mod_bosh");
    let (mut raw, _) = Raw::create(addr, 10).await;
    // The window is `requests` (2) past the last rid: three ahead is out.
    raw.rid += 2;
    let ahead = raw.body("", "");
    let (status, body) = post(addr, &ahead).await;
    assert_eq!(status, 200);
    assert!(is_terminate(&body, "item-not-found"), "{body}");
    // The session is gone: even the rid that was due now finds nothing.
    raw.rid -= 3;
    let due = raw.body("", "");
    assert!(is_terminate(&post(addr, &due).await.1, "item-not-found"));

    // A rid too old to replay ends a session too.
    let (mut raw, _) = Raw::create(addr, 1).await;
    let creation_rid = raw.rid;
    for _ in 0..3 {
        // Each is held for the 1 s wait and answered empty.
        let body = raw.send("").await;
        assert!(parse(&body).attr("type").is_none(), "{body}");
    }
    let stale = format!("<body rid='{creation_rid}' sid='{}' xmlns='{HTTPBIND}'/>", raw.sid);
    assert!(is_terminate(&post(addr, &stale).await.1, "item-not-found"));
}

#[tokio::test]
async fn an_unknown_sid_is_item_not_found() {
    let server = bosh_server("");
    let (status, body) = post(
        server.addr("mod_bosh"),
        &format!("<body rid='5' sid='no-such-session' xmlns='{HTTPBIND}'/>"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(is_terminate(&body, "item-not-found"), "{body}");
}

#[tokio::test]
async fn with_hold_one_a_new_request_releases_the_held_one_at_once() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    let addr = server.addr("mod_bosh");
    let mut raw = Raw::login(addr, "alice", "secret", "r", 20).await;
    // An empty request is held (up to 20 s)...
    let held_body = raw.body("", "");
    let held = tokio::spawn(async move {
        let started = Instant::now();
        let body = post(addr, &held_body).await.1;
        (body, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!held.is_finished(), "an empty request should be held");
    // ...until the next one comes: it is answered, empty, right away.
    let ping = raw.body(
        "",
        "<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    let sent = Instant::now();
    let pinged = tokio::spawn(async move { post(addr, &ping).await.1 });
    let (released, took) = held.await.unwrap();
    assert!(took < Duration::from_secs(3), "released after {took:?}");
    let answer = pinged.await.unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "the ping took {:?}",
        sent.elapsed()
    );
    // The answer to the ping came back once, in one of the two responses (whichever was
    // answered once the server had it).
    let both = format!("{released}{answer}");
    assert_eq!(both.matches("id='p1'").count(), 1, "{both}");
    assert!(both.contains("type='result'"), "{both}");
}

#[tokio::test]
async fn requests_that_arrive_out_of_order_are_taken_in_rid_order() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    let addr = server.addr("mod_bosh");
    // Empty requests are held 2 s at most.
    let mut raw = Raw::login(addr, "alice", "secret", "r", 2).await;
    let ping = |id: &str| format!("<iq xmlns='jabber:client' type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>");
    let first = raw.body("", &ping("first"));
    let second = raw.body("", &ping("second"));
    let third = raw.body("", "");
    // The second arrives first: it waits for the first, unprocessed.
    let early = tokio::spawn(async move { post(addr, &second).await.1 });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!early.is_finished(), "a request ahead of its predecessor was answered");
    let on_time = post(addr, &first).await.1;
    let early = early.await.unwrap();
    let last = post(addr, &third).await.1;
    // Both pings were answered, the first one first.
    let all = format!("{on_time}{early}{last}");
    let (a, b) = (all.find("id='first'"), all.find("id='second'"));
    assert!(a.is_some() && b.is_some() && a < b, "{all}");
}

#[tokio::test]
async fn an_inactive_session_ends_and_its_contact_sees_it_go() {
    let server = bosh_server(&modules_with_bosh("inactivity = 2"));
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let addr = server.addr("mod_bosh");
    let (mut bob, _) = online(&server, "bob@localhost/desk", "secret", Transport::StartTls).await;
    let mut alice = Raw::login(addr, "alice", "secret", "web", 1).await;
    // Directed presence to Bob: owed an unavailable one when the session ends.
    let body = alice
        .send("<presence xmlns='jabber:client' to='bob@localhost/desk'/>")
        .await;
    assert!(parse(&body).attr("type").is_none(), "{body}");
    next_stanza(
        &mut bob,
        |s| matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::None),
    )
    .await;
    let silent_since = Instant::now();
    // Alice's client says nothing more: after 2 s of inactivity her session ends.
    assert!(
        arrives(&mut bob, Duration::from_secs(6), |s| {
            matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::Unavailable)
        })
        .await,
        "no unavailable presence after the inactivity period"
    );
    assert!(silent_since.elapsed() >= Duration::from_millis(1500));
    let late = alice.body("", "");
    assert!(is_terminate(&post(addr, &late).await.1, "item-not-found"));
    bob.send_end().await.unwrap();
}

#[tokio::test]
async fn a_terminate_request_ends_the_session_and_the_contact_sees_unavailable() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let addr = server.addr("mod_bosh");
    let (mut bob, _) = online(&server, "bob@localhost/desk", "secret", Transport::StartTls).await;
    // Requests with nothing to answer are held 1 s.
    let mut alice = Raw::login(addr, "alice", "secret", "web", 1).await;
    alice
        .send("<presence xmlns='jabber:client' to='bob@localhost/desk'/>")
        .await;
    next_stanza(
        &mut bob,
        |s| matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::None),
    )
    .await;
    // The client says goodbye without an unavailable presence of its own: the server
    // sends one for it.
    let bye = alice.body("type='terminate'", "");
    let (status, body) = post(addr, &bye).await;
    assert_eq!(status, 200);
    let el = parse(&body);
    assert_eq!(
        (el.attr("type"), el.attr("condition")),
        (Some("terminate"), None),
        "{body}"
    );
    next_stanza(
        &mut bob,
        |s| matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::Unavailable),
    )
    .await;
    let after = alice.body("", "");
    assert!(is_terminate(&post(addr, &after).await.1, "item-not-found"));
    bob.send_end().await.unwrap();
}

#[tokio::test]
async fn a_session_replaced_by_another_login_is_told_why_in_the_held_request() {
    let server = bosh_server("");
    server.register("alice", "secret").await;
    let addr = server.addr("mod_bosh");
    let mut alice = Raw::login(addr, "alice", "secret", "same", 20).await;
    let waiting = alice.body("", "");
    let held = tokio::spawn(async move { post(addr, &waiting).await.1 });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The same full JID binds over TCP: the BOSH stream ends with <conflict/>.
    let (_tcp, _) = online(&server, "alice@localhost/same", "secret", Transport::StartTls).await;
    let body = tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .expect("the held request returns at once")
        .unwrap();
    assert!(is_terminate(&body, "remote-stream-error"), "{body}");
    let error = parse(&body);
    let stream_error = error
        .get_child("error", "http://etherx.jabber.org/streams")
        .expect("the stream error inside");
    assert!(
        stream_error.has_child("conflict", "urn:ietf:params:xml:ns:xmpp-streams"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = alice.body("", "");
    assert!(is_terminate(&post(addr, &after).await.1, "item-not-found"));
}

#[tokio::test]
async fn what_waits_for_a_client_that_stops_asking_is_bounded_by_the_session_queue() {
    let server = TestServer::start_with(|dir| {
        common::default_config(
            dir,
            "[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\n  [[listen.http.handlers.mod_bosh]]\n",
        )
        .replace("http_server_name", "max_session_queue_bytes = 4096\nhttp_server_name")
    });
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let addr = server.addr("mod_bosh");
    let mut alice = Raw::login(addr, "alice", "secret", "web", 1).await;
    alice.send("<presence xmlns='jabber:client'/>").await;
    // The client goes quiet for a while (within its pause), and messages keep coming.
    let (_, body) = post(addr, &alice.body("pause='60'", "")).await;
    assert_eq!(body, format!("<body xmlns='{HTTPBIND}'/>"));
    let bob = server.client_as("bob@localhost", "secret");
    for i in 0..12 {
        let r = bob
            .send_message(
                MessageRequest::new("alice@localhost".into(), format!("{i} {}", "x".repeat(500))),
                None,
            )
            .await
            .unwrap();
        assert!(matches!(r, SendMessageResponse::MessageSent(_)), "{r:?}");
    }
    // Past 4 KiB waiting, the session was ended as any too slow reader's is; the client
    // learns it with its next request.
    let back = alice.body("", "");
    let body = post(addr, &back).await.1;
    assert!(is_terminate(&body, "remote-stream-error"), "{body}");
    assert!(body.contains("resource-constraint"), "{body}");
}

#[tokio::test]
async fn a_pause_is_answered_at_once_and_the_session_waits_for_the_client() {
    let server = bosh_server(&modules_with_bosh("inactivity = 1\nmax_pause = 4"));
    server.register("alice", "secret").await;
    let addr = server.addr("mod_bosh");
    let mut alice = Raw::login(addr, "alice", "secret", "web", 10).await;
    let started = Instant::now();
    let (_, body) = post(addr, &alice.body("pause='3'", "")).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a pause is answered at once"
    );
    assert_eq!(body, format!("<body xmlns='{HTTPBIND}'/>"));
    // Two seconds of silence: beyond the 1 s inactivity, within the 3 s pause.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ping = alice
        .send("<iq xmlns='jabber:client' type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert!(ping.contains("id='p2'") && ping.contains("type='result'"), "{ping}");
}

#[tokio::test]
async fn bad_bodies_get_bad_request_never_a_server_error() {
    let server = bosh_server("");
    let addr = server.addr("mod_bosh");
    for bad in [
        "".to_owned(),
        "not xml at all".to_owned(),
        "<body rid='1' xmlns='http://jabber.org/protocol/httpbind'".to_owned(),
        "<body rid='1' xmlns='jabber:client'/>".to_owned(),
        format!("<body to='localhost' xmlns='{HTTPBIND}'/>"),
        format!("<body rid='one' to='localhost' xmlns='{HTTPBIND}'/>"),
        format!("<body rid='1' wait='soon' xmlns='{HTTPBIND}'/>"),
        format!("<body rid='1' sid='x' xmlns='{HTTPBIND}'>free text</body>"),
        format!("<body rid='1' xmlns='{HTTPBIND}'><!-- comment --></body>"),
        format!("<!DOCTYPE body><body rid='1' xmlns='{HTTPBIND}'/>"),
        format!("<body rid='1' xmlns='{HTTPBIND}'><a>&unknown;</a></body>"),
        format!("<body rid='1' xmlns='{HTTPBIND}'>\u{1}</body>"),
    ] {
        let (status, body) = post(addr, &bad).await;
        assert_eq!(status, 200, "{bad}");
        assert!(is_terminate(&body, "bad-request"), "{bad} -> {body}");
    }
    // Invalid UTF-8.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /http-bind HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n\xff\xfe")
        .await
        .unwrap();
    let mut raw = String::new();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    raw.push_str(&String::from_utf8_lossy(&bytes));
    assert!(
        raw.starts_with("HTTP/1.1 200") && raw.contains("condition='bad-request'"),
        "{raw}"
    );

    // Larger than the listener's body limit: refused before buffering.
    let huge = format!(
        "<body rid='1' xmlns='{HTTPBIND}'><message xmlns='jabber:client'><body>{}</body></message></body>",
        "x".repeat(20_000)
    );
    let (status, body) = post(addr, &huge).await;
    assert_eq!(status, 413);
    assert!(is_terminate(&body, "policy-violation"), "{body}");

    // A bad body naming a live session ends it (bad-request is terminal).
    let (mut raw_session, _) = Raw::create(addr, 10).await;
    let broken = raw_session.body("pause='x'", "");
    assert!(is_terminate(&post(addr, &broken).await.1, "bad-request"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let next = raw_session.body("", "");
    assert!(is_terminate(&post(addr, &next).await.1, "item-not-found"));

    // Other methods: 405 with Allow; a preflight gets CORS headers.
    let (status, _) = request(addr, "GET", "", &[]).await;
    assert_eq!(status, 405);
    let got = common::raw_request(addr, "GET", "/http-bind", &[], "");
    assert_eq!(got.header("allow"), Some("POST, OPTIONS"));
    let preflight = common::raw_request(
        addr,
        "OPTIONS",
        "/http-bind",
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        "",
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let posted = common::raw_request(
        addr,
        "POST",
        "/http-bind",
        &[("Origin", "https://app.example")],
        "<body/>",
    );
    assert_eq!(posted.status, 200);
    assert_eq!(
        posted.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(
        server.log().lines().all(|l| !l.contains("panicked")),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn sessions_from_one_address_are_capped() {
    let server = bosh_server("");
    let addr = server.addr("mod_bosh");
    // The listener allows three connections per address; so many sessions.
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(Raw::create(addr, 10).await.0);
    }
    let (status, body) = post(
        addr,
        &format!("<body rid='9' to='localhost' wait='10' hold='1' xmpp:version='1.0' xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh'/>"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(is_terminate(&body, "policy-violation"), "{body}");
    // One ends: there is room again.
    let bye = open[0].body("type='terminate'", "");
    assert!(parse(&post(addr, &bye).await.1).attr("type") == Some("terminate"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    Raw::create(addr, 10).await;
}

#[tokio::test]
async fn the_per_account_session_limit_holds_for_bosh_too() {
    let server = TestServer::start_with(|dir| {
        common::default_config(
            dir,
            "[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\n  [[listen.http.handlers.mod_bosh]]\n",
        )
        .replace("http_server_name", "max_user_sessions = 1\nhttp_server_name")
    });
    server.register("alice", "secret").await;
    let addr = server.addr("mod_bosh");
    let (_tcp, _) = online(&server, "alice@localhost/desk", "secret", Transport::StartTls).await;
    let (mut raw, _) = Raw::create(addr, 10).await;
    let mut scram = Scram::<Sha1>::new("alice", "secret", ChannelBinding::None).unwrap();
    let got = parse(
        &raw.send(&format!(
            "<auth xmlns='{SASL}' mechanism='SCRAM-SHA-1'>{}</auth>",
            B64.encode(scram.initial())
        ))
        .await,
    );
    let challenge = got.get_child("challenge", SASL).unwrap().text();
    let response = B64.encode(scram.response(&B64.decode(challenge).unwrap()).unwrap());
    raw.send(&format!("<response xmlns='{SASL}'>{response}</response>"))
        .await;
    let restart = raw.body("xmpp:restart='true'", "");
    post(addr, &restart).await;
    let refused = raw
        .send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        .await;
    assert!(
        refused.contains("type='error'") && refused.contains("resource-constraint"),
        "{refused}"
    );
}

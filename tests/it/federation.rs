//! Federation between two meerkat servers on loopback (`a.test` and `b.test`, static
//! routes to each other's s2s port): chat both ways over dialback and over certificates
//! from a CA both trust, a certificate that must verify and does not, REST sends to a
//! remote user, and peers that misbehave on the s2s port.

use crate::common::test_ca::{ServerCert, TestCa};
use crate::common::xmpp::{next_stanza, online, Client, Jid, Transport};
use crate::common::TestServer;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::Stanza;

pub(crate) const SECRET_A: &str = "secret-of-a";
const SECRET_B: &str = "secret-of-b";

/// `N` ports free on 127.0.0.1 now, none handed out before in this process (both
/// servers must know each other's before starting).
fn free_ports<const N: usize>() -> [u16; N] {
    std::array::from_fn(|_| crate::common::peers::free_port())
}

/// One side's config: its domain, its s2s port, the other side's routes (its domain and
/// its rooms' service), `tls` lines for `[s2s]`.
pub(crate) fn config(data: &Path, domain: &str, s2s_port: u16, peer: (&str, u16), secret: &str, tls: &str) -> String {
    let (peer_domain, peer_port) = peer;
    let routes: Vec<String> = [peer_domain.to_owned(), format!("conference.{peer_domain}")]
        .iter()
        .map(|host| format!("{{host = \"{host}\", ip_address = \"127.0.0.1\", port = {peer_port}}}"))
        .collect();
    format!(
        r#"
[general]
hosts = ["{domain}"]
data_dir = "{data}"

[auth]
scram_iterations = 4096

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.c2s]]
port = 0
ip_address = "127.0.0.1"

[[listen.s2s]]
port = {s2s_port}
ip_address = "127.0.0.1"

[s2s]
shared = "{secret}"
max_retry_delay = 2
{tls}
  [s2s.outgoing]
  connection_timeout = 2000
  address = [{routes}]
"#,
        data = data.display(),
        routes = routes.join(", "),
    )
}

/// Two servers federating; `tls_a` and `tls_b` are each side's TLS lines for `[s2s]`,
/// made from the data directory's parent (where certificates can be written).
fn pair(tls_a: impl FnOnce(&Path) -> String, tls_b: impl FnOnce(&Path) -> String) -> (TestServer, TestServer) {
    let [pa, pb] = free_ports();
    let a = TestServer::start_with(|data| {
        let tls = tls_a(data.parent().unwrap());
        config(data, "a.test", pa, ("b.test", pb), SECRET_A, &tls)
    });
    let b = TestServer::start_with(|data| {
        let tls = tls_b(data.parent().unwrap());
        config(data, "b.test", pb, ("a.test", pa), SECRET_B, &tls)
    });
    for (s, user) in [(&a, "alice@a.test"), (&b, "bob@b.test")] {
        let out = s.cli(&["register", user, "pw"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    (a, b)
}

/// TLS lines giving a server `cert` and trusting `ca` (written next to its data).
pub(crate) fn certified(dir: &Path, ca: &Path, cert: &ServerCert, mode: &str) -> String {
    let (crt, key) = cert.write(dir, "s2s").expect("write the certificate");
    format!(
        "use_starttls = \"{mode}\"\ncertfile = \"{}\"\nkeyfile = \"{}\"\ncacertfile = \"{}\"\n",
        crt.display(),
        key.display(),
        ca.display()
    )
}

pub(crate) fn chat(to: &str, body: &str) -> Stanza {
    let el: Element = format!("<message xmlns='jabber:client' to='{to}' type='chat'><body>{body}</body></message>")
        .parse()
        .expect("message XML");
    Stanza::Message(el.try_into().expect("a message"))
}

pub(crate) fn body_of(s: &Stanza) -> Option<String> {
    match s {
        Stanza::Message(m) => m.bodies.values().next().cloned(),
        _ => None,
    }
}

/// A client that sent initial presence, so that messages to its bare JID reach it.
pub(crate) async fn available(server: &TestServer, jid: &str) -> (Client, Jid) {
    let (mut c, bound) = online(server, jid, "pw", Transport::StartTls).await;
    c.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    (c, bound)
}

/// What `wait` gives, or a failure showing both servers' logs.
async fn arrives_or_logs<T>(a: &TestServer, b: &TestServer, wait: impl std::future::Future<Output = T>) -> T {
    // Generous: the first stanza to another server waits for a TCP connection, TLS and
    // dialback both ways, which a loaded machine running the whole suite slows down.
    match tokio::time::timeout(Duration::from_secs(10), wait).await.ok() {
        Some(t) => t,
        None => panic!(
            "nothing arrived\n--- a.test ---\n{}\n--- b.test ---\n{}",
            a.log(),
            b.log()
        ),
    }
}

/// Alice on `a` and bob on `b` write to each other; each gets the other's message with
/// the sender's full address.
async fn chat_both_ways(a: &TestServer, b: &TestServer) {
    let (mut alice, alice_jid) = available(a, "alice@a.test").await;
    let (mut bob, bob_jid) = available(b, "bob@b.test").await;
    alice.send_stanza(chat("bob@b.test", "hello from a")).await.unwrap();
    let got = arrives_or_logs(a, b, next_stanza(&mut bob, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("hello from a"));
    match &got {
        Stanza::Message(m) => assert_eq!(m.from.as_ref().map(|f| f.to_string()), Some(alice_jid.to_string())),
        _ => unreachable!(),
    }
    bob.send_stanza(chat("alice@a.test", "hello from b")).await.unwrap();
    let got = arrives_or_logs(a, b, next_stanza(&mut alice, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("hello from b"));
    match &got {
        Stanza::Message(m) => assert_eq!(m.from.as_ref().map(|f| f.to_string()), Some(bob_jid.to_string())),
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_and_bob_on_two_servers_chat_over_dialback_when_certificates_do_not_verify() {
    // Each server shows its generated self-signed certificate: TLS, then dialback.
    let required = |_: &Path| "use_starttls = \"required\"\n".to_owned();
    let (a, b) = pair(required, required);
    chat_both_ways(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_and_bob_chat_over_plain_dialback_when_tls_is_off() {
    let off = |_: &Path| "use_starttls = \"false\"\n".to_owned();
    let (a, b) = pair(off, off);
    chat_both_ways(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_with_certificates_from_a_ca_both_trust_federate_under_required_trusted() {
    let ca = TestCa::new().expect("a CA");
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_cert(ca_dir.path()).unwrap();
    let (cert_a, cert_b) = (ca.issue("a.test").unwrap(), ca.issue("b.test").unwrap());
    let (a, b) = pair(
        |dir| certified(dir, &ca_file, &cert_a, "required_trusted"),
        |dir| certified(dir, &ca_file, &cert_b, "required_trusted"),
    );
    chat_both_ways(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_whose_certificate_does_not_verify_is_refused_under_required_trusted() {
    let ca = TestCa::new().expect("a CA");
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_cert(ca_dir.path()).unwrap();
    let cert_a = ca.issue("a.test").unwrap();
    let untrusted_b = TestCa::untrusted("b.test").unwrap();
    let (a, _b) = pair(
        |dir| certified(dir, &ca_file, &cert_a, "required_trusted"),
        |dir| certified(dir, &ca_file, &untrusted_b, "required"),
    );
    let (mut alice, _) = online(&a, "alice@a.test", "pw", Transport::StartTls).await;
    alice.send_stanza(chat("bob@b.test", "never")).await.unwrap();
    let bounce = next_stanza(
        &mut alice,
        |s| matches!(s, Stanza::Message(m) if m.type_ == tokio_xmpp::parsers::message::MessageType::Error),
    )
    .await;
    let Stanza::Message(m) = bounce else { unreachable!() };
    let error = m.payloads.iter().find(|p| p.name() == "error").expect("an error child");
    assert!(
        error.children().any(|c| c.name() == "remote-server-timeout"),
        "bounced with remote-server-timeout: {error:?}"
    );
}

/// A raw s2s connection: what was read so far.
struct Raw {
    tcp: TcpStream,
    read: String,
}

impl Raw {
    async fn connect(server: &TestServer) -> Raw {
        let tcp = TcpStream::connect(server.addr("s2s")).await.expect("connect to s2s");
        Raw {
            tcp,
            read: String::new(),
        }
    }

    /// A connection whose stream header (`from` to `to`) was answered with features.
    async fn opened(server: &TestServer, from: &str, to: &str) -> Raw {
        let mut raw = Raw::connect(server).await;
        raw.send(&header(from, to)).await;
        raw.until("</stream:features>").await;
        raw
    }

    /// A stream on which `b.test` is authenticated by dialback for `a.test`: this peer
    /// knows b.test's secret, and a.test's callback to b.test's server confirms the key.
    async fn authenticated_as_b(server: &TestServer) -> Raw {
        let mut raw = Raw::opened(server, "b.test", "a.test").await;
        let key = dialback_key(SECRET_B, "a.test", "b.test", &raw.stream_id());
        raw.send(&format!("<db:result from='b.test' to='a.test'>{key}</db:result>"))
            .await;
        assert!(raw.until("type='valid'").await.contains("type='valid'"), "{}", raw.read);
        raw
    }

    async fn send(&mut self, text: &str) {
        self.tcp.write_all(text.as_bytes()).await.expect("write");
    }

    /// Reads until `pattern` appears (or the connection ends); everything read.
    async fn until(&mut self, pattern: &str) -> &str {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 4096];
        while !self.read.contains(pattern) {
            match tokio::time::timeout_at(deadline, self.tcp.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => self.read.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => panic!("no {pattern} within 10 s; read so far: {}", self.read),
            }
        }
        &self.read
    }

    /// The stream id of the server's header.
    fn stream_id(&self) -> String {
        let start = self.read.find(" id='").expect("a stream id") + 5;
        self.read[start..].split('\'').next().unwrap().to_owned()
    }
}

fn header(from: &str, to: &str) -> String {
    format!(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' \
         xmlns:db='jabber:server:dialback' from='{from}' to='{to}' version='1.0'>"
    )
}

/// The dialback key of XEP-0185, as a server with `secret` computes it.
fn dialback_key(secret: &str, receiving: &str, originating: &str, id: &str) -> String {
    use hmac::Mac;
    use sha2::Digest;
    let hashed: String = sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(hashed.as_bytes()).unwrap();
    mac.update(format!("{receiving} {originating} {id}").as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Two servers without TLS, for raw peers.
fn plain_pair() -> (TestServer, TestServer) {
    let off = |_: &Path| "use_starttls = \"false\"\n".to_owned();
    pair(off, off)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_peers_are_refused_before_and_after_authenticating() {
    let (a, _b) = plain_pair();

    // A stanza before any domain is authenticated.
    let mut raw = Raw::opened(&a, "b.test", "a.test").await;
    raw.send("<message from='bob@b.test' to='alice@a.test'><body>early</body></message>")
        .await;
    assert!(
        raw.until("</stream:stream>").await.contains("<not-authorized"),
        "{}",
        raw.read
    );

    // A stream restart that no STARTTLS or SASL success called for.
    let mut raw = Raw::opened(&a, "b.test", "a.test").await;
    let again = header("b.test", "a.test").replace("<?xml version='1.0'?>", "");
    raw.send(&again).await;
    assert!(
        raw.until("</stream:stream>").await.contains("<not-well-formed"),
        "{}",
        raw.read
    );

    // A domain this server does not serve.
    let mut raw = Raw::connect(&a).await;
    raw.send(&header("b.test", "nobody.test")).await;
    assert!(
        raw.until("</stream:stream>").await.contains("<host-unknown"),
        "{}",
        raw.read
    );

    // A dialback key that does not verify (b.test's server says so).
    let mut raw = Raw::opened(&a, "b.test", "a.test").await;
    raw.send("<db:result from='b.test' to='a.test'>0123456789abcdef</db:result>")
        .await;
    let read = raw.until("</stream:stream>").await;
    assert!(read.contains("type='invalid'"), "{read}");
    assert!(read.contains("<not-authorized"), "{read}");

    // A good key (this peer knows b.test's secret), then a stanza from a third domain.
    let mut raw = Raw::authenticated_as_b(&a).await;
    raw.send("<message from='eve@c.test' to='alice@a.test'><body>spoofed</body></message>")
        .await;
    assert!(
        raw.until("</stream:stream>").await.contains("<invalid-from"),
        "{}",
        raw.read
    );

    // The same, with a `to` this server does not serve.
    let mut raw = Raw::authenticated_as_b(&a).await;
    raw.send("<message from='bob@b.test' to='carol@elsewhere.test'><body>relay</body></message>")
        .await;
    assert!(
        raw.until("</stream:stream>").await.contains("<host-unknown"),
        "{}",
        raw.read
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answers_whether_a_key_it_sent_is_right_on_any_stream() {
    let (a, _b) = plain_pair();
    let mut raw = Raw::opened(&a, "b.test", "a.test").await;
    let good = dialback_key(SECRET_A, "b.test", "a.test", "stream-1");
    raw.send(&format!(
        "<db:verify from='b.test' to='a.test' id='stream-1'>{good}</db:verify>"
    ))
    .await;
    assert!(
        raw.until("id='stream-1'").await.contains("type='valid'"),
        "{}",
        raw.read
    );
    raw.send("<db:verify from='b.test' to='a.test' id='stream-2'>bad</db:verify>")
        .await;
    let read = raw.until("id='stream-2'").await;
    assert!(
        read.rsplit("<db:verify").next().unwrap().contains("type='invalid'"),
        "{read}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_user_and_a_remote_xmpp_user_subscribe_to_each_other_and_see_presence() {
    use meerkat_client_api::models::{ContactAction, ContactActionType, ContactRequest, Subscription};
    use meerkat_client_api::{AddContactResponse, ApiNoContext as _, ListContactsResponse, ManageContactResponse};
    let (a, b) = pair(
        |_| "use_starttls = \"required\"\n".to_owned(),
        |_| "use_starttls = \"required\"\n".to_owned(),
    );
    let alice_rest = a.client_as("alice@a.test", "pw");
    let (mut bob, _) = available(&b, "bob@b.test").await;
    let subscription_of_bob = || async {
        match alice_rest.list_contacts().await.unwrap() {
            ListContactsResponse::ContactList(list) => {
                list.into_iter().find(|c| c.jid == "bob@b.test").map(|c| c.subscription)
            }
            other => panic!("{other:?}"),
        }
    };

    // Alice adds and invites a user of the other server over REST; bob accepts over XMPP.
    assert_eq!(
        alice_rest
            .add_contact(ContactRequest::new("bob@b.test".into()))
            .await
            .unwrap(),
        AddContactResponse::ContactAdded
    );
    assert_eq!(
        alice_rest
            .manage_contact("bob@b.test".into(), ContactAction::new(ContactActionType::Invite))
            .await
            .unwrap(),
        ManageContactResponse::ActionDone
    );
    let request = arrives_or_logs(
        &a,
        &b,
        next_stanza(
            &mut bob,
            |s| matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::Subscribe),
        ),
    )
    .await;
    let Stanza::Presence(request) = request else {
        unreachable!()
    };
    assert_eq!(request.from.map(|f| f.to_string()).as_deref(), Some("alice@a.test"));
    bob.send_stanza(
        Presence::new(PresenceType::Subscribed)
            .with_to("alice@a.test".parse::<Jid>().unwrap())
            .into(),
    )
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while subscription_of_bob().await != Some(Subscription::To) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "alice's contact never became 'to'"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Alice comes online over XMPP: she probes bob's server and hears bob is there.
    let (mut alice, _) = available(&a, "alice@a.test").await;
    let seen = arrives_or_logs(
        &a,
        &b,
        next_stanza(&mut alice, |s| {
            matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::None
                && p.from.as_ref().is_some_and(|f| f.to_string().starts_with("bob@b.test/")))
        }),
    )
    .await;
    drop(seen);
    // And bob hears of alice going away.
    alice.send_end().await.unwrap();
    let _ = bob; // bob's subscription is 'from': he does not receive alice's presence.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_send_to_a_remote_user_is_delivered_and_both_archives_list_it() {
    use meerkat_client_api::models::MessageRequest;
    use meerkat_client_api::{ApiNoContext as _, GetMessagesWithResponse, SendMessageResponse};
    let (a, b) = plain_pair();
    let (mut bob, _) = available(&b, "bob@b.test").await;
    let sent = a
        .client_as("alice@a.test", "pw")
        .send_message(MessageRequest::new("bob@b.test".into(), "over rest".into()), None)
        .await
        .unwrap();
    assert!(matches!(sent, SendMessageResponse::MessageSent(_)), "{sent:?}");
    let got = arrives_or_logs(&a, &b, next_stanza(&mut bob, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("over rest"));
    for (server, user, peer) in [(&a, "alice@a.test", "bob@b.test"), (&b, "bob@b.test", "alice@a.test")] {
        let listed = match server
            .client_as(user, "pw")
            .get_messages_with(peer.into(), None, None, None, None)
            .await
            .unwrap()
        {
            GetMessagesWithResponse::ArchivedMessages(m) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(listed.len(), 1, "{user}'s archive with {peer}: {listed:?}");
        assert_eq!(listed[0].body, "over rest");
        assert_eq!(
            (listed[0].from.as_str(), listed[0].to.as_str()),
            ("alice@a.test", "bob@b.test")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_send_to_a_server_out_of_reach_comes_back_on_the_event_stream_and_a_refused_domain_is_403() {
    use crate::common::sse::EventStream;
    use meerkat_client_api::models::MessageRequest;
    use meerkat_client_api::{ApiNoContext as _, SendMessageResponse};
    let [port, closed] = free_ports();
    let server = TestServer::start_with(|data| {
        let tls = "use_starttls = \"required\"\nhost_policy = [{host = \"spam.example\", policy = \"deny\"}]\n";
        config(data, "a.test", port, ("gone.test", closed), SECRET_A, tls)
    });
    assert!(server.cli(&["register", "alice@a.test", "secret"]).status.success());
    let alice = server.client_as("alice@a.test", "secret");
    let mut events = EventStream::open(&server, "alice@a.test").await;

    let id = match alice
        .send_message(MessageRequest::new("rita@gone.test".into(), "anyone?".into()), None)
        .await
        .unwrap()
    {
        SendMessageResponse::MessageSent(m) => m.id,
        other => panic!("{other:?}"),
    };
    let error = loop {
        let event = events.next().await;
        if event.name == "message.error" {
            break event;
        }
    };
    assert_eq!(error.id, None, "not replayable: no id");
    assert_eq!(error.data["id"], id);
    assert_eq!(error.data["to"], "rita@gone.test");
    assert_eq!(error.data["condition"], "remote-server-not-found");

    assert_eq!(
        alice
            .send_message(MessageRequest::new("eve@spam.example".into(), "x".into()), None)
            .await
            .unwrap(),
        SendMessageResponse::Forbidden("This server does not federate with spam.example".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_of_another_server_joins_a_room_here_and_chats_with_its_occupants() {
    let required = |_: &Path| "use_starttls = \"required\"\n".to_owned();
    let (a, b) = pair(required, required);
    let (mut alice, _) = online(&a, "alice@a.test", "pw", Transport::StartTls).await;
    let (mut bob, _) = online(&b, "bob@b.test", "pw", Transport::StartTls).await;
    let join = |nick: &str| -> Stanza {
        let el: Element = format!(
            "<presence xmlns='jabber:client' to='den@conference.a.test/{nick}'>\
             <x xmlns='http://jabber.org/protocol/muc'/></presence>"
        )
        .parse()
        .unwrap();
        Stanza::Presence(el.try_into().unwrap())
    };
    let own_presence = |nick: &'static str| move |s: &Stanza| matches!(s, Stanza::Presence(p) if p.from.as_ref().is_some_and(|f| f.to_string() == format!("den@conference.a.test/{nick}")));
    // Alice creates the room (an instant room, as XEP-0045 §10.1.2 lets an owner ask).
    alice.send_stanza(join("alice")).await.unwrap();
    next_stanza(&mut alice, own_presence("alice")).await;
    let instant: Element = "<iq xmlns='jabber:client' type='set' id='cfg' to='den@conference.a.test'>\
        <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"
        .parse()
        .unwrap();
    alice
        .send_stanza(Stanza::Iq(instant.try_into().unwrap()))
        .await
        .unwrap();
    let configured = next_stanza(&mut alice, |s| matches!(s, Stanza::Iq(_))).await;
    assert!(
        matches!(&configured, Stanza::Iq(tokio_xmpp::parsers::iq::Iq::Result { .. })),
        "{configured:?}"
    );

    // Bob, on b.test, joins through his server; alice sees him come in.
    bob.send_stanza(join("bob")).await.unwrap();
    let entered = arrives_or_logs(&a, &b, next_stanza(&mut bob, own_presence("bob"))).await;
    assert!(
        matches!(&entered, Stanza::Presence(p) if p.type_ == PresenceType::None),
        "{entered:?}"
    );
    next_stanza(&mut alice, own_presence("bob")).await;

    let groupchat = |body: &str| -> Stanza {
        let el: Element = format!(
            "<message xmlns='jabber:client' to='den@conference.a.test' type='groupchat'><body>{body}</body></message>"
        )
        .parse()
        .unwrap();
        Stanza::Message(el.try_into().unwrap())
    };
    alice.send_stanza(groupchat("welcome, bob")).await.unwrap();
    let got = arrives_or_logs(&a, &b, next_stanza(&mut bob, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("welcome, bob"));
    let Stanza::Message(m) = &got else { unreachable!() };
    assert_eq!(
        m.from.as_ref().map(|f| f.to_string()).as_deref(),
        Some("den@conference.a.test/alice")
    );
    bob.send_stanza(groupchat("thanks")).await.unwrap();
    let got = next_stanza(&mut alice, |s| body_of(s).as_deref() == Some("thanks")).await;
    let Stanza::Message(m) = &got else { unreachable!() };
    assert_eq!(
        m.from.as_ref().map(|f| f.to_string()).as_deref(),
        Some("den@conference.a.test/bob")
    );

    // A mediated invitation (XEP-0045 §7.8.2) to another user of b.test goes through the
    // room to that user's server.
    assert!(b.cli(&["register", "carol@b.test", "pw"]).status.success());
    let (mut carol, _) = available(&b, "carol@b.test").await;
    let invite: Element = "<message xmlns='jabber:client' to='den@conference.a.test'>\
        <x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@b.test'/></x></message>"
        .parse()
        .unwrap();
    alice
        .send_stanza(Stanza::Message(invite.try_into().unwrap()))
        .await
        .unwrap();
    let got = arrives_or_logs(&a, &b, next_stanza(&mut carol, |s| matches!(s, Stanza::Message(_)))).await;
    let Stanza::Message(m) = &got else { unreachable!() };
    assert_eq!(
        m.from.as_ref().map(|f| f.to_string()).as_deref(),
        Some("den@conference.a.test")
    );
    let x = m
        .payloads
        .iter()
        .find(|p| p.is("x", "http://jabber.org/protocol/muc#user"))
        .expect("the invitation");
    let from = x
        .get_child("invite", "http://jabber.org/protocol/muc#user")
        .and_then(|i| i.attr("from"));
    assert!(from.is_some_and(|f| f.starts_with("alice@a.test")), "{x:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_stanzas_connection_floods_silent_tls_and_refused_domains_are_cut_off() {
    let [port, peer] = free_ports();
    let server = TestServer::start_with(|data| {
        config(
            data,
            "a.test",
            port,
            ("b.test", peer),
            SECRET_A,
            "use_starttls = \"optional\"\nhost_policy = [{host = \"spam.example\", policy = \"deny\"}]\n",
        )
        .replace(
            "[[listen.s2s]]\nport",
            "[[listen.s2s]]\nmax_stanza_size = 1024\nmax_connections_per_ip = 3\nnegotiation_timeout = 2\nport",
        )
    });

    // A refused domain asking to be authenticated by dialback.
    let mut raw = Raw::opened(&server, "spam.example", "a.test").await;
    raw.send("<db:result from='spam.example' to='a.test'>k</db:result>")
        .await;
    let read = raw.until("</db:result>").await;
    assert!(read.contains("type='error'") && read.contains("<forbidden"), "{read}");

    // A stanza larger than max_stanza_size, even before authenticating.
    let mut raw = Raw::opened(&server, "b.test", "a.test").await;
    raw.send(&format!(
        "<message to='alice@a.test'><body>{}</body></message>",
        "x".repeat(2000)
    ))
    .await;
    assert!(
        raw.until("</stream:stream>").await.contains("<policy-violation"),
        "{}",
        raw.read
    );

    // More connections from one address than the listener takes: the extra ones are closed
    // at once, the others still served.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(Raw::connect(&server).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = Raw::connect(&server).await;
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(5), extra.tcp.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the fourth connection is closed: {closed:?}"
    );
    drop(held);

    // A peer that opens a stream and then says nothing is cut off after negotiation_timeout.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut silent = Raw::connect(&server).await;
    silent.send(&header("b.test", "a.test")).await;
    let started = std::time::Instant::now();
    assert!(
        silent.until("</stream:stream>").await.contains("<connection-timeout"),
        "{}",
        silent.read
    );
    assert!(started.elapsed() < Duration::from_secs(5), "cut off after about 2 s");

    // A peer that starts TLS and never finishes the handshake is dropped too.
    let mut stalled = Raw::opened(&server, "b.test", "a.test").await;
    stalled
        .send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        .await;
    stalled.until("<proceed").await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 64];
        loop {
            match stalled.tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "a stalled TLS handshake ends with the negotiation deadline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_node_of_a_cluster_sends_to_another_server_and_any_node_verifies_its_dialback_keys() {
    use crate::common::nats::PrivateNats;
    let pg_url = crate::common::postgres::shared()
        .fresh_database()
        .expect("a test database");
    let nats = PrivateNats::start();
    let [p0, p1, pb] = free_ports();
    // Two nodes of a.test, each with its own s2s port; b.test knows only node0's, so its
    // dialback callbacks for keys node1 made reach node0, and what it sends to alice
    // arrives there.
    let node = |i: usize, port: u16| {
        let (pg_url, nats_url) = (pg_url.clone(), nats.url());
        TestServer::start_with(move |data| {
            let cluster = format!(
                "\n[storage.postgres]\nurl = \"{pg_url}\"\npool_size = 4\nnode_id = {i}\n\n\
                 [cluster]\nnats_url = \"{nats_url}\"\nnode = \"node{i}\"\nheartbeat_ms = 100\npeer_timeout_ms = 1000\n"
            );
            config(
                data,
                "a.test",
                port,
                ("b.test", pb),
                SECRET_A,
                "use_starttls = \"required\"\n",
            )
            .replacen("[general]\n", "[general]\nstorage = \"postgres\"\n", 1)
                + &cluster
        })
    };
    let node0 = node(0, p0);
    let node1 = node(1, p1);
    let b = TestServer::start_with(|data| {
        config(
            data,
            "b.test",
            pb,
            ("a.test", p0),
            SECRET_B,
            "use_starttls = \"required\"\n",
        )
    });
    assert!(node0.cli(&["register", "alice@a.test", "pw"]).status.success());
    assert!(b.cli(&["register", "bob@b.test", "pw"]).status.success());
    // The nodes hear each other's heartbeats every 100 ms.
    tokio::time::sleep(Duration::from_millis(800)).await;

    let (mut alice, alice_jid) = available(&node1, "alice@a.test").await;
    let (mut bob, _) = available(&b, "bob@b.test").await;
    alice.send_stanza(chat("bob@b.test", "from node1")).await.unwrap();
    let got = arrives_or_logs(&node1, &b, next_stanza(&mut bob, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("from node1"));
    bob.send_stanza(chat(&alice_jid.to_string(), "back through node0"))
        .await
        .unwrap();
    let got = arrives_or_logs(&node0, &b, next_stanza(&mut alice, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("back through node0"));
    drop(nats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_senders_get_offline_storage_and_blocking_and_iqs_to_the_other_server_are_answered() {
    let (a, b) = plain_pair();
    let (mut alice, _) = available(&a, "alice@a.test").await;

    // Bob is offline: his server holds alice's message until he logs in.
    alice
        .send_stanza(chat("bob@b.test", "while you were away"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (mut bob, _) = available(&b, "bob@b.test").await;
    let got = arrives_or_logs(&a, &b, next_stanza(&mut bob, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("while you were away"));

    // A ping and a disco#info query to the other server itself are answered by it.
    for (id, payload) in [
        ("p1", "<ping xmlns='urn:xmpp:ping'/>"),
        ("d1", "<query xmlns='http://jabber.org/protocol/disco#info'/>"),
    ] {
        let iq: Element = format!("<iq xmlns='jabber:client' type='get' id='{id}' to='b.test'>{payload}</iq>")
            .parse()
            .unwrap();
        alice.send_stanza(Stanza::Iq(iq.try_into().unwrap())).await.unwrap();
        let answer = arrives_or_logs(
            &a,
            &b,
            next_stanza(&mut alice, |s| matches!(s, Stanza::Iq(iq) if iq.id() == id)),
        )
        .await;
        assert!(
            matches!(&answer, Stanza::Iq(tokio_xmpp::parsers::iq::Iq::Result { from: Some(f), .. }) if f.to_string() == "b.test"),
            "{answer:?}"
        );
    }

    // Bob blocks alice: her next message is refused by his server.
    let block: Element = "<iq xmlns='jabber:client' type='set' id='b1'><block xmlns='urn:xmpp:blocking'>\
                          <item jid='alice@a.test'/></block></iq>"
        .parse()
        .unwrap();
    bob.send_stanza(Stanza::Iq(block.try_into().unwrap())).await.unwrap();
    next_stanza(&mut bob, |s| matches!(s, Stanza::Iq(iq) if iq.id() == "b1")).await;
    alice.send_stanza(chat("bob@b.test", "let me in")).await.unwrap();
    let refused = arrives_or_logs(
        &a,
        &b,
        next_stanza(
            &mut alice,
            |s| matches!(s, Stanza::Message(m) if m.type_ == tokio_xmpp::parsers::message::MessageType::Error),
        ),
    )
    .await;
    let Stanza::Message(m) = refused else { unreachable!() };
    let error = m.payloads.iter().find(|p| p.name() == "error").expect("an error");
    assert!(error.children().any(|c| c.name() == "service-unavailable"), "{error:?}");
    assert!(
        !crate::common::xmpp::arrives(&mut bob, Duration::from_millis(500), |s| body_of(s).is_some()).await,
        "bob gets nothing from alice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_server_that_accepts_and_never_answers_slows_nobody_else() {
    // hang.test's "server" accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let [pa, pb] = free_ports();
    let a = TestServer::start_with(|data| {
        config(
            data,
            "a.test",
            pa,
            ("b.test", pb),
            SECRET_A,
            "use_starttls = \"optional\"\n",
        )
        .replace(
            "  address = [",
            &format!("  address = [{{host = \"hang.test\", ip_address = \"127.0.0.1\", port = {silent_port}}}, "),
        )
    });
    let b = TestServer::start_with(|data| {
        config(
            data,
            "b.test",
            pb,
            ("a.test", pa),
            SECRET_B,
            "use_starttls = \"optional\"\n",
        )
    });
    assert!(a.cli(&["register", "alice@a.test", "pw"]).status.success());
    assert!(b.cli(&["register", "bob@b.test", "pw"]).status.success());
    let (mut alice, _) = available(&a, "alice@a.test").await;
    let (mut bob, _) = available(&b, "bob@b.test").await;
    for i in 0..20 {
        alice
            .send_stanza(chat("rita@hang.test", &format!("stuck {i}")))
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    alice.send_stanza(chat("bob@b.test", "through")).await.unwrap();
    let got = arrives_or_logs(&a, &b, next_stanza(&mut bob, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("through"));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // Nothing came back for the stuck ones yet: they wait for the stream to hang.test.
    assert!(
        !crate::common::xmpp::arrives(
            &mut alice,
            Duration::from_millis(300),
            |s| matches!(s, Stanza::Message(m) if m.type_ == tokio_xmpp::parsers::message::MessageType::Error)
        )
        .await
    );
    keep.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_reach_each_other_over_tls_from_the_first_byte() {
    let [pa, pb] = free_ports();
    let direct = |data: &Path, domain: &str, port: u16, peer: (&str, u16), secret: &str| {
        config(data, domain, port, peer, secret, "use_starttls = \"required\"\n")
            .replace("[[listen.s2s]]\n", "[[listen.s2s]]\ntls.mode = \"tls\"\n")
            .replace(
                "ip_address = \"127.0.0.1\", port",
                "ip_address = \"127.0.0.1\", tls = true, port",
            )
    };
    let a = TestServer::start_with(|data| direct(data, "a.test", pa, ("b.test", pb), SECRET_A));
    let b = TestServer::start_with(|data| direct(data, "b.test", pb, ("a.test", pa), SECRET_B));
    for (s, user) in [(&a, "alice@a.test"), (&b, "bob@b.test")] {
        assert!(s.cli(&["register", user, "pw"]).status.success());
    }
    assert!(
        a.log().contains("kind=s2s") && a.log().contains("tls=tls"),
        "{}",
        a.log()
    );
    chat_both_ways(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muc_light_room_takes_a_member_from_another_server_who_reads_and_writes_in_it() {
    use meerkat_client_api::models::{RoomInvite, RoomMessage, RoomRequest};
    use meerkat_client_api::{
        ApiNoContext as _, CreateRoomResponse, GetRoomMessagesResponse, InviteToRoomResponse, SendRoomMessageResponse,
    };
    let [pa, pb] = free_ports();
    // MUC Light's service domain needs a route too.
    let a = TestServer::start_with(|data| {
        config(
            data,
            "a.test",
            pa,
            ("b.test", pb),
            SECRET_A,
            "use_starttls = \"required\"\n",
        )
    });
    let b = TestServer::start_with(|data| {
        config(
            data,
            "b.test",
            pb,
            ("a.test", pa),
            SECRET_B,
            "use_starttls = \"required\"\n",
        )
        .replace(
            "  address = [",
            &format!("  address = [{{host = \"muclight.a.test\", ip_address = \"127.0.0.1\", port = {pa}}}, "),
        )
    });
    assert!(a.cli(&["register", "alice@a.test", "pw"]).status.success());
    assert!(b.cli(&["register", "bob@b.test", "pw"]).status.success());
    let alice = a.client_as("alice@a.test", "pw");
    let (mut bob, _) = available(&b, "bob@b.test").await;

    let id = match alice
        .create_room(RoomRequest::new("Burrow".into(), "Across servers".into()), None)
        .await
        .unwrap()
    {
        CreateRoomResponse::RoomCreated(r) => r.id,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        alice
            .invite_to_room(id.clone(), RoomInvite::new("bob@b.test".into()))
            .await
            .unwrap(),
        InviteToRoomResponse::UserInvited
    );
    let room = format!("{id}@muclight.a.test");
    let mut m = RoomMessage::new();
    m.body = Some("hello, bob".into());
    assert!(matches!(
        alice.send_room_message(id.clone(), m, None).await.unwrap(),
        SendRoomMessageResponse::MessageSent(_)
    ));
    let got = arrives_or_logs(
        &a,
        &b,
        next_stanza(&mut bob, |s| body_of(s).as_deref() == Some("hello, bob")),
    )
    .await;
    let Stanza::Message(m) = &got else { unreachable!() };
    assert_eq!(
        m.from.as_ref().map(|f| f.to_string()),
        Some(format!("{room}/alice@a.test"))
    );

    let reply: Element =
        format!("<message xmlns='jabber:client' to='{room}' type='groupchat' id='r1'><body>hi from b</body></message>")
            .parse()
            .unwrap();
    bob.send_stanza(Stanza::Message(reply.try_into().unwrap()))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let events = match alice
            .get_room_messages(id.clone(), None, None, None, None)
            .await
            .unwrap()
        {
            GetRoomMessagesResponse::ArchivedRoomEvents(e) => e,
            other => panic!("{other:?}"),
        };
        if events
            .iter()
            .any(|e| e.from == "bob@b.test" && e.body.as_deref() == Some("hi from b"))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's message is not in the room: {events:?}\n--- a.test ---\n{}\n--- b.test ---\n{}",
            a.log(),
            b.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_with_names_in_other_scripts_chat_across_servers() {
    let required = |_: &Path| "use_starttls = \"required\"\n".to_owned();
    let (a, b) = pair(required, required);
    for (s, user) in [(&a, "李@a.test"), (&b, "Дмитрий@b.test")] {
        let out = s.cli(&["register", user, "pw"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (mut li, li_jid) = available(&a, "李@a.test").await;
    let (mut dmitry, dmitry_jid) = available(&b, "дмитрий@b.test").await;
    li.send_stanza(chat("ДМИТРИЙ@b.test", "你好")).await.unwrap();
    let got = arrives_or_logs(&a, &b, next_stanza(&mut dmitry, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("你好"));
    let Stanza::Message(m) = &got else { unreachable!() };
    assert_eq!(m.from.as_ref().map(|f| f.to_string()), Some(li_jid.to_string()));
    dmitry.send_stanza(chat("李@a.test", "привет")).await.unwrap();
    let got = arrives_or_logs(&a, &b, next_stanza(&mut li, |s| body_of(s).is_some())).await;
    assert_eq!(body_of(&got).as_deref(), Some("привет"));
    let Stanza::Message(m) = &got else { unreachable!() };
    assert_eq!(m.from.as_ref().map(|f| f.to_string()), Some(dmitry_jid.to_string()));
}

//! The third-party servers the federation tests talk to (common/peers.rs): each starts in
//! a temp dir, takes an account and a client, serves its MUC service, and Prosody and
//! ejabberd federate with each other over loopback: with certificates from one test CA
//! (SASL EXTERNAL both ways), and over dialback with certificates nobody trusts. What
//! works here between the two is what meerkat's side of s2s is held to.

use crate::common::peers::{free_port, Peer, PeerKind, PeerOptions, PeerTls};
use crate::common::test_ca::TestCa;
use crate::common::xmpp::Client;
use futures::StreamExt;
use std::time::Duration;
use tokio_xmpp::parsers::disco::{DiscoInfoQuery, DiscoInfoResult};
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::message::{Lang, Message, MessageType};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::{Event, IqRequest, IqResponse, Stanza};

/// How long a message may take to cross: the first one also opens the s2s link.
const DELIVERY: Duration = Duration::from_secs(20);

fn started(kind: PeerKind, opts: PeerOptions) -> Peer {
    Peer::start(kind, opts).unwrap_or_else(|e| panic!("{e}"))
}

fn chat(to: &str, body: &str) -> Stanza {
    let mut m = Message::new(Some(to.parse::<Jid>().expect("a JID")));
    m.type_ = MessageType::Chat;
    m.bodies.insert(Lang::default(), body.into());
    m.into()
}

/// The next message with a body (or an error) within `wait`.
async fn next_message(client: &mut Client, wait: Duration) -> Option<Message> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, client.next()).await {
            Ok(Some(Event::Stanza(Stanza::Message(m)))) if !m.bodies.is_empty() || m.type_ == MessageType::Error => {
                return Some(m)
            }
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return None,
        }
    }
}

fn body(m: &Message) -> &str {
    m.bodies.values().next().map(|b| b.as_str()).unwrap_or_default()
}

/// Starts a `kind` peer, registers alice, logs her in and asks the MUC service what it is.
async fn a_client_logs_in_and_finds_the_muc_service(kind: PeerKind) {
    let certs = tempfile::tempdir().expect("a temp dir");
    let domain = "peer.test";
    let tls = PeerTls::unverified(domain, certs.path()).expect("a certificate");
    let peer = started(kind, PeerOptions::new(domain, tls));
    peer.register("alice", "secret").unwrap_or_else(|e| panic!("{e}"));
    let (mut alice, bound) = peer.online("alice", "secret").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bound.to_bare().to_string(), "alice@peer.test");

    if let Err(e) = is_a_muc_service(&mut alice, &peer.muc_domain()).await {
        panic!("{e}\n{}", peer.log());
    }
    alice.send_end().await.expect("a clean close");
}

/// Asks `service` for its disco#info (within `DELIVERY`): a MUC service, or why not.
async fn is_a_muc_service(client: &mut Client, service: &str) -> Result<(), String> {
    let info = client
        .send_iq(
            Some(service.parse().expect("a JID")),
            IqRequest::Get(DiscoInfoQuery { node: None }.into()),
        )
        .await;
    let info = tokio::time::timeout(DELIVERY, info)
        .await
        .map_err(|_| format!("no disco#info answer from {service} within {} s", DELIVERY.as_secs()))?
        .map_err(|e| format!("disco#info of {service}: {e:?}"))?;
    let IqResponse::Result(Some(payload)) = info else {
        return Err(format!("disco#info of {service}: {info:?}"));
    };
    let info = DiscoInfoResult::try_from(payload).map_err(|e| format!("disco#info of {service}: {e}"))?;
    let conference = info
        .identities
        .iter()
        .any(|i| i.category == "conference" && i.type_ == "text");
    let muc = info.features.iter().any(|f| f == "http://jabber.org/protocol/muc");
    if conference && muc {
        Ok(())
    } else {
        Err(format!("{service} is no MUC service: {info:?}"))
    }
}

#[tokio::test]
async fn prosody_takes_an_account_a_client_and_serves_muc() {
    a_client_logs_in_and_finds_the_muc_service(PeerKind::Prosody).await;
}

#[tokio::test]
async fn ejabberd_takes_an_account_a_client_and_serves_muc() {
    a_client_logs_in_and_finds_the_muc_service(PeerKind::Ejabberd).await;
}

/// Prosody (alice@prosody.test) and ejabberd (bob@ejabberd.test), each routed to the
/// other's s2s port, with certificates from `tls`.
struct Pair {
    prosody: Peer,
    ejabberd: Peer,
    alice: Client,
    bob: Client,
    _certs: tempfile::TempDir,
}

#[derive(Clone, Copy)]
enum Trust {
    /// Both certificates from one CA both trust; both require authenticated links.
    OneCa,
    /// Both self-signed; both accept dialback.
    Nobody,
    /// Prosody's from the CA and requiring authenticated links; ejabberd's self-signed.
    ProsodyOnly,
}

async fn pair(trust: Trust) -> Pair {
    let certs = tempfile::tempdir().expect("a temp dir");
    let ca = TestCa::new().expect("a test CA");
    let verified = |domain: &str| PeerTls::verified(&ca, domain, certs.path()).expect("a certificate");
    let unverified = |domain: &str| PeerTls::unverified(domain, certs.path()).expect("a certificate");
    let (prosody_tls, ejabberd_tls) = match trust {
        Trust::OneCa => (verified("prosody.test"), verified("ejabberd.test")),
        Trust::Nobody => (unverified("prosody.test"), unverified("ejabberd.test")),
        Trust::ProsodyOnly => (verified("prosody.test"), unverified("ejabberd.test")),
    };
    let (prosody_s2s, ejabberd_s2s) = (free_port(), free_port());
    let prosody = started(
        PeerKind::Prosody,
        PeerOptions::new("prosody.test", prosody_tls)
            .s2s_port(prosody_s2s)
            .route("ejabberd.test", ejabberd_s2s),
    );
    let ejabberd = started(
        PeerKind::Ejabberd,
        PeerOptions::new("ejabberd.test", ejabberd_tls)
            .s2s_port(ejabberd_s2s)
            .route("prosody.test", prosody_s2s),
    );
    prosody.register("alice", "secret").unwrap_or_else(|e| panic!("{e}"));
    ejabberd.register("bob", "secret").unwrap_or_else(|e| panic!("{e}"));
    let (mut alice, _) = prosody
        .online("alice", "secret")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (mut bob, _) = ejabberd.online("bob", "secret").await.unwrap_or_else(|e| panic!("{e}"));
    // Available, so that chat messages to their bare JIDs are delivered, not stored.
    for client in [&mut alice, &mut bob] {
        client
            .send_stanza(Presence::new(PresenceType::None).into())
            .await
            .expect("presence sent");
    }
    Pair {
        prosody,
        ejabberd,
        alice,
        bob,
        _certs: certs,
    }
}

impl Pair {
    fn logs(&self) -> String {
        format!("{}\n{}", self.prosody.log(), self.ejabberd.log())
    }

    /// alice writes to bob, then bob to alice; each message arrives from the other server.
    async fn exchange_messages(&mut self) {
        self.alice
            .send_stanza(chat("bob@ejabberd.test", "hello from Prosody"))
            .await
            .expect("sent");
        let m = match next_message(&mut self.bob, DELIVERY).await {
            Some(m) if m.type_ == MessageType::Chat => m,
            other => panic!("bob got no chat message: {other:?}\n{}", self.logs()),
        };
        assert_eq!(body(&m), "hello from Prosody");
        assert_eq!(
            m.from.map(|j| j.to_bare().to_string()).as_deref(),
            Some("alice@prosody.test")
        );

        self.bob
            .send_stanza(chat("alice@prosody.test", "hello from ejabberd"))
            .await
            .expect("sent");
        let m = match next_message(&mut self.alice, DELIVERY).await {
            Some(m) if m.type_ == MessageType::Chat => m,
            other => panic!("alice got no chat message: {other:?}\n{}", self.logs()),
        };
        assert_eq!(body(&m), "hello from ejabberd");
        assert_eq!(
            m.from.map(|j| j.to_bare().to_string()).as_deref(),
            Some("bob@ejabberd.test")
        );
    }

    async fn assert_logged(&self, peer: &Peer, line: &str) {
        if !peer.logged(line, Duration::from_secs(5)).await {
            panic!("{} never logged {line:?}\n{}", peer.kind, self.logs());
        }
    }
}

#[tokio::test]
async fn prosody_and_ejabberd_exchange_messages_over_certificate_authenticated_s2s() {
    let mut pair = pair(Trust::OneCa).await;
    pair.exchange_messages().await;
    // Each side verified the other's certificate and took SASL EXTERNAL; no dialback.
    pair.assert_logged(&pair.prosody, "Accepting SASL EXTERNAL identity from ejabberd.test")
        .await;
    pair.assert_logged(
        &pair.ejabberd,
        "Accepted inbound s2s EXTERNAL authentication prosody.test -> ejabberd.test",
    )
    .await;
    pair.assert_logged(
        &pair.ejabberd,
        "Accepted outbound s2s EXTERNAL authentication ejabberd.test -> prosody.test",
    )
    .await;
}

#[tokio::test]
async fn each_reaches_the_others_muc_service_through_the_route_of_its_domain() {
    // conference.<domain> has no route of its own; its parent domain's is used, and the
    // answer comes over a link from conference.<domain>, named by the wildcard in the
    // certificate.
    let mut pair = pair(Trust::OneCa).await;
    if let Err(e) = is_a_muc_service(&mut pair.alice, "conference.ejabberd.test").await {
        panic!("alice: {e}\n{}", pair.logs());
    }
    if let Err(e) = is_a_muc_service(&mut pair.bob, "conference.prosody.test").await {
        panic!("bob: {e}\n{}", pair.logs());
    }
}

#[tokio::test]
async fn prosody_and_ejabberd_exchange_messages_over_dialback_on_untrusted_tls() {
    let mut pair = pair(Trust::Nobody).await;
    pair.exchange_messages().await;
    pair.assert_logged(
        &pair.ejabberd,
        "Accepted inbound s2s dialback authentication prosody.test -> ejabberd.test",
    )
    .await;
    pair.assert_logged(
        &pair.ejabberd,
        "Accepted outbound s2s dialback authentication ejabberd.test -> prosody.test",
    )
    .await;
}

#[tokio::test]
async fn a_peer_requiring_authentication_refuses_a_server_it_cannot_verify() {
    let mut pair = pair(Trust::ProsodyOnly).await;
    pair.bob
        .send_stanza(chat("alice@prosody.test", "let me in"))
        .await
        .expect("sent");
    let m = match next_message(&mut pair.bob, DELIVERY).await {
        Some(m) if m.type_ == MessageType::Error => m,
        other => panic!("bob got no error back: {other:?}\n{}", pair.logs()),
    };
    assert_eq!(m.from.map(|j| j.to_string()).as_deref(), Some("alice@prosody.test"));
    assert!(
        next_message(&mut pair.alice, Duration::from_secs(1)).await.is_none(),
        "the message reached alice"
    );
    pair.assert_logged(
        &pair.prosody,
        "Forbidding insecure connection to/from ejabberd.test because its certificate is not trusted",
    )
    .await;
}

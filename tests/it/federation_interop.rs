//! meerkat federating with real servers of other makes (common/peers.rs): Prosody 0.12 and
//! ejabberd 23.01, each serving a domain of its own on loopback. Over certificates from one
//! test CA that both sides require (SASL EXTERNAL), and over dialback with certificates
//! nobody trusts: messages both ways, the subscription handshake both ways, a remote
//! occupant in a room on each side, meerkat's archive listing the conversation, and a REST
//! send to the remote user.

use crate::common::peers::{free_port, Peer, PeerKind, PeerOptions, PeerTls};
use crate::common::test_ca::TestCa;
use crate::common::xmpp::{roster_of, Client};
use crate::common::TestServer;
use crate::federation::{available, body_of, certified, chat, config, SECRET_A};
use futures::StreamExt;
use meerkat_client_api::models::{ContactAction, ContactActionType, MessageRequest, Subscription};
use meerkat_client_api::{
    ApiNoContext as _, GetMessagesWithResponse, ListContactsResponse, ManageContactResponse, SendMessageResponse,
};
use std::time::Duration;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::{Event, Stanza};

const MEERKAT: &str = "meerkat.test";
/// How long something may take to cross: the first stanza also opens the s2s link (and,
/// with dialback, the callback).
const CROSSING: Duration = Duration::from_secs(20);

struct World {
    meerkat: TestServer,
    peer: Peer,
    /// Keeps the certificates.
    _certs: tempfile::TempDir,
}

impl World {
    fn logs(&self) -> String {
        format!("--- meerkat ---\n{}\n{}", self.meerkat.log(), self.peer.log())
    }

    /// The next stanza `want` accepts within [`CROSSING`], or a failure with both logs.
    async fn next(&self, client: &mut Client, what: &str, mut want: impl FnMut(&Stanza) -> bool) -> Stanza {
        let deadline = tokio::time::Instant::now() + CROSSING;
        loop {
            match tokio::time::timeout_at(deadline, client.next()).await {
                Ok(Some(Event::Stanza(s))) if want(&s) => return s,
                Ok(Some(_)) => continue,
                Ok(None) => panic!("the client's stream ended waiting for {what}\n{}", self.logs()),
                Err(_) => panic!("no {what} within {CROSSING:?}\n{}", self.logs()),
            }
        }
    }
}

/// meerkat on `meerkat.test` and a `kind` peer, routing to each other; `verified`: both
/// show certificates from one CA and require the other's to verify.
fn world(kind: PeerKind, verified: bool) -> World {
    let domain = match kind {
        PeerKind::Prosody => "prosody.test",
        PeerKind::Ejabberd => "ejabberd.test",
    };
    let certs = tempfile::tempdir().expect("a temp dir");
    let ca = TestCa::new().expect("a CA");
    let (meerkat_port, peer_port) = (free_port(), free_port());
    let tls = if verified {
        PeerTls::verified(&ca, domain, certs.path())
    } else {
        PeerTls::unverified(domain, certs.path())
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let peer = Peer::start(
        kind,
        PeerOptions::new(domain, tls)
            .route(MEERKAT, meerkat_port)
            .s2s_port(peer_port),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ca_file = ca.write_cert(certs.path()).expect("the CA file");
    let meerkat_cert = ca.issue(MEERKAT).expect("a certificate");
    let meerkat = TestServer::start_with(|data| {
        let tls = if verified {
            certified(data.parent().unwrap(), &ca_file, &meerkat_cert, "required_trusted")
        } else {
            // The generated self-signed certificate: dialback does the work.
            "use_starttls = \"required\"\n".to_owned()
        };
        config(data, MEERKAT, meerkat_port, (domain, peer_port), SECRET_A, &tls)
    });
    let out = meerkat.cli(&["register", "alice@meerkat.test", "pw"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    peer.register("bob", "pw").unwrap_or_else(|e| panic!("{e}"));
    World {
        meerkat,
        peer,
        _certs: certs,
    }
}

fn stanza(xml: &str) -> Stanza {
    let el: Element = xml.parse().unwrap_or_else(|e| panic!("{e}: {xml}"));
    Stanza::try_from(el).expect("a stanza")
}

fn presence_of(s: &Stanza, kind: PresenceType, from_prefix: &str) -> bool {
    matches!(s, Stanza::Presence(p) if p.type_ == kind
        && p.from.as_ref().is_some_and(|f| f.to_string().starts_with(from_prefix)))
}

/// Joins `room` (a full occupant JID) and waits for the room to list the joiner itself.
async fn join(w: &World, client: &mut Client, occupant: &str) {
    client
        .send_stanza(stanza(&format!(
            "<presence xmlns='jabber:client' to='{occupant}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        )))
        .await
        .unwrap();
    let entered = w
        .next(
            client,
            &format!("the presence of {occupant}"),
            |s| matches!(s, Stanza::Presence(p) if p.from.as_ref().is_some_and(|f| f.to_string() == occupant)),
        )
        .await;
    assert!(
        matches!(&entered, Stanza::Presence(p) if p.type_ == PresenceType::None),
        "{occupant} entered: {entered:?}\n{}",
        w.logs()
    );
}

/// Creates `room` by joining it, and opens it at once (an instant room, XEP-0045
/// §10.1.2), as its owner.
async fn create_room(w: &World, client: &mut Client, room: &str, nick: &str) {
    join(w, client, &format!("{room}/{nick}")).await;
    client
        .send_stanza(stanza(&format!(
            "<iq xmlns='jabber:client' type='set' id='instant' to='{room}'>\
             <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"
        )))
        .await
        .unwrap();
    let answer = w
        .next(client, "the room configuration's answer", |s| {
            matches!(s, Stanza::Iq(_))
        })
        .await;
    assert!(
        matches!(&answer, Stanza::Iq(tokio_xmpp::parsers::iq::Iq::Result { .. })),
        "{answer:?}"
    );
}

fn groupchat(room: &str, body: &str) -> Stanza {
    stanza(&format!(
        "<message xmlns='jabber:client' to='{room}' type='groupchat'><body>{body}</body></message>"
    ))
}

async fn everything_federates(kind: PeerKind, verified: bool) {
    let w = world(kind, verified);
    let bob_jid = w.peer.jid("bob");
    let (mut alice, alice_full) = available(&w.meerkat, "alice@meerkat.test").await;
    let (mut bob, _) = w.peer.online("bob", "pw").await.unwrap_or_else(|e| panic!("{e}"));
    // Bob's client asks for its roster: an "interested resource" (RFC 6121 §2.1.6), to
    // which his server forwards subscription approvals.
    roster_of(&mut bob).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    // Chat both ways.
    alice.send_stanza(chat(&bob_jid, "hello from meerkat")).await.unwrap();
    let got = w.next(&mut bob, "alice's message", |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("hello from meerkat"));
    let Stanza::Message(m) = &got else { unreachable!() };
    assert_eq!(m.from.as_ref().map(|f| f.to_string()), Some(alice_full.to_string()));
    bob.send_stanza(chat("alice@meerkat.test", "hello from the other side"))
        .await
        .unwrap();
    let got = w.next(&mut alice, "bob's message", |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("hello from the other side"));

    // A REST send reaches the remote user, and meerkat's archive lists the conversation.
    let rest = w.meerkat.client_as("alice@meerkat.test", "pw");
    let sent = rest
        .send_message(MessageRequest::new(bob_jid.clone(), "over rest".into()), None)
        .await
        .unwrap();
    assert!(matches!(sent, SendMessageResponse::MessageSent(_)), "{sent:?}");
    let got = w.next(&mut bob, "the REST message", |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("over rest"));
    let listed = match rest
        .get_messages_with(bob_jid.clone(), None, None, None, None)
        .await
        .unwrap()
    {
        GetMessagesWithResponse::ArchivedMessages(m) => m,
        other => panic!("{other:?}"),
    };
    let bodies: Vec<&str> = listed.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["hello from meerkat", "hello from the other side", "over rest"]);

    // Alice subscribes to bob over XMPP; bob approves.
    alice
        .send_stanza(stanza(&format!(
            "<presence xmlns='jabber:client' to='{bob_jid}' type='subscribe'/>"
        )))
        .await
        .unwrap();
    w.next(&mut bob, "alice's subscription request", |s| {
        presence_of(s, PresenceType::Subscribe, "alice@meerkat.test")
    })
    .await;
    bob.send_stanza(stanza(
        "<presence xmlns='jabber:client' to='alice@meerkat.test' type='subscribed'/>",
    ))
    .await
    .unwrap();
    // Alice hears bob's presence once subscribed (his server sends it on approval).
    w.next(&mut alice, "bob's presence", |s| {
        presence_of(s, PresenceType::None, &bob_jid)
    })
    .await;
    let contacts = match rest.list_contacts().await.unwrap() {
        ListContactsResponse::ContactList(list) => list,
        other => panic!("{other:?}"),
    };
    assert!(
        contacts
            .iter()
            .any(|c| c.jid == bob_jid && c.subscription == Subscription::To),
        "{contacts:?}"
    );

    // Bob subscribes to alice; she accepts over REST.
    bob.send_stanza(stanza(
        "<presence xmlns='jabber:client' to='alice@meerkat.test' type='subscribe'/>",
    ))
    .await
    .unwrap();
    w.next(&mut alice, "bob's subscription request", |s| {
        presence_of(s, PresenceType::Subscribe, &bob_jid)
    })
    .await;
    let accepted = rest
        .manage_contact(bob_jid.clone(), ContactAction::new(ContactActionType::Accept))
        .await
        .unwrap();
    assert_eq!(accepted, ManageContactResponse::ActionDone);
    w.next(&mut bob, "alice's approval", |s| {
        presence_of(s, PresenceType::Subscribed, "alice@meerkat.test")
    })
    .await;

    // Bob in a room of meerkat's.
    let room_here = "den@conference.meerkat.test";
    create_room(&w, &mut alice, room_here, "alice").await;
    join(&w, &mut bob, &format!("{room_here}/bob")).await;
    alice.send_stanza(groupchat(room_here, "welcome, bob")).await.unwrap();
    let got = w
        .next(&mut bob, "the room message", |s| {
            body_of(s).as_deref() == Some("welcome, bob")
        })
        .await;
    let Stanza::Message(m) = &got else { unreachable!() };
    assert_eq!(
        m.from.as_ref().map(|f| f.to_string()).as_deref(),
        Some("den@conference.meerkat.test/alice")
    );

    // Alice in a room of the other server's.
    let room_there = format!("lair@{}", w.peer.muc_domain());
    create_room(&w, &mut bob, &room_there, "bob").await;
    join(&w, &mut alice, &format!("{room_there}/alice")).await;
    bob.send_stanza(groupchat(&room_there, "welcome, alice")).await.unwrap();
    w.next(&mut alice, "the remote room's message", |s| {
        body_of(s).as_deref() == Some("welcome, alice")
    })
    .await;
    alice.send_stanza(groupchat(&room_there, "thanks")).await.unwrap();
    w.next(&mut bob, "alice's room message", |s| {
        body_of(s).as_deref() == Some("thanks")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meerkat_and_prosody_federate_over_certificates_from_a_ca_both_require() {
    everything_federates(PeerKind::Prosody, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meerkat_and_prosody_federate_over_dialback() {
    everything_federates(PeerKind::Prosody, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meerkat_and_ejabberd_federate_over_certificates_from_a_ca_both_require() {
    everything_federates(PeerKind::Ejabberd, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meerkat_and_ejabberd_federate_over_dialback() {
    everything_federates(PeerKind::Ejabberd, false).await;
}

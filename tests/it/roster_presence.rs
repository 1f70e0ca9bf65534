//! Rosters, subscriptions and presence over XMPP (RFC 6121), driven by tokio-xmpp.

use crate::common;
use crate::common::xmpp::{arrives, next_stanza, online, roster_of, Jid, Transport};
use crate::common::TestServer;
use std::time::Duration;
use tokio_xmpp::parsers::{
    iq::Iq,
    presence::{Presence, Type as PresenceType},
    roster::{Ask, Item, Roster, Subscription},
};
use tokio_xmpp::{IqRequest, IqResponse, Stanza};

fn item_for<'a>(items: &'a [Item], jid: &str) -> Option<&'a Item> {
    items.iter().find(|i| i.jid.to_string() == jid)
}

fn presence(kind: PresenceType, to: &str) -> Stanza {
    Presence::new(kind).with_to(to.parse::<Jid>().unwrap()).into()
}

fn is_presence(kind: PresenceType, from_bare: &str) -> impl FnMut(&Stanza) -> bool + '_ {
    move |s| matches!(s, Stanza::Presence(p) if p.type_ == kind && p.from.as_ref().is_some_and(|f| f.to_bare().to_string() == from_bare))
}

fn is_roster_push(jid: &str, sub: Subscription) -> impl FnMut(&Stanza) -> bool + '_ {
    move |s| match s {
        Stanza::Iq(Iq::Set { payload, .. }) => Roster::try_from(payload.clone())
            .ok()
            .and_then(|r| r.items.into_iter().next())
            .is_some_and(|i| i.jid.to_string() == jid && i.subscription == sub),
        _ => false,
    }
}

#[tokio::test]
async fn adding_a_contact_is_pushed_and_listed() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    assert!(roster_of(&mut alice).await.is_empty());

    let item = Item {
        jid: "bob@localhost".parse().unwrap(),
        name: Some("Bob".into()),
        subscription: Subscription::None,
        ask: Ask::None,
        groups: vec![tokio_xmpp::parsers::roster::Group("Friends".into())],
        approved: None,
    };
    let r = alice
        .send_iq(
            None,
            IqRequest::Set(
                Roster {
                    ver: None,
                    items: vec![item],
                }
                .into(),
            ),
        )
        .await
        .await
        .unwrap();
    assert!(matches!(r, IqResponse::Result(None)), "{r:?}");
    next_stanza(&mut alice, is_roster_push("bob@localhost", Subscription::None)).await;
    let items = roster_of(&mut alice).await;
    let bob = item_for(&items, "bob@localhost").expect("bob in the roster");
    assert_eq!(bob.name.as_deref(), Some("Bob"));
    assert_eq!(bob.groups.len(), 1);

    // Removal is pushed as subscription='remove'.
    let remove = Item {
        jid: "bob@localhost".parse().unwrap(),
        name: None,
        subscription: Subscription::Remove,
        ask: Ask::None,
        groups: vec![],
        approved: None,
    };
    alice
        .send_iq(
            None,
            IqRequest::Set(
                Roster {
                    ver: None,
                    items: vec![remove],
                }
                .into(),
            ),
        )
        .await
        .await
        .unwrap();
    next_stanza(&mut alice, is_roster_push("bob@localhost", Subscription::Remove)).await;
    assert!(roster_of(&mut alice).await.is_empty());
}

#[tokio::test]
async fn the_subscription_handshake_ends_with_both_sides_subscribed_and_presence_flowing() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    let (mut bob, _) = online(&server, "bob@localhost/b", "secret", Transport::DirectTls).await;
    roster_of(&mut alice).await;
    roster_of(&mut bob).await;
    alice
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    // Alice asks; her roster shows the pending request; Bob is asked.
    alice
        .send_stanza(presence(PresenceType::Subscribe, "bob@localhost"))
        .await
        .unwrap();
    next_stanza(&mut alice, is_roster_push("bob@localhost", Subscription::None)).await;
    next_stanza(&mut bob, is_presence(PresenceType::Subscribe, "alice@localhost")).await;
    assert_eq!(
        item_for(&roster_of(&mut alice).await, "bob@localhost").unwrap().ask,
        Ask::Subscribe
    );

    // Bob approves: Alice now has 'to', Bob 'from', and Alice sees Bob online.
    bob.send_stanza(presence(PresenceType::Subscribed, "alice@localhost"))
        .await
        .unwrap();
    next_stanza(&mut alice, is_presence(PresenceType::Subscribed, "bob@localhost")).await;
    next_stanza(&mut alice, is_presence(PresenceType::None, "bob@localhost")).await;
    assert_eq!(
        item_for(&roster_of(&mut alice).await, "bob@localhost")
            .unwrap()
            .subscription,
        Subscription::To
    );
    assert_eq!(
        item_for(&roster_of(&mut bob).await, "alice@localhost")
            .unwrap()
            .subscription,
        Subscription::From
    );

    // Bob asks back and Alice approves: both.
    bob.send_stanza(presence(PresenceType::Subscribe, "alice@localhost"))
        .await
        .unwrap();
    next_stanza(&mut alice, is_presence(PresenceType::Subscribe, "bob@localhost")).await;
    alice
        .send_stanza(presence(PresenceType::Subscribed, "bob@localhost"))
        .await
        .unwrap();
    next_stanza(&mut bob, is_presence(PresenceType::None, "alice@localhost")).await;
    assert_eq!(
        item_for(&roster_of(&mut alice).await, "bob@localhost")
            .unwrap()
            .subscription,
        Subscription::Both
    );
    assert_eq!(
        item_for(&roster_of(&mut bob).await, "alice@localhost")
            .unwrap()
            .subscription,
        Subscription::Both
    );

    // A presence change reaches the subscriber; going away sends unavailable.
    let mut away = Presence::new(PresenceType::None);
    away.show = Some(tokio_xmpp::parsers::presence::Show::Away);
    bob.send_stanza(away.into()).await.unwrap();
    next_stanza(&mut alice, |s| matches!(s, Stanza::Presence(p) if p.show.is_some())).await;
    bob.send_end().await.unwrap();
    next_stanza(&mut alice, is_presence(PresenceType::Unavailable, "bob@localhost")).await;
    alice.send_end().await.unwrap();
}

#[tokio::test]
async fn a_request_to_an_offline_user_survives_a_restart_and_waits_for_their_next_login() {
    let mut server = TestServer::start();
    server.register("alice", "secret").await;
    server.register("carol", "secret").await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    roster_of(&mut alice).await;
    alice
        .send_stanza(presence(PresenceType::Subscribe, "carol@localhost"))
        .await
        .unwrap();
    // The roster push means the request is stored.
    next_stanza(&mut alice, is_roster_push("carol@localhost", Subscription::None)).await;
    alice.send_end().await.unwrap();

    // The server is killed and restarted; Carol logs in later and is asked.
    server.restart();
    let (mut carol, _) = online(&server, "carol@localhost/c", "secret", Transport::StartTls).await;
    carol
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    next_stanza(&mut carol, is_presence(PresenceType::Subscribe, "alice@localhost")).await;
    // Denying it leaves Alice with no pending request.
    carol
        .send_stanza(presence(PresenceType::Unsubscribed, "alice@localhost"))
        .await
        .unwrap();
    // A stream's stanzas are handled in order: once a ping after it is answered, the
    // denial has been applied.
    assert_eq!(common::xmpp::ping_error(&mut carol, "localhost").await, None);
    let (mut alice, _) = online(&server, "alice@localhost/a2", "secret", Transport::StartTls).await;
    let items = roster_of(&mut alice).await;
    let carol_item = item_for(&items, "carol@localhost").unwrap();
    assert_eq!(
        (carol_item.subscription.clone(), carol_item.ask.clone()),
        (Subscription::None, Ask::None)
    );
    carol.send_end().await.unwrap();
    alice.send_end().await.unwrap();
}

#[tokio::test]
async fn without_a_subscription_presence_does_not_leak() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    server.register("mallory", "secret").await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    let (mut mallory, _) = online(&server, "mallory@localhost/m", "secret", Transport::StartTls).await;
    mallory
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    alice
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    assert!(
        !arrives(
            &mut mallory,
            Duration::from_millis(300),
            is_presence(PresenceType::None, "alice@localhost")
        )
        .await
    );
    // Directed presence is the exception, and its unavailable follows at logout.
    alice
        .send_stanza(presence(PresenceType::None, "mallory@localhost/m"))
        .await
        .unwrap();
    next_stanza(&mut mallory, is_presence(PresenceType::None, "alice@localhost")).await;
    alice.send_end().await.unwrap();
    next_stanza(&mut mallory, is_presence(PresenceType::Unavailable, "alice@localhost")).await;
    mallory.send_end().await.unwrap();
}

#[tokio::test]
async fn a_users_own_resources_see_each_other() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    let (mut phone, _) = online(&server, "alice@localhost/phone", "secret", Transport::StartTls).await;
    phone
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    let (mut laptop, _) = online(&server, "alice@localhost/laptop", "secret", Transport::StartTls).await;
    laptop
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    // Each learns of the other.
    next_stanza(&mut laptop, |s| matches!(s, Stanza::Presence(p) if p.from.as_ref().is_some_and(|f| f.to_string() == "alice@localhost/phone"))).await;
    next_stanza(&mut phone, |s| matches!(s, Stanza::Presence(p) if p.from.as_ref().is_some_and(|f| f.to_string() == "alice@localhost/laptop"))).await;
    laptop.send_end().await.unwrap();
    next_stanza(&mut phone, is_presence(PresenceType::Unavailable, "alice@localhost")).await;
    phone.send_end().await.unwrap();
}

/// Alice and Bob subscribed to each other, through REST invitations.
async fn befriend(server: &TestServer, a: &str, b: &str) {
    use meerkat_client_api::models::{ContactAction, ContactActionType, ContactRequest};
    use meerkat_client_api::{AddContactResponse, ApiNoContext as _, ManageContactResponse};
    let (a_rest, b_rest) = (server.client_as(a, "secret"), server.client_as(b, "secret"));
    for (asker, other, answerer, asker_jid) in [(&a_rest, b, &b_rest, a), (&b_rest, a, &a_rest, b)] {
        let added = asker.add_contact(ContactRequest::new(other.into())).await.unwrap();
        assert_eq!(added, AddContactResponse::ContactAdded);
        let invite = ContactAction::new(ContactActionType::Invite);
        let invited = asker.manage_contact(other.into(), invite).await.unwrap();
        assert_eq!(invited, ManageContactResponse::ActionDone);
        let accept = ContactAction::new(ContactActionType::Accept);
        let accepted = answerer.manage_contact(asker_jid.into(), accept).await.unwrap();
        assert_eq!(accepted, ManageContactResponse::ActionDone);
    }
}

/// The status of a presence from `from_bare`, available or not.
fn status_from(stanza: &Stanza, from_bare: &str) -> Option<(PresenceType, String)> {
    match stanza {
        Stanza::Presence(p) if p.from.as_ref().is_some_and(|f| f.to_bare().to_string() == from_bare) => {
            Some((p.type_.clone(), p.statuses.values().next().cloned().unwrap_or_default()))
        }
        _ => None,
    }
}

/// A client sending presence in a loop: its contacts get the burst, then about one a
/// second (`general.presence_burst`, `general.presence_rate`, 10 and 1 by default), and
/// the last state they see is the last one sent. Directed presence still goes at once.
#[tokio::test]
async fn a_presence_flood_reaches_contacts_shaped_and_ends_with_the_last_state() {
    use futures::StreamExt as _;
    use tokio_xmpp::Event;
    let server = TestServer::start();
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    befriend(&server, "alice@localhost", "bob@localhost").await;
    let (mut bob, _) = online(&server, "bob@localhost/b", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    let (mut carol, _) = online(&server, "carol@localhost/c", "secret", Transport::StartTls).await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    alice
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    next_stanza(&mut bob, is_presence(PresenceType::None, "alice@localhost")).await;

    let started = std::time::Instant::now();
    for i in 0..200 {
        let mut p = Presence::new(PresenceType::None);
        p.set_status("", format!("{i}"));
        alice.send_stanza(p.into()).await.unwrap();
    }
    // A directed presence behind the flood is not held back by it.
    let mut direct = Presence::new(PresenceType::None).with_to("carol@localhost/c".parse::<Jid>().unwrap());
    direct.set_status("", "direct");
    alice.send_stanza(direct.into()).await.unwrap();
    next_stanza(&mut carol, |s| {
        status_from(s, "alice@localhost").is_some_and(|(_, status)| status == "direct")
    })
    .await;
    let sent_within = started.elapsed();

    // Everything Bob gets from Alice until three quiet seconds.
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(3), bob.next()).await {
            Err(_) => break,
            Ok(Some(Event::Stanza(s))) => seen.extend(status_from(&s, "alice@localhost")),
            Ok(Some(_)) => {}
            Ok(None) => panic!("bob's stream ended"),
        }
    }
    let last = seen.last().cloned();
    assert_eq!(last, Some((PresenceType::None, "199".to_owned())), "{seen:?}");
    // The burst (the initial presence took one of its ten), one a second while Alice sent,
    // and the last one when the next token came.
    let allowed = 10 + sent_within.as_secs() as usize + 2;
    assert!(
        seen.len() <= allowed,
        "{} presences reached Bob (at most {allowed} allowed after {sent_within:?}): {seen:?}",
        seen.len()
    );
    assert!(seen.len() >= 9, "the burst went out at once: {seen:?}");

    // Going away is never lost behind the shaper either.
    alice.send_end().await.unwrap();
    next_stanza(&mut bob, is_presence(PresenceType::Unavailable, "alice@localhost")).await;
    bob.send_end().await.unwrap();
    carol.send_end().await.unwrap();
}

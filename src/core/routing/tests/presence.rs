//! Presence (RFC 6121 §3, §4): broadcasts, probes, directed presence, and the
//! subscription handshake with its pushes.

use super::*;
use crate::core::session::Outbound;

#[tokio::test]
async fn initial_presence_reaches_subscribers_and_own_resources_and_brings_theirs_back() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let mut bob = h.online("bob@localhost/b").await;
    let mut carol = h.online("carol@localhost/c").await;
    let mut alice_phone = h.online("alice@localhost/phone").await;
    let mut alice = h.bind("alice@localhost/laptop");
    bob.take();
    h.send(&alice, "<presence><status>here</status></presence>").await;
    let to_bob = bob.take_one();
    assert_eq!(to_bob.attr("from"), Some("alice@localhost/laptop"));
    assert_eq!(to_bob.attr("to"), Some("bob@localhost/b"));
    assert_eq!(alice_phone.take_one().attr("from"), Some("alice@localhost/laptop"));
    assert!(carol.take().is_empty(), "no subscription, no presence");
    let mut froms: Vec<String> = alice
        .take()
        .iter()
        .filter_map(|p| p.attr("from").map(str::to_owned))
        .collect();
    froms.sort();
    assert_eq!(froms, ["alice@localhost/phone", "bob@localhost/b"]);
}

#[tokio::test]
async fn a_broadcast_presence_is_one_shared_stanza_addressed_to_each_session() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    h.befriend("alice@localhost", "carol@localhost").await;
    let mut bob = h.online("bob@localhost/b").await;
    let mut carol = h.online("carol@localhost/c").await;
    let alice = h.bind("alice@localhost/a");
    bob.take();
    carol.take();
    h.send(&alice, "<presence><show>away</show></presence>").await;
    let (to_bob, to_carol) = (bob.take_queued(), carol.take_queued());
    let (Some(Outbound::Copy(b, _)), Some(Outbound::Copy(c, _))) = (to_bob.first(), to_carol.first()) else {
        panic!("not copies of a shared stanza: {to_bob:#?} {to_carol:#?}");
    };
    assert!(std::sync::Arc::ptr_eq(b, c), "both contacts' copies share one stanza");
    assert_eq!(to_bob[0].to_element().attr("to"), Some("bob@localhost/b"));
    assert_eq!(to_carol[0].to_element().attr("to"), Some("carol@localhost/c"));
    assert_eq!(to_carol[0].content().attr("from"), Some("alice@localhost/a"));
}

#[tokio::test]
async fn a_session_that_ends_tells_subscribers_and_those_it_sent_directed_presence_to() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let mut bob = h.online("bob@localhost/b").await;
    let mut carol = h.online("carol@localhost/c").await;
    let alice = h.online("alice@localhost/a").await;
    bob.take();
    h.send(&alice, "<presence to='carol@localhost/c'/>").await;
    assert_eq!(carol.take_one().attr("from"), Some("alice@localhost/a"));
    h.close(alice).await;
    for c in [&mut bob, &mut carol] {
        let p = c.take_one();
        assert_eq!(
            (p.attr("type"), p.attr("from")),
            (Some("unavailable"), Some("alice@localhost/a"))
        );
    }
}

#[tokio::test]
async fn presence_to_someone_who_does_not_exist_is_dropped_silently() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(&alice, "<presence to='nobody@localhost'/>").await;
    h.send(&alice, "<presence to='nobody@localhost' type='probe'/>").await;
    assert!(alice.take().is_empty());
}

#[tokio::test]
async fn the_subscription_handshake_pushes_every_change_to_interested_resources() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    for c in [&alice, &bob] {
        h.send(c, "<iq id='r' type='get'><query xmlns='jabber:iq:roster'/></iq>")
            .await;
    }
    alice.take();
    bob.take();
    h.send(&alice, "<presence to='bob@localhost' type='subscribe'/>").await;
    let pushes = alice.take();
    let item = pushes[0]
        .child("query", ns::ROSTER)
        .unwrap()
        .elements()
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        (item.attr("subscription"), item.attr("ask")),
        (Some("none"), Some("subscribe"))
    );
    let request = bob.take_one();
    assert_eq!(
        (request.attr("type"), request.attr("from")),
        (Some("subscribe"), Some("alice@localhost"))
    );
    h.send(&bob, "<presence to='alice@localhost' type='subscribed'/>").await;
    let bob_side = bob.take();
    assert!(
        bob_side.iter().any(|s| s.name == "iq"),
        "bob's roster gains alice (from)"
    );
    let alice_side = alice.take();
    assert!(alice_side
        .iter()
        .any(|s| s.name == "presence" && s.attr("type") == Some("subscribed")));
    assert!(
        alice_side
            .iter()
            .any(|s| s.name == "presence" && s.attr("from") == Some("bob@localhost/b")),
        "bob's presence flows once alice is subscribed"
    );
    let roster = h
        .stores
        .roster
        .roster_item("alice@localhost", "bob@localhost")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((roster.subscription, roster.ask_out), (Subscription::To, false));
}

#[tokio::test]
async fn a_request_to_someone_who_does_not_exist_is_answered_with_unsubscribed() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(&alice, "<presence to='nobody@localhost' type='subscribe'/>")
        .await;
    let answer = alice
        .take()
        .into_iter()
        .find(|s| s.name == "presence")
        .expect("an answer");
    assert_eq!(
        (answer.attr("type"), answer.attr("from")),
        (Some("unsubscribed"), Some("nobody@localhost"))
    );
    let item = h
        .stores
        .roster
        .roster_item("alice@localhost", "nobody@localhost")
        .await
        .unwrap()
        .unwrap();
    assert!(!item.ask_out, "the pending request was cancelled");
}

#[tokio::test]
async fn an_already_approved_request_is_answered_by_the_server_on_the_contacts_behalf() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    alice.take();
    bob.take();
    h.send(&alice, "<presence to='bob@localhost' type='subscribe'/>").await;
    assert!(bob.take().is_empty(), "bob is not asked again");
    // The server's `subscribed` changes nothing on alice's side (RFC 6121 3.1.6), but
    // bob's presence is sent again.
    let got = alice.take_one();
    assert_eq!(
        (got.name.as_str(), got.attr("from")),
        ("presence", Some("bob@localhost/b"))
    );
}

#[tokio::test]
async fn a_pending_request_waits_for_the_next_initial_presence() {
    let h = Harness::new(&["alice", "bob"]).await;
    let alice = h.online("alice@localhost/a").await;
    h.send(&alice, "<presence to='bob@localhost' type='subscribe'/>").await;
    let mut bob = h.bind("bob@localhost/b");
    h.send(&bob, "<presence/>").await;
    let got = bob.take();
    assert!(got
        .iter()
        .any(|s| s.attr("type") == Some("subscribe") && s.attr("from") == Some("alice@localhost")));
}

#[tokio::test]
async fn removing_a_contact_cancels_both_ways_and_the_contact_sees_it_go() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    h.send(&bob, "<iq id='r' type='get'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    bob.take();
    alice.take();
    h.send(&alice, "<iq id='rm' type='set'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' subscription='remove'/></query></iq>")
        .await;
    assert!(alice.take().iter().any(|s| s.attr("type") == Some("result")));
    let got = bob.take();
    assert!(got.iter().any(|s| s.attr("type") == Some("unavailable")), "{got:#?}");
    let item = h
        .stores
        .roster
        .roster_item("bob@localhost", "alice@localhost")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.subscription, Subscription::None);
}

/// The presences `client` was given from `from`, as (type, status).
fn statuses(client: &mut crate::core::testkit::Client, from: &str) -> Vec<(Option<String>, String)> {
    client
        .take()
        .into_iter()
        .filter(|p| p.name == "presence" && p.attr("from") == Some(from))
        .map(|p| {
            let status = p.child("status", ns::CLIENT).map(|s| s.text()).unwrap_or_default();
            (p.attr("type").map(str::to_owned), status)
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn presence_over_the_rate_is_coalesced_and_contacts_end_with_the_last_one() {
    let h = Harness::new(&["alice", "bob", "carol"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let mut bob = h.online("bob@localhost/b").await;
    let mut carol = h.online("carol@localhost/c").await;
    let alice = h.online("alice@localhost/a").await;
    bob.take();
    // The initial presence took one token of ten: nine more go at once, the rest wait.
    for i in 0..200 {
        h.send(&alice, &format!("<presence><status>{i}</status></presence>"))
            .await;
    }
    let seen = statuses(&mut bob, "alice@localhost/a");
    assert_eq!(seen.len(), 9, "{seen:?}");
    assert_eq!(seen.last().map(|s| s.1.as_str()), Some("8"));
    // Directed presence is never held (a MUC join is one).
    h.send(
        &alice,
        "<presence to='carol@localhost/c'><status>direct</status></presence>",
    )
    .await;
    assert_eq!(statuses(&mut carol, "alice@localhost/a"), [(None, "direct".to_owned())]);
    // When the next token comes, the latest one goes, and only it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(statuses(&mut bob, "alice@localhost/a"), [(None, "199".to_owned())]);
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert!(statuses(&mut bob, "alice@localhost/a").is_empty());
    // Unavailable over the rate is held the same way, and goes last.
    for i in 0..20 {
        h.send(&alice, &format!("<presence><status>again {i}</status></presence>"))
            .await;
    }
    h.send(&alice, "<presence type='unavailable'/>").await;
    let before = statuses(&mut bob, "alice@localhost/a");
    assert!(before.len() < 20 && before.iter().all(|s| s.0.is_none()), "{before:?}");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        statuses(&mut bob, "alice@localhost/a"),
        [(Some("unavailable".to_owned()), String::new())]
    );
}

#[tokio::test(start_paused = true)]
async fn a_session_ending_drops_its_held_presence_and_says_unavailable_last() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let mut bob = h.online("bob@localhost/b").await;
    let alice = h.online("alice@localhost/a").await;
    for i in 0..20 {
        h.send(&alice, &format!("<presence><status>{i}</status></presence>"))
            .await;
    }
    bob.take();
    h.close(alice).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        statuses(&mut bob, "alice@localhost/a"),
        [(Some("unavailable".to_owned()), String::new())]
    );
}

#[tokio::test]
async fn without_a_presence_rate_every_broadcast_goes_out() {
    let settings = crate::core::Settings {
        presence_rate: None,
        ..settings()
    };
    let h = Harness::with(settings, &["alice", "bob"], Vec::new()).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let mut bob = h.online("bob@localhost/b").await;
    let alice = h.online("alice@localhost/a").await;
    bob.take();
    for i in 0..30 {
        h.send(&alice, &format!("<presence><status>{i}</status></presence>"))
            .await;
    }
    assert_eq!(statuses(&mut bob, "alice@localhost/a").len(), 30);
}

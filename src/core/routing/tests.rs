//! The routing rules, in process on in-memory storage: RFC 6121 §8.5 for messages, IQs
//! and presence to bare and full JIDs, subscriptions and their pushes, the IQ tables,
//! component services, and account lifecycle events.

use super::router::{RouteError, Routed, Service};
use crate::core::account::Accounts;
use crate::core::archive;
use crate::core::session::Kick;
use crate::core::stanza::ns;
use crate::core::testkit::{condition, settings, Harness};
use crate::core::Core;
use crate::store::Subscription;
use crate::xml::Element;
use async_trait::async_trait;
use jid::BareJid;
use std::sync::Arc;

fn body(stanza: &crate::xml::Element) -> Option<String> {
    stanza.child("body", ns::CLIENT).map(|b| b.text())
}

fn bare(jid: &str) -> BareJid {
    BareJid::new(jid).unwrap()
}

fn features(info: &crate::xml::Element) -> Vec<String> {
    let query = info.child("query", ns::DISCO_INFO).expect("a disco#info result");
    query
        .elements()
        .filter(|f| f.name == "feature")
        .filter_map(|f| f.attr("var").map(str::to_owned))
        .collect()
}

// --- messages (RFC 6121 §8.5.2, §8.5.3) ----------------------------------------------

#[tokio::test]
async fn a_message_to_a_bare_jid_reaches_every_available_resource_with_non_negative_priority() {
    let h = Harness::new(&["alice", "bob"]).await;
    let alice = h.online("alice@localhost/a").await;
    let mut phone = h.online_with("bob@localhost/phone", 0).await;
    let mut laptop = h.online_with("bob@localhost/laptop", 5).await;
    let mut hidden = h.online_with("bob@localhost/hidden", -1).await;
    let mut silent = h.bind("bob@localhost/silent");
    for c in [&mut phone, &mut laptop, &mut hidden] {
        c.take();
    }
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>hi</body></message>",
    )
    .await;
    assert_eq!(body(&phone.take_one()).as_deref(), Some("hi"));
    assert_eq!(body(&laptop.take_one()).as_deref(), Some("hi"));
    assert!(
        hidden.take().is_empty(),
        "negative priority gets nothing for the bare JID"
    );
    assert!(
        silent.take().is_empty(),
        "a resource that sent no presence is not available"
    );
}

#[tokio::test]
async fn a_message_to_a_full_jid_goes_to_that_resource_only_whatever_its_priority() {
    let h = Harness::new(&["alice", "bob"]).await;
    let alice = h.online("alice@localhost/a").await;
    let mut hidden = h.online_with("bob@localhost/hidden", -1).await;
    let mut other = h.online("bob@localhost/other").await;
    hidden.take();
    h.send(
        &alice,
        "<message to='bob@localhost/hidden' type='chat'><body>psst</body></message>",
    )
    .await;
    let got = hidden.take_one();
    assert_eq!(body(&got).as_deref(), Some("psst"));
    assert_eq!(got.attr("from"), Some("alice@localhost/a"));
    assert!(other.take().is_empty());
}

#[tokio::test]
async fn a_chat_to_a_resource_that_is_gone_falls_back_to_the_bare_jid() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/phone").await;
    for kind in ["chat", "normal", "headline"] {
        h.send(
            &alice,
            &format!("<message to='bob@localhost/gone' type='{kind}'><body>x</body></message>"),
        )
        .await;
        assert_eq!(bob.take().len(), 1, "{kind}");
    }
    assert!(alice.take().is_empty(), "no errors for the fallback");
}

#[tokio::test]
async fn groupchat_to_an_account_is_refused() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/phone").await;
    for to in ["bob@localhost", "bob@localhost/gone"] {
        h.send(
            &alice,
            &format!("<message id='g1' to='{to}' type='groupchat'><body>x</body></message>"),
        )
        .await;
        let error = alice.take_one();
        assert_eq!(condition(&error).as_deref(), Some("service-unavailable"), "{to}");
        assert_eq!(error.attr("id"), Some("g1"));
    }
    assert!(bob.take().is_empty());
}

#[tokio::test]
async fn a_message_to_a_user_that_does_not_exist_comes_back_except_a_headline() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(
        &alice,
        "<message id='m1' to='nobody@localhost' type='chat'><body>x</body></message>",
    )
    .await;
    let error = alice.take_one();
    assert_eq!(condition(&error).as_deref(), Some("service-unavailable"));
    assert_eq!(error.attr("from"), Some("nobody@localhost"));
    assert_eq!(error.attr("to"), Some("alice@localhost/a"));
    h.send(
        &alice,
        "<message to='nobody@localhost' type='headline'><body>x</body></message>",
    )
    .await;
    assert!(alice.take().is_empty(), "headlines are dropped silently");
}

#[tokio::test]
async fn a_message_to_an_offline_user_is_archived_for_later_not_refused() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>later</body></message>",
    )
    .await;
    assert!(alice.take().is_empty());
    let items = archive::history(&h.core, &bare("bob@localhost"), None, archive::Page::newest(10))
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].body, "later");
    assert_eq!(items[0].from, "alice@localhost");
}

#[tokio::test]
async fn a_message_held_just_as_its_recipient_came_online_reaches_them_at_once() {
    // The router found no available session for bob, then bob's initial presence took
    // what was held (nothing yet), then the message was stored: it must not wait there
    // for bob's next login.
    let h = Harness::new(&["alice", "bob"]).await;
    let mut bob = h.online("bob@localhost/phone").await;
    bob.take();
    let late = crate::core::testkit::xml(
        "<message from='alice@localhost/a' to='bob@localhost' type='chat' id='late'><body>hi</body></message>",
    );
    assert!(crate::core::im::offline::hold(&h.core, &bare("bob@localhost"), &late)
        .await
        .unwrap());
    let got = bob.take();
    assert_eq!(got.iter().filter_map(|m| m.attr("id")).collect::<Vec<_>>(), ["late"]);
    assert!(got[0].child("delay", ns::DELAY).is_some());
    assert!(h
        .core
        .stores
        .offline
        .take_offline("bob@localhost")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn messages_held_offline_arrive_with_their_delay_on_initial_presence_up_to_the_limit() {
    // The test settings hold at most three messages per user.
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    for n in 0..4 {
        h.send(
            &alice,
            &format!("<message to='bob@localhost' type='chat' id='m{n}'><body>n{n}</body></message>"),
        )
        .await;
    }
    // Chat states and headlines are not held.
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
    )
    .await;
    let refused = alice.take_one();
    assert_eq!(refused.attr("id"), Some("m3"));
    assert_eq!(condition(&refused).as_deref(), Some("resource-constraint"));

    let mut bob = h.bind("bob@localhost/phone");
    h.send(&bob, "<presence/>").await;
    let held: Vec<Element> = bob.take().into_iter().filter(|s| s.name == "message").collect();
    let ids: Vec<&str> = held.iter().filter_map(|m| m.attr("id")).collect();
    assert_eq!(ids, ["m0", "m1", "m2"]);
    for m in &held {
        let delay = m.child("delay", ns::DELAY).expect("a delay element");
        assert_eq!(delay.attr("from"), Some("localhost"));
        assert!(delay.attr("stamp").is_some_and(|s| s.ends_with('Z')));
    }
    // Delivered once: a second resource coming online gets nothing held.
    let mut tablet = h.bind("bob@localhost/tablet");
    h.send(&tablet, "<presence/>").await;
    assert!(tablet
        .take()
        .iter()
        .all(|s| s.name != "message" || s.attr("id").is_none()));
    // The archive kept every message, the refused one too.
    let items = archive::history(&h.core, &bare("bob@localhost"), None, archive::Page::newest(10))
        .await
        .unwrap();
    assert_eq!(items.len(), 4);
}

#[tokio::test]
async fn carbon_enabled_resources_see_what_their_siblings_send_and_receive() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut a1 = h.online("alice@localhost/a1").await;
    let mut a2 = h.online("alice@localhost/a2").await;
    let mut a3 = h.online("alice@localhost/a3").await;
    let mut bob = h.online("bob@localhost/b").await;
    // Siblings' presence, out of the way.
    for c in [&mut a1, &mut a2, &mut a3] {
        c.take();
    }
    for c in [&mut a1, &mut a2] {
        h.send(c, "<iq type='set' id='c1'><enable xmlns='urn:xmpp:carbons:2'/></iq>")
            .await;
        assert_eq!(c.take_one().attr("type"), Some("result"));
    }
    let forwarded = |m: &Element, direction: &str| {
        m.child(direction, "urn:xmpp:carbons:2")
            .and_then(|d| d.child("forwarded", ns::FORWARD))
            .and_then(|f| f.child("message", ns::CLIENT))
            .and_then(|m| m.child("body", ns::CLIENT))
            .map(|b| b.text())
    };

    // Received by a1: a2 gets a copy, a3 (no carbons) nothing.
    h.send(
        &bob,
        "<message to='alice@localhost/a1' type='chat'><body>to a1</body></message>",
    )
    .await;
    assert_eq!(
        a1.take_one().child("body", ns::CLIENT).map(|b| b.text()).as_deref(),
        Some("to a1")
    );
    let copy = a2.take_one();
    assert_eq!(copy.attr("from"), Some("alice@localhost"));
    assert_eq!(forwarded(&copy, "received").as_deref(), Some("to a1"));
    assert!(a3.take().is_empty());

    // Sent from a1: a2 gets a copy, a1 none.
    h.send(
        &a1,
        "<message to='bob@localhost' type='chat'><body>from a1</body></message>",
    )
    .await;
    bob.take();
    assert_eq!(forwarded(&a2.take_one(), "sent").as_deref(), Some("from a1"));
    assert!(a1.take().is_empty() && a3.take().is_empty());

    // Sent over REST: every carbon-enabled session gets a copy.
    crate::core::im::messages::send_chat(&h.core, &bare("alice@localhost"), "bob@localhost", "over rest".into())
        .await
        .unwrap();
    for c in [&mut a1, &mut a2] {
        assert_eq!(forwarded(&c.take_one(), "sent").as_deref(), Some("over rest"));
    }
    // Private messages and disabled sessions get none.
    h.send(
        &a1,
        "<message to='bob@localhost' type='chat'><body>p</body><private xmlns='urn:xmpp:carbons:2'/></message>",
    )
    .await;
    assert!(a2.take().is_empty());
    h.send(&a2, "<iq type='set' id='c2'><disable xmlns='urn:xmpp:carbons:2'/></iq>")
        .await;
    a2.take();
    h.send(
        &bob,
        "<message to='alice@localhost/a1' type='chat'><body>again</body></message>",
    )
    .await;
    assert!(a2.take().is_empty());
}

#[tokio::test]
async fn a_blocked_user_is_answered_as_if_there_were_no_account_and_the_blocker_cannot_write_to_them() {
    let h = Harness::new(&["alice", "mallory", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut alice2 = h.online("alice@localhost/b").await;
    let mut mallory = h.online("mallory@localhost/m").await;
    for c in [&mut alice, &mut alice2, &mut mallory] {
        c.take();
    }
    h.send(
        &alice2,
        "<iq type='get' id='l1'><blocklist xmlns='urn:xmpp:blocking'/></iq>",
    )
    .await;
    assert_eq!(alice2.take_one().attr("type"), Some("result"));
    h.send(
        &alice,
        "<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='Mallory@LocalHost'/></block></iq>",
    )
    .await;
    assert_eq!(alice.take_one().attr("type"), Some("result"));
    // The sibling that asked for the list hears of the change.
    let pushed = alice2.take_one();
    let item = pushed
        .child("block", "urn:xmpp:blocking")
        .and_then(|b| b.elements().next())
        .unwrap();
    assert_eq!(item.attr("jid"), Some("mallory@localhost"));

    // Mallory's message and IQ: service-unavailable, as for a JID without an account.
    let e = h
        .error_for(
            &mut mallory,
            "<message to='alice@localhost' type='chat'><body>hi</body></message>",
        )
        .await;
    assert_eq!(e.as_deref(), Some("service-unavailable"));
    let e = h
        .error_for(
            &mut mallory,
            "<iq to='alice@localhost/a' type='get' id='v'><query xmlns='jabber:iq:version'/></iq>",
        )
        .await;
    assert_eq!(e.as_deref(), Some("service-unavailable"));
    // Over REST too, the same as a recipient without an account: accepted and archived
    // for the sender, never delivered.
    crate::core::im::messages::send_chat(&h.core, &bare("mallory@localhost"), "alice@localhost", "rest".into())
        .await
        .unwrap();
    let to_nobody =
        crate::core::im::messages::send_chat(&h.core, &bare("mallory@localhost"), "nobody@localhost", "x".into()).await;
    assert!(to_nobody.is_ok());
    assert!(mallory.take().is_empty());
    assert!(alice.take().is_empty() && alice2.take().is_empty());
    let alice_history = archive::history(&h.core, &bare("alice@localhost"), None, archive::Page::newest(10))
        .await
        .unwrap();
    assert!(alice_history.is_empty(), "{alice_history:?}");

    // Alice cannot write to mallory, over XMPP or REST.
    h.send(
        &alice,
        "<message to='mallory@localhost' type='chat'><body>x</body></message>",
    )
    .await;
    let refused = alice.take_one();
    assert_eq!(condition(&refused).as_deref(), Some("not-acceptable"));
    let error = refused.child("error", ns::CLIENT).unwrap();
    assert!(error.child("blocked", "urn:xmpp:blocking:errors").is_some());
    let rest =
        crate::core::im::messages::send_chat(&h.core, &bare("alice@localhost"), "mallory@localhost", "x".into()).await;
    assert!(
        matches!(rest, Err(crate::core::im::messages::SendError::Blocked)),
        "{rest:?}"
    );
    assert!(mallory.take().is_empty());

    // Unblocking everyone lets messages through again.
    h.send(
        &alice,
        "<iq type='set' id='u1'><unblock xmlns='urn:xmpp:blocking'/></iq>",
    )
    .await;
    alice.take();
    h.send(
        &mallory,
        "<message to='alice@localhost' type='chat'><body>back</body></message>",
    )
    .await;
    assert_eq!(
        alice.take_one().child("body", ns::CLIENT).map(|b| b.text()).as_deref(),
        Some("back")
    );
}

#[tokio::test]
async fn a_foreign_domain_is_remote_server_not_found_and_the_server_itself_service_unavailable() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    assert_eq!(
        h.error_for(
            &mut alice,
            "<message to='bob@elsewhere.example' type='chat'><body>x</body></message>"
        )
        .await
        .as_deref(),
        Some("remote-server-not-found")
    );
    assert_eq!(
        h.error_for(
            &mut alice,
            "<message to='localhost' type='chat'><body>x</body></message>"
        )
        .await
        .as_deref(),
        Some("service-unavailable")
    );
}

/// The value of one series (name and labels exactly as written) in the core's metrics.
fn metric(h: &Harness, series: &str) -> f64 {
    let text = h.core.metrics_text();
    text.lines()
        .find_map(|l| l.rsplit_once(' ').filter(|(s, _)| *s == series))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

#[tokio::test]
async fn the_router_counts_what_services_accept_by_kind_and_not_what_it_refuses() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.bind("alice@localhost/a");
    let _bob = h.bind("bob@localhost/b");
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>hi</body></message>",
    )
    .await;
    assert_eq!(metric(&h, "meerkat_routed_stanzas_total{kind=\"message\"}"), 1.0);
    assert_eq!(
        metric(&h, "meerkat_archive_commit_seconds_count"),
        1.0,
        "one append, both copies"
    );
    // Refused by the router itself: not counted; the error it sends back is.
    assert_eq!(
        h.error_for(
            &mut alice,
            "<message to='bob@elsewhere.example' type='chat'><body>x</body></message>"
        )
        .await
        .as_deref(),
        Some("remote-server-not-found")
    );
    assert_eq!(metric(&h, "meerkat_routed_stanzas_total{kind=\"message\"}"), 2.0);
    // A ping to the server and its result: two IQs through the router.
    h.send(
        &alice,
        "<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>",
    )
    .await;
    assert_eq!(alice.take_one().attr("type"), Some("result"));
    assert_eq!(metric(&h, "meerkat_routed_stanzas_total{kind=\"iq\"}"), 2.0);
    assert_eq!(metric(&h, "meerkat_routed_stanzas_total{kind=\"presence\"}"), 0.0);
    assert_eq!(
        metric(&h, "meerkat_archive_commit_seconds_count"),
        1.0,
        "errors are not archived"
    );
    assert_eq!(metric(&h, "meerkat_sessions{kind=\"xmpp_tcp\"}"), 2.0);
}

#[tokio::test]
async fn a_second_served_host_is_routed_like_the_first() {
    let h = Harness::new(&["alice"]).await;
    let jid = BareJid::new("carol@example.com").unwrap();
    h.core.accounts().register(&jid, "pw").await.unwrap();
    let alice = h.online("alice@localhost/a").await;
    let mut carol = h.online("carol@example.com/r").await;
    h.send(
        &alice,
        "<message to='Carol@Example.com' type='chat'><body>hi</body></message>",
    )
    .await;
    assert_eq!(body(&carol.take_one()).as_deref(), Some("hi"));
}

#[tokio::test]
async fn an_error_message_is_never_answered_with_an_error() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    for to in ["nobody@localhost", "bob@elsewhere.example", "localhost"] {
        h.send(&alice, &format!("<message to='{to}' type='error'/>")).await;
    }
    assert!(alice.take().is_empty());
}

#[tokio::test]
async fn a_message_without_to_is_for_the_senders_own_account() {
    let h = Harness::new(&["alice"]).await;
    let phone = h.online("alice@localhost/phone").await;
    let mut laptop = h.online("alice@localhost/laptop").await;
    h.send(&phone, "<message type='chat'><body>note to self</body></message>")
        .await;
    assert_eq!(body(&laptop.take_one()).as_deref(), Some("note to self"));
}

#[tokio::test]
async fn a_malformed_to_is_jid_malformed() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(&alice, "<message to='@localhost' type='chat'><body>x</body></message>")
        .await;
    let error = alice.take_one();
    assert_eq!(condition(&error).as_deref(), Some("jid-malformed"));
    assert_eq!(error.child("error", ns::CLIENT).unwrap().attr("type"), Some("modify"));
}

#[tokio::test]
async fn a_delivered_message_carries_the_recipients_archive_id_and_not_the_senders_forgery() {
    let h = Harness::new(&["alice", "bob"]).await;
    let alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>x</body>\
         <stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='bob@localhost'/></message>",
    )
    .await;
    let got = bob.take_one();
    let ids: Vec<_> = got.elements().filter(|e| e.is("stanza-id", ns::STANZA_ID)).collect();
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0].attr("id"), Some("forged"));
    let item = archive::ChatItem::from_delivered(&got, &bare("bob@localhost")).unwrap();
    let stored = archive::history(&h.core, &bare("bob@localhost"), None, archive::Page::newest(1))
        .await
        .unwrap();
    assert_eq!(stored[0].timestamp, item.timestamp);
}

#[tokio::test]
async fn with_the_archive_off_messages_are_delivered_and_nothing_is_kept() {
    let mut s = settings();
    s.archive = false;
    let h = Harness::with(s, &["alice", "bob"], Vec::new()).await;
    let alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>x</body></message>",
    )
    .await;
    let got = bob.take_one();
    assert!(got.child("stanza-id", ns::STANZA_ID).is_none());
    assert!(
        archive::history(&h.core, &bare("bob@localhost"), None, archive::Page::newest(10))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_rest_message_reaches_every_session_and_an_unparsable_recipient_is_refused() {
    use crate::core::im::messages::{send_chat, SendError};
    let h = Harness::new(&["alice", "bob"]).await;
    let mut bob = h.online("bob@localhost/b").await;
    let (_stream, mut stream_inbox) = h.core.open_event_stream(&bare("bob@localhost"), None).await.unwrap();
    let id = send_chat(&h.core, &bare("alice@localhost"), "Bob@LocalHost", "hi".into())
        .await
        .unwrap();
    let got = bob.take_one();
    assert_eq!(got.attr("id"), Some(id.as_str()));
    assert_eq!(got.attr("from"), Some("alice@localhost"));
    assert!(
        stream_inbox.try_recv().is_some(),
        "the SSE session is a session like any other"
    );
    assert!(matches!(
        send_chat(&h.core, &bare("alice@localhost"), "localhost", "x".into()).await,
        Err(SendError::InvalidRecipient)
    ));
    // A REST sender has no session to bounce to: the unknown user is just archived away.
    assert!(
        send_chat(&h.core, &bare("alice@localhost"), "nobody@localhost", "x".into())
            .await
            .is_ok()
    );
}

// --- IQs (RFC 6120 §8.2.3, §10.3.3; RFC 6121 §8.5) --------------------------------------

#[tokio::test]
async fn an_iq_to_a_full_jid_reaches_that_session_and_its_result_comes_back() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    h.send(
        &alice,
        "<iq id='q1' to='bob@localhost/b' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
    )
    .await;
    let got = bob.take_one();
    assert_eq!(
        (got.attr("id"), got.attr("from")),
        (Some("q1"), Some("alice@localhost/a"))
    );
    h.send(&bob, "<iq id='q1' to='alice@localhost/a' type='result'/>").await;
    assert_eq!(alice.take_one().attr("type"), Some("result"));
}

#[tokio::test]
async fn an_iq_request_to_a_missing_resource_is_refused_and_a_response_dropped() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    assert_eq!(
        h.error_for(
            &mut alice,
            "<iq id='q1' to='bob@localhost/none' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"
        )
        .await
        .as_deref(),
        Some("service-unavailable")
    );
    h.send(&alice, "<iq id='q2' to='bob@localhost/none' type='result'/>")
        .await;
    assert!(alice.take().is_empty());
}

#[tokio::test]
async fn an_iq_without_a_valid_type_or_with_two_payloads_is_a_bad_request() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    assert_eq!(
        h.error_for(
            &mut alice,
            "<iq id='q1' to='localhost' type='fetch'><ping xmlns='urn:xmpp:ping'/></iq>"
        )
        .await
        .as_deref(),
        Some("bad-request")
    );
    assert_eq!(
        h.error_for(
            &mut alice,
            "<iq id='q2' to='localhost' type='get'><ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/></iq>"
        )
        .await
        .as_deref(),
        Some("bad-request")
    );
    assert_eq!(
        h.error_for(&mut alice, "<iq id='q3' to='localhost' type='get'/>")
            .await
            .as_deref(),
        Some("bad-request")
    );
}

#[tokio::test]
async fn the_server_and_accounts_answer_ping_and_refuse_what_they_do_not_handle() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    for to in ["localhost", "bob@localhost"] {
        h.send(
            &alice,
            &format!("<iq id='p' to='{to}' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"),
        )
        .await;
        let pong = alice.take_one();
        assert_eq!((pong.attr("type"), pong.attr("from")), (Some("result"), Some(to)));
    }
    let cases = [
        ("<ping xmlns='urn:xmpp:ping'/>", "set", "feature-not-implemented"),
        ("<pong xmlns='urn:xmpp:ping'/>", "get", "feature-not-implemented"),
        ("<query xmlns='urn:example:unknown'/>", "get", "service-unavailable"),
    ];
    for (payload, kind, expected) in cases {
        h.send(
            &alice,
            &format!("<iq id='x' to='localhost' type='{kind}'>{payload}</iq>"),
        )
        .await;
        assert_eq!(condition(&alice.take_one()).as_deref(), Some(expected), "{payload}");
    }
}

#[tokio::test]
async fn disco_info_lists_exactly_what_each_table_handles() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(
        &alice,
        "<iq id='d' to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    )
    .await;
    let server = features(&alice.take_one());
    for f in [ns::DISCO_INFO, ns::DISCO_ITEMS, ns::PING, ns::VERSION, ns::ROSTER] {
        assert!(server.iter().any(|x| x == f), "server lists {f}");
    }
    assert!(!server.iter().any(|x| x == ns::MAM));
    h.send(
        &alice,
        "<iq id='d' to='bob@localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    )
    .await;
    let account = features(&alice.take_one());
    let mut expected = vec![ns::DISCO_INFO, ns::DISCO_ITEMS, ns::PING, "urn:xmpp:push:0", ns::MAM];
    expected.extend(crate::core::pep::FEATURES);
    expected.extend([ns::VCARD, ns::PRIVATE, "urn:xmpp:pep-vcard-conversion:0"]);
    let (mut got, mut want) = (
        account.clone(),
        expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    got.sort();
    want.sort();
    assert_eq!(got, want);
    for f in ["urn:xmpp:carbons:2", "urn:xmpp:blocking"] {
        assert!(server.iter().any(|x| x == f), "server lists {f}");
    }

    let mut s = settings();
    s.archive = false;
    s.push = None;
    let h = Harness::with(s, &["alice", "bob"], Vec::new()).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(
        &alice,
        "<iq id='d' to='bob@localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    )
    .await;
    let account = features(&alice.take_one());
    assert!(
        !account.iter().any(|x| x == ns::MAM || x == "urn:xmpp:push:0"),
        "{account:?}"
    );
    assert_eq!(
        h.error_for(&mut alice, "<iq id='m' type='set'><query xmlns='urn:xmpp:mam:2'/></iq>")
            .await
            .as_deref(),
        Some("service-unavailable")
    );
}

#[tokio::test]
async fn an_iq_to_an_account_that_does_not_exist_is_service_unavailable() {
    let h = Harness::new(&["alice"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    assert_eq!(
        h.error_for(
            &mut alice,
            "<iq id='d' to='nobody@localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
        )
        .await
        .as_deref(),
        Some("service-unavailable")
    );
}

#[tokio::test]
async fn the_roster_is_answered_for_ones_own_account_only() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(&alice, "<iq id='r1' type='get'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    let own = alice.take_one();
    assert_eq!(own.attr("type"), Some("result"));
    assert!(own.child("query", ns::ROSTER).is_some());
    for to in ["bob@localhost", "localhost"] {
        assert_eq!(
            h.error_for(
                &mut alice,
                &format!("<iq id='r2' to='{to}' type='get'><query xmlns='jabber:iq:roster'/></iq>")
            )
            .await
            .as_deref(),
            Some("forbidden"),
            "{to}"
        );
    }
    assert_eq!(
        h.error_for(
            &mut alice,
            "<iq id='r3' type='set'><query xmlns='jabber:iq:roster'><item jid='alice@localhost'/></query></iq>"
        )
        .await
        .as_deref(),
        Some("not-allowed")
    );
    assert_eq!(h.error_for(&mut alice, "<iq id='r4' type='set'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' subscription='remove'/></query></iq>").await.as_deref(), Some("item-not-found"));
}

#[tokio::test]
async fn mam_results_arrive_before_the_fin_and_only_for_ones_own_archive() {
    let h = Harness::new(&["alice", "bob"]).await;
    let mut alice = h.online("alice@localhost/a").await;
    for i in 0..3 {
        h.send(
            &alice,
            &format!("<message to='bob@localhost' type='chat'><body>m{i}</body></message>"),
        )
        .await;
    }
    h.send(&alice, "<iq id='q' type='set'><query xmlns='urn:xmpp:mam:2' queryid='x'><set xmlns='http://jabber.org/protocol/rsm'><max>2</max></set></query></iq>")
        .await;
    let got = alice.take();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(got[0].child("result", ns::MAM).is_some() && got[1].child("result", ns::MAM).is_some());
    let fin = got[2].child("fin", ns::MAM).expect("the IQ result comes last");
    assert_eq!(fin.attr("complete"), None, "a third message is left");
    assert_eq!(
        h.error_for(
            &mut alice,
            "<iq id='q' to='bob@localhost' type='set'><query xmlns='urn:xmpp:mam:2'/></iq>"
        )
        .await
        .as_deref(),
        Some("forbidden")
    );
}

// --- presence (RFC 6121 §3, §4) ----------------------------------------------------------

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

// --- services on other domains --------------------------------------------------------

/// A component that answers every message with an echo from its own domain.
struct Echo;

#[async_trait]
impl Service for Echo {
    async fn handle(&self, core: &Core, routed: Routed) -> Result<(), RouteError> {
        let reply = crate::xml::Element::new("message", ns::CLIENT)
            .with_attr("from", routed.to.to_string())
            .with_attr("to", routed.from.to_string())
            .with_child(crate::xml::Element::new("body", ns::CLIENT).with_text("echo"));
        core.route(routed.to, reply).await
    }
}

#[tokio::test]
async fn a_registered_service_gets_its_domain_and_is_listed_without_delivery_changes() {
    let component: (String, Arc<dyn Service>) = ("echo.localhost".into(), Arc::new(Echo));
    let h = Harness::with(settings(), &["alice"], vec![component]).await;
    let mut alice = h.online("alice@localhost/a").await;
    h.send(
        &alice,
        "<message to='room@echo.localhost' type='groupchat'><body>x</body></message>",
    )
    .await;
    let echo = alice.take_one();
    assert_eq!(
        (echo.attr("from"), body(&echo).as_deref()),
        (Some("room@echo.localhost"), Some("echo"))
    );
    h.send(
        &alice,
        "<iq id='i' to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    )
    .await;
    let items = alice.take_one();
    let listed: Vec<_> = items
        .child("query", ns::DISCO_ITEMS)
        .unwrap()
        .elements()
        .filter_map(|i| i.attr("jid"))
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, ["conference.localhost", "echo.localhost", "muclight.localhost"]);
}

// --- account lifecycle ------------------------------------------------------------------

#[tokio::test]
async fn removing_an_account_ends_its_sessions_and_takes_it_out_of_every_roster() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let alice = h.online("alice@localhost/a").await;
    let (sse, _rx) = h.core.open_event_stream(&bare("alice@localhost"), None).await.unwrap();
    let mut bob = h.online("bob@localhost/b").await;
    h.send(&bob, "<iq id='r' type='get'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    bob.take();
    h.send(
        &bob,
        "<message to='alice@localhost' type='chat'><body>x</body></message>",
    )
    .await;
    h.core.remove_account(&bare("alice@localhost")).await.unwrap();

    assert_eq!(alice.kicked(), Some(Kick::Reset));
    assert!(
        futures::FutureExt::now_or_never(sse.kicked()).is_some(),
        "the SSE stream ends too"
    );
    let got = bob.take();
    let push = got.iter().find(|s| s.name == "iq").expect("a roster push");
    let item = push.child("query", ns::ROSTER).unwrap().elements().next().unwrap();
    assert_eq!(
        (item.attr("jid"), item.attr("subscription")),
        (Some("alice@localhost"), Some("remove"))
    );
    assert!(got
        .iter()
        .any(|s| s.attr("type") == Some("unavailable") && s.attr("from") == Some("alice@localhost/a")));
    assert!(h.stores.roster.roster("bob@localhost").await.unwrap().is_empty());
    assert!(h.stores.roster.roster("alice@localhost").await.unwrap().is_empty());
    assert!(
        archive::history(&h.core, &bare("alice@localhost"), None, archive::Page::newest(10))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        archive::history(&h.core, &bare("bob@localhost"), None, archive::Page::newest(10))
            .await
            .unwrap()
            .len(),
        1,
        "bob keeps his copy"
    );
}

#[tokio::test]
async fn a_change_made_by_another_process_is_applied_once_when_the_log_is_read() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    h.send(&bob, "<iq id='r' type='get'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    bob.take();
    // The command line: its own account service on the same storage, no core.
    let cli = Accounts::new(h.stores.accounts.clone(), vec!["localhost".into()], 1, 0);
    cli.unregister(&bare("alice@localhost")).await.unwrap();
    assert_eq!(alice.kicked(), None, "nothing happens before the log is read");
    h.core.sync_account_changes().await.unwrap();
    assert_eq!(alice.kicked(), Some(Kick::Reset));
    assert_eq!(bob.take().iter().filter(|s| s.name == "iq").count(), 1);
    h.core.sync_account_changes().await.unwrap();
    assert!(bob.take().is_empty(), "applied once");
    assert!(h.stores.accounts.unapplied_account_changes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_password_change_ends_the_sessions_and_the_old_password_stops_working() {
    let h = Harness::new(&["alice"]).await;
    let alice = h.online("alice@localhost/a").await;
    assert!(h
        .core
        .accounts()
        .check_password("alice@localhost", "pw")
        .await
        .unwrap()
        .is_some());
    let cli = Accounts::new(h.stores.accounts.clone(), vec!["localhost".into()], 1, 0);
    cli.set_password(&bare("alice@localhost"), "new").await.unwrap();
    h.core.sync_account_changes().await.unwrap();
    assert_eq!(alice.kicked(), Some(Kick::Reset));
    assert!(h
        .core
        .accounts()
        .check_password("alice@localhost", "pw")
        .await
        .unwrap()
        .is_none());
    assert!(h
        .core
        .accounts()
        .check_password("alice@localhost", "new")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_removal_logged_while_no_server_ran_is_applied_at_start() {
    let stores = crate::store::Stores::memory();
    let cli = Accounts::new(stores.accounts.clone(), vec!["localhost".into()], 1, 0);
    for u in ["alice@localhost", "bob@localhost"] {
        cli.register(&bare(u), "pw").await.unwrap();
    }
    let first = Core::new(settings(), stores.clone()).await.unwrap();
    first.start_lifecycle().await.unwrap();
    crate::core::im::roster::set_item(&first, &bare("bob@localhost"), &bare("alice@localhost"), None, vec![])
        .await
        .unwrap();
    drop(first);
    cli.unregister(&bare("alice@localhost")).await.unwrap();
    let next = Core::new(settings(), stores.clone()).await.unwrap();
    next.start_lifecycle().await.unwrap();
    assert!(stores.roster.roster("bob@localhost").await.unwrap().is_empty());
}

/// An app server (XEP-0357) that keeps what it is sent.
struct AppServer(std::sync::Mutex<Vec<crate::xml::Element>>);

#[async_trait]
impl Service for AppServer {
    async fn handle(&self, _core: &Core, routed: Routed) -> Result<(), RouteError> {
        self.0.lock().unwrap().push(routed.stanza);
        Ok(())
    }
}

#[tokio::test]
async fn a_message_held_for_an_offline_user_wakes_each_registered_device_once() {
    let app = Arc::new(AppServer(Default::default()));
    let component: (String, Arc<dyn Service>) = ("push.localhost".into(), app.clone());
    let h = Harness::with(settings(), &["alice", "bob"], vec![component]).await;
    let mut bob = h.online("bob@localhost/phone").await;
    let enable = |node: &str| {
        format!(
            "<iq type='set' id='e-{node}'><enable xmlns='urn:xmpp:push:0' jid='push.localhost' node='{node}'>\
             <x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>\
             <field var='secret'><value>s-{node}</value></field></x></enable></iq>"
        )
    };
    for node in ["d1", "d2"] {
        h.send(&bob, &enable(node)).await;
        assert_eq!(bob.take_one().attr("type"), Some("result"));
    }
    // The test settings allow two registrations.
    assert_eq!(
        h.error_for(&mut bob, &enable("d3")).await.as_deref(),
        Some("resource-constraint")
    );
    h.send(
        &bob,
        "<iq type='set' id='x'><disable xmlns='urn:xmpp:push:0' jid='push.localhost' node='d2'/></iq>",
    )
    .await;
    assert_eq!(bob.take_one().attr("type"), Some("result"));
    h.close(bob).await;

    let mut alice = h.online("alice@localhost/pc").await;
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>wake up</body></message>",
    )
    .await;
    assert!(alice.take().is_empty());
    let sent = std::mem::take(&mut *app.0.lock().unwrap());
    assert_eq!(sent.len(), 1, "{sent:?}");
    let iq = &sent[0];
    assert_eq!(
        (iq.attr("from"), iq.attr("to")),
        (Some("bob@localhost"), Some("push.localhost"))
    );
    let xml = iq.to_xml(ns::CLIENT);
    assert!(xml.contains("'d1'") || xml.contains("\"d1\""), "{xml}");
    assert!(
        xml.contains("message-count") && xml.contains("alice@localhost/pc"),
        "{xml}"
    );
    assert!(xml.contains("s-d1") && !xml.contains("wake up"), "{xml}");
    // Online again: nothing more is pushed.
    let _bob = h.online("bob@localhost/phone").await;
    h.send(
        &alice,
        "<message to='bob@localhost' type='chat'><body>hi</body></message>",
    )
    .await;
    assert!(app.0.lock().unwrap().is_empty());
}

/// The memory archive, but a commit completes only once the test opens the gate.
struct GatedArchive {
    inner: Arc<dyn crate::store::ArchiveStore>,
    gate: tokio::sync::watch::Receiver<bool>,
    queued: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl crate::store::ArchiveStore for GatedArchive {
    async fn archive_enqueue(
        &self,
        messages: Vec<crate::store::ArchivedMessage>,
    ) -> Result<crate::store::Commit, crate::store::StoreError> {
        let written = self.inner.archive_enqueue(messages).await?;
        self.queued.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut gate = self.gate.clone();
        Ok(Box::pin(async move {
            let _ = gate.wait_for(|open| *open).await;
            written.await
        }))
    }
    async fn archive_query(
        &self,
        q: crate::store::ArchiveQuery,
    ) -> Result<Vec<crate::store::ArchivedMessage>, crate::store::StoreError> {
        self.inner.archive_query(q).await
    }
    async fn archive_count(&self, q: crate::store::ArchiveQuery) -> Result<u64, crate::store::StoreError> {
        self.inner.archive_count(q).await
    }
    async fn archive_max_id(&self) -> Result<i64, crate::store::StoreError> {
        self.inner.archive_max_id().await
    }
    async fn delete_archive(&self, owner: &str) -> Result<u64, crate::store::StoreError> {
        self.inner.delete_archive(owner).await
    }
}

#[tokio::test]
async fn a_sessions_messages_share_a_commit_and_still_arrive_in_the_order_sent() {
    let (open, gate) = tokio::sync::watch::channel(false);
    let mut stores = crate::store::Stores::memory();
    let archive = Arc::new(GatedArchive {
        inner: stores.archive.clone(),
        gate,
        queued: Default::default(),
    });
    stores.archive = archive.clone();
    let h = Harness::with_stores(settings(), stores, &["alice", "bob"], Vec::new()).await;
    let alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    // As the XMPP door hands them over: one turn each, all in flight at once.
    let mut pipeline = super::pipeline::Pipeline::default();
    let stanzas = [
        "<message to='bob@localhost' type='chat'><body>1</body></message>",
        // A chat state: not archived, so nothing holds it back but the message before.
        "<message to='bob@localhost' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
        "<message to='bob@localhost' type='chat'><body>2</body></message>",
        "<presence to='bob@localhost' type='unavailable'/>",
        "<message to='bob@localhost' type='chat'><body>3</body></message>",
    ];
    let mut handled = futures::stream::FuturesUnordered::new();
    for s in stanzas {
        let turn = pipeline.next(&crate::core::testkit::xml(s).name);
        handled.push(h.core.from_client(&alice.session, crate::core::testkit::xml(s), turn));
    }
    use futures::StreamExt;
    // Everything runs until only the gate holds it.
    tokio::select! {
        _ = handled.next() => panic!("nothing is done before its commit"),
        _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
    }
    assert_eq!(
        archive.queued.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "the second message queued behind the first; the presence waits, so the third too"
    );
    assert!(
        bob.take().is_empty(),
        "nothing overtakes the message waiting for its commit"
    );
    open.send(true).unwrap();
    while handled.next().await.is_some() {}
    let got: Vec<String> = bob
        .take()
        .iter()
        .map(|s| body(s).unwrap_or_else(|| s.name.clone()))
        .collect();
    assert_eq!(got, ["1", "message", "2", "presence", "3"]);
}

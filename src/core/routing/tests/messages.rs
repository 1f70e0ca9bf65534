//! Messages to accounts (RFC 6121 §8.5.2, §8.5.3): bare and full JIDs, errors, the
//! archive, offline storage and push, carbons, blocking, routing counts.

use super::*;

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

//! IQs (RFC 6120 §8.2.3, §10.3.3; RFC 6121 §8.5): to sessions, to the server and to
//! accounts' bare JIDs, disco#info, rosters and MAM.

use super::*;

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

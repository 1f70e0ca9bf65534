//! The session table and a session's queue: limits, kicks, replacement, what an
//! inactive client's session holds back, and the news a cluster hears.

use super::*;
use crate::core::metrics::SessionCounts;
use jid::BareJid;

fn full(s: &str) -> FullJid {
    FullJid::new(s).unwrap()
}

fn table() -> (Sessions, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    (Sessions::new(metrics.clone()), metrics)
}

/// Whether the metrics say `n` sessions were closed for reaching `limit`.
fn closed_for(metrics: &Metrics, limit: &str, n: u64) -> bool {
    let text = metrics.render(SessionCounts::default());
    text.contains(&format!(
        "meerkat_sessions_closed_queue_full_total{{limit=\"{limit}\"}} {n}\n"
    ))
}

fn limits(queue_len: usize) -> Limits {
    Limits {
        queue_len,
        queue_bytes: 1 << 20,
        max_per_user: 10,
    }
}

#[tokio::test]
async fn a_second_session_on_the_same_full_jid_replaces_the_first() {
    let (table, _) = table();
    let (first, _rx1) = table
        .register(full("alice@localhost/phone"), SessionKind::XmppTcp, limits(8))
        .unwrap();
    let (other, _rx2) = table
        .register(full("alice@localhost/laptop"), SessionKind::XmppTcp, limits(8))
        .unwrap();
    let (second, _rx3) = table
        .register(full("alice@localhost/phone"), SessionKind::XmppTcp, limits(8))
        .unwrap();
    assert_eq!(first.kicked().await, Kick::Conflict);
    assert_eq!(table.session(&full("alice@localhost/phone")).unwrap().id, second.id);
    assert_eq!(table.sessions_of(&BareJid::new("alice@localhost").unwrap()).len(), 2);
    // The replaced session leaving does not remove its successor.
    table.unregister(&first.jid, first.id);
    assert!(table.session(&full("alice@localhost/phone")).is_some());
    table.unregister(&second.jid, second.id);
    table.unregister(&other.jid, other.id);
    assert_eq!(table.session_count(), 0);
}

#[tokio::test]
async fn a_session_that_cannot_keep_up_is_kicked_once_and_then_takes_nothing() {
    let (table, metrics) = table();
    let (s, mut inbox) = table
        .register(full("bob@localhost/r"), SessionKind::XmppTcp, limits(2))
        .unwrap();
    let m = Element::new("message", "jabber:client");
    assert!(s.send(m.clone()));
    assert!(s.send(m.clone()));
    assert!(!s.send(m.clone()), "a third stanza overflows a queue of two");
    assert_eq!(s.kicked().await, Kick::TooSlow);
    assert!(!s.kick(Kick::TooSlow), "kicked once");
    assert!(closed_for(&metrics, "stanzas", 1) && closed_for(&metrics, "bytes", 0));
    assert!(inbox.recv().await.is_some());
    assert!(!s.send(m), "room in the queue again, but the session is over");
}

#[tokio::test]
async fn the_queue_is_bounded_in_bytes_too() {
    let (table, metrics) = table();
    let small = Limits {
        queue_len: 1000,
        queue_bytes: 4096,
        max_per_user: 10,
    };
    let (s, mut inbox) = table
        .register(full("bob@localhost/r"), SessionKind::XmppTcp, small)
        .unwrap();
    let big = Element::new("message", "jabber:client").with_text("x".repeat(1500));
    assert!(s.send(big.clone()));
    assert!(s.send(big.clone()));
    assert!(inbox.try_recv().is_some(), "reading frees its bytes");
    assert!(s.send(big.clone()));
    assert!(!s.send(big.clone()), "three of them exceed 4 KiB");
    assert_eq!(s.kicked().await, Kick::TooSlow);
    assert!(!s.send(big), "nothing more once kicked, and not counted twice");
    assert!(closed_for(&metrics, "bytes", 1) && closed_for(&metrics, "stanzas", 0));
}

fn xml(text: &str) -> Element {
    crate::xml::parse_element(text).unwrap()
}

fn names(inbox: &mut Inbox) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(s) = inbox.try_recv() {
        let s = s.into_element();
        let show = s.child("show", "jabber:client").map(|c| c.text());
        out.push(format!("{}:{}", s.name, show.unwrap_or_default()));
    }
    out
}

#[tokio::test]
async fn an_inactive_session_holds_presence_updates_until_it_is_active_again() {
    let (table, _) = table();
    let (s, mut inbox) = table
        .register(full("alice@localhost/r"), SessionKind::XmppTcp, limits(8))
        .unwrap();
    s.set_inactive(100);
    assert!(s.send(xml("<presence from='bob@localhost/a'><show>away</show></presence>")));
    assert!(s.send(xml("<presence from='bob@localhost/a'><show>dnd</show></presence>")));
    assert!(s.send(xml(
        "<message from='bob@localhost/a'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
    )));
    assert!(s.send(xml("<presence from='bob@localhost' type='subscribe'/>")));
    assert!(s.send(xml("<message from='carol@localhost/a'><body>hi</body></message>")));
    assert_eq!(
        names(&mut inbox),
        ["presence:", "message:"],
        "the subscription request and the message went through at once"
    );
    s.set_active();
    assert_eq!(
        names(&mut inbox),
        ["presence:dnd", "message:"],
        "the latest presence and the chat state, once active"
    );
    assert!(s.send(xml("<presence from='bob@localhost/a'/>")));
    assert_eq!(names(&mut inbox), ["presence:"], "active again: nothing waits");
    assert_eq!(
        s.queued_bytes.load(Ordering::Acquire),
        0,
        "every held byte was released"
    );
}

#[tokio::test]
async fn a_message_with_a_body_makes_held_chat_states_of_its_sender_moot() {
    let (table, _) = table();
    let (s, mut inbox) = table
        .register(full("alice@localhost/r"), SessionKind::XmppTcp, limits(8))
        .unwrap();
    s.set_inactive(100);
    let typing = "<message from='bob@localhost/a'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>";
    assert!(s.send(xml(typing)));
    assert!(s.send(xml("<message from='bob@localhost/b'><body>hi</body></message>")));
    s.set_active();
    assert_eq!(names(&mut inbox), ["message:"], "only the message with a body");
    assert_eq!(s.queued_bytes.load(Ordering::Acquire), 0);
}

#[tokio::test]
async fn held_stanzas_count_against_the_queue_and_buffer_max_releases_them() {
    let (table, metrics) = table();
    let (s, mut inbox) = table
        .register(full("alice@localhost/r"), SessionKind::XmppTcp, limits(3))
        .unwrap();
    s.set_inactive(2);
    assert!(s.send(xml("<presence from='a@localhost/1'/>")));
    assert!(inbox.try_recv().is_none(), "held");
    assert!(s.send(xml("<presence from='b@localhost/1'/>")));
    assert_eq!(names(&mut inbox).len(), 2, "two held: buffer_max reached, released");

    s.set_inactive(100);
    assert!(s.send(xml("<message><body>1</body></message>")));
    assert!(s.send(xml("<presence from='a@localhost/1'/>")));
    assert!(s.send(xml("<presence from='b@localhost/1'/>")));
    assert!(
        !s.send(xml("<presence from='c@localhost/1'/>")),
        "one queued and three held exceed a queue of three"
    );
    assert_eq!(s.kicked().await, Kick::TooSlow);
    assert!(closed_for(&metrics, "stanzas", 1));
}

#[tokio::test]
async fn held_stanzas_count_against_the_queue_bytes() {
    let (table, metrics) = table();
    let small = Limits {
        queue_len: 1000,
        queue_bytes: 4096,
        max_per_user: 10,
    };
    let (s, _inbox) = table
        .register(full("alice@localhost/r"), SessionKind::XmppTcp, small)
        .unwrap();
    s.set_inactive(100);
    let status = |from: &str| {
        Element::new("presence", "jabber:client")
            .with_attr("from", from)
            .with_child(Element::new("status", "jabber:client").with_text("x".repeat(1500)))
    };
    assert!(s.send(status("a@localhost/1")));
    assert!(s.send(status("a@localhost/1")), "a replacement takes no more room");
    assert!(s.send(status("b@localhost/1")));
    assert!(!s.send(status("c@localhost/1")), "three held exceed 4 KiB");
    assert!(closed_for(&metrics, "bytes", 1));
}

#[test]
fn an_account_has_at_most_max_per_user_sessions_but_may_replace_one() {
    let (table, _) = table();
    let two = Limits {
        max_per_user: 2,
        ..limits(8)
    };
    let _a = table
        .register(full("alice@localhost/a"), SessionKind::XmppTcp, two)
        .unwrap();
    let _b = table
        .register(full("alice@localhost/b"), SessionKind::XmppTcp, two)
        .unwrap();
    assert_eq!(
        table
            .register(full("alice@localhost/c"), SessionKind::XmppTcp, two)
            .unwrap_err(),
        OpenError::TooManySessions { max: 2 }
    );
    assert!(
        table
            .register(full("alice@localhost/a"), SessionKind::XmppTcp, two)
            .is_ok(),
        "a replacement is no new session"
    );
    assert!(table
        .register(full("bob@localhost/a"), SessionKind::XmppTcp, two)
        .is_ok());
}

#[test]
fn sessions_are_counted_by_kind_and_a_replaced_or_ended_one_no_longer_counts() {
    let (table, _) = table();
    let l = limits(8);
    let (tcp, _r1) = table
        .register(full("alice@localhost/a"), SessionKind::XmppTcp, l)
        .unwrap();
    let _r2 = table
        .register(full("alice@localhost/b"), SessionKind::XmppWebSocket, l)
        .unwrap();
    let _r3 = table
        .register(full("bob@localhost/sse-1"), SessionKind::EventStream, l)
        .unwrap();
    let _r4 = table
        .register(full("bob@localhost/sse-2"), SessionKind::EventStream, l)
        .unwrap();
    let counts = |t: &Sessions| {
        let c = t.count_by_kind();
        (c.xmpp_tcp, c.xmpp_websocket, c.event_streams)
    };
    assert_eq!(counts(&table), (1, 1, 2));
    // alice/a comes back over WebSocket: the TCP session it replaces is gone.
    let _r5 = table
        .register(full("alice@localhost/a"), SessionKind::XmppWebSocket, l)
        .unwrap();
    assert_eq!(counts(&table), (0, 2, 2));
    table.unregister(&tcp.jid, tcp.id);
    assert_eq!(
        counts(&table),
        (0, 2, 2),
        "the replaced session leaving changes nothing"
    );
}

/// Records the news a cluster would hear.
#[derive(Default)]
struct News(Mutex<Vec<String>>);

impl SessionNews for News {
    fn opened(&self, s: &Session) {
        self.0.lock().unwrap().push(format!("opened {}", s.jid));
    }
    fn changed(&self, s: &Session) {
        self.0.lock().unwrap().push(format!("changed {}", s.jid));
    }
    fn closed(&self, s: &Session) {
        self.0.lock().unwrap().push(format!("closed {}", s.jid));
    }
}

#[test]
fn local_sessions_tell_the_cluster_of_their_opening_changes_and_end() {
    let (table, _) = table();
    let news = Arc::new(News::default());
    table.set_news(news.clone());
    let (s, _inbox) = table
        .register(full("alice@localhost/desk"), SessionKind::XmppTcp, limits(8))
        .unwrap();
    s.set_available(1, xml("<presence/>"));
    s.set_wants_roster();
    s.set_wants_roster(); // no change, no news
    table.unregister(&s.jid, s.id);
    let state = s.routing_state();
    assert!(state.available && state.wants_roster && state.last.is_some());
    assert_eq!(
        *news.0.lock().unwrap(),
        [
            "opened alice@localhost/desk",
            "changed alice@localhost/desk",
            "changed alice@localhost/desk",
            "closed alice@localhost/desk"
        ]
    );
}

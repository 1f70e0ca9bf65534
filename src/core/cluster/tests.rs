//! The cluster's rules in process: nodes of an in-memory cluster
//! ([`crate::core::testkit::cluster`]) on one in-memory store, on tokio's paused clock,
//! so that heartbeats and timeouts are exact and nothing touches a socket or a file.

use crate::core::account::tokens;
use crate::core::im::messages::send_chat;
use crate::core::routing::component::{self, ComponentOptions};
use crate::core::routing::router::OnConflict;
use crate::core::session::{Kick, SessionKind};
use crate::core::stanza::ns;
use crate::core::testkit::cluster::{ClusterHarness, HEARTBEAT, PEER_TIMEOUT};
use crate::core::testkit::{condition, Client};
use crate::xml::Element;
use jid::{BareJid, FullJid};

/// Long enough for every node to give up on a silent one.
const GONE: std::time::Duration = PEER_TIMEOUT.saturating_add(HEARTBEAT).saturating_add(HEARTBEAT);

fn body(stanza: &Element) -> Option<String> {
    stanza.child("body", ns::CLIENT).map(|b| b.text())
}

fn bare(jid: &str) -> BareJid {
    BareJid::new(jid).unwrap()
}

/// The presence stanzas `client` got from `from`: their types (`available` for none).
fn presence_from(stanzas: &[Element], from: &str) -> Vec<String> {
    stanzas
        .iter()
        .filter(|s| s.name == "presence" && s.attr("from") == Some(from))
        .map(|s| s.attr("type").unwrap_or("available").to_owned())
        .collect()
}

fn bodies(stanzas: &[Element]) -> Vec<String> {
    stanzas.iter().filter_map(body).collect()
}

fn remote(node: &str) -> Option<String> {
    Some(node.to_owned())
}

// --- delivery through proxies ------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_message_on_one_node_reaches_a_session_on_another_through_its_proxy() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let mut bob = h.online(1, "bob@localhost/phone").await;
    assert_eq!(
        h.table(0, "bob@localhost"),
        [("bob@localhost/phone".to_owned(), remote("n2"))]
    );
    let alice = h.online(0, "alice@localhost/pc").await;
    h.send(
        0,
        &alice,
        "<message to='bob@localhost' type='chat'><body>hi</body></message>",
    )
    .await;
    let got = bob.take_one();
    assert_eq!(body(&got).as_deref(), Some("hi"));
    assert_eq!(got.attr("from"), Some("alice@localhost/pc"));
    assert!(
        got.child("stanza-id", ns::STANZA_ID).is_some(),
        "archived by the node it entered"
    );
}

#[tokio::test(start_paused = true)]
async fn names_in_any_script_cross_nodes_in_session_news_and_stanzas() {
    let h = ClusterHarness::new(2, &["алиса", "ボブ"]).await;
    let mut bob = h.online(1, "ボブ@localhost/電話").await;
    assert_eq!(
        h.table(0, "ボブ@localhost"),
        [("ボブ@localhost/電話".to_owned(), remote("n2"))]
    );
    send_chat(h.core(0), &bare("алиса@localhost"), "ボブ@localhost", "привет".into())
        .await
        .unwrap();
    h.settle().await;
    let got = bob.take_one();
    assert_eq!(body(&got).as_deref(), Some("привет"));
    assert_eq!(got.attr("from"), Some("алиса@localhost"));
}

#[tokio::test(start_paused = true)]
async fn a_rest_message_reaches_every_available_session_of_the_recipient_on_every_node() {
    let h = ClusterHarness::new(3, &["alice", "bob"]).await;
    let mut phone = h.online(0, "bob@localhost/phone").await;
    let mut laptop = h.online(1, "bob@localhost/laptop").await;
    phone.take();
    laptop.take();
    send_chat(h.core(2), &bare("alice@localhost"), "bob@localhost", "hello".into())
        .await
        .unwrap();
    h.settle().await;
    assert_eq!(bodies(&phone.take()), ["hello"]);
    assert_eq!(bodies(&laptop.take()), ["hello"]);
}

#[tokio::test(start_paused = true)]
async fn a_sessions_routing_state_is_the_same_on_every_node() {
    let h = ClusterHarness::new(2, &["bob"]).await;
    let bob = h.bind(1, "bob@localhost/phone");
    h.settle().await;
    let jid = FullJid::new("bob@localhost/phone").unwrap();
    let proxy = h.core(0).sessions().session(&jid).expect("a proxy on n1");
    assert_eq!(proxy.remote_node(), Some("n2"));
    assert!(!proxy.available(), "bound, no presence yet");
    h.send(1, &bob, "<presence><priority>5</priority></presence>").await;
    h.send(
        1,
        &bob,
        "<iq type='set' id='c'><enable xmlns='urn:xmpp:carbons:2'/></iq>",
    )
    .await;
    h.send(1, &bob, "<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    let proxy = h.core(0).sessions().session(&jid).unwrap();
    assert!(proxy.available());
    assert_eq!(proxy.priority(), 5);
    assert!(proxy.carbons() && proxy.wants_roster());
    assert!(proxy.last_presence().is_some());
    assert_eq!(
        h.core(0).sessions().session_count(),
        0,
        "a node counts its own sessions only"
    );
}

#[tokio::test(start_paused = true)]
async fn stanzas_for_a_paused_node_wait_and_arrive_when_it_resumes() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let mut bob = h.online(1, "bob@localhost/phone").await;
    let alice = h.online(0, "alice@localhost/pc").await;
    h.pause(1);
    h.pass(HEARTBEAT).await;
    h.send(
        0,
        &alice,
        "<message to='bob@localhost/phone' type='chat'><body>1</body></message>",
    )
    .await;
    h.send(
        0,
        &alice,
        "<message to='bob@localhost/phone' type='chat'><body>2</body></message>",
    )
    .await;
    assert!(bob.take().is_empty(), "held while the node is stopped");
    h.resume(1).await;
    assert_eq!(bodies(&bob.take()), ["1", "2"]);
}

#[tokio::test(start_paused = true)]
async fn a_carbon_reaches_the_senders_other_session_on_another_node() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let enable = "<iq type='set' id='c'><enable xmlns='urn:xmpp:carbons:2'/></iq>";
    let mut pc = h.online(0, "alice@localhost/pc").await;
    let phone = h.online(1, "alice@localhost/phone").await;
    h.send(0, &pc, enable).await;
    h.send(1, &phone, enable).await;
    pc.take();
    h.send(
        1,
        &phone,
        "<message to='bob@localhost' type='chat'><body>from my phone</body></message>",
    )
    .await;
    let copies = pc.take();
    let sent: Vec<&Element> = copies
        .iter()
        .filter_map(|m| m.child("sent", "urn:xmpp:carbons:2"))
        .collect();
    assert_eq!(sent.len(), 1, "{copies:#?}");
    let forwarded = sent[0]
        .child("forwarded", "urn:xmpp:forward:0")
        .and_then(|f| f.child("message", ns::CLIENT))
        .expect("the sent message");
    assert_eq!(body(forwarded).as_deref(), Some("from my phone"));
}

// --- presence and rosters across nodes -------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn presence_crosses_nodes_both_ways_between_contacts() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    h.befriend(0, "alice@localhost", "bob@localhost").await;
    let mut bob = h.online(1, "bob@localhost/phone").await;
    let mut alice = h.bind(0, "alice@localhost/pc");
    h.send(0, &alice, "<presence/>").await;
    assert_eq!(presence_from(&bob.take(), "alice@localhost/pc"), ["available"]);
    assert_eq!(
        presence_from(&alice.take(), "bob@localhost/phone"),
        ["available"],
        "the probe is answered from the proxy's last presence"
    );
}

#[tokio::test(start_paused = true)]
async fn a_roster_push_reaches_the_users_session_on_another_node() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let mut phone = h.online(1, "alice@localhost/phone").await;
    h.send(
        1,
        &phone,
        "<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>",
    )
    .await;
    phone.take();
    let pc = h.online(0, "alice@localhost/pc").await;
    h.send(
        0,
        &pc,
        "<iq type='set' id='add'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' name='Bob'/></query></iq>",
    )
    .await;
    let pushes: Vec<Element> = phone
        .take()
        .into_iter()
        .filter(|s| s.name == "iq" && s.attr("type") == Some("set"))
        .collect();
    assert_eq!(pushes.len(), 1, "{pushes:#?}");
    let item = pushes[0]
        .child("query", ns::ROSTER)
        .and_then(|q| q.child("item", ns::ROSTER))
        .unwrap();
    assert_eq!(
        (item.attr("jid"), item.attr("name")),
        (Some("bob@localhost"), Some("Bob"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_subscription_approved_across_nodes_shares_presence_at_once() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let mut alice = h.online(0, "alice@localhost/pc").await;
    let mut bob = h.online(1, "bob@localhost/phone").await;
    h.send(0, &alice, "<presence to='bob@localhost' type='subscribe'/>")
        .await;
    let asked: Vec<Element> = bob.take();
    assert_eq!(presence_from(&asked, "alice@localhost"), ["subscribe"]);
    h.send(1, &bob, "<presence to='alice@localhost' type='subscribed'/>")
        .await;
    let seen = alice.take();
    assert!(presence_from(&seen, "bob@localhost").contains(&"subscribed".to_owned()));
    assert_eq!(
        presence_from(&seen, "bob@localhost/phone"),
        ["available"],
        "bob's current presence follows his approval"
    );
}

#[tokio::test(start_paused = true)]
async fn a_session_that_ends_is_seen_going_unavailable_and_leaves_every_table() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    h.befriend(0, "alice@localhost", "bob@localhost").await;
    let mut alice = h.online(0, "alice@localhost/pc").await;
    let bob = h.online(1, "bob@localhost/phone").await;
    alice.take();
    h.close(1, &bob).await;
    assert_eq!(presence_from(&alice.take(), "bob@localhost/phone"), ["unavailable"]);
    assert!(h.table(0, "bob@localhost").is_empty());
    assert!(h.table(1, "bob@localhost").is_empty());
}

#[tokio::test(start_paused = true)]
async fn directed_presence_is_withdrawn_when_the_senders_node_goes() {
    let h = ClusterHarness::new(3, &["bob", "carol"]).await;
    let mut carol = h.online(0, "carol@localhost/pc").await;
    let bob = h.online(2, "bob@localhost/phone").await;
    h.send(2, &bob, "<presence to='carol@localhost/pc'/>").await;
    assert_eq!(presence_from(&carol.take(), "bob@localhost/phone"), ["available"]);
    h.pause(2);
    h.pass(GONE).await;
    assert_eq!(
        presence_from(&carol.take(), "bob@localhost/phone"),
        ["unavailable"],
        "the directed presence was part of the replicated state"
    );
}

// --- nodes going and coming back -----------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_silent_node_is_let_go_and_its_sessions_announced_unavailable_once() {
    let h = ClusterHarness::new(3, &["alice", "bob", "carol"]).await;
    h.befriend(0, "alice@localhost", "bob@localhost").await;
    h.befriend(0, "carol@localhost", "bob@localhost").await;
    let mut alice = h.online(0, "alice@localhost/pc").await;
    let mut carol = h.online(1, "carol@localhost/pc").await;
    let _bob = h.online(2, "bob@localhost/phone").await;
    alice.take();
    carol.take();
    h.pass(HEARTBEAT).await;
    h.pause(2);
    h.pass(PEER_TIMEOUT - HEARTBEAT).await;
    assert_eq!(h.table(0, "bob@localhost").len(), 1, "not gone before the timeout");
    h.pass(HEARTBEAT + HEARTBEAT).await;
    assert!(h.table(0, "bob@localhost").is_empty() && h.table(1, "bob@localhost").is_empty());
    assert_eq!(presence_from(&alice.take(), "bob@localhost/phone"), ["unavailable"]);
    assert_eq!(
        presence_from(&carol.take(), "bob@localhost/phone"),
        ["unavailable"],
        "announced by one node only"
    );
    assert!(!h.cluster(0).live_nodes().contains(&"n3".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_node_back_after_a_pause_has_its_sessions_taken_again_and_announced() {
    let h = ClusterHarness::new(3, &["alice", "bob"]).await;
    h.befriend(0, "alice@localhost", "bob@localhost").await;
    let mut alice = h.online(0, "alice@localhost/pc").await;
    let mut bob = h.online(2, "bob@localhost/phone").await;
    alice.take();
    h.pause(2);
    h.pass(GONE).await;
    assert_eq!(presence_from(&alice.take(), "bob@localhost/phone"), ["unavailable"]);
    h.resume(2).await;
    h.pass(HEARTBEAT * 2).await;
    assert_eq!(
        h.table(0, "bob@localhost"),
        [("bob@localhost/phone".to_owned(), remote("n3"))]
    );
    assert_eq!(h.table(1, "bob@localhost").len(), 1);
    assert_eq!(
        presence_from(&alice.take(), "bob@localhost/phone"),
        ["available"],
        "announced back once"
    );
    h.send(
        0,
        &alice,
        "<message to='bob@localhost/phone' type='chat'><body>welcome back</body></message>",
    )
    .await;
    assert_eq!(bodies(&bob.take()), ["welcome back"]);
}

#[tokio::test(start_paused = true)]
async fn a_stalled_node_gives_its_peers_another_timeout_instead_of_letting_them_go() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let _alice = h.online(0, "alice@localhost/pc").await;
    let _bob = h.online(1, "bob@localhost/phone").await;
    // Node n1 stops long enough for n2 to let it go; n1, once back, must not let n2 go
    // for the heartbeats it could not read while stopped.
    h.pause(0);
    h.pass(GONE).await;
    h.resume(0).await;
    h.pass(HEARTBEAT).await;
    assert_eq!(h.cluster(0).live_nodes(), ["n1", "n2"]);
    assert_eq!(h.table(0, "bob@localhost").len(), 1, "n1 kept bob's proxy");
    h.pass(HEARTBEAT).await;
    assert_eq!(h.table(1, "alice@localhost").len(), 1, "n2 took alice back");
}

#[tokio::test(start_paused = true)]
async fn a_restarted_node_is_forgotten_and_known_again_from_its_snapshot() {
    let mut h = ClusterHarness::new(2, &["alice", "bob"]).await;
    h.befriend(0, "alice@localhost", "bob@localhost").await;
    let mut alice = h.online(0, "alice@localhost/pc").await;
    let _bob = h.online(1, "bob@localhost/phone").await;
    alice.take();
    h.start(1).await;
    h.pass(HEARTBEAT).await;
    assert!(
        h.table(0, "bob@localhost").is_empty(),
        "the old run's sessions are gone"
    );
    assert_eq!(presence_from(&alice.take(), "bob@localhost/phone"), ["unavailable"]);
    let _again = h.online(1, "bob@localhost/tablet").await;
    assert_eq!(
        h.table(0, "bob@localhost"),
        [("bob@localhost/tablet".to_owned(), remote("n2"))]
    );
    assert_eq!(presence_from(&alice.take(), "bob@localhost/tablet"), ["available"]);
}

#[tokio::test(start_paused = true)]
async fn a_node_that_leaves_is_forgotten_at_once_and_not_announced_twice() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    h.befriend(0, "alice@localhost", "bob@localhost").await;
    let mut alice = h.online(0, "alice@localhost/pc").await;
    let bob = h.online(1, "bob@localhost/phone").await;
    alice.take();
    // A node shutting down: its sessions end (and say so), then it leaves.
    h.close(1, &bob).await;
    h.core(1).leave_cluster().await;
    h.settle().await;
    assert_eq!(h.cluster(0).live_nodes(), ["n1"]);
    h.pass(GONE).await;
    assert_eq!(presence_from(&alice.take(), "bob@localhost/phone"), ["unavailable"]);
}

#[tokio::test(start_paused = true)]
async fn a_snapshot_larger_than_one_part_arrives_whole() {
    let mut h = ClusterHarness::new(2, &[]).await;
    let status = "x".repeat(1000);
    let mut clients: Vec<Client> = Vec::new();
    for i in 0..400 {
        let c = h.bind(1, &format!("user{i}@localhost/r"));
        let presence = crate::core::testkit::xml(&format!("<presence><status>{status}</status></presence>"));
        c.session.set_available(0, presence);
        clients.push(c);
    }
    h.settle().await;
    // n1 starts again: it knows nothing of n2 and asks for everything at once.
    h.start(0).await;
    h.pass(HEARTBEAT).await;
    let known = (0..400)
        .filter(|i| {
            let jid = FullJid::new(&format!("user{i}@localhost/r")).unwrap();
            h.core(0).sessions().session(&jid).is_some_and(|s| s.available())
        })
        .count();
    assert_eq!(known, 400);
}

#[tokio::test(start_paused = true)]
async fn the_cluster_gauge_counts_the_nodes_this_one_hears_from() {
    let mut h = ClusterHarness::new(3, &[]).await;
    assert!(h.core(0).metrics_text().contains("meerkat_cluster_nodes 3\n"));
    h.kill(2).await;
    h.pass(GONE).await;
    assert!(h.core(0).metrics_text().contains("meerkat_cluster_nodes 2\n"));
}

// --- one full JID on two nodes ---------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn of_one_full_jid_bound_on_two_nodes_the_later_bind_stays_everywhere() {
    let h = ClusterHarness::new(2, &["bob"]).await;
    let first = h.bind(0, "bob@localhost/phone");
    h.settle().await;
    let _later = h.bind(1, "bob@localhost/phone");
    h.settle().await;
    assert_eq!(first.kicked(), Some(Kick::Conflict));
    assert_eq!(
        h.table(0, "bob@localhost"),
        [("bob@localhost/phone".to_owned(), remote("n2"))]
    );
    assert_eq!(h.table(1, "bob@localhost"), [("bob@localhost/phone".to_owned(), None)]);
}

#[tokio::test(start_paused = true)]
async fn a_later_bind_wins_even_when_the_news_cross_on_the_way() {
    let h = ClusterHarness::new(2, &["bob"]).await;
    let on_n2 = h.bind(1, "bob@localhost/phone");
    h.settle().await;
    // n2 stops; meanwhile bob binds again on n1 (which kicks n2's session, by its bind
    // time) and then, n2 not having heard any of it, once more on n2.
    h.pause(1);
    let on_n1 = h.bind(0, "bob@localhost/phone");
    h.settle().await;
    let latest = h.bind(1, "bob@localhost/phone");
    assert_eq!(on_n2.kicked(), Some(Kick::Conflict), "replaced on its own node");
    h.resume(1).await;
    h.settle().await;
    assert_eq!(latest.kicked(), None, "the kick named the first bind only");
    assert_eq!(on_n1.kicked(), Some(Kick::Conflict));
    assert_eq!(h.table(1, "bob@localhost"), [("bob@localhost/phone".to_owned(), None)]);
    assert_eq!(
        h.table(0, "bob@localhost"),
        [("bob@localhost/phone".to_owned(), remote("n2"))]
    );
}

// --- rooms ---------------------------------------------------------------------------------

const ROOM: &str = "lobby@conference.localhost";

#[tokio::test(start_paused = true)]
async fn a_room_lives_on_one_node_and_its_occupants_on_every_node_hear_each_other() {
    let h = ClusterHarness::new(3, &["alice", "bob"]).await;
    let host = h.cluster(0).host_of(ROOM);
    assert!((1..3).all(|i| h.cluster(i).host_of(ROOM) == host), "every node agrees");
    let mut alice = h.online(0, "alice@localhost/pc").await;
    let mut bob = h.online(2, "bob@localhost/phone").await;
    h.send(
        0,
        &alice,
        &format!("<presence to='{ROOM}/al'><x xmlns='http://jabber.org/protocol/muc'/></presence>"),
    )
    .await;
    h.send(
        0,
        &alice,
        &format!("<iq id='cfg' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"),
    )
    .await;
    h.send(
        2,
        &bob,
        &format!("<presence to='{ROOM}/bo'><x xmlns='http://jabber.org/protocol/muc'/></presence>"),
    )
    .await;
    alice.take();
    bob.take();
    h.send(
        2,
        &bob,
        &format!("<message to='{ROOM}' type='groupchat'><body>hello room</body></message>"),
    )
    .await;
    for c in [&mut alice, &mut bob] {
        let got = c.take();
        assert_eq!(bodies(&got), ["hello room"], "{got:#?}");
        assert_eq!(got[0].attr("from"), Some(&*format!("{ROOM}/bo")));
    }
}

#[tokio::test(start_paused = true)]
async fn when_a_node_goes_only_its_rooms_move_and_every_node_agrees_where() {
    let mut h = ClusterHarness::new(3, &[]).await;
    let rooms: Vec<String> = (0..60).map(|i| format!("room{i}@conference.localhost")).collect();
    let before: Vec<String> = rooms.iter().map(|r| h.cluster(0).host_of(r)).collect();
    assert!(before.iter().any(|n| n == "n3"), "n3 hosts some rooms");
    h.kill(2).await;
    h.pass(GONE).await;
    for (room, was) in rooms.iter().zip(&before) {
        let now = h.cluster(0).host_of(room);
        assert_eq!(now, h.cluster(1).host_of(room), "{room}");
        if was == "n3" {
            assert_ne!(now, "n3", "{room} moved to a live node");
        } else {
            assert_eq!(&now, was, "{room} stayed");
        }
    }
}

// --- accounts, tokens and caches -------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_password_changed_on_one_node_stops_working_on_every_node() {
    let h = ClusterHarness::new(2, &["alice"]).await;
    let accounts = h.core(1).accounts();
    assert!(accounts
        .check_password("alice@localhost", "pw")
        .await
        .unwrap()
        .is_some());
    let pc = h.online(1, "alice@localhost/pc").await;
    h.core(0)
        .change_password(&bare("alice@localhost"), "new")
        .await
        .unwrap();
    h.settle().await;
    assert!(
        accounts
            .check_password("alice@localhost", "pw")
            .await
            .unwrap()
            .is_none(),
        "n2 forgot the cached check"
    );
    assert!(accounts
        .check_password("alice@localhost", "new")
        .await
        .unwrap()
        .is_some());
    assert_eq!(pc.kicked(), Some(Kick::Reset));
}

#[tokio::test(start_paused = true)]
async fn an_account_removed_on_one_node_ends_its_sessions_on_every_node() {
    let h = ClusterHarness::new(3, &["alice"]).await;
    let pc = h.online(1, "alice@localhost/pc").await;
    let phone = h.online(2, "alice@localhost/phone").await;
    h.core(0).remove_account(&bare("alice@localhost")).await.unwrap();
    h.settle().await;
    assert_eq!(pc.kicked(), Some(Kick::Reset));
    assert_eq!(phone.kicked(), Some(Kick::Reset));
    assert!(!h.core(2).accounts().exists(&bare("alice@localhost")).await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn an_event_stream_on_one_node_ends_when_its_token_is_revoked_on_another() {
    let h = ClusterHarness::new(2, &["alice"]).await;
    let alice = bare("alice@localhost");
    let issued = h.core(0).tokens().issue(&alice).await.unwrap();
    let grant: tokens::Grant = h
        .core(1)
        .tokens()
        .authenticate(&issued.secret)
        .await
        .unwrap()
        .expect("a live token");
    let (stream, _inbox) = h.core(1).open_event_stream(&alice, Some(&grant)).await.unwrap();
    h.settle().await;
    assert!(
        h.core(0).sessions().sessions_of(&alice)[0].available(),
        "counts on n1 too"
    );
    h.core(0).revoke_token(&alice, &grant.id).await.unwrap();
    h.settle().await;
    assert_eq!(futures::FutureExt::now_or_never(stream.kicked()), Some(Kick::Reset));
}

#[tokio::test(start_paused = true)]
async fn a_blocklist_changed_on_one_node_is_enforced_by_every_node() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let mut alice = h.online(0, "alice@localhost/pc").await;
    let mut bob = h.online(1, "bob@localhost/phone").await;
    let chat = "<message id='m' to='bob@localhost/phone' type='chat'><body>hi</body></message>";
    h.send(0, &alice, chat).await;
    assert_eq!(bodies(&bob.take()), ["hi"], "n1 read bob's (empty) blocklist");
    h.send(
        1,
        &bob,
        "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='alice@localhost'/></block></iq>",
    )
    .await;
    bob.take();
    h.send(0, &alice, chat).await;
    assert!(bob.take().is_empty(), "n1 forgot the cached list and read the new one");
    let refused = alice.take();
    assert_eq!(condition(&refused[0]).as_deref(), Some("service-unavailable"));
}

#[tokio::test(start_paused = true)]
async fn an_avatar_set_on_one_node_is_in_the_presence_sent_from_another() {
    use base64::Engine;
    use sha1::{Digest, Sha1};
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    h.befriend(0, "alice@localhost", "bob@localhost").await;
    let mut bob = h.online(0, "bob@localhost/b").await;
    let pc = h.online(0, "alice@localhost/pc").await;
    let phone = h.online(1, "alice@localhost/phone").await;
    bob.take();
    let image = b"\x89PNG not really";
    let hash: String = Sha1::digest(image).iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(image);
    h.send(
        0,
        &pc,
        &format!("<iq type='set' id='v'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>{b64}</BINVAL></PHOTO></vCard></iq>"),
    )
    .await;
    bob.take();
    h.send(1, &phone, "<presence><show>away</show></presence>").await;
    let seen = bob.take();
    let from_phone = seen
        .iter()
        .find(|s| s.name == "presence" && s.attr("from") == Some("alice@localhost/phone"))
        .expect("the phone's presence");
    let photo = from_phone
        .child("x", "vcard-temp:x:update")
        .and_then(|x| x.child("photo", "vcard-temp:x:update"))
        .map(|p| p.text());
    assert_eq!(photo, Some(hash), "n2 forgot the hash it had cached");
}

// --- order, archives, offline storage, components --------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_rest_send_answers_only_once_its_stanzas_left_for_other_nodes() {
    let h = ClusterHarness::new(3, &["alice", "bob"]).await;
    let mut bob = h.online(2, "bob@localhost/phone").await;
    let alice = bare("alice@localhost");
    for (n, text) in [(0, "1"), (1, "2"), (0, "3"), (1, "4")] {
        send_chat(h.core(n), &alice, "bob@localhost", text.into())
            .await
            .unwrap();
        assert_eq!(h.unsent(n), 0, "message {text} was still in n{}'s outbox", n + 1);
    }
    h.settle().await;
    assert_eq!(bodies(&bob.take()), ["1", "2", "3", "4"]);
}

#[tokio::test(start_paused = true)]
async fn concurrent_rest_sends_share_the_markers_they_wait_for() {
    let h = ClusterHarness::new(3, &["alice", "bob"]).await;
    let mut bob = h.online(2, "bob@localhost/phone").await;
    let alice = bare("alice@localhost");
    const SENDS: usize = 32;
    let before = h.cluster(0).next_marker.load(std::sync::atomic::Ordering::Acquire);
    let sends = (0..SENDS).map(|i| send_chat(h.core(0), &alice, "bob@localhost", format!("{i}")));
    for sent in futures::future::join_all(sends).await {
        sent.unwrap();
    }
    assert_eq!(h.unsent(0), 0, "every send answered once its stanza left");
    let markers = h.cluster(0).next_marker.load(std::sync::atomic::Ordering::Acquire) - before;
    assert!(
        markers <= (SENDS / 4) as u64,
        "{markers} markers for {SENDS} concurrent sends"
    );
    h.settle().await;
    let mut got = bodies(&bob.take());
    got.sort_by_key(|b| b.parse::<usize>().unwrap());
    assert_eq!(got, (0..SENDS).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn archive_watermarks_span_every_node() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let alice = bare("alice@localhost");
    send_chat(h.core(0), &alice, "bob@localhost", "a".into()).await.unwrap();
    send_chat(h.core(1), &alice, "bob@localhost", "b".into()).await.unwrap();
    let newest = [0, 1].map(|n| h.core(n).archive.last_issued());
    let (settled, issued) = h.core(0).archive_watermarks().await;
    assert_eq!(issued, newest[0].max(newest[1]), "the newest id of any node");
    assert!(settled >= newest[0].min(newest[1]), "nothing is being written");
    let ids = h
        .stores
        .archive
        .archive_query(crate::store::ArchiveQuery {
            owner: "bob@localhost".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0].id & 0x3f, ids[1].id & 0x3f, "each node's ids carry its number");
}

#[tokio::test(start_paused = true)]
async fn a_message_for_a_user_whose_node_is_gone_is_held_until_they_return() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let alice = h.online(0, "alice@localhost/pc").await;
    let _bob = h.online(1, "bob@localhost/phone").await;
    h.pause(1);
    h.pass(GONE).await;
    h.send(
        0,
        &alice,
        "<message to='bob@localhost' type='chat'><body>while you were away</body></message>",
    )
    .await;
    let mut back = h.bind(0, "bob@localhost/laptop");
    h.send(0, &back, "<presence/>").await;
    let got = back.take();
    let held = got.iter().find(|s| s.name == "message").expect("the held message");
    assert_eq!(body(held).as_deref(), Some("while you were away"));
    assert!(held.child("delay", ns::DELAY).is_some());
}

#[tokio::test(start_paused = true)]
async fn an_external_component_on_one_node_is_reachable_from_every_node() {
    let h = ClusterHarness::new(2, &["alice"]).await;
    let options = ComponentOptions {
        check_from: true,
        hidden: false,
        on_conflict: OnConflict::Refuse,
        queue_len: 16,
        queue_bytes: 1 << 16,
    };
    let (bot, mut inbox) = component::connect(h.core(1), "bot.localhost", options).unwrap();
    h.settle().await;
    let mut alice = h.online(0, "alice@localhost/pc").await;
    h.send(
        0,
        &alice,
        "<message to='help@bot.localhost' type='chat'><body>help</body></message>",
    )
    .await;
    let got = inbox.try_recv().expect("the component got it");
    assert_eq!(body(&got).as_deref(), Some("help"));
    component::disconnect(h.core(1), &bot);
    h.settle().await;
    h.send(
        0,
        &alice,
        "<message id='x' to='help@bot.localhost' type='chat'><body>anyone?</body></message>",
    )
    .await;
    let refused = alice.take();
    assert_eq!(condition(&refused[0]).as_deref(), Some("remote-server-not-found"));
}

#[tokio::test(start_paused = true)]
async fn an_event_stream_counts_as_an_available_session_on_every_node() {
    let h = ClusterHarness::new(2, &["alice", "bob"]).await;
    let (stream, mut inbox) = h.core(1).open_event_stream(&bare("bob@localhost"), None).await.unwrap();
    h.settle().await;
    assert_eq!(stream.kind, SessionKind::EventStream);
    send_chat(h.core(0), &bare("alice@localhost"), "bob@localhost", "over sse".into())
        .await
        .unwrap();
    h.settle().await;
    let got = inbox.try_recv().expect("delivered to the stream").into_element();
    assert_eq!(body(&got).as_deref(), Some("over sse"));
}

//! Three meerkat nodes as processes on loopback, sharing one PostgreSQL and routing to
//! each other over a private nats-server: what one node does holds when each request goes
//! to a different node, and the cluster rides out a node killed, a node paused, NATS
//! restarted, PostgreSQL restarted and a rolling restart.

use crate::common;
use crate::common::nats::PrivateNats;
use crate::common::postgres::PrivatePostgres;
use crate::common::sse::EventStream;
use crate::common::xmpp::{
    arrives, next_stanza, online, raw_bind, raw_login, raw_stream_error, roster_of, Jid, Transport,
};
use crate::common::{default_config, raw_request, TestServer};
use meerkat_admin_api::ApiNoContext as _;
use meerkat_client_api::models::{MessageRequest, RoomInvite, RoomMessage, RoomRequest};
use meerkat_client_api::{
    ApiNoContext as _, CreateRoomResponse, GetMessagesWithResponse, InviteToRoomResponse, SendMessageResponse,
    SendRoomMessageResponse,
};
use std::time::{Duration, Instant};
use tokio_xmpp::parsers::message::{Lang, Message, MessageType};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::Stanza;

/// A node is gone after this long without a heartbeat (heartbeats every 200 ms).
const PEER_TIMEOUT: Duration = Duration::from_millis(1000);

struct Cluster {
    nats: PrivateNats,
    nodes: Vec<TestServer>,
}

/// The config of node `i`.
fn node_config(dir: &std::path::Path, pg_url: &str, nats_url: &str, i: usize) -> String {
    let extra = format!(
        r#"
[[listen.http]]
port = 0
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_prometheus_handler]]
  path = "/metrics"

[storage.postgres]
url = "{pg_url}"
pool_size = 8
timeout_ms = 1000
node_id = {i}

[cluster]
nats_url = "{nats_url}"
node = "node{i}"
heartbeat_ms = 200
peer_timeout_ms = {timeout}
"#,
        timeout = PEER_TIMEOUT.as_millis()
    );
    default_config(dir, &extra).replacen("[general]\n", "[general]\nstorage = \"postgres\"\n", 1)
}

impl Cluster {
    /// Three nodes on a fresh database of `pg` (the process's shared PostgreSQL when
    /// `None`), with users alice, bob and carol (password `secret`).
    async fn start(pg: Option<&PrivatePostgres>) -> Cluster {
        let pg_url = match pg {
            Some(pg) => {
                pg.sql("postgres", "CREATE DATABASE meerkat").unwrap();
                pg.url("meerkat")
            }
            None => common::postgres::shared().fresh_database().expect("a test database"),
        };
        let nats = PrivateNats::start();
        let mut nodes = Vec::new();
        for i in 0..3 {
            let (pg_url, nats_url) = (pg_url.clone(), nats.url());
            nodes.push(TestServer::start_with(move |dir| {
                node_config(dir, &pg_url, &nats_url, i)
            }));
        }
        let cluster = Cluster { nats, nodes };
        cluster.formed().await;
        for u in ["alice", "bob", "carol"] {
            cluster.nodes[0].register(u, "secret").await;
        }
        cluster
    }

    /// Waits until every node hears every other (at most 20 s).
    async fn formed(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for (i, node) in self.nodes.iter().enumerate() {
            loop {
                if live_nodes(node) == Some(self.nodes.len()) {
                    break;
                }
                assert!(Instant::now() < deadline, "node{i} did not see the whole cluster");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        // Each node asked the others for their sessions when it heard of them; give the
        // snapshots a moment.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `meerkat_cluster_nodes` of `node`.
fn live_nodes(node: &TestServer) -> Option<usize> {
    let r = raw_request(node.addr("mongoose_prometheus_handler"), "GET", "/metrics", &[], "");
    r.body
        .lines()
        .find_map(|l| l.strip_prefix("meerkat_cluster_nodes "))
        .and_then(|n| n.trim().parse().ok())
}

fn user(name: &str) -> String {
    format!("{name}@localhost")
}

/// `from` sends `body` to `to` through `node`'s REST API; the message id, or why not.
async fn send(node: &TestServer, from: &str, to: &str, body: &str) -> Result<String, String> {
    match node
        .client_as(&user(from), "secret")
        .send_message(MessageRequest::new(user(to), body.into()), None)
        .await
    {
        Ok(SendMessageResponse::MessageSent(m)) => Ok(m.id),
        Ok(other) => Err(format!("{other:?}")),
        Err(e) => Err(e.to_string()),
    }
}

/// The bodies `owner`'s archive holds with `with`, oldest first, read through `node`.
async fn archived(node: &TestServer, owner: &str, with: &str) -> Vec<String> {
    match node
        .client_as(&user(owner), "secret")
        .get_messages_with(user(with), Some(500), None, None, None)
        .await
        .unwrap()
    {
        GetMessagesWithResponse::ArchivedMessages(m) => m.into_iter().map(|m| m.body).collect(),
        other => panic!("{other:?}"),
    }
}

fn is_chat_with_body(body: &str) -> impl FnMut(&Stanza) -> bool + '_ {
    move |s| matches!(s, Stanza::Message(m) if m.bodies.values().any(|b| b == body))
}

fn presence(kind: PresenceType, to: &str) -> Stanza {
    Presence::new(kind).with_to(to.parse::<Jid>().unwrap()).into()
}

fn is_presence(kind: PresenceType, from_bare: &str) -> impl FnMut(&Stanza) -> bool + '_ {
    move |s| matches!(s, Stanza::Presence(p) if p.type_ == kind && p.from.as_ref().is_some_and(|f| f.to_bare().to_string() == from_bare))
}

/// `a` (on one node) and `b` (on another) subscribe to each other over XMPP: requests,
/// answers, roster pushes and presence all cross nodes.
async fn befriend(a: &mut common::xmpp_client::Client, a_jid: &str, b: &mut common::xmpp_client::Client, b_jid: &str) {
    roster_of(a).await;
    roster_of(b).await;
    a.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    b.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    a.send_stanza(presence(PresenceType::Subscribe, b_jid)).await.unwrap();
    next_stanza(b, is_presence(PresenceType::Subscribe, a_jid)).await;
    b.send_stanza(presence(PresenceType::Subscribed, a_jid)).await.unwrap();
    next_stanza(a, is_presence(PresenceType::None, b_jid)).await;
    b.send_stanza(presence(PresenceType::Subscribe, a_jid)).await.unwrap();
    next_stanza(a, is_presence(PresenceType::Subscribe, b_jid)).await;
    a.send_stanza(presence(PresenceType::Subscribed, b_jid)).await.unwrap();
    next_stanza(b, is_presence(PresenceType::None, a_jid)).await;
}

#[tokio::test]
async fn messages_presence_and_event_streams_cross_nodes_and_a_full_jid_bound_twice_ends_with_one() {
    let c = Cluster::start(None).await;
    let [n0, n1, n2] = &c.nodes[..] else { unreachable!() };

    // REST on one node reaches an XMPP session on another, and an SSE stream on a third.
    let (mut bob, _) = online(n1, "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    let mut bob_sse = EventStream::open(n2, "bob@localhost").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(n0, "alice", "bob", "over there").await.unwrap();
    next_stanza(&mut bob, is_chat_with_body("over there")).await;
    let (_, event) = bob_sse.next_message().await;
    assert_eq!(event["body"], "over there");

    // Subscriptions, roster pushes and presence across nodes (alice on node0, bob on node1).
    let (mut alice, _) = online(n0, "alice@localhost/desk", "secret", Transport::StartTls).await;
    befriend(&mut alice, "alice@localhost", &mut bob, "bob@localhost").await;
    // XMPP to XMPP, both ways.
    let mut m = Message::new(Some("bob@localhost".parse().unwrap()));
    m.type_ = MessageType::Chat;
    m.bodies.insert(Lang::default(), "hi from node0".into());
    alice.send_stanza(m.into()).await.unwrap();
    next_stanza(&mut bob, is_chat_with_body("hi from node0")).await;

    // Going offline on node1 is seen on node0.
    bob.send_end().await.unwrap();
    next_stanza(&mut alice, is_presence(PresenceType::Unavailable, "bob@localhost")).await;

    // An event stream opened with a bearer token on node2 ends when the token is revoked
    // through node0.
    let token = match n1.client_as("alice@localhost", "secret").create_token().await.unwrap() {
        meerkat_client_api::CreateTokenResponse::TokenCreated(t) => t,
        other => panic!("{other:?}"),
    };
    let mut with_token = EventStream::open_as(n2, "", Some(&format!("Bearer {}", token.token)))
        .await
        .unwrap_or_else(|(status, body)| panic!("{status} {body}"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = n0
        .client_as("alice@localhost", "secret")
        .revoke_token(token.id.clone())
        .await
        .unwrap();
    assert_eq!(r, meerkat_client_api::RevokeTokenResponse::TokenRevoked);
    assert!(
        with_token.ends_within(Duration::from_secs(2)).await,
        "the stream outlived its token"
    );

    // Conflict: carol binds "desk" on node0, then on node2: the first stream ends.
    let carol: Jid = "carol@localhost".parse().unwrap();
    let (_, mut first) = raw_login(
        &common::xmpp::connector(n0, Transport::StartTls),
        &carol,
        "secret",
        None,
    )
    .await
    .unwrap();
    raw_bind(&mut first, "desk").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, mut second) = raw_login(
        &common::xmpp::connector(n2, Transport::StartTls),
        &carol,
        "secret",
        None,
    )
    .await
    .unwrap();
    raw_bind(&mut second, "desk").await.unwrap();
    assert_eq!(
        raw_stream_error(&mut first).await,
        tokio_xmpp::parsers::stream_error::DefinedCondition::Conflict
    );

    // Removing carol through the admin API of node1 ends her session on node2.
    let r = n1
        .admin(None)
        .unregister_user("localhost".into(), "carol".into())
        .await
        .unwrap();
    assert_eq!(r, meerkat_admin_api::UnregisterUserResponse::UserRemoved);
    assert_eq!(
        raw_stream_error(&mut second).await,
        tokio_xmpp::parsers::stream_error::DefinedCondition::Reset
    );
}

#[tokio::test]
async fn rooms_work_with_their_members_and_occupants_on_different_nodes() {
    let c = Cluster::start(None).await;
    let [n0, n1, n2] = &c.nodes[..] else { unreachable!() };

    // MUC Light over REST: created on node2, a member online on node1, a message sent
    // through node0.
    let (mut bob, _) = online(n1, "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    let alice_api = n2.client_as("alice@localhost", "secret");
    let id = match alice_api
        .create_room(RoomRequest::new("Den".into(), "Naps".into()), None)
        .await
        .unwrap()
    {
        CreateRoomResponse::RoomCreated(r) => r.id,
        other => panic!("{other:?}"),
    };
    let r = alice_api
        .invite_to_room(id.clone(), RoomInvite::new("bob@localhost".into()))
        .await
        .unwrap();
    assert_eq!(r, InviteToRoomResponse::UserInvited);
    let mut text = RoomMessage::new();
    text.body = Some("in the den".into());
    let r = n0
        .client_as("alice@localhost", "secret")
        .send_room_message(id.clone(), text, None)
        .await
        .unwrap();
    assert!(matches!(r, SendRoomMessageResponse::MessageSent(_)), "{r:?}");
    next_stanza(&mut bob, is_chat_with_body("in the den")).await;

    // XEP-0045: occupants on two nodes; the room is hosted by one of the three.
    let (mut alice, _) = online(n0, "alice@localhost/desk", "secret", Transport::StartTls).await;
    let room = "lobby@conference.localhost";
    let join = |nick: &str| -> Stanza {
        Presence::new(PresenceType::None)
            .with_to(format!("{room}/{nick}").parse::<Jid>().unwrap())
            .with_payloads(vec![tokio_xmpp::minidom::Element::builder(
                "x",
                "http://jabber.org/protocol/muc",
            )
            .build()])
            .into()
    };
    alice.send_stanza(join("alice")).await.unwrap();
    next_stanza(&mut alice, |s| {
        matches!(s, Stanza::Presence(p) if p.from.as_ref().is_some_and(|f| f.to_string() == format!("{room}/alice")))
    })
    .await;
    // A new room stays locked until its owner accepts the default configuration.
    let instant: tokio_xmpp::minidom::Element =
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>"
            .parse()
            .unwrap();
    let answer = alice
        .send_iq(Some(room.parse().unwrap()), tokio_xmpp::IqRequest::Set(instant))
        .await
        .await
        .expect("an answer to the room configuration");
    assert!(matches!(answer, tokio_xmpp::IqResponse::Result(_)), "{answer:?}");
    bob.send_stanza(join("bob")).await.unwrap();
    next_stanza(
        &mut alice,
        |s| matches!(s, Stanza::Presence(p) if p.from.as_ref().is_some_and(|f| f.to_string() == format!("{room}/bob"))),
    )
    .await;
    let mut m = Message::new(Some(room.parse().unwrap()));
    m.type_ = MessageType::Groupchat;
    m.bodies.insert(Lang::default(), "hello lobby".into());
    bob.send_stanza(m.into()).await.unwrap();
    next_stanza(&mut alice, is_chat_with_body("hello lobby")).await;
    next_stanza(&mut bob, is_chat_with_body("hello lobby")).await;
}

#[tokio::test]
async fn a_node_killed_loses_nothing_acknowledged_and_its_users_become_unavailable_to_the_others() {
    let mut c = Cluster::start(None).await;
    let (mut alice, _) = online(&c.nodes[1], "alice@localhost/desk", "secret", Transport::StartTls).await;
    let (mut bob, _) = online(&c.nodes[0], "bob@localhost/phone", "secret", Transport::StartTls).await;
    befriend(&mut alice, "alice@localhost", &mut bob, "bob@localhost").await;

    // Acknowledged by node0, concurrently (several group commits), then node0 is killed.
    let n0 = &c.nodes[0];
    let results =
        futures::future::join_all((0..20).map(|i| async move { send(n0, "carol", "alice", &format!("m{i}")).await }))
            .await;
    let acked: Vec<String> = results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.map(|_| format!("m{i}")).unwrap())
        .collect();
    c.nodes[0].signal("KILL");
    let killed = Instant::now();

    // Bob's contacts elsewhere hear he is gone, within the peer timeout and a margin.
    assert!(
        arrives(
            &mut alice,
            PEER_TIMEOUT + Duration::from_secs(4),
            is_presence(PresenceType::Unavailable, "bob@localhost")
        )
        .await,
        "no unavailable presence for bob"
    );
    assert!(killed.elapsed() < PEER_TIMEOUT + Duration::from_secs(4));
    let mut on_file = archived(&c.nodes[2], "alice", "carol").await;
    on_file.sort();
    let mut want = acked.clone();
    want.sort();
    assert_eq!(on_file, want);

    // Once every node let node0 go (each on its own clock, within one heartbeat of the
    // others; meanwhile a message to bob is archived only), a message to bob goes to his
    // archive and waits for him offline.
    for node in &c.nodes[1..] {
        let deadline = Instant::now() + Duration::from_secs(5);
        while live_nodes(node) != Some(2) {
            assert!(Instant::now() < deadline, "node0 is still seen alive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    send(&c.nodes[2], "alice", "bob", "while you were out").await.unwrap();
    assert!(archived(&c.nodes[1], "bob", "alice")
        .await
        .contains(&"while you were out".to_owned()));
    let (mut bob, _) = online(&c.nodes[2], "bob@localhost/laptop", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    next_stanza(&mut bob, is_chat_with_body("while you were out")).await;

    // The killed node comes back and rejoins.
    c.nodes[0].relaunch();
    c.formed().await;
    let (mut back, _) = online(&c.nodes[0], "carol@localhost/again", "secret", Transport::StartTls).await;
    back.send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    send(&c.nodes[1], "alice", "carol", "welcome back").await.unwrap();
    next_stanza(&mut back, is_chat_with_body("welcome back")).await;
}

/// Adds the bodies of what reached `client` to `into`, until nothing came for 300 ms.
async fn drain(client: &mut common::xmpp_client::Client, into: &mut Vec<String>) {
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(300), futures::StreamExt::next(client)).await
    {
        if let tokio_xmpp::Event::Stanza(Stanza::Message(m)) = event {
            if let Some(b) = m.bodies.values().next() {
                into.push(b.clone());
            }
        }
    }
}

/// Sends alice → bob through `via` every 200 ms until `bob` receives one (at most
/// `within`): delivery across nodes works again.
async fn delivery_recovers(via: &TestServer, bob: &mut common::xmpp_client::Client, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    for i in 0.. {
        let body = format!("{what} probe {i}");
        if send(via, "alice", "bob", &body).await.is_ok()
            && arrives(bob, Duration::from_millis(300), is_chat_with_body(&body)).await
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: delivery did not recover within {within:?}"
        );
    }
}

#[tokio::test]
async fn nodes_recover_by_themselves_from_a_pause_a_nats_restart_and_a_postgres_restart() {
    let pg = PrivatePostgres::start().expect("a private PostgreSQL");
    let c = Cluster::start(Some(&pg)).await;
    let (mut bob, _) = online(&c.nodes[1], "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    delivery_recovers(&c.nodes[0], &mut bob, Duration::from_secs(5), "start").await;

    // carol, on node2, sees bob's presence.
    let (mut carol, _) = online(&c.nodes[2], "carol@localhost/desk", "secret", Transport::StartTls).await;
    befriend(&mut carol, "carol@localhost", &mut bob, "bob@localhost").await;

    // node1 paused for three peer timeouts: the others let its sessions go (carol sees
    // bob go); once it runs again they hear of it and take its sessions back (carol sees
    // bob again).
    c.nodes[1].signal("STOP");
    next_stanza(&mut carol, is_presence(PresenceType::Unavailable, "bob@localhost")).await;
    tokio::time::sleep(PEER_TIMEOUT * 2).await;
    send(&c.nodes[0], "alice", "bob", "during the pause").await.unwrap();
    c.nodes[1].signal("CONT");
    next_stanza(&mut carol, is_presence(PresenceType::None, "bob@localhost")).await;
    delivery_recovers(&c.nodes[0], &mut bob, Duration::from_secs(15), "after the pause").await;

    // NATS restarted: messages are still accepted (and archived) meanwhile; routing
    // comes back when it does.
    c.nats.stop();
    send(&c.nodes[2], "alice", "bob", "during the NATS outage")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    c.nats.resume();
    delivery_recovers(&c.nodes[2], &mut bob, Duration::from_secs(20), "after NATS").await;
    let on_file = archived(&c.nodes[0], "bob", "alice").await;
    for body in ["during the pause", "during the NATS outage"] {
        assert!(on_file.contains(&body.to_owned()), "{body} is not in the archive");
    }

    // PostgreSQL restarted: a clear 503 within the deadline meanwhile, then recovery.
    pg.stop("fast").unwrap();
    for node in &c.nodes {
        let started = Instant::now();
        let r = raw_request(
            node.addr("mongoose_client_api"),
            "POST",
            "/api/messages",
            &[
                ("Authorization", &common::basic("alice@localhost", "secret")),
                ("Content-Type", "application/json"),
            ],
            r#"{"to":"bob@localhost","body":"during the PostgreSQL outage"}"#,
        );
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "answered after {:?}",
            started.elapsed()
        );
    }
    pg.resume().unwrap();
    delivery_recovers(&c.nodes[0], &mut bob, Duration::from_secs(30), "after PostgreSQL").await;
    for (i, node) in c.nodes.iter().enumerate() {
        assert!(!node.log().contains("panicked"), "node{i} panicked:\n{}", node.log());
    }
}

#[tokio::test]
async fn a_rolling_restart_keeps_the_order_of_one_senders_messages() {
    let mut c = Cluster::start(None).await;
    let mut bob_on = 2;
    let (mut bob, _) = online(&c.nodes[bob_on], "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    // alice sends in sequence, each message through the next node that answers, while
    // one node at a time is stopped (SIGTERM) and started again; bob moves off a node
    // before it stops.
    let mut acked = Vec::new();
    let mut received = Vec::new();
    let mut next = 0;
    for restart in 0..3 {
        if bob_on == restart {
            drain(&mut bob, &mut received).await;
            bob.send_end().await.ok();
            bob_on = (restart + 1) % 3;
            bob = online(&c.nodes[bob_on], "bob@localhost/phone", "secret", Transport::StartTls)
                .await
                .0;
            bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for phase in 0..3 {
            for _ in 0..5 {
                let body = format!("n{next}");
                next += 1;
                // A stopped node refuses; the sender tries the next one.
                for attempt in 0..3 {
                    if send(&c.nodes[(next + attempt) % 3], "alice", "bob", &body)
                        .await
                        .is_ok()
                    {
                        acked.push(body.clone());
                        break;
                    }
                }
            }
            match phase {
                0 => c.nodes[restart].stop_gracefully(),
                1 => {
                    c.nodes[restart].relaunch();
                    c.formed().await;
                }
                _ => {}
            }
        }
        drain(&mut bob, &mut received).await;
    }
    assert_eq!(acked.len(), 45, "every message was acknowledged by some node");
    // The archive has them all, in the order sent; what bob got live came in that order.
    assert_eq!(archived(&c.nodes[0], "bob", "alice").await, acked);
    let index = |b: &String| acked.iter().position(|a| a == b).unwrap();
    let order: Vec<usize> = received.iter().map(index).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "bob got {received:?}");
    assert!(received.len() >= 15, "bob got too little live: {received:?}");
}

#[tokio::test]
async fn a_domain_added_on_one_node_is_served_by_all_and_disabling_it_ends_its_sessions_everywhere() {
    use meerkat_admin_api::models::{DomainEnabled, DomainToAdd, NewUser};
    use meerkat_admin_api::{AddDomainResponse, RegisterUserResponse, SetDomainEnabledResponse};
    let c = Cluster::start(None).await;
    let [n0, n1, n2] = &c.nodes[..] else { unreachable!() };

    // Added through node0, it takes an account through node1 at once…
    let added = n0
        .admin(None)
        .add_domain("tenant.example".into(), DomainToAdd::new("localhost".into()))
        .await
        .unwrap();
    assert_eq!(added, AddDomainResponse::DomainAdded);
    for user in ["dana", "erin"] {
        let r = n1
            .admin(None)
            .register_user("tenant.example".into(), NewUser::new(user.into(), "secret".into()))
            .await
            .unwrap();
        assert!(matches!(r, RegisterUserResponse::UserRegistered(_)), "{r:?}");
    }
    // …a login on node2 (SCRAM over plain TCP: no certificate names the new domain), and
    // a REST send through node0 reaches it.
    let (mut erin, _) = online(n2, "erin@tenant.example/phone", "secret", Transport::PlainTcp).await;
    erin.send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = n0
        .client_as("dana@tenant.example", "secret")
        .send_message(
            MessageRequest::new("erin@tenant.example".into(), "across tenants' nodes".into()),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(sent, SendMessageResponse::MessageSent(_)), "{sent:?}");
    next_stanza(&mut erin, is_chat_with_body("across tenants' nodes")).await;
    // Its MUC Light service answers on every node: a room made through node2 is there.
    let room = n2
        .admin(None)
        .create_muc_light_room(
            "muclight.tenant.example".into(),
            meerkat_admin_api::models::MucLightRoomToCreate::new(
                "dana@tenant.example".into(),
                "Team".into(),
                "Hi".into(),
            ),
        )
        .await
        .unwrap();
    assert!(
        matches!(room, meerkat_admin_api::CreateMucLightRoomResponse::RoomCreated(_)),
        "{room:?}"
    );

    // Disabled through node1: erin's stream on node2 ends, and no node takes a login.
    let (_, mut raw) = raw_login(
        &common::xmpp::connector(n2, Transport::PlainTcp),
        &"dana@tenant.example/desk".parse::<Jid>().unwrap(),
        "secret",
        None,
    )
    .await
    .unwrap();
    raw_bind(&mut raw, "desk").await.unwrap();
    let r = n1
        .admin(None)
        .set_domain_enabled("tenant.example".into(), DomainEnabled::new(false))
        .await
        .unwrap();
    assert_eq!(r, SetDomainEnabledResponse::StatusSet);
    assert_eq!(
        raw_stream_error(&mut raw).await,
        tokio_xmpp::parsers::stream_error::DefinedCondition::HostGone
    );
    for node in [n0, n1, n2] {
        let r = raw_request(
            node.addr("mongoose_client_api"),
            "GET",
            "/api/contacts",
            &[("Authorization", &common::basic("dana@tenant.example", "secret"))],
            "",
        );
        assert_eq!(r.status, 401, "{}", r.body);
    }
}

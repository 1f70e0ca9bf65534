//! One-to-one messaging across doors: REST send and history, live delivery to XMPP (TCP
//! and WebSocket) and SSE, MAM over XMPP, offline recipients, every error of the contract,
//! and durability across a SIGKILL.

use crate::common;
use crate::common::sse::EventStream;
use crate::common::xmpp::{next_stanza, online, Jid, Transport};
use crate::common::{basic, raw_request, TestServer};
use futures::StreamExt;
use meerkat_client_api::models::{ChatMessage, MessageRequest};
use meerkat_client_api::{ApiNoContext as _, GetMessagesResponse, GetMessagesWithResponse, SendMessageResponse};
use std::time::Duration;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::message::{Lang, Message, MessageType};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::{IqRequest, IqResponse, Stanza};

async fn server() -> TestServer {
    let server = TestServer::start();
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    server
}

async fn send(server: &TestServer, from: &str, to: &str, body: &str) -> String {
    let r = server
        .client_as(&format!("{from}@localhost"), "secret")
        .send_message(MessageRequest::new(to.into(), body.into()), None)
        .await
        .unwrap();
    match r {
        SendMessageResponse::MessageSent(id) => id.id,
        other => panic!("{other:?}"),
    }
}

async fn history_with(
    server: &TestServer,
    owner: &str,
    with: &str,
    limit: Option<u16>,
    before: Option<i64>,
) -> Vec<ChatMessage> {
    match server
        .client_as(&format!("{owner}@localhost"), "secret")
        .get_messages_with(with.into(), limit, before, None, None)
        .await
        .unwrap()
    {
        GetMessagesWithResponse::ArchivedMessages(m) => m,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_rest_message_reaches_bob_over_tcp_and_sse_and_both_histories() {
    let server = server().await;
    let (mut bob_xmpp, _) = online(&server, "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob_xmpp
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    let mut bob_sse = EventStream::open(&server, "bob@localhost").await;

    let id = send(&server, "alice", "Bob@LocalHost", "hello bob").await;
    let got = next_stanza(
        &mut bob_xmpp,
        |s| matches!(s, Stanza::Message(m) if !m.bodies.is_empty()),
    )
    .await;
    let Stanza::Message(m) = got else { unreachable!() };
    assert_eq!(m.bodies.values().next().unwrap(), "hello bob");
    assert_eq!(m.from.unwrap().to_string(), "alice@localhost");
    assert_eq!(m.id.as_ref().map(|i| i.0.as_str()), Some(id.as_str()));
    assert_eq!(m.type_, MessageType::Chat);

    let (first_id, data) = bob_sse.next_message().await;
    assert_eq!(data["id"], id.as_str());
    assert_eq!(data["from"], "alice@localhost");
    assert_eq!(data["to"], "bob@localhost");
    assert_eq!(data["body"], "hello bob");
    assert!(data["timestamp"].as_i64().unwrap() > 1_700_000_000_000);

    // A second message gets a greater event id. Event ids are the archive ids of bob's
    // copies (`next_message` checks the data's `archive_id` is the event's id).
    send(&server, "alice", "bob@localhost", "again").await;
    let (second_id, data) = bob_sse.next_message().await;
    assert_eq!(data["body"], "again");
    assert!(second_id > first_id, "{first_id} {second_id}");
    let bobs = history_with(&server, "bob", "alice@localhost", None, None).await;
    let archived: Vec<i64> = bobs.iter().map(|m| m.archive_id.parse().unwrap()).collect();
    assert_eq!(archived, [first_id, second_id]);

    for (owner, with) in [("alice", "bob@localhost"), ("bob", "alice@localhost")] {
        let h = history_with(&server, owner, with, None, None).await;
        assert_eq!(
            h.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            ["hello bob", "again"],
            "{owner}"
        );
        assert_eq!(h[0].id, id);
        assert_eq!(
            (h[0].from.as_str(), h[0].to.as_str()),
            ("alice@localhost", "bob@localhost")
        );
    }
    bob_xmpp.send_end().await.unwrap();
}

#[tokio::test]
async fn an_xmpp_message_keeps_thread_parent_and_smack_properties_in_rest_history() {
    let server = server().await;
    let (mut bob, _) = online(&server, "bob@localhost/phone", "secret", Transport::DirectTls).await;
    let props = "<properties xmlns='http://www.jivesoftware.com/xmlns/xmpp/properties'>\
        <property><name>priority</name><value type='integer'>5</value></property>\
        <property><name>urgent</name><value type='boolean'>true</value></property>\
        <property><name>label</name><value type='string'>work</value></property>\
        </properties>";
    let malformed = "<properties xmlns='http://www.jivesoftware.com/xmlns/xmpp/properties'>\
        <property><name>ok</name><value type='string'>kept</value></property>\
        <property><value type='string'>no name</value></property>\
        <property><name>no value</name></property>\
        <garbage/></properties>";
    for (body, extra) in [("with props", props), ("with broken props", malformed)] {
        let mut m = Message::new(Some("alice@localhost".parse::<Jid>().unwrap()));
        m.type_ = MessageType::Chat;
        m.id = Some(tokio_xmpp::parsers::message::Id(format!("id-{}", body.len())));
        m.bodies.insert(Lang::default(), body.into());
        m.thread = Some(tokio_xmpp::parsers::message::Thread {
            parent: Some("t-41".into()),
            id: "t-42".into(),
        });
        m.payloads.push(extra.parse::<Element>().unwrap());
        bob.send_stanza(m.into()).await.unwrap();
    }
    // Wait for both to be archived.
    let mut h = Vec::new();
    for _ in 0..100 {
        h = history_with(&server, "alice", "bob@localhost", None, None).await;
        if h.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(h[0].body, "with props");
    assert_eq!(h[0].thread.as_deref(), Some("t-42"));
    assert_eq!(h[0].parent.as_deref(), Some("t-41"));
    let p = h[0].properties.as_ref().unwrap();
    assert_eq!(
        (p["priority"].as_str(), p["urgent"].as_str(), p["label"].as_str()),
        ("5", "true", "work")
    );
    assert_eq!(h[1].body, "with broken props");
    let p = h[1].properties.as_ref().unwrap();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p["ok"], "kept");
    assert_eq!(h[1].from, "bob@localhost");
    bob.send_end().await.unwrap();
}

#[tokio::test]
async fn history_pages_with_limit_and_before_over_messages_spread_in_time() {
    let server = server().await;
    let mut sent = Vec::new();
    for i in 0..12 {
        let (from, to) = if i % 3 == 0 {
            ("bob", "alice@localhost")
        } else {
            ("alice", "bob@localhost")
        };
        send(&server, from, to, &format!("m{i:02}")).await;
        sent.push(format!("m{i:02}"));
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let alice = server.client_as("alice@localhost", "secret");
    let all = match alice.get_messages(Some(500), None, None, None).await.unwrap() {
        GetMessagesResponse::ArchivedMessages(m) => m,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        all.iter().map(|m| m.body.clone()).collect::<Vec<_>>(),
        sent,
        "oldest first"
    );
    assert!(all.windows(2).all(|w| w[0].timestamp < w[1].timestamp));

    // The newest five, oldest first; then the five before the first of those.
    let page1 = history_with(&server, "alice", "bob@localhost", Some(5), None).await;
    assert_eq!(
        page1.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["m07", "m08", "m09", "m10", "m11"]
    );
    let page2 = history_with(&server, "alice", "bob@localhost", Some(5), Some(page1[0].timestamp)).await;
    assert_eq!(
        page2.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["m02", "m03", "m04", "m05", "m06"]
    );
    let page3 = history_with(&server, "alice", "bob@localhost", Some(5), Some(page2[0].timestamp)).await;
    assert_eq!(
        page3.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["m00", "m01"]
    );
    assert!(history_with(&server, "alice", "bob@localhost", Some(0), None)
        .await
        .is_empty());
    // The default limit is 50, which covers everything here.
    assert_eq!(
        history_with(&server, "bob", "alice@localhost", None, None).await.len(),
        12
    );
}

/// Bob's archive listing with cursors (`after_id`, `before_id`), as sent.
async fn bob_page(
    server: &TestServer,
    with: Option<&str>,
    limit: u16,
    after_id: Option<&str>,
    before_id: Option<&str>,
) -> Result<Vec<ChatMessage>, String> {
    let bob = server.client_as("bob@localhost", "secret");
    let (after_id, before_id) = (after_id.map(str::to_owned), before_id.map(str::to_owned));
    match with {
        None => match bob.get_messages(Some(limit), None, after_id, before_id).await.unwrap() {
            GetMessagesResponse::ArchivedMessages(m) => Ok(m),
            GetMessagesResponse::BadRequest(text) => Err(text),
            other => panic!("{other:?}"),
        },
        Some(with) => match bob
            .get_messages_with(with.into(), Some(limit), None, after_id, before_id)
            .await
            .unwrap()
        {
            GetMessagesWithResponse::ArchivedMessages(m) => Ok(m),
            GetMessagesWithResponse::BadRequest(text) => Err(text),
            other => panic!("{other:?}"),
        },
    }
}

#[tokio::test]
async fn history_pages_by_archive_id_cursors_without_skipping_or_repeating() {
    let server = server().await;
    // Sent eight at a time, so that many are archived in the same millisecond.
    let bodies: Vec<String> = (0..120).map(|i| format!("c{i:03}")).collect();
    futures::stream::iter(bodies.iter().enumerate())
        .for_each_concurrent(8, |(i, body)| {
            let server = &server;
            async move {
                let (from, to) = if i % 4 == 0 {
                    ("bob", "alice@localhost")
                } else {
                    ("alice", "bob@localhost")
                };
                send(server, from, to, body).await;
            }
        })
        .await;
    let all = bob_page(&server, None, 500, None, None).await.unwrap();
    assert_eq!(all.len(), 120);
    let ids: Vec<i64> = all.iter().map(|m| m.archive_id.parse().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "archive ids increase, oldest first"
    );
    assert!(
        all.windows(2).all(|w| w[0].timestamp <= w[1].timestamp),
        "and so do timestamps"
    );

    for with in [None, Some("alice@localhost")] {
        // Forward from the start (`after_id` 0), seven at a time.
        let mut forward = Vec::new();
        let mut cursor = "0".to_owned();
        loop {
            let page = bob_page(&server, with, 7, Some(&cursor), None).await.unwrap();
            let Some(last) = page.last() else { break };
            cursor = last.archive_id.clone();
            forward.extend(page.iter().map(|m| m.archive_id.clone()));
        }
        // Backward from the newest, nine at a time.
        let mut backward = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = bob_page(&server, with, 9, None, cursor.as_deref()).await.unwrap();
            let Some(first) = page.first() else { break };
            cursor = Some(first.archive_id.clone());
            backward.splice(0..0, page.iter().map(|m| m.archive_id.clone()));
        }
        // Both see every message exactly once (all 120 are with alice).
        let expected: Vec<String> = all.iter().map(|m| m.archive_id.clone()).collect();
        assert_eq!(forward, expected, "{with:?}");
        assert_eq!(backward, expected, "{with:?}");
    }

    // Both cursors: the window between them, from its oldest end.
    let (lo, hi) = (ids[50].to_string(), ids[60].to_string());
    let window = bob_page(&server, None, 4, Some(&lo), Some(&hi)).await.unwrap();
    assert_eq!(
        window.iter().map(|m| m.archive_id.clone()).collect::<Vec<_>>(),
        all[51..55].iter().map(|m| m.archive_id.clone()).collect::<Vec<_>>()
    );

    for bad in ["abc", "-1", "1.5", "99999999999999999999"] {
        assert_eq!(
            bob_page(&server, None, 5, Some(bad), None).await.unwrap_err(),
            "Invalid value of 'after_id'",
            "{bad}"
        );
        assert_eq!(
            bob_page(&server, Some("alice@localhost"), 5, None, Some(bad))
                .await
                .unwrap_err(),
            "Invalid value of 'before_id'",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_message_to_an_offline_user_is_in_their_history_later() {
    let server = server().await;
    send(&server, "alice", "bob@localhost", "while you were out").await;
    let (mut bob, _) = online(&server, "bob@localhost/later", "secret", Transport::StartTls).await;
    let h = history_with(&server, "bob", "alice@localhost", None, None).await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].body, "while you were out");
    // The same message through MAM.
    let r = mam_query(&mut bob, Some(10), None, None).await;
    assert_eq!(r.bodies, ["while you were out"]);
    bob.send_end().await.unwrap();
}

struct MamPage {
    bodies: Vec<String>,
    ids: Vec<String>,
    first: Option<String>,
    last: Option<String>,
    count: Option<String>,
    complete: bool,
}

async fn mam_query(
    client: &mut common::xmpp::Client,
    max: Option<usize>,
    after: Option<&str>,
    before: Option<&str>,
) -> MamPage {
    let rsm = "http://jabber.org/protocol/rsm";
    let mut set = String::new();
    if let Some(m) = max {
        set.push_str(&format!("<max>{m}</max>"));
    }
    if let Some(a) = after {
        set.push_str(&format!("<after>{a}</after>"));
    }
    if let Some(b) = before {
        set.push_str(&format!("<before>{b}</before>"));
    }
    let query: Element = format!("<query xmlns='urn:xmpp:mam:2' queryid='q1'><set xmlns='{rsm}'>{set}</set></query>")
        .parse()
        .unwrap();
    let token = client.send_iq(None, IqRequest::Set(query)).await;
    tokio::pin!(token);
    let mut bodies = Vec::new();
    let mut ids = Vec::new();
    let collect = |ev: Option<tokio_xmpp::Event>, ids: &mut Vec<String>, bodies: &mut Vec<String>| match ev {
        Some(tokio_xmpp::Event::Stanza(Stanza::Message(m))) => {
            for p in m.payloads.iter().filter(|p| p.is("result", "urn:xmpp:mam:2")) {
                assert_eq!(p.attr("queryid"), Some("q1"));
                ids.push(p.attr("id").unwrap().to_owned());
                let forwarded = p.get_child("forwarded", "urn:xmpp:forward:0").expect("forwarded");
                assert!(forwarded.get_child("delay", "urn:xmpp:delay").is_some());
                let inner = forwarded.get_child("message", "jabber:client").expect("the message");
                bodies.push(inner.get_child("body", "jabber:client").unwrap().text());
            }
        }
        Some(_) => {}
        None => panic!("stream ended"),
    };
    // Results are sent before the IQ result; the client may hand them over after it.
    let response = loop {
        tokio::select! {
            r = &mut token => break r.unwrap(),
            ev = client.next() => collect(ev, &mut ids, &mut bodies),
        }
    };
    let IqResponse::Result(Some(fin)) = response else {
        panic!("{response:?}")
    };
    assert!(fin.is("fin", "urn:xmpp:mam:2"));
    let set = fin.get_child("set", rsm).expect("an RSM set");
    let text = |name: &str| set.get_child(name, rsm).map(|e| e.text());
    if let Some(last) = text("last") {
        while ids.last() != Some(&last) {
            let ev = tokio::time::timeout(Duration::from_secs(5), client.next())
                .await
                .expect("MAM results");
            collect(ev, &mut ids, &mut bodies);
        }
    }
    MamPage {
        bodies,
        ids,
        first: text("first"),
        last: text("last"),
        count: text("count"),
        complete: fin.attr("complete") == Some("true"),
    }
}

#[tokio::test]
async fn mam_over_xmpp_pages_through_rest_sent_messages() {
    let server = server().await;
    for i in 0..7 {
        send(&server, "alice", "bob@localhost", &format!("n{i}")).await;
    }
    let (mut bob, _) = online(&server, "bob@localhost/mam", "secret", Transport::StartTls).await;

    // Forward from the start, three at a time.
    let p1 = mam_query(&mut bob, Some(3), None, None).await;
    assert_eq!(p1.bodies, ["n0", "n1", "n2"]);
    assert_eq!(
        (p1.first.as_deref(), p1.last.as_deref()),
        (Some(p1.ids[0].as_str()), Some(p1.ids[2].as_str()))
    );
    assert_eq!(p1.count.as_deref(), Some("7"));
    assert!(!p1.complete);
    let p2 = mam_query(&mut bob, Some(3), p1.last.as_deref(), None).await;
    assert_eq!(p2.bodies, ["n3", "n4", "n5"]);
    let p3 = mam_query(&mut bob, Some(3), p2.last.as_deref(), None).await;
    assert_eq!(p3.bodies, ["n6"]);
    assert!(p3.complete);

    // Backward from the end: <before/> is the last page.
    let last = mam_query(&mut bob, Some(2), None, Some("")).await;
    assert_eq!(last.bodies, ["n5", "n6"]);
    let before = mam_query(&mut bob, Some(10), None, last.first.as_deref()).await;
    assert_eq!(before.bodies, ["n0", "n1", "n2", "n3", "n4"]);
    assert!(before.complete);
    bob.send_end().await.unwrap();
}

#[tokio::test]
async fn message_errors_answer_as_documented() {
    let server = server().await;
    let alice = server.client_as("alice@localhost", "secret");
    assert_eq!(
        alice
            .send_message(MessageRequest::new("not a jid@@".into(), "x".into()), None)
            .await
            .unwrap(),
        SendMessageResponse::BadRequest("Invalid recipient JID".into())
    );
    assert_eq!(
        alice
            .get_messages_with("@bad".into(), None, None, None, None)
            .await
            .unwrap(),
        GetMessagesWithResponse::BadRequest("Invalid interlocutor JID".into())
    );
    let addr = server.addr("mongoose_client_api");
    let auth = basic("alice@localhost", "secret");
    let h = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    for (method, path, body, expected) in [
        (
            "POST",
            "/api/messages",
            r#"{"to":"bob@localhost"}"#,
            "Missing message body",
        ),
        ("POST", "/api/messages", r#"{"body":"hi"}"#, "Missing recipient JID"),
        (
            "POST",
            "/api/messages",
            r#"{"to":"","body":"hi"}"#,
            "Invalid recipient JID",
        ),
        ("POST", "/api/messages", "[]", "Invalid request body"),
        ("GET", "/api/messages?limit=501", "", "Invalid limit"),
        ("GET", "/api/messages?limit=-1", "", "Invalid limit"),
        ("GET", "/api/messages?limit=many", "", "Invalid limit"),
        (
            "GET",
            "/api/messages/bob@localhost?before=soon",
            "",
            "Invalid value of 'before'",
        ),
        ("GET", "/api/messages?since=1", "", "Invalid query string"),
    ] {
        let r = raw_request(addr, method, path, &h, body);
        assert_eq!(
            (r.status, r.body.as_str()),
            (400, format!("\"{expected}\"").as_str()),
            "{method} {path} {body}"
        );
    }
}

#[tokio::test]
async fn an_acknowledged_message_survives_a_kill_9() {
    let mut server = server().await;
    let id = send(&server, "alice", "bob@localhost", "durable").await;
    // The 200 came back: kill the process at once, without a chance to flush anything.
    server.restart();
    for (owner, with) in [("alice", "bob@localhost"), ("bob", "alice@localhost")] {
        let h = history_with(&server, owner, with, None, None).await;
        assert_eq!(h.len(), 1, "{owner}");
        assert_eq!((h[0].id.as_str(), h[0].body.as_str()), (id.as_str(), "durable"));
    }
    // Ids keep increasing after the restart.
    send(&server, "alice", "bob@localhost", "after").await;
    let h = history_with(&server, "alice", "bob@localhost", None, None).await;
    assert_eq!(
        h.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["durable", "after"]
    );
}

/// Names in other scripts are first-class over REST: alice writes to дмитрий and 李, pages
/// her history with each by cursor, adds them as contacts and invites them to a room; each
/// logs in over REST (Basic credentials in UTF-8), reads alice's message and answers her.
#[tokio::test]
async fn alice_writes_to_dmitry_and_li_over_rest_pages_their_history_adds_and_invites_them() {
    use meerkat_client_api::models::{ContactRequest, RoomInvite, RoomRequest};
    use meerkat_client_api::{AddContactResponse, CreateRoomResponse, GetRoomResponse, InviteToRoomResponse};
    let server = server().await;
    let others = ["дмитрий", "李"];
    for name in others {
        server.register(name, "пароль 密码").await;
    }
    let alice = server.client_as("alice@localhost", "secret");
    for name in others {
        // Given in another letter case where the script has one.
        let given = format!("{}@LocalHost", name.to_uppercase());
        let jid = format!("{name}@localhost");
        for i in 0..3 {
            send(&server, "alice", &given, &format!("{name} {i}")).await;
        }
        // Paged two by two by archive id, with the peer named as given.
        let page = |before_id: Option<String>| {
            let alice = &alice;
            let given = given.clone();
            async move {
                match alice
                    .get_messages_with(given, Some(2), None, None, before_id)
                    .await
                    .unwrap()
                {
                    GetMessagesWithResponse::ArchivedMessages(m) => m,
                    other => panic!("{other:?}"),
                }
            }
        };
        let newest = page(None).await;
        let older = page(Some(newest[0].archive_id.clone())).await;
        let bodies: Vec<_> = older.iter().chain(&newest).map(|m| m.body.clone()).collect();
        let expected: Vec<_> = (0..3).map(|i| format!("{name} {i}")).collect();
        assert_eq!(bodies, expected);
        assert!(newest.iter().all(|m| m.to == jid), "{newest:?}");

        assert_eq!(
            alice.add_contact(ContactRequest::new(given.clone())).await.unwrap(),
            AddContactResponse::ContactAdded
        );

        // They log in over REST with their own names and answer.
        let them = server.client_as(&jid, "пароль 密码");
        let theirs = match them
            .get_messages_with("alice@localhost".into(), None, None, None, None)
            .await
            .unwrap()
        {
            GetMessagesWithResponse::ArchivedMessages(m) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(theirs.len(), 3, "{theirs:?}");
        assert!(theirs.iter().all(|m| m.from == "alice@localhost" && m.to == jid));
        match them
            .send_message(
                MessageRequest::new("alice@localhost".into(), format!("hi from {name}")),
                None,
            )
            .await
            .unwrap()
        {
            SendMessageResponse::MessageSent(_) => {}
            other => panic!("{other:?}"),
        }
    }
    let contacts = match alice.list_contacts().await.unwrap() {
        meerkat_client_api::ListContactsResponse::ContactList(c) => c,
        other => panic!("{other:?}"),
    };
    let mut jids: Vec<_> = contacts.iter().map(|c| c.jid.clone()).collect();
    jids.sort();
    assert_eq!(jids, ["дмитрий@localhost", "李@localhost"]);

    let room = match alice
        .create_room(RoomRequest::new("Все вместе".into(), "大家".into()), None)
        .await
        .unwrap()
    {
        CreateRoomResponse::RoomCreated(r) => r.id,
        other => panic!("{other:?}"),
    };
    for name in others {
        assert_eq!(
            alice
                .invite_to_room(room.clone(), RoomInvite::new(format!("{name}@localhost")))
                .await
                .unwrap(),
            InviteToRoomResponse::UserInvited
        );
    }
    let details = match server
        .client_as("李@localhost", "пароль 密码")
        .get_room(room.clone())
        .await
        .unwrap()
    {
        GetRoomResponse::RoomDetails(d) => d,
        other => panic!("{other:?}"),
    };
    let mut members: Vec<_> = details.participants.iter().map(|p| p.user.clone()).collect();
    members.sort();
    assert_eq!(members, ["alice@localhost", "дмитрий@localhost", "李@localhost"]);
}

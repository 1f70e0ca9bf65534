//! Rooms across doors: the MUC Light protocol spoken by a real XMPP client (tokio-xmpp)
//! on the same rooms REST users see, with SSE events and MAM on the room.

use crate::common;
use crate::common::sse::EventStream;
use crate::common::xmpp::{next_stanza, online, Client, Jid, Transport};
use crate::common::TestServer;
use meerkat_client_api::models::{RoomInvite, RoomMessage, RoomRequest, RoomRole};
use meerkat_client_api::{
    ApiNoContext as _, CreateRoomResponse, GetRoomMessagesResponse, GetRoomResponse, InviteToRoomResponse,
    ListRoomsResponse, SendRoomMessageResponse,
};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::message::{Lang, Message, MessageType};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::parsers::stanza_error::DefinedCondition;
use tokio_xmpp::{IqRequest, IqResponse, Stanza};

const MUCLIGHT: &str = "urn:xmpp:muclight:0";
const MARKERS: &str = "urn:xmpp:chat-markers:0";

async fn server() -> TestServer {
    let server = TestServer::start();
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    server
}

fn rest(server: &TestServer, user: &str) -> impl meerkat_client_api::ApiNoContext<common::ClientContext> {
    server.client_as(&format!("{user}@localhost"), "secret")
}

/// An XMPP client that sent initial presence (so room messages reach it).
async fn available(server: &TestServer, jid: &str) -> Client {
    let (mut c, _) = online(server, jid, "secret", Transport::StartTls).await;
    c.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    c
}

/// Alice creates a room over REST and adds `members`; its id.
async fn rest_room(server: &TestServer, members: &[&str]) -> String {
    let id = match rest(server, "alice")
        .create_room(RoomRequest::new("Burrow".into(), "Sentries".into()), None)
        .await
        .unwrap()
    {
        CreateRoomResponse::RoomCreated(r) => r.id,
        other => panic!("{other:?}"),
    };
    for m in members {
        let r = rest(server, "alice")
            .invite_to_room(id.clone(), RoomInvite::new(format!("{m}@localhost")))
            .await
            .unwrap();
        assert_eq!(r, InviteToRoomResponse::UserInvited);
    }
    id
}

fn room_jid(id: &str) -> Jid {
    format!("{id}@muclight.localhost").parse().unwrap()
}

/// A MUC Light query in `urn:xmpp:muclight:0{ns_suffix}` with `inner` XML inside.
fn query(ns_suffix: &str, inner: &str) -> Element {
    format!("<query xmlns='{MUCLIGHT}{ns_suffix}'>{inner}</query>")
        .parse()
        .unwrap()
}

fn user(jid: &str, affiliation: &str) -> String {
    format!("<user affiliation='{affiliation}'>{jid}</user>")
}

/// The users of a MUC Light affiliation notice, as (jid, affiliation).
fn notice_users(m: &Message) -> Vec<(String, String)> {
    m.payloads
        .iter()
        .filter(|p| p.name() == "x" && p.ns() == format!("{MUCLIGHT}#affiliations"))
        .flat_map(|x| x.children().filter(|u| u.name() == "user"))
        .map(|u| (u.text(), u.attr("affiliation").unwrap_or_default().to_owned()))
        .collect()
}

fn is_groupchat_from(from: &str) -> impl FnMut(&Stanza) -> bool + '_ {
    move |s| matches!(s, Stanza::Message(m) if m.type_ == MessageType::Groupchat && m.from.as_ref().is_some_and(|f| f.to_string() == from))
}

/// Sends an IQ and waits for its answer, keeping what arrives meanwhile (the client
/// hands over stanzas only while its stream is read).
async fn iq_and_stanzas(client: &mut Client, to: &Jid, request: IqRequest) -> (IqResponse, Vec<Stanza>) {
    use futures::StreamExt;
    let token = client.send_iq(Some(to.clone()), request).await;
    tokio::pin!(token);
    let mut seen = Vec::new();
    let response = loop {
        tokio::select! {
            r = &mut token => break r.unwrap(),
            ev = client.next() => match ev {
                Some(tokio_xmpp::Event::Stanza(s)) => seen.push(s),
                Some(_) => {}
                None => panic!("stream ended"),
            },
        }
    };
    (response, seen)
}

async fn iq(client: &mut Client, to: &Jid, request: IqRequest) -> IqResponse {
    iq_and_stanzas(client, to, request).await.0
}

fn error_of(r: &IqResponse) -> Option<DefinedCondition> {
    match r {
        IqResponse::Error(e) => Some(e.defined_condition.clone()),
        IqResponse::Result(_) => None,
    }
}

#[tokio::test]
async fn a_rest_room_is_seen_over_xmpp_and_an_xmpp_room_over_rest() {
    let server = server().await;
    let mut bob = available(&server, "bob@localhost/b").await;
    let id = rest_room(&server, &["bob"]).await;
    let room = room_jid(&id);

    let notice = next_stanza(&mut bob, is_groupchat_from(&room.to_string())).await;
    let Stanza::Message(notice) = notice else {
        unreachable!()
    };
    assert_eq!(notice_users(&notice), [("bob@localhost".into(), "member".into())]);

    let info = iq(&mut bob, &room, IqRequest::Get(query("#info", ""))).await;
    let IqResponse::Result(Some(info)) = info else {
        panic!("{info:?}")
    };
    let ns = format!("{MUCLIGHT}#info");
    let name = info
        .get_child("configuration", ns.as_str())
        .unwrap()
        .get_child("roomname", ns.as_str())
        .unwrap()
        .text();
    assert_eq!(name, "Burrow");
    let occupants: Vec<_> = info
        .get_child("occupants", ns.as_str())
        .unwrap()
        .children()
        .map(|u| (u.text(), u.attr("affiliation").unwrap().to_owned()))
        .collect();
    assert_eq!(
        occupants,
        [
            ("alice@localhost".to_owned(), "owner".to_owned()),
            ("bob@localhost".to_owned(), "member".to_owned())
        ]
    );

    // Bob creates a room over XMPP with alice in it; alice sees it over REST.
    let den: Jid = "den@muclight.localhost".parse().unwrap();
    let create = query(
        "#create",
        &format!(
            "<configuration><roomname>Den</roomname></configuration><occupants>{}</occupants>",
            user("alice@localhost", "member")
        ),
    );
    let r = iq(&mut bob, &den, IqRequest::Set(create)).await;
    assert!(matches!(r, IqResponse::Result(_)), "{r:?}");
    let rooms = match rest(&server, "alice").list_rooms().await.unwrap() {
        ListRoomsResponse::RoomList(r) => r,
        other => panic!("{other:?}"),
    };
    assert!(rooms.iter().any(|r| r.id == "den" && r.name == "Den"), "{rooms:?}");
    match rest(&server, "alice").get_room("den".into()).await.unwrap() {
        GetRoomResponse::RoomDetails(d) => {
            let roles: Vec<_> = d.participants.into_iter().map(|p| (p.user, p.role)).collect();
            assert_eq!(
                roles,
                [
                    ("bob@localhost".to_owned(), RoomRole::Owner),
                    ("alice@localhost".to_owned(), RoomRole::Member)
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_xmpp_groupchat_message_reaches_rest_history_and_sse_and_a_rest_one_reaches_xmpp() {
    let server = server().await;
    let id = rest_room(&server, &["bob"]).await;
    let room = room_jid(&id);
    let mut alice_events = EventStream::open(&server, "alice@localhost").await;
    let mut bob = available(&server, "bob@localhost/b").await;

    let mut m = Message::new_with_type(MessageType::Groupchat, Some(room.clone()));
    m.id = Some(tokio_xmpp::parsers::message::Id("g1".into()));
    m.bodies.insert(Lang::new(), "from xmpp".into());
    m.payloads
        .push(format!("<markable xmlns='{MARKERS}'/>").parse().unwrap());
    bob.send_stanza(m.into()).await.unwrap();
    let own = next_stanza(&mut bob, is_groupchat_from(&format!("{room}/bob@localhost"))).await;
    let Stanza::Message(own) = own else { unreachable!() };
    assert_eq!(
        own.get_best_body(vec![]).unwrap().1,
        "from xmpp",
        "the sender gets its copy"
    );

    let (_, event) = alice_events.next_event("room.message").await;
    assert_eq!(event["type"], "message");
    assert_eq!(event["room"], id.as_str());
    assert_eq!(event["from"], "bob@localhost");
    assert_eq!(event["body"], "from xmpp");
    assert_eq!(event["markable"], true);
    assert_eq!(event["id"], "g1");

    let history = match rest(&server, "alice")
        .get_room_messages(id.clone(), None, None, None, None)
        .await
        .unwrap()
    {
        GetRoomMessagesResponse::ArchivedRoomEvents(e) => e,
        other => panic!("{other:?}"),
    };
    let last = history.last().unwrap();
    assert_eq!(
        (last.from.as_str(), last.body.as_deref(), last.markable),
        ("bob@localhost", Some("from xmpp"), Some(true))
    );
    assert_eq!(
        last.timestamp,
        event["timestamp"].as_i64().unwrap(),
        "SSE and history agree"
    );

    let mut hello = RoomMessage::new();
    hello.body = Some("from rest".into());
    let r = rest(&server, "alice")
        .send_room_message(id.clone(), hello, None)
        .await
        .unwrap();
    assert!(matches!(r, SendRoomMessageResponse::MessageSent(_)), "{r:?}");
    let got = next_stanza(&mut bob, is_groupchat_from(&format!("{room}/alice@localhost"))).await;
    let Stanza::Message(got) = got else { unreachable!() };
    assert_eq!(got.get_best_body(vec![]).unwrap().1, "from rest");
    let (_, event) = alice_events.next_event("room.message").await;
    assert_eq!(event["body"], "from rest");

    // An affiliation change shows on the stream as an affiliation event from the room.
    let r = rest(&server, "alice")
        .invite_to_room(id.clone(), RoomInvite::new("carol@localhost".into()))
        .await
        .unwrap();
    assert_eq!(r, InviteToRoomResponse::UserInvited);
    let (_, event) = alice_events.next_event("room.message").await;
    assert_eq!(event["type"], "affiliation");
    assert_eq!(event["from"], room.to_string());
    assert_eq!(event["user"], "carol@localhost");
    assert_eq!(event["affiliation"], "member");
    let notice = next_stanza(&mut bob, is_groupchat_from(&room.to_string())).await;
    let Stanza::Message(notice) = notice else {
        unreachable!()
    };
    assert_eq!(notice_users(&notice), [("carol@localhost".into(), "member".into())]);
}

#[tokio::test]
async fn mam_on_the_room_pages_through_rest_sent_messages_for_occupants_only() {
    let server = server().await;
    let id = rest_room(&server, &["bob"]).await;
    let room = room_jid(&id);
    for i in 0..5 {
        let mut m = RoomMessage::new();
        m.body = Some(format!("m{i}"));
        let r = rest(&server, "alice")
            .send_room_message(id.clone(), m, None)
            .await
            .unwrap();
        assert!(matches!(r, SendRoomMessageResponse::MessageSent(_)), "{r:?}");
    }
    let mut bob = available(&server, "bob@localhost/b").await;
    let mam: Element = "<query xmlns='urn:xmpp:mam:2' queryid='q1'><set xmlns='http://jabber.org/protocol/rsm'>\
                        <max>3</max><before/></set></query>"
        .parse()
        .unwrap();
    let (r, mut seen) = iq_and_stanzas(&mut bob, &room, IqRequest::Set(mam.clone())).await;
    let IqResponse::Result(Some(fin)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(fin.name(), "fin");
    assert_eq!(fin.attr("complete"), None, "more than one page");
    let is_result = |s: &Stanza| matches!(s, Stanza::Message(m) if m.payloads.iter().any(|p| p.name() == "result"));
    // The results were routed before the IQ result; the client may hand some over later.
    while seen.iter().filter(|s| is_result(s)).count() < 3 {
        seen.push(next_stanza(&mut bob, is_result).await);
    }
    let mut bodies = Vec::new();
    for s in seen.iter().filter(|s| is_result(s)) {
        let Stanza::Message(m) = s else { unreachable!() };
        let result = m.payloads.iter().find(|p| p.name() == "result").unwrap();
        assert_eq!(result.attr("queryid"), Some("q1"));
        let original = result
            .get_child("forwarded", "urn:xmpp:forward:0")
            .and_then(|f| f.get_child("message", "jabber:client"))
            .unwrap();
        assert_eq!(original.attr("from"), Some(format!("{room}/alice@localhost").as_str()));
        bodies.push(original.get_child("body", "jabber:client").unwrap().text());
    }
    assert_eq!(bodies, ["m2", "m3", "m4"], "the last page, oldest first");
    let mut carol = available(&server, "carol@localhost/c").await;
    let r = iq(&mut carol, &room, IqRequest::Set(mam)).await;
    assert_eq!(error_of(&r), Some(DefinedCondition::Forbidden));
}

#[tokio::test]
async fn xmpp_clients_get_muc_light_errors_and_may_hand_a_room_over() {
    let server = server().await;
    let id = rest_room(&server, &["bob"]).await;
    let room = room_jid(&id);
    let mut bob = available(&server, "bob@localhost/b").await;
    let mut carol = available(&server, "carol@localhost/c").await;

    let destroy = iq(&mut bob, &room, IqRequest::Set(query("#destroy", ""))).await;
    assert_eq!(error_of(&destroy), Some(DefinedCondition::NotAllowed));
    let peek = iq(&mut carol, &room, IqRequest::Get(query("#configuration", ""))).await;
    assert_eq!(error_of(&peek), Some(DefinedCondition::Forbidden));
    let nowhere: Jid = "nowhere@muclight.localhost".parse().unwrap();
    let lost = iq(&mut carol, &nowhere, IqRequest::Get(query("#info", ""))).await;
    assert_eq!(error_of(&lost), Some(DefinedCondition::ItemNotFound));

    let mut m = Message::new_with_type(MessageType::Groupchat, Some(room.clone()));
    m.bodies.insert(Lang::new(), "let me in".into());
    carol.send_stanza(m.into()).await.unwrap();
    let error = next_stanza(
        &mut carol,
        |s| matches!(s, Stanza::Message(m) if m.type_ == MessageType::Error),
    )
    .await;
    let Stanza::Message(error) = error else { unreachable!() };
    let condition = error
        .payloads
        .iter()
        .find(|p| p.name() == "error")
        .and_then(|e| e.children().next().map(|c| c.name().to_owned()));
    assert_eq!(condition.as_deref(), Some("forbidden"));

    // Alice hands the room to bob over XMPP.
    let mut alice = available(&server, "alice@localhost/a").await;
    let handover = query("#affiliations", &user("bob@localhost", "owner"));
    let r = iq(&mut alice, &room, IqRequest::Set(handover)).await;
    assert!(matches!(r, IqResponse::Result(_)), "{r:?}");
    match rest(&server, "carol").get_room(id.clone()).await.unwrap() {
        GetRoomResponse::Forbidden(_) => {}
        other => panic!("carol is not in the room: {other:?}"),
    }
    match rest(&server, "bob").get_room(id).await.unwrap() {
        GetRoomResponse::RoomDetails(d) => {
            let roles: Vec<_> = d.participants.into_iter().map(|p| (p.user, p.role)).collect();
            assert_eq!(
                roles,
                [
                    ("alice@localhost".to_owned(), RoomRole::Member),
                    ("bob@localhost".to_owned(), RoomRole::Owner)
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let notice = next_stanza(&mut bob, |s| {
        matches!(s, Stanza::Message(m) if m.type_ == MessageType::Groupchat && !notice_users(m).is_empty() && notice_users(m).iter().any(|(_, a)| a == "owner"))
    })
    .await;
    let Stanza::Message(notice) = notice else {
        unreachable!()
    };
    assert_eq!(
        notice_users(&notice),
        [
            ("alice@localhost".into(), "member".into()),
            ("bob@localhost".into(), "owner".into())
        ]
    );
}

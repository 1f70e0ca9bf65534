//! Resuming the event stream with `Last-Event-ID`, against the real binary: a stream cut
//! in the middle of a burst of messages, then resumed, has every message exactly once
//! and in order (one-to-one messages, and room messages merged with them); event ids are
//! archive ids; a `Last-Event-ID` that is not one is refused; without `mod_mam`,
//! one-to-one events have no id and only room events are replayed.

use crate::common::sse::{Event, EventStream};
use crate::common::{basic, default_config, raw_request, TestServer};
use meerkat_client_api::models::{MessageRequest, RoomInvite, RoomMessage, RoomRequest};
use meerkat_client_api::{
    ApiNoContext as _, CreateRoomResponse, GetMessagesResponse, InviteToRoomResponse, SendMessageResponse,
    SendRoomMessageResponse,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Messages in a burst.
const BURST: usize = 200;
/// Events bob reads before his connection is cut.
const CUT: usize = 60;
/// Messages sent while bob is away, at least.
const AWAY: usize = 40;

async fn server_with(extra: &str) -> TestServer {
    let extra = extra.to_owned();
    let server = TestServer::start_with(move |dir| default_config(dir, &extra));
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    server
}

async fn send_chat(server: &TestServer, from: &str, to: &str, body: &str) {
    let r = server
        .client_as(&format!("{from}@localhost"), "secret")
        .send_message(MessageRequest::new(to.into(), body.into()), None)
        .await
        .unwrap();
    assert!(matches!(r, SendMessageResponse::MessageSent(_)), "{r:?}");
}

async fn send_to_room(server: &TestServer, from: &str, room: &str, body: &str) {
    let mut m = RoomMessage::new();
    m.body = Some(body.into());
    let r = server
        .client_as(&format!("{from}@localhost"), "secret")
        .send_room_message(room.into(), m, None)
        .await
        .unwrap();
    assert!(matches!(r, SendRoomMessageResponse::MessageSent(_)), "{r:?}");
}

/// Alice's room with bob in it; its id.
async fn room_with_bob(server: &TestServer) -> String {
    let alice = server.client_as("alice@localhost", "secret");
    let id = match alice
        .create_room(RoomRequest::new("Burrow".into(), "Sentries".into()), None)
        .await
        .unwrap()
    {
        CreateRoomResponse::RoomCreated(r) => r.id,
        other => panic!("{other:?}"),
    };
    let r = alice
        .invite_to_room(id.clone(), RoomInvite::new("bob@localhost".into()))
        .await
        .unwrap();
    assert_eq!(r, InviteToRoomResponse::UserInvited);
    id
}

/// What bob saw of an event: its id, its name, its body.
fn seen(event: &Event) -> (i64, String, String) {
    let id = event.id.unwrap_or_else(|| panic!("no id: {event:?}"));
    assert_eq!(event.data["archive_id"], id.to_string(), "{event:?}");
    let body = event.data["body"].as_str().unwrap_or_default().to_owned();
    (id, event.name.clone(), body)
}

/// Runs a burst of `BURST` sends (`send(i)`), pausing a little between them, while bob
/// reads his stream: after `CUT` events his connection is dropped, he waits until `AWAY`
/// more were sent, and reconnects with `Last-Event-ID` until he has `BURST` events.
/// Returns what he saw, and then checks that nothing more arrives.
async fn burst_with_a_cut<F, Fut>(server: &TestServer, send: F) -> Vec<(i64, String, String)>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let first = EventStream::open(server, "bob@localhost").await;
    let sent = AtomicUsize::new(0);
    let sender = async {
        for i in 0..BURST {
            send(i).await;
            sent.fetch_add(1, Ordering::SeqCst);
            // Paced, so that bob reconnects while the burst goes on.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let reader = async {
        let mut first = first;
        let mut got = Vec::new();
        while got.len() < CUT {
            got.push(seen(&first.next().await));
        }
        drop(first);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while sent.load(Ordering::SeqCst) < CUT + AWAY {
            assert!(tokio::time::Instant::now() < deadline, "the burst stalled");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let last = got.last().unwrap().0;
        let mut second = EventStream::resume(server, "bob@localhost", last).await;
        while got.len() < BURST {
            got.push(seen(&second.next().await));
        }
        (got, second)
    };
    let ((), (got, mut second)) = tokio::join!(sender, reader);
    assert!(
        second.quiet_for(Duration::from_millis(500)).await,
        "an event came twice: {:?}",
        second.next().await
    );
    let ids: Vec<i64> = got.iter().map(|(id, _, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    got
}

#[tokio::test]
async fn a_stream_cut_mid_burst_resumes_with_every_message_exactly_once_in_order() {
    let server = server_with("").await;
    let got = burst_with_a_cut(&server, |i| {
        let server = &server;
        async move { send_chat(server, "alice", "bob@localhost", &format!("b{i:03}")).await }
    })
    .await;
    let expected: Vec<(String, String)> = (0..BURST).map(|i| ("message".into(), format!("b{i:03}"))).collect();
    let names_and_bodies: Vec<(String, String)> = got.iter().map(|(_, n, b)| (n.clone(), b.clone())).collect();
    assert_eq!(names_and_bodies, expected);

    // The event ids are the archive ids of bob's copies.
    let archived = match server
        .client_as("bob@localhost", "secret")
        .get_messages(Some(500), None, None, None)
        .await
        .unwrap()
    {
        GetMessagesResponse::ArchivedMessages(m) => m,
        other => panic!("{other:?}"),
    };
    let archived: Vec<i64> = archived.iter().map(|m| m.archive_id.parse().unwrap()).collect();
    let ids: Vec<i64> = got.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, archived);
}

#[tokio::test]
async fn room_messages_and_chat_messages_resume_merged_in_order_exactly_once() {
    let server = server_with("").await;
    let room = room_with_bob(&server).await;
    let got = burst_with_a_cut(&server, |i| {
        let (server, room) = (&server, &room);
        async move {
            if i % 2 == 0 {
                send_to_room(server, "alice", room, &format!("r{i:03}")).await
            } else {
                send_chat(server, "carol", "bob@localhost", &format!("c{i:03}")).await
            }
        }
    })
    .await;
    let expected: Vec<(String, String)> = (0..BURST)
        .map(|i| {
            if i % 2 == 0 {
                ("room.message".into(), format!("r{i:03}"))
            } else {
                ("message".into(), format!("c{i:03}"))
            }
        })
        .collect();
    let names_and_bodies: Vec<(String, String)> = got.iter().map(|(_, n, b)| (n.clone(), b.clone())).collect();
    assert_eq!(names_and_bodies, expected);
}

#[tokio::test]
async fn a_resumed_stream_replays_what_it_missed_then_goes_on_live() {
    let server = server_with("").await;
    let room = room_with_bob(&server).await;
    let mut stream = EventStream::open(&server, "bob@localhost").await;
    send_chat(&server, "alice", "bob@localhost", "before").await;
    let (before, _) = stream.next_message().await;
    drop(stream);
    // While bob is away: a message, a room message, carol joining the room (an
    // affiliation event).
    send_chat(&server, "carol", "bob@localhost", "missed 1").await;
    send_to_room(&server, "alice", &room, "missed 2").await;
    let r = server
        .client_as("alice@localhost", "secret")
        .invite_to_room(room.clone(), RoomInvite::new("carol@localhost".into()))
        .await
        .unwrap();
    assert_eq!(r, InviteToRoomResponse::UserInvited);
    let mut stream = EventStream::resume(&server, "bob@localhost", before).await;
    let missed: Vec<Event> = vec![stream.next().await, stream.next().await, stream.next().await];
    assert_eq!(
        missed.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["message", "room.message", "room.message"]
    );
    assert_eq!(missed[0].data["body"], "missed 1");
    assert_eq!(missed[1].data["body"], "missed 2");
    assert_eq!(missed[1].data["room"], room.as_str());
    assert_eq!(missed[2].data["type"], "affiliation");
    assert_eq!(missed[2].data["user"], "carol@localhost");
    assert_eq!(missed[2].data["affiliation"], "member");
    let ids: Vec<i64> = missed.iter().map(|e| e.id.unwrap()).collect();
    assert!(before < ids[0] && ids[0] < ids[1] && ids[1] < ids[2], "{ids:?}");
    // Then live.
    send_chat(&server, "alice", "bob@localhost", "live").await;
    let (live, data) = stream.next_message().await;
    assert_eq!(data["body"], "live");
    assert!(live > ids[2]);
    // Resuming from the last id replays nothing.
    drop(stream);
    let mut stream = EventStream::resume(&server, "bob@localhost", live).await;
    assert!(stream.quiet_for(Duration::from_millis(300)).await);
}

#[tokio::test]
async fn a_last_event_id_that_is_not_an_archive_id_is_refused() {
    let server = server_with("").await;
    let api = server.addr("mongoose_client_api");
    let auth = basic("bob@localhost", "secret");
    for bad in ["abc", "-1", "1.5", "", "99999999999999999999", "12 34"] {
        let r = raw_request(
            api,
            "GET",
            "/api/sse",
            &[("authorization", &auth), ("last-event-id", bad)],
            "",
        );
        assert_eq!(
            (r.status, r.body.as_str()),
            (400, "\"Invalid Last-Event-ID\""),
            "{bad:?}"
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    // Credentials still come first.
    let r = raw_request(api, "GET", "/api/sse", &[("last-event-id", "abc")], "");
    assert_eq!(r.status, 401);
    // A valid id (here, before everything) opens the stream.
    let stream = EventStream::resume(&server, "bob@localhost", 0).await;
    drop(stream);
}

#[tokio::test]
async fn without_mod_mam_chat_events_have_no_id_and_only_room_events_are_replayed() {
    let server = server_with("[modules.mod_roster]\n[modules.mod_muc_light]\n").await;
    let room = room_with_bob(&server).await;
    let mut stream = EventStream::open(&server, "bob@localhost").await;
    send_to_room(&server, "alice", &room, "kept").await;
    let (room_id, _) = stream.next_event("room.message").await;
    send_chat(&server, "alice", "bob@localhost", "not archived").await;
    let chat = stream.next().await;
    assert_eq!((chat.name.as_str(), chat.id), ("message", None));
    assert_eq!(chat.data["archive_id"], "0");
    assert_eq!(chat.data["body"], "not archived");
    drop(stream);
    send_chat(&server, "alice", "bob@localhost", "lost").await;
    send_to_room(&server, "alice", &room, "replayed").await;
    let mut stream = EventStream::resume(&server, "bob@localhost", room_id).await;
    let (id, data) = stream.next_event("room.message").await;
    assert!(id > room_id);
    assert_eq!(data["body"], "replayed");
    assert!(stream.quiet_for(Duration::from_millis(300)).await);
}

//! Rooms over REST, against the real binary through the generated client: every
//! documented answer, permissions with and without `all_can_*`, owner handover, limits,
//! history paging, and durability across a SIGKILL.

use crate::common;
use crate::common::{default_config, TestServer};
use meerkat_client_api::models::{
    ChatMarker, ChatMarkerType, RoomConfig, RoomEvent, RoomEventType, RoomInvite, RoomMessage, RoomRequest, RoomRole,
};
use meerkat_client_api::{
    ApiNoContext as _, CreateRoomResponse, CreateRoomWithIdResponse, GetRoomMessagesResponse, GetRoomResponse,
    InviteToRoomResponse, ListRoomsResponse, RemoveFromRoomResponse, SendRoomMessageResponse, SetRoomConfigResponse,
};
use std::time::Duration;

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

/// A server with `extra` config and the four users (password `secret`).
async fn server_with(extra: &str) -> TestServer {
    let extra = extra.to_owned();
    let server = TestServer::start_with(move |dir| default_config(dir, &extra));
    for u in USERS {
        server.register(u, "secret").await;
    }
    server
}

fn client(server: &TestServer, user: &str) -> impl meerkat_client_api::ApiNoContext<common::ClientContext> {
    server.client_as(&format!("{user}@localhost"), "secret")
}

fn new_room(name: &str, subject: &str) -> RoomRequest {
    RoomRequest::new(name.into(), subject.into())
}

/// `owner` creates a room (generated id) and adds `members`; the room id.
async fn room_of(server: &TestServer, owner: &str, members: &[&str]) -> String {
    let id = match client(server, owner)
        .create_room(new_room("Burrow", "Sentries"), None)
        .await
        .unwrap()
    {
        CreateRoomResponse::RoomCreated(r) => r.id,
        other => panic!("{other:?}"),
    };
    for m in members {
        let r = client(server, owner)
            .invite_to_room(id.clone(), RoomInvite::new(format!("{m}@localhost")))
            .await
            .unwrap();
        assert_eq!(r, InviteToRoomResponse::UserInvited);
    }
    id
}

async fn participants(server: &TestServer, user: &str, id: &str) -> Vec<(String, RoomRole)> {
    match client(server, user).get_room(id.into()).await.unwrap() {
        GetRoomResponse::RoomDetails(d) => d.participants.into_iter().map(|p| (p.user, p.role)).collect(),
        other => panic!("{other:?}"),
    }
}

fn text_message(body: &str) -> RoomMessage {
    let mut m = RoomMessage::new();
    m.body = Some(body.into());
    m
}

async fn send(server: &TestServer, user: &str, id: &str, body: &str) -> String {
    match client(server, user)
        .send_room_message(id.into(), text_message(body), None)
        .await
        .unwrap()
    {
        SendRoomMessageResponse::MessageSent(m) => m.id,
        other => panic!("{other:?}"),
    }
}

async fn history(server: &TestServer, user: &str, id: &str, limit: Option<u16>, before: Option<i64>) -> Vec<RoomEvent> {
    match client(server, user)
        .get_room_messages(id.into(), limit, before, None, None)
        .await
        .unwrap()
    {
        GetRoomMessagesResponse::ArchivedRoomEvents(e) => e,
        other => panic!("{other:?}"),
    }
}

fn bodies(events: &[RoomEvent]) -> Vec<String> {
    events.iter().filter_map(|e| e.body.clone()).collect()
}

#[tokio::test]
async fn alice_creates_lists_reads_configures_and_fills_a_room() {
    let server = server_with("").await;
    let alice = client(&server, "alice");
    let id = room_of(&server, "alice", &["bob"]).await;
    let created = alice
        .create_room_with_id("Den".into(), new_room("Den", "Naps"))
        .await
        .unwrap();
    assert_eq!(
        created,
        CreateRoomWithIdResponse::RoomCreated(meerkat_client_api::models::RoomId::new("den".into()))
    );
    // A full room JID names the same room.
    let again = alice
        .create_room_with_id("den@MUCLight.localhost".into(), new_room("x", "y"))
        .await
        .unwrap();
    assert_eq!(again, CreateRoomWithIdResponse::Forbidden("Room already exists".into()));

    let mut listed = match alice.list_rooms().await.unwrap() {
        ListRoomsResponse::RoomList(r) => r.into_iter().map(|r| (r.id, r.name, r.subject)).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    listed.sort();
    let mut expected = vec![
        (id.clone(), "Burrow".to_owned(), "Sentries".to_owned()),
        ("den".to_owned(), "Den".to_owned(), "Naps".to_owned()),
    ];
    expected.sort();
    assert_eq!(listed, expected);

    assert_eq!(
        participants(&server, "bob", &id).await,
        [
            ("alice@localhost".to_owned(), RoomRole::Owner),
            ("bob@localhost".to_owned(), RoomRole::Member)
        ]
    );
    let r = alice
        .set_room_config(id.clone(), RoomConfig::new("Big burrow".into(), "Sunbathing".into()))
        .await
        .unwrap();
    assert_eq!(r, SetRoomConfigResponse::ConfigChanged);
    match client(&server, "bob").get_room(id.clone()).await.unwrap() {
        GetRoomResponse::RoomDetails(d) => {
            assert_eq!((d.name.as_str(), d.subject.as_str()), ("Big burrow", "Sunbathing"))
        }
        other => panic!("{other:?}"),
    }

    let first = send(&server, "bob", &id, "hello").await;
    let mut marker = RoomMessage::new();
    marker.chat_marker = Some(ChatMarker::new(ChatMarkerType::Displayed, first.clone()));
    let r = alice.send_room_message(id.clone(), marker, None).await.unwrap();
    assert!(matches!(r, SendRoomMessageResponse::MessageSent(_)), "{r:?}");
    let mut markable = text_message("look");
    markable.markable = Some(true);
    let r = alice.send_room_message(id.clone(), markable, None).await.unwrap();
    assert!(matches!(r, SendRoomMessageResponse::MessageSent(_)), "{r:?}");

    let events = history(&server, "bob", &id, None, None).await;
    let kinds: Vec<_> = events.iter().map(|e| e.r#type).collect();
    assert_eq!(
        kinds,
        [
            RoomEventType::Affiliation,
            RoomEventType::Affiliation,
            RoomEventType::Message,
            RoomEventType::Message,
            RoomEventType::Message
        ]
    );
    assert_eq!(
        (events[0].user.as_deref(), events[0].from.as_str()),
        (Some("alice@localhost"), format!("{id}@muclight.localhost").as_str())
    );
    assert_eq!(
        (events[2].id.as_str(), events[2].from.as_str()),
        (first.as_str(), "bob@localhost")
    );
    assert_eq!(
        events[3].chat_marker,
        Some(ChatMarker::new(ChatMarkerType::Displayed, first))
    );
    assert_eq!(events[3].body, None);
    assert_eq!(
        (events[4].body.as_deref(), events[4].markable),
        (Some("look"), Some(true))
    );
}

#[tokio::test]
async fn every_room_error_answers_as_documented() {
    let server = server_with("").await;
    let id = room_of(&server, "alice", &["bob"]).await;
    let alice = client(&server, "alice");
    let carol = client(&server, "carol");
    let bob = client(&server, "bob");

    let r = alice.get_room("@invalid".into()).await.unwrap();
    assert_eq!(r, GetRoomResponse::BadRequest("Invalid room ID".into()));
    let r = alice.get_room(format!("{id}@muclight.example.com")).await.unwrap();
    assert_eq!(r, GetRoomResponse::BadRequest("Invalid MUC Light domain".into()));
    let r = alice.get_room("nowhere".into()).await.unwrap();
    assert_eq!(r, GetRoomResponse::RoomNotFound("Room not found".into()));
    let r = carol.get_room(id.clone()).await.unwrap();
    assert_eq!(
        r,
        GetRoomResponse::Forbidden("Given user does not occupy this room".into())
    );
    let r = carol
        .get_room_messages(id.clone(), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(
        r,
        GetRoomMessagesResponse::Forbidden("Given user does not occupy this room".into())
    );
    let r = carol
        .send_room_message(id.clone(), text_message("x"), None)
        .await
        .unwrap();
    assert_eq!(
        r,
        SendRoomMessageResponse::Forbidden("Given user does not occupy this room".into())
    );
    let r = alice
        .send_room_message("nowhere".into(), text_message("x"), None)
        .await
        .unwrap();
    assert_eq!(r, SendRoomMessageResponse::RoomNotFound("Room not found".into()));
    let r = alice
        .send_room_message(id.clone(), RoomMessage::new(), None)
        .await
        .unwrap();
    assert_eq!(
        r,
        SendRoomMessageResponse::BadRequest("No valid message elements".into())
    );
    let mut only_markable = RoomMessage::new();
    only_markable.markable = Some(true);
    let r = alice.send_room_message(id.clone(), only_markable, None).await.unwrap();
    assert_eq!(
        r,
        SendRoomMessageResponse::BadRequest("No valid message elements".into())
    );

    let r = alice
        .invite_to_room(id.clone(), RoomInvite::new("@bad".into()))
        .await
        .unwrap();
    assert_eq!(r, InviteToRoomResponse::BadRequest("Invalid user JID: @bad".into()));
    let r = alice
        .invite_to_room(id.clone(), RoomInvite::new("zorro@localhost".into()))
        .await
        .unwrap();
    assert_eq!(
        r,
        InviteToRoomResponse::RoomOrUserNotFound("The user zorro@localhost does not exist".into())
    );
    let r = alice
        .invite_to_room("nowhere".into(), RoomInvite::new("carol@localhost".into()))
        .await
        .unwrap();
    assert_eq!(r, InviteToRoomResponse::RoomOrUserNotFound("Room not found".into()));
    let r = bob
        .invite_to_room(id.clone(), RoomInvite::new("carol@localhost".into()))
        .await
        .unwrap();
    assert_eq!(
        r,
        InviteToRoomResponse::Forbidden("Given user does not have permission to change affiliations".into())
    );
    // Already a member: nothing changes, and that is fine.
    let r = alice
        .invite_to_room(id.clone(), RoomInvite::new("Bob@LocalHost".into()))
        .await
        .unwrap();
    assert_eq!(r, InviteToRoomResponse::UserInvited);

    let r = bob
        .set_room_config(id.clone(), RoomConfig::new("mine".into(), "now".into()))
        .await
        .unwrap();
    assert_eq!(
        r,
        SetRoomConfigResponse::Forbidden("Given user does not have permission to change config".into())
    );
    let r = bob
        .remove_from_room(id.clone(), "alice@localhost".into())
        .await
        .unwrap();
    match r {
        RemoveFromRoomResponse::Forbidden(t) => assert!(t.starts_with("Given user does not have permission"), "{t}"),
        other => panic!("{other:?}"),
    }
    let r = alice.remove_from_room(id.clone(), "@bad".into()).await.unwrap();
    assert_eq!(r, RemoveFromRoomResponse::BadRequest("Invalid user JID: @bad".into()));
    // No user in the path: MongooseIM's answer, outside the spec's operations.
    let auth = common::basic("alice@localhost", "secret");
    let r = common::raw_request(
        server.addr("mongoose_client_api"),
        "DELETE",
        &format!("/api/rooms/{id}/users"),
        &[("Authorization", auth.as_str())],
        "",
    );
    assert_eq!((r.status, r.body.as_str()), (400, r#""Missing JID""#));
    let r = alice
        .remove_from_room("nowhere".into(), "bob@localhost".into())
        .await
        .unwrap();
    assert_eq!(r, RemoveFromRoomResponse::RoomNotFound("Room not found".into()));
    // Removing someone who is not there changes nothing.
    let r = alice
        .remove_from_room(id.clone(), "carol@localhost".into())
        .await
        .unwrap();
    assert_eq!(r, RemoveFromRoomResponse::UserRemoved);
    assert_eq!(participants(&server, "alice", &id).await.len(), 2);
}

#[tokio::test]
async fn the_owner_leaving_hands_the_room_over_and_the_last_one_out_destroys_it() {
    let server = server_with("").await;
    let id = room_of(&server, "alice", &["bob", "carol"]).await;
    send(&server, "carol", &id, "before").await;
    let r = client(&server, "alice")
        .remove_from_room(id.clone(), "alice@localhost".into())
        .await
        .unwrap();
    assert_eq!(r, RemoveFromRoomResponse::UserRemoved);
    assert_eq!(
        participants(&server, "carol", &id).await,
        [
            ("bob@localhost".to_owned(), RoomRole::Owner),
            ("carol@localhost".to_owned(), RoomRole::Member)
        ]
    );
    let events = history(&server, "bob", &id, None, None).await;
    let last_two: Vec<_> = events[events.len() - 2..]
        .iter()
        .map(|e| (e.user.clone().unwrap(), e.affiliation.unwrap()))
        .collect();
    use meerkat_client_api::models::Affiliation;
    assert_eq!(
        last_two,
        [
            ("alice@localhost".to_owned(), Affiliation::None),
            ("bob@localhost".to_owned(), Affiliation::Owner)
        ]
    );
    // The new owner may remove anyone; a member may leave.
    let r = client(&server, "bob")
        .remove_from_room(id.clone(), "carol@localhost".into())
        .await
        .unwrap();
    assert_eq!(r, RemoveFromRoomResponse::UserRemoved);
    let r = client(&server, "bob")
        .remove_from_room(id.clone(), "bob@localhost".into())
        .await
        .unwrap();
    assert_eq!(r, RemoveFromRoomResponse::UserRemoved);
    let r = client(&server, "bob").get_room(id.clone()).await.unwrap();
    assert_eq!(r, GetRoomResponse::RoomNotFound("Room not found".into()));
    // Its id is free again, and the new room has none of the old one's history.
    let r = client(&server, "dave")
        .create_room_with_id(id.clone(), new_room("Fresh", "Start"))
        .await
        .unwrap();
    assert!(matches!(r, CreateRoomWithIdResponse::RoomCreated(_)), "{r:?}");
    assert!(bodies(&history(&server, "dave", &id, None, None).await).is_empty());
}

#[tokio::test]
async fn with_all_can_invite_and_configure_members_may_do_both() {
    let server =
        server_with("[modules.mod_mam]\n[modules.mod_muc_light]\nall_can_invite = true\nall_can_configure = true\n")
            .await;
    let id = room_of(&server, "alice", &["bob"]).await;
    let bob = client(&server, "bob");
    let r = bob
        .invite_to_room(id.clone(), RoomInvite::new("carol@localhost".into()))
        .await
        .unwrap();
    assert_eq!(r, InviteToRoomResponse::UserInvited);
    let r = bob
        .set_room_config(id.clone(), RoomConfig::new("Ours".into(), "Everyone's".into()))
        .await
        .unwrap();
    assert_eq!(r, SetRoomConfigResponse::ConfigChanged);
    // Removing others stays the owner's.
    let r = bob
        .remove_from_room(id.clone(), "carol@localhost".into())
        .await
        .unwrap();
    assert!(matches!(r, RemoveFromRoomResponse::Forbidden(_)), "{r:?}");
}

#[tokio::test]
async fn rooms_hold_at_most_max_occupants_and_users_join_at_most_rooms_per_user() {
    let server =
        server_with("[modules.mod_mam]\n[modules.mod_muc_light]\nmax_occupants = 3\nrooms_per_user = 2\n").await;
    let id = room_of(&server, "alice", &["bob", "carol"]).await;
    let r = client(&server, "alice")
        .invite_to_room(id.clone(), RoomInvite::new("dave@localhost".into()))
        .await
        .unwrap();
    assert_eq!(
        r,
        InviteToRoomResponse::Forbidden("Room is full (at most 3 occupants)".into())
    );
    room_of(&server, "dave", &["bob"]).await;
    let r = client(&server, "carol")
        .create_room(new_room("a", "b"), None)
        .await
        .unwrap();
    assert!(matches!(r, CreateRoomResponse::RoomCreated(_)), "{r:?}");
    let r = client(&server, "carol")
        .create_room(new_room("a", "b"), None)
        .await
        .unwrap();
    assert_eq!(
        r,
        CreateRoomResponse::Forbidden("Given user is in too many rooms (at most 2)".into())
    );
    let dave_room = match client(&server, "dave").list_rooms().await.unwrap() {
        ListRoomsResponse::RoomList(r) => r[0].id.clone(),
        other => panic!("{other:?}"),
    };
    let r = client(&server, "dave")
        .invite_to_room(dave_room, RoomInvite::new("carol@localhost".into()))
        .await
        .unwrap();
    assert_eq!(
        r,
        InviteToRoomResponse::Forbidden("The user carol@localhost is in too many rooms (at most 2)".into())
    );
}

#[tokio::test]
async fn room_history_pages_with_limit_and_before() {
    let server = server_with("").await;
    let id = room_of(&server, "alice", &["bob"]).await;
    for i in 0..12 {
        send(
            &server,
            if i % 2 == 0 { "alice" } else { "bob" },
            &id,
            &format!("m{i:02}"),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let all = history(&server, "bob", &id, Some(500), None).await;
    assert_eq!(all.len(), 14, "two affiliation items, then twelve messages");
    assert!(all.windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "oldest first");
    let page1 = history(&server, "bob", &id, Some(5), None).await;
    assert_eq!(bodies(&page1), ["m07", "m08", "m09", "m10", "m11"]);
    let page2 = history(&server, "bob", &id, Some(5), Some(page1[0].timestamp)).await;
    assert_eq!(bodies(&page2), ["m02", "m03", "m04", "m05", "m06"]);
    let page3 = history(&server, "bob", &id, Some(5), Some(page2[0].timestamp)).await;
    assert_eq!(bodies(&page3), ["m00", "m01"]);
    assert_eq!(page3.len(), 4, "and the two affiliation items before them");
    assert!(history(&server, "bob", &id, Some(0), None).await.is_empty());
}

/// A room listing with cursors as sent: the events, or the text of a `400`.
async fn page(
    server: &TestServer,
    id: &str,
    limit: u16,
    after_id: Option<&str>,
    before_id: Option<&str>,
) -> Result<Vec<RoomEvent>, String> {
    match client(server, "bob")
        .get_room_messages(
            id.into(),
            Some(limit),
            None,
            after_id.map(str::to_owned),
            before_id.map(str::to_owned),
        )
        .await
        .unwrap()
    {
        GetRoomMessagesResponse::ArchivedRoomEvents(e) => Ok(e),
        GetRoomMessagesResponse::BadRequest(text) => Err(text),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn room_history_pages_by_archive_id_cursors() {
    let server = server_with("").await;
    let id = room_of(&server, "alice", &["bob"]).await;
    // Sent concurrently, so that many share a millisecond.
    let sent: Vec<String> = (0..40).map(|i| format!("r{i:02}")).collect();
    futures::future::join_all(sent.iter().map(|b| send(&server, "alice", &id, b))).await;
    let all = history(&server, "bob", &id, Some(500), None).await;
    assert_eq!(all.len(), 42);
    let ids: Vec<String> = all.iter().map(|e| e.archive_id.clone()).collect();
    let mut forward = Vec::new();
    let mut cursor = "0".to_owned();
    loop {
        let got = page(&server, &id, 6, Some(&cursor), None).await.unwrap();
        let Some(last) = got.last() else { break };
        cursor = last.archive_id.clone();
        forward.extend(got.into_iter().map(|e| e.archive_id));
    }
    assert_eq!(forward, ids);
    let mut backward = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let got = page(&server, &id, 5, None, cursor.as_deref()).await.unwrap();
        let Some(first) = got.first() else { break };
        cursor = Some(first.archive_id.clone());
        backward.splice(0..0, got.into_iter().map(|e| e.archive_id));
    }
    assert_eq!(backward, ids);
    let mut received: Vec<String> = bodies(&all);
    received.sort();
    assert_eq!(received, sent, "every message once");
    assert_eq!(
        page(&server, &id, 5, Some("x"), None).await.unwrap_err(),
        "Invalid value of 'after_id'"
    );
    assert_eq!(
        page(&server, &id, 5, None, Some("1e9")).await.unwrap_err(),
        "Invalid value of 'before_id'"
    );
}

#[tokio::test]
async fn an_acknowledged_room_message_survives_a_kill_9() {
    let mut server = server_with("").await;
    let id = room_of(&server, "alice", &["bob"]).await;
    let mut sent = Vec::new();
    for i in 0..40 {
        send(&server, "alice", &id, &format!("durable {i}")).await;
        sent.push(format!("durable {i}"));
    }
    server.restart();
    assert_eq!(bodies(&history(&server, "bob", &id, Some(500), None).await), sent);
    assert_eq!(participants(&server, "bob", &id).await.len(), 2);
}

#[tokio::test]
async fn with_mod_muc_light_off_room_operations_answer_501() {
    let server = server_with("[modules.mod_mam]\n").await;
    let alice = client(&server, "alice");
    let r = alice.create_room(new_room("a", "b"), None).await.unwrap();
    assert_eq!(r, CreateRoomResponse::NotImplemented("Not implemented".into()));
    let r = alice.list_rooms().await.unwrap();
    assert_eq!(r, ListRoomsResponse::NotImplemented("Not implemented".into()));
    let r = alice.get_room("any".into()).await.unwrap();
    assert_eq!(r, GetRoomResponse::NotImplemented("Not implemented".into()));
}

//! The REST API for backend services: a team's backend acting for users (sending,
//! reading archives, linking contacts, running rooms, ending sessions), seen by real XMPP
//! clients, through the generated admin client; credentials and scopes; error texts.

use crate::common::xmpp::{self, arrives, next_stanza, raw_bind, raw_login, raw_stream_error, Client, Transport};
use crate::common::{basic, default_config, raw_request, TestServer};
use meerkat_admin_api::models::{self, ContactsLinkAction, SessionConnection};
use meerkat_admin_api::{self as admin, ApiNoContext as _};
use std::time::Duration;
use tokio_xmpp::parsers::stream_error::DefinedCondition as StreamCondition;
use tokio_xmpp::Stanza;

fn with_rooms() -> TestServer {
    TestServer::start_with(|dir| {
        default_config(
            dir,
            "\n[modules.mod_mam]\n\n[modules.mod_muc_light]\nhost = \"muclight.@HOST@\"\n\n[modules.mod_muc]\nhost = \"conference.@HOST@\"\n",
        )
    })
}

async fn server_with(users: &[&str]) -> TestServer {
    let server = with_rooms();
    for u in users {
        server.register(u, "secret").await;
    }
    server
}

/// Enters a MUC room from `client` and waits for the room's own presence (status 110).
async fn enter_room(client: &mut Client, occupant: &str) {
    use tokio_xmpp::minidom::Element;
    use tokio_xmpp::parsers::presence::{Presence, Type};
    let mut presence = Presence::new(Type::None).with_to(occupant.parse::<tokio_xmpp::jid::Jid>().unwrap());
    presence
        .payloads
        .push(Element::builder("x", "http://jabber.org/protocol/muc").build());
    client.send_stanza(presence.into()).await.unwrap();
    next_stanza(client, |s| {
        matches!(s, Stanza::Presence(p) if p.payloads.iter().any(|x| x.is("x", "http://jabber.org/protocol/muc#user")
            && x.children().any(|c| c.name() == "status" && c.attr("code") == Some("110"))))
    })
    .await;
}

/// `user` online over XMPP and available (so that chat to the bare JID reaches it).
async fn online(server: &TestServer, user: &str) -> (Client, tokio_xmpp::jid::Jid) {
    use tokio_xmpp::parsers::presence::{Presence, Type};
    let (mut client, bound) = xmpp::online(server, user, "secret", Transport::StartTls).await;
    client.send_stanza(Presence::new(Type::None).into()).await.unwrap();
    // The presence is handled in the order sent: a ping answered means it was.
    let ping = tokio_xmpp::parsers::iq::Iq::from_get("p1", tokio_xmpp::parsers::ping::Ping);
    client.send_stanza(ping.into()).await.unwrap();
    next_stanza(&mut client, |s| matches!(s, Stanza::Iq(_))).await;
    (client, bound)
}

/// The text of a message with a non-empty body.
fn body_of(stanza: &Stanza) -> Option<String> {
    match stanza {
        Stanza::Message(m) => m.bodies.values().next().filter(|b| !b.is_empty()).cloned(),
        _ => None,
    }
}

#[tokio::test]
async fn a_backend_sends_as_alice_and_bob_gets_it_over_xmpp_and_both_archives_have_it() {
    let server = server_with(&["alice", "bob"]).await;
    let (mut bob, _) = online(&server, "bob@localhost").await;
    let admin = server.admin(None);
    let sent = admin
        .send_message(models::MessageToSend::new(
            "alice@localhost".into(),
            "bob@localhost".into(),
            "sent by the backend".into(),
        ))
        .await
        .unwrap();
    assert!(matches!(sent, admin::SendMessageResponse::MessageSent), "{sent:?}");
    let got = next_stanza(&mut bob, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("sent by the backend"));

    let admin::GetArchiveResponse::ArchivedMessages(alices) = admin
        .get_archive("alice@localhost".into(), None, None, None, None)
        .await
        .unwrap()
    else {
        panic!("alice's archive")
    };
    assert_eq!(alices.len(), 1);
    assert_eq!(alices[0].body, "sent by the backend");
    assert!(alices[0].sender.starts_with("alice@localhost"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((alices[0].timestamp - now).abs() < 60, "seconds, not milliseconds");
    let admin::GetArchiveWithResponse::ArchivedMessages(bobs) = admin
        .get_archive_with(
            "bob@localhost".into(),
            "alice@localhost".into(),
            Some(10),
            None,
            None,
            None,
        )
        .await
        .unwrap()
    else {
        panic!("bob's archive with alice")
    };
    // Each party keeps its own copy (its own archive id).
    assert_eq!(
        bobs.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["sent by the backend"]
    );
    // Paging past it by cursor leaves nothing.
    let admin::GetArchiveResponse::ArchivedMessages(after) = admin
        .get_archive("alice@localhost".into(), None, None, Some(alices[0].id.clone()), None)
        .await
        .unwrap()
    else {
        panic!("page")
    };
    assert!(after.is_empty());

    // Any stanza, as alice: it reaches bob like one from her client.
    let stanza = "<message from='alice@localhost' to='bob@localhost' type='chat'><body>raw stanza</body></message>";
    let r = admin
        .send_stanza(models::StanzaToSend::new(stanza.into()))
        .await
        .unwrap();
    assert!(matches!(r, admin::SendStanzaResponse::StanzaSent), "{r:?}");
    let got = next_stanza(&mut bob, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("raw stanza"));
}

#[tokio::test]
async fn sessions_are_listed_with_how_they_connect_and_a_kick_ends_the_stream() {
    let server = server_with(&["bob"]).await;
    let connector = xmpp::connector(&server, Transport::StartTls);
    let jid: tokio_xmpp::jid::Jid = "bob@localhost/phone".parse().unwrap();
    let (_, mut bob) = raw_login(&connector, &jid, "secret", None).await.unwrap();
    raw_bind(&mut bob, "phone").await.unwrap();
    let admin = server.admin(None);
    let full = "bob@localhost/phone".to_owned();
    // In a cluster the admin call may reach a node that hears of the login a moment after
    // the bind is answered (docs/cluster.md, "the session table").
    let listed = admin::ListSessionsResponse::SessionList(vec![full.clone()]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let now = admin.list_sessions("LocalHost".into()).await.unwrap();
        if now == listed || tokio::time::Instant::now() > deadline {
            assert_eq!(now, listed);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let admin::ListUserSessionsResponse::Sessions(sessions) = admin
        .list_user_sessions("localhost".into(), "bob".into())
        .await
        .unwrap()
    else {
        panic!("bob's sessions")
    };
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].jid, full);
    assert_eq!(sessions[0].connection, SessionConnection::C2s);
    // The node's name in a cluster, `local` without one.
    assert!(
        sessions[0].node == "local" || sessions[0].node.starts_with("node"),
        "{}",
        sessions[0].node
    );

    let resource = "phone".to_owned();
    let r = admin
        .kick_session("localhost".into(), "bob".into(), resource.clone())
        .await
        .unwrap();
    assert!(matches!(r, admin::KickSessionResponse::SessionEnded), "{r:?}");
    assert_eq!(raw_stream_error(&mut bob).await, StreamCondition::PolicyViolation);
    let again = admin
        .kick_session("localhost".into(), "bob".into(), resource)
        .await
        .unwrap();
    assert_eq!(again, admin::KickSessionResponse::NotFound("No active session".into()));
    assert_eq!(
        admin.kick_user("localhost".into(), "bob".into()).await.unwrap(),
        admin::KickUserResponse::NotFound("No active session".into())
    );
    assert_eq!(
        admin.list_sessions("nowhere.example".into()).await.unwrap(),
        admin::ListSessionsResponse::NotFound("Unknown domain".into())
    );
}

#[tokio::test]
async fn a_contact_added_for_alice_is_invited_and_accepted_for_bob() {
    let server = server_with(&["alice", "bob"]).await;
    let admin = server.admin(None);
    let added = admin
        .add_contact(
            "alice@localhost".into(),
            models::ContactToAdd::new("bob@localhost".into()),
        )
        .await
        .unwrap();
    assert_eq!(added, admin::AddContactResponse::ContactAdded);
    let contact = |subscription, ask| {
        admin::ListContactsResponse::Contacts(vec![models::Contact::new("bob@localhost".into(), subscription, ask)])
    };
    assert_eq!(
        admin.list_contacts("alice@localhost".into()).await.unwrap(),
        contact(models::ContactSubscription::None, models::ContactAsk::None)
    );
    let invite = |action| models::SubscriptionChange::new(action);
    let r = admin
        .change_subscription(
            "alice@localhost".into(),
            "bob@localhost".into(),
            invite(models::SubscriptionChangeAction::Invite),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::ChangeSubscriptionResponse::SubscriptionPresenceSent);
    assert_eq!(
        admin.list_contacts("alice@localhost".into()).await.unwrap(),
        contact(models::ContactSubscription::None, models::ContactAsk::Out)
    );
    // bob accepts (the same action under MongooseIM's other name).
    let r = admin
        .change_subscription(
            "bob@localhost".into(),
            "alice@localhost".into(),
            invite(models::SubscriptionChangeAction::Subscribed),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::ChangeSubscriptionResponse::SubscriptionPresenceSent);
    assert_eq!(
        admin.list_contacts("alice@localhost".into()).await.unwrap(),
        contact(models::ContactSubscription::To, models::ContactAsk::None)
    );
    assert_eq!(
        admin
            .add_contact(
                "alice@localhost".into(),
                models::ContactToAdd::new("zorro@localhost".into())
            )
            .await
            .unwrap(),
        admin::AddContactResponse::NotFound("The user zorro@localhost does not exist".into())
    );
}

#[tokio::test]
async fn manage_connects_two_users_both_ways_and_disconnects_them() {
    let server = server_with(&["alice", "bob"]).await;
    let admin = server.admin(None);
    let r = admin
        .manage_contacts(
            "alice@localhost".into(),
            "bob@localhost".into(),
            models::ContactsLink::new(ContactsLinkAction::Connect),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::ManageContactsResponse::Done);
    for (user, other) in [
        ("alice@localhost", "bob@localhost"),
        ("bob@localhost", "alice@localhost"),
    ] {
        let admin::ListContactsResponse::Contacts(contacts) = admin.list_contacts(user.into()).await.unwrap() else {
            panic!("{user}'s contacts")
        };
        assert_eq!(contacts.len(), 1, "{user}: {contacts:?}");
        assert_eq!(contacts[0].jid, other);
        assert_eq!(contacts[0].subscription, models::ContactSubscription::Both);
        assert_eq!(contacts[0].ask, models::ContactAsk::None);
    }
    let r = admin
        .manage_contacts(
            "alice@localhost".into(),
            "bob@localhost".into(),
            models::ContactsLink::new(ContactsLinkAction::Disconnect),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::ManageContactsResponse::Done);
    assert_eq!(
        admin.list_contacts("bob@localhost".into()).await.unwrap(),
        admin::ListContactsResponse::Contacts(vec![])
    );
    assert_eq!(
        admin
            .delete_contact("alice@localhost".into(), "bob@localhost".into())
            .await
            .unwrap(),
        admin::DeleteContactResponse::NotFound("Cannot remove bob@localhost contact that does not exist".into())
    );
    assert_eq!(
        admin.list_contacts("zorro@localhost".into()).await.unwrap(),
        admin::ListContactsResponse::NotFound("The user zorro@localhost does not exist".into())
    );
    assert_eq!(
        admin.list_contacts("not a jid@".into()).await.unwrap(),
        admin::ListContactsResponse::BadRequest("Invalid user JID".into())
    );
}

#[tokio::test]
async fn a_backend_runs_a_muc_light_room_for_its_users() {
    let server = server_with(&["alice", "bob"]).await;
    let (mut bob, _) = online(&server, "bob@localhost").await;
    let admin = server.admin(None);
    let created = admin
        .create_muc_light_room_with_id(
            "muclight.localhost".into(),
            models::MucLightRoomWithIdToCreate::new(
                "lobby".into(),
                "alice@localhost".into(),
                "Lobby".into(),
                "Hi".into(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        created,
        admin::CreateMucLightRoomWithIdResponse::RoomCreated("lobby@muclight.localhost".into())
    );
    let r = admin
        .invite_to_muc_light_room(
            "muclight.localhost".into(),
            "lobby".into(),
            models::MucLightInvitation::new("alice@localhost".into(), "bob@localhost".into()),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::InviteToMucLightRoomResponse::MemberAdded);
    let r = admin
        .send_muc_light_message(
            "muclight.localhost".into(),
            "lobby".into(),
            models::RoomMessageToSend::new("alice@localhost".into(), "hello room".into()),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::SendMucLightMessageResponse::MessageSent);
    let got = next_stanza(&mut bob, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("hello room"));
    let admin::ListUserMucLightRoomsResponse::Rooms(rooms) = admin
        .list_user_muc_light_rooms("muclight.localhost".into(), "bob@localhost".into())
        .await
        .unwrap()
    else {
        panic!("bob's rooms")
    };
    assert_eq!(
        rooms.iter().map(|r| r.jid.as_str()).collect::<Vec<_>>(),
        ["lobby@muclight.localhost"]
    );
    assert_eq!(
        admin
            .send_muc_light_message(
                "muclight.localhost".into(),
                "lobby".into(),
                models::RoomMessageToSend::new("carol@localhost".into(), "x".into()),
            )
            .await
            .unwrap(),
        admin::SendMucLightMessageResponse::BadRequest("Given user does not exist".into())
    );
    assert_eq!(
        admin
            .delete_muc_light_room("muclight.localhost".into(), "lobby".into())
            .await
            .unwrap(),
        admin::DeleteMucLightRoomResponse::RoomDestroyed
    );
    assert_eq!(
        admin
            .delete_muc_light_room("muclight.localhost".into(), "lobby".into())
            .await
            .unwrap(),
        admin::DeleteMucLightRoomResponse::NotFound("Room not found".into())
    );
    assert_eq!(
        admin
            .delete_muc_light_room("localhost".into(), "lobby".into())
            .await
            .unwrap(),
        admin::DeleteMucLightRoomResponse::NotFound("MUC Light server not found".into())
    );
}

#[tokio::test]
async fn a_backend_creates_a_muc_room_invites_sends_and_kicks() {
    let server = server_with(&["alice", "bob"]).await;
    let admin = server.admin(None);
    let created = admin
        .create_muc_room(
            "localhost".into(),
            models::MucRoomToCreate::new("Lobby".into(), "alice@localhost".into(), "alice".into()),
        )
        .await
        .unwrap();
    assert_eq!(created, admin::CreateMucRoomResponse::RoomCreated("lobby".into()));
    assert_eq!(
        admin
            .create_muc_room(
                "localhost".into(),
                models::MucRoomToCreate::new("lobby".into(), "alice@localhost".into(), "alice".into()),
            )
            .await
            .unwrap(),
        admin::CreateMucRoomResponse::Conflict("Room already exists".into())
    );

    // bob is invited (XEP-0249), enters from his client, and the backend speaks for him.
    let (mut bob, bound) = online(&server, "bob@localhost").await;
    let r = admin
        .invite_to_muc_room(
            "localhost".into(),
            "lobby".into(),
            models::MucInvitation::new("alice@localhost".into(), "bob@localhost".into(), "come".into()),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::InviteToMucRoomResponse::InvitationSent);
    let invitation = next_stanza(
        &mut bob,
        |s| matches!(s, Stanza::Message(m) if m.payloads.iter().any(|p| p.is("x", "jabber:x:conference"))),
    )
    .await;
    let Stanza::Message(m) = invitation else { unreachable!() };
    let x = m.payloads.iter().find(|p| p.is("x", "jabber:x:conference")).unwrap();
    assert_eq!(x.attr("jid"), Some("lobby@conference.localhost"));
    assert_eq!(x.attr("reason"), Some("come"));

    assert_eq!(
        admin
            .send_muc_message(
                "localhost".into(),
                "lobby".into(),
                models::RoomMessageToSend::new("bob@localhost".into(), "not in yet".into()),
            )
            .await
            .unwrap(),
        admin::SendMucMessageResponse::Forbidden("Given user does not occupy this room".into())
    );
    enter_room(&mut bob, "lobby@conference.localhost/bobby").await;
    let r = admin
        .send_muc_message(
            "localhost".into(),
            "lobby".into(),
            models::RoomMessageToSend::new("bob@localhost".into(), "said for bob".into()),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::SendMucMessageResponse::MessageSent);
    let echo = next_stanza(&mut bob, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&echo).as_deref(), Some("said for bob"));

    let admin::ListMucRoomsResponse::Rooms(rooms) = admin.list_muc_rooms("localhost".into()).await.unwrap() else {
        panic!("rooms")
    };
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].jid, "lobby@conference.localhost");
    assert!(rooms[0].persistent);
    assert_eq!(rooms[0].occupants.len(), 1);
    assert_eq!(rooms[0].occupants[0].nick, "bobby");
    assert_eq!(rooms[0].occupants[0].jid, bound.to_string());

    let r = admin
        .kick_muc_occupant("localhost".into(), "lobby".into(), "bobby".into())
        .await
        .unwrap();
    assert_eq!(r, admin::KickMucOccupantResponse::OccupantKicked);
    let kicked = next_stanza(
        &mut bob,
        |s| matches!(s, Stanza::Presence(p) if p.type_ == tokio_xmpp::parsers::presence::Type::Unavailable),
    )
    .await;
    let Stanza::Presence(p) = kicked else { unreachable!() };
    let user = p
        .payloads
        .iter()
        .find(|e| e.is("x", "http://jabber.org/protocol/muc#user"))
        .unwrap();
    assert!(user
        .children()
        .any(|c| c.name() == "status" && c.attr("code") == Some("307")));
    assert_eq!(
        admin
            .kick_muc_occupant("localhost".into(), "lobby".into(), "bobby".into())
            .await
            .unwrap(),
        admin::KickMucOccupantResponse::NotFound("Occupant not found".into())
    );
    assert!(!arrives(&mut bob, Duration::from_millis(200), |s| body_of(s).is_some()).await);
}

#[tokio::test]
async fn credentials_and_scopes_decide_what_each_caller_may_do() {
    let server = TestServer::start_with(|dir| {
        default_config(dir, "")
            .replace(
                "  [[listen.http.handlers.mongoose_admin_api]]\n  path = \"/api\"\n",
                "  [[listen.http.handlers.mongoose_admin_api]]\n  path = \"/api\"\n  username = \"ops\"\n  password = \"ops-secret\"\n    [[listen.http.handlers.mongoose_admin_api.credentials]]\n    token = \"reader-token-0123456789\"\n    scopes = [\"users:read\", \"sessions\"]\n",
            )
    });
    let addr = server.addr("mongoose_admin_api");
    let ops = basic("ops", "ops-secret");
    let r = raw_request(
        addr,
        "POST",
        "/api/users/localhost",
        &[("Authorization", &ops), ("Content-Type", "application/json")],
        r#"{"username":"alice","password":"secret"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let bearer = "Bearer reader-token-0123456789";
    let r = raw_request(addr, "GET", "/api/users/localhost", &[("Authorization", bearer)], "");
    assert_eq!((r.status, r.body.as_str()), (200, r#"["alice@localhost"]"#));
    let r = raw_request(
        addr,
        "GET",
        "/api/users/localhost/count",
        &[("Authorization", bearer)],
        "",
    );
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"count":1}"#));
    let r = raw_request(
        addr,
        "DELETE",
        "/api/users/localhost/alice",
        &[("Authorization", bearer)],
        "",
    );
    assert_eq!((r.status, r.body.as_str()), (403, r#""Missing scope users:write""#));
    let r = raw_request(
        addr,
        "GET",
        "/api/contacts/alice@localhost",
        &[("Authorization", bearer)],
        "",
    );
    assert_eq!((r.status, r.body.as_str()), (403, r#""Missing scope contacts:read""#));
    let r = raw_request(addr, "GET", "/api/users/localhost", &[], "");
    assert_eq!((r.status, r.body.as_str()), (401, r#""Authentication required""#));
    assert!(r.header("WWW-Authenticate").is_some_and(|c| c.starts_with("Basic")));
    let r = raw_request(
        addr,
        "GET",
        "/api/users/localhost",
        &[("Authorization", "Bearer wrong-token-0123456789")],
        "",
    );
    assert_eq!((r.status, r.body.as_str()), (401, r#""Invalid credentials""#));
    // The spec and its page are served beside the API.
    let r = raw_request(addr, "GET", "/api-docs/admin.yaml", &[], "");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("operationId: kickSession"));
}

#[tokio::test]
async fn an_open_admin_api_off_loopback_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = default_config(dir.path(), "").replacen(
        "ip_address = \"127.0.0.1\"\nmax_body_size = 4096\n  [[listen.http.handlers.mongoose_admin_api]]",
        "ip_address = \"0.0.0.0\"\nmax_body_size = 4096\n  [[listen.http.handlers.mongoose_admin_api]]",
        1,
    );
    assert!(config.contains("0.0.0.0"));
    let path = dir.path().join("meerkat.toml");
    std::fs::write(&path, config).unwrap();
    let out = std::process::Command::new(crate::common::BIN)
        .args(["--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a loopback address) needs credentials"), "{err}");
}

#[tokio::test]
async fn users_are_listed_by_page_and_counted() {
    let server = with_rooms();
    for u in ["erin", "alice", "dave", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    let admin = server.admin(None);
    assert_eq!(
        admin
            .list_users("localhost".into(), Some(2), Some("Bob".into()))
            .await
            .unwrap(),
        admin::ListUsersResponse::UserList(vec!["carol@localhost".into(), "dave@localhost".into()])
    );
    assert_eq!(
        admin.count_users("localhost".into()).await.unwrap(),
        admin::CountUsersResponse::Count(models::Count::new(5))
    );
    assert_eq!(
        admin.count_users("nowhere.example".into()).await.unwrap(),
        admin::CountUsersResponse::NotFound("Unknown domain".into())
    );
    let r = raw_request(
        server.addr("mongoose_admin_api"),
        "POST",
        "/api/stanzas",
        &[("Content-Type", "application/json")],
        r#"{"stanza":"<message to='bob@localhost'><body>x</body></message>"}"#,
    );
    assert_eq!((r.status, r.body.as_str()), (400, r#""Missing sender JID""#));
    let r = raw_request(
        server.addr("mongoose_admin_api"),
        "POST",
        "/api/stanzas",
        &[("Content-Type", "application/json")],
        r#"{"stanza":"<message"}"#,
    );
    assert_eq!((r.status, r.body.as_str()), (400, r#""Malformed stanza""#));
    let r = raw_request(
        server.addr("mongoose_admin_api"),
        "POST",
        "/api/messages",
        &[("Content-Type", "application/json")],
        r#"{"caller":"zorro@localhost","to":"bob@localhost","body":"x"}"#,
    );
    assert_eq!((r.status, r.body.as_str()), (400, r#""User does not exist""#));
}

#[tokio::test]
async fn users_named_in_cyrillic_and_chinese_are_registered_written_for_and_linked() {
    let server = with_rooms();
    let admin = server.admin(None);
    for name in ["Дмитрий", "李"] {
        let r = admin
            .register_user("localhost".into(), models::NewUser::new(name.into(), "secret".into()))
            .await
            .unwrap();
        assert!(matches!(r, admin::RegisterUserResponse::UserRegistered(_)), "{r:?}");
    }
    let sent = admin
        .send_message(models::MessageToSend::new(
            "дмитрий@localhost".into(),
            "李@localhost".into(),
            "你好".into(),
        ))
        .await
        .unwrap();
    assert_eq!(sent, admin::SendMessageResponse::MessageSent);
    let admin::GetArchiveWithResponse::ArchivedMessages(got) = admin
        .get_archive_with(
            "李@localhost".into(),
            "Дмитрий@localhost".into(),
            None,
            None,
            None,
            None,
        )
        .await
        .unwrap()
    else {
        panic!("李's archive")
    };
    assert_eq!(got.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["你好"]);
    assert!(got[0].sender.starts_with("дмитрий@localhost"), "{}", got[0].sender);
    let r = admin
        .manage_contacts(
            "李@localhost".into(),
            "дмитрий@localhost".into(),
            models::ContactsLink::new(ContactsLinkAction::Connect),
        )
        .await
        .unwrap();
    assert_eq!(r, admin::ManageContactsResponse::Done);
    let admin::ListContactsResponse::Contacts(contacts) =
        admin.list_contacts("дмитрий@localhost".into()).await.unwrap()
    else {
        panic!("contacts")
    };
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].jid, "李@localhost");
    assert_eq!(contacts[0].subscription, models::ContactSubscription::Both);
    assert_eq!(
        admin
            .list_users("localhost".into(), None, Some("дмитрий".into()))
            .await
            .unwrap(),
        admin::ListUsersResponse::UserList(vec!["李@localhost".into()])
    );
}

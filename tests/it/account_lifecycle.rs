//! What follows when an account is removed or its password changed: the same result
//! whether the admin API did it or the command line, on the same data directory, while
//! the server runs.

use crate::common::sse::EventStream;
use crate::common::xmpp::{
    self, next_stanza, online, raw_bind, raw_login, raw_stream_error, roster_of, Jid, Transport,
};
use crate::common::TestServer;
use meerkat_admin_api::ApiNoContext as _;
use meerkat_client_api::models::{ContactAction, ContactActionType, ContactRequest, MessageRequest};
use meerkat_client_api::{ApiNoContext as _, GetMessagesResponse, ListContactsResponse};
use std::time::Duration;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::roster::{Roster, Subscription};
use tokio_xmpp::parsers::stream_error::DefinedCondition as StreamCondition;
use tokio_xmpp::Stanza;

/// Who makes the change.
#[derive(Debug, Clone, Copy)]
enum Via {
    AdminApi,
    CommandLine,
}

async fn remove_alice(server: &TestServer, via: Via) {
    match via {
        Via::AdminApi => {
            let r = server
                .admin(None)
                .unregister_user("localhost".into(), "alice".into())
                .await
                .unwrap();
            assert_eq!(r, meerkat_admin_api::UnregisterUserResponse::UserRemoved);
        }
        Via::CommandLine => {
            let out = server.cli(&["unregister", "alice@localhost"]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

async fn change_alices_password(server: &TestServer, via: Via, password: &str) {
    match via {
        Via::AdminApi => {
            let r = server
                .admin(None)
                .change_password(
                    "localhost".into(),
                    "alice".into(),
                    meerkat_admin_api::models::NewPassword::new(password.into()),
                )
                .await
                .unwrap();
            assert_eq!(r, meerkat_admin_api::ChangePasswordResponse::PasswordChanged);
        }
        Via::CommandLine => {
            let out = server.cli(&["passwd", "alice@localhost", password]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// Alice and Bob subscribed to each other, through REST invitations.
async fn befriend(server: &TestServer) {
    let alice = server.client_as("alice@localhost", "secret");
    let bob = server.client_as("bob@localhost", "secret");
    for (client, contact) in [(&alice, "bob@localhost"), (&bob, "alice@localhost")] {
        let r = client.add_contact(ContactRequest::new(contact.into())).await.unwrap();
        assert_eq!(r, meerkat_client_api::AddContactResponse::ContactAdded);
    }
    // Alice asks, Bob accepts; Bob asks, Alice accepts.
    let steps = [
        (&alice, "bob@localhost", ContactActionType::Invite),
        (&bob, "alice@localhost", ContactActionType::Accept),
        (&bob, "alice@localhost", ContactActionType::Invite),
        (&alice, "bob@localhost", ContactActionType::Accept),
    ];
    for (client, contact, action) in steps {
        let r = client
            .manage_contact(contact.into(), ContactAction::new(action))
            .await
            .unwrap();
        assert_eq!(r, meerkat_client_api::ManageContactResponse::ActionDone);
    }
}

async fn contacts_of(server: &TestServer, user: &str) -> Vec<String> {
    match server.client_as(user, "secret").list_contacts().await.unwrap() {
        ListContactsResponse::ContactList(c) => c.into_iter().map(|c| c.jid).collect(),
        other => panic!("{other:?}"),
    }
}

async fn history_of(server: &TestServer, user: &str) -> usize {
    match server
        .client_as(user, "secret")
        .get_messages(None, None, None, None)
        .await
        .unwrap()
    {
        GetMessagesResponse::ArchivedMessages(m) => m.len(),
        other => panic!("{other:?}"),
    }
}

fn is_removal_push(jid: &'static str) -> impl FnMut(&Stanza) -> bool {
    move |s| match s {
        Stanza::Iq(Iq::Set { payload, .. }) => Roster::try_from(payload.clone())
            .ok()
            .and_then(|r| r.items.into_iter().next())
            .is_some_and(|i| i.jid.to_string() == jid && i.subscription == Subscription::Remove),
        _ => false,
    }
}

/// An XMPP session of alice's that bound a resource and waits.
async fn alices_xmpp_session(server: &TestServer) -> xmpp::RawStream {
    let connector = xmpp::connector(server, Transport::StartTls);
    let jid: Jid = "alice@localhost/r".parse().unwrap();
    let (_, mut stream) = raw_login(&connector, &jid, "secret", None).await.unwrap();
    raw_bind(&mut stream, "r").await.unwrap();
    stream
}

async fn removing_alice_ends_her_sessions_and_purges_her(via: Via) {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    befriend(&server).await;
    let sent = server
        .client_as("alice@localhost", "secret")
        .send_message(MessageRequest::new("bob@localhost".into(), "before".into()), None)
        .await
        .unwrap();
    assert!(matches!(sent, meerkat_client_api::SendMessageResponse::MessageSent(_)));
    let (mut bob, _) = online(&server, "bob@localhost/b", "secret", Transport::StartTls).await;
    assert_eq!(roster_of(&mut bob).await.len(), 1, "bob's resource asks for pushes");
    let mut alice_xmpp = alices_xmpp_session(&server).await;
    let mut alice_events = EventStream::open(&server, "alice@localhost").await;

    remove_alice(&server, via).await;

    assert_eq!(raw_stream_error(&mut alice_xmpp).await, StreamCondition::Reset);
    assert!(
        alice_events.ends_within(Duration::from_secs(10)).await,
        "the SSE stream ends too"
    );
    next_stanza(&mut bob, is_removal_push("alice@localhost")).await;
    assert!(contacts_of(&server, "bob@localhost").await.is_empty());
    assert_eq!(history_of(&server, "bob@localhost").await, 1, "bob keeps his copy");

    // A new account of the same name starts with nothing of the old one's.
    server.register("alice", "secret").await;
    assert!(contacts_of(&server, "alice@localhost").await.is_empty());
    assert_eq!(history_of(&server, "alice@localhost").await, 0);
}

async fn a_new_password_ends_alices_sessions_and_the_old_one_stops_working(via: Via) {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    let mut alice_xmpp = alices_xmpp_session(&server).await;
    let mut alice_events = EventStream::open(&server, "alice@localhost").await;
    let before = server.client_as("alice@localhost", "secret");
    assert!(matches!(
        before.list_contacts().await.unwrap(),
        ListContactsResponse::ContactList(_)
    ));

    change_alices_password(&server, via, "wonderland").await;

    assert_eq!(raw_stream_error(&mut alice_xmpp).await, StreamCondition::Reset);
    assert!(alice_events.ends_within(Duration::from_secs(10)).await);
    assert!(matches!(
        before.list_contacts().await.unwrap(),
        ListContactsResponse::Unauthorized { .. }
    ));
    let after = server.client_as("alice@localhost", "wonderland");
    assert!(matches!(
        after.list_contacts().await.unwrap(),
        ListContactsResponse::ContactList(_)
    ));
    let (_, jid) = online(&server, "alice@localhost/again", "wonderland", Transport::StartTls).await;
    assert_eq!(jid.to_string(), "alice@localhost/again");
}

#[tokio::test]
async fn removing_an_account_over_the_admin_api_ends_its_sessions_and_purges_it() {
    removing_alice_ends_her_sessions_and_purges_her(Via::AdminApi).await;
}

#[tokio::test]
async fn removing_an_account_from_the_command_line_does_the_same_on_the_running_server() {
    removing_alice_ends_her_sessions_and_purges_her(Via::CommandLine).await;
}

#[tokio::test]
async fn a_password_changed_over_the_admin_api_ends_the_accounts_sessions() {
    a_new_password_ends_alices_sessions_and_the_old_one_stops_working(Via::AdminApi).await;
}

#[tokio::test]
async fn a_password_changed_from_the_command_line_does_the_same_on_the_running_server() {
    a_new_password_ends_alices_sessions_and_the_old_one_stops_working(Via::CommandLine).await;
}

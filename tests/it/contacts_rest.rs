//! Contacts over REST (`/api/contacts`) on the same roster XMPP clients use: every error
//! case of the contract, and both directions of the subscription handshake across doors.

use crate::common;
use crate::common::xmpp::{next_stanza, online, roster_of, Jid, Transport};
use crate::common::{basic, raw_request, TestServer};
use meerkat_client_api::models::{
    ContactAction, ContactActionType, ContactRequest, ContactsToDelete, Subscription, SubscriptionAsk,
};
use meerkat_client_api::{
    AddContactResponse, ApiNoContext as _, DeleteContactResponse, DeleteContactsResponse, ListContactsResponse,
    ManageContactResponse,
};
use tokio_xmpp::parsers::{
    iq::Iq,
    presence::{Presence, Type as PresenceType},
    roster::{Roster, Subscription as XmppSubscription},
};
use tokio_xmpp::Stanza;

async fn server() -> TestServer {
    let server = TestServer::start();
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    server
}

fn contacts(r: ListContactsResponse) -> Vec<(String, Subscription, SubscriptionAsk)> {
    match r {
        ListContactsResponse::ContactList(list) => list.into_iter().map(|c| (c.jid, c.subscription, c.ask)).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn every_contacts_error_case_answers_as_documented() {
    let server = server().await;
    let alice = server.client_as("alice@localhost", "secret");

    assert_eq!(
        alice.add_contact(ContactRequest::new("@bad".into())).await.unwrap(),
        AddContactResponse::BadRequest("Invalid JID: @bad".into())
    );
    assert!(matches!(
        alice
            .add_contact(ContactRequest::new("zorro@localhost".into()))
            .await
            .unwrap(),
        AddContactResponse::UserNotFound(_)
    ));
    assert!(matches!(
        alice
            .add_contact(ContactRequest::new("bob@elsewhere.example".into()))
            .await
            .unwrap(),
        AddContactResponse::UserNotFound(_)
    ));
    assert!(matches!(
        alice
            .manage_contact("bob@localhost".into(), ContactAction::new(ContactActionType::Invite))
            .await
            .unwrap(),
        ManageContactResponse::ContactNotFound(_)
    ));
    assert!(matches!(
        alice.delete_contact("bob@localhost".into()).await.unwrap(),
        DeleteContactResponse::ContactNotFound(_)
    ));

    // What the generated client cannot send: missing fields and unknown actions.
    let addr = server.addr("mongoose_client_api");
    let auth = basic("alice@localhost", "secret");
    let h = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let r = raw_request(addr, "POST", "/api/contacts", &h, "{}");
    assert_eq!((r.status, r.body.as_str()), (400, "\"Missing JID\""));
    let r = raw_request(addr, "POST", "/api/contacts", &h, r#"{"jid": 42}"#);
    assert_eq!((r.status, r.body.as_str()), (400, "\"Invalid JID: 42\""));
    let r = raw_request(addr, "PUT", "/api/contacts/bob@localhost", &h, r#"{"action":"poke"}"#);
    assert_eq!((r.status, r.body.as_str()), (400, "\"Invalid action\""));
    let r = raw_request(addr, "PUT", "/api/contacts/bob@localhost", &h, "{}");
    assert_eq!((r.status, r.body.as_str()), (400, "\"Missing action\""));
    let r = raw_request(addr, "DELETE", "/api/contacts", &h, "{}");
    assert_eq!(r.status, 400);
    let r = raw_request(addr, "POST", "/api/contacts", &h, "not json");
    assert_eq!((r.status, r.body.as_str()), (400, "\"Invalid request body\""));
}

#[tokio::test]
async fn contacts_are_added_listed_and_removed_in_any_letter_case() {
    let server = server().await;
    let alice = server.client_as("alice@localhost", "secret");
    assert_eq!(
        alice
            .add_contact(ContactRequest::new("Bob@LocalHost".into()))
            .await
            .unwrap(),
        AddContactResponse::ContactAdded
    );
    assert_eq!(
        contacts(alice.list_contacts().await.unwrap()),
        vec![("bob@localhost".into(), Subscription::None, SubscriptionAsk::None)]
    );
    assert_eq!(
        alice
            .delete_contacts(ContactsToDelete::new(vec![
                "BOB@localhost".into(),
                "zorro@localhost".into()
            ]))
            .await
            .unwrap(),
        DeleteContactsResponse::ContactsRemoved(meerkat_client_api::models::NotDeleted::new(vec![
            "zorro@localhost".into()
        ]))
    );
    assert!(contacts(alice.list_contacts().await.unwrap()).is_empty());
}

#[tokio::test]
async fn a_rest_invite_reaches_the_xmpp_client_and_its_answer_comes_back() {
    let server = server().await;
    let alice_rest = server.client_as("alice@localhost", "secret");
    let (mut alice_xmpp, _) = online(&server, "alice@localhost/desk", "secret", Transport::StartTls).await;
    roster_of(&mut alice_xmpp).await;
    let (mut bob, _) = online(&server, "bob@localhost/phone", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    assert_eq!(
        alice_rest
            .add_contact(ContactRequest::new("bob@localhost".into()))
            .await
            .unwrap(),
        AddContactResponse::ContactAdded
    );
    // Alice's XMPP session sees the REST change as a roster push.
    next_stanza(&mut alice_xmpp, |s| matches!(s, Stanza::Iq(Iq::Set { .. }))).await;
    assert_eq!(
        alice_rest
            .manage_contact("bob@localhost".into(), ContactAction::new(ContactActionType::Invite))
            .await
            .unwrap(),
        ManageContactResponse::ActionDone
    );
    next_stanza(
        &mut bob,
        |s| matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::Subscribe),
    )
    .await;
    assert_eq!(
        contacts(alice_rest.list_contacts().await.unwrap()),
        vec![("bob@localhost".into(), Subscription::None, SubscriptionAsk::Out)]
    );

    // Bob approves over XMPP; Alice's REST view and XMPP roster both change.
    bob.send_stanza(
        Presence::new(PresenceType::Subscribed)
            .with_to("alice@localhost".parse::<Jid>().unwrap())
            .into(),
    )
    .await
    .unwrap();
    next_stanza(&mut alice_xmpp, |s| match s {
        Stanza::Iq(Iq::Set { payload, .. }) => Roster::try_from(payload.clone())
            .is_ok_and(|r| r.items.iter().any(|i| i.subscription == XmppSubscription::To)),
        _ => false,
    })
    .await;
    assert_eq!(
        contacts(alice_rest.list_contacts().await.unwrap()),
        vec![("bob@localhost".into(), Subscription::To, SubscriptionAsk::None)]
    );
    bob.send_end().await.unwrap();
    alice_xmpp.send_end().await.unwrap();
}

#[tokio::test]
async fn an_xmpp_request_shows_as_ask_in_and_is_accepted_over_rest() {
    let server = server().await;
    let alice_rest = server.client_as("alice@localhost", "secret");
    let (mut bob, _) = online(&server, "bob@localhost/phone", "secret", Transport::DirectTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();
    bob.send_stanza(
        Presence::new(PresenceType::Subscribe)
            .with_to("alice@localhost".parse::<Jid>().unwrap())
            .into(),
    )
    .await
    .unwrap();

    let mut listed = Vec::new();
    for _ in 0..50 {
        listed = contacts(alice_rest.list_contacts().await.unwrap());
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        listed,
        vec![("bob@localhost".into(), Subscription::None, SubscriptionAsk::In)]
    );

    assert_eq!(
        alice_rest
            .manage_contact("bob@localhost".into(), ContactAction::new(ContactActionType::Accept))
            .await
            .unwrap(),
        ManageContactResponse::ActionDone
    );
    next_stanza(
        &mut bob,
        |s| matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::Subscribed),
    )
    .await;
    assert_eq!(
        contacts(alice_rest.list_contacts().await.unwrap()),
        vec![("bob@localhost".into(), Subscription::From, SubscriptionAsk::None)]
    );
    // Removing the contact over REST cancels Bob's subscription: he is told.
    assert_eq!(
        alice_rest.delete_contact("bob@localhost".into()).await.unwrap(),
        DeleteContactResponse::ContactRemoved
    );
    next_stanza(
        &mut bob,
        |s| matches!(s, Stanza::Presence(p) if p.type_ == PresenceType::Unsubscribed),
    )
    .await;
    bob.send_end().await.unwrap();
}

/// Sends a roster set for `jid` (with `name`) and returns the error condition, if any.
async fn roster_set(client: &mut common::xmpp::Client, jid: &str, name: &str) -> Option<String> {
    let query: tokio_xmpp::minidom::Element =
        format!("<query xmlns='jabber:iq:roster'><item jid='{jid}' name='{name}'/></query>")
            .parse()
            .unwrap();
    let answer = client
        .send_iq(None, tokio_xmpp::IqRequest::Set(query))
        .await
        .await
        .expect("roster set answer");
    match answer {
        tokio_xmpp::IqResponse::Error(e) => Some(format!("{:?}", e.defined_condition)),
        tokio_xmpp::IqResponse::Result(_) => None,
    }
}

#[tokio::test]
async fn a_full_roster_takes_no_new_contact_from_any_door_but_its_contacts_still_change() {
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, "[modules.mod_roster]\nmax_items = 3\n[modules.mod_mam]\n")
    });
    for u in ["alice", "bob", "carol", "dave", "erin"] {
        server.register(u, "secret").await;
    }
    let alice = server.client_as("alice@localhost", "secret");
    for c in ["bob", "carol", "dave"] {
        let added = alice
            .add_contact(ContactRequest::new(format!("{c}@localhost")))
            .await
            .unwrap();
        assert_eq!(added, AddContactResponse::ContactAdded, "{c}");
    }
    assert_eq!(
        alice
            .add_contact(ContactRequest::new("erin@localhost".into()))
            .await
            .unwrap(),
        AddContactResponse::TheRosterIsFull("The roster is full (at most 3 contacts)".into())
    );

    let (mut alice_xmpp, _) = online(&server, "alice@localhost/pc", "secret", Transport::StartTls).await;
    assert_eq!(
        roster_set(&mut alice_xmpp, "erin@localhost", "Erin").await.as_deref(),
        Some("PolicyViolation")
    );
    // Items already there still change.
    assert_eq!(roster_set(&mut alice_xmpp, "bob@localhost", "Bobby").await, None);

    // A subscription request from someone new is refused, not kept as a pending item.
    let erin = server.client_as("erin@localhost", "secret");
    assert_eq!(
        erin.add_contact(ContactRequest::new("alice@localhost".into()))
            .await
            .unwrap(),
        AddContactResponse::ContactAdded
    );
    let invite = ContactAction::new(ContactActionType::Invite);
    assert_eq!(
        erin.manage_contact("alice@localhost".into(), invite).await.unwrap(),
        ManageContactResponse::ActionDone
    );
    let listed = contacts(alice.list_contacts().await.unwrap());
    let jids: Vec<&str> = listed.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(jids.len(), 3, "{jids:?}");
    assert!(!jids.contains(&"erin@localhost"), "{jids:?}");
    alice_xmpp.send_end().await.unwrap();
}

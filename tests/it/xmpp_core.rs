//! XMPP over TCP end to end, driven by tokio-xmpp (xmpp-rs): login over STARTTLS and
//! direct TLS, chat, conflicts, limits, errors, service discovery.

use crate::common::xmpp::{
    self, arrives, next_stanza, online, ping_error, raw_bind, raw_login, raw_stream_error, Jid, Transport,
};
use crate::common::TestServer;
use futures::SinkExt;
use std::time::Duration;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::{
    disco::{DiscoInfoQuery, DiscoInfoResult},
    iq::Iq,
    message::{Lang, Message, MessageType},
    ping::Ping,
    presence::{Presence, Type as PresenceType},
    stanza_error::DefinedCondition as StanzaCondition,
    stream_error::DefinedCondition as StreamCondition,
    version::{VersionQuery, VersionResult},
};
use tokio_xmpp::xmlstream::XmppStreamElement;
use tokio_xmpp::{IqRequest, IqResponse, Stanza};

async fn server_with(users: &[&str]) -> TestServer {
    let server = TestServer::start();
    for u in users {
        server.register(u, "secret").await;
    }
    server
}

fn chat(to: &Jid, body: &str) -> Stanza {
    let mut m = Message::new(Some(to.clone()));
    m.type_ = MessageType::Chat;
    m.bodies.insert(Lang::default(), body.into());
    m.into()
}

fn body_of(s: &Stanza) -> Option<String> {
    match s {
        Stanza::Message(m) => m.bodies.values().next().cloned(),
        _ => None,
    }
}

#[tokio::test]
async fn alice_logs_in_over_starttls_and_binds_the_resource_she_asked_for() {
    let server = server_with(&["alice"]).await;
    let (client, jid) = online(&server, "alice@localhost/phone", "secret", Transport::StartTls).await;
    assert_eq!(jid.to_string(), "alice@localhost/phone");
    client.send_end().await.unwrap();
}

#[tokio::test]
async fn bob_logs_in_over_direct_tls_and_gets_a_server_generated_resource() {
    let server = server_with(&["bob"]).await;
    let (client, jid) = online(&server, "bob@localhost", "secret", Transport::DirectTls).await;
    assert_eq!(jid.to_bare().to_string(), "bob@localhost");
    assert!(jid.resource().is_some_and(|r| !r.as_str().is_empty()));
    client.send_end().await.unwrap();
}

#[tokio::test]
async fn every_mechanism_logs_in_and_a_wrong_password_is_refused() {
    let server = server_with(&["alice"]).await;
    let c = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost".parse().unwrap();
    for mech in ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"] {
        let (features, _) = raw_login(&c, &jid, "secret", Some(&[mech]))
            .await
            .unwrap_or_else(|e| panic!("{mech}: {e}"));
        assert!(features.can_bind(), "{mech}");
        let wrong = raw_login(&c, &jid, "not-the-password", Some(&[mech])).await;
        assert!(
            matches!(wrong, Err(tokio_xmpp::Error::Auth(_))),
            "{mech}: {:?}",
            wrong.map(|_| ())
        );
    }
    let unknown: Jid = "nobody@localhost".parse().unwrap();
    assert!(matches!(
        raw_login(&c, &unknown, "secret", None).await,
        Err(tokio_xmpp::Error::Auth(_))
    ));
}

#[tokio::test]
async fn plain_is_only_offered_once_the_connection_is_encrypted() {
    let server = server_with(&[]).await;
    let plain = xmpp::pre_auth_features(&xmpp::connector(&server, Transport::PlainTcp), "localhost").await;
    assert!(plain.can_starttls());
    assert!(
        !plain.sasl_mechanisms.iter().any(|m| m == "PLAIN"),
        "{:?}",
        plain.sasl_mechanisms
    );
    assert!(plain.sasl_mechanisms.iter().any(|m| m == "SCRAM-SHA-256"));
    let tls = xmpp::pre_auth_features(&xmpp::connector(&server, Transport::DirectTls), "localhost").await;
    assert!(!tls.can_starttls());
    assert!(tls.sasl_mechanisms.iter().any(|m| m == "PLAIN"));
}

#[tokio::test]
async fn alice_and_bob_chat_both_ways() {
    let server = server_with(&["alice", "bob"]).await;
    let (mut alice, alice_jid) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    let (mut bob, bob_jid) = online(&server, "bob@localhost/b", "secret", Transport::DirectTls).await;
    alice
        .send_stanza(Presence::new(PresenceType::None).into())
        .await
        .unwrap();
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    // To the bare JID: delivered to Bob's available session.
    alice
        .send_stanza(chat(&bob_jid.to_bare().into(), "hello bob"))
        .await
        .unwrap();
    let got = next_stanza(&mut bob, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("hello bob"));
    let Stanza::Message(m) = got else { unreachable!() };
    assert_eq!(
        m.from.as_ref(),
        Some(&alice_jid),
        "the server stamps the sender's full JID"
    );

    // To the full JID, the other way.
    bob.send_stanza(chat(&alice_jid, "hi alice <3 & more")).await.unwrap();
    let got = next_stanza(&mut alice, |s| body_of(s).is_some()).await;
    assert_eq!(body_of(&got).as_deref(), Some("hi alice <3 & more"));

    alice.send_end().await.unwrap();
    bob.send_end().await.unwrap();
}

#[tokio::test]
async fn a_second_session_with_the_same_resource_kicks_the_first_with_conflict() {
    let server = server_with(&["alice"]).await;
    let c = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost/dup".parse().unwrap();
    let (_, mut first) = raw_login(&c, &jid, "secret", None).await.unwrap();
    assert_eq!(
        raw_bind(&mut first, "dup").await.unwrap().to_string(),
        "alice@localhost/dup"
    );
    let (_, mut second) = raw_login(&c, &jid, "secret", None).await.unwrap();
    assert_eq!(
        raw_bind(&mut second, "dup").await.unwrap().to_string(),
        "alice@localhost/dup"
    );
    assert_eq!(raw_stream_error(&mut first).await, StreamCondition::Conflict);
}

#[tokio::test]
async fn an_oversized_stanza_ends_the_stream_with_policy_violation() {
    let server = server_with(&["alice"]).await;
    let c = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost/big".parse().unwrap();
    let (_, mut stream) = raw_login(&c, &jid, "secret", None).await.unwrap();
    raw_bind(&mut stream, "big").await.unwrap();
    // The test listener allows 8 KiB stanzas.
    let mut m = Message::new(Some("alice@localhost".parse().unwrap()));
    m.bodies.insert(Lang::default(), "x".repeat(20_000));
    stream.send(&XmppStreamElement::Stanza(m.into())).await.unwrap();
    assert_eq!(raw_stream_error(&mut stream).await, StreamCondition::PolicyViolation);
}

#[tokio::test]
async fn a_message_to_an_unknown_user_or_a_foreign_domain_comes_back_as_an_error() {
    let server = server_with(&["alice"]).await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    alice
        .send_stanza(chat(&"ghost@localhost".parse().unwrap(), "anyone?"))
        .await
        .unwrap();
    let err = next_stanza(
        &mut alice,
        |s| matches!(s, Stanza::Message(m) if m.type_ == MessageType::Error),
    )
    .await;
    let Stanza::Message(m) = err else { unreachable!() };
    assert_eq!(m.from.map(|f| f.to_string()).as_deref(), Some("ghost@localhost"));
    let condition = m
        .payloads
        .iter()
        .find(|p| p.name() == "error")
        .and_then(|e| e.children().next().map(|c| c.name().to_owned()));
    assert_eq!(condition.as_deref(), Some("service-unavailable"));

    assert_eq!(
        ping_error(&mut alice, "ghost@localhost").await,
        Some(StanzaCondition::ServiceUnavailable)
    );
    assert_eq!(
        ping_error(&mut alice, "someone@elsewhere.example").await,
        Some(StanzaCondition::RemoteServerNotFound)
    );
    alice.send_end().await.unwrap();
}

#[tokio::test]
async fn the_server_answers_ping_version_and_service_discovery() {
    let server = server_with(&["alice", "bob"]).await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    let domain: Jid = "localhost".parse().unwrap();

    let pong = alice
        .send_iq(Some(domain.clone()), IqRequest::Get(Ping.into()))
        .await
        .await
        .unwrap();
    assert!(matches!(pong, IqResponse::Result(None)), "{pong:?}");

    let version = alice
        .send_iq(Some(domain.clone()), IqRequest::Get(VersionQuery.into()))
        .await
        .await
        .unwrap();
    let IqResponse::Result(Some(payload)) = version else {
        panic!("{version:?}")
    };
    assert_eq!(VersionResult::try_from(payload).unwrap().name, "meerkat");

    let info = alice
        .send_iq(
            Some(domain.clone()),
            IqRequest::Get(DiscoInfoQuery { node: None }.into()),
        )
        .await
        .await
        .unwrap();
    let IqResponse::Result(Some(payload)) = info else {
        panic!("{info:?}")
    };
    let info = DiscoInfoResult::try_from(payload).unwrap();
    assert!(info
        .identities
        .iter()
        .any(|i| i.category == "server" && i.type_ == "im"));
    for f in [
        "urn:xmpp:ping",
        "jabber:iq:version",
        "jabber:iq:roster",
        "http://jabber.org/protocol/disco#info",
    ] {
        assert!(info.features.iter().any(|x| x == f), "{f}");
    }

    // An account's bare JID is answered by the server on the account's behalf.
    let account = alice
        .send_iq(
            Some("bob@localhost".parse().unwrap()),
            IqRequest::Get(DiscoInfoQuery { node: None }.into()),
        )
        .await
        .await
        .unwrap();
    let IqResponse::Result(Some(payload)) = account else {
        panic!("{account:?}")
    };
    let account = DiscoInfoResult::try_from(payload).unwrap();
    assert!(account.identities.iter().any(|i| i.category == "account"));

    // A namespace the server knows, used in a way it does not support.
    let r = alice
        .send_iq(
            Some(domain.clone()),
            IqRequest::Set(Element::builder("ping", "urn:xmpp:ping").build()),
        )
        .await
        .await
        .unwrap();
    assert!(
        matches!(r, IqResponse::Error(ref e) if e.defined_condition == StanzaCondition::FeatureNotImplemented),
        "{r:?}"
    );

    // A payload nobody here understands.
    let unknown = Element::builder("query", "urn:example:unknown").build();
    let r = alice
        .send_iq(Some(domain), IqRequest::Get(unknown))
        .await
        .await
        .unwrap();
    assert!(
        matches!(r, IqResponse::Error(ref e) if e.defined_condition == StanzaCondition::ServiceUnavailable),
        "{r:?}"
    );
    alice.send_end().await.unwrap();
}

#[tokio::test]
async fn an_iq_to_an_offline_full_jid_is_answered_with_an_error() {
    let server = server_with(&["alice", "bob"]).await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    assert_eq!(
        ping_error(&mut alice, "bob@localhost/nowhere").await,
        Some(StanzaCondition::ServiceUnavailable)
    );
    alice.send_end().await.unwrap();
}

#[tokio::test]
async fn an_iq_between_two_sessions_reaches_the_other_client() {
    let server = server_with(&["alice", "bob"]).await;
    let (mut alice, _) = online(&server, "alice@localhost/a", "secret", Transport::StartTls).await;
    let (mut bob, bob_jid) = online(&server, "bob@localhost/b", "secret", Transport::StartTls).await;
    let iq = Iq::from_get("q1", Ping).with_to(bob_jid.clone());
    alice.send_stanza(iq.into()).await.unwrap();
    let got = next_stanza(&mut bob, |s| matches!(s, Stanza::Iq(_))).await;
    assert!(
        matches!(got, Stanza::Iq(Iq::Get { ref id, .. }) if id == "q1"),
        "{got:?}"
    );
    assert!(!arrives(&mut alice, Duration::from_millis(200), |s| matches!(s, Stanza::Iq(_))).await);
}

#[tokio::test]
async fn removing_an_account_ends_its_sessions() {
    let server = server_with(&["alice"]).await;
    let c = xmpp::connector(&server, Transport::StartTls);
    let jid: Jid = "alice@localhost/r".parse().unwrap();
    let (_, mut stream) = raw_login(&c, &jid, "secret", None).await.unwrap();
    raw_bind(&mut stream, "r").await.unwrap();
    use meerkat_admin_api::ApiNoContext as _;
    let r = server
        .admin(None)
        .unregister_user("localhost".into(), "alice".into())
        .await
        .unwrap();
    assert_eq!(r, meerkat_admin_api::UnregisterUserResponse::UserRemoved);
    assert_eq!(raw_stream_error(&mut stream).await, StreamCondition::Reset);
}

//! XMPP over WebSocket (RFC 7395) end to end, driven by xmpp.js (`@xmpp/client` in
//! Node.js; installed into tests/ws-client by `make test`), against TCP clients.

use crate::common;
use crate::common::node_client::{event, NodeClient, XMPP_JS};
use crate::common::xmpp::{next_stanza, online, Transport};
use crate::common::TestServer;
use serde_json::json;
use tokio_xmpp::parsers::message::{Lang, Message, MessageType};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::Stanza;

/// An xmpp.js client logging in as `user` on `resource` over the server's WebSocket.
fn xmpp_js(server: &TestServer, user: &str, password: &str, resource: &str) -> NodeClient {
    let service = format!("ws://{}/ws-xmpp", server.addr("mongoose_websocket_handler"));
    NodeClient::start(&XMPP_JS, &[&service, "localhost", user, password, resource])
}

#[tokio::test]
async fn a_websocket_client_and_a_tcp_client_chat_both_ways() {
    let server = TestServer::start();
    // Accounts made the way an operator makes them.
    for user in ["alice@localhost", "bob@localhost"] {
        assert!(server.cli(&["register", user, "secret"]).status.success());
    }

    let mut alice = xmpp_js(&server, "alice", "secret", "browser");
    let online_event = alice.expect(event("online"));
    assert_eq!(online_event["jid"], "alice@localhost/browser");
    alice.command(json!({"presence": {}}));

    let (mut bob, bob_jid) = online(&server, "bob@localhost/desk", "secret", Transport::StartTls).await;
    bob.send_stanza(Presence::new(PresenceType::None).into()).await.unwrap();

    alice.command(json!({"send": {"to": bob_jid.to_string(), "body": "hello from the browser"}}));
    let got = next_stanza(&mut bob, |s| matches!(s, Stanza::Message(m) if !m.bodies.is_empty())).await;
    let Stanza::Message(m) = got else { unreachable!() };
    assert_eq!(m.bodies.values().next().unwrap(), "hello from the browser");
    assert_eq!(m.from.unwrap().to_string(), "alice@localhost/browser");

    let mut reply = Message::new(Some("alice@localhost".parse().unwrap()));
    reply.type_ = MessageType::Chat;
    reply.bodies.insert(Lang::default(), "hello over TCP".into());
    bob.send_stanza(reply.into()).await.unwrap();
    let got = alice.expect(event("message"));
    assert_eq!(got["body"], "hello over TCP");
    assert_eq!(got["from"], "bob@localhost/desk");

    // And a message sent over REST reaches the WebSocket session too.
    use meerkat_client_api::ApiNoContext as _;
    let r = server
        .client_as("bob@localhost", "secret")
        .send_message(
            meerkat_client_api::models::MessageRequest::new("alice@localhost".into(), "hello over REST".into()),
            None,
        )
        .await
        .unwrap();
    assert!(
        matches!(r, meerkat_client_api::SendMessageResponse::MessageSent(_)),
        "{r:?}"
    );
    let got = alice.expect(event("message"));
    assert_eq!(
        (got["body"].as_str(), got["from"].as_str()),
        (Some("hello over REST"), Some("bob@localhost"))
    );

    alice.command(json!({"quit": true}));
    bob.send_end().await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_over_websocket_is_refused() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    let client = xmpp_js(&server, "alice", "wrong", "r");
    let failed = client.expect(event("auth-failed"));
    assert_eq!(failed["condition"], "not-authorized");
}

#[tokio::test]
async fn a_second_websocket_session_on_the_same_resource_replaces_the_first() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    let first = xmpp_js(&server, "alice", "secret", "tab");
    first.expect(event("online"));
    let second = xmpp_js(&server, "alice", "secret", "tab");
    second.expect(event("online"));
    let err = first.expect(event("error"));
    assert_eq!(err["condition"], "conflict");
}

#[tokio::test]
async fn a_plain_http_request_to_the_websocket_path_is_told_to_upgrade() {
    let server = TestServer::start();
    let r = common::raw_request(server.addr("mongoose_websocket_handler"), "GET", "/ws-xmpp", &[], "");
    assert_eq!(r.status, 426);
    assert_eq!(r.header("upgrade"), Some("websocket"));
}

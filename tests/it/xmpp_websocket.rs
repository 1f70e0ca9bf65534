//! XMPP over WebSocket (RFC 7395) end to end, driven by xmpp.js (`@xmpp/client` in
//! Node.js; installed into tests/ws-client by `make test`), against TCP clients.

use crate::common;
use crate::common::xmpp::{next_stanza, online, Transport};
use crate::common::TestServer;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tokio_xmpp::parsers::message::{Lang, Message, MessageType};
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::Stanza;

const CLIENT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ws-client");

/// One xmpp.js client process, spoken to over stdin/stdout JSON lines.
struct WsClient {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::Receiver<Value>,
}

impl WsClient {
    fn start(server: &TestServer, user: &str, password: &str, resource: &str) -> Self {
        assert!(
            std::path::Path::new(CLIENT_DIR)
                .join("node_modules/@xmpp/client")
                .exists(),
            "xmpp.js is not installed: run `make test` (or `npm ci` in tests/ws-client)"
        );
        let service = format!("ws://{}/ws-xmpp", server.addr("mongoose_websocket_handler"));
        let mut child = Command::new("node")
            .arg("client.mjs")
            .args([&service, "localhost", user, password, resource])
            .current_dir(CLIENT_DIR)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is installed");
        let stdout = child.stdout.take().unwrap();
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        WsClient { child, stdin, events }
    }

    /// The next event matching `want`; panics after ten seconds.
    fn expect(&self, mut want: impl FnMut(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) if want(&v) => return v,
                Ok(_) => continue,
                Err(e) => panic!("no expected event from the WebSocket client: {e}"),
            }
        }
    }

    fn command(&mut self, cmd: Value) {
        writeln!(self.stdin, "{cmd}").unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for WsClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn event(name: &'static str) -> impl FnMut(&Value) -> bool {
    move |v| v["event"] == name
}

#[tokio::test]
async fn a_websocket_client_and_a_tcp_client_chat_both_ways() {
    let server = TestServer::start();
    // Accounts made the way an operator makes them.
    for user in ["alice@localhost", "bob@localhost"] {
        assert!(server.cli(&["register", user, "secret"]).status.success());
    }

    let mut alice = WsClient::start(&server, "alice", "secret", "browser");
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
            meerkat_client_api::models::NewMessage::new("alice@localhost".into(), "hello over REST".into()),
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
    let client = WsClient::start(&server, "alice", "wrong", "r");
    let failed = client.expect(event("auth-failed"));
    assert_eq!(failed["condition"], "not-authorized");
}

#[tokio::test]
async fn a_second_websocket_session_on_the_same_resource_replaces_the_first() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    let first = WsClient::start(&server, "alice", "secret", "tab");
    first.expect(event("online"));
    let second = WsClient::start(&server, "alice", "secret", "tab");
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

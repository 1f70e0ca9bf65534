//! `Idempotency-Key` on the operations that create something, end to end against the
//! real binary: retries replay the first answer and create nothing new, another request
//! with the key is refused, concurrent requests with one key run once, and a restart
//! keeps the keys.

use crate::common::{basic, raw_request, RawResponse, TestServer};
use meerkat_client_api::{models, ApiNoContext as _};
use serde_json::Value;
use std::net::SocketAddr;

const PASSWORD: &str = "secret";

async fn server_with(users: &[&str]) -> TestServer {
    let server = TestServer::start();
    for u in users {
        server.register(u, PASSWORD).await;
    }
    server
}

/// A raw request as `user`, with `key` as its `Idempotency-Key` when given.
fn call(addr: SocketAddr, user: &str, method: &str, path: &str, key: Option<&str>, body: &str) -> RawResponse {
    let auth = basic(&format!("{user}@localhost"), PASSWORD);
    let mut headers = vec![("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    raw_request(addr, method, path, &headers, body)
}

fn json(r: &RawResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

fn replayed(r: &RawResponse) -> bool {
    r.header("Idempotent-Replayed") == Some("true")
}

/// The bodies of `user`'s archived chat messages.
fn archive(addr: SocketAddr, user: &str) -> Vec<String> {
    let r = call(addr, user, "GET", "/api/messages", None, "");
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

/// The bodies of a room's archived messages (affiliation changes left out).
fn room_messages(addr: SocketAddr, user: &str, room: &str) -> Vec<String> {
    let r = call(addr, user, "GET", &format!("/api/rooms/{room}/messages"), None, "");
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message")
        .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn create_room(addr: SocketAddr, user: &str, key: Option<&str>) -> RawResponse {
    call(
        addr,
        user,
        "POST",
        "/api/rooms",
        key,
        r#"{"name": "Tea party", "subject": "Unbirthdays"}"#,
    )
}

#[tokio::test]
async fn a_retried_send_replays_its_answer_and_the_recipient_holds_one_message() {
    let server = server_with(&["alice", "bob"]).await;
    let addr = server.addr("mongoose_client_api");
    let send = |key: Option<&str>, body: &str| call(addr, "alice", "POST", "/api/messages", key, body);

    let first = send(Some("send-1"), r#"{"to": "bob@localhost", "body": "hello once"}"#);
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(!replayed(&first), "the first answer is not a replay");
    let id = json(&first)["id"].as_str().unwrap().to_owned();

    let retry = send(Some("send-1"), r#"{"to": "bob@localhost", "body": "hello once"}"#);
    assert_eq!((retry.status, json(&retry)["id"].as_str()), (200, Some(id.as_str())));
    assert!(replayed(&retry), "{:?}", retry.headers);
    assert_eq!(retry.header("Content-Type"), Some("application/json"));
    // The same object serialized another way is the same request.
    let reordered = send(Some("send-1"), r#"{"body":"hello once","to":"bob@localhost"}"#);
    assert_eq!(json(&reordered)["id"].as_str(), Some(id.as_str()));
    assert!(replayed(&reordered));

    assert_eq!(archive(addr, "bob"), vec!["hello once"]);
    assert_eq!(archive(addr, "alice"), vec!["hello once"]);

    // Without a key, or with another one, a send is a new message.
    assert_eq!(
        send(None, r#"{"to": "bob@localhost", "body": "hello once"}"#).status,
        200
    );
    let other = send(Some("send-2"), r#"{"to": "bob@localhost", "body": "hello once"}"#);
    assert_ne!(json(&other)["id"].as_str(), Some(id.as_str()));
    assert_eq!(archive(addr, "bob").len(), 3);
}

#[tokio::test]
async fn a_key_used_for_another_request_is_refused_and_keys_are_per_user() {
    let server = server_with(&["alice", "bob"]).await;
    let addr = server.addr("mongoose_client_api");
    let alice = server.client_as("alice@localhost", PASSWORD);
    let message = |body: &str| models::MessageRequest::new("bob@localhost".into(), body.into());

    let first = alice.send_message(message("first"), Some("k-1".into())).await.unwrap();
    assert!(
        matches!(first, meerkat_client_api::SendMessageResponse::MessageSent(_)),
        "{first:?}"
    );
    let other_body = alice.send_message(message("second"), Some("k-1".into())).await.unwrap();
    assert!(
        matches!(
            other_body,
            meerkat_client_api::SendMessageResponse::IdempotencyKeyReused(ref text)
                if text == "Idempotency-Key already used for another request"
        ),
        "{other_body:?}"
    );
    // Another operation with the key is another request too.
    let room = create_room(addr, "alice", Some("k-1"));
    assert_eq!(
        (room.status, room.body.as_str()),
        (422, r#""Idempotency-Key already used for another request""#)
    );
    assert_eq!(archive(addr, "bob"), vec!["first"]);
    let r = call(addr, "alice", "GET", "/api/rooms", None, "");
    assert_eq!(json(&r), serde_json::json!([]));

    // Bob's key of the same name is his own.
    let bobs = call(
        addr,
        "bob",
        "POST",
        "/api/messages",
        Some("k-1"),
        r#"{"to": "alice@localhost", "body": "from bob"}"#,
    );
    assert_eq!(bobs.status, 200, "{}", bobs.body);
    assert!(!replayed(&bobs));
}

#[tokio::test]
async fn an_invalid_key_is_refused_before_anything_happens() {
    let server = server_with(&["alice", "bob"]).await;
    let addr = server.addr("mongoose_client_api");
    let auth = basic("alice@localhost", PASSWORD);
    let long = "k".repeat(256);
    let body = r#"{"to": "bob@localhost", "body": "never sent"}"#;
    let bad_keys: Vec<Vec<(&str, &str)>> = vec![
        vec![("Idempotency-Key", "")],
        vec![("Idempotency-Key", "two words")],
        vec![("Idempotency-Key", long.as_str())],
        vec![("Idempotency-Key", "caf\u{e9}")],
        vec![("Idempotency-Key", "one"), ("Idempotency-Key", "two")],
    ];
    for extra in &bad_keys {
        let mut headers = vec![("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        headers.extend(extra.iter().copied());
        let r = raw_request(addr, "POST", "/api/messages", &headers, body);
        assert_eq!(
            (r.status, r.body.as_str()),
            (400, r#""Invalid Idempotency-Key""#),
            "{extra:?}"
        );
    }
    // Even a request that is bad otherwise gets the key's text first.
    let r = call(addr, "alice", "POST", "/api/rooms", Some("bad key"), "{}");
    assert_eq!((r.status, r.body.as_str()), (400, r#""Invalid Idempotency-Key""#));
    // The longest valid key, every printable character.
    let printable: String = ('!'..='~').collect();
    for key in ["k".repeat(255), printable] {
        let r = call(addr, "alice", "POST", "/api/messages", Some(&key), body);
        assert_eq!(r.status, 200, "{key}: {}", r.body);
    }
    assert_eq!(archive(addr, "bob").len(), 2);
    // Operations that take no key ignore the header.
    let r = call(addr, "alice", "GET", "/api/messages", Some("bad key"), "");
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_request_refused_before_the_operation_leaves_the_key_unused() {
    let server = server_with(&["alice", "bob"]).await;
    let addr = server.addr("mongoose_client_api");
    // Over the listener's 4 KiB body limit.
    let huge = format!(r#"{{"to": "bob@localhost", "body": "{}"}}"#, "x".repeat(5000));
    let r = call(addr, "alice", "POST", "/api/messages", Some("k"), &huge);
    assert_eq!(r.status, 413, "{}", r.body);
    let r = call(
        addr,
        "alice",
        "POST",
        "/api/messages",
        Some("k"),
        r#"{"to": "bob@localhost", "body": "fits"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!replayed(&r));
    // A refusal of the operation itself is its answer, and is replayed.
    let missing = call(
        addr,
        "alice",
        "POST",
        "/api/messages",
        Some("k2"),
        r#"{"to": "bob@localhost"}"#,
    );
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (400, r#""Missing message body""#)
    );
    let again = call(
        addr,
        "alice",
        "POST",
        "/api/messages",
        Some("k2"),
        r#"{"to": "bob@localhost"}"#,
    );
    assert_eq!((again.status, again.body.as_str()), (400, r#""Missing message body""#));
    assert!(replayed(&again));
    let no_room = call(
        addr,
        "alice",
        "POST",
        "/api/rooms/nosuchroom/messages",
        Some("k3"),
        r#"{"body": "anyone?"}"#,
    );
    assert_eq!(no_room.status, 404, "{}", no_room.body);
    let again = call(
        addr,
        "alice",
        "POST",
        "/api/rooms/nosuchroom/messages",
        Some("k3"),
        r#"{"body": "anyone?"}"#,
    );
    assert_eq!((again.status, &again.body), (404, &no_room.body));
    assert!(replayed(&again));
}

/// Runs `n` copies of `request` at once; their answers.
fn at_once(n: usize, request: impl Fn() -> RawResponse + Send + Sync + 'static) -> Vec<RawResponse> {
    let request = std::sync::Arc::new(request);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (request, barrier) = (request.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                request()
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Every answer is the same success, and all but one are replays.
fn one_ran(answers: &[RawResponse], status: u16) -> String {
    let ids: Vec<&str> = answers.iter().map(|r| r.body.as_str()).collect();
    assert!(answers.iter().all(|r| r.status == status), "{ids:?}");
    assert!(ids.iter().all(|b| *b == ids[0]), "{ids:?}");
    assert_eq!(answers.iter().filter(|r| !replayed(r)).count(), 1, "{ids:?}");
    json(&answers[0])["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn concurrent_sends_with_one_key_send_one_message() {
    let server = server_with(&["alice", "bob"]).await;
    let addr = server.addr("mongoose_client_api");
    let answers = at_once(8, move || {
        call(
            addr,
            "alice",
            "POST",
            "/api/messages",
            Some("together"),
            r#"{"to": "bob@localhost", "body": "only once"}"#,
        )
    });
    one_ran(&answers, 200);
    assert_eq!(archive(addr, "bob"), vec!["only once"]);
}

#[tokio::test]
async fn a_retried_or_concurrent_room_creation_makes_one_room() {
    let server = server_with(&["alice"]).await;
    let addr = server.addr("mongoose_client_api");
    let first = create_room(addr, "alice", Some("room-1"));
    assert_eq!(first.status, 201, "{}", first.body);
    let retry = create_room(addr, "alice", Some("room-1"));
    assert_eq!((retry.status, &retry.body), (201, &first.body));
    assert!(replayed(&retry));

    let answers = at_once(6, move || create_room(addr, "alice", Some("room-2")));
    let second = one_ran(&answers, 201);
    assert_ne!(json(&first)["id"], second.as_str());

    let rooms = json(&call(addr, "alice", "GET", "/api/rooms", None, ""));
    assert_eq!(rooms.as_array().unwrap().len(), 2, "{rooms}");
}

#[tokio::test]
async fn a_retried_or_concurrent_room_message_is_sent_once() {
    let server = server_with(&["alice"]).await;
    let addr = server.addr("mongoose_client_api");
    let room = json(&create_room(addr, "alice", None))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/rooms/{room}/messages");
    let send = {
        let path = path.clone();
        move |key: &str, body: &str| call(addr, "alice", "POST", &path, Some(key), body)
    };
    let first = send("m-1", r#"{"body": "to the room"}"#);
    assert_eq!(first.status, 200, "{}", first.body);
    let retry = send("m-1", r#"{"body": "to the room"}"#);
    assert_eq!((retry.status, &retry.body), (200, &first.body));
    assert!(replayed(&retry));
    let other = send("m-1", r#"{"body": "something else"}"#);
    assert_eq!(other.status, 422, "{}", other.body);

    let answers = at_once(6, move || send("m-2", r#"{"body": "together"}"#));
    one_ran(&answers, 200);
    assert_eq!(room_messages(addr, "alice", &room), vec!["to the room", "together"]);
}

#[tokio::test]
async fn a_retry_after_a_restart_still_replays() {
    let mut server = server_with(&["alice", "bob"]).await;
    let body = r#"{"to": "bob@localhost", "body": "before the restart"}"#;
    let addr = server.addr("mongoose_client_api");
    let first = call(addr, "alice", "POST", "/api/messages", Some("durable"), body);
    assert_eq!(first.status, 200, "{}", first.body);

    server.restart();
    let addr = server.addr("mongoose_client_api");
    let retry = call(addr, "alice", "POST", "/api/messages", Some("durable"), body);
    assert_eq!((retry.status, &retry.body), (200, &first.body));
    assert!(replayed(&retry));
    let other = call(
        addr,
        "alice",
        "POST",
        "/api/messages",
        Some("durable"),
        r#"{"to": "bob@localhost", "body": "changed"}"#,
    );
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(archive(addr, "bob"), vec!["before the restart"]);
}

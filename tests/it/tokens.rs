//! Bearer tokens of the client API: created with Basic credentials, accepted wherever
//! Basic is (and as the event stream's `access_token`), listed, revoked, expired, and
//! ended by a password change or the account's removal — together with the event
//! streams opened with them.

use crate::common;
use crate::common::sse::EventStream;
use crate::common::{basic, raw_request, TestServer};
use meerkat_admin_api::ApiNoContext as _;
use meerkat_client_api::models::{IssuedToken, MessageRequest};
use meerkat_client_api::{
    ApiNoContext as _, CreateTokenResponse, GetMessagesResponse, ListTokensResponse, RevokeTokenResponse,
    SendMessageResponse,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The default test server with `auth` lines added to its `[auth]` table.
fn server_with_auth(auth: &str) -> TestServer {
    TestServer::start_with(|dir| {
        common::default_config(dir, "").replacen(
            "sync_interval_ms = 100",
            &format!("sync_interval_ms = 100\n{auth}"),
            1,
        )
    })
}

/// `from` sends `body` to `to` with Basic credentials.
async fn send(server: &TestServer, from: &str, to: &str, body: &str) {
    let r = server
        .client_as(from, "secret")
        .send_message(MessageRequest::new(to.into(), body.into()), None)
        .await
        .unwrap();
    assert!(matches!(r, SendMessageResponse::MessageSent(_)), "{r:?}");
}

async fn users(server: &TestServer) {
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A token for `user`, created with Basic credentials.
async fn create(server: &TestServer, user: &str, password: &str) -> IssuedToken {
    match server.client_as(user, password).create_token().await.unwrap() {
        CreateTokenResponse::TokenCreated(t) => t,
        other => panic!("expected a token, got {other:?}"),
    }
}

async fn token_ids(server: &TestServer, user: &str, password: &str) -> Vec<String> {
    match server.client_as(user, password).list_tokens().await.unwrap() {
        ListTokensResponse::TokenList(list) => list.into_iter().map(|t| t.id).collect(),
        other => panic!("expected a list, got {other:?}"),
    }
}

/// Asserts that `token` is refused as a wrong password is: `401 "Invalid credentials"`
/// with the Basic challenge.
async fn assert_refused(server: &TestServer, token: &str) {
    match server.client_with_token(token).list_tokens().await.unwrap() {
        ListTokensResponse::Unauthorized { body, www_authenticate } => {
            assert_eq!(body, "Invalid credentials");
            assert!(www_authenticate.starts_with("Basic realm="), "{www_authenticate}");
        }
        other => panic!("expected 401 for {token}, got {other:?}"),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// An event stream of alice's opened with `Authorization: Bearer <token>`.
async fn stream_with(server: &TestServer, token: &str) -> EventStream {
    match EventStream::open_as(server, "", Some(&bearer(token))).await {
        Ok(s) => s,
        Err((status, body)) => panic!("the stream was refused: {status} {body}"),
    }
}

#[tokio::test]
async fn a_token_created_with_basic_credentials_sends_and_reads_like_the_password() {
    let server = TestServer::start();
    users(&server).await;
    let before = now_ms();
    let t = create(&server, "alice@localhost", "secret").await;
    assert_eq!(t.id.len(), 16);
    assert!(
        t.id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{}",
        t.id
    );
    assert!(t.token.starts_with("mkt_") && t.token.len() == 47, "{}", t.token);
    // An hour, by default.
    assert!(
        (before + 3_600_000..=now_ms() + 3_600_000).contains(&t.expires_at),
        "{}",
        t.expires_at
    );

    let mut bobs_stream = EventStream::open(&server, "bob@localhost").await;
    let alice = server.client_with_token(&t.token);
    let sent = match alice
        .send_message(MessageRequest::new("bob@localhost".into(), "by token".into()), None)
        .await
        .unwrap()
    {
        SendMessageResponse::MessageSent(m) => m.id,
        other => panic!("{other:?}"),
    };
    let (_, event) = bobs_stream.next_message().await;
    assert_eq!(
        (event["from"].as_str(), event["id"].as_str()),
        (Some("alice@localhost"), Some(sent.as_str()))
    );
    match alice.get_messages(None, None, None, None).await.unwrap() {
        GetMessagesResponse::ArchivedMessages(items) => {
            assert_eq!(items.len(), 1);
            assert_eq!(
                (items[0].from.as_str(), items[0].body.as_str()),
                ("alice@localhost", "by token")
            );
        }
        other => panic!("{other:?}"),
    }
    // The listing shows the token without its secret.
    match alice.list_tokens().await.unwrap() {
        ListTokensResponse::TokenList(list) => {
            assert_eq!(list.len(), 1);
            assert_eq!((&list[0].id, list[0].expires_at), (&t.id, t.expires_at));
            assert!((before..=now_ms()).contains(&list[0].created_at));
        }
        other => panic!("{other:?}"),
    }
    let raw = raw_request(
        server.addr("mongoose_client_api"),
        "GET",
        "/api/tokens",
        &[("Authorization", &bearer(&t.token))],
        "",
    );
    assert_eq!(raw.status, 200);
    assert!(!raw.body.contains("mkt_"), "{}", raw.body);
    // Bob's tokens are his own.
    assert!(token_ids(&server, "bob@localhost", "secret").await.is_empty());
}

#[tokio::test]
async fn a_revoked_token_gets_401_and_its_event_stream_ends_at_once() {
    let server = TestServer::start();
    users(&server).await;
    let first = create(&server, "alice@localhost", "secret").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = create(&server, "alice@localhost", "secret").await;
    assert_eq!(
        token_ids(&server, "alice@localhost", "secret").await,
        [first.id.clone(), second.id.clone()],
        "oldest first"
    );
    let mut revoked_stream = stream_with(&server, &first.token).await;
    let mut other_stream = stream_with(&server, &second.token).await;
    let mut basic_stream = EventStream::open(&server, "alice@localhost").await;

    // Revoked with the other token: any credential of alice's will do.
    let r = server
        .client_with_token(&second.token)
        .revoke_token(first.id.clone())
        .await
        .unwrap();
    assert_eq!(r, RevokeTokenResponse::TokenRevoked);
    assert!(
        revoked_stream.ends_within(Duration::from_secs(2)).await,
        "the stream of the revoked token is still open"
    );
    assert_refused(&server, &first.token).await;
    assert_eq!(
        token_ids(&server, "alice@localhost", "secret").await,
        [second.id.as_str()]
    );

    // The other streams go on.
    assert!(!other_stream.ends_within(Duration::from_millis(300)).await);
    send(&server, "bob@localhost", "alice@localhost", "still here").await;
    assert_eq!(other_stream.next_message().await.1["body"], "still here");
    assert_eq!(basic_stream.next_message().await.1["body"], "still here");

    // Revoking again, or an id nobody has: 404; what cannot be a token id: 400.
    for id in [first.id.clone(), "0123456789abcdef".to_owned()] {
        let r = server
            .client_as("alice@localhost", "secret")
            .revoke_token(id.clone())
            .await
            .unwrap();
        assert_eq!(r, RevokeTokenResponse::NoSuchToken("Token not found".into()), "{id}");
    }
    let r = server
        .client_as("alice@localhost", "secret")
        .revoke_token("not-an-id".into())
        .await
        .unwrap();
    assert_eq!(r, RevokeTokenResponse::BadRequest("Invalid token ID".into()));
}

#[tokio::test]
async fn another_users_token_id_is_not_found_and_the_token_stays() {
    let server = TestServer::start();
    users(&server).await;
    let alices = create(&server, "alice@localhost", "secret").await;
    let r = server
        .client_as("bob@localhost", "secret")
        .revoke_token(alices.id.clone())
        .await
        .unwrap();
    assert_eq!(r, RevokeTokenResponse::NoSuchToken("Token not found".into()));
    assert_eq!(
        token_ids(&server, "alice@localhost", "secret").await,
        [alices.id.as_str()]
    );
    assert!(matches!(
        server.client_with_token(&alices.token).list_tokens().await.unwrap(),
        ListTokensResponse::TokenList(_)
    ));
}

#[tokio::test]
async fn the_event_stream_takes_the_token_as_access_token() {
    let server = TestServer::start();
    users(&server).await;
    let t = create(&server, "alice@localhost", "secret").await;
    let mut stream = EventStream::open_as(&server, &format!("?access_token={}", t.token), None)
        .await
        .expect("opened with access_token");
    send(&server, "bob@localhost", "alice@localhost", "to the browser").await;
    assert_eq!(stream.next_message().await.1["body"], "to the browser");

    // A token that is not one, in the parameter: a failed login.
    for bad in ["mkt_nothing", "", "%20"] {
        let refused = EventStream::open_as(&server, &format!("?access_token={bad}"), None).await;
        assert_eq!(
            refused.err(),
            Some((401, "\"Invalid credentials\"".to_owned())),
            "access_token={bad}"
        );
    }
    // Only the event stream takes the parameter.
    let addr = server.addr("mongoose_client_api");
    let path = format!("/api/messages?access_token={}", t.token);
    let r = raw_request(addr, "GET", &path, &[], "");
    assert_eq!((r.status, r.body.as_str()), (401, "\"Authentication required\""));
    let r = raw_request(addr, "GET", &path, &[("Authorization", &bearer(&t.token))], "");
    assert_eq!((r.status, r.body.as_str()), (400, "\"Invalid query string\""));

    // Revoking the token ends the stream opened with the parameter too.
    let r = server
        .client_as("alice@localhost", "secret")
        .revoke_token(t.id.clone())
        .await
        .unwrap();
    assert_eq!(r, RevokeTokenResponse::TokenRevoked);
    assert!(stream.ends_within(Duration::from_secs(2)).await);
    let refused = EventStream::open_as(&server, &format!("?access_token={}", t.token), None).await;
    assert_eq!(refused.err().map(|(s, _)| s), Some(401));
}

#[tokio::test]
async fn a_password_change_ends_bearer_streams_and_invalidates_every_token() {
    let server = TestServer::start();
    users(&server).await;
    let bobs = create(&server, "bob@localhost", "secret").await;

    // By the admin API: done before it answers.
    let t1 = create(&server, "alice@localhost", "secret").await;
    let t2 = create(&server, "alice@localhost", "secret").await;
    let mut stream = stream_with(&server, &t1.token).await;
    let r = server
        .admin(None)
        .change_password(
            "localhost".into(),
            "alice".into(),
            meerkat_admin_api::models::NewPassword::new("second".into()),
        )
        .await
        .unwrap();
    assert_eq!(r, meerkat_admin_api::ChangePasswordResponse::PasswordChanged);
    assert!(stream.ends_within(Duration::from_secs(2)).await);
    assert_refused(&server, &t1.token).await;
    assert_refused(&server, &t2.token).await;
    assert!(token_ids(&server, "alice@localhost", "second").await.is_empty());

    // By the command line beside the running server: within the sync interval.
    let t3 = create(&server, "alice@localhost", "second").await;
    let mut stream = EventStream::open_as(&server, &format!("?access_token={}", t3.token), None)
        .await
        .expect("opened");
    let out = server.cli(&["passwd", "alice@localhost", "third"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stream.ends_within(Duration::from_secs(2)).await);
    assert_refused(&server, &t3.token).await;
    assert!(token_ids(&server, "alice@localhost", "third").await.is_empty());

    // Bob's token is untouched.
    assert!(matches!(
        server.client_with_token(&bobs.token).list_tokens().await.unwrap(),
        ListTokensResponse::TokenList(_)
    ));
}

#[tokio::test]
async fn removing_the_account_deletes_its_tokens_for_good() {
    let server = TestServer::start();
    users(&server).await;
    let t = create(&server, "alice@localhost", "secret").await;
    let mut stream = stream_with(&server, &t.token).await;
    let r = server
        .admin(None)
        .unregister_user("localhost".into(), "alice".into())
        .await
        .unwrap();
    assert_eq!(r, meerkat_admin_api::UnregisterUserResponse::UserRemoved);
    assert!(stream.ends_within(Duration::from_secs(2)).await);
    assert_refused(&server, &t.token).await;
    // An account of the same name later is someone else: the old token is gone.
    server.register("alice", "secret").await;
    assert_refused(&server, &t.token).await;
    assert!(token_ids(&server, "alice@localhost", "secret").await.is_empty());
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime_and_end_their_streams() {
    let server = server_with_auth("token_lifetime = 1");
    users(&server).await;
    let before = now_ms();
    let t = create(&server, "alice@localhost", "secret").await;
    assert!(
        (before + 1000..=now_ms() + 1000).contains(&t.expires_at),
        "{}",
        t.expires_at
    );
    let mut stream = stream_with(&server, &t.token).await;
    // Open until the expiry, closed soon after it.
    let opened = std::time::Instant::now();
    let left_ms = (t.expires_at - now_ms()).max(0) as u64;
    assert!(
        stream.ends_within(Duration::from_secs(3)).await,
        "still open after the expiry"
    );
    assert!(
        opened.elapsed() + Duration::from_millis(100) >= Duration::from_millis(left_ms),
        "ended {:?} after opening, {left_ms} ms before the expiry",
        opened.elapsed()
    );
    assert_refused(&server, &t.token).await;
    assert!(token_ids(&server, "alice@localhost", "secret").await.is_empty());
    let refused = EventStream::open_as(&server, "", Some(&bearer(&t.token))).await;
    assert_eq!(refused.err().map(|(s, _)| s), Some(401));
}

#[tokio::test]
async fn a_bearer_token_cannot_create_tokens() {
    let server = TestServer::start();
    users(&server).await;
    let t = create(&server, "alice@localhost", "secret").await;
    let r = raw_request(
        server.addr("mongoose_client_api"),
        "POST",
        "/api/tokens",
        &[("Authorization", &bearer(&t.token))],
        "",
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.body, "\"Tokens are created with Basic credentials\"");
    assert_eq!(token_ids(&server, "alice@localhost", "secret").await, [t.id]);
}

#[tokio::test]
async fn a_user_has_at_most_max_tokens_per_user_live_tokens() {
    let server = server_with_auth("max_tokens_per_user = 3");
    users(&server).await;
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(create(&server, "alice@localhost", "secret").await);
    }
    let over = server
        .client_as("alice@localhost", "secret")
        .create_token()
        .await
        .unwrap();
    assert_eq!(
        over,
        CreateTokenResponse::Forbidden("Too many tokens (at most 3)".into())
    );
    assert_eq!(token_ids(&server, "alice@localhost", "secret").await.len(), 3);
    // Bob is not limited by alice's tokens.
    create(&server, "bob@localhost", "secret").await;
    // A revoked token makes room.
    let r = server
        .client_as("alice@localhost", "secret")
        .revoke_token(made[0].id.clone())
        .await
        .unwrap();
    assert_eq!(r, RevokeTokenResponse::TokenRevoked);
    create(&server, "alice@localhost", "secret").await;
}

#[tokio::test]
async fn failed_bearer_attempts_count_as_failed_logins_of_the_address() {
    let server = server_with_auth("max_failures_per_ip = 3");
    users(&server).await;
    let t = create(&server, "alice@localhost", "secret").await;
    let addr = server.addr("mongoose_client_api");
    let guess = format!("mkt_{}", "A".repeat(43));
    for header in [bearer(&guess), bearer("nope"), bearer(&t.token.replace("mkt_", "mkx_"))] {
        let r = raw_request(addr, "GET", "/api/tokens", &[("Authorization", &header)], "");
        assert_eq!(
            (r.status, r.body.as_str()),
            (401, "\"Invalid credentials\""),
            "{header}"
        );
        assert!(r
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic realm=")));
    }
    // The address is refused now, whatever it presents.
    for header in [bearer(&t.token), basic("alice@localhost", "secret")] {
        let r = raw_request(addr, "GET", "/api/tokens", &[("Authorization", &header)], "");
        assert_eq!(r.status, 429, "{header}: {}", r.body);
        assert!(r.header("retry-after").is_some());
    }
    let r = raw_request(addr, "GET", &format!("/api/sse?access_token={}", t.token), &[], "");
    assert_eq!(r.status, 429);
}

//! meerkat on PostgreSQL (`[general] storage = "postgres"`), with a private PostgreSQL
//! server per test that the test stops and starts: while the database is down requests
//! get a clear `503` within the configured deadline (never a hang, never a 500), the node
//! recovers by itself when it is back, and nothing acknowledged is lost across a crash of
//! either side.

use crate::common;
use crate::common::postgres::PrivatePostgres;
use crate::common::{default_config, TestServer};
use meerkat_client_api::models::MessageRequest;
use meerkat_client_api::{ApiNoContext as _, GetMessagesWithResponse, SendMessageResponse};
use std::time::{Duration, Instant};

/// A server on its own PostgreSQL, with a one-second storage deadline.
async fn on_private_postgres() -> (PrivatePostgres, TestServer) {
    let pg = PrivatePostgres::start().expect("a private PostgreSQL");
    pg.sql("postgres", "CREATE DATABASE meerkat").unwrap();
    let url = pg.url("meerkat");
    let server = TestServer::start_with(|dir| {
        default_config(
            dir,
            &format!("\n[storage.postgres]\nurl = \"{url}\"\ntimeout_ms = 1000\n"),
        )
        .replacen("[general]\n", "[general]\nstorage = \"postgres\"\n", 1)
    });
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    (pg, server)
}

/// Sends alice → bob; the HTTP status, and the message id on `200`.
async fn send(server: &TestServer, body: &str) -> Result<String, String> {
    let r = server
        .client_as("alice@localhost", "secret")
        .send_message(MessageRequest::new("bob@localhost".into(), body.into()), None)
        .await;
    match r {
        Ok(SendMessageResponse::MessageSent(id)) => Ok(id.id),
        Ok(other) => Err(format!("{other:?}")),
        Err(e) => Err(format!("{e}")),
    }
}

async fn bodies_bob_has(server: &TestServer) -> Vec<String> {
    match server
        .client_as("bob@localhost", "secret")
        .get_messages_with("alice@localhost".into(), Some(500), None, None, None)
        .await
        .unwrap()
    {
        GetMessagesWithResponse::ArchivedMessages(m) => m.into_iter().map(|m| m.body).collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn while_postgres_is_down_requests_get_503_in_bounded_time_and_the_node_recovers_by_itself() {
    let (pg, server) = on_private_postgres().await;
    send(&server, "before").await.unwrap();

    pg.stop("fast").unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let r = common::raw_request(
            server.addr("mongoose_client_api"),
            "POST",
            "/api/messages",
            &[
                ("Authorization", &common::basic("alice@localhost", "secret")),
                ("Content-Type", "application/json"),
            ],
            r#"{"to":"bob@localhost","body":"during"}"#,
        );
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(r.body.contains("Service temporarily unavailable"), "{}", r.body);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "answered after {:?}",
            started.elapsed()
        );
    }
    assert!(
        server.log().lines().all(|l| !l.contains("panicked")),
        "{}",
        server.log()
    );

    pg.resume().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match send(&server, "after").await {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => {
                assert!(e.contains("503") || e.contains("Unavailable"), "{e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("not recovered within 30 s: {e}"),
        }
    }
    assert_eq!(bodies_bob_has(&server).await, ["before", "after"]);
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_when_the_node_and_then_postgres_crash() {
    let (pg, mut server) = on_private_postgres().await;
    // Concurrent senders, so acknowledged messages share group commits.
    let mut acked = Vec::new();
    let results = futures::future::join_all((0..40).map(|i| {
        let server = &server;
        async move { (i, send(server, &format!("m{i}")).await) }
    }))
    .await;
    for (i, r) in results {
        r.unwrap_or_else(|e| panic!("message {i}: {e}"));
        acked.push(format!("m{i}"));
    }
    // The node is killed (SIGKILL) and comes back; then PostgreSQL crashes (immediate
    // shutdown, recovery from its WAL at the next start).
    server.restart();
    pg.stop("immediate").unwrap();
    pg.resume().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut have = loop {
        let r = server
            .client_as("bob@localhost", "secret")
            .get_messages_with("alice@localhost".into(), Some(500), None, None, None)
            .await;
        match r {
            Ok(GetMessagesWithResponse::ArchivedMessages(m)) => {
                break m.into_iter().map(|m| m.body).collect::<Vec<_>>()
            }
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            other => panic!("history not readable within 30 s: {other:?}"),
        }
    };
    have.sort();
    acked.sort();
    assert_eq!(have, acked);
}

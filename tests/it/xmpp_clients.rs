//! Modern XMPP extensions through slixmpp, a client library written elsewhere: each
//! scenario in tests/slixmpp logs real clients in and checks what they see.

use crate::common;
use crate::common::TestServer;

async fn server() -> TestServer {
    let server = TestServer::start();
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    server
}

#[tokio::test]
async fn slixmpp_logs_in_pings_and_receives_a_rest_message() {
    let server = server().await;
    tokio::task::spawn_blocking(move || common::slix::run(&server, "login.py", &[]))
        .await
        .unwrap();
}

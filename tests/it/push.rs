//! Push notifications (XEP-0357): an app server connected as an external component
//! (slixmpp) receives a summary when a message is held for an offline user who
//! registered with it. The scenario is tests/slixmpp/push.py.

use crate::common;
use crate::common::TestServer;

const SECRET: &str = "app-server-secret";

#[tokio::test]
async fn a_message_for_an_offline_user_is_summarised_to_the_app_server_he_registered() {
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, &format!("[[listen.service]]\nport = 0\npassword = \"{SECRET}\"\n"))
    });
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    let addr = server.addr("service").to_string();
    tokio::task::spawn_blocking(move || common::slix::run(&server, "push.py", &[&addr, SECRET]))
        .await
        .unwrap();
}

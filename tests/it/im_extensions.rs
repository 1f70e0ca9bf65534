//! Offline messages (XEP-0160), message carbons (XEP-0280), blocking (XEP-0191) and
//! roster versioning (XEP-0237) through slixmpp, mixed with REST sends: each scenario is in tests/slixmpp/im.py.

use crate::common;
use crate::common::TestServer;

async fn run(scenario: &'static str) {
    let server = TestServer::start();
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    tokio::task::spawn_blocking(move || common::slix::run(&server, "im.py", &[scenario]))
        .await
        .unwrap();
}

#[tokio::test]
async fn messages_sent_while_bob_was_offline_arrive_once_with_their_delay_when_he_logs_in() {
    run("offline").await;
}

#[tokio::test]
async fn a_rest_send_and_a_message_to_one_resource_are_carbon_copied_to_bobs_other_clients() {
    run("carbons").await;
}

#[tokio::test]
async fn a_blocked_sender_gets_the_answer_a_missing_account_gets_over_rest_and_xmpp() {
    run("blocking").await;
}

#[tokio::test]
async fn a_client_with_the_current_roster_version_gets_nothing_resent_and_pushes_carry_the_new_one() {
    run("roster_versioning").await;
}

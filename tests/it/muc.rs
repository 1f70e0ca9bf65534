//! Multi-User Chat (XEP-0045) on `conference.localhost` through slixmpp's xep_0045
//! plugin: each scenario is in tests/slixmpp/muc.py.

use crate::common;
use crate::common::TestServer;

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

async fn server() -> TestServer {
    let server = TestServer::start();
    for u in USERS {
        server.register(u, "secret").await;
    }
    server
}

async fn scenario(server: TestServer, name: &'static str) -> TestServer {
    tokio::task::spawn_blocking(move || {
        common::slix::run(&server, "muc.py", &[name]);
        server
    })
    .await
    .unwrap()
}

async fn run(name: &'static str) {
    scenario(server().await, name).await;
}

#[tokio::test]
async fn three_occupants_chat_with_stanza_ids_change_the_subject_whisper_and_see_each_other_leave_or_drop() {
    run("chat").await;
}

#[tokio::test]
async fn a_late_joiner_gets_the_history_it_asks_for_with_delays_then_the_subject() {
    run("history").await;
}

#[tokio::test]
async fn taken_nicks_members_only_rooms_and_passwords_refuse_entry_with_their_conditions() {
    run("refusals").await;
}

#[tokio::test]
async fn kicks_and_bans_carry_307_and_301_and_an_outcast_stays_out() {
    run("moderation").await;
}

#[tokio::test]
async fn a_mediated_invitation_reaches_the_invitee_from_the_room() {
    run("invite").await;
}

#[tokio::test]
async fn the_service_lists_public_rooms_and_a_room_describes_its_configuration() {
    run("disco").await;
}

#[tokio::test]
async fn mam_on_the_room_jid_reads_the_room_archive() {
    run("mam").await;
}

#[tokio::test]
async fn a_persistent_room_comes_back_after_a_restart_with_members_subject_and_history() {
    let mut server = scenario(server().await, "persist_before").await;
    server.restart();
    scenario(server, "persist_after").await;
}

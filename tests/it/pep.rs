//! PEP (XEP-0163), entity capabilities (XEP-0115), vCards (XEP-0054) and private XML
//! storage (XEP-0049) through slixmpp, a client library written elsewhere: each test
//! runs one scenario of tests/slixmpp/pep.py against a fresh server.

use crate::common;
use crate::common::TestServer;

async fn run(scenario: &'static str) {
    let server = TestServer::start();
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    tokio::task::spawn_blocking(move || common::slix::run(&server, "pep.py", &[scenario]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_contact_asking_for_avatar_metadata_is_notified_and_fetches_the_image_and_a_stranger_cannot() {
    run("avatar").await;
}

#[tokio::test]
async fn bookmarks_published_with_whitelist_options_stay_private_and_a_mismatch_is_refused() {
    run("bookmarks").await;
}

#[tokio::test]
async fn an_omemo_device_list_reaches_a_contact_and_an_open_bundle_anyone() {
    run("omemo").await;
}

#[tokio::test]
async fn a_vcard_set_by_its_owner_is_read_by_another_user_and_private_xml_round_trips() {
    run("vcard_private").await;
}

#[tokio::test]
async fn an_avatar_set_in_the_vcard_is_the_pep_avatar_with_its_hash_in_presence_and_back() {
    run("avatar_compatibility").await;
}

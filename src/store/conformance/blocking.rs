//! Blocklists ([`BlockStore`]).

use super::*;

for_every_backend!(blocklists_keep_each_jid_once_and_clear);

async fn blocklists_keep_each_jid_once_and_clear(b: Under) {
    let bl = &b.stores.blocking;
    let jids = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    bl.block("alice@localhost", &jids(&["mallory@localhost", "spam.example"]))
        .await
        .unwrap();
    bl.block("alice@localhost", &jids(&["mallory@localhost"]))
        .await
        .unwrap();
    assert_eq!(
        bl.blocklist("alice@localhost").await.unwrap(),
        jids(&["mallory@localhost", "spam.example"])
    );
    assert!(bl.blocklist("bob@localhost").await.unwrap().is_empty());
    bl.unblock("alice@localhost", &jids(&["spam.example"])).await.unwrap();
    assert_eq!(
        bl.blocklist("alice@localhost").await.unwrap(),
        jids(&["mallory@localhost"])
    );
    bl.block("alice@localhost", &jids(&["eve@localhost"])).await.unwrap();
    bl.unblock("alice@localhost", &[]).await.unwrap();
    assert!(bl.blocklist("alice@localhost").await.unwrap().is_empty());
}

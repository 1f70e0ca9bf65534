//! Push registrations ([`PushStore`]).

use super::*;

for_every_backend!(push_registrations_are_replaced_by_jid_and_node_and_limited);

async fn push_registrations_are_replaced_by_jid_and_node_and_limited(b: Under) {
    let p = &b.stores.push;
    let reg = |jid: &str, node: &str, options: &str| PushRegistration {
        jid: jid.into(),
        node: node.into(),
        options: options.into(),
    };
    p.enable_push("bob@localhost", &reg("push.example", "n1", ""), 2)
        .await
        .unwrap();
    p.enable_push("bob@localhost", &reg("push.example", "n2", ""), 2)
        .await
        .unwrap();
    // The same JID and node again replaces, even at the limit.
    p.enable_push("bob@localhost", &reg("push.example", "n1", "<x/>"), 2)
        .await
        .unwrap();
    let third = p.enable_push("bob@localhost", &reg("other.example", "n3", ""), 2).await;
    assert!(matches!(third, Err(StoreError::LimitReached)), "{third:?}");
    assert_eq!(
        p.push_registrations("bob@localhost").await.unwrap(),
        vec![reg("push.example", "n1", "<x/>"), reg("push.example", "n2", "")]
    );
    assert_eq!(
        p.disable_push("bob@localhost", "push.example", Some("n2"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        p.disable_push("bob@localhost", "nowhere.example", None).await.unwrap(),
        0
    );
    p.enable_push("bob@localhost", &reg("push.example", "n3", ""), 2)
        .await
        .unwrap();
    assert_eq!(p.disable_push("bob@localhost", "push.example", None).await.unwrap(), 2);
    p.enable_push("bob@localhost", &reg("push.example", "n4", ""), 2)
        .await
        .unwrap();
    p.delete_push("bob@localhost").await.unwrap();
    assert!(p.push_registrations("bob@localhost").await.unwrap().is_empty());
}

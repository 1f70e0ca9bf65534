//! Messages held for offline users ([`OfflineStore`]).

use super::*;

for_every_backend!(offline_messages_are_taken_once_in_order_up_to_a_limit);

async fn offline_messages_are_taken_once_in_order_up_to_a_limit(b: Under) {
    let o = &b.stores.offline;
    let msg = |n: i64| OfflineMessage {
        timestamp_ms: 1_000 + n,
        stanza: format!("<message id='m{n}'/>"),
    };
    for n in 0..3 {
        o.push_offline("bob@localhost", &msg(n), 3).await.unwrap();
    }
    let full = o.push_offline("bob@localhost", &msg(3), 3).await;
    assert!(matches!(full, Err(StoreError::LimitReached)), "{full:?}");
    o.push_offline("carol@localhost", &msg(9), 3).await.unwrap();
    assert_eq!(o.count_offline("bob@localhost").await.unwrap(), 3);
    assert_eq!(
        o.take_offline("bob@localhost").await.unwrap(),
        vec![msg(0), msg(1), msg(2)]
    );
    assert!(o.take_offline("bob@localhost").await.unwrap().is_empty());
    assert_eq!(o.count_offline("carol@localhost").await.unwrap(), 1);
    o.delete_offline("carol@localhost").await.unwrap();
    assert_eq!(o.count_offline("carol@localhost").await.unwrap(), 0);
}

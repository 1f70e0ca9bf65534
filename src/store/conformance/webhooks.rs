//! Webhook delivery state ([`WebhookStore`]) and the archive read in id order that feeds
//! it ([`ArchiveStore::archive_after`]).

use super::archive::msg;
use super::*;

for_every_backend!(
    the_archive_reads_every_owner_in_id_order_within_bounds,
    an_outbox_keeps_fill_order_and_its_newest_events_up_to_the_bound,
    a_fill_after_the_cursors_moved_is_refused_and_a_rewind_takes_the_events_again,
    deliveries_failures_and_give_ups_are_counted,
);

fn event(id: i64) -> NewWebhookEvent {
    NewWebhookEvent {
        event_id: id.to_string(),
        archive_id: Some(id),
        kind: "message".into(),
        payload: format!("{{\"n\":{id}}}"),
    }
}

async fn pending_ids(w: &dyn WebhookStore, endpoint: &str) -> Vec<String> {
    w.webhook_pending(endpoint, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.event_id)
        .collect()
}

async fn the_archive_reads_every_owner_in_id_order_within_bounds(b: Under) {
    let a = &b.stores.archive;
    a.archive_append(vec![msg(10, ALICE, BOB, 1), msg(11, BOB, ALICE, 1)])
        .await
        .unwrap();
    a.archive_append(vec![
        msg(12, "room@muclight.localhost", ALICE, 2),
        msg(13, ALICE, BOB, 3),
    ])
    .await
    .unwrap();
    let ids = |v: Vec<ArchivedMessage>| v.iter().map(|m| (m.id, m.owner.clone())).collect::<Vec<_>>();
    assert_eq!(
        ids(a.archive_after(0, i64::MAX, 100).await.unwrap()),
        vec![
            (10, ALICE.to_owned()),
            (11, BOB.to_owned()),
            (12, "room@muclight.localhost".to_owned()),
            (13, ALICE.to_owned())
        ]
    );
    assert_eq!(
        ids(a.archive_after(10, 12, 100).await.unwrap()),
        vec![(11, BOB.to_owned()), (12, "room@muclight.localhost".to_owned())]
    );
    assert_eq!(
        ids(a.archive_after(10, 13, 1).await.unwrap()),
        vec![(11, BOB.to_owned())]
    );
    assert!(a.archive_after(13, 13, 10).await.unwrap().is_empty());
}

async fn an_outbox_keeps_fill_order_and_its_newest_events_up_to_the_bound(b: Under) {
    let w = &*b.stores.webhooks;
    let s = w.webhook_init("crm", 5, 2).await.unwrap();
    assert_eq!((s.archive_cursor, s.account_cursor, s.backlog), (5, 2, 0));
    // Initialising again keeps the stored cursors.
    let s = w.webhook_init("crm", 99, 99).await.unwrap();
    assert_eq!((s.archive_cursor, s.account_cursor), (5, 2));
    let dropped = w
        .webhook_fill("crm", (5, 2), vec![event(6), event(7), event(8)], (8, 2), 3)
        .await
        .unwrap();
    assert_eq!(dropped, 0);
    assert_eq!(pending_ids(w, "crm").await, ["6", "7", "8"]);
    let dropped = w
        .webhook_fill("crm", (8, 2), vec![event(9), event(10)], (10, 3), 3)
        .await
        .unwrap();
    assert_eq!(dropped, 2);
    assert_eq!(pending_ids(w, "crm").await, ["8", "9", "10"]);
    let states = w.webhook_states().await.unwrap();
    assert_eq!(states.len(), 1);
    let s = &states[0];
    assert_eq!(
        (
            s.endpoint.as_str(),
            s.archive_cursor,
            s.account_cursor,
            s.backlog,
            s.dropped
        ),
        ("crm", 10, 3, 3, 2)
    );
    // Another endpoint has its own outbox.
    w.webhook_init("audit", 0, 0).await.unwrap();
    assert!(pending_ids(w, "audit").await.is_empty());
    let first = &w.webhook_pending("crm", 1).await.unwrap()[0];
    assert_eq!(first.event, event(8));
    assert_eq!((first.attempts, first.first_failure_ms), (0, None));
}

async fn a_fill_after_the_cursors_moved_is_refused_and_a_rewind_takes_the_events_again(b: Under) {
    let w = &*b.stores.webhooks;
    assert!(matches!(
        w.webhook_fill("nobody", (0, 0), vec![], (1, 0), 10).await,
        Err(StoreError::NotFound)
    ));
    w.webhook_init("crm", 0, 0).await.unwrap();
    let account = NewWebhookEvent {
        event_id: "account-1".into(),
        archive_id: None,
        kind: "account.created".into(),
        payload: "{}".into(),
    };
    w.webhook_fill("crm", (0, 0), vec![event(1), account, event(2), event(3)], (3, 1), 10)
        .await
        .unwrap();
    w.webhook_rewind("crm", 1).await.unwrap();
    // The events after the new cursor left; the account event stays.
    assert_eq!(pending_ids(w, "crm").await, ["1", "account-1"]);
    let stale = w.webhook_fill("crm", (3, 1), vec![event(4)], (4, 1), 10).await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    w.webhook_fill("crm", (1, 1), vec![event(2), event(3)], (3, 1), 10)
        .await
        .unwrap();
    assert_eq!(pending_ids(w, "crm").await, ["1", "account-1", "2", "3"]);
    assert!(matches!(w.webhook_rewind("nobody", 0).await, Err(StoreError::NotFound)));
}

async fn deliveries_failures_and_give_ups_are_counted(b: Under) {
    let w = &*b.stores.webhooks;
    w.webhook_init("crm", 0, 0).await.unwrap();
    w.webhook_fill("crm", (0, 0), vec![event(1), event(2), event(3)], (3, 0), 10)
        .await
        .unwrap();
    let seqs: Vec<i64> = w
        .webhook_pending("crm", 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "{seqs:?}");
    w.webhook_delivered("crm", seqs[0], 1000).await.unwrap();
    // Delivered twice (a retry racing a restart) counts once.
    w.webhook_delivered("crm", seqs[0], 1001).await.unwrap();
    w.webhook_failed("crm", seqs[1], "HTTP 500", 2000).await.unwrap();
    w.webhook_failed("crm", seqs[1], "timed out", 3000).await.unwrap();
    let head = &w.webhook_pending("crm", 1).await.unwrap()[0];
    assert_eq!(
        (head.seq, head.attempts, head.first_failure_ms),
        (seqs[1], 2, Some(2000))
    );
    w.webhook_give_up("crm", seqs[1], "gave up", 4000).await.unwrap();
    let s = &w.webhook_states().await.unwrap()[0];
    assert_eq!((s.backlog, s.delivered, s.dropped), (1, 1, 1));
    assert_eq!(s.last_error.as_deref(), Some("gave up"));
    assert_eq!((s.last_error_ms, s.last_delivered_ms), (Some(4000), Some(1000)));
}

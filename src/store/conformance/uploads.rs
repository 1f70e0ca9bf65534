//! Upload slots ([`UploadStore`]): round trips, the owner's quota (also under
//! concurrent requests), which slots are due for removal.

use super::*;

for_every_backend!(
    upload_slots_round_trip_and_are_uploaded_once,
    a_slot_beyond_the_owners_quota_is_refused,
    concurrent_slot_requests_never_exceed_the_quota,
    due_uploads_are_expired_ones_and_abandoned_slots,
);

fn slot(id: &str, owner: &str, size: u64, put_until_ms: i64) -> Upload {
    Upload {
        id: id.into(),
        owner: owner.into(),
        filename: format!("{id}.jpg"),
        size,
        content_type: "image/jpeg".into(),
        created_ms: put_until_ms - 300_000,
        put_until_ms,
        uploaded_ms: None,
    }
}

async fn upload_slots_round_trip_and_are_uploaded_once(b: Under) {
    let u = &b.stores.uploads;
    let s = slot("aa01", "alice@localhost", 10, 1_000_000);
    u.reserve_upload(&s, 1000).await.unwrap();
    assert!(matches!(u.reserve_upload(&s, 1000).await, Err(StoreError::Conflict)));
    assert_eq!(u.upload("aa01").await.unwrap(), Some(s.clone()));
    assert_eq!(u.upload("bb02").await.unwrap(), None);
    u.complete_upload("aa01", 900_000).await.unwrap();
    assert!(matches!(
        u.complete_upload("aa01", 900_001).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        u.complete_upload("bb02", 900_001).await,
        Err(StoreError::NotFound)
    ));
    let done = Upload {
        uploaded_ms: Some(900_000),
        ..s.clone()
    };
    assert_eq!(u.upload("aa01").await.unwrap(), Some(done.clone()));
    assert_eq!(u.uploads_of("alice@localhost").await.unwrap(), vec![done]);
    assert_eq!(u.uploads_of("bob@localhost").await.unwrap(), vec![]);
    u.delete_upload("aa01").await.unwrap();
    u.delete_upload("aa01").await.unwrap();
    assert_eq!(u.upload("aa01").await.unwrap(), None);
}

async fn a_slot_beyond_the_owners_quota_is_refused(b: Under) {
    let u = &b.stores.uploads;
    u.reserve_upload(&slot("a1", "alice@localhost", 60, 1), 100)
        .await
        .unwrap();
    u.complete_upload("a1", 1).await.unwrap();
    let over = u.reserve_upload(&slot("a2", "alice@localhost", 50, 1), 100).await;
    assert!(matches!(over, Err(StoreError::LimitReached)), "{over:?}");
    assert_eq!(u.upload("a2").await.unwrap(), None);
    // Exactly at the quota is fine; pending slots count too.
    u.reserve_upload(&slot("a3", "alice@localhost", 40, 1), 100)
        .await
        .unwrap();
    let over = u.reserve_upload(&slot("a4", "alice@localhost", 1, 1), 100).await;
    assert!(matches!(over, Err(StoreError::LimitReached)), "{over:?}");
    // Another owner has a quota of their own.
    u.reserve_upload(&slot("b1", "bob@localhost", 100, 1), 100)
        .await
        .unwrap();
    // Deleting frees the room.
    u.delete_upload("a1").await.unwrap();
    u.reserve_upload(&slot("a2", "alice@localhost", 50, 1), 100)
        .await
        .unwrap();
}

async fn concurrent_slot_requests_never_exceed_the_quota(b: Under) {
    let mut tasks = Vec::new();
    for i in 0..20 {
        let u = b.stores.uploads.clone();
        tasks.push(tokio::spawn(async move {
            u.reserve_upload(&slot(&format!("s{i:02}"), "alice@localhost", 10, 1), 100)
                .await
        }));
    }
    let mut granted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => granted += 1,
            Err(StoreError::LimitReached) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(granted, 10);
    let total: u64 = b
        .stores
        .uploads
        .uploads_of("alice@localhost")
        .await
        .unwrap()
        .iter()
        .map(|u| u.size)
        .sum();
    assert_eq!(total, 100);
}

async fn due_uploads_are_expired_ones_and_abandoned_slots(b: Under) {
    let u = &b.stores.uploads;
    // Pending, PUT window closes at 100 / 300.
    u.reserve_upload(&slot("p100", "alice@localhost", 1, 100), 1000)
        .await
        .unwrap();
    u.reserve_upload(&slot("p300", "alice@localhost", 1, 300), 1000)
        .await
        .unwrap();
    // Uploaded at 50 / 250 (windows long open, which no longer matters).
    for (id, at) in [("u050", 50), ("u250", 250)] {
        u.reserve_upload(&slot(id, "bob@localhost", 1, 10_000), 1000)
            .await
            .unwrap();
        u.complete_upload(id, at).await.unwrap();
    }
    let ids = |v: Vec<Upload>| {
        let mut ids: Vec<String> = v.into_iter().map(|u| u.id).collect();
        ids.sort_unstable();
        ids
    };
    let due = |uploaded_before_ms, put_until_before_ms, limit| DueUploads {
        uploaded_before_ms,
        put_until_before_ms,
        limit,
    };
    assert_eq!(
        ids(u.due_uploads(due(Some(200), 200, 10)).await.unwrap()),
        ["p100", "u050"]
    );
    assert_eq!(ids(u.due_uploads(due(None, 200, 10)).await.unwrap()), ["p100"]);
    assert_eq!(
        ids(u.due_uploads(due(Some(1000), 1000, 10)).await.unwrap()),
        ["p100", "p300", "u050", "u250"]
    );
    assert_eq!(u.due_uploads(due(Some(1000), 1000, 3)).await.unwrap().len(), 3);
    assert!(u.due_uploads(due(Some(0), 0, 10)).await.unwrap().is_empty());
}

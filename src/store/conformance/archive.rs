//! The message archive ([`ArchiveStore`]): queries by owner, peer, time and id, paging
//! with cursors, deletion; the SQLite variants (synced commits, an index written early)
//! run the queries again.

use super::*;

mod on_sqlite_power {
    #[tokio::test]
    async fn archives_are_queried_by_owner_peer_time_and_id() {
        super::archives_are_queried_by_owner_peer_time_and_id(super::sqlite_power()).await
    }
}

mod on_sqlite_eager_index {
    #[tokio::test]
    async fn archives_are_queried_by_owner_peer_time_and_id() {
        super::archives_are_queried_by_owner_peer_time_and_id(super::sqlite_eager_index()).await
    }
    #[tokio::test]
    async fn cursors_page_through_one_millisecond_without_skipping_or_repeating() {
        super::cursors_page_through_one_millisecond_without_skipping_or_repeating(super::sqlite_eager_index()).await
    }
    #[tokio::test]
    async fn an_archive_is_deleted_with_its_owner_only() {
        super::an_archive_is_deleted_with_its_owner_only(super::sqlite_eager_index()).await
    }
    #[tokio::test]
    async fn a_shared_row_is_in_both_archives_and_outlives_either_owner() {
        super::a_shared_row_is_in_both_archives_and_outlives_either_owner(super::sqlite_eager_index()).await
    }
}

for_every_backend!(
    archives_are_queried_by_owner_peer_time_and_id,
    cursors_page_through_one_millisecond_without_skipping_or_repeating,
    an_archive_is_deleted_with_its_owner_only,
    a_shared_row_is_in_both_archives_and_outlives_either_owner,
);

/// An archived message whose stanza names its id.
pub(crate) fn msg(id: i64, owner: &str, with: &str, ts: i64) -> ArchivedMessage {
    ArchivedMessage {
        id,
        owner: owner.into(),
        with: with.into(),
        timestamp_ms: ts,
        stanza: format!("<message id='m{id}'/>"),
        shared: false,
    }
}

/// A message kept by both `owner` and `with`, in one row.
pub(crate) fn shared(id: i64, owner: &str, with: &str, ts: i64) -> ArchivedMessage {
    ArchivedMessage {
        shared: true,
        ..msg(id, owner, with, ts)
    }
}

async fn ids(store: &dyn ArchiveStore, q: ArchiveQuery) -> Vec<i64> {
    store.archive_query(q).await.unwrap().iter().map(|m| m.id).collect()
}

async fn archives_are_queried_by_owner_peer_time_and_id(b: Under) {
    let store = b.stores.archive.clone();
    let mut tasks = Vec::new();
    for i in 0..20i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let with = if i % 2 == 0 { "bob@localhost" } else { "carol@localhost" };
            store
                .archive_append(vec![
                    msg((i + 1) * 10, "alice@localhost", with, 1000 + i),
                    msg((i + 1) * 10 + 1, with, "alice@localhost", 1000 + i),
                ])
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(store.archive_max_id().await.unwrap(), 201);
    let q = ArchiveQuery {
        owner: "alice@localhost".into(),
        limit: 5,
        newest_first: true,
        ..Default::default()
    };
    assert_eq!(ids(&*store, q.clone()).await, [200, 190, 180, 170, 160]);
    assert_eq!(store.archive_count(q.clone()).await.unwrap(), 20);
    let with_bob = ArchiveQuery {
        with: Some("bob@localhost".into()),
        before_ms: Some(1010),
        ..q.clone()
    };
    assert_eq!(ids(&*store, with_bob.clone()).await, [90, 70, 50, 30, 10]);
    assert_eq!(store.archive_count(with_bob).await.unwrap(), 5);
    let window = ArchiveQuery {
        start_ms: Some(1002),
        end_ms: Some(1004),
        newest_first: false,
        ..q.clone()
    };
    assert_eq!(ids(&*store, window).await, [30, 40, 50]);
    let after = ArchiveQuery {
        after_id: Some(170),
        newest_first: false,
        ..q
    };
    assert_eq!(ids(&*store, after).await, [180, 190, 200]);
    assert!(matches!(
        store
            .archive_append(vec![msg(10, "x@localhost", "y@localhost", 1)])
            .await,
        Err(StoreError::Conflict)
    ));
}

/// Pages through `owner`'s archive (optionally with one peer) `limit` at a time with an
/// id cursor, forward (`after_id`, oldest first) or backward (`before_id`, newest first);
/// returns every id seen, oldest first.
async fn page_through(
    store: &dyn ArchiveStore,
    owner: &str,
    with: Option<&str>,
    limit: usize,
    forward: bool,
) -> Vec<i64> {
    let mut seen: Vec<i64> = Vec::new();
    let mut cursor = None;
    loop {
        let q = ArchiveQuery {
            owner: owner.into(),
            with: with.map(str::to_owned),
            after_id: if forward { cursor } else { None },
            before_id: if forward { None } else { cursor },
            limit,
            newest_first: !forward,
            ..Default::default()
        };
        let page = ids(store, q).await;
        assert!(page.len() <= limit);
        let Some(&last) = page.last() else { break };
        cursor = Some(last);
        if forward {
            seen.extend(page);
        } else {
            seen.splice(0..0, page.into_iter().rev());
        }
    }
    seen
}

async fn cursors_page_through_one_millisecond_without_skipping_or_repeating(b: Under) {
    let store = &b.stores.archive;
    // 300 messages archived in one millisecond (ids as the core issues them: the
    // millisecond shifted, plus a counter), for two owners and two peers, in batches.
    let ms: i64 = 1_732_521_600_000;
    let base = ms << 16;
    let mut rows = Vec::new();
    for i in 0..300i64 {
        let (owner, with) = match i % 3 {
            0 => ("alice@localhost", "bob@localhost"),
            1 => ("alice@localhost", "carol@localhost"),
            _ => ("coven@muclight.localhost", "alice@localhost"),
        };
        rows.push(msg(base + i, owner, with, ms));
    }
    for batch in rows.chunks(37) {
        store.archive_append(batch.to_vec()).await.unwrap();
    }
    let of = |owner: &str, with: Option<&str>| -> Vec<i64> {
        rows.iter()
            .filter(|m| m.owner == owner && with.is_none_or(|w| m.with == w))
            .map(|m| m.id)
            .collect()
    };
    for (owner, with) in [
        ("alice@localhost", None),
        ("alice@localhost", Some("carol@localhost")),
        ("coven@muclight.localhost", None),
    ] {
        let all = of(owner, with);
        for limit in [1, 7, 50, 500] {
            assert_eq!(
                page_through(&**store, owner, with, limit, true).await,
                all,
                "{owner} {with:?} forward by {limit}"
            );
            assert_eq!(
                page_through(&**store, owner, with, limit, false).await,
                all,
                "{owner} {with:?} backward by {limit}"
            );
        }
    }
    // Both cursors at once: a window, paged from either end; with `before_ms` too.
    let alice = of("alice@localhost", None);
    let (lo, hi) = (alice[10], alice[40]);
    let window = |newest_first: bool, limit: usize, before_ms: Option<i64>| ArchiveQuery {
        owner: "alice@localhost".into(),
        after_id: Some(lo),
        before_id: Some(hi),
        before_ms,
        limit,
        newest_first,
        ..Default::default()
    };
    assert_eq!(ids(&**store, window(false, 5, None)).await, alice[11..16]);
    let mut newest = ids(&**store, window(true, 5, None)).await;
    newest.reverse();
    assert_eq!(newest, alice[35..40]);
    assert_eq!(ids(&**store, window(false, 100, None)).await, alice[11..40]);
    assert_eq!(ids(&**store, window(false, 100, Some(ms + 1))).await, alice[11..40]);
    assert!(ids(&**store, window(false, 100, Some(ms))).await.is_empty());
    // Cursors that name no stored item still bound the page.
    let q = ArchiveQuery {
        owner: "alice@localhost".into(),
        after_id: Some(alice[3] + 1),
        limit: 2,
        ..Default::default()
    };
    assert_eq!(ids(&**store, q).await, alice[4..6]);
}

async fn an_archive_is_deleted_with_its_owner_only(b: Under) {
    let store = &b.stores.archive;
    store
        .archive_append(vec![
            msg(1, "alice@localhost", "bob@localhost", 1),
            msg(2, "bob@localhost", "alice@localhost", 1),
            msg(3, "alice@localhost", "carol@localhost", 2),
        ])
        .await
        .unwrap();
    assert_eq!(store.delete_archive("alice@localhost").await.unwrap(), 2);
    let q = |owner: &str| ArchiveQuery {
        owner: owner.into(),
        limit: 10,
        ..Default::default()
    };
    assert!(ids(&**store, q("alice@localhost")).await.is_empty());
    assert_eq!(ids(&**store, q("bob@localhost")).await, [2]);
}

async fn a_shared_row_is_in_both_archives_and_outlives_either_owner(b: Under) {
    let store = &b.stores.archive;
    let (alice, bob, carol) = ("alice@localhost", "bob@localhost", "carol@localhost");
    store
        .archive_append(vec![
            shared(1, alice, bob, 1),
            msg(2, alice, carol, 2),
            shared(3, bob, alice, 3),
        ])
        .await
        .unwrap();
    let q = |owner: &str, with: Option<&str>| ArchiveQuery {
        owner: owner.into(),
        with: with.map(Into::into),
        limit: 10,
        ..Default::default()
    };
    let seen = |rows: Vec<ArchivedMessage>| {
        rows.into_iter()
            .map(|m| (m.id, m.owner, m.with, m.stanza))
            .collect::<Vec<_>>()
    };
    let row =
        |id: i64, owner: &str, with: &str| (id, owner.to_owned(), with.to_owned(), format!("<message id='m{id}'/>"));
    // What `archive_after` (webhooks) reads: each row once, as written.
    let as_written =
        |rows: Vec<ArchivedMessage>| rows.into_iter().map(|m| (m.id, m.owner, m.shared)).collect::<Vec<_>>();
    // Each owner reads the shared rows as its own copies, in either direction.
    assert_eq!(
        seen(store.archive_query(q(alice, None)).await.unwrap()),
        [row(1, alice, bob), row(2, alice, carol), row(3, alice, bob)]
    );
    assert_eq!(
        seen(store.archive_query(q(bob, None)).await.unwrap()),
        [row(1, bob, alice), row(3, bob, alice)]
    );
    assert_eq!(ids(&**store, q(bob, Some(alice))).await, [1, 3]);
    assert_eq!(ids(&**store, q(alice, Some(bob))).await, [1, 3]);
    assert!(ids(&**store, q(carol, None)).await.is_empty());
    let newest = ArchiveQuery {
        newest_first: true,
        limit: 1,
        ..q(bob, None)
    };
    assert_eq!(ids(&**store, newest).await, [3]);
    assert_eq!(store.archive_count(q(alice, Some(bob))).await.unwrap(), 2);
    assert_eq!(store.archive_count(q(bob, None)).await.unwrap(), 2);
    assert_eq!(
        as_written(store.archive_after(0, 10, 10).await.unwrap()),
        [(1, alice.into(), true), (2, alice.into(), false), (3, bob.into(), true)]
    );
    // Removing alice's archive leaves bob his copies, rows of his alone now.
    assert_eq!(store.delete_archive(alice).await.unwrap(), 3);
    assert!(ids(&**store, q(alice, None)).await.is_empty());
    assert_eq!(
        seen(store.archive_query(q(bob, Some(alice))).await.unwrap()),
        [row(1, bob, alice), row(3, bob, alice)]
    );
    assert_eq!(store.archive_count(q(alice, None)).await.unwrap(), 0);
    assert_eq!(
        as_written(store.archive_after(0, 10, 10).await.unwrap()),
        [(1, bob.into(), false), (3, bob.into(), false)]
    );
    assert_eq!(store.delete_archive(bob).await.unwrap(), 2);
    assert!(store.archive_after(0, 10, 10).await.unwrap().is_empty());
}

//! The storage contract, tested once and run against every backend.

use super::*;

/// A backend under test; keeps its directory alive for as long as the test runs.
struct Under {
    stores: Stores,
    _dir: Option<tempfile::TempDir>,
}

fn memory() -> Under {
    Under {
        stores: Stores::memory(),
        _dir: None,
    }
}

fn sqlite() -> Under {
    let dir = tempfile::tempdir().unwrap();
    Under {
        stores: Stores::all_in(Arc::new(
            SqliteStore::open_with_durability(dir.path(), Durability::Process).unwrap(),
        )),
        _dir: Some(dir),
    }
}

/// SQLite with the archive index written every 16 entries, in steps of 5, and never by
/// age: reads meet the newest entries still in memory and the others in the index.
fn sqlite_eager_index() -> Under {
    let dir = tempfile::tempdir().unwrap();
    let indexing = sqlite::ArchiveIndexing {
        start_at: 16,
        max_age: std::time::Duration::from_secs(3600),
        chunk: 5,
    };
    let store = SqliteStore::open_with_indexing(dir.path(), indexing).unwrap();
    Under {
        stores: Stores::all_in(Arc::new(store)),
        _dir: Some(dir),
    }
}

/// A fresh database on the test process's private PostgreSQL server.
async fn postgres() -> Under {
    let url = postgres::private_server::shared()
        .fresh_database()
        .expect("creating a test database");
    let settings = PgSettings {
        url,
        pool_size: 8,
        ..PgSettings::default()
    };
    Under {
        stores: PgStore::connect(&settings)
            .await
            .expect("connecting to the test database")
            .into_stores(),
        _dir: None,
    }
}

/// SQLite syncing every archive commit to disk (`durability = "power"`).
fn sqlite_power() -> Under {
    let dir = tempfile::tempdir().unwrap();
    Under {
        stores: Stores::all_in(Arc::new(
            SqliteStore::open_with_durability(dir.path(), Durability::Power).unwrap(),
        )),
        _dir: Some(dir),
    }
}

mod on_sqlite_power {
    #[tokio::test]
    async fn archives_are_queried_by_owner_peer_time_and_id() {
        super::archives_are_queried_by_owner_peer_time_and_id(super::sqlite_power()).await
    }
}

macro_rules! for_every_backend {
    ($($name:ident),* $(,)?) => {
        mod in_memory {
            $( #[tokio::test] async fn $name() { super::$name(super::memory()).await } )*
        }
        mod on_sqlite {
            $( #[tokio::test] async fn $name() { super::$name(super::sqlite()).await } )*
        }
        mod on_postgres {
            $( #[tokio::test] async fn $name() { super::$name(super::postgres().await).await } )*
        }
    };
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
}

for_every_backend!(
    accounts_round_trip_and_log_their_changes,
    removals_and_password_changes_wait_to_be_applied,
    roster_items_round_trip_through_updates,
    a_full_roster_takes_no_new_item_but_its_items_still_change,
    concurrent_updates_of_one_item_never_lose_a_change,
    a_removed_contact_leaves_every_roster,
    archives_are_queried_by_owner_peer_time_and_id,
    cursors_page_through_one_millisecond_without_skipping_or_repeating,
    an_archive_is_deleted_with_its_owner_only,
    rooms_round_trip_with_occupants_in_join_order,
    a_room_jid_is_created_once,
    a_room_changes_only_from_the_version_it_was_read_at,
    a_deleted_room_leaves_its_occupants_room_lists,
    concurrent_room_changes_retried_on_conflict_never_lose_a_member,
    a_room_listing_a_user_twice_is_refused,
    offline_messages_are_taken_once_in_order_up_to_a_limit,
    blocklists_keep_each_jid_once_and_clear,
    push_registrations_are_replaced_by_jid_and_node_and_limited,
    upload_slots_round_trip_and_are_uploaded_once,
    a_slot_beyond_the_owners_quota_is_refused,
    concurrent_slot_requests_never_exceed_the_quota,
    due_uploads_are_expired_ones_and_abandoned_slots,
    pep_nodes_are_created_once_configured_and_deleted,
    a_publication_replaces_its_id_and_keeps_the_newest_max_items,
    a_publication_checks_its_precondition_and_the_account_limits_atomically,
    items_are_retracted_purged_and_the_newest_of_each_node_found,
    a_node_that_does_not_persist_items_holds_none,
    user_documents_round_trip_within_their_key_limit,
    removing_an_account_removes_its_pep_data_and_documents_only,
    muc_rooms_round_trip_by_service_and_are_replaced_whole,
    a_muc_room_listing_a_user_twice_is_refused,
    an_idempotency_key_is_claimed_once_then_answered_by_its_holder_only,
    an_expired_claim_or_answer_frees_its_key,
    at_the_key_cap_the_oldest_answers_make_room_and_claims_are_kept,
    concurrent_claims_of_one_key_leave_one_holder,
    tokens_round_trip_by_hash_and_are_listed_live_oldest_first,
    a_token_beyond_the_owners_limit_is_refused_and_expired_ones_do_not_count,
    concurrent_token_requests_never_exceed_the_limit,
    tokens_are_deleted_by_owner_only_and_expired_ones_purged_in_bounded_batches,
);

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

fn muc_room(jid: &str, service: &str, affiliations: &[(&str, &str)]) -> MucRoomRecord {
    MucRoomRecord {
        jid: jid.into(),
        service: service.into(),
        config: format!("{{\"name\":\"{jid}\"}}"),
        subject: "Toil and trouble".into(),
        subject_by: "firstwitch".into(),
        affiliations: affiliations
            .iter()
            .map(|(user, affiliation)| MucAffiliation {
                user: (*user).into(),
                affiliation: (*affiliation).into(),
            })
            .collect(),
    }
}

async fn muc_rooms_round_trip_by_service_and_are_replaced_whole(b: Under) {
    let m = &b.stores.muc;
    let coven = muc_room(
        "coven@conference.localhost",
        "conference.localhost",
        &[("hag@localhost", "member"), ("crone@localhost", "owner")],
    );
    let elsewhere = muc_room("heath@conference.example.com", "conference.example.com", &[]);
    m.put_muc_room(&coven).await.unwrap();
    m.put_muc_room(&elsewhere).await.unwrap();
    let mut sorted = coven.clone();
    sorted.affiliations.reverse();
    assert_eq!(m.muc_rooms("conference.localhost").await.unwrap(), vec![sorted]);
    assert_eq!(
        m.muc_rooms("conference.example.com").await.unwrap(),
        vec![elsewhere.clone()]
    );
    // Replaced whole: an affiliation left out is gone, the subject changed.
    let changed = MucRoomRecord {
        subject: "Double, double".into(),
        ..muc_room(
            "coven@conference.localhost",
            "conference.localhost",
            &[("crone@localhost", "owner"), ("witch@localhost", "outcast")],
        )
    };
    m.put_muc_room(&changed).await.unwrap();
    assert_eq!(m.muc_rooms("conference.localhost").await.unwrap(), vec![changed]);
    m.delete_muc_room("coven@conference.localhost").await.unwrap();
    m.delete_muc_room("coven@conference.localhost").await.unwrap();
    assert!(m.muc_rooms("conference.localhost").await.unwrap().is_empty());
    // Its affiliations went with it: the same JID starts over empty.
    let again = muc_room("coven@conference.localhost", "conference.localhost", &[]);
    m.put_muc_room(&again).await.unwrap();
    assert_eq!(m.muc_rooms("conference.localhost").await.unwrap(), vec![again]);
    assert_eq!(m.muc_rooms("conference.example.com").await.unwrap(), vec![elsewhere]);
}

async fn a_muc_room_listing_a_user_twice_is_refused(b: Under) {
    let m = &b.stores.muc;
    let twice = muc_room(
        "coven@conference.localhost",
        "conference.localhost",
        &[("hag@localhost", "member"), ("hag@localhost", "owner")],
    );
    assert!(matches!(m.put_muc_room(&twice).await, Err(StoreError::Failed(_))));
    assert!(m.muc_rooms("conference.localhost").await.unwrap().is_empty());
}

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

fn creds(tag: u8) -> Credentials {
    let c = ScramCredential {
        salt: vec![tag; 16],
        iterations: 4096,
        stored_key: vec![tag; 20],
        server_key: vec![tag; 20],
    };
    Credentials {
        sha1: c.clone(),
        sha256: c,
    }
}

async fn accounts_round_trip_and_log_their_changes(b: Under) {
    let a = &b.stores.accounts;
    let start = a.last_account_change().await.unwrap();
    a.create_account("alice@localhost", &creds(1)).await.unwrap();
    assert!(matches!(
        a.create_account("alice@localhost", &creds(2)).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(a.credentials("alice@localhost").await.unwrap(), Some(creds(1)));
    a.set_credentials("alice@localhost", &creds(3)).await.unwrap();
    assert_eq!(a.credentials("alice@localhost").await.unwrap(), Some(creds(3)));
    assert!(matches!(
        a.set_credentials("bob@localhost", &creds(3)).await,
        Err(StoreError::NotFound)
    ));
    a.create_account("carol@example.com", &creds(4)).await.unwrap();
    assert_eq!(a.list_accounts("localhost").await.unwrap(), ["alice@localhost"]);
    a.delete_account("alice@localhost").await.unwrap();
    assert!(matches!(
        a.delete_account("alice@localhost").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(a.credentials("alice@localhost").await.unwrap(), None);
    let kinds: Vec<(String, AccountChangeKind)> = a
        .account_changes(start)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.jid, c.kind))
        .collect();
    use AccountChangeKind::*;
    let alice = || "alice@localhost".to_owned();
    assert_eq!(
        kinds,
        [
            (alice(), Created),
            (alice(), PasswordChanged),
            ("carol@example.com".to_owned(), Created),
            (alice(), Removed)
        ]
    );
    let newest = a.last_account_change().await.unwrap();
    assert!(a.account_changes(newest).await.unwrap().is_empty());
}

async fn removals_and_password_changes_wait_to_be_applied(b: Under) {
    let a = &b.stores.accounts;
    a.create_account("alice@localhost", &creds(1)).await.unwrap();
    a.set_credentials("alice@localhost", &creds(2)).await.unwrap();
    a.delete_account("alice@localhost").await.unwrap();
    let pending = a.unapplied_account_changes().await.unwrap();
    let kinds: Vec<AccountChangeKind> = pending.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [AccountChangeKind::PasswordChanged, AccountChangeKind::Removed]);
    a.mark_account_change_applied(pending[0].seq).await.unwrap();
    let left = a.unapplied_account_changes().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, AccountChangeKind::Removed);
    assert!(matches!(
        a.mark_account_change_applied(-1).await,
        Err(StoreError::NotFound)
    ));
}

fn put(item: RosterItem) -> EditFn {
    Box::new(move |_| RosterEdit::Put(item))
}

const NO_LIMIT: usize = usize::MAX;

async fn a_full_roster_takes_no_new_item_but_its_items_still_change(b: Under) {
    let r = &b.stores.roster;
    for c in ["bob@localhost", "carol@localhost"] {
        r.update_roster_item("alice@localhost", c, 2, put(RosterItem::new(c)))
            .await
            .unwrap();
    }
    let third = r
        .update_roster_item(
            "alice@localhost",
            "dave@localhost",
            2,
            put(RosterItem::new("dave@localhost")),
        )
        .await;
    assert!(matches!(third, Err(StoreError::LimitReached)), "{third:?}");
    assert_eq!(r.roster("alice@localhost").await.unwrap().len(), 2);
    let mut named = RosterItem::new("bob@localhost");
    named.name = Some("Bob".into());
    r.update_roster_item("alice@localhost", "bob@localhost", 2, put(named.clone()))
        .await
        .unwrap();
    r.update_roster_item(
        "alice@localhost",
        "carol@localhost",
        2,
        Box::new(|_| RosterEdit::Delete),
    )
    .await
    .unwrap();
    r.update_roster_item(
        "alice@localhost",
        "dave@localhost",
        2,
        put(RosterItem::new("dave@localhost")),
    )
    .await
    .unwrap();
    // Another owner's roster has its own count.
    r.update_roster_item(
        "bob@localhost",
        "dave@localhost",
        2,
        put(RosterItem::new("dave@localhost")),
    )
    .await
    .unwrap();
}

async fn roster_items_round_trip_through_updates(b: Under) {
    let r = &b.stores.roster;
    let mut item = RosterItem::new("bob@localhost");
    item.name = Some("Bob".into());
    item.groups = vec!["Friends".into(), "Work".into()];
    item.subscription = Subscription::To;
    item.pending_in = true;
    let u = r
        .update_roster_item("alice@localhost", "bob@localhost", NO_LIMIT, put(item.clone()))
        .await
        .unwrap();
    assert_eq!((u.before, u.after.as_ref()), (None, Some(&item)));
    assert_eq!(
        r.roster_item("alice@localhost", "bob@localhost").await.unwrap(),
        Some(item.clone())
    );
    let kept = r
        .update_roster_item(
            "alice@localhost",
            "bob@localhost",
            NO_LIMIT,
            Box::new(|_| RosterEdit::Keep),
        )
        .await
        .unwrap();
    assert!(!kept.changed());
    let mut both = item.clone();
    both.subscription = Subscription::Both;
    r.update_roster_item("alice@localhost", "bob@localhost", NO_LIMIT, put(both.clone()))
        .await
        .unwrap();
    assert_eq!(r.roster("alice@localhost").await.unwrap(), vec![both.clone()]);
    assert!(r.roster("bob@localhost").await.unwrap().is_empty());
    let wrong = r
        .update_roster_item("alice@localhost", "carol@localhost", NO_LIMIT, put(both.clone()))
        .await;
    assert!(matches!(wrong, Err(StoreError::Failed(_))), "{wrong:?}");
    let gone = r
        .update_roster_item(
            "alice@localhost",
            "bob@localhost",
            NO_LIMIT,
            Box::new(|_| RosterEdit::Delete),
        )
        .await
        .unwrap();
    assert_eq!((gone.before, gone.after), (Some(both), None));
    assert!(r.roster("alice@localhost").await.unwrap().is_empty());
}

async fn concurrent_updates_of_one_item_never_lose_a_change(b: Under) {
    let mut tasks = Vec::new();
    for i in 0..20 {
        let r = b.stores.roster.clone();
        tasks.push(tokio::spawn(async move {
            r.update_roster_item(
                "alice@localhost",
                "bob@localhost",
                NO_LIMIT,
                Box::new(move |old| {
                    let mut item = old.cloned().unwrap_or_else(|| RosterItem::new("bob@localhost"));
                    item.groups.push(format!("g{i}"));
                    RosterEdit::Put(item)
                }),
            )
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let item = b
        .stores
        .roster
        .roster_item("alice@localhost", "bob@localhost")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.groups.len(), 20, "{:?}", item.groups);
}

async fn a_removed_contact_leaves_every_roster(b: Under) {
    let r = &b.stores.roster;
    for owner in ["alice@localhost", "bob@localhost"] {
        r.update_roster_item(
            owner,
            "carol@localhost",
            NO_LIMIT,
            put(RosterItem::new("carol@localhost")),
        )
        .await
        .unwrap();
        r.update_roster_item(
            owner,
            "dave@localhost",
            NO_LIMIT,
            put(RosterItem::new("dave@localhost")),
        )
        .await
        .unwrap();
    }
    let mut removed = r.remove_contact_everywhere("carol@localhost").await.unwrap();
    removed.sort_by(|a, b| a.0.cmp(&b.0));
    let owners: Vec<&str> = removed.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(owners, ["alice@localhost", "bob@localhost"]);
    assert!(removed.iter().all(|(_, i)| i.contact == "carol@localhost"));
    assert_eq!(r.roster("alice@localhost").await.unwrap().len(), 1);
    r.delete_roster("alice@localhost").await.unwrap();
    assert!(r.roster("alice@localhost").await.unwrap().is_empty());
    assert_eq!(r.roster("bob@localhost").await.unwrap().len(), 1);
}

/// An archived message whose stanza names its id.
pub(crate) fn msg(id: i64, owner: &str, with: &str, ts: i64) -> ArchivedMessage {
    ArchivedMessage {
        id,
        owner: owner.into(),
        with: with.into(),
        timestamp_ms: ts,
        stanza: format!("<message id='m{id}'/>"),
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

fn occupant(user: &str, affiliation: Affiliation) -> Occupant {
    Occupant {
        user: user.into(),
        affiliation,
    }
}

/// A room owned by `owner` with `members` after it, at version `v1`.
fn room(jid: &str, owner: &str, members: &[&str]) -> Room {
    let mut occupants = vec![occupant(owner, Affiliation::Owner)];
    occupants.extend(members.iter().map(|m| occupant(m, Affiliation::Member)));
    Room {
        jid: jid.into(),
        name: format!("Room {jid}"),
        subject: String::new(),
        version: "v1".into(),
        occupants,
    }
}

fn summary(room: &Room) -> RoomSummary {
    RoomSummary {
        jid: room.jid.clone(),
        name: room.name.clone(),
        subject: room.subject.clone(),
        version: room.version.clone(),
    }
}

async fn rooms_round_trip_with_occupants_in_join_order(b: Under) {
    let r = &b.stores.rooms;
    // Occupants deliberately out of alphabetical order: the join order must survive.
    let mut tea = room(
        "tea@muclight.localhost",
        "zoe@localhost",
        &["bob@localhost", "alice@localhost"],
    );
    tea.subject = "Oolong".into();
    let coffee = room("coffee@muclight.localhost", "alice@localhost", &["carol@localhost"]);
    r.create_room(&tea).await.unwrap();
    r.create_room(&coffee).await.unwrap();
    assert_eq!(r.room("tea@muclight.localhost").await.unwrap(), Some(tea.clone()));
    assert_eq!(r.room("coffee@muclight.localhost").await.unwrap(), Some(coffee.clone()));
    assert_eq!(r.room("juice@muclight.localhost").await.unwrap(), None);
    assert_eq!(
        r.rooms_of("alice@localhost").await.unwrap(),
        [summary(&coffee), summary(&tea)]
    );
    assert_eq!(r.rooms_of("bob@localhost").await.unwrap(), [summary(&tea)]);
    assert!(r.rooms_of("dave@localhost").await.unwrap().is_empty());
    assert_eq!(r.count_rooms_of("alice@localhost").await.unwrap(), 2);
    assert_eq!(r.count_rooms_of("carol@localhost").await.unwrap(), 1);
    assert_eq!(r.count_rooms_of("dave@localhost").await.unwrap(), 0);
}

async fn a_room_jid_is_created_once(b: Under) {
    let r = &b.stores.rooms;
    let first = room("tea@muclight.localhost", "alice@localhost", &[]);
    r.create_room(&first).await.unwrap();
    let second = room("tea@muclight.localhost", "bob@localhost", &["carol@localhost"]);
    assert!(matches!(r.create_room(&second).await, Err(StoreError::Conflict)));
    assert_eq!(r.room("tea@muclight.localhost").await.unwrap(), Some(first));
    assert!(r.rooms_of("bob@localhost").await.unwrap().is_empty());
}

async fn a_room_changes_only_from_the_version_it_was_read_at(b: Under) {
    let r = &b.stores.rooms;
    let v1 = room("tea@muclight.localhost", "alice@localhost", &["bob@localhost"]);
    r.create_room(&v1).await.unwrap();
    let mut v2 = room("tea@muclight.localhost", "alice@localhost", &["carol@localhost"]);
    v2.name = "Tea time".into();
    v2.version = "v2".into();
    r.update_room("v1", &v2).await.unwrap();
    assert_eq!(r.room("tea@muclight.localhost").await.unwrap(), Some(v2.clone()));
    assert!(r.rooms_of("bob@localhost").await.unwrap().is_empty());
    assert_eq!(r.rooms_of("carol@localhost").await.unwrap(), [summary(&v2)]);
    // A change computed from v1 lost the race to v2.
    let stale = Room {
        version: "v3".into(),
        ..v1.clone()
    };
    assert!(matches!(r.update_room("v1", &stale).await, Err(StoreError::Conflict)));
    assert!(matches!(
        r.delete_room("tea@muclight.localhost", "v1").await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(r.room("tea@muclight.localhost").await.unwrap(), Some(v2));
    let missing = room("juice@muclight.localhost", "alice@localhost", &[]);
    assert!(matches!(r.update_room("v1", &missing).await, Err(StoreError::NotFound)));
    assert!(matches!(
        r.delete_room("juice@muclight.localhost", "v1").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(r.room("juice@muclight.localhost").await.unwrap(), None);
}

async fn a_deleted_room_leaves_its_occupants_room_lists(b: Under) {
    let r = &b.stores.rooms;
    let tea = room("tea@muclight.localhost", "alice@localhost", &["bob@localhost"]);
    let coffee = room("coffee@muclight.localhost", "alice@localhost", &[]);
    r.create_room(&tea).await.unwrap();
    r.create_room(&coffee).await.unwrap();
    r.delete_room("tea@muclight.localhost", "v1").await.unwrap();
    assert_eq!(r.room("tea@muclight.localhost").await.unwrap(), None);
    assert!(r.rooms_of("bob@localhost").await.unwrap().is_empty());
    assert_eq!(r.count_rooms_of("bob@localhost").await.unwrap(), 0);
    assert_eq!(r.rooms_of("alice@localhost").await.unwrap(), [summary(&coffee)]);
    assert!(matches!(
        r.delete_room("tea@muclight.localhost", "v1").await,
        Err(StoreError::NotFound)
    ));
    // The JID is free again, and the new room starts without the old occupants.
    let again = room("tea@muclight.localhost", "carol@localhost", &[]);
    r.create_room(&again).await.unwrap();
    assert_eq!(r.room("tea@muclight.localhost").await.unwrap(), Some(again));
}

async fn concurrent_room_changes_retried_on_conflict_never_lose_a_member(b: Under) {
    let jid = "tea@muclight.localhost";
    b.stores
        .rooms
        .create_room(&room(jid, "alice@localhost", &[]))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let r = b.stores.rooms.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            loop {
                let mut changed = r.room(jid).await?.ok_or(StoreError::NotFound)?;
                let read_at = std::mem::replace(&mut changed.version, format!("{i}.{conflicts}"));
                changed
                    .occupants
                    .push(occupant(&format!("user{i}@localhost"), Affiliation::Member));
                // Let the other tasks read the same version before this one writes.
                tokio::task::yield_now().await;
                match r.update_room(&read_at, &changed).await {
                    Err(StoreError::Conflict) => conflicts += 1,
                    done => return done.map(|()| conflicts),
                }
            }
        }));
    }
    let mut conflicts = 0;
    for t in tasks {
        conflicts += t.await.unwrap().unwrap();
    }
    let stored = b.stores.rooms.room(jid).await.unwrap().unwrap();
    let mut members: Vec<&str> = stored.occupants[1..].iter().map(|o| o.user.as_str()).collect();
    members.sort_unstable();
    let mut expected: Vec<String> = (0..20).map(|i| format!("user{i}@localhost")).collect();
    expected.sort_unstable();
    assert_eq!(members, expected, "after {conflicts} conflicts");
    assert_eq!(stored.occupants[0], occupant("alice@localhost", Affiliation::Owner));
    for i in 0..20 {
        assert_eq!(
            b.stores
                .rooms
                .count_rooms_of(&format!("user{i}@localhost"))
                .await
                .unwrap(),
            1
        );
    }
}

async fn a_room_listing_a_user_twice_is_refused(b: Under) {
    let r = &b.stores.rooms;
    let twice = room("tea@muclight.localhost", "alice@localhost", &["alice@localhost"]);
    let refused = r.create_room(&twice).await;
    assert!(matches!(refused, Err(StoreError::Failed(_))), "{refused:?}");
    assert_eq!(r.room("tea@muclight.localhost").await.unwrap(), None);
    let once = room("tea@muclight.localhost", "alice@localhost", &["bob@localhost"]);
    r.create_room(&once).await.unwrap();
    let twice = Room {
        version: "v2".into(),
        ..room(
            "tea@muclight.localhost",
            "alice@localhost",
            &["bob@localhost", "bob@localhost"],
        )
    };
    let refused = r.update_room("v1", &twice).await;
    assert!(matches!(refused, Err(StoreError::Failed(_))), "{refused:?}");
    assert_eq!(r.room("tea@muclight.localhost").await.unwrap(), Some(once));
}

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

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

fn pep_limits() -> PepLimits {
    PepLimits {
        max_nodes: 3,
        max_items: 5,
        max_bytes: 1000,
    }
}

fn item(id: &str, payload: &str) -> PepItem {
    PepItem {
        id: id.into(),
        payload: payload.into(),
        published_ms: 1_700_000_000_000,
    }
}

fn keeping(max_items: Option<u32>) -> NodeConfig {
    NodeConfig {
        max_items,
        ..NodeConfig::default()
    }
}

/// Publishes `id` with a payload naming it, creating the node with `config` if needed.
async fn publish(store: &dyn PepStore, owner: &str, node: &str, id: &str, config: &NodeConfig) -> Published {
    let publication = Publication {
        owner: owner.into(),
        node: node.into(),
        item: item(id, &format!("<p xmlns='x'>{id}</p>")),
        create_with: config.clone(),
        precondition: None,
    };
    store.publish_pep_item(publication, pep_limits()).await.unwrap()
}

async fn item_ids(store: &dyn PepStore, owner: &str, node: &str, max: Option<usize>) -> Vec<String> {
    let items = store.pep_items(owner, node, max).await.unwrap();
    items.into_iter().map(|i| i.id).collect()
}

async fn pep_nodes_are_created_once_configured_and_deleted(b: Under) {
    let p = &*b.stores.pep;
    let open = NodeConfig {
        access_model: AccessModel::Open,
        title: "Tunes".into(),
        ..NodeConfig::default()
    };
    p.create_pep_node(ALICE, "tune", &open, 3).await.unwrap();
    assert!(matches!(
        p.create_pep_node(ALICE, "tune", &NodeConfig::default(), 3).await,
        Err(StoreError::Conflict)
    ));
    p.create_pep_node(ALICE, "geoloc", &NodeConfig::default(), 3)
        .await
        .unwrap();
    p.create_pep_node(BOB, "tune", &NodeConfig::default(), 3).await.unwrap();
    assert_eq!(p.pep_node(ALICE, "tune").await.unwrap(), Some(open.clone()));
    assert_eq!(p.pep_node(ALICE, "mood").await.unwrap(), None);
    let names: Vec<String> = p.pep_nodes(ALICE).await.unwrap().into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["geoloc", "tune"]);

    let whitelist = NodeConfig {
        access_model: AccessModel::Whitelist,
        send_last_published_item: SendLastItem::Never,
        max_items: None,
        ..open
    };
    p.configure_pep_node(ALICE, "tune", &whitelist, 5).await.unwrap();
    assert_eq!(p.pep_node(ALICE, "tune").await.unwrap(), Some(whitelist.clone()));
    assert!(matches!(
        p.configure_pep_node(ALICE, "mood", &whitelist, 5).await,
        Err(StoreError::NotFound)
    ));
    p.delete_pep_node(ALICE, "tune").await.unwrap();
    assert!(matches!(
        p.delete_pep_node(ALICE, "tune").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(p.pep_node(ALICE, "tune").await.unwrap(), None);
    assert!(
        p.pep_node(BOB, "tune").await.unwrap().is_some(),
        "another owner's node of the same name stays"
    );
    // With three nodes, a fourth is refused.
    p.create_pep_node(ALICE, "a", &NodeConfig::default(), 3).await.unwrap();
    p.create_pep_node(ALICE, "b", &NodeConfig::default(), 3).await.unwrap();
    assert!(matches!(
        p.create_pep_node(ALICE, "c", &NodeConfig::default(), 3).await,
        Err(StoreError::LimitReached)
    ));
}

async fn a_publication_replaces_its_id_and_keeps_the_newest_max_items(b: Under) {
    let p = &*b.stores.pep;
    let three = keeping(Some(3));
    let created = publish(p, ALICE, "bookmarks", "a", &three).await;
    assert_eq!(
        created,
        Published::Done {
            created: true,
            config: three.clone()
        }
    );
    for id in ["b", "c"] {
        assert_eq!(
            publish(p, ALICE, "bookmarks", id, &NodeConfig::default()).await,
            Published::Done {
                created: false,
                config: three.clone()
            },
            "an existing node keeps its own configuration"
        );
    }
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["a", "b", "c"]);
    // Republishing `a` replaces it and makes it the newest.
    publish(p, ALICE, "bookmarks", "a", &three).await;
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["b", "c", "a"]);
    // A fourth item pushes out the oldest.
    publish(p, ALICE, "bookmarks", "d", &three).await;
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["c", "a", "d"]);
    assert_eq!(item_ids(p, ALICE, "bookmarks", Some(2)).await, ["a", "d"]);
    assert_eq!(item_ids(p, ALICE, "bookmarks", Some(0)).await, Vec::<String>::new());
    let by_id = p
        .pep_items_by_id(ALICE, "bookmarks", &["d".into(), "zz".into(), "c".into()])
        .await
        .unwrap();
    assert_eq!(by_id.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["c", "d"]);
    assert_eq!(by_id[1], item("d", "<p xmlns='x'>d</p>"));
    // `max` keeps up to the server's cap; lowering max_items drops the oldest.
    let max = keeping(None);
    p.configure_pep_node(ALICE, "bookmarks", &max, 5).await.unwrap();
    for id in ["e", "f", "g"] {
        publish(p, ALICE, "bookmarks", id, &max).await;
    }
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["a", "d", "e", "f", "g"]);
    p.configure_pep_node(ALICE, "bookmarks", &keeping(Some(2)), 5)
        .await
        .unwrap();
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["f", "g"]);
    assert!(item_ids(p, ALICE, "elsewhere", None).await.is_empty());
}

async fn a_publication_checks_its_precondition_and_the_account_limits_atomically(b: Under) {
    let p = &*b.stores.pep;
    let open = NodeConfig {
        access_model: AccessModel::Open,
        ..NodeConfig::default()
    };
    let wants_whitelist = |owner: &str, node: &str, id: &str| Publication {
        owner: owner.into(),
        node: node.into(),
        item: item(id, "<x xmlns='y'/>"),
        create_with: NodeConfig {
            access_model: AccessModel::Whitelist,
            ..NodeConfig::default()
        },
        precondition: Some(Box::new(|c: &NodeConfig| c.access_model == AccessModel::Whitelist)),
    };
    publish(p, ALICE, "devices", "current", &open).await;
    assert_eq!(
        p.publish_pep_item(wants_whitelist(ALICE, "devices", "other"), pep_limits())
            .await
            .unwrap(),
        Published::PreconditionNotMet
    );
    assert_eq!(
        item_ids(p, ALICE, "devices", None).await,
        ["current"],
        "nothing changed"
    );
    // A missing node is created with the publication's configuration.
    let done = p
        .publish_pep_item(wants_whitelist(ALICE, "bookmarks", "x"), pep_limits())
        .await
        .unwrap();
    assert!(
        matches!(done, Published::Done { created: true, ref config } if config.access_model == AccessModel::Whitelist)
    );
    publish(p, ALICE, "third", "x", &open).await;
    assert_eq!(publish(p, ALICE, "fourth", "x", &open).await, Published::TooManyNodes);
    assert_eq!(p.pep_node(ALICE, "fourth").await.unwrap(), None);
    // 1000 bytes for all of bob's items: 600 fit, 600 more do not; replacing does.
    let big = |id: &str| Publication {
        owner: BOB.into(),
        node: "avatar".into(),
        item: item(id, &"a".repeat(600)),
        create_with: keeping(Some(2)),
        precondition: None,
    };
    assert!(matches!(
        p.publish_pep_item(big("one"), pep_limits()).await.unwrap(),
        Published::Done { .. }
    ));
    assert_eq!(
        p.publish_pep_item(big("two"), pep_limits()).await.unwrap(),
        Published::OverQuota
    );
    assert_eq!(item_ids(p, BOB, "avatar", None).await, ["one"], "nothing changed");
    assert!(matches!(
        p.publish_pep_item(big("one"), pep_limits()).await.unwrap(),
        Published::Done { .. }
    ));
    // An over-quota publication that would create its node creates nothing.
    let huge = Publication {
        owner: BOB.into(),
        node: "other".into(),
        item: item("x", &"b".repeat(500)),
        create_with: NodeConfig::default(),
        precondition: None,
    };
    assert_eq!(
        p.publish_pep_item(huge, pep_limits()).await.unwrap(),
        Published::OverQuota
    );
    assert_eq!(p.pep_node(BOB, "other").await.unwrap(), None);
}

async fn items_are_retracted_purged_and_the_newest_of_each_node_found(b: Under) {
    let p = &*b.stores.pep;
    let five = keeping(Some(5));
    for id in ["1", "2", "3"] {
        publish(p, ALICE, "tune", id, &five).await;
    }
    publish(p, ALICE, "mood", "m", &five).await;
    publish(p, BOB, "tune", "b1", &five).await;
    p.create_pep_node(BOB, "empty", &five, 3).await.unwrap();

    p.retract_pep_item(ALICE, "tune", "3").await.unwrap();
    assert!(matches!(
        p.retract_pep_item(ALICE, "tune", "3").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        p.retract_pep_item(ALICE, "nope", "1").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(item_ids(p, ALICE, "tune", None).await, ["1", "2"]);

    let owners = [ALICE.to_owned(), BOB.to_owned(), "carol@localhost".to_owned()];
    let nodes = ["tune".to_owned(), "empty".to_owned(), "geoloc".to_owned()];
    let mut last: Vec<(String, String, String)> = p
        .last_pep_items(&owners, &nodes)
        .await
        .unwrap()
        .into_iter()
        .map(|(o, n, i)| (o, n.name, i.id))
        .collect();
    last.sort();
    assert_eq!(
        last,
        [
            (ALICE.into(), "tune".into(), "2".into()),
            (BOB.into(), "tune".into(), "b1".into())
        ]
    );
    assert!(p.last_pep_items(&owners, &[]).await.unwrap().is_empty());

    p.purge_pep_node(ALICE, "tune").await.unwrap();
    assert!(item_ids(p, ALICE, "tune", None).await.is_empty());
    assert!(
        p.pep_node(ALICE, "tune").await.unwrap().is_some(),
        "a purged node stays"
    );
    assert!(matches!(
        p.purge_pep_node(ALICE, "nope").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(item_ids(p, ALICE, "mood", None).await, ["m"]);
}

async fn a_node_that_does_not_persist_items_holds_none(b: Under) {
    let p = &*b.stores.pep;
    let transient = NodeConfig {
        persist_items: false,
        ..NodeConfig::default()
    };
    assert!(matches!(
        publish(p, ALICE, "activity", "x", &transient).await,
        Published::Done { created: true, .. }
    ));
    assert!(item_ids(p, ALICE, "activity", None).await.is_empty());
    assert!(p.pep_node(ALICE, "activity").await.unwrap().is_some());
}

async fn user_documents_round_trip_within_their_key_limit(b: Under) {
    let u = &*b.stores.user_data;
    use UserDataKind::*;
    assert_eq!(u.user_data(ALICE, Vcard, "").await.unwrap(), None);
    u.put_user_data(ALICE, Vcard, "", "<vCard xmlns='vcard-temp'/>", 1)
        .await
        .unwrap();
    u.put_user_data(ALICE, Vcard, "", "<vCard xmlns='vcard-temp'><FN>A</FN></vCard>", 1)
        .await
        .unwrap();
    assert_eq!(
        u.user_data(ALICE, Vcard, "").await.unwrap().as_deref(),
        Some("<vCard xmlns='vcard-temp'><FN>A</FN></vCard>")
    );
    u.put_user_data(ALICE, Private, "storage:bookmarks", "<storage/>", 2)
        .await
        .unwrap();
    u.put_user_data(ALICE, Private, "exodus:prefs", "<exodus/>", 2)
        .await
        .unwrap();
    assert!(matches!(
        u.put_user_data(ALICE, Private, "third", "<t/>", 2).await,
        Err(StoreError::LimitReached)
    ));
    u.put_user_data(ALICE, Private, "exodus:prefs", "<exodus>2</exodus>", 2)
        .await
        .unwrap();
    assert_eq!(
        u.user_data(ALICE, Private, "exodus:prefs").await.unwrap().as_deref(),
        Some("<exodus>2</exodus>")
    );
    assert_eq!(u.user_data(ALICE, Private, "").await.unwrap(), None);
    assert_eq!(u.user_data(BOB, Private, "exodus:prefs").await.unwrap(), None);
}

async fn removing_an_account_removes_its_pep_data_and_documents_only(b: Under) {
    let p = &*b.stores.pep;
    let u = &*b.stores.user_data;
    for owner in [ALICE, BOB] {
        publish(p, owner, "tune", "1", &NodeConfig::default()).await;
        u.put_user_data(owner, UserDataKind::Vcard, "", "<vCard/>", 1)
            .await
            .unwrap();
    }
    p.delete_pep(ALICE).await.unwrap();
    u.delete_user_data(ALICE).await.unwrap();
    assert!(p.pep_nodes(ALICE).await.unwrap().is_empty());
    assert!(item_ids(p, ALICE, "tune", None).await.is_empty());
    assert_eq!(u.user_data(ALICE, UserDataKind::Vcard, "").await.unwrap(), None);
    assert_eq!(item_ids(p, BOB, "tune", None).await, ["1"]);
    assert!(u.user_data(BOB, UserDataKind::Vcard, "").await.unwrap().is_some());
    // Creating the node again starts from nothing.
    assert!(matches!(
        publish(p, ALICE, "tune", "2", &NodeConfig::default()).await,
        Published::Done { created: true, .. }
    ));
}

fn token(id: &str, owner: &str, created_ms: i64, expires_ms: i64) -> StoredToken {
    StoredToken {
        id: id.into(),
        owner: owner.into(),
        // Distinct per id, like a SHA-256 of distinct secrets.
        hash: format!("hash-of-{id}").into_bytes(),
        created_ms,
        expires_ms,
    }
}

fn token_ids(tokens: &[StoredToken]) -> Vec<&str> {
    tokens.iter().map(|t| t.id.as_str()).collect()
}

async fn tokens_round_trip_by_hash_and_are_listed_live_oldest_first(b: Under) {
    let t = &b.stores.tokens;
    // Created out of order; "0b" and "0a" share a millisecond (then ordered by id).
    t.insert_token(&token("0c", ALICE, 300, 10_000), 0, 10).await.unwrap();
    t.insert_token(&token("0b", ALICE, 100, 10_000), 0, 10).await.unwrap();
    t.insert_token(&token("0a", ALICE, 100, 500), 0, 10).await.unwrap();
    t.insert_token(&token("1a", BOB, 50, 10_000), 0, 10).await.unwrap();
    let again = t.insert_token(&token("0c", ALICE, 400, 10_000), 0, 10).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "a taken id: {again:?}");
    let same_hash = StoredToken {
        hash: b"hash-of-0c".to_vec(),
        ..token("0d", ALICE, 400, 10_000)
    };
    let again = t.insert_token(&same_hash, 0, 10).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "a taken hash: {again:?}");

    assert_eq!(
        t.token_by_hash(b"hash-of-0b").await.unwrap(),
        Some(token("0b", ALICE, 100, 10_000))
    );
    assert_eq!(t.token_by_hash(b"hash-of-0d").await.unwrap(), None);
    // Expired tokens are still found by hash (the core judges them) but not listed.
    assert!(t.token_by_hash(b"hash-of-0a").await.unwrap().is_some());
    assert_eq!(token_ids(&t.tokens_of(ALICE, 0).await.unwrap()), ["0a", "0b", "0c"]);
    assert_eq!(token_ids(&t.tokens_of(ALICE, 499).await.unwrap()), ["0a", "0b", "0c"]);
    assert_eq!(token_ids(&t.tokens_of(ALICE, 500).await.unwrap()), ["0b", "0c"]);
    assert_eq!(token_ids(&t.tokens_of(BOB, 500).await.unwrap()), ["1a"]);
    assert!(t.tokens_of("carol@localhost", 0).await.unwrap().is_empty());
}

async fn a_token_beyond_the_owners_limit_is_refused_and_expired_ones_do_not_count(b: Under) {
    let t = &b.stores.tokens;
    t.insert_token(&token("a1", ALICE, 0, 100), 0, 2).await.unwrap();
    t.insert_token(&token("a2", ALICE, 0, 1000), 0, 2).await.unwrap();
    let over = t.insert_token(&token("a3", ALICE, 0, 1000), 50, 2).await;
    assert!(matches!(over, Err(StoreError::LimitReached)), "{over:?}");
    assert_eq!(t.token_by_hash(b"hash-of-a3").await.unwrap(), None);
    // Another owner has a limit of their own.
    t.insert_token(&token("b1", BOB, 0, 1000), 50, 2).await.unwrap();
    // At 100, a1 has expired: room for one more.
    t.insert_token(&token("a3", ALICE, 100, 1000), 100, 2).await.unwrap();
    let over = t.insert_token(&token("a4", ALICE, 100, 1000), 100, 2).await;
    assert!(matches!(over, Err(StoreError::LimitReached)), "{over:?}");
    // Deleting frees the room.
    assert!(t.delete_token(ALICE, "a2").await.unwrap().is_some());
    t.insert_token(&token("a4", ALICE, 100, 1000), 100, 2).await.unwrap();
}

async fn concurrent_token_requests_never_exceed_the_limit(b: Under) {
    let mut tasks = Vec::new();
    for i in 0..20 {
        let t = b.stores.tokens.clone();
        tasks.push(tokio::spawn(async move {
            t.insert_token(&token(&format!("{i:02}"), ALICE, i, 1000), 0, 5).await
        }));
    }
    let mut granted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => granted += 1,
            Err(StoreError::LimitReached) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(granted, 5);
    assert_eq!(b.stores.tokens.tokens_of(ALICE, 0).await.unwrap().len(), 5);
}

async fn tokens_are_deleted_by_owner_only_and_expired_ones_purged_in_bounded_batches(b: Under) {
    let t = &b.stores.tokens;
    t.insert_token(&token("a1", ALICE, 0, 100), 0, 10).await.unwrap();
    t.insert_token(&token("a2", ALICE, 0, 1000), 0, 10).await.unwrap();
    t.insert_token(&token("b1", BOB, 0, 100), 0, 10).await.unwrap();
    t.insert_token(&token("b2", BOB, 0, 200), 0, 10).await.unwrap();
    t.insert_token(&token("b3", BOB, 0, 1000), 0, 10).await.unwrap();
    // Bob cannot delete alice's token, even knowing its id.
    assert_eq!(t.delete_token(BOB, "a2").await.unwrap(), None);
    assert_eq!(
        t.delete_token(ALICE, "a2").await.unwrap(),
        Some(token("a2", ALICE, 0, 1000))
    );
    assert_eq!(t.delete_token(ALICE, "a2").await.unwrap(), None, "idempotent");
    // Expired at 500: a1, b1, b2; two at a time, soonest expired first.
    assert_eq!(t.delete_expired_tokens(500, 2).await.unwrap(), 2);
    assert_eq!(t.token_by_hash(b"hash-of-a1").await.unwrap(), None);
    assert_eq!(t.token_by_hash(b"hash-of-b1").await.unwrap(), None);
    assert!(t.token_by_hash(b"hash-of-b2").await.unwrap().is_some());
    assert_eq!(t.delete_expired_tokens(500, 2).await.unwrap(), 1);
    assert_eq!(t.delete_expired_tokens(500, 2).await.unwrap(), 0);
    assert!(
        t.token_by_hash(b"hash-of-b3").await.unwrap().is_some(),
        "live ones stay"
    );
    // Every token of an owner (account removal, password change).
    t.insert_token(&token("a3", ALICE, 0, 1000), 0, 10).await.unwrap();
    assert_eq!(t.delete_tokens_of(BOB).await.unwrap(), 1);
    assert_eq!(t.delete_tokens_of(BOB).await.unwrap(), 0);
    assert_eq!(token_ids(&t.tokens_of(ALICE, 0).await.unwrap()), ["a3"]);
}

fn claim<'a>(owner: &'a str, key: &'a str, fingerprint: &'a [u8], token: i64, now_ms: i64) -> KeyClaim<'a> {
    KeyClaim {
        owner,
        key,
        fingerprint,
        token,
        now_ms,
        lease_until_ms: now_ms + 1_000,
        max_keys: 10,
    }
}

fn answer(status: u16, body: &str) -> IdempotentAnswer {
    IdempotentAnswer {
        status,
        body: body.as_bytes().to_vec(),
    }
}

async fn an_idempotency_key_is_claimed_once_then_answered_by_its_holder_only(b: Under) {
    let s = &b.stores.idempotency;
    assert_eq!(
        s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-a", 1, 100))
            .await
            .unwrap(),
        Claimed::Yes
    );
    // While it runs, the key is held by the claim, whatever request asks.
    let pending = IdempotencyRecord {
        fingerprint: b"req-a".to_vec(),
        answer: None,
        expires_ms: 1_100,
    };
    for fingerprint in [&b"req-a"[..], b"req-b"] {
        assert_eq!(
            s.claim_idempotency_key(&claim("alice@localhost", "k1", fingerprint, 2, 200))
                .await
                .unwrap(),
            Claimed::Held(pending.clone())
        );
    }
    // Keys are per owner.
    assert_eq!(
        s.claim_idempotency_key(&claim("bob@localhost", "k1", b"req-b", 3, 200))
            .await
            .unwrap(),
        Claimed::Yes
    );
    // Only the holder's token answers or releases.
    assert!(!s
        .answer_idempotency_key("alice@localhost", "k1", 2, &answer(200, "{}"), 9_000)
        .await
        .unwrap());
    s.release_idempotency_key("alice@localhost", "k1", 2).await.unwrap();
    assert!(s
        .answer_idempotency_key("alice@localhost", "k1", 1, &answer(201, r#"{"id":"x"}"#), 9_000)
        .await
        .unwrap());
    // An answer is written once and outlives the claim's lease.
    assert!(!s
        .answer_idempotency_key("alice@localhost", "k1", 1, &answer(400, "\"no\""), 9_000)
        .await
        .unwrap());
    s.release_idempotency_key("alice@localhost", "k1", 1).await.unwrap();
    assert_eq!(
        s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-a", 4, 5_000))
            .await
            .unwrap(),
        Claimed::Held(IdempotencyRecord {
            fingerprint: b"req-a".to_vec(),
            answer: Some(answer(201, r#"{"id":"x"}"#)),
            expires_ms: 9_000,
        })
    );
    // A released claim leaves the key free.
    s.release_idempotency_key("bob@localhost", "k1", 3).await.unwrap();
    assert_eq!(
        s.claim_idempotency_key(&claim("bob@localhost", "k1", b"req-c", 5, 300))
            .await
            .unwrap(),
        Claimed::Yes
    );
    s.delete_idempotency_keys("bob@localhost").await.unwrap();
    assert_eq!(
        s.claim_idempotency_key(&claim("bob@localhost", "k1", b"req-d", 6, 300))
            .await
            .unwrap(),
        Claimed::Yes
    );
    assert!(matches!(
        s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-a", 7, 5_000))
            .await
            .unwrap(),
        Claimed::Held(IdempotencyRecord { answer: Some(_), .. })
    ));
}

async fn an_expired_claim_or_answer_frees_its_key(b: Under) {
    let s = &b.stores.idempotency;
    s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-a", 1, 0))
        .await
        .unwrap();
    // The lease ended (its holder is presumed gone): another request takes the key over,
    // and the old holder can no longer answer.
    assert_eq!(
        s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-b", 2, 1_000))
            .await
            .unwrap(),
        Claimed::Yes
    );
    assert!(!s
        .answer_idempotency_key("alice@localhost", "k1", 1, &answer(200, "{}"), 50_000)
        .await
        .unwrap());
    assert!(s
        .answer_idempotency_key("alice@localhost", "k1", 2, &answer(200, "{}"), 50_000)
        .await
        .unwrap());
    s.claim_idempotency_key(&claim("alice@localhost", "k2", b"req-c", 3, 1_000))
        .await
        .unwrap();
    s.claim_idempotency_key(&claim("bob@localhost", "k3", b"req-d", 4, 40_000))
        .await
        .unwrap();
    // The sweep removes what expired by then: alice's claim of k2 (lease to 2 000), not
    // her answer (to 50 000) nor bob's claim (to 41 000).
    assert_eq!(s.expire_idempotency_keys(40_000).await.unwrap(), 1);
    assert!(matches!(
        s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-b", 5, 40_000))
            .await
            .unwrap(),
        Claimed::Held(IdempotencyRecord { answer: Some(_), .. })
    ));
    assert_eq!(s.expire_idempotency_keys(50_000).await.unwrap(), 2);
    assert_eq!(
        s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-e", 6, 50_000))
            .await
            .unwrap(),
        Claimed::Yes
    );
    // An answer past its retention counts as absent even before a sweep.
    s.answer_idempotency_key("alice@localhost", "k1", 6, &answer(200, "{}"), 60_000)
        .await
        .unwrap();
    assert_eq!(
        s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-f", 7, 60_000))
            .await
            .unwrap(),
        Claimed::Yes
    );
}

async fn at_the_key_cap_the_oldest_answers_make_room_and_claims_are_kept(b: Under) {
    let s = &b.stores.idempotency;
    let capped = |key: &'static str, token: i64, now_ms: i64| KeyClaim {
        max_keys: 3,
        lease_until_ms: 1_000_000,
        ..claim("alice@localhost", key, b"req", token, now_ms)
    };
    for (i, key) in ["a", "b"].into_iter().enumerate() {
        let token = i as i64 + 1;
        assert_eq!(
            s.claim_idempotency_key(&capped(key, token, token)).await.unwrap(),
            Claimed::Yes
        );
        s.answer_idempotency_key("alice@localhost", key, token, &answer(200, key), 1_000_000)
            .await
            .unwrap();
    }
    assert_eq!(s.claim_idempotency_key(&capped("c", 3, 3)).await.unwrap(), Claimed::Yes);
    // Full: the oldest answer ("a") goes; the claim "c" stays.
    assert_eq!(s.claim_idempotency_key(&capped("d", 4, 4)).await.unwrap(), Claimed::Yes);
    assert_eq!(s.claim_idempotency_key(&capped("a", 5, 5)).await.unwrap(), Claimed::Yes);
    assert!(matches!(
        s.claim_idempotency_key(&capped("c", 6, 6)).await.unwrap(),
        Claimed::Held(IdempotencyRecord { answer: None, .. })
    ));
    // Now "c", "d" and "a" are claims: nothing may be evicted.
    let refused = s.claim_idempotency_key(&capped("e", 7, 7)).await;
    assert!(matches!(refused, Err(StoreError::LimitReached)), "{refused:?}");
    // Other owners have caps of their own.
    assert_eq!(
        s.claim_idempotency_key(&KeyClaim {
            max_keys: 3,
            ..claim("bob@localhost", "e", b"req", 8, 8)
        })
        .await
        .unwrap(),
        Claimed::Yes
    );
}

async fn concurrent_claims_of_one_key_leave_one_holder(b: Under) {
    let store = b.stores.idempotency.clone();
    let tasks: Vec<_> = (0..8)
        .map(|token| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .claim_idempotency_key(&claim("alice@localhost", "k", b"req", token, 100))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut holders = 0;
    for t in tasks {
        if t.await.unwrap() == Claimed::Yes {
            holders += 1;
        }
    }
    assert_eq!(holders, 1);
}

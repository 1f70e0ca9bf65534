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
        stores: open(Backend::Sqlite, dir.path()).unwrap(),
        _dir: Some(dir),
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
    };
}

for_every_backend!(
    accounts_round_trip_and_log_their_changes,
    removals_and_password_changes_wait_to_be_applied,
    roster_items_round_trip_through_updates,
    a_full_roster_takes_no_new_item_but_its_items_still_change,
    concurrent_updates_of_one_item_never_lose_a_change,
    a_removed_contact_leaves_every_roster,
    archives_are_queried_by_owner_peer_time_and_id,
    an_archive_is_deleted_with_its_owner_only,
    rooms_round_trip_with_occupants_in_join_order,
    a_room_jid_is_created_once,
    a_room_changes_only_from_the_version_it_was_read_at,
    a_deleted_room_leaves_its_occupants_room_lists,
    concurrent_room_changes_retried_on_conflict_never_lose_a_member,
    a_room_listing_a_user_twice_is_refused,
    offline_messages_are_taken_once_in_order_up_to_a_limit,
    blocklists_keep_each_jid_once_and_clear,
    muc_rooms_round_trip_by_service_and_are_replaced_whole,
    a_muc_room_listing_a_user_twice_is_refused,
);

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

fn msg(id: i64, owner: &str, with: &str, ts: i64) -> ArchivedMessage {
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

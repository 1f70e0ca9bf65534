//! Rosters ([`RosterStore`]): items through read-modify-write updates, the roster limit,
//! concurrent edits, a contact removed everywhere.

use super::*;

for_every_backend!(
    roster_items_round_trip_through_updates,
    a_full_roster_takes_no_new_item_but_its_items_still_change,
    concurrent_updates_of_one_item_never_lose_a_change,
    a_removed_contact_leaves_every_roster,
);

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

//! MUC Light rooms ([`RoomStore`]): round trips, compare-and-set on the version,
//! occupants' room lists, concurrent changes.

use super::*;

for_every_backend!(
    rooms_round_trip_with_occupants_in_join_order,
    a_room_jid_is_created_once,
    a_room_changes_only_from_the_version_it_was_read_at,
    a_deleted_room_leaves_its_occupants_room_lists,
    concurrent_room_changes_retried_on_conflict_never_lose_a_member,
    a_room_listing_a_user_twice_is_refused,
);

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
    // A service's rooms, by batch; another service's are not among them.
    r.create_room(&room("tea@muclight.example.com", "zoe@example.com", &[]))
        .await
        .unwrap();
    assert_eq!(
        r.rooms_on("muclight.localhost", 10).await.unwrap(),
        ["coffee@muclight.localhost", "tea@muclight.localhost"]
    );
    assert_eq!(
        r.rooms_on("muclight.localhost", 1).await.unwrap(),
        ["coffee@muclight.localhost"]
    );
    assert_eq!(r.rooms_on("example.com", 10).await.unwrap(), Vec::<String>::new());
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

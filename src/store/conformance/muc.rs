//! Persistent Multi-User Chat rooms ([`MucStore`]).

use super::*;

for_every_backend!(
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

//! Private XML and vCard documents ([`UserDataStore`]) within their key limit.

use super::*;

for_every_backend!(user_documents_round_trip_within_their_key_limit);

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

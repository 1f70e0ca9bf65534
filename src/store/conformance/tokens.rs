//! Bearer tokens of the client API ([`TokenStore`]): by hash, within the owner's limit,
//! deletion and bounded purges of expired ones.

use super::*;

for_every_backend!(
    tokens_round_trip_by_hash_and_are_listed_live_oldest_first,
    a_token_beyond_the_owners_limit_is_refused_and_expired_ones_do_not_count,
    concurrent_token_requests_never_exceed_the_limit,
    tokens_are_deleted_by_owner_only_and_expired_ones_purged_in_bounded_batches,
);

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

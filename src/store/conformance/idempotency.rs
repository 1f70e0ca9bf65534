//! Idempotency keys of the client API ([`IdempotencyStore`]): one holder per key, expiry,
//! the per-owner cap (kept by a count, not by counting: the count must follow every
//! claim, release, sweep and removal), the sweep's bounded batches, concurrent claims.

use super::*;

for_every_backend!(
    an_idempotency_key_is_claimed_once_then_answered_by_its_holder_only,
    an_expired_claim_or_answer_frees_its_key,
    at_the_key_cap_the_oldest_answers_make_room_and_claims_are_kept,
    concurrent_claims_of_one_key_leave_one_holder,
    expired_keys_free_their_slots_and_the_sweep_goes_in_bounded_batches,
);

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
    assert_eq!(s.expire_idempotency_keys(40_000, 100).await.unwrap(), 1);
    assert!(matches!(
        s.claim_idempotency_key(&claim("alice@localhost", "k1", b"req-b", 5, 40_000))
            .await
            .unwrap(),
        Claimed::Held(IdempotencyRecord { answer: Some(_), .. })
    ));
    assert_eq!(s.expire_idempotency_keys(50_000, 100).await.unwrap(), 2);
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

async fn expired_keys_free_their_slots_and_the_sweep_goes_in_bounded_batches(b: Under) {
    let s = &b.stores.idempotency;
    let capped = |owner: &'static str, key: &'static str, token: i64, now_ms: i64| KeyClaim {
        max_keys: 3,
        ..claim(owner, key, b"req", token, now_ms)
    };
    // Three claims (leases to 1 000), then three more once those expired, without a
    // sweep: the expired ones give up their slots, and their keys read as absent.
    for (token, key) in ["a", "b", "c"].into_iter().enumerate() {
        assert_eq!(
            s.claim_idempotency_key(&capped("alice@localhost", key, token as i64, 0))
                .await
                .unwrap(),
            Claimed::Yes
        );
    }
    for (token, key) in ["d", "a", "e"].into_iter().enumerate() {
        assert_eq!(
            s.claim_idempotency_key(&capped("alice@localhost", key, 10 + token as i64, 2_000))
                .await
                .unwrap(),
            Claimed::Yes
        );
    }
    // The cap still holds: three live claims, a fourth is refused, and the refusal
    // removes nothing (b and c went to make room; the live ones stay).
    let refused = s
        .claim_idempotency_key(&capped("alice@localhost", "f", 20, 2_000))
        .await;
    assert!(matches!(refused, Err(StoreError::LimitReached)), "{refused:?}");
    for key in ["d", "a", "e"] {
        assert!(matches!(
            s.claim_idempotency_key(&capped("alice@localhost", key, 21, 2_000))
                .await
                .unwrap(),
            Claimed::Held(IdempotencyRecord { answer: None, .. })
        ));
    }
    // A released claim gives its slot back.
    s.release_idempotency_key("alice@localhost", "e", 12).await.unwrap();
    assert_eq!(
        s.claim_idempotency_key(&capped("alice@localhost", "f", 22, 2_000))
            .await
            .unwrap(),
        Claimed::Yes
    );

    // Five of bob's claims expire (leases to 1 000); the sweep takes them two at a time.
    for (token, key) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        s.claim_idempotency_key(&claim("bob@localhost", key, b"req", 30 + token as i64, 0))
            .await
            .unwrap();
    }
    // Alice's live claims (leases to 3 000) are not due at 2 500.
    let batches = [
        s.expire_idempotency_keys(2_500, 2).await.unwrap(),
        s.expire_idempotency_keys(2_500, 2).await.unwrap(),
        s.expire_idempotency_keys(2_500, 2).await.unwrap(),
        s.expire_idempotency_keys(2_500, 2).await.unwrap(),
    ];
    assert_eq!(batches, [2, 2, 1, 0]);
    // Swept rows gave their slots back: bob may again hold three claims, not a fourth.
    for (token, key) in ["f", "g", "h"].into_iter().enumerate() {
        assert_eq!(
            s.claim_idempotency_key(&capped("bob@localhost", key, 40 + token as i64, 2_500))
                .await
                .unwrap(),
            Claimed::Yes
        );
    }
    let refused = s.claim_idempotency_key(&capped("bob@localhost", "i", 50, 2_500)).await;
    assert!(matches!(refused, Err(StoreError::LimitReached)), "{refused:?}");
    // So do the rows of a removed account.
    s.delete_idempotency_keys("bob@localhost").await.unwrap();
    for (token, key) in ["f", "g", "h"].into_iter().enumerate() {
        assert_eq!(
            s.claim_idempotency_key(&capped("bob@localhost", key, 60 + token as i64, 2_500))
                .await
                .unwrap(),
            Claimed::Yes
        );
    }
    // Alice's claims were left alone by the sweep.
    assert!(matches!(
        s.claim_idempotency_key(&capped("alice@localhost", "d", 70, 2_500))
            .await
            .unwrap(),
        Claimed::Held(IdempotencyRecord { answer: None, .. })
    ));
}

//! [`IdempotencyStore`] in memory: each owner's records in a map by key, behind the
//! store's one mutex (so a claim is atomic as the contract asks). As on the databases,
//! an expired record is replaced by a claim of its key and otherwise stays (holding a
//! slot) until a claim at the cap needs the room or the sweep removes it.

use super::MemoryStore;
use crate::store::{Claimed, IdempotencyRecord, IdempotencyStore, IdempotentAnswer, KeyClaim, StoreError};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// One key's record.
#[derive(Clone)]
pub(super) struct Record {
    fingerprint: Vec<u8>,
    token: i64,
    answer: Option<IdempotentAnswer>,
    created_ms: i64,
    expires_ms: i64,
}

/// key → record, for one owner.
pub(super) type Keys = BTreeMap<String, Record>;

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn claim_idempotency_key(&self, claim: &KeyClaim<'_>) -> Result<Claimed, StoreError> {
        let mut d = self.data();
        let keys = d.idempotency.entry(claim.owner.to_owned()).or_default();
        if let Some(r) = keys.get(claim.key).filter(|r| r.expires_ms > claim.now_ms) {
            return Ok(Claimed::Held(IdempotencyRecord {
                fingerprint: r.fingerprint.clone(),
                answer: r.answer.clone(),
                expires_ms: r.expires_ms,
            }));
        }
        if !keys.contains_key(claim.key) && keys.len() >= claim.max_keys {
            // Room: expired records first, then the oldest answers, never a live claim;
            // refused with nothing removed when that is not enough.
            let need = keys.len() + 1 - claim.max_keys;
            let mut expired: Vec<_> = keys
                .iter()
                .filter(|(_, r)| r.expires_ms <= claim.now_ms)
                .map(|(k, r)| (r.expires_ms, k.clone()))
                .collect();
            expired.sort();
            let mut answered: Vec<_> = keys
                .iter()
                .filter(|(_, r)| r.answer.is_some() && r.expires_ms > claim.now_ms)
                .map(|(k, r)| (r.created_ms, k.clone()))
                .collect();
            answered.sort();
            let room: Vec<String> = expired.into_iter().chain(answered).map(|(_, k)| k).take(need).collect();
            if room.len() < need {
                return Err(StoreError::LimitReached);
            }
            for k in room {
                keys.remove(&k);
            }
        }
        keys.insert(
            claim.key.to_owned(),
            Record {
                fingerprint: claim.fingerprint.to_vec(),
                token: claim.token,
                answer: None,
                created_ms: claim.now_ms,
                expires_ms: claim.lease_until_ms,
            },
        );
        Ok(Claimed::Yes)
    }

    async fn answer_idempotency_key(
        &self,
        owner: &str,
        key: &str,
        token: i64,
        answer: &IdempotentAnswer,
        expires_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut d = self.data();
        match d.idempotency.get_mut(owner).and_then(|keys| keys.get_mut(key)) {
            Some(r) if r.token == token && r.answer.is_none() => {
                r.answer = Some(answer.clone());
                r.expires_ms = expires_ms;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release_idempotency_key(&self, owner: &str, key: &str, token: i64) -> Result<(), StoreError> {
        let mut d = self.data();
        if let Some(keys) = d.idempotency.get_mut(owner) {
            if keys.get(key).is_some_and(|r| r.token == token && r.answer.is_none()) {
                keys.remove(key);
            }
            if keys.is_empty() {
                d.idempotency.remove(owner);
            }
        }
        Ok(())
    }

    async fn expire_idempotency_keys(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError> {
        let mut d = self.data();
        let mut removed = 0;
        d.idempotency.retain(|_, keys| {
            keys.retain(|_, r| {
                let keep = r.expires_ms > now_ms || removed >= limit;
                if !keep {
                    removed += 1;
                }
                keep
            });
            !keys.is_empty()
        });
        Ok(removed)
    }

    async fn delete_idempotency_keys(&self, owner: &str) -> Result<(), StoreError> {
        self.data().idempotency.remove(owner);
        Ok(())
    }
}

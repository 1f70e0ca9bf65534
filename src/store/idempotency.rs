//! Idempotency keys of the client API: per user, which request a key was first used for
//! (its fingerprint) and the answer it got, so that a retry gets the same answer and
//! creates nothing new.
//!
//! A record is first a *claim* (the request is running; no answer yet) held by a random
//! token until a lease ends, then, once answered, a kept answer until it expires. Every
//! time is given by the caller (Unix milliseconds), so the store reads no clock and the
//! contract tests control time. A record whose `expires_ms` has passed is as good as
//! absent, claim or answer alike: reads treat it so, a claim of its key replaces it, and
//! it still holds its owner's slot only until a claim needs the room or the background
//! sweep ([`IdempotencyStore::expire_idempotency_keys`]) removes it.
//!
//! Cost: a claim does a bounded amount of work whatever the number of keys its owner
//! holds: it reads the key and the owner's count of records (kept by the store beside
//! the records, in the same transactions), and only at the cap removes as many records
//! as it needs room for, found in index order (expired ones first, then the oldest
//! answers). No claim counts or sweeps the owner's records.

use super::StoreError;
use async_trait::async_trait;

/// An answer kept for replay: the HTTP status and the body bytes as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// What a key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The fingerprint of the request that first used the key.
    pub fingerprint: Vec<u8>,
    /// Its answer; `None` while that request still runs (a claim).
    pub answer: Option<IdempotentAnswer>,
    /// When the record stops counting: the end of a claim's lease, or of an answer's
    /// retention.
    pub expires_ms: i64,
}

/// A claim on a key for one request.
#[derive(Debug, Clone)]
pub struct KeyClaim<'a> {
    pub owner: &'a str,
    pub key: &'a str,
    pub fingerprint: &'a [u8],
    /// Identifies this claim: only its holder answers or releases it.
    pub token: i64,
    pub now_ms: i64,
    /// Until when the claim holds without an answer (then another request may take the
    /// key over: its holder is presumed gone).
    pub lease_until_ms: i64,
    /// The most records `owner` may have.
    pub max_keys: usize,
}

/// The result of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The key is this claim's now.
    Yes,
    /// A live record holds the key (a claim or an answer), possibly of another request.
    Held(IdempotencyRecord),
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `claim.key` of `claim.owner`, unless a live record holds it (returned
    /// instead). Atomically: an expired record of the key is replaced; when the owner
    /// holds `max_keys` records, room is made by removing the owner's expired records
    /// first, then the oldest answered ones; when only live claims are left the claim is
    /// refused with [`StoreError::LimitReached`] (and nothing is removed).
    async fn claim_idempotency_key(&self, claim: &KeyClaim<'_>) -> Result<Claimed, StoreError>;
    /// Records `answer` for the claim `token`, kept until `expires_ms`, durably when it
    /// returns. `false` (nothing written) when the claim is no longer held: released, or
    /// expired and taken over.
    async fn answer_idempotency_key(
        &self,
        owner: &str,
        key: &str,
        token: i64,
        answer: &IdempotentAnswer,
        expires_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Gives up the claim `token` without an answer; nothing happens if it is not held.
    async fn release_idempotency_key(&self, owner: &str, key: &str, token: i64) -> Result<(), StoreError>;
    /// Removes at most `limit` records expired by `now_ms`, of any owners (the earliest
    /// expired first where the backend can tell); how many went. Fewer than `limit` means
    /// none are left. Each call is one short write, so a sweep never holds the store for
    /// long; the caller repeats it until it returns less than `limit`.
    async fn expire_idempotency_keys(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError>;
    /// Removes every record of `owner` (account removal).
    async fn delete_idempotency_keys(&self, owner: &str) -> Result<(), StoreError>;
}

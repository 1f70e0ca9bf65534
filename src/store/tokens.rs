//! Bearer tokens of the client REST API: one row per token, naming its owner, the SHA-256
//! hash of its secret (the secret itself is never stored), when it was created and when
//! it expires. `crate::core::account::tokens` decides what a token is worth; this is only its record.
//!
//! Contract:
//! - a token is recorded only if its owner has fewer than the given number of live
//!   tokens (expiring after the given time), checked and written in one atomic step
//!   ([`TokenStore::insert_token`]): two concurrent requests cannot both squeeze under
//!   the limit;
//! - ids and hashes are unique ([`StoreError::Conflict`] for a taken one);
//! - deletions are idempotent; the purge of expired tokens is bounded per call.

use super::StoreError;
use async_trait::async_trait;

/// One token's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token's public id (16 lowercase hex characters).
    pub id: String,
    /// Whom it acts for (bare JID).
    pub owner: String,
    /// SHA-256 of the secret.
    pub hash: Vec<u8>,
    /// Unix milliseconds.
    pub created_ms: i64,
    /// The token is live while the time is before this, Unix milliseconds.
    pub expires_ms: i64,
}

impl StoredToken {
    /// Whether the token still holds at `now_ms`.
    pub fn is_live(&self, now_ms: i64) -> bool {
        now_ms < self.expires_ms
    }
}

#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// Records `token` if its owner has fewer than `max` tokens live at `now_ms`;
    /// [`StoreError::LimitReached`] otherwise, [`StoreError::Conflict`] when its id or
    /// hash is taken. Atomic, also against other processes sharing the storage.
    async fn insert_token(&self, token: &StoredToken, now_ms: i64, max: usize) -> Result<(), StoreError>;
    /// The token whose secret hashes to `hash`, live or not.
    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<StoredToken>, StoreError>;
    /// `owner`'s tokens live at `now_ms`, oldest first (by creation, then id).
    async fn tokens_of(&self, owner: &str, now_ms: i64) -> Result<Vec<StoredToken>, StoreError>;
    /// Deletes `owner`'s token `id` and returns it; `None` when `owner` has no such token
    /// (another owner's token is left alone).
    async fn delete_token(&self, owner: &str, id: &str) -> Result<Option<StoredToken>, StoreError>;
    /// Deletes every token of `owner`; how many went.
    async fn delete_tokens_of(&self, owner: &str) -> Result<usize, StoreError>;
    /// Deletes up to `limit` tokens no longer live at `now_ms`, soonest expired first;
    /// how many went.
    async fn delete_expired_tokens(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError>;
}

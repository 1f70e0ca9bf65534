//! [`TokenStore`] in memory: bearer tokens by id, found by hash with a scan.

use super::MemoryStore;
use crate::store::{StoreError, StoredToken, TokenStore};
use async_trait::async_trait;

#[async_trait]
impl TokenStore for MemoryStore {
    async fn insert_token(&self, token: &StoredToken, now_ms: i64, max: usize) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.tokens.contains_key(&token.id) || d.tokens.values().any(|t| t.hash == token.hash) {
            return Err(StoreError::Conflict);
        }
        let live = d
            .tokens
            .values()
            .filter(|t| t.owner == token.owner && t.is_live(now_ms))
            .count();
        if live >= max {
            return Err(StoreError::LimitReached);
        }
        d.tokens.insert(token.id.clone(), token.clone());
        Ok(())
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.data().tokens.values().find(|t| t.hash == hash).cloned())
    }

    async fn tokens_of(&self, owner: &str, now_ms: i64) -> Result<Vec<StoredToken>, StoreError> {
        let mut out: Vec<StoredToken> = self
            .data()
            .tokens
            .values()
            .filter(|t| t.owner == owner && t.is_live(now_ms))
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        Ok(out)
    }

    async fn delete_token(&self, owner: &str, id: &str) -> Result<Option<StoredToken>, StoreError> {
        let mut d = self.data();
        if d.tokens.get(id).is_none_or(|t| t.owner != owner) {
            return Ok(None);
        }
        Ok(d.tokens.remove(id))
    }

    async fn delete_tokens_of(&self, owner: &str) -> Result<usize, StoreError> {
        let mut d = self.data();
        let before = d.tokens.len();
        d.tokens.retain(|_, t| t.owner != owner);
        Ok(before - d.tokens.len())
    }

    async fn delete_expired_tokens(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError> {
        let mut d = self.data();
        let mut expired: Vec<(i64, String)> = d
            .tokens
            .values()
            .filter(|t| !t.is_live(now_ms))
            .map(|t| (t.expires_ms, t.id.clone()))
            .collect();
        expired.sort();
        expired.truncate(limit);
        for (_, id) in &expired {
            d.tokens.remove(id);
        }
        Ok(expired.len())
    }
}

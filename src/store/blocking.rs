//! Blocklists (XEP-0191): the JIDs each user refuses to hear from or talk to.

use super::StoreError;
use async_trait::async_trait;

#[async_trait]
pub trait BlockStore: Send + Sync + 'static {
    /// `owner`'s blocked JIDs (bare JIDs, full JIDs or domains, as given), sorted.
    async fn blocklist(&self, owner: &str) -> Result<Vec<String>, StoreError>;
    /// Adds `jids` (already there: no change).
    async fn block(&self, owner: &str, jids: &[String]) -> Result<(), StoreError>;
    /// Removes `jids`; an empty slice removes every entry.
    async fn unblock(&self, owner: &str, jids: &[String]) -> Result<(), StoreError>;
}

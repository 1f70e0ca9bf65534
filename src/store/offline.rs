//! Messages waiting for a user who had no available session (XEP-0160), in arrival order.

use super::StoreError;
use async_trait::async_trait;

/// One message held for its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineMessage {
    /// When it arrived, Unix milliseconds (for `<delay/>` on delivery).
    pub timestamp_ms: i64,
    /// The stanza as XML.
    pub stanza: String,
}

#[async_trait]
pub trait OfflineStore: Send + Sync + 'static {
    /// Appends a message for `owner`, unless `owner` holds `max` already
    /// ([`StoreError::LimitReached`]); durable when it returns.
    async fn push_offline(&self, owner: &str, message: &OfflineMessage, max: usize) -> Result<(), StoreError>;
    /// Takes every message held for `owner`, oldest first, and forgets them, atomically.
    async fn take_offline(&self, owner: &str) -> Result<Vec<OfflineMessage>, StoreError>;
    /// How many messages `owner` has waiting.
    async fn count_offline(&self, owner: &str) -> Result<usize, StoreError>;
    /// Forgets everything held for `owner` (account removal).
    async fn delete_offline(&self, owner: &str) -> Result<(), StoreError>;
}

//! Push registrations (XEP-0357): where each user's devices want to be woken up.

use super::StoreError;
use async_trait::async_trait;

/// One app server node a client registered for its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRegistration {
    /// The app server's JID.
    pub jid: String,
    /// The node on it (one per device, usually).
    pub node: String,
    /// The `publish-options` form the client gave, as XML (empty: none).
    pub options: String,
}

#[async_trait]
pub trait PushStore: Send + Sync + 'static {
    /// `owner`'s registrations, oldest first.
    async fn push_registrations(&self, owner: &str) -> Result<Vec<PushRegistration>, StoreError>;
    /// Adds `registration`, replacing one with the same JID and node; refused with
    /// [`StoreError::LimitReached`] when `owner` has `max` others already.
    async fn enable_push(&self, owner: &str, registration: &PushRegistration, max: usize) -> Result<(), StoreError>;
    /// Removes the registrations on `jid` (only `node` if given); how many went.
    async fn disable_push(&self, owner: &str, jid: &str, node: Option<&str>) -> Result<usize, StoreError>;
    /// Removes every registration of `owner` (account removal).
    async fn delete_push(&self, owner: &str) -> Result<(), StoreError>;
}

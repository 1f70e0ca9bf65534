//! [`PushStore`] in memory: each owner's push registrations, oldest first.

use super::MemoryStore;
use crate::store::{PushRegistration, PushStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl PushStore for MemoryStore {
    async fn push_registrations(&self, owner: &str) -> Result<Vec<PushRegistration>, StoreError> {
        Ok(self.data().push.get(owner).cloned().unwrap_or_default())
    }

    async fn enable_push(&self, owner: &str, registration: &PushRegistration, max: usize) -> Result<(), StoreError> {
        let mut d = self.data();
        let list = d.push.entry(owner.to_owned()).or_default();
        let same = |r: &PushRegistration| r.jid == registration.jid && r.node == registration.node;
        if let Some(existing) = list.iter_mut().find(|r| same(r)) {
            existing.options = registration.options.clone();
            return Ok(());
        }
        if list.len() >= max {
            return Err(StoreError::LimitReached);
        }
        list.push(registration.clone());
        Ok(())
    }

    async fn disable_push(&self, owner: &str, jid: &str, node: Option<&str>) -> Result<usize, StoreError> {
        let mut d = self.data();
        let Some(list) = d.push.get_mut(owner) else {
            return Ok(0);
        };
        let before = list.len();
        list.retain(|r| !(r.jid == jid && node.is_none_or(|n| r.node == n)));
        let removed = before - list.len();
        if list.is_empty() {
            d.push.remove(owner);
        }
        Ok(removed)
    }

    async fn delete_push(&self, owner: &str) -> Result<(), StoreError> {
        self.data().push.remove(owner);
        Ok(())
    }
}

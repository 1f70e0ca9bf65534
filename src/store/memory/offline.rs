//! [`OfflineStore`] in memory: each owner's held messages, oldest first.

use super::MemoryStore;
use crate::store::{OfflineMessage, OfflineStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl OfflineStore for MemoryStore {
    async fn push_offline(&self, owner: &str, message: &OfflineMessage, max: usize) -> Result<(), StoreError> {
        let mut d = self.data();
        let held = d.offline.entry(owner.to_owned()).or_default();
        if held.len() >= max {
            return Err(StoreError::LimitReached);
        }
        held.push(message.clone());
        Ok(())
    }

    async fn take_offline(&self, owner: &str) -> Result<Vec<OfflineMessage>, StoreError> {
        Ok(self.data().offline.remove(owner).unwrap_or_default())
    }

    async fn count_offline(&self, owner: &str) -> Result<usize, StoreError> {
        Ok(self.data().offline.get(owner).map_or(0, Vec::len))
    }

    async fn delete_offline(&self, owner: &str) -> Result<(), StoreError> {
        self.data().offline.remove(owner);
        Ok(())
    }
}

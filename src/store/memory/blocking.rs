//! [`BlockStore`] in memory: each owner's blocked JIDs as a sorted set.

use super::MemoryStore;
use crate::store::{BlockStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl BlockStore for MemoryStore {
    async fn blocklist(&self, owner: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .data()
            .blocklists
            .get(owner)
            .map(|b| b.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn block(&self, owner: &str, jids: &[String]) -> Result<(), StoreError> {
        self.data()
            .blocklists
            .entry(owner.to_owned())
            .or_default()
            .extend(jids.iter().cloned());
        Ok(())
    }

    async fn unblock(&self, owner: &str, jids: &[String]) -> Result<(), StoreError> {
        let mut d = self.data();
        if jids.is_empty() {
            d.blocklists.remove(owner);
        } else if let Some(list) = d.blocklists.get_mut(owner) {
            for jid in jids {
                list.remove(jid);
            }
            if list.is_empty() {
                d.blocklists.remove(owner);
            }
        }
        Ok(())
    }
}

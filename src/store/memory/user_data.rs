//! [`UserDataStore`] in memory: documents by owner, kind and key.

use super::MemoryStore;
use crate::store::{StoreError, UserDataKind, UserDataStore};
use async_trait::async_trait;

#[async_trait]
impl UserDataStore for MemoryStore {
    async fn user_data(&self, owner: &str, kind: UserDataKind, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .data()
            .user_data
            .get(&(owner.to_owned(), kind.as_str(), key.to_owned()))
            .cloned())
    }

    async fn put_user_data(
        &self,
        owner: &str,
        kind: UserDataKind,
        key: &str,
        value: &str,
        max_keys: usize,
    ) -> Result<(), StoreError> {
        let mut d = self.data();
        let k = (owner.to_owned(), kind.as_str(), key.to_owned());
        if !d.user_data.contains_key(&k) {
            let held = d
                .user_data
                .keys()
                .filter(|(o, kd, _)| o == owner && *kd == kind.as_str())
                .count();
            if held >= max_keys {
                return Err(StoreError::LimitReached);
            }
        }
        d.user_data.insert(k, value.to_owned());
        Ok(())
    }

    async fn delete_user_data(&self, owner: &str) -> Result<(), StoreError> {
        self.data().user_data.retain(|(o, _, _), _| o != owner);
        Ok(())
    }
}

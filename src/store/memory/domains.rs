//! [`DomainStore`] in memory.

use super::MemoryStore;
use crate::store::{DomainStatus, DomainStore, StoreError, StoredDomain};
use async_trait::async_trait;

#[async_trait]
impl DomainStore for MemoryStore {
    async fn domains(&self) -> Result<Vec<StoredDomain>, StoreError> {
        Ok(self.data().domains.values().cloned().collect())
    }

    async fn domain(&self, domain: &str) -> Result<Option<StoredDomain>, StoreError> {
        Ok(self.data().domains.get(domain).cloned())
    }

    async fn insert_domain(&self, d: &StoredDomain) -> Result<(), StoreError> {
        let mut data = self.data();
        if data.domains.contains_key(&d.domain) {
            return Err(StoreError::Conflict);
        }
        data.domains.insert(d.domain.clone(), d.clone());
        Ok(())
    }

    async fn set_domain_status(&self, domain: &str, status: DomainStatus) -> Result<(), StoreError> {
        let mut data = self.data();
        let d = data.domains.get_mut(domain).ok_or(StoreError::NotFound)?;
        d.status = status;
        Ok(())
    }

    async fn delete_domain(&self, domain: &str) -> Result<(), StoreError> {
        self.data()
            .domains
            .remove(domain)
            .map(|_| ())
            .ok_or(StoreError::NotFound)
    }
}

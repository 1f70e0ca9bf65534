//! Domains added at run time (the admin API's `/domains`): one row per domain with the
//! configured host whose settings it takes (`host_type`) and its status. The hosts of
//! the configuration file are not stored; every node reads this table to serve the same
//! domains.
//!
//! Contract: a domain is inserted once ([`StoreError::Conflict`] for one that exists);
//! status changes and deletion of a missing domain are [`StoreError::NotFound`].

use super::StoreError;
use async_trait::async_trait;

/// Where a domain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainStatus {
    /// Served.
    Enabled,
    /// Kept, not served: logins are refused, its sessions ended.
    Disabled,
    /// Its data is being removed; the row goes last.
    Deleting,
}

impl DomainStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainStatus::Enabled => "enabled",
            DomainStatus::Disabled => "disabled",
            DomainStatus::Deleting => "deleting",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [DomainStatus::Enabled, DomainStatus::Disabled, DomainStatus::Deleting]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One domain's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDomain {
    /// The domain, prepped.
    pub domain: String,
    pub host_type: String,
    pub status: DomainStatus,
}

#[async_trait]
pub trait DomainStore: Send + Sync + 'static {
    /// Every stored domain, sorted.
    async fn domains(&self) -> Result<Vec<StoredDomain>, StoreError>;
    async fn domain(&self, domain: &str) -> Result<Option<StoredDomain>, StoreError>;
    /// Adds `domain`; [`StoreError::Conflict`] when it exists (whatever its status).
    async fn insert_domain(&self, domain: &StoredDomain) -> Result<(), StoreError>;
    /// Sets the status of `domain`; [`StoreError::NotFound`] when there is none.
    async fn set_domain_status(&self, domain: &str, status: DomainStatus) -> Result<(), StoreError>;
    /// Removes the row; [`StoreError::NotFound`] when there is none.
    async fn delete_domain(&self, domain: &str) -> Result<(), StoreError>;
}

//! Domains added, disabled, enabled and removed at run time (the admin API's
//! `/domains`, MongooseIM's dynamic domains). A domain names a `host_type`, one of the
//! configuration's hosts, whose settings it takes (modules are configured once for all
//! hosts here, so every domain has the same services: accounts, `muclight.<domain>`,
//! `conference.<domain>`, `upload.<domain>` as the patterns say).
//!
//! The stored table (`DomainStore`) is the truth: the node that changes it applies the
//! change at once, and every node reads the table every `sync interval` (a second by
//! default) and applies what changed, so a domain added through one node of a cluster
//! is served by all within that time. Applying means: the domain and its services'
//! subdomains join or leave the router (`Core::apply_domain`); a domain that stops
//! being served ends its sessions (`<host-gone/>`) and refuses logins.
//!
//! Removing a domain first marks it `deleting` (no longer served), then deletes its data
//! in bounded batches (`removal`): its accounts, with everything that follows an
//! account's removal, its MUC Light and MUC rooms with their archives; the row goes
//! last. A removal interrupted by a crash resumes when the server starts again.

mod removal;

use super::hosts::AddedDomain;
use super::session::Kick;
use super::Core;
pub use crate::store::DomainStatus;
use crate::store::{StoreError, StoredDomain};
use std::sync::Arc;
use std::time::Duration;

/// Why a domain operation was refused; the texts are the admin API's (MongooseIM's).
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("Invalid domain name")]
    InvalidName,
    #[error("Domain is static")]
    Static,
    #[error("Unknown host type")]
    UnknownHostType,
    #[error("Domain already exists")]
    AlreadyExists,
    #[error("Given domain does not exist")]
    NotFound,
    #[error("Domain has been deleted")]
    Deleted,
    #[error("Wrong host type was provided")]
    WrongHostType,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A domain as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainInfo {
    pub domain: String,
    pub host_type: String,
    pub status: DomainStatus,
}

impl From<StoredDomain> for DomainInfo {
    fn from(d: StoredDomain) -> Self {
        DomainInfo {
            domain: d.domain,
            host_type: d.host_type,
            status: d.status,
        }
    }
}

/// `given` prepped as a domain (any letter case, one trailing dot dropped): a DNS name
/// of letters (any script), digits and hyphens, as a server's own domain must be to be
/// found (RFC 7622 §3.2 admits more, such as IP literals, which no one adds as a tenant).
pub fn domain_name(given: &str) -> Result<String, DomainError> {
    let jid = crate::core::jid::parse_bare(given.trim()).map_err(|_| DomainError::InvalidName)?;
    if jid.node().is_some() || given.contains(['@', '/']) {
        return Err(DomainError::InvalidName);
    }
    let domain = jid.domain().as_str();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if domain.len() > 253 || !domain.split('.').all(label_ok) {
        return Err(DomainError::InvalidName);
    }
    Ok(domain.to_owned())
}

fn not_static(core: &Core, domain: &str) -> Result<(), DomainError> {
    if core.hosts.is_static(domain) {
        return Err(DomainError::Static);
    }
    Ok(())
}

/// Every added domain, sorted.
pub async fn list(core: &Core) -> Result<Vec<DomainInfo>, DomainError> {
    Ok(core
        .stores
        .domains
        .domains()
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// One added domain.
pub async fn get(core: &Core, given: &str) -> Result<DomainInfo, DomainError> {
    let domain = domain_name(given)?;
    not_static(core, &domain)?;
    core.stores
        .domains
        .domain(&domain)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound)
}

/// Adds `domain`, enabled, with the settings of the configured host `host_type`.
pub async fn add(core: &Core, given: &str, host_type: &str) -> Result<DomainInfo, DomainError> {
    let domain = domain_name(given)?;
    not_static(core, &domain)?;
    let host_type = host_type.trim().to_lowercase();
    if !core.hosts.is_static(&host_type) {
        return Err(DomainError::UnknownHostType);
    }
    let stored = StoredDomain {
        domain: domain.clone(),
        host_type,
        status: DomainStatus::Enabled,
    };
    match core.stores.domains.insert_domain(&stored).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::AlreadyExists),
        Err(e) => return Err(e.into()),
    }
    core.apply_domain(&domain, Some(&stored)).await?;
    core.domains_changed().await;
    tracing::info!(%domain, host_type = %stored.host_type, "domain added");
    Ok(stored.into())
}

/// Enables or disables `domain`. Disabling ends its sessions and refuses its logins; its
/// data stays.
pub async fn set_enabled(core: &Core, given: &str, enabled: bool) -> Result<(), DomainError> {
    let domain = domain_name(given)?;
    not_static(core, &domain)?;
    let mut stored = core
        .stores
        .domains
        .domain(&domain)
        .await?
        .ok_or(DomainError::NotFound)?;
    if stored.status == DomainStatus::Deleting {
        return Err(DomainError::Deleted);
    }
    if !core.hosts.is_static(&stored.host_type) {
        return Err(DomainError::UnknownHostType);
    }
    stored.status = if enabled {
        DomainStatus::Enabled
    } else {
        DomainStatus::Disabled
    };
    match core.stores.domains.set_domain_status(&domain, stored.status).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(DomainError::NotFound),
        Err(e) => return Err(e.into()),
    }
    core.apply_domain(&domain, Some(&stored)).await?;
    core.domains_changed().await;
    tracing::info!(%domain, enabled, "domain status changed");
    Ok(())
}

/// Removes `domain` with its data: marked `deleting` at once, its data deleted in the
/// background. With `wait`, returns once everything is gone.
pub async fn remove(core: &Arc<Core>, given: &str, host_type: &str, wait: bool) -> Result<(), DomainError> {
    let domain = domain_name(given)?;
    not_static(core, &domain)?;
    let mut stored = core
        .stores
        .domains
        .domain(&domain)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !core.hosts.is_static(&stored.host_type) {
        return Err(DomainError::UnknownHostType);
    }
    if stored.host_type != host_type.trim().to_lowercase() {
        return Err(DomainError::WrongHostType);
    }
    if stored.status != DomainStatus::Deleting {
        stored.status = DomainStatus::Deleting;
        core.stores
            .domains
            .set_domain_status(&domain, DomainStatus::Deleting)
            .await?;
        core.apply_domain(&domain, Some(&stored)).await?;
        core.domains_changed().await;
        tracing::info!(%domain, "domain removal started");
    }
    let task = tokio::spawn(removal::run(core.clone(), domain));
    if wait {
        return match task.await {
            Ok(result) => result,
            Err(e) => Err(StoreError::Failed(crate::store::Cause::msg(format!("domain removal: {e}"))).into()),
        };
    }
    Ok(())
}

impl Core {
    /// The other nodes of a cluster read the domains again before this returns (a
    /// no-op alone).
    async fn domains_changed(&self) {
        if let Some(c) = self.cluster.get() {
            c.domains_changed().await;
        }
    }

    /// Reads the stored domains and applies what changed since the last read.
    pub(crate) async fn sync_domains(&self) -> Result<(), StoreError> {
        // What this node serves is read before the store: a change made here is stored
        // before it is applied, so the stored list is then at least as new as the served
        // one. Read the other way round, a domain added here between the two reads was
        // served but not yet in the stored list, and was dropped again until the next
        // round.
        let known = self.hosts.added_domains();
        let stored = self.stores.domains.domains().await?;
        for d in &stored {
            let now = AddedDomain {
                host_type: d.host_type.clone(),
                status: d.status,
            };
            if known.iter().all(|(name, k)| name != &d.domain || *k != now) {
                self.apply_domain(&d.domain, Some(d)).await?;
            }
        }
        for (name, _) in known {
            if stored.iter().all(|d| d.domain != name) {
                self.apply_domain(&name, None).await?;
            }
        }
        Ok(())
    }

    /// Follows the stored domains every `every`, as other nodes (or processes) change
    /// them; also resumes removals a stop interrupted. Runs for the server's life.
    pub async fn follow_domains(self: Arc<Self>, every: Duration) {
        match self.stores.domains.domains().await {
            Ok(stored) => {
                for d in stored.into_iter().filter(|d| d.status == DomainStatus::Deleting) {
                    tracing::info!(domain = %d.domain, "resuming a domain removal");
                    tokio::spawn(removal::run(self.clone(), d.domain));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the domains to resume removals"),
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.sync_domains().await {
                tracing::warn!(error = %e, "cannot read the domains; will retry");
            }
        }
    }

    /// Makes this node serve `domain` as `now` says (`None`: it is gone): its services'
    /// subdomains join or leave the router, and a domain no longer served ends its
    /// sessions.
    pub(crate) async fn apply_domain(&self, domain: &str, now: Option<&StoredDomain>) -> Result<(), StoreError> {
        let added = now.map(|d| AddedDomain {
            host_type: d.host_type.clone(),
            status: d.status,
        });
        let (before, after) = self.hosts.set(domain, added);
        if !before && after {
            self.router.add(domain, None, self.account_domains.clone(), false);
            if let Some(m) = &self.muc_light {
                self.router.add(&m.domain_for(domain), Some(domain), m.clone(), false);
            }
            if let Some(u) = &self.uploads {
                self.router.add(&u.domain_for(domain), Some(domain), u.clone(), false);
            }
            if let Some(m) = &self.muc {
                let service = m.domain_for(domain);
                m.load_service(&*self.stores.muc, &service).await?;
                self.router.add(&service, Some(domain), m.clone(), true);
            }
        } else if before && !after {
            self.router.remove(domain);
            if let Some(m) = &self.muc_light {
                self.router.remove(&m.domain_for(domain));
            }
            if let Some(u) = &self.uploads {
                self.router.remove(&u.domain_for(domain));
            }
            if let Some(m) = &self.muc {
                let service = m.domain_for(domain);
                self.router.remove(&service);
                m.forget_service(&service);
            }
            for s in self.sessions.of_domain(domain) {
                if s.remote_node().is_none() {
                    s.kick(Kick::HostGone);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! The domains this server serves: the configuration's hosts, fixed for the process's
//! life, and domains added at run time (`core::domains`), each enabled, disabled or
//! being removed. Everything that asks "is this one of ours?" (logins, routing, the room
//! and upload services' subdomains) asks here, so a domain added or disabled on any node
//! changes the answer everywhere at once.

use crate::store::DomainStatus;
use std::collections::BTreeMap;
use std::sync::RwLock;

/// A domain added at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedDomain {
    /// The configured host whose settings it takes.
    pub host_type: String,
    pub status: DomainStatus,
}

#[derive(Debug, Default)]
pub struct Hosts {
    fixed: Vec<String>,
    added: RwLock<BTreeMap<String, AddedDomain>>,
}

impl Hosts {
    /// The configuration's hosts (prepped), the first being the default.
    pub fn new(fixed: Vec<String>) -> Self {
        Hosts {
            fixed,
            added: RwLock::default(),
        }
    }

    fn added(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, AddedDomain>> {
        // The map is consistent after every write, even one that panicked midway.
        self.added.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `domain` (prepped) is served now: a configured host or an enabled one.
    pub fn serves(&self, domain: &str) -> bool {
        self.fixed.iter().any(|h| h == domain)
            || self
                .added()
                .get(domain)
                .is_some_and(|d| d.status == DomainStatus::Enabled)
    }

    /// Whether `domain` is one of the configuration's hosts.
    pub fn is_static(&self, domain: &str) -> bool {
        self.fixed.iter().any(|h| h == domain)
    }

    /// Every domain served now: the configured ones, then the enabled added ones, sorted.
    pub fn served(&self) -> Vec<String> {
        let mut all = self.fixed.clone();
        all.extend(
            self.added()
                .iter()
                .filter(|(_, d)| d.status == DomainStatus::Enabled)
                .map(|(name, _)| name.clone()),
        );
        all
    }

    /// What is known here of the added domain `domain`.
    pub fn added_domain(&self, domain: &str) -> Option<AddedDomain> {
        self.added().get(domain).cloned()
    }

    /// Every added domain, sorted.
    pub fn added_domains(&self) -> Vec<(String, AddedDomain)> {
        self.added().iter().map(|(d, a)| (d.clone(), a.clone())).collect()
    }

    /// Records what `domain` now is (`None`: gone); returns whether it was served before
    /// and whether it is now.
    pub(crate) fn set(&self, domain: &str, now: Option<AddedDomain>) -> (bool, bool) {
        let mut added = self.added.write().unwrap_or_else(|p| p.into_inner());
        let enabled = |d: Option<&AddedDomain>| d.is_some_and(|d| d.status == DomainStatus::Enabled);
        let before = enabled(added.get(domain));
        let after = enabled(now.as_ref());
        match now {
            Some(d) => added.insert(domain.to_owned(), d),
            None => added.remove(domain),
        };
        (before, after)
    }
}

/// A service's domain for each host, from a pattern such as `muclight.@HOST@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubdomainPattern {
    prefix: String,
    suffix: String,
}

impl SubdomainPattern {
    pub fn new(pattern: &str) -> Self {
        let pattern = pattern.to_lowercase();
        let (prefix, suffix) = pattern.split_once("@host@").unwrap_or((pattern.as_str(), ""));
        SubdomainPattern {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        }
    }

    /// The service's domain for `host`.
    pub fn domain_for(&self, host: &str) -> String {
        format!("{}{host}{}", self.prefix, self.suffix)
    }

    /// Every host served now, with the service's domain of each.
    pub fn served_domains(&self, hosts: &Hosts) -> Vec<(String, String)> {
        hosts
            .served()
            .into_iter()
            .map(|h| {
                let d = self.domain_for(&h);
                (h, d)
            })
            .collect()
    }

    /// The host `domain` is the service's domain of, if it has this pattern's form and
    /// `hosts` serves that host.
    pub fn host_of<'a>(&self, domain: &'a str, hosts: &Hosts) -> Option<&'a str> {
        let host = domain
            .strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())?;
        (!host.is_empty() && hosts.serves(host)).then_some(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_domains_are_served_only_while_enabled() {
        let hosts = Hosts::new(vec!["localhost".into()]);
        assert!(hosts.serves("localhost") && !hosts.serves("example.com"));
        let enabled = AddedDomain {
            host_type: "localhost".into(),
            status: DomainStatus::Enabled,
        };
        assert_eq!(hosts.set("example.com", Some(enabled.clone())), (false, true));
        assert!(hosts.serves("example.com"));
        assert_eq!(hosts.served(), ["localhost", "example.com"]);
        let disabled = AddedDomain {
            status: DomainStatus::Disabled,
            ..enabled
        };
        assert_eq!(hosts.set("example.com", Some(disabled)), (true, false));
        assert!(!hosts.serves("example.com") && hosts.added_domain("example.com").is_some());
        assert_eq!(hosts.set("example.com", None), (false, false));
        assert!(hosts.added_domain("example.com").is_none());
    }

    #[test]
    fn a_pattern_maps_hosts_to_their_service_and_back() {
        let hosts = Hosts::new(vec!["localhost".into()]);
        let p = SubdomainPattern::new("muclight.@HOST@");
        assert_eq!(p.domain_for("localhost"), "muclight.localhost");
        assert_eq!(p.host_of("muclight.localhost", &hosts), Some("localhost"));
        assert_eq!(p.host_of("muclight.example.com", &hosts), None);
        assert_eq!(p.host_of("localhost", &hosts), None);
    }
}

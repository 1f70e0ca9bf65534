//! Which remote domains this server federates with (`[s2s] default_policy`,
//! `host_policy`): a decision per domain, asked before any connection is made in either
//! direction.

use std::collections::HashMap;

/// Allow or deny, per remote domain, with a default for the rest.
#[derive(Debug, Clone)]
pub struct Policy {
    /// What a domain not listed gets.
    pub default_allow: bool,
    /// Prepped domain → allowed.
    pub hosts: HashMap<String, bool>,
}

impl Default for Policy {
    /// Every domain allowed, as MongooseIM's default.
    fn default() -> Self {
        Policy {
            default_allow: true,
            hosts: HashMap::new(),
        }
    }
}

impl Policy {
    /// Whether stanzas may go to, or come from, `domain` (prepped). A listed domain is
    /// decided by its own entry only: listing `example.org` says nothing of
    /// `chat.example.org`.
    pub fn allows(&self, domain: &str) -> bool {
        self.hosts.get(domain).copied().unwrap_or(self.default_allow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_domain_is_decided_by_its_entry_and_the_rest_by_the_default() {
        let mut p = Policy {
            default_allow: false,
            hosts: HashMap::new(),
        };
        p.hosts.insert("good.example".into(), true);
        p.hosts.insert("bad.example".into(), false);
        assert!(p.allows("good.example"));
        assert!(!p.allows("bad.example"));
        assert!(!p.allows("other.example"));
        assert!(!p.allows("sub.good.example"));
        p.default_allow = true;
        assert!(p.allows("other.example"));
        assert!(!p.allows("bad.example"));
    }
}

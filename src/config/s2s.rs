//! `[s2s]`: federation with other servers, as MongooseIM's section of that name: who may
//! federate (`default_policy`, `host_policy`), how streams are secured (`use_starttls`,
//! `certfile`, `cacertfile`), the dialback secret (`shared`), and how other servers are
//! found (`outgoing`, `dns`). Federation is on when the file has this section or a
//! `[[listen.s2s]]`; with neither (and with no file at all) it is off, and stanzas for
//! other domains are answered `remote-server-not-found`.

use serde::Deserialize;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct S2s {
    /// What a remote domain not in `host_policy` gets.
    pub default_policy: PolicyValue,
    /// Remote domains allowed or denied one by one.
    pub host_policy: Vec<HostPolicy>,
    /// TLS on streams both ways (see [`UseStarttls`]).
    pub use_starttls: UseStarttls,
    /// The certificate (PEM) this server shows other servers; its key is `keyfile`, or
    /// in the same file. Unset: the first `[[listen.c2s]]`'s, else the generated one.
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
    /// The CAs (PEM) other servers' certificates are checked against; unset: the
    /// system's.
    pub cacertfile: Option<PathBuf>,
    /// The Server Dialback secret; unset: random at each start (then required with
    /// `[cluster]`: every node must sign keys alike).
    pub shared: Option<String>,
    /// Seconds, at most, before a remote domain that could not be reached is tried again.
    pub max_retry_delay: u64,
    /// Stanzas waiting for one stream (a domain pair), and their bytes.
    pub max_queue: usize,
    pub max_queue_bytes: usize,
    /// Seconds an outgoing stream with nothing to send stays open.
    pub idle_timeout: u64,
    pub outgoing: Outgoing,
    pub dns: Dns,
}

impl Default for S2s {
    fn default() -> Self {
        S2s {
            default_policy: PolicyValue::Allow,
            host_policy: Vec::new(),
            use_starttls: UseStarttls::Required,
            certfile: None,
            keyfile: None,
            cacertfile: None,
            shared: None,
            max_retry_delay: 300,
            max_queue: 1000,
            max_queue_bytes: 4 << 20,
            idle_timeout: 600,
            outgoing: Outgoing::default(),
            dns: Dns::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyValue {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HostPolicy {
    pub host: String,
    pub policy: PolicyValue,
}

/// MongooseIM's `use_starttls`, for streams in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UseStarttls {
    /// No TLS: dialback over plain TCP.
    #[serde(rename = "false")]
    False,
    /// TLS when the other side offers or asks for it.
    Optional,
    /// TLS on every stream; a certificate that does not verify leaves dialback to
    /// authenticate the domain.
    Required,
    /// TLS on every stream, and the peer's certificate must verify for its domain.
    RequiredTrusted,
}

/// `[s2s.outgoing]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Outgoing {
    /// The port tried when DNS has no SRV record for a domain.
    pub port: u16,
    /// Milliseconds a TCP connection may take to open.
    pub connection_timeout: u64,
    /// Static routes: domains reached at a given address, without DNS.
    pub address: Vec<OutgoingAddress>,
}

impl Default for Outgoing {
    fn default() -> Self {
        Outgoing {
            port: 5269,
            connection_timeout: 10_000,
            address: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutgoingAddress {
    pub host: String,
    pub ip_address: IpAddr,
    /// Default: `outgoing.port`.
    pub port: Option<u16>,
    /// TLS from the first byte (XEP-0368) rather than STARTTLS.
    #[serde(default)]
    pub tls: bool,
}

/// `[s2s.dns]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Dns {
    /// Seconds one query may take.
    pub timeout: u64,
    /// Queries repeated after a timeout.
    pub retries: usize,
}

impl Default for Dns {
    fn default() -> Self {
        Dns {
            timeout: 10,
            retries: 2,
        }
    }
}

/// Seconds a stream has to be secured and authenticated once its connection is open.
pub const NEGOTIATION_TIMEOUT: u64 = 30;

impl S2s {
    /// The longest a dial may take: resolution with its retries, the connection, the
    /// negotiation.
    pub fn dial_timeout(&self) -> Duration {
        Duration::from_secs(self.dns.timeout * (self.dns.retries as u64 + 1) + NEGOTIATION_TIMEOUT)
            + Duration::from_millis(self.outgoing.connection_timeout)
    }

    /// The remote domain's policy as the core reads it, domains prepped.
    fn policy(&self) -> crate::core::s2s::Policy {
        crate::core::s2s::Policy {
            default_allow: self.default_policy == PolicyValue::Allow,
            hosts: self
                .host_policy
                .iter()
                .map(|h| (prep_domain(&h.host), h.policy == PolicyValue::Allow))
                .collect(),
        }
    }
}

/// `host` as the core keys domains.
pub(super) fn prep_domain(host: &str) -> String {
    jid::BareJid::new(host)
        .map(|j| j.domain().as_str().to_owned())
        .unwrap_or_else(|_| host.to_lowercase())
}

impl From<&S2s> for crate::core::s2s::S2sSettings {
    fn from(s: &S2s) -> Self {
        crate::core::s2s::S2sSettings {
            policy: s.policy(),
            queue_len: s.max_queue,
            queue_bytes: s.max_queue_bytes,
            max_retry_delay: Duration::from_secs(s.max_retry_delay),
            connect_timeout: s.dial_timeout(),
            idle_timeout: Duration::from_secs(s.idle_timeout),
            secret: s
                .shared
                .clone()
                .unwrap_or_else(crate::core::s2s::dialback::random_secret),
        }
    }
}

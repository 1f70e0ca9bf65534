//! Federation (RFC 6120 server-to-server, `[s2s]`), the core side: the service owning
//! every domain nobody here serves, and the checks on what arrives from other servers.
//!
//! - Outgoing ([`S2s`], the router's remote service): a stanza for a remote domain waits
//!   in the queue of its domain pair (the sender's domain, the remote domain), bounded
//!   in stanzas and bytes, while a stream is made for the pair; then the queue flows in
//!   order. Making the stream (resolving, TLS, authentication) is the door's business,
//!   behind `Dialer`; the core only says when, and what to send. A pair whose attempt
//!   failed bounces what waited (`remote-server-not-found` or `remote-server-timeout`),
//!   and bounces at once what comes during its back-off (1 s, doubled per failure up
//!   to `max_retry_delay`); the next stanza after it tries again. A domain the policy
//!   refuses gets `not-allowed` at once, without a connection.
//! - Incoming (`Core::route_from_remote`): a stanza from a stream another server opened is
//!   routed like a component's, once the door has checked its addresses against the
//!   stream's authenticated domain pairs (`check_incoming`).
//! - Dialback keys (`dialback`) and the policy (`policy`) are plain functions.
//!
//! One domain that never answers slows nobody else: each pair has its own queue and its
//! own task, and the router only ever pushes onto a queue.

pub(crate) mod dialback;
mod link;
pub(crate) mod policy;
#[cfg(test)]
mod tests;

use crate::core::archive::Keepers;
use crate::core::routing::router::{RouteError, Routed, Service};
use crate::core::stanza::{Condition, StanzaError};
use crate::core::Core;
use crate::xml::Element;
use async_trait::async_trait;
use jid::Jid;
use link::Link;
pub use policy::Policy;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

/// What the core needs of `[s2s]`.
#[derive(Debug, Clone)]
pub struct S2sSettings {
    pub policy: Policy,
    /// Stanzas one domain pair may have waiting, and their bytes (approximate).
    pub queue_len: usize,
    pub queue_bytes: usize,
    /// The longest wait before a failed pair is tried again.
    pub max_retry_delay: Duration,
    /// How long making a stream may take, resolution and authentication included.
    pub connect_timeout: Duration,
    /// An outgoing stream with nothing to send for this long is closed.
    pub idle_timeout: Duration,
    /// The dialback secret (the same on every node of a cluster).
    pub secret: String,
}

impl Default for S2sSettings {
    fn default() -> Self {
        S2sSettings {
            policy: Policy::default(),
            queue_len: 1000,
            queue_bytes: 4 << 20,
            max_retry_delay: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(600),
            secret: dialback::random_secret(),
        }
    }
}

/// Why no stream could be made to a remote domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DialError {
    /// The domain does not resolve, or nothing listens where it points.
    #[error("{0}")]
    NotFound(String),
    /// No answer in time, or the stream could not be secured or authenticated.
    #[error("{0}")]
    Failed(String),
}

impl DialError {
    /// The stanza error what waited is bounced with (RFC 6120 §8.3.3.15, §8.3.3.16).
    fn condition(&self) -> Condition {
        match self {
            DialError::NotFound(_) => Condition::RemoteServerNotFound,
            DialError::Failed(_) => Condition::RemoteServerTimeout,
        }
    }
}

/// Makes authenticated outgoing streams: implemented by the s2s door.
#[async_trait]
pub(crate) trait Dialer: Send + Sync {
    /// A stream from `local` (one of ours) to `remote`, authenticated for that pair.
    async fn dial(&self, local: &str, remote: &str) -> Result<Box<dyn Outbound>, DialError>;
}

/// One authenticated outgoing stream; the core writes stanzas to it.
#[async_trait]
pub(crate) trait Outbound: Send {
    /// Writes `stanzas` (in `jabber:client` inside the server; the door writes them in
    /// the server namespace), in order.
    async fn send(&mut self, stanzas: &[Element]) -> std::io::Result<()>;
    /// Resolves when the peer closed the stream or the connection broke.
    async fn closed(&mut self);
    /// Closes the stream politely.
    async fn close(self: Box<Self>);
}

/// The outgoing side: one `Link` per domain pair.
pub struct S2s {
    settings: S2sSettings,
    /// Set when the door starts: the core (weakly, it owns this) and the door's dialer.
    started: OnceLock<(Weak<Core>, Arc<dyn Dialer>)>,
    links: Mutex<HashMap<(String, String), Arc<Link>>>,
    /// Incoming streams open now, by remote domain (once authenticated).
    incoming: Mutex<HashMap<String, usize>>,
    /// Stanzas bounced because no stream could carry them.
    bounced: AtomicU64,
}

/// An incoming stream counted under its remote domain while it lives.
pub(crate) struct IncomingStream<'a> {
    s2s: &'a S2s,
    remote: String,
}

impl Drop for IncomingStream<'_> {
    fn drop(&mut self) {
        let mut incoming = self.s2s.incoming.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = incoming.get_mut(&self.remote) {
            *n -= 1;
            if *n == 0 {
                incoming.remove(&self.remote);
            }
        }
    }
}

impl S2s {
    pub(crate) fn new(settings: S2sSettings) -> Self {
        S2s {
            settings,
            started: OnceLock::new(),
            links: Mutex::new(HashMap::new()),
            incoming: Mutex::new(HashMap::new()),
            bounced: AtomicU64::new(0),
        }
    }

    /// The dialback key this server sends for a stream `stream_id` from its domain
    /// `originating` to `receiving` ([`dialback::key`]).
    pub(crate) fn dialback_key(&self, receiving: &str, originating: &str, stream_id: &str) -> String {
        dialback::key(&self.settings.secret, receiving, originating, stream_id)
    }

    /// Whether `key` is the one this server would have sent ([`dialback::verifies`]).
    pub(crate) fn dialback_verifies(&self, receiving: &str, originating: &str, stream_id: &str, key: &str) -> bool {
        dialback::verifies(&self.settings.secret, receiving, originating, stream_id, key)
    }

    /// Counts an incoming stream from `remote` until the guard is dropped.
    pub(crate) fn incoming_stream(&self, remote: &str) -> IncomingStream<'_> {
        *self
            .incoming
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(remote.to_owned())
            .or_default() += 1;
        IncomingStream {
            s2s: self,
            remote: remote.to_owned(),
        }
    }

    fn count_bounced(&self, n: usize) {
        self.bounced.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The federation series, in the Prometheus text format.
    pub(crate) fn metrics_text(&self) -> String {
        use crate::core::metrics::Text;
        use std::collections::BTreeMap;
        let mut out_streams: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let links: Vec<Arc<Link>> = self.links_table().values().cloned().collect();
        for l in links {
            let (up, waiting) = l.status();
            let e = out_streams.entry(l.remote.clone()).or_default();
            e.0 += usize::from(up);
            e.1 += waiting;
        }
        let incoming: BTreeMap<String, usize> = self
            .incoming
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(d, n)| (d.clone(), *n))
            .collect();
        let mut t = Text::default();
        t.family(
            "meerkat_s2s_outgoing_streams",
            "gauge",
            "Authenticated streams this node opened to other servers, by remote domain.",
        );
        for (domain, (up, _)) in &out_streams {
            t.sample("meerkat_s2s_outgoing_streams", &[("remote", domain)], up);
        }
        t.family(
            "meerkat_s2s_incoming_streams",
            "gauge",
            "Authenticated streams other servers opened to this node, by remote domain.",
        );
        for (domain, n) in &incoming {
            t.sample("meerkat_s2s_incoming_streams", &[("remote", domain)], n);
        }
        t.family(
            "meerkat_s2s_queued_stanzas",
            "gauge",
            "Stanzas waiting for a stream to another server, by remote domain.",
        );
        for (domain, (_, waiting)) in &out_streams {
            t.sample("meerkat_s2s_queued_stanzas", &[("remote", domain)], waiting);
        }
        t.family(
            "meerkat_s2s_bounced_total",
            "counter",
            "Stanzas for other servers bounced because no stream could carry them (refused by policy not counted).",
        );
        t.sample("meerkat_s2s_bounced_total", &[], self.bounced.load(Ordering::Relaxed));
        t.0
    }

    /// Whether federation with `domain` is allowed.
    pub fn allows(&self, domain: &str) -> bool {
        self.settings.policy.allows(domain)
    }

    fn links_table(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<Link>>> {
        // The table is consistent after every write, even one that panicked midway.
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn link(&self, local: &str, remote: &str) -> Arc<Link> {
        self.links_table()
            .entry((local.to_owned(), remote.to_owned()))
            .or_insert_with(|| Arc::new(Link::new(local, remote)))
            .clone()
    }
}

#[async_trait]
impl Service for S2s {
    async fn handle(&self, core: &Core, stanza: Routed) -> Result<(), RouteError> {
        let remote = stanza.to.domain().as_str().to_owned();
        let local = stanza.from.domain().as_str().to_owned();
        let Some((weak, dialer)) = self.started.get() else {
            core.bounce(
                &stanza.to,
                &stanza.stanza,
                StanzaError::new(Condition::RemoteServerNotFound),
            )
            .await;
            return Ok(());
        };
        if !self.allows(&remote) {
            let error = StanzaError::new(Condition::NotAllowed)
                .with_text(format!("this server does not federate with {remote}"));
            core.bounce(&stanza.to, &stanza.stanza, error).await;
            return Ok(());
        }
        if !core.router.serves(&local) {
            // Only this server's own domains send to other servers; a relayed stanza has
            // no business here.
            core.bounce(&stanza.to, &stanza.stanza, StanzaError::new(Condition::NotAllowed))
                .await;
            return Ok(());
        }
        // The sender keeps its copy of a one-to-one message before it leaves, as for a
        // local recipient; the remote server archives the other copy.
        if stanza.stanza.name == "message" && core.archives(&stanza.stanza) && core.accounts.serves(&local) {
            let keepers = Keepers::SenderAndRecipient {
                recipient_is_local: false,
            };
            let (_, commit) = core
                .archive_chat(&stanza.from.to_bare(), &stanza.to.to_bare(), &stanza.stanza, keepers)
                .await?;
            commit.wait().await?;
        }
        let link = self.link(&local, &remote);
        if let Err((refused, condition)) = link.push(stanza.stanza, &self.settings) {
            self.count_bounced(1);
            core.bounce(&stanza.to, &refused, StanzaError::new(condition)).await;
            return Ok(());
        }
        if link.should_dial() {
            tokio::spawn(link::drive(link, weak.clone(), dialer.clone(), self.settings.clone()));
        }
        Ok(())
    }
}

/// Why a stanza from another server ends its stream (RFC 6120 §4.9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum IncomingViolation {
    /// No `from`, a `from` that is not a JID, or one whose domain the stream has not
    /// authenticated (for that `to`).
    #[error("the 'from' is not a domain this stream authenticated")]
    InvalidFrom,
    /// A `to` missing, not a JID, or in no domain this server serves.
    #[error("the 'to' is not served here")]
    HostUnknown,
    /// A domain the policy refuses.
    #[error("this server does not federate with that domain")]
    PolicyViolation,
}

impl IncomingViolation {
    /// The stream error condition.
    pub fn condition(self) -> &'static str {
        match self {
            IncomingViolation::InvalidFrom => "invalid-from",
            IncomingViolation::HostUnknown => "host-unknown",
            IncomingViolation::PolicyViolation => "policy-violation",
        }
    }
}

/// The addresses of a stanza that arrived from another server: its `from`, and the
/// domain of its `to`, checked against the stream's authenticated pairs (remote domain,
/// local domain) with `authenticated`.
pub(crate) fn check_incoming(
    core: &Core,
    stanza: &Element,
    authenticated: impl Fn(&str, &str) -> bool,
) -> Result<(Jid, Jid), IncomingViolation> {
    let from = stanza
        .attr("from")
        .and_then(|f| crate::core::jid::parse(f).ok())
        .ok_or(IncomingViolation::InvalidFrom)?;
    let to = stanza
        .attr("to")
        .and_then(|t| crate::core::jid::parse(t).ok())
        .ok_or(IncomingViolation::HostUnknown)?;
    if !core.router.serves(to.domain().as_str()) {
        return Err(IncomingViolation::HostUnknown);
    }
    if !authenticated(from.domain().as_str(), to.domain().as_str()) {
        return Err(IncomingViolation::InvalidFrom);
    }
    if !core.s2s.as_ref().is_some_and(|s| s.allows(from.domain().as_str())) {
        return Err(IncomingViolation::PolicyViolation);
    }
    Ok((from, to))
}

impl Core {
    /// The outgoing side of federation, when `[s2s]` is on.
    pub(crate) fn s2s(&self) -> Option<&S2s> {
        self.s2s.as_deref()
    }

    /// Whether `domain` is one this server federates for: a served host, or the domain of
    /// one of its services or attached components.
    pub(crate) fn federates_for(&self, domain: &str) -> bool {
        self.router.serves(domain)
    }

    /// Starts federation: from now on stanzas for remote domains go out through
    /// `dialer`. Without it they are bounced with `remote-server-not-found`. Once only.
    pub(crate) fn federate(self: &Arc<Self>, dialer: Arc<dyn Dialer>) {
        if let Some(s2s) = &self.s2s {
            if s2s.started.set((Arc::downgrade(self), dialer)).is_err() {
                tracing::warn!("federation was started twice; kept the first dialer");
            }
        }
    }

    /// Routes a stanza that arrived from another server, once its addresses passed
    /// [`check_incoming`]: as from any sender, with its `to` as written.
    pub(crate) async fn route_from_remote(&self, from: Jid, stanza: Element) {
        if let Err(e) = self.route(from, stanza).await {
            tracing::warn!(error = %e, "a stanza from another server could not be routed");
        }
    }
}

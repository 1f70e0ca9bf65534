//! External components (XEP-0114, Jabber Component Protocol), the core side: what the
//! component door calls once it has read a stream header and a handshake.
//!
//! - [`authenticate`]: the handshake of XEP-0114 §3, `hex(SHA-1(stream id ‖ secret))`,
//!   compared in constant time. Failures are counted by the shared failed-login throttle
//!   ([`Door::Component`], the component's domain standing for the account), which
//!   refuses an address (or a domain from it) that failed too often before looking at
//!   the digest, so the secret cannot be guessed faster than the throttle allows.
//! - [`connect`]: the component owns its domain on the router from then on (stanzas to
//!   the domain or any JID in it are queued for its stream) until [`disconnect`]. A
//!   served host, or the domain of a service of this server, is never given away; a
//!   domain already connected is refused or taken over, as the listener says.
//! - [`from_component`]: a stanza the component sent is routed as coming from its
//!   `from`, which must be in the component's domain when `check_from` is on. A stanza
//!   without `from` or `to` is a stream error (`improper-addressing`), one from another
//!   domain too (`invalid-from`).
//!
//! The queue towards the component is bounded in stanzas and bytes like a session's: a
//! component that cannot keep up is disconnected (`resource-constraint`), never
//! buffered without bound.

use super::router::{AttachError, OnConflict, RouteError, Routed, Service};
use crate::core::account::throttle::Door;
use crate::core::session::Kick;
use crate::core::stanza::{Condition, StanzaError};
use crate::core::Core;
use crate::xml::Element;
use async_trait::async_trait;
use jid::Jid;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, Notify};

/// How a component listener treats the components it connects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ComponentOptions {
    /// Stanzas from the component must come from its domain.
    pub check_from: bool,
    /// Left out of the servers' disco#items.
    pub hidden: bool,
    /// A second connection for a connected domain: refused, or the first one is kicked.
    pub on_conflict: OnConflict,
    /// Stanzas queued for the component's stream before it counts as too slow.
    pub queue_len: usize,
    /// The same bound in bytes.
    pub queue_bytes: usize,
}

/// Why a handshake was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HandshakeError {
    /// The digest does not match the secret (or is not a SHA-1 digest in hex).
    #[error("the handshake does not match the secret")]
    NotAuthorized,
    /// Too many failures from this address (or for this domain from it), lately.
    #[error("too many failed handshakes from this address; try again in {} s", .0.as_secs().max(1))]
    Throttled(Duration),
}

/// Why a stanza from a component ends its stream (RFC 6120 §4.9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Violation {
    /// No `from` or no `to`: a component must address both ends itself.
    #[error("a stanza from a component needs both 'from' and 'to'")]
    ImproperAddressing,
    /// A `from` that is not a JID, or (with `check_from`) not in the component's domain.
    #[error("the 'from' is not in the component's domain")]
    InvalidFrom,
}

impl Violation {
    /// The stream error condition.
    pub fn condition(self) -> &'static str {
        match self {
            Violation::ImproperAddressing => "improper-addressing",
            Violation::InvalidFrom => "invalid-from",
        }
    }
}

/// The digest a component proves its secret with (XEP-0114 §3): lower-case hex of
/// SHA-1 over the stream id followed by the secret.
pub(crate) fn handshake_digest(stream_id: &str, secret: &str) -> String {
    use sha1::{Digest, Sha1};
    let digest = Sha1::new()
        .chain_update(stream_id.as_bytes())
        .chain_update(secret.as_bytes())
        .finalize();
    crate::core::hex(&digest)
}

/// Whether `offered` (hex, either case, surrounding white space ignored) is the digest of
/// `stream_id` and `secret`. Compared in constant time.
fn handshake_matches(stream_id: &str, secret: &str, offered: &str) -> bool {
    let expected = handshake_digest(stream_id, secret);
    let offered = offered.trim().to_ascii_lowercase();
    // The length is no secret (every digest has 40 digits); the content is.
    offered.len() == expected.len() && bool::from(offered.as_bytes().ct_eq(expected.as_bytes()))
}

/// Whether `domain` (prepped) may be claimed by a component at all: not a served host,
/// not the domain of one of this server's own services.
pub(crate) fn claimable(core: &Core, domain: &str) -> bool {
    !core.accounts.serves(domain) && !core.router.is_registered(domain)
}

/// Checks the handshake of a component connecting from `peer` for `domain` on a stream
/// with `stream_id`, against the listener's `secret`.
pub(crate) fn authenticate(
    core: &Core,
    peer: IpAddr,
    domain: &str,
    stream_id: &str,
    secret: &str,
    offered: &str,
) -> Result<(), HandshakeError> {
    core.throttle
        .check(peer, Some(domain), Door::Component)
        .map_err(HandshakeError::Throttled)?;
    if handshake_matches(stream_id, secret, offered) {
        core.throttle.succeeded(peer, domain);
        Ok(())
    } else {
        core.throttle.failed(peer, Some(domain), Door::Component);
        Err(HandshakeError::NotAuthorized)
    }
}

/// A connected component: the router's owner of its domain, and the queue its stream's
/// writer reads.
pub(crate) struct Component {
    pub domain: String,
    check_from: bool,
    queue: mpsc::Sender<(Element, usize)>,
    queued_bytes: Arc<AtomicUsize>,
    max_bytes: usize,
    /// Set with the first kick: nothing more is queued after it.
    ended: AtomicBool,
    kick: Mutex<Option<Kick>>,
    kicked: Notify,
}

/// The receiving end of a component's queue.
pub(crate) struct ComponentInbox {
    rx: mpsc::Receiver<(Element, usize)>,
    queued_bytes: Arc<AtomicUsize>,
}

impl ComponentInbox {
    /// The next stanza; `None` once the component is gone.
    pub async fn recv(&mut self) -> Option<Element> {
        let (stanza, size) = self.rx.recv().await?;
        self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        Some(stanza)
    }

    /// A stanza already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Element> {
        let (stanza, size) = self.rx.try_recv().ok()?;
        self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        Some(stanza)
    }
}

impl Component {
    /// Queues `stanza` for the stream; gives it back when it cannot be queued. A full
    /// queue (in stanzas or bytes) kicks the component: it cannot keep up.
    fn send(&self, stanza: Element) -> Result<(), Element> {
        if self.ended.load(Ordering::Acquire) {
            return Err(stanza);
        }
        let size = stanza.approx_size();
        let queued = self.queued_bytes.fetch_add(size, Ordering::AcqRel) + size;
        let refused = if queued > self.max_bytes {
            stanza
        } else {
            match self.queue.try_send((stanza, size)) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::TrySendError::Full((s, _)) | mpsc::error::TrySendError::Closed((s, _))) => s,
            }
        };
        self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        if self.kick(Kick::TooSlow) {
            tracing::warn!(domain = %self.domain, "component queue full; disconnecting it");
        }
        Err(refused)
    }

    /// Tells the component's stream to end with `reason` (the first reason wins);
    /// `true` when this call was the first.
    pub fn kick(&self, reason: Kick) -> bool {
        let mut k = self.kick.lock().unwrap_or_else(|p| p.into_inner());
        if k.is_some() {
            return false;
        }
        *k = Some(reason);
        self.ended.store(true, Ordering::Release);
        self.kicked.notify_one();
        true
    }

    /// Waits until the component is kicked, then says why.
    pub async fn kicked(&self) -> Kick {
        loop {
            let notified = self.kicked.notified();
            if let Some(k) = *self.kick.lock().unwrap_or_else(|p| p.into_inner()) {
                return k;
            }
            notified.await;
        }
    }
}

#[async_trait]
impl Service for Component {
    async fn handle(&self, core: &Core, Routed { from, to, mut stanza }: Routed) -> Result<(), RouteError> {
        // XEP-0114 §3: the component is told both ends of every stanza.
        if stanza.attr("from").is_none() {
            stanza.set_attr("from", from.to_string());
        }
        if stanza.attr("to").is_none() {
            stanza.set_attr("to", to.to_string());
        }
        if let Err(stanza) = self.send(stanza) {
            core.bounce(&to, &stanza, StanzaError::new(Condition::ServiceUnavailable))
                .await;
        }
        Ok(())
    }

    fn displaced(&self, why: Kick) {
        self.kick(why);
    }
}

/// Makes the authenticated component the owner of `domain` (prepped) on the router.
pub(crate) fn connect(
    core: &Core,
    domain: &str,
    options: ComponentOptions,
) -> Result<(Arc<Component>, ComponentInbox), AttachError> {
    let (tx, rx) = mpsc::channel(options.queue_len.max(1));
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let component = Arc::new(Component {
        domain: domain.to_owned(),
        check_from: options.check_from,
        queue: tx,
        queued_bytes: queued_bytes.clone(),
        max_bytes: options.queue_bytes,
        ended: AtomicBool::new(false),
        kick: Mutex::new(None),
        kicked: Notify::new(),
    });
    let service: Arc<dyn Service> = component.clone();
    core.router
        .attach(domain, service, options.hidden, options.on_conflict)?;
    if let Some(c) = core.cluster.get() {
        c.component(domain, options.hidden, true);
    }
    tracing::info!(domain, "external component connected");
    Ok((component, ComponentInbox { rx, queued_bytes }))
}

/// The component's stream ended: its domain is no longer served (unless another
/// connection took it over already).
pub(crate) fn disconnect(core: &Core, component: &Arc<Component>) {
    component.ended.store(true, Ordering::Release);
    let service: Arc<dyn Service> = component.clone();
    core.router.detach(&component.domain, &service);
    if let (Some(c), false) = (core.cluster.get(), core.router.serves(&component.domain)) {
        c.component(&component.domain, false, false);
    }
    tracing::info!(domain = %component.domain, "external component disconnected");
}

/// A stanza the component sent (in `jabber:client` terms), routed as coming from its
/// `from`. An `Err` ends the component's stream with that condition.
pub(crate) async fn from_component(core: &Core, component: &Component, stanza: Element) -> Result<(), Violation> {
    let (Some(from), Some(_)) = (stanza.attr("from"), stanza.attr("to")) else {
        return Err(Violation::ImproperAddressing);
    };
    let from = crate::core::jid::parse(from).map_err(|_| Violation::InvalidFrom)?;
    if component.check_from && from.domain().as_str() != component.domain {
        return Err(Violation::InvalidFrom);
    }
    let stub = crate::core::stanza::stub(&stanza);
    if let Err(e) = core.route(from.clone(), stanza).await {
        tracing::error!(domain = %component.domain, error = %e, "routing a component's stanza failed");
        let error = StanzaError::new(Condition::InternalServerError);
        core.bounce(&Jid::from(from.to_bare()), &stub, error).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stanza::ns;
    use crate::core::testkit::{condition, xml, Harness};

    const ECHO: &str = "echo.localhost";

    fn options(on_conflict: OnConflict) -> ComponentOptions {
        ComponentOptions {
            check_from: true,
            hidden: false,
            on_conflict,
            queue_len: 10,
            queue_bytes: 1 << 20,
        }
    }

    fn items(h: &Harness, host: &str) -> Vec<String> {
        h.core.router.components_of(host)
    }

    #[test]
    fn the_handshake_is_sha1_of_the_stream_id_and_the_secret_in_hex() {
        // The stream id of XEP-0114 §3's example with the secret "secret"; the expected
        // value computed independently (Python's hashlib).
        let digest = handshake_digest("3BF96D32", "secret");
        assert_eq!(digest, "b09ea9b3b7f586be8a08d0a3dd7466f110aeb136");
        assert!(handshake_matches("3BF96D32", "secret", &digest));
        assert!(handshake_matches(
            "3BF96D32",
            "secret",
            &format!(" {}\n", digest.to_uppercase())
        ));
        assert!(!handshake_matches("3BF96D32", "Secret", &digest));
        assert!(!handshake_matches("3BF96D33", "secret", &digest));
        assert!(!handshake_matches("3BF96D32", "secret", &digest[..39]));
        assert!(!handshake_matches("3BF96D32", "secret", ""));
    }

    #[tokio::test]
    async fn wrong_handshakes_are_counted_and_then_even_the_right_one_is_refused() {
        let h = Harness::new(&[]).await;
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let right = handshake_digest("id1", "s3cret");
        for _ in 0..5 {
            assert_eq!(
                authenticate(&h.core, ip, ECHO, "id1", "s3cret", "00"),
                Err(HandshakeError::NotAuthorized)
            );
        }
        assert!(matches!(
            authenticate(&h.core, ip, ECHO, "id1", "s3cret", &right),
            Err(HandshakeError::Throttled(_))
        ));
        let elsewhere: IpAddr = "10.0.0.8".parse().unwrap();
        assert_eq!(authenticate(&h.core, elsewhere, ECHO, "id1", "s3cret", &right), Ok(()));
    }

    #[tokio::test]
    async fn a_connected_component_gets_stanzas_for_its_domain_and_its_answers_reach_users() {
        let h = Harness::new(&["alice"]).await;
        let mut alice = h.online("alice@localhost/a").await;
        let (echo, mut inbox) = connect(&h.core, ECHO, options(OnConflict::Refuse)).unwrap();
        h.send(
            &alice,
            "<message to='bot@echo.localhost' type='chat' id='m1'><body>hi</body></message>",
        )
        .await;
        let got = inbox.try_recv().expect("queued for the component");
        assert_eq!(got.attr("from"), Some("alice@localhost/a"));
        assert_eq!(got.attr("to"), Some("bot@echo.localhost"));
        let reply =
            xml("<message from='bot@echo.localhost' to='alice@localhost/a' type='chat'><body>hi</body></message>");
        assert_eq!(from_component(&h.core, &echo, reply).await, Ok(()));
        let back = alice.take_one();
        assert_eq!(back.attr("from"), Some("bot@echo.localhost"));
        assert_eq!(back.child("body", ns::CLIENT).map(|b| b.text()).as_deref(), Some("hi"));
        assert!(h.core.router.serves(ECHO));

        disconnect(&h.core, &echo);
        assert!(!h.core.router.serves(ECHO));
        h.send(
            &alice,
            "<message to='bot@echo.localhost' type='chat'><body>x</body></message>",
        )
        .await;
        assert_eq!(condition(&alice.take_one()).as_deref(), Some("remote-server-not-found"));
    }

    #[tokio::test]
    async fn a_component_speaks_only_for_its_own_domain_unless_told_otherwise() {
        let h = Harness::new(&["alice"]).await;
        let mut alice = h.online("alice@localhost/a").await;
        let (echo, _inbox) = connect(&h.core, ECHO, options(OnConflict::Refuse)).unwrap();
        for (stanza, violation) in [
            (
                "<message from='alice@localhost' to='alice@localhost'><body>x</body></message>",
                Violation::InvalidFrom,
            ),
            (
                "<message from='bot@sub.echo.localhost' to='alice@localhost'><body>x</body></message>",
                Violation::InvalidFrom,
            ),
            ("<message from='@@' to='alice@localhost'/>", Violation::InvalidFrom),
            (
                "<message to='alice@localhost'><body>x</body></message>",
                Violation::ImproperAddressing,
            ),
            (
                "<message from='echo.localhost'><body>x</body></message>",
                Violation::ImproperAddressing,
            ),
        ] {
            assert_eq!(
                from_component(&h.core, &echo, xml(stanza)).await,
                Err(violation),
                "{stanza}"
            );
        }
        assert!(alice.take().is_empty(), "nothing was routed");
        disconnect(&h.core, &echo);

        let trusted = ComponentOptions {
            check_from: false,
            ..options(OnConflict::Refuse)
        };
        let (echo, _inbox) = connect(&h.core, ECHO, trusted).unwrap();
        let spoofed =
            xml("<message from='admin@example.com' to='alice@localhost/a' type='chat'><body>x</body></message>");
        assert_eq!(from_component(&h.core, &echo, spoofed).await, Ok(()));
        assert_eq!(alice.take_one().attr("from"), Some("admin@example.com"));
    }

    #[tokio::test]
    async fn served_domains_are_never_given_and_a_second_connection_is_refused_or_takes_over() {
        let h = Harness::new(&[]).await;
        for served in ["localhost", "example.com", "muclight.localhost"] {
            assert!(!claimable(&h.core, served), "{served}");
            assert_eq!(
                connect(&h.core, served, options(OnConflict::Replace)).err(),
                Some(AttachError::Served)
            );
        }
        assert!(claimable(&h.core, ECHO));
        let (first, _in1) = connect(&h.core, ECHO, options(OnConflict::Refuse)).unwrap();
        assert_eq!(
            connect(&h.core, ECHO, options(OnConflict::Refuse)).err(),
            Some(AttachError::Taken)
        );
        assert!(
            futures::FutureExt::now_or_never(first.kicked()).is_none(),
            "the first stays"
        );

        let (second, _in2) = connect(&h.core, ECHO, options(OnConflict::Replace)).unwrap();
        assert_eq!(futures::FutureExt::now_or_never(first.kicked()), Some(Kick::Conflict));
        // The displaced connection's end does not take the domain from its successor.
        disconnect(&h.core, &first);
        assert!(h.core.router.serves(ECHO));
        disconnect(&h.core, &second);
        assert!(!h.core.router.serves(ECHO));
    }

    #[tokio::test]
    async fn connected_components_are_listed_by_their_host_unless_hidden() {
        let h = Harness::new(&[]).await;
        let before = items(&h, "localhost");
        let (echo, _a) = connect(&h.core, ECHO, options(OnConflict::Refuse)).unwrap();
        let (other, _b) = connect(&h.core, "bridge.elsewhere.org", options(OnConflict::Refuse)).unwrap();
        let hidden = ComponentOptions {
            hidden: true,
            ..options(OnConflict::Refuse)
        };
        let (secret, _c) = connect(&h.core, "helper.localhost", hidden).unwrap();
        let local = items(&h, "localhost");
        assert!(local.contains(&ECHO.to_owned()) && local.contains(&"bridge.elsewhere.org".to_owned()));
        assert!(!local.contains(&"helper.localhost".to_owned()), "hidden");
        let other_host = items(&h, "example.com");
        assert!(!other_host.contains(&ECHO.to_owned()), "a subdomain of another host");
        assert!(other_host.contains(&"bridge.elsewhere.org".to_owned()));
        for c in [&echo, &other, &secret] {
            disconnect(&h.core, c);
        }
        assert_eq!(items(&h, "localhost"), before);
    }

    #[tokio::test]
    async fn a_component_that_does_not_read_is_disconnected_not_buffered() {
        let h = Harness::new(&["alice"]).await;
        let mut alice = h.online("alice@localhost/a").await;
        let small = ComponentOptions {
            queue_len: 2,
            ..options(OnConflict::Refuse)
        };
        let (echo, _inbox) = connect(&h.core, ECHO, small).unwrap();
        for i in 0..3 {
            h.send(
                &alice,
                &format!("<iq to='echo.localhost' type='get' id='q{i}'><query xmlns='jabber:iq:version'/></iq>"),
            )
            .await;
        }
        assert_eq!(futures::FutureExt::now_or_never(echo.kicked()), Some(Kick::TooSlow));
        assert_eq!(condition(&alice.take_one()).as_deref(), Some("service-unavailable"));
    }

    #[tokio::test]
    async fn shutting_down_tells_connected_components() {
        let h = Harness::new(&[]).await;
        let (echo, _inbox) = connect(&h.core, ECHO, options(OnConflict::Refuse)).unwrap();
        h.core.shutdown();
        assert_eq!(futures::FutureExt::now_or_never(echo.kicked()), Some(Kick::Shutdown));
    }
}

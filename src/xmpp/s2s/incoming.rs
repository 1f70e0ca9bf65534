//! Streams other servers open here (RFC 6120 §4, §5, §6; XEP-0220; XEP-0178; XEP-0344).
//!
//! 1. The header must be in `jabber:server` (`<invalid-namespace/>`), version 1
//!    (`<unsupported-version/>`), to a domain this server federates for
//!    (`<host-unknown/>`). The answer carries a fresh stream id.
//! 2. Features: STARTTLS (required unless `use_starttls` is `false` or `optional`);
//!    once secure, SASL EXTERNAL when the certificate verifies for the header's `from`;
//!    dialback once secure (or when TLS is not required).
//! 3. Each `<db:result/>` authenticates one pair (remote domain, local domain): at once
//!    when the certificate verifies for the remote domain, else by asking that domain's
//!    authoritative server (`outgoing::verify_key`), which the stream waits for.
//!    `required_trusted` accepts only the first way. An invalid key on a stream with
//!    nothing authenticated ends it (`<not-authorized/>`).
//! 4. `<db:verify/>` asks whether a key this server sent is right: answered on any stream.
//! 5. Stanzas before any pair is authenticated: `<not-authorized/>`. After: their
//!    addresses must match an authenticated pair (`crate::core::s2s::check_incoming`).
//!
//! Until the first pair is authenticated the stream has `negotiation_timeout`; after,
//! it is closed when silent for `idle_timeout`.

use super::protocol::{self, DIALBACK_FEATURE_NS, DIALBACK_NS, SERVER_NS};
use super::tls::Contexts;
use super::wire::{Conn, Limits, Wire, TLS_TIMEOUT};
use super::S2sDoor;
use crate::config::UseStarttls;
use crate::core::s2s::IncomingStream;
use crate::core::stanza::ns;
use crate::core::untrusted::Untrusted;
use crate::xml::{Element, StreamEvent, XmlError};
use crate::xmpp::stream::{into_client_ns, Framing, StreamError};
use base64::Engine;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// What one listener's streams share.
pub(super) struct Settings {
    /// TLS from the first byte (XEP-0368) instead of STARTTLS.
    pub direct_tls: bool,
    /// The listener's own certificate, when it names one (else the door's).
    pub own_tls: Option<Arc<Contexts>>,
    pub negotiation_timeout: Duration,
    pub idle_timeout: Duration,
    pub limits: Limits,
}

fn failure(condition: &'static str, text: impl Into<String>) -> StreamError {
    StreamError::with_text(condition, text)
}

/// How a stream ended, when not by a stream error.
enum Ended {
    /// The peer closed its stream: we close ours.
    Closed,
    /// The connection is gone: nothing to write.
    Gone,
}

struct Incoming<'a> {
    door: &'a S2sDoor,
    tls: Option<&'a Contexts>,
    id: String,
    header_sent: bool,
    /// The local domain the current stream header named.
    local: String,
    /// The remote domain the header's `from` named, if any.
    claimed: Option<String>,
    /// Authenticated (remote domain, local domain) pairs.
    pairs: HashSet<(String, String)>,
    /// Keeps each authenticated remote domain counted while the stream lives.
    counted: Vec<IncomingStream<'a>>,
    deadline: Instant,
    idle: Duration,
}

/// Serves one connection from another server, from its first byte to its end.
pub(super) async fn serve(door: Arc<S2sDoor>, settings: Arc<Settings>, socket: TcpStream, peer: SocketAddr) {
    let tls = settings.own_tls.as_deref().or(door.tls.as_ref());
    let mut wire = if settings.direct_tls {
        let Some(tls) = tls else { return };
        match tokio::time::timeout(TLS_TIMEOUT, tls.accept(socket)).await {
            Ok(Ok((stream, cert))) => Wire::new(Conn::Tls(Box::new(stream)), settings.limits, Some(cert)),
            _ => {
                tracing::debug!(%peer, "s2s TLS handshake failed");
                return;
            }
        }
    } else {
        Wire::new(Conn::Plain(socket), settings.limits, None)
    };
    let mut stream = Incoming {
        door: &door,
        tls,
        id: new_id(),
        header_sent: false,
        local: door.core.default_host().to_owned(),
        claimed: None,
        pairs: HashSet::new(),
        counted: Vec::new(),
        deadline: Instant::now() + settings.negotiation_timeout,
        idle: settings.idle_timeout,
    };
    let ending = stream.run(&mut wire).await;
    let mut last = String::new();
    if !stream.header_sent && !matches!(ending, Ok(Ended::Gone)) {
        // RFC 6120 §4.9.1.1: an error before our header still opens the stream first.
        last.push_str(&protocol::header(&stream.local, None, Some(&stream.id)));
    }
    match &ending {
        Err(f) => {
            tracing::debug!(%peer, condition = f.condition, text = ?f.text, "s2s stream refused");
            last.push_str(&f.frames(Framing::Tcp).concat());
        }
        Ok(Ended::Closed) => last.push_str(&Framing::Tcp.close()),
        Ok(Ended::Gone) => {}
    }
    drop(stream);
    wire.finish(&last).await;
}

fn new_id() -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A bare domain from an attribute, prepped.
fn domain_of(value: Option<&str>) -> Option<String> {
    let j = crate::core::jid::parse(value?).ok()?;
    (j.node().is_none() && j.resource().is_none()).then(|| j.domain().as_str().to_owned())
}

impl Incoming<'_> {
    /// Reads the next event: within the negotiation deadline until a pair is
    /// authenticated, then within the idle timeout.
    async fn next(&self, wire: &mut Wire) -> Result<StreamEvent, StreamError> {
        let read = wire.next();
        let event = if self.pairs.is_empty() {
            tokio::time::timeout_at(self.deadline, read).await
        } else {
            tokio::time::timeout(self.idle, read).await
        };
        match event {
            Err(_) => Err(failure(
                "connection-timeout",
                "nothing authenticated in time, or silent too long",
            )),
            Ok(Ok(e)) => Ok(e),
            Ok(Err(XmlError::Eof | XmlError::Io(_))) => Ok(StreamEvent::Close),
            Ok(Err(e)) => Err(e.into()),
        }
    }

    async fn send(&self, wire: &mut Wire, text: &str) -> Result<(), StreamError> {
        wire.send(text)
            .await
            .map_err(|_| failure("connection-timeout", "the peer does not read"))
    }

    async fn run(&mut self, wire: &mut Wire) -> Result<Ended, StreamError> {
        'stream: loop {
            let open = match self.next(wire).await? {
                StreamEvent::Open(open) => open,
                StreamEvent::Close => return Ok(Ended::Gone),
                _ => return Err(failure("not-well-formed", "expected a stream header")),
            };
            self.open(wire, &open).await?;
            loop {
                let el = match self.next(wire).await? {
                    StreamEvent::Stanza(el) => el,
                    StreamEvent::KeepAlive => continue,
                    StreamEvent::Close => return Ok(Ended::Closed),
                    StreamEvent::Open(_) => return Err(failure("not-well-formed", "a second stream header")),
                };
                if el.is("starttls", ns::TLS) {
                    self.starttls(wire).await?;
                    continue 'stream;
                }
                if el.is("auth", ns::SASL) {
                    if self.external(wire, &el).await? {
                        wire.restart();
                        continue 'stream;
                    }
                    continue;
                }
                if el.is("result", DIALBACK_NS) {
                    self.db_result(wire, &el).await?;
                    continue;
                }
                if el.is("verify", DIALBACK_NS) {
                    self.db_verify(wire, &el).await?;
                    continue;
                }
                self.stanza(el).await?;
            }
        }
    }

    /// Checks a stream header, answers it, offers the features.
    async fn open(&mut self, wire: &mut Wire, open: &Element) -> Result<(), StreamError> {
        if open.attr("xmlns") != Some(SERVER_NS) {
            return Err(failure("invalid-namespace", "expected jabber:server"));
        }
        let core = &self.door.core;
        match open.attr("to") {
            None => {}
            Some(to) => match domain_of(Some(to)) {
                Some(d) if core.federates_for(&d) => self.local = d,
                _ => return Err(failure("host-unknown", "this server does not serve that domain")),
            },
        }
        let major = open
            .attr("version")
            .and_then(|v| v.split('.').next()?.parse::<u32>().ok());
        if major != Some(1) {
            return Err(failure("unsupported-version", "version 1.0 is required"));
        }
        self.claimed = domain_of(open.attr("from"));
        let header = protocol::header(&self.local, self.claimed.as_deref(), Some(&self.id));
        self.header_sent = true;
        let features = self.features(wire);
        let text = format!("{header}{}", Framing::Tcp.stream_element("features", &features));
        self.send(wire, &text).await
    }

    fn features(&self, wire: &Wire) -> Vec<Element> {
        let mut f = Vec::new();
        let required = self.door.tls_required();
        if !wire.is_secure() && self.tls.is_some() {
            let mut starttls = Element::new("starttls", ns::TLS);
            if required {
                starttls = starttls.with_child(Element::new("required", ns::TLS));
            }
            f.push(starttls);
        }
        if wire.is_secure() {
            let verified = match (&wire.cert, &self.claimed) {
                (Some(cert), Some(domain)) => cert.verifies_for(domain),
                _ => false,
            };
            if verified && !self.pairs.iter().any(|(r, _)| Some(r) == self.claimed.as_ref()) {
                f.push(
                    Element::new("mechanisms", ns::SASL)
                        .with_child(Element::new("mechanism", ns::SASL).with_text("EXTERNAL")),
                );
            }
        }
        if wire.is_secure() || !required {
            f.push(
                Element::new("dialback", DIALBACK_FEATURE_NS).with_child(Element::new("errors", DIALBACK_FEATURE_NS)),
            );
        }
        f
    }

    async fn starttls(&mut self, wire: &mut Wire) -> Result<(), StreamError> {
        let Some(tls) = self.tls.filter(|_| !wire.is_secure()) else {
            return Err(failure("policy-violation", "STARTTLS is not offered here"));
        };
        self.send(wire, &format!("<proceed xmlns='{}'/>", ns::TLS)).await?;
        // Within the negotiation deadline too: a handshake that stalls ends with it.
        match tokio::time::timeout_at(self.deadline, wire.accept_tls(tls)).await {
            Ok(result) => result.map_err(|e| failure("undefined-condition", e)),
            Err(_) => Err(failure(
                "connection-timeout",
                "the TLS handshake did not finish in time",
            )),
        }
    }

    /// SASL EXTERNAL (XEP-0178 §3): succeeds when the certificate verifies for the
    /// domain asked for (the authorization identity, else the header's `from`).
    async fn external(&mut self, wire: &mut Wire, auth: &Element) -> Result<bool, StreamError> {
        let sasl_failure = |condition: &str| format!("<failure xmlns='{}'><{condition}/></failure>", ns::SASL);
        if auth.attr("mechanism") != Some("EXTERNAL") || !wire.is_secure() {
            self.send(wire, &sasl_failure("invalid-mechanism")).await?;
            return Ok(false);
        }
        let text = auth.text();
        let text = text.trim();
        let asked = if text.is_empty() || text == "=" {
            self.claimed.clone()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|d| domain_of(Some(&d)))
        };
        let ok = asked
            .as_deref()
            .is_some_and(|domain| wire.cert.as_ref().is_some_and(|c| c.verifies_for(domain)) && self.allows(domain));
        match asked.filter(|_| ok) {
            Some(domain) => {
                self.send(wire, &format!("<success xmlns='{}'/>", ns::SASL)).await?;
                let local = self.local.clone();
                self.authenticated(domain, local);
                Ok(true)
            }
            None => {
                self.send(wire, &sasl_failure("not-authorized")).await?;
                Ok(false)
            }
        }
    }

    fn allows(&self, remote: &str) -> bool {
        self.door.core.s2s().is_some_and(|s| s.allows(remote))
    }

    /// The pair (`remote`, `local`) may now send on this stream.
    fn authenticated(&mut self, remote: String, local: String) {
        tracing::debug!(remote = %remote, local = %local, "s2s domain authenticated");
        if !self.pairs.iter().any(|(r, _)| *r == remote) {
            if let Some(s2s) = self.door.core.s2s() {
                self.counted.push(s2s.incoming_stream(&remote));
            }
        }
        self.pairs.insert((remote, local));
    }

    /// `<db:result>KEY</db:result>`: the peer asks to be authenticated for a pair.
    async fn db_result(&mut self, wire: &mut Wire, el: &Element) -> Result<(), StreamError> {
        let Some((remote, local)) = protocol::domains(el) else {
            return Err(failure(
                "improper-addressing",
                "dialback needs a 'from' and a 'to' domain",
            ));
        };
        if !self.door.core.federates_for(&local) {
            let refusal = protocol::result_error(&local, &remote, "item-not-found");
            return self.send(wire, &refusal).await;
        }
        if !self.allows(&remote) {
            return self
                .send(wire, &protocol::result_error(&local, &remote, "forbidden"))
                .await;
        }
        if self.door.tls_required() && !wire.is_secure() {
            return Err(failure("policy-violation", "TLS is required before dialback"));
        }
        let key = el.text();
        let verified_cert = wire.cert.as_ref().is_some_and(|c| c.verifies_for(&remote));
        let valid = if verified_cert {
            // XEP-0344 §2.4: the certificate proves the domain; no callback needed.
            true
        } else if self.door.use_starttls == UseStarttls::RequiredTrusted {
            false
        } else {
            match super::outgoing::verify_key(self.door, &remote, &local, &self.id, key.trim()).await {
                Ok(valid) => valid,
                Err(e) => {
                    let text = e.to_string();
                    tracing::info!(%remote, error = %Untrusted(&text), "dialback: the authoritative server could not be asked");
                    let refusal = protocol::result_error(&local, &remote, "remote-connection-failed");
                    return self.send(wire, &refusal).await;
                }
            }
        };
        let kind = if valid { "valid" } else { "invalid" };
        self.send(
            wire,
            &protocol::dialback_xml(&protocol::result(&local, &remote, None, Some(kind))),
        )
        .await?;
        if valid {
            self.authenticated(remote, local);
        } else if self.pairs.is_empty() {
            return Err(failure("not-authorized", "the dialback key did not verify"));
        }
        Ok(())
    }

    /// `<db:verify id=…>KEY</db:verify>`: another server asks whether a key one of our
    /// domains sent it on stream `id` is right.
    async fn db_verify(&mut self, wire: &mut Wire, el: &Element) -> Result<(), StreamError> {
        let (Some((receiving, originating)), Some(id)) = (protocol::domains(el), el.attr("id")) else {
            return Err(failure("improper-addressing", "dialback needs 'from', 'to' and 'id'"));
        };
        let valid = self.door.core.federates_for(&originating)
            && self
                .door
                .core
                .s2s()
                .is_some_and(|s| s.dialback_verifies(&receiving, &originating, id, el.text().trim()));
        let kind = if valid { "valid" } else { "invalid" };
        let answer = protocol::verify(&originating, &receiving, id, None, Some(kind));
        self.send(wire, &protocol::dialback_xml(&answer)).await
    }

    async fn stanza(&mut self, mut el: Element) -> Result<(), StreamError> {
        let known_ns = el.ns == SERVER_NS || el.ns == ns::CLIENT;
        if !known_ns || !matches!(el.name.as_str(), "message" | "presence" | "iq") {
            return Err(failure(
                "unsupported-stanza-type",
                format!("<{}/> is not a stanza", el.name),
            ));
        }
        if self.pairs.is_empty() {
            return Err(failure("not-authorized", "no domain is authenticated on this stream"));
        }
        into_client_ns(&mut el, SERVER_NS);
        let core = &self.door.core;
        let pairs = &self.pairs;
        let authenticated = |r: &str, l: &str| pairs.contains(&(r.to_owned(), l.to_owned()));
        match crate::core::s2s::check_incoming(core, &el, authenticated) {
            Ok((from, _)) => {
                core.route_from_remote(from, el).await;
                Ok(())
            }
            Err(v) => Err(failure(v.condition(), v.to_string())),
        }
    }
}

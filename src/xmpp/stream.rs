//! One client stream, whatever carries it (RFC 6120 §4–§7; RFC 7395 for WebSocket;
//! XEP-0206 for BOSH):
//! stream headers, STARTTLS, SASL, resource binding, then the session loop that feeds
//! stanzas to the core and writes what the router queues for it.
//!
//! XEP-0198 stream management runs here too: the reader counts what it handles and
//! answers `<r/>`, the writer counts what it writes, keeps it until acknowledged
//! ([`SmState`]), asks for acks (every `ack_freq` stanzas, when `buffer_max` are
//! unacknowledged, and after `keepalive_interval` of silence) and stops writing at
//! `buffer_max` until the client acknowledges. A resumable session whose connection is
//! lost (or idles out, or is taken over by a resuming stream) is detached, not ended
//! (`Core::detach_session`); `<resume/>` before binding takes it back, retransmitting what
//! was not acknowledged. XEP-0352 `<active/>`/`<inactive/>` go to the core in order with
//! the stanzas around them.
//!
//! Transports implement [`Connection`] (bytes or WebSocket messages in, framed text out);
//! the [`Framing`] decides how headers, stream-level elements and errors are written.

use super::nonza::{self, Nonza};
use super::sasl::{self, SaslFailure, ScramServer};
use crate::core::account::scram::ScramHash;
use crate::core::account::throttle::Door;
use crate::core::routing::pipeline::Pipeline;
use crate::core::session::resumption::{Parked, Takeover};
use crate::core::session::stream_management::{self as sm, SmSettings, SmState};
use crate::core::session::{Inbox, Kick, OpenError, Session, SessionKind};
use crate::core::stanza::{self, ns, Condition, ErrorType, StanzaError};
use crate::core::Core;
use crate::xml::{escape_attr, Element, StreamEvent, XmlError};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use jid::{BareJid, FullJid};
use rand::Rng;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::time::Instant;

const CLIENT_NS: &str = ns::CLIENT;
const STREAM_NS: &str = ns::STREAM;
const TLS_NS: &str = ns::TLS;
const SASL_NS: &str = ns::SASL;
const BIND_NS: &str = ns::BIND;
const SESSION_NS: &str = ns::SESSION;
const SM_NS: &str = ns::SM;
const CSI_NS: &str = ns::CSI;
const STREAM_ERRORS_NS: &str = ns::STREAM_ERRORS;
pub(crate) const FRAMING_NS: &str = ns::FRAMING;
const HTTPBIND_NS: &str = ns::HTTPBIND;

/// SASL attempts allowed on one stream (RFC 6120 §6.4.5).
const MAX_AUTH_ATTEMPTS: u32 = 3;
/// Stanzas written in one go when several are queued.
const WRITE_BATCH: usize = 64;
/// How long a write may block before the peer counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the last words to a connection taken over by a resumed stream may take: it is
/// most likely dead.
const TAKEOVER_WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// Messages from the reader to the writer waiting at once (the reader waits beyond).
const CONTROL_QUEUE: usize = 64;

/// How stream-level constructs are written on a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// RFC 6120: one XML document per direction, `stream:` prefix declared on the header.
    Tcp,
    /// RFC 7395: one element per message, `<open/>`/`<close/>`.
    WebSocket,
    /// XEP-0206: stanzas travel inside BOSH `<body/>` wrappers. The stream header is the
    /// attributes a session creation response carries (`from`, `authid`,
    /// `xmpp:version`), written as an empty wrapper the BOSH session reads them from;
    /// the end of the stream is the terminating wrapper.
    Bosh,
}

impl Framing {
    /// The door logins on this transport come through, for the throttle's counts.
    fn door(self) -> Door {
        match self {
            Framing::Tcp => Door::C2s,
            Framing::WebSocket => Door::WebSocket,
            Framing::Bosh => Door::Bosh,
        }
    }

    /// What carries the sessions bound on this transport.
    fn session_kind(self) -> SessionKind {
        match self {
            Framing::Tcp => SessionKind::XmppTcp,
            Framing::WebSocket => SessionKind::XmppWebSocket,
            Framing::Bosh => SessionKind::XmppBosh,
        }
    }

    pub(crate) fn header(self, id: &str, from: &str) -> String {
        let mut from_attr = String::new();
        escape_attr(from, &mut from_attr);
        match self {
            Framing::Tcp => format!(
                "<?xml version='1.0'?><stream:stream xmlns='{CLIENT_NS}' xmlns:stream='{STREAM_NS}' \
                 id='{id}' from='{from_attr}' version='1.0' xml:lang='en'>"
            ),
            Framing::WebSocket => {
                format!("<open xmlns='{FRAMING_NS}' id='{id}' from='{from_attr}' version='1.0' xml:lang='en'/>")
            }
            Framing::Bosh => format!(
                "<body xmlns='{HTTPBIND_NS}' xmlns:xmpp='{}' authid='{id}' from='{from_attr}' xmpp:version='1.0'/>",
                ns::XBOSH
            ),
        }
    }

    /// A `stream:`-prefixed element (`features`, `error`).
    pub(crate) fn stream_element(self, name: &str, children: &[Element]) -> String {
        let mut out = format!("<stream:{name}");
        if self != Framing::Tcp {
            out.push_str(&format!(" xmlns:stream='{STREAM_NS}'"));
        }
        out.push('>');
        for c in children {
            c.write_to(&mut out, STREAM_NS);
        }
        out.push_str(&format!("</stream:{name}>"));
        out
    }

    pub(crate) fn stanza(self, el: &Element) -> String {
        match self {
            Framing::Tcp => el.to_xml(CLIENT_NS),
            Framing::WebSocket | Framing::Bosh => el.to_xml(""),
        }
    }

    pub(crate) fn close(self) -> String {
        match self {
            Framing::Tcp => "</stream:stream>".to_owned(),
            Framing::WebSocket => format!("<close xmlns='{FRAMING_NS}'/>"),
            Framing::Bosh => format!("<body xmlns='{HTTPBIND_NS}' type='terminate'/>"),
        }
    }

    /// A stream error and the end of the stream, as separate frames.
    pub(crate) fn error(self, condition: &str, text: Option<&str>) -> Vec<String> {
        self.error_with(condition, text, None)
    }

    /// [`Framing::error`] with an application-specific condition (RFC 6120 §4.9.4).
    pub(crate) fn error_with(self, condition: &str, text: Option<&str>, app: Option<&Element>) -> Vec<String> {
        let mut children = vec![Element::new(condition, STREAM_ERRORS_NS)];
        if let Some(t) = text {
            children.push(Element::new("text", STREAM_ERRORS_NS).with_text(t));
        }
        if let Some(a) = app {
            children.push(a.clone());
        }
        vec![self.stream_element("error", &children), self.close()]
    }
}

/// When the client last sent anything. Whitespace keepalives only become parser events
/// once the next element starts, so idleness is judged on bytes (or WebSocket frames)
/// received, not on events.
#[derive(Debug, Clone)]
pub(crate) struct Activity {
    base: std::time::Instant,
    last_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Activity {
    pub(crate) fn new() -> Self {
        Activity {
            base: std::time::Instant::now(),
            last_ms: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    pub(crate) fn touch(&self) {
        let now = self.base.elapsed().as_millis() as u64;
        self.last_ms.store(now, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(std::sync::atomic::Ordering::Relaxed));
        self.base.elapsed().saturating_sub(last)
    }
}

/// Reads stream events from a split connection.
pub(crate) trait StreamRead: Send + 'static {
    fn next(&mut self) -> impl Future<Output = Result<StreamEvent, XmlError>> + Send;
    /// The activity clock this reader touches.
    fn activity(&self) -> Activity;
    /// Once the stream is over: takes in what the peer still sends for a bounded time,
    /// so that closing does not reset a connection whose last words are unread.
    fn linger(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Writes frames to a split connection.
pub(crate) trait StreamWrite: Send + 'static {
    /// Writes each frame (one WebSocket message each; concatenated on TCP).
    fn send(&mut self, frames: Vec<String>) -> impl Future<Output = io::Result<()>> + Send;
    fn shutdown(&mut self) -> impl Future<Output = ()> + Send;
}

/// A client connection during negotiation.
pub(crate) trait Connection: StreamRead + StreamWrite + Sized {
    type Read: StreamRead;
    type Write: StreamWrite;
    const FRAMING: Framing;
    fn is_secure(&self) -> bool;
    fn can_starttls(&self) -> bool;
    /// Upgrades to TLS after `<proceed/>` was written.
    fn starttls(&mut self) -> impl Future<Output = Result<(), String>> + Send;
    /// Starts a new stream on the same connection (after SASL success).
    fn restart(&mut self);
    fn peer(&self) -> IpAddr;
    fn split(self) -> (Self::Read, Self::Write);
}

/// Per-listener stream settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub starttls_required: bool,
    pub allow_plain_without_tls: bool,
    pub idle_timeout: Duration,
    pub negotiation_timeout: Duration,
    pub keepalive_interval: Duration,
}

/// Why a stream ends with an error.
#[derive(Debug)]
struct StreamError {
    condition: &'static str,
    text: Option<String>,
    /// An application-specific condition (XEP-0198 `<handled-count-too-high/>`).
    app: Option<Box<Element>>,
}

fn stream_error(condition: &'static str) -> StreamError {
    StreamError {
        condition,
        text: None,
        app: None,
    }
}

impl StreamError {
    fn with_text(condition: &'static str, text: impl Into<String>) -> Self {
        StreamError {
            condition,
            text: Some(text.into()),
            app: None,
        }
    }

    fn frames(&self, framing: Framing) -> Vec<String> {
        framing.error_with(self.condition, self.text.as_deref(), self.app.as_deref())
    }
}

impl From<XmlError> for StreamError {
    fn from(e: XmlError) -> Self {
        StreamError {
            condition: e.stream_condition().unwrap_or("undefined-condition"),
            text: match e {
                XmlError::TooLarge(n) => Some(format!("stanza larger than {n} bytes")),
                _ => None,
            },
            app: None,
        }
    }
}

/// XEP-0198 §4: the client acknowledged more than it was sent.
fn handled_too_high(e: sm::HandledTooHigh) -> StreamError {
    StreamError {
        condition: "undefined-condition",
        text: Some(e.to_string()),
        app: Some(Box::new(nonza::handled_count_too_high(e.h, e.sent))),
    }
}

/// The stream management state of a session taken back by `<resume/>` (XEP-0198 §5),
/// for the stream to carry on with.
struct ResumedSm {
    sm: SmState,
    settings: SmSettings,
    /// The SM-ID, which stays the session's.
    id: String,
    /// What the client says it handled of what was sent on the former stream.
    h: u32,
    /// Set when yet another stream resumes the session.
    takeover: watch::Receiver<bool>,
}

enum Negotiated {
    /// The client closed the stream before binding.
    Closed,
    /// The connection went away.
    Gone,
    Bound(Arc<Session>, Inbox),
    Resumed(Arc<Session>, Inbox, Box<ResumedSm>),
}

/// Serves one client stream from its first byte to its end.
pub(crate) async fn serve<C: Connection>(core: Arc<Core>, mut conn: C, settings: Settings) {
    // Each phase is boxed: a connection's task holds only the phase it is in, not the
    // largest of them, and an idle session is most of what a server holds.
    if let Some((session, inbox, resumed)) = Box::pin(open(&core, &mut conn, &settings)).await {
        Box::pin(active(core, conn, session, inbox, settings, resumed)).await;
    }
}

/// A bound session, and its stream management state when it was resumed.
type Opened = (Arc<Session>, Inbox, Option<ResumedSm>);

/// Negotiates the stream within `negotiation_timeout`; a stream that ends or fails before
/// a session is bound is answered and shut down here (`None`).
async fn open<C: Connection>(core: &Arc<Core>, conn: &mut C, settings: &Settings) -> Option<Opened> {
    let mut header_sent = false;
    let deadline = Instant::now() + settings.negotiation_timeout;
    let result = tokio::time::timeout_at(deadline, negotiate(core, conn, settings, &mut header_sent)).await;
    let failure = match result {
        Ok(Ok(Negotiated::Bound(session, inbox))) => return Some((session, inbox, None)),
        Ok(Ok(Negotiated::Resumed(session, inbox, resumed))) => return Some((session, inbox, Some(*resumed))),
        Ok(Ok(Negotiated::Closed)) => None,
        Ok(Ok(Negotiated::Gone)) => {
            conn.shutdown().await;
            return None;
        }
        Ok(Err(e)) => Some(e),
        Err(_) => Some(stream_error("connection-timeout")),
    };
    let mut frames = Vec::new();
    if !header_sent {
        // RFC 6120 §4.9.1.1: an error before our header still opens the stream first.
        frames.push(C::FRAMING.header(&new_id(), core.default_host()));
    }
    match failure {
        Some(e) => frames.extend(e.frames(C::FRAMING)),
        None => frames.push(C::FRAMING.close()),
    }
    let _ = tokio::time::timeout(WRITE_TIMEOUT, conn.send(frames)).await;
    conn.shutdown().await;
    None
}

fn new_id() -> String {
    let bytes: [u8; 12] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a stream header and returns the host it asks for.
fn check_open<C: Connection>(core: &Core, open: &Element) -> Result<String, StreamError> {
    if C::FRAMING == Framing::Tcp && open.attr("xmlns") != Some(CLIENT_NS) {
        return Err(stream_error("invalid-namespace"));
    }
    if C::FRAMING == Framing::WebSocket && !open.is("open", FRAMING_NS) {
        return Err(stream_error("invalid-namespace"));
    }
    if C::FRAMING == Framing::Bosh && !open.is("body", HTTPBIND_NS) {
        return Err(stream_error("invalid-namespace"));
    }
    let host = match open.attr("to") {
        None => core.default_host().to_owned(),
        Some(to) => core.accounts().domain(to).map_err(|_| stream_error("host-unknown"))?,
    };
    let major = open
        .attr("version")
        .and_then(|v| v.split('.').next()?.parse::<u32>().ok());
    if major != Some(1) {
        return Err(stream_error("unsupported-version"));
    }
    Ok(host)
}

fn features<C: Connection>(core: &Core, conn: &C, settings: &Settings, authenticated: bool) -> Vec<Element> {
    let mut features = Vec::new();
    if authenticated {
        features.push(Element::new("bind", BIND_NS));
        features.push(Element::new("session", SESSION_NS).with_child(Element::new("optional", SESSION_NS)));
        // XEP-0237 roster versioning.
        features.push(Element::new("ver", "urn:xmpp:features:rosterver"));
        features.extend(nonza::features(core.stream_management().is_some(), core.csi_enabled()));
        return features;
    }
    let tls_pending = conn.can_starttls() && !conn.is_secure();
    if tls_pending {
        let mut starttls = Element::new("starttls", TLS_NS);
        if settings.starttls_required {
            starttls = starttls.with_child(Element::new("required", TLS_NS));
        }
        features.push(starttls);
        if settings.starttls_required {
            return features;
        }
    }
    let mut mechanisms = Element::new("mechanisms", SASL_NS);
    for m in sasl::MECHANISMS {
        if m == "PLAIN" && !conn.is_secure() && !settings.allow_plain_without_tls {
            continue;
        }
        mechanisms = mechanisms.with_child(Element::new("mechanism", SASL_NS).with_text(m));
    }
    features.push(mechanisms);
    features
}

fn sasl_failure(f: SaslFailure) -> Element {
    Element::new("failure", SASL_NS).with_child(Element::new(f.condition(), SASL_NS))
}

async fn negotiate<C: Connection>(
    core: &Arc<Core>,
    conn: &mut C,
    settings: &Settings,
    header_sent: &mut bool,
) -> Result<Negotiated, StreamError> {
    let mut authenticated: Option<BareJid> = None;
    let mut auth_attempts = 0;
    'stream: loop {
        let open = loop {
            match conn.next().await {
                Ok(StreamEvent::Open(open)) => break open,
                Ok(StreamEvent::KeepAlive) => continue,
                Ok(_) => return Err(stream_error("not-well-formed")),
                Err(XmlError::Eof | XmlError::Io(_)) => return Ok(Negotiated::Gone),
                Err(e) => return Err(e.into()),
            }
        };
        let host = check_open::<C>(core, &open)?;
        let features = features(core, conn, settings, authenticated.is_some());
        let frames = vec![
            C::FRAMING.header(&new_id(), &host),
            C::FRAMING.stream_element("features", &features),
        ];
        *header_sent = true;
        if conn.send(frames).await.is_err() {
            return Ok(Negotiated::Gone);
        }
        loop {
            let el = match conn.next().await {
                Ok(StreamEvent::Stanza(el)) => el,
                Ok(StreamEvent::KeepAlive) => continue,
                Ok(StreamEvent::Close) => return Ok(Negotiated::Closed),
                Ok(StreamEvent::Open(_)) => return Err(stream_error("not-well-formed")),
                Err(XmlError::Eof | XmlError::Io(_)) => return Ok(Negotiated::Gone),
                Err(e) => return Err(e.into()),
            };
            let tls_pending = conn.can_starttls() && !conn.is_secure();
            match (el.ns.as_str(), el.name.as_str()) {
                (TLS_NS, "starttls") if tls_pending && authenticated.is_none() => {
                    let proceed = C::FRAMING.stanza(&Element::new("proceed", TLS_NS));
                    if conn.send(vec![proceed]).await.is_err() {
                        return Ok(Negotiated::Gone);
                    }
                    conn.starttls()
                        .await
                        .map_err(|text| StreamError::with_text("policy-violation", text))?;
                    continue 'stream;
                }
                (SASL_NS, "auth") if authenticated.is_none() => {
                    if tls_pending && settings.starttls_required {
                        let f = C::FRAMING.stanza(
                            &Element::new("failure", SASL_NS).with_child(Element::new("encryption-required", SASL_NS)),
                        );
                        let _ = conn.send(vec![f]).await;
                        continue;
                    }
                    auth_attempts += 1;
                    match authenticate(core, conn, settings, &host, &el).await? {
                        Some(jid) => {
                            authenticated = Some(jid);
                            conn.restart();
                            continue 'stream;
                        }
                        None if auth_attempts >= MAX_AUTH_ATTEMPTS => {
                            return Err(StreamError::with_text(
                                "policy-violation",
                                "too many authentication attempts",
                            ))
                        }
                        None => continue,
                    }
                }
                (CLIENT_NS, "iq") if authenticated.is_some() => {
                    let account = authenticated.clone().expect("checked just above");
                    if let Some(bound) = bind_or_session(core, conn, &account, &el).await? {
                        return Ok(bound);
                    }
                }
                (SM_NS, "resume" | "enable") if authenticated.is_some() && core.stream_management().is_some() => {
                    let account = authenticated.clone().expect("checked just above");
                    match resume(core, &account, &el).await {
                        Ok(resumed) => return Ok(resumed),
                        Err(condition) => {
                            // XEP-0198 §5: the client may bind a new session instead.
                            let failed = C::FRAMING.stanza(&nonza::failed(condition));
                            if conn.send(vec![failed]).await.is_err() {
                                return Ok(Negotiated::Gone);
                            }
                        }
                    }
                }
                // XEP-0352 before binding: there is no session yet to be (in)active; every
                // stream starts active anyway.
                (CSI_NS, "active" | "inactive") if authenticated.is_some() && core.csi_enabled() => {}
                _ => return Err(stream_error("not-authorized")),
            }
        }
    }
}

/// Runs one SASL exchange. `Some(jid)` on success; `None` when it failed and a
/// `<failure/>` was sent.
async fn authenticate<C: Connection>(
    core: &Core,
    conn: &mut C,
    settings: &Settings,
    host: &str,
    auth: &Element,
) -> Result<Option<BareJid>, StreamError> {
    let peer = conn.peer();
    let mechanism = auth.attr("mechanism").unwrap_or_default().to_owned();
    let offered = sasl::MECHANISMS.contains(&mechanism.as_str())
        && (mechanism != "PLAIN" || conn.is_secure() || settings.allow_plain_without_tls);
    // The account the client tries, once the exchange names it (for the throttle).
    let mut attempted = None;
    let outcome = if !offered {
        Err(SaslFailure::InvalidMechanism)
    } else if core.throttle().check(peer, None, C::FRAMING.door()).is_err() {
        Err(SaslFailure::TemporaryAuthFailure)
    } else {
        match mechanism.as_str() {
            "PLAIN" => plain(core, peer, C::FRAMING.door(), host, &auth.text(), &mut attempted)
                .await
                .map(|jid| (jid, None)),
            "SCRAM-SHA-1" => scram(core, conn, ScramHash::Sha1, host, &auth.text(), &mut attempted).await?,
            _ => scram(core, conn, ScramHash::Sha256, host, &auth.text(), &mut attempted).await?,
        }
    };
    match outcome {
        Ok((jid, additional)) => {
            core.throttle().succeeded(peer, jid.as_str());
            let mut success = Element::new("success", SASL_NS);
            if let Some(data) = additional {
                success = success.with_text(sasl::encode_payload(&data));
            }
            conn.send(vec![C::FRAMING.stanza(&success)])
                .await
                .map_err(|_| stream_error("connection-timeout"))?;
            tracing::debug!(%jid, mechanism, "authenticated");
            Ok(Some(jid))
        }
        Err(failure) => {
            if matches!(failure, SaslFailure::NotAuthorized) {
                core.throttle().failed(peer, attempted.as_deref(), C::FRAMING.door());
            }
            conn.send(vec![C::FRAMING.stanza(&sasl_failure(failure))])
                .await
                .map_err(|_| stream_error("connection-timeout"))?;
            Ok(None)
        }
    }
}

/// The account a SASL username names: a localpart on `host`, or a bare JID of `host`.
fn account_for(core: &Core, host: &str, username: &str) -> Result<BareJid, SaslFailure> {
    let jid = if username.contains('@') {
        crate::core::jid::parse_account(username).map_err(|_| SaslFailure::NotAuthorized)?
    } else {
        core.accounts()
            .user_jid(username, host)
            .map_err(|_| SaslFailure::NotAuthorized)?
    };
    if jid.domain().as_str() != host {
        return Err(SaslFailure::NotAuthorized);
    }
    Ok(jid)
}

/// An authorization identity must be the account itself (we do not act for others).
fn check_authzid(authzid: Option<&str>, account: &BareJid) -> Result<(), SaslFailure> {
    match authzid {
        None => Ok(()),
        Some(a) if crate::core::jid::parse_bare(a).ok().as_ref() == Some(account) => Ok(()),
        Some(_) => Err(SaslFailure::InvalidAuthzid),
    }
}

/// Notes the account an exchange names, and refuses it when it was guessed at too often
/// from `peer`.
fn note_attempt(
    core: &Core,
    peer: IpAddr,
    door: Door,
    account: &BareJid,
    attempted: &mut Option<String>,
) -> Result<(), SaslFailure> {
    *attempted = Some(account.to_string());
    core.throttle()
        .check(peer, Some(account.as_str()), door)
        .map_err(|_| SaslFailure::TemporaryAuthFailure)
}

async fn plain(
    core: &Core,
    peer: IpAddr,
    door: Door,
    host: &str,
    payload: &str,
    attempted: &mut Option<String>,
) -> Result<BareJid, SaslFailure> {
    let message = sasl::decode_payload(payload)?;
    let creds = sasl::parse_plain(&message)?;
    let account = account_for(core, host, &creds.authcid)?;
    note_attempt(core, peer, door, &account, attempted)?;
    check_authzid(creds.authzid.as_deref(), &account)?;
    match core.accounts().check_password(account.as_str(), &creds.password).await {
        Ok(Some(jid)) => Ok(jid),
        Ok(None) => Err(SaslFailure::NotAuthorized),
        Err(_) => Err(SaslFailure::TemporaryAuthFailure),
    }
}

/// The next SASL element from the client: a `<response/>` payload, or `None` on `<abort/>`.
async fn next_response<C: Connection>(conn: &mut C) -> Result<Option<String>, StreamError> {
    loop {
        match conn.next().await {
            Ok(StreamEvent::KeepAlive) => continue,
            Ok(StreamEvent::Stanza(el)) if el.is("response", SASL_NS) => return Ok(Some(el.text())),
            Ok(StreamEvent::Stanza(el)) if el.is("abort", SASL_NS) => return Ok(None),
            Ok(_) => return Err(stream_error("not-authorized")),
            Err(e) => return Err(e.into()),
        }
    }
}

type ScramOutcome = Result<(BareJid, Option<Vec<u8>>), SaslFailure>;

async fn scram<C: Connection>(
    core: &Core,
    conn: &mut C,
    hash: ScramHash,
    host: &str,
    initial: &str,
    attempted: &mut Option<String>,
) -> Result<ScramOutcome, StreamError> {
    let mut first = match sasl::decode_payload(initial) {
        Ok(m) => m,
        Err(f) => return Ok(Err(f)),
    };
    if first.is_empty() {
        // No initial response: ask for it with an empty challenge.
        let challenge = Element::new("challenge", SASL_NS).with_text("=");
        conn.send(vec![C::FRAMING.stanza(&challenge)])
            .await
            .map_err(|_| stream_error("connection-timeout"))?;
        match next_response(conn).await? {
            None => return Ok(Err(SaslFailure::Aborted)),
            Some(text) => match sasl::decode_payload(&text) {
                Ok(m) => first = m,
                Err(f) => return Ok(Err(f)),
            },
        }
    }
    let server = match ScramServer::start(hash, &first) {
        Ok(s) => s,
        Err(f) => return Ok(Err(f)),
    };
    let known = account_for(core, host, &server.username).ok();
    let account = match &known {
        Some(a) => a.clone(),
        None => BareJid::new(&format!("unknown@{host}")).map_err(|_| stream_error("internal-server-error"))?,
    };
    if let Err(f) = note_attempt(core, conn.peer(), C::FRAMING.door(), &account, attempted) {
        return Ok(Err(f));
    }
    if let Err(f) = check_authzid(server.authzid.as_deref(), &account) {
        return Ok(Err(f));
    }
    let lookup = match core
        .accounts()
        .scram_lookup(hash, known.as_ref(), &server.username)
        .await
    {
        Ok(l) => l,
        Err(_) => return Ok(Err(SaslFailure::TemporaryAuthFailure)),
    };
    // Unknown users get a stable fake salt, so probing reveals nothing.
    let (challenge, waiting) = server.challenge(lookup.credential, lookup.fake_salt, lookup.iterations);
    let challenge = Element::new("challenge", SASL_NS).with_text(sasl::encode_payload(&challenge));
    conn.send(vec![C::FRAMING.stanza(&challenge)])
        .await
        .map_err(|_| stream_error("connection-timeout"))?;
    let Some(response) = next_response(conn).await? else {
        return Ok(Err(SaslFailure::Aborted));
    };
    let response = match sasl::decode_payload(&response) {
        Ok(r) => r,
        Err(f) => return Ok(Err(f)),
    };
    Ok(waiting
        .finish(&response)
        .map(|server_final| (account, Some(server_final))))
}

/// `<resume/>` (or a premature `<enable/>`) between authentication and binding. Returns
/// the session taken back, or the `<failed/>` condition. Nothing is awaited once the
/// session is taken (the negotiation deadline may cancel this future at any await), so
/// it is never lost between here and the stream that carries it on.
async fn resume(core: &Core, account: &BareJid, el: &Element) -> Result<Negotiated, &'static str> {
    let (previd, h) = match nonza::parse(el) {
        Some(Ok(Nonza::Resume { previd, h })) => (previd, h),
        // XEP-0198 §3: stream management is enabled after binding.
        Some(Ok(_)) => return Err("unexpected-request"),
        _ => return Err("bad-request"),
    };
    let Some(settings) = core.stream_management().copied() else {
        return Err("feature-not-implemented");
    };
    let (tx, rx) = watch::channel(false);
    match core.resume_session(&previd, account, tx).await {
        Ok((session, parked)) => Ok(Negotiated::Resumed(
            session,
            parked.inbox,
            Box::new(ResumedSm {
                sm: parked.sm,
                settings,
                id: previd,
                h,
                takeover: rx,
            }),
        )),
        Err(e) => {
            tracing::debug!(%account, error = %e, "resumption refused");
            Err("item-not-found")
        }
    }
}

/// Handles an IQ between authentication and binding: the bind request (RFC 6120 §7) or
/// the legacy session request. Anything else there is refused.
async fn bind_or_session<C: Connection>(
    core: &Arc<Core>,
    conn: &mut C,
    account: &BareJid,
    iq: &Element,
) -> Result<Option<Negotiated>, StreamError> {
    let id = iq.attr("id").unwrap_or_default().to_owned();
    let reply = |payload: Option<Element>| {
        let mut r = Element::new("iq", CLIENT_NS)
            .with_attr("type", "result")
            .with_attr("id", id.clone());
        if let Some(p) = payload {
            r = r.with_child(p);
        }
        r
    };
    let error =
        |kind: ErrorType, condition: Condition| stanza::error_reply(iq, StanzaError::with_type(kind, condition));
    let send = |el: Element| C::FRAMING.stanza(&el);
    if iq.attr("type") != Some("set") {
        let _ = conn
            .send(vec![send(error(ErrorType::Cancel, Condition::NotAllowed))])
            .await;
        return Ok(None);
    }
    if iq.child("session", SESSION_NS).is_some() {
        let _ = conn.send(vec![send(reply(None))]).await;
        return Ok(None);
    }
    let Some(bind) = iq.child("bind", BIND_NS) else {
        return Err(stream_error("not-authorized"));
    };
    let requested = bind.child("resource", BIND_NS).map(|r| r.text()).unwrap_or_default();
    let resource = if requested.trim().is_empty() {
        let bytes: [u8; 8] = rand::thread_rng().gen();
        format!(
            "meerkat-{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    } else {
        requested
    };
    let full: FullJid = match account.with_resource_str(&resource) {
        Ok(f) => f,
        Err(_) => {
            let _ = conn
                .send(vec![send(error(ErrorType::Modify, Condition::BadRequest))])
                .await;
            return Ok(None);
        }
    };
    let (session, inbox) = match core.open_session(full.clone(), C::FRAMING.session_kind()) {
        Ok(opened) => opened,
        Err(e @ OpenError::TooManySessions { .. }) => {
            // RFC 6120 §7.6.2.1: the account cannot have another resource now.
            let refused = stanza::error_reply(
                iq,
                StanzaError::with_type(ErrorType::Wait, Condition::ResourceConstraint).with_text(e.to_string()),
            );
            let _ = conn.send(vec![send(refused)]).await;
            return Ok(None);
        }
    };
    let result = reply(Some(
        Element::new("bind", BIND_NS).with_child(Element::new("jid", BIND_NS).with_text(full.to_string())),
    ));
    if conn.send(vec![send(result)]).await.is_err() {
        core.sessions().unregister(&session.jid, session.id);
        return Ok(Some(Negotiated::Gone));
    }
    tracing::debug!(jid = %full, "bound");
    Ok(Some(Negotiated::Bound(session, inbox)))
}

/// How the session loop ended, and so what the writer sends last.
#[derive(Debug)]
enum Ending {
    ClientClosed,
    Gone,
    Error(StreamError),
    Kicked(Kick),
    /// Another stream resumed the session (XEP-0198 §5: the old stream is terminated).
    Replaced,
}

impl Ending {
    /// Whether a resumable session outlives this ending (XEP-0198 §7): its connection was
    /// lost, idled out or was taken over; it was not closed, and not told to end.
    fn detaches(&self) -> bool {
        match self {
            Ending::Gone | Ending::Replaced => true,
            Ending::Error(e) => e.condition == "connection-timeout",
            Ending::ClientClosed | Ending::Kicked(_) => false,
        }
    }

    /// What the writer sends last, and how long it may take.
    fn last_words(&self, framing: Framing) -> (Vec<String>, Duration) {
        match self {
            Ending::Error(e) => (e.frames(framing), WRITE_TIMEOUT),
            Ending::Kicked(k) => (framing.error(k.condition(), None), WRITE_TIMEOUT),
            Ending::ClientClosed => (vec![framing.close()], WRITE_TIMEOUT),
            Ending::Replaced => (replaced(framing), TAKEOVER_WRITE_TIMEOUT),
            Ending::Gone => (Vec::new(), WRITE_TIMEOUT),
        }
    }
}

/// The stream error a stream gets when another one resumes its session.
fn replaced(framing: Framing) -> Vec<String> {
    framing.error("conflict", Some("another stream resumed the session"))
}

/// Stream management on a stream, once enabled or resumed: shared by the reader (which
/// counts handled stanzas and takes acks) and the writer (which counts and keeps what it
/// writes).
#[derive(Debug, Clone)]
struct SmLink {
    state: Arc<Mutex<SmState>>,
    settings: SmSettings,
    /// The SM-ID, when the session is resumable.
    id: Option<String>,
}

impl SmLink {
    fn lock(&self) -> std::sync::MutexGuard<'_, SmState> {
        self.state.lock().expect("stream management state poisoned")
    }
}

/// What the reader asks of the writer, in stream order.
enum Control {
    /// Write these (an `<a/>` answering `<r/>`, a `<failed/>`).
    Frames(Vec<String>),
    /// Write `<enabled/>`, then count and keep every stanza written after it. Boxed, as
    /// the channel sets aside room for a block of these per session.
    Enable(Box<(String, SmLink)>),
    /// The client acknowledged stanzas: there may be room to write again.
    Acked,
}

/// The reader's side of the session loop.
struct Reading {
    framing: Framing,
    sm: Option<SmLink>,
    /// Given to the core when the session becomes resumable; the core sets it when
    /// another stream resumes the session.
    takeover_tx: Option<Takeover>,
    takeover: watch::Receiver<bool>,
    /// Notified by the writer when the connection cannot be written to.
    broken: Arc<Notify>,
    control: mpsc::Sender<Control>,
}

impl Reading {
    /// Hands `control` to the writer; an ending when the writer is gone.
    async fn send(&self, control: Control) -> Option<Ending> {
        self.control.send(control).await.err().map(|_| Ending::Gone)
    }

    async fn write(&self, el: &Element) -> Option<Ending> {
        self.send(Control::Frames(vec![self.framing.stanza(el)])).await
    }
}

/// The writer's side of the session loop.
struct Writing {
    keepalive: Duration,
    sm: Option<SmLink>,
    /// Written before anything else (a resumption's `<resumed/>` and retransmissions).
    first_frames: Vec<String>,
    takeover: watch::Receiver<bool>,
    broken: Arc<Notify>,
}

/// The bound session: read and route client stanzas here, write queued ones in a task.
/// `resumed`: the session was taken back with `<resume/>` (XEP-0198 §5).
async fn active<C: Connection>(
    core: Arc<Core>,
    conn: C,
    session: Arc<Session>,
    inbox: Inbox,
    settings: Settings,
    resumed: Option<ResumedSm>,
) {
    let framing = C::FRAMING;
    let domain = session.jid.domain().as_str().to_owned();
    let (takeover_tx, takeover, sm, first_frames) = match resumed {
        None => {
            let (tx, rx) = watch::channel(false);
            (Some(tx), rx, None, Vec::new())
        }
        Some(ResumedSm {
            mut sm,
            settings: sm_settings,
            id,
            h,
            takeover,
        }) => {
            if let Err(e) = sm.ack(h) {
                // The client's count cannot be trusted: the session ends here.
                core.forget_resumable(&id);
                return Box::pin(async move {
                    core.end_detached(&session, Parked { inbox, sm }).await;
                    let mut conn = conn;
                    let _ = tokio::time::timeout(WRITE_TIMEOUT, conn.send(handled_too_high(e).frames(framing))).await;
                    conn.shutdown().await;
                })
                .await;
            }
            let mut frames = vec![framing.stanza(&nonza::resumed(&id, sm.handled()))];
            frames.extend(sm.retransmission(&domain).iter().map(|s| framing.stanza(s)));
            if sm.unacked_len() > 0 {
                frames.push(framing.stanza(&nonza::request()));
            }
            let link = SmLink {
                state: Arc::new(Mutex::new(sm)),
                settings: sm_settings,
                id: Some(id),
            };
            (None, takeover, Some(link), frames)
        }
    };
    let (mut reader, writer) = conn.split();
    let broken = Arc::new(Notify::new());
    let (end_tx, end_rx) = oneshot::channel();
    let (control_tx, control_rx) = mpsc::channel(CONTROL_QUEUE);
    let writing = Writing {
        keepalive: settings.keepalive_interval,
        sm: sm.clone(),
        first_frames,
        takeover: takeover.clone(),
        broken: broken.clone(),
    };
    let writer = tokio::spawn(write_loop::<C>(
        writer,
        inbox,
        session.clone(),
        end_rx,
        control_rx,
        writing,
    ));
    let mut reading = Reading {
        framing,
        sm,
        takeover_tx,
        takeover,
        broken,
        control: control_tx,
    };
    let ending = read_loop(&core, &mut reader, &session, settings.idle_timeout, &mut reading).await;
    let sm = reading.sm.take();
    drop(reading);
    // Boxed for the same reason as the phases of `serve`: only an ending stream needs it.
    Box::pin(async move {
        let resumable = sm.as_ref().and_then(|l| l.id.clone());
        let detach = resumable.is_some() && ending.detaches() && !session.is_ended();
        if !detach {
            if let Some(id) = &resumable {
                core.forget_resumable(id);
            }
            core.close_session(&session).await;
        }
        tracing::debug!(jid = %session.jid, ?ending, detach, "stream ended");
        let _ = end_tx.send(ending);
        let inbox = writer.await;
        let state = sm.map(|l| std::mem::take(&mut *l.lock())).unwrap_or_default();
        match (inbox, resumable) {
            (Ok(inbox), Some(id)) if detach => {
                core.detach_session(&id, session, Parked { inbox, sm: state });
            }
            (inbox, resumable) => {
                if detach {
                    // The writer failed, and the queue with it: nothing to resume.
                    if let Some(id) = &resumable {
                        core.forget_resumable(id);
                    }
                    core.close_session(&session).await;
                }
                let mut undelivered = state.into_unacked(&domain);
                if let Ok(mut inbox) = inbox {
                    while let Some(stanza) = inbox.try_recv() {
                        undelivered.push(stanza);
                    }
                }
                core.redeliver_undelivered(&session, undelivered).await;
            }
        }
        reader.linger().await;
    })
    .await;
}

/// How many stanzas of one session are handled at once ([`crate::core::routing::pipeline`]):
/// enough for a client's window of messages to share one archive commit, few enough that
/// a session holds little while they wait (each is at most `max_stanza_size`). A full
/// pipeline stops reading, which pushes back on the client through TCP.
const PIPELINE_DEPTH: usize = 32;

/// The stanzas of a session being handled, in their session's order.
type InFlight<'a> = FuturesUnordered<BoxFuture<'a, ()>>;

async fn read_loop<R: StreamRead>(
    core: &Arc<Core>,
    reader: &mut R,
    session: &Arc<Session>,
    idle: Duration,
    io: &mut Reading,
) -> Ending {
    let mut in_flight = InFlight::new();
    let ending = read_stanzas(core, reader, session, idle, io, &mut in_flight).await;
    // Whatever was read is handled, however the stream ends: the client may have been
    // told nothing yet, but a message half archived and never delivered helps nobody.
    while in_flight.next().await.is_some() {}
    ending
}

async fn read_stanzas<'a, R: StreamRead>(
    core: &'a Arc<Core>,
    reader: &mut R,
    session: &'a Arc<Session>,
    idle: Duration,
    io: &mut Reading,
    in_flight: &mut InFlight<'a>,
) -> Ending {
    let activity = reader.activity();
    activity.touch();
    let mut pipeline = Pipeline::default();
    loop {
        let next = reader.next();
        tokio::pin!(next);
        // The read is never cancelled while the stream goes on: the idle check re-arms
        // around it, and only a kick, a broken connection, a takeover or a real timeout
        // abandons it. Stanzas in flight move on meanwhile.
        let event = loop {
            let left = idle.saturating_sub(activity.idle_for());
            tokio::select! {
                kick = session.kicked() => return Ending::Kicked(kick),
                _ = io.broken.notified() => return Ending::Gone,
                Ok(_) = io.takeover.wait_for(|taken| *taken) => return Ending::Replaced,
                Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
                event = &mut next, if in_flight.len() < PIPELINE_DEPTH => break event,
                _ = tokio::time::sleep(left) => {
                    if activity.idle_for() >= idle {
                        return Ending::Error(stream_error("connection-timeout"));
                    }
                }
            }
        };
        let stanza = match event {
            Ok(StreamEvent::Stanza(el)) => el,
            Ok(StreamEvent::KeepAlive) => continue,
            Ok(StreamEvent::Close) => return Ending::ClientClosed,
            Ok(StreamEvent::Open(_)) => return Ending::Error(stream_error("not-well-formed")),
            Err(XmlError::Eof | XmlError::Io(_)) => return Ending::Gone,
            Err(e) => return Ending::Error(e.into()),
        };
        if let Some(parsed) = nonza::parse(&stanza) {
            // An ack request is answered with what is handled so far; anything else
            // (enabling stream management, a client state) comes after the stanzas
            // before it.
            if !matches!(parsed, Ok(Nonza::Request | Nonza::Ack { .. })) {
                while in_flight.next().await.is_some() {}
            }
            match Box::pin(on_nonza(core, session, io, parsed)).await {
                Some(ending) => return ending,
                None => continue,
            }
        }
        if stanza.ns != CLIENT_NS || !matches!(stanza.name.as_str(), "message" | "presence" | "iq") {
            return Ending::Error(stream_error("unsupported-stanza-type"));
        }
        let turn = pipeline.next(&stanza.name);
        let sm = io.sm.clone();
        in_flight.push(Box::pin(async move {
            core.from_client(session, stanza, turn).await;
            if let Some(link) = &sm {
                link.lock().handled_one();
            }
        }));
    }
}

/// A stream management or client state nonza on a bound session; an ending when it
/// ends the stream.
async fn on_nonza(
    core: &Arc<Core>,
    session: &Arc<Session>,
    io: &mut Reading,
    parsed: Result<Nonza, nonza::NonzaError>,
) -> Option<Ending> {
    let unsupported = |text: &str| Some(Ending::Error(StreamError::with_text("unsupported-stanza-type", text)));
    let nonza = match parsed {
        Ok(n) => n,
        Err(e) => return Some(Ending::Error(StreamError::with_text("bad-format", e.to_string()))),
    };
    match nonza {
        Nonza::Active | Nonza::Inactive => {
            if !core.csi_enabled() {
                return unsupported("client state indication is not offered");
            }
            core.set_client_state(session, nonza == Nonza::Active);
            None
        }
        Nonza::Enable { resume, max } => {
            let Some(settings) = core.stream_management().copied() else {
                return unsupported("stream management is not offered");
            };
            if io.sm.is_some() {
                return io.write(&nonza::failed("unexpected-request")).await;
            }
            let resumable = if resume {
                io.takeover_tx
                    .take()
                    .and_then(|tx| core.make_resumable(session, max, tx))
            } else {
                None
            };
            let enabled = nonza::enabled(resumable.as_ref().map(|(id, t)| (id.as_str(), t.as_secs())));
            let link = SmLink {
                state: Arc::default(),
                settings,
                id: resumable.map(|(id, _)| id),
            };
            io.sm = Some(link.clone());
            io.send(Control::Enable(Box::new((io.framing.stanza(&enabled), link))))
                .await
        }
        // XEP-0198 §5: resumption happens before binding, on a new stream.
        Nonza::Resume { .. } => io.write(&nonza::failed("unexpected-request")).await,
        Nonza::Request => match &io.sm {
            Some(link) => {
                let h = link.lock().handled();
                io.write(&nonza::ack(h)).await
            }
            None => unsupported("stream management is not enabled"),
        },
        Nonza::Ack { h } => match &io.sm {
            Some(link) => {
                let acked = link.lock().ack(h);
                match acked {
                    Err(e) => Some(Ending::Error(handled_too_high(e))),
                    Ok(()) => {
                        // A full control queue wakes the writer anyway.
                        let _ = io.control.try_send(Control::Acked);
                        None
                    }
                }
            }
            None => unsupported("stream management is not enabled"),
        },
    }
}

/// Writes `frames`; `false` when the write failed, took longer than `WRITE_TIMEOUT`, or
/// another stream took the session over meanwhile (what was being written then is still
/// unacknowledged, and retransmitted by the stream that resumed).
async fn write_or_let_go<W: StreamWrite>(
    writer: &mut W,
    frames: Vec<String>,
    takeover: &mut watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        result = tokio::time::timeout(WRITE_TIMEOUT, writer.send(frames)) => matches!(result, Ok(Ok(()))),
        Ok(_) = takeover.wait_for(|taken| *taken) => false,
    }
}

/// Writes what the session is sent until the stream ends; gives the queue back (with what
/// was never written) for the session to be detached or ended.
async fn write_loop<C: Connection>(
    mut writer: C::Write,
    mut inbox: Inbox,
    session: Arc<Session>,
    mut end_rx: oneshot::Receiver<Ending>,
    mut control: mpsc::Receiver<Control>,
    mut w: Writing,
) -> Inbox {
    let framing = C::FRAMING;
    let mut control_open = true;
    let (last_frames, last_timeout) = 'run: {
        let first = std::mem::take(&mut w.first_frames);
        if !first.is_empty() && !write_or_let_go(&mut writer, first, &mut w.takeover).await {
            w.broken.notify_one();
            break 'run (Vec::new(), WRITE_TIMEOUT);
        }
        loop {
            // XEP-0198: at `buffer_max` unacknowledged, wait for an ack before writing on.
            let full = w.sm.as_ref().is_some_and(|l| l.lock().is_full(&l.settings));
            let frames = tokio::select! {
                biased;
                ending = &mut end_rx => {
                    break 'run match ending {
                        Ok(ending) => ending.last_words(framing),
                        Err(_) => (Vec::new(), WRITE_TIMEOUT),
                    };
                }
                kick = session.kicked() => break 'run (framing.error(kick.condition(), None), WRITE_TIMEOUT),
                Ok(_) = w.takeover.wait_for(|taken| *taken) => break 'run (replaced(framing), TAKEOVER_WRITE_TIMEOUT),
                c = control.recv(), if control_open => match c {
                    // The reader is done; its ending follows.
                    None => {
                        control_open = false;
                        continue;
                    }
                    Some(Control::Frames(frames)) => frames,
                    Some(Control::Enable(enable)) => {
                        let (enabled, link) = *enable;
                        w.sm = Some(link);
                        vec![enabled]
                    }
                    Some(Control::Acked) => continue,
                },
                first = inbox.recv(), if !full => {
                    let Some(first) = first else { break 'run (Vec::new(), WRITE_TIMEOUT) };
                    let room = w.sm.as_ref().map_or(WRITE_BATCH, |l| {
                        l.settings.buffer_max.saturating_sub(l.lock().unacked_len()).clamp(1, WRITE_BATCH)
                    });
                    let mut batch = vec![first];
                    while batch.len() < room {
                        match inbox.try_recv() {
                            Some(el) => batch.push(el),
                            None => break,
                        }
                    }
                    let mut frames: Vec<String> = batch.iter().map(|el| framing.stanza(el)).collect();
                    if let Some(link) = &w.sm {
                        let mut state = link.lock();
                        let now = sm::now_ms();
                        for el in batch {
                            state.sent_one(el, now);
                        }
                        if state.request_due(&link.settings) {
                            frames.push(framing.stanza(&nonza::request()));
                        }
                    }
                    frames
                }
                _ = tokio::time::sleep(w.keepalive) => {
                    // Silence: ask for what is unacknowledged, or keep a TCP stream alive.
                    if w.sm.as_ref().is_some_and(|l| l.lock().unacked_len() > 0) {
                        vec![framing.stanza(&nonza::request())]
                    } else if framing == Framing::Tcp {
                        vec![" ".to_owned()]
                    } else {
                        continue;
                    }
                }
            };
            if !write_or_let_go(&mut writer, frames, &mut w.takeover).await {
                w.broken.notify_one();
                break 'run (Vec::new(), WRITE_TIMEOUT);
            }
        }
    };
    if !last_frames.is_empty() {
        let _ = tokio::time::timeout(last_timeout, writer.send(last_frames)).await;
    }
    let _ = tokio::time::timeout(last_timeout, writer.shutdown()).await;
    inbox
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::Harness;

    /// A connection that never sends anything: for the size of what serves it.
    struct Silent;

    impl StreamRead for Silent {
        async fn next(&mut self) -> Result<StreamEvent, XmlError> {
            std::future::pending().await
        }
        fn activity(&self) -> Activity {
            Activity::new()
        }
    }

    impl StreamWrite for Silent {
        async fn send(&mut self, _frames: Vec<String>) -> io::Result<()> {
            Ok(())
        }
        async fn shutdown(&mut self) {}
    }

    impl Connection for Silent {
        type Read = Silent;
        type Write = Silent;
        const FRAMING: Framing = Framing::Tcp;
        fn is_secure(&self) -> bool {
            false
        }
        fn can_starttls(&self) -> bool {
            false
        }
        async fn starttls(&mut self) -> Result<(), String> {
            Err("no TLS here".into())
        }
        fn restart(&mut self) {}
        fn peer(&self) -> IpAddr {
            IpAddr::from([127, 0, 0, 1])
        }
        fn split(self) -> (Silent, Silent) {
            (Silent, Silent)
        }
    }

    #[tokio::test]
    async fn an_idle_connection_holds_only_the_state_of_the_phase_it_is_in() {
        // Most of a server's connections are idle sessions: what each holds is the
        // future serving it. Unboxed, the phases made it 20 KB (release build); these
        // bounds are about twice what the boxed phases take in a test build.
        let h = Harness::new(&["alice"]).await;
        let settings = Settings {
            starttls_required: false,
            allow_plain_without_tls: true,
            idle_timeout: Duration::from_secs(60),
            negotiation_timeout: Duration::from_secs(60),
            keepalive_interval: Duration::from_secs(60),
        };
        let serving = serve(h.core.clone(), Silent, settings.clone());
        let (session, inbox) = h.bind("alice@localhost/idle").into_parts();
        let bound = active(h.core.clone(), Silent, session, inbox, settings, None);
        assert!(
            std::mem::size_of_val(&serving) <= 1024,
            "serve: {} bytes",
            std::mem::size_of_val(&serving)
        );
        assert!(
            std::mem::size_of_val(&bound) <= 4096,
            "active: {} bytes",
            std::mem::size_of_val(&bound)
        );
    }

    #[test]
    fn tcp_and_websocket_framings_write_what_their_rfcs_say() {
        let h = Framing::Tcp.header("abc", "localhost");
        assert!(h.starts_with("<?xml version='1.0'?><stream:stream xmlns='jabber:client'"));
        assert!(h.contains("xmlns:stream='http://etherx.jabber.org/streams'") && h.contains("from='localhost'"));
        let w = Framing::WebSocket.header("abc", "localhost");
        assert_eq!(
            w,
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='abc' from='localhost' version='1.0' xml:lang='en'/>"
        );
        let f = Framing::Tcp.stream_element("features", &[Element::new("bind", BIND_NS)]);
        assert_eq!(
            f,
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
        );
        let e = Framing::WebSocket.error("conflict", Some("replaced"));
        assert_eq!(
            e[0],
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>replaced</text></stream:error>"
        );
        assert_eq!(e[1], "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
        let m = Element::new("message", CLIENT_NS).with_attr("to", "a@b");
        assert_eq!(Framing::Tcp.stanza(&m), "<message to='a@b'/>");
        assert_eq!(
            Framing::WebSocket.stanza(&m),
            "<message xmlns='jabber:client' to='a@b'/>"
        );
    }
}

//! A stream before it carries a session: the stream header and its checks, the features
//! offered (RFC 6120 §4.3), STARTTLS (§5), SASL (§6; PLAIN, RFC 4616, and SCRAM, RFC
//! 5802/7677, with the messages of `xmpp::sasl`), and the stream restarts between them.
//! Binding (or resuming) ends it (`bind`).
//!
//! All of it runs within `negotiation_timeout`; a stream that fails or ends here is
//! answered (with our header first when it was not sent yet, §4.9.1.1) and shut down.
//! Authentication attempts go through the login throttle, counted per door.

use super::bind::{bind_or_session, resume, Negotiated, ResumedSm};
use super::{stream_error, Connection, Framing, Settings, StreamError, WRITE_TIMEOUT};
use crate::core::account::scram::ScramHash;
use crate::core::account::throttle::Door;
use crate::core::session::{Inbox, Session};
use crate::core::stanza::ns;
use crate::core::Core;
use crate::xml::{Element, StreamEvent, XmlError};
use crate::xmpp::nonza;
use crate::xmpp::sasl::{self, SaslFailure, ScramServer};
use jid::BareJid;
use rand::Rng;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::time::Instant;

const CLIENT_NS: &str = ns::CLIENT;
const TLS_NS: &str = ns::TLS;
const SASL_NS: &str = ns::SASL;
const BIND_NS: &str = ns::BIND;
const SESSION_NS: &str = ns::SESSION;
const SM_NS: &str = ns::SM;
const CSI_NS: &str = ns::CSI;
const FRAMING_NS: &str = ns::FRAMING;
const HTTPBIND_NS: &str = ns::HTTPBIND;

/// SASL attempts allowed on one stream (RFC 6120 §6.4.5).
const MAX_AUTH_ATTEMPTS: u32 = 3;

/// A bound session, and its stream management state when it was resumed.
pub(super) type Opened = (Arc<Session>, Inbox, Option<ResumedSm>);

/// Negotiates the stream within `negotiation_timeout`; a stream that ends or fails before
/// a session is bound is answered and shut down here (`None`).
pub(super) async fn open<C: Connection>(core: &Arc<Core>, conn: &mut C, settings: &Settings) -> Option<Opened> {
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

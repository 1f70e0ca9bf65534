//! The end of negotiation: an authenticated stream gets its session here. Resource
//! binding (RFC 6120 §7; a resource of our own when the client asks for none, and
//! `<resource-constraint/>` past the account's session limit, §7.6.2.1), the legacy
//! session request (RFC 3921 §3, answered and otherwise ignored), or XEP-0198 §5
//! resumption of a detached session in place of binding.

use super::{stream_error, Connection, StreamError};
use crate::core::session::stream_management::{SmSettings, SmState};
use crate::core::session::{Inbox, OpenError, Session};
use crate::core::stanza::{self, ns, Condition, ErrorType, StanzaError};
use crate::core::Core;
use crate::xml::Element;
use crate::xmpp::nonza::{self, Nonza};
use jid::{BareJid, FullJid};
use rand::Rng;
use std::sync::Arc;
use tokio::sync::watch;

const CLIENT_NS: &str = ns::CLIENT;
const BIND_NS: &str = ns::BIND;
const SESSION_NS: &str = ns::SESSION;

/// How a stream's negotiation ended.
pub(super) enum Negotiated {
    /// The client closed the stream before binding.
    Closed,
    /// The connection went away.
    Gone,
    Bound(Arc<Session>, Inbox),
    Resumed(Arc<Session>, Inbox, Box<ResumedSm>),
}

/// The stream management state of a session taken back by `<resume/>` (XEP-0198 §5),
/// for the stream to carry on with.
pub(super) struct ResumedSm {
    pub(super) sm: SmState,
    pub(super) settings: SmSettings,
    /// The SM-ID, which stays the session's.
    pub(super) id: String,
    /// What the client says it handled of what was sent on the former stream.
    pub(super) h: u32,
    /// Set when yet another stream resumes the session.
    pub(super) takeover: watch::Receiver<bool>,
}

/// `<resume/>` (or a premature `<enable/>`) between authentication and binding. Returns
/// the session taken back, or the `<failed/>` condition. Nothing is awaited once the
/// session is taken (the negotiation deadline may cancel this future at any await), so
/// it is never lost between here and the stream that carries it on.
pub(super) async fn resume(core: &Core, account: &BareJid, el: &Element) -> Result<Negotiated, &'static str> {
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
pub(super) async fn bind_or_session<C: Connection>(
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

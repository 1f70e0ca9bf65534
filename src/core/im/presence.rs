//! Presence from a user's own sessions (RFC 6121 §4): availability broadcasts, probes on
//! login, directed presence, and subscription stanzas handed to [`super::roster`].
//!
//! Every presence leaving a session is routed like any stanza, so it reaches contacts
//! wherever their service is; what arrives for a local account is delivered by
//! [`crate::core::routing::delivery`].
//!
//! - Initial presence (no `to`, available) marks the session available and goes to the
//!   user's other resources and to every contact with a `from`/`both` subscription; the
//!   server then probes the user's own account and every contact the user is subscribed
//!   to (`to`/`both`), and re-delivers pending inbound subscription requests.
//! - Unavailable presence (sent, or implied by the session ending) goes to the same
//!   audience and to every JID the session sent directed presence to.
//! - Directed presence (with `to`) goes to that JID only, and is remembered.
//! - Probes and errors sent by clients are not acted on.
//!
//! Broadcasts (available or unavailable, no `to`) pass the session's presence shaper
//! ([`crate::core::session::presence_shaper`], `Settings::presence_rate`): over the rate,
//! the latest is held and broadcast when the next token comes, so contacts end with the
//! state last sent. Directed presence (MUC joins among it) and subscription stanzas are
//! never shaped or delayed; a session's end sends unavailable at once, and what was held
//! is dropped.

use super::roster::{self, SubscriptionAction};
use crate::core::events::{PresenceEvent, SessionEvent, Subscriber};
use crate::core::routing::router::RouteError;
use crate::core::session::presence_shaper::{Admit, Due, PresenceRate};
use crate::core::session::Session;
use crate::core::stanza::{self, ns, Condition, ErrorType, PresenceType, StanzaError};
use crate::core::Core;
use crate::store::Subscription;
use crate::xml::{Element, SharedElement};
use async_trait::async_trait;
use jid::{BareJid, FullJid, Jid};
use std::sync::Arc;
use std::time::Duration;

/// A presence stanza from `session` (already stamped with its `from`).
pub(crate) async fn from_client(core: &Arc<Core>, session: &Arc<Session>, stanza: Element) -> Result<(), RouteError> {
    let Some(kind) = PresenceType::of(&stanza) else {
        return Ok(());
    };
    let to = match stanza.attr("to").map(crate::core::jid::parse) {
        None => None,
        Some(Ok(to)) => Some(to),
        Some(Err(_)) => {
            let error = StanzaError::with_type(ErrorType::Modify, Condition::JidMalformed);
            core.bounce(&Jid::from(session.jid.to_bare()), &stanza, error).await;
            return Ok(());
        }
    };
    if let Some(action) = SubscriptionAction::of(kind) {
        let Some(contact) = to.map(|t| t.to_bare()) else {
            return Ok(());
        };
        return roster::outbound(core, &session.jid.to_bare(), &contact, action, Some(stanza)).await;
    }
    match (to, kind) {
        (None, PresenceType::Available | PresenceType::Unavailable) => shaped(core, session, stanza).await,
        (Some(to), PresenceType::Available | PresenceType::Unavailable) => {
            session.note_directed(&to, kind == PresenceType::Available);
            core.route(Jid::from(session.jid.clone()), stanza).await
        }
        _ => Ok(()),
    }
}

/// A broadcast presence through the session's shaper: now, or held for the next token.
async fn shaped(core: &Arc<Core>, session: &Arc<Session>, stanza: Element) -> Result<(), RouteError> {
    let Some(rate) = core.settings.presence_rate else {
        return own(core, session, stanza).await;
    };
    match session.shape_presence(&rate, stanza) {
        Admit::Now(stanza) => own(core, session, stanza).await,
        Admit::Held(None) => Ok(()),
        Admit::Held(Some(wait)) => {
            send_when_due(core.clone(), session.clone(), rate, wait);
            Ok(())
        }
    }
}

/// After `wait`, and again until a token came, broadcasts what the session's shaper holds
/// then (the latest presence held), unless it was superseded or the session ended.
fn send_when_due(core: Arc<Core>, session: Arc<Session>, rate: PresenceRate, mut wait: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(wait).await;
            let _turn = session.presence_turn().await;
            match session.presence_due(&rate) {
                Due::Send(stanza) => {
                    if let Err(e) = own(&core, &session, stanza).await {
                        tracing::error!(jid = %session.jid, error = %e, "broadcasting a held presence failed");
                    }
                    return;
                }
                Due::Wait(more) => wait = more,
                Due::Nothing => return,
            }
        }
    });
}

/// A broadcast presence (available or unavailable) of the session's own, sent now.
async fn own(core: &Core, session: &Arc<Session>, stanza: Element) -> Result<(), RouteError> {
    match PresenceType::of(&stanza) {
        Some(PresenceType::Unavailable) => unavailable(core, session, Some(stanza)).await,
        _ => available(core, session, stanza).await,
    }
}

/// Contacts of `owner` whose subscription is one of `wanted` and who have an available
/// session now, or who are on another server. Presence to anyone else would reach nobody
/// (a local contact offline gets current presence by probing when it comes online), so a
/// presence costs one roster read plus a table lookup per item, and routing work only for
/// the contacts present and the remote ones.
async fn present_contacts(core: &Core, owner: &BareJid, wanted: &[Subscription]) -> Result<Vec<BareJid>, RouteError> {
    Ok(roster::items_where(core, owner, |i| {
        wanted.contains(&i.subscription) && (core.sessions.any_available(&i.contact) || remote(core, &i.contact))
    })
    .await?
    .into_iter()
    .filter_map(|i| BareJid::new(&i.contact).ok())
    .collect())
}

/// Whether `contact` is on another server this one federates with: whether it is
/// available only that server knows, so it gets presence and probes whatever this
/// server's session table says.
fn remote(core: &Core, contact: &str) -> bool {
    let domain = contact.rsplit_once('@').map_or(contact, |(_, domain)| domain);
    core.s2s().is_some() && !core.accounts.serves(domain)
}

/// Routes `presence` from `from` to `to`.
async fn send_to(core: &Core, from: &FullJid, to: &BareJid, presence: &Arc<SharedElement>) -> Result<(), RouteError> {
    core.route_copy(Jid::from(from.clone()), Jid::from(to.clone()), presence)
        .await
}

/// Sends `presence` from `from` to the user's other resources and to subscribers.
async fn broadcast(core: &Core, from: &FullJid, presence: &Element) -> Result<(), RouteError> {
    let presence = &SharedElement::new(presence.clone());
    let owner = from.to_bare();
    send_to(core, from, &owner, presence).await?;
    for contact in present_contacts(core, &owner, &[Subscription::From, Subscription::Both]).await? {
        send_to(core, from, &contact, presence).await?;
    }
    Ok(())
}

async fn available(core: &Core, session: &Arc<Session>, mut stanza: Element) -> Result<(), RouteError> {
    // XEP-0398 §4: contacts learn the avatar's hash whatever client set it.
    crate::core::pep::avatar_sync::stamp_presence(core, &session.jid.to_bare(), &mut stanza).await;
    let priority = stanza
        .child("priority", ns::CLIENT)
        .and_then(|p| p.text().trim().parse::<i8>().ok())
        .unwrap_or(0);
    let before = session.last_presence();
    let initial = session.set_available(priority, stanza.clone());
    broadcast(core, &session.jid, &stanza).await?;
    // PEP (XEP-0163 §4.3.3): the resource's capabilities, and the last items it asks for.
    let sent = PresenceEvent::Available {
        session,
        before: before.as_ref(),
        presence: &stanza,
        initial,
    };
    core.presence_event(sent).await?;
    if !initial {
        return Ok(());
    }
    // Bring the new resource up to date: its siblings, its contacts, pending requests.
    let owner = session.jid.to_bare();
    let probe = stanza::presence(PresenceType::Probe, &session.jid.to_string(), owner.as_str());
    let probe = SharedElement::new(probe);
    send_to(core, &session.jid, &owner, &probe).await?;
    for contact in present_contacts(core, &owner, &[Subscription::To, Subscription::Both]).await? {
        send_to(core, &session.jid, &contact, &probe).await?;
    }
    for request in roster::pending_requests(core, &owner).await? {
        session.send(request);
    }
    // What waited for the user (offline messages, XEP-0160).
    core.presence_event(PresenceEvent::Online { session }).await
}

async fn unavailable(core: &Core, session: &Arc<Session>, stanza: Option<Element>) -> Result<(), RouteError> {
    let (was_available, directed) = session.set_unavailable();
    let presence = stanza.unwrap_or_else(|| {
        Element::new("presence", ns::CLIENT)
            .with_attr("type", "unavailable")
            .with_attr("from", session.jid.to_string())
    });
    if was_available {
        broadcast(core, &session.jid, &presence).await?;
    }
    for to in directed {
        let mut p = presence.clone();
        p.set_attr("to", to.to_string());
        core.route(Jid::from(session.jid.clone()), p).await?;
    }
    Ok(())
}

/// The current presence of every available session of `owner`, to `contact`.
async fn send_current(core: &Core, owner: &BareJid, contact: &BareJid) -> Result<(), RouteError> {
    for s in core.sessions.sessions_of(owner) {
        if let Some(p) = s.last_presence() {
            send_to(core, &s.jid, contact, &SharedElement::new(p)).await?;
        }
    }
    Ok(())
}

/// Unavailable presence from every available session of `owner`, to `contact`.
async fn send_unavailable(core: &Core, owner: &BareJid, contact: &BareJid) -> Result<(), RouteError> {
    for s in core.sessions.sessions_of(owner) {
        if s.available() {
            let p = stanza::presence(PresenceType::Unavailable, &s.jid.to_string(), contact.as_str());
            core.route(Jid::from(s.jid.clone()), p).await?;
        }
    }
    Ok(())
}

/// Tells contacts what became of a session, and of whom they may see.
pub(crate) struct TellContacts;

#[async_trait]
impl Subscriber for TellContacts {
    async fn on_session(&self, core: &Core, event: SessionEvent<'_>) -> Result<(), RouteError> {
        match event {
            // The session is going away: unavailable presence to whoever saw it available.
            // What its shaper held is dropped; one being broadcast goes out first.
            SessionEvent::Ended(session) => {
                let _turn = session.close_presence().await;
                unavailable(core, session, None).await
            }
            // A session of another node is back after this node told its contacts it was
            // gone (the node was paused, or cut off): its last presence to them again.
            SessionEvent::Returned(session) => match session.last_presence() {
                Some(p) => broadcast(core, &session.jid, &p).await,
                None => Ok(()),
            },
        }
    }

    async fn on_presence(&self, core: &Core, event: PresenceEvent<'_>) -> Result<(), RouteError> {
        match event {
            // The contact's presence now flows to the user (RFC 6121 3.1.5).
            PresenceEvent::Shared { owner, contact, .. } => send_current(core, owner, contact).await,
            PresenceEvent::Hidden { owner, contact } => send_unavailable(core, owner, contact).await,
            PresenceEvent::Available { .. } | PresenceEvent::Online { .. } => Ok(()),
        }
    }
}

//! Offline messages (XEP-0160): a chat or normal message with a body, for an account with
//! no available session, is held until that account next sends initial presence, then
//! delivered with `<delay/>` (XEP-0203) saying when the server received it.
//!
//! The archive keeps its own copy (MAM, the REST history) either way; this queue is what
//! a client that does not query the archive sees on login. An event stream (SSE) is an
//! available session: a user with one open is online, so nothing is held for them.
//! At most `max_messages` are held per user; past that a message is refused with
//! `<resource-constraint/>` (it stays in the archive). Messages marked `<no-store/>`
//! (XEP-0334) or carrying no body (chat states, receipts) are not held, but for room
//! invitations (XEP-0045 mediated, XEP-0249 direct).

use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::events::{self, PresenceEvent};
use crate::core::routing::router::RouteError;
use crate::core::session::Session;
use crate::core::stanza::{ns, Condition, ErrorType, MessageType, StanzaError};
use crate::core::Core;
use crate::store::{OfflineMessage, StoreError};
use crate::xml::{parse_element, Element};
use async_trait::async_trait;
use jid::BareJid;
use std::sync::Arc;

/// XEP-0334 message processing hints.
const HINTS: &str = "urn:xmpp:hints";

/// How many messages are held for one user (`modules.mod_offline.max_messages`).
#[derive(Debug, Clone, Copy)]
pub struct OfflineSettings {
    pub max_messages: usize,
}

/// Whether a message undelivered for lack of a session is worth holding (XEP-0160 §3):
/// one with a body, or an invitation to a room (XEP-0045 §7.8.2 mediated, XEP-0249
/// direct), which has none but is meant for a person, not a session.
pub(crate) fn holds(stanza: &Element) -> bool {
    let invitation = stanza
        .child("x", ns::MUC_USER)
        .is_some_and(|x| x.child("invite", ns::MUC_USER).is_some())
        || stanza.child("x", DIRECT_INVITATION).is_some();
    matches!(MessageType::of(stanza), MessageType::Chat | MessageType::Normal)
        && (stanza.child("body", ns::CLIENT).is_some() || invitation)
        && stanza.child("no-store", HINTS).is_none()
}

/// XEP-0249 direct MUC invitations.
const DIRECT_INVITATION: &str = "jabber:x:conference";

/// Holds `stanza` for `owner`. `Ok(false)`: the user's queue is full (the caller tells
/// the sender).
pub(crate) async fn hold(core: &Core, owner: &BareJid, stanza: &Element) -> Result<bool, RouteError> {
    let Some(settings) = core.settings.offline else {
        return Ok(true);
    };
    let message = OfflineMessage {
        timestamp_ms: now_ms(),
        stanza: stanza.to_xml(ns::CLIENT),
    };
    match core
        .stores
        .offline
        .push_offline(owner.as_str(), &message, settings.max_messages)
        .await
    {
        Ok(()) => {
            // A session may have become available since the caller found none, its
            // initial presence taking the held messages before this one was stored: hand
            // them to it now. Taking is atomic, so each message still goes out once.
            let online = core
                .sessions
                .sessions_of(owner)
                .into_iter()
                .filter(|s| s.available() && !s.is_detached() && s.priority() >= 0)
                .max_by_key(|s| s.priority());
            if let Some(session) = online {
                deliver_held(core, &session).await?;
            }
            Ok(true)
        }
        Err(StoreError::LimitReached) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// What a sender gets when the recipient's queue is full.
pub(crate) fn queue_full(core: &Core) -> StanzaError {
    let max = core.settings.offline.map_or(0, |s| s.max_messages);
    StanzaError::with_type(ErrorType::Wait, Condition::ResourceConstraint)
        .with_text(format!("The recipient has too many offline messages (at most {max})"))
}

/// Hands a user's held messages to their session once it is online (XEP-0160 §4).
pub(crate) struct DeliverHeld;

#[async_trait]
impl events::Subscriber for DeliverHeld {
    async fn on_presence(&self, core: &Core, event: PresenceEvent<'_>) -> Result<(), RouteError> {
        match event {
            PresenceEvent::Online { session } => deliver_held(core, session).await,
            _ => Ok(()),
        }
    }
}

/// Delivers what is held for the session's account to `session`, with `<delay/>`, and
/// forgets it. Called on the session's initial presence.
async fn deliver_held(core: &Core, session: &Arc<Session>) -> Result<(), RouteError> {
    if core.settings.offline.is_none() {
        return Ok(());
    }
    let owner = session.jid.to_bare();
    for held in core.stores.offline.take_offline(owner.as_str()).await? {
        let Ok(mut stanza) = parse_element(&held.stanza) else {
            tracing::warn!(owner = %owner, "an offline message could not be read back; skipped");
            continue;
        };
        stanza.children.push(crate::xml::Node::Element(
            Element::new("delay", ns::DELAY)
                .with_attr("from", owner.domain().as_str())
                .with_attr("stamp", crate::core::archive::mam::format_time(held.timestamp_ms)),
        ));
        session.send(stanza);
    }
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Forgets a removed account's held messages.
pub(crate) struct DeleteRemovedOffline;

#[async_trait]
impl Subscriber for DeleteRemovedOffline {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        if let AccountEvent::Removed(removed) = event {
            core.stores.offline.delete_offline(removed.as_str()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_chat_and_normal_messages_with_a_body_are_held() {
        let m = |xml: &str| parse_element(xml).unwrap();
        assert!(holds(&m("<message type='chat'><body>hi</body></message>")));
        assert!(holds(&m("<message><body>hi</body></message>")));
        assert!(!holds(&m("<message type='headline'><body>hi</body></message>")));
        assert!(!holds(&m("<message type='groupchat'><body>hi</body></message>")));
        assert!(!holds(&m(
            "<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>"
        )));
        assert!(!holds(&m(
            "<message type='chat'><body>hi</body><no-store xmlns='urn:xmpp:hints'/></message>"
        )));
        // Invitations to rooms have no body but are held.
        assert!(holds(&m(
            "<message><x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@localhost'/></x></message>"
        )));
        assert!(holds(&m(
            "<message><x xmlns='jabber:x:conference' jid='room@conference.localhost'/></message>"
        )));
        assert!(!holds(&m(
            "<message><x xmlns='http://jabber.org/protocol/muc#user'><decline from='a@localhost'/></x></message>"
        )));
    }
}

//! Message carbons (XEP-0280): a user's clients that ask for it see the one-to-one chats
//! the user's other clients send and receive, wrapped in `<sent/>` or `<received/>`
//! (XEP-0297 forwarding) and addressed from the user's bare JID.
//!
//! Eligible (§6): a message of type `chat`, or of type `normal` with a body, that is not
//! an error, carries no `<private/>` (§7) or `<no-copy/>` hint (XEP-0334) and is not a
//! carbon itself. A message sent over REST has no sending client: every carbon-enabled
//! session of the sender gets the `<sent/>` copy.

use crate::core::routing::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::session::{Outbound, Session};
use crate::core::stanza::{ns, Condition, MessageType, StanzaError};
use crate::core::Core;
use crate::xml::{Element, SharedElement};
use async_trait::async_trait;
use jid::{BareJid, Jid};
use std::sync::Arc;

pub(crate) const NS: &str = "urn:xmpp:carbons:2";
const HINTS: &str = "urn:xmpp:hints";

/// Whether `stanza` is copied to the user's other clients.
pub(crate) fn eligible(stanza: &Element) -> bool {
    let kind = MessageType::of(stanza);
    let chatty =
        kind == MessageType::Chat || (kind == MessageType::Normal && stanza.child("body", ns::CLIENT).is_some());
    chatty
        && stanza.child("private", NS).is_none()
        && stanza.child("no-copy", HINTS).is_none()
        && stanza.child("sent", NS).is_none()
        && stanza.child("received", NS).is_none()
}

/// The carbon of `stanza`, shared by every session that gets one (each copy addressed to
/// its session).
fn wrap(direction: &str, owner: &BareJid, stanza: Element) -> Arc<SharedElement> {
    let kind = stanza.attr("type").unwrap_or("normal").to_owned();
    SharedElement::new(
        Element::new("message", ns::CLIENT)
            .with_attr("from", owner.to_string())
            .with_attr("type", kind)
            .with_child(
                Element::new(direction, NS).with_child(Element::new("forwarded", ns::FORWARD).with_child(stanza)),
            ),
    )
}

/// Sends the carbon of `stanza` to each of `sessions`, made only if there is one.
fn send_carbons<'a>(
    direction: &str,
    owner: &BareJid,
    sessions: impl Iterator<Item = &'a Arc<Session>>,
    stanza: impl FnOnce() -> Element,
) {
    let mut sessions = sessions.peekable();
    if sessions.peek().is_none() {
        return;
    }
    let carbon = wrap(direction, owner, stanza());
    for s in sessions {
        s.send(Outbound::copy(&carbon, Jid::from(s.jid.clone())));
    }
}

/// `<received/>` copies of a message delivered to `owner`, for its carbon-enabled
/// available sessions that did not get the message itself (`delivered`, by session id).
pub(crate) fn copy_received(owner: &BareJid, sessions: &[Arc<Session>], delivered: &[u64], stanza: &Outbound) {
    if !eligible(stanza.content()) {
        return;
    }
    let copied = sessions
        .iter()
        .filter(|s| s.carbons() && s.available() && !delivered.contains(&s.id));
    send_carbons("received", owner, copied, || stanza.to_element().into_owned());
}

/// Whether any session of `owner` takes carbons (so a sent message is worth copying).
pub(crate) fn wanted(core: &Core, owner: &BareJid) -> bool {
    core.sessions.sessions_of(owner).iter().any(|s| s.carbons())
}

/// `<sent/>` copies of a message `owner` sent, for its carbon-enabled sessions other
/// than the one it was sent from (`sender`; none for a REST send).
pub(crate) fn copy_sent(core: &Core, owner: &BareJid, sender: Option<u64>, stanza: &Element) {
    if !eligible(stanza) {
        return;
    }
    let sessions = core.sessions.sessions_of(owner);
    let copied = sessions.iter().filter(|s| s.carbons() && Some(s.id) != sender);
    send_carbons("sent", owner, copied, || stanza.clone());
}

/// `<enable/>` and `<disable/>` from a client, for that client's session.
pub(crate) struct CarbonsIq;

#[async_trait]
impl IqHandler for CarbonsIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let on = match request.payload.name.as_str() {
            "enable" => true,
            "disable" => false,
            _ => return Err(Condition::BadRequest.into()),
        };
        if request.is_get() {
            return Err(Condition::BadRequest.into());
        }
        let session = request
            .from
            .try_as_full()
            .ok()
            .and_then(|full| core.sessions.session(full))
            .ok_or_else(|| StanzaError::new(Condition::NotAllowed))?;
        session.set_carbons(on);
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    #[test]
    fn chats_and_normal_messages_with_a_body_are_copied_unless_marked() {
        let m = |x: &str| parse_element(x).unwrap();
        assert!(eligible(&m("<message type='chat'><body>x</body></message>")));
        assert!(eligible(&m(
            "<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>"
        )));
        assert!(eligible(&m("<message><body>x</body></message>")));
        assert!(!eligible(&m("<message/>")));
        assert!(!eligible(&m("<message type='groupchat'><body>x</body></message>")));
        assert!(!eligible(&m("<message type='headline'><body>x</body></message>")));
        assert!(!eligible(&m("<message type='error'><body>x</body></message>")));
        assert!(!eligible(&m(
            "<message type='chat'><body>x</body><private xmlns='urn:xmpp:carbons:2'/></message>"
        )));
        assert!(!eligible(&m(
            "<message type='chat'><body>x</body><no-copy xmlns='urn:xmpp:hints'/></message>"
        )));
    }
}

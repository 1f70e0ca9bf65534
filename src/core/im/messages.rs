//! One-to-one messages sent through the REST door: the same `<message type='chat'/>` an
//! XMPP client would send, routed the same way (archived for both parties first, then
//! delivered to every session of the recipient, SSE streams included).
//!
//! A REST caller has no session to receive an error stanza, so a message to a domain no
//! service here owns (there is no federation yet) is kept in the sender's archive, where
//! the sender can see it went out, instead of being bounced.

use crate::core::archive::Keepers;
use crate::core::routing::router::RouteError;
use crate::core::stanza::ns;
use crate::core::Core;
use crate::xml::Element;
use jid::{BareJid, Jid};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Not a JID, or one without a local part.
    #[error("invalid recipient")]
    InvalidRecipient,
    /// The sender blocked the recipient (XEP-0191 §3.4).
    #[error("the recipient is blocked")]
    Blocked,
    /// The recipient's server is one this server does not federate with (`[s2s]`
    /// policy), or federation is off.
    #[error("this server does not federate with {0}")]
    NotFederated(String),
    #[error(transparent)]
    Route(#[from] RouteError),
}

/// Sends a chat message with `body` from `from` to `to` (any letter case); returns the
/// new message's id once it is archived.
pub async fn send_chat(core: &Core, from: &BareJid, to: &str, body: String) -> Result<String, SendError> {
    let to = match crate::core::jid::parse(to.trim()) {
        Ok(to) if to.node().is_some() => to,
        _ => return Err(SendError::InvalidRecipient),
    };
    if super::blocking::blocks(core, from, &to)
        .await
        .map_err(RouteError::from)?
    {
        return Err(SendError::Blocked);
    }
    let id = new_message_id();
    let stanza = Element::new("message", ns::CLIENT)
        .with_attr("from", from.to_string())
        .with_attr("to", to.to_string())
        .with_attr("type", "chat")
        .with_attr("id", id.clone())
        .with_child(Element::new("body", ns::CLIENT).with_text(body));
    let copy = super::carbons::wanted(core, from).then(|| stanza.clone());
    let domain = to.domain().as_str();
    let served = core.router.serves(domain);
    if !served && core.s2s().is_some_and(|s| !s.allows(domain)) {
        return Err(SendError::NotFederated(domain.to_owned()));
    }
    if core
        .sessions
        .sessions_of(&to.to_bare())
        .iter()
        .any(|s| s.remote_node().is_none())
    {
        // Delivered here: what the sender sent through other nodes just before is
        // delivered first (a no-op without a cluster).
        core.catch_up().await;
    }
    if served || core.s2s().is_some() {
        // To another server: archived for the sender, then queued for it; a failure
        // comes back later as an error message to the sender.
        core.route(Jid::from(from.clone()), stanza).await?;
    } else if core.archives(&stanza) {
        let keepers = Keepers::SenderAndRecipient {
            recipient_is_local: false,
        };
        let (_, commit) = core
            .archive_chat(from, &to.to_bare(), &stanza, keepers)
            .await
            .map_err(RouteError::from)?;
        commit.wait().await.map_err(RouteError::from)?;
    }
    // The user's own clients see what was sent in their name (XEP-0280 §6).
    if let Some(copy) = copy {
        super::carbons::copy_sent(core, from, None, &copy);
    }
    // The sender's next message may go through another node of a cluster: what this one
    // sent to other nodes leaves first, so the two keep their order wherever they meet.
    core.settle().await;
    Ok(id)
}

/// Why a stanza sent for a user (the admin API) was not sent. The texts are the admin
/// API's (MongooseIM's).
#[derive(Debug, thiserror::Error)]
pub enum StanzaSendError {
    #[error("Malformed stanza")]
    Malformed,
    #[error("Missing sender JID")]
    MissingSender,
    #[error("Invalid sender JID")]
    InvalidSender,
    #[error("Missing recipient JID")]
    MissingRecipient,
    #[error("Invalid recipient JID")]
    InvalidRecipient,
    #[error("User's domain does not exist")]
    UnknownDomain,
    #[error("User does not exist")]
    UnknownUser,
    #[error(transparent)]
    Route(#[from] RouteError),
}

/// Sends `xml`, one `<message/>`, `<presence/>` or `<iq/>` of `jabber:client`, as the
/// user its `from` names (bare or full JID), as if from that user's client: read with a
/// client stanza's rules, then routed, archived and copied as theirs. A subscription
/// presence goes through the user's roster first (RFC 6121 §3). An `id` is added when
/// it has none.
pub async fn send_stanza(core: &Core, xml: &str) -> Result<(), StanzaSendError> {
    let mut stanza = crate::xml::parse_element(xml.trim()).map_err(|_| StanzaSendError::Malformed)?;
    if stanza.ns != ns::CLIENT || !matches!(stanza.name.as_str(), "message" | "presence" | "iq") {
        return Err(StanzaSendError::Malformed);
    }
    let from = match stanza.attr("from").map(|f| crate::core::jid::parse(f.trim())) {
        Some(Ok(f)) if f.node().is_some() => Some(f),
        Some(_) => return Err(StanzaSendError::InvalidSender),
        None => None,
    };
    let to = match stanza.attr("to").map(|t| crate::core::jid::parse(t.trim())) {
        Some(Ok(t)) => t,
        Some(Err(_)) => return Err(StanzaSendError::InvalidRecipient),
        None => return Err(StanzaSendError::MissingRecipient),
    };
    let from = from.ok_or(StanzaSendError::MissingSender)?;
    let owner = from.to_bare();
    if !core.accounts.serves(owner.domain().as_str()) {
        return Err(StanzaSendError::UnknownDomain);
    }
    if !core.accounts.exists(&owner).await.map_err(RouteError::from)? {
        return Err(StanzaSendError::UnknownUser);
    }
    stanza.set_attr("from", from.to_string());
    stanza.set_attr("to", to.to_string());
    if stanza.attr("id").is_none_or(str::is_empty) {
        stanza.set_attr("id", new_message_id());
    }
    if core
        .blocked_recipient(&owner, &stanza)
        .await
        .map_err(RouteError::from)?
    {
        // XEP-0191 §3.4: nothing goes to someone the user blocked.
        return Ok(());
    }
    if stanza.name == "presence" {
        let action = crate::core::stanza::PresenceType::of(&stanza).and_then(super::roster::SubscriptionAction::of);
        if let (Some(action), Some(contact)) = (action, to.node().map(|_| to.to_bare())) {
            return Ok(super::roster::outbound(core, &owner, &contact, action, Some(stanza)).await?);
        }
    }
    let copy = (stanza.name == "message" && super::carbons::eligible(&stanza) && super::carbons::wanted(core, &owner))
        .then(|| stanza.clone());
    core.route(from, stanza).await?;
    if let Some(copy) = copy {
        super::carbons::copy_sent(core, &owner, None, &copy);
    }
    core.settle().await;
    Ok(())
}

/// A fresh message id: 128 random bits, hex.
fn new_message_id() -> String {
    let bytes: [u8; 16] = rand::random();
    crate::core::hex(&bytes)
}

//! Rosters and presence subscriptions (RFC 6121 §2, §3 and Appendix A).
//!
//! Each user's item for a contact has a subscription (`none`, `to`, `from`, `both`) and
//! two pending flags: an outbound request awaiting the contact (`ask='subscribe'`) and an
//! inbound request awaiting the user. [`State::apply`] is the Appendix A state machine,
//! for both the sending and the receiving side of each subscription stanza. The functions
//! around it change items atomically in the store, push changes to the user's interested
//! resources, and route the stanza to the other party, the same way whether the user acts
//! over XMPP or over REST: [`outbound`] on the sender's side, [`inbound`] on the
//! recipient's (reached through the router, wherever the recipient is served).
//!
//! An inbound request from someone not in the roster is kept (across restarts) without
//! creating a roster item; it is re-delivered on the user's next initial presence and
//! shown to REST clients as a contact with `ask: "in"`.
//!
//! When an account is removed, [`PurgeRemovedAccount`] takes it out of every roster
//! (with pushes, and unavailable presence to those who saw it) and deletes its own.

use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::events::PresenceEvent;
use crate::core::routing::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::routing::router::RouteError;
use crate::core::stanza::{self, ns, Condition, ErrorType, PresenceType, StanzaError};
use crate::core::Core;
pub use crate::store::Subscription;
use crate::store::{RosterEdit, RosterItem, RosterUpdate, StoreError};
use crate::xml::Element;
use async_trait::async_trait;
use jid::{BareJid, Jid};

/// A subscription stanza's effect (the `type` of a `<presence/>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionAction {
    Subscribe,
    Subscribed,
    Unsubscribe,
    Unsubscribed,
}

impl SubscriptionAction {
    /// The action of a presence type, if it is a subscription type.
    pub fn of(kind: PresenceType) -> Option<Self> {
        Some(match kind {
            PresenceType::Subscribe => Self::Subscribe,
            PresenceType::Subscribed => Self::Subscribed,
            PresenceType::Unsubscribe => Self::Unsubscribe,
            PresenceType::Unsubscribed => Self::Unsubscribed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Subscribed => "subscribed",
            Self::Unsubscribe => "unsubscribe",
            Self::Unsubscribed => "unsubscribed",
        }
    }
}

/// Which side of the exchange an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The user who sent the stanza.
    Outbound,
    /// The user it was sent to.
    Inbound,
}

/// The subscription part of an item: the states of RFC 6121 Appendix A.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct State {
    pub subscription: Subscription,
    pub pending_out: bool,
    pub pending_in: bool,
}

impl State {
    /// The new state after `action` on `side`, or `None` when the stanza changes nothing
    /// (RFC 6121 A.2 and A.3). Delivery rules follow from the result: a changed state is
    /// always delivered; outbound `subscribe` and `unsubscribe` are delivered even when
    /// they change nothing.
    pub fn apply(self, side: Side, action: SubscriptionAction) -> Option<State> {
        use Subscription::*;
        use SubscriptionAction::*;
        let State {
            subscription: s,
            pending_out: out,
            pending_in: inb,
        } = self;
        let next = |subscription, pending_out, pending_in| State {
            subscription,
            pending_out,
            pending_in,
        };
        let result = match (side, action) {
            (Side::Outbound, Subscribe) => match s {
                None if !out => next(None, true, inb),
                From if !out => next(From, true, false),
                _ => return Option::None,
            },
            (Side::Inbound, Subscribe) => match s {
                None if !inb => next(None, out, true),
                To if !inb => next(To, false, true),
                _ => return Option::None,
            },
            (Side::Outbound, Subscribed) => match s {
                None if inb => next(From, out, false),
                To if inb => next(Both, false, false),
                _ => return Option::None,
            },
            (Side::Inbound, Subscribed) => match s {
                None if out => next(To, false, inb),
                From if out => next(Both, false, false),
                _ => return Option::None,
            },
            (Side::Outbound, Unsubscribe) | (Side::Inbound, Unsubscribed) => match s {
                None if out => next(None, false, inb),
                To => next(None, false, inb),
                From if out => next(From, false, false),
                Both => next(From, false, false),
                _ => return Option::None,
            },
            (Side::Inbound, Unsubscribe) | (Side::Outbound, Unsubscribed) => match s {
                None if inb => next(None, out, false),
                To if inb => next(To, false, false),
                From => next(None, out, false),
                Both => next(To, false, false),
                _ => return Option::None,
            },
        };
        Some(result)
    }

    /// Pending requests, as REST shows them (`ask`).
    pub fn ask(self) -> Ask {
        match (self.pending_in, self.pending_out) {
            (false, false) => Ask::None,
            (true, false) => Ask::In,
            (false, true) => Ask::Out,
            (true, true) => Ask::Both,
        }
    }
}

/// An inbound `subscribe` that changes nothing is still answered when the contact is
/// already approved: the server replies `subscribed` on the user's behalf (RFC 6121 3.1.3).
fn auto_approves(state: State, action: SubscriptionAction) -> bool {
    action == SubscriptionAction::Subscribe && matches!(state.subscription, Subscription::From | Subscription::Both)
}

/// Outbound stanzas are routed even when they change nothing on the sender's side, except
/// approvals and cancellations that have nothing to approve or cancel.
fn deliver_unchanged(action: SubscriptionAction) -> bool {
    matches!(action, SubscriptionAction::Subscribe | SubscriptionAction::Unsubscribe)
}

fn state_of(item: &RosterItem) -> State {
    State {
        subscription: item.subscription,
        pending_out: item.ask_out,
        pending_in: item.pending_in,
    }
}

/// Pending subscription requests of a contact: from the user (`out`), from the contact
/// (`in`), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    None,
    In,
    Out,
    Both,
}

/// `item` in `state`, or its deletion when nothing is left of it.
fn keep_or_delete(mut item: RosterItem, state: State) -> RosterEdit {
    item.subscription = state.subscription;
    item.ask_out = state.pending_out;
    item.pending_in = state.pending_in;
    let empty = !item.in_roster && !item.pending_in && !item.ask_out && item.subscription == Subscription::None;
    if empty {
        RosterEdit::Delete
    } else {
        RosterEdit::Put(item)
    }
}

/// A roster item as `<item/>` for pushes and results.
fn item_element(item: &RosterItem) -> Element {
    let mut el = Element::new("item", ns::ROSTER)
        .with_attr("jid", item.contact.clone())
        .with_attr("subscription", item.subscription.as_str());
    if let Some(name) = &item.name {
        el.set_attr("name", name.clone());
    }
    if item.ask_out {
        el.set_attr("ask", "subscribe");
    }
    for g in &item.groups {
        el = el.with_child(Element::new("group", ns::ROSTER).with_text(g.clone()));
    }
    el
}

/// The roster's version (XEP-0237): a digest of what the roster shows, so a client that
/// cached the roster at this version needs nothing resent. Items come sorted by contact.
pub(crate) fn version_of(items: &[RosterItem]) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    for i in items.iter().filter(|i| i.in_roster) {
        digest.update(item_element(i).to_xml(ns::ROSTER));
        digest.update([0]);
    }
    digest.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends a roster push for `item` (or its removal) to `owner`'s interested resources
/// (RFC 6121 §2.1.6), with the roster's version after the change.
async fn push(core: &Core, owner: &BareJid, item: Element) {
    let interested: Vec<_> = core
        .sessions
        .sessions_of(owner)
        .into_iter()
        .filter(|s| s.wants_roster())
        .collect();
    if interested.is_empty() {
        return;
    }
    let version = match items_where(core, owner, |i| i.in_roster).await {
        Ok(items) => Some(version_of(&items)),
        Err(e) => {
            tracing::warn!(error = %e, "roster version unknown for a push");
            None
        }
    };
    for s in interested {
        let mut query = Element::new("query", ns::ROSTER).with_child(item.clone());
        if let Some(v) = &version {
            query.set_attr("ver", v.clone());
        }
        let iq = Element::new("iq", ns::CLIENT)
            .with_attr("type", "set")
            .with_attr("id", format!("push{}", rand::random::<u32>()))
            .with_attr("to", s.jid.to_string())
            .with_child(query);
        s.send(iq);
    }
}

/// Pushes the item as it is now, when it is one the roster shows.
async fn push_item(core: &Core, owner: &BareJid, item: Option<&RosterItem>) {
    if let Some(item) = item.filter(|i| i.in_roster) {
        push(core, owner, item_element(item)).await;
    }
}

async fn push_removal(core: &Core, owner: &BareJid, contact: &str) {
    push(
        core,
        owner,
        Element::new("item", ns::ROSTER)
            .with_attr("jid", contact)
            .with_attr("subscription", "remove"),
    )
    .await;
}

/// Errors of roster operations that callers turn into IQ errors or HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("no such contact")]
    NotFound,
    #[error("no such user")]
    NoSuchUser,
    /// The roster holds `modules.mod_roster.max_items` items already.
    #[error("the roster is full (at most {0} items)")]
    Full(usize),
    #[error(transparent)]
    Route(#[from] RouteError),
}

impl From<StoreError> for RosterError {
    fn from(e: StoreError) -> Self {
        RosterError::Route(e.into())
    }
}

/// What a subscription that would add an item to a full roster gets (RFC 6120 §8.3.3.12).
fn roster_full(core: &Core) -> StanzaError {
    StanzaError::with_type(ErrorType::Modify, Condition::PolicyViolation).with_text(format!(
        "The roster is full (at most {} items)",
        core.settings.roster_max_items
    ))
}

/// A contact as REST shows it: shown in the roster, or asking to subscribe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub jid: String,
    pub subscription: Subscription,
    pub ask: Ask,
}

/// `owner`'s contacts for REST: roster items plus pending inbound requests.
pub async fn contacts(core: &Core, owner: &BareJid) -> Result<Vec<Contact>, RosterError> {
    Ok(items_where(core, owner, |i| i.in_roster || i.pending_in)
        .await?
        .into_iter()
        .map(|i| Contact {
            ask: state_of(&i).ask(),
            subscription: i.subscription,
            jid: i.contact,
        })
        .collect())
}

/// Whether `contact` is one of `owner`'s contacts as REST shows them.
pub async fn is_contact(core: &Core, owner: &BareJid, contact: &BareJid) -> Result<bool, RosterError> {
    Ok(core
        .stores
        .roster
        .roster_item(owner.as_str(), contact.as_str())
        .await?
        .is_some_and(|i| i.in_roster || i.pending_in))
}

/// Adds a user to `owner`'s roster (REST): a local account, or, with federation on, a
/// user of a server this one federates with; [`RosterError::NoSuchUser`] for anyone else.
pub async fn add_contact(core: &Core, owner: &BareJid, contact: &BareJid) -> Result<(), RosterError> {
    let domain = contact.domain().as_str();
    let known = if core.accounts.serves(domain) {
        core.accounts.exists(contact).await?
    } else {
        // Whether the user exists only the other server knows; a subscription request
        // it cannot deliver comes back as an error.
        core.s2s().is_some_and(|s| s.allows(domain))
    };
    if contact.node().is_none() || !known {
        return Err(RosterError::NoSuchUser);
    }
    set_item(core, owner, contact, None, Vec::new()).await
}

/// The items of `owner`'s roster that `keep` accepts, by contact.
pub(crate) async fn items_where(
    core: &Core,
    owner: &BareJid,
    keep: impl Fn(&RosterItem) -> bool,
) -> Result<Vec<RosterItem>, StoreError> {
    let mut items = core.stores.roster.roster(owner.as_str()).await?;
    items.retain(keep);
    Ok(items)
}

/// Runs `edit` on `owner`'s item for `contact`, atomically in the store.
async fn update(
    core: &Core,
    owner: &BareJid,
    contact: &BareJid,
    edit: impl FnOnce(Option<&RosterItem>) -> RosterEdit + Send + 'static,
) -> Result<RosterUpdate, StoreError> {
    core.stores
        .roster
        .update_roster_item(
            owner.as_str(),
            contact.as_str(),
            core.settings.roster_max_items,
            Box::new(edit),
        )
        .await
}

/// Applies the subscription stanza `action` to `owner`'s item for `contact`, on `side`
/// (RFC 6121 Appendix A). Asking to subscribe or approving puts the contact in the
/// sender's roster; a request received from someone new is kept outside it.
async fn transition(
    core: &Core,
    owner: &BareJid,
    contact: &BareJid,
    side: Side,
    action: SubscriptionAction,
) -> Result<RosterUpdate, StoreError> {
    let jid = contact.to_string();
    update(core, owner, contact, move |old| {
        let mut item = old.cloned().unwrap_or_else(|| {
            let mut i = RosterItem::new(&jid);
            i.in_roster = side == Side::Outbound;
            i
        });
        let Some(next) = state_of(&item).apply(side, action) else {
            return RosterEdit::Keep;
        };
        if side == Side::Outbound && matches!(action, SubscriptionAction::Subscribe | SubscriptionAction::Subscribed) {
            item.in_roster = true;
        }
        keep_or_delete(item, next)
    })
    .await
}

/// Adds or updates an item (roster set without `subscription='remove'`).
pub async fn set_item(
    core: &Core,
    owner: &BareJid,
    contact: &BareJid,
    name: Option<String>,
    groups: Vec<String>,
) -> Result<(), RosterError> {
    let jid = contact.to_string();
    let update = update(core, owner, contact, move |old| {
        let mut item = old.cloned().unwrap_or_else(|| RosterItem::new(&jid));
        item.name = name.filter(|n| !n.is_empty());
        item.groups = groups;
        item.in_roster = true;
        RosterEdit::Put(item)
    })
    .await
    .map_err(|e| match e {
        StoreError::LimitReached => RosterError::Full(core.settings.roster_max_items),
        other => other.into(),
    })?;
    push_item(core, owner, update.after.as_ref()).await;
    Ok(())
}

/// Removes an item, cancelling subscriptions both ways (RFC 6121 2.5.2).
pub async fn remove_item(core: &Core, owner: &BareJid, contact: &BareJid) -> Result<(), RosterError> {
    let update = update(core, owner, contact, |old| match old {
        Some(_) => RosterEdit::Delete,
        None => RosterEdit::Keep,
    })
    .await?;
    let Some(item) = update.before else {
        return Err(RosterError::NotFound);
    };
    if item.in_roster {
        push_removal(core, owner, contact.as_str()).await;
    }
    let subscribed_to = matches!(item.subscription, Subscription::To | Subscription::Both) || item.ask_out;
    let subscribed_from = matches!(item.subscription, Subscription::From | Subscription::Both) || item.pending_in;
    if subscribed_to {
        send_subscription(core, owner, contact, SubscriptionAction::Unsubscribe, None).await?;
    }
    if subscribed_from {
        send_subscription(core, owner, contact, SubscriptionAction::Unsubscribed, None).await?;
        core.presence_event(PresenceEvent::Hidden { owner, contact }).await?;
    }
    Ok(())
}

/// Routes a subscription stanza from `from` to `to` (bare JIDs, RFC 6121 3.1.2), keeping
/// what the original presence carried (a status text).
async fn send_subscription(
    core: &Core,
    from: &BareJid,
    to: &BareJid,
    action: SubscriptionAction,
    original: Option<Element>,
) -> Result<(), RouteError> {
    let mut presence = original.unwrap_or_else(|| Element::new("presence", ns::CLIENT));
    presence.set_attr("type", action.as_str());
    presence.set_attr("from", from.to_string());
    presence.set_attr("to", to.to_string());
    core.route(Jid::from(from.clone()), presence).await
}

/// `owner` sends a subscription stanza to `contact` (from XMPP or REST). `stanza` is the
/// original presence, if any, so that status texts travel along.
pub async fn outbound(
    core: &Core,
    owner: &BareJid,
    contact: &BareJid,
    action: SubscriptionAction,
    stanza: Option<Element>,
) -> Result<(), RouteError> {
    let update = match transition(core, owner, contact, Side::Outbound, action).await {
        Ok(update) => update,
        Err(StoreError::LimitReached) => {
            if let Some(stanza) = &stanza {
                core.bounce(&Jid::from(owner.clone()), stanza, roster_full(core)).await;
            }
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let changed = update.changed();
    if changed {
        push_item(core, owner, update.after.as_ref()).await;
    }
    if changed || deliver_unchanged(action) {
        send_subscription(core, owner, contact, action, stanza).await?;
    }
    if changed {
        match action {
            // The owner's presence now flows to the contact (RFC 6121 3.1.5), who is also
            // a PEP subscriber of the owner now (XEP-0163 §4.1).
            SubscriptionAction::Subscribed => {
                let shared = PresenceEvent::Shared {
                    owner,
                    contact,
                    approved: true,
                };
                core.presence_event(shared).await?;
            }
            SubscriptionAction::Unsubscribed => core.presence_event(PresenceEvent::Hidden { owner, contact }).await?,
            _ => {}
        }
    }
    Ok(())
}

/// `contact`, a local JID, receives a subscription stanza from `sender`. Returns the
/// stanza its sessions get, when the stanza changed something for them.
pub(crate) async fn inbound(
    core: &Core,
    sender: &BareJid,
    contact: &BareJid,
    action: SubscriptionAction,
    stanza: Element,
) -> Result<Option<Element>, RouteError> {
    if !core.accounts.exists(contact).await? {
        if action == SubscriptionAction::Subscribe {
            // RFC 6121 3.1.3: answer for a user that does not exist.
            send_subscription(core, contact, sender, SubscriptionAction::Unsubscribed, None).await?;
        }
        return Ok(None);
    }
    let update = match transition(core, contact, sender, Side::Inbound, action).await {
        Ok(update) => update,
        // A request from someone new to a full roster is refused, not kept.
        Err(StoreError::LimitReached) => {
            core.bounce(&Jid::from(contact.clone()), &stanza, roster_full(core))
                .await;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if update.changed() {
        push_item(core, contact, update.after.as_ref()).await;
        let mut presence = stanza;
        presence.set_attr("to", contact.to_string());
        return Ok(Some(presence));
    }
    if update
        .before
        .as_ref()
        .is_some_and(|i| auto_approves(state_of(i), action))
    {
        // Already approved: answer on the contact's behalf, deliver nothing.
        send_subscription(core, contact, sender, SubscriptionAction::Subscribed, None).await?;
        let shared = PresenceEvent::Shared {
            owner: contact,
            contact: sender,
            approved: false,
        };
        core.presence_event(shared).await?;
    }
    Ok(None)
}

/// Pending inbound requests of `owner`, as `subscribe` presences to re-deliver.
pub(crate) async fn pending_requests(core: &Core, owner: &BareJid) -> Result<Vec<Element>, StoreError> {
    Ok(items_where(core, owner, |i| i.pending_in)
        .await?
        .into_iter()
        .map(|i| stanza::presence(PresenceType::Subscribe, &i.contact, owner.as_str()))
        .collect())
}

/// `jabber:iq:roster` for the requester's own account (RFC 6121 §2.1.3, §2.3).
pub(crate) struct RosterIq;

#[async_trait]
impl IqHandler for RosterIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.for_own_account() {
            return Err(Condition::Forbidden.into());
        }
        let owner = request.from.to_bare();
        let failed = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "roster operation failed");
            StanzaError::new(Condition::InternalServerError)
        };
        if request.is_get() {
            if let Ok(full) = request.from.try_as_full() {
                if let Some(s) = core.sessions.session(full) {
                    s.set_wants_roster();
                }
            }
            // The roster as XMPP shows it: not bare pending requests.
            let items = items_where(core, &owner, |i| i.in_roster)
                .await
                .map_err(|e| failed(&e))?;
            // XEP-0237 §2.3: a client whose cached version is current gets an empty result
            // and then the pushes.
            let version = version_of(&items);
            if request.payload.attr("ver") == Some(version.as_str()) {
                return Ok(None);
            }
            let mut q = Element::new("query", ns::ROSTER).with_attr("ver", version);
            for i in &items {
                q = q.with_child(item_element(i));
            }
            return Ok(Some(q));
        }
        let mut items = request.payload.elements().filter(|e| e.is("item", ns::ROSTER));
        let (Some(item), None) = (items.next(), items.next()) else {
            return Err(Condition::BadRequest.into());
        };
        let Some(contact) = item.attr("jid").and_then(|j| crate::core::jid::parse_bare(j).ok()) else {
            return Err(Condition::BadRequest.into());
        };
        if contact == owner {
            return Err(StanzaError::with_type(ErrorType::Modify, Condition::NotAllowed));
        }
        let result = if item.attr("subscription") == Some("remove") {
            remove_item(core, &owner, &contact).await
        } else {
            let groups = item
                .elements()
                .filter(|g| g.is("group", ns::ROSTER))
                .map(Element::text)
                .collect();
            set_item(core, &owner, &contact, item.attr("name").map(str::to_owned), groups).await
        };
        match result {
            Ok(()) => Ok(None),
            Err(RosterError::NotFound) => Err(Condition::ItemNotFound.into()),
            Err(RosterError::Full(_)) => Err(roster_full(core)),
            Err(e) => Err(failed(&e)),
        }
    }
}

/// Takes a removed account out of every roster, with a push to each owner's interested
/// resources and unavailable presence to those who received its presence, then deletes
/// its own roster.
pub(crate) struct PurgeRemovedAccount;

#[async_trait]
impl Subscriber for PurgeRemovedAccount {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        let AccountEvent::Removed(removed) = event else {
            return Ok(());
        };
        for (owner, item) in core.stores.roster.remove_contact_everywhere(removed.as_str()).await? {
            let Ok(owner) = BareJid::new(&owner) else {
                continue;
            };
            if item.in_roster {
                push_removal(core, &owner, removed.as_str()).await;
            }
            if matches!(item.subscription, Subscription::To | Subscription::Both) {
                let hidden = PresenceEvent::Hidden {
                    owner: removed,
                    contact: &owner,
                };
                core.presence_event(hidden).await?;
            }
        }
        core.stores.roster.delete_roster(removed.as_str()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Subscription::*;
    use SubscriptionAction::*;

    fn st(subscription: Subscription, pending_out: bool, pending_in: bool) -> State {
        State {
            subscription,
            pending_out,
            pending_in,
        }
    }

    #[test]
    fn the_full_handshake_walks_both_sides_to_both() {
        // Alice asks Bob; Bob approves and asks back; Alice approves.
        let mut alice = State::default();
        let mut bob = State::default();
        alice = alice.apply(Side::Outbound, Subscribe).unwrap();
        bob = bob.apply(Side::Inbound, Subscribe).unwrap();
        assert_eq!((alice, bob), (st(None, true, false), st(None, false, true)));
        bob = bob.apply(Side::Outbound, Subscribed).unwrap();
        alice = alice.apply(Side::Inbound, Subscribed).unwrap();
        assert_eq!((alice, bob), (st(To, false, false), st(From, false, false)));
        bob = bob.apply(Side::Outbound, Subscribe).unwrap();
        alice = alice.apply(Side::Inbound, Subscribe).unwrap();
        assert_eq!((alice, bob), (st(To, false, true), st(From, true, false)));
        alice = alice.apply(Side::Outbound, Subscribed).unwrap();
        bob = bob.apply(Side::Inbound, Subscribed).unwrap();
        assert_eq!((alice, bob), (st(Both, false, false), st(Both, false, false)));
        assert_eq!(alice.ask(), Ask::None);
    }

    #[test]
    fn cancelling_and_unsubscribing_follow_appendix_a() {
        let both = st(Both, false, false);
        assert_eq!(both.apply(Side::Outbound, Unsubscribe), Some(st(From, false, false)));
        assert_eq!(both.apply(Side::Inbound, Unsubscribe), Some(st(To, false, false)));
        assert_eq!(both.apply(Side::Outbound, Unsubscribed), Some(st(To, false, false)));
        assert_eq!(both.apply(Side::Inbound, Unsubscribed), Some(st(From, false, false)));
        // A denied request clears both pending flags.
        assert_eq!(
            st(None, false, true).apply(Side::Outbound, Unsubscribed),
            Some(st(None, false, false))
        );
        assert_eq!(
            st(None, true, false).apply(Side::Inbound, Unsubscribed),
            Some(st(None, false, false))
        );
        assert_eq!(
            st(None, true, true).apply(Side::Inbound, Unsubscribed),
            Some(st(None, false, true))
        );
    }

    #[test]
    fn stanzas_that_change_nothing_are_recognised() {
        assert_eq!(st(None, false, false).apply(Side::Outbound, Subscribed), Option::None);
        assert_eq!(st(To, false, false).apply(Side::Outbound, Subscribe), Option::None);
        assert_eq!(st(None, false, true).apply(Side::Inbound, Subscribe), Option::None);
        assert_eq!(st(From, false, false).apply(Side::Inbound, Subscribe), Option::None);
        assert!(auto_approves(st(From, false, false), Subscribe));
        assert!(!auto_approves(st(To, false, false), Subscribe));
        assert_eq!(st(None, false, false).apply(Side::Inbound, Unsubscribe), Option::None);
    }

    #[test]
    fn rest_shows_pending_flags_as_ask() {
        assert_eq!(st(None, true, true).ask(), Ask::Both);
        assert_eq!(st(None, false, true).ask(), Ask::In);
        assert_eq!(st(None, true, false).ask(), Ask::Out);
    }
}

//! Rosters and presence subscriptions (RFC 6121 §2, §3 and Appendix A).
//!
//! Each user's item for a contact has a subscription (`none`, `to`, `from`, `both`) and
//! two pending flags: an outbound request awaiting the contact (`ask='subscribe'`) and an
//! inbound request awaiting the user. [`Item::apply`] is the Appendix A state machine,
//! for both the sending and the receiving side of each subscription stanza; the async
//! functions around it load and store items, push changes to the user's interested
//! resources, and deliver the stanza to the other party, the same way whether the user
//! acts over XMPP or over REST.
//!
//! An inbound request from someone not in the roster is kept (across restarts) without
//! creating a roster item; it is re-delivered on the user's next initial presence and
//! shown to REST clients as a contact with `ask: "in"`.

use super::delivery::{error_reply, iq_result, CLIENT_NS};
use super::iq::ROSTER_NS;
use crate::server::Context;
use crate::store::{RosterItem, Subscription};
use crate::xml::Element;
use jid::{BareJid, FullJid};
use std::sync::Arc;

/// A subscription stanza's effect (the `type` of a `<presence/>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionAction {
    Subscribe,
    Subscribed,
    Unsubscribe,
    Unsubscribed,
}

impl SubscriptionAction {
    pub fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "subscribe" => Self::Subscribe,
            "subscribed" => Self::Subscribed,
            "unsubscribe" => Self::Unsubscribe,
            "unsubscribed" => Self::Unsubscribed,
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
    /// always delivered; see [`deliver_unchanged`] for the rest.
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

    /// `ask` for REST: `none`, `in`, `out` or `both`.
    pub fn ask(self) -> &'static str {
        match (self.pending_in, self.pending_out) {
            (false, false) => "none",
            (true, false) => "in",
            (false, true) => "out",
            (true, true) => "both",
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

/// A roster item as `<item/>` for pushes and results.
pub fn item_element(item: &RosterItem) -> Element {
    let mut el = Element::new("item", ROSTER_NS)
        .with_attr("jid", item.contact.clone())
        .with_attr("subscription", item.subscription.as_str());
    if let Some(name) = &item.name {
        el.set_attr("name", name.clone());
    }
    if item.ask_out {
        el.set_attr("ask", "subscribe");
    }
    for g in &item.groups {
        el = el.with_child(Element::new("group", ROSTER_NS).with_text(g.clone()));
    }
    el
}

/// Sends a roster push for `item` (or its removal) to `owner`'s interested resources.
fn push(ctx: &Context, owner: &BareJid, item: Element) {
    for s in ctx.router.sessions_of(owner) {
        if s.wants_roster() {
            let iq = Element::new("iq", CLIENT_NS)
                .with_attr("type", "set")
                .with_attr("id", format!("push{}", rand::random::<u32>()))
                .with_attr("to", s.jid.to_string())
                .with_child(Element::new("query", ROSTER_NS).with_child(item.clone()));
            s.send(iq);
        }
    }
}

fn push_item(ctx: &Context, owner: &BareJid, item: &RosterItem) {
    if item.in_roster {
        push(ctx, owner, item_element(item));
    }
}

fn push_removal(ctx: &Context, owner: &BareJid, contact: &str) {
    push(
        ctx,
        owner,
        Element::new("item", ROSTER_NS)
            .with_attr("jid", contact)
            .with_attr("subscription", "remove"),
    );
}

/// Errors of roster operations that callers turn into IQ errors or HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("no such contact")]
    NotFound,
    #[error("no such user")]
    NoSuchUser,
    #[error("invalid item")]
    BadRequest,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The items of `owner`'s roster as XMPP shows it (not bare pending requests).
pub async fn visible_items(ctx: &Context, owner: &BareJid) -> Result<Vec<RosterItem>, RosterError> {
    Ok(ctx
        .store
        .roster(owner.as_str())
        .await?
        .into_iter()
        .filter(|i| i.in_roster)
        .collect())
}

/// Adds or updates an item (roster set without `subscription='remove'`).
pub async fn set_item(
    ctx: &Context,
    owner: &BareJid,
    contact: &BareJid,
    name: Option<String>,
    groups: Vec<String>,
) -> Result<(), RosterError> {
    let _guard = ctx.roster_lock.lock().await;
    let mut item = ctx
        .store
        .roster_item(owner.as_str(), contact.as_str())
        .await?
        .unwrap_or_else(|| RosterItem::new(contact.as_str()));
    item.name = name.filter(|n| !n.is_empty());
    item.groups = groups;
    item.in_roster = true;
    ctx.store.put_roster_item(owner.as_str(), &item).await?;
    push_item(ctx, owner, &item);
    Ok(())
}

/// Removes an item, cancelling subscriptions both ways (RFC 6121 2.5.2).
pub async fn remove_item(ctx: &Arc<Context>, owner: &BareJid, contact: &BareJid) -> Result<(), RosterError> {
    let item = {
        let _guard = ctx.roster_lock.lock().await;
        let Some(item) = ctx.store.roster_item(owner.as_str(), contact.as_str()).await? else {
            return Err(RosterError::NotFound);
        };
        ctx.store.delete_roster_item(owner.as_str(), contact.as_str()).await?;
        item
    };
    if item.in_roster {
        push_removal(ctx, owner, contact.as_str());
    }
    let state = state_of(&item);
    let subscribed_to = matches!(item.subscription, Subscription::To | Subscription::Both) || state.pending_out;
    let subscribed_from = matches!(item.subscription, Subscription::From | Subscription::Both) || state.pending_in;
    if subscribed_to {
        inbound(ctx, owner, contact, SubscriptionAction::Unsubscribe, None).await?;
    }
    if subscribed_from {
        inbound(ctx, owner, contact, SubscriptionAction::Unsubscribed, None).await?;
        super::presence::send_unavailable_to(ctx, owner, contact);
    }
    Ok(())
}

/// `owner` sends a subscription stanza to `contact` (from XMPP or REST). `stanza` is the
/// original presence, if any, so that status texts travel along.
pub async fn outbound(
    ctx: &Arc<Context>,
    owner: &BareJid,
    contact: &BareJid,
    action: SubscriptionAction,
    stanza: Option<Element>,
) -> Result<(), RosterError> {
    let changed = {
        let _guard = ctx.roster_lock.lock().await;
        let existing = ctx.store.roster_item(owner.as_str(), contact.as_str()).await?;
        let mut item = existing.clone().unwrap_or_else(|| RosterItem::new(contact.as_str()));
        match state_of(&item).apply(Side::Outbound, action) {
            Some(next) => {
                item.subscription = next.subscription;
                item.ask_out = next.pending_out;
                item.pending_in = next.pending_in;
                // Asking to subscribe (or approving) puts the contact in the roster.
                if matches!(action, SubscriptionAction::Subscribe | SubscriptionAction::Subscribed) {
                    item.in_roster = true;
                }
                save(ctx, owner, &item).await?;
                if existing.as_ref().is_none_or(|e| e.in_roster || item.in_roster) {
                    push_item(ctx, owner, &item);
                }
                true
            }
            None => false,
        }
    };
    if changed || deliver_unchanged(action) {
        inbound(ctx, owner, contact, action, stanza).await?;
    }
    if changed {
        match action {
            // The contact's presence now flows to the user (RFC 6121 3.1.5).
            SubscriptionAction::Subscribed => super::presence::send_current_presence(ctx, owner, contact),
            SubscriptionAction::Unsubscribed => super::presence::send_unavailable_to(ctx, owner, contact),
            _ => {}
        }
    }
    Ok(())
}

/// `contact` receives a subscription stanza from `sender`.
async fn inbound(
    ctx: &Arc<Context>,
    sender: &BareJid,
    contact: &BareJid,
    action: SubscriptionAction,
    stanza: Option<Element>,
) -> Result<(), RosterError> {
    if !ctx.accounts.serves(contact.domain().as_str()) {
        return Ok(());
    }
    if !ctx.accounts.exists(contact).await.unwrap_or(false) {
        if action == SubscriptionAction::Subscribe {
            // RFC 6121 3.1.3: answer for a user that does not exist.
            let reply = Box::pin(inbound(ctx, contact, sender, SubscriptionAction::Unsubscribed, None));
            reply.await?;
        }
        return Ok(());
    }
    let (changed, auto) = {
        let _guard = ctx.roster_lock.lock().await;
        let existing = ctx.store.roster_item(contact.as_str(), sender.as_str()).await?;
        let mut item = existing.clone().unwrap_or_else(|| {
            let mut i = RosterItem::new(sender.as_str());
            i.in_roster = false;
            i
        });
        let before = state_of(&item);
        match before.apply(Side::Inbound, action) {
            Some(next) => {
                item.subscription = next.subscription;
                item.ask_out = next.pending_out;
                item.pending_in = next.pending_in;
                save(ctx, contact, &item).await?;
                push_item(ctx, contact, &item);
                (true, false)
            }
            None => (false, existing.is_some() && auto_approves(before, action)),
        }
    };
    if auto {
        // Already approved: answer on the contact's behalf, deliver nothing.
        let approve = Box::pin(inbound(ctx, contact, sender, SubscriptionAction::Subscribed, None));
        approve.await?;
        super::presence::send_current_presence(ctx, contact, sender);
        return Ok(());
    }
    if changed {
        let mut presence = stanza.unwrap_or_else(|| Element::new("presence", CLIENT_NS));
        presence.set_attr("type", action.as_str());
        presence.set_attr("from", sender.to_string());
        presence.set_attr("to", contact.to_string());
        super::presence::deliver_to_available(ctx, contact, presence);
    }
    Ok(())
}

/// Stores an item, or deletes it when nothing is left of it.
async fn save(ctx: &Context, owner: &BareJid, item: &RosterItem) -> Result<(), RosterError> {
    let empty = !item.in_roster && !item.pending_in && !item.ask_out && item.subscription == Subscription::None;
    if empty {
        ctx.store.delete_roster_item(owner.as_str(), &item.contact).await?;
    } else {
        ctx.store.put_roster_item(owner.as_str(), item).await?;
    }
    Ok(())
}

/// Pending inbound requests of `owner`, as `subscribe` presences to re-deliver.
pub async fn pending_requests(ctx: &Context, owner: &BareJid) -> Vec<Element> {
    let items = ctx.store.roster(owner.as_str()).await.unwrap_or_default();
    items
        .into_iter()
        .filter(|i| i.pending_in)
        .map(|i| {
            Element::new("presence", CLIENT_NS)
                .with_attr("type", "subscribe")
                .with_attr("from", i.contact)
                .with_attr("to", owner.to_string())
        })
        .collect()
}

/// Answers a `jabber:iq:roster` IQ from the account's own session.
pub async fn handle_iq(ctx: &Arc<Context>, from: &FullJid, stanza: &Element, query: &Element) -> Element {
    let owner = from.to_bare();
    match stanza.attr("type") {
        Some("get") => {
            if let Some(s) = ctx.router.session(from) {
                s.set_wants_roster();
            }
            match visible_items(ctx, &owner).await {
                Ok(items) => {
                    let mut q = Element::new("query", ROSTER_NS);
                    for i in &items {
                        q = q.with_child(item_element(i));
                    }
                    iq_result(stanza, Some(q))
                }
                Err(e) => {
                    tracing::error!(error = %e, "roster read failed");
                    error_reply(stanza, "wait", "internal-server-error")
                }
            }
        }
        Some("set") => {
            let mut items = query.elements().filter(|e| e.is("item", ROSTER_NS));
            let (Some(item), None) = (items.next(), items.next()) else {
                return error_reply(stanza, "modify", "bad-request");
            };
            let Some(contact) = item.attr("jid").and_then(|j| BareJid::new(j).ok()) else {
                return error_reply(stanza, "modify", "bad-request");
            };
            if contact == owner {
                return error_reply(stanza, "modify", "not-allowed");
            }
            let result = if item.attr("subscription") == Some("remove") {
                remove_item(ctx, &owner, &contact).await
            } else {
                let groups = item
                    .elements()
                    .filter(|g| g.is("group", ROSTER_NS))
                    .map(Element::text)
                    .collect();
                set_item(ctx, &owner, &contact, item.attr("name").map(str::to_owned), groups).await
            };
            match result {
                Ok(()) => iq_result(stanza, None),
                Err(RosterError::NotFound) => error_reply(stanza, "cancel", "item-not-found"),
                Err(e) => {
                    tracing::error!(error = %e, "roster update failed");
                    error_reply(stanza, "wait", "internal-server-error")
                }
            }
        }
        _ => error_reply(stanza, "modify", "bad-request"),
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
        assert_eq!(alice.ask(), "none");
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
        assert_eq!(st(None, true, true).ask(), "both");
        assert_eq!(st(None, false, true).ask(), "in");
        assert_eq!(st(None, true, false).ask(), "out");
    }
}

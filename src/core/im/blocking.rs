//! Blocking (XEP-0191): a user's blocklist, kept in storage and cached in memory, and
//! its enforcement for every door.
//!
//! - Inbound (§3.3): a message or IQ request from a blocked entity gets
//!   `<service-unavailable/>`, exactly what a JID without an account gets (the sender's
//!   own archive keeps its copy, as it would for such a JID); presence is dropped. A REST
//!   send is a message like any other, so a blocked REST sender sees the same.
//! - Outbound (§3.4): what the user sends to an entity they blocked is not routed; over
//!   XMPP it comes back as `<not-acceptable/>` with `<blocked xmlns='urn:xmpp:blocking:errors'/>`,
//!   over REST it is refused with `403`.
//! - Blocking someone who sees the user's presence sends them unavailable presence first.
//!
//! An item matches an address as XEP-0016 §2.1 orders JIDs: the full JID, the bare JID,
//! the domain with the resource, or the domain.

use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::caches::Cache;
use crate::core::events::PresenceEvent;
use crate::core::routing::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::routing::router::RouteError;
use crate::core::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::core::Core;
use crate::store::{StoreError, Subscription};
use crate::xml::Element;
use async_trait::async_trait;
use jid::{BareJid, Jid};
use std::sync::Arc;

pub(crate) const NS: &str = "urn:xmpp:blocking";
const ERRORS_NS: &str = "urn:xmpp:blocking:errors";

/// `owner`'s blocklist, from the cache or storage.
async fn list_of(core: &Core, owner: &BareJid) -> Result<Arc<Vec<String>>, StoreError> {
    if let Some(list) = core.caches.blocklists.get(owner.as_str()) {
        return Ok(list);
    }
    let list = Arc::new(core.stores.blocking.blocklist(owner.as_str()).await?);
    core.caches.blocklists.set(owner.as_str(), list.clone());
    Ok(list)
}

/// Whether `item` (a blocklist entry) covers `other`.
fn matches(item: &str, other: &Jid) -> bool {
    let domain = other.domain().as_str();
    item == other.as_str()
        || item == other.to_bare().as_str()
        || item == domain
        || other
            .resource()
            .is_some_and(|r| item.strip_prefix(domain).and_then(|rest| rest.strip_prefix('/')) == Some(r.as_str()))
}

/// Whether `owner` blocked `other`.
pub(crate) async fn blocks(core: &Core, owner: &BareJid, other: &Jid) -> Result<bool, StoreError> {
    if other.to_bare() == *owner {
        return Ok(false);
    }
    Ok(list_of(core, owner).await?.iter().any(|item| matches(item, other)))
}

/// The error for a stanza the user sent to someone they blocked.
pub(crate) fn blocked_error() -> StanzaError {
    let mut e = StanzaError::with_type(ErrorType::Cancel, Condition::NotAcceptable);
    e.app_condition = Some(Box::new(Element::new("blocked", ERRORS_NS)));
    e
}

fn item_list(name: &str, items: &[String]) -> Element {
    let mut el = Element::new(name, NS);
    for jid in items {
        el = el.with_child(Element::new("item", NS).with_attr("jid", jid.as_str()));
    }
    el
}

/// Tells the owner's sessions that asked for the blocklist what changed (§3.2).
fn push(core: &Core, owner: &BareJid, change: Element) {
    for s in core.sessions.sessions_of(owner) {
        if s.wants_blocklist() {
            s.send(
                Element::new("iq", ns::CLIENT)
                    .with_attr("type", "set")
                    .with_attr("id", format!("block{}", rand::random::<u32>()))
                    .with_attr("to", s.jid.to_string())
                    .with_child(change.clone()),
            );
        }
    }
}

/// `<blocklist/>`, `<block/>` and `<unblock/>` on the user's own account.
pub(crate) struct BlockingIq;

#[async_trait]
impl IqHandler for BlockingIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let owner = request.from.to_bare();
        if request.to.node().is_some() && !request.for_own_account() {
            return Err(Condition::Forbidden.into());
        }
        let failed = |e: StoreError| {
            tracing::error!(error = %e, "blocklist operation failed");
            StanzaError::new(Condition::InternalServerError)
        };
        match (request.payload.name.as_str(), request.is_get()) {
            ("blocklist", true) => {
                if let Some(s) = request.from.try_as_full().ok().and_then(|f| core.sessions.session(f)) {
                    s.set_wants_blocklist();
                }
                let list = list_of(core, &owner).await.map_err(failed)?;
                Ok(Some(item_list("blocklist", &list)))
            }
            (name @ ("block" | "unblock"), false) => {
                let mut jids = Vec::new();
                for item in request.payload.elements().filter(|e| e.is("item", NS)) {
                    let given = item.attr("jid").unwrap_or_default();
                    let jid = crate::core::jid::parse(given)
                        .map_err(|_| StanzaError::with_type(ErrorType::Modify, Condition::JidMalformed))?;
                    jids.push(jid.to_string());
                }
                if name == "block" && jids.is_empty() {
                    return Err(Condition::BadRequest.into());
                }
                let store = &core.stores.blocking;
                if name == "block" {
                    hide_presence(core, &owner, &jids).await;
                    store.block(owner.as_str(), &jids).await.map_err(failed)?;
                } else {
                    store.unblock(owner.as_str(), &jids).await.map_err(failed)?;
                }
                let list = store.blocklist(owner.as_str()).await.map_err(failed)?;
                core.caches.blocklists.set(owner.as_str(), Arc::new(list));
                core.cached_changed(Cache::Blocklist, owner.as_str()).await;
                push(core, &owner, item_list(name, &jids));
                Ok(None)
            }
            _ => Err(Condition::BadRequest.into()),
        }
    }
}

/// Before blocking: whoever of `jids` sees the user's presence gets unavailable.
async fn hide_presence(core: &Core, owner: &BareJid, jids: &[String]) {
    for jid in jids {
        let Ok(contact) = BareJid::new(jid) else { continue };
        let sees = core
            .stores
            .roster
            .roster_item(owner.as_str(), contact.as_str())
            .await
            .ok()
            .flatten()
            .is_some_and(|i| matches!(i.subscription, Subscription::From | Subscription::Both));
        if sees {
            let hidden = PresenceEvent::Hidden {
                owner,
                contact: &contact,
            };
            if let Err(e) = core.presence_event(hidden).await {
                tracing::debug!(error = %e, "unavailable presence to a blocked contact failed");
            }
        }
    }
}

/// Forgets a removed account's blocklist.
pub(crate) struct DeleteRemovedBlocklist;

#[async_trait]
impl Subscriber for DeleteRemovedBlocklist {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        if let AccountEvent::Removed(removed) = event {
            core.stores.blocking.unblock(removed.as_str(), &[]).await?;
            core.caches.blocklists.forget(removed.as_str());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_covers_the_jids_xep_0016_orders_under_it() {
        let j = |s: &str| Jid::new(s).unwrap();
        let full = j("mallory@evil.example/phone");
        for item in [
            "mallory@evil.example/phone",
            "mallory@evil.example",
            "evil.example",
            "evil.example/phone",
        ] {
            assert!(matches(item, &full), "{item}");
        }
        for item in [
            "mallory@evil.example/pc",
            "eve@evil.example",
            "other.example",
            "evil.example/pc",
        ] {
            assert!(!matches(item, &full), "{item}");
        }
        assert!(matches("evil.example", &j("evil.example")));
        assert!(!matches("mallory@evil.example/phone", &j("mallory@evil.example")));
    }
}

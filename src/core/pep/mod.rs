//! PEP and what rides on it. Beside this file: `caps` (XEP-0115 entity capabilities:
//! what each client wants notifications of), `avatar_sync` (XEP-0398: vCard photo and
//! PEP avatar kept the same, the avatar hash in presence), `config` and `protocol`.
//!
//! Events: hears `PresenceEvent::Available` (a resource's capabilities, and the last
//! items it asks for) and `PresenceEvent::Shared` when a subscription is approved (the
//! new subscriber's last items), through `LastItems`; hears the removal of an account
//! (its nodes go). Emits none.
//!
//! The Personal Eventing Protocol (XEP-0163): every account's bare JID is a
//! publish-subscribe service (XEP-0060) with the owner as its only publisher.
//!
//! - Publishing creates a missing node (`auto-create`) with the XEP-0163 §5 defaults or
//!   the publication's `publish-options`; on an existing node those options are
//!   preconditions (§7.1.5: `<conflict/>` + `<precondition-not-met/>` when they differ).
//!   Items replace the item with the same id; a node keeps its newest `max_items`.
//! - Owner operations: create (with a configuration form), configure (get/set),
//!   default configuration, delete, purge, retract. Everyone else may read items and
//!   list nodes as the node's access model allows: `presence` (the default; contacts with
//!   a `from`/`both` subscription), `open`, or `whitelist` (the owner only).
//! - Notifications (§4.3) go from the bare JID as `headline` messages to the owner's
//!   available resources and, unless the node is `whitelist`, to every available
//!   resource of the contacts with a presence subscription to the owner; only to
//!   resources with non-negative priority whose entity capabilities (`caps`)
//!   list `<node>+notify` (`filtered-notifications`). There are no explicit
//!   subscriptions (`subscribe` is `feature-not-implemented`).
//! - The last item of each node (`send_last_published_item`) goes to a resource when
//!   its capabilities become known after initial presence or change (`on_sub_and_presence`),
//!   and to a contact's resources when the owner approves its subscription
//!   (`on_sub` too).
//! - Limits ([`PepSettings`]): payload size (avatar data has its own), nodes per account,
//!   items per node, bytes per account.
//!
//! What an account publishes is deleted with it (`DeletePepOfRemovedAccount`).

pub(crate) mod avatar_sync;
pub(crate) mod caps;

pub(crate) mod config;
pub(crate) mod protocol;

#[cfg(test)]
mod tests;

use super::forms::Form;
use super::session::Session;
use super::stanza::{ns, Condition, ErrorType, IqType, StanzaError};
use super::Core;
use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::events::{self, PresenceEvent};
use crate::core::routing::iq::{Identity, IqAnswer, IqHandler, IqRequest};
use crate::core::routing::router::RouteError;
use crate::core::untrusted::Untrusted;
use crate::store::{
    AccessModel, NodeConfig, PepItem, PepLimits, PreconditionFn, Publication, Published, SendLastItem, StoreError,
    Subscription,
};
use crate::xml::{parse_element, Element};
use async_trait::async_trait;
use caps::{CapsRef, Interests};
use config::{config_form, ConfigPatch};
use jid::BareJid;
use protocol::{bad_request, error, node_of, precondition_not_met, unsupported};
use std::collections::HashMap;
use std::sync::Arc;

/// The node XEP-0084 avatar images are published to, allowed a larger payload.
pub(crate) const AVATAR_DATA: &str = "urn:xmpp:avatar:data";

/// The limits of every account's service (`[modules.mod_pep]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PepSettings {
    /// Largest payload of one item, serialized, in bytes.
    pub max_payload_size: usize,
    /// The same for items of `urn:xmpp:avatar:data`.
    pub max_avatar_size: usize,
    /// Nodes one account may have.
    pub max_nodes: usize,
    /// Items one node may keep (`max_items = max`).
    pub max_items: usize,
    /// Payload bytes all of one account's items may take.
    pub max_bytes: usize,
}

impl Default for PepSettings {
    fn default() -> Self {
        PepSettings {
            max_payload_size: 64 * 1024,
            max_avatar_size: 128 * 1024,
            max_nodes: 100,
            max_items: 256,
            max_bytes: 10 * 1024 * 1024,
        }
    }
}

impl PepSettings {
    fn limits(&self) -> PepLimits {
        PepLimits {
            max_nodes: self.max_nodes,
            max_items: self.max_items,
            max_bytes: self.max_bytes,
        }
    }

    fn payload_limit(&self, node: &str) -> usize {
        if node == AVATAR_DATA {
            self.max_avatar_size
        } else {
            self.max_payload_size
        }
    }
}

/// The identity an account's bare JID adds (XEP-0163 §6).
pub(crate) const IDENTITY: Identity = Identity {
    category: "pubsub",
    kind: "pep",
    name: None,
};

/// The XEP-0060 features the service implements, listed on the bare JID.
pub(crate) const FEATURES: &[&str] = &[
    "http://jabber.org/protocol/pubsub#access-open",
    "http://jabber.org/protocol/pubsub#access-presence",
    "http://jabber.org/protocol/pubsub#access-whitelist",
    "http://jabber.org/protocol/pubsub#auto-create",
    "http://jabber.org/protocol/pubsub#auto-subscribe",
    "http://jabber.org/protocol/pubsub#config-node",
    "http://jabber.org/protocol/pubsub#create-and-configure",
    "http://jabber.org/protocol/pubsub#create-nodes",
    "http://jabber.org/protocol/pubsub#delete-items",
    "http://jabber.org/protocol/pubsub#delete-nodes",
    "http://jabber.org/protocol/pubsub#filtered-notifications",
    "http://jabber.org/protocol/pubsub#item-ids",
    "http://jabber.org/protocol/pubsub#last-published",
    "http://jabber.org/protocol/pubsub#multi-items",
    "http://jabber.org/protocol/pubsub#persistent-items",
    "http://jabber.org/protocol/pubsub#presence-notifications",
    "http://jabber.org/protocol/pubsub#publish",
    "http://jabber.org/protocol/pubsub#publish-options",
    "http://jabber.org/protocol/pubsub#purge-nodes",
    "http://jabber.org/protocol/pubsub#retract-items",
    "http://jabber.org/protocol/pubsub#retrieve-default",
    "http://jabber.org/protocol/pubsub#retrieve-items",
];

fn settings(core: &Core) -> Result<&PepSettings, StanzaError> {
    core.settings
        .pep
        .as_ref()
        .ok_or_else(|| StanzaError::new(Condition::ServiceUnavailable))
}

/// A storage failure, logged once and answered `internal-server-error`.
fn failed(e: StoreError) -> StanzaError {
    tracing::error!(error = %e, "PEP storage failed");
    StanzaError::new(Condition::InternalServerError)
}

fn owner_only(request: &IqRequest<'_>) -> Result<(), StanzaError> {
    match request.for_own_account() {
        true => Ok(()),
        false => Err(StanzaError::new(Condition::Forbidden)),
    }
}

/// Who asks, as far as a node's access model is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Owner,
    /// A contact with a presence subscription to the owner.
    Subscriber,
    Other,
}

async fn reader(core: &Core, owner: &BareJid, requester: &BareJid) -> Result<Reader, StoreError> {
    if requester == owner {
        return Ok(Reader::Owner);
    }
    let item = core
        .stores
        .roster
        .roster_item(owner.as_str(), requester.as_str())
        .await?;
    Ok(
        match item.is_some_and(|i| matches!(i.subscription, Subscription::From | Subscription::Both)) {
            true => Reader::Subscriber,
            false => Reader::Other,
        },
    )
}

/// XEP-0060 §6.5.9: whether `reader` may read a node with `config`.
fn may_read(reader: Reader, config: &NodeConfig) -> Result<(), StanzaError> {
    match (reader, config.access_model) {
        (Reader::Owner, _) | (_, AccessModel::Open) | (Reader::Subscriber, AccessModel::Presence) => Ok(()),
        (_, AccessModel::Presence) => Err(error(Condition::NotAuthorized, "presence-subscription-required")),
        (_, AccessModel::Whitelist) => Err(error(Condition::NotAllowed, "closed-node")),
    }
}

/// The configuration of an existing node (`item-not-found` otherwise).
async fn existing(core: &Core, owner: &BareJid, node: &str) -> Result<NodeConfig, StanzaError> {
    core.stores
        .pep
        .pep_node(owner.as_str(), node)
        .await
        .map_err(failed)?
        .ok_or_else(|| StanzaError::new(Condition::ItemNotFound))
}

/// A stored payload, parsed back; one that no longer parses is left out (logged).
fn payload_of(owner: &BareJid, node: &str, item: &PepItem) -> Option<Element> {
    match parse_element(&item.payload) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::error!(%owner, node = %Untrusted(node), id = %Untrusted(&item.id), error = %e, "unreadable PEP payload");
            None
        }
    }
}

/// `<pubsub xmlns='http://jabber.org/protocol/pubsub'/>` to an account's bare JID.
pub(crate) struct PubsubIq;

#[async_trait]
impl IqHandler for PubsubIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let pep = settings(core)?;
        let owner = request.to.to_bare();
        // The action, whatever the order of the elements that qualify it.
        let elements: Vec<&Element> = request.payload.elements().filter(|e| e.ns == ns::PUBSUB).collect();
        let Some(action) = elements
            .iter()
            .find(|e| !matches!(e.name.as_str(), "publish-options" | "configure"))
            .or_else(|| elements.first())
            .copied()
        else {
            return Err(StanzaError::with_type(ErrorType::Modify, Condition::BadRequest));
        };
        match (request.kind, action.name.as_str()) {
            (IqType::Set, "publish") => publish(core, pep, &request, &owner, action).await,
            (IqType::Set, "retract") => retract(core, &request, &owner, action).await,
            (IqType::Set, "create") => create(core, pep, &request, &owner, action).await,
            (IqType::Get, "items") => items(core, &request, &owner, action).await,
            (IqType::Set, "subscribe" | "unsubscribe") => Err(unsupported("subscribe")),
            (_, "options") => Err(unsupported("subscription-options")),
            (IqType::Get, "subscriptions") => Err(unsupported("retrieve-subscriptions")),
            (IqType::Get, "affiliations") => Err(unsupported("retrieve-affiliations")),
            _ => Err(StanzaError::new(Condition::FeatureNotImplemented)),
        }
    }
}

/// `<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'/>` to an account's bare JID.
pub(crate) struct PubsubOwnerIq;

#[async_trait]
impl IqHandler for PubsubOwnerIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let pep = settings(core)?;
        owner_only(&request)?;
        let owner = request.to.to_bare();
        let Some(action) = request.payload.elements().find(|e| e.ns == ns::PUBSUB_OWNER) else {
            return Err(StanzaError::with_type(ErrorType::Modify, Condition::BadRequest));
        };
        match (request.kind, action.name.as_str()) {
            (IqType::Get, "configure") => {
                let node = node_of(action)?;
                let config = existing(core, &owner, node).await?;
                Ok(Some(
                    Element::new("pubsub", ns::PUBSUB_OWNER).with_child(
                        Element::new("configure", ns::PUBSUB_OWNER)
                            .with_attr("node", node)
                            .with_child(config_form(&config, pep.max_items)),
                    ),
                ))
            }
            (IqType::Set, "configure") => configure(core, pep, &owner, action).await,
            (IqType::Get, "default") => Ok(Some(
                Element::new("pubsub", ns::PUBSUB_OWNER).with_child(
                    Element::new("default", ns::PUBSUB_OWNER)
                        .with_child(config_form(&NodeConfig::default(), pep.max_items)),
                ),
            )),
            (IqType::Set, "delete") => {
                let node = node_of(action)?;
                let config = existing(core, &owner, node).await?;
                match core.stores.pep.delete_pep_node(owner.as_str(), node).await {
                    Ok(()) => {}
                    Err(StoreError::NotFound) => return Err(StanzaError::new(Condition::ItemNotFound)),
                    Err(e) => return Err(failed(e)),
                }
                if config.notify_delete {
                    broadcast(core, &owner, node, &config, protocol::node_event("delete", node)).await;
                }
                Ok(None)
            }
            (IqType::Set, "purge") => {
                let node = node_of(action)?;
                let config = existing(core, &owner, node).await?;
                match core.stores.pep.purge_pep_node(owner.as_str(), node).await {
                    Ok(()) => {}
                    Err(StoreError::NotFound) => return Err(StanzaError::new(Condition::ItemNotFound)),
                    Err(e) => return Err(failed(e)),
                }
                broadcast(core, &owner, node, &config, protocol::node_event("purge", node)).await;
                Ok(None)
            }
            (_, "subscriptions") => Err(unsupported("manage-subscriptions")),
            (_, "affiliations") => Err(unsupported("modify-affiliations")),
            _ => Err(StanzaError::new(Condition::FeatureNotImplemented)),
        }
    }
}

async fn publish(
    core: &Core,
    pep: &PepSettings,
    request: &IqRequest<'_>,
    owner: &BareJid,
    action: &Element,
) -> IqAnswer {
    owner_only(request)?;
    let req = protocol::parse_publish(request.payload, action)?;
    let payload = req.payload.to_xml("");
    let limit = pep.payload_limit(&req.node);
    if payload.len() > limit {
        return Err(error(Condition::NotAcceptable, "payload-too-big")
            .with_text(format!("An item of this node may hold at most {limit} bytes")));
    }
    // What is stored must read back as it was (a prefixed attribute whose declaration the
    // element model does not keep would not).
    if parse_element(&payload).ok().as_ref() != Some(&req.payload) {
        return Err(bad_request("invalid-payload"));
    }
    let patch = match &req.options {
        None => None,
        Some(form) => {
            Some(ConfigPatch::from_form(form, pep.max_items).map_err(|e| precondition_not_met(e.to_string()))?)
        }
    };
    let create_with = patch
        .as_ref()
        .map_or_else(NodeConfig::default, |p| p.apply(&NodeConfig::default()));
    let precondition = patch.map(|p| Box::new(move |c: &NodeConfig| p.matches(c)) as PreconditionFn);
    let id = req.id.unwrap_or_else(|| super::hex(&rand::random::<[u8; 12]>()));
    store_and_notify(
        core,
        pep,
        owner,
        &req.node,
        &id,
        payload,
        req.payload,
        create_with,
        precondition,
    )
    .await?;
    if req.node == avatar_sync::METADATA {
        avatar_sync::metadata_published(core, owner).await;
    }
    Ok(Some(protocol::published(&req.node, &id)))
}

/// Publishes `payload` (serialized as `xml`) as item `id` of `owner`'s `node` and tells
/// whoever may see it; the node is created with `create_with` when missing.
#[allow(clippy::too_many_arguments)]
async fn store_and_notify(
    core: &Core,
    pep: &PepSettings,
    owner: &BareJid,
    node: &str,
    id: &str,
    xml: String,
    payload: Element,
    create_with: NodeConfig,
    precondition: Option<PreconditionFn>,
) -> Result<(), StanzaError> {
    let req_node = node.to_owned();
    let payload_xml = xml;
    let item = PepItem {
        id: id.to_owned(),
        payload: payload_xml,
        published_ms: super::archive::now_ms(),
    };
    let publication = Publication {
        owner: owner.to_string(),
        node: req_node.clone(),
        item,
        create_with,
        precondition,
    };
    let config = match core
        .stores
        .pep
        .publish_pep_item(publication, pep.limits())
        .await
        .map_err(failed)?
    {
        Published::Done { config, .. } => config,
        Published::PreconditionNotMet => {
            return Err(precondition_not_met(
                "The node's configuration differs from the publish-options",
            ))
        }
        Published::TooManyNodes => {
            return Err(error(Condition::NotAllowed, "max-nodes-exceeded")
                .with_text(format!("An account may have at most {} nodes", pep.max_nodes)))
        }
        Published::OverQuota => {
            return Err(StanzaError::with_type(ErrorType::Modify, Condition::PolicyViolation)
                .with_text(format!("The account's items may take at most {} bytes", pep.max_bytes)))
        }
    };
    let payload = config.deliver_payloads.then_some(payload);
    let event = protocol::items_event(&req_node, vec![protocol::item(ns::PUBSUB_EVENT, id, payload)]);
    broadcast(core, owner, &req_node, &config, event).await;
    Ok(())
}

/// Publishes on the owner's behalf what the server itself derives (an avatar converted
/// from the vCard, XEP-0398), with the node's defaults; refusals are only logged.
pub(crate) async fn publish_for_owner(core: &Core, owner: &BareJid, node: &str, id: &str, payload: Element) {
    let Some(pep) = core.settings.pep.as_ref() else {
        return;
    };
    let xml = payload.to_xml("");
    if xml.len() > pep.payload_limit(node) {
        tracing::debug!(%owner, node, "a derived item is larger than the node allows; not published");
        return;
    }
    if let Err(e) = store_and_notify(core, pep, owner, node, id, xml, payload, NodeConfig::default(), None).await {
        tracing::debug!(%owner, node, error = ?e, "a derived item was not published");
    }
}

async fn retract(core: &Core, request: &IqRequest<'_>, owner: &BareJid, action: &Element) -> IqAnswer {
    owner_only(request)?;
    let node = node_of(action)?;
    let id = action
        .elements()
        .find(|e| e.is("item", ns::PUBSUB))
        .and_then(|i| protocol::name_of(i, "id"))
        .ok_or_else(|| bad_request("item-required"))?;
    let config = existing(core, owner, node).await?;
    match core.stores.pep.retract_pep_item(owner.as_str(), node, id).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(StanzaError::new(Condition::ItemNotFound)),
        Err(e) => return Err(failed(e)),
    }
    let asked = matches!(action.attr("notify"), Some("true" | "1"));
    if asked || config.notify_retract {
        broadcast(core, owner, node, &config, protocol::retract_event(node, id)).await;
    }
    Ok(None)
}

async fn create(
    core: &Core,
    pep: &PepSettings,
    request: &IqRequest<'_>,
    owner: &BareJid,
    action: &Element,
) -> IqAnswer {
    owner_only(request)?;
    // Instant nodes make no sense on PEP: a node is named after its payload.
    let node = protocol::name_of(action, "node").ok_or_else(|| error(Condition::NotAcceptable, "nodeid-required"))?;
    let mut config = NodeConfig::default();
    if let Some(form) = request
        .payload
        .child("configure", ns::PUBSUB)
        .and_then(|c| c.elements().find_map(Form::parse))
    {
        config = node_config_patch(&form, pep)?.apply(&config);
    }
    match core
        .stores
        .pep
        .create_pep_node(owner.as_str(), node, &config, pep.max_nodes)
        .await
    {
        Ok(()) => Ok(None),
        Err(StoreError::Conflict) => Err(StanzaError::new(Condition::Conflict)),
        Err(StoreError::LimitReached) => Err(error(Condition::NotAllowed, "max-nodes-exceeded")
            .with_text(format!("An account may have at most {} nodes", pep.max_nodes))),
        Err(e) => Err(failed(e)),
    }
}

/// The options of a submitted `pubsub#node_config` form (`not-acceptable` otherwise).
fn node_config_patch(form: &Form, pep: &PepSettings) -> Result<ConfigPatch, StanzaError> {
    let not_acceptable = |text: String| StanzaError::new(Condition::NotAcceptable).with_text(text);
    if form.kind != "submit" || form.form_type().is_some_and(|t| t != ns::PUBSUB_NODE_CONFIG) {
        return Err(not_acceptable("Expected a submitted pubsub#node_config form".into()));
    }
    ConfigPatch::from_form(form, pep.max_items).map_err(|e| not_acceptable(e.to_string()))
}

async fn configure(core: &Core, pep: &PepSettings, owner: &BareJid, action: &Element) -> IqAnswer {
    let node = node_of(action)?;
    let Some(form) = action.elements().find_map(Form::parse) else {
        return Err(StanzaError::with_type(ErrorType::Modify, Condition::BadRequest));
    };
    let current = existing(core, owner, node).await?;
    if form.kind == "cancel" {
        return Ok(None);
    }
    let config = node_config_patch(&form, pep)?.apply(&current);
    match core
        .stores
        .pep
        .configure_pep_node(owner.as_str(), node, &config, pep.max_items)
        .await
    {
        Ok(()) => Ok(None),
        Err(StoreError::NotFound) => Err(StanzaError::new(Condition::ItemNotFound)),
        Err(e) => Err(failed(e)),
    }
}

async fn items(core: &Core, request: &IqRequest<'_>, owner: &BareJid, action: &Element) -> IqAnswer {
    let node = node_of(action)?;
    let config = existing(core, owner, node).await?;
    let who = reader(core, owner, &request.from.to_bare()).await.map_err(failed)?;
    may_read(who, &config)?;
    let ids: Vec<String> = action
        .elements()
        .filter(|e| e.is("item", ns::PUBSUB))
        .filter_map(|i| i.attr("id").map(str::to_owned))
        .collect();
    let max = match action.attr("max_items") {
        None => None,
        Some(m) => Some(
            m.trim()
                .parse::<usize>()
                .map_err(|_| StanzaError::with_type(ErrorType::Modify, Condition::BadRequest))?,
        ),
    };
    let found = if ids.is_empty() {
        core.stores.pep.pep_items(owner.as_str(), node, max).await
    } else {
        core.stores.pep.pep_items_by_id(owner.as_str(), node, &ids).await
    }
    .map_err(failed)?;
    if !ids.is_empty() && found.is_empty() {
        return Err(StanzaError::new(Condition::ItemNotFound));
    }
    let total = found.len();
    let kept = newest_within(found, ITEMS_RESULT_BUDGET);
    let mut list = Element::new("items", ns::PUBSUB).with_attr("node", node);
    for item in &kept {
        if let Some(payload) = payload_of(owner, node, item) {
            list = list.with_child(protocol::item(ns::PUBSUB, &item.id, Some(payload)));
        }
    }
    let mut result = Element::new("pubsub", ns::PUBSUB).with_child(list);
    if kept.len() < total {
        // XEP-0060 §6.5.4: some items only; the count says how many there are.
        result = result.with_child(
            Element::new("set", ns::RSM).with_child(Element::new("count", ns::RSM).with_text(total.to_string())),
        );
    }
    Ok(Some(result))
}

/// Payload bytes one items result carries at most (the newest items first, at least
/// one), so that a result stays well within a session's queue (`max_session_queue_bytes`).
pub(crate) const ITEMS_RESULT_BUDGET: usize = 256 * 1024;

/// The newest of `items` (oldest first) whose payloads fit in `budget` bytes, at least
/// one, still oldest first.
fn newest_within(mut items: Vec<PepItem>, budget: usize) -> Vec<PepItem> {
    let mut used = 0;
    let mut keep = 0;
    for item in items.iter().rev() {
        if keep > 0 && used + item.payload.len() > budget {
            break;
        }
        used += item.payload.len();
        keep += 1;
    }
    items.drain(..items.len() - keep);
    items
}

/// disco#items of an account's bare JID (XEP-0060 §5.2, §5.5): the nodes the requester
/// may read, or the item ids of one of them.
pub(crate) struct NodeItems;

#[async_trait]
impl IqHandler for NodeItems {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        let owner = request.to.to_bare();
        let who = reader(core, &owner, &request.from.to_bare()).await.map_err(failed)?;
        let mut query = Element::new("query", ns::DISCO_ITEMS);
        let entry = || Element::new("item", ns::DISCO_ITEMS).with_attr("jid", owner.to_string());
        match request.payload.attr("node") {
            None => {
                for node in core.stores.pep.pep_nodes(owner.as_str()).await.map_err(failed)? {
                    if may_read(who, &node.config).is_ok() {
                        let mut item = entry().with_attr("node", node.name.clone());
                        if !node.config.title.is_empty() {
                            item.set_attr("name", node.config.title.clone());
                        }
                        query = query.with_child(item);
                    }
                }
            }
            Some(node) => {
                query.set_attr("node", node);
                let config = existing(core, &owner, node).await?;
                may_read(who, &config)?;
                for item in core
                    .stores
                    .pep
                    .pep_items(owner.as_str(), node, None)
                    .await
                    .map_err(failed)?
                {
                    query = query.with_child(entry().with_attr("name", item.id));
                }
            }
        }
        Ok(Some(query))
    }
}

/// disco#info about one node of an account (XEP-0060 §5.3, §5.4): a leaf node and its
/// meta-data, for those who may read it.
pub(crate) struct NodeInfo;

#[async_trait]
impl IqHandler for NodeInfo {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let owner = request.to.to_bare();
        let Some(node) = request.payload.attr("node") else {
            return Err(Condition::BadRequest.into());
        };
        let config = existing(core, &owner, node).await?;
        let who = reader(core, &owner, &request.from.to_bare()).await.map_err(failed)?;
        may_read(who, &config)?;
        Ok(Some(
            Element::new("query", ns::DISCO_INFO)
                .with_attr("node", node)
                .with_child(
                    Element::new("identity", ns::DISCO_INFO)
                        .with_attr("category", "pubsub")
                        .with_attr("type", "leaf"),
                )
                .with_child(Element::new("feature", ns::DISCO_INFO).with_attr("var", ns::PUBSUB))
                .with_child(config::meta_data_form(&config)),
        ))
    }
}

// --- notifications -------------------------------------------------------------------

/// Whether `session` is a resource notifications may go to (XEP-0163 §4.3.2).
fn notifiable(session: &Session) -> bool {
    session.available() && session.priority() >= 0
}

/// Sends `event` from `owner`'s node `node` to every resource that may read the node and
/// asked for its notifications. Failures to read the roster are logged: the operation
/// that caused the event has happened.
async fn broadcast(core: &Core, owner: &BareJid, node: &str, config: &NodeConfig, event: Element) {
    if !config.deliver_notifications {
        return;
    }
    let mut sessions = core.sessions.sessions_of(owner);
    if config.access_model != AccessModel::Whitelist {
        let contacts = crate::core::im::roster::items_where(core, owner, |i| {
            matches!(i.subscription, Subscription::From | Subscription::Both) && core.sessions.any_available(&i.contact)
        })
        .await;
        match contacts {
            Ok(items) => {
                for i in items {
                    if let Ok(contact) = BareJid::new(&i.contact) {
                        sessions.extend(core.sessions.sessions_of(&contact));
                    }
                }
            }
            Err(e) => tracing::error!(%owner, error = %e, "cannot read the roster to notify contacts"),
        }
    }
    for s in sessions {
        if notifiable(&s) && core.caps.wants(&s, node) {
            s.send(protocol::notification(owner, &s.jid, event.clone(), None));
        }
    }
}

/// Why the last items are being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occasion {
    /// The resource came online, or its capabilities changed or became known.
    Presence,
    /// The owner approved the contact's subscription.
    Subscription,
}

/// Sends `session` the last item of each node in `interests` of each of `owners` (the
/// session's own account and its contacts it is subscribed to when `None`) that it may
/// read and whose configuration sends the last item on this occasion.
async fn send_last_items(
    core: &Core,
    session: &Session,
    interests: &Interests,
    owners: Option<Vec<String>>,
    occasion: Occasion,
) -> Result<(), StoreError> {
    if !notifiable(session) || interests.is_empty() {
        return Ok(());
    }
    let me = session.jid.to_bare();
    let owners = match owners {
        Some(o) => o,
        None => {
            let mut o = vec![me.to_string()];
            o.extend(
                crate::core::im::roster::items_where(core, &me, |i| {
                    matches!(i.subscription, Subscription::To | Subscription::Both)
                })
                .await?
                .into_iter()
                .map(|i| i.contact),
            );
            o
        }
    };
    let mut nodes: Vec<String> = interests.iter().cloned().collect();
    nodes.sort();
    let found = core.stores.pep.last_pep_items(&owners, &nodes).await?;
    let mut readers: HashMap<String, Reader> = HashMap::new();
    for (owner, node, item) in found {
        let config = &node.config;
        let sends = match config.send_last_published_item {
            SendLastItem::Never => false,
            SendLastItem::OnSub => occasion == Occasion::Subscription,
            SendLastItem::OnSubAndPresence => true,
        };
        let Ok(owner_jid) = BareJid::new(&owner) else {
            continue;
        };
        if !sends || !config.deliver_notifications {
            continue;
        }
        let who = match readers.get(&owner) {
            Some(r) => *r,
            None => {
                let r = reader(core, &owner_jid, &me).await?;
                readers.insert(owner.clone(), r);
                r
            }
        };
        if may_read(who, config).is_err() {
            continue;
        }
        let payload = if config.deliver_payloads {
            match payload_of(&owner_jid, &node.name, &item) {
                Some(p) => Some(p),
                None => continue,
            }
        } else {
            None
        };
        let event = protocol::items_event(&node.name, vec![protocol::item(ns::PUBSUB_EVENT, &item.id, payload)]);
        let stamp = crate::core::archive::mam::format_time(item.published_ms);
        session.send(protocol::notification(&owner_jid, &session.jid, event, Some(stamp)));
    }
    Ok(())
}

/// PEP's part in presence: a resource's capabilities and the last items it asks for
/// (§4.3.3), and the last items for a contact who became a subscriber (§4.1).
pub(crate) struct LastItems;

#[async_trait]
impl events::Subscriber for LastItems {
    async fn on_presence(&self, core: &Core, event: PresenceEvent<'_>) -> Result<(), RouteError> {
        match event {
            PresenceEvent::Available {
                session,
                before,
                presence,
                initial,
            } => presence_changed(core, session, before, presence, initial).await,
            PresenceEvent::Shared {
                owner,
                contact,
                approved: true,
            } => subscription_approved(core, owner, contact).await,
            _ => {}
        }
        Ok(())
    }
}

/// A session's presence changed (`before` → `now`; `initial` for its first available
/// presence): resolve its capabilities, and send it the last items it asks for when they
/// are known. Never fails the presence: problems are logged.
async fn presence_changed(core: &Core, session: &Arc<Session>, before: Option<&Element>, now: &Element, initial: bool) {
    if core.settings.pep.is_none() {
        return;
    }
    let Some(caps) = CapsRef::of(now) else {
        return;
    };
    let old = before.and_then(CapsRef::of);
    if !initial && old.as_ref() == Some(&caps) {
        return;
    }
    let result = match core.caps.interests(&session.jid, &caps) {
        Some(interests) => {
            // A change of capabilities: only the nodes newly asked for.
            let known_before = old.and_then(|o| core.caps.interests(&session.jid, &o));
            let fresh: Interests = match known_before {
                Some(before) if !initial => interests.difference(&before).cloned().collect(),
                _ => (*interests).clone(),
            };
            send_last_items(core, session, &fresh, None, Occasion::Presence)
                .await
                .map_err(RouteError::from)
        }
        None => core.caps.resolve(core, &session.jid, &caps).await,
    };
    if let Err(e) = result {
        tracing::warn!(jid = %session.jid, error = %e, "PEP on presence failed");
    }
}

/// The capabilities of `jid` became known: send it the last items it asks for.
pub(crate) async fn caps_known(core: &Core, jid: &jid::FullJid) -> Result<(), RouteError> {
    let Some(session) = core.sessions.session(jid) else {
        return Ok(());
    };
    let Some(caps) = session.last_presence().and_then(|p| CapsRef::of(&p)) else {
        return Ok(());
    };
    // The presence may have changed meanwhile; then its own resolution will follow.
    let Some(interests) = core.caps.interests(jid, &caps) else {
        return Ok(());
    };
    if let Err(e) = send_last_items(core, &session, &interests, None, Occasion::Presence).await {
        tracing::warn!(%jid, error = %e, "sending the last PEP items failed");
    }
    Ok(())
}

/// `owner` approved `contact`'s presence subscription: the contact's resources get the
/// owner's last items (`on_sub`, `on_sub_and_presence`).
async fn subscription_approved(core: &Core, owner: &BareJid, contact: &BareJid) {
    if core.settings.pep.is_none() {
        return;
    }
    for s in core.sessions.sessions_of(contact) {
        let Some(caps) = s.last_presence().and_then(|p| CapsRef::of(&p)) else {
            continue;
        };
        let Some(interests) = core.caps.interests(&s.jid, &caps) else {
            continue;
        };
        let owners = Some(vec![owner.to_string()]);
        if let Err(e) = send_last_items(core, &s, &interests, owners, Occasion::Subscription).await {
            tracing::warn!(jid = %s.jid, error = %e, "sending the last PEP items failed");
        }
    }
}

/// Deletes every node and item of a removed account.
pub(crate) struct DeletePepOfRemovedAccount;

#[async_trait]
impl Subscriber for DeletePepOfRemovedAccount {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        if let AccountEvent::Removed(removed) = event {
            core.stores.pep.delete_pep(removed.as_str()).await?;
        }
        Ok(())
    }
}

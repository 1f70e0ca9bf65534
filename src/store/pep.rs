//! PEP storage (XEP-0163, a profile of XEP-0060): each account's nodes with their
//! configuration, and each node's items in publication order.
//!
//! The store keeps to a node's configuration: an item published with an id the node
//! holds replaces it and becomes the newest; a node never holds more than its
//! `max_items` (the oldest go first); a node that does not persist items holds none.
//! Publishing is one atomic step ([`PepStore::publish_pep_item`]): the precondition on
//! the node's configuration, the node's creation when it is missing, the item and the
//! account's limits are checked and written together, also against other processes.

use super::StoreError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who may read a node's items and receive its notifications (XEP-0060 §4.5). The
/// owner always may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessModel {
    /// Anyone.
    Open,
    /// Contacts with a presence subscription to the owner (`from` or `both` in the
    /// owner's roster).
    Presence,
    /// Nobody but the owner (no whitelist can be edited).
    Whitelist,
}

/// When the last item goes to a new subscriber (XEP-0060 `pubsub#send_last_published_item`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendLastItem {
    Never,
    /// When a contact's presence subscription is approved.
    OnSub,
    /// Then, and whenever a subscriber's resource comes online.
    OnSubAndPresence,
}

/// A node's configuration (XEP-0060 §16.4.3, the fields this server implements).
/// The defaults are XEP-0163 §5's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeConfig {
    pub access_model: AccessModel,
    /// Items kept; `None` is `max`, the most the server allows per node.
    pub max_items: Option<u32>,
    pub persist_items: bool,
    pub send_last_published_item: SendLastItem,
    pub deliver_notifications: bool,
    pub deliver_payloads: bool,
    pub notify_retract: bool,
    pub notify_delete: bool,
    pub title: String,
    pub description: String,
    /// `pubsub#type`: the payload namespace the node is meant for (informative).
    pub payload_type: String,
}

impl NodeConfig {
    /// The configuration as a backend keeps it (JSON text).
    pub(crate) fn encode(&self) -> Result<String, StoreError> {
        serde_json::to_string(self).map_err(|e| StoreError::Failed(super::Cause::new(e)))
    }

    /// Reads what [`NodeConfig::encode`] wrote; anything unreadable is a damaged database.
    pub(crate) fn decode(owner: &str, node: &str, json: &str) -> Result<NodeConfig, StoreError> {
        serde_json::from_str(json).map_err(|e| {
            StoreError::Failed(super::Cause::msg(format!(
                "unreadable configuration of PEP node {node:?} of {owner}: {e}"
            )))
        })
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            access_model: AccessModel::Presence,
            max_items: Some(1),
            persist_items: true,
            send_last_published_item: SendLastItem::OnSubAndPresence,
            deliver_notifications: true,
            deliver_payloads: true,
            notify_retract: true,
            notify_delete: true,
            title: String::new(),
            description: String::new(),
            payload_type: String::new(),
        }
    }
}

impl NodeConfig {
    /// The number of items the node keeps under the server's cap `limit`.
    pub fn items_kept(&self, limit: usize) -> usize {
        match self.max_items {
            Some(n) => (n as usize).min(limit),
            None => limit,
        }
    }
}

/// A node and its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PepNode {
    pub name: String,
    pub config: NodeConfig,
}

/// One published item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PepItem {
    pub id: String,
    /// The payload element, serialized.
    pub payload: String,
    /// Unix milliseconds of its publication.
    pub published_ms: i64,
}

/// The bounds of one account's PEP service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PepLimits {
    /// Nodes one account may have.
    pub max_nodes: usize,
    /// Items one node may keep (what `max_items = max` means).
    pub max_items: usize,
    /// Payload bytes all the account's items may take together.
    pub max_bytes: usize,
}

/// Whether an existing node's configuration allows a publication (XEP-0060 §7.1.5).
pub type PreconditionFn = Box<dyn FnOnce(&NodeConfig) -> bool + Send>;

/// A publication: where, what, and how a missing node is created.
pub struct Publication {
    pub owner: String,
    pub node: String,
    pub item: PepItem,
    /// The configuration of the node if the publication creates it.
    pub create_with: NodeConfig,
    /// Checked against an existing node; a node created now satisfies it.
    pub precondition: Option<PreconditionFn>,
}

/// What became of a publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Stored (unless the node does not persist items) under the node's configuration.
    Done { created: bool, config: NodeConfig },
    /// The node exists with a configuration the precondition refused; nothing changed.
    PreconditionNotMet,
    /// The node is missing and the account has `max_nodes` already.
    TooManyNodes,
    /// The account's items would take more than `max_bytes`; nothing changed.
    OverQuota,
}

#[async_trait]
pub trait PepStore: Send + Sync + 'static {
    /// The configuration of `owner`'s node `node`, if it exists.
    async fn pep_node(&self, owner: &str, node: &str) -> Result<Option<NodeConfig>, StoreError>;
    /// Every node of `owner`, by name.
    async fn pep_nodes(&self, owner: &str) -> Result<Vec<PepNode>, StoreError>;
    /// Creates a node: [`StoreError::Conflict`] if it exists, [`StoreError::LimitReached`]
    /// if `owner` has `max_nodes` already.
    async fn create_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_nodes: usize,
    ) -> Result<(), StoreError>;
    /// Replaces a node's configuration (and drops the items it no longer keeps, under the
    /// cap `max_items`); [`StoreError::NotFound`] if it does not exist.
    async fn configure_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_items: usize,
    ) -> Result<(), StoreError>;
    /// Deletes a node and its items; [`StoreError::NotFound`] if it does not exist.
    async fn delete_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError>;
    /// Publishes an item (see [`Published`]), atomically.
    async fn publish_pep_item(&self, publication: Publication, limits: PepLimits) -> Result<Published, StoreError>;
    /// Removes one item; [`StoreError::NotFound`] if the node or the item does not exist.
    async fn retract_pep_item(&self, owner: &str, node: &str, id: &str) -> Result<(), StoreError>;
    /// Removes every item of a node; [`StoreError::NotFound`] if it does not exist.
    async fn purge_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError>;
    /// The newest `max` items of a node (all when `None`), oldest first.
    async fn pep_items(&self, owner: &str, node: &str, max: Option<usize>) -> Result<Vec<PepItem>, StoreError>;
    /// The items of a node with these ids, oldest first; ids it lacks are left out.
    async fn pep_items_by_id(&self, owner: &str, node: &str, ids: &[String]) -> Result<Vec<PepItem>, StoreError>;
    /// The newest item of each node named in `nodes` of each account in `owners` that has
    /// one, with its owner and node: what a newly available resource is sent.
    async fn last_pep_items(
        &self,
        owners: &[String],
        nodes: &[String],
    ) -> Result<Vec<(String, PepNode, PepItem)>, StoreError>;
    /// Deletes every node and item of `owner` (account removal).
    async fn delete_pep(&self, owner: &str) -> Result<(), StoreError>;
}

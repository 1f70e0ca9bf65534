//! Roster storage: one item per (owner, contact), including bare pending inbound
//! subscription requests. Changes go through [`RosterStore::update_roster_item`], a
//! read-modify-write that the backend makes atomic (a transaction), so two subscription
//! stanzas touching the same item never interleave, in one process or several.

use super::StoreError;
use async_trait::async_trait;

/// A user's subscription to and from a contact (RFC 6121 §2.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Subscription {
    #[default]
    None,
    To,
    From,
    Both,
}

impl Subscription {
    pub fn as_str(self) -> &'static str {
        match self {
            Subscription::None => "none",
            Subscription::To => "to",
            Subscription::From => "from",
            Subscription::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Subscription::None,
            "to" => Subscription::To,
            "from" => Subscription::From,
            "both" => Subscription::Both,
            _ => return None,
        })
    }
}

/// One entry of a user's roster, or a pending inbound request (`in_roster` false).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterItem {
    /// The contact's bare JID.
    pub contact: String,
    pub name: Option<String>,
    pub groups: Vec<String>,
    pub subscription: Subscription,
    /// The user asked to subscribe and the contact has not answered (`ask='subscribe'`).
    pub ask_out: bool,
    /// The contact asked to subscribe and the user has not answered.
    pub pending_in: bool,
    /// Shown in the user's roster (false for a bare pending inbound request).
    pub in_roster: bool,
}

impl RosterItem {
    pub fn new(contact: &str) -> Self {
        RosterItem {
            contact: contact.to_owned(),
            name: None,
            groups: Vec::new(),
            subscription: Subscription::None,
            ask_out: false,
            pending_in: false,
            in_roster: true,
        }
    }
}

/// What an edit decided for the item it was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterEdit {
    Keep,
    Put(RosterItem),
    Delete,
}

/// The item before and after an update (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterUpdate {
    pub before: Option<RosterItem>,
    pub after: Option<RosterItem>,
}

impl RosterUpdate {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// Decides an item's fate from its current value; runs inside the store's transaction,
/// so it must not block or do I/O.
pub type EditFn = Box<dyn FnOnce(Option<&RosterItem>) -> RosterEdit + Send>;

#[async_trait]
pub trait RosterStore: Send + Sync + 'static {
    /// Every item of `owner`'s roster (including bare pending requests), by contact.
    async fn roster(&self, owner: &str) -> Result<Vec<RosterItem>, StoreError>;
    async fn roster_item(&self, owner: &str, contact: &str) -> Result<Option<RosterItem>, StoreError>;
    /// Atomically reads the item, applies `edit`, and writes what it decided. A `Put`
    /// whose `contact` differs from `contact` is a bug of the caller and is refused. A
    /// `Put` of a new item into a roster that already holds `max_items` items is refused
    /// with [`StoreError::LimitReached`], inside the same transaction.
    async fn update_roster_item(
        &self,
        owner: &str,
        contact: &str,
        max_items: usize,
        edit: EditFn,
    ) -> Result<RosterUpdate, StoreError>;
    /// Removes `contact` from every roster it is in; returns each owner with the item
    /// that was removed.
    async fn remove_contact_everywhere(&self, contact: &str) -> Result<Vec<(String, RosterItem)>, StoreError>;
    /// Removes `owner`'s whole roster.
    async fn delete_roster(&self, owner: &str) -> Result<(), StoreError>;
}

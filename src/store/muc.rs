//! Persistent Multi-User Chat rooms (XEP-0045, `mod_muc`): what outlives the occupants of
//! a room whose owner made it persistent — its configuration, its subject, and its
//! affiliation list. Occupants are sessions and are never stored.
//!
//! The configuration is kept as text the core writes and reads back (its own
//! serialization), so adding a room option never needs a schema change; affiliations are
//! rows, one per user. A room is always written whole, in one transaction.

use super::StoreError;
use async_trait::async_trait;

/// One user's standing in a persistent room (`owner`, `admin`, `member` or `outcast`;
/// `none` is the absence of a row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MucAffiliation {
    /// Bare JID.
    pub user: String,
    pub affiliation: String,
}

/// A persistent room as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MucRoomRecord {
    /// The room's bare JID (`room@conference.example.com`).
    pub jid: String,
    /// The service domain the room belongs to (`conference.example.com`).
    pub service: String,
    /// The room configuration, as the core serialized it.
    pub config: String,
    pub subject: String,
    /// The nick that set the subject (empty: the room itself).
    pub subject_by: String,
    /// Sorted by user.
    pub affiliations: Vec<MucAffiliation>,
}

impl MucRoomRecord {
    /// Refuses a record listing a user twice (a caller's bug), before anything is written.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        let mut seen = std::collections::BTreeSet::new();
        match self.affiliations.iter().find(|a| !seen.insert(a.user.as_str())) {
            Some(a) => Err(StoreError::Failed(super::Cause::msg(format!(
                "{} is listed twice in room {}",
                a.user, self.jid
            )))),
            None => Ok(()),
        }
    }
}

#[async_trait]
pub trait MucStore: Send + Sync + 'static {
    /// Creates or replaces the room `room.jid`, its affiliations included, atomically.
    async fn put_muc_room(&self, room: &MucRoomRecord) -> Result<(), StoreError>;
    /// Deletes the room and its affiliations; a room that is not stored is no error.
    async fn delete_muc_room(&self, jid: &str) -> Result<(), StoreError>;
    /// Every room of `service`, by JID.
    async fn muc_rooms(&self, service: &str) -> Result<Vec<MucRoomRecord>, StoreError>;
}

//! Room storage (MUC Light): each room's configuration, its occupants in the order they
//! joined, and a version that changes with every change. Changes are compare-and-set on
//! that version ([`RoomStore::update_room`]), so two concurrent changes to one room never
//! both win, in one process or several; the loser reads the room again and retries.

use super::StoreError;
use async_trait::async_trait;

/// An occupant's standing in a room (`none` is the absence of an occupant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affiliation {
    Owner,
    Member,
}

impl Affiliation {
    pub fn as_str(self) -> &'static str {
        match self {
            Affiliation::Owner => "owner",
            Affiliation::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Affiliation::Owner),
            "member" => Some(Affiliation::Member),
            _ => None,
        }
    }
}

/// One occupant of a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupant {
    /// Bare JID.
    pub user: String,
    pub affiliation: Affiliation,
}

/// A room with everything stored about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// The room's bare JID (`id@muclight.example.com`).
    pub jid: String,
    pub name: String,
    pub subject: String,
    /// Opaque; changes with every configuration or affiliation change.
    pub version: String,
    /// In the order they joined.
    pub occupants: Vec<Occupant>,
}

impl Room {
    /// Refuses a room listing a user twice: a caller's bug, caught before anything is
    /// written rather than left to a primary key, whose [`StoreError::Conflict`] a
    /// compare-and-set loop would retry forever.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        let mut seen = std::collections::BTreeSet::new();
        match self.occupants.iter().find(|o| !seen.insert(o.user.as_str())) {
            Some(o) => Err(StoreError::Failed(super::Cause::msg(format!(
                "{} is listed twice in room {}",
                o.user, self.jid
            )))),
            None => Ok(()),
        }
    }
}

/// What listings need of a room, without its occupants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSummary {
    pub jid: String,
    pub name: String,
    pub subject: String,
    pub version: String,
}

#[async_trait]
pub trait RoomStore: Send + Sync + 'static {
    /// Creates `room`; [`StoreError::Conflict`] when a room with its JID exists.
    async fn create_room(&self, room: &Room) -> Result<(), StoreError>;
    async fn room(&self, jid: &str) -> Result<Option<Room>, StoreError>;
    /// Replaces the room with `room` (same JID) if its stored version is still
    /// `expected_version`: [`StoreError::NotFound`] when it is gone,
    /// [`StoreError::Conflict`] when it changed meanwhile.
    async fn update_room(&self, expected_version: &str, room: &Room) -> Result<(), StoreError>;
    /// Deletes the room if its stored version is still `expected_version` (errors as for
    /// [`RoomStore::update_room`]).
    async fn delete_room(&self, jid: &str, expected_version: &str) -> Result<(), StoreError>;
    /// The rooms `user` (a bare JID) occupies, by room JID.
    async fn rooms_of(&self, user: &str) -> Result<Vec<RoomSummary>, StoreError>;
    /// How many rooms `user` occupies.
    async fn count_rooms_of(&self, user: &str) -> Result<usize, StoreError>;
    /// Up to `limit` room JIDs on the service `service`, sorted (a removed domain's
    /// rooms, destroyed batch by batch).
    async fn rooms_on(&self, service: &str, limit: usize) -> Result<Vec<String>, StoreError>;
}

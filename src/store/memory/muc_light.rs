//! [`RoomStore`] (MUC Light) in memory: rooms by JID, each changed only from the version
//! it was read at.

use super::{Data, MemoryStore};
use crate::store::{Room, RoomStore, RoomSummary, StoreError};
use async_trait::async_trait;

impl Data {
    /// The stored room `jid` if it is still at `expected_version`.
    fn room_at(&mut self, jid: &str, expected_version: &str) -> Result<&mut Room, StoreError> {
        let room = self.rooms.get_mut(jid).ok_or(StoreError::NotFound)?;
        if room.version != expected_version {
            return Err(StoreError::Conflict);
        }
        Ok(room)
    }

    fn rooms_of<'a>(&'a self, user: &'a str) -> impl Iterator<Item = &'a Room> + 'a {
        self.rooms
            .values()
            .filter(move |r| r.occupants.iter().any(|o| o.user == user))
    }
}

#[async_trait]
impl RoomStore for MemoryStore {
    async fn create_room(&self, room: &Room) -> Result<(), StoreError> {
        room.check()?;
        let mut d = self.data();
        if d.rooms.contains_key(&room.jid) {
            return Err(StoreError::Conflict);
        }
        d.rooms.insert(room.jid.clone(), room.clone());
        Ok(())
    }

    async fn room(&self, jid: &str) -> Result<Option<Room>, StoreError> {
        Ok(self.data().rooms.get(jid).cloned())
    }

    async fn update_room(&self, expected_version: &str, room: &Room) -> Result<(), StoreError> {
        room.check()?;
        *self.data().room_at(&room.jid, expected_version)? = room.clone();
        Ok(())
    }

    async fn delete_room(&self, jid: &str, expected_version: &str) -> Result<(), StoreError> {
        let mut d = self.data();
        d.room_at(jid, expected_version)?;
        d.rooms.remove(jid);
        Ok(())
    }

    async fn rooms_on(&self, service: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let suffix = format!("@{service}");
        Ok(self
            .data()
            .rooms
            .keys()
            .filter(|j| j.ends_with(&suffix))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn rooms_of(&self, user: &str) -> Result<Vec<RoomSummary>, StoreError> {
        Ok(self
            .data()
            .rooms_of(user)
            .map(|r| RoomSummary {
                jid: r.jid.clone(),
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: r.version.clone(),
            })
            .collect())
    }

    async fn count_rooms_of(&self, user: &str) -> Result<usize, StoreError> {
        Ok(self.data().rooms_of(user).count())
    }
}

//! [`MucStore`] in memory: persistent Multi-User Chat rooms by JID, affiliations sorted by
//! user.

use super::MemoryStore;
use crate::store::{MucRoomRecord, MucStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl MucStore for MemoryStore {
    async fn put_muc_room(&self, room: &MucRoomRecord) -> Result<(), StoreError> {
        room.check()?;
        let mut room = room.clone();
        room.affiliations.sort_by(|a, b| a.user.cmp(&b.user));
        self.data().muc_rooms.insert(room.jid.clone(), room);
        Ok(())
    }

    async fn delete_muc_room(&self, jid: &str) -> Result<(), StoreError> {
        self.data().muc_rooms.remove(jid);
        Ok(())
    }

    async fn muc_rooms(&self, service: &str) -> Result<Vec<MucRoomRecord>, StoreError> {
        Ok(self
            .data()
            .muc_rooms
            .values()
            .filter(|r| r.service == service)
            .cloned()
            .collect())
    }
}

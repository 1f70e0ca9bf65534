//! Every store trait over plain maps behind one mutex: what the routing unit tests run
//! on, and the model the other backends are tested against (`conformance`). Nothing
//! survives the process, so a server never uses it.

use super::{
    AccountChange, AccountChangeKind, AccountStore, ArchiveQuery, ArchiveStore, ArchivedMessage, BlockStore, Cause,
    Credentials, EditFn, MucRoomRecord, MucStore, OfflineMessage, OfflineStore, Room, RoomStore, RoomSummary,
    RosterEdit, RosterItem, RosterStore, RosterUpdate, StoreError,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
struct Data {
    accounts: BTreeMap<String, Credentials>,
    changes: Vec<AccountChange>,
    /// owner → contact → item
    rosters: BTreeMap<String, BTreeMap<String, RosterItem>>,
    /// id → message
    archive: BTreeMap<i64, ArchivedMessage>,
    /// room JID → room
    rooms: BTreeMap<String, Room>,
    /// owner → messages held, oldest first
    offline: BTreeMap<String, Vec<OfflineMessage>>,
    /// owner → blocked JIDs
    blocklists: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// room JID → persistent Multi-User Chat room
    muc_rooms: BTreeMap<String, MucRoomRecord>,
}

#[derive(Default)]
pub struct MemoryStore {
    data: Mutex<Data>,
}

impl MemoryStore {
    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock leaves plain maps that are still consistent
        // enough for tests; keep going rather than cascade the panic.
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Data {
    fn log(&mut self, jid: &str, kind: AccountChangeKind) {
        let seq = self.changes.last().map_or(0, |c| c.seq) + 1;
        self.changes.push(AccountChange {
            seq,
            jid: jid.to_owned(),
            kind,
            applied: !kind.needs_applying(),
        });
    }
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn create_account(&self, jid: &str, credentials: &Credentials) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.accounts.contains_key(jid) {
            return Err(StoreError::Conflict);
        }
        d.accounts.insert(jid.to_owned(), credentials.clone());
        d.log(jid, AccountChangeKind::Created);
        Ok(())
    }

    async fn credentials(&self, jid: &str) -> Result<Option<Credentials>, StoreError> {
        Ok(self.data().accounts.get(jid).cloned())
    }

    async fn set_credentials(&self, jid: &str, credentials: &Credentials) -> Result<(), StoreError> {
        let mut d = self.data();
        let slot = d.accounts.get_mut(jid).ok_or(StoreError::NotFound)?;
        *slot = credentials.clone();
        d.log(jid, AccountChangeKind::PasswordChanged);
        Ok(())
    }

    async fn delete_account(&self, jid: &str) -> Result<(), StoreError> {
        let mut d = self.data();
        d.accounts.remove(jid).ok_or(StoreError::NotFound)?;
        d.log(jid, AccountChangeKind::Removed);
        Ok(())
    }

    async fn list_accounts(&self, domain: &str) -> Result<Vec<String>, StoreError> {
        let suffix = format!("@{domain}");
        Ok(self
            .data()
            .accounts
            .keys()
            .filter(|j| j.ends_with(&suffix))
            .cloned()
            .collect())
    }

    async fn account_changes(&self, after: i64) -> Result<Vec<AccountChange>, StoreError> {
        Ok(self.data().changes.iter().filter(|c| c.seq > after).cloned().collect())
    }

    async fn unapplied_account_changes(&self) -> Result<Vec<AccountChange>, StoreError> {
        Ok(self.data().changes.iter().filter(|c| !c.applied).cloned().collect())
    }

    async fn mark_account_change_applied(&self, seq: i64) -> Result<(), StoreError> {
        let mut d = self.data();
        let change = d
            .changes
            .iter_mut()
            .find(|c| c.seq == seq)
            .ok_or(StoreError::NotFound)?;
        change.applied = true;
        Ok(())
    }

    async fn last_account_change(&self) -> Result<i64, StoreError> {
        Ok(self.data().changes.last().map_or(0, |c| c.seq))
    }
}

#[async_trait]
impl RosterStore for MemoryStore {
    async fn roster(&self, owner: &str) -> Result<Vec<RosterItem>, StoreError> {
        Ok(self
            .data()
            .rosters
            .get(owner)
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn roster_item(&self, owner: &str, contact: &str) -> Result<Option<RosterItem>, StoreError> {
        Ok(self.data().rosters.get(owner).and_then(|r| r.get(contact)).cloned())
    }

    async fn update_roster_item(
        &self,
        owner: &str,
        contact: &str,
        max_items: usize,
        edit: EditFn,
    ) -> Result<RosterUpdate, StoreError> {
        let mut d = self.data();
        let roster = d.rosters.entry(owner.to_owned()).or_default();
        let before = roster.get(contact).cloned();
        let after = match edit(before.as_ref()) {
            RosterEdit::Keep => before.clone(),
            RosterEdit::Put(item) if item.contact != contact => {
                return Err(StoreError::Failed(Cause::msg("roster edit changed the contact")))
            }
            RosterEdit::Put(_) if before.is_none() && roster.len() >= max_items => {
                return Err(StoreError::LimitReached);
            }
            RosterEdit::Put(item) => {
                roster.insert(contact.to_owned(), item.clone());
                Some(item)
            }
            RosterEdit::Delete => {
                roster.remove(contact);
                None
            }
        };
        if roster.is_empty() {
            d.rosters.remove(owner);
        }
        Ok(RosterUpdate { before, after })
    }

    async fn remove_contact_everywhere(&self, contact: &str) -> Result<Vec<(String, RosterItem)>, StoreError> {
        let mut d = self.data();
        let mut removed = Vec::new();
        for (owner, roster) in d.rosters.iter_mut() {
            if let Some(item) = roster.remove(contact) {
                removed.push((owner.clone(), item));
            }
        }
        d.rosters.retain(|_, r| !r.is_empty());
        Ok(removed)
    }

    async fn delete_roster(&self, owner: &str) -> Result<(), StoreError> {
        self.data().rosters.remove(owner);
        Ok(())
    }
}

#[async_trait]
impl ArchiveStore for MemoryStore {
    async fn archive_append(&self, messages: Vec<ArchivedMessage>) -> Result<(), StoreError> {
        let mut d = self.data();
        if messages.iter().any(|m| d.archive.contains_key(&m.id)) {
            return Err(StoreError::Conflict);
        }
        for m in messages {
            d.archive.insert(m.id, m);
        }
        Ok(())
    }

    async fn archive_query(&self, q: ArchiveQuery) -> Result<Vec<ArchivedMessage>, StoreError> {
        let d = self.data();
        let matching = d.archive.values().filter(|m| q.matches(m, true));
        Ok(if q.newest_first {
            matching.rev().take(q.limit).cloned().collect()
        } else {
            matching.take(q.limit).cloned().collect()
        })
    }

    async fn archive_count(&self, q: ArchiveQuery) -> Result<u64, StoreError> {
        Ok(self.data().archive.values().filter(|m| q.matches(m, false)).count() as u64)
    }

    async fn archive_max_id(&self) -> Result<i64, StoreError> {
        Ok(self.data().archive.keys().next_back().copied().unwrap_or(0))
    }

    async fn delete_archive(&self, owner: &str) -> Result<u64, StoreError> {
        let mut d = self.data();
        let before = d.archive.len();
        d.archive.retain(|_, m| m.owner != owner);
        Ok((before - d.archive.len()) as u64)
    }
}

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

#[async_trait]
impl OfflineStore for MemoryStore {
    async fn push_offline(&self, owner: &str, message: &OfflineMessage, max: usize) -> Result<(), StoreError> {
        let mut d = self.data();
        let held = d.offline.entry(owner.to_owned()).or_default();
        if held.len() >= max {
            return Err(StoreError::LimitReached);
        }
        held.push(message.clone());
        Ok(())
    }

    async fn take_offline(&self, owner: &str) -> Result<Vec<OfflineMessage>, StoreError> {
        Ok(self.data().offline.remove(owner).unwrap_or_default())
    }

    async fn count_offline(&self, owner: &str) -> Result<usize, StoreError> {
        Ok(self.data().offline.get(owner).map_or(0, Vec::len))
    }

    async fn delete_offline(&self, owner: &str) -> Result<(), StoreError> {
        self.data().offline.remove(owner);
        Ok(())
    }
}

#[async_trait]
impl BlockStore for MemoryStore {
    async fn blocklist(&self, owner: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .data()
            .blocklists
            .get(owner)
            .map(|b| b.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn block(&self, owner: &str, jids: &[String]) -> Result<(), StoreError> {
        self.data()
            .blocklists
            .entry(owner.to_owned())
            .or_default()
            .extend(jids.iter().cloned());
        Ok(())
    }

    async fn unblock(&self, owner: &str, jids: &[String]) -> Result<(), StoreError> {
        let mut d = self.data();
        if jids.is_empty() {
            d.blocklists.remove(owner);
        } else if let Some(list) = d.blocklists.get_mut(owner) {
            for jid in jids {
                list.remove(jid);
            }
            if list.is_empty() {
                d.blocklists.remove(owner);
            }
        }
        Ok(())
    }
}

//! Every store trait over plain maps behind one mutex: what the routing unit tests run
//! on, and the model the other backends are tested against (`conformance`). Nothing
//! survives the process, so a server never uses it.

use super::{
    AccountChange, AccountChangeKind, AccountStore, ArchiveQuery, ArchiveStore, ArchivedMessage, BlockStore, Cause,
    Commit, Credentials, DueUploads, EditFn, MucRoomRecord, MucStore, NodeConfig, OfflineMessage, OfflineStore,
    PepItem, PepLimits, PepNode, PepStore, Publication, Published, PushRegistration, PushStore, Room, RoomStore,
    RoomSummary, RosterEdit, RosterItem, RosterStore, RosterUpdate, StoreError, StoredToken, TokenStore, Upload,
    UploadStore, UserDataKind, UserDataStore,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

mod idempotency;

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
    /// owner → push registrations, oldest first
    push: BTreeMap<String, Vec<PushRegistration>>,
    /// owner → blocked JIDs
    blocklists: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// upload id → upload
    uploads: BTreeMap<String, Upload>,
    /// (owner, node) → node
    pep: BTreeMap<(String, String), MemNode>,
    /// (owner, kind, key) → document
    user_data: BTreeMap<(String, &'static str, String), String>,
    /// room JID → persistent Multi-User Chat room
    muc_rooms: BTreeMap<String, MucRoomRecord>,
    /// token id → bearer token
    tokens: BTreeMap<String, StoredToken>,
    /// owner → idempotency keys of the client API
    idempotency: BTreeMap<String, idempotency::Keys>,
}

/// A PEP node: its configuration and items, oldest first.
#[derive(Clone)]
struct MemNode {
    config: NodeConfig,
    items: Vec<PepItem>,
}

impl MemNode {
    /// Drops the oldest items beyond what the node keeps.
    fn trim(&mut self, max_items: usize) {
        let keep = if self.config.persist_items {
            self.config.items_kept(max_items)
        } else {
            0
        };
        let excess = self.items.len().saturating_sub(keep);
        self.items.drain(..excess);
    }
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
    async fn archive_enqueue(&self, messages: Vec<ArchivedMessage>) -> Result<Commit, StoreError> {
        let mut d = self.data();
        if messages.iter().any(|m| d.archive.contains_key(&m.id)) {
            return Err(StoreError::Conflict);
        }
        for m in messages {
            d.archive.insert(m.id, m);
        }
        // Memory holds nothing past the process: written is all it can be.
        Ok(Box::pin(std::future::ready(Ok(()))))
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

impl Data {
    fn pep_nodes_of<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = (&'a String, &'a MemNode)> + 'a {
        self.pep
            .range((owner.to_owned(), String::new())..)
            .take_while(move |((o, _), _)| o == owner)
            .map(|((_, n), node)| (n, node))
    }

    fn pep_node_mut(&mut self, owner: &str, node: &str) -> Result<&mut MemNode, StoreError> {
        self.pep
            .get_mut(&(owner.to_owned(), node.to_owned()))
            .ok_or(StoreError::NotFound)
    }

    fn pep_bytes_of(&self, owner: &str) -> usize {
        self.pep_nodes_of(owner)
            .flat_map(|(_, n)| n.items.iter())
            .map(|i| i.payload.len())
            .sum()
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

#[async_trait]
impl PushStore for MemoryStore {
    async fn push_registrations(&self, owner: &str) -> Result<Vec<PushRegistration>, StoreError> {
        Ok(self.data().push.get(owner).cloned().unwrap_or_default())
    }

    async fn enable_push(&self, owner: &str, registration: &PushRegistration, max: usize) -> Result<(), StoreError> {
        let mut d = self.data();
        let list = d.push.entry(owner.to_owned()).or_default();
        let same = |r: &PushRegistration| r.jid == registration.jid && r.node == registration.node;
        if let Some(existing) = list.iter_mut().find(|r| same(r)) {
            existing.options = registration.options.clone();
            return Ok(());
        }
        if list.len() >= max {
            return Err(StoreError::LimitReached);
        }
        list.push(registration.clone());
        Ok(())
    }

    async fn disable_push(&self, owner: &str, jid: &str, node: Option<&str>) -> Result<usize, StoreError> {
        let mut d = self.data();
        let Some(list) = d.push.get_mut(owner) else {
            return Ok(0);
        };
        let before = list.len();
        list.retain(|r| !(r.jid == jid && node.is_none_or(|n| r.node == n)));
        let removed = before - list.len();
        if list.is_empty() {
            d.push.remove(owner);
        }
        Ok(removed)
    }

    async fn delete_push(&self, owner: &str) -> Result<(), StoreError> {
        self.data().push.remove(owner);
        Ok(())
    }
}

#[async_trait]
impl PepStore for MemoryStore {
    async fn pep_node(&self, owner: &str, node: &str) -> Result<Option<NodeConfig>, StoreError> {
        Ok(self
            .data()
            .pep
            .get(&(owner.to_owned(), node.to_owned()))
            .map(|n| n.config.clone()))
    }

    async fn pep_nodes(&self, owner: &str) -> Result<Vec<PepNode>, StoreError> {
        Ok(self
            .data()
            .pep_nodes_of(owner)
            .map(|(name, n)| PepNode {
                name: name.clone(),
                config: n.config.clone(),
            })
            .collect())
    }

    async fn create_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_nodes: usize,
    ) -> Result<(), StoreError> {
        let mut d = self.data();
        let key = (owner.to_owned(), node.to_owned());
        if d.pep.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        if d.pep_nodes_of(owner).count() >= max_nodes {
            return Err(StoreError::LimitReached);
        }
        d.pep.insert(
            key,
            MemNode {
                config: config.clone(),
                items: Vec::new(),
            },
        );
        Ok(())
    }

    async fn configure_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_items: usize,
    ) -> Result<(), StoreError> {
        let mut d = self.data();
        let n = d.pep_node_mut(owner, node)?;
        n.config = config.clone();
        n.trim(max_items);
        Ok(())
    }

    async fn delete_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError> {
        self.data()
            .pep
            .remove(&(owner.to_owned(), node.to_owned()))
            .map(|_| ())
            .ok_or(StoreError::NotFound)
    }

    async fn publish_pep_item(&self, p: Publication, limits: PepLimits) -> Result<Published, StoreError> {
        let mut d = self.data();
        let key = (p.owner.clone(), p.node.clone());
        let created = match d.pep.get(&key) {
            Some(existing) => {
                if p.precondition.is_some_and(|check| !check(&existing.config)) {
                    return Ok(Published::PreconditionNotMet);
                }
                false
            }
            None if d.pep_nodes_of(&p.owner).count() >= limits.max_nodes => return Ok(Published::TooManyNodes),
            None => true,
        };
        // Work on a copy: nothing changes unless the whole publication fits.
        let mut node = d.pep.get(&key).cloned().unwrap_or(MemNode {
            config: p.create_with,
            items: Vec::new(),
        });
        node.items.retain(|i| i.id != p.item.id);
        node.items.push(p.item);
        node.trim(limits.max_items);
        let others = d.pep_bytes_of(&p.owner)
            - d.pep
                .get(&key)
                .map_or(0, |n| n.items.iter().map(|i| i.payload.len()).sum());
        let mine: usize = node.items.iter().map(|i| i.payload.len()).sum();
        if others + mine > limits.max_bytes {
            return Ok(Published::OverQuota);
        }
        let config = node.config.clone();
        d.pep.insert(key, node);
        Ok(Published::Done { created, config })
    }

    async fn retract_pep_item(&self, owner: &str, node: &str, id: &str) -> Result<(), StoreError> {
        let mut d = self.data();
        let n = d.pep_node_mut(owner, node)?;
        let before = n.items.len();
        n.items.retain(|i| i.id != id);
        if n.items.len() == before {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn purge_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError> {
        self.data().pep_node_mut(owner, node)?.items.clear();
        Ok(())
    }

    async fn pep_items(&self, owner: &str, node: &str, max: Option<usize>) -> Result<Vec<PepItem>, StoreError> {
        let d = self.data();
        let Some(n) = d.pep.get(&(owner.to_owned(), node.to_owned())) else {
            return Ok(Vec::new());
        };
        let skip = max.map_or(0, |m| n.items.len().saturating_sub(m));
        Ok(n.items[skip..].to_vec())
    }

    async fn pep_items_by_id(&self, owner: &str, node: &str, ids: &[String]) -> Result<Vec<PepItem>, StoreError> {
        let d = self.data();
        let Some(n) = d.pep.get(&(owner.to_owned(), node.to_owned())) else {
            return Ok(Vec::new());
        };
        Ok(n.items.iter().filter(|i| ids.contains(&i.id)).cloned().collect())
    }

    async fn last_pep_items(
        &self,
        owners: &[String],
        nodes: &[String],
    ) -> Result<Vec<(String, PepNode, PepItem)>, StoreError> {
        let d = self.data();
        let mut out = Vec::new();
        for owner in owners {
            for node in nodes {
                let Some(n) = d.pep.get(&(owner.clone(), node.clone())) else {
                    continue;
                };
                if let Some(last) = n.items.last() {
                    let pep_node = PepNode {
                        name: node.clone(),
                        config: n.config.clone(),
                    };
                    out.push((owner.clone(), pep_node, last.clone()));
                }
            }
        }
        Ok(out)
    }

    async fn delete_pep(&self, owner: &str) -> Result<(), StoreError> {
        self.data().pep.retain(|(o, _), _| o != owner);
        Ok(())
    }
}

#[async_trait]
impl UploadStore for MemoryStore {
    async fn reserve_upload(&self, upload: &Upload, quota: u64) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.uploads.contains_key(&upload.id) {
            return Err(StoreError::Conflict);
        }
        let used: u64 = d
            .uploads
            .values()
            .filter(|u| u.owner == upload.owner)
            .map(|u| u.size)
            .sum();
        if used.saturating_add(upload.size) > quota {
            return Err(StoreError::LimitReached);
        }
        d.uploads.insert(upload.id.clone(), upload.clone());
        Ok(())
    }

    async fn upload(&self, id: &str) -> Result<Option<Upload>, StoreError> {
        Ok(self.data().uploads.get(id).cloned())
    }

    async fn complete_upload(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        let mut d = self.data();
        let upload = d.uploads.get_mut(id).ok_or(StoreError::NotFound)?;
        if upload.uploaded_ms.is_some() {
            return Err(StoreError::Conflict);
        }
        upload.uploaded_ms = Some(at_ms);
        Ok(())
    }

    async fn delete_upload(&self, id: &str) -> Result<(), StoreError> {
        self.data().uploads.remove(id);
        Ok(())
    }

    async fn due_uploads(&self, due: DueUploads) -> Result<Vec<Upload>, StoreError> {
        Ok(self
            .data()
            .uploads
            .values()
            .filter(|u| u.is_due(&due))
            .take(due.limit)
            .cloned()
            .collect())
    }

    async fn uploads_of(&self, owner: &str) -> Result<Vec<Upload>, StoreError> {
        Ok(self
            .data()
            .uploads
            .values()
            .filter(|u| u.owner == owner)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl UserDataStore for MemoryStore {
    async fn user_data(&self, owner: &str, kind: UserDataKind, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .data()
            .user_data
            .get(&(owner.to_owned(), kind.as_str(), key.to_owned()))
            .cloned())
    }

    async fn put_user_data(
        &self,
        owner: &str,
        kind: UserDataKind,
        key: &str,
        value: &str,
        max_keys: usize,
    ) -> Result<(), StoreError> {
        let mut d = self.data();
        let k = (owner.to_owned(), kind.as_str(), key.to_owned());
        if !d.user_data.contains_key(&k) {
            let held = d
                .user_data
                .keys()
                .filter(|(o, kd, _)| o == owner && *kd == kind.as_str())
                .count();
            if held >= max_keys {
                return Err(StoreError::LimitReached);
            }
        }
        d.user_data.insert(k, value.to_owned());
        Ok(())
    }

    async fn delete_user_data(&self, owner: &str) -> Result<(), StoreError> {
        self.data().user_data.retain(|(o, _, _), _| o != owner);
        Ok(())
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn insert_token(&self, token: &StoredToken, now_ms: i64, max: usize) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.tokens.contains_key(&token.id) || d.tokens.values().any(|t| t.hash == token.hash) {
            return Err(StoreError::Conflict);
        }
        let live = d
            .tokens
            .values()
            .filter(|t| t.owner == token.owner && t.is_live(now_ms))
            .count();
        if live >= max {
            return Err(StoreError::LimitReached);
        }
        d.tokens.insert(token.id.clone(), token.clone());
        Ok(())
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.data().tokens.values().find(|t| t.hash == hash).cloned())
    }

    async fn tokens_of(&self, owner: &str, now_ms: i64) -> Result<Vec<StoredToken>, StoreError> {
        let mut out: Vec<StoredToken> = self
            .data()
            .tokens
            .values()
            .filter(|t| t.owner == owner && t.is_live(now_ms))
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        Ok(out)
    }

    async fn delete_token(&self, owner: &str, id: &str) -> Result<Option<StoredToken>, StoreError> {
        let mut d = self.data();
        if d.tokens.get(id).is_none_or(|t| t.owner != owner) {
            return Ok(None);
        }
        Ok(d.tokens.remove(id))
    }

    async fn delete_tokens_of(&self, owner: &str) -> Result<usize, StoreError> {
        let mut d = self.data();
        let before = d.tokens.len();
        d.tokens.retain(|_, t| t.owner != owner);
        Ok(before - d.tokens.len())
    }

    async fn delete_expired_tokens(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError> {
        let mut d = self.data();
        let mut expired: Vec<(i64, String)> = d
            .tokens
            .values()
            .filter(|t| !t.is_live(now_ms))
            .map(|t| (t.expires_ms, t.id.clone()))
            .collect();
        expired.sort();
        expired.truncate(limit);
        for (_, id) in &expired {
            d.tokens.remove(id);
        }
        Ok(expired.len())
    }
}

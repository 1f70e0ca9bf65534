//! Every store trait over plain maps behind one mutex: what the routing unit tests run
//! on, and the model the other backends are tested against (`conformance`). Nothing
//! survives the process, so a server never uses it.
//!
//! This file holds the store and its maps; the trait implementations live beside it, one
//! file per trait, named as the trait's own file in `store/`.

mod accounts;
mod archive;
mod blocking;
mod domains;
mod idempotency;
mod muc;
mod muc_light;
mod offline;
mod pep;
mod push;
mod roster;
mod tokens;
mod uploads;
mod user_data;
mod webhooks;

use super::{
    AccountChange, ArchivedMessage, Credentials, MucRoomRecord, OfflineMessage, PushRegistration, Room, RosterItem,
    StoredToken, Upload,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

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
    blocklists: BTreeMap<String, BTreeSet<String>>,
    /// upload id → upload
    uploads: BTreeMap<String, Upload>,
    /// (owner, node) → node
    pep: BTreeMap<(String, String), pep::MemNode>,
    /// (owner, kind, key) → document
    user_data: BTreeMap<(String, &'static str, String), String>,
    /// room JID → persistent Multi-User Chat room
    muc_rooms: BTreeMap<String, MucRoomRecord>,
    /// token id → bearer token
    tokens: BTreeMap<String, StoredToken>,
    /// domain → its record
    domains: BTreeMap<String, crate::store::StoredDomain>,
    /// owner → idempotency keys of the client API
    idempotency: BTreeMap<String, idempotency::Keys>,
    /// endpoint → webhook state and outbox
    webhooks: BTreeMap<String, webhooks::Endpoint>,
}

#[derive(Default)]
pub struct MemoryStore {
    data: Arc<Mutex<Data>>,
    /// The node whose archive ids this handle issues, when several share the maps.
    id_node: Option<u8>,
}

impl MemoryStore {
    /// The same maps, as another node of an in-process cluster sees them: the archive ids
    /// it issues carry `node` ([`crate::store::ArchiveStore::id_node`]), as on a shared
    /// PostgreSQL.
    pub fn shared_by_node(&self, node: u8) -> MemoryStore {
        MemoryStore {
            data: self.data.clone(),
            id_node: Some(node),
        }
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock leaves plain maps that are still consistent
        // enough for tests; keep going rather than cascade the panic.
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }
}

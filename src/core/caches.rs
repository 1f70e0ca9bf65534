//! What a node remembers of stored state to answer without a read: blocklists
//! (XEP-0191) and avatar hashes (XEP-0398), by owner. Whoever changes such state here
//! updates the cache and calls [`Core::cached_changed`](crate::core::Core::cached_changed),
//! so the other nodes of a cluster forget theirs and read it again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The caches another node may be told to forget an entry of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Cache {
    /// Blocklists (XEP-0191), by owner.
    Blocklist,
    /// Avatar hashes for presence (XEP-0398), by owner.
    AvatarHash,
}

/// Values by owner, behind a lock held only to read or write one entry.
pub(crate) struct Cached<V> {
    entries: Mutex<HashMap<String, V>>,
}

impl<V> Default for Cached<V> {
    fn default() -> Self {
        Cached {
            entries: Mutex::default(),
        }
    }
}

impl<V: Clone> Cached<V> {
    pub(crate) fn get(&self, owner: &str) -> Option<V> {
        self.lock().get(owner).cloned()
    }

    pub(crate) fn set(&self, owner: &str, value: V) {
        self.lock().insert(owner.to_owned(), value);
    }

    pub(crate) fn forget(&self, owner: &str) {
        self.lock().remove(owner);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, V>> {
        // Each write leaves the map whole, even one that panicked midway.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Every cache of a node.
#[derive(Default)]
pub(crate) struct Caches {
    /// Blocklists read so far.
    pub(crate) blocklists: Cached<Arc<Vec<String>>>,
    /// Each account's avatar hash once known: `""` for "no avatar".
    pub(crate) avatar_hashes: Cached<String>,
}

impl Caches {
    /// Forgets what `cache` holds for `owner` (it changed elsewhere).
    pub(crate) fn forget(&self, cache: Cache, owner: &str) {
        match cache {
            Cache::Blocklist => self.blocklists.forget(owner),
            Cache::AvatarHash => self.avatar_hashes.forget(owner),
        }
    }
}

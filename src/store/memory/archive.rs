//! [`ArchiveStore`] in memory: messages by id, so id order is time order.

use super::MemoryStore;
use crate::store::{ArchiveQuery, ArchiveStore, ArchivedMessage, Commit, StoreError};
use async_trait::async_trait;

#[async_trait]
impl ArchiveStore for MemoryStore {
    fn id_node(&self) -> Option<u8> {
        self.id_node
    }

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
        let seen = |m: &ArchivedMessage| m.clone().seen_by(&q.owner);
        Ok(if q.newest_first {
            matching.rev().take(q.limit).map(seen).collect()
        } else {
            matching.take(q.limit).map(seen).collect()
        })
    }

    async fn archive_count(&self, q: ArchiveQuery) -> Result<u64, StoreError> {
        Ok(self.data().archive.values().filter(|m| q.matches(m, false)).count() as u64)
    }

    async fn archive_after(&self, after: i64, upto: i64, limit: usize) -> Result<Vec<ArchivedMessage>, StoreError> {
        if upto <= after {
            return Ok(Vec::new());
        }
        let d = self.data();
        Ok(d.archive
            .range(after.saturating_add(1)..=upto)
            .take(limit)
            .map(|(_, m)| m.clone())
            .collect())
    }

    async fn archive_max_id(&self) -> Result<i64, StoreError> {
        Ok(self.data().archive.keys().next_back().copied().unwrap_or(0))
    }

    async fn delete_archive(&self, owner: &str) -> Result<u64, StoreError> {
        let mut d = self.data();
        let mut deleted = 0;
        d.archive.retain(|_, m| {
            if !m.kept_by(owner) {
                return true;
            }
            deleted += 1;
            if !m.shared {
                return false;
            }
            // The other keeper's copy stays, now theirs alone.
            if m.owner == owner {
                std::mem::swap(&mut m.owner, &mut m.with);
            }
            m.shared = false;
            true
        });
        Ok(deleted)
    }
}

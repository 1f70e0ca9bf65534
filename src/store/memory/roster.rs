//! [`RosterStore`] in memory: each owner's items by contact; an owner with none has no
//! entry.

use super::MemoryStore;
use crate::store::{Cause, EditFn, RosterEdit, RosterItem, RosterStore, RosterUpdate, StoreError};
use async_trait::async_trait;

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

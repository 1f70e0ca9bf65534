//! [`UploadStore`] in memory: upload slots by id, the quota summed over the owner's slots.

use super::MemoryStore;
use crate::store::{DueUploads, StoreError, Upload, UploadStore};
use async_trait::async_trait;

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

//! Upload records (XEP-0363 HTTP File Upload): one row per slot handed out, naming its
//! owner, the file's name, size and content type, until when it may be uploaded, and
//! when it was. The files themselves are not here (see `core::uploads`).
//!
//! Contract:
//! - a slot is recorded only if the owner's recorded uploads (finished or still
//!   pending), plus the new one, stay within the quota given, checked and written in one
//!   atomic step ([`UploadStore::reserve_upload`]): two concurrent requests cannot both
//!   squeeze under the quota;
//! - a slot is marked uploaded at most once ([`UploadStore::complete_upload`]);
//! - deletions are idempotent.

use super::StoreError;
use async_trait::async_trait;

/// One upload slot and, once its file has arrived, the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The slot's random token (lowercase hex); it names the file.
    pub id: String,
    /// Who asked for the slot (bare JID).
    pub owner: String,
    pub filename: String,
    /// Exactly what the PUT must carry, in bytes.
    pub size: u64,
    pub content_type: String,
    /// When the slot was handed out, Unix milliseconds.
    pub created_ms: i64,
    /// The PUT must start before this, Unix milliseconds.
    pub put_until_ms: i64,
    /// When the file arrived; `None` while the slot is pending.
    pub uploaded_ms: Option<i64>,
}

/// Which records are due for deletion (see [`UploadStore::due_uploads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueUploads {
    /// Uploads finished before this are expired; `None`: finished uploads never are.
    pub uploaded_before_ms: Option<i64>,
    /// Pending slots whose PUT window closed before this are abandoned.
    pub put_until_before_ms: i64,
    pub limit: usize,
}

#[async_trait]
pub trait UploadStore: Send + Sync + 'static {
    /// Records a new slot if the sizes of `upload.owner`'s records plus `upload.size` stay
    /// within `quota` bytes; [`StoreError::LimitReached`] otherwise,
    /// [`StoreError::Conflict`] when the id is taken. Atomic, also against other
    /// processes sharing the storage.
    async fn reserve_upload(&self, upload: &Upload, quota: u64) -> Result<(), StoreError>;
    async fn upload(&self, id: &str) -> Result<Option<Upload>, StoreError>;
    /// Marks a pending slot uploaded at `at_ms`: [`StoreError::NotFound`] when it is gone,
    /// [`StoreError::Conflict`] when it was uploaded already.
    async fn complete_upload(&self, id: &str, at_ms: i64) -> Result<(), StoreError>;
    /// Deletes the record (nothing to delete is fine).
    async fn delete_upload(&self, id: &str) -> Result<(), StoreError>;
    /// Up to `due.limit` records due for deletion: finished uploads older than
    /// `due.uploaded_before_ms`, and pending slots past `due.put_until_before_ms`.
    async fn due_uploads(&self, due: DueUploads) -> Result<Vec<Upload>, StoreError>;
    /// Every record of `owner` (bare JID).
    async fn uploads_of(&self, owner: &str) -> Result<Vec<Upload>, StoreError>;
}

impl Upload {
    /// Whether the record matches `due`.
    pub(crate) fn is_due(&self, due: &DueUploads) -> bool {
        match self.uploaded_ms {
            Some(at) => due.uploaded_before_ms.is_some_and(|before| at < before),
            None => self.put_until_ms < due.put_until_before_ms,
        }
    }
}

//! Small per-account documents kept for their owner: the vCard (XEP-0054) and private
//! XML (XEP-0049), stored as serialized XML under a kind and a key, with a bound on how
//! many keys of one kind an account may hold.

use super::StoreError;
use async_trait::async_trait;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDataKind {
    /// The account's vCard (one, key `""`).
    Vcard,
    /// Private XML, keyed by the namespace of its root element.
    Private,
}

impl UserDataKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserDataKind::Vcard => "vcard",
            UserDataKind::Private => "private",
        }
    }
}

#[async_trait]
pub trait UserDataStore: Send + Sync + 'static {
    async fn user_data(&self, owner: &str, kind: UserDataKind, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` under `key`, replacing what was there; [`StoreError::LimitReached`]
    /// when the key is new and `owner` has `max_keys` of this kind already.
    async fn put_user_data(
        &self,
        owner: &str,
        kind: UserDataKind,
        key: &str,
        value: &str,
        max_keys: usize,
    ) -> Result<(), StoreError>;
    /// Deletes every document of `owner` (account removal).
    async fn delete_user_data(&self, owner: &str) -> Result<(), StoreError>;
}

//! Account storage: SCRAM credentials per bare JID, and a log of account changes that
//! every process sharing the storage can read (the command line changes accounts beside
//! a running server; the server learns of it from this log).

use super::StoreError;
use async_trait::async_trait;

/// One SCRAM credential (RFC 5802 §3): what is needed to verify a client proof
/// and to prove the server's identity, never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramCredential {
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

/// The stored credentials of one account, one per supported hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub sha1: ScramCredential,
    pub sha256: ScramCredential,
}

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChangeKind {
    Created,
    PasswordChanged,
    Removed,
    /// Logged by an older schema that did not record the kind.
    Unknown,
}

impl AccountChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountChangeKind::Created => "created",
            AccountChangeKind::PasswordChanged => "password",
            AccountChangeKind::Removed => "removed",
            AccountChangeKind::Unknown => "changed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "created" => AccountChangeKind::Created,
            "password" => AccountChangeKind::PasswordChanged,
            "removed" => AccountChangeKind::Removed,
            _ => AccountChangeKind::Unknown,
        }
    }

    /// Whether the change has consequences beyond the account row (sessions to end,
    /// data to purge), to be applied once.
    pub fn needs_applying(self) -> bool {
        matches!(self, AccountChangeKind::PasswordChanged | AccountChangeKind::Removed)
    }
}

/// One entry of the account change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    /// Increasing position in the log.
    pub seq: i64,
    pub jid: String,
    pub kind: AccountChangeKind,
    /// Its consequences have been carried out (see [`AccountChangeKind::needs_applying`]).
    pub applied: bool,
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates `jid` (bare, prepped); [`StoreError::Conflict`] if it exists.
    async fn create_account(&self, jid: &str, credentials: &Credentials) -> Result<(), StoreError>;
    async fn credentials(&self, jid: &str) -> Result<Option<Credentials>, StoreError>;
    /// Replaces the credentials; [`StoreError::NotFound`] when there is no such account.
    async fn set_credentials(&self, jid: &str, credentials: &Credentials) -> Result<(), StoreError>;
    /// Removes the account row; [`StoreError::NotFound`] when there is none. What depends
    /// on the account is purged when the logged change is applied.
    async fn delete_account(&self, jid: &str) -> Result<(), StoreError>;
    /// Bare JIDs of the accounts of `domain`, sorted: those after the JID `after` when
    /// given, at most `limit` when given.
    async fn list_accounts(
        &self,
        domain: &str,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<String>, StoreError>;
    /// How many accounts `domain` has.
    async fn count_accounts(&self, domain: &str) -> Result<u64, StoreError>;

    /// Log entries after `after`, oldest first. Every create, password change and
    /// removal is logged in the same transaction as the change itself.
    async fn account_changes(&self, after: i64) -> Result<Vec<AccountChange>, StoreError>;
    /// Entries whose consequences have not been applied yet, oldest first.
    async fn unapplied_account_changes(&self) -> Result<Vec<AccountChange>, StoreError>;
    async fn mark_account_change_applied(&self, seq: i64) -> Result<(), StoreError>;
    /// The newest log position (0 when the log is empty).
    async fn last_account_change(&self) -> Result<i64, StoreError>;
}

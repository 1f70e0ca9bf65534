//! Storage behind a trait, so the core never speaks SQL.
//!
//! The embedded implementation is SQLite ([`sqlite::SqliteStore`]); a shared database
//! (PostgreSQL) is the planned second one, so the trait keeps to plain data types and
//! says nothing about connections or SQL dialects.

pub(crate) mod sqlite;

use async_trait::async_trait;

pub use sqlite::SqliteStore;

/// Failures of the storage layer. Callers turn them into an HTTP 500-free answer
/// (usually a `503`-like internal error) or a stream error; they never panic.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("already exists")]
    AlreadyExists,
    #[error("database error: {0}")]
    Database(String),
    #[error("database schema version {found} is newer than this build understands ({known})")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("storage task failed: {0}")]
    Task(String),
}

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

/// A user's subscription to and from a contact (RFC 6121 §2.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Subscription {
    #[default]
    None,
    To,
    From,
    Both,
}

impl Subscription {
    pub fn as_str(self) -> &'static str {
        match self {
            Subscription::None => "none",
            Subscription::To => "to",
            Subscription::From => "from",
            Subscription::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Subscription::None,
            "to" => Subscription::To,
            "from" => Subscription::From,
            "both" => Subscription::Both,
            _ => return None,
        })
    }
}

/// One entry of a user's roster, or a pending inbound request (`in_roster` false).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterItem {
    /// The contact's bare JID.
    pub contact: String,
    pub name: Option<String>,
    pub groups: Vec<String>,
    pub subscription: Subscription,
    /// The user asked to subscribe and the contact has not answered (`ask='subscribe'`).
    pub ask_out: bool,
    /// The contact asked to subscribe and the user has not answered.
    pub pending_in: bool,
    /// Shown in the user's roster (false for a bare pending inbound request).
    pub in_roster: bool,
}

impl RosterItem {
    pub fn new(contact: &str) -> Self {
        RosterItem {
            contact: contact.to_owned(),
            name: None,
            groups: Vec::new(),
            subscription: Subscription::None,
            ask_out: false,
            pending_in: false,
            in_roster: true,
        }
    }
}

/// One message as archived for one owner (XEP-0313 user archive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedMessage {
    /// Server-assigned, unique and increasing with time.
    pub id: i64,
    /// Whose archive this copy is in (bare JID).
    pub owner: String,
    /// The other party (bare JID).
    pub with: String,
    /// When it was archived, Unix milliseconds.
    pub timestamp_ms: i64,
    /// The message stanza as XML.
    pub stanza: String,
}

/// What to read from one owner's archive. Bounds are exclusive for ids and `before_ms`,
/// inclusive for `start_ms`/`end_ms`.
#[derive(Debug, Clone, Default)]
pub struct ArchiveQuery {
    pub owner: String,
    pub with: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub before_ms: Option<i64>,
    pub after_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: usize,
    /// Newest first (for "the last N"); otherwise oldest first.
    pub newest_first: bool,
}

/// Account and roster persistence.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates `jid` (bare, prepped); [`StoreError::AlreadyExists`] if present.
    async fn create_account(&self, jid: &str, credentials: &Credentials) -> Result<(), StoreError>;
    async fn credentials(&self, jid: &str) -> Result<Option<Credentials>, StoreError>;
    /// Replaces the credentials; `false` when there is no such account.
    async fn set_credentials(&self, jid: &str, credentials: &Credentials) -> Result<bool, StoreError>;
    /// `false` when there is no such account.
    async fn delete_account(&self, jid: &str) -> Result<bool, StoreError>;
    /// Bare JIDs of the accounts of `domain`, sorted.
    async fn list_accounts(&self, domain: &str) -> Result<Vec<String>, StoreError>;
    /// Accounts created, changed or deleted after change number `after`, by any process
    /// sharing the database, with the newest change number. Lets a running server drop
    /// cached credentials that a command-line `passwd` made stale.
    async fn account_changes(&self, after: i64) -> Result<(i64, Vec<String>), StoreError>;

    /// Every item of `owner`'s roster (including bare pending requests), by contact.
    async fn roster(&self, owner: &str) -> Result<Vec<RosterItem>, StoreError>;
    async fn roster_item(&self, owner: &str, contact: &str) -> Result<Option<RosterItem>, StoreError>;
    /// Inserts or replaces the item for `item.contact`.
    async fn put_roster_item(&self, owner: &str, item: &RosterItem) -> Result<(), StoreError>;
    /// `false` when there was no such item.
    async fn delete_roster_item(&self, owner: &str, contact: &str) -> Result<bool, StoreError>;

    /// Stores messages; when this returns `Ok` they are on disk (they survive the process
    /// being killed). Concurrent calls are committed together.
    async fn archive_append(&self, messages: Vec<ArchivedMessage>) -> Result<(), StoreError>;
    /// Messages matching `query`, in the order it asks for, at most `query.limit`.
    async fn archive_query(&self, query: ArchiveQuery) -> Result<Vec<ArchivedMessage>, StoreError>;
    /// How many messages match `query`, ignoring its id bounds and limit.
    async fn archive_count(&self, query: ArchiveQuery) -> Result<u64, StoreError>;
    /// The highest archive id in use (0 when empty), so new ids keep increasing.
    async fn archive_max_id(&self) -> Result<i64, StoreError>;
}

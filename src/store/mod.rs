//! Storage, one trait per feature: [`AccountStore`], [`RosterStore`], [`ArchiveStore`],
//! [`RoomStore`], [`OfflineStore`], [`BlockStore`], [`PushStore`], [`UploadStore`],
//! [`PepStore`], [`UserDataStore`], [`MucStore`], [`TokenStore`], [`IdempotencyStore`],
//! [`DomainStore`], [`WebhookStore`].
//!
//! The core only sees these traits and plain data types; it never speaks SQL. Three
//! backends implement all of them:
//! - [`sqlite`]: the embedded default, one file in the data directory;
//! - [`postgres`]: a PostgreSQL database, which several nodes may share;
//! - [`memory`]: everything in process memory, for tests (never offered to a server, it
//!   would lose acknowledged messages).
//!
//! Each trait has its file here (`muc_light` holds [`RoomStore`], the MUC Light rooms),
//! and each backend one file of the same name implementing it, beside its `mod.rs` (the
//! store itself, opening, schema, shared helpers). The contract below is tested once, in
//! `conformance/` (one file of cases per trait), against every backend.
//!
//! Contract every backend keeps:
//! - a read-modify-write of one roster item ([`RosterStore::update_roster_item`]) is
//!   atomic, also against other processes sharing the storage; a room changes only if it
//!   is still at the version the change was computed from ([`RoomStore::update_room`]);
//!   an upload slot is recorded only within its owner's quota
//!   ([`UploadStore::reserve_upload`]); a bearer token is recorded only within its
//!   owner's limit ([`TokenStore::insert_token`]);
//! - [`ArchiveStore::archive_append`] returns only once the rows are durable;
//!   [`ArchiveStore::archive_enqueue`] splits it in two: rows queued by one call commit
//!   no earlier than those of an earlier one (a session's messages keep their order);
//! - failures are typed ([`StoreError`]): a missing row, a conflicting one, storage that
//!   is unavailable for now (retryable), or a failure that retrying will not cure;
//! - a PEP publication ([`PepStore::publish_pep_item`]) checks its precondition and the
//!   account's limits and writes the node and the item in one atomic step;
//! - an idempotency key is claimed by one request at a time
//!   ([`IdempotencyStore::claim_idempotency_key`]), also across processes.
//!
//! Which backend a server uses is decided in exactly one place, [`open`].

mod accounts;
mod archive;
mod blocking;
mod domains;
mod idempotency;
pub mod memory;
mod muc;
mod muc_light;
mod offline;
mod pep;
pub mod postgres;
mod push;
mod roster;
pub mod sqlite;
mod tokens;
mod uploads;
mod user_data;
mod webhooks;

pub use accounts::{AccountChange, AccountChangeKind, AccountStore, Credentials, ScramCredential};
pub use archive::{ArchiveQuery, ArchiveStore, ArchivedMessage, Commit};
pub use blocking::BlockStore;
pub use domains::{DomainStatus, DomainStore, StoredDomain};
pub use idempotency::{Claimed, IdempotencyRecord, IdempotencyStore, IdempotentAnswer, KeyClaim};
pub use muc::{MucAffiliation, MucRoomRecord, MucStore};
pub use muc_light::{Affiliation, Occupant, Room, RoomStore, RoomSummary};
pub use offline::{OfflineMessage, OfflineStore};
pub use pep::{
    AccessModel, NodeConfig, PepItem, PepLimits, PepNode, PepStore, PreconditionFn, Publication, Published,
    SendLastItem,
};
pub use postgres::{PgSettings, PgStore};
pub use push::{PushRegistration, PushStore};
pub use roster::{EditFn, RosterEdit, RosterItem, RosterStore, RosterUpdate, Subscription};
pub use sqlite::SqliteStore;
pub use tokens::{StoredToken, TokenStore};
pub use uploads::{DueUploads, Upload, UploadStore};
pub use user_data::{UserDataKind, UserDataStore};
pub use webhooks::{NewWebhookEvent, WebhookEvent, WebhookState, WebhookStore};

use std::sync::Arc;

/// The storage backends a configuration may name (`[general] storage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// One SQLite file in the data directory.
    #[default]
    Sqlite,
    /// A PostgreSQL database, which several nodes may share (`[storage.postgres]`).
    Postgres,
}

/// A backend and what it needs to open.
#[derive(Debug, Clone)]
pub enum Storage {
    Sqlite {
        data_dir: std::path::PathBuf,
        /// What an acknowledged archive write survives.
        durability: Durability,
        /// MiB of page cache, all connections together (`[storage] sqlite_cache_mb`).
        cache_mb: u64,
    },
    Postgres(PgSettings),
}

/// What an acknowledged archive write survives (`[modules.mod_mam] durability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// The server process being killed: a commit is in the operating system's hands
    /// when it returns. A power loss or kernel crash may take the last commits.
    #[default]
    Process,
    /// A power loss too: each group commit waits for the disk (fsync) before returning.
    Power,
}

/// The storage of every feature, as the core receives it.
#[derive(Clone)]
pub struct Stores {
    pub accounts: Arc<dyn AccountStore>,
    pub roster: Arc<dyn RosterStore>,
    pub archive: Arc<dyn ArchiveStore>,
    pub rooms: Arc<dyn RoomStore>,
    pub offline: Arc<dyn OfflineStore>,
    pub blocking: Arc<dyn BlockStore>,
    pub push: Arc<dyn PushStore>,
    pub uploads: Arc<dyn UploadStore>,
    pub pep: Arc<dyn PepStore>,
    pub user_data: Arc<dyn UserDataStore>,
    pub muc: Arc<dyn MucStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub domains: Arc<dyn DomainStore>,
    pub webhooks: Arc<dyn WebhookStore>,
}

impl Stores {
    /// Every feature on one value implementing all the traits.
    pub fn all_in<S>(store: Arc<S>) -> Self
    where
        S: AccountStore
            + RosterStore
            + ArchiveStore
            + RoomStore
            + OfflineStore
            + BlockStore
            + PushStore
            + UploadStore
            + PepStore
            + UserDataStore
            + MucStore
            + TokenStore
            + IdempotencyStore
            + DomainStore
            + WebhookStore,
    {
        Stores {
            accounts: store.clone(),
            roster: store.clone(),
            archive: store.clone(),
            rooms: store.clone(),
            offline: store.clone(),
            blocking: store.clone(),
            push: store.clone(),
            uploads: store.clone(),
            pep: store.clone(),
            user_data: store.clone(),
            muc: store.clone(),
            tokens: store.clone(),
            idempotency: store.clone(),
            domains: store.clone(),
            webhooks: store,
        }
    }

    /// Fresh, empty in-memory storage.
    pub fn memory() -> Self {
        Self::all_in(Arc::new(memory::MemoryStore::default()))
    }
}

/// Opens the configured backend: the one place a backend is chosen.
pub async fn open(storage: &Storage) -> Result<Stores, StoreError> {
    match storage {
        Storage::Sqlite {
            data_dir,
            durability,
            cache_mb,
        } => Ok(Stores::all_in(Arc::new(SqliteStore::open_with(
            data_dir,
            *durability,
            *cache_mb,
        )?))),
        Storage::Postgres(settings) => Ok(PgStore::connect(settings).await?.into_stores()),
    }
}

/// What went wrong underneath, kept for logs and `source()` chains.
#[derive(Debug, Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Cause(Arc::new(e))
    }

    /// A cause that is only a description (no underlying error value).
    pub fn msg(text: impl Into<String>) -> Self {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Message(String);
        Cause::new(Message(text.into()))
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Failures of the storage layer. Callers turn them into an answer once, at their
/// boundary (an IQ error, a stream error, an HTTP status); they never panic on them.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The row the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// A row with the same key exists already.
    #[error("already exists")]
    Conflict,
    /// The storage cannot answer now (busy, locked, out of space, I/O, its worker gone);
    /// the same operation may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// The storage answered, but with a failure retrying will not cure.
    #[error("storage failure: {0}")]
    Failed(#[source] Cause),
    /// Writing would take a collection past the size the caller allows.
    #[error("limit reached")]
    LimitReached,
    #[error("database schema version {found} is newer than this build understands ({known})")]
    SchemaTooNew { found: i64, known: i64 },
}

impl StoreError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

#[cfg(test)]
pub(crate) mod conformance;

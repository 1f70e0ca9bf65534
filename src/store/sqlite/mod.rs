//! SQLite storage: one file (`meerkat.db`) in the data directory, WAL mode, so a server
//! and a command-line `meerkat register` can use it at the same time.
//!
//! Schema changes are numbered migrations applied at open, each in its own transaction;
//! the number reached is kept in `PRAGMA user_version`. The trait implementations live
//! beside this file, one file per store trait, named as the trait's own file in `store/`.

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

#[cfg(test)]
pub(crate) use archive::Indexing as ArchiveIndexing;

use super::{Cause, Durability, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: accounts and a change log for cross-process cache invalidation.
    "CREATE TABLE accounts (
        jid TEXT PRIMARY KEY NOT NULL,
        domain TEXT NOT NULL,
        sha1_salt BLOB NOT NULL,
        sha1_iterations INTEGER NOT NULL,
        sha1_stored_key BLOB NOT NULL,
        sha1_server_key BLOB NOT NULL,
        sha256_salt BLOB NOT NULL,
        sha256_iterations INTEGER NOT NULL,
        sha256_stored_key BLOB NOT NULL,
        sha256_server_key BLOB NOT NULL,
        created_at INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX accounts_by_domain ON accounts (domain, jid);
     CREATE TABLE account_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        jid TEXT NOT NULL
     );",
    // 2: rosters, with pending subscription requests in both directions.
    "CREATE TABLE roster (
        owner TEXT NOT NULL,
        contact TEXT NOT NULL,
        name TEXT,
        groups TEXT NOT NULL DEFAULT '[]',
        subscription TEXT NOT NULL DEFAULT 'none',
        ask_out INTEGER NOT NULL DEFAULT 0,
        pending_in INTEGER NOT NULL DEFAULT 0,
        in_roster INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (owner, contact)
     ) WITHOUT ROWID;",
    // 3: the message archive, one row per owner of each message.
    // Rows are appended in id order (ids grow with time), so a commit touches the last
    // pages of the table plus index entries; the indexes serve "newest N of an owner"
    // and "newest N with one peer".
    "CREATE TABLE archive (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        with_jid TEXT NOT NULL,
        ts INTEGER NOT NULL,
        stanza TEXT NOT NULL
     );
     CREATE INDEX archive_by_owner ON archive (owner, id);
     CREATE INDEX archive_by_with ON archive (owner, with_jid, id);",
    // 4: account changes say what happened and whether its consequences (ending
    // sessions, purging what depends on the account) were carried out; entries logged
    // before this version count as carried out. Rosters are searchable by contact, for
    // purging a removed account from everyone's roster.
    "ALTER TABLE account_changes ADD COLUMN kind TEXT NOT NULL DEFAULT 'changed';
     ALTER TABLE account_changes ADD COLUMN applied INTEGER NOT NULL DEFAULT 1;
     CREATE INDEX account_changes_unapplied ON account_changes (seq) WHERE applied = 0;
     CREATE INDEX roster_by_contact ON roster (contact, owner);",
    // 5: rooms (MUC Light) and their occupants, `position` keeping the order they joined;
    // occupants are searchable by user, for listing a user's rooms.
    "CREATE TABLE rooms (
        jid TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        subject TEXT NOT NULL,
        version TEXT NOT NULL,
        created_at INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE room_occupants (
        room TEXT NOT NULL,
        user TEXT NOT NULL,
        affiliation TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (room, user)
     ) WITHOUT ROWID;
     CREATE INDEX room_occupants_by_user ON room_occupants (user, room);",
    // 6: messages held for users who were offline (XEP-0160), and blocklists (XEP-0191).
    "CREATE TABLE offline (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        ts INTEGER NOT NULL,
        stanza TEXT NOT NULL
     );
     CREATE INDEX offline_by_owner ON offline (owner, seq);
     CREATE TABLE blocklist (
        owner TEXT NOT NULL,
        jid TEXT NOT NULL,
        PRIMARY KEY (owner, jid)
     ) WITHOUT ROWID;",
    // 7: push registrations (XEP-0357).
    "CREATE TABLE push_registrations (
        owner TEXT NOT NULL,
        jid TEXT NOT NULL,
        node TEXT NOT NULL,
        options TEXT NOT NULL,
        created INTEGER NOT NULL,
        PRIMARY KEY (owner, jid, node)
     ) WITHOUT ROWID;",
    // 8: HTTP File Upload slots and uploads (the files live in the upload directory);
    // searchable by owner (quota, account removal), pending slots by deadline and
    // finished uploads by age (the expiry sweep).
    "CREATE TABLE uploads (
        id TEXT PRIMARY KEY NOT NULL,
        owner TEXT NOT NULL,
        filename TEXT NOT NULL,
        size INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        put_until_ms INTEGER NOT NULL,
        uploaded_ms INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX uploads_by_owner ON uploads (owner);
     CREATE INDEX uploads_pending ON uploads (put_until_ms) WHERE uploaded_ms IS NULL;
     CREATE INDEX uploads_by_age ON uploads (uploaded_ms) WHERE uploaded_ms IS NOT NULL;",
    // 9: PEP nodes (configuration as JSON) and their items, `seq` keeping the order they
    // were published in; small per-account documents (vCards, private XML).
    "CREATE TABLE pep_nodes (
        owner TEXT NOT NULL,
        node TEXT NOT NULL,
        config TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner, node)
     ) WITHOUT ROWID;
     CREATE TABLE pep_items (
        seq INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        node TEXT NOT NULL,
        item_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        size INTEGER NOT NULL,
        published_at INTEGER NOT NULL
     );
     CREATE UNIQUE INDEX pep_items_by_id ON pep_items (owner, node, item_id);
     CREATE INDEX pep_items_by_node ON pep_items (owner, node, seq);
     CREATE TABLE user_data (
        owner TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (owner, kind, key)
     ) WITHOUT ROWID;",
    // 10: persistent Multi-User Chat rooms (XEP-0045): configuration (serialized by the
    // core), subject, and affiliations, which go with their room.
    "CREATE TABLE muc_rooms (
        jid TEXT PRIMARY KEY NOT NULL,
        service TEXT NOT NULL,
        config TEXT NOT NULL,
        subject TEXT NOT NULL,
        subject_by TEXT NOT NULL,
        updated_at INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX muc_rooms_by_service ON muc_rooms (service, jid);
     CREATE TABLE muc_affiliations (
        room TEXT NOT NULL REFERENCES muc_rooms (jid) ON DELETE CASCADE,
        user TEXT NOT NULL,
        affiliation TEXT NOT NULL,
        PRIMARY KEY (room, user)
     ) WITHOUT ROWID;",
    // 11: bearer tokens of the client API, found by the hash of their secret (the secret
    // is not stored), listed by owner, purged by expiry.
    "CREATE TABLE tokens (
        id TEXT PRIMARY KEY NOT NULL,
        owner TEXT NOT NULL,
        hash BLOB NOT NULL UNIQUE,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX tokens_by_owner ON tokens (owner, created_ms, id);
     CREATE INDEX tokens_by_expiry ON tokens (expires_ms);",
    // 12: idempotency keys of the client API: the request's fingerprint, the claim token
    // while it runs (`status` NULL), then its answer; searchable by owner and age (the
    // per-user cap) and by expiry (the sweep).
    "CREATE TABLE idempotency_keys (
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint BLOB NOT NULL,
        token INTEGER NOT NULL,
        status INTEGER,
        body BLOB,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (owner, key)
     ) WITHOUT ROWID;
     CREATE INDEX idempotency_keys_by_age ON idempotency_keys (owner, created_ms);
     CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_ms);",
    // 13: the archive's owner index moves out of the table, so that appends touch only
    // the table's last pages: `archive_index` (JIDs as numbers from `archive_jids`) is
    // written in bulk behind the appends, up to `archive_indexed.upto` (see
    // `archive.rs`).
    "CREATE TABLE archive_jids (
        id INTEGER PRIMARY KEY,
        jid TEXT NOT NULL UNIQUE
     );
     CREATE TABLE archive_index (
        owner INTEGER NOT NULL,
        id INTEGER NOT NULL,
        with_jid INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        PRIMARY KEY (owner, id)
     ) WITHOUT ROWID;
     CREATE INDEX archive_index_by_with ON archive_index (owner, with_jid, id);
     CREATE TABLE archive_indexed (upto INTEGER NOT NULL);
     INSERT INTO archive_jids (jid) SELECT owner FROM archive UNION SELECT with_jid FROM archive;
     INSERT INTO archive_index (owner, id, with_jid, ts)
        SELECT o.id, a.id, w.id, a.ts FROM archive a
        JOIN archive_jids o ON o.jid = a.owner JOIN archive_jids w ON w.jid = a.with_jid;
     INSERT INTO archive_indexed (upto) SELECT COALESCE(MAX(id), 0) FROM archive;
     DROP INDEX archive_by_owner;
     DROP INDEX archive_by_with;",
    // 14: domains added at run time (the admin API), with the configured host whose
    // settings each takes and its status.
    "CREATE TABLE domains (
        domain TEXT PRIMARY KEY NOT NULL,
        host_type TEXT NOT NULL,
        status TEXT NOT NULL
     ) WITHOUT ROWID;",
    // 15: webhook endpoints (cursors into the archive and the account change log,
    // counters, the last error) and their outboxes, in `seq` order.
    "CREATE TABLE webhook_endpoints (
        endpoint TEXT PRIMARY KEY NOT NULL,
        archive_cursor INTEGER NOT NULL,
        account_cursor INTEGER NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0,
        dropped INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_error_ms INTEGER,
        last_delivered_ms INTEGER
     ) WITHOUT ROWID;
     CREATE TABLE webhook_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        endpoint TEXT NOT NULL,
        event_id TEXT NOT NULL,
        archive_id INTEGER,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        first_failure_ms INTEGER
     );
     CREATE INDEX webhook_outbox_by_endpoint ON webhook_outbox (endpoint, seq);",
    // 16: idempotency claims in bounded time: each owner's count of records, kept in the
    // transactions that insert or delete them (so the cap is one read, not a COUNT);
    // the owner's records by expiry (room made from expired ones first) and the owner's
    // answered records by age (the oldest answers go next), so a claim at the cap finds
    // what to remove without reading the rest.
    "CREATE TABLE idempotency_key_counts (
        owner TEXT PRIMARY KEY NOT NULL,
        keys INTEGER NOT NULL
     ) WITHOUT ROWID;
     INSERT INTO idempotency_key_counts (owner, keys)
        SELECT owner, COUNT(*) FROM idempotency_keys GROUP BY owner;
     DROP INDEX idempotency_keys_by_age;
     CREATE INDEX idempotency_keys_answered_by_age ON idempotency_keys (owner, created_ms, key)
        WHERE status IS NOT NULL;
     CREATE INDEX idempotency_keys_by_owner_expiry ON idempotency_keys (owner, expires_ms);",
    // 17: a one-to-one message between two accounts here is one row for both archives
    // (`shared`: `with_jid` keeps it too, through its own index entry).
    "ALTER TABLE archive ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;",
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The file name inside the data directory.
pub const DB_FILE: &str = "meerkat.db";

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// Archive reads get their own connection (WAL lets them run beside the writer).
    archive_reader: Arc<Mutex<Connection>>,
    /// The archive writer thread (group commit, index writes, deletions).
    archive_writer: std::sync::mpsc::SyncSender<archive::Command>,
    /// Archive index entries the writer has not written yet.
    archive_tail: archive::SharedTail,
}

/// Maps a SQLite failure onto the storage error kinds.
pub(super) fn db_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    let code = match &e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    };
    match code {
        Some(
            C::DatabaseBusy
            | C::DatabaseLocked
            | C::SystemIoFailure
            | C::DiskFull
            | C::CannotOpen
            | C::OutOfMemory
            | C::FileLockingProtocolFailed
            | C::OperationInterrupted,
        ) => StoreError::Unavailable(Cause::new(e)),
        Some(C::ConstraintViolation) => StoreError::Conflict,
        _ => StoreError::Failed(Cause::new(e)),
    }
}

/// Wall-clock Unix milliseconds, for `created_at` columns.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A blocking task that did not finish (it panicked, or the runtime is shutting down).
fn task_err(e: tokio::task::JoinError) -> StoreError {
    StoreError::Unavailable(Cause::new(e))
}

/// A lock poisoned by a panic in another task: the connection may be mid-transaction.
fn poisoned<T>(_: std::sync::PoisonError<T>) -> StoreError {
    StoreError::Failed(Cause::msg("a storage connection was poisoned by a panic"))
}

/// The page cache of all the store's connections together, in MiB, unless
/// `[storage] sqlite_cache_mb` says otherwise.
pub const DEFAULT_CACHE_MB: u64 = 64;

/// The largest `[storage] sqlite_cache_mb` accepted (64 GiB).
pub const MAX_CACHE_MB: u64 = 64 * 1024;

/// What the checkpointer's connection keeps: it copies WAL frames into the database
/// without going through its page cache, so it keeps no more than SQLite's minimum.
const CHECKPOINTER_CACHE_KIB: i64 = 64;

/// The page cache of each of the store's connections, in KiB, so that together they
/// hold at most `total_mb` MiB: the checkpointer keeps its minimum, the archive writer
/// (whose hot pages are the archive index's last leaves, one per owner written to)
/// half of the rest, the main connection and the archive reader a quarter each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheSplit {
    pub main: i64,
    pub archive_reader: i64,
    pub archive_writer: i64,
    pub checkpointer: i64,
}

impl CacheSplit {
    pub(crate) fn of(total_mb: u64) -> Self {
        let total = (total_mb.clamp(1, MAX_CACHE_MB) * 1024) as i64;
        let rest = total - CHECKPOINTER_CACHE_KIB;
        let quarter = rest / 4;
        CacheSplit {
            main: quarter,
            archive_reader: quarter,
            archive_writer: rest - 2 * quarter,
            checkpointer: CHECKPOINTER_CACHE_KIB,
        }
    }
}

/// Opens a connection with the store's settings and a page cache of `cache_kib` KiB
/// (SQLite counts each page's bookkeeping in it).
fn open_connection(path: &Path, cache_kib: i64) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(db_err)?;
    // Small pages: a commit writes every page it dirtied to the WAL, and an archive commit
    // dirties one index leaf per owner it touches, so 1 KiB pages write a quarter of the
    // bytes 4 KiB pages would. Takes effect when the file is created.
    conn.pragma_update(None, "page_size", 1024).map_err(db_err)?;
    // Another process (a CLI command, a second server by mistake) may hold the write
    // lock briefly; wait rather than fail.
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
    // NORMAL in WAL mode: a commit is in the OS once it returns, so it survives the
    // process being killed; only a power loss can take the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(db_err)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(db_err)?;
    // Negative: a size in KiB rather than a number of pages (see `CacheSplit`).
    conn.pragma_update(None, "cache_size", -cache_kib).map_err(db_err)?;
    // Checkpoints run in their own thread (see `checkpoint_loop`), never in a commit.
    conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(db_err)?;
    // A WAL that grew under load is cut back to this size whenever it starts over.
    conn.pragma_update(None, "journal_size_limit", WAL_LIMIT as i64)
        .map_err(db_err)?;
    Ok(conn)
}

/// How long a connection waits for another's lock before it gives up with an error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The WAL size the store keeps to: past it, the checkpointer waits for a full
/// checkpoint and truncates the file (writers wait for that moment), so a sustained
/// write flood costs disk up to about this much plus what arrives meanwhile.
pub(crate) const WAL_LIMIT: u64 = 64 << 20;

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Copies committed WAL frames into the database without blocking writers (PASSIVE), so a
/// commit never waits for a checkpoint and hot pages are written back once per round
/// rather than once per commit. Counts its rounds in `rounds`: the archive writer
/// finishes the job just after one (`archive::Writer::reset_wal_now_and_then`).
fn checkpoint_loop(
    conn: Connection,
    alive: std::sync::Weak<Mutex<Connection>>,
    wal: PathBuf,
    limit: u64,
    rounds: Arc<AtomicU64>,
) {
    while alive.strong_count() > 0 {
        std::thread::sleep(CHECKPOINT_EVERY);
        let over = std::fs::metadata(&wal).is_ok_and(|m| m.len() > limit);
        let mode = if over { "TRUNCATE" } else { "PASSIVE" };
        match conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
            Ok(()) => {
                rounds.fetch_add(1, Ordering::Release);
            }
            Err(e) => tracing::warn!(error = %e, mode, "WAL checkpoint failed"),
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_durability(data_dir, Durability::default())
    }

    /// [`open`](Self::open), the archive's commits surviving what `durability` says.
    pub fn open_with_durability(data_dir: &Path, durability: Durability) -> Result<Self, StoreError> {
        Self::open_with(data_dir, durability, DEFAULT_CACHE_MB)
    }

    /// [`open_with_durability`](Self::open_with_durability), the connections' page
    /// caches holding at most `cache_mb` MiB together.
    pub fn open_with(data_dir: &Path, durability: Durability, cache_mb: u64) -> Result<Self, StoreError> {
        Self::open_tuned(
            data_dir,
            WAL_LIMIT,
            archive::Indexing::default(),
            durability,
            CacheSplit::of(cache_mb),
        )
    }

    /// [`open`](Self::open) with another WAL bound (tests use a small one).
    #[cfg(test)]
    pub(crate) fn open_with_wal_limit(data_dir: &Path, wal_limit: u64) -> Result<Self, StoreError> {
        Self::open_tuned(
            data_dir,
            wal_limit,
            archive::Indexing::default(),
            Durability::default(),
            CacheSplit::of(DEFAULT_CACHE_MB),
        )
    }

    /// [`open`](Self::open) with another rhythm of archive index writes (tests make
    /// them frequent and small).
    #[cfg(test)]
    pub(crate) fn open_with_indexing(data_dir: &Path, indexing: archive::Indexing) -> Result<Self, StoreError> {
        Self::open_tuned(
            data_dir,
            WAL_LIMIT,
            indexing,
            Durability::default(),
            CacheSplit::of(DEFAULT_CACHE_MB),
        )
    }

    fn open_tuned(
        data_dir: &Path,
        wal_limit: u64,
        indexing: archive::Indexing,
        durability: Durability,
        cache: CacheSplit,
    ) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Unavailable(Cause::msg(format!("cannot create {}: {e}", data_dir.display()))))?;
        let path = data_dir.join(DB_FILE);
        let conn = open_connection(&path, cache.main)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(archive::WRITER_QUEUE);
        let mut store = SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            archive_reader: Arc::new(Mutex::new(open_connection(&path, cache.archive_reader)?)),
            archive_writer: tx,
            archive_tail: archive::SharedTail::default(),
        };
        store.migrate()?;
        let mut writer = open_connection(&path, cache.archive_writer)?;
        if durability == Durability::Power {
            // FULL in WAL mode: every commit syncs the WAL to disk before it returns.
            writer.pragma_update(None, "synchronous", "FULL").map_err(db_err)?;
        }
        let leftovers = archive::index_leftovers(&mut writer)?;
        if leftovers > 0 {
            tracing::info!(entries = leftovers, "archive index completed from the last run");
        }
        let tail = store.archive_tail.clone();
        let thread_err = |what: &str, e: std::io::Error| {
            StoreError::Unavailable(Cause::msg(format!("cannot start the {what}: {e}")))
        };
        let rounds = Arc::new(AtomicU64::new(0));
        let seen = rounds.clone();
        std::thread::Builder::new()
            .name("archive-writer".into())
            .spawn(move || archive::writer_loop(writer, rx, tail, indexing, seen))
            .map_err(|e| thread_err("archive writer", e))?;
        let checkpointer = open_connection(&path, cache.checkpointer)?;
        let alive = Arc::downgrade(&store.conn);
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, alive, path.with_extension("db-wal"), wal_limit, rounds))
            .map_err(|e| thread_err("checkpointer", e))?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().map_err(poisoned)?;
        // IMMEDIATE: two processes opening a fresh database must not both migrate.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let mut version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db_err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        while version < SCHEMA_VERSION {
            tx.execute_batch(MIGRATIONS[version as usize]).map_err(db_err)?;
            version += 1;
            tx.pragma_update(None, "user_version", version).map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    /// Runs `f` on the main connection off the async threads.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || f(&mut *conn.lock().map_err(poisoned)?))
            .await
            .map_err(task_err)?
    }

    /// Runs `f` on the archive reader connection off the async threads.
    async fn with_reader<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.archive_reader.clone();
        tokio::task::spawn_blocking(move || f(&*conn.lock().map_err(poisoned)?))
            .await
            .map_err(task_err)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reopening_keeps_data_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStore::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(conn);
        assert!(matches!(
            SqliteStore::open(dir.path()),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }

    #[test]
    fn the_page_cache_is_one_total_split_between_the_connections() {
        for total_mb in [1, 2, 3, 64, 1000, MAX_CACHE_MB] {
            let c = CacheSplit::of(total_mb);
            assert_eq!(
                c.main + c.archive_reader + c.archive_writer + c.checkpointer,
                total_mb as i64 * 1024,
                "{c:?}"
            );
            assert!(
                c.main > 0 && c.archive_reader > 0 && c.archive_writer >= c.main,
                "{c:?}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_with(dir.path(), Durability::default(), 8).unwrap();
        let split = CacheSplit::of(8);
        let cache = |conn: &Mutex<Connection>| -> i64 {
            conn.lock()
                .unwrap()
                .pragma_query_value(None, "cache_size", |r| r.get(0))
                .unwrap()
        };
        assert_eq!(cache(&store.conn), -split.main);
        assert_eq!(cache(&store.archive_reader), -split.archive_reader);
    }

    #[tokio::test]
    async fn the_wal_is_cut_back_to_its_limit_after_a_write_flood() {
        use crate::store::{ArchiveStore, ArchivedMessage};
        let dir = tempfile::tempdir().unwrap();
        let limit = 1 << 20;
        let store = SqliteStore::open_with_wal_limit(dir.path(), limit).unwrap();
        let wal = dir.path().join(DB_FILE).with_extension("db-wal");
        let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        let body = "b".repeat(2000);
        let mut largest = 0;
        for batch in 0..40 {
            let rows = (0..250)
                .map(|i| {
                    let n = batch * 250 + i;
                    ArchivedMessage {
                        id: n,
                        owner: format!("user{}@localhost", n % 50),
                        with: "bob@localhost".into(),
                        timestamp_ms: n,
                        stanza: format!("<message id='{n}'><body>{body}</body></message>"),
                        shared: false,
                    }
                })
                .collect();
            store.archive_append(rows).await.unwrap();
            largest = largest.max(wal_size());
        }
        // About 20 MB went through the WAL.
        assert!(largest > limit, "the flood never filled the WAL ({largest} bytes)");
        tokio::time::sleep(CHECKPOINT_EVERY * 3).await;
        assert!(wal_size() <= limit, "the WAL stayed at {} bytes", wal_size());
    }

    #[tokio::test]
    async fn a_reader_holding_a_snapshot_does_not_hold_up_appends() {
        use crate::store::ArchiveStore;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store
            .archive_append(vec![archived(1, "alice@localhost", "bob@localhost")])
            .await
            .unwrap();
        // A long read (an export, a big count) keeps its snapshot in the WAL past the
        // writer's next WAL reset.
        let reader = Connection::open(dir.path().join(DB_FILE)).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT COUNT(*) FROM archive", [], |r| r.get(0))
            .unwrap();
        let started = std::time::Instant::now();
        let mut slowest = Duration::ZERO;
        let mut id = 2;
        while started.elapsed() < Duration::from_secs(3) {
            let t = std::time::Instant::now();
            store
                .archive_append(vec![archived(id, "alice@localhost", "bob@localhost")])
                .await
                .unwrap();
            slowest = slowest.max(t.elapsed());
            id += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        reader.execute_batch("COMMIT").unwrap();
        assert!(slowest < Duration::from_millis(500), "an append waited {slowest:?}");
    }

    fn archived(id: i64, owner: &str, with: &str) -> crate::store::ArchivedMessage {
        crate::store::conformance::msg(id, owner, with, id)
    }

    fn newest(owner: &str) -> crate::store::ArchiveQuery {
        crate::store::ArchiveQuery {
            owner: owner.into(),
            limit: 100,
            newest_first: true,
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn rows_a_stopped_server_left_unindexed_are_indexed_at_the_next_open() {
        use crate::store::ArchiveStore;
        let dir = tempfile::tempdir().unwrap();
        let never = ArchiveIndexing {
            start_at: usize::MAX / 8,
            max_age: Duration::from_secs(3600),
            chunk: 16,
            budget: Duration::from_secs(3600),
        };
        let store = SqliteStore::open_with_indexing(dir.path(), never).unwrap();
        for id in 1..=30 {
            let row = crate::store::ArchivedMessage {
                shared: id % 2 == 0,
                ..archived(id, "alice@localhost", "bob@localhost")
            };
            store.archive_append(vec![row]).await.unwrap();
        }
        assert_eq!(store.archive_count(newest("alice@localhost")).await.unwrap(), 30);
        assert_eq!(store.archive_count(newest("bob@localhost")).await.unwrap(), 15);
        drop(store);
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let indexed: i64 = conn
            .query_row("SELECT COUNT(*) FROM archive_index", [], |r| r.get(0))
            .unwrap();
        assert_eq!(indexed, 0, "the tail was written although no round was due");
        drop(conn);
        let store = SqliteStore::open_with_indexing(dir.path(), never).unwrap();
        let ids: Vec<i64> = store
            .archive_query(newest("alice@localhost"))
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, (1..=30).rev().collect::<Vec<_>>());
        assert_eq!(store.archive_count(newest("alice@localhost")).await.unwrap(), 30);
        let bobs: Vec<(i64, String)> = store
            .archive_query(newest("bob@localhost"))
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.id, m.with))
            .collect();
        let shared: Vec<(i64, String)> = (1..=15).rev().map(|n| (2 * n, "alice@localhost".to_owned())).collect();
        assert_eq!(bobs, shared);
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let (indexed, upto): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM archive_index), (SELECT upto FROM archive_indexed)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((indexed, upto), (45, 30));
    }

    #[tokio::test]
    async fn an_archive_half_indexed_half_in_memory_is_read_counted_and_deleted_whole() {
        use crate::store::ArchiveStore;
        let dir = tempfile::tempdir().unwrap();
        let indexing = ArchiveIndexing {
            start_at: 16,
            max_age: Duration::from_secs(3600),
            chunk: 3,
            budget: Duration::from_secs(3600),
        };
        let store = SqliteStore::open_with_indexing(dir.path(), indexing).unwrap();
        for id in 1..=40 {
            let (owner, with) = if id % 4 == 0 {
                ("bob@localhost", "alice@localhost")
            } else {
                ("alice@localhost", "bob@localhost")
            };
            store.archive_append(vec![archived(id, owner, with)]).await.unwrap();
        }
        // Let the round the last appends started finish.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let indexed: i64 = conn
            .query_row("SELECT COUNT(*) FROM archive_index", [], |r| r.get(0))
            .unwrap();
        assert!((16..40).contains(&indexed), "{indexed} of 40 entries indexed");
        let alice: Vec<i64> = (1..=40).filter(|id| id % 4 != 0).rev().collect();
        let ids = |v: Vec<crate::store::ArchivedMessage>| v.iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.archive_query(newest("alice@localhost")).await.unwrap()),
            alice
        );
        assert_eq!(store.archive_count(newest("alice@localhost")).await.unwrap(), 30);
        assert_eq!(store.delete_archive("alice@localhost").await.unwrap(), 30);
        assert!(store.archive_query(newest("alice@localhost")).await.unwrap().is_empty());
        assert_eq!(store.archive_count(newest("alice@localhost")).await.unwrap(), 0);
        assert_eq!(store.archive_count(newest("bob@localhost")).await.unwrap(), 10);
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM archive", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 10, "the deleted archive's rows are gone from the table");
    }

    #[tokio::test]
    async fn an_archive_written_before_the_separate_index_is_indexed_by_the_migration() {
        use crate::store::ArchiveStore;
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        for (v, m) in MIGRATIONS[..12].iter().enumerate() {
            conn.execute_batch(m).unwrap();
            conn.pragma_update(None, "user_version", v as i64 + 1).unwrap();
        }
        for id in 1..=5 {
            let (owner, with) = if id % 2 == 0 {
                ("alice@localhost", "bob@localhost")
            } else {
                ("bob@localhost", "alice@localhost")
            };
            conn.execute(
                "INSERT INTO archive (id, owner, with_jid, ts, stanza) VALUES (?1, ?2, ?3, ?1, 's')",
                rusqlite::params![id, owner, with],
            )
            .unwrap();
        }
        drop(conn);
        let store = SqliteStore::open(dir.path()).unwrap();
        let ids = |v: Vec<crate::store::ArchivedMessage>| v.iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.archive_query(newest("alice@localhost")).await.unwrap()),
            [4, 2]
        );
        assert_eq!(
            ids(store.archive_query(newest("bob@localhost")).await.unwrap()),
            [5, 3, 1]
        );
        let with_alice = crate::store::ArchiveQuery {
            with: Some("alice@localhost".into()),
            ..newest("bob@localhost")
        };
        assert_eq!(store.archive_count(with_alice).await.unwrap(), 3);
    }

    #[test]
    fn sqlite_failures_map_to_the_storage_error_kinds() {
        let failure = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert!(db_err(failure(rusqlite::ffi::SQLITE_BUSY)).is_retryable());
        assert!(db_err(failure(rusqlite::ffi::SQLITE_FULL)).is_retryable());
        assert!(matches!(
            db_err(failure(rusqlite::ffi::SQLITE_CONSTRAINT)),
            StoreError::Conflict
        ));
        let corrupt = db_err(failure(rusqlite::ffi::SQLITE_CORRUPT));
        assert!(matches!(corrupt, StoreError::Failed(_)) && !corrupt.is_retryable());
    }

    #[test]
    fn a_database_of_schema_3_gains_the_change_kinds_and_keeps_its_log_applied() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            for m in &MIGRATIONS[..3] {
                conn.execute_batch(m).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            conn.execute("INSERT INTO account_changes (jid) VALUES ('old@localhost')", [])
                .unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let conn = store.conn.lock().unwrap();
        let (kind, applied): (String, bool) = conn
            .query_row("SELECT kind, applied FROM account_changes", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((kind.as_str(), applied), ("changed", true));
    }

    #[test]
    fn a_database_of_schema_15_counts_the_idempotency_keys_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            for m in &MIGRATIONS[..15] {
                conn.execute_batch(m).unwrap();
            }
            conn.pragma_update(None, "user_version", 15).unwrap();
            for (owner, key) in [("a@localhost", "1"), ("a@localhost", "2"), ("b@localhost", "1")] {
                conn.execute(
                    "INSERT INTO idempotency_keys (owner, key, fingerprint, token, created_ms, expires_ms) \
                     VALUES (?1, ?2, x'00', 1, 0, 10)",
                    [owner, key],
                )
                .unwrap();
            }
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let conn = store.conn.lock().unwrap();
        let counts: Vec<(String, i64)> = conn
            .prepare("SELECT owner, keys FROM idempotency_key_counts ORDER BY owner")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(counts, [("a@localhost".to_owned(), 2), ("b@localhost".to_owned(), 1)]);
    }
}

//! SQLite storage: one file (`meerkat.db`) in the data directory, WAL mode, so a server
//! and a command-line `meerkat register` can use it at the same time.
//!
//! Schema changes are numbered migrations applied at open, each in its own transaction;
//! the number reached is kept in `PRAGMA user_version`.

use super::{ArchiveQuery, ArchivedMessage, Credentials, RosterItem, ScramCredential, Store, StoreError, Subscription};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
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
    /// The archive writer thread (group commit).
    archive_writer: std::sync::mpsc::SyncSender<ArchiveBatch>,
}

/// Messages to write and where to say they are durable.
type ArchiveBatch = (
    Vec<ArchivedMessage>,
    tokio::sync::oneshot::Sender<Result<(), StoreError>>,
);

/// Most messages committed in one transaction.
const GROUP_COMMIT_MAX: usize = 4096;
/// Batches waiting for the writer before appends wait themselves.
const WRITER_QUEUE: usize = 16 * 1024;

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(db_err)?;
    // Small pages: a commit writes every page it dirtied to the WAL, and an archive commit
    // dirties one index leaf per owner it touches, so 1 KiB pages write a quarter of the
    // bytes 4 KiB pages would. Takes effect when the file is created.
    conn.pragma_update(None, "page_size", 1024).map_err(db_err)?;
    // Another process (a CLI command, a second server by mistake) may hold the write
    // lock briefly; wait rather than fail.
    conn.busy_timeout(Duration::from_secs(10)).map_err(db_err)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
    // NORMAL in WAL mode: a commit is in the OS once it returns, so it survives the
    // process being killed; only a power loss can take the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(db_err)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(db_err)?;
    // A bigger page cache: the archive's hot index pages stay in memory.
    conn.pragma_update(None, "cache_size", -65_536).map_err(db_err)?;
    // Checkpoints run in their own thread (see `checkpoint_loop`), never in a commit.
    conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(db_err)?;
    Ok(conn)
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Copies committed WAL frames into the database without blocking writers (PASSIVE), so a
/// commit never waits for a checkpoint and hot pages are written back once per round
/// rather than once per commit.
fn checkpoint_loop(conn: Connection, alive: std::sync::Weak<Mutex<Connection>>) {
    while alive.strong_count() > 0 {
        std::thread::sleep(CHECKPOINT_EVERY);
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// The group-commit loop: takes every batch waiting, writes them in one transaction,
/// then acknowledges them all.
fn archive_writer_loop(mut conn: Connection, rx: std::sync::mpsc::Receiver<ArchiveBatch>) {
    let mut last_reset = std::time::Instant::now();
    while let Ok(first) = rx.recv() {
        let mut batches = vec![first];
        let mut count = batches[0].0.len();
        while count < GROUP_COMMIT_MAX {
            match rx.try_recv() {
                Ok(b) => {
                    count += b.0.len();
                    batches.push(b);
                }
                Err(_) => break,
            }
        }
        let result = write_archive(&mut conn, &batches);
        for (_, ack) in batches {
            let _ = ack.send(result.clone());
        }
        // The background checkpointer has copied most frames already; as the only writer,
        // finish the job now and then so the WAL starts over instead of growing.
        if last_reset.elapsed() >= WAL_RESET_EVERY {
            last_reset = std::time::Instant::now();
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "WAL reset failed");
            }
        }
    }
}

/// How often the writer resets the WAL (a cheap step after the background checkpoints).
const WAL_RESET_EVERY: Duration = Duration::from_secs(2);

fn write_archive(conn: &mut Connection, batches: &[ArchiveBatch]) -> Result<(), StoreError> {
    let tx = conn.transaction().map_err(db_err)?;
    {
        let mut stmt = tx
            .prepare_cached("INSERT INTO archive (id, owner, with_jid, ts, stanza) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(db_err)?;
        for (messages, _) in batches {
            for m in messages {
                stmt.execute(params![m.id, m.owner, m.with, m.timestamp_ms, m.stanza])
                    .map_err(db_err)?;
            }
        }
    }
    tx.commit().map_err(db_err)
}

/// The WHERE clause and parameters shared by archive queries and counts.
fn archive_filter(q: &ArchiveQuery, with_ids: bool) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = String::from("owner = ?");
    let mut params = vec![Value::Text(q.owner.clone())];
    if let Some(w) = &q.with {
        sql.push_str(" AND with_jid = ?");
        params.push(Value::Text(w.clone()));
    }
    let mut bound = |clause: &str, v: Option<i64>| {
        if let Some(v) = v {
            sql.push_str(clause);
            params.push(Value::Integer(v));
        }
    };
    bound(" AND ts >= ?", q.start_ms);
    bound(" AND ts <= ?", q.end_ms);
    bound(" AND ts < ?", q.before_ms);
    if with_ids {
        bound(" AND id > ?", q.after_id);
        bound(" AND id < ?", q.before_id);
    }
    (sql, params)
}

fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", data_dir.display())))?;
        let path = data_dir.join(DB_FILE);
        let conn = open_connection(&path)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(WRITER_QUEUE);
        let mut store = SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            archive_reader: Arc::new(Mutex::new(open_connection(&path)?)),
            archive_writer: tx,
        };
        store.migrate()?;
        let writer = open_connection(&path)?;
        std::thread::Builder::new()
            .name("archive-writer".into())
            .spawn(move || archive_writer_loop(writer, rx))
            .map_err(|e| StoreError::Database(format!("cannot start the archive writer: {e}")))?;
        let checkpointer = open_connection(&path)?;
        let alive = Arc::downgrade(&store.conn);
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, alive))
            .map_err(|e| StoreError::Database(format!("cannot start the checkpointer: {e}")))?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().expect("store mutex poisoned by a panic");
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

    /// Runs `f` on the connection off the async threads.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().expect("store mutex poisoned by a panic");
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

fn domain_of(jid: &str) -> &str {
    jid.rsplit_once('@').map(|(_, d)| d).unwrap_or(jid)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Runs one statement on the account `jid` in a transaction and, when it touched a row,
/// logs the change for other processes sharing the database. Returns whether it did.
fn change_account(
    conn: &mut Connection,
    jid: &str,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<bool, StoreError> {
    let tx = conn.transaction().map_err(db_err)?;
    let changed = tx.execute(sql, params).map_err(db_err)? > 0;
    if changed {
        tx.execute("INSERT INTO account_changes (jid) VALUES (?1)", [jid])
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    Ok(changed)
}

const ROSTER_COLUMNS: &str = "contact, name, groups, subscription, ask_out, pending_in, in_roster";

fn read_roster_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<RosterItem> {
    let groups: String = row.get(2)?;
    let subscription: String = row.get(3)?;
    Ok(RosterItem {
        contact: row.get(0)?,
        name: row.get(1)?,
        // Written by us as a JSON array; anything else reads as no groups.
        groups: serde_json::from_str(&groups).unwrap_or_default(),
        subscription: Subscription::parse(&subscription).unwrap_or_default(),
        ask_out: row.get(4)?,
        pending_in: row.get(5)?,
        in_roster: row.get(6)?,
    })
}

fn read_credentials(row: &rusqlite::Row<'_>) -> rusqlite::Result<Credentials> {
    let cred = |base: usize| -> rusqlite::Result<ScramCredential> {
        Ok(ScramCredential {
            salt: row.get(base)?,
            iterations: row.get(base + 1)?,
            stored_key: row.get(base + 2)?,
            server_key: row.get(base + 3)?,
        })
    };
    Ok(Credentials {
        sha1: cred(0)?,
        sha256: cred(4)?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_account(&self, jid: &str, c: &Credentials) -> Result<(), StoreError> {
        let jid = jid.to_owned();
        let c = c.clone();
        self.with_conn(move |conn| {
            let inserted = change_account(
                conn,
                &jid,
                "INSERT INTO accounts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (jid) DO NOTHING",
                params![
                    jid,
                    domain_of(&jid),
                    c.sha1.salt,
                    c.sha1.iterations,
                    c.sha1.stored_key,
                    c.sha1.server_key,
                    c.sha256.salt,
                    c.sha256.iterations,
                    c.sha256.stored_key,
                    c.sha256.server_key,
                    now_ms()
                ],
            )?;
            if !inserted {
                return Err(StoreError::AlreadyExists);
            }
            Ok(())
        })
        .await
    }

    async fn credentials(&self, jid: &str) -> Result<Option<Credentials>, StoreError> {
        let jid = jid.to_owned();
        self.with_conn(move |conn| {
            conn.prepare_cached(
                "SELECT sha1_salt, sha1_iterations, sha1_stored_key, sha1_server_key,
                        sha256_salt, sha256_iterations, sha256_stored_key, sha256_server_key
                 FROM accounts WHERE jid = ?1",
            )
            .and_then(|mut s| s.query_row([&jid], read_credentials).optional())
            .map_err(db_err)
        })
        .await
    }

    async fn set_credentials(&self, jid: &str, c: &Credentials) -> Result<bool, StoreError> {
        let jid = jid.to_owned();
        let c = c.clone();
        self.with_conn(move |conn| {
            change_account(
                conn,
                &jid,
                "UPDATE accounts SET sha1_salt = ?2, sha1_iterations = ?3, sha1_stored_key = ?4,
                        sha1_server_key = ?5, sha256_salt = ?6, sha256_iterations = ?7,
                        sha256_stored_key = ?8, sha256_server_key = ?9
                     WHERE jid = ?1",
                params![
                    jid,
                    c.sha1.salt,
                    c.sha1.iterations,
                    c.sha1.stored_key,
                    c.sha1.server_key,
                    c.sha256.salt,
                    c.sha256.iterations,
                    c.sha256.stored_key,
                    c.sha256.server_key
                ],
            )
        })
        .await
    }

    async fn delete_account(&self, jid: &str) -> Result<bool, StoreError> {
        let jid = jid.to_owned();
        self.with_conn(move |conn| {
            let deleted = change_account(conn, &jid, "DELETE FROM accounts WHERE jid = ?1", [&jid])?;
            if deleted {
                conn.execute("DELETE FROM roster WHERE owner = ?1", [&jid])
                    .map_err(db_err)?;
            }
            Ok(deleted)
        })
        .await
    }

    async fn list_accounts(&self, domain: &str) -> Result<Vec<String>, StoreError> {
        let domain = domain.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT jid FROM accounts WHERE domain = ?1 ORDER BY jid")
                .map_err(db_err)?;
            let rows = stmt.query_map([&domain], |r| r.get::<_, String>(0)).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn account_changes(&self, after: i64) -> Result<(i64, Vec<String>), StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT seq, jid FROM account_changes WHERE seq > ?1 ORDER BY seq")
                .map_err(db_err)?;
            let mut newest = after;
            let mut jids = Vec::new();
            let rows = stmt
                .query_map([after], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .map_err(db_err)?;
            for row in rows {
                let (seq, jid) = row.map_err(db_err)?;
                newest = seq;
                jids.push(jid);
            }
            Ok((newest, jids))
        })
        .await
    }

    async fn roster(&self, owner: &str) -> Result<Vec<RosterItem>, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {ROSTER_COLUMNS} FROM roster WHERE owner = ?1 ORDER BY contact"
                ))
                .map_err(db_err)?;
            let rows = stmt.query_map([&owner], read_roster_item).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn roster_item(&self, owner: &str, contact: &str) -> Result<Option<RosterItem>, StoreError> {
        let (owner, contact) = (owner.to_owned(), contact.to_owned());
        self.with_conn(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {ROSTER_COLUMNS} FROM roster WHERE owner = ?1 AND contact = ?2"
            ))
            .and_then(|mut s| s.query_row([&owner, &contact], read_roster_item).optional())
            .map_err(db_err)
        })
        .await
    }

    async fn put_roster_item(&self, owner: &str, item: &RosterItem) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        let item = item.clone();
        self.with_conn(move |conn| {
            let groups = serde_json::to_string(&item.groups).unwrap_or_else(|_| "[]".into());
            conn.prepare_cached(
                "INSERT INTO roster (owner, contact, name, groups, subscription, ask_out, pending_in, in_roster)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (owner, contact) DO UPDATE SET name = excluded.name, groups = excluded.groups,
                    subscription = excluded.subscription, ask_out = excluded.ask_out,
                    pending_in = excluded.pending_in, in_roster = excluded.in_roster",
            )
            .and_then(|mut s| {
                s.execute(params![
                    owner,
                    item.contact,
                    item.name,
                    groups,
                    item.subscription.as_str(),
                    item.ask_out,
                    item.pending_in,
                    item.in_roster
                ])
            })
            .map(|_| ())
            .map_err(db_err)
        })
        .await
    }

    async fn delete_roster_item(&self, owner: &str, contact: &str) -> Result<bool, StoreError> {
        let (owner, contact) = (owner.to_owned(), contact.to_owned());
        self.with_conn(move |conn| {
            conn.execute(
                "DELETE FROM roster WHERE owner = ?1 AND contact = ?2",
                [&owner, &contact],
            )
            .map(|n| n > 0)
            .map_err(db_err)
        })
        .await
    }

    async fn archive_append(&self, messages: Vec<ArchivedMessage>) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        let (ack, done) = tokio::sync::oneshot::channel();
        let stopped = || StoreError::Database("the archive writer stopped".into());
        match self.archive_writer.try_send((messages, ack)) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(stopped()),
            Err(std::sync::mpsc::TrySendError::Full(batch)) => {
                // The writer is behind: wait for room off the async threads.
                let writer = self.archive_writer.clone();
                tokio::task::spawn_blocking(move || writer.send(batch))
                    .await
                    .map_err(|e| StoreError::Task(e.to_string()))?
                    .map_err(|_| stopped())?;
            }
        }
        done.await.map_err(|_| stopped())?
    }

    async fn archive_query(&self, q: ArchiveQuery) -> Result<Vec<ArchivedMessage>, StoreError> {
        let conn = self.archive_reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().expect("store mutex poisoned by a panic");
            let (filter, mut params) = archive_filter(&q, true);
            let order = if q.newest_first { "DESC" } else { "ASC" };
            let sql = format!(
                "SELECT id, owner, with_jid, ts, stanza FROM archive WHERE {filter} ORDER BY id {order} LIMIT ?"
            );
            params.push(rusqlite::types::Value::Integer(q.limit as i64));
            let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(params), |r| {
                    Ok(ArchivedMessage {
                        id: r.get(0)?,
                        owner: r.get(1)?,
                        with: r.get(2)?,
                        timestamp_ms: r.get(3)?,
                        stanza: r.get(4)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn archive_count(&self, q: ArchiveQuery) -> Result<u64, StoreError> {
        let conn = self.archive_reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().expect("store mutex poisoned by a panic");
            let (filter, params) = archive_filter(&q, false);
            let mut stmt = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM archive WHERE {filter}"))
                .map_err(db_err)?;
            stmt.query_row(rusqlite::params_from_iter(params), |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(db_err)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn archive_max_id(&self) -> Result<i64, StoreError> {
        let conn = self.archive_reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().expect("store mutex poisoned by a panic");
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM archive", [], |r| r.get(0))
                .map_err(db_err)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

#[cfg(test)]
mod archive_tests {
    use super::*;

    fn msg(id: i64, owner: &str, with: &str, ts: i64) -> ArchivedMessage {
        ArchivedMessage {
            id,
            owner: owner.into(),
            with: with.into(),
            timestamp_ms: ts,
            stanza: format!("<message id='m{id}'/>"),
        }
    }

    async fn ids(store: &SqliteStore, q: ArchiveQuery) -> Vec<i64> {
        store.archive_query(q).await.unwrap().iter().map(|m| m.id).collect()
    }

    #[tokio::test]
    async fn concurrent_appends_are_committed_and_queried_by_owner_peer_time_and_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let mut tasks = Vec::new();
        for i in 0..20i64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let with = if i % 2 == 0 { "bob@localhost" } else { "carol@localhost" };
                store
                    .archive_append(vec![
                        msg((i + 1) * 10, "alice@localhost", with, 1000 + i),
                        msg((i + 1) * 10 + 1, with, "alice@localhost", 1000 + i),
                    ])
                    .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(store.archive_max_id().await.unwrap(), 201);
        let q = ArchiveQuery {
            owner: "alice@localhost".into(),
            limit: 5,
            newest_first: true,
            ..Default::default()
        };
        assert_eq!(ids(&store, q.clone()).await, [200, 190, 180, 170, 160]);
        assert_eq!(store.archive_count(q.clone()).await.unwrap(), 20);
        let with_bob = ArchiveQuery {
            with: Some("bob@localhost".into()),
            before_ms: Some(1010),
            ..q.clone()
        };
        assert_eq!(ids(&store, with_bob.clone()).await, [90, 70, 50, 30, 10]);
        assert_eq!(store.archive_count(with_bob).await.unwrap(), 5);
        let after = ArchiveQuery {
            after_id: Some(170),
            newest_first: false,
            ..q
        };
        assert_eq!(ids(&store, after).await, [180, 190, 200]);
    }
}

#[cfg(test)]
mod roster_tests {
    use super::*;

    #[tokio::test]
    async fn roster_items_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let mut item = RosterItem::new("bob@localhost");
        item.name = Some("Bob".into());
        item.groups = vec!["Friends".into(), "Work".into()];
        item.subscription = Subscription::To;
        item.pending_in = true;
        store.put_roster_item("alice@localhost", &item).await.unwrap();
        assert_eq!(
            store.roster_item("alice@localhost", "bob@localhost").await.unwrap(),
            Some(item.clone())
        );
        item.subscription = Subscription::Both;
        store.put_roster_item("alice@localhost", &item).await.unwrap();
        assert_eq!(store.roster("alice@localhost").await.unwrap(), vec![item]);
        assert!(store.roster("bob@localhost").await.unwrap().is_empty());
        assert!(store
            .delete_roster_item("alice@localhost", "bob@localhost")
            .await
            .unwrap());
        assert!(!store
            .delete_roster_item("alice@localhost", "bob@localhost")
            .await
            .unwrap());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(tag: u8) -> Credentials {
        let c = ScramCredential {
            salt: vec![tag; 16],
            iterations: 4096,
            stored_key: vec![tag; 20],
            server_key: vec![tag; 20],
        };
        Credentials {
            sha1: c.clone(),
            sha256: c,
        }
    }

    #[tokio::test]
    async fn accounts_round_trip_and_log_their_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let (start, _) = store.account_changes(0).await.unwrap();
        store.create_account("alice@localhost", &creds(1)).await.unwrap();
        assert!(matches!(
            store.create_account("alice@localhost", &creds(2)).await,
            Err(StoreError::AlreadyExists)
        ));
        assert_eq!(store.credentials("alice@localhost").await.unwrap(), Some(creds(1)));
        assert!(store.set_credentials("alice@localhost", &creds(3)).await.unwrap());
        assert!(!store.set_credentials("bob@localhost", &creds(3)).await.unwrap());
        assert_eq!(store.list_accounts("localhost").await.unwrap(), ["alice@localhost"]);
        assert!(store.delete_account("alice@localhost").await.unwrap());
        assert!(!store.delete_account("alice@localhost").await.unwrap());
        let (newest, jids) = store.account_changes(start).await.unwrap();
        assert_eq!(jids, ["alice@localhost"; 3]);
        assert_eq!(store.account_changes(newest).await.unwrap().1.len(), 0);
    }

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
}

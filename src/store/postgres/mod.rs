//! PostgreSQL storage (`[general] storage = "postgres"`): every feature store in one
//! database that several meerkat nodes may share.
//!
//! - Connections come from a bounded pool ([`PgSettings::pool_size`]); waiting for one,
//!   connecting and every statement have a deadline ([`PgSettings::timeout`]), so a
//!   database that is down or stopped turns into [`StoreError::Unavailable`] (a `503` at
//!   the REST door) instead of a hang.
//! - The schema is a list of numbered migrations (`MIGRATIONS`), applied at start in
//!   one transaction each under an advisory lock, so nodes starting together apply each
//!   once; the version reached is the row of `meerkat_schema`. A database written by a
//!   newer build is refused ([`StoreError::SchemaTooNew`]).
//! - Read-modify-write operations that must not interleave across nodes take row locks
//!   (`SELECT … FOR UPDATE`) or transaction-scoped advisory locks on their key.
//!
//! The trait implementations live beside this file, one file per store trait, named as
//! the trait's own file in `store/`; each owns its tables (its `SCHEMA`).

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

use super::{Cause, StoreError};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts, Transaction};
use std::future::Future;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&[&str]] = &[
    // 1: every feature's tables.
    &[
        accounts::SCHEMA,
        archive::SCHEMA,
        uploads::SCHEMA,
        pep::SCHEMA,
        user_data::SCHEMA,
        tokens::SCHEMA,
        idempotency::SCHEMA,
        roster::SCHEMA,
        muc_light::SCHEMA,
        muc::SCHEMA,
        offline::SCHEMA,
        blocking::SCHEMA,
        push::SCHEMA,
    ],
    // 2: domains added at run time.
    &[domains::SCHEMA],
    // 3: webhook endpoints and their outboxes; the archive readable by id alone.
    &[webhooks::SCHEMA],
    // 4: idempotency claims in bounded time: per-owner counts, indexes by owner and
    // expiry and of answered keys by age.
    &[idempotency::COUNTS],
    // 5: a one-to-one message between two accounts here is one row for both archives.
    &[archive::SHARED],
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Where the database is and how the node uses it (`[storage.postgres]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgSettings {
    /// `postgres://user:password@host:port/database` (libpq URL or key=value form).
    pub url: String,
    /// Connections this node opens at most; the archive writer holds one more.
    pub pool_size: usize,
    /// Deadline for getting a connection and for each statement.
    pub timeout: Duration,
    /// This node's number among the nodes sharing the database (below 64): the low bits
    /// of the archive ids it issues.
    pub node_id: u8,
    /// Hold `node_id` for as long as the store lives, refusing to open when another
    /// node holds it (a server does; a command-line tool writing no archive does not).
    pub claim_node: bool,
}

impl Default for PgSettings {
    fn default() -> Self {
        PgSettings {
            url: "postgres://meerkat@localhost/meerkat".into(),
            pool_size: 16,
            timeout: Duration::from_secs(5),
            node_id: 0,
            claim_node: false,
        }
    }
}

/// Every feature store on one PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    timeout: Duration,
    archive: archive::Writer,
    node_id: u8,
    /// The task holding `node_id` (see [`PgSettings::claim_node`]); ends with the store.
    _claim: Option<std::sync::Arc<NodeClaim>>,
}

/// Ends the task holding a node's number when the last handle of the store is dropped.
struct NodeClaim(tokio::task::JoinHandle<()>);

impl Drop for NodeClaim {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The advisory lock namespace of node numbers (the second key is the number).
const NODE_LOCK: i32 = 70_261_125;

/// Takes the session-level lock of `node` on a connection of its own; `Ok(false)` when
/// another node holds it.
async fn lock_node(
    settings: &PgSettings,
    node: u8,
) -> Result<(bool, tokio_postgres::Client, tokio::task::JoinHandle<()>), StoreError> {
    let (client, connection) = timed(settings.timeout, connection_config(settings)?.connect(NoTls)).await?;
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    let row = timed(
        settings.timeout,
        client.query_one("SELECT pg_try_advisory_lock($1, $2)", &[&NODE_LOCK, &i32::from(node)]),
    )
    .await?;
    Ok((row.get(0), client, connection))
}

/// How long a starting node waits for its number to be freed: a node that was just
/// killed holds it until its database backend has noticed the closed connection.
const CLAIM_WAIT: Duration = Duration::from_secs(5);

/// Holds this node's number: once the first claim succeeded, waits for its connection to
/// end (the database restarted, the network failed) and takes the number again.
async fn claim_node(settings: &PgSettings) -> Result<NodeClaim, StoreError> {
    let node = settings.node_id;
    let deadline = tokio::time::Instant::now() + CLAIM_WAIT;
    let (client, connection) = loop {
        match lock_node(settings, node).await? {
            (true, client, connection) => break (client, connection),
            (false, ..) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            (false, ..) => {
                return Err(StoreError::Failed(Cause::msg(format!(
                    "node_id {node} is held by another meerkat node on this database: give each node its own"
                ))))
            }
        }
    };
    let settings = settings.clone();
    Ok(NodeClaim(tokio::spawn(async move {
        let (mut _client, mut connection) = (client, connection);
        loop {
            let _ = connection.await;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                match lock_node(&settings, node).await {
                    Ok((true, c, conn)) => {
                        (_client, connection) = (c, conn);
                        break;
                    }
                    Ok((false, ..)) => tracing::error!(
                        node,
                        "another meerkat node took this node's node_id while the database was unreachable"
                    ),
                    Err(_) => {}
                }
            }
        }
    })))
}

/// A pooled connection.
pub(super) type Client = deadpool_postgres::Object;

/// Maps a PostgreSQL failure onto the storage error kinds.
pub(super) fn pg_err(e: tokio_postgres::Error) -> StoreError {
    let Some(code) = e.code() else {
        // No SQLSTATE: the connection failed or closed, or a value did not convert.
        return if e.is_closed() || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) {
            StoreError::Unavailable(Cause::new(e))
        } else {
            StoreError::Failed(Cause::new(e))
        };
    };
    if *code == SqlState::UNIQUE_VIOLATION {
        return StoreError::Conflict;
    }
    // Class 08: connection exceptions; 53: insufficient resources; 57: operator
    // intervention (shutdown, cancel); 40: serialization failure, deadlock.
    let class = &code.code()[..2];
    if matches!(class, "08" | "53" | "57" | "40") {
        StoreError::Unavailable(Cause::new(e))
    } else {
        StoreError::Failed(Cause::new(e))
    }
}

pub(super) fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_err(e),
        other => StoreError::Unavailable(Cause::new(other)),
    }
}

fn timed_out(what: &str) -> StoreError {
    StoreError::Unavailable(Cause::msg(format!("PostgreSQL did not answer in time ({what})")))
}

/// Wall-clock Unix milliseconds, for `created_at` columns.
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `max` as a row count; a limit beyond what a column can count is no limit.
pub(super) fn as_count(max: usize) -> i64 {
    i64::try_from(max).unwrap_or(i64::MAX)
}

/// How every connection of the node connects: the URL, with the store's deadline, TCP
/// keepalives (a dead database is found out on an idle connection) and a name.
fn connection_config(settings: &PgSettings) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = settings.url.parse().map_err(|e| StoreError::Failed(Cause::new(e)))?;
    config.connect_timeout(settings.timeout);
    config.keepalives_idle(Duration::from_secs(10));
    config.application_name("meerkat");
    Ok(config)
}

fn new_pool(settings: &PgSettings, size: usize) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        connection_config(settings)?,
        NoTls,
        ManagerConfig {
            // A connection that died with the server is found out before it is reused.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(settings.timeout),
            create: Some(settings.timeout),
            recycle: Some(settings.timeout),
        })
        .build()
        .map_err(|e| StoreError::Failed(Cause::new(e)))
}

impl PgStore {
    /// Connects, brings the schema up to date and starts the archive writer.
    pub async fn connect(settings: &PgSettings) -> Result<Self, StoreError> {
        let pool = new_pool(settings, settings.pool_size)?;
        let writer_pool = new_pool(settings, 1)?;
        let mut store = PgStore {
            pool,
            timeout: settings.timeout,
            archive: archive::Writer::start(writer_pool, settings.timeout),
            node_id: settings.node_id,
            _claim: None,
        };
        store.migrate().await?;
        if settings.claim_node {
            store._claim = Some(std::sync::Arc::new(claim_node(settings).await?));
        }
        Ok(store)
    }

    /// Every feature's store on this database.
    pub fn into_stores(self) -> super::Stores {
        super::Stores::all_in(std::sync::Arc::new(self))
    }

    /// A pooled connection, or [`StoreError::Unavailable`] when none comes in time.
    pub(super) async fn client(&self) -> Result<Client, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    /// Holds a transaction-scoped advisory lock on (`feature`, `key`) until `tx` ends:
    /// what makes a check-then-write of one owner (or item) atomic across nodes, also
    /// while its row does not exist yet. Both parts are hashed to 32 bits by the server,
    /// the same on every node; two keys sharing a hash only wait for each other.
    pub(super) async fn lock(&self, tx: &Transaction<'_>, feature: &str, key: &str) -> Result<(), StoreError> {
        self.timed(tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
            &[&feature, &key],
        ))
        .await
        .map(|_| ())
    }

    /// Runs one statement (or a commit) with the store's deadline.
    pub(super) async fn timed<T>(
        &self,
        what: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        timed(self.timeout, what).await
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        // Schema changes run with a longer deadline than requests: an index build on a
        // big table may take a while.
        let slow = self.timeout.max(Duration::from_secs(600));
        loop {
            let tx = timed(self.timeout, client.transaction()).await?;
            // One node at a time past this point (the table's creation included: two
            // `CREATE TABLE IF NOT EXISTS` at once collide); released with the transaction.
            timed(
                self.timeout,
                tx.execute("SELECT pg_advisory_xact_lock(7026112501)", &[]),
            )
            .await?;
            timed(
                self.timeout,
                tx.batch_execute("CREATE TABLE IF NOT EXISTS meerkat_schema (version BIGINT NOT NULL)"),
            )
            .await?;
            let version: i64 = timed(self.timeout, tx.query_opt("SELECT version FROM meerkat_schema", &[]))
                .await?
                .map(|r| r.get(0))
                .unwrap_or(0);
            if version > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew {
                    found: version,
                    known: SCHEMA_VERSION,
                });
            }
            let Some(steps) = MIGRATIONS.get(version as usize) else {
                return Ok(());
            };
            for step in *steps {
                timed(slow, tx.batch_execute(step)).await?;
            }
            let next = version + 1;
            if version == 0 {
                timed(
                    self.timeout,
                    tx.execute("INSERT INTO meerkat_schema (version) VALUES ($1)", &[&next]),
                )
                .await?;
            } else {
                timed(
                    self.timeout,
                    tx.execute("UPDATE meerkat_schema SET version = $1", &[&next]),
                )
                .await?;
            }
            timed(self.timeout, tx.commit()).await?;
            tracing::info!(version = next, "PostgreSQL schema migrated");
        }
    }
}

/// Awaits `what` for at most `limit`.
pub(super) async fn timed<T>(
    limit: Duration,
    what: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, what).await {
        Ok(result) => result.map_err(pg_err),
        Err(_) => Err(timed_out("statement")),
    }
}

#[cfg(test)]
#[path = "../../../tests/it/common/postgres.rs"]
pub(crate) mod private_server;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ArchiveStore;

    fn settings(url: String) -> PgSettings {
        PgSettings {
            url,
            pool_size: 4,
            timeout: Duration::from_secs(5),
            ..PgSettings::default()
        }
    }

    #[tokio::test]
    async fn a_node_number_is_held_by_one_node_at_a_time_and_freed_with_its_store() {
        let url = private_server::shared().fresh_database().unwrap();
        let node = |node_id| PgSettings {
            node_id,
            claim_node: true,
            ..settings(url.clone())
        };
        let first = PgStore::connect(&node(3)).await.unwrap();
        let err = PgStore::connect(&node(3)).await.err().expect("node 3 is taken");
        assert!(err.to_string().contains("node_id 3 is held by another"), "{err}");
        let other = PgStore::connect(&node(4)).await.unwrap();
        assert_eq!((first.id_node(), other.id_node()), (Some(3), Some(4)));
        // A tool that claims nothing opens beside them.
        PgStore::connect(&settings(url.clone())).await.unwrap();
        drop(first);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while let Err(e) = PgStore::connect(&node(3)).await {
            assert!(std::time::Instant::now() < deadline, "node 3 not freed: {e}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test]
    async fn nodes_connecting_together_migrate_once_and_a_newer_schema_is_refused() {
        let url = private_server::shared().fresh_database().unwrap();
        let s = settings(url.clone());
        let (a, b, c) = tokio::join!(PgStore::connect(&s), PgStore::connect(&s), PgStore::connect(&s));
        let (a, _b, _c) = (a.unwrap(), b.unwrap(), c.unwrap());
        let client = a.client().await.unwrap();
        let rows = client.query("SELECT version FROM meerkat_schema", &[]).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get::<_, i64>(0), SCHEMA_VERSION);
        client
            .execute("UPDATE meerkat_schema SET version = version + 1", &[])
            .await
            .unwrap();
        let err = PgStore::connect(&s).await.err().expect("a newer schema is refused");
        assert!(matches!(err, StoreError::SchemaTooNew { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_database_nobody_listens_for_is_unavailable_in_bounded_time() {
        let port = private_server::free_port();
        let s = PgSettings {
            timeout: Duration::from_millis(500),
            ..settings(format!("postgres://postgres@127.0.0.1:{port}/none"))
        };
        let started = std::time::Instant::now();
        let err = PgStore::connect(&s).await.err().expect("nothing listens there");
        assert!(err.is_retryable(), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }
}

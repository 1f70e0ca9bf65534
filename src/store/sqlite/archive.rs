//! [`ArchiveStore`] on SQLite: appends go to one writer thread that commits every batch
//! waiting in one transaction (group commit) and acknowledges them all after the commit;
//! reads use their own connection beside it.

use super::{db_err, task_err, SqliteStore};
use crate::store::{ArchiveQuery, ArchiveStore, ArchivedMessage, Cause, StoreError};
use async_trait::async_trait;
use rusqlite::{params, Connection};
use std::time::{Duration, Instant};

/// Messages to write and where to say they are durable.
pub(super) type Batch = (
    Vec<ArchivedMessage>,
    tokio::sync::oneshot::Sender<Result<(), StoreError>>,
);

/// Most messages committed in one transaction.
const GROUP_COMMIT_MAX: usize = 4096;
/// Batches waiting for the writer before appends wait themselves.
pub(super) const WRITER_QUEUE: usize = 16 * 1024;
/// How often the writer resets the WAL (a cheap step after the background checkpoints).
const WAL_RESET_EVERY: Duration = Duration::from_secs(2);

/// The group-commit loop: takes every batch waiting, writes them in one transaction,
/// then acknowledges them all.
pub(super) fn writer_loop(mut conn: Connection, rx: std::sync::mpsc::Receiver<Batch>) {
    let mut last_reset = Instant::now();
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
        let result = write(&mut conn, &batches);
        for (_, ack) in batches {
            let _ = ack.send(result.clone());
        }
        // The background checkpointer has copied most frames already; as the only writer,
        // finish the job now and then so the WAL starts over instead of growing.
        if last_reset.elapsed() >= WAL_RESET_EVERY {
            last_reset = Instant::now();
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "WAL reset failed");
            }
        }
    }
}

fn write(conn: &mut Connection, batches: &[Batch]) -> Result<(), StoreError> {
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
fn filter(q: &ArchiveQuery, with_ids: bool) -> (String, Vec<rusqlite::types::Value>) {
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

fn writer_stopped() -> StoreError {
    StoreError::Unavailable(Cause::msg("the archive writer stopped"))
}

#[async_trait]
impl ArchiveStore for SqliteStore {
    async fn archive_append(&self, messages: Vec<ArchivedMessage>) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        let (ack, done) = tokio::sync::oneshot::channel();
        match self.archive_writer.try_send((messages, ack)) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(writer_stopped()),
            Err(std::sync::mpsc::TrySendError::Full(batch)) => {
                // The writer is behind: wait for room off the async threads.
                let writer = self.archive_writer.clone();
                tokio::task::spawn_blocking(move || writer.send(batch))
                    .await
                    .map_err(task_err)?
                    .map_err(|_| writer_stopped())?;
            }
        }
        done.await.map_err(|_| writer_stopped())?
    }

    async fn archive_query(&self, q: ArchiveQuery) -> Result<Vec<ArchivedMessage>, StoreError> {
        self.with_reader(move |conn| {
            let (filter, mut params) = filter(&q, true);
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
    }

    async fn archive_count(&self, q: ArchiveQuery) -> Result<u64, StoreError> {
        self.with_reader(move |conn| {
            let (filter, params) = filter(&q, false);
            let mut stmt = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM archive WHERE {filter}"))
                .map_err(db_err)?;
            stmt.query_row(rusqlite::params_from_iter(params), |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(db_err)
        })
        .await
    }

    async fn archive_max_id(&self) -> Result<i64, StoreError> {
        self.with_reader(|conn| {
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM archive", [], |r| r.get(0))
                .map_err(db_err)
        })
        .await
    }

    async fn delete_archive(&self, owner: &str) -> Result<u64, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM archive WHERE owner = ?1", [&owner])
                .map(|n| n as u64)
                .map_err(db_err)
        })
        .await
    }
}

//! [`ArchiveStore`] on PostgreSQL: one row per message and owner, or one row for two
//! owners (`shared`: `with_jid` keeps it too), written by one writer task per node with
//! group commit.
//!
//! Schema for growth: rows are keyed by `(owner, id)` and also indexed by
//! `(owner, with_jid, id)`, so "the newest page of one owner" (or with one peer) is a
//! backward scan of one index stopping after the page, whatever the table's size: its cost
//! grows with the B-tree's depth, about one level per hundredfold growth. Ids are unique
//! across the archive (and across nodes: each node's carry its number in their low bits);
//! the index saying so is on `id + 0`, not `id`, on purpose: an index on `id` alone could
//! serve `ORDER BY id`, and the planner, misled by statistics about an owner's share of
//! the table, could then answer one owner's newest page by walking every owner's newest
//! ids (measured: 44 ms instead of 0.5 ms for a page once other owners had written more
//! recently). The expression index still answers the highest id in use at once. A
//! shared row is found for its second keeper through two partial indexes, `(with_jid,
//! id)` and `(with_jid, owner, id)` over shared rows: an owner's page is the merge of
//! two such backward scans, each stopping after the page.
//!
//! Group commit: `archive_enqueue` hands its rows to the writer in call order; the writer
//! takes everything queued while its previous insert ran and writes it with one
//! statement (`INSERT … SELECT FROM UNNEST(…)`: one round trip, one transaction, one WAL
//! flush), then answers every caller; a caller any of whose ids was in use already gets
//! [`StoreError::Conflict`] (the others' rows are unaffected). Deletions go through the
//! writer too, so they follow the appends queued before them.

use super::{timed, PgStore};
use crate::store::{ArchiveQuery, ArchiveStore, ArchivedMessage, Cause, Commit, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Pool;
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE archive (
    owner TEXT COLLATE "C" NOT NULL,
    id BIGINT NOT NULL,
    with_jid TEXT COLLATE "C" NOT NULL,
    ts BIGINT NOT NULL,
    stanza TEXT NOT NULL,
    PRIMARY KEY (owner, id)
);
CREATE INDEX archive_by_with ON archive (owner, with_jid, id);
CREATE UNIQUE INDEX archive_ids ON archive ((id + 0));
"#;

/// A one-to-one message between two accounts here is one row for both archives.
pub(super) const SHARED: &str = r#"
ALTER TABLE archive ADD COLUMN shared BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX archive_shared ON archive (with_jid, id) WHERE shared;
CREATE INDEX archive_shared_by_with ON archive (with_jid, owner, id) WHERE shared;
"#;

/// The columns [`row`] reads, in its order.
const COLUMNS: &str = "id, owner, with_jid, ts, stanza, shared";

/// Rows one group commit writes at most; what is queued beyond waits for the next.
const MAX_BATCH_ROWS: usize = 4096;

/// Batches waiting for the writer; past this, `archive_enqueue` waits (back-pressure).
const QUEUE: usize = 1024;

enum Command {
    Append {
        rows: Vec<ArchivedMessage>,
        done: oneshot::Sender<Result<(), StoreError>>,
    },
    Delete {
        owner: String,
        done: oneshot::Sender<Result<u64, StoreError>>,
    },
}

/// The handle of a node's archive writer task; the task ends when every handle is gone.
#[derive(Clone)]
pub(super) struct Writer {
    commands: mpsc::Sender<Command>,
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable(Cause::msg("the archive writer has stopped"))
}

impl Writer {
    pub(super) fn start(pool: Pool, timeout: Duration) -> Self {
        let (commands, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(pool, timeout, rx));
        Writer { commands }
    }
}

async fn write_loop(pool: Pool, timeout: Duration, mut rx: mpsc::Receiver<Command>) {
    let mut next: Option<Command> = None;
    loop {
        let first = match next.take() {
            Some(c) => c,
            None => match rx.recv().await {
                Some(c) => c,
                None => return,
            },
        };
        match first {
            Command::Delete { owner, done } => {
                let _ = done.send(delete(&pool, timeout, &owner).await);
            }
            Command::Append { rows, done } => {
                let mut rows = rows;
                // Each caller's reply channel and the end of its rows in `rows`.
                let mut waiting = vec![(done, rows.len())];
                // Everything queued meanwhile joins this commit, up to the batch size;
                // a deletion ends the batch (it must follow these rows).
                while rows.len() < MAX_BATCH_ROWS {
                    match rx.try_recv() {
                        Ok(Command::Append { rows: more, done }) => {
                            rows.extend(more);
                            waiting.push((done, rows.len()));
                        }
                        Ok(delete) => {
                            next = Some(delete);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let result = insert(&pool, timeout, &rows).await;
                let mut from = 0;
                for (done, to) in waiting {
                    let outcome = match &result {
                        Ok(written) if rows[from..to].iter().all(|m| written.contains(&m.id)) => Ok(()),
                        Ok(_) => Err(StoreError::Conflict),
                        Err(e) => Err(e.clone()),
                    };
                    let _ = done.send(outcome);
                    from = to;
                }
            }
        }
    }
}

/// Writes `rows` in one statement; the ids it wrote (those not in use already).
async fn insert(pool: &Pool, timeout: Duration, rows: &[ArchivedMessage]) -> Result<HashSet<i64>, StoreError> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let client = pool.get().await.map_err(super::pool_err)?;
    let owners: Vec<&str> = rows.iter().map(|m| m.owner.as_str()).collect();
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let withs: Vec<&str> = rows.iter().map(|m| m.with.as_str()).collect();
    let ts: Vec<i64> = rows.iter().map(|m| m.timestamp_ms).collect();
    let stanzas: Vec<&str> = rows.iter().map(|m| m.stanza.as_str()).collect();
    let shared: Vec<bool> = rows.iter().map(|m| m.shared).collect();
    let statement = timed(
        timeout,
        client.prepare_cached(
            "INSERT INTO archive (owner, id, with_jid, ts, stanza, shared)
             SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::BOOLEAN[])
             ON CONFLICT DO NOTHING
             RETURNING id",
        ),
    )
    .await?;
    let written = timed(
        timeout,
        client.query(&statement, &[&owners, &ids, &withs, &ts, &stanzas, &shared]),
    )
    .await?;
    Ok(written.iter().map(|r| r.get(0)).collect())
}

/// Removes `owner`'s archive: its rows go, rows it shares become the other keeper's alone.
async fn delete(pool: &Pool, timeout: Duration, owner: &str) -> Result<u64, StoreError> {
    let mut client = pool.get().await.map_err(super::pool_err)?;
    timed(timeout, async {
        let tx = client.transaction().await?;
        let mut n = tx
            .execute(
                "DELETE FROM archive WHERE owner = $1 AND (NOT shared OR with_jid = $1)",
                &[&owner],
            )
            .await?;
        n += tx
            .execute(
                "UPDATE archive SET owner = with_jid, with_jid = owner, shared = false WHERE owner = $1 AND shared",
                &[&owner],
            )
            .await?;
        n += tx
            .execute(
                "UPDATE archive SET shared = false WHERE with_jid = $1 AND shared",
                &[&owner],
            )
            .await?;
        tx.commit().await?;
        Ok::<_, tokio_postgres::Error>(n)
    })
    .await
}

/// Which rows of an owner's archive a WHERE clause selects: those it owns first, or
/// those shared with it.
#[derive(Clone, Copy)]
enum Keeper {
    First,
    Second,
}

/// The WHERE clauses of `q` for its owner as first and as second keeper, and their
/// parameters (one list for both; ids too when `with_ids`).
fn filter(q: &ArchiveQuery, with_ids: bool) -> ([String; 2], Vec<Box<dyn ToSql + Sync + Send>>) {
    let mut params: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(q.owner.clone())];
    let with = q.with.as_ref().map(|w| {
        params.push(Box::new(w.clone()));
        params.len()
    });
    let side = |keeper: Keeper| match (keeper, with) {
        (Keeper::First, None) => "owner = $1".to_owned(),
        (Keeper::First, Some(w)) => format!("owner = $1 AND with_jid = ${w}"),
        (Keeper::Second, None) => "with_jid = $1 AND shared".to_owned(),
        (Keeper::Second, Some(w)) => format!("with_jid = $1 AND shared AND owner = ${w}"),
    };
    let mut sql = String::new();
    let mut bound = |clause: &str, v: Option<i64>| {
        if let Some(v) = v {
            params.push(Box::new(v));
            sql.push_str(&format!(" AND {clause} ${}", params.len()));
        }
    };
    bound("ts >=", q.start_ms);
    bound("ts <=", q.end_ms);
    bound("ts <", q.before_ms);
    if with_ids {
        bound("id >", q.after_id);
        bound("id <", q.before_id);
    }
    ([side(Keeper::First) + &sql, side(Keeper::Second) + &sql], params)
}

fn row(r: &tokio_postgres::Row) -> ArchivedMessage {
    ArchivedMessage {
        id: r.get(0),
        owner: r.get(1),
        with: r.get(2),
        timestamp_ms: r.get(3),
        stanza: r.get(4),
        shared: r.get(5),
    }
}

fn refs(params: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

#[async_trait]
impl ArchiveStore for PgStore {
    async fn archive_enqueue(&self, messages: Vec<ArchivedMessage>) -> Result<Commit, StoreError> {
        let (done, committed) = oneshot::channel();
        self.archive
            .commands
            .send(Command::Append { rows: messages, done })
            .await
            .map_err(|_| writer_gone())?;
        Ok(Box::pin(async move {
            committed.await.unwrap_or_else(|_| Err(writer_gone()))
        }))
    }

    async fn archive_query(&self, q: ArchiveQuery) -> Result<Vec<ArchivedMessage>, StoreError> {
        let ([first, second], mut params) = filter(&q, true);
        params.push(Box::new(i64::try_from(q.limit).unwrap_or(i64::MAX)));
        let order = if q.newest_first { "DESC" } else { "ASC" };
        let limit = params.len();
        let select =
            |filter: &str| format!("(SELECT {COLUMNS} FROM archive WHERE {filter} ORDER BY id {order} LIMIT ${limit})");
        let sql = format!(
            "{} UNION ALL {} ORDER BY id {order} LIMIT ${limit}",
            select(&first),
            select(&second)
        );
        let client = self.client().await?;
        let rows = self.timed(client.query(&sql, &refs(&params))).await?;
        Ok(rows.iter().map(|r| row(r).seen_by(&q.owner)).collect())
    }

    async fn archive_count(&self, q: ArchiveQuery) -> Result<u64, StoreError> {
        let ([first, second], params) = filter(&q, false);
        let client = self.client().await?;
        let sql = format!(
            "SELECT (SELECT COUNT(*) FROM archive WHERE {first}) + (SELECT COUNT(*) FROM archive WHERE {second})"
        );
        let row = self.timed(client.query_one(&sql, &refs(&params))).await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn archive_after(&self, after: i64, upto: i64, limit: usize) -> Result<Vec<ArchivedMessage>, StoreError> {
        if upto <= after {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                &format!("SELECT {COLUMNS} FROM archive WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3"),
                &[&after, &upto, &i64::try_from(limit).unwrap_or(i64::MAX)],
            ))
            .await?;
        Ok(rows.iter().map(row).collect())
    }

    async fn archive_max_id(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_one("SELECT COALESCE(MAX(id + 0), 0)::BIGINT FROM archive", &[]))
            .await?;
        Ok(row.get(0))
    }

    fn id_node(&self) -> Option<u8> {
        Some(self.node_id)
    }

    async fn delete_archive(&self, owner: &str) -> Result<u64, StoreError> {
        let (done, deleted) = oneshot::channel();
        self.archive
            .commands
            .send(Command::Delete {
                owner: owner.to_owned(),
                done,
            })
            .await
            .map_err(|_| writer_gone())?;
        deleted.await.unwrap_or_else(|_| Err(writer_gone()))
    }
}

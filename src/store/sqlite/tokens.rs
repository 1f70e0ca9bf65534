//! [`TokenStore`] on SQLite: the `tokens` table, one row per token. An insertion counts
//! the owner's live tokens and inserts in one IMMEDIATE transaction, so the limit holds
//! against every other connection and process.

use super::{db_err, SqliteStore};
use crate::store::{StoreError, StoredToken, TokenStore};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

const COLUMNS: &str = "id, owner, hash, created_ms, expires_ms";

fn read_token(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredToken> {
    Ok(StoredToken {
        id: row.get(0)?,
        owner: row.get(1)?,
        hash: row.get(2)?,
        created_ms: row.get(3)?,
        expires_ms: row.get(4)?,
    })
}

/// SQLite integers are signed: a limit beyond `i64::MAX` is no limit.
fn limit_column(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn insert_token(&self, token: &StoredToken, now_ms: i64, max: usize) -> Result<(), StoreError> {
        let token = token.clone();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let live: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM tokens WHERE owner = ?1 AND expires_ms > ?2")
                .and_then(|mut s| s.query_row(params![token.owner, now_ms], |r| r.get(0)))
                .map_err(db_err)?;
            if live >= limit_column(max) {
                return Err(StoreError::LimitReached);
            }
            // The primary key and the unique hash refuse a taken one: `db_err` makes that
            // a Conflict.
            tx.execute(
                &format!("INSERT INTO tokens ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                params![token.id, token.owner, token.hash, token.created_ms, token.expires_ms],
            )
            .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<StoredToken>, StoreError> {
        let hash = hash.to_vec();
        self.with_conn(move |conn| {
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tokens WHERE hash = ?1"))
                .and_then(|mut s| s.query_row([&hash], read_token).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn tokens_of(&self, owner: &str, now_ms: i64) -> Result<Vec<StoredToken>, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM tokens WHERE owner = ?1 AND expires_ms > ?2 ORDER BY created_ms, id"
            ))
            .and_then(|mut s| {
                s.query_map(params![owner, now_ms], read_token)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(db_err)
        })
        .await
    }

    async fn delete_token(&self, owner: &str, id: &str) -> Result<Option<StoredToken>, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.with_conn(move |conn| {
            conn.prepare_cached(&format!(
                "DELETE FROM tokens WHERE id = ?1 AND owner = ?2 RETURNING {COLUMNS}"
            ))
            .and_then(|mut s| s.query_row(params![id, owner], read_token).optional())
            .map_err(db_err)
        })
        .await
    }

    async fn delete_tokens_of(&self, owner: &str) -> Result<usize, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM tokens WHERE owner = ?1", [&owner])
                .map_err(db_err)
        })
        .await
    }

    async fn delete_expired_tokens(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError> {
        self.with_conn(move |conn| {
            // An indexed range scan of the soonest expired, at most `limit` of them.
            conn.execute(
                "DELETE FROM tokens WHERE id IN \
                 (SELECT id FROM tokens WHERE expires_ms <= ?1 ORDER BY expires_ms LIMIT ?2)",
                params![now_ms, limit_column(limit)],
            )
            .map_err(db_err)
        })
        .await
    }
}

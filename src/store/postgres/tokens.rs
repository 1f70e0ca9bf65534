//! [`TokenStore`] on PostgreSQL: the `tokens` table, one row per token.
//!
//! The per-owner limit holds across nodes: an insertion takes a transaction-scoped
//! advisory lock on the owner, then counts the owner's live tokens and inserts in the
//! same transaction, so two insertions for one owner (on any node) run one after the
//! other and the second counts the first.

use super::PgStore;
use crate::store::{StoreError, StoredToken, TokenStore};
use async_trait::async_trait;
use tokio_postgres::Row;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE tokens (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner TEXT COLLATE "C" NOT NULL,
    hash BYTEA NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX tokens_by_owner ON tokens (owner, created_ms, id);
CREATE INDEX tokens_by_expiry ON tokens (expires_ms);
"#;

const COLUMNS: &str = "id, owner, hash, created_ms, expires_ms";

fn read_token(row: &Row) -> StoredToken {
    StoredToken {
        id: row.get(0),
        owner: row.get(1),
        hash: row.get(2),
        created_ms: row.get(3),
        expires_ms: row.get(4),
    }
}

/// BIGINT is signed: a limit beyond `i64::MAX` is no limit.
fn limit_column(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[async_trait]
impl TokenStore for PgStore {
    async fn insert_token(&self, token: &StoredToken, now_ms: i64, max: usize) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // Insertions for one owner queue here until the holder commits or rolls back.
        self.lock(&tx, "tokens", &token.owner).await?;
        let live: i64 = self
            .timed(tx.query_one(
                "SELECT COUNT(*) FROM tokens WHERE owner = $1 AND expires_ms > $2",
                &[&token.owner, &now_ms],
            ))
            .await?
            .get(0);
        if live >= limit_column(max) {
            return Err(StoreError::LimitReached);
        }
        // The primary key and the unique hash refuse a taken one: `pg_err` makes that a
        // Conflict.
        self.timed(tx.execute(
            &format!("INSERT INTO tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
            &[
                &token.id,
                &token.owner,
                &token.hash,
                &token.created_ms,
                &token.expires_ms,
            ],
        ))
        .await?;
        self.timed(tx.commit()).await
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<StoredToken>, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_opt(&format!("SELECT {COLUMNS} FROM tokens WHERE hash = $1"), &[&hash]))
            .await?;
        Ok(row.as_ref().map(read_token))
    }

    async fn tokens_of(&self, owner: &str, now_ms: i64) -> Result<Vec<StoredToken>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                &format!("SELECT {COLUMNS} FROM tokens WHERE owner = $1 AND expires_ms > $2 ORDER BY created_ms, id"),
                &[&owner, &now_ms],
            ))
            .await?;
        Ok(rows.iter().map(read_token).collect())
    }

    async fn delete_token(&self, owner: &str, id: &str) -> Result<Option<StoredToken>, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_opt(
                &format!("DELETE FROM tokens WHERE id = $1 AND owner = $2 RETURNING {COLUMNS}"),
                &[&id, &owner],
            ))
            .await?;
        Ok(row.as_ref().map(read_token))
    }

    async fn delete_tokens_of(&self, owner: &str) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let n = self
            .timed(client.execute("DELETE FROM tokens WHERE owner = $1", &[&owner]))
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    async fn delete_expired_tokens(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError> {
        let client = self.client().await?;
        // An indexed range scan of the soonest expired, at most `limit` of them.
        let n = self
            .timed(client.execute(
                "DELETE FROM tokens WHERE id IN
                 (SELECT id FROM tokens WHERE expires_ms <= $1 ORDER BY expires_ms LIMIT $2)",
                &[&now_ms, &limit_column(limit)],
            ))
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}

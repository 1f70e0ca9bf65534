//! [`UserDataStore`] on PostgreSQL: the `user_data` table, one row per (owner, kind, key).
//!
//! The bound on keys holds across nodes: a write takes a transaction-scoped advisory lock
//! on the owner, then counts the owner's keys of its kind and writes in the same
//! transaction, so two new keys of one owner cannot both slip under the bound.

use super::{now_ms, PgStore};
use crate::store::{StoreError, UserDataKind, UserDataStore};
use async_trait::async_trait;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE user_data (
    owner TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (owner, kind, key)
);
"#;

#[async_trait]
impl UserDataStore for PgStore {
    async fn user_data(&self, owner: &str, kind: UserDataKind, key: &str) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_opt(
                "SELECT value FROM user_data WHERE owner = $1 AND kind = $2 AND key = $3",
                &[&owner, &kind.as_str(), &key],
            ))
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn put_user_data(
        &self,
        owner: &str,
        kind: UserDataKind,
        key: &str,
        value: &str,
        max_keys: usize,
    ) -> Result<(), StoreError> {
        let kind = kind.as_str();
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.lock(&tx, "user_data", owner).await?;
        // Whether the key is new, and how many keys of this kind the owner holds.
        let row = self
            .timed(tx.query_one(
                "SELECT COUNT(*) FILTER (WHERE key = $3), COUNT(*) FROM user_data WHERE owner = $1 AND kind = $2",
                &[&owner, &kind, &key],
            ))
            .await?;
        let (exists, held): (i64, i64) = (row.get(0), row.get(1));
        if exists == 0 && held >= i64::try_from(max_keys).unwrap_or(i64::MAX) {
            return Err(StoreError::LimitReached);
        }
        self.timed(tx.execute(
            "INSERT INTO user_data (owner, kind, key, value, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (owner, kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            &[&owner, &kind, &key, &value, &now_ms()],
        ))
        .await?;
        self.timed(tx.commit()).await
    }

    async fn delete_user_data(&self, owner: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        self.timed(client.execute("DELETE FROM user_data WHERE owner = $1", &[&owner]))
            .await
            .map(drop)
    }
}

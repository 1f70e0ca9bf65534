//! [`UserDataStore`] on SQLite: the `user_data` table, one row per (owner, kind, key).
//! A write counts the owner's keys of its kind and writes in one IMMEDIATE transaction.

use super::{db_err, now_ms, SqliteStore};
use crate::store::{StoreError, UserDataKind, UserDataStore};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

#[async_trait]
impl UserDataStore for SqliteStore {
    async fn user_data(&self, owner: &str, kind: UserDataKind, key: &str) -> Result<Option<String>, StoreError> {
        let (owner, key) = (owner.to_owned(), key.to_owned());
        self.with_conn(move |conn| {
            conn.prepare_cached("SELECT value FROM user_data WHERE owner = ?1 AND kind = ?2 AND key = ?3")
                .and_then(|mut s| s.query_row(params![owner, kind.as_str(), key], |r| r.get(0)).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn put_user_data(
        &self,
        owner: &str,
        kind: UserDataKind,
        key: &str,
        value: &str,
        max_keys: usize,
    ) -> Result<(), StoreError> {
        let (owner, key, value) = (owner.to_owned(), key.to_owned(), value.to_owned());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let exists: bool = tx
                .prepare_cached("SELECT COUNT(*) FROM user_data WHERE owner = ?1 AND kind = ?2 AND key = ?3")
                .and_then(|mut s| s.query_row(params![owner, kind.as_str(), key], |r| r.get::<_, i64>(0)))
                .map_err(db_err)?
                > 0;
            if !exists {
                let held: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM user_data WHERE owner = ?1 AND kind = ?2")
                    .and_then(|mut s| s.query_row(params![owner, kind.as_str()], |r| r.get(0)))
                    .map_err(db_err)?;
                if held as u64 >= max_keys as u64 {
                    return Err(StoreError::LimitReached);
                }
            }
            tx.prepare_cached(
                "INSERT INTO user_data (owner, kind, key, value, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (owner, kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .and_then(|mut s| s.execute(params![owner, kind.as_str(), key, value, now_ms()]))
            .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn delete_user_data(&self, owner: &str) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM user_data WHERE owner = ?1", [&owner])
                .map(|_| ())
                .map_err(db_err)
        })
        .await
    }
}

//! [`OfflineStore`] on SQLite: `offline` rows in arrival order per owner, the limit
//! checked inside the inserting transaction.

use super::{db_err, SqliteStore};
use crate::store::{OfflineMessage, OfflineStore, StoreError};
use async_trait::async_trait;
use rusqlite::{params, TransactionBehavior};

#[async_trait]
impl OfflineStore for SqliteStore {
    async fn push_offline(&self, owner: &str, message: &OfflineMessage, max: usize) -> Result<(), StoreError> {
        let (owner, message) = (owner.to_owned(), message.clone());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let held: i64 = tx
                .query_row("SELECT COUNT(*) FROM offline WHERE owner = ?1", [&owner], |r| r.get(0))
                .map_err(db_err)?;
            if held as usize >= max {
                return Err(StoreError::LimitReached);
            }
            tx.execute(
                "INSERT INTO offline (owner, ts, stanza) VALUES (?1, ?2, ?3)",
                params![owner, message.timestamp_ms, message.stanza],
            )
            .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn take_offline(&self, owner: &str) -> Result<Vec<OfflineMessage>, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let messages = {
                let mut stmt = tx
                    .prepare_cached("SELECT ts, stanza FROM offline WHERE owner = ?1 ORDER BY seq")
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([&owner], |r| {
                        Ok(OfflineMessage {
                            timestamp_ms: r.get(0)?,
                            stanza: r.get(1)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)?
            };
            tx.execute("DELETE FROM offline WHERE owner = ?1", [&owner])
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            Ok(messages)
        })
        .await
    }

    async fn count_offline(&self, owner: &str) -> Result<usize, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.query_row("SELECT COUNT(*) FROM offline WHERE owner = ?1", [&owner], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as usize)
            .map_err(db_err)
        })
        .await
    }

    async fn delete_offline(&self, owner: &str) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM offline WHERE owner = ?1", [&owner])
                .map(|_| ())
                .map_err(db_err)
        })
        .await
    }
}

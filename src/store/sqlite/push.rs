//! [`PushStore`] on SQLite: `push_registrations`, the limit checked inside the inserting
//! transaction.

use super::{db_err, now_ms, SqliteStore};
use crate::store::{PushRegistration, PushStore, StoreError};
use async_trait::async_trait;
use rusqlite::{params, TransactionBehavior};

#[async_trait]
impl PushStore for SqliteStore {
    async fn push_registrations(&self, owner: &str) -> Result<Vec<PushRegistration>, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT jid, node, options FROM push_registrations WHERE owner = ?1 ORDER BY created, jid, node",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map([&owner], |r| {
                    Ok(PushRegistration {
                        jid: r.get(0)?,
                        node: r.get(1)?,
                        options: r.get(2)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn enable_push(&self, owner: &str, registration: &PushRegistration, max: usize) -> Result<(), StoreError> {
        let (owner, r) = (owner.to_owned(), registration.clone());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let others: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM push_registrations WHERE owner = ?1 AND NOT (jid = ?2 AND node = ?3)",
                    params![owner, r.jid, r.node],
                    |row| row.get(0),
                )
                .map_err(db_err)?;
            if others as usize >= max {
                return Err(StoreError::LimitReached);
            }
            tx.execute(
                "INSERT INTO push_registrations (owner, jid, node, options, created) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (owner, jid, node) DO UPDATE SET options = excluded.options",
                params![owner, r.jid, r.node, r.options, now_ms()],
            )
            .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn disable_push(&self, owner: &str, jid: &str, node: Option<&str>) -> Result<usize, StoreError> {
        let (owner, jid, node) = (owner.to_owned(), jid.to_owned(), node.map(str::to_owned));
        self.with_conn(move |conn| {
            let removed = match node {
                Some(node) => conn.execute(
                    "DELETE FROM push_registrations WHERE owner = ?1 AND jid = ?2 AND node = ?3",
                    params![owner, jid, node],
                ),
                None => conn.execute(
                    "DELETE FROM push_registrations WHERE owner = ?1 AND jid = ?2",
                    params![owner, jid],
                ),
            };
            removed.map_err(db_err)
        })
        .await
    }

    async fn delete_push(&self, owner: &str) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM push_registrations WHERE owner = ?1", [&owner])
                .map(|_| ())
                .map_err(db_err)
        })
        .await
    }
}

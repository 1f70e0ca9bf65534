//! [`BlockStore`] on SQLite: `blocklist` rows, one per owner and blocked JID.

use super::{db_err, SqliteStore};
use crate::store::{BlockStore, StoreError};
use async_trait::async_trait;
use rusqlite::params;

#[async_trait]
impl BlockStore for SqliteStore {
    async fn blocklist(&self, owner: &str) -> Result<Vec<String>, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT jid FROM blocklist WHERE owner = ?1 ORDER BY jid")
                .map_err(db_err)?;
            let rows = stmt.query_map([&owner], |r| r.get(0)).map_err(db_err)?;
            rows.collect::<Result<Vec<String>, _>>().map_err(db_err)
        })
        .await
    }

    async fn block(&self, owner: &str, jids: &[String]) -> Result<(), StoreError> {
        let (owner, jids) = (owner.to_owned(), jids.to_vec());
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(db_err)?;
            {
                let mut stmt = tx
                    .prepare_cached("INSERT OR IGNORE INTO blocklist (owner, jid) VALUES (?1, ?2)")
                    .map_err(db_err)?;
                for jid in &jids {
                    stmt.execute(params![owner, jid]).map_err(db_err)?;
                }
            }
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn unblock(&self, owner: &str, jids: &[String]) -> Result<(), StoreError> {
        let (owner, jids) = (owner.to_owned(), jids.to_vec());
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(db_err)?;
            if jids.is_empty() {
                tx.execute("DELETE FROM blocklist WHERE owner = ?1", [&owner])
                    .map_err(db_err)?;
            } else {
                let mut stmt = tx
                    .prepare_cached("DELETE FROM blocklist WHERE owner = ?1 AND jid = ?2")
                    .map_err(db_err)?;
                for jid in &jids {
                    stmt.execute(params![owner, jid]).map_err(db_err)?;
                }
            }
            tx.commit().map_err(db_err)
        })
        .await
    }
}

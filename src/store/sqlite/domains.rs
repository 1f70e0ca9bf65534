//! [`DomainStore`] on SQLite: `domains`.

use super::{db_err, SqliteStore};
use crate::store::{DomainStatus, DomainStore, StoreError, StoredDomain};
use async_trait::async_trait;
use rusqlite::params;

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredDomain> {
    let status: String = row.get(2)?;
    Ok(StoredDomain {
        domain: row.get(0)?,
        host_type: row.get(1)?,
        // Only this code writes the column.
        status: DomainStatus::parse(&status).unwrap_or(DomainStatus::Disabled),
    })
}

#[async_trait]
impl DomainStore for SqliteStore {
    async fn domains(&self) -> Result<Vec<StoredDomain>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT domain, host_type, status FROM domains ORDER BY domain")
                .map_err(db_err)?;
            let rows = stmt.query_map([], read).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn domain(&self, domain: &str) -> Result<Option<StoredDomain>, StoreError> {
        let domain = domain.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT domain, host_type, status FROM domains WHERE domain = ?1")
                .map_err(db_err)?;
            let mut rows = stmt.query_map([&domain], read).map_err(db_err)?;
            rows.next().transpose().map_err(db_err)
        })
        .await
    }

    async fn insert_domain(&self, d: &StoredDomain) -> Result<(), StoreError> {
        let d = d.clone();
        self.with_conn(move |conn| {
            let n = conn
                .execute(
                    "INSERT INTO domains (domain, host_type, status) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                    params![d.domain, d.host_type, d.status.as_str()],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::Conflict);
            }
            Ok(())
        })
        .await
    }

    async fn set_domain_status(&self, domain: &str, status: DomainStatus) -> Result<(), StoreError> {
        let domain = domain.to_owned();
        self.with_conn(move |conn| {
            let n = conn
                .execute(
                    "UPDATE domains SET status = ?2 WHERE domain = ?1",
                    params![domain, status.as_str()],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn delete_domain(&self, domain: &str) -> Result<(), StoreError> {
        let domain = domain.to_owned();
        self.with_conn(move |conn| {
            let n = conn
                .execute("DELETE FROM domains WHERE domain = ?1", [&domain])
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
}

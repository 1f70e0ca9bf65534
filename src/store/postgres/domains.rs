//! [`DomainStore`] on PostgreSQL: `domains`, shared by every node of a cluster.

use super::PgStore;
use crate::store::{DomainStatus, DomainStore, StoreError, StoredDomain};
use async_trait::async_trait;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE domains (
    domain TEXT COLLATE "C" PRIMARY KEY,
    host_type TEXT NOT NULL,
    status TEXT NOT NULL
);
"#;

fn read(row: &tokio_postgres::Row) -> StoredDomain {
    let status: String = row.get(2);
    StoredDomain {
        domain: row.get(0),
        host_type: row.get(1),
        // Only this code writes the column.
        status: DomainStatus::parse(&status).unwrap_or(DomainStatus::Disabled),
    }
}

#[async_trait]
impl DomainStore for PgStore {
    async fn domains(&self) -> Result<Vec<StoredDomain>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query("SELECT domain, host_type, status FROM domains ORDER BY domain", &[]))
            .await?;
        Ok(rows.iter().map(read).collect())
    }

    async fn domain(&self, domain: &str) -> Result<Option<StoredDomain>, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_opt(
                "SELECT domain, host_type, status FROM domains WHERE domain = $1",
                &[&domain],
            ))
            .await?;
        Ok(row.as_ref().map(read))
    }

    async fn insert_domain(&self, d: &StoredDomain) -> Result<(), StoreError> {
        let client = self.client().await?;
        let n = self
            .timed(client.execute(
                "INSERT INTO domains (domain, host_type, status) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&d.domain, &d.host_type, &d.status.as_str()],
            ))
            .await?;
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    async fn set_domain_status(&self, domain: &str, status: DomainStatus) -> Result<(), StoreError> {
        let client = self.client().await?;
        let n = self
            .timed(client.execute(
                "UPDATE domains SET status = $2 WHERE domain = $1",
                &[&domain, &status.as_str()],
            ))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_domain(&self, domain: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        let n = self
            .timed(client.execute("DELETE FROM domains WHERE domain = $1", &[&domain]))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

//! [`BlockStore`] on PostgreSQL: `blocklist` rows, one per owner and blocked JID; every
//! change is a single statement, idempotent by its key.

use super::PgStore;
use crate::store::{BlockStore, StoreError};
use async_trait::async_trait;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE blocklist (
    owner TEXT COLLATE "C" NOT NULL,
    jid TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (owner, jid)
);
"#;

#[async_trait]
impl BlockStore for PgStore {
    async fn blocklist(&self, owner: &str) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query("SELECT jid FROM blocklist WHERE owner = $1 ORDER BY jid", &[&owner]))
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn block(&self, owner: &str, jids: &[String]) -> Result<(), StoreError> {
        if jids.is_empty() {
            return Ok(());
        }
        let client = self.client().await?;
        // DISTINCT: a JID given twice is one row, not a conflict with itself.
        self.timed(client.execute(
            "INSERT INTO blocklist (owner, jid) SELECT DISTINCT $1::TEXT, UNNEST($2::TEXT[])
             ON CONFLICT (owner, jid) DO NOTHING",
            &[&owner, &jids],
        ))
        .await
        .map(|_| ())
    }

    async fn unblock(&self, owner: &str, jids: &[String]) -> Result<(), StoreError> {
        let client = self.client().await?;
        if jids.is_empty() {
            self.timed(client.execute("DELETE FROM blocklist WHERE owner = $1", &[&owner]))
                .await?;
        } else {
            self.timed(client.execute(
                "DELETE FROM blocklist WHERE owner = $1 AND jid = ANY($2::TEXT[])",
                &[&owner, &jids],
            ))
            .await?;
        }
        Ok(())
    }
}

//! [`PushStore`] on PostgreSQL: `push_registrations`. The limit holds across nodes as
//! the offline one does: a registration takes a transaction-scoped advisory lock on its
//! owner before it counts, and keeps it until its insert commits.

use super::{as_count, now_ms, PgStore};
use crate::store::{PushRegistration, PushStore, StoreError};
use async_trait::async_trait;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE push_registrations (
    owner TEXT COLLATE "C" NOT NULL,
    jid TEXT COLLATE "C" NOT NULL,
    node TEXT COLLATE "C" NOT NULL,
    options TEXT NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (owner, jid, node)
);
"#;

#[async_trait]
impl PushStore for PgStore {
    async fn push_registrations(&self, owner: &str) -> Result<Vec<PushRegistration>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                "SELECT jid, node, options FROM push_registrations WHERE owner = $1 ORDER BY created, jid, node",
                &[&owner],
            ))
            .await?;
        Ok(rows
            .iter()
            .map(|r| PushRegistration {
                jid: r.get(0),
                node: r.get(1),
                options: r.get(2),
            })
            .collect())
    }

    async fn enable_push(&self, owner: &str, registration: &PushRegistration, max: usize) -> Result<(), StoreError> {
        let r = registration;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.lock(&tx, "push", owner).await?;
        // The registration being replaced does not count against the limit.
        let others: i64 = self
            .timed(tx.query_one(
                "SELECT COUNT(*) FROM push_registrations WHERE owner = $1 AND NOT (jid = $2 AND node = $3)",
                &[&owner, &r.jid, &r.node],
            ))
            .await?
            .get(0);
        if others >= as_count(max) {
            return Err(StoreError::LimitReached);
        }
        self.timed(tx.execute(
            "INSERT INTO push_registrations (owner, jid, node, options, created) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (owner, jid, node) DO UPDATE SET options = excluded.options",
            &[&owner, &r.jid, &r.node, &r.options, &now_ms()],
        ))
        .await?;
        self.timed(tx.commit()).await
    }

    async fn disable_push(&self, owner: &str, jid: &str, node: Option<&str>) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let n = match node {
            Some(node) => {
                self.timed(client.execute(
                    "DELETE FROM push_registrations WHERE owner = $1 AND jid = $2 AND node = $3",
                    &[&owner, &jid, &node],
                ))
                .await?
            }
            None => {
                self.timed(client.execute(
                    "DELETE FROM push_registrations WHERE owner = $1 AND jid = $2",
                    &[&owner, &jid],
                ))
                .await?
            }
        };
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    async fn delete_push(&self, owner: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        self.timed(client.execute("DELETE FROM push_registrations WHERE owner = $1", &[&owner]))
            .await
            .map(|_| ())
    }
}

//! [`OfflineStore`] on PostgreSQL: `offline` rows in arrival order per owner.
//!
//! The limit holds across nodes: holding a message takes a transaction-scoped advisory
//! lock on its owner before it counts, and keeps it until its insert commits, so two
//! nodes cannot both see room for one more. Taking the held messages is one
//! `DELETE … RETURNING`: two sessions taking at once get each message once between them,
//! and a message arriving meanwhile stays for the next take.

use super::{as_count, PgStore};
use crate::store::{OfflineMessage, OfflineStore, StoreError};
use async_trait::async_trait;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE offline (
    seq BIGSERIAL PRIMARY KEY,
    owner TEXT COLLATE "C" NOT NULL,
    ts BIGINT NOT NULL,
    stanza TEXT NOT NULL
);
CREATE INDEX offline_by_owner ON offline (owner, seq);
"#;

#[async_trait]
impl OfflineStore for PgStore {
    async fn push_offline(&self, owner: &str, message: &OfflineMessage, max: usize) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // Also orders the owner's messages: their `seq`s are drawn one writer at a time.
        self.lock(&tx, "offline", owner).await?;
        let held: i64 = self
            .timed(tx.query_one("SELECT COUNT(*) FROM offline WHERE owner = $1", &[&owner]))
            .await?
            .get(0);
        if held >= as_count(max) {
            return Err(StoreError::LimitReached);
        }
        self.timed(tx.execute(
            "INSERT INTO offline (owner, ts, stanza) VALUES ($1, $2, $3)",
            &[&owner, &message.timestamp_ms, &message.stanza],
        ))
        .await?;
        self.timed(tx.commit()).await
    }

    async fn take_offline(&self, owner: &str) -> Result<Vec<OfflineMessage>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                "WITH taken AS (DELETE FROM offline WHERE owner = $1 RETURNING seq, ts, stanza)
                 SELECT ts, stanza FROM taken ORDER BY seq",
                &[&owner],
            ))
            .await?;
        Ok(rows
            .iter()
            .map(|r| OfflineMessage {
                timestamp_ms: r.get(0),
                stanza: r.get(1),
            })
            .collect())
    }

    async fn count_offline(&self, owner: &str) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let n: i64 = self
            .timed(client.query_one("SELECT COUNT(*) FROM offline WHERE owner = $1", &[&owner]))
            .await?
            .get(0);
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    async fn delete_offline(&self, owner: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        self.timed(client.execute("DELETE FROM offline WHERE owner = $1", &[&owner]))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{private_server, PgSettings};
    use super::*;
    use crate::store::{PushRegistration, PushStore};
    use std::sync::Arc;

    /// Two nodes on one fresh database.
    async fn two_nodes() -> [Arc<PgStore>; 2] {
        let settings = PgSettings {
            url: private_server::shared().fresh_database().unwrap(),
            pool_size: 8,
            ..PgSettings::default()
        };
        let (a, b) = tokio::join!(PgStore::connect(&settings), PgStore::connect(&settings));
        [Arc::new(a.unwrap()), Arc::new(b.unwrap())]
    }

    #[tokio::test]
    async fn nodes_holding_messages_and_registering_at_once_never_exceed_the_limits() {
        let nodes = two_nodes().await;
        let mut tasks = Vec::new();
        for i in 0..16 {
            let node = nodes[i % 2].clone();
            tasks.push(tokio::spawn(async move {
                let message = OfflineMessage {
                    timestamp_ms: i as i64,
                    stanza: format!("<message id='m{i}'/>"),
                };
                node.push_offline("bob@localhost", &message, 4).await
            }));
            let node = nodes[(i + 1) % 2].clone();
            tasks.push(tokio::spawn(async move {
                let registration = PushRegistration {
                    jid: "push.example".into(),
                    node: format!("n{i}"),
                    options: String::new(),
                };
                node.enable_push("bob@localhost", &registration, 3).await
            }));
        }
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => {}
                Err(StoreError::LimitReached) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(refused, (16 - 4) + (16 - 3));
        assert_eq!(nodes[0].push_registrations("bob@localhost").await.unwrap().len(), 3);
        // Taken from both nodes at once: each message once between them.
        let (x, y) = tokio::join!(
            nodes[0].take_offline("bob@localhost"),
            nodes[1].take_offline("bob@localhost")
        );
        let mut taken: Vec<String> = x.unwrap().into_iter().chain(y.unwrap()).map(|m| m.stanza).collect();
        taken.sort_unstable();
        taken.dedup();
        assert_eq!(taken.len(), 4, "{taken:?}");
        assert_eq!(nodes[1].count_offline("bob@localhost").await.unwrap(), 0);
    }
}

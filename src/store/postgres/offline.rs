//! [`OfflineStore`], [`BlockStore`] and [`PushStore`] on PostgreSQL: `offline` rows in
//! arrival order per owner, `blocklist` rows, and `push_registrations`.
//!
//! The limits hold across nodes: a write that must stay within one (a held message, a
//! push registration) takes a transaction-scoped advisory lock on its owner before it
//! counts, and keeps it until its insert commits, so two nodes cannot both see room for
//! one more. Taking the held messages is one `DELETE … RETURNING`: two sessions taking at
//! once get each message once between them, and a message arriving meanwhile stays for
//! the next take. Blocklist changes are single statements, idempotent by their key.

use super::{now_ms, PgStore};
use crate::store::{BlockStore, OfflineMessage, OfflineStore, PushRegistration, PushStore, StoreError};
use async_trait::async_trait;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE offline (
    seq BIGSERIAL PRIMARY KEY,
    owner TEXT COLLATE "C" NOT NULL,
    ts BIGINT NOT NULL,
    stanza TEXT NOT NULL
);
CREATE INDEX offline_by_owner ON offline (owner, seq);
CREATE TABLE blocklist (
    owner TEXT COLLATE "C" NOT NULL,
    jid TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (owner, jid)
);
CREATE TABLE push_registrations (
    owner TEXT COLLATE "C" NOT NULL,
    jid TEXT COLLATE "C" NOT NULL,
    node TEXT COLLATE "C" NOT NULL,
    options TEXT NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (owner, jid, node)
);
"#;

/// `max` as a row count; a limit beyond what a column can count is no limit.
fn as_count(max: usize) -> i64 {
    i64::try_from(max).unwrap_or(i64::MAX)
}

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

#[cfg(test)]
mod tests {
    use super::super::{private_server, PgSettings};
    use super::*;
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

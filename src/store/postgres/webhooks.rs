//! [`WebhookStore`] on PostgreSQL: `webhook_endpoints` (cursors and counters, one row per
//! endpoint, locked `FOR UPDATE` by every change so nodes sharing the database take turns)
//! and `webhook_outbox` (the waiting events, in `seq` order).

use super::{as_count, PgStore};
use crate::store::{NewWebhookEvent, StoreError, WebhookEvent, WebhookState, WebhookStore};
use async_trait::async_trait;
use tokio_postgres::Row;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE webhook_endpoints (
    endpoint TEXT COLLATE "C" PRIMARY KEY,
    archive_cursor BIGINT NOT NULL,
    account_cursor BIGINT NOT NULL,
    delivered BIGINT NOT NULL DEFAULT 0,
    dropped BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_ms BIGINT,
    last_delivered_ms BIGINT
);
CREATE TABLE webhook_outbox (
    seq BIGSERIAL PRIMARY KEY,
    endpoint TEXT COLLATE "C" NOT NULL,
    event_id TEXT NOT NULL,
    archive_id BIGINT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_failure_ms BIGINT
);
CREATE INDEX webhook_outbox_by_endpoint ON webhook_outbox (endpoint, seq);
CREATE INDEX archive_by_id ON archive (id);
"#;

const STATE: &str = "SELECT e.endpoint, e.archive_cursor, e.account_cursor, e.delivered, e.dropped, e.last_error,
        e.last_error_ms, e.last_delivered_ms,
        (SELECT COUNT(*) FROM webhook_outbox o WHERE o.endpoint = e.endpoint)
     FROM webhook_endpoints e";

fn state(r: &Row) -> WebhookState {
    WebhookState {
        endpoint: r.get(0),
        archive_cursor: r.get(1),
        account_cursor: r.get(2),
        delivered: r.get::<_, i64>(3).max(0) as u64,
        dropped: r.get::<_, i64>(4).max(0) as u64,
        last_error: r.get(5),
        last_error_ms: r.get(6),
        last_delivered_ms: r.get(7),
        backlog: r.get::<_, i64>(8).max(0) as u64,
    }
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn webhook_init(
        &self,
        endpoint: &str,
        archive_cursor: i64,
        account_cursor: i64,
    ) -> Result<WebhookState, StoreError> {
        let client = self.client().await?;
        self.timed(client.execute(
            "INSERT INTO webhook_endpoints (endpoint, archive_cursor, account_cursor) VALUES ($1, $2, $3)
             ON CONFLICT (endpoint) DO NOTHING",
            &[&endpoint, &archive_cursor, &account_cursor],
        ))
        .await?;
        let row = self
            .timed(client.query_one(&format!("{STATE} WHERE e.endpoint = $1"), &[&endpoint]))
            .await?;
        Ok(state(&row))
    }

    async fn webhook_states(&self) -> Result<Vec<WebhookState>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(&format!("{STATE} ORDER BY e.endpoint"), &[]))
            .await?;
        Ok(rows.iter().map(state).collect())
    }

    async fn webhook_fill(
        &self,
        endpoint: &str,
        from: (i64, i64),
        events: Vec<NewWebhookEvent>,
        to: (i64, i64),
        max_backlog: u64,
    ) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        let row = self
            .timed(tx.query_opt(
                "SELECT archive_cursor, account_cursor FROM webhook_endpoints WHERE endpoint = $1 FOR UPDATE",
                &[&endpoint],
            ))
            .await?
            .ok_or(StoreError::NotFound)?;
        if (row.get::<_, i64>(0), row.get::<_, i64>(1)) != from {
            return Err(StoreError::Conflict);
        }
        for e in &events {
            self.timed(tx.execute(
                "INSERT INTO webhook_outbox (endpoint, event_id, archive_id, kind, payload) VALUES ($1, $2, $3, $4, $5)",
                &[&endpoint, &e.event_id, &e.archive_id, &e.kind, &e.payload],
            ))
            .await?;
        }
        let keep = i64::try_from(max_backlog).unwrap_or(i64::MAX);
        let dropped = self
            .timed(tx.execute(
                "DELETE FROM webhook_outbox WHERE endpoint = $1 AND seq IN (
                    SELECT seq FROM webhook_outbox WHERE endpoint = $1 ORDER BY seq DESC OFFSET $2)",
                &[&endpoint, &keep],
            ))
            .await?;
        self.timed(tx.execute(
            "UPDATE webhook_endpoints SET archive_cursor = $2, account_cursor = $3, dropped = dropped + $4
             WHERE endpoint = $1",
            &[&endpoint, &to.0, &to.1, &(dropped as i64)],
        ))
        .await?;
        self.timed(tx.commit()).await?;
        Ok(dropped)
    }

    async fn webhook_pending(&self, endpoint: &str, limit: usize) -> Result<Vec<WebhookEvent>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                "SELECT seq, event_id, archive_id, kind, payload, attempts, first_failure_ms FROM webhook_outbox
                 WHERE endpoint = $1 ORDER BY seq LIMIT $2",
                &[&endpoint, &as_count(limit)],
            ))
            .await?;
        Ok(rows
            .iter()
            .map(|r| WebhookEvent {
                seq: r.get(0),
                event: NewWebhookEvent {
                    event_id: r.get(1),
                    archive_id: r.get(2),
                    kind: r.get(3),
                    payload: r.get(4),
                },
                attempts: r.get::<_, i32>(5).max(0) as u32,
                first_failure_ms: r.get(6),
            })
            .collect())
    }

    async fn webhook_delivered(&self, endpoint: &str, seq: i64, at_ms: i64) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        let gone = self
            .timed(tx.execute(
                "DELETE FROM webhook_outbox WHERE endpoint = $1 AND seq = $2",
                &[&endpoint, &seq],
            ))
            .await?;
        if gone > 0 {
            self.timed(tx.execute(
                "UPDATE webhook_endpoints SET delivered = delivered + 1, last_delivered_ms = $2 WHERE endpoint = $1",
                &[&endpoint, &at_ms],
            ))
            .await?;
        }
        self.timed(tx.commit()).await
    }

    async fn webhook_failed(&self, endpoint: &str, seq: i64, error: &str, at_ms: i64) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.timed(tx.execute(
            "UPDATE webhook_outbox SET attempts = attempts + 1, first_failure_ms = COALESCE(first_failure_ms, $3)
             WHERE endpoint = $1 AND seq = $2",
            &[&endpoint, &seq, &at_ms],
        ))
        .await?;
        self.timed(tx.execute(
            "UPDATE webhook_endpoints SET last_error = $2, last_error_ms = $3 WHERE endpoint = $1",
            &[&endpoint, &error, &at_ms],
        ))
        .await?;
        self.timed(tx.commit()).await
    }

    async fn webhook_give_up(&self, endpoint: &str, seq: i64, error: &str, at_ms: i64) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        let gone = self
            .timed(tx.execute(
                "DELETE FROM webhook_outbox WHERE endpoint = $1 AND seq = $2",
                &[&endpoint, &seq],
            ))
            .await?;
        self.timed(tx.execute(
            "UPDATE webhook_endpoints SET dropped = dropped + $4, last_error = $2, last_error_ms = $3
             WHERE endpoint = $1",
            &[&endpoint, &error, &at_ms, &(gone as i64)],
        ))
        .await?;
        self.timed(tx.commit()).await
    }

    async fn webhook_rewind(&self, endpoint: &str, after: i64) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        let found = self
            .timed(tx.execute(
                "UPDATE webhook_endpoints SET archive_cursor = $2 WHERE endpoint = $1",
                &[&endpoint, &after],
            ))
            .await?;
        if found == 0 {
            return Err(StoreError::NotFound);
        }
        self.timed(tx.execute(
            "DELETE FROM webhook_outbox WHERE endpoint = $1 AND archive_id > $2",
            &[&endpoint, &after],
        ))
        .await?;
        self.timed(tx.commit()).await
    }
}

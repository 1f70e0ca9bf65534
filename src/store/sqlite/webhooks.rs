//! [`WebhookStore`] on SQLite: `webhook_endpoints` (cursors and counters, one row per
//! endpoint) and `webhook_outbox` (the waiting events, in `seq` order). Every change is
//! one transaction on the main connection.

use super::{db_err, SqliteStore};
use crate::store::{NewWebhookEvent, StoreError, WebhookEvent, WebhookState, WebhookStore};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

const STATE: &str = "SELECT e.endpoint, e.archive_cursor, e.account_cursor, e.delivered, e.dropped, e.last_error,
        e.last_error_ms, e.last_delivered_ms,
        (SELECT COUNT(*) FROM webhook_outbox o WHERE o.endpoint = e.endpoint)
     FROM webhook_endpoints e";

fn state(r: &Row<'_>) -> rusqlite::Result<WebhookState> {
    Ok(WebhookState {
        endpoint: r.get(0)?,
        archive_cursor: r.get(1)?,
        account_cursor: r.get(2)?,
        delivered: r.get::<_, i64>(3)?.max(0) as u64,
        dropped: r.get::<_, i64>(4)?.max(0) as u64,
        last_error: r.get(5)?,
        last_error_ms: r.get(6)?,
        last_delivered_ms: r.get(7)?,
        backlog: r.get::<_, i64>(8)?.max(0) as u64,
    })
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn webhook_init(
        &self,
        endpoint: &str,
        archive_cursor: i64,
        account_cursor: i64,
    ) -> Result<WebhookState, StoreError> {
        let endpoint = endpoint.to_owned();
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO webhook_endpoints (endpoint, archive_cursor, account_cursor) VALUES (?1, ?2, ?3)
                 ON CONFLICT (endpoint) DO NOTHING",
                params![endpoint, archive_cursor, account_cursor],
            )
            .map_err(db_err)?;
            conn.query_row(&format!("{STATE} WHERE e.endpoint = ?1"), [&endpoint], state)
                .map_err(db_err)
        })
        .await
    }

    async fn webhook_states(&self) -> Result<Vec<WebhookState>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!("{STATE} ORDER BY e.endpoint"))
                .map_err(db_err)?;
            let rows = stmt.query_map([], state).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn webhook_fill(
        &self,
        endpoint: &str,
        from: (i64, i64),
        events: Vec<NewWebhookEvent>,
        to: (i64, i64),
        max_backlog: u64,
    ) -> Result<u64, StoreError> {
        let endpoint = endpoint.to_owned();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let now: (i64, i64) = tx
                .query_row(
                    "SELECT archive_cursor, account_cursor FROM webhook_endpoints WHERE endpoint = ?1",
                    [&endpoint],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db_err)?
                .ok_or(StoreError::NotFound)?;
            if now != from {
                return Err(StoreError::Conflict);
            }
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO webhook_outbox (endpoint, event_id, archive_id, kind, payload)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(db_err)?;
                for e in &events {
                    insert
                        .execute(params![endpoint, e.event_id, e.archive_id, e.kind, e.payload])
                        .map_err(db_err)?;
                }
            }
            let keep = i64::try_from(max_backlog).unwrap_or(i64::MAX);
            let dropped = tx
                .execute(
                    "DELETE FROM webhook_outbox WHERE endpoint = ?1 AND seq IN (
                        SELECT seq FROM webhook_outbox WHERE endpoint = ?1 ORDER BY seq DESC LIMIT -1 OFFSET ?2)",
                    params![endpoint, keep],
                )
                .map_err(db_err)?;
            tx.execute(
                "UPDATE webhook_endpoints SET archive_cursor = ?2, account_cursor = ?3, dropped = dropped + ?4
                 WHERE endpoint = ?1",
                params![endpoint, to.0, to.1, dropped as i64],
            )
            .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            Ok(dropped as u64)
        })
        .await
    }

    async fn webhook_pending(&self, endpoint: &str, limit: usize) -> Result<Vec<WebhookEvent>, StoreError> {
        let endpoint = endpoint.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, event_id, archive_id, kind, payload, attempts, first_failure_ms FROM webhook_outbox
                     WHERE endpoint = ?1 ORDER BY seq LIMIT ?2",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![endpoint, limit], |r| {
                    Ok(WebhookEvent {
                        seq: r.get(0)?,
                        event: NewWebhookEvent {
                            event_id: r.get(1)?,
                            archive_id: r.get(2)?,
                            kind: r.get(3)?,
                            payload: r.get(4)?,
                        },
                        attempts: r.get::<_, i64>(5)?.clamp(0, i64::from(u32::MAX)) as u32,
                        first_failure_ms: r.get(6)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn webhook_delivered(&self, endpoint: &str, seq: i64, at_ms: i64) -> Result<(), StoreError> {
        let endpoint = endpoint.to_owned();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let gone = tx
                .execute(
                    "DELETE FROM webhook_outbox WHERE endpoint = ?1 AND seq = ?2",
                    params![endpoint, seq],
                )
                .map_err(db_err)?;
            if gone > 0 {
                tx.execute(
                    "UPDATE webhook_endpoints SET delivered = delivered + 1, last_delivered_ms = ?2 WHERE endpoint = ?1",
                    params![endpoint, at_ms],
                )
                .map_err(db_err)?;
            }
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn webhook_failed(&self, endpoint: &str, seq: i64, error: &str, at_ms: i64) -> Result<(), StoreError> {
        let (endpoint, error) = (endpoint.to_owned(), error.to_owned());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            tx.execute(
                "UPDATE webhook_outbox SET attempts = attempts + 1, first_failure_ms = COALESCE(first_failure_ms, ?3)
                 WHERE endpoint = ?1 AND seq = ?2",
                params![endpoint, seq, at_ms],
            )
            .map_err(db_err)?;
            tx.execute(
                "UPDATE webhook_endpoints SET last_error = ?2, last_error_ms = ?3 WHERE endpoint = ?1",
                params![endpoint, error, at_ms],
            )
            .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn webhook_give_up(&self, endpoint: &str, seq: i64, error: &str, at_ms: i64) -> Result<(), StoreError> {
        let (endpoint, error) = (endpoint.to_owned(), error.to_owned());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let gone = tx
                .execute(
                    "DELETE FROM webhook_outbox WHERE endpoint = ?1 AND seq = ?2",
                    params![endpoint, seq],
                )
                .map_err(db_err)?;
            tx.execute(
                "UPDATE webhook_endpoints SET dropped = dropped + ?4, last_error = ?2, last_error_ms = ?3
                 WHERE endpoint = ?1",
                params![endpoint, error, at_ms, gone as i64],
            )
            .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn webhook_rewind(&self, endpoint: &str, after: i64) -> Result<(), StoreError> {
        let endpoint = endpoint.to_owned();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let found = tx
                .execute(
                    "UPDATE webhook_endpoints SET archive_cursor = ?2 WHERE endpoint = ?1",
                    params![endpoint, after],
                )
                .map_err(db_err)?;
            if found == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute(
                "DELETE FROM webhook_outbox WHERE endpoint = ?1 AND archive_id > ?2",
                params![endpoint, after],
            )
            .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }
}

//! [`IdempotencyStore`] on SQLite: the `idempotency_keys` table, one row per (owner,
//! key). A claim purges the owner's expired rows, makes room under the cap and inserts
//! in one IMMEDIATE transaction, so two processes never both claim a key.

use super::{db_err, SqliteStore};
use crate::store::{Claimed, IdempotencyRecord, IdempotencyStore, IdempotentAnswer, KeyClaim, StoreError};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(&self, claim: &KeyClaim<'_>) -> Result<Claimed, StoreError> {
        let (owner, key, fingerprint) = (claim.owner.to_owned(), claim.key.to_owned(), claim.fingerprint.to_vec());
        let (token, now, lease_until, max) = (claim.token, claim.now_ms, claim.lease_until_ms, claim.max_keys);
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            tx.prepare_cached("DELETE FROM idempotency_keys WHERE owner = ?1 AND expires_ms <= ?2")
                .and_then(|mut s| s.execute(params![owner, now]))
                .map_err(db_err)?;
            let held = tx
                .prepare_cached(
                    "SELECT fingerprint, status, body, expires_ms FROM idempotency_keys \
                     WHERE owner = ?1 AND key = ?2",
                )
                .and_then(|mut s| {
                    s.query_row(params![owner, key], |r| {
                        let status: Option<i64> = r.get(1)?;
                        let body: Option<Vec<u8>> = r.get(2)?;
                        Ok(IdempotencyRecord {
                            fingerprint: r.get(0)?,
                            answer: status.map(|status| IdempotentAnswer {
                                status: u16::try_from(status).unwrap_or(0),
                                body: body.unwrap_or_default(),
                            }),
                            expires_ms: r.get(3)?,
                        })
                    })
                    .optional()
                })
                .map_err(db_err)?;
            if let Some(record) = held {
                tx.commit().map_err(db_err)?;
                return Ok(Claimed::Held(record));
            }
            let count = |tx: &rusqlite::Transaction| {
                tx.prepare_cached("SELECT COUNT(*) FROM idempotency_keys WHERE owner = ?1")
                    .and_then(|mut s| s.query_row([&owner], |r| r.get::<_, i64>(0)))
                    .map(|n| n as usize)
                    .map_err(db_err)
            };
            let held = count(&tx)?;
            if held >= max {
                tx.prepare_cached(
                    "DELETE FROM idempotency_keys WHERE owner = ?1 AND key IN \
                     (SELECT key FROM idempotency_keys WHERE owner = ?1 AND status IS NOT NULL \
                      ORDER BY created_ms, key LIMIT ?2)",
                )
                .and_then(|mut s| s.execute(params![owner, (held + 1 - max) as i64]))
                .map_err(db_err)?;
                if count(&tx)? >= max {
                    return Err(StoreError::LimitReached);
                }
            }
            tx.prepare_cached(
                "INSERT INTO idempotency_keys (owner, key, fingerprint, token, created_ms, expires_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| s.execute(params![owner, key, fingerprint, token, now, lease_until]))
            .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            Ok(Claimed::Yes)
        })
        .await
    }

    async fn answer_idempotency_key(
        &self,
        owner: &str,
        key: &str,
        token: i64,
        answer: &IdempotentAnswer,
        expires_ms: i64,
    ) -> Result<bool, StoreError> {
        let (owner, key, answer) = (owner.to_owned(), key.to_owned(), answer.clone());
        self.with_conn(move |conn| {
            conn.prepare_cached(
                "UPDATE idempotency_keys SET status = ?4, body = ?5, expires_ms = ?6 \
                 WHERE owner = ?1 AND key = ?2 AND token = ?3 AND status IS NULL",
            )
            .and_then(|mut s| {
                s.execute(params![
                    owner,
                    key,
                    token,
                    i64::from(answer.status),
                    answer.body,
                    expires_ms
                ])
            })
            .map(|changed| changed == 1)
            .map_err(db_err)
        })
        .await
    }

    async fn release_idempotency_key(&self, owner: &str, key: &str, token: i64) -> Result<(), StoreError> {
        let (owner, key) = (owner.to_owned(), key.to_owned());
        self.with_conn(move |conn| {
            conn.prepare_cached(
                "DELETE FROM idempotency_keys WHERE owner = ?1 AND key = ?2 AND token = ?3 AND status IS NULL",
            )
            .and_then(|mut s| s.execute(params![owner, key, token]))
            .map(|_| ())
            .map_err(db_err)
        })
        .await
    }

    async fn expire_idempotency_keys(&self, now_ms: i64) -> Result<usize, StoreError> {
        self.with_conn(move |conn| {
            conn.prepare_cached("DELETE FROM idempotency_keys WHERE expires_ms <= ?1")
                .and_then(|mut s| s.execute([now_ms]))
                .map_err(db_err)
        })
        .await
    }

    async fn delete_idempotency_keys(&self, owner: &str) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM idempotency_keys WHERE owner = ?1", [&owner])
                .map(|_| ())
                .map_err(db_err)
        })
        .await
    }
}

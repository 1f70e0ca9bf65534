//! [`IdempotencyStore`] on PostgreSQL: the `idempotency_keys` table, one row per (owner,
//! key): the claim token while the request runs (`status` NULL), then its answer.
//!
//! A claim takes a transaction-scoped advisory lock on the owner, then purges the
//! owner's expired rows, looks the key up, makes room under the cap and inserts, all in
//! that transaction: claims of one owner run one at a time across all nodes, so one
//! request holds a key and the cap holds. Answering and releasing are one conditional
//! statement each on the claim's row, which the row lock orders against a takeover.

use super::PgStore;
use crate::store::{Claimed, IdempotencyRecord, IdempotencyStore, IdempotentAnswer, KeyClaim, StoreError};
use async_trait::async_trait;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE idempotency_keys (
    owner TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    fingerprint BYTEA NOT NULL,
    token BIGINT NOT NULL,
    status BIGINT,
    body BYTEA,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (owner, created_ms);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_ms);
"#;

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(&self, claim: &KeyClaim<'_>) -> Result<Claimed, StoreError> {
        let owner = claim.owner;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // Claims of one owner queue here until the holder commits or rolls back.
        self.lock(&tx, "idempotency", owner).await?;
        self.timed(tx.execute(
            "DELETE FROM idempotency_keys WHERE owner = $1 AND expires_ms <= $2",
            &[&owner, &claim.now_ms],
        ))
        .await?;
        let held = self
            .timed(tx.query_opt(
                "SELECT fingerprint, status, body, expires_ms FROM idempotency_keys WHERE owner = $1 AND key = $2",
                &[&owner, &claim.key],
            ))
            .await?;
        if let Some(r) = held {
            let status: Option<i64> = r.get(1);
            let body: Option<Vec<u8>> = r.get(2);
            let record = IdempotencyRecord {
                fingerprint: r.get(0),
                answer: status.map(|status| IdempotentAnswer {
                    status: u16::try_from(status).unwrap_or(0),
                    body: body.unwrap_or_default(),
                }),
                expires_ms: r.get(3),
            };
            // Keeps the purge of the expired rows.
            self.timed(tx.commit()).await?;
            return Ok(Claimed::Held(record));
        }
        let max = i64::try_from(claim.max_keys).unwrap_or(i64::MAX);
        let count = "SELECT COUNT(*) FROM idempotency_keys WHERE owner = $1";
        let held: i64 = self.timed(tx.query_one(count, &[&owner])).await?.get(0);
        if held >= max {
            // Room for this one: the oldest answers go, never a running claim.
            let excess = held + 1 - max;
            self.timed(tx.execute(
                "DELETE FROM idempotency_keys WHERE owner = $1 AND key IN
                 (SELECT key FROM idempotency_keys WHERE owner = $1 AND status IS NOT NULL
                  ORDER BY created_ms, key LIMIT $2)",
                &[&owner, &excess],
            ))
            .await?;
            let left: i64 = self.timed(tx.query_one(count, &[&owner])).await?.get(0);
            if left >= max {
                return Err(StoreError::LimitReached);
            }
        }
        self.timed(tx.execute(
            "INSERT INTO idempotency_keys (owner, key, fingerprint, token, created_ms, expires_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &owner,
                &claim.key,
                &claim.fingerprint,
                &claim.token,
                &claim.now_ms,
                &claim.lease_until_ms,
            ],
        ))
        .await?;
        self.timed(tx.commit()).await?;
        Ok(Claimed::Yes)
    }

    async fn answer_idempotency_key(
        &self,
        owner: &str,
        key: &str,
        token: i64,
        answer: &IdempotentAnswer,
        expires_ms: i64,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        // Autocommit: durable once the statement returns.
        let changed = self
            .timed(client.execute(
                "UPDATE idempotency_keys SET status = $4, body = $5, expires_ms = $6
                 WHERE owner = $1 AND key = $2 AND token = $3 AND status IS NULL",
                &[
                    &owner,
                    &key,
                    &token,
                    &i64::from(answer.status),
                    &answer.body,
                    &expires_ms,
                ],
            ))
            .await?;
        Ok(changed == 1)
    }

    async fn release_idempotency_key(&self, owner: &str, key: &str, token: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        self.timed(client.execute(
            "DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND token = $3 AND status IS NULL",
            &[&owner, &key, &token],
        ))
        .await
        .map(drop)
    }

    async fn expire_idempotency_keys(&self, now_ms: i64) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let n = self
            .timed(client.execute("DELETE FROM idempotency_keys WHERE expires_ms <= $1", &[&now_ms]))
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    async fn delete_idempotency_keys(&self, owner: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        self.timed(client.execute("DELETE FROM idempotency_keys WHERE owner = $1", &[&owner]))
            .await
            .map(drop)
    }
}

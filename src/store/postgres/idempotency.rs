//! [`IdempotencyStore`] on PostgreSQL: the `idempotency_keys` table, one row per (owner,
//! key): the claim token while the request runs (`status` NULL), then its answer; and
//! `idempotency_key_counts`, each owner's number of rows, changed in the transaction of
//! every insert or delete of the owner's rows.
//!
//! A claim takes a transaction-scoped advisory lock on the owner, then looks the key up
//! (an expired row is replaced), reads the owner's count and, only at the cap, removes
//! as many expired rows and then oldest answers as it needs room for (each found in
//! index order), then inserts: claims of one owner run one at a time across all nodes,
//! so one request holds a key and the cap holds, and no claim reads more rows than it
//! removes. Answering is one conditional statement on the claim's row, which the row
//! lock orders against a takeover; releasing deletes that row and lowers the count.
//!
//! The sweep takes a bounded batch of the earliest expired rows' owners, then removes
//! each owner's expired rows under that owner's lock, so it never interleaves with a
//! claim of the same owner. Every transaction touches key rows before the count row,
//! and the count row once, so none waits on another in a cycle.

use super::PgStore;
use crate::store::{Claimed, IdempotencyRecord, IdempotencyStore, IdempotentAnswer, KeyClaim, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Transaction;

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

/// Migration 4: each owner's count of rows (the cap is one read), the owner's rows by
/// expiry and the owner's answered rows by age (what a claim at the cap removes, found
/// without reading the rest).
pub(super) const COUNTS: &str = r#"
CREATE TABLE idempotency_key_counts (
    owner TEXT COLLATE "C" PRIMARY KEY,
    keys BIGINT NOT NULL
);
INSERT INTO idempotency_key_counts (owner, keys)
    SELECT owner, COUNT(*) FROM idempotency_keys GROUP BY owner;
DROP INDEX idempotency_keys_by_age;
CREATE INDEX idempotency_keys_answered_by_age ON idempotency_keys (owner, created_ms, key)
    WHERE status IS NOT NULL;
CREATE INDEX idempotency_keys_by_owner_expiry ON idempotency_keys (owner, expires_ms);
"#;

/// Takes `gone` rows off `owner`'s count (and the count itself when none are left).
async fn lower_count(store: &PgStore, tx: &Transaction<'_>, owner: &str, gone: i64) -> Result<(), StoreError> {
    if gone > 0 {
        store
            .timed(tx.execute(
                "UPDATE idempotency_key_counts SET keys = keys - $2 WHERE owner = $1",
                &[&owner, &gone],
            ))
            .await?;
        store
            .timed(tx.execute(
                "DELETE FROM idempotency_key_counts WHERE owner = $1 AND keys <= 0",
                &[&owner],
            ))
            .await?;
    }
    Ok(())
}

/// Removes at most `limit` of `owner`'s rows expired by `now_ms`, earliest first, and
/// lowers the count; how many went. Under the owner's lock, in `tx`.
async fn drop_expired_of(
    store: &PgStore,
    tx: &Transaction<'_>,
    owner: &str,
    now_ms: i64,
    limit: i64,
) -> Result<i64, StoreError> {
    let gone = store
        .timed(tx.execute(
            "DELETE FROM idempotency_keys WHERE owner = $1 AND key IN
             (SELECT key FROM idempotency_keys WHERE owner = $1 AND expires_ms <= $2
              ORDER BY expires_ms LIMIT $3)",
            &[&owner, &now_ms, &limit],
        ))
        .await?;
    Ok(i64::try_from(gone).unwrap_or(i64::MAX))
}

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(&self, claim: &KeyClaim<'_>) -> Result<Claimed, StoreError> {
        let owner = claim.owner;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // Claims of one owner queue here until the holder commits or rolls back.
        self.lock(&tx, "idempotency", owner).await?;
        let held = self
            .timed(tx.query_opt(
                "SELECT fingerprint, status, body, expires_ms FROM idempotency_keys WHERE owner = $1 AND key = $2",
                &[&owner, &claim.key],
            ))
            .await?;
        if let Some(r) = held {
            let expires_ms: i64 = r.get(3);
            if expires_ms > claim.now_ms {
                let status: Option<i64> = r.get(1);
                let body: Option<Vec<u8>> = r.get(2);
                return Ok(Claimed::Held(IdempotencyRecord {
                    fingerprint: r.get(0),
                    answer: status.map(|status| IdempotentAnswer {
                        status: u16::try_from(status).unwrap_or(0),
                        body: body.unwrap_or_default(),
                    }),
                    expires_ms,
                }));
            }
            // As good as absent: the claim takes its row (and its slot) over.
            self.timed(tx.execute(
                "UPDATE idempotency_keys SET fingerprint = $3, token = $4, status = NULL, body = NULL,
                 created_ms = $5, expires_ms = $6 WHERE owner = $1 AND key = $2",
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
            return Ok(Claimed::Yes);
        }
        let max = i64::try_from(claim.max_keys).unwrap_or(i64::MAX);
        let mut count: i64 = self
            .timed(tx.query_opt("SELECT keys FROM idempotency_key_counts WHERE owner = $1", &[&owner]))
            .await?
            .map_or(0, |r| r.get(0));
        if count >= max {
            // Room for this one: expired rows first, then the oldest answers, never a
            // running claim.
            let need = count + 1 - max;
            let mut gone = drop_expired_of(self, &tx, owner, claim.now_ms, need).await?;
            if gone < need {
                let answers = self
                    .timed(tx.execute(
                        "DELETE FROM idempotency_keys WHERE owner = $1 AND key IN
                         (SELECT key FROM idempotency_keys WHERE owner = $1 AND status IS NOT NULL
                          ORDER BY created_ms, key LIMIT $2)",
                        &[&owner, &(need - gone)],
                    ))
                    .await?;
                gone += i64::try_from(answers).unwrap_or(i64::MAX);
            }
            count = count.saturating_sub(gone);
            if count >= max {
                // Rolled back: nothing removed.
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
        self.timed(tx.execute(
            "INSERT INTO idempotency_key_counts (owner, keys) VALUES ($1, $2)
             ON CONFLICT (owner) DO UPDATE SET keys = EXCLUDED.keys",
            &[&owner, &(count + 1)],
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
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        let gone = self
            .timed(tx.execute(
                "DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND token = $3 AND status IS NULL",
                &[&owner, &key, &token],
            ))
            .await?;
        lower_count(self, &tx, owner, i64::try_from(gone).unwrap_or(0)).await?;
        self.timed(tx.commit()).await
    }

    async fn expire_idempotency_keys(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut client = self.client().await?;
        let owners = self
            .timed(client.query(
                "SELECT DISTINCT owner FROM
                 (SELECT owner FROM idempotency_keys WHERE expires_ms <= $1 ORDER BY expires_ms LIMIT $2) AS due",
                &[&now_ms, &limit],
            ))
            .await?;
        let mut removed: i64 = 0;
        for row in owners {
            if removed >= limit {
                break;
            }
            let owner: String = row.get(0);
            let tx = self.timed(client.transaction()).await?;
            self.lock(&tx, "idempotency", &owner).await?;
            let gone = drop_expired_of(self, &tx, &owner, now_ms, limit - removed).await?;
            lower_count(self, &tx, &owner, gone).await?;
            self.timed(tx.commit()).await?;
            removed += gone;
        }
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }

    async fn delete_idempotency_keys(&self, owner: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.lock(&tx, "idempotency", owner).await?;
        self.timed(tx.execute("DELETE FROM idempotency_keys WHERE owner = $1", &[&owner]))
            .await?;
        self.timed(tx.execute("DELETE FROM idempotency_key_counts WHERE owner = $1", &[&owner]))
            .await?;
        self.timed(tx.commit()).await
    }
}

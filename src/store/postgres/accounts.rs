//! [`AccountStore`] on PostgreSQL: the `accounts` table and the `account_changes` log,
//! each change written in the transaction that makes it.
//!
//! Readers follow the log by position (`seq > last seen`), so positions must become
//! visible in order: a sequence alone does not promise that (a transaction holding a
//! lower number may commit after one holding a higher number), so writers of the log
//! take its table lock first. Account changes are rare; they queue behind each other.

use super::{now_ms, PgStore};
use crate::store::{AccountChange, AccountChangeKind, AccountStore, Credentials, ScramCredential, StoreError};
use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE accounts (
    jid TEXT COLLATE "C" PRIMARY KEY,
    domain TEXT COLLATE "C" NOT NULL,
    sha1_salt BYTEA NOT NULL,
    sha1_iterations INTEGER NOT NULL,
    sha1_stored_key BYTEA NOT NULL,
    sha1_server_key BYTEA NOT NULL,
    sha256_salt BYTEA NOT NULL,
    sha256_iterations INTEGER NOT NULL,
    sha256_stored_key BYTEA NOT NULL,
    sha256_server_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX accounts_by_domain ON accounts (domain, jid);
CREATE TABLE account_changes (
    seq BIGSERIAL PRIMARY KEY,
    jid TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    applied BOOLEAN NOT NULL
);
CREATE INDEX account_changes_unapplied ON account_changes (seq) WHERE NOT applied;
"#;

fn domain_of(jid: &str) -> &str {
    jid.rsplit_once('@').map(|(_, d)| d).unwrap_or(jid)
}

fn read_credentials(row: &Row) -> Credentials {
    let cred = |base: usize| ScramCredential {
        salt: row.get(base),
        iterations: row.get::<_, i32>(base + 1) as u32,
        stored_key: row.get(base + 2),
        server_key: row.get(base + 3),
    };
    Credentials {
        sha1: cred(0),
        sha256: cred(4),
    }
}

fn read_change(row: &Row) -> AccountChange {
    AccountChange {
        seq: row.get(0),
        jid: row.get(1),
        kind: AccountChangeKind::parse(row.get(2)),
        applied: row.get(3),
    }
}

impl PgStore {
    /// Runs one statement on the account `jid` in a transaction and, when it touched a
    /// row, logs the change. [`StoreError::NotFound`] when it touched none.
    async fn change_account(
        &self,
        jid: &str,
        kind: AccountChangeKind,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.timed(tx.batch_execute("LOCK TABLE account_changes IN EXCLUSIVE MODE"))
            .await?;
        if self.timed(tx.execute(sql, params)).await? == 0 {
            return Err(StoreError::NotFound);
        }
        self.timed(tx.execute(
            "INSERT INTO account_changes (jid, kind, applied) VALUES ($1, $2, $3)",
            &[&jid, &kind.as_str(), &!kind.needs_applying()],
        ))
        .await?;
        self.timed(tx.commit()).await
    }

    async fn changes(&self, filter: &str, param: &(dyn ToSql + Sync)) -> Result<Vec<AccountChange>, StoreError> {
        let client = self.client().await?;
        let sql = format!("SELECT seq, jid, kind, applied FROM account_changes WHERE {filter} ORDER BY seq");
        let rows = self.timed(client.query(&sql, &[param])).await?;
        Ok(rows.iter().map(read_change).collect())
    }
}

#[async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, jid: &str, c: &Credentials) -> Result<(), StoreError> {
        let created = self
            .change_account(
                jid,
                AccountChangeKind::Created,
                "INSERT INTO accounts VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (jid) DO NOTHING",
                &[
                    &jid,
                    &domain_of(jid),
                    &c.sha1.salt,
                    &(c.sha1.iterations as i32),
                    &c.sha1.stored_key,
                    &c.sha1.server_key,
                    &c.sha256.salt,
                    &(c.sha256.iterations as i32),
                    &c.sha256.stored_key,
                    &c.sha256.server_key,
                    &now_ms(),
                ],
            )
            .await;
        match created {
            // Nothing inserted: the JID is taken.
            Err(StoreError::NotFound) => Err(StoreError::Conflict),
            other => other,
        }
    }

    async fn credentials(&self, jid: &str) -> Result<Option<Credentials>, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_opt(
                "SELECT sha1_salt, sha1_iterations, sha1_stored_key, sha1_server_key,
                        sha256_salt, sha256_iterations, sha256_stored_key, sha256_server_key
                 FROM accounts WHERE jid = $1",
                &[&jid],
            ))
            .await?;
        Ok(row.as_ref().map(read_credentials))
    }

    async fn set_credentials(&self, jid: &str, c: &Credentials) -> Result<(), StoreError> {
        self.change_account(
            jid,
            AccountChangeKind::PasswordChanged,
            "UPDATE accounts SET sha1_salt = $2, sha1_iterations = $3, sha1_stored_key = $4,
                    sha1_server_key = $5, sha256_salt = $6, sha256_iterations = $7,
                    sha256_stored_key = $8, sha256_server_key = $9
             WHERE jid = $1",
            &[
                &jid,
                &c.sha1.salt,
                &(c.sha1.iterations as i32),
                &c.sha1.stored_key,
                &c.sha1.server_key,
                &c.sha256.salt,
                &(c.sha256.iterations as i32),
                &c.sha256.stored_key,
                &c.sha256.server_key,
            ],
        )
        .await
    }

    async fn delete_account(&self, jid: &str) -> Result<(), StoreError> {
        self.change_account(
            jid,
            AccountChangeKind::Removed,
            "DELETE FROM accounts WHERE jid = $1",
            &[&jid],
        )
        .await
    }

    async fn list_accounts(
        &self,
        domain: &str,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let after = after.unwrap_or_default();
        let limit: Option<i64> = limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = self
            .timed(client.query(
                "SELECT jid FROM accounts WHERE domain = $1 AND jid > $2 ORDER BY jid LIMIT $3",
                &[&domain, &after, &limit],
            ))
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn count_accounts(&self, domain: &str) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_one("SELECT COUNT(*) FROM accounts WHERE domain = $1", &[&domain]))
            .await?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    async fn account_changes(&self, after: i64) -> Result<Vec<AccountChange>, StoreError> {
        self.changes("seq > $1", &after).await
    }

    async fn unapplied_account_changes(&self) -> Result<Vec<AccountChange>, StoreError> {
        self.changes("applied = $1", &false).await
    }

    async fn mark_account_change_applied(&self, seq: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        let n = self
            .timed(client.execute("UPDATE account_changes SET applied = TRUE WHERE seq = $1", &[&seq]))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn last_account_change(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM account_changes", &[]))
            .await?;
        Ok(row.get(0))
    }
}

//! [`AccountStore`] on SQLite: the `accounts` table and the `account_changes` log, each
//! change written in the transaction that makes it.

use super::{db_err, now_ms, SqliteStore};
use crate::store::{AccountChange, AccountChangeKind, AccountStore, Credentials, ScramCredential, StoreError};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

fn domain_of(jid: &str) -> &str {
    jid.rsplit_once('@').map(|(_, d)| d).unwrap_or(jid)
}

/// Runs one statement on the account `jid` in a transaction and, when it touched a row,
/// logs the change for other processes sharing the database. [`StoreError::NotFound`]
/// when it touched none.
fn change_account(
    conn: &mut Connection,
    jid: &str,
    kind: AccountChangeKind,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<(), StoreError> {
    let tx = conn.transaction().map_err(db_err)?;
    if tx.execute(sql, params).map_err(db_err)? == 0 {
        return Err(StoreError::NotFound);
    }
    tx.execute(
        "INSERT INTO account_changes (jid, kind, applied) VALUES (?1, ?2, ?3)",
        params![jid, kind.as_str(), !kind.needs_applying()],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)
}

fn read_credentials(row: &rusqlite::Row<'_>) -> rusqlite::Result<Credentials> {
    let cred = |base: usize| -> rusqlite::Result<ScramCredential> {
        Ok(ScramCredential {
            salt: row.get(base)?,
            iterations: row.get(base + 1)?,
            stored_key: row.get(base + 2)?,
            server_key: row.get(base + 3)?,
        })
    };
    Ok(Credentials {
        sha1: cred(0)?,
        sha256: cred(4)?,
    })
}

fn read_change(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccountChange> {
    Ok(AccountChange {
        seq: row.get(0)?,
        jid: row.get(1)?,
        kind: AccountChangeKind::parse(&row.get::<_, String>(2)?),
        applied: row.get(3)?,
    })
}

fn changes(conn: &Connection, filter: &str, param: i64) -> Result<Vec<AccountChange>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT seq, jid, kind, applied FROM account_changes WHERE {filter} ORDER BY seq"
        ))
        .map_err(db_err)?;
    let rows = stmt.query_map([param], read_change).map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, jid: &str, c: &Credentials) -> Result<(), StoreError> {
        let jid = jid.to_owned();
        let c = c.clone();
        self.with_conn(move |conn| {
            let created = change_account(
                conn,
                &jid,
                AccountChangeKind::Created,
                "INSERT INTO accounts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (jid) DO NOTHING",
                params![
                    jid,
                    domain_of(&jid),
                    c.sha1.salt,
                    c.sha1.iterations,
                    c.sha1.stored_key,
                    c.sha1.server_key,
                    c.sha256.salt,
                    c.sha256.iterations,
                    c.sha256.stored_key,
                    c.sha256.server_key,
                    now_ms()
                ],
            );
            match created {
                // Nothing inserted: the JID is taken.
                Err(StoreError::NotFound) => Err(StoreError::Conflict),
                other => other,
            }
        })
        .await
    }

    async fn credentials(&self, jid: &str) -> Result<Option<Credentials>, StoreError> {
        let jid = jid.to_owned();
        self.with_conn(move |conn| {
            conn.prepare_cached(
                "SELECT sha1_salt, sha1_iterations, sha1_stored_key, sha1_server_key,
                        sha256_salt, sha256_iterations, sha256_stored_key, sha256_server_key
                 FROM accounts WHERE jid = ?1",
            )
            .and_then(|mut s| s.query_row([&jid], read_credentials).optional())
            .map_err(db_err)
        })
        .await
    }

    async fn set_credentials(&self, jid: &str, c: &Credentials) -> Result<(), StoreError> {
        let jid = jid.to_owned();
        let c = c.clone();
        self.with_conn(move |conn| {
            change_account(
                conn,
                &jid,
                AccountChangeKind::PasswordChanged,
                "UPDATE accounts SET sha1_salt = ?2, sha1_iterations = ?3, sha1_stored_key = ?4,
                        sha1_server_key = ?5, sha256_salt = ?6, sha256_iterations = ?7,
                        sha256_stored_key = ?8, sha256_server_key = ?9
                     WHERE jid = ?1",
                params![
                    jid,
                    c.sha1.salt,
                    c.sha1.iterations,
                    c.sha1.stored_key,
                    c.sha1.server_key,
                    c.sha256.salt,
                    c.sha256.iterations,
                    c.sha256.stored_key,
                    c.sha256.server_key
                ],
            )
        })
        .await
    }

    async fn delete_account(&self, jid: &str) -> Result<(), StoreError> {
        let jid = jid.to_owned();
        self.with_conn(move |conn| {
            change_account(
                conn,
                &jid,
                AccountChangeKind::Removed,
                "DELETE FROM accounts WHERE jid = ?1",
                [&jid],
            )
        })
        .await
    }

    async fn list_accounts(
        &self,
        domain: &str,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<String>, StoreError> {
        let domain = domain.to_owned();
        let after = after.unwrap_or_default().to_owned();
        // SQLite reads a negative LIMIT as none.
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT jid FROM accounts WHERE domain = ?1 AND jid > ?2 ORDER BY jid LIMIT ?3")
                .map_err(db_err)?;
            let rows = stmt
                .query_map(rusqlite::params![domain, after, limit], |r| r.get::<_, String>(0))
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn count_accounts(&self, domain: &str) -> Result<u64, StoreError> {
        let domain = domain.to_owned();
        self.with_conn(move |conn| {
            conn.prepare_cached("SELECT COUNT(*) FROM accounts WHERE domain = ?1")
                .and_then(|mut s| s.query_row([&domain], |r| r.get::<_, i64>(0)))
                .map(|n| n.max(0) as u64)
                .map_err(db_err)
        })
        .await
    }

    async fn account_changes(&self, after: i64) -> Result<Vec<AccountChange>, StoreError> {
        self.with_conn(move |conn| changes(conn, "seq > ?1", after)).await
    }

    async fn unapplied_account_changes(&self) -> Result<Vec<AccountChange>, StoreError> {
        self.with_conn(|conn| changes(conn, "applied = ?1", 0)).await
    }

    async fn mark_account_change_applied(&self, seq: i64) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            let n = conn
                .execute("UPDATE account_changes SET applied = 1 WHERE seq = ?1", [seq])
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn last_account_change(&self) -> Result<i64, StoreError> {
        self.with_conn(|conn| {
            conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM account_changes", [], |r| r.get(0))
                .map_err(db_err)
        })
        .await
    }
}

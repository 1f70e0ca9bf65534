//! [`IdempotencyStore`] on SQLite: the `idempotency_keys` table, one row per (owner,
//! key), and `idempotency_key_counts`, each owner's number of rows, changed in the same
//! transaction as every insert or delete of the owner's rows.
//!
//! A claim is one IMMEDIATE transaction (so two processes never both claim a key) whose
//! statements ([`CLAIM`]) each read or write a bounded number of rows found by an index:
//! the key by the primary key, the owner's count by its own, and, only at the cap, as
//! many of the owner's expired rows (by `(owner, expires_ms)`) and then oldest answers
//! (by the partial index of answered rows, `(owner, created_ms, key)`) as the claim needs
//! room for. Expired rows are otherwise left to the sweep, which removes them in batches
//! of a bounded size, earliest expired first, by the `expires_ms` index.

use super::{db_err, SqliteStore};
use crate::store::{Claimed, IdempotencyRecord, IdempotencyStore, IdempotentAnswer, KeyClaim, StoreError};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::BTreeMap;

/// The statements of a claim (and of the sweep), by what they do; the tests check each
/// one's plan reads by an index, in index order when it is limited.
mod sql {
    pub(super) const READ_KEY: &str = "SELECT fingerprint, status, body, expires_ms FROM idempotency_keys \
                                       WHERE owner = ?1 AND key = ?2";
    pub(super) const REPLACE_EXPIRED: &str = "UPDATE idempotency_keys SET fingerprint = ?3, token = ?4, \
         status = NULL, body = NULL, created_ms = ?5, expires_ms = ?6 WHERE owner = ?1 AND key = ?2";
    pub(super) const READ_COUNT: &str = "SELECT keys FROM idempotency_key_counts WHERE owner = ?1";
    pub(super) const DROP_EXPIRED_OF_OWNER: &str = "DELETE FROM idempotency_keys WHERE owner = ?1 AND key IN \
         (SELECT key FROM idempotency_keys WHERE owner = ?1 AND expires_ms <= ?2 \
          ORDER BY expires_ms LIMIT ?3)";
    pub(super) const DROP_OLDEST_ANSWERS: &str = "DELETE FROM idempotency_keys WHERE owner = ?1 AND key IN \
         (SELECT key FROM idempotency_keys WHERE owner = ?1 AND status IS NOT NULL \
          ORDER BY created_ms, key LIMIT ?2)";
    pub(super) const INSERT: &str = "INSERT INTO idempotency_keys \
         (owner, key, fingerprint, token, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    pub(super) const SET_COUNT: &str = "INSERT INTO idempotency_key_counts (owner, keys) VALUES (?1, ?2) \
         ON CONFLICT (owner) DO UPDATE SET keys = excluded.keys";
    pub(super) const LOWER_COUNT: &str = "UPDATE idempotency_key_counts SET keys = keys - ?2 WHERE owner = ?1";
    pub(super) const DROP_EMPTY_COUNT: &str = "DELETE FROM idempotency_key_counts WHERE owner = ?1 AND keys <= 0";
    pub(super) const SWEEP: &str = "DELETE FROM idempotency_keys WHERE (owner, key) IN \
         (SELECT owner, key FROM idempotency_keys WHERE expires_ms <= ?1 ORDER BY expires_ms LIMIT ?2) \
         RETURNING owner";
}

/// Every statement a claim may run.
#[cfg(test)]
const CLAIM: &[&str] = &[
    sql::READ_KEY,
    sql::REPLACE_EXPIRED,
    sql::READ_COUNT,
    sql::DROP_EXPIRED_OF_OWNER,
    sql::DROP_OLDEST_ANSWERS,
    sql::INSERT,
    sql::SET_COUNT,
];

/// Runs `statement` (a delete or update with these parameters); how many rows it changed.
fn exec(tx: &Transaction, statement: &str, p: impl rusqlite::Params) -> Result<usize, StoreError> {
    tx.prepare_cached(statement)
        .and_then(|mut s| s.execute(p))
        .map_err(db_err)
}

/// Takes `gone` rows off `owner`'s count (and the count itself when none are left).
fn lower_count(tx: &Transaction, owner: &str, gone: usize) -> Result<(), StoreError> {
    if gone > 0 {
        exec(tx, sql::LOWER_COUNT, params![owner, gone as i64])?;
        exec(tx, sql::DROP_EMPTY_COUNT, params![owner])?;
    }
    Ok(())
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(&self, claim: &KeyClaim<'_>) -> Result<Claimed, StoreError> {
        let (owner, key, fingerprint) = (claim.owner.to_owned(), claim.key.to_owned(), claim.fingerprint.to_vec());
        let (token, now, lease_until, max) = (claim.token, claim.now_ms, claim.lease_until_ms, claim.max_keys);
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let held = tx
                .prepare_cached(sql::READ_KEY)
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
            match held {
                Some(record) if record.expires_ms > now => {
                    tx.commit().map_err(db_err)?;
                    return Ok(Claimed::Held(record));
                }
                // As good as absent: the claim takes its row (and its slot) over.
                Some(_) => {
                    exec(
                        &tx,
                        sql::REPLACE_EXPIRED,
                        params![owner, key, fingerprint, token, now, lease_until],
                    )?;
                    tx.commit().map_err(db_err)?;
                    return Ok(Claimed::Yes);
                }
                None => {}
            }
            let mut count = tx
                .prepare_cached(sql::READ_COUNT)
                .and_then(|mut s| s.query_row([&owner], |r| r.get::<_, i64>(0)).optional())
                .map_err(db_err)?
                .map_or(0, |n| usize::try_from(n).unwrap_or(0));
            if count >= max {
                // Room for this one: expired rows first, then the oldest answers, never a
                // running claim.
                let need = count + 1 - max;
                let mut gone = exec(&tx, sql::DROP_EXPIRED_OF_OWNER, params![owner, now, need as i64])?;
                if gone < need {
                    gone += exec(&tx, sql::DROP_OLDEST_ANSWERS, params![owner, (need - gone) as i64])?;
                }
                count = count.saturating_sub(gone);
                if count >= max {
                    // Rolled back: nothing removed.
                    return Err(StoreError::LimitReached);
                }
            }
            exec(
                &tx,
                sql::INSERT,
                params![owner, key, fingerprint, token, now, lease_until],
            )?;
            exec(&tx, sql::SET_COUNT, params![owner, (count + 1) as i64])?;
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
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let gone = exec(
                &tx,
                "DELETE FROM idempotency_keys WHERE owner = ?1 AND key = ?2 AND token = ?3 AND status IS NULL",
                params![owner, key, token],
            )?;
            lower_count(&tx, &owner, gone)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn expire_idempotency_keys(&self, now_ms: i64, limit: usize) -> Result<usize, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let mut per_owner: BTreeMap<String, usize> = BTreeMap::new();
            tx.prepare_cached(sql::SWEEP)
                .and_then(|mut s| {
                    let mut rows = s.query(params![now_ms, limit])?;
                    while let Some(row) = rows.next()? {
                        *per_owner.entry(row.get(0)?).or_default() += 1;
                    }
                    Ok(())
                })
                .map_err(db_err)?;
            for (owner, gone) in &per_owner {
                lower_count(&tx, owner, *gone)?;
            }
            tx.commit().map_err(db_err)?;
            Ok(per_owner.values().sum())
        })
        .await
    }

    async fn delete_idempotency_keys(&self, owner: &str) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            exec(&tx, "DELETE FROM idempotency_keys WHERE owner = ?1", [&owner])?;
            exec(&tx, "DELETE FROM idempotency_key_counts WHERE owner = ?1", [&owner])?;
            tx.commit().map_err(db_err)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    //! A claim's cost does not grow with the keys its owner holds: every statement it
    //! runs reads by an index, and one that may touch many of the owner's rows stops at
    //! its `LIMIT` in index order. The statements of the old claim (a `DELETE` of the
    //! owner's expired rows, a `COUNT(*)` of the owner's rows) fail these checks.

    use super::{sql, CLAIM};
    use rusqlite::{params_from_iter, types::Null, Connection};

    fn migrated() -> Connection {
        let conn = Connection::open_in_memory().expect("an in-memory database opens");
        for m in super::super::MIGRATIONS {
            conn.execute_batch(m).expect("the migrations apply");
        }
        conn
    }

    /// The plan of `statement`, one step a line.
    fn plan(conn: &Connection, statement: &str) -> Vec<String> {
        let mut s = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {statement}"))
            .expect("the statement prepares");
        let nulls = std::iter::repeat_n(Null, s.parameter_count());
        s.query_map(params_from_iter(nulls), |r| r.get::<_, String>(3))
            .and_then(|rows| rows.collect())
            .expect("the plan reads")
    }

    /// What is wrong with `statement`'s plan, if anything.
    fn unbounded(conn: &Connection, statement: &str) -> Option<String> {
        let steps = plan(conn, statement);
        let limited = statement.contains("LIMIT") && !steps.iter().any(|s| s.contains("TEMP B-TREE"));
        if statement.to_uppercase().contains("COUNT(") {
            return Some(format!("counts rows: {statement}"));
        }
        for step in &steps {
            if step.starts_with("SCAN") {
                return Some(format!("scans a table ({step}): {statement}"));
            }
            // Anything but one key's row may be many rows: only a LIMIT reached in index
            // order bounds the read.
            let one_row = step.contains("idempotency_key_counts") || step.ends_with("(owner=? AND key=?)");
            if step.starts_with("SEARCH") && !one_row && !limited {
                return Some(format!("reads an unbounded range ({step}): {statement}"));
            }
        }
        None
    }

    #[test]
    fn a_claim_reads_only_what_it_needs_by_an_index() {
        let conn = migrated();
        let faults: Vec<_> = CLAIM
            .iter()
            .chain([&sql::SWEEP])
            .filter_map(|s| unbounded(&conn, s))
            .collect();
        assert!(faults.is_empty(), "{faults:#?}");
    }

    #[test]
    fn the_checks_catch_a_per_owner_count_and_sweep() {
        let conn = migrated();
        for old in [
            "DELETE FROM idempotency_keys WHERE owner = ?1 AND expires_ms <= ?2",
            "SELECT COUNT(*) FROM idempotency_keys WHERE owner = ?1",
            "SELECT key FROM idempotency_keys WHERE owner = ?1 ORDER BY token LIMIT 1",
        ] {
            assert!(unbounded(&conn, old).is_some(), "{old}: {:?}", plan(&conn, old));
        }
    }
}

//! [`RosterStore`] on SQLite: the `roster` table; updates run in an IMMEDIATE
//! transaction, so the read and the write of one item hold the database's write lock
//! together (no other connection or process can interleave).

use super::{db_err, SqliteStore};
use crate::store::{Cause, EditFn, RosterEdit, RosterItem, RosterStore, RosterUpdate, StoreError, Subscription};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

const COLUMNS: &str = "contact, name, groups, subscription, ask_out, pending_in, in_roster";

/// Reads the [`COLUMNS`] of a row, starting at column `at`.
fn read_item_at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<RosterItem> {
    let groups: String = row.get(at + 2)?;
    let subscription: String = row.get(at + 3)?;
    Ok(RosterItem {
        contact: row.get(at)?,
        name: row.get(at + 1)?,
        // Written by us as a JSON array; anything else reads as no groups.
        groups: serde_json::from_str(&groups).unwrap_or_default(),
        subscription: Subscription::parse(&subscription).unwrap_or_default(),
        ask_out: row.get(at + 4)?,
        pending_in: row.get(at + 5)?,
        in_roster: row.get(at + 6)?,
    })
}

fn read_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<RosterItem> {
    read_item_at(row, 0)
}

fn count_items(conn: &Connection, owner: &str) -> Result<usize, StoreError> {
    conn.query_row("SELECT COUNT(*) FROM roster WHERE owner = ?1", [owner], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as usize)
    .map_err(db_err)
}

fn get_item(conn: &Connection, owner: &str, contact: &str) -> Result<Option<RosterItem>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM roster WHERE owner = ?1 AND contact = ?2"
    ))
    .and_then(|mut s| s.query_row([owner, contact], read_item).optional())
    .map_err(db_err)
}

fn put_item(conn: &Connection, owner: &str, item: &RosterItem) -> Result<(), StoreError> {
    let groups = serde_json::to_string(&item.groups).map_err(|e| StoreError::Failed(Cause::new(e)))?;
    conn.prepare_cached(
        "INSERT INTO roster (owner, contact, name, groups, subscription, ask_out, pending_in, in_roster)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (owner, contact) DO UPDATE SET name = excluded.name, groups = excluded.groups,
            subscription = excluded.subscription, ask_out = excluded.ask_out,
            pending_in = excluded.pending_in, in_roster = excluded.in_roster",
    )
    .and_then(|mut s| {
        s.execute(params![
            owner,
            item.contact,
            item.name,
            groups,
            item.subscription.as_str(),
            item.ask_out,
            item.pending_in,
            item.in_roster
        ])
    })
    .map(|_| ())
    .map_err(db_err)
}

#[async_trait]
impl RosterStore for SqliteStore {
    async fn roster(&self, owner: &str) -> Result<Vec<RosterItem>, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM roster WHERE owner = ?1 ORDER BY contact"
                ))
                .map_err(db_err)?;
            let rows = stmt.query_map([&owner], read_item).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn roster_item(&self, owner: &str, contact: &str) -> Result<Option<RosterItem>, StoreError> {
        let (owner, contact) = (owner.to_owned(), contact.to_owned());
        self.with_conn(move |conn| get_item(conn, &owner, &contact)).await
    }

    async fn update_roster_item(
        &self,
        owner: &str,
        contact: &str,
        max_items: usize,
        edit: EditFn,
    ) -> Result<RosterUpdate, StoreError> {
        let (owner, contact) = (owner.to_owned(), contact.to_owned());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let before = get_item(&tx, &owner, &contact)?;
            let after = match edit(before.as_ref()) {
                RosterEdit::Keep => {
                    return Ok(RosterUpdate {
                        after: before.clone(),
                        before,
                    })
                }
                RosterEdit::Put(item) if item.contact != contact => {
                    return Err(StoreError::Failed(Cause::msg("roster edit changed the contact")))
                }
                RosterEdit::Put(_) if before.is_none() && count_items(&tx, &owner)? >= max_items => {
                    return Err(StoreError::LimitReached);
                }
                RosterEdit::Put(item) => {
                    put_item(&tx, &owner, &item)?;
                    Some(item)
                }
                RosterEdit::Delete => {
                    tx.execute(
                        "DELETE FROM roster WHERE owner = ?1 AND contact = ?2",
                        [&owner, &contact],
                    )
                    .map_err(db_err)?;
                    None
                }
            };
            tx.commit().map_err(db_err)?;
            Ok(RosterUpdate { before, after })
        })
        .await
    }

    async fn remove_contact_everywhere(&self, contact: &str) -> Result<Vec<(String, RosterItem)>, StoreError> {
        let contact = contact.to_owned();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let removed = {
                let mut stmt = tx
                    .prepare_cached(&format!(
                        "SELECT owner, {COLUMNS} FROM roster WHERE contact = ?1 ORDER BY owner"
                    ))
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([&contact], |r| Ok((r.get::<_, String>(0)?, read_item_at(r, 1)?)))
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)?
            };
            tx.execute("DELETE FROM roster WHERE contact = ?1", [&contact])
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            Ok(removed)
        })
        .await
    }

    async fn delete_roster(&self, owner: &str) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM roster WHERE owner = ?1", [&owner])
                .map(|_| ())
                .map_err(db_err)
        })
        .await
    }
}

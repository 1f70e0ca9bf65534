//! [`RosterStore`] on PostgreSQL: the `roster` table, one row per (owner, contact).
//!
//! An update is atomic across nodes: its transaction first takes an advisory lock on the
//! (owner, contact) key, which serializes updates of one item even while its row does
//! not exist yet (two nodes cannot both create it), then reads the row `FOR UPDATE`, so
//! the removals that do not take that lock ([`RosterStore::remove_contact_everywhere`],
//! [`RosterStore::delete_roster`]) either wait for the update or are seen by it. A new
//! item is counted against the roster's size under a second advisory lock, on the owner,
//! held until the insert commits, so concurrent additions cannot exceed the limit.
//!
//! Locks are always taken item first, then owner, so two updates never wait on each
//! other in a cycle. Contacts sort bytewise (`COLLATE "C"`), as in the other backends,
//! whatever the database's locale.

use super::PgStore;
use crate::store::{Cause, EditFn, RosterEdit, RosterItem, RosterStore, RosterUpdate, StoreError, Subscription};
use async_trait::async_trait;
use tokio_postgres::Row;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE roster (
    owner TEXT COLLATE "C" NOT NULL,
    contact TEXT COLLATE "C" NOT NULL,
    name TEXT,
    groups TEXT[] NOT NULL DEFAULT '{}',
    subscription TEXT NOT NULL DEFAULT 'none',
    ask_out BOOLEAN NOT NULL DEFAULT FALSE,
    pending_in BOOLEAN NOT NULL DEFAULT FALSE,
    in_roster BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (owner, contact)
);
CREATE INDEX roster_by_contact ON roster (contact, owner);
"#;

const COLUMNS: &str = "contact, name, groups, subscription, ask_out, pending_in, in_roster";

/// Reads the [`COLUMNS`] of a row, starting at column `at`.
fn read_item_at(row: &Row, at: usize) -> RosterItem {
    RosterItem {
        contact: row.get(at),
        name: row.get(at + 1),
        groups: row.get(at + 2),
        // Written by us from `Subscription::as_str`; anything else reads as none, as on
        // SQLite.
        subscription: Subscription::parse(row.get(at + 3)).unwrap_or_default(),
        ask_out: row.get(at + 4),
        pending_in: row.get(at + 5),
        in_roster: row.get(at + 6),
    }
}

fn read_item(row: &Row) -> RosterItem {
    read_item_at(row, 0)
}

#[async_trait]
impl RosterStore for PgStore {
    async fn roster(&self, owner: &str) -> Result<Vec<RosterItem>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                &format!("SELECT {COLUMNS} FROM roster WHERE owner = $1 ORDER BY contact"),
                &[&owner],
            ))
            .await?;
        Ok(rows.iter().map(read_item).collect())
    }

    async fn roster_item(&self, owner: &str, contact: &str) -> Result<Option<RosterItem>, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_opt(
                &format!("SELECT {COLUMNS} FROM roster WHERE owner = $1 AND contact = $2"),
                &[&owner, &contact],
            ))
            .await?;
        Ok(row.as_ref().map(read_item))
    }

    async fn update_roster_item(
        &self,
        owner: &str,
        contact: &str,
        max_items: usize,
        edit: EditFn,
    ) -> Result<RosterUpdate, StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.lock(&tx, "roster item", &format!("{owner} {contact}")).await?;
        let before = self
            .timed(tx.query_opt(
                &format!("SELECT {COLUMNS} FROM roster WHERE owner = $1 AND contact = $2 FOR UPDATE"),
                &[&owner, &contact],
            ))
            .await?
            .as_ref()
            .map(read_item);
        // Leaving early drops `tx`, which rolls back and releases the locks.
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
            RosterEdit::Put(item) => {
                if before.is_none() {
                    self.lock(&tx, "roster", owner).await?;
                    let held: i64 = self
                        .timed(tx.query_one("SELECT COUNT(*) FROM roster WHERE owner = $1", &[&owner]))
                        .await?
                        .get(0);
                    if usize::try_from(held).unwrap_or(usize::MAX) >= max_items {
                        return Err(StoreError::LimitReached);
                    }
                }
                self.timed(tx.execute(
                    "INSERT INTO roster (owner, contact, name, groups, subscription, ask_out, pending_in, in_roster)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (owner, contact) DO UPDATE SET name = excluded.name, groups = excluded.groups,
                        subscription = excluded.subscription, ask_out = excluded.ask_out,
                        pending_in = excluded.pending_in, in_roster = excluded.in_roster",
                    &[
                        &owner,
                        &item.contact,
                        &item.name,
                        &item.groups,
                        &item.subscription.as_str(),
                        &item.ask_out,
                        &item.pending_in,
                        &item.in_roster,
                    ],
                ))
                .await?;
                Some(item)
            }
            RosterEdit::Delete => {
                self.timed(tx.execute(
                    "DELETE FROM roster WHERE owner = $1 AND contact = $2",
                    &[&owner, &contact],
                ))
                .await?;
                None
            }
        };
        self.timed(tx.commit()).await?;
        Ok(RosterUpdate { before, after })
    }

    async fn remove_contact_everywhere(&self, contact: &str) -> Result<Vec<(String, RosterItem)>, StoreError> {
        let client = self.client().await?;
        // One statement: what it returns is exactly what it removed, each row after any
        // update that held it locked.
        let rows = self
            .timed(client.query(
                &format!(
                    "WITH removed AS (DELETE FROM roster WHERE contact = $1 RETURNING owner, {COLUMNS})
                     SELECT owner, {COLUMNS} FROM removed ORDER BY owner"
                ),
                &[&contact],
            ))
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), read_item_at(r, 1))).collect())
    }

    async fn delete_roster(&self, owner: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        self.timed(client.execute("DELETE FROM roster WHERE owner = $1", &[&owner]))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{private_server, PgSettings};
    use super::*;

    /// Two nodes on one fresh database.
    async fn two_nodes() -> (PgStore, PgStore) {
        let settings = PgSettings {
            url: private_server::shared().fresh_database().unwrap(),
            pool_size: 8,
            ..PgSettings::default()
        };
        let (a, b) = tokio::join!(PgStore::connect(&settings), PgStore::connect(&settings));
        (a.unwrap(), b.unwrap())
    }

    #[tokio::test]
    async fn nodes_adding_contacts_at_once_never_exceed_the_limit_or_lose_a_change() {
        let (a, b) = two_nodes().await;
        let nodes = [std::sync::Arc::new(a), std::sync::Arc::new(b)];
        let mut tasks = Vec::new();
        for i in 0..16 {
            let node = nodes[i % 2].clone();
            tasks.push(tokio::spawn(async move {
                let contact = format!("c{i}@localhost");
                let item = RosterItem::new(&contact);
                node.update_roster_item("alice@localhost", &contact, 5, Box::new(move |_| RosterEdit::Put(item)))
                    .await
            }));
            let node = nodes[(i + 1) % 2].clone();
            tasks.push(tokio::spawn(async move {
                node.update_roster_item(
                    "bob@localhost",
                    "alice@localhost",
                    usize::MAX,
                    Box::new(move |old| {
                        let mut item = old.cloned().unwrap_or_else(|| RosterItem::new("alice@localhost"));
                        item.groups.push(format!("g{i}"));
                        RosterEdit::Put(item)
                    }),
                )
                .await
            }));
        }
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => {}
                Err(StoreError::LimitReached) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(refused, 11);
        assert_eq!(nodes[0].roster("alice@localhost").await.unwrap().len(), 5);
        let item = nodes[1]
            .roster_item("bob@localhost", "alice@localhost")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(item.groups.len(), 16, "{:?}", item.groups);
    }
}

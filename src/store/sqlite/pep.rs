//! [`PepStore`] on SQLite: `pep_nodes` (one row per node, its configuration as JSON so
//! that a new option needs no migration) and `pep_items` (one row per item; `seq` orders
//! a node's items by publication, and a republished id gets a new, larger `seq`).
//! Writes run in IMMEDIATE transactions, so a publication's checks and writes hold the
//! write lock together against every other connection and process.

use super::{db_err, now_ms, SqliteStore};
use crate::store::{NodeConfig, PepItem, PepLimits, PepNode, PepStore, Publication, Published, StoreError};
use async_trait::async_trait;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};

fn get_config(conn: &Connection, owner: &str, node: &str) -> Result<Option<NodeConfig>, StoreError> {
    let json: Option<String> = conn
        .prepare_cached("SELECT config FROM pep_nodes WHERE owner = ?1 AND node = ?2")
        .and_then(|mut s| s.query_row([owner, node], |r| r.get(0)).optional())
        .map_err(db_err)?;
    json.map(|j| NodeConfig::decode(owner, node, &j)).transpose()
}

fn count_nodes(conn: &Connection, owner: &str) -> Result<usize, StoreError> {
    conn.prepare_cached("SELECT COUNT(*) FROM pep_nodes WHERE owner = ?1")
        .and_then(|mut s| s.query_row([owner], |r| r.get::<_, i64>(0)))
        .map(|n| n as usize)
        .map_err(db_err)
}

fn insert_node(conn: &Connection, owner: &str, node: &str, config: &NodeConfig) -> Result<(), StoreError> {
    let json = NodeConfig::encode(config)?;
    conn.prepare_cached("INSERT INTO pep_nodes (owner, node, config, created_at) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| s.execute(params![owner, node, json, now_ms()]))
        .map(|_| ())
        .map_err(db_err)
}

/// Deletes the oldest items of a node beyond what its configuration keeps.
fn trim(conn: &Connection, owner: &str, node: &str, config: &NodeConfig, max_items: usize) -> Result<(), StoreError> {
    let keep = if config.persist_items {
        config.items_kept(max_items)
    } else {
        0
    };
    conn.prepare_cached(
        "DELETE FROM pep_items WHERE owner = ?1 AND node = ?2 AND seq NOT IN
           (SELECT seq FROM pep_items WHERE owner = ?1 AND node = ?2 ORDER BY seq DESC LIMIT ?3)",
    )
    .and_then(|mut s| s.execute(params![owner, node, keep as i64]))
    .map(|_| ())
    .map_err(db_err)
}

fn read_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<PepItem> {
    Ok(PepItem {
        id: row.get(0)?,
        payload: row.get(1)?,
        published_ms: row.get(2)?,
    })
}

/// Owners per `last_pep_items` query: far below SQLite's bound on parameters.
const OWNERS_PER_QUERY: usize = 400;

#[async_trait]
impl PepStore for SqliteStore {
    async fn pep_node(&self, owner: &str, node: &str) -> Result<Option<NodeConfig>, StoreError> {
        let (owner, node) = (owner.to_owned(), node.to_owned());
        self.with_conn(move |conn| get_config(conn, &owner, &node)).await
    }

    async fn pep_nodes(&self, owner: &str) -> Result<Vec<PepNode>, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT node, config FROM pep_nodes WHERE owner = ?1 ORDER BY node")
                .map_err(db_err)?;
            let rows = stmt
                .query_map([&owner], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(db_err)?;
            rows.map(|row| {
                let (name, json) = row.map_err(db_err)?;
                let config = NodeConfig::decode(&owner, &name, &json)?;
                Ok(PepNode { name, config })
            })
            .collect()
        })
        .await
    }

    async fn create_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_nodes: usize,
    ) -> Result<(), StoreError> {
        let (owner, node, config) = (owner.to_owned(), node.to_owned(), config.clone());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            if get_config(&tx, &owner, &node)?.is_some() {
                return Err(StoreError::Conflict);
            }
            if count_nodes(&tx, &owner)? >= max_nodes {
                return Err(StoreError::LimitReached);
            }
            insert_node(&tx, &owner, &node, &config)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn configure_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_items: usize,
    ) -> Result<(), StoreError> {
        let (owner, node, config) = (owner.to_owned(), node.to_owned(), config.clone());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let changed = tx
                .execute(
                    "UPDATE pep_nodes SET config = ?3 WHERE owner = ?1 AND node = ?2",
                    params![owner, node, NodeConfig::encode(&config)?],
                )
                .map_err(db_err)?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            trim(&tx, &owner, &node, &config, max_items)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn delete_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError> {
        let (owner, node) = (owner.to_owned(), node.to_owned());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let deleted = tx
                .execute("DELETE FROM pep_nodes WHERE owner = ?1 AND node = ?2", [&owner, &node])
                .map_err(db_err)?;
            if deleted == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute("DELETE FROM pep_items WHERE owner = ?1 AND node = ?2", [&owner, &node])
                .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn publish_pep_item(&self, p: Publication, limits: PepLimits) -> Result<Published, StoreError> {
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let (created, config) = match get_config(&tx, &p.owner, &p.node)? {
                Some(existing) => {
                    if p.precondition.is_some_and(|check| !check(&existing)) {
                        return Ok(Published::PreconditionNotMet);
                    }
                    (false, existing)
                }
                None => {
                    if count_nodes(&tx, &p.owner)? >= limits.max_nodes {
                        return Ok(Published::TooManyNodes);
                    }
                    insert_node(&tx, &p.owner, &p.node, &p.create_with)?;
                    (true, p.create_with)
                }
            };
            tx.prepare_cached("DELETE FROM pep_items WHERE owner = ?1 AND node = ?2 AND item_id = ?3")
                .and_then(|mut s| s.execute([&p.owner, &p.node, &p.item.id]))
                .map_err(db_err)?;
            tx.prepare_cached(
                "INSERT INTO pep_items (owner, node, item_id, payload, size, published_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    p.owner,
                    p.node,
                    p.item.id,
                    p.item.payload,
                    p.item.payload.len() as i64,
                    p.item.published_ms
                ])
            })
            .map_err(db_err)?;
            trim(&tx, &p.owner, &p.node, &config, limits.max_items)?;
            let bytes: i64 = tx
                .prepare_cached("SELECT COALESCE(SUM(size), 0) FROM pep_items WHERE owner = ?1")
                .and_then(|mut s| s.query_row([&p.owner], |r| r.get(0)))
                .map_err(db_err)?;
            if bytes as u64 > limits.max_bytes as u64 {
                // Dropping the transaction rolls everything back.
                return Ok(Published::OverQuota);
            }
            tx.commit().map_err(db_err)?;
            Ok(Published::Done { created, config })
        })
        .await
    }

    async fn retract_pep_item(&self, owner: &str, node: &str, id: &str) -> Result<(), StoreError> {
        let (owner, node, id) = (owner.to_owned(), node.to_owned(), id.to_owned());
        self.with_conn(move |conn| {
            let deleted = conn
                .prepare_cached("DELETE FROM pep_items WHERE owner = ?1 AND node = ?2 AND item_id = ?3")
                .and_then(|mut s| s.execute([&owner, &node, &id]))
                .map_err(db_err)?;
            if deleted == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn purge_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError> {
        let (owner, node) = (owner.to_owned(), node.to_owned());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            if get_config(&tx, &owner, &node)?.is_none() {
                return Err(StoreError::NotFound);
            }
            tx.execute("DELETE FROM pep_items WHERE owner = ?1 AND node = ?2", [&owner, &node])
                .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn pep_items(&self, owner: &str, node: &str, max: Option<usize>) -> Result<Vec<PepItem>, StoreError> {
        let (owner, node) = (owner.to_owned(), node.to_owned());
        // SQLite reads a negative LIMIT as no limit.
        let limit = max.map_or(-1, |m| m.min(i64::MAX as usize) as i64);
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT item_id, payload, published_at FROM pep_items
                     WHERE owner = ?1 AND node = ?2 ORDER BY seq DESC LIMIT ?3",
                )
                .map_err(db_err)?;
            let rows = stmt.query_map(params![owner, node, limit], read_item).map_err(db_err)?;
            let mut items = rows.collect::<Result<Vec<_>, _>>().map_err(db_err)?;
            items.reverse();
            Ok(items)
        })
        .await
    }

    async fn pep_items_by_id(&self, owner: &str, node: &str, ids: &[String]) -> Result<Vec<PepItem>, StoreError> {
        let (owner, node, ids) = (owner.to_owned(), node.to_owned(), ids.to_vec());
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT item_id, payload, published_at, seq FROM pep_items
                     WHERE owner = ?1 AND node = ?2 AND item_id = ?3",
                )
                .map_err(db_err)?;
            let mut found = Vec::new();
            for id in &ids {
                let row = stmt
                    .query_row([&owner, &node, id], |r| Ok((r.get::<_, i64>(3)?, read_item(r)?)))
                    .optional()
                    .map_err(db_err)?;
                found.extend(row);
            }
            found.sort_by_key(|(seq, _)| *seq);
            found.dedup_by_key(|(seq, _)| *seq);
            Ok(found.into_iter().map(|(_, item)| item).collect())
        })
        .await
    }

    async fn last_pep_items(
        &self,
        owners: &[String],
        nodes: &[String],
    ) -> Result<Vec<(String, PepNode, PepItem)>, StoreError> {
        if owners.is_empty() || nodes.is_empty() {
            return Ok(Vec::new());
        }
        let (owners, nodes) = (owners.to_vec(), nodes.to_vec());
        self.with_conn(move |conn| {
            let mut out = Vec::new();
            for chunk in owners.chunks(OWNERS_PER_QUERY) {
                let owner_marks = vec!["?"; chunk.len()].join(",");
                let node_marks = vec!["?"; nodes.len()].join(",");
                // The newest item of each matching node: the row with its node's largest seq.
                let sql = format!(
                    "SELECT n.owner, n.node, n.config, i.item_id, i.payload, i.published_at
                     FROM pep_nodes n JOIN pep_items i ON i.owner = n.owner AND i.node = n.node
                     WHERE n.owner IN ({owner_marks}) AND n.node IN ({node_marks})
                       AND i.seq = (SELECT MAX(seq) FROM pep_items m WHERE m.owner = n.owner AND m.node = n.node)"
                );
                let mut stmt = conn.prepare(&sql).map_err(db_err)?;
                let rows = stmt
                    .query_map(params_from_iter(chunk.iter().chain(nodes.iter())), |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            PepItem {
                                id: r.get(3)?,
                                payload: r.get(4)?,
                                published_ms: r.get(5)?,
                            },
                        ))
                    })
                    .map_err(db_err)?;
                for row in rows {
                    let (owner, name, json, item) = row.map_err(db_err)?;
                    let config = NodeConfig::decode(&owner, &name, &json)?;
                    out.push((owner, PepNode { name, config }, item));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete_pep(&self, owner: &str) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(db_err)?;
            tx.execute("DELETE FROM pep_items WHERE owner = ?1", [&owner])
                .map_err(db_err)?;
            tx.execute("DELETE FROM pep_nodes WHERE owner = ?1", [&owner])
                .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }
}

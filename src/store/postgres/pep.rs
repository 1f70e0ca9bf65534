//! [`PepStore`] on PostgreSQL: `pep_nodes` (one row per node, its configuration as JSON
//! so that a new option needs no migration) and `pep_items` (one row per item; `seq`
//! orders a node's items by publication, and a republished id gets a new, larger `seq`).
//!
//! Every write that reads before it writes (creating, configuring, deleting and purging a
//! node, publishing, removing an account's data) first takes a transaction-scoped
//! advisory lock on the owner: one account's PEP changes run one at a time across all
//! nodes, so a publication's precondition, node count, trimming and byte quota are
//! checked against what no one else is changing, and written in the same transaction.
//! Because publications of one owner are serialized, their `seq` values are also taken
//! in publication order. A retraction is one `DELETE` and takes no lock.

use super::{now_ms, PgStore};
use crate::store::{NodeConfig, PepItem, PepLimits, PepNode, PepStore, Publication, Published, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Transaction;
use tokio_postgres::Row;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE pep_nodes (
    owner TEXT COLLATE "C" NOT NULL,
    node TEXT COLLATE "C" NOT NULL,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (owner, node)
);
CREATE TABLE pep_items (
    seq BIGSERIAL PRIMARY KEY,
    owner TEXT COLLATE "C" NOT NULL,
    node TEXT COLLATE "C" NOT NULL,
    item_id TEXT COLLATE "C" NOT NULL,
    payload TEXT NOT NULL,
    size BIGINT NOT NULL,
    published_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX pep_items_by_id ON pep_items (owner, node, item_id);
CREATE INDEX pep_items_by_node ON pep_items (owner, node, seq);
"#;

fn read_item(row: &Row) -> PepItem {
    PepItem {
        id: row.get(0),
        payload: row.get(1),
        published_ms: row.get(2),
    }
}

impl PgStore {
    /// Holds `owner`'s PEP lock until `tx` ends.
    async fn lock_pep_owner(&self, tx: &Transaction<'_>, owner: &str) -> Result<(), StoreError> {
        self.lock(tx, "pep", owner).await
    }

    async fn pep_config_in(
        &self,
        tx: &Transaction<'_>,
        owner: &str,
        node: &str,
    ) -> Result<Option<NodeConfig>, StoreError> {
        let row = self
            .timed(tx.query_opt(
                "SELECT config FROM pep_nodes WHERE owner = $1 AND node = $2",
                &[&owner, &node],
            ))
            .await?;
        row.map(|r| NodeConfig::decode(owner, node, r.get(0))).transpose()
    }

    async fn count_pep_nodes(&self, tx: &Transaction<'_>, owner: &str) -> Result<usize, StoreError> {
        let row = self
            .timed(tx.query_one("SELECT COUNT(*) FROM pep_nodes WHERE owner = $1", &[&owner]))
            .await?;
        Ok(row.get::<_, i64>(0).max(0) as usize)
    }

    async fn insert_pep_node(
        &self,
        tx: &Transaction<'_>,
        owner: &str,
        node: &str,
        config: &NodeConfig,
    ) -> Result<(), StoreError> {
        let json = NodeConfig::encode(config)?;
        self.timed(tx.execute(
            "INSERT INTO pep_nodes (owner, node, config, created_at) VALUES ($1, $2, $3, $4)",
            &[&owner, &node, &json, &now_ms()],
        ))
        .await
        .map(drop)
    }

    /// Deletes the oldest items of a node beyond what its configuration keeps.
    async fn trim_pep_node(
        &self,
        tx: &Transaction<'_>,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_items: usize,
    ) -> Result<(), StoreError> {
        let keep = if config.persist_items {
            config.items_kept(max_items)
        } else {
            0
        };
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        self.timed(tx.execute(
            "DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND seq NOT IN
               (SELECT seq FROM pep_items WHERE owner = $1 AND node = $2 ORDER BY seq DESC LIMIT $3)",
            &[&owner, &node, &keep],
        ))
        .await
        .map(drop)
    }
}

#[async_trait]
impl PepStore for PgStore {
    async fn pep_node(&self, owner: &str, node: &str) -> Result<Option<NodeConfig>, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_opt(
                "SELECT config FROM pep_nodes WHERE owner = $1 AND node = $2",
                &[&owner, &node],
            ))
            .await?;
        row.map(|r| NodeConfig::decode(owner, node, r.get(0))).transpose()
    }

    async fn pep_nodes(&self, owner: &str) -> Result<Vec<PepNode>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                "SELECT node, config FROM pep_nodes WHERE owner = $1 ORDER BY node",
                &[&owner],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                let name: String = r.get(0);
                let config = NodeConfig::decode(owner, &name, r.get(1))?;
                Ok(PepNode { name, config })
            })
            .collect()
    }

    async fn create_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_nodes: usize,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.lock_pep_owner(&tx, owner).await?;
        if self.pep_config_in(&tx, owner, node).await?.is_some() {
            return Err(StoreError::Conflict);
        }
        if self.count_pep_nodes(&tx, owner).await? >= max_nodes {
            return Err(StoreError::LimitReached);
        }
        self.insert_pep_node(&tx, owner, node, config).await?;
        self.timed(tx.commit()).await
    }

    async fn configure_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_items: usize,
    ) -> Result<(), StoreError> {
        let json = NodeConfig::encode(config)?;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // A publication running meanwhile would trim under the old configuration.
        self.lock_pep_owner(&tx, owner).await?;
        let changed = self
            .timed(tx.execute(
                "UPDATE pep_nodes SET config = $3 WHERE owner = $1 AND node = $2",
                &[&owner, &node, &json],
            ))
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.trim_pep_node(&tx, owner, node, config, max_items).await?;
        self.timed(tx.commit()).await
    }

    async fn delete_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // A publication running meanwhile would leave an item behind without its node.
        self.lock_pep_owner(&tx, owner).await?;
        let deleted = self
            .timed(tx.execute("DELETE FROM pep_nodes WHERE owner = $1 AND node = $2", &[&owner, &node]))
            .await?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        self.timed(tx.execute("DELETE FROM pep_items WHERE owner = $1 AND node = $2", &[&owner, &node]))
            .await?;
        self.timed(tx.commit()).await
    }

    async fn publish_pep_item(&self, p: Publication, limits: PepLimits) -> Result<Published, StoreError> {
        // Taken apart: the precondition is `Send` but not `Sync`, so the publication as a
        // whole cannot be borrowed across an await.
        let Publication {
            owner,
            node,
            item,
            create_with,
            precondition,
        } = p;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.lock_pep_owner(&tx, &owner).await?;
        let (created, config) = match self.pep_config_in(&tx, &owner, &node).await? {
            Some(existing) => {
                if precondition.is_some_and(|check| !check(&existing)) {
                    return Ok(Published::PreconditionNotMet);
                }
                (false, existing)
            }
            None => {
                if self.count_pep_nodes(&tx, &owner).await? >= limits.max_nodes {
                    return Ok(Published::TooManyNodes);
                }
                self.insert_pep_node(&tx, &owner, &node, &create_with).await?;
                (true, create_with)
            }
        };
        self.timed(tx.execute(
            "DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND item_id = $3",
            &[&owner, &node, &item.id],
        ))
        .await?;
        let size = i64::try_from(item.payload.len()).unwrap_or(i64::MAX);
        self.timed(tx.execute(
            "INSERT INTO pep_items (owner, node, item_id, payload, size, published_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&owner, &node, &item.id, &item.payload, &size, &item.published_ms],
        ))
        .await?;
        self.trim_pep_node(&tx, &owner, &node, &config, limits.max_items)
            .await?;
        let max_bytes = i64::try_from(limits.max_bytes).unwrap_or(i64::MAX);
        let over: bool = self
            .timed(tx.query_one(
                "SELECT COALESCE(SUM(size), 0) > $2::BIGINT FROM pep_items WHERE owner = $1",
                &[&owner, &max_bytes],
            ))
            .await?
            .get(0);
        if over {
            // Dropping the transaction rolls everything back, the node's creation too.
            return Ok(Published::OverQuota);
        }
        self.timed(tx.commit()).await?;
        Ok(Published::Done { created, config })
    }

    async fn retract_pep_item(&self, owner: &str, node: &str, id: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        let deleted = self
            .timed(client.execute(
                "DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND item_id = $3",
                &[&owner, &node, &id],
            ))
            .await?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn purge_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.lock_pep_owner(&tx, owner).await?;
        if self.pep_config_in(&tx, owner, node).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        self.timed(tx.execute("DELETE FROM pep_items WHERE owner = $1 AND node = $2", &[&owner, &node]))
            .await?;
        self.timed(tx.commit()).await
    }

    async fn pep_items(&self, owner: &str, node: &str, max: Option<usize>) -> Result<Vec<PepItem>, StoreError> {
        // `LIMIT NULL` is no limit.
        let limit = max.map(|m| i64::try_from(m).unwrap_or(i64::MAX));
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                "SELECT item_id, payload, published_at FROM pep_items
                 WHERE owner = $1 AND node = $2 ORDER BY seq DESC LIMIT $3",
                &[&owner, &node, &limit],
            ))
            .await?;
        Ok(rows.iter().rev().map(read_item).collect())
    }

    async fn pep_items_by_id(&self, owner: &str, node: &str, ids: &[String]) -> Result<Vec<PepItem>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                "SELECT item_id, payload, published_at FROM pep_items
                 WHERE owner = $1 AND node = $2 AND item_id = ANY($3) ORDER BY seq",
                &[&owner, &node, &ids],
            ))
            .await?;
        Ok(rows.iter().map(read_item).collect())
    }

    async fn last_pep_items(
        &self,
        owners: &[String],
        nodes: &[String],
    ) -> Result<Vec<(String, PepNode, PepItem)>, StoreError> {
        if owners.is_empty() || nodes.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        // The newest item of each matching node: per (owner, node), the row with the
        // largest seq.
        let rows = self
            .timed(client.query(
                "SELECT DISTINCT ON (i.owner, i.node) i.owner, i.node, n.config, i.item_id, i.payload, i.published_at
                 FROM pep_items i JOIN pep_nodes n ON n.owner = i.owner AND n.node = i.node
                 WHERE i.owner = ANY($1) AND i.node = ANY($2)
                 ORDER BY i.owner, i.node, i.seq DESC",
                &[&owners, &nodes],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                let owner: String = r.get(0);
                let name: String = r.get(1);
                let config = NodeConfig::decode(&owner, &name, r.get(2))?;
                let item = PepItem {
                    id: r.get(3),
                    payload: r.get(4),
                    published_ms: r.get(5),
                };
                Ok((owner, PepNode { name, config }, item))
            })
            .collect()
    }

    async fn delete_pep(&self, owner: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // A publication running meanwhile would otherwise survive the removal.
        self.lock_pep_owner(&tx, owner).await?;
        self.timed(tx.execute("DELETE FROM pep_items WHERE owner = $1", &[&owner]))
            .await?;
        self.timed(tx.execute("DELETE FROM pep_nodes WHERE owner = $1", &[&owner]))
            .await?;
        self.timed(tx.commit()).await
    }
}

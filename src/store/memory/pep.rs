//! [`PepStore`] in memory: nodes by owner and name, each with its items oldest first; a
//! publication is computed on a copy and kept only if it fits the account's limits.

use super::{Data, MemoryStore};
use crate::store::{NodeConfig, PepItem, PepLimits, PepNode, PepStore, Publication, Published, StoreError};
use async_trait::async_trait;

/// A PEP node: its configuration and items, oldest first.
#[derive(Clone)]
pub(super) struct MemNode {
    config: NodeConfig,
    items: Vec<PepItem>,
}

impl MemNode {
    /// Drops the oldest items beyond what the node keeps.
    fn trim(&mut self, max_items: usize) {
        let keep = if self.config.persist_items {
            self.config.items_kept(max_items)
        } else {
            0
        };
        let excess = self.items.len().saturating_sub(keep);
        self.items.drain(..excess);
    }
}

impl Data {
    fn pep_nodes_of<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = (&'a String, &'a MemNode)> + 'a {
        self.pep
            .range((owner.to_owned(), String::new())..)
            .take_while(move |((o, _), _)| o == owner)
            .map(|((_, n), node)| (n, node))
    }

    fn pep_node_mut(&mut self, owner: &str, node: &str) -> Result<&mut MemNode, StoreError> {
        self.pep
            .get_mut(&(owner.to_owned(), node.to_owned()))
            .ok_or(StoreError::NotFound)
    }

    fn pep_bytes_of(&self, owner: &str) -> usize {
        self.pep_nodes_of(owner)
            .flat_map(|(_, n)| n.items.iter())
            .map(|i| i.payload.len())
            .sum()
    }
}

#[async_trait]
impl PepStore for MemoryStore {
    async fn pep_node(&self, owner: &str, node: &str) -> Result<Option<NodeConfig>, StoreError> {
        Ok(self
            .data()
            .pep
            .get(&(owner.to_owned(), node.to_owned()))
            .map(|n| n.config.clone()))
    }

    async fn pep_nodes(&self, owner: &str) -> Result<Vec<PepNode>, StoreError> {
        Ok(self
            .data()
            .pep_nodes_of(owner)
            .map(|(name, n)| PepNode {
                name: name.clone(),
                config: n.config.clone(),
            })
            .collect())
    }

    async fn create_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_nodes: usize,
    ) -> Result<(), StoreError> {
        let mut d = self.data();
        let key = (owner.to_owned(), node.to_owned());
        if d.pep.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        if d.pep_nodes_of(owner).count() >= max_nodes {
            return Err(StoreError::LimitReached);
        }
        d.pep.insert(
            key,
            MemNode {
                config: config.clone(),
                items: Vec::new(),
            },
        );
        Ok(())
    }

    async fn configure_pep_node(
        &self,
        owner: &str,
        node: &str,
        config: &NodeConfig,
        max_items: usize,
    ) -> Result<(), StoreError> {
        let mut d = self.data();
        let n = d.pep_node_mut(owner, node)?;
        n.config = config.clone();
        n.trim(max_items);
        Ok(())
    }

    async fn delete_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError> {
        self.data()
            .pep
            .remove(&(owner.to_owned(), node.to_owned()))
            .map(|_| ())
            .ok_or(StoreError::NotFound)
    }

    async fn publish_pep_item(&self, p: Publication, limits: PepLimits) -> Result<Published, StoreError> {
        let mut d = self.data();
        let key = (p.owner.clone(), p.node.clone());
        let created = match d.pep.get(&key) {
            Some(existing) => {
                if p.precondition.is_some_and(|check| !check(&existing.config)) {
                    return Ok(Published::PreconditionNotMet);
                }
                false
            }
            None if d.pep_nodes_of(&p.owner).count() >= limits.max_nodes => return Ok(Published::TooManyNodes),
            None => true,
        };
        // Work on a copy: nothing changes unless the whole publication fits.
        let mut node = d.pep.get(&key).cloned().unwrap_or(MemNode {
            config: p.create_with,
            items: Vec::new(),
        });
        node.items.retain(|i| i.id != p.item.id);
        node.items.push(p.item);
        node.trim(limits.max_items);
        let others = d.pep_bytes_of(&p.owner)
            - d.pep
                .get(&key)
                .map_or(0, |n| n.items.iter().map(|i| i.payload.len()).sum());
        let mine: usize = node.items.iter().map(|i| i.payload.len()).sum();
        if others + mine > limits.max_bytes {
            return Ok(Published::OverQuota);
        }
        let config = node.config.clone();
        d.pep.insert(key, node);
        Ok(Published::Done { created, config })
    }

    async fn retract_pep_item(&self, owner: &str, node: &str, id: &str) -> Result<(), StoreError> {
        let mut d = self.data();
        let n = d.pep_node_mut(owner, node)?;
        let before = n.items.len();
        n.items.retain(|i| i.id != id);
        if n.items.len() == before {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn purge_pep_node(&self, owner: &str, node: &str) -> Result<(), StoreError> {
        self.data().pep_node_mut(owner, node)?.items.clear();
        Ok(())
    }

    async fn pep_items(&self, owner: &str, node: &str, max: Option<usize>) -> Result<Vec<PepItem>, StoreError> {
        let d = self.data();
        let Some(n) = d.pep.get(&(owner.to_owned(), node.to_owned())) else {
            return Ok(Vec::new());
        };
        let skip = max.map_or(0, |m| n.items.len().saturating_sub(m));
        Ok(n.items[skip..].to_vec())
    }

    async fn pep_items_by_id(&self, owner: &str, node: &str, ids: &[String]) -> Result<Vec<PepItem>, StoreError> {
        let d = self.data();
        let Some(n) = d.pep.get(&(owner.to_owned(), node.to_owned())) else {
            return Ok(Vec::new());
        };
        Ok(n.items.iter().filter(|i| ids.contains(&i.id)).cloned().collect())
    }

    async fn last_pep_items(
        &self,
        owners: &[String],
        nodes: &[String],
    ) -> Result<Vec<(String, PepNode, PepItem)>, StoreError> {
        let d = self.data();
        let mut out = Vec::new();
        for owner in owners {
            for node in nodes {
                let Some(n) = d.pep.get(&(owner.clone(), node.clone())) else {
                    continue;
                };
                if let Some(last) = n.items.last() {
                    let pep_node = PepNode {
                        name: node.clone(),
                        config: n.config.clone(),
                    };
                    out.push((owner.clone(), pep_node, last.clone()));
                }
            }
        }
        Ok(out)
    }

    async fn delete_pep(&self, owner: &str) -> Result<(), StoreError> {
        self.data().pep.retain(|(o, _), _| o != owner);
        Ok(())
    }
}

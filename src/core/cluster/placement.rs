//! Which node hosts a room of a partitioned service (XEP-0045 rooms): of the live nodes,
//! the one scoring highest for the room (rendezvous hashing), so that when a node goes
//! only its rooms move, and when the live nodes change the idle rooms are read again.

use super::Cluster;
use crate::core::Core;
use std::sync::Arc;

impl Cluster {
    /// The node hosting `entity` (a room): of the live nodes, the one scoring highest
    /// for it (rendezvous hashing), so that when a node goes, only its rooms move.
    pub(crate) fn host_of(&self, entity: &str) -> String {
        self.live_nodes()
            .into_iter()
            .max_by_key(|node| score(node, entity))
            .expect("the live nodes include this one")
    }

    /// The live nodes changed, and with them the hosts of some rooms: idle rooms are read
    /// again from storage.
    pub(super) fn rooms_may_move(&self, core: &Arc<Core>) {
        if let Some(muc) = core.muc.clone() {
            let core = core.clone();
            tokio::spawn(async move {
                if let Err(e) = muc.reload_idle(&*core.stores.muc).await {
                    tracing::warn!(error = %e, "rooms could not be read again after the nodes changed");
                }
            });
        }
    }
}

/// FNV-1a of `node`, a zero byte and `entity`: the same on every node and every run.
fn score(node: &str, entity: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in node.bytes().chain([0]).chain(entity.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_spread_over_nodes_and_only_a_gone_nodes_rooms_move() {
        let nodes = ["n1", "n2", "n3"];
        fn host<'a>(live: &[&'a str], room: &str) -> &'a str {
            live.iter().copied().max_by_key(|n| score(n, room)).unwrap()
        }
        let rooms: Vec<String> = (0..300).map(|i| format!("room{i}@conference.localhost")).collect();
        for n in nodes {
            let hosted = rooms.iter().filter(|r| host(&nodes, r) == n).count();
            assert!((60..=140).contains(&hosted), "{n} hosts {hosted} of 300 rooms");
        }
        for r in &rooms {
            let before = host(&nodes, r);
            let after = host(&["n1", "n3"], r);
            if before != "n2" {
                assert_eq!(before, after, "{r} moved though its node stayed");
            }
        }
    }
}

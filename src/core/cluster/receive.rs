//! What a node does with each message from the bus, by family:
//! - membership: heartbeats, a peer's hello (answered with a snapshot when it asks this
//!   node), a peer leaving;
//! - session news: a peer's session opened or changed, ended, or all of them (a snapshot,
//!   in parts);
//! - stanzas for this node: for a session it hosts, a kick, a stanza for a room or
//!   component it hosts;
//! - questions and answers ([`super::asks`]): archive watermarks, account changes,
//!   markers that say a flush is complete;
//! - components attached to a peer, and cache entries a peer changed.
//!
//! Receiving never waits: what takes time (a stanza for a room hosted here) is queued
//! for [`Cluster::run_routes`].

use super::wire::{Report, Wire};
use super::Cluster;
use crate::core::caches::Cache;
use crate::core::session::Kick;
use crate::core::Core;
use jid::FullJid;
use std::sync::Arc;

/// One part of a peer's snapshot.
struct SnapshotPart {
    first: bool,
    last: bool,
    sessions: Vec<Report>,
    components: Vec<(String, bool)>,
}

impl Cluster {
    /// Takes one message from the bus.
    pub fn receive(self: &Arc<Self>, core: &Arc<Core>, payload: &[u8]) {
        if payload.first() == Some(&super::wire::DELIVER) {
            match super::wire::decode_deliver(payload) {
                Some((to, stanza)) => on_deliver(core, to, stanza),
                None => tracing::warn!("an unreadable cluster message was dropped"),
            }
            return;
        }
        let wire: Wire = match serde_json::from_slice(payload) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "an unreadable cluster message was dropped");
                return;
            }
        };
        if let Some((node, inc)) = wire.sender() {
            if node == &*self.me {
                // What this node itself sent to everyone comes back to it.
                if inc != self.inc {
                    tracing::error!(node = %node, "another process runs as this node; node names must be unique");
                }
                return;
            }
        }
        match wire {
            Wire::Heartbeat { node, inc } => {
                self.heard_from(core, &node, inc);
            }
            Wire::Hello { node, inc, ask } => self.on_hello(core, &node, inc, &ask),
            Wire::Leaving { node, inc } => self.on_leaving(core, &node, inc),
            Wire::Session { node, inc, s } => {
                if self.heard_from(core, &node, inc) {
                    self.upsert(core, &node, s);
                }
            }
            Wire::Down {
                node,
                inc,
                jid,
                bound_at,
            } => self.on_down(core, &node, inc, &jid, bound_at),
            Wire::Snapshot {
                node,
                inc,
                first,
                last,
                sessions,
                components,
            } => {
                let part = SnapshotPart {
                    first,
                    last,
                    sessions,
                    components,
                };
                self.on_snapshot(core, &node, inc, part)
            }
            Wire::Deliver { to, stanza } => on_deliver(core, &to, &stanza),
            Wire::Kick { jid, bound_at, reason } => on_kick(core, &jid, bound_at, &reason),
            Wire::Route { from, stanza } => self.on_route(&from, &stanza),
            Wire::Watermarks { node, inc, ask } => self.on_watermarks(core, &node, inc, ask),
            Wire::WatermarksAre {
                ask,
                node,
                settled,
                issued,
            } => self.answered(ask, &node, settled, issued),
            Wire::AccountsChanged { node, inc, ask, jids } => self.on_accounts_changed(core, &node, inc, ask, &jids),
            Wire::DomainsChanged { node, inc, ask } => self.on_domains_changed(core, node, inc, ask),
            Wire::Call { node, ask, call } => self.on_call(core, node, ask, call),
            Wire::Answer { ask, answer } => self.call_answered(ask, answer),
            Wire::Done { ask, node } => self.answered(ask, &node, i64::MAX, i64::MIN),
            Wire::Marker { n } => self.on_marker(n),
            Wire::Component {
                node,
                inc,
                domain,
                hidden,
                up,
            } => self.on_component(core, &node, inc, &domain, hidden, up),
            Wire::Forget { node, inc, cache, key } => self.on_forget(core, &node, inc, cache, &key),
        }
    }

    // --- membership ---------------------------------------------------------------------

    fn on_hello(self: &Arc<Self>, core: &Arc<Core>, node: &str, inc: u64, ask: &str) {
        if self.heard_from(core, node, inc) && *ask == *self.me {
            self.send_snapshot(core);
        }
    }

    fn on_leaving(self: &Arc<Self>, core: &Arc<Core>, node: &str, inc: u64) {
        if !self.heard_from(core, node, inc) {
            return;
        }
        if let Some(p) = self.peers.lock().expect("peer table poisoned").get_mut(node) {
            p.alive = false;
            p.left = true;
        }
        tracing::info!(node = %node, "a cluster node left");
        // Its sessions ended and said so; what is left of them goes quietly.
        self.forget_node(core, node);
        self.rooms_may_move(core);
    }

    // --- session news -------------------------------------------------------------------

    fn on_down(self: &Arc<Self>, core: &Arc<Core>, node: &str, inc: u64, jid: &str, bound_at: u64) {
        self.heard_from(core, node, inc);
        if let Ok(jid) = FullJid::new(jid) {
            super::proxy::remove(&core.sessions, node, &jid, bound_at);
        }
    }

    /// A snapshot answers a Hello: it says all there is to know of the peer.
    fn on_snapshot(self: &Arc<Self>, core: &Arc<Core>, node: &str, inc: u64, part: SnapshotPart) {
        if !self.heard_from(core, node, inc) {
            return;
        }
        if part.first {
            self.forget_node(core, node);
            for (domain, hidden) in part.components {
                self.attach_component(core, node, &domain, hidden);
            }
        }
        for s in part.sessions {
            self.upsert(core, node, s);
        }
        if part.last && self.take_announced_gone(node) {
            let back = super::proxy::of_node(&core.sessions, node)
                .into_iter()
                .filter(|s| s.available())
                .collect();
            self.announce_returned(core, back);
        }
    }

    // --- stanzas for this node -------------------------------------------------------------

    fn on_route(&self, from: &str, stanza: &str) {
        let (Ok(from), Ok(stanza)) = (crate::core::jid::parse(from), crate::xml::parse_element(stanza)) else {
            tracing::warn!("an unreadable stanza from another node was dropped");
            return;
        };
        let queued = self.routes.get().is_some_and(|q| q.try_send((from, stanza)).is_ok());
        if !queued {
            tracing::warn!("a stanza from another node was dropped: the routing queue is full or not running");
        }
    }

    // --- questions and answers ----------------------------------------------------------

    fn on_watermarks(self: &Arc<Self>, core: &Arc<Core>, node: &str, inc: u64, ask: u64) {
        self.heard_from(core, node, inc);
        let answer = Wire::WatermarksAre {
            ask,
            node: self.settings.node.clone(),
            settled: core.archive.horizon(),
            issued: core.archive.last_issued(),
        };
        self.link.to_node(node, &answer);
    }

    fn on_accounts_changed(self: &Arc<Self>, core: &Arc<Core>, node: &str, inc: u64, ask: u64, jids: &[String]) {
        self.heard_from(core, node, inc);
        for jid in jids {
            core.accounts.forget(jid);
        }
        let done = Wire::Done {
            ask,
            node: self.settings.node.clone(),
        };
        self.link.to_node(node, &done);
    }

    fn on_domains_changed(self: &Arc<Self>, core: &Arc<Core>, node: String, inc: u64, ask: u64) {
        self.heard_from(core, &node, inc);
        let (cluster, core) = (self.clone(), core.clone());
        // Reading the domains waits on storage: not in the receive loop.
        tokio::spawn(async move {
            if let Err(e) = core.sync_domains().await {
                tracing::warn!(error = %e, "cannot read the domains another node changed; the next read will");
            }
            let done = Wire::Done {
                ask,
                node: cluster.settings.node.clone(),
            };
            cluster.link.to_node(&node, &done);
        });
    }

    fn on_call(self: &Arc<Self>, core: &Arc<Core>, node: String, ask: u64, call: String) {
        let (cluster, core) = (self.clone(), core.clone());
        // A call may wait on a room's lock and on storage: not in the receive loop.
        tokio::spawn(async move {
            let answer = core.answer_call(&call).await;
            cluster.link.to_node(&node, &Wire::Answer { ask, answer });
        });
    }

    fn on_marker(&self, n: u64) {
        self.markers.send_if_modified(|seen| {
            let newer = n > *seen;
            if newer {
                *seen = n;
            }
            newer
        });
    }

    // --- components and caches ----------------------------------------------------------

    fn on_component(self: &Arc<Self>, core: &Arc<Core>, node: &str, inc: u64, domain: &str, hidden: bool, up: bool) {
        if !self.heard_from(core, node, inc) {
            return;
        }
        if up {
            self.attach_component(core, node, domain, hidden);
        } else {
            core.router.detach_remote(Some(domain), node);
        }
    }

    fn on_forget(self: &Arc<Self>, core: &Arc<Core>, node: &str, inc: u64, cache: Cache, key: &str) {
        self.heard_from(core, node, inc);
        core.caches.forget(cache, key);
    }
}

/// A stanza for a session this node hosts.
fn on_deliver(core: &Core, to: &str, stanza: &str) {
    let (Ok(to), Ok(stanza)) = (FullJid::new(to), crate::xml::parse_element(stanza)) else {
        tracing::warn!("an unreadable stanza from another node was dropped");
        return;
    };
    if let Some(session) = core.sessions.local_session(&to) {
        session.send(stanza);
    }
}

/// End the session this node hosts for `jid`: only the bind the sender knew (a later
/// bind of the JID stays).
fn on_kick(core: &Core, jid: &str, bound_at: u64, reason: &str) {
    if let (Ok(jid), Some(reason)) = (FullJid::new(jid), Kick::from_condition(reason)) {
        if let Some(session) = core.sessions.local_session(&jid).filter(|s| s.bound_at == bound_at) {
            session.kick(reason);
        }
    }
}

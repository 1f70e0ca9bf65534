//! The cluster: several nodes sharing one storage, each hosting some sessions, each
//! routing to all of them (docs/cluster.md).
//!
//! Every node keeps the whole session table: its own sessions, and a proxy of each session
//! another node hosts (`proxy`), with the routing state the delivery rules read
//! (RFC 6121 §8: availability, priority, last presence; roster and blocklist interest;
//! carbons). So every rule runs unchanged wherever a stanza enters; what is sent to a proxy
//! goes to its node, which queues it for the real session. A node tells the others of each
//! change of its own sessions the moment it happens.
//!
//! Two subjects carry it all, over a [`Bus`] (NATS core in production, `crate::nats`; an
//! in-memory one in the unit tests), as the messages of `wire`:
//! - `<prefix>.all`: what every node hears: heartbeats, session news, snapshots. One
//!   publisher's messages arrive in the order sent, so a node's news is applied in order.
//! - `<prefix>.node.<name>`: what one node must act on: stanzas for its sessions, kicks,
//!   stanzas for rooms it hosts. One sender's stanzas to one session keep their order.
//!
//! This file holds membership: each node sends a heartbeat every `heartbeat`; a peer not
//! heard of for `peer_timeout` is gone: its proxies leave the table, and the live node
//! with the least name announces its available sessions unavailable (so contacts
//! everywhere hear it once). A peer heard of again (restarted, resumed after a pause, or
//! back after a NATS outage) is asked for a snapshot of its sessions, which replaces
//! whatever was known of it; sessions announced gone are announced back. A restarted
//! node is told by its new incarnation number.
//!
//! Beside it: `receive` (one handler per message family), `proxy` (the sessions and
//! components of other nodes, and this node's news and snapshots), `placement` (which
//! node hosts a room), `asks` (questions to every node: archive watermarks, account
//! changes, and the flush a REST send waits for).
//!
//! Emits `SessionEvent::Ended` for the sessions of a gone node and
//! `SessionEvent::Returned` for those that came back; subscribes to nothing (the
//! session table tells it of local sessions through `SessionNews`).

mod asks;
mod placement;
mod proxy;
mod receive;
mod wire;

#[cfg(test)]
mod tests;

use super::session::{Session, SessionNews};
use super::Core;
use crate::core::caches::Cache;
use crate::core::events::SessionEvent;
use crate::xml::Element;
use asks::Ask;
use jid::Jid;
use proxy::Link;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use wire::{serialize, Wire};

/// How nodes find and watch each other.
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// This node's name, unique in the cluster.
    pub node: String,
    /// Every subject starts with it: clusters sharing one NATS keep apart.
    pub prefix: String,
    pub heartbeat: Duration,
    /// A peer not heard of for this long is gone.
    pub peer_timeout: Duration,
}

/// Carries the cluster's messages: publishing never waits, and what one node publishes
/// arrives in the order it was published.
pub trait Bus: Send + Sync {
    fn publish(&self, subject: String, payload: Vec<u8>);
}

/// Stanzas from other nodes for rooms and components hosted here, waiting at most.
const ROUTE_QUEUE: usize = 65_536;

/// What a node knows of a peer.
#[derive(Debug)]
struct Peer {
    inc: u64,
    last_seen: Instant,
    alive: bool,
    /// This node told the peer's contacts its sessions were gone: when its snapshot
    /// comes, the sessions still there are announced again.
    announced_gone: bool,
    /// It said it was leaving (shutting down).
    left: bool,
}

/// This node's part in the cluster.
pub(crate) struct Cluster {
    settings: ClusterSettings,
    me: Arc<str>,
    /// Changes when the node restarts: peers drop what they knew of the last run.
    inc: u64,
    peers: Mutex<HashMap<String, Peer>>,
    /// Interned peer names, shared by their proxies.
    names: Mutex<HashMap<String, Arc<str>>>,
    link: Arc<Link>,
    asks: Mutex<HashMap<u64, Ask>>,
    next_ask: AtomicU64,
    /// Calls to one node waiting for its answer ([`Cluster::call`]).
    calls: Mutex<HashMap<u64, tokio::sync::oneshot::Sender<String>>>,
    /// The last marker sent to this node itself that came back ([`Cluster::flushed`]).
    markers: tokio::sync::watch::Sender<u64>,
    next_marker: AtomicU64,
    /// The marker on its way back, and how much of what was published it covers.
    marker_in_flight: Mutex<Option<(u64, u64)>>,
    /// Everything published up to this count is known to have reached NATS.
    flushed_upto: AtomicU64,
    /// Stanzas for rooms and components hosted here, handled in arrival order by a task
    /// of their own ([`Cluster::run_routes`]) so the receiving loop never waits on them.
    routes: std::sync::OnceLock<tokio::sync::mpsc::Sender<(Jid, Element)>>,
    last_tick: Mutex<Option<Instant>>,
    /// Set when the node leaves: no more heartbeats.
    leaving: std::sync::atomic::AtomicBool,
}

/// What a peer's message means for the peer table.
enum Heard {
    /// Known and alive: go on.
    Known,
    /// New, back, or restarted: ask it for a snapshot (after dropping what it had).
    Returned { restarted: bool },
    /// It said it was leaving: what it still sends of its sessions is not taken.
    Left,
}

impl Cluster {
    pub(crate) fn new(settings: ClusterSettings, bus: Arc<dyn Bus>) -> Arc<Cluster> {
        let inc: u64 = rand::random();
        let link = Arc::new(Link {
            me: settings.node.clone(),
            inc,
            prefix: settings.prefix.clone(),
            bus,
            published: AtomicU64::new(0),
            order: Mutex::new(()),
        });
        Arc::new(Cluster {
            me: Arc::from(settings.node.as_str()),
            settings,
            inc,
            peers: Mutex::default(),
            names: Mutex::default(),
            link,
            asks: Mutex::default(),
            next_ask: AtomicU64::new(0),
            calls: Mutex::default(),
            markers: tokio::sync::watch::Sender::new(0),
            next_marker: AtomicU64::new(0),
            marker_in_flight: Mutex::new(None),
            flushed_upto: AtomicU64::new(0),
            routes: std::sync::OnceLock::new(),
            last_tick: Mutex::new(None),
            leaving: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// What the session table tells the other nodes through.
    pub(crate) fn news(&self) -> Arc<dyn SessionNews> {
        self.link.clone()
    }

    /// Runs the stanzas other nodes send for rooms and components hosted here, one at a
    /// time in arrival order (a room's stanzas keep their order), until the node stops.
    pub fn run_routes(&self, core: Arc<Core>) -> tokio::task::JoinHandle<()> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(Jid, Element)>(ROUTE_QUEUE);
        if self.routes.set(tx).is_err() {
            tracing::warn!("the cluster's routing task was started twice");
        }
        tokio::spawn(async move {
            while let Some((from, stanza)) = rx.recv().await {
                if let Err(e) = core.router.route_here(&core, from, stanza).await {
                    tracing::warn!(error = %e, "a stanza from another node could not be routed");
                }
            }
        })
    }

    /// The subjects this node must subscribe to: everyone's, then its own.
    pub fn subjects(&self) -> [String; 2] {
        [
            format!("{}.all", self.settings.prefix),
            format!("{}.node.{}", self.settings.prefix, self.me),
        ]
    }

    pub(crate) fn node(&self) -> &str {
        &self.me
    }

    fn to_all(&self, wire: &Wire) {
        self.link.to_all(wire);
    }

    /// Sends `stanza` from `from` to the node `node`, for a service it hosts a part of.
    pub(crate) fn route_to(&self, node: &str, from: &Jid, stanza: &Element) {
        self.link.to_node(
            node,
            &Wire::Route {
                from: from.to_string(),
                stanza: serialize(stanza),
            },
        );
    }

    /// Tells the other nodes this one is leaving (its sessions have ended), and waits
    /// until they can hear it.
    pub(crate) async fn leave(&self) {
        self.leaving.store(true, Ordering::Release);
        self.to_all(&Wire::Leaving {
            node: self.settings.node.clone(),
            inc: self.inc,
        });
        self.flushed().await;
    }

    /// Tells the other nodes an external component connected here for `domain` (`up`) or
    /// left.
    pub(crate) fn component(&self, domain: &str, hidden: bool, up: bool) {
        self.to_all(&Wire::Component {
            node: self.settings.node.clone(),
            inc: self.inc,
            domain: domain.to_owned(),
            hidden,
            up,
        });
    }

    /// Tells the other nodes to forget what `cache` holds for `key`.
    pub(crate) fn cached_changed(&self, cache: Cache, key: &str) {
        self.to_all(&Wire::Forget {
            node: self.settings.node.clone(),
            inc: self.inc,
            cache,
            key: key.to_owned(),
        });
    }

    /// The nodes alive now (this one included), by name.
    pub(crate) fn live_nodes(&self) -> Vec<String> {
        let peers = self.peers.lock().expect("peer table poisoned");
        let mut nodes: Vec<String> = peers.iter().filter(|(_, p)| p.alive).map(|(n, _)| n.clone()).collect();
        nodes.push(self.settings.node.clone());
        nodes.sort();
        nodes
    }

    /// The cluster's gauges, in the Prometheus text format.
    pub(crate) fn metrics_text(&self) -> String {
        format!(
            "# HELP meerkat_cluster_nodes Nodes of the cluster this node hears from, itself included.\n\
             # TYPE meerkat_cluster_nodes gauge\n\
             meerkat_cluster_nodes {}\n",
            self.live_nodes().len()
        )
    }

    fn name(&self, node: &str) -> Arc<str> {
        self.names
            .lock()
            .expect("name table poisoned")
            .entry(node.to_owned())
            .or_insert_with(|| Arc::from(node))
            .clone()
    }

    fn heard(&self, node: &str, inc: u64) -> Heard {
        let mut peers = self.peers.lock().expect("peer table poisoned");
        let now = Instant::now();
        match peers.get_mut(node) {
            Some(p) if p.inc == inc && p.left => Heard::Left,
            Some(p) if p.inc == inc && p.alive => {
                p.last_seen = now;
                Heard::Known
            }
            Some(p) => {
                let restarted = p.inc != inc;
                *p = Peer {
                    inc,
                    last_seen: now,
                    alive: true,
                    announced_gone: p.announced_gone && !restarted,
                    left: false,
                };
                Heard::Returned { restarted }
            }
            None => {
                peers.insert(
                    node.to_owned(),
                    Peer {
                        inc,
                        last_seen: now,
                        alive: true,
                        announced_gone: false,
                        left: false,
                    },
                );
                Heard::Returned { restarted: false }
            }
        }
    }

    /// Notes that `node` (incarnation `inc`) was heard of; `false` when it said it left
    /// (what it still sends of its sessions is not taken).
    fn heard_from(&self, core: &Arc<Core>, node: &str, inc: u64) -> bool {
        match self.heard(node, inc) {
            Heard::Known => true,
            Heard::Left => false,
            Heard::Returned { restarted } => {
                if restarted {
                    let gone = self.forget_node(core, node);
                    self.announce_gone(core, node, gone, false);
                }
                tracing::info!(node, restarted, "a cluster node joined");
                self.rooms_may_move(core);
                self.to_all(&Wire::Hello {
                    node: self.settings.node.clone(),
                    inc: self.inc,
                    ask: node.to_owned(),
                });
                true
            }
        }
    }

    /// Every `heartbeat`: says this node is alive, and lets go of peers not heard of.
    /// After a stall of this node itself (paused, starved), the peers' silence says
    /// nothing: their heartbeats are still to be read, so they get another timeout.
    pub fn tick(self: &Arc<Self>, core: &Arc<Core>) {
        if self.leaving.load(Ordering::Acquire) {
            return;
        }
        self.to_all(&Wire::Heartbeat {
            node: self.settings.node.clone(),
            inc: self.inc,
        });
        let now = Instant::now();
        let stalled = {
            let mut last = self.last_tick.lock().expect("tick mutex poisoned");
            let stalled = last.is_some_and(|t| now.duration_since(t) > self.settings.peer_timeout / 2);
            *last = Some(now);
            stalled
        };
        let gone: Vec<String> = {
            let mut peers = self.peers.lock().expect("peer table poisoned");
            if stalled {
                for p in peers.values_mut() {
                    p.last_seen = now;
                }
                tracing::warn!("this node stalled; the other nodes get another timeout");
            }
            peers
                .iter_mut()
                .filter(|(_, p)| p.alive && now.duration_since(p.last_seen) > self.settings.peer_timeout)
                .map(|(n, p)| {
                    p.alive = false;
                    n.clone()
                })
                .collect()
        };
        if !gone.is_empty() {
            self.rooms_may_move(core);
        }
        for node in gone {
            tracing::warn!(node = %node, "a cluster node is gone; its sessions are unavailable");
            let sessions = self.forget_node(core, &node);
            self.announce_gone(core, &node, sessions, true);
        }
    }

    /// Whether this node announced `node`'s sessions gone since it last heard of them
    /// (and forgets that it did: they are announced back once).
    fn take_announced_gone(&self, node: &str) -> bool {
        let mut peers = self.peers.lock().expect("peer table poisoned");
        peers
            .get_mut(node)
            .is_some_and(|p| std::mem::take(&mut p.announced_gone))
    }

    /// Sessions that came back with their node's snapshot after this node announced them
    /// gone: their last presence to their contacts again.
    fn announce_returned(&self, core: &Arc<Core>, sessions: Vec<Arc<Session>>) {
        if sessions.is_empty() {
            return;
        }
        let core = core.clone();
        tokio::spawn(async move {
            for s in sessions {
                if let Err(e) = core.session_event(SessionEvent::Returned(&s)).await {
                    tracing::warn!(jid = %s.jid, error = %e, "presence for a returned session failed");
                }
            }
        });
    }

    /// Sessions of `node`, which went away without a word: the live node with the least
    /// name sends unavailable presence for them, as their node would have. With
    /// `may_return` (the node did not restart: it may just be slow), it remembers it did.
    fn announce_gone(&self, core: &Arc<Core>, node: &str, sessions: Vec<Arc<Session>>, may_return: bool) {
        if sessions.is_empty() || self.live_nodes().first().map(String::as_str) != Some(&*self.me) {
            return;
        }
        if let (true, Some(p)) = (
            may_return,
            self.peers.lock().expect("peer table poisoned").get_mut(node),
        ) {
            p.announced_gone = true;
        }
        let core = core.clone();
        tokio::spawn(async move {
            for s in sessions.into_iter().filter(|s| s.available()) {
                if let Err(e) = core.session_event(SessionEvent::Ended(&s)).await {
                    tracing::warn!(jid = %s.jid, error = %e, "unavailable presence for a gone node's session failed");
                }
            }
        });
    }
}

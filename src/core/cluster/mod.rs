//! The cluster: several nodes sharing one storage, each hosting some sessions, each
//! routing to all of them.
//!
//! Every node keeps the whole session table: its own sessions, and a proxy of each session
//! another node hosts (`Session::remote_node`), with the routing state the delivery rules
//! read (RFC 6121 §8: availability, priority, last presence; roster and blocklist interest;
//! carbons). So every rule runs unchanged wherever a stanza enters; what is sent to a proxy
//! goes to its node, which queues it for the real session. A node tells the others of each
//! change of its own sessions the moment it happens.
//!
//! Two subjects carry it all, over a [`Bus`] (NATS core):
//! - `<prefix>.all`: what every node hears: heartbeats, session news, snapshots. One
//!   publisher's messages arrive in the order sent, so a node's news is applied in order.
//! - `<prefix>.node.<name>`: what one node must act on: stanzas for its sessions, kicks,
//!   stanzas for rooms it hosts. One sender's stanzas to one session keep their order.
//!
//! Membership: each node sends a heartbeat every `heartbeat`; a peer not heard of for
//! `peer_timeout` is gone: its proxies leave the table, and the live node with the least
//! name sends unavailable presence on behalf of its available sessions (so contacts
//! everywhere hear it once). A peer heard of again (restarted, resumed after a pause, or
//! back after a NATS outage) is asked for a snapshot of its sessions, which replaces
//! whatever was known of it. A restarted node is told by its new incarnation number.
//!
//! The same full JID bound on two nodes ends with one: the later bind wins (ties: the
//! greater node name), on every node alike (`Sessions::upsert_remote`).

use super::session::{Kick, RemoteLink, RemoteSession, RoutingState, Session, SessionKind, SessionNews, Upserted};
use super::Core;
use crate::core::caches::Cache;
use crate::core::events::SessionEvent;
use crate::xml::Element;
use jid::{FullJid, Jid};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// A request waits at most this long for its stanzas to other nodes to leave.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

/// A snapshot goes in parts of about this many bytes of reports (NATS refuses messages
/// over 1 MB by default).
const SNAPSHOT_PART_BYTES: usize = 256 * 1024;

/// One session as the other nodes see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Report {
    jid: String,
    kind: String,
    bound_at: u64,
    state: RoutingState,
}

/// A message between nodes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Wire {
    /// I am alive (on `all`).
    Heartbeat { node: String, inc: u64 },
    /// `ask`: send a snapshot of your sessions (on `all`).
    Hello { node: String, inc: u64, ask: String },
    /// A session of mine was opened or changed (on `all`).
    Session { node: String, inc: u64, s: Report },
    /// A session of mine ended (on `all`).
    Down {
        node: String,
        inc: u64,
        jid: String,
        bound_at: u64,
    },
    /// My sessions, in parts; the first replaces whatever was known of mine (on `all`).
    Snapshot {
        node: String,
        inc: u64,
        first: bool,
        #[serde(default)]
        last: bool,
        sessions: Vec<Report>,
        /// With the first part: the external components connected to me, and whether
        /// each is hidden.
        #[serde(default)]
        components: Vec<(String, bool)>,
    },
    /// A stanza for the session `to` you host.
    Deliver { to: String, stanza: String },
    /// End the session `jid` you host, the one bound at `bound_at`.
    Kick { jid: String, bound_at: u64, reason: String },
    /// A stanza for a service you run the part of (a room you host).
    Route { from: String, stanza: String },
    /// Tell me your archive's watermarks (on `all`).
    Watermarks { node: String, inc: u64, ask: u64 },
    /// The answer to `ask`: up to where this node's archive ids are settled, and the
    /// newest it issued.
    WatermarksAre {
        ask: u64,
        node: String,
        settled: i64,
        issued: i64,
    },
    /// These accounts changed (removed, new password): forget their cached credentials,
    /// then answer `ask` (on `all`).
    AccountsChanged {
        node: String,
        inc: u64,
        ask: u64,
        jids: Vec<String>,
    },
    /// The answer to an `AccountsChanged` ask.
    Done { ask: u64, node: String },
    /// Sent to myself: everything I published before it has reached the NATS server.
    Marker { n: u64 },
    /// I am shutting down: my sessions have ended (on `all`).
    Leaving { node: String, inc: u64 },
    /// An external component connected to me (`up`) or left (on `all`).
    Component {
        node: String,
        inc: u64,
        domain: String,
        hidden: bool,
        up: bool,
    },
    /// Forget what `cache` holds for `key`: it changed (on `all`).
    Forget {
        node: String,
        inc: u64,
        cache: Cache,
        key: String,
    },
}

/// A request to the peers, collecting answers.
struct Ask {
    /// The peers yet to answer.
    waiting: std::collections::HashSet<String>,
    settled: i64,
    issued: i64,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

/// How long a reader waits for the peers' watermarks before going on without those
/// missing (a peer paused or gone has nothing settling that it could still show).
const WATERMARK_WAIT: Duration = Duration::from_millis(200);

/// How long an account change waits for the other nodes to forget cached credentials.
const ACCOUNTS_WAIT: Duration = Duration::from_secs(2);

/// Stanzas from other nodes for rooms and components hosted here, waiting at most.
const ROUTE_QUEUE: usize = 65_536;

/// An external component connected to another node: what is routed to its domain
/// goes there.
struct RemoteComponent {
    node: String,
}

#[async_trait::async_trait]
impl crate::core::routing::router::Service for RemoteComponent {
    async fn handle(
        &self,
        core: &Core,
        stanza: crate::core::routing::router::Routed,
    ) -> Result<(), crate::core::routing::router::RouteError> {
        if let Some(c) = core.cluster.get() {
            c.route_to(&self.node, &stanza.from, &stanza.stanza);
        }
        Ok(())
    }
}

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
    /// The last marker sent to this node itself that came back ([`Cluster::flushed`]).
    markers: tokio::sync::watch::Sender<u64>,
    next_marker: AtomicU64,
    /// Everything published up to this count is known to have reached NATS.
    flushed_upto: AtomicU64,
    /// Stanzas for rooms and components hosted here, handled in arrival order by a task
    /// of their own ([`Cluster::run_routes`]) so the receiving loop never waits on them.
    routes: std::sync::OnceLock<tokio::sync::mpsc::Sender<(Jid, Element)>>,
    last_tick: Mutex<Option<Instant>>,
    /// Set when the node leaves: no more heartbeats.
    leaving: std::sync::atomic::AtomicBool,
}

/// What session proxies, the session table's news and the cluster itself publish through.
struct Link {
    me: String,
    inc: u64,
    prefix: String,
    bus: Arc<dyn Bus>,
    /// Messages published so far.
    published: AtomicU64,
    /// Held while a session's news or a snapshot is built and queued, so that a snapshot
    /// and the news of the sessions in it leave in the order they were taken.
    order: Mutex<()>,
}

impl Link {
    fn to_node(&self, node: &str, wire: &Wire) {
        self.publish(format!("{}.node.{node}", self.prefix), wire);
    }

    fn to_all(&self, wire: &Wire) {
        self.publish(format!("{}.all", self.prefix), wire);
    }

    fn publish(&self, subject: String, wire: &Wire) {
        match serde_json::to_vec(wire) {
            Ok(payload) => {
                self.published.fetch_add(1, Ordering::AcqRel);
                self.bus.publish(subject, payload)
            }
            Err(e) => tracing::error!(error = %e, "a cluster message could not be encoded"),
        }
    }

    fn news(&self, wire: &Wire) {
        let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        self.to_all(wire);
    }
}

fn report(session: &Session) -> Report {
    Report {
        jid: session.jid.to_string(),
        kind: kind_name(session.kind).to_owned(),
        bound_at: session.bound_at,
        state: session.routing_state(),
    }
}

fn kind_name(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::XmppTcp => "tcp",
        SessionKind::XmppWebSocket => "websocket",
        SessionKind::XmppBosh => "bosh",
        SessionKind::EventStream => "sse",
    }
}

fn kind_of(name: &str) -> SessionKind {
    match name {
        "websocket" => SessionKind::XmppWebSocket,
        "bosh" => SessionKind::XmppBosh,
        "sse" => SessionKind::EventStream,
        _ => SessionKind::XmppTcp,
    }
}

fn serialize(stanza: &Element) -> String {
    let mut out = String::with_capacity(stanza.approx_size());
    stanza.write_to(&mut out, crate::xml::CLIENT_NS);
    out
}

impl RemoteLink for Link {
    fn deliver(&self, node: &str, to: &FullJid, stanza: Element) {
        self.to_node(
            node,
            &Wire::Deliver {
                to: to.to_string(),
                stanza: serialize(&stanza),
            },
        );
    }

    fn kick(&self, node: &str, jid: &FullJid, bound_at: u64, reason: Kick) {
        self.to_node(
            node,
            &Wire::Kick {
                jid: jid.to_string(),
                bound_at,
                reason: reason.condition().to_owned(),
            },
        );
    }
}

impl SessionNews for Link {
    fn opened(&self, session: &Session) {
        self.changed(session);
    }

    fn changed(&self, session: &Session) {
        let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        self.to_all(&Wire::Session {
            node: self.me.clone(),
            inc: self.inc,
            s: report(session),
        });
    }

    fn closed(&self, session: &Session) {
        self.news(&Wire::Down {
            node: self.me.clone(),
            inc: self.inc,
            jid: session.jid.to_string(),
            bound_at: session.bound_at,
        });
    }
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
            markers: tokio::sync::watch::Sender::new(0),
            next_marker: AtomicU64::new(0),
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

    /// Waits (at most [`FLUSH_WAIT`]) until what this node published reached the NATS
    /// server: a marker sent to this node itself comes back after everything published
    /// before it was taken by the server. A REST sender may send its next message
    /// through another node the moment this one answers; once the first is with the
    /// server, the second reaches any node after it.
    pub(crate) async fn flushed(&self) {
        if self.flushed_upto.load(Ordering::Acquire) >= self.link.published.load(Ordering::Acquire) {
            return;
        }
        let n = self.next_marker.fetch_add(1, Ordering::AcqRel) + 1;
        let mut came_back = self.markers.subscribe();
        self.link.to_node(&self.me, &Wire::Marker { n });
        // The marker covers everything published before it, itself included (or a
        // marker would call for the next one).
        let upto = self.link.published.load(Ordering::Acquire);
        let back = tokio::time::timeout(FLUSH_WAIT, came_back.wait_for(|seen| *seen >= n))
            .await
            .is_ok_and(|r| r.is_ok());
        if back {
            self.flushed_upto.fetch_max(upto, Ordering::AcqRel);
        } else {
            tracing::debug!("stanzas to other nodes did not reach NATS within the flush wait");
        }
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

    fn answered(&self, ask: u64, node: &str, settled: i64, issued: i64) {
        let mut asks = self.asks.lock().expect("ask table poisoned");
        if let Some(a) = asks.get_mut(&ask) {
            if a.waiting.remove(node) {
                a.settled = a.settled.min(settled);
                a.issued = a.issued.max(issued);
            }
            if a.waiting.is_empty() {
                if let Some(done) = a.done.take() {
                    let _ = done.send(());
                }
            }
        }
    }

    /// Asks every live peer with `wire(ask)` and waits (at most `wait`) for their
    /// answers, folded into (`settled`, `issued`) by [`Cluster::answered`].
    async fn ask_all(&self, wire: impl FnOnce(u64) -> Wire, settled: i64, issued: i64, wait: Duration) -> (i64, i64) {
        let peers: std::collections::HashSet<String> =
            self.live_nodes().into_iter().filter(|n| **n != *self.me).collect();
        if peers.is_empty() {
            return (settled, issued);
        }
        let ask = self.next_ask.fetch_add(1, Ordering::Relaxed);
        let (done, answered) = tokio::sync::oneshot::channel();
        self.asks.lock().expect("ask table poisoned").insert(
            ask,
            Ask {
                waiting: peers,
                settled,
                issued,
                done: Some(done),
            },
        );
        self.to_all(&wire(ask));
        if tokio::time::timeout(wait, answered).await.is_err() {
            tracing::debug!("not every node answered in time; going on without them");
        }
        let a = self.asks.lock().expect("ask table poisoned").remove(&ask);
        a.map_or((settled, issued), |a| (a.settled, a.issued))
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

    fn attach_component(&self, core: &Core, node: &str, domain: &str, hidden: bool) {
        let service = Arc::new(RemoteComponent { node: node.to_owned() });
        core.router.attach_remote(domain, node, service, hidden);
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

    /// Tells the other nodes that `jids` changed (removed, new password), and returns
    /// once they all forgot their cached credentials (at most [`ACCOUNTS_WAIT`]).
    pub(crate) async fn accounts_changed(&self, jids: Vec<String>) {
        let wire = |ask| Wire::AccountsChanged {
            node: self.settings.node.clone(),
            inc: self.inc,
            ask,
            jids,
        };
        self.ask_all(wire, 0, 0, ACCOUNTS_WAIT).await;
    }

    /// The archive's watermarks across the cluster, from this node's own (`settled`,
    /// `issued`): up to where every node's ids are settled (the least), and the newest id
    /// any node issued (the greatest). Ids interleave across nodes, so a reader paging
    /// forward must stop below every node's writes still under way, not only its own.
    /// Costs one round trip to the live peers (at most [`WATERMARK_WAIT`]).
    pub(crate) async fn watermarks(&self, settled: i64, issued: i64) -> (i64, i64) {
        let wire = |ask| Wire::Watermarks {
            node: self.settings.node.clone(),
            inc: self.inc,
            ask,
        };
        self.ask_all(wire, settled, issued, WATERMARK_WAIT).await
    }

    /// The nodes alive now (this one included), by name.
    pub(crate) fn live_nodes(&self) -> Vec<String> {
        let peers = self.peers.lock().expect("peer table poisoned");
        let mut nodes: Vec<String> = peers.iter().filter(|(_, p)| p.alive).map(|(n, _)| n.clone()).collect();
        nodes.push(self.settings.node.clone());
        nodes.sort();
        nodes
    }

    /// The node hosting `entity` (a room): of the live nodes, the one scoring highest
    /// for it (rendezvous hashing), so that when a node goes, only its rooms move.
    pub(crate) fn host_of(&self, entity: &str) -> String {
        self.live_nodes()
            .into_iter()
            .max_by_key(|node| score(node, entity))
            .expect("the live nodes include this one")
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

    /// Takes one message from the bus. Never waits: what takes time (a stanza for a room
    /// hosted here) is queued for [`Cluster::run_routes`].
    pub fn receive(self: &Arc<Self>, core: &Arc<Core>, payload: &[u8]) {
        let wire: Wire = match serde_json::from_slice(payload) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "an unreadable cluster message was dropped");
                return;
            }
        };
        match wire {
            Wire::Heartbeat { node, inc }
            | Wire::Hello { node, inc, .. }
            | Wire::Session { node, inc, .. }
            | Wire::Down { node, inc, .. }
            | Wire::Snapshot { node, inc, .. }
            | Wire::Watermarks { node, inc, .. }
            | Wire::AccountsChanged { node, inc, .. }
            | Wire::Forget { node, inc, .. }
            | Wire::Component { node, inc, .. }
            | Wire::Leaving { node, inc }
                if *node == *self.me =>
            {
                if inc != self.inc {
                    tracing::error!(node = %node, "another process runs as this node; node names must be unique");
                }
            }
            Wire::Heartbeat { node, inc } => {
                self.heard_from(core, &node, inc);
            }
            Wire::Hello { node, inc, ask } => {
                if self.heard_from(core, &node, inc) && *ask == *self.me {
                    self.send_snapshot(core);
                }
            }
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
            } => {
                self.heard_from(core, &node, inc);
                if let Ok(jid) = FullJid::new(&jid) {
                    core.sessions.remove_remote(&node, &jid, bound_at);
                }
            }
            Wire::Snapshot {
                node,
                inc,
                first,
                last,
                sessions,
                components,
            } => {
                // A snapshot answers a Hello: it says all there is to know of the peer.
                if !self.heard_from(core, &node, inc) {
                    return;
                }
                if first {
                    self.forget_node(core, &node);
                    for (domain, hidden) in components {
                        self.attach_component(core, &node, &domain, hidden);
                    }
                }
                for s in sessions {
                    self.upsert(core, &node, s);
                }
                if last && self.take_announced_gone(&node) {
                    let back = core
                        .sessions
                        .remote_sessions(&node)
                        .into_iter()
                        .filter(|s| s.available())
                        .collect();
                    self.announce_returned(core, back);
                }
            }
            Wire::Leaving { node, inc } => {
                if self.heard_from(core, &node, inc) {
                    if let Some(p) = self.peers.lock().expect("peer table poisoned").get_mut(&node) {
                        p.alive = false;
                        p.left = true;
                    }
                    tracing::info!(node = %node, "a cluster node left");
                    // Its sessions ended and said so; what is left of them goes quietly.
                    self.forget_node(core, &node);
                    self.rooms_may_move(core);
                }
            }
            Wire::Watermarks { node, inc, ask } => {
                self.heard_from(core, &node, inc);
                let answer = Wire::WatermarksAre {
                    ask,
                    node: self.settings.node.clone(),
                    settled: core.archive.horizon(),
                    issued: core.archive.last_issued(),
                };
                self.link.to_node(&node, &answer);
            }
            Wire::WatermarksAre {
                ask,
                node,
                settled,
                issued,
            } => self.answered(ask, &node, settled, issued),
            Wire::Done { ask, node } => self.answered(ask, &node, i64::MAX, i64::MIN),
            Wire::AccountsChanged { node, inc, ask, jids } => {
                self.heard_from(core, &node, inc);
                for jid in &jids {
                    core.accounts.forget(jid);
                }
                let done = Wire::Done {
                    ask,
                    node: self.settings.node.clone(),
                };
                self.link.to_node(&node, &done);
            }
            Wire::Component {
                node,
                inc,
                domain,
                hidden,
                up,
            } => {
                if !self.heard_from(core, &node, inc) {
                    return;
                }
                if up {
                    self.attach_component(core, &node, &domain, hidden);
                } else {
                    core.router.detach_remote(Some(&domain), &node);
                }
            }
            Wire::Forget { node, inc, cache, key } => {
                self.heard_from(core, &node, inc);
                core.caches.forget(cache, &key);
            }
            Wire::Marker { n } => {
                self.markers.send_if_modified(|seen| {
                    let newer = n > *seen;
                    if newer {
                        *seen = n;
                    }
                    newer
                });
            }
            Wire::Deliver { to, stanza } => {
                let (Ok(to), Ok(stanza)) = (FullJid::new(&to), crate::xml::parse_element(&stanza)) else {
                    tracing::warn!("an unreadable stanza from another node was dropped");
                    return;
                };
                if let Some(session) = core.sessions.local_session(&to) {
                    session.send(stanza);
                }
            }
            Wire::Kick { jid, bound_at, reason } => {
                if let (Ok(jid), Some(reason)) = (FullJid::new(&jid), Kick::from_condition(&reason)) {
                    // Only the session the sender knew: a later bind of the JID stays.
                    if let Some(session) = core.sessions.local_session(&jid).filter(|s| s.bound_at == bound_at) {
                        session.kick(reason);
                    }
                }
            }
            Wire::Route { from, stanza } => {
                let (Ok(from), Ok(stanza)) = (super::jid::parse(&from), crate::xml::parse_element(&stanza)) else {
                    tracing::warn!("an unreadable stanza from another node was dropped");
                    return;
                };
                let queued = self.routes.get().is_some_and(|q| q.try_send((from, stanza)).is_ok());
                if !queued {
                    tracing::warn!("a stanza from another node was dropped: the routing queue is full or not running");
                }
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

    /// Drops what this node knew of `node`'s: the proxies of its sessions (returned) and
    /// the components attached to it.
    fn forget_node(&self, core: &Core, node: &str) -> Vec<Arc<Session>> {
        core.router.detach_remote(None, node);
        core.sessions.remove_node(node)
    }

    fn upsert(&self, core: &Core, node: &str, s: Report) {
        let Ok(jid) = FullJid::new(&s.jid) else {
            return;
        };
        let reported = RemoteSession {
            jid,
            kind: kind_of(&s.kind),
            bound_at: s.bound_at,
            state: s.state,
        };
        let link: Arc<dyn RemoteLink> = self.link.clone();
        if core.sessions.upsert_remote(&self.me, &self.name(node), &link, reported) == Upserted::Superseded {
            tracing::debug!(node, jid = %s.jid, "a session superseded by a later bind was not taken");
        }
    }

    /// All of this node's sessions, in parts of a bounded size, taken and queued while
    /// no session's news can slip in between.
    fn send_snapshot(&self, core: &Core) {
        let _order = self.link.order.lock().unwrap_or_else(|p| p.into_inner());
        let mut parts: Vec<Vec<Report>> = vec![Vec::new()];
        let mut bytes = 0;
        for s in core.sessions.local_sessions() {
            let r = report(&s);
            let size = r.jid.len() + r.state.last.as_ref().map_or(0, String::len) + 64;
            if bytes + size > SNAPSHOT_PART_BYTES && !parts.last().is_some_and(Vec::is_empty) {
                parts.push(Vec::new());
                bytes = 0;
            }
            bytes += size;
            parts.last_mut().expect("at least one part").push(r);
        }
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            self.to_all(&Wire::Snapshot {
                node: self.settings.node.clone(),
                inc: self.inc,
                first: i == 0,
                last: i + 1 == count,
                sessions: part,
                components: if i == 0 {
                    core.router.attached_here()
                } else {
                    Vec::new()
                },
            });
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

    /// The live nodes changed, and with them the hosts of some rooms: idle rooms are read
    /// again from storage.
    fn rooms_may_move(&self, core: &Arc<Core>) {
        if let Some(muc) = core.muc.clone() {
            let core = core.clone();
            tokio::spawn(async move {
                if let Err(e) = muc.reload_idle(&*core.stores.muc).await {
                    tracing::warn!(error = %e, "rooms could not be read again after the nodes changed");
                }
            });
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
    fn every_message_kind_reads_back_as_written() {
        let wires = [
            Wire::Heartbeat {
                node: "a".into(),
                inc: 7,
            },
            Wire::Session {
                node: "a".into(),
                inc: 7,
                s: Report {
                    jid: "alice@localhost/phone".into(),
                    kind: "tcp".into(),
                    bound_at: 1,
                    state: RoutingState {
                        available: true,
                        priority: 5,
                        last: Some("<presence/>".into()),
                        ..RoutingState::default()
                    },
                },
            },
            Wire::Deliver {
                to: "bob@localhost/x".into(),
                stanza: "<message/>".into(),
            },
        ];
        for w in wires {
            let bytes = serde_json::to_vec(&w).unwrap();
            let back: Wire = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(format!("{w:?}"), format!("{back:?}"));
        }
    }

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

    #[test]
    fn session_kinds_keep_their_names() {
        for kind in [
            SessionKind::XmppTcp,
            SessionKind::XmppWebSocket,
            SessionKind::XmppBosh,
            SessionKind::EventStream,
        ] {
            assert_eq!(kind_of(kind_name(kind)), kind);
        }
    }
}

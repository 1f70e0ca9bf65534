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
use crate::xml::Element;
use jid::{FullJid, Jid};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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

    /// Resolves once everything published so far has reached the bus's server, so that
    /// whatever another node publishes after hearing of it arrives later.
    fn flush(&self) -> futures::future::BoxFuture<'_, ()>;
}

/// A request waits at most this long for its stanzas to other nodes to leave.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

/// Sessions go into a snapshot in parts of at most this many (a NATS message is small).
const SNAPSHOT_PART: usize = 200;

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
        sessions: Vec<Report>,
        /// With the first part: the external components connected to me, and whether
        /// each is hidden.
        #[serde(default)]
        components: Vec<(String, bool)>,
    },
    /// A stanza for the session `to` you host.
    Deliver { to: String, stanza: String },
    /// End the session `jid` you host.
    Kick { jid: String, reason: String },
    /// A stanza for a service you run the part of (a room you host).
    Route { from: String, stanza: String },
    /// Tell me your archive's watermarks (on `all`).
    Watermarks { node: String, inc: u64, ask: u64 },
    /// The answer to `ask`: up to where this node's archive ids are settled, and the
    /// newest it issued.
    WatermarksAre { ask: u64, settled: i64, issued: i64 },
    /// Read the account change log now; answer `ask`, if any, once read (on `all`).
    AccountsChanged { node: String, inc: u64, ask: Option<u64> },
    /// The answer to an `AccountsChanged` ask.
    Done { ask: u64 },
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

/// A node's caches of stored state that a change on another node makes stale.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Cache {
    /// Blocklists (XEP-0191), by owner.
    Blocklist,
    /// Avatar hashes for presence (XEP-0398), by owner.
    AvatarHash,
}

/// A request for the peers' archive watermarks, collecting answers.
struct Ask {
    waiting: usize,
    settled: i64,
    issued: i64,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

/// How long a reader waits for the peers' watermarks before going on without those
/// missing (a peer paused or gone has nothing settling that it could still show).
const WATERMARK_WAIT: Duration = Duration::from_millis(200);

/// How long an account change waits for the other nodes to apply it too.
const ACCOUNTS_WAIT: Duration = Duration::from_secs(2);

/// An external component connected to another node: what is routed to its domain
/// goes there.
struct RemoteComponent {
    node: String,
}

#[async_trait::async_trait]
impl super::router::Service for RemoteComponent {
    async fn handle(&self, core: &Core, stanza: super::router::Routed) -> Result<(), super::router::RouteError> {
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
}

/// This node's part in the cluster.
pub(crate) struct Cluster {
    settings: ClusterSettings,
    me: Arc<str>,
    /// Changes when the node restarts: peers drop what they knew of the last run.
    inc: u64,
    bus: Arc<dyn Bus>,
    peers: Mutex<HashMap<String, Peer>>,
    /// Interned peer names, shared by their proxies.
    names: Mutex<HashMap<String, Arc<str>>>,
    link: Arc<dyn RemoteLink>,
    asks: Mutex<HashMap<u64, Ask>>,
    next_ask: std::sync::atomic::AtomicU64,
}

/// What session proxies and the session table's news go through.
struct Link {
    me: String,
    inc: u64,
    prefix: String,
    bus: Arc<dyn Bus>,
}

impl Link {
    fn to_node(&self, node: &str, wire: &Wire) {
        publish(&*self.bus, format!("{}.node.{node}", self.prefix), wire);
    }

    fn to_all(&self, wire: &Wire) {
        publish(&*self.bus, format!("{}.all", self.prefix), wire);
    }
}

fn publish(bus: &dyn Bus, subject: String, wire: &Wire) {
    match serde_json::to_vec(wire) {
        Ok(payload) => bus.publish(subject, payload),
        Err(e) => tracing::error!(error = %e, "a cluster message could not be encoded"),
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

    fn kick(&self, node: &str, jid: &FullJid, reason: Kick) {
        self.to_node(
            node,
            &Wire::Kick {
                jid: jid.to_string(),
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
        self.to_all(&Wire::Session {
            node: self.me.clone(),
            inc: self.inc,
            s: report(session),
        });
    }

    fn closed(&self, session: &Session) {
        self.to_all(&Wire::Down {
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
}

impl Cluster {
    pub(crate) fn new(settings: ClusterSettings, bus: Arc<dyn Bus>) -> Arc<Cluster> {
        let inc: u64 = rand::random();
        let link = Arc::new(Link {
            me: settings.node.clone(),
            inc,
            prefix: settings.prefix.clone(),
            bus: bus.clone(),
        });
        Arc::new(Cluster {
            me: Arc::from(settings.node.as_str()),
            settings,
            inc,
            bus,
            peers: Mutex::default(),
            names: Mutex::default(),
            link,
            asks: Mutex::default(),
            next_ask: Default::default(),
        })
    }

    /// What the session table tells the other nodes through.
    pub(crate) fn news(&self) -> Arc<dyn SessionNews> {
        Arc::new(Link {
            me: self.settings.node.clone(),
            inc: self.inc,
            prefix: self.settings.prefix.clone(),
            bus: self.bus.clone(),
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
        publish(&*self.bus, format!("{}.all", self.settings.prefix), wire);
    }

    /// Sends `stanza` from `from` to the node `node`, for a service it hosts a part of.
    pub(crate) fn route_to(&self, node: &str, from: &Jid, stanza: &Element) {
        publish(
            &*self.bus,
            format!("{}.node.{node}", self.settings.prefix),
            &Wire::Route {
                from: from.to_string(),
                stanza: serialize(stanza),
            },
        );
    }

    /// Waits (at most [`FLUSH_WAIT`]) until what this node published reached NATS. A
    /// REST sender may send its next message through another node the moment this one
    /// answers; once the first is with NATS, the second arrives after it.
    pub(crate) async fn flushed(&self) {
        if tokio::time::timeout(FLUSH_WAIT, self.bus.flush()).await.is_err() {
            tracing::debug!("stanzas to other nodes did not leave within the flush wait");
        }
    }

    fn answered(&self, ask: u64, settled: i64, issued: i64) {
        let mut asks = self.asks.lock().expect("ask table poisoned");
        if let Some(a) = asks.get_mut(&ask) {
            a.settled = a.settled.min(settled);
            a.issued = a.issued.max(issued);
            a.waiting = a.waiting.saturating_sub(1);
            if a.waiting == 0 {
                if let Some(done) = a.done.take() {
                    let _ = done.send(());
                }
            }
        }
    }

    /// Asks every live peer with `wire(ask)` and waits (at most `wait`) for their
    /// answers, folded into (`settled`, `issued`) by [`Cluster::answered`].
    async fn ask_all(&self, wire: impl FnOnce(u64) -> Wire, settled: i64, issued: i64, wait: Duration) -> (i64, i64) {
        let peers = self.live_nodes().len() - 1;
        if peers == 0 {
            return (settled, issued);
        }
        let ask = self.next_ask.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
            tracing::debug!("not every node answered in time");
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

    /// Tells the other nodes the account change log has news, and returns once they all
    /// read it (at most [`ACCOUNTS_WAIT`]).
    pub(crate) async fn accounts_changed(&self) {
        let wire = |ask| Wire::AccountsChanged {
            node: self.settings.node.clone(),
            inc: self.inc,
            ask: Some(ask),
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
                    },
                );
                Heard::Returned { restarted: false }
            }
        }
    }

    /// Takes one message from the bus.
    pub async fn receive(self: &Arc<Self>, core: &Arc<Core>, payload: &[u8]) {
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
                if *node == *self.me =>
            {
                if inc != self.inc {
                    tracing::error!(node = %node, "another process runs as this node; node names must be unique");
                }
            }
            Wire::Heartbeat { node, inc } => self.heard_from(core, &node, inc),
            Wire::Hello { node, inc, ask } => {
                self.heard_from(core, &node, inc);
                if *ask == *self.me {
                    self.send_snapshot(core);
                }
            }
            Wire::Session { node, inc, s } => {
                self.heard_from(core, &node, inc);
                self.upsert(core, &node, s);
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
                sessions,
                components,
            } => {
                // A snapshot answers a Hello: it says all there is to know of the peer.
                self.heard_from(core, &node, inc);
                if first {
                    core.sessions.remove_node(&node);
                    core.router.detach_remote(None, &node);
                    for (domain, hidden) in components {
                        self.attach_component(core, &node, &domain, hidden);
                    }
                }
                let returned: Vec<FullJid> = sessions
                    .iter()
                    .filter(|s| s.state.available)
                    .filter_map(|s| FullJid::new(&s.jid).ok())
                    .collect();
                for s in sessions {
                    self.upsert(core, &node, s);
                }
                if self.take_announced_gone(&node) {
                    self.announce_returned(core, returned);
                }
            }
            Wire::Watermarks { node, inc, ask } => {
                self.heard_from(core, &node, inc);
                let answer = Wire::WatermarksAre {
                    ask,
                    settled: core.archive.horizon(),
                    issued: core.archive.last_issued(),
                };
                publish(&*self.bus, format!("{}.node.{node}", self.settings.prefix), &answer);
            }
            Wire::WatermarksAre { ask, settled, issued } => self.answered(ask, settled, issued),
            Wire::Done { ask } => self.answered(ask, i64::MAX, i64::MIN),
            Wire::AccountsChanged { node, inc, ask } => {
                self.heard_from(core, &node, inc);
                // Reading the log takes queries: not in the way of the stanzas behind.
                let (core, this) = (core.clone(), self.clone());
                tokio::spawn(async move {
                    if let Err(e) = core.sync_account_changes().await {
                        tracing::warn!(error = %e, "cannot apply account changes; will retry");
                    }
                    if let Some(ask) = ask {
                        publish(
                            &*this.bus,
                            format!("{}.node.{node}", this.settings.prefix),
                            &Wire::Done { ask },
                        );
                    }
                });
            }
            Wire::Component {
                node,
                inc,
                domain,
                hidden,
                up,
            } => {
                self.heard_from(core, &node, inc);
                if up {
                    self.attach_component(core, &node, &domain, hidden);
                } else {
                    core.router.detach_remote(Some(&domain), &node);
                }
            }
            Wire::Forget { node, inc, cache, key } => {
                self.heard_from(core, &node, inc);
                match cache {
                    Cache::Blocklist => core.blocklists.forget(&key),
                    Cache::AvatarHash => core.avatar_hashes.forget(&key),
                }
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
            Wire::Kick { jid, reason } => {
                if let (Ok(jid), Some(reason)) = (FullJid::new(&jid), Kick::from_condition(&reason)) {
                    if let Some(session) = core.sessions.local_session(&jid) {
                        session.kick(reason);
                    }
                }
            }
            Wire::Route { from, stanza } => {
                let (Ok(from), Ok(stanza)) = (super::jid::parse(&from), crate::xml::parse_element(&stanza)) else {
                    tracing::warn!("an unreadable stanza from another node was dropped");
                    return;
                };
                if let Err(e) = core.router.route_here(core, from, stanza).await {
                    tracing::warn!(error = %e, "a stanza from another node could not be routed");
                }
            }
        }
    }

    fn heard_from(&self, core: &Arc<Core>, node: &str, inc: u64) {
        if let Heard::Returned { restarted } = self.heard(node, inc) {
            if restarted {
                core.router.detach_remote(None, node);
                let gone = core.sessions.remove_node(node);
                self.announce_gone(core, node, gone, false);
            }
            tracing::info!(node, restarted, "a cluster node joined");
            self.rooms_may_move(core);
            self.to_all(&Wire::Hello {
                node: self.settings.node.clone(),
                inc: self.inc,
                ask: node.to_owned(),
            });
        }
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
        if core
            .sessions
            .upsert_remote(&self.me, &self.name(node), &self.link, reported)
            == Upserted::Superseded
        {
            tracing::debug!(node, jid = %s.jid, "a session superseded by a later bind was not taken");
        }
    }

    fn send_snapshot(&self, core: &Core) {
        let sessions = core.sessions.local_sessions();
        let mut parts: Vec<Vec<Report>> = sessions
            .chunks(SNAPSHOT_PART)
            .map(|c| c.iter().map(|s| report(s)).collect())
            .collect();
        if parts.is_empty() {
            parts.push(Vec::new());
        }
        for (i, part) in parts.into_iter().enumerate() {
            self.to_all(&Wire::Snapshot {
                node: self.settings.node.clone(),
                inc: self.inc,
                first: i == 0,
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
    pub fn tick(self: &Arc<Self>, core: &Arc<Core>) {
        self.to_all(&Wire::Heartbeat {
            node: self.settings.node.clone(),
            inc: self.inc,
        });
        let gone: Vec<String> = {
            let mut peers = self.peers.lock().expect("peer table poisoned");
            let now = Instant::now();
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
            core.router.detach_remote(None, &node);
            let sessions = core.sessions.remove_node(&node);
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
    fn announce_returned(&self, core: &Arc<Core>, jids: Vec<FullJid>) {
        let sessions: Vec<Arc<Session>> = jids.iter().filter_map(|j| core.sessions.session(j)).collect();
        if sessions.is_empty() {
            return;
        }
        let core = core.clone();
        tokio::spawn(async move {
            for s in sessions {
                if let Err(e) = super::presence::session_returned(&core, &s).await {
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
                if let Err(e) = super::presence::session_ended(&core, &s).await {
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

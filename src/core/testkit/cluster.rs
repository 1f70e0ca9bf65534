//! An in-process cluster for unit tests: N cores sharing one in-memory store, joined by
//! an in-memory [`Bus`] with the subjects NATS carries (`<prefix>.all`, every node;
//! `<prefix>.node.<name>`, one node). No sockets, no files.
//!
//! Run the scenarios on tokio's paused clock (`#[tokio::test(start_paused = true)]`):
//! [`ClusterHarness::settle`] then returns only once every node has handled everything
//! sent so far (the runtime is idle), and [`ClusterHarness::pass`] moves time on a
//! heartbeat at a time, ticking every running node, so timeouts are exact. A node can be
//! paused (it neither ticks nor reads, and what is sent to it waits, as for a stopped
//! process), killed (gone without a word), or started again with a new incarnation.

use super::{settings, xml, Client};
use crate::core::cluster::{Bus, Cluster, ClusterSettings};
use crate::core::session::SessionKind;
use crate::core::Core;
use crate::store::memory::MemoryStore;
use crate::store::Stores;
use jid::{BareJid, FullJid};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

const PREFIX: &str = "test";
pub(crate) const HEARTBEAT: Duration = Duration::from_millis(100);
pub(crate) const PEER_TIMEOUT: Duration = Duration::from_millis(500);

/// A node's end of the bus: its inbox, and whether it reads it.
struct Mailbox {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    /// `true` while the node is paused: what arrives waits.
    paused: watch::Sender<bool>,
}

/// Every node's mailbox, by name: what NATS is to the real nodes.
#[derive(Default)]
struct Hub {
    mailboxes: Mutex<HashMap<String, Mailbox>>,
}

impl Hub {
    fn deliver(&self, subject: &str, payload: Vec<u8>) {
        let mailboxes = self.mailboxes.lock().expect("hub poisoned");
        if subject == format!("{PREFIX}.all") {
            for m in mailboxes.values() {
                let _ = m.tx.send(payload.clone());
            }
        } else if let Some(m) = subject
            .strip_prefix(&format!("{PREFIX}.node."))
            .and_then(|node| mailboxes.get(node))
        {
            let _ = m.tx.send(payload);
        }
    }
}

/// The in-memory bus one node publishes on. As over NATS, publishing never waits: a
/// message goes to the node's outbox, which a task of its own hands to the hub in order.
struct MemoryBus {
    outbox: mpsc::UnboundedSender<(String, Vec<u8>)>,
    /// Published and not yet handed to the hub.
    unsent: Arc<AtomicUsize>,
}

impl Bus for MemoryBus {
    fn publish(&self, subject: String, payload: Vec<u8>) {
        self.unsent.fetch_add(1, Ordering::AcqRel);
        let _ = self.outbox.send((subject, payload));
    }
}

/// One running node.
pub(crate) struct Node {
    pub core: Arc<Core>,
    pub cluster: Arc<Cluster>,
    unsent: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<()>>,
}

/// N nodes `n1`…`nN` on one store, with their accounts registered (password `pw`).
pub(crate) struct ClusterHarness {
    nodes: Vec<Option<Node>>,
    hub: Arc<Hub>,
    store: Arc<MemoryStore>,
    /// The shared maps, as every node reaches them.
    pub stores: Stores,
}

fn name(i: usize) -> String {
    format!("n{}", i + 1)
}

impl ClusterHarness {
    /// `n` nodes that know each other, and `users` (local parts on `localhost`).
    pub async fn new(n: usize, users: &[&str]) -> Self {
        let store = Arc::new(MemoryStore::default());
        let mut h = ClusterHarness {
            nodes: (0..n).map(|_| None).collect(),
            hub: Arc::default(),
            stores: Stores::all_in(store.clone()),
            store,
        };
        for i in 0..n {
            h.start(i).await;
        }
        for u in users {
            let jid = BareJid::new(&format!("{u}@localhost")).unwrap();
            h.core(0).accounts().register(&jid, "pw").await.unwrap();
        }
        // One heartbeat each: every node hears of every other and asks for its snapshot.
        h.pass(HEARTBEAT).await;
        h
    }

    /// Starts node `i` (again: a restarted process, with a new incarnation).
    pub async fn start(&mut self, i: usize) {
        if let Some(old) = self.nodes[i].take() {
            old.tasks.iter().for_each(JoinHandle::abort);
        }
        let stores = Stores::all_in(Arc::new(self.store.shared_by_node(i as u8 + 1)));
        let core = Core::with_components(settings(), stores, Vec::new())
            .await
            .expect("memory storage opens");
        core.start_lifecycle().await.expect("the log applies");
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let (paused, gate) = watch::channel(false);
        let (outbox, mut queued) = mpsc::unbounded_channel::<(String, Vec<u8>)>();
        let unsent = Arc::new(AtomicUsize::new(0));
        self.hub
            .mailboxes
            .lock()
            .expect("hub poisoned")
            .insert(name(i), Mailbox { tx, paused });
        let cluster = core.join_cluster(
            ClusterSettings {
                node: name(i),
                prefix: PREFIX.into(),
                heartbeat: HEARTBEAT,
                peer_timeout: PEER_TIMEOUT,
            },
            Arc::new(MemoryBus {
                outbox,
                unsent: unsent.clone(),
            }),
        );
        let publishing = {
            let (hub, unsent, mut gate) = (self.hub.clone(), unsent.clone(), gate.clone());
            tokio::spawn(async move {
                while let Some((subject, payload)) = queued.recv().await {
                    if gate.wait_for(|paused| !*paused).await.is_err() {
                        return;
                    }
                    hub.deliver(&subject, payload);
                    unsent.fetch_sub(1, Ordering::AcqRel);
                }
            })
        };
        let receiving = {
            let (core, cluster, mut gate) = (core.clone(), cluster.clone(), gate);
            tokio::spawn(async move {
                while let Some(payload) = rx.recv().await {
                    if gate.wait_for(|paused| !*paused).await.is_err() {
                        return;
                    }
                    cluster.receive(&core, &payload);
                }
            })
        };
        let routing = cluster.run_routes(core.clone());
        self.nodes[i] = Some(Node {
            core,
            cluster,
            unsent,
            tasks: vec![publishing, receiving, routing],
        });
        self.settle().await;
    }

    /// Node `i` vanishes without a word (`kill -9`): it sends and reads nothing more.
    pub async fn kill(&mut self, i: usize) {
        if let Some(node) = self.nodes[i].take() {
            node.tasks.iter().for_each(JoinHandle::abort);
        }
        self.hub.mailboxes.lock().expect("hub poisoned").remove(&name(i));
        self.settle().await;
    }

    /// Node `i` stops (a stopped process): no heartbeats; what is sent to it waits.
    pub fn pause(&self, i: usize) {
        self.set_paused(i, true);
    }

    /// Node `i` goes on where it stopped.
    pub async fn resume(&self, i: usize) {
        self.set_paused(i, false);
        self.settle().await;
    }

    fn set_paused(&self, i: usize, paused: bool) {
        if let Some(m) = self.hub.mailboxes.lock().expect("hub poisoned").get(&name(i)) {
            m.paused.send_replace(paused);
        }
    }

    fn is_paused(&self, i: usize) -> bool {
        self.hub
            .mailboxes
            .lock()
            .expect("hub poisoned")
            .get(&name(i))
            .is_some_and(|m| *m.paused.borrow())
    }

    /// What node `i` published and its outbox still holds.
    pub fn unsent(&self, i: usize) -> usize {
        self.node(i).unsent.load(Ordering::Acquire)
    }

    pub fn core(&self, i: usize) -> &Arc<Core> {
        &self.node(i).core
    }

    pub fn cluster(&self, i: usize) -> &Arc<Cluster> {
        &self.node(i).cluster
    }

    fn node(&self, i: usize) -> &Node {
        self.nodes[i].as_ref().expect("the node runs")
    }

    /// Returns once every node handled everything sent so far.
    pub async fn settle(&self) {
        // On the paused clock, a sleep ends only when every task waits for something.
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Lets `time` pass, a heartbeat at a time; each running node ticks each time.
    pub async fn pass(&self, time: Duration) {
        let mut left = time;
        while !left.is_zero() {
            let step = left.min(HEARTBEAT);
            tokio::time::advance(step).await;
            left -= step;
            for (i, node) in self.nodes.iter().enumerate() {
                if let (Some(node), false) = (node, self.is_paused(i)) {
                    node.cluster.tick(&node.core);
                }
            }
            self.settle().await;
        }
    }

    /// A session on node `i` bound to `jid` that has sent no presence.
    pub fn bind(&self, i: usize, jid: &str) -> Client {
        self.bind_as(i, jid, SessionKind::XmppTcp)
    }

    pub fn bind_as(&self, i: usize, jid: &str, kind: SessionKind) -> Client {
        let (session, inbox) = self
            .core(i)
            .open_session(FullJid::new(jid).unwrap(), kind)
            .expect("a session opens");
        Client { session, inbox }
    }

    /// A session on node `i` that sent initial presence; the news reached every node and
    /// its queue is emptied.
    pub async fn online(&self, i: usize, jid: &str) -> Client {
        let mut c = self.bind(i, jid);
        self.settle().await;
        self.send(i, &c, "<presence/>").await;
        c.take();
        c
    }

    /// `client`, a session on node `i`, sends `stanza`; everything it caused is done.
    pub async fn send(&self, i: usize, client: &Client, stanza: &str) {
        self.core(i)
            .from_client(
                &client.session,
                xml(stanza),
                crate::core::routing::pipeline::Turn::alone(),
            )
            .await;
        self.settle().await;
    }

    /// Ends `client`'s session on node `i` as its door would.
    pub async fn close(&self, i: usize, client: &Client) {
        self.core(i).close_session(&client.session).await;
        self.settle().await;
    }

    /// `a` and `b` (bare JIDs) subscribed to each other, through the real handshake on
    /// node `i`.
    pub async fn befriend(&self, i: usize, a: &str, b: &str) {
        use crate::core::im::roster::{outbound, SubscriptionAction::*};
        let (a, b) = (BareJid::new(a).unwrap(), BareJid::new(b).unwrap());
        for (x, y) in [(&a, &b), (&b, &a)] {
            outbound(self.core(i), x, y, Subscribe, None).await.unwrap();
            outbound(self.core(i), y, x, Subscribed, None).await.unwrap();
        }
        self.settle().await;
    }

    /// The full JIDs node `i` has in its session table for `bare`, with the node hosting
    /// each (`None`: node `i` itself), sorted.
    pub fn table(&self, i: usize, bare: &str) -> Vec<(String, Option<String>)> {
        let mut rows: Vec<(String, Option<String>)> = self
            .core(i)
            .sessions()
            .sessions_of(&BareJid::new(bare).unwrap())
            .iter()
            .map(|s| (s.jid.to_string(), s.remote_node().map(str::to_owned)))
            .collect();
        rows.sort();
        rows
    }
}

impl Drop for ClusterHarness {
    fn drop(&mut self) {
        for node in self.nodes.iter().flatten() {
            node.tasks.iter().for_each(JoinHandle::abort);
        }
    }
}

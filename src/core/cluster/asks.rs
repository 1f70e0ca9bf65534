//! Questions to every live node, and the flush a REST send waits for: up to where each
//! node's archive ids are settled (forward paging reads up to the cluster's horizon),
//! and "forget these accounts' cached credentials" before an account change applies.
//! Answers are folded as they come; a node that does not answer in time is left out.

use super::wire::Wire;
use super::Cluster;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A request waits at most this long for its stanzas to other nodes to leave.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

/// A request to the peers, collecting answers.
pub(super) struct Ask {
    /// The peers yet to answer.
    waiting: std::collections::HashSet<String>,
    settled: i64,
    issued: i64,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

/// How long a reader waits for the peers' watermarks before going on without those
/// missing (a peer paused or gone has nothing settling that it could still show).
const WATERMARK_WAIT: Duration = Duration::from_millis(200);

/// How long a call to another node waits for its answer.
const CALL_WAIT: Duration = Duration::from_secs(5);

/// How long an account change waits for the other nodes to forget cached credentials.
const ACCOUNTS_WAIT: Duration = Duration::from_secs(2);

impl Cluster {
    /// Waits (at most [`FLUSH_WAIT`]) until what this node published reached the NATS
    /// server: a marker sent to this node itself comes back after everything published
    /// before it was taken by the server. A REST sender may send its next message
    /// through another node the moment this one answers; once the first is with the
    /// server, the second reaches any node after it.
    pub(crate) async fn flushed(&self) {
        let target = self.link.published.load(Ordering::Acquire);
        if self.flushed_upto.load(Ordering::Acquire) >= target {
            return;
        }
        self.marker_round_trip(|_, upto| upto >= target).await;
    }

    /// Waits (at most [`FLUSH_WAIT`]) until this node has taken everything the NATS server
    /// held for it: the marker it sends itself comes back after what other nodes had
    /// handed the server before, and the receive loop delivers in that order. A REST send
    /// about to deliver to a session of this node calls it first: the same sender's
    /// previous message, acknowledged by another node once it reached the server, is
    /// then delivered here before this one, not overtaken by it.
    pub(crate) async fn caught_up(&self) {
        // A marker numbered past those sent so far leaves after this call began.
        let sent = self.next_marker.load(Ordering::Acquire);
        self.marker_round_trip(|n, _| n > sent).await;
    }

    /// Waits for a marker that `will_do(number, published before it)` accepts to come
    /// back. At most one marker is in flight: a request joins it when it will do, and
    /// otherwise waits for it and then sends (or joins) the next. However many requests
    /// wait, the node sends about one marker per round trip through NATS, as a group
    /// commit writes one transaction for many appends.
    async fn marker_round_trip(&self, will_do: impl Fn(u64, u64) -> bool) {
        let deadline = tokio::time::Instant::now() + FLUSH_WAIT;
        loop {
            let (n, upto) = {
                let mut flight = self.marker_in_flight.lock().unwrap_or_else(|p| p.into_inner());
                *flight.get_or_insert_with(|| {
                    let n = self.next_marker.fetch_add(1, Ordering::AcqRel) + 1;
                    self.link.to_node(&self.me, &Wire::Marker { n });
                    // The marker covers everything published before it, itself included
                    // (or a marker would call for the next one).
                    (n, self.link.published.load(Ordering::Acquire))
                })
            };
            let mut came_back = self.markers.subscribe();
            let back = tokio::time::timeout_at(deadline, came_back.wait_for(|seen| *seen >= n))
                .await
                .is_ok_and(|r| r.is_ok());
            {
                // Back or given up on: the next request sends a marker of its own.
                let mut flight = self.marker_in_flight.lock().unwrap_or_else(|p| p.into_inner());
                if *flight == Some((n, upto)) {
                    *flight = None;
                }
            }
            if !back {
                tracing::debug!("stanzas to other nodes did not reach NATS within the flush wait");
                return;
            }
            self.flushed_upto.fetch_max(upto, Ordering::AcqRel);
            if will_do(n, upto) {
                return;
            }
        }
    }

    pub(super) fn answered(&self, ask: u64, node: &str, settled: i64, issued: i64) {
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

    /// Tells the other nodes that the stored domains changed, and returns once they all
    /// read them again (at most [`ACCOUNTS_WAIT`]): a domain added through this node can
    /// take a login through any other the moment the admin API answers.
    pub(crate) async fn domains_changed(&self) {
        let wire = |ask| Wire::DomainsChanged {
            node: self.settings.node.clone(),
            inc: self.inc,
            ask,
        };
        self.ask_all(wire, 0, 0, ACCOUNTS_WAIT).await;
    }

    /// Has `node` carry out `call` (`Core::answer_call` there) and returns its answer;
    /// `None` when none came within [`CALL_WAIT`] (the node is gone or too busy).
    pub(crate) async fn call(&self, node: &str, call: String) -> Option<String> {
        let ask = self.next_ask.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.calls.lock().expect("call table poisoned").insert(ask, tx);
        let wire = Wire::Call {
            node: self.settings.node.clone(),
            ask,
            call,
        };
        self.link.to_node(node, &wire);
        let answer = tokio::time::timeout(CALL_WAIT, rx).await;
        self.calls.lock().expect("call table poisoned").remove(&ask);
        answer.ok().and_then(Result::ok)
    }

    pub(super) fn call_answered(&self, ask: u64, answer: String) {
        if let Some(tx) = self.calls.lock().expect("call table poisoned").remove(&ask) {
            let _ = tx.send(answer);
        }
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
}

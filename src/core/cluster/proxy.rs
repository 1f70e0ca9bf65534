//! The sessions and components of other nodes as this node sees them, and what this
//! node tells the others of its own.
//!
//! A proxy is a [`Session`] whose sending and kicking go to its node through the
//! [`Link`]; it carries the routing state its node reported, so the delivery rules read
//! it like a local session. Reports arrive as session news and snapshots; of two
//! sessions bound to one full JID on two nodes, the later bind stays on every node
//! alike ([`upsert`]). The [`Link`] also hears of every local session's opening, change
//! and end ([`SessionNews`]) and publishes it, in the order a snapshot is cut in.

use super::wire::{kind_of, report, Report, Wire};
use super::{Bus, Cluster};
use crate::core::routing::router::{RouteError, Routed, Service};
use crate::core::session::{bare_of, Kick, RemoteLink, RoutingState, Session, SessionKind, SessionNews, Sessions};
use crate::core::Core;
use crate::xml::Element;
use jid::FullJid;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A snapshot goes in parts of about this many bytes of reports (NATS refuses messages
/// over 1 MB by default).
const SNAPSHOT_PART_BYTES: usize = 256 * 1024;

/// What became of a session another node reported ([`upsert`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Upserted {
    /// Now in the table (new, or its state updated).
    Current,
    /// A session bound later to the same full JID stays; the report is dropped.
    Superseded,
}

/// A session another node reported.
#[derive(Debug, Clone)]
pub(crate) struct RemoteSession {
    pub jid: FullJid,
    pub kind: SessionKind,
    pub bound_at: u64,
    pub state: RoutingState,
}

/// What session proxies, the session table's news and the cluster itself publish through.
pub(super) struct Link {
    pub(super) me: String,
    pub(super) inc: u64,
    pub(super) prefix: String,
    pub(super) bus: Arc<dyn Bus>,
    /// Messages published so far.
    pub(super) published: AtomicU64,
    /// Held while a session's news or a snapshot is built and queued, so that a snapshot
    /// and the news of the sessions in it leave in the order they were taken.
    pub(super) order: Mutex<()>,
}

impl Link {
    pub(super) fn to_node(&self, node: &str, wire: &Wire) {
        self.publish(self.node_subject(node), wire);
    }

    /// The subject only `node` hears.
    fn node_subject(&self, node: &str) -> String {
        format!("{}.node.{node}", self.prefix)
    }

    pub(super) fn to_all(&self, wire: &Wire) {
        self.publish(format!("{}.all", self.prefix), wire);
    }

    fn publish(&self, subject: String, wire: &Wire) {
        match serde_json::to_vec(wire) {
            Ok(payload) => self.publish_bytes(subject, payload),
            Err(e) => tracing::error!(error = %e, "a cluster message could not be encoded"),
        }
    }

    fn publish_bytes(&self, subject: String, payload: Vec<u8>) {
        self.published.fetch_add(1, Ordering::AcqRel);
        self.bus.publish(subject, payload)
    }

    fn news(&self, wire: &Wire) {
        let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        self.to_all(wire);
    }
}

impl RemoteLink for Link {
    fn deliver(&self, node: &str, to: &FullJid, stanza: Element) {
        let payload = super::wire::encode_deliver(to.as_str(), &stanza);
        self.publish_bytes(self.node_subject(node), payload);
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

/// Puts a session hosted by `node` in `sessions`, or updates its state. Of two sessions
/// bound to one full JID, the one bound later stays (ties: the greater node name); a
/// local session that loses is kicked with `<conflict/>`. `me` is this node's name.
pub(super) fn upsert(
    sessions: &Sessions,
    me: &str,
    node: &Arc<str>,
    link: &Arc<dyn RemoteLink>,
    reported: RemoteSession,
) -> Upserted {
    let mut kicked = None;
    let outcome = sessions.edit_account(bare_of(&reported.jid), |list| {
        let mut outcome = Upserted::Current;
        match list.iter().position(|s| s.jid == reported.jid) {
            Some(i) if list[i].remote_node() == Some(&**node) && list[i].bound_at == reported.bound_at => {
                list[i].apply_routing_state(&reported.state);
            }
            Some(i) => {
                let held = &list[i];
                let held_node = held.remote_node().unwrap_or(me);
                if (held.bound_at, held_node) > (reported.bound_at, &**node) {
                    outcome = Upserted::Superseded;
                } else {
                    let old = list.remove(i);
                    old.leave_table();
                    if old.remote_node().is_none() {
                        kicked = Some(old);
                    }
                }
            }
            None => {}
        }
        if outcome == Upserted::Current && !list.iter().any(|s| s.jid == reported.jid) {
            let remote = (node.clone(), link.clone());
            list.push(sessions.proxy(
                reported.jid.clone(),
                reported.kind,
                reported.bound_at,
                remote,
                &reported.state,
            ));
        }
        outcome
    });
    if let Some(old) = kicked {
        old.kick(Kick::Conflict);
    }
    outcome
}

/// Removes the session `node` reported for `jid`, bound at `bound_at`.
pub(super) fn remove(sessions: &Sessions, node: &str, jid: &FullJid, bound_at: u64) -> Option<Arc<Session>> {
    sessions.edit_account(bare_of(jid), |list| {
        let i = list
            .iter()
            .position(|s| &s.jid == jid && s.remote_node() == Some(node) && s.bound_at == bound_at)?;
        Some(list.remove(i))
    })
}

/// Removes every session hosted by `node` (it is gone, or restarted) and returns them.
pub(super) fn remove_node(sessions: &Sessions, node: &str) -> Vec<Arc<Session>> {
    sessions.remove_where(|s| s.remote_node() == Some(node))
}

/// The sessions `node` hosts, as this node knows them.
pub(super) fn of_node(sessions: &Sessions, node: &str) -> Vec<Arc<Session>> {
    sessions.select(|s| s.remote_node() == Some(node))
}

/// An external component connected to another node: what is routed to its domain
/// goes there.
struct RemoteComponent {
    node: String,
}

#[async_trait::async_trait]
impl Service for RemoteComponent {
    async fn handle(&self, core: &Core, stanza: Routed) -> Result<(), RouteError> {
        if let Some(c) = core.cluster.get() {
            c.route_to(&self.node, &stanza.from, &stanza.stanza);
        }
        Ok(())
    }
}

impl Cluster {
    pub(super) fn upsert(&self, core: &Core, node: &str, s: Report) {
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
        if upsert(&core.sessions, &self.me, &self.name(node), &link, reported) == Upserted::Superseded {
            tracing::debug!(node, jid = %s.jid, "a session superseded by a later bind was not taken");
        }
    }

    /// Drops what this node knew of `node`'s: the proxies of its sessions (returned) and
    /// the components attached to it.
    pub(super) fn forget_node(&self, core: &Core, node: &str) -> Vec<Arc<Session>> {
        core.router.detach_remote(None, node);
        remove_node(&core.sessions, node)
    }

    /// All of this node's sessions, in parts of a bounded size, taken and queued while
    /// no session's news can slip in between.
    pub(super) fn send_snapshot(&self, core: &Core) {
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

    pub(super) fn attach_component(&self, core: &Core, node: &str, domain: &str, hidden: bool) {
        let service = Arc::new(RemoteComponent { node: node.to_owned() });
        core.router.attach_remote(domain, node, service, hidden);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::metrics::Metrics;
    use crate::core::session::Limits;
    use jid::BareJid;

    fn full(s: &str) -> FullJid {
        FullJid::new(s).unwrap()
    }

    fn table() -> (Sessions, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::new());
        (Sessions::new(metrics.clone()), metrics)
    }

    fn limits(queue_len: usize) -> Limits {
        Limits {
            queue_len,
            queue_bytes: 1 << 20,
            max_per_user: 10,
        }
    }

    fn xml(text: &str) -> Element {
        crate::xml::parse_element(text).unwrap()
    }

    /// Records what the cluster would carry.
    #[derive(Default)]
    struct Wire {
        delivered: Mutex<Vec<(String, String, String)>>,
        kicked: Mutex<Vec<(String, String)>>,
    }

    impl RemoteLink for Wire {
        fn deliver(&self, node: &str, to: &FullJid, stanza: Element) {
            self.delivered
                .lock()
                .unwrap()
                .push((node.into(), to.to_string(), stanza.name.clone()));
        }
        fn kick(&self, node: &str, jid: &FullJid, _bound_at: u64, reason: Kick) {
            self.kicked
                .lock()
                .unwrap()
                .push((node.into(), format!("{jid} {}", reason.condition())));
        }
    }

    fn reported(jid: &str, bound_at: u64, available: bool) -> RemoteSession {
        RemoteSession {
            jid: full(jid),
            kind: SessionKind::XmppTcp,
            bound_at,
            state: RoutingState {
                available,
                priority: 3,
                ..RoutingState::default()
            },
        }
    }

    #[tokio::test]
    async fn a_session_of_another_node_is_routed_to_through_its_link_and_leaves_with_its_node() {
        let (table, _) = table();
        let wire = Arc::new(Wire::default());
        let link: Arc<dyn RemoteLink> = wire.clone();
        let b: Arc<str> = Arc::from("b");
        assert_eq!(
            upsert(&table, "a", &b, &link, reported("bob@localhost/phone", 5, true)),
            Upserted::Current
        );
        let bob = BareJid::new("bob@localhost").unwrap();
        let proxies = table.sessions_of(&bob);
        assert_eq!(proxies.len(), 1);
        assert!(table.any_available("bob@localhost"));
        assert_eq!((proxies[0].priority(), proxies[0].remote_node()), (3, Some("b")));
        assert!(proxies[0].send(xml("<message/>")));
        assert_eq!(
            *wire.delivered.lock().unwrap(),
            [("b".into(), "bob@localhost/phone".into(), "message".into())]
        );
        // The table counts only this node's own sessions.
        assert_eq!(table.session_count(), 0);
        // A newer report of the same session updates it in place.
        upsert(&table, "a", &b, &link, reported("bob@localhost/phone", 5, false));
        assert!(!table.any_available("bob@localhost"));
        assert_eq!(remove_node(&table, "b").len(), 1);
        assert!(table.sessions_of(&bob).is_empty());
    }

    #[tokio::test]
    async fn of_one_full_jid_bound_on_two_nodes_the_later_bind_stays() {
        let (table, _) = table();
        let wire = Arc::new(Wire::default());
        let link: Arc<dyn RemoteLink> = wire.clone();
        let b: Arc<str> = Arc::from("b");
        let (local, _inbox) = table
            .register(full("bob@localhost/phone"), SessionKind::XmppTcp, limits(8))
            .unwrap();
        // An older bind elsewhere loses: the local session stays, nothing is kicked.
        let older = reported("bob@localhost/phone", local.bound_at - 1, true);
        assert_eq!(upsert(&table, "a", &b, &link, older), Upserted::Superseded);
        assert!(!local.is_ended());
        // A later one wins: the local session is told <conflict/>, the proxy takes its place.
        let later = reported("bob@localhost/phone", local.bound_at + 1, true);
        assert_eq!(upsert(&table, "a", &b, &link, later), Upserted::Current);
        assert_eq!(local.kicked().await, Kick::Conflict);
        let now = table.session(&full("bob@localhost/phone")).unwrap();
        assert_eq!(now.remote_node(), Some("b"));
        // Binding here again replaces the proxy: its node is told to kick its session.
        let (_again, _inbox) = table
            .register(full("bob@localhost/phone"), SessionKind::XmppTcp, limits(8))
            .unwrap();
        assert_eq!(
            *wire.kicked.lock().unwrap(),
            [("b".into(), "bob@localhost/phone conflict".into())]
        );
    }
}

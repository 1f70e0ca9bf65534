//! Sessions: the table of every connected resource, whatever door it came through (an
//! XMPP stream over TCP or WebSocket, an SSE stream).
//!
//! A session registers its full JID and an outbound queue bounded in stanzas and in bytes
//! ([`Limits`]). Delivering to a session never waits: when its queue is full the session
//! cannot keep up; it is told to close (once, with one log line) and gets nothing more,
//! so a slow reader never makes the server's memory grow (and the metrics count it, by
//! the bound reached). An account has at most `max_per_user` sessions at once.
//!
//! Which sessions a stanza goes to is decided by the services of `router`
//! (for accounts, `delivery`, RFC 6121 §8); this module only keeps the table and
//! moves stanzas into queues.

use super::metrics::{Metrics, QueueLimit, SessionCounts};
use crate::xml::Element;
use jid::{BareJid, FullJid};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{mpsc, Notify};

/// How much a session may hold and how many an account may have.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Stanzas waiting for the session's writer.
    pub queue_len: usize,
    /// Their approximate size in bytes ([`Element::approx_size`]).
    pub queue_bytes: usize,
    /// Sessions one account may have at once (XMPP and SSE together).
    pub max_per_user: usize,
}

/// The receiving end of a session's queue, read by its door's writer.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::Receiver<(Element, usize)>,
    queued_bytes: Arc<AtomicUsize>,
}

impl Inbox {
    /// The next stanza; `None` once the session is gone.
    pub async fn recv(&mut self) -> Option<Element> {
        let (stanza, size) = self.rx.recv().await?;
        self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        Some(stanza)
    }

    /// A stanza already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Element> {
        let (stanza, size) = self.rx.try_recv().ok()?;
        self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        Some(stanza)
    }
}

/// What carries a session: told by the door that opens it, counted per kind by
/// `Sessions::count_by_kind` for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An XMPP stream over TCP (RFC 6120).
    XmppTcp,
    /// An XMPP stream over WebSocket (RFC 7395).
    XmppWebSocket,
    /// A server-sent events stream of the REST API.
    EventStream,
}

/// Why a session could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the account has too many sessions (at most {max})")]
    TooManySessions { max: usize },
}

/// Why a session must end, sent to it out of band (its queue may be full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kick {
    /// Another session bound the same full JID (RFC 6120 §7.7.2.2).
    Conflict,
    /// The session's outbound queue overflowed.
    TooSlow,
    /// The account was removed or its password changed (RFC 6120 §4.9.3.16: the
    /// credentials the stream was authenticated with are no longer valid).
    Reset,
    /// The server is shutting down.
    Shutdown,
}

impl Kick {
    /// The RFC 6120 §4.9.3 stream error condition.
    pub fn condition(self) -> &'static str {
        match self {
            Kick::Conflict => "conflict",
            Kick::TooSlow => "resource-constraint",
            Kick::Reset => "reset",
            Kick::Shutdown => "system-shutdown",
        }
    }
}

/// What the delivery rules need to know of a session's presence.
#[derive(Debug, Clone, Default)]
struct PresenceState {
    /// Initial presence sent and not yet unavailable.
    available: bool,
    priority: i8,
    /// The last available presence, to answer probes.
    last: Option<Element>,
    /// JIDs sent directed presence, owed an unavailable one when the session ends.
    directed: Vec<jid::Jid>,
}

/// A registered session.
#[derive(Debug)]
pub struct Session {
    pub id: u64,
    pub jid: FullJid,
    pub(crate) kind: SessionKind,
    queue: mpsc::Sender<(Element, usize)>,
    queued_bytes: Arc<AtomicUsize>,
    max_bytes: usize,
    /// Set with the first kick: nothing more is queued after it.
    ended: AtomicBool,
    kick: Mutex<Option<Kick>>,
    kicked: Notify,
    presence: Mutex<PresenceState>,
    /// Requested the roster, so it gets roster pushes (RFC 6121 2.1.6).
    wants_roster: std::sync::atomic::AtomicBool,
    /// Asked for message carbons (XEP-0280).
    carbons: AtomicBool,
    /// Asked for the blocklist, so it gets blocklist pushes (XEP-0191 §3.2).
    wants_blocklist: AtomicBool,
    /// Counts the session's closing should its queue overflow.
    metrics: Arc<Metrics>,
}

impl Session {
    /// Queues `stanza`. A queue full in stanzas or bytes kicks the session (it cannot
    /// keep up); a session that was kicked takes nothing more. `false`: not queued.
    pub fn send(&self, stanza: Element) -> bool {
        if self.ended.load(Ordering::Acquire) {
            return false;
        }
        let size = stanza.approx_size();
        let queued = self.queued_bytes.fetch_add(size, Ordering::AcqRel) + size;
        let over_bytes = queued > self.max_bytes;
        let result = if over_bytes {
            Err(QueueLimit::Bytes)
        } else {
            match self.queue.try_send((stanza, size)) {
                Ok(()) => Ok(()),
                Err(mpsc::error::TrySendError::Full(_)) => Err(QueueLimit::Stanzas),
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
                    return false;
                }
            }
        };
        if let Err(limit) = result {
            self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
            if self.kick(Kick::TooSlow) {
                self.metrics.queue_full(limit);
                tracing::warn!(jid = %self.jid, queued_bytes = queued - size, "outbound queue full; closing the session");
            }
            return false;
        }
        true
    }

    /// Tells the session to end with `reason` (the first reason wins); `true` when this
    /// call was the first.
    pub fn kick(&self, reason: Kick) -> bool {
        let mut k = self.kick.lock().expect("kick mutex poisoned");
        if k.is_some() {
            return false;
        }
        *k = Some(reason);
        self.ended.store(true, Ordering::Release);
        self.kicked.notify_one();
        true
    }

    /// Waits until the session is kicked, then says why.
    pub async fn kicked(&self) -> Kick {
        loop {
            if let Some(k) = *self.kick.lock().expect("kick mutex poisoned") {
                return k;
            }
            self.kicked.notified().await;
        }
    }

    pub fn wants_roster(&self) -> bool {
        self.wants_roster.load(Ordering::Relaxed)
    }

    pub fn carbons(&self) -> bool {
        self.carbons.load(Ordering::Relaxed)
    }

    pub fn set_carbons(&self, on: bool) {
        self.carbons.store(on, Ordering::Relaxed);
    }

    pub fn wants_blocklist(&self) -> bool {
        self.wants_blocklist.load(Ordering::Relaxed)
    }

    pub fn set_wants_blocklist(&self) {
        self.wants_blocklist.store(true, Ordering::Relaxed);
    }

    pub fn set_wants_roster(&self) {
        self.wants_roster.store(true, Ordering::Relaxed);
    }

    fn presence(&self) -> std::sync::MutexGuard<'_, PresenceState> {
        self.presence.lock().expect("presence mutex poisoned")
    }

    pub fn available(&self) -> bool {
        self.presence().available
    }

    pub fn priority(&self) -> i8 {
        self.presence().priority
    }

    /// The last available presence, while the session is available.
    pub fn last_presence(&self) -> Option<Element> {
        let state = self.presence();
        state.last.clone().filter(|_| state.available)
    }

    /// Available for routing without having sent presence (an event stream).
    pub(crate) fn mark_available(&self, priority: i8) {
        let mut state = self.presence();
        state.available = true;
        state.priority = priority;
    }

    /// Records an available presence; `true` when it is the initial one.
    pub(crate) fn set_available(&self, priority: i8, presence: Element) -> bool {
        let mut state = self.presence();
        let initial = !state.available;
        state.available = true;
        state.priority = priority;
        state.last = Some(presence);
        initial
    }

    /// Records unavailability; returns whether it was available and the JIDs it had
    /// sent directed presence to.
    pub(crate) fn set_unavailable(&self) -> (bool, Vec<jid::Jid>) {
        let mut state = self.presence();
        let was = state.available;
        state.available = false;
        state.last = None;
        (was, std::mem::take(&mut state.directed))
    }

    /// Remembers (or, for unavailable, forgets) directed presence sent to `to`.
    pub(crate) fn note_directed(&self, to: &jid::Jid, available: bool) {
        let mut state = self.presence();
        if !available {
            state.directed.retain(|j| j != to);
        } else if !state.directed.contains(to) {
            state.directed.push(to.clone());
        }
    }
}

/// The session table: bare JID → that account's sessions.
pub struct Sessions {
    /// Keyed by the bare JID's canonical text, so a roster's stored contacts can be
    /// looked up without preparing each as a JID.
    sessions: RwLock<HashMap<String, Vec<Arc<Session>>>>,
    next_id: AtomicU64,
    /// Handed to every session, which counts its own closing for a full queue.
    metrics: Arc<Metrics>,
}

impl Sessions {
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        Sessions {
            sessions: RwLock::default(),
            next_id: AtomicU64::new(0),
            metrics,
        }
    }

    /// Registers a session of `kind` for `jid` with an outbound queue within `limits`. A
    /// session already bound to the same full JID is kicked with `<conflict/>`; an
    /// account with `max_per_user` other sessions gets no more.
    pub(crate) fn register(
        &self,
        jid: FullJid,
        kind: SessionKind,
        limits: Limits,
    ) -> Result<(Arc<Session>, Inbox), OpenError> {
        let (tx, rx) = mpsc::channel(limits.queue_len.max(1));
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let session = Arc::new(Session {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            jid: jid.clone(),
            kind,
            queue: tx,
            queued_bytes: queued_bytes.clone(),
            max_bytes: limits.queue_bytes,
            ended: AtomicBool::new(false),
            kick: Mutex::new(None),
            kicked: Notify::new(),
            presence: Mutex::new(PresenceState::default()),
            wants_roster: std::sync::atomic::AtomicBool::new(false),
            carbons: AtomicBool::new(false),
            wants_blocklist: AtomicBool::new(false),
            metrics: self.metrics.clone(),
        });
        let replaced = {
            let mut table = self.sessions.write().expect("session table poisoned");
            let list = table.entry(bare_of(&jid).to_owned()).or_default();
            let old = list.iter().position(|s| s.jid == jid);
            if old.is_none() && list.len() >= limits.max_per_user {
                return Err(OpenError::TooManySessions {
                    max: limits.max_per_user,
                });
            }
            let old = old.map(|i| list.remove(i));
            list.push(session.clone());
            old
        };
        if let Some(old) = replaced {
            old.kick(Kick::Conflict);
        }
        Ok((session, Inbox { rx, queued_bytes }))
    }

    /// Removes the session `id` of `jid`'s account (a no-op if it was replaced already).
    pub fn unregister(&self, jid: &FullJid, id: u64) {
        let mut table = self.sessions.write().expect("session table poisoned");
        let bare = bare_of(jid);
        if let Some(list) = table.get_mut(bare) {
            list.retain(|s| s.id != id);
            if list.is_empty() {
                table.remove(bare);
            }
        }
    }

    /// Every session of the account.
    pub fn sessions_of(&self, bare: &BareJid) -> Vec<Arc<Session>> {
        self.sessions
            .read()
            .expect("session table poisoned")
            .get(bare.as_str())
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the account whose canonical bare JID is `bare` has an available session:
    /// a hash lookup, so a presence broadcast pays little for contacts who are offline.
    pub fn any_available(&self, bare: &str) -> bool {
        self.sessions
            .read()
            .expect("session table poisoned")
            .get(bare)
            .is_some_and(|l| l.iter().any(|s| s.available()))
    }

    /// The session bound to exactly `jid`.
    pub fn session(&self, jid: &FullJid) -> Option<Arc<Session>> {
        self.sessions
            .read()
            .expect("session table poisoned")
            .get(bare_of(jid))
            .and_then(|l| l.iter().find(|s| &s.jid == jid).cloned())
    }

    /// Kicks every session of `bare` (account removed or password changed).
    pub fn kick_account(&self, bare: &BareJid, reason: Kick) {
        for s in self.sessions_of(bare) {
            s.kick(reason);
        }
    }

    /// Kicks every session (shutdown).
    pub fn kick_all(&self, reason: Kick) {
        let all: Vec<Arc<Session>> = self
            .sessions
            .read()
            .expect("session table poisoned")
            .values()
            .flatten()
            .cloned()
            .collect();
        for s in all {
            s.kick(reason);
        }
    }

    /// Sessions in the table now, by kind. Walks the table under its read lock: meant
    /// for a scrape every few seconds, not for a hot path.
    pub(crate) fn count_by_kind(&self) -> SessionCounts {
        let mut counts = SessionCounts::default();
        let table = self.sessions.read().expect("session table poisoned");
        for s in table.values().flatten() {
            counts.add(s.kind);
        }
        counts
    }

    pub fn session_count(&self) -> usize {
        self.sessions
            .read()
            .expect("session table poisoned")
            .values()
            .map(Vec::len)
            .sum()
    }
}

/// The bare part of a full JID's text: everything before the first `/` (a localpart or
/// domainpart never contains one, RFC 7622 §3.1).
fn bare_of(jid: &FullJid) -> &str {
    let text = jid.as_str();
    text.split_once('/').map_or(text, |(bare, _)| bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(s: &str) -> FullJid {
        FullJid::new(s).unwrap()
    }

    fn table() -> (Sessions, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::new());
        (Sessions::new(metrics.clone()), metrics)
    }

    /// Whether the metrics say `n` sessions were closed for reaching `limit`.
    fn closed_for(metrics: &Metrics, limit: &str, n: u64) -> bool {
        let text = metrics.render(SessionCounts::default());
        text.contains(&format!(
            "meerkat_sessions_closed_queue_full_total{{limit=\"{limit}\"}} {n}\n"
        ))
    }

    fn limits(queue_len: usize) -> Limits {
        Limits {
            queue_len,
            queue_bytes: 1 << 20,
            max_per_user: 10,
        }
    }

    #[tokio::test]
    async fn a_second_session_on_the_same_full_jid_replaces_the_first() {
        let (table, _) = table();
        let (first, _rx1) = table
            .register(full("alice@localhost/phone"), SessionKind::XmppTcp, limits(8))
            .unwrap();
        let (other, _rx2) = table
            .register(full("alice@localhost/laptop"), SessionKind::XmppTcp, limits(8))
            .unwrap();
        let (second, _rx3) = table
            .register(full("alice@localhost/phone"), SessionKind::XmppTcp, limits(8))
            .unwrap();
        assert_eq!(first.kicked().await, Kick::Conflict);
        assert_eq!(table.session(&full("alice@localhost/phone")).unwrap().id, second.id);
        assert_eq!(table.sessions_of(&BareJid::new("alice@localhost").unwrap()).len(), 2);
        // The replaced session leaving does not remove its successor.
        table.unregister(&first.jid, first.id);
        assert!(table.session(&full("alice@localhost/phone")).is_some());
        table.unregister(&second.jid, second.id);
        table.unregister(&other.jid, other.id);
        assert_eq!(table.session_count(), 0);
    }

    #[tokio::test]
    async fn a_session_that_cannot_keep_up_is_kicked_once_and_then_takes_nothing() {
        let (table, metrics) = table();
        let (s, mut inbox) = table
            .register(full("bob@localhost/r"), SessionKind::XmppTcp, limits(2))
            .unwrap();
        let m = Element::new("message", "jabber:client");
        assert!(s.send(m.clone()));
        assert!(s.send(m.clone()));
        assert!(!s.send(m.clone()), "a third stanza overflows a queue of two");
        assert_eq!(s.kicked().await, Kick::TooSlow);
        assert!(!s.kick(Kick::TooSlow), "kicked once");
        assert!(closed_for(&metrics, "stanzas", 1) && closed_for(&metrics, "bytes", 0));
        assert!(inbox.recv().await.is_some());
        assert!(!s.send(m), "room in the queue again, but the session is over");
    }

    #[tokio::test]
    async fn the_queue_is_bounded_in_bytes_too() {
        let (table, metrics) = table();
        let small = Limits {
            queue_len: 1000,
            queue_bytes: 4096,
            max_per_user: 10,
        };
        let (s, mut inbox) = table
            .register(full("bob@localhost/r"), SessionKind::XmppTcp, small)
            .unwrap();
        let big = Element::new("message", "jabber:client").with_text("x".repeat(1500));
        assert!(s.send(big.clone()));
        assert!(s.send(big.clone()));
        assert!(inbox.try_recv().is_some(), "reading frees its bytes");
        assert!(s.send(big.clone()));
        assert!(!s.send(big.clone()), "three of them exceed 4 KiB");
        assert_eq!(s.kicked().await, Kick::TooSlow);
        assert!(!s.send(big), "nothing more once kicked, and not counted twice");
        assert!(closed_for(&metrics, "bytes", 1) && closed_for(&metrics, "stanzas", 0));
    }

    #[test]
    fn an_account_has_at_most_max_per_user_sessions_but_may_replace_one() {
        let (table, _) = table();
        let two = Limits {
            max_per_user: 2,
            ..limits(8)
        };
        let _a = table
            .register(full("alice@localhost/a"), SessionKind::XmppTcp, two)
            .unwrap();
        let _b = table
            .register(full("alice@localhost/b"), SessionKind::XmppTcp, two)
            .unwrap();
        assert_eq!(
            table
                .register(full("alice@localhost/c"), SessionKind::XmppTcp, two)
                .unwrap_err(),
            OpenError::TooManySessions { max: 2 }
        );
        assert!(
            table
                .register(full("alice@localhost/a"), SessionKind::XmppTcp, two)
                .is_ok(),
            "a replacement is no new session"
        );
        assert!(table
            .register(full("bob@localhost/a"), SessionKind::XmppTcp, two)
            .is_ok());
    }

    #[test]
    fn sessions_are_counted_by_kind_and_a_replaced_or_ended_one_no_longer_counts() {
        let (table, _) = table();
        let l = limits(8);
        let (tcp, _r1) = table
            .register(full("alice@localhost/a"), SessionKind::XmppTcp, l)
            .unwrap();
        let _r2 = table
            .register(full("alice@localhost/b"), SessionKind::XmppWebSocket, l)
            .unwrap();
        let _r3 = table
            .register(full("bob@localhost/sse-1"), SessionKind::EventStream, l)
            .unwrap();
        let _r4 = table
            .register(full("bob@localhost/sse-2"), SessionKind::EventStream, l)
            .unwrap();
        let counts = |t: &Sessions| {
            let c = t.count_by_kind();
            (c.xmpp_tcp, c.xmpp_websocket, c.event_streams)
        };
        assert_eq!(counts(&table), (1, 1, 2));
        // alice/a comes back over WebSocket: the TCP session it replaces is gone.
        let _r5 = table
            .register(full("alice@localhost/a"), SessionKind::XmppWebSocket, l)
            .unwrap();
        assert_eq!(counts(&table), (0, 2, 2));
        table.unregister(&tcp.jid, tcp.id);
        assert_eq!(
            counts(&table),
            (0, 2, 2),
            "the replaced session leaving changes nothing"
        );
    }
}

//! Sessions: the table of every connected resource, whatever door it came through (an
//! XMPP stream over TCP or WebSocket, an SSE stream).
//!
//! A session registers its full JID and a bounded outbound queue. Delivering to a session
//! never waits: when its queue is full the session cannot keep up, and it is told to
//! close with a stream error, so a slow reader never makes the server's memory grow.
//!
//! Which sessions a stanza goes to is decided by the services of `router`
//! (for accounts, `delivery`, RFC 6121 §8); this module only keeps the table and
//! moves stanzas into queues.

use crate::xml::Element;
use jid::{BareJid, FullJid};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{mpsc, Notify};

/// What a session's writer receives.
#[derive(Debug, Clone)]
pub enum Outbound {
    Stanza(Element),
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
    queue: mpsc::Sender<Outbound>,
    kick: Mutex<Option<Kick>>,
    kicked: Notify,
    presence: Mutex<PresenceState>,
    /// Requested the roster, so it gets roster pushes (RFC 6121 2.1.6).
    wants_roster: std::sync::atomic::AtomicBool,
}

impl Session {
    /// Queues `stanza`; a full queue kicks the session (it cannot keep up).
    pub fn send(&self, stanza: Element) -> bool {
        match self.queue.try_send(Outbound::Stanza(stanza)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(jid = %self.jid, "outbound queue full; closing the session");
                self.kick(Kick::TooSlow);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Tells the session to end with `reason` (the first reason wins).
    pub fn kick(&self, reason: Kick) {
        let mut k = self.kick.lock().expect("kick mutex poisoned");
        if k.is_none() {
            *k = Some(reason);
            self.kicked.notify_one();
        }
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
#[derive(Default)]
pub struct Sessions {
    sessions: RwLock<HashMap<BareJid, Vec<Arc<Session>>>>,
    next_id: AtomicU64,
}

impl Sessions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a session for `jid` with an outbound queue of `queue_len` stanzas. A
    /// session already bound to the same full JID is kicked with `<conflict/>`.
    pub fn register(&self, jid: FullJid, queue_len: usize) -> (Arc<Session>, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel(queue_len.max(1));
        let session = Arc::new(Session {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            jid: jid.clone(),
            queue: tx,
            kick: Mutex::new(None),
            kicked: Notify::new(),
            presence: Mutex::new(PresenceState::default()),
            wants_roster: std::sync::atomic::AtomicBool::new(false),
        });
        let replaced = {
            let mut table = self.sessions.write().expect("session table poisoned");
            let list = table.entry(jid.to_bare()).or_default();
            let old = list.iter().position(|s| s.jid == jid).map(|i| list.remove(i));
            list.push(session.clone());
            old
        };
        if let Some(old) = replaced {
            old.kick(Kick::Conflict);
        }
        (session, rx)
    }

    /// Removes the session `id` of `jid`'s account (a no-op if it was replaced already).
    pub fn unregister(&self, jid: &FullJid, id: u64) {
        let mut table = self.sessions.write().expect("session table poisoned");
        let bare = jid.to_bare();
        if let Some(list) = table.get_mut(&bare) {
            list.retain(|s| s.id != id);
            if list.is_empty() {
                table.remove(&bare);
            }
        }
    }

    /// Every session of the account.
    pub fn sessions_of(&self, bare: &BareJid) -> Vec<Arc<Session>> {
        self.sessions
            .read()
            .expect("session table poisoned")
            .get(bare)
            .cloned()
            .unwrap_or_default()
    }

    /// The session bound to exactly `jid`.
    pub fn session(&self, jid: &FullJid) -> Option<Arc<Session>> {
        self.sessions
            .read()
            .expect("session table poisoned")
            .get(&jid.to_bare())
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

    pub fn session_count(&self) -> usize {
        self.sessions
            .read()
            .expect("session table poisoned")
            .values()
            .map(Vec::len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(s: &str) -> FullJid {
        FullJid::new(s).unwrap()
    }

    #[tokio::test]
    async fn a_second_session_on_the_same_full_jid_replaces_the_first() {
        let table = Sessions::new();
        let (first, _rx1) = table.register(full("alice@localhost/phone"), 8);
        let (other, _rx2) = table.register(full("alice@localhost/laptop"), 8);
        let (second, _rx3) = table.register(full("alice@localhost/phone"), 8);
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
    async fn a_session_that_cannot_keep_up_is_kicked_not_buffered() {
        let table = Sessions::new();
        let (s, mut rx) = table.register(full("bob@localhost/r"), 2);
        let m = Element::new("message", "jabber:client");
        assert!(s.send(m.clone()));
        assert!(s.send(m.clone()));
        assert!(!s.send(m.clone()), "a third stanza overflows a queue of two");
        assert_eq!(s.kicked().await, Kick::TooSlow);
        assert!(rx.recv().await.is_some());
    }
}

//! Sessions: this file is one session (its bounded queue, kicks, presence and routing
//! state); beside it, `table` (the table of every session, [`Sessions`]), [`csi`]
//! (XEP-0352), [`presence_shaper`] (how often its presence may be broadcast),
//! [`stream_management`] (XEP-0198 counters) and [`resumption`] (sessions that outlive
//! their connection for a while).
//!
//! Events: none through `events`; a session tells the cluster of its opening, changes of
//! routing state and end through `SessionNews`, and `Core::close_session` emits
//! `SessionEvent::Ended` when one ends.
//!
//! Sessions: the table of every connected resource, whatever door it came through (an
//! XMPP stream over TCP or WebSocket, an SSE stream).
//!
//! A session registers its full JID and an outbound queue bounded in stanzas and in bytes
//! ([`Limits`]). Delivering to a session never waits: when its queue is full the session
//! cannot keep up; it is told to close (once, with one log line) and gets nothing more,
//! so a slow reader never makes the server's memory grow (and the metrics count it, by
//! the bound reached). An account has at most `max_per_user` sessions at once.
//!
//! While its client says it is inactive (XEP-0352), a session holds presence updates and
//! chat states back ([`csi`]); what it holds counts against the same bounds.
//!
//! Which sessions a stanza goes to is decided by the services of `router`
//! (for accounts, `delivery`, RFC 6121 §8); this module only keeps the table and
//! moves stanzas into queues.

pub mod csi;
mod outbound;
pub mod presence_shaper;
pub mod resumption;
pub mod stream_management;
mod table;
#[cfg(test)]
mod tests;

pub use outbound::Outbound;
pub(crate) use table::bare_of;
pub use table::Sessions;

use super::metrics::{Metrics, QueueLimit};
use crate::xml::Element;
use jid::FullJid;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
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

/// A queued stanza and its size. Boxed: the queue's channel sets aside room for a block
/// of entries when it is made, and an idle session should not pay for a block of
/// stanzas.
type Queued = Box<(Outbound, usize)>;

/// The receiving end of a session's queue, read by its door's writer.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::Receiver<Queued>,
    queued_bytes: Arc<AtomicUsize>,
}

impl Inbox {
    /// The next stanza; `None` once the session is gone.
    pub async fn recv(&mut self) -> Option<Outbound> {
        let (stanza, size) = *self.rx.recv().await?;
        self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        Some(stanza)
    }

    /// A stanza already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        let (stanza, size) = *self.rx.try_recv().ok()?;
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
    /// An XMPP stream over BOSH (XEP-0124, XEP-0206).
    XmppBosh,
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
    /// An administrator ended the session (the admin API); the account stays.
    Admin,
    /// The session's domain is no longer served (disabled or removed).
    HostGone,
}

impl Kick {
    /// The kick whose [`Kick::condition`] is `condition`.
    pub(crate) fn from_condition(condition: &str) -> Option<Kick> {
        [
            Kick::Conflict,
            Kick::TooSlow,
            Kick::Reset,
            Kick::Shutdown,
            Kick::Admin,
            Kick::HostGone,
        ]
        .into_iter()
        .find(|k| k.condition() == condition)
    }

    /// The RFC 6120 §4.9.3 stream error condition.
    pub fn condition(self) -> &'static str {
        match self {
            Kick::Conflict => "conflict",
            Kick::TooSlow => "resource-constraint",
            Kick::Reset => "reset",
            Kick::Shutdown => "system-shutdown",
            Kick::Admin => "policy-violation",
            Kick::HostGone => "host-gone",
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
    queue: mpsc::Sender<Queued>,
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
    /// No connection carries it now; it waits to be resumed (XEP-0198).
    detached: AtomicBool,
    /// Asked for the blocklist, so it gets blocklist pushes (XEP-0191 §3.2).
    wants_blocklist: AtomicBool,
    /// Counts the session's closing should its queue overflow.
    metrics: Arc<Metrics>,
    /// The client said it is inactive (XEP-0352): checked before taking the lock below.
    inactive: AtomicBool,
    /// What is held back while inactive; counted in `queued_bytes` and against the queue
    /// length.
    csi: Mutex<ClientState>,
    /// The bearer token the session was opened with (an event stream), if any.
    token: OnceLock<TokenBinding>,
    /// When it was bound (ms since the Unix epoch): of two sessions bound to one full
    /// JID on two nodes, the later one stays.
    pub(crate) bound_at: u64,
    /// Told of every change others need to see (a cluster's other nodes).
    news: Option<Arc<dyn SessionNews>>,
    /// Set for a session hosted by another node of the cluster: what is sent to it goes
    /// there.
    remote: Option<Box<Remote>>,
    /// Out of the table: its news would make other nodes take it back.
    left: AtomicBool,
    /// How often its presence may be broadcast, and what waits for the next token.
    presence_shaper: Mutex<presence_shaper::PresenceShaper<Element>>,
    /// Held by a presence that waited for the shaper while it is broadcast, and by the
    /// session's end while it sends unavailable: the two never interleave.
    presence_turn: tokio::sync::Mutex<()>,
}

/// Where a session of another node lives and how to reach it.
pub(crate) struct Remote {
    pub node: Arc<str>,
    pub link: Arc<dyn RemoteLink>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("node", &self.node).finish()
    }
}

/// Carries stanzas and kicks to sessions hosted by other nodes (`core::cluster`).
pub(crate) trait RemoteLink: Send + Sync {
    fn deliver(&self, node: &str, to: &FullJid, stanza: Element);
    fn kick(&self, node: &str, jid: &FullJid, bound_at: u64, reason: Kick);
}

/// Hears of every local session's opening, change of routing state and end, to tell
/// the other nodes of a cluster.
pub(crate) trait SessionNews: Send + Sync {
    fn opened(&self, session: &Session);
    fn changed(&self, session: &Session);
    fn closed(&self, session: &Session);
}

impl std::fmt::Debug for dyn SessionNews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionNews")
    }
}

/// What the delivery rules of other nodes need of a session: its routing state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RoutingState {
    pub available: bool,
    pub priority: i8,
    /// The last available presence, serialized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// JIDs sent directed presence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directed: Vec<String>,
    pub wants_roster: bool,
    pub carbons: bool,
    pub detached: bool,
    pub wants_blocklist: bool,
    /// The bearer token an event stream was opened with: revoking it on any node ends
    /// the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// The bearer token a session was opened with: revoking the token ends the session
/// (`core::account::tokens`), and so does its expiry ([`Session::kicked`]).
#[derive(Debug)]
struct TokenBinding {
    id: String,
    expires: tokio::time::Instant,
}

/// XEP-0352 state of a session.
#[derive(Debug, Default)]
struct ClientState {
    inactive: bool,
    /// Held stanzas at most, then they are released.
    buffer_max: usize,
    held: csi::Held,
}

impl Session {
    /// Queues `stanza`. A queue full in stanzas or bytes kicks the session (it cannot
    /// keep up); a session that was kicked takes nothing more. `false`: not queued.
    pub fn send(&self, stanza: impl Into<Outbound>) -> bool {
        if self.ended.load(Ordering::Acquire) {
            return false;
        }
        let stanza = stanza.into();
        if let Some(remote) = &self.remote {
            remote.link.deliver(&remote.node, &self.jid, stanza.into_element());
            return true;
        }
        if self.inactive.load(Ordering::Acquire) {
            return self.send_while_inactive(stanza);
        }
        self.enqueue(stanza)
    }

    fn enqueue(&self, stanza: Outbound) -> bool {
        let size = stanza.approx_size();
        let queued = self.queued_bytes.fetch_add(size, Ordering::AcqRel) + size;
        let over_bytes = queued > self.max_bytes;
        let result = if over_bytes {
            Err(QueueLimit::Bytes)
        } else {
            match self.queue.try_send(Box::new((stanza, size))) {
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
            self.overflowed(limit, queued - size);
            return false;
        }
        true
    }

    /// The queue cannot take more: the session cannot keep up.
    fn overflowed(&self, limit: QueueLimit, queued_bytes: usize) {
        if self.kick(Kick::TooSlow) {
            self.metrics.queue_full(limit);
            tracing::warn!(jid = %self.jid, queued_bytes, "outbound queue full; closing the session");
        }
    }

    /// XEP-0352: holds what may wait (see [`csi`]), queues the rest.
    fn send_while_inactive(&self, stanza: Outbound) -> bool {
        let mut state = self.client_state();
        if !state.inactive {
            drop(state);
            return self.enqueue(stanza);
        }
        match csi::classify(stanza.content()) {
            csi::Verdict::Hold(key) => {
                let size = stanza.approx_size();
                let replaced = state.held.hold(key, stanza, size);
                let queued = if size >= replaced {
                    self.queued_bytes.fetch_add(size - replaced, Ordering::AcqRel) + (size - replaced)
                } else {
                    self.queued_bytes.fetch_sub(replaced - size, Ordering::AcqRel) - (replaced - size)
                };
                let in_queue = self.queue.max_capacity() - self.queue.capacity();
                if queued > self.max_bytes {
                    self.overflowed(QueueLimit::Bytes, queued);
                    return false;
                }
                if in_queue + state.held.len() > self.queue.max_capacity() {
                    self.overflowed(QueueLimit::Stanzas, queued);
                    return false;
                }
                if state.held.len() >= state.buffer_max {
                    self.release(&mut state);
                }
                true
            }
            csi::Verdict::Pass {
                supersedes_chat_states_of,
            } => {
                if let Some(bare) = supersedes_chat_states_of {
                    let freed = state.held.drop_chat_states_of(&bare);
                    self.queued_bytes.fetch_sub(freed, Ordering::AcqRel);
                }
                drop(state);
                self.enqueue(stanza)
            }
        }
    }

    /// Moves every held stanza into the queue (their bytes are counted already).
    fn release(&self, state: &mut ClientState) {
        for (stanza, size) in state.held.take() {
            match self.queue.try_send(Box::new((stanza, size))) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
                    let queued = self.queued_bytes.load(Ordering::Acquire);
                    self.overflowed(QueueLimit::Stanzas, queued);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
                }
            }
        }
    }

    fn client_state(&self) -> std::sync::MutexGuard<'_, ClientState> {
        self.csi.lock().expect("client state mutex poisoned")
    }

    /// The client is inactive (XEP-0352): presence updates and chat states wait, up to
    /// `buffer_max` of them.
    pub(crate) fn set_inactive(&self, buffer_max: usize) {
        let mut state = self.client_state();
        state.inactive = true;
        state.buffer_max = buffer_max.max(1);
        self.inactive.store(true, Ordering::Release);
    }

    /// The client is active: what was held is queued now, before anything sent later.
    pub(crate) fn set_active(&self) {
        let mut state = self.client_state();
        state.inactive = false;
        self.inactive.store(false, Ordering::Release);
        self.release(&mut state);
    }

    /// Whether the session was told to end (nothing more is queued for it).
    pub fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// Nothing more is queued, without telling the session to end: it is ending anyway
    /// (a detached session whose time ran out).
    pub(crate) fn stop_queueing(&self) {
        self.ended.store(true, Ordering::Release);
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
        if let Some(remote) = &self.remote {
            remote.link.kick(&remote.node, &self.jid, self.bound_at, reason);
        }
        true
    }

    /// The session is out of the table: its news would make other nodes take it back.
    pub(crate) fn leave_table(&self) {
        self.left.store(true, Ordering::Release);
    }

    /// The node hosting the session, when it is not this one.
    pub(crate) fn remote_node(&self) -> Option<&str> {
        self.remote.as_deref().map(|r| &*r.node)
    }

    fn changed(&self) {
        if let Some(news) = &self.news {
            if !self.left.load(Ordering::Acquire) {
                news.changed(self);
            }
        }
    }

    /// The routing state, for the other nodes.
    pub(crate) fn routing_state(&self) -> RoutingState {
        let p = self.presence();
        RoutingState {
            available: p.available,
            priority: p.priority,
            last: p.last.as_ref().map(|e| {
                let mut out = String::new();
                e.write_to(&mut out, crate::xml::CLIENT_NS);
                out
            }),
            directed: p.directed.iter().map(|j| j.to_string()).collect(),
            wants_roster: self.wants_roster(),
            carbons: self.carbons(),
            detached: self.is_detached(),
            wants_blocklist: self.wants_blocklist(),
            token: self.token_id().map(str::to_owned),
        }
    }

    /// Takes the routing state another node reported for a session it hosts.
    pub(crate) fn apply_routing_state(&self, state: &RoutingState) {
        {
            let mut p = self.presence();
            p.available = state.available;
            p.priority = state.priority;
            p.last = state.last.as_deref().and_then(|t| crate::xml::parse_element(t).ok());
            p.directed = state.directed.iter().filter_map(|j| jid::Jid::new(j).ok()).collect();
        }
        self.wants_roster.store(state.wants_roster, Ordering::Relaxed);
        self.carbons.store(state.carbons, Ordering::Relaxed);
        self.detached.store(state.detached, Ordering::Relaxed);
        self.wants_blocklist.store(state.wants_blocklist, Ordering::Relaxed);
        if let (Some(id), None) = (&state.token, self.token.get()) {
            // A proxy's expiry is its node's business: it never waits for it here.
            let _ = self.token.set(TokenBinding {
                id: id.clone(),
                expires: tokio::time::Instant::now() + Duration::from_secs(10 * 365 * 86_400),
            });
        }
    }

    /// Waits until the session is kicked, then says why. A session opened with a bearer
    /// token is kicked (`Reset`: its credentials no longer hold) when the token expires,
    /// so whoever waits here (the door's writer) sees the expiry like any other kick.
    pub async fn kicked(&self) -> Kick {
        loop {
            if let Some(k) = *self.kick.lock().expect("kick mutex poisoned") {
                return k;
            }
            match self.token.get() {
                Some(token) => {
                    tokio::select! {
                        _ = self.kicked.notified() => {}
                        _ = tokio::time::sleep_until(token.expires) => {
                            self.kick(Kick::Reset);
                        }
                    }
                }
                None => self.kicked.notified().await,
            }
        }
    }

    /// Ties the session to the bearer token `id` it was opened with, which expires at
    /// `expires`. Once only: a session is opened with one credential.
    pub(crate) fn bind_token(&self, id: String, expires: tokio::time::Instant) {
        if self.token.set(TokenBinding { id, expires }).is_err() {
            tracing::warn!(jid = %self.jid, "a session was bound to a second token; kept the first");
        }
        self.changed();
    }

    /// The id of the bearer token the session was opened with, if any.
    pub fn token_id(&self) -> Option<&str> {
        self.token.get().map(|t| t.id.as_str())
    }

    pub fn wants_roster(&self) -> bool {
        self.wants_roster.load(Ordering::Relaxed)
    }

    /// Whether the session waits for its client to resume it (a phone asleep, usually).
    pub fn is_detached(&self) -> bool {
        self.detached.load(Ordering::Relaxed)
    }

    pub(crate) fn set_detached(&self, detached: bool) {
        self.detached.store(detached, Ordering::Relaxed);
        self.changed();
    }

    pub fn carbons(&self) -> bool {
        self.carbons.load(Ordering::Relaxed)
    }

    pub fn set_carbons(&self, on: bool) {
        self.carbons.store(on, Ordering::Relaxed);
        self.changed();
    }

    pub fn wants_blocklist(&self) -> bool {
        self.wants_blocklist.load(Ordering::Relaxed)
    }

    pub fn set_wants_blocklist(&self) {
        if !self.wants_blocklist.swap(true, Ordering::Relaxed) {
            self.changed();
        }
    }

    pub fn set_wants_roster(&self) {
        if !self.wants_roster.swap(true, Ordering::Relaxed) {
            self.changed();
        }
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
        {
            let mut state = self.presence();
            state.available = true;
            state.priority = priority;
        }
        self.changed();
    }

    /// Records an available presence; `true` when it is the initial one.
    pub(crate) fn set_available(&self, priority: i8, presence: Element) -> bool {
        let initial = {
            let mut state = self.presence();
            let initial = !state.available;
            state.available = true;
            state.priority = priority;
            state.last = Some(presence);
            initial
        };
        self.changed();
        initial
    }

    /// Records unavailability; returns whether it was available and the JIDs it had
    /// sent directed presence to.
    pub(crate) fn set_unavailable(&self) -> (bool, Vec<jid::Jid>) {
        let result = {
            let mut state = self.presence();
            let was = state.available;
            state.available = false;
            state.last = None;
            (was, std::mem::take(&mut state.directed))
        };
        self.changed();
        result
    }

    /// A broadcast presence from the client, through the session's presence shaper.
    pub(crate) fn shape_presence(
        &self,
        rate: &presence_shaper::PresenceRate,
        presence: Element,
    ) -> presence_shaper::Admit<Element> {
        let mut shaper = self.presence_shaper.lock().expect("presence shaper mutex poisoned");
        let was_holding = shaper.holds();
        let admit = shaper.admit(rate, tokio::time::Instant::now(), presence);
        if !was_holding && shaper.holds() {
            tracing::debug!(jid = %self.jid, "presence over its rate; holding the latest");
        }
        admit
    }

    /// The scheduled look at the presence shaper: the held presence, once a token came.
    pub(crate) fn presence_due(&self, rate: &presence_shaper::PresenceRate) -> presence_shaper::Due<Element> {
        self.presence_shaper
            .lock()
            .expect("presence shaper mutex poisoned")
            .due(rate, tokio::time::Instant::now())
    }

    /// The session ends: a presence held by the shaper is never sent. Then waits until
    /// one being sent is out, and returns the guard the end holds while it sends
    /// unavailable presence.
    pub(crate) async fn close_presence(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.presence_shaper
            .lock()
            .expect("presence shaper mutex poisoned")
            .close();
        self.presence_turn.lock().await
    }

    /// Taken while a held presence is broadcast (see [`Session::close_presence`]).
    pub(crate) async fn presence_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.presence_turn.lock().await
    }

    /// Remembers (or, for unavailable, forgets) directed presence sent to `to`.
    pub(crate) fn note_directed(&self, to: &jid::Jid, available: bool) {
        let changed = {
            let mut state = self.presence();
            let before = state.directed.len();
            if !available {
                state.directed.retain(|j| j != to);
            } else if !state.directed.contains(to) {
                state.directed.push(to.clone());
            }
            state.directed.len() != before
        };
        if changed {
            self.changed();
        }
    }
}

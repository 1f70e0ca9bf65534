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
pub mod resumption;
pub mod stream_management;

use super::metrics::{Metrics, QueueLimit, SessionCounts};
use crate::xml::Element;
use jid::{BareJid, FullJid};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
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
type Queued = Box<(Element, usize)>;

/// The receiving end of a session's queue, read by its door's writer.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::Receiver<Queued>,
    queued_bytes: Arc<AtomicUsize>,
}

impl Inbox {
    /// The next stanza; `None` once the session is gone.
    pub async fn recv(&mut self) -> Option<Element> {
        let (stanza, size) = *self.rx.recv().await?;
        self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        Some(stanza)
    }

    /// A stanza already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Element> {
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
}

impl Kick {
    /// The kick whose [`Kick::condition`] is `condition`.
    pub(crate) fn from_condition(condition: &str) -> Option<Kick> {
        [Kick::Conflict, Kick::TooSlow, Kick::Reset, Kick::Shutdown]
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
/// (`core::tokens`), and so does its expiry ([`Session::kicked`]).
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
    pub fn send(&self, stanza: Element) -> bool {
        if self.ended.load(Ordering::Acquire) {
            return false;
        }
        if let Some(remote) = &self.remote {
            remote.link.deliver(&remote.node, &self.jid, stanza);
            return true;
        }
        if self.inactive.load(Ordering::Acquire) {
            return self.send_while_inactive(stanza);
        }
        self.enqueue(stanza)
    }

    fn enqueue(&self, stanza: Element) -> bool {
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
    fn send_while_inactive(&self, stanza: Element) -> bool {
        let mut state = self.client_state();
        if !state.inactive {
            drop(state);
            return self.enqueue(stanza);
        }
        match csi::classify(&stanza) {
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

/// What became of a session another node reported ([`Sessions::upsert_remote`]).
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

/// The session table: bare JID → that account's sessions.
pub struct Sessions {
    /// Keyed by the bare JID's canonical text, so a roster's stored contacts can be
    /// looked up without preparing each as a JID.
    sessions: RwLock<HashMap<String, Vec<Arc<Session>>>>,
    next_id: AtomicU64,
    /// Handed to every session, which counts its own closing for a full queue.
    metrics: Arc<Metrics>,
    /// Told of local sessions' news, in a cluster.
    news: OnceLock<Arc<dyn SessionNews>>,
}

impl Sessions {
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        Sessions {
            sessions: RwLock::default(),
            next_id: AtomicU64::new(0),
            metrics,
            news: OnceLock::new(),
        }
    }

    /// From now on, `news` hears of every local session's opening, change and end.
    pub(crate) fn set_news(&self, news: Arc<dyn SessionNews>) {
        if self.news.set(news).is_err() {
            tracing::warn!("the session table was given a second listener; kept the first");
        }
    }

    fn new_session(&self, jid: FullJid, kind: SessionKind, queue: mpsc::Sender<Queued>, max_bytes: usize) -> Session {
        Session {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            jid,
            kind,
            queue,
            queued_bytes: Arc::new(AtomicUsize::new(0)),
            max_bytes,
            ended: AtomicBool::new(false),
            kick: Mutex::new(None),
            kicked: Notify::new(),
            presence: Mutex::new(PresenceState::default()),
            wants_roster: std::sync::atomic::AtomicBool::new(false),
            carbons: AtomicBool::new(false),
            detached: AtomicBool::new(false),
            wants_blocklist: AtomicBool::new(false),
            metrics: self.metrics.clone(),
            inactive: AtomicBool::new(false),
            csi: Mutex::new(ClientState::default()),
            token: OnceLock::new(),
            bound_at: now_ms(),
            news: None,
            remote: None,
            left: AtomicBool::new(false),
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
        let mut session = self.new_session(jid.clone(), kind, tx, limits.queue_bytes);
        session.news = self.news.get().cloned();
        let session = Arc::new(session);
        let queued_bytes = session.queued_bytes.clone();
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
            if let Some(old) = &old {
                old.left.store(true, Ordering::Release);
            }
            list.push(session.clone());
            old
        };
        if let Some(old) = replaced {
            old.kick(Kick::Conflict);
        }
        if let Some(news) = &session.news {
            news.opened(&session);
        }
        Ok((session, Inbox { rx, queued_bytes }))
    }

    /// Removes the session `id` of `jid`'s account (a no-op if it was replaced already).
    pub fn unregister(&self, jid: &FullJid, id: u64) {
        let removed = {
            let mut table = self.sessions.write().expect("session table poisoned");
            let bare = bare_of(jid);
            let mut removed = None;
            if let Some(list) = table.get_mut(bare) {
                if let Some(i) = list.iter().position(|s| s.id == id) {
                    let gone = list.remove(i);
                    gone.left.store(true, Ordering::Release);
                    removed = Some(gone);
                }
                if list.is_empty() {
                    table.remove(bare);
                }
            }
            removed
        };
        if let Some(news) = removed.as_ref().and_then(|s| s.news.as_ref()) {
            news.closed(removed.as_ref().expect("checked just above"));
        }
    }

    /// Puts a session hosted by `node` in the table, or updates its state. Of two
    /// sessions bound to one full JID, the one bound later stays (ties: the greater node
    /// name); a local session that loses is kicked with `<conflict/>`. `me` is this
    /// node's name.
    pub(crate) fn upsert_remote(
        &self,
        me: &str,
        node: &Arc<str>,
        link: &Arc<dyn RemoteLink>,
        reported: RemoteSession,
    ) -> Upserted {
        let mut kicked = None;
        let outcome = {
            let mut table = self.sessions.write().expect("session table poisoned");
            let list = table.entry(bare_of(&reported.jid).to_owned()).or_default();
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
                        old.left.store(true, Ordering::Release);
                        if old.remote.is_none() {
                            kicked = Some(old);
                        }
                    }
                }
                None => {}
            }
            if outcome == Upserted::Current && !list.iter().any(|s| s.jid == reported.jid) {
                let (tx, _) = mpsc::channel(1);
                let mut session = self.new_session(reported.jid.clone(), reported.kind, tx, 0);
                session.bound_at = reported.bound_at;
                session.remote = Some(Box::new(Remote {
                    node: node.clone(),
                    link: link.clone(),
                }));
                session.apply_routing_state(&reported.state);
                list.push(Arc::new(session));
            }
            if list.is_empty() {
                table.remove(bare_of(&reported.jid));
            }
            outcome
        };
        if let Some(old) = kicked {
            old.kick(Kick::Conflict);
        }
        outcome
    }

    /// Removes the session `node` reported for `jid`, bound at `bound_at`.
    pub(crate) fn remove_remote(&self, node: &str, jid: &FullJid, bound_at: u64) -> Option<Arc<Session>> {
        let mut table = self.sessions.write().expect("session table poisoned");
        let bare = bare_of(jid);
        let list = table.get_mut(bare)?;
        let i = list
            .iter()
            .position(|s| &s.jid == jid && s.remote_node() == Some(node) && s.bound_at == bound_at)?;
        let removed = list.remove(i);
        if list.is_empty() {
            table.remove(bare);
        }
        Some(removed)
    }

    /// Removes every session hosted by `node` (it is gone, or restarted) and returns them.
    pub(crate) fn remove_node(&self, node: &str) -> Vec<Arc<Session>> {
        let mut table = self.sessions.write().expect("session table poisoned");
        let mut removed = Vec::new();
        table.retain(|_, list| {
            list.retain(|s| {
                let theirs = s.remote_node() == Some(node);
                if theirs {
                    removed.push(s.clone());
                }
                !theirs
            });
            !list.is_empty()
        });
        removed
    }

    /// The sessions `node` hosts, as this node knows them.
    pub(crate) fn remote_sessions(&self, node: &str) -> Vec<Arc<Session>> {
        self.sessions
            .read()
            .expect("session table poisoned")
            .values()
            .flatten()
            .filter(|s| s.remote_node() == Some(node))
            .cloned()
            .collect()
    }

    /// Every session this node hosts.
    pub(crate) fn local_sessions(&self) -> Vec<Arc<Session>> {
        self.sessions
            .read()
            .expect("session table poisoned")
            .values()
            .flatten()
            .filter(|s| s.remote.is_none())
            .cloned()
            .collect()
    }

    /// The session this node hosts for exactly `jid`.
    pub(crate) fn local_session(&self, jid: &FullJid) -> Option<Arc<Session>> {
        self.session(jid).filter(|s| s.remote.is_none())
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
        for s in self.local_sessions() {
            s.kick(reason);
        }
    }

    /// Sessions in the table now, by kind. Walks the table under its read lock: meant
    /// for a scrape every few seconds, not for a hot path.
    pub(crate) fn count_by_kind(&self) -> SessionCounts {
        let mut counts = SessionCounts::default();
        let table = self.sessions.read().expect("session table poisoned");
        for s in table.values().flatten().filter(|s| s.remote.is_none()) {
            match s.kind {
                SessionKind::XmppTcp => counts.xmpp_tcp += 1,
                SessionKind::XmppWebSocket => counts.xmpp_websocket += 1,
                SessionKind::XmppBosh => counts.xmpp_bosh += 1,
                SessionKind::EventStream => counts.event_streams += 1,
            }
        }
        counts
    }

    /// Sessions this node hosts.
    pub fn session_count(&self) -> usize {
        self.local_sessions().len()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
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

    fn xml(text: &str) -> Element {
        crate::xml::parse_element(text).unwrap()
    }

    fn names(inbox: &mut Inbox) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(s) = inbox.try_recv() {
            let show = s.child("show", "jabber:client").map(|c| c.text());
            out.push(format!("{}:{}", s.name, show.unwrap_or_default()));
        }
        out
    }

    #[tokio::test]
    async fn an_inactive_session_holds_presence_updates_until_it_is_active_again() {
        let (table, _) = table();
        let (s, mut inbox) = table
            .register(full("alice@localhost/r"), SessionKind::XmppTcp, limits(8))
            .unwrap();
        s.set_inactive(100);
        assert!(s.send(xml("<presence from='bob@localhost/a'><show>away</show></presence>")));
        assert!(s.send(xml("<presence from='bob@localhost/a'><show>dnd</show></presence>")));
        assert!(s.send(xml(
            "<message from='bob@localhost/a'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
        )));
        assert!(s.send(xml("<presence from='bob@localhost' type='subscribe'/>")));
        assert!(s.send(xml("<message from='carol@localhost/a'><body>hi</body></message>")));
        assert_eq!(
            names(&mut inbox),
            ["presence:", "message:"],
            "the subscription request and the message went through at once"
        );
        s.set_active();
        assert_eq!(
            names(&mut inbox),
            ["presence:dnd", "message:"],
            "the latest presence and the chat state, once active"
        );
        assert!(s.send(xml("<presence from='bob@localhost/a'/>")));
        assert_eq!(names(&mut inbox), ["presence:"], "active again: nothing waits");
        assert_eq!(
            s.queued_bytes.load(Ordering::Acquire),
            0,
            "every held byte was released"
        );
    }

    #[tokio::test]
    async fn a_message_with_a_body_makes_held_chat_states_of_its_sender_moot() {
        let (table, _) = table();
        let (s, mut inbox) = table
            .register(full("alice@localhost/r"), SessionKind::XmppTcp, limits(8))
            .unwrap();
        s.set_inactive(100);
        let typing =
            "<message from='bob@localhost/a'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>";
        assert!(s.send(xml(typing)));
        assert!(s.send(xml("<message from='bob@localhost/b'><body>hi</body></message>")));
        s.set_active();
        assert_eq!(names(&mut inbox), ["message:"], "only the message with a body");
        assert_eq!(s.queued_bytes.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn held_stanzas_count_against_the_queue_and_buffer_max_releases_them() {
        let (table, metrics) = table();
        let (s, mut inbox) = table
            .register(full("alice@localhost/r"), SessionKind::XmppTcp, limits(3))
            .unwrap();
        s.set_inactive(2);
        assert!(s.send(xml("<presence from='a@localhost/1'/>")));
        assert!(inbox.try_recv().is_none(), "held");
        assert!(s.send(xml("<presence from='b@localhost/1'/>")));
        assert_eq!(names(&mut inbox).len(), 2, "two held: buffer_max reached, released");

        s.set_inactive(100);
        assert!(s.send(xml("<message><body>1</body></message>")));
        assert!(s.send(xml("<presence from='a@localhost/1'/>")));
        assert!(s.send(xml("<presence from='b@localhost/1'/>")));
        assert!(
            !s.send(xml("<presence from='c@localhost/1'/>")),
            "one queued and three held exceed a queue of three"
        );
        assert_eq!(s.kicked().await, Kick::TooSlow);
        assert!(closed_for(&metrics, "stanzas", 1));
    }

    #[tokio::test]
    async fn held_stanzas_count_against_the_queue_bytes() {
        let (table, metrics) = table();
        let small = Limits {
            queue_len: 1000,
            queue_bytes: 4096,
            max_per_user: 10,
        };
        let (s, _inbox) = table
            .register(full("alice@localhost/r"), SessionKind::XmppTcp, small)
            .unwrap();
        s.set_inactive(100);
        let status = |from: &str| {
            Element::new("presence", "jabber:client")
                .with_attr("from", from)
                .with_child(Element::new("status", "jabber:client").with_text("x".repeat(1500)))
        };
        assert!(s.send(status("a@localhost/1")));
        assert!(s.send(status("a@localhost/1")), "a replacement takes no more room");
        assert!(s.send(status("b@localhost/1")));
        assert!(!s.send(status("c@localhost/1")), "three held exceed 4 KiB");
        assert!(closed_for(&metrics, "bytes", 1));
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

    /// Records what the cluster would carry.
    #[derive(Default)]
    struct Wire {
        delivered: Mutex<Vec<(String, String, String)>>,
        kicked: Mutex<Vec<(String, String)>>,
        news: Mutex<Vec<String>>,
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

    impl SessionNews for Wire {
        fn opened(&self, s: &Session) {
            self.news.lock().unwrap().push(format!("opened {}", s.jid));
        }
        fn changed(&self, s: &Session) {
            self.news.lock().unwrap().push(format!("changed {}", s.jid));
        }
        fn closed(&self, s: &Session) {
            self.news.lock().unwrap().push(format!("closed {}", s.jid));
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
            table.upsert_remote("a", &b, &link, reported("bob@localhost/phone", 5, true)),
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
        table.upsert_remote("a", &b, &link, reported("bob@localhost/phone", 5, false));
        assert!(!table.any_available("bob@localhost"));
        assert_eq!(table.remove_node("b").len(), 1);
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
        assert_eq!(table.upsert_remote("a", &b, &link, older), Upserted::Superseded);
        assert!(!local.is_ended());
        // A later one wins: the local session is told <conflict/>, the proxy takes its place.
        let later = reported("bob@localhost/phone", local.bound_at + 1, true);
        assert_eq!(table.upsert_remote("a", &b, &link, later), Upserted::Current);
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

    #[test]
    fn local_sessions_tell_the_cluster_of_their_opening_changes_and_end() {
        let (table, _) = table();
        let wire = Arc::new(Wire::default());
        table.set_news(wire.clone());
        let (s, _inbox) = table
            .register(full("alice@localhost/desk"), SessionKind::XmppTcp, limits(8))
            .unwrap();
        s.set_available(1, xml("<presence/>"));
        s.set_wants_roster();
        s.set_wants_roster(); // no change, no news
        table.unregister(&s.jid, s.id);
        let state = s.routing_state();
        assert!(state.available && state.wants_roster && state.last.is_some());
        assert_eq!(
            *wire.news.lock().unwrap(),
            [
                "opened alice@localhost/desk",
                "changed alice@localhost/desk",
                "changed alice@localhost/desk",
                "closed alice@localhost/desk"
            ]
        );
    }
}

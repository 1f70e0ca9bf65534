//! The session table: bare JID → that account's sessions, local ones and (in a cluster)
//! the proxies of other nodes' ([`Sessions`]). Registering replaces a session bound to
//! the same full JID (`<conflict/>`) and enforces the sessions per account; lookups are
//! hash lookups under a read lock, so routing to an offline contact costs little.

use super::{
    ClientState, Inbox, Kick, Limits, OpenError, PresenceState, Queued, Remote, RemoteLink, RoutingState, Session,
    SessionKind, SessionNews,
};
use crate::core::metrics::{Metrics, SessionCounts};
use jid::{BareJid, FullJid};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use tokio::sync::{mpsc, Notify};

/// The session table: bare JID → that account's sessions.
pub struct Sessions {
    /// Keyed by the bare JID's canonical text, so a roster's stored contacts can be
    /// looked up without preparing each as a JID.
    sessions: RwLock<HashMap<String, Vec<Arc<Session>>>>,
    next_id: AtomicU64,
    /// The newest bind time given (ms since the Unix epoch): each session bound here gets
    /// a later one, even two in the same millisecond, so a kick from another node naming
    /// a bind time ends that session and never one bound after it.
    last_bound_at: AtomicU64,
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
            last_bound_at: AtomicU64::new(0),
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

    fn new_session(
        &self,
        jid: FullJid,
        kind: SessionKind,
        queue: mpsc::Sender<Queued>,
        max_bytes: usize,
        bound_at: u64,
    ) -> Session {
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
            bound_at,
            news: None,
            remote: None,
            left: AtomicBool::new(false),
            presence_shaper: Mutex::new(Default::default()),
            presence_turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Now, in ms since the Unix epoch, or just after the last bind time given.
    fn next_bound_at(&self) -> u64 {
        let now = now_ms();
        let previous = self
            .last_bound_at
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| Some(now.max(last + 1)))
            .unwrap_or_else(|last| last);
        now.max(previous + 1)
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
        let mut session = self.new_session(jid.clone(), kind, tx, limits.queue_bytes, self.next_bound_at());
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
                old.leave_table();
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
                    gone.leave_table();
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

    /// A session hosted by `node`, bound there at `bound_at`, with the routing state that
    /// node reported: what is sent to it or kicked goes through `link`. Not in the table
    /// until the caller puts it there ([`Sessions::edit_account`]).
    pub(crate) fn proxy(
        &self,
        jid: FullJid,
        kind: SessionKind,
        bound_at: u64,
        remote: (Arc<str>, Arc<dyn RemoteLink>),
        state: &RoutingState,
    ) -> Arc<Session> {
        let (tx, _) = mpsc::channel(1);
        let mut session = self.new_session(jid, kind, tx, 0, bound_at);
        let (node, link) = remote;
        session.remote = Some(Box::new(Remote { node, link }));
        session.apply_routing_state(state);
        Arc::new(session)
    }

    /// Runs `edit` on the sessions of the account whose bare JID is `bare`, under the
    /// table's write lock: a replacement decided on what the list holds stays atomic.
    /// An account left without sessions leaves the table.
    pub(crate) fn edit_account<R>(&self, bare: &str, edit: impl FnOnce(&mut Vec<Arc<Session>>) -> R) -> R {
        let mut table = self.sessions.write().expect("session table poisoned");
        let list = table.entry(bare.to_owned()).or_default();
        let result = edit(list);
        if list.is_empty() {
            table.remove(bare);
        }
        result
    }

    /// Removes every session `matches` picks, and returns them.
    pub(crate) fn remove_where(&self, mut matches: impl FnMut(&Session) -> bool) -> Vec<Arc<Session>> {
        let mut table = self.sessions.write().expect("session table poisoned");
        let mut removed = Vec::new();
        table.retain(|_, list| {
            list.retain(|s| {
                let picked = matches(s);
                if picked {
                    removed.push(s.clone());
                }
                !picked
            });
            !list.is_empty()
        });
        removed
    }

    /// Every session `matches` picks.
    pub(crate) fn select(&self, matches: impl Fn(&Session) -> bool) -> Vec<Arc<Session>> {
        self.sessions
            .read()
            .expect("session table poisoned")
            .values()
            .flatten()
            .filter(|s| matches(s))
            .cloned()
            .collect()
    }

    /// Every session this node hosts.
    pub(crate) fn local_sessions(&self) -> Vec<Arc<Session>> {
        self.select(|s| s.remote.is_none())
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

    /// Every session (on every node) of the accounts of `domain`, sorted by JID.
    pub fn of_domain(&self, domain: &str) -> Vec<Arc<Session>> {
        let suffix = format!("@{domain}");
        let table = self.sessions.read().expect("session table poisoned");
        let mut found: Vec<Arc<Session>> = table
            .iter()
            .filter(|(bare, _)| bare.ends_with(&suffix))
            .flat_map(|(_, list)| list.iter().cloned())
            .collect();
        drop(table);
        found.sort_by(|a, b| a.jid.as_str().cmp(b.jid.as_str()));
        found
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
pub(crate) fn bare_of(jid: &FullJid) -> &str {
    let text = jid.as_str();
    text.split_once('/').map_or(text, |(bare, _)| bare)
}

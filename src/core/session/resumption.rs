//! XEP-0198 §5 resumption: the table of sessions that may be resumed, by SM-ID.
//!
//! A session enters the table when its client enables stream management with
//! `resume='true'`. It is *attached* while a stream carries it. When that stream's
//! connection is lost (not cleanly closed), the stream *detaches* it: the session stays in
//! the session table, available for routing, and what the router queues for it waits in
//! its bounded queue; its stream management state ([`Parked`]) waits here. Then:
//!
//! - a new stream of the same account resumes it by SM-ID within the timeout and takes the
//!   session over, with its full JID and presence, as if nothing had happened;
//! - or the timeout passes, or the session is kicked meanwhile (its queue overflowed, the
//!   account was removed, the server stops, a new session bound the same resource): the
//!   core ends it (`Core::end_detached`) as any session ends, and hands what it never
//!   delivered to `Core::redeliver_undelivered`.
//!
//! A client may come back while its old connection is still half-open: resuming an
//! attached session tells the old stream to let go (its `takeover` signal), waits for it to
//! detach, then resumes.
//!
//! The table is plain state behind a mutex; the timers are the core's.

use super::stream_management::{SmSettings, SmState};
use super::{Inbox, Session};
use crate::core::Core;
use jid::BareJid;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch, Notify};

/// What a detached session keeps for the stream that resumes it.
#[derive(Debug)]
pub struct Parked {
    /// The session's queue: what was routed to it while no stream carried it.
    pub inbox: Inbox,
    pub sm: SmState,
}

/// Why a session cannot be resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// No such SM-ID for this account (never was, expired, or ended): §5 `item-not-found`.
    #[error("no resumable session with that id")]
    NotFound,
    /// The stream still carrying it did not let go in time.
    #[error("the previous stream did not let go of the session")]
    Busy,
}

/// The signal a stream carrying a resumable session watches: `true` once another stream
/// resumes the session and this one must let go.
pub type Takeover = watch::Sender<bool>;

enum Slot {
    Attached {
        takeover: Takeover,
    },
    Detached {
        parked: Parked,
        /// Dropped when the session is resumed: ends the wait of its expiry timer.
        _resumed: oneshot::Sender<()>,
    },
}

struct Entry {
    session: Arc<Session>,
    owner: BareJid,
    timeout: Duration,
    slot: Slot,
    /// Counts detachments, so that a timer set for an earlier one does nothing.
    generation: u64,
    /// Signalled when the entry is detached or forgotten, for a resumption waiting on a
    /// takeover.
    released: Arc<Notify>,
}

/// What the core needs to run a detached session's timer.
pub(crate) struct Detached {
    pub generation: u64,
    pub timeout: Duration,
    /// Completes (with an error) when the session is resumed.
    pub resumed: oneshot::Receiver<()>,
}

/// The resumable sessions, by SM-ID.
#[derive(Default)]
pub struct Resumptions {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Resumptions {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().expect("resumption table poisoned")
    }

    /// Makes `session` resumable for `timeout` after its connection is lost; returns its
    /// SM-ID (random, unguessable; resuming also needs the account's credentials).
    pub(crate) fn register(&self, session: Arc<Session>, timeout: Duration, takeover: Takeover) -> String {
        let id = crate::core::hex(&rand::random::<[u8; 16]>());
        let owner = session.jid.to_bare();
        self.entries().insert(
            id.clone(),
            Entry {
                session,
                owner,
                timeout,
                slot: Slot::Attached { takeover },
                generation: 0,
                released: Arc::new(Notify::new()),
            },
        );
        id
    }

    /// The stream carrying `id` lost its connection: the session waits here. `Err` gives
    /// the state back when `id` is no longer in the table (the caller ends the session).
    pub(crate) fn detach(&self, id: &str, parked: Parked) -> Result<Detached, Parked> {
        let mut entries = self.entries();
        let Some(entry) = entries.get_mut(id) else {
            return Err(parked);
        };
        let (tx, rx) = oneshot::channel();
        entry.slot = Slot::Detached { parked, _resumed: tx };
        entry.generation += 1;
        entry.released.notify_one();
        Ok(Detached {
            generation: entry.generation,
            timeout: entry.timeout,
            resumed: rx,
        })
    }

    /// The timer of detachment `generation` ran out (or the session was kicked): takes the
    /// session out of the table, unless it was resumed since.
    pub(crate) fn expire(&self, id: &str, generation: u64) -> Option<(Arc<Session>, Parked)> {
        let mut entries = self.entries();
        let current = entries
            .get(id)
            .is_some_and(|e| e.generation == generation && matches!(e.slot, Slot::Detached { .. }));
        if !current {
            return None;
        }
        let entry = entries.remove(id)?;
        entry.released.notify_one();
        match entry.slot {
            Slot::Detached { parked, .. } => Some((entry.session, parked)),
            Slot::Attached { .. } => None,
        }
    }

    /// The stream carrying `id` ended for good (closed cleanly, kicked, failed): the
    /// session is no longer resumable.
    pub(crate) fn forget(&self, id: &str) {
        if let Some(entry) = self.entries().remove(id) {
            entry.released.notify_one();
        }
    }

    /// Resumes `id` for `owner` on a new stream, which will watch `takeover`. A stream
    /// still carrying the session is told to let go; this waits up to `wait` for it.
    pub(crate) async fn resume(
        &self,
        id: &str,
        owner: &BareJid,
        takeover: Takeover,
        wait: Duration,
    ) -> Result<(Arc<Session>, Parked), ResumeError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut takeover = Some(takeover);
        loop {
            let released = {
                let mut entries = self.entries();
                let entry = entries
                    .get_mut(id)
                    .filter(|e| &e.owner == owner && !e.session.is_ended())
                    .ok_or(ResumeError::NotFound)?;
                match &entry.slot {
                    Slot::Detached { .. } => {
                        let ours = takeover.take().expect("taken only when returning");
                        let Slot::Detached { parked, .. } =
                            std::mem::replace(&mut entry.slot, Slot::Attached { takeover: ours })
                        else {
                            unreachable!("matched Detached just above");
                        };
                        return Ok((entry.session.clone(), parked));
                    }
                    Slot::Attached { takeover: old } => {
                        // Nobody may be watching any more (that stream is ending): then it
                        // detaches or forgets soon, which wakes us.
                        let _ = old.send(true);
                        entry.released.clone()
                    }
                }
            };
            // A stale wake-up only costs one more look.
            if tokio::time::timeout_at(deadline, released.notified()).await.is_err() {
                return Err(ResumeError::Busy);
            }
        }
    }

    /// Resumable sessions in the table (attached or not).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How long a resumption waits for the stream still carrying the session to let go.
const TAKEOVER_WAIT: Duration = Duration::from_secs(10);

impl Core {
    /// Stream management, when `mod_stream_management` is on.
    pub(crate) fn stream_management(&self) -> Option<&SmSettings> {
        self.settings.stream_management.as_ref()
    }

    /// Whether `mod_csi` is on.
    pub(crate) fn csi_enabled(&self) -> bool {
        self.settings.csi.is_some()
    }

    /// Makes `session` resumable; returns its SM-ID and how long it stays resumable once
    /// its connection is lost: the configured timeout, or less if the client asked for
    /// less (`max`, in seconds).
    pub(crate) fn make_resumable(
        &self,
        session: &Arc<Session>,
        client_max: Option<u64>,
        takeover: Takeover,
    ) -> Option<(String, Duration)> {
        let configured = self.stream_management()?.resume_timeout;
        let timeout = match client_max {
            Some(max) if max > 0 => configured.min(Duration::from_secs(max)),
            _ => configured,
        };
        Some((self.resumptions.register(session.clone(), timeout, takeover), timeout))
    }

    /// Resumes session `id` of `owner` for a new stream that watches `takeover`.
    pub(crate) async fn resume_session(
        &self,
        id: &str,
        owner: &BareJid,
        takeover: Takeover,
    ) -> Result<(Arc<Session>, Parked), ResumeError> {
        let (session, parked) = self.resumptions.resume(id, owner, takeover, TAKEOVER_WAIT).await?;
        // XEP-0352 §4.2: a new stream starts active.
        session.set_active();
        session.set_detached(false);
        tracing::debug!(jid = %session.jid, "session resumed");
        Ok((session, parked))
    }

    /// The stream carrying resumable session `id` lost its connection: the session waits
    /// for its client, still routable, until it is resumed, its time runs out or it is
    /// kicked; then it ends as any session does.
    pub(crate) fn detach_session(self: &Arc<Self>, id: &str, session: Arc<Session>, parked: Parked) {
        let core = self.clone();
        let id = id.to_owned();
        match self.resumptions.detach(&id, parked) {
            Ok(Detached {
                generation,
                timeout,
                resumed,
            }) => {
                tracing::debug!(jid = %session.jid, ?timeout, "session detached, waiting for resumption");
                session.set_detached(true);
                tokio::spawn(async move {
                    tokio::select! {
                        _ = tokio::time::sleep(timeout) => {}
                        _ = session.kicked() => {}
                        _ = resumed => return,
                    }
                    if let Some((session, parked)) = core.resumptions.expire(&id, generation) {
                        tracing::debug!(jid = %session.jid, "resumable session ended");
                        core.end_detached(&session, parked).await;
                    }
                });
            }
            Err(parked) => {
                tokio::spawn(async move { core.end_detached(&session, parked).await });
            }
        }
    }

    /// The stream carrying resumable session `id` ended for good (closed cleanly, kicked,
    /// a stream error): the session can no longer be resumed.
    pub(crate) fn forget_resumable(&self, id: &str) {
        self.resumptions.forget(id);
    }

    /// Ends a session no stream carries: as a closed stream would (unavailable presence to
    /// whoever saw it available), then what it never delivered goes to
    /// [`Core::redeliver_undelivered`].
    pub(crate) async fn end_detached(&self, session: &Arc<Session>, parked: Parked) {
        session.stop_queueing();
        self.close_session(session).await;
        let Parked { mut inbox, sm } = parked;
        let mut undelivered = sm.into_unacked(session.jid.domain().as_str());
        while let Some(stanza) = inbox.try_recv() {
            undelivered.push(stanza.into_element());
        }
        self.redeliver_undelivered(session, undelivered).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::metrics::Metrics;
    use crate::core::session::{Limits, SessionKind, Sessions};
    use jid::FullJid;

    fn session(table: &Sessions, jid: &str) -> (Arc<Session>, Inbox) {
        let limits = Limits {
            queue_len: 10,
            queue_bytes: 1 << 20,
            max_per_user: 10,
        };
        table
            .register(FullJid::new(jid).unwrap(), SessionKind::XmppTcp, limits)
            .unwrap()
    }

    fn alice() -> BareJid {
        BareJid::new("alice@localhost").unwrap()
    }

    const WAIT: Duration = Duration::from_secs(2);

    #[tokio::test]
    async fn a_detached_session_is_resumed_once_by_its_owner_only() {
        let sessions = Sessions::new(Arc::new(Metrics::new()));
        let table = Resumptions::default();
        let (s, inbox) = session(&sessions, "alice@localhost/phone");
        let (tx, _rx) = watch::channel(false);
        let id = table.register(s.clone(), Duration::from_secs(60), tx);
        let mut sm = SmState::new();
        sm.handled_one();
        let detached = table
            .detach(&id, Parked { inbox, sm })
            .unwrap_or_else(|_| panic!("registered"));
        assert_eq!(detached.generation, 1);

        let mallory = BareJid::new("mallory@localhost").unwrap();
        let (tx, _rx) = watch::channel(false);
        assert_eq!(
            table.resume(&id, &mallory, tx, WAIT).await.unwrap_err(),
            ResumeError::NotFound
        );
        let (tx, _rx) = watch::channel(false);
        assert_eq!(
            table.resume("nope", &alice(), tx, WAIT).await.unwrap_err(),
            ResumeError::NotFound
        );
        let (tx, _rx2) = watch::channel(false);
        let (resumed, parked) = table.resume(&id, &alice(), tx, WAIT).await.unwrap();
        assert_eq!(resumed.id, s.id);
        assert_eq!(parked.sm.handled(), 1);
        assert!(
            detached.resumed.await.is_err(),
            "the expiry timer learns that the session was resumed"
        );
        assert!(
            table.expire(&id, 1).is_none(),
            "an old timer does not end a resumed session"
        );
        assert_eq!(table.len(), 1, "still resumable, attached to the new stream");
        table.forget(&id);
        assert!(table.is_empty());
    }

    #[tokio::test]
    async fn an_expired_session_leaves_the_table_and_cannot_be_resumed() {
        let sessions = Sessions::new(Arc::new(Metrics::new()));
        let table = Resumptions::default();
        let (s, inbox) = session(&sessions, "alice@localhost/phone");
        let (tx, _rx) = watch::channel(false);
        let id = table.register(s, Duration::from_secs(60), tx);
        let d = table
            .detach(
                &id,
                Parked {
                    inbox,
                    sm: SmState::new(),
                },
            )
            .unwrap_or_else(|_| panic!("registered"));
        assert!(table.expire(&id, d.generation).is_some());
        assert!(table.expire(&id, d.generation).is_none(), "once");
        let (tx, _rx) = watch::channel(false);
        assert_eq!(
            table.resume(&id, &alice(), tx, WAIT).await.unwrap_err(),
            ResumeError::NotFound
        );
        let (_, inbox) = session(&sessions, "alice@localhost/other");
        assert!(
            table
                .detach(
                    &id,
                    Parked {
                        inbox,
                        sm: SmState::new()
                    }
                )
                .is_err(),
            "an unknown id gives the state back"
        );
    }

    #[tokio::test]
    async fn resuming_a_session_still_attached_takes_it_from_the_old_stream() {
        let sessions = Sessions::new(Arc::new(Metrics::new()));
        let table = Arc::new(Resumptions::default());
        let (s, inbox) = session(&sessions, "alice@localhost/phone");
        let (old_tx, mut old_rx) = watch::channel(false);
        let id = table.register(s.clone(), Duration::from_secs(60), old_tx);
        // The old stream: lets go when told to.
        let old = {
            let table = table.clone();
            let id = id.clone();
            tokio::spawn(async move {
                old_rx.wait_for(|taken| *taken).await.unwrap();
                let _ = table.detach(
                    &id,
                    Parked {
                        inbox,
                        sm: SmState::new(),
                    },
                );
            })
        };
        let (tx, _rx) = watch::channel(false);
        let (resumed, _) = table.resume(&id, &alice(), tx, WAIT).await.unwrap();
        assert_eq!(resumed.id, s.id);
        old.await.unwrap();
    }

    #[tokio::test]
    async fn a_stream_that_never_lets_go_makes_the_resumption_fail_in_time() {
        let sessions = Sessions::new(Arc::new(Metrics::new()));
        let table = Resumptions::default();
        let (s, _inbox) = session(&sessions, "alice@localhost/phone");
        let (old_tx, old_rx) = watch::channel(false);
        let id = table.register(s, Duration::from_secs(60), old_tx);
        let (tx, _rx) = watch::channel(false);
        let result = table.resume(&id, &alice(), tx, Duration::from_millis(50)).await;
        assert_eq!(result.unwrap_err(), ResumeError::Busy);
        assert!(*old_rx.borrow(), "the old stream was told");
    }

    mod through_the_core {
        use super::super::*;
        use crate::core::stanza::ns;
        use crate::core::testkit::{xml, Client, Harness};
        use crate::xml::Element;

        /// alice's phone, resumable and detached with `sm`, and what it leaves behind.
        async fn detached_phone(h: &Harness, sm: SmState) -> (String, Arc<Session>) {
            let phone = h.online("alice@localhost/phone").await;
            let (session, inbox) = phone.into_parts();
            let (tx, _rx) = watch::channel(false);
            let (id, _) = h.core.make_resumable(&session, None, tx).unwrap();
            h.core.detach_session(&id, session.clone(), Parked { inbox, sm });
            (id, session)
        }

        fn bodies(stanzas: &[Element]) -> Vec<String> {
            stanzas
                .iter()
                .filter_map(|s| s.child("body", ns::CLIENT).map(|b| b.text()))
                .collect()
        }

        #[tokio::test(start_paused = true)]
        async fn a_detached_session_stays_routable_and_its_time_running_out_ends_it_as_a_closed_one() {
            let h = Harness::new(&["alice", "bob"]).await;
            h.befriend("alice@localhost", "bob@localhost").await;
            let mut bob = h.online("bob@localhost/pc").await;
            let mut laptop = h.online("alice@localhost/laptop").await;
            // Written to the phone and never acknowledged: one to the phone itself, one
            // to the bare JID (which the laptop got its own copy of).
            let mut sm = SmState::new();
            sm.sent_one(
                xml("<message type='chat' to='alice@localhost/phone' from='bob@localhost/pc'><body>unacked</body></message>"),
                0,
            );
            sm.sent_one(
                xml("<message type='chat' to='alice@localhost' from='bob@localhost/pc'><body>to all</body></message>"),
                0,
            );
            let (id, phone) = detached_phone(&h, sm).await;
            bob.take();
            laptop.take();

            h.send(
                &bob,
                "<message type='chat' to='alice@localhost/phone'><body>while away</body></message>",
            )
            .await;
            assert!(laptop.take().is_empty(), "the detached phone still takes its messages");
            assert!(h.core.sessions().session(&phone.jid).is_some());
            assert!(
                bob.take().is_empty(),
                "no unavailable presence while the phone may come back"
            );

            tokio::time::sleep(Duration::from_secs(301)).await;
            let got = laptop.take();
            assert_eq!(
                bodies(&got),
                ["unacked", "while away"],
                "what the phone never delivered reaches the laptop, the bare-JID copy excepted"
            );
            let unacked = got.iter().find(|s| s.name == "message").unwrap();
            assert!(unacked.child("delay", ns::DELAY).is_some(), "marked as delayed");
            assert!(h.core.sessions().session(&phone.jid).is_none());
            let bob_sees = bob.take();
            assert!(
                bob_sees
                    .iter()
                    .any(|p| p.name == "presence" && p.attr("type") == Some("unavailable")),
                "{bob_sees:?}"
            );
            let (tx, _rx) = watch::channel(false);
            let owner = BareJid::new("alice@localhost").unwrap();
            assert_eq!(
                h.core.resume_session(&id, &owner, tx).await.unwrap_err(),
                ResumeError::NotFound
            );
        }

        #[tokio::test(start_paused = true)]
        async fn a_resumed_session_keeps_its_place_and_presence_and_gets_what_was_queued() {
            let h = Harness::new(&["alice", "bob"]).await;
            h.befriend("alice@localhost", "bob@localhost").await;
            let mut bob = h.online("bob@localhost/pc").await;
            let (id, phone) = detached_phone(&h, SmState::new()).await;
            bob.take();
            h.send(
                &bob,
                "<message type='chat' to='alice@localhost'><body>queued</body></message>",
            )
            .await;
            let (tx, _rx) = watch::channel(false);
            let owner = BareJid::new("alice@localhost").unwrap();
            let (session, parked) = h.core.resume_session(&id, &owner, tx).await.unwrap();
            assert_eq!(session.id, phone.id, "the same session");
            assert!(session.available());
            let mut client = Client::from_parts(session, parked.inbox);
            assert_eq!(bodies(&client.take()), ["queued"]);
            tokio::time::sleep(Duration::from_secs(400)).await;
            assert!(
                h.core.sessions().session(&phone.jid).is_some(),
                "the old timer does not end it"
            );
            assert!(bob.take().is_empty(), "bob saw no unavailable/available flap");
        }

        #[tokio::test(start_paused = true)]
        async fn a_detached_session_whose_queue_overflows_ends_at_once() {
            let h = Harness::new(&["alice", "bob"]).await;
            let bob = h.online("bob@localhost/pc").await;
            let (_id, phone) = detached_phone(&h, SmState::new()).await;
            for n in 0..101 {
                h.send(
                    &bob,
                    &format!("<message type='chat' to='alice@localhost/phone'><body>{n}</body></message>"),
                )
                .await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert!(
                h.core.sessions().session(&phone.jid).is_none(),
                "a queue of 100 overflowed: the session ended as a too slow one would"
            );
        }
    }

    #[tokio::test]
    async fn a_kicked_session_cannot_be_resumed() {
        let sessions = Sessions::new(Arc::new(Metrics::new()));
        let table = Resumptions::default();
        let (s, inbox) = session(&sessions, "alice@localhost/phone");
        let (tx, _rx) = watch::channel(false);
        let id = table.register(s.clone(), Duration::from_secs(60), tx);
        let _ = table.detach(
            &id,
            Parked {
                inbox,
                sm: SmState::new(),
            },
        );
        s.kick(crate::core::session::Kick::TooSlow);
        let (tx, _rx) = watch::channel(false);
        assert_eq!(
            table.resume(&id, &alice(), tx, WAIT).await.unwrap_err(),
            ResumeError::NotFound
        );
    }
}

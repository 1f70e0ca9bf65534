//! XEP-0198 stream management on a bound stream, once enabled (§3) or resumed (§5): the
//! reader counts the stanzas it handled and answers `<r/>` with them, takes the client's
//! `<a/>` (ending the stream when it acknowledges more than was sent, §4); the writer
//! counts what it writes and keeps it until acknowledged, asks for acks (every
//! `ack_freq` stanzas, when `buffer_max` are unacknowledged, and after
//! `keepalive_interval` of silence) and stops writing at `buffer_max` until the client
//! acknowledges. A resumed stream starts with `<resumed/>` and what the former one left
//! unacknowledged.
//!
//! The counters themselves are `core::session::stream_management`; resumption before
//! binding is `bind`, detaching at the end `session`.

use super::{unsupported, Control, Ending, Reading};
use crate::core::session::stream_management::{self as sm, SmSettings, SmState};
use crate::core::session::{Outbound, Session};
use crate::core::Core;
use crate::xmpp::nonza;
use crate::xmpp::stream::bind::ResumedSm;
use crate::xmpp::stream::{Framing, StreamError};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// Stream management on a stream, once enabled or resumed: shared by the reader (which
/// counts handled stanzas and takes acks) and the writer (which counts and keeps what it
/// writes).
#[derive(Debug, Clone)]
pub(super) struct SmLink {
    state: Arc<Mutex<SmState>>,
    settings: SmSettings,
    /// The SM-ID, when the session is resumable.
    pub(super) id: Option<String>,
}

impl SmLink {
    pub(super) fn lock(&self) -> MutexGuard<'_, SmState> {
        self.state.lock().expect("stream management state poisoned")
    }

    /// At `buffer_max` unacknowledged, the writer waits for an ack before writing on.
    pub(super) fn is_full(&self) -> bool {
        self.lock().is_full(&self.settings)
    }

    /// How many queued stanzas the writer may take at once, at most `batch`: what is left
    /// below `buffer_max`, and at least one.
    pub(super) fn room(&self, batch: usize) -> usize {
        self.settings
            .buffer_max
            .saturating_sub(self.lock().unacked_len())
            .clamp(1, batch)
    }

    /// Counts and keeps the stanzas just framed for writing; an `<r/>` to write after them
    /// when an ack is due.
    pub(super) fn sent(&self, batch: Vec<Outbound>, framing: Framing) -> Option<String> {
        let mut state = self.lock();
        let now = sm::now_ms();
        for el in batch {
            state.sent_one(el, now);
        }
        state
            .request_due(&self.settings)
            .then(|| framing.stanza(&nonza::request()))
    }

    /// Whether anything written is still unacknowledged (silence then asks for an ack).
    pub(super) fn has_unacked(&self) -> bool {
        self.lock().unacked_len() > 0
    }
}

/// XEP-0198 §4: the client acknowledged more than it was sent.
pub(super) fn handled_too_high(e: sm::HandledTooHigh) -> StreamError {
    StreamError {
        condition: "undefined-condition",
        text: Some(e.to_string()),
        app: Some(Box::new(nonza::handled_count_too_high(e.h, e.sent))),
    }
}

/// A resumed session's stream management, carried on by the new stream.
pub(super) struct Carried {
    pub(super) link: SmLink,
    /// Written before anything else: `<resumed/>`, the retransmissions, and an `<r/>`
    /// when any are unacknowledged.
    pub(super) first_frames: Vec<String>,
    pub(super) takeover: watch::Receiver<bool>,
}

/// A `<resume/>` whose `h` acknowledges more than the former stream sent: the session
/// ends with the stream.
pub(super) struct Untrusted {
    pub(super) id: String,
    pub(super) sm: SmState,
    pub(super) too_high: sm::HandledTooHigh,
}

/// Takes the client's `h` from `<resume/>` (XEP-0198 §5) and carries the session's stream
/// management on, retransmitting what is still unacknowledged.
pub(super) fn resume_on(resumed: ResumedSm, framing: Framing, domain: &str) -> Result<Carried, Untrusted> {
    let ResumedSm {
        mut sm,
        settings,
        id,
        h,
        takeover,
    } = resumed;
    if let Err(too_high) = sm.ack(h) {
        return Err(Untrusted { id, sm, too_high });
    }
    let mut frames = vec![framing.stanza(&nonza::resumed(&id, sm.handled()))];
    frames.extend(sm.retransmission(domain).iter().map(|s| framing.stanza(s)));
    if sm.unacked_len() > 0 {
        frames.push(framing.stanza(&nonza::request()));
    }
    let link = SmLink {
        state: Arc::new(Mutex::new(sm)),
        settings,
        id: Some(id),
    };
    Ok(Carried {
        link,
        first_frames: frames,
        takeover,
    })
}

/// The reader's side: `<enable/>`, `<r/>` and `<a/>` on a bound stream.
impl Reading {
    /// XEP-0198 §3; resumable (§5) when the client asks and the core agrees.
    pub(super) async fn enable(
        &mut self,
        core: &Core,
        session: &Arc<Session>,
        resume: bool,
        max: Option<u64>,
    ) -> Option<Ending> {
        let Some(settings) = core.stream_management().copied() else {
            return unsupported("stream management is not offered");
        };
        if self.sm.is_some() {
            return self.write(&nonza::failed("unexpected-request")).await;
        }
        let resumable = if resume {
            self.takeover_tx
                .take()
                .and_then(|tx| core.make_resumable(session, max, tx))
        } else {
            None
        };
        let enabled = nonza::enabled(resumable.as_ref().map(|(id, t)| (id.as_str(), t.as_secs())));
        let link = SmLink {
            state: Arc::default(),
            settings,
            id: resumable.map(|(id, _)| id),
        };
        self.sm = Some(link.clone());
        self.send(Control::Enable(Box::new((self.framing.stanza(&enabled), link))))
            .await
    }

    /// `<r/>`: answered with what is handled so far.
    pub(super) async fn answer_request(&self) -> Option<Ending> {
        match &self.sm {
            Some(link) => {
                let h = link.lock().handled();
                self.write(&nonza::ack(h)).await
            }
            None => unsupported("stream management is not enabled"),
        }
    }

    /// `<a/>`: what the client acknowledged is forgotten, and the writer woken.
    pub(super) fn take_ack(&self, h: u32) -> Option<Ending> {
        match &self.sm {
            Some(link) => {
                let acked = link.lock().ack(h);
                match acked {
                    Err(e) => Some(Ending::Error(handled_too_high(e))),
                    Ok(()) => {
                        // A full control queue wakes the writer anyway.
                        let _ = self.control.try_send(Control::Acked);
                        None
                    }
                }
            }
            None => unsupported("stream management is not enabled"),
        }
    }
}

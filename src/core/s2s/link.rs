//! One domain pair's way out: its queue, the phase of its stream, and the task that makes
//! the stream and writes to it.
//!
//! Phases: `Idle` (no stream) → `Connecting` (the task dials; stanzas wait) → `Up` (the
//! task writes what waits, in order) → `Idle` again when the stream closes or idles out.
//! A failed dial → `Backoff` (what waited is bounced, and what comes until `until` is
//! bounced at once); the first stanza after it dials again. A stream that breaks while
//! stanzas wait is dialled again at once; the batch the broken write held is bounced.

use super::{DialError, Dialer, Outbound, S2sSettings};
use crate::core::stanza::{Condition, StanzaError};
use crate::core::untrusted::Untrusted;
use crate::core::Core;
use crate::xml::Element;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Stanzas written in one go.
const WRITE_BATCH: usize = 64;
/// The first back-off after a failure; doubled per failure up to `max_retry_delay`.
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(1);

#[derive(Debug)]
enum Phase {
    Idle,
    Connecting,
    Up,
    Backoff {
        until: Instant,
        delay: Duration,
        condition: Condition,
    },
}

struct State {
    phase: Phase,
    queue: VecDeque<Element>,
    bytes: usize,
    /// The back-off the next failure starts from (after one that ended `Backoff`).
    last_delay: Option<Duration>,
    /// Set by `push` when the phase went to `Connecting`: the caller spawns the task.
    dial: bool,
}

pub(super) struct Link {
    pub local: String,
    pub remote: String,
    state: Mutex<State>,
    wake: Notify,
}

impl Link {
    pub fn new(local: &str, remote: &str) -> Self {
        Link {
            local: local.to_owned(),
            remote: remote.to_owned(),
            state: Mutex::new(State {
                phase: Phase::Idle,
                queue: VecDeque::new(),
                bytes: 0,
                last_delay: None,
                dial: false,
            }),
            wake: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Every write leaves the state whole.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a stream is up, and the stanzas waiting.
    pub fn status(&self) -> (bool, usize) {
        let s = self.state();
        (matches!(s.phase, Phase::Up), s.queue.len())
    }

    /// Queues `stanza`; refused (with the condition to bounce it with) during a
    /// back-off or when the queue is full.
    pub fn push(&self, stanza: Element, settings: &S2sSettings) -> Result<(), (Element, Condition)> {
        let mut s = self.state();
        match s.phase {
            Phase::Backoff { until, condition, .. } if Instant::now() < until => return Err((stanza, condition)),
            Phase::Backoff { delay, .. } => {
                s.last_delay = Some(delay);
                s.phase = Phase::Connecting;
                s.dial = true;
            }
            Phase::Idle => {
                s.phase = Phase::Connecting;
                s.dial = true;
            }
            Phase::Connecting | Phase::Up => {}
        }
        let size = stanza.approx_size();
        if s.queue.len() >= settings.queue_len || s.bytes + size > settings.queue_bytes {
            return Err((stanza, Condition::ResourceConstraint));
        }
        s.bytes += size;
        s.queue.push_back(stanza);
        drop(s);
        self.wake.notify_one();
        Ok(())
    }

    /// Whether the caller of the last `push` must start the task (once per dial).
    pub fn should_dial(&self) -> bool {
        std::mem::take(&mut self.state().dial)
    }

    fn take_batch(&self) -> Vec<Element> {
        let mut s = self.state();
        let n = s.queue.len().min(WRITE_BATCH);
        let batch: Vec<Element> = s.queue.drain(..n).collect();
        let size: usize = batch.iter().map(Element::approx_size).sum();
        s.bytes = s.bytes.saturating_sub(size);
        batch
    }

    /// After a failed dial: back off, and hand back what waited.
    fn failed(&self, error: &DialError, max: Duration) -> Vec<Element> {
        let mut s = self.state();
        let delay = match s.last_delay.take() {
            Some(d) => (d * 2).min(max),
            None => FIRST_RETRY_DELAY.min(max),
        };
        s.phase = Phase::Backoff {
            until: Instant::now() + delay,
            delay,
            condition: error.condition(),
        };
        s.bytes = 0;
        s.queue.drain(..).collect()
    }

    /// The stream ended; `Idle` unless stanzas wait (then the caller dials again).
    fn ended(&self) -> bool {
        let mut s = self.state();
        if s.queue.is_empty() {
            s.phase = Phase::Idle;
            false
        } else {
            s.phase = Phase::Connecting;
            true
        }
    }

    /// `Idle` if nothing waits (the stream is to be closed); otherwise it goes on.
    fn idled_out(&self) -> bool {
        let mut s = self.state();
        let idle = s.queue.is_empty();
        if idle {
            s.phase = Phase::Idle;
        }
        idle
    }

    fn up(&self) {
        let mut s = self.state();
        s.phase = Phase::Up;
        s.last_delay = None;
    }
}

/// The task of one dial: makes the stream, then writes until it closes or idles out.
pub(super) async fn drive(link: Arc<Link>, core: Weak<Core>, dialer: Arc<dyn Dialer>, settings: S2sSettings) {
    loop {
        let dialled = tokio::time::timeout(settings.connect_timeout, dialer.dial(&link.local, &link.remote)).await;
        let out = match dialled {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return fail(&link, &core, e, &settings).await,
            Err(_) => {
                let e = DialError::Failed(format!("no stream within {:?}", settings.connect_timeout));
                return fail(&link, &core, e, &settings).await;
            }
        };
        tracing::debug!(local = %link.local, remote = %link.remote, "s2s stream up");
        link.up();
        if !write_until_closed(&link, &core, out, settings.idle_timeout).await {
            return;
        }
    }
}

async fn fail(link: &Link, core: &Weak<Core>, error: DialError, settings: &S2sSettings) {
    // The text may quote what the remote server sent.
    let text = error.to_string();
    tracing::info!(local = %link.local, remote = %link.remote, error = %Untrusted(&text), "no s2s stream");
    let waited = link.failed(&error, settings.max_retry_delay);
    if let Some(core) = core.upgrade() {
        let text = format!("{} could not be reached: {error}", link.remote);
        bounce(
            &core,
            &link.remote,
            waited,
            StanzaError::new(error.condition()).with_text(text),
        )
        .await;
    }
}

async fn bounce(core: &Core, remote: &str, stanzas: Vec<Element>, error: StanzaError) {
    if stanzas.is_empty() {
        return;
    }
    if let Some(s2s) = core.s2s() {
        s2s.count_bounced(stanzas.len());
    }
    let replier = match crate::core::jid::parse(remote) {
        Ok(j) => j,
        Err(_) => return,
    };
    for stanza in stanzas {
        // The recipient's own address answers, as the remote server would have.
        let replier = stanza
            .attr("to")
            .and_then(|t| crate::core::jid::parse(t).ok())
            .unwrap_or_else(|| replier.clone());
        core.bounce(&replier, &stanza, error.clone()).await;
    }
}

/// Writes what waits until the stream closes (then `true` when stanzas wait, to dial
/// again) or has been idle for `idle` (`false`).
async fn write_until_closed(link: &Arc<Link>, core: &Weak<Core>, mut out: Box<dyn Outbound>, idle: Duration) -> bool {
    loop {
        let batch = link.take_batch();
        if batch.is_empty() {
            tokio::select! {
                _ = link.wake.notified() => continue,
                _ = out.closed() => return link.ended(),
                _ = tokio::time::sleep(idle) => {
                    if link.idled_out() {
                        out.close().await;
                        return false;
                    }
                    continue;
                }
            }
        }
        if let Err(e) = out.send(&batch).await {
            tracing::info!(local = %link.local, remote = %link.remote, error = %e, "s2s stream broke");
            if let Some(core) = core.upgrade() {
                let error = StanzaError::new(Condition::RemoteServerTimeout)
                    .with_text(format!("the stream to {} broke", link.remote));
                bounce(&core, &link.remote, batch, error).await;
            }
            return link.ended();
        }
    }
}

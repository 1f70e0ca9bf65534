//! The bound session (RFC 6120 §10): the stream's reader runs here, handing each client
//! stanza to the core (up to [`PIPELINE_DEPTH`] in flight, in their order), and a writer
//! task writes what the router queues for the session, with what the reader asks of it
//! (answers to nonzas) in stream order. XEP-0352 `<active/>`/`<inactive/>` go to the
//! core in order with the stanzas around them; XEP-0198's share of the loops is in `sm`.
//!
//! The stream ends on the client's close, a broken or idle connection, a stream error,
//! a kick, or a takeover by a stream that resumed the session. Its [`Ending`] decides the
//! last words, and whether a resumable session is detached (`Core::detach_session`) for
//! a later `<resume/>` (XEP-0198 §7) or closed, what it did not write or the client did
//! not acknowledge redelivered.

mod control;
mod sm;

use super::bind::ResumedSm;
use super::{
    stream_error, Connection, Framing, Settings, StreamError, StreamRead, StreamWrite, TAKEOVER_WRITE_TIMEOUT,
    WRITE_TIMEOUT,
};
use crate::core::routing::pipeline::Pipeline;
use crate::core::session::resumption::{Parked, Takeover};
use crate::core::session::{Inbox, Kick, Session};
use crate::core::stanza::ns;
use crate::core::Core;
use crate::xml::{Element, StreamEvent, XmlError};
use crate::xmpp::nonza::{self, Nonza};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use sm::{handled_too_high, resume_on, Carried, SmLink, Untrusted};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch, Notify};
use tokio::task::JoinHandle;

const CLIENT_NS: &str = ns::CLIENT;

/// Stanzas written in one go when several are queued.
const WRITE_BATCH: usize = 64;
/// Messages from the reader to the writer waiting at once (the reader waits beyond).
const CONTROL_QUEUE: usize = 64;

/// How the session loop ended, and so what the writer sends last.
#[derive(Debug)]
enum Ending {
    ClientClosed,
    Gone,
    Error(StreamError),
    Kicked(Kick),
    /// Another stream resumed the session (XEP-0198 §5: the old stream is terminated).
    Replaced,
}

impl Ending {
    /// Whether a resumable session outlives this ending (XEP-0198 §7): its connection was
    /// lost, idled out or was taken over; it was not closed, and not told to end.
    fn detaches(&self) -> bool {
        match self {
            Ending::Gone | Ending::Replaced => true,
            Ending::Error(e) => e.condition == "connection-timeout",
            Ending::ClientClosed | Ending::Kicked(_) => false,
        }
    }

    /// What the writer sends last, and how long it may take.
    fn last_words(&self, framing: Framing) -> (Vec<String>, Duration) {
        match self {
            Ending::Error(e) => (e.frames(framing), WRITE_TIMEOUT),
            Ending::Kicked(k) => (framing.error(k.condition(), None), WRITE_TIMEOUT),
            Ending::ClientClosed => (vec![framing.close()], WRITE_TIMEOUT),
            Ending::Replaced => (replaced(framing), TAKEOVER_WRITE_TIMEOUT),
            Ending::Gone => (Vec::new(), WRITE_TIMEOUT),
        }
    }
}

/// The stream error a stream gets when another one resumes its session.
fn replaced(framing: Framing) -> Vec<String> {
    framing.error("conflict", Some("another stream resumed the session"))
}

/// What the reader asks of the writer, in stream order.
enum Control {
    /// Write these (an `<a/>` answering `<r/>`, a `<failed/>`).
    Frames(Vec<String>),
    /// Write `<enabled/>`, then count and keep every stanza written after it. Boxed: the
    /// rare case need not make every queued entry larger.
    Enable(Box<(String, SmLink)>),
    /// The client acknowledged stanzas: there may be room to write again.
    Acked,
}

/// The reader's side of the session loop.
struct Reading {
    framing: Framing,
    sm: Option<SmLink>,
    /// Given to the core when the session becomes resumable; the core sets it when
    /// another stream resumes the session.
    takeover_tx: Option<Takeover>,
    takeover: watch::Receiver<bool>,
    /// Notified by the writer when the connection cannot be written to.
    broken: Arc<Notify>,
    control: control::Sender<Control>,
}

impl Reading {
    /// Hands `control` to the writer; an ending when the writer is gone.
    async fn send(&self, control: Control) -> Option<Ending> {
        self.control.send(control).await.err().map(|_| Ending::Gone)
    }

    async fn write(&self, el: &Element) -> Option<Ending> {
        self.send(Control::Frames(vec![self.framing.stanza(el)])).await
    }
}

/// The writer's side of the session loop.
struct Writing {
    keepalive: Duration,
    sm: Option<SmLink>,
    /// Written before anything else (a resumption's `<resumed/>` and retransmissions).
    first_frames: Vec<String>,
    takeover: watch::Receiver<bool>,
    broken: Arc<Notify>,
}

/// The bound session: read and route client stanzas here, write queued ones in a task.
/// `resumed`: the session was taken back with `<resume/>` (XEP-0198 §5).
///
/// Set up here and run as a boxed future of what the session keeps: an `async fn` would
/// keep its arguments (the whole negotiating connection among them) for as long as the
/// session lasts, beside the halves it was split into.
pub(super) fn active<C: Connection>(
    core: Arc<Core>,
    conn: C,
    session: Arc<Session>,
    inbox: Inbox,
    settings: Settings,
    resumed: Option<ResumedSm>,
) -> BoxFuture<'static, ()> {
    let framing = C::FRAMING;
    let domain = session.jid.domain().as_str().to_owned();
    let (takeover_tx, takeover, sm, first_frames) = match resumed {
        None => {
            let (tx, rx) = watch::channel(false);
            (Some(tx), rx, None, Vec::new())
        }
        Some(resumed) => match resume_on(resumed, framing, &domain) {
            Ok(Carried {
                link,
                first_frames,
                takeover,
            }) => (None, takeover, Some(link), first_frames),
            Err(Untrusted { id, sm, too_high }) => {
                // The client's count cannot be trusted: the session ends here.
                core.forget_resumable(&id);
                return Box::pin(async move {
                    core.end_detached(&session, Parked { inbox, sm }).await;
                    let mut conn = conn;
                    let _ = tokio::time::timeout(WRITE_TIMEOUT, conn.send(handled_too_high(too_high).frames(framing)))
                        .await;
                    conn.shutdown().await;
                });
            }
        },
    };
    let (reader, writer) = conn.split();
    let broken = Arc::new(Notify::new());
    let (end_tx, end_rx) = oneshot::channel();
    let (control_tx, control_rx) = control::channel(CONTROL_QUEUE);
    let writing = Writing {
        keepalive: settings.keepalive_interval,
        sm: sm.clone(),
        first_frames,
        takeover: takeover.clone(),
        broken: broken.clone(),
    };
    let writer = tokio::spawn(write_loop::<C>(
        writer,
        inbox,
        session.clone(),
        end_rx,
        control_rx,
        writing,
    ));
    let reading = Reading {
        framing,
        sm,
        takeover_tx,
        takeover,
        broken,
        control: control_tx,
    };
    let bound = Bound {
        core,
        session,
        domain,
        idle: settings.idle_timeout,
        end_tx,
        writer,
    };
    Box::pin(run(bound, reader, reading))
}

/// What the bound session keeps for its reading and its ending.
struct Bound {
    core: Arc<Core>,
    session: Arc<Session>,
    domain: String,
    idle: Duration,
    end_tx: oneshot::Sender<Ending>,
    writer: JoinHandle<Inbox>,
}

/// Reads until the stream ends, then ends or detaches the session.
async fn run<R: StreamRead>(bound: Bound, mut reader: R, mut reading: Reading) {
    let ending = read_loop(&bound.core, &mut reader, &bound.session, bound.idle, &mut reading).await;
    let sm = reading.sm.take();
    drop(reading);
    // Boxed for the same reason as the phases of `serve`: only an ending stream needs it.
    Box::pin(async move {
        let Bound {
            core,
            session,
            domain,
            end_tx,
            writer,
            ..
        } = bound;
        let resumable = sm.as_ref().and_then(|l| l.id.clone());
        let detach = resumable.is_some() && ending.detaches() && !session.is_ended();
        if !detach {
            if let Some(id) = &resumable {
                core.forget_resumable(id);
            }
            core.close_session(&session).await;
        }
        tracing::debug!(jid = %session.jid, ?ending, detach, "stream ended");
        let _ = end_tx.send(ending);
        let inbox = writer.await;
        let state = sm.map(|l| std::mem::take(&mut *l.lock())).unwrap_or_default();
        match (inbox, resumable) {
            (Ok(inbox), Some(id)) if detach => {
                core.detach_session(&id, session, Parked { inbox, sm: state });
            }
            (inbox, resumable) => {
                if detach {
                    // The writer failed, and the queue with it: nothing to resume.
                    if let Some(id) = &resumable {
                        core.forget_resumable(id);
                    }
                    core.close_session(&session).await;
                }
                let mut undelivered = state.into_unacked(&domain);
                if let Ok(mut inbox) = inbox {
                    while let Some(stanza) = inbox.try_recv() {
                        undelivered.push(stanza.into_element());
                    }
                }
                core.redeliver_undelivered(&session, undelivered).await;
            }
        }
        reader.linger().await;
    })
    .await;
}

/// How many stanzas of one session are handled at once ([`crate::core::routing::pipeline`]):
/// enough for a client's window of messages to share one archive commit, few enough that
/// a session holds little while they wait (each is at most `max_stanza_size`). A full
/// pipeline stops reading, which pushes back on the client through TCP.
const PIPELINE_DEPTH: usize = 32;

/// The stanzas of a session being handled, in their session's order.
type InFlight<'a> = FuturesUnordered<BoxFuture<'a, ()>>;

async fn read_loop<R: StreamRead>(
    core: &Arc<Core>,
    reader: &mut R,
    session: &Arc<Session>,
    idle: Duration,
    io: &mut Reading,
) -> Ending {
    let mut in_flight = InFlight::new();
    let ending = read_stanzas(core, reader, session, idle, io, &mut in_flight).await;
    // Whatever was read is handled, however the stream ends: the client may have been
    // told nothing yet, but a message half archived and never delivered helps nobody.
    while in_flight.next().await.is_some() {}
    ending
}

async fn read_stanzas<'a, R: StreamRead>(
    core: &'a Arc<Core>,
    reader: &mut R,
    session: &'a Arc<Session>,
    idle: Duration,
    io: &mut Reading,
    in_flight: &mut InFlight<'a>,
) -> Ending {
    let activity = reader.activity();
    activity.touch();
    let mut pipeline = Pipeline::default();
    loop {
        let next = reader.next();
        tokio::pin!(next);
        // The read is never cancelled while the stream goes on: the idle check re-arms
        // around it, and only a kick, a broken connection, a takeover or a real timeout
        // abandons it. Stanzas in flight move on meanwhile.
        let event = loop {
            let left = idle.saturating_sub(activity.idle_for());
            tokio::select! {
                kick = session.kicked() => return Ending::Kicked(kick),
                _ = io.broken.notified() => return Ending::Gone,
                Ok(_) = io.takeover.wait_for(|taken| *taken) => return Ending::Replaced,
                Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
                event = &mut next, if in_flight.len() < PIPELINE_DEPTH => break event,
                _ = tokio::time::sleep(left) => {
                    if activity.idle_for() >= idle {
                        return Ending::Error(stream_error("connection-timeout"));
                    }
                }
            }
        };
        let stanza = match event {
            Ok(StreamEvent::Stanza(el)) => el,
            Ok(StreamEvent::KeepAlive) => continue,
            Ok(StreamEvent::Close) => return Ending::ClientClosed,
            Ok(StreamEvent::Open(_)) => return Ending::Error(stream_error("not-well-formed")),
            Err(XmlError::Eof | XmlError::Io(_)) => return Ending::Gone,
            Err(e) => return Ending::Error(e.into()),
        };
        if let Some(parsed) = nonza::parse(&stanza) {
            // An ack request is answered with what is handled so far; anything else
            // (enabling stream management, a client state) comes after the stanzas
            // before it.
            if !matches!(parsed, Ok(Nonza::Request | Nonza::Ack { .. })) {
                while in_flight.next().await.is_some() {}
            }
            match Box::pin(on_nonza(core, session, io, parsed)).await {
                Some(ending) => return ending,
                None => continue,
            }
        }
        if stanza.ns != CLIENT_NS || !matches!(stanza.name.as_str(), "message" | "presence" | "iq") {
            return Ending::Error(stream_error("unsupported-stanza-type"));
        }
        let turn = pipeline.next(&stanza.name);
        let sm = io.sm.clone();
        in_flight.push(Box::pin(async move {
            core.from_client(session, stanza, turn).await;
            if let Some(link) = &sm {
                link.lock().handled_one();
            }
        }));
    }
}

/// A stream management or client state nonza on a bound session; an ending when it
/// ends the stream.
async fn on_nonza(
    core: &Arc<Core>,
    session: &Arc<Session>,
    io: &mut Reading,
    parsed: Result<Nonza, nonza::NonzaError>,
) -> Option<Ending> {
    let nonza = match parsed {
        Ok(n) => n,
        Err(e) => return Some(Ending::Error(StreamError::with_text("bad-format", e.to_string()))),
    };
    match nonza {
        Nonza::Active | Nonza::Inactive => {
            if !core.csi_enabled() {
                return unsupported("client state indication is not offered");
            }
            core.set_client_state(session, nonza == Nonza::Active);
            None
        }
        Nonza::Enable { resume, max } => io.enable(core, session, resume, max).await,
        // XEP-0198 §5: resumption happens before binding, on a new stream.
        Nonza::Resume { .. } => io.write(&nonza::failed("unexpected-request")).await,
        Nonza::Request => io.answer_request().await,
        Nonza::Ack { h } => io.take_ack(h),
    }
}

/// The ending for a nonza the stream does not take.
fn unsupported(text: &str) -> Option<Ending> {
    Some(Ending::Error(StreamError::with_text("unsupported-stanza-type", text)))
}

/// Writes `frames`; `false` when the write failed, took longer than `WRITE_TIMEOUT`, or
/// another stream took the session over meanwhile (what was being written then is still
/// unacknowledged, and retransmitted by the stream that resumed).
async fn write_or_let_go<W: StreamWrite>(
    writer: &mut W,
    frames: Vec<String>,
    takeover: &mut watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        result = tokio::time::timeout(WRITE_TIMEOUT, writer.send(frames)) => matches!(result, Ok(Ok(()))),
        Ok(_) = takeover.wait_for(|taken| *taken) => false,
    }
}

/// Writes what the session is sent until the stream ends; gives the queue back (with what
/// was never written) for the session to be detached or ended.
async fn write_loop<C: Connection>(
    mut writer: C::Write,
    mut inbox: Inbox,
    session: Arc<Session>,
    mut end_rx: oneshot::Receiver<Ending>,
    mut control: control::Receiver<Control>,
    mut w: Writing,
) -> Inbox {
    let framing = C::FRAMING;
    let mut control_open = true;
    let (last_frames, last_timeout) = 'run: {
        let first = std::mem::take(&mut w.first_frames);
        if !first.is_empty() && !write_or_let_go(&mut writer, first, &mut w.takeover).await {
            w.broken.notify_one();
            break 'run (Vec::new(), WRITE_TIMEOUT);
        }
        loop {
            // XEP-0198: at `buffer_max` unacknowledged, wait for an ack before writing on.
            let full = w.sm.as_ref().is_some_and(SmLink::is_full);
            let frames = tokio::select! {
                biased;
                ending = &mut end_rx => {
                    break 'run match ending {
                        Ok(ending) => ending.last_words(framing),
                        Err(_) => (Vec::new(), WRITE_TIMEOUT),
                    };
                }
                kick = session.kicked() => break 'run (framing.error(kick.condition(), None), WRITE_TIMEOUT),
                Ok(_) = w.takeover.wait_for(|taken| *taken) => break 'run (replaced(framing), TAKEOVER_WRITE_TIMEOUT),
                c = control.recv(), if control_open => match c {
                    // The reader is done; its ending follows.
                    None => {
                        control_open = false;
                        continue;
                    }
                    Some(Control::Frames(frames)) => frames,
                    Some(Control::Enable(enable)) => {
                        let (enabled, link) = *enable;
                        w.sm = Some(link);
                        vec![enabled]
                    }
                    Some(Control::Acked) => continue,
                },
                first = inbox.recv(), if !full => {
                    let Some(first) = first else { break 'run (Vec::new(), WRITE_TIMEOUT) };
                    let room = w.sm.as_ref().map_or(WRITE_BATCH, |l| l.room(WRITE_BATCH));
                    let mut batch = vec![first];
                    while batch.len() < room {
                        match inbox.try_recv() {
                            Some(el) => batch.push(el),
                            None => break,
                        }
                    }
                    let mut frames = framing.outbound(&batch);
                    if let Some(link) = &w.sm {
                        frames.extend(link.sent(batch, framing));
                    }
                    frames
                }
                _ = tokio::time::sleep(w.keepalive) => {
                    // Silence: ask for what is unacknowledged, or keep a TCP stream alive.
                    if w.sm.as_ref().is_some_and(SmLink::has_unacked) {
                        vec![framing.stanza(&nonza::request())]
                    } else if framing == Framing::Tcp {
                        vec![" ".to_owned()]
                    } else {
                        continue;
                    }
                }
            };
            if !write_or_let_go(&mut writer, frames, &mut w.takeover).await {
                w.broken.notify_one();
                break 'run (Vec::new(), WRITE_TIMEOUT);
            }
        }
    };
    if !last_frames.is_empty() {
        let _ = tokio::time::timeout(last_timeout, writer.send(last_frames)).await;
    }
    let _ = tokio::time::timeout(last_timeout, writer.shutdown()).await;
    inbox
}

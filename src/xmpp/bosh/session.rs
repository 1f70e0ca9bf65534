//! One BOSH session at work: a task that owns the session's [`Machine`], takes the
//! requests of its client one at a time (in the order the HTTP door hands them over),
//! passes their payloads to the XMPP stream (a
//! [`BoshConnection`](super::connection::BoshConnection) served by `xmpp::stream`, as
//! any transport's), and answers held requests with what the stream wrote, as soon as it
//! wrote it (XEP-0124 §8), or empty when `wait` is over.
//!
//! The session ends when its stream ends (the client's `terminate`, a stream error, a
//! kick: the next response says so), when a `rid` is refused, when a body for it cannot
//! be read, or after the inactivity period without a request; the stream then ends as a
//! dropped connection does, and the core closes the XMPP session (unavailable presence
//! to contacts).

use super::body::{self, Condition, Frame, Kind};
use super::connection::{self, Outbox};
use super::machine::{Arrival, Due, Limits, Machine};
use super::BoshSettings;
use crate::core::stanza::ns;
use crate::core::Core;
use crate::transport::bosh::BoshPeer;
use crate::xml::{Element, StreamEvent};
use crate::xmpp::stream::{self, Activity};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Events waiting for the stream: a full body's payloads pass quickly, a flood waits.
const EVENTS: usize = 64;
/// How long the stream may take to answer the session creation (its features).
const CREATION_TIMEOUT: Duration = Duration::from_secs(10);
/// The `polling` attribute: the shortest polling interval a polling client should keep.
/// It is advertised, not enforced.
const POLLING_SECS: u64 = 2;

/// What the HTTP door hands a session.
#[derive(Debug)]
pub(crate) enum Command {
    /// A request for this session; its response goes to `reply`.
    Request {
        request: body::Request,
        reply: oneshot::Sender<String>,
    },
    /// A body naming this session could not be read (`bad-request`, a terminal
    /// condition): the session ends.
    Refuse,
}

/// A request's work (its payloads and what it asks for) until it is taken, and where
/// its response goes.
#[derive(Debug)]
struct Pending {
    work: Option<body::Request>,
    reply: oneshot::Sender<String>,
}

impl Pending {
    fn answer(self, text: String) {
        // The client may have gone; its response is still kept for a replay.
        let _ = self.reply.send(text);
    }
}

/// The creation request.
pub(crate) struct Start {
    pub sid: String,
    pub rid: u64,
    pub create: body::Create,
    pub peer: BoshPeer,
    pub reply: oneshot::Sender<String>,
}

struct Actor {
    sid: String,
    machine: Machine<Pending>,
    outbox: Arc<Outbox>,
    /// The stream's input; dropped to end the stream.
    events: Option<mpsc::Sender<StreamEvent>>,
    activity: Activity,
    /// The domain the session was opened for, for restarts that do not repeat it.
    to: Option<String>,
    /// Once the end of the stream was told: what any request still waiting gets.
    ended: Option<String>,
    finished: bool,
}

/// The element a stream (re)start is announced with: the wrapper's `to` and
/// `xmpp:version`, as `xmpp::stream` checks a header.
fn open_element(to: Option<&str>, version: Option<&str>) -> Element {
    let mut open = Element::new("body", ns::HTTPBIND);
    if let Some(to) = to {
        open.set_attr("to", to);
    }
    if let Some(v) = version {
        open.set_attr("version", v);
    }
    open
}

/// Serves a session from its creation request to its end.
pub(crate) async fn run(core: Arc<Core>, settings: BoshSettings, start: Start, commands: mpsc::Receiver<Command>) {
    let c = &start.create;
    let limits = Limits {
        wait: c
            .wait
            .map_or(settings.max_wait, Duration::from_secs)
            .min(settings.max_wait),
        hold: c
            .hold
            .map_or(settings.hold, |h| usize::try_from(h).unwrap_or(usize::MAX))
            .min(settings.hold),
        inactivity: settings.inactivity,
        max_pause: settings.max_pause,
    };
    let (events_tx, events_rx) = mpsc::channel(EVENTS);
    let outbox = Arc::new(Outbox::new(settings.queue_len, settings.queue_bytes));
    let activity = Activity::new();
    let conn = connection::new(
        events_rx,
        outbox.clone(),
        activity.clone(),
        start.peer.secure,
        start.peer.addr,
    );
    // The inactivity rules of the session govern; the stream's own idle timer is only
    // a backstop beyond the longest a well-behaved client can stay silent.
    let quiet = limits.wait + settings.inactivity.max(settings.max_pause);
    let stream_settings = stream::Settings {
        starttls_required: false,
        allow_plain_without_tls: false,
        idle_timeout: Duration::from_secs(600).max(quiet + Duration::from_secs(30)),
        negotiation_timeout: Duration::from_secs(30),
        keepalive_interval: Duration::from_secs(60),
    };
    tokio::spawn(stream::serve(core, conn, stream_settings));

    let open = open_element(c.to.as_deref(), c.xmpp_version.as_deref());
    let _ = events_tx.send(StreamEvent::Open(open)).await;
    // The creation response carries the stream's header and features: wait for them.
    let first = tokio::time::timeout(CREATION_TIMEOUT, async {
        while !outbox.has_news() {
            outbox.changed().await;
        }
    })
    .await;
    if first.is_err() {
        tracing::warn!(sid = %start.sid, "BOSH stream did not start in time");
        let _ = start
            .reply
            .send(body::terminate(Some(Condition::InternalServerError), &[]));
        return;
    }
    let ver = c.ver.map_or(body::SERVER_VERSION, |v| v.min(body::SERVER_VERSION));
    let created = vec![
        ("sid", start.sid.clone()),
        ("wait", limits.wait.as_secs().to_string()),
        ("requests", limits.requests().to_string()),
        ("inactivity", limits.inactivity.as_secs().to_string()),
        ("maxpause", limits.max_pause.as_secs().to_string()),
        ("polling", POLLING_SECS.to_string()),
        ("hold", limits.hold.to_string()),
        ("ver", ver.to_string()),
    ];
    let mut actor = Actor {
        sid: start.sid,
        machine: Machine::new(limits, start.rid, Instant::now()),
        outbox,
        events: Some(events_tx),
        activity,
        to: c.to.clone(),
        ended: None,
        finished: false,
    };
    let response = actor.compose(Some(created));
    actor.machine.answered(start.rid, response.clone(), Instant::now());
    let _ = start.reply.send(response);
    if actor.ended.is_none() {
        actor.serve(commands).await;
    }
    tracing::debug!(sid = %actor.sid, "BOSH session ended");
}

impl Actor {
    async fn serve(&mut self, mut commands: mpsc::Receiver<Command>) {
        let outbox = self.outbox.clone();
        loop {
            self.settle();
            if self.finished {
                break;
            }
            let deadline = self.machine.next_deadline();
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Request { request, reply }) => self.on_request(request, reply).await,
                    Some(Command::Refuse) => self.end_with(Condition::BadRequest),
                    None => break,
                },
                _ = outbox.changed(), if self.machine.has_held() => {}
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    self.on_timer();
                }
            }
        }
        // Whatever still waits learns the session is over; the stream ends with the
        // dropped input.
        let last = self.ended.clone().unwrap_or_else(|| body::terminate(None, &[]));
        for p in self.machine.drain() {
            p.answer(last.clone());
        }
        self.events = None;
    }

    /// Answers what can be answered now: held requests beyond `hold`, and the oldest
    /// held one when the stream has written something.
    fn settle(&mut self) {
        loop {
            if let Some(end) = &self.ended {
                let end = end.clone();
                for p in self.machine.drain() {
                    p.answer(end.clone());
                }
                self.finished = true;
                return;
            }
            if self.machine.over_hold() || (self.machine.has_held() && self.outbox.has_news()) {
                self.answer_oldest();
                continue;
            }
            return;
        }
    }

    fn answer_oldest(&mut self) {
        if let Some((rid, pending)) = self.machine.oldest() {
            let text = self.compose(None);
            self.machine.answered(rid, text.clone(), Instant::now());
            pending.answer(text);
        }
    }

    /// A response with everything the stream wrote; the session creation attributes
    /// when `created` is given. Notes the end of the stream when it came.
    fn compose(&mut self, created: Option<Vec<(&'static str, String)>>) -> String {
        let (frames, closed) = self.outbox.take();
        let mut payloads = Vec::new();
        let mut header = None;
        let mut error = None;
        let mut end = closed;
        for frame in frames {
            match body::classify(frame) {
                Frame::Header { authid, from } => header = Some((authid, from)),
                Frame::Payload(p) => payloads.push(p),
                Frame::StreamError { condition, xml } => error = Some((condition, xml)),
                Frame::End => end = true,
            }
        }
        if end {
            let condition = error.map(|(condition, xml)| {
                let c = Condition::for_stream_error(&condition);
                if c == Condition::RemoteStreamError {
                    payloads.push(xml);
                }
                c
            });
            self.ended = Some(body::terminate(condition, &[]));
            return body::terminate(condition, &payloads);
        }
        let mut attrs = created.unwrap_or_default();
        if !attrs.is_empty() {
            if let Some((authid, from)) = header {
                attrs.push(("from", from));
                attrs.push(("authid", authid));
            }
            attrs.push(("xmpp:version", "1.0".to_owned()));
            attrs.push(("xmpp:restartlogic", "true".to_owned()));
        }
        body::wrapper(&attrs, &payloads)
    }

    async fn feed(&mut self, event: StreamEvent) {
        if let Some(tx) = &self.events {
            // A stream that is gone takes nothing; its end reaches the client with the
            // next response.
            let _ = tx.send(event).await;
        }
    }

    async fn on_request(&mut self, request: body::Request, reply: oneshot::Sender<String>) {
        self.activity.touch();
        let rid = request.rid;
        let extra = matches!(request.kind, Kind::Terminate | Kind::Pause(_));
        let pending = Pending {
            work: Some(request),
            reply,
        };
        match self.machine.arrive(rid, pending, extra, Instant::now()) {
            Arrival::Take(requests) => {
                for (rid, mut pending) in requests {
                    let pause = match pending.work.take() {
                        Some(work) => self.process(work).await,
                        None => false,
                    };
                    self.machine.hold(rid, pending, Instant::now());
                    if pause {
                        // XEP-0124 §10: every held request is answered at once, without
                        // payloads (they wait for the next request).
                        while let Some((rid, p)) = self.machine.oldest() {
                            let text = body::empty();
                            self.machine.answered(rid, text.clone(), Instant::now());
                            p.answer(text);
                        }
                    }
                }
            }
            Arrival::Parked => {}
            Arrival::Replay(pending, text) => pending.answer(text),
            Arrival::Rejoined(older) => older.answer(body::empty()),
            Arrival::Refused(pending) => {
                tracing::debug!(sid = %self.sid, rid, "BOSH rid outside the window");
                pending.answer(body::terminate(Some(Condition::ItemNotFound), &[]));
                self.end_with(Condition::ItemNotFound);
            }
        }
    }

    /// Passes a request's payloads on and does what it asks; `true` for a pause.
    async fn process(&mut self, work: body::Request) -> bool {
        match work.kind {
            Kind::Restart { to } => {
                let to = to.or_else(|| self.to.clone());
                self.feed(StreamEvent::Open(open_element(to.as_deref(), Some("1.0"))))
                    .await;
                false
            }
            Kind::Pause(secs) => {
                self.machine.pause(secs);
                true
            }
            Kind::Terminate => {
                for p in work.payloads {
                    self.feed(StreamEvent::Stanza(p)).await;
                }
                self.feed(StreamEvent::Close).await;
                false
            }
            Kind::Plain | Kind::Create(_) => {
                for p in work.payloads {
                    self.feed(StreamEvent::Stanza(p)).await;
                }
                false
            }
        }
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        while let Some(due) = self.machine.due(now) {
            match due {
                Due::WaitOver => self.answer_oldest(),
                Due::Gap => {
                    self.end_with(Condition::ItemNotFound);
                    return;
                }
                Due::Inactive => {
                    tracing::debug!(sid = %self.sid, "BOSH session inactive");
                    self.finished = true;
                    return;
                }
            }
            if self.ended.is_some() {
                return;
            }
        }
    }

    /// Ends the session with a terminal condition, told to every request still waiting.
    fn end_with(&mut self, condition: Condition) {
        let text = body::terminate(Some(condition), &[]);
        for p in self.machine.drain() {
            p.answer(text.clone());
        }
        self.ended = Some(text);
        self.finished = true;
    }
}

//! The XMPP stream of a BOSH session as a connection ([`Halves`]): the session feeds it
//! stream events (the payloads of each request, a header for the start and each restart,
//! the end on `terminate`) over a channel, and takes what the stream writes from an
//! [`Outbox`] when it answers a request. Negotiation, SASL, binding and the session loop
//! are the ones every transport shares (`xmpp::stream`).
//!
//! Writing never waits for the client (a request may not come for a while): the outbox
//! takes frames at once, up to the session queue bounds (`max_session_queue`,
//! `max_session_queue_bytes`); beyond them a write fails, and the stream ends as any too
//! slow reader's does: the outbox ends with `<resource-constraint/>` for the client's
//! next request, and takes nothing more. The end of the stream (an error and the end
//! frame) is always taken.

use crate::xml::{StreamEvent, XmlError};
use crate::xmpp::stream::{Activity, Framing, Halves, Reads, StreamRead, StreamWrite};
use std::collections::VecDeque;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// What the stream wrote and no response has carried yet.
#[derive(Debug, Default)]
struct Pending {
    frames: VecDeque<String>,
    bytes: usize,
    /// The stream is over: nothing more will come.
    closed: bool,
    /// The client let too much pile up: the stream error is queued, nothing else is.
    overflowed: bool,
}

/// Frames between the stream and the session's responses, bounded.
#[derive(Debug)]
pub(crate) struct Outbox {
    pending: Mutex<Pending>,
    /// Told whenever frames arrive or the stream closes.
    ready: Notify,
    max_frames: usize,
    max_bytes: usize,
}

fn too_slow() -> io::Error {
    io::Error::other("the BOSH client collects nothing")
}

impl Outbox {
    pub(crate) fn new(max_frames: usize, max_bytes: usize) -> Self {
        Outbox {
            pending: Mutex::new(Pending::default()),
            ready: Notify::new(),
            max_frames,
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // The queue stays meaningful even if a holder panicked.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `frames`; refused when the client has let too much pile up, unless they end
    /// the stream.
    fn push(&self, frames: Vec<String>) -> io::Result<()> {
        let ending = frames.last().is_some_and(|f| *f == Framing::Bosh.close());
        let result = {
            let mut p = self.lock();
            if p.overflowed {
                // The stream already ended here; the session is being closed.
                return if ending { Ok(()) } else { Err(too_slow()) };
            }
            let full = p.frames.len() >= self.max_frames || p.bytes >= self.max_bytes;
            let (frames, result) = if full && !ending {
                p.overflowed = true;
                (Framing::Bosh.error("resource-constraint", None), Err(too_slow()))
            } else {
                (frames, Ok(()))
            };
            for f in frames {
                p.bytes += f.len();
                p.frames.push_back(f);
            }
            result
        };
        self.ready.notify_one();
        result
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
    }

    /// Waits until something was queued or the stream closed since the last call.
    pub(crate) async fn changed(&self) {
        self.ready.notified().await
    }

    /// Whether a response would carry something: frames, or the end.
    pub(crate) fn has_news(&self) -> bool {
        let p = self.lock();
        !p.frames.is_empty() || p.closed
    }

    /// Takes every queued frame; `true` with them when the stream is over.
    pub(crate) fn take(&self) -> (Vec<String>, bool) {
        let mut p = self.lock();
        p.bytes = 0;
        (p.frames.drain(..).collect(), p.closed)
    }
}

pub(crate) struct BoshReader {
    events: mpsc::Receiver<StreamEvent>,
    activity: Activity,
}

pub(crate) struct BoshWriter {
    outbox: Arc<Outbox>,
}

/// The stream's side of a BOSH session.
pub(crate) type BoshConnection = Halves<BoshReader, BoshWriter>;

/// A stream reading `events`, writing into `outbox`. `activity` is touched by the session
/// on every request of its client.
pub(crate) fn new(
    events: mpsc::Receiver<StreamEvent>,
    outbox: Arc<Outbox>,
    activity: Activity,
    secure: bool,
    peer: IpAddr,
) -> BoshConnection {
    Halves::new(BoshReader { events, activity }, BoshWriter { outbox }, secure, peer)
}

impl Reads for BoshReader {
    const FRAMING: Framing = Framing::Bosh;
}

impl StreamRead for BoshReader {
    async fn next(&mut self) -> Result<StreamEvent, XmlError> {
        // The session dropping its end means the client is gone (inactivity, a refused
        // rid): the stream ends as a closed socket does.
        self.events.recv().await.ok_or(XmlError::Eof)
    }

    fn activity(&self) -> Activity {
        self.activity.clone()
    }
}

impl StreamWrite for BoshWriter {
    async fn send(&mut self, frames: Vec<String>) -> io::Result<()> {
        self.outbox.push(frames)
    }

    async fn shutdown(&mut self) {
        self.outbox.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outbox_over_its_bound_ends_the_stream_with_resource_constraint() {
        let out = Outbox::new(2, 1000);
        out.push(vec!["<a/>".into()]).unwrap();
        out.push(vec!["<b/>".into()]).unwrap();
        assert!(out.push(vec!["<c/>".into()]).is_err());
        // Nothing more is taken, but the stream's own end is not refused.
        assert!(out.push(vec!["<d/>".into()]).is_err());
        out.push(Framing::Bosh.error("conflict", None)).unwrap();
        out.close();
        let (frames, closed) = out.take();
        let mut want = vec!["<a/>".to_owned(), "<b/>".to_owned()];
        want.extend(Framing::Bosh.error("resource-constraint", None));
        assert_eq!((frames, closed), (want, true));

        let bytes = Outbox::new(100, 8);
        bytes.push(vec!["<0123456789/>".into()]).unwrap();
        assert!(bytes.push(vec!["<e/>".into()]).is_err());
        assert!(bytes.has_news());
    }

    #[test]
    fn the_end_of_the_stream_is_taken_even_when_the_outbox_is_full() {
        let out = Outbox::new(1, 1000);
        out.push(vec!["<a/>".into()]).unwrap();
        out.push(Framing::Bosh.error("system-shutdown", None)).unwrap();
        let (frames, closed) = out.take();
        assert_eq!(frames.len(), 3);
        assert!(!closed && !out.has_news());
        out.push(vec!["<b/>".into()]).unwrap();
    }
}

//! Whole-request deadlines and idle connections, the same for HTTP/1.1 and HTTP/2.
//!
//! - A request's body must arrive within the listener's `request_timeout` of its header,
//!   plus one second for every `min_body_rate` bytes received so far: a client sending at
//!   least that fast is never cut off, one that stalls is, whatever the body's size. The
//!   handler reading it gets [`BodyFailure::TimedOut`] and answers `408`; HTTP/1.1 then
//!   closes the connection, HTTP/2 resets the stream.
//! - A connection with nothing in flight (no request being served or answered) for
//!   `idle_timeout` is closed; over HTTP/2 with a GOAWAY.
//! - While a connection has nothing in flight, or waits for a request's body, it waits on
//!   its client: a full listener may close it for a new connection
//!   ([`crate::transport::listener`]). A BOSH request held for its `wait`, an event
//!   stream and a response being sent are in flight.
//!
//! The deadline counts from the header, not from when a handler starts reading, so a
//! handler that reads late does not give the client more time.

use crate::transport::listener::Standing;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

/// A listener's rules for request bodies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyRules {
    /// The time a body may take beyond the rate allowance.
    pub grace: Duration,
    /// Bytes per second that earn one more second.
    pub min_rate: u64,
}

impl BodyRules {
    /// When a body that began at `started` and has brought `received` bytes is late.
    fn deadline(&self, started: Instant, received: u64) -> Instant {
        let earned = Duration::from_millis(received.saturating_mul(1000) / self.min_rate.max(1));
        started + self.grace + earned
    }
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyFailure {
    #[error("the request body did not arrive in time")]
    TimedOut,
    #[error("the request body broke off: {0}")]
    Broken(#[from] hyper::Error),
}

/// What one connection has in flight, and since when it had nothing.
pub(crate) struct Activity {
    state: Mutex<State>,
    changed: Notify,
    standing: Arc<Standing>,
}

struct State {
    in_flight: usize,
    /// When `in_flight` last became 0 (or the connection began).
    since: Instant,
}

impl Activity {
    pub(crate) fn new(standing: Arc<Standing>) -> Arc<Self> {
        let now = Instant::now();
        standing.waiting(now);
        Arc::new(Activity {
            state: Mutex::new(State {
                in_flight: 0,
                since: now,
            }),
            changed: Notify::new(),
            standing,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn begin(&self) {
        let mut s = self.state();
        s.in_flight += 1;
        if s.in_flight == 1 {
            self.standing.serving();
            self.changed.notify_one();
        }
    }

    fn end(&self) {
        let mut s = self.state();
        s.in_flight -= 1;
        if s.in_flight == 0 {
            s.since = Instant::now();
            self.standing.waiting(s.since);
            self.changed.notify_one();
        }
    }

    /// Resolves once the connection has had nothing in flight for `idle`.
    pub(crate) async fn idle_for(&self, idle: Duration) {
        loop {
            let wake = {
                let s = self.state();
                if s.in_flight > 0 {
                    None
                } else if s.since + idle <= Instant::now() {
                    return;
                } else {
                    Some(s.since + idle)
                }
            };
            // One waiter: a change made before this point left a permit behind.
            match wake {
                None => self.changed.notified().await,
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = self.changed.notified() => {}
                    }
                }
            }
        }
    }

    /// A new request on this connection, not in flight until its body has arrived (or it
    /// is answered).
    pub(crate) fn request(self: &Arc<Self>) -> Arc<Ticket> {
        Arc::new(Ticket {
            activity: self.clone(),
            in_flight: AtomicBool::new(false),
        })
    }
}

/// One request's part in its connection's [`Activity`]: in flight from the end of its body
/// (or its answer) until its response is sent or dropped.
pub(crate) struct Ticket {
    activity: Arc<Activity>,
    in_flight: AtomicBool,
}

impl Ticket {
    pub(crate) fn in_flight(&self) {
        if !self.in_flight.swap(true, Ordering::AcqRel) {
            self.activity.begin();
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if *self.in_flight.get_mut() {
            self.activity.end();
        }
    }
}

/// A request body that must arrive by its [`BodyRules`] deadline.
pub(crate) struct TimedBody {
    inner: Incoming,
    rules: BodyRules,
    started: Instant,
    received: u64,
    /// Made the first time the body is not all there yet: most bodies never wait.
    timer: Option<Pin<Box<Sleep>>>,
    ticket: Arc<Ticket>,
}

impl TimedBody {
    pub(crate) fn new(inner: Incoming, rules: BodyRules, ticket: Arc<Ticket>) -> Self {
        let started = Instant::now();
        if inner.is_end_stream() {
            ticket.in_flight();
        }
        TimedBody {
            inner,
            rules,
            started,
            received: 0,
            timer: None,
            ticket,
        }
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = BodyFailure;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyFailure>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    if let Some(timer) = &mut this.timer {
                        timer.as_mut().reset(this.rules.deadline(this.started, this.received));
                    }
                }
                if this.inner.is_end_stream() {
                    this.ticket.in_flight();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(BodyFailure::Broken(e)))),
            Poll::Ready(None) => {
                this.ticket.in_flight();
                Poll::Ready(None)
            }
            Poll::Pending => {
                let deadline = this.rules.deadline(this.started, this.received);
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyFailure::TimedOut))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that keeps its request in flight until it is sent or dropped.
pub(crate) struct Answering<B> {
    inner: B,
    _ticket: Arc<Ticket>,
}

impl<B> Answering<B> {
    pub(crate) fn new(inner: B, ticket: Arc<Ticket>) -> Self {
        ticket.in_flight();
        Answering { inner, _ticket: ticket }
    }
}

impl<B: HttpBody + Unpin> HttpBody for Answering<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_earns_a_second_for_every_min_rate_bytes() {
        let rules = BodyRules {
            grace: Duration::from_secs(30),
            min_rate: 4096,
        };
        let t0 = Instant::now();
        assert_eq!(rules.deadline(t0, 0), t0 + Duration::from_secs(30));
        assert_eq!(rules.deadline(t0, 4096 * 10), t0 + Duration::from_secs(40));
        assert_eq!(rules.deadline(t0, 2048), t0 + Duration::from_millis(30_500));
        // No overflow for absurd counts.
        let _ = rules.deadline(t0, u64::MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_is_idle_only_with_nothing_in_flight_for_the_whole_time() {
        let epoch = Instant::now();
        let standing = Arc::new(crate::transport::listener::Standing::for_tests(epoch));
        let activity = Activity::new(standing);
        let idle = Duration::from_secs(60);
        let ticket = activity.request();
        tokio::time::advance(Duration::from_secs(50)).await;
        ticket.in_flight();
        // In flight for ten minutes: never idle meanwhile.
        let waited = tokio::time::timeout(Duration::from_secs(600), activity.idle_for(idle)).await;
        assert!(waited.is_err(), "a request in flight keeps the connection");
        drop(ticket);
        let ended = Instant::now();
        activity.idle_for(idle).await;
        assert_eq!(
            Instant::now() - ended,
            idle,
            "idle counts from the end of the last request"
        );
    }
}

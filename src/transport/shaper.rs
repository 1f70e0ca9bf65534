//! Per-connection traffic shaping, as MongooseIM's `[shaper.<name>] max_rate` does: a
//! connection may send `max_rate` bytes per second on average (with one second's worth
//! as a burst); once it has used that, the server stops reading from it until the budget
//! has refilled. A fast sender is slowed down, not cut off: TCP flow control pushes back
//! on it, and what it costs the server per second is bounded whatever it sends.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep};

/// A token bucket of bytes; pure arithmetic on the instants it is given.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `max_rate` bytes per second, starting full.
    pub(crate) fn new(max_rate: u64, now: Instant) -> Self {
        let rate = max_rate.max(1) as f64;
        TokenBucket {
            rate,
            capacity: rate,
            tokens: rate,
            last: now,
        }
    }

    /// Accounts for `n` bytes received at `now`; returns how long to wait before reading
    /// more (zero while the connection is within its rate).
    pub(crate) fn take(&mut self, n: usize, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity) - n as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// A byte source read at most at the bucket's rate (unshaped without one).
pub(crate) struct Shaped<R> {
    inner: R,
    bucket: Option<TokenBucket>,
    pause: Option<Pin<Box<Sleep>>>,
}

impl<R> Shaped<R> {
    pub(crate) fn new(inner: R, max_rate: Option<u64>) -> Self {
        Shaped {
            inner,
            bucket: max_rate.map(|r| TokenBucket::new(r, Instant::now())),
            pause: None,
        }
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Shaped<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(pause) = this.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.pause = None;
        }
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if let (Poll::Ready(Ok(())), Some(bucket)) = (&poll, this.bucket.as_mut()) {
            let wait = bucket.take(read, Instant::now());
            if !wait.is_zero() {
                this.pause = Some(Box::pin(tokio::time::sleep(wait)));
            }
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn a_connection_within_its_rate_never_waits_and_one_over_it_waits_for_the_excess() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1000, t0);
        // The first second's burst is free.
        assert_eq!(b.take(600, t0), Duration::ZERO);
        assert_eq!(b.take(400, t0), Duration::ZERO);
        // 500 bytes more, at once: half a second of debt.
        assert_eq!(b.take(500, t0), Duration::from_millis(500));
        // After the debt is paid plus 0.2 s, 200 bytes are free again.
        assert_eq!(b.take(0, t0 + Duration::from_millis(700)), Duration::ZERO);
        assert_eq!(b.take(200, t0 + Duration::from_millis(700)), Duration::ZERO);
        // Idle time refills at most one second's worth.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(b.take(1000, later), Duration::ZERO);
        assert!(b.take(1, later) > Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_shaped_source_is_read_at_its_rate() {
        let data = vec![b'x'; 10_000];
        let mut shaped = Shaped::new(&data[..], Some(2_000));
        let started = Instant::now();
        let mut out = Vec::new();
        shaped.read_to_end(&mut out).await.unwrap();
        assert_eq!(out.len(), 10_000);
        // 2,000 bytes free, 8,000 at 2,000 per second.
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(4) && took < Duration::from_millis(4_100),
            "{took:?}"
        );
        let mut unshaped = Shaped::new(&data[..], None);
        let started = Instant::now();
        unshaped.read_to_end(&mut Vec::new()).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}

//! Several stanzas of one client session in flight at once, handled as if one after the
//! other (RFC 6120 §10.1: stanzas from one entity reach their recipient in the order
//! sent).
//!
//! A session that waited for each message's archive commit before reading the next
//! stanza would be bound to one message per commit. Instead each stanza gets a [`Turn`]
//! from the session's [`Pipeline`]:
//! - a message starts once the stanza before it has *released* its turn; any other
//!   stanza starts once the one before it is *done*;
//! - a message going to the archive releases its turn as soon as its rows are queued for
//!   the commit (so the next message's rows queue behind them and share the commit),
//!   then waits for the commit and for the stanza before it to be done, and only then
//!   delivers; a message to an account with nothing to archive releases it at once;
//! - every other path waits for the stanza before it to be done before its first effect
//!   (a delivery, a bounce, a service's work), so nothing is seen out of order;
//! - a stanza is done when its handling has returned and the one before it is done.
//!
//! Stanzas from REST and from the server itself have no predecessor: [`Turn::alone`].

use std::time::Instant;
use tokio::sync::oneshot;

/// Hands out the turns of one session's stanzas, in the order they were read.
#[derive(Default)]
pub struct Pipeline {
    /// What the last stanza handed out will signal.
    last: Option<Signals>,
}

struct Signals {
    released: oneshot::Receiver<()>,
    done: oneshot::Receiver<()>,
}

impl Pipeline {
    /// The turn of the next stanza read, named by its element name.
    pub fn next(&mut self, name: &str) -> Turn {
        let (released_tx, released) = oneshot::channel();
        let (done_tx, done) = oneshot::channel();
        let before = self.last.replace(Signals { released, done });
        let (start, previous_done) = match before {
            None => (None, None),
            // Only a message may start while the stanza before it still waits for its
            // commit; it waits for that stanza to be done before its first effect.
            Some(s) if name == "message" => (Some(s.released), Some(s.done)),
            Some(s) => (Some(s.done), None),
        };
        Turn {
            start,
            previous_done,
            released: Some(released_tx),
            done: Some(done_tx),
            read_at: Some(Instant::now()),
        }
    }
}

/// One stanza's place in its session's order.
#[derive(Debug, Default)]
pub struct Turn {
    /// Resolves when this stanza may start.
    start: Option<oneshot::Receiver<()>>,
    /// Resolves when the stanza before this one is done.
    previous_done: Option<oneshot::Receiver<()>>,
    released: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Sender<()>>,
    /// When the stanza was read (or made, for REST): where its stage timings start.
    read_at: Option<Instant>,
}

impl Turn {
    /// A stanza that waits for nothing and nothing waits for.
    pub fn alone() -> Turn {
        Turn {
            read_at: Some(Instant::now()),
            ..Turn::default()
        }
    }

    /// When the stanza was read, if known.
    pub(crate) fn read_at(&self) -> Option<Instant> {
        self.read_at
    }

    /// Waits until this stanza may start.
    pub(crate) async fn start(&mut self) {
        // Cancel-safe: the receiver is kept until it resolves. A sender dropped unsent
        // (that stanza was given up) frees the way too.
        if let Some(start) = &mut self.start {
            let _ = start.await;
            self.start = None;
        }
    }

    /// Lets the next stanza start: this one's place in the archive's queue is taken.
    pub(crate) fn release(&mut self) {
        if let Some(tx) = self.released.take() {
            let _ = tx.send(());
        }
    }

    /// Waits until the stanza before this one is done: after this, effects are in order.
    pub(crate) async fn in_order(&mut self) {
        if let Some(done) = &mut self.previous_done {
            let _ = done.await;
            self.previous_done = None;
        }
    }

    /// Marks this stanza done, once the one before it is.
    pub(crate) async fn finish(mut self) {
        self.in_order().await;
        self.release();
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[tokio::test]
    async fn the_first_stanza_starts_at_once_and_is_in_order_at_once() {
        let mut p = Pipeline::default();
        let mut t = p.next("message");
        assert!(t.start().now_or_never().is_some());
        assert!(t.in_order().now_or_never().is_some());
    }

    #[tokio::test]
    async fn a_message_starts_when_the_one_before_releases_and_acts_when_it_is_done() {
        let mut p = Pipeline::default();
        let mut first = p.next("message");
        let mut second = p.next("message");
        first.start().await;
        assert!(second.start().now_or_never().is_none(), "waits for the release");
        first.release();
        assert!(second.start().now_or_never().is_some());
        assert!(second.in_order().now_or_never().is_none(), "the first is not done");
        first.finish().await;
        assert!(second.in_order().now_or_never().is_some());
    }

    #[tokio::test]
    async fn anything_but_a_message_waits_for_the_one_before_to_be_done() {
        let mut p = Pipeline::default();
        let mut first = p.next("message");
        let mut presence = p.next("presence");
        first.start().await;
        first.release();
        assert!(presence.start().now_or_never().is_none());
        first.finish().await;
        assert!(presence.start().now_or_never().is_some());
    }

    #[tokio::test]
    async fn done_waits_for_the_one_before() {
        let mut p = Pipeline::default();
        let first = p.next("message");
        let second = p.next("message");
        let mut third = p.next("iq");
        // The second finishes first: it is not done before the first is.
        let second_done = tokio::spawn(second.finish());
        tokio::task::yield_now().await;
        assert!(third.start().now_or_never().is_none());
        first.finish().await;
        second_done.await.expect("no panic");
        assert!(third.start().now_or_never().is_some());
    }

    #[tokio::test]
    async fn a_stanza_given_up_frees_the_way() {
        let mut p = Pipeline::default();
        drop(p.next("message"));
        let mut next = p.next("presence");
        assert!(next.start().now_or_never().is_some());
        assert!(next.in_order().now_or_never().is_some());
    }
}

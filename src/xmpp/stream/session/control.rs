//! The queue from a bound session's reader to its writer: what the reader asks the writer
//! to do, in stream order, with at most a given number waiting (the reader waits beyond).
//!
//! A lock and two notifications rather than tokio's bounded channel: that channel sets
//! aside a block of 32 entries when it is made and pads its halves to cache lines, about
//! 800 bytes that every idle session keeps, for a queue that is empty but for the moment
//! an `<r/>` is answered or stream management is enabled. This one holds nothing until
//! something is queued.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

struct Shared<T> {
    state: Mutex<State<T>>,
    capacity: usize,
    /// Wakes the receiver: an item queued, or the sender gone.
    to_receiver: Notify,
    /// Wakes the sender: room made, or the receiver gone.
    to_sender: Notify,
}

struct State<T> {
    items: VecDeque<T>,
    sender_gone: bool,
    receiver_gone: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while holding it; a poisoned queue is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The reader's end; one per queue.
pub(super) struct Sender<T>(Arc<Shared<T>>);

/// The writer's end.
pub(super) struct Receiver<T>(Arc<Shared<T>>);

/// The receiver is gone: nothing sent now would be read.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Closed;

/// A queue holding at most `capacity` items.
pub(super) fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            sender_gone: false,
            receiver_gone: false,
        }),
        capacity,
        to_receiver: Notify::new(),
        to_sender: Notify::new(),
    });
    (Sender(shared.clone()), Receiver(shared))
}

impl<T> Sender<T> {
    /// Queues `item`, waiting for room if the queue is full.
    pub(super) async fn send(&self, item: T) -> Result<(), Closed> {
        loop {
            {
                let mut state = self.0.lock();
                if state.receiver_gone {
                    return Err(Closed);
                }
                if state.items.len() < self.0.capacity {
                    state.items.push_back(item);
                    drop(state);
                    self.0.to_receiver.notify_one();
                    return Ok(());
                }
            }
            // A wake-up given between the check and here is kept for this wait.
            self.0.to_sender.notified().await;
        }
    }

    /// Queues `item` if there is room; whether it was queued.
    pub(super) fn try_send(&self, item: T) -> bool {
        let mut state = self.0.lock();
        if state.receiver_gone || state.items.len() >= self.0.capacity {
            return false;
        }
        state.items.push_back(item);
        drop(state);
        self.0.to_receiver.notify_one();
        true
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.0.lock().sender_gone = true;
        self.0.to_receiver.notify_one();
    }
}

impl<T> Receiver<T> {
    /// The next item; `None` once the sender is gone and everything sent was taken.
    /// Cancel-safe: an item is only taken by a call that returns it.
    pub(super) async fn recv(&mut self) -> Option<T> {
        loop {
            {
                let mut state = self.0.lock();
                if let Some(item) = state.items.pop_front() {
                    if state.items.is_empty() {
                        // Let a burst's room go; an idle session keeps no queue.
                        state.items = VecDeque::new();
                    }
                    drop(state);
                    self.0.to_sender.notify_one();
                    return Some(item);
                }
                if state.sender_gone {
                    return None;
                }
            }
            self.0.to_receiver.notified().await;
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut state = self.0.lock();
            state.receiver_gone = true;
            std::mem::take(&mut state.items)
        };
        drop(items);
        self.0.to_sender.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn items_arrive_in_order_and_the_end_follows_the_last() {
        let (tx, mut rx) = channel(4);
        for i in 0..3 {
            tx.send(i).await.unwrap();
        }
        drop(tx);
        assert_eq!(rx.recv().await, Some(0));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_full_queue_makes_the_sender_wait_and_try_send_give_up() {
        let (tx, mut rx) = channel(2);
        tx.send(1).await.unwrap();
        assert!(tx.try_send(2));
        assert!(!tx.try_send(3), "full");
        let blocked = tokio::time::timeout(Duration::from_millis(50), tx.send(3)).await;
        assert!(blocked.is_err(), "the sender waits while the queue is full");
        let sender = tokio::spawn(async move {
            tx.send(3).await.unwrap();
            tx
        });
        assert_eq!(rx.recv().await, Some(1));
        let tx = tokio::time::timeout(Duration::from_secs(5), sender)
            .await
            .expect("room wakes the sender")
            .unwrap();
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, Some(3));
        drop(tx);
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_and_a_gone_receiver_refuses() {
        let (tx, mut rx) = channel(1);
        let receiver = tokio::spawn(async move { (rx.recv().await, rx) });
        tokio::task::yield_now().await;
        tx.send(7).await.unwrap();
        let (got, rx) = tokio::time::timeout(Duration::from_secs(5), receiver)
            .await
            .expect("an item wakes the receiver")
            .unwrap();
        assert_eq!(got, Some(7));
        drop(rx);
        assert_eq!(tx.send(8).await, Err(Closed));
        assert!(!tx.try_send(9));
    }

    #[tokio::test]
    async fn a_cancelled_receive_loses_nothing() {
        let (tx, mut rx) = channel(2);
        let pending = tokio::time::timeout(Duration::from_millis(20), rx.recv()).await;
        assert!(pending.is_err());
        tx.send(1).await.unwrap();
        assert_eq!(rx.recv().await, Some(1));
    }
}

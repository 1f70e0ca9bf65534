//! The accept loop shared by every TCP listener (HTTP, c2s, components): bind, accept at most
//! `max_connections` at once, at most `max_per_address` from one IP address (more are
//! closed at once, so one address cannot take every slot), and hand each connection to its
//! own task.
//!
//! When every slot is taken, the next connection is accepted and the connection that has
//! waited longest on its client (an HTTP connection with nothing in flight, or one still
//! waiting for a request's header or body: see [`Standing`]) is closed to make room, so
//! that connections which merely hold a slot cannot keep everyone else out. Connections
//! that never say they wait (XMPP streams) are never closed for room; when none waits, the
//! new connection waits for a slot as the backlog does.

use futures::FutureExt;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// How many connections a listener takes, in all and from one address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caps {
    pub max_connections: usize,
    pub max_per_address: usize,
}

/// Open connections per address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

impl PerAddress {
    /// Counts a new connection from `ip`, unless it already has `max`.
    fn admit(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            table: self.clone(),
            ip,
        })
    }
}

/// One connection's place in its address's count, given back when dropped.
struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A connection's standing in its listener: whether it is waiting on its client, and
/// since when. A full listener closes the one waiting longest to make room.
pub(crate) struct Standing {
    epoch: Instant,
    /// Milliseconds from `epoch` to when the connection began to wait, plus one; 0 while
    /// it is serving something (or was asked to leave).
    waiting_since: AtomicU64,
    evicted: Notify,
}

impl Standing {
    fn new(epoch: Instant) -> Self {
        let standing = Standing {
            epoch,
            waiting_since: AtomicU64::new(0),
            evicted: Notify::new(),
        };
        standing.waiting(Instant::now());
        standing
    }

    #[cfg(test)]
    pub(crate) fn for_tests(epoch: Instant) -> Self {
        Standing::new(epoch)
    }

    /// The connection has waited on its client since `since`.
    pub(crate) fn waiting(&self, since: Instant) {
        let ms = since.saturating_duration_since(self.epoch).as_millis() as u64;
        self.waiting_since.store(ms + 1, Ordering::Release);
    }

    /// The connection serves something: it is not closed for room.
    pub(crate) fn serving(&self) {
        self.waiting_since.store(0, Ordering::Release);
    }

    /// Resolves when the listener needs this connection's slot.
    pub(crate) async fn evicted(&self) {
        self.evicted.notified().await
    }
}

/// The connections of one listener, for finding the one to close when it is full.
#[derive(Default)]
struct Standings {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Standing>>>,
}

impl Standings {
    fn enter(self: &Arc<Self>, standing: Arc<Standing>) -> Entry {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.open.lock().unwrap_or_else(|p| p.into_inner()).insert(id, standing);
        Entry {
            table: self.clone(),
            id,
        }
    }

    /// Asks the connection that has waited longest on its client to leave; `false` when
    /// none is waiting. A linear scan: it runs only when every slot is taken.
    fn evict_longest_waiting(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let oldest = open
            .values()
            .filter_map(|s| {
                let since = s.waiting_since.load(Ordering::Acquire);
                (since != 0).then_some((since, s))
            })
            .min_by_key(|(since, _)| *since);
        let Some((since, standing)) = oldest else {
            return false;
        };
        // Asked once: it no longer counts as waiting while it closes.
        if standing
            .waiting_since
            .compare_exchange(since, 0, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // It just began serving; the caller waits for a slot.
            return false;
        }
        standing.evicted.notify_one();
        true
    }
}

/// A connection's place in [`Standings`], taken out when dropped.
struct Entry {
    table: Arc<Standings>,
    id: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.table
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// Binds `addr`; returns the bound address (for `port = 0`) and a future that serves it
/// forever, running `handle` for each connection. Its connections are never closed for
/// room (see [`bind_sheddable`]).
pub(crate) async fn bind<F, Fut>(
    addr: SocketAddr,
    caps: Caps,
    handle: F,
) -> Result<(SocketAddr, impl Future<Output = ()>), String>
where
    F: Fn(TcpStream, SocketAddr) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    bind_sheddable(addr, caps, move |socket, peer, standing| {
        // Never waiting: never asked to leave.
        standing.serving();
        handle(socket, peer)
    })
    .await
}

/// [`bind`] for connections that tell their listener when they wait on their client
/// through their [`Standing`], and end when it is [evicted](Standing::evicted).
pub(crate) async fn bind_sheddable<F, Fut>(
    addr: SocketAddr,
    caps: Caps,
    handle: F,
) -> Result<(SocketAddr, impl Future<Output = ()>), String>
where
    F: Fn(TcpStream, SocketAddr, Arc<Standing>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tcp = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = tcp.local_addr().map_err(|e| e.to_string())?;
    let limit = Arc::new(Semaphore::new(caps.max_connections));
    let per_address = Arc::new(PerAddress::default());
    let standings = Arc::new(Standings::default());
    let epoch = Instant::now();
    let serve = async move {
        loop {
            let (socket, peer) = match tcp.accept().await {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%bound, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some(slot) = per_address.admit(peer.ip(), caps.max_per_address) else {
                tracing::debug!(%bound, %peer, "too many connections from this address; closed");
                continue;
            };
            let permit = match limit.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(tokio::sync::TryAcquireError::Closed) => return,
                Err(tokio::sync::TryAcquireError::NoPermits) => {
                    if standings.evict_longest_waiting() {
                        tracing::debug!(%bound, "every slot taken; the connection waiting longest closes for a new one");
                    }
                    let Ok(p) = limit.clone().acquire_owned().await else {
                        return;
                    };
                    p
                }
            };
            let _ = socket.set_nodelay(true);
            let standing = Arc::new(Standing::new(epoch));
            let entry = standings.enter(standing.clone());
            let connection = handle(socket, peer, standing);
            // The slots go back when the connection's future ends or is dropped. `map`
            // rather than an async block awaiting it: that block would hold the future
            // twice (as captured, and again while awaiting it) for the connection's life.
            let slots = (permit, slot, entry);
            tokio::spawn(connection.map(move |()| drop(slots)));
        }
    };
    Ok((bound, serve))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_slots_back_as_connections_end() {
        let table = Arc::new(PerAddress::default());
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let first = table.admit(a, 2).unwrap();
        let _second = table.admit(a, 2).unwrap();
        assert!(table.admit(a, 2).is_none());
        assert!(table.admit(b, 2).is_some(), "other addresses are counted apart");
        drop(first);
        assert!(table.admit(a, 2).is_some());
    }

    #[tokio::test]
    async fn a_full_listener_closes_the_connection_waiting_longest_and_never_one_serving() {
        let epoch = Instant::now();
        let table = Arc::new(Standings::default());
        let standing = |waited: u64| {
            let s = Arc::new(Standing::new(epoch));
            s.waiting(epoch + Duration::from_millis(waited));
            s
        };
        let (old, serving, new) = (standing(10), standing(1), standing(20));
        serving.serving();
        let _entries = [
            table.enter(old.clone()),
            table.enter(serving.clone()),
            table.enter(new.clone()),
        ];
        assert!(table.evict_longest_waiting());
        tokio::time::timeout(Duration::from_secs(1), old.evicted())
            .await
            .expect("the one waiting longest is asked to leave");
        // Asked once; the next is the newer waiter, then nobody (one serves).
        assert!(table.evict_longest_waiting());
        tokio::time::timeout(Duration::from_secs(1), new.evicted())
            .await
            .expect("then the next one waiting");
        assert!(
            !table.evict_longest_waiting(),
            "a serving connection is never closed for room"
        );
    }
}

//! The accept loop shared by every TCP listener (HTTP, c2s, components): bind, accept at most
//! `max_connections` at once (further clients wait in the backlog), at most
//! `max_per_address` from one IP address (more are closed at once, so one address cannot
//! take every slot), and hand each connection to its own task.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

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

/// Binds `addr`; returns the bound address (for `port = 0`) and a future that serves it
/// forever, running `handle` for each connection.
pub(crate) async fn bind<F, Fut>(
    addr: SocketAddr,
    caps: Caps,
    handle: F,
) -> Result<(SocketAddr, impl Future<Output = ()>), String>
where
    F: Fn(TcpStream, SocketAddr) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tcp = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = tcp.local_addr().map_err(|e| e.to_string())?;
    let limit = Arc::new(Semaphore::new(caps.max_connections));
    let per_address = Arc::new(PerAddress::default());
    let serve = async move {
        loop {
            let Ok(permit) = limit.clone().acquire_owned().await else {
                return;
            };
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
            let _ = socket.set_nodelay(true);
            let connection = handle(socket, peer);
            tokio::spawn(async move {
                let _permit = permit;
                let _slot = slot;
                connection.await;
            });
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
}

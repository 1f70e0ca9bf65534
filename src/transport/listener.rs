//! The accept loop shared by every TCP listener (HTTP and c2s): bind, accept at most
//! `max_connections` at once (further clients wait in the backlog), and hand each
//! connection to its own task.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Binds `addr`; returns the bound address (for `port = 0`) and a future that serves it
/// forever, running `handle` for each connection.
pub(crate) async fn bind<F, Fut>(
    addr: SocketAddr,
    max_connections: usize,
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
    let limit = Arc::new(Semaphore::new(max_connections));
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
            let _ = socket.set_nodelay(true);
            let connection = handle(socket, peer);
            tokio::spawn(async move {
                let _permit = permit;
                connection.await;
            });
        }
    };
    Ok((bound, serve))
}

//! The hand-over of a WebSocket connection: the HTTP door answers the upgrade request
//! (RFC 6455 §4.2) and gives the upgraded stream to a [`WebSocketService`]; the XMPP door
//! implements one for RFC 7395.

use futures::future::BoxFuture;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio_tungstenite::WebSocketStream;

/// An upgraded WebSocket, server side.
pub(crate) type WebSocket = WebSocketStream<TokioIo<Upgraded>>;

/// Where the connection came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer {
    pub addr: SocketAddr,
    /// Whether it arrived over TLS (`wss://`).
    pub secure: bool,
    /// The largest message accepted (also the WebSocket message limit).
    pub max_message: usize,
    /// Bytes per second the peer may send (`[shaper]`), if limited.
    pub max_rate: Option<u64>,
}

/// Serves upgraded WebSockets of one subprotocol.
pub(crate) trait WebSocketService: Send + Sync + 'static {
    /// What is served, for error texts ("XMPP over WebSocket").
    fn name(&self) -> &'static str;
    /// The subprotocol a client must ask for (`Sec-WebSocket-Protocol`).
    fn subprotocol(&self) -> &'static str;
    fn serve(&self, socket: WebSocket, peer: Peer) -> BoxFuture<'static, ()>;
}

//! XMPP over WebSocket (RFC 7395) on an HTTP listener (`mongoose_websocket_handler`):
//! once the HTTP door has upgraded the connection with the `xmpp` subprotocol, one
//! complete XML element per text message (`<open/>`, stanzas, `<close/>`), through the
//! same stream logic as TCP.

use super::stream::{self, Activity, Framing, Halves, Reads, Settings, StreamRead, StreamWrite, FRAMING_NS};
use crate::core::Core;
use crate::transport::shaper::TokenBucket;
use crate::transport::websocket::{Peer, WebSocket, WebSocketService};
use crate::xml::{parse_element, StreamEvent, XmlError};
use futures::future::BoxFuture;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

type Ws = WebSocket;

/// RFC 7395 streams on the WebSockets an HTTP listener upgrades (subprotocol `xmpp`).
pub(crate) struct XmppOverWebSocket {
    core: Arc<Core>,
}

impl XmppOverWebSocket {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        XmppOverWebSocket { core }
    }
}

impl WebSocketService for XmppOverWebSocket {
    fn name(&self) -> &'static str {
        "XMPP over WebSocket"
    }

    fn subprotocol(&self) -> &'static str {
        "xmpp"
    }

    fn serve(&self, socket: WebSocket, peer: Peer) -> BoxFuture<'static, ()> {
        let core = self.core.clone();
        Box::pin(async move {
            let settings = Settings {
                starttls_required: false,
                allow_plain_without_tls: false,
                idle_timeout: Duration::from_secs(600),
                negotiation_timeout: Duration::from_secs(30),
                keepalive_interval: Duration::from_secs(60),
            };
            let (sink, stream) = socket.split();
            let reader = WsReader {
                stream,
                max: peer.max_message,
                activity: Activity::new(),
                bucket: peer.max_rate.map(|r| TokenBucket::new(r, Instant::now())),
            };
            let conn = Halves::new(reader, WsWriter { sink }, peer.secure, peer.addr.ip());
            stream::serve(core, conn, settings).await;
        })
    }
}

pub(crate) struct WsReader {
    stream: SplitStream<Ws>,
    max: usize,
    activity: Activity,
    /// The traffic shaper: reading pauses once the peer has sent its share.
    bucket: Option<TokenBucket>,
}

pub(crate) struct WsWriter {
    sink: SplitSink<Ws, Message>,
}

impl Reads for WsReader {
    const FRAMING: Framing = Framing::WebSocket;
}

impl StreamRead for WsReader {
    async fn next(&mut self) -> Result<StreamEvent, XmlError> {
        loop {
            let message = match self.stream.next().await {
                None => return Err(XmlError::Eof),
                Some(Ok(m)) => {
                    self.activity.touch();
                    m
                }
                Some(Err(WsError::Capacity(_))) => return Err(XmlError::TooLarge(self.max)),
                Some(Err(e)) => return Err(XmlError::Io(io::Error::other(e.to_string()))),
            };
            if let Some(bucket) = self.bucket.as_mut() {
                let wait = bucket.take(message.len(), Instant::now());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            let text = match message {
                Message::Text(t) => t,
                Message::Close(_) => return Ok(StreamEvent::Close),
                // Control frames are answered by the WebSocket layer itself.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
                Message::Binary(_) => return Err(XmlError::NotWellFormed("binary WebSocket message".into())),
            };
            if text.trim().is_empty() {
                return Ok(StreamEvent::KeepAlive);
            }
            let el = parse_element(&text)?;
            if el.is("open", FRAMING_NS) {
                return Ok(StreamEvent::Open(el));
            }
            if el.is("close", FRAMING_NS) {
                return Ok(StreamEvent::Close);
            }
            return Ok(StreamEvent::Stanza(el));
        }
    }

    fn activity(&self) -> Activity {
        self.activity.clone()
    }
}

impl StreamWrite for WsWriter {
    async fn send(&mut self, frames: Vec<String>) -> io::Result<()> {
        for f in frames {
            self.sink
                .feed(Message::text(f))
                .await
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
        self.sink.flush().await.map_err(|e| io::Error::other(e.to_string()))
    }

    async fn shutdown(&mut self) {
        let _ = self.sink.send(Message::Close(None)).await;
        let _ = self.sink.close().await;
    }
}

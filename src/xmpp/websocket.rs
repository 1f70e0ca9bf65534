//! XMPP over WebSocket (RFC 7395) on an HTTP listener (`mongoose_websocket_handler`):
//! the HTTP upgrade with the `xmpp` subprotocol, then one complete XML element per text
//! message (`<open/>`, stanzas, `<close/>`), through the same stream logic as TCP.

use super::stream::{self, Activity, Connection, Framing, Settings, StreamRead, StreamWrite, FRAMING_NS};
use crate::http::{json_error, Body};
use crate::server::Context;
use crate::xml::{parse_element, StreamEvent, XmlError};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TokioIo<Upgraded>>;

/// Stream settings of WebSocket sessions.
#[derive(Debug, Clone)]
pub(crate) struct WsSettings {
    pub max_stanza_size: usize,
    pub secure: bool,
}

fn header_has(req: &Request<Incoming>, name: hyper::header::HeaderName, token: &str) -> bool {
    req.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Answers the upgrade request and, once upgraded, serves the stream.
pub(crate) fn upgrade(
    ctx: Arc<Context>,
    mut req: Request<Incoming>,
    peer: SocketAddr,
    ws: WsSettings,
) -> Response<Body> {
    if !header_has(&req, UPGRADE, "websocket") || !header_has(&req, CONNECTION, "upgrade") {
        let mut r = json_error(
            StatusCode::UPGRADE_REQUIRED,
            "XMPP over WebSocket needs a WebSocket upgrade",
        );
        r.headers_mut().insert(UPGRADE, HeaderValue::from_static("websocket"));
        return r;
    }
    if req.headers().get(SEC_WEBSOCKET_VERSION).and_then(|v| v.to_str().ok()) != Some("13") {
        let mut r = json_error(StatusCode::BAD_REQUEST, "Unsupported WebSocket version");
        r.headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return r;
    }
    if !header_has(&req, SEC_WEBSOCKET_PROTOCOL, "xmpp") {
        return json_error(StatusCode::BAD_REQUEST, "The WebSocket subprotocol must be xmpp");
    }
    let Some(key) = req
        .headers()
        .get(SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()))
    else {
        return json_error(StatusCode::BAD_REQUEST, "Missing Sec-WebSocket-Key");
    };
    let Ok(accept) = HeaderValue::from_str(&key) else {
        return json_error(StatusCode::BAD_REQUEST, "Invalid Sec-WebSocket-Key");
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "WebSocket upgrade failed");
                return;
            }
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .write_buffer_size(0)
            .max_message_size(Some(ws.max_stanza_size))
            .max_frame_size(Some(ws.max_stanza_size));
        let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
        let settings = Settings {
            starttls_required: false,
            allow_plain_without_tls: false,
            idle_timeout: Duration::from_secs(600),
            negotiation_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(60),
        };
        let (sink, stream) = socket.split();
        let conn = WsConnection {
            reader: WsReader {
                stream,
                max: ws.max_stanza_size,
                activity: Activity::new(),
            },
            writer: WsWriter { sink },
            secure: ws.secure,
            peer: peer.ip(),
        };
        stream::serve(ctx, conn, settings).await;
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "Upgrade")
        .header(SEC_WEBSOCKET_ACCEPT, accept)
        .header(SEC_WEBSOCKET_PROTOCOL, "xmpp")
        .body(crate::http::full(""))
        .expect("static response parts are valid")
}

pub(crate) struct WsReader {
    stream: SplitStream<Ws>,
    max: usize,
    activity: Activity,
}

pub(crate) struct WsWriter {
    sink: SplitSink<Ws, Message>,
}

pub(crate) struct WsConnection {
    reader: WsReader,
    writer: WsWriter,
    secure: bool,
    peer: IpAddr,
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

impl StreamRead for WsConnection {
    async fn next(&mut self) -> Result<StreamEvent, XmlError> {
        self.reader.next().await
    }
    fn activity(&self) -> Activity {
        self.reader.activity.clone()
    }
}

impl StreamWrite for WsConnection {
    async fn send(&mut self, frames: Vec<String>) -> io::Result<()> {
        self.writer.send(frames).await
    }
    async fn shutdown(&mut self) {
        self.writer.shutdown().await
    }
}

impl Connection for WsConnection {
    type Read = WsReader;
    type Write = WsWriter;
    const FRAMING: Framing = Framing::WebSocket;

    fn is_secure(&self) -> bool {
        self.secure
    }
    fn can_starttls(&self) -> bool {
        false
    }
    async fn starttls(&mut self) -> Result<(), String> {
        Err("STARTTLS is not available over WebSocket".into())
    }
    fn restart(&mut self) {}
    fn peer(&self) -> IpAddr {
        self.peer
    }
    fn split(self) -> (WsReader, WsWriter) {
        (self.reader, self.writer)
    }
}

//! A connection that is its reader and writer from the start: WebSocket (RFC 7395) and
//! BOSH (XEP-0206). Neither upgrades to TLS within the stream (the HTTP listener's TLS
//! is all there is, RFC 7395 §3.1), and neither has anything to reset when SASL restarts
//! the stream (RFC 7395 §3.5 opens it again with `<open/>`, XEP-0206 §5 with
//! `xmpp:restart`): what sets the transports apart is their halves, whether the listener
//! is secure, and the peer's address.

use super::{Activity, Connection, Framing, StreamRead, StreamWrite};
use crate::xml::{StreamEvent, XmlError};
use std::io;
use std::net::IpAddr;

/// The framing a transport's reading half decodes, and so the one the stream writes.
pub(crate) trait Reads {
    const FRAMING: Framing;
}

/// A connection of a reader and a writer, split as they are.
pub(crate) struct Halves<R, W> {
    reader: R,
    writer: W,
    secure: bool,
    peer: IpAddr,
}

impl<R, W> Halves<R, W> {
    /// `secure`: whether the listener it came through speaks TLS.
    pub(crate) fn new(reader: R, writer: W, secure: bool, peer: IpAddr) -> Self {
        Halves {
            reader,
            writer,
            secure,
            peer,
        }
    }
}

impl<R: StreamRead, W: Send + 'static> StreamRead for Halves<R, W> {
    async fn next(&mut self) -> Result<StreamEvent, XmlError> {
        self.reader.next().await
    }
    fn activity(&self) -> Activity {
        self.reader.activity()
    }
    async fn linger(&mut self) {
        self.reader.linger().await
    }
}

impl<R: Send + 'static, W: StreamWrite> StreamWrite for Halves<R, W> {
    async fn send(&mut self, frames: Vec<String>) -> io::Result<()> {
        self.writer.send(frames).await
    }
    async fn shutdown(&mut self) {
        self.writer.shutdown().await
    }
}

impl<R: StreamRead + Reads, W: StreamWrite> Connection for Halves<R, W> {
    type Read = R;
    type Write = W;
    const FRAMING: Framing = R::FRAMING;

    fn is_secure(&self) -> bool {
        self.secure
    }
    fn can_starttls(&self) -> bool {
        false
    }
    async fn starttls(&mut self) -> Result<(), String> {
        let transport = match R::FRAMING {
            Framing::Tcp => "TCP",
            Framing::WebSocket => "WebSocket",
            Framing::Bosh => "BOSH",
        };
        Err(format!("STARTTLS is not available over {transport}"))
    }
    /// The client restarts the stream itself (a new `<open/>`, `xmpp:restart`), which
    /// reaches the stream as a new header: nothing to reset here.
    fn restart(&mut self) {}
    fn peer(&self) -> IpAddr {
        self.peer
    }
    fn split(self) -> (R, W) {
        (self.reader, self.writer)
    }
}

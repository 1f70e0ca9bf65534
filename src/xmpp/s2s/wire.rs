//! One server-to-server connection's bytes: TCP, then TLS (STARTTLS or from the first
//! byte), read as an XML stream within a stanza size limit and an optional shaper,
//! written with a deadline. Incoming and outgoing streams both negotiate over it.

use super::tls::{Contexts, PeerCert};
use crate::transport::shaper::Shaped;
use crate::xml::{StreamEvent, XmlError, XmlReader};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

/// How long one write may block before the peer counts as gone (it does not read).
pub(super) const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
pub(super) const TLS_TIMEOUT: Duration = Duration::from_secs(10);

/// A server's TCP connection, plain or after TLS.
pub(super) type Conn = crate::transport::tls::MaybeTls<SslStream<TcpStream>>;

pub(super) type Reader = XmlReader<Shaped<ReadHalf<Conn>>>;
pub(super) type Writer = WriteHalf<Conn>;

/// What one connection may send: the largest stanza, and bytes per second if shaped.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub max_stanza: usize,
    pub max_rate: Option<u64>,
}

pub(super) struct Wire {
    reader: Option<Reader>,
    writer: Option<Writer>,
    limits: Limits,
    /// The peer's certificate, once TLS is up.
    pub cert: Option<PeerCert>,
}

impl Wire {
    pub fn new(conn: Conn, limits: Limits, cert: Option<PeerCert>) -> Self {
        let (r, w) = tokio::io::split(conn);
        Wire {
            reader: Some(XmlReader::new(Shaped::new(r, limits.max_rate), limits.max_stanza)),
            writer: Some(w),
            limits,
            cert,
        }
    }

    pub fn is_secure(&self) -> bool {
        self.cert.is_some()
    }

    pub async fn send(&mut self, text: &str) -> io::Result<()> {
        let w = self.writer.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        write(w, text).await
    }

    pub async fn next(&mut self) -> Result<StreamEvent, XmlError> {
        match self.reader.as_mut() {
            Some(r) => r.next().await,
            None => Err(XmlError::Eof),
        }
    }

    /// The next element, keepalives skipped; `Ok(None)` when the peer closed its stream.
    pub async fn next_element(&mut self) -> Result<Option<crate::xml::Element>, XmlError> {
        loop {
            match self.next().await? {
                StreamEvent::Stanza(el) => return Ok(Some(el)),
                StreamEvent::KeepAlive => continue,
                StreamEvent::Close => return Ok(None),
                StreamEvent::Open(_) => return Err(XmlError::NotWellFormed("a second stream header".into())),
            }
        }
    }

    /// A new stream on the same connection (after TLS or SASL): a fresh parser.
    pub fn restart(&mut self) {
        self.reader = self.reader.take().map(XmlReader::restart);
    }

    fn unsplit(&mut self) -> Result<TcpStream, String> {
        let (Some(reader), Some(writer)) = (self.reader.take(), self.writer.take()) else {
            return Err("the connection is closed".into());
        };
        if reader.has_buffered_input() {
            // RFC 6120 §5.4.3.3: nothing may follow <starttls/> before the handshake.
            return Err("data sent before the TLS handshake".into());
        }
        match reader.into_inner().into_inner().unsplit(writer) {
            Conn::Plain(tcp) => Ok(tcp),
            Conn::Tls(_) => Err("TLS is already on".into()),
        }
    }

    /// STARTTLS, receiving side: after `<proceed/>`.
    pub async fn accept_tls(&mut self, tls: &Contexts) -> Result<(), String> {
        let tcp = self.unsplit()?;
        let (stream, cert) = tokio::time::timeout(TLS_TIMEOUT, tls.accept(tcp))
            .await
            .map_err(|_| "the TLS handshake timed out".to_owned())??;
        *self = Wire::new(Conn::Tls(Box::new(stream)), self.limits, Some(cert));
        Ok(())
    }

    /// STARTTLS, initiating side: after `<proceed/>`.
    pub async fn connect_tls(&mut self, tls: &Contexts, domain: &str) -> Result<(), String> {
        let tcp = self.unsplit()?;
        let (stream, cert) = tokio::time::timeout(TLS_TIMEOUT, tls.connect(tcp, domain))
            .await
            .map_err(|_| "the TLS handshake timed out".to_owned())??;
        *self = Wire::new(Conn::Tls(Box::new(stream)), self.limits, Some(cert));
        Ok(())
    }

    /// The halves, for a stream that is negotiated: reading and writing go separate ways.
    pub fn split(mut self) -> (Reader, Writer) {
        // Both are present until the wire is split or fails a STARTTLS, after which it
        // is dropped, not used.
        (
            self.reader.take().expect("a wire is split once"),
            self.writer.take().expect("a wire is split once"),
        )
    }

    /// Writes `last` (a stream error or the close), shuts the writing side and reads
    /// what the peer still sends, briefly.
    pub async fn finish(mut self, last: &str) {
        if let Some(mut w) = self.writer.take() {
            if !last.is_empty() {
                let _ = write(&mut w, last).await;
            }
            let _ = w.shutdown().await;
        }
        if let Some(mut r) = self.reader.take() {
            r.linger(64 * 1024, Duration::from_secs(1)).await;
        }
    }
}

pub(super) async fn write(w: &mut Writer, text: &str) -> io::Result<()> {
    tokio::time::timeout(WRITE_TIMEOUT, async {
        w.write_all(text.as_bytes()).await?;
        w.flush().await
    })
    .await
    .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}

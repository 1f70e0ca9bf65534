//! XMPP client connections over TCP (`[[listen.c2s]]`): STARTTLS offered or required, or
//! TLS from the first byte, on the certificate the listener names (or the generated one).

use super::stream::{self, Activity, Connection, Framing, Settings, StreamRead, StreamWrite};
use crate::config::{C2sListener, Config, TlsMode};
use crate::core::Core;
use crate::transport::shaper::Shaped;
use crate::transport::sni::Acceptors as TlsAcceptor;
use crate::xml::{StreamEvent, XmlError, XmlReader};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio_native_tls::TlsStream;

const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long, and how much, a closing stream reads of what its client still sends.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1 << 20;

/// A client's TCP connection, plain or after TLS.
pub(crate) type Conn = crate::transport::tls::MaybeTls<TlsStream<TcpStream>>;

/// The socket's read half, touching the activity clock on every byte received.
pub(crate) struct Touching {
    inner: Shaped<ReadHalf<Conn>>,
    activity: Activity,
}

impl Touching {
    pub(crate) fn new(inner: Shaped<ReadHalf<Conn>>, activity: Activity) -> Self {
        Touching { inner, activity }
    }
}

impl AsyncRead for Touching {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        poll
    }
}

type Reader = XmlReader<Touching>;

pub(crate) struct TcpReader(Reader, Activity);

pub(crate) struct TcpWriter(WriteHalf<Conn>);

/// A client stream on TCP during negotiation.
pub(crate) struct TcpConnection {
    reader: Option<Reader>,
    activity: Activity,
    writer: Option<WriteHalf<Conn>>,
    secure: bool,
    tls: Option<TlsAcceptor>,
    starttls: bool,
    peer: SocketAddr,
    limits: ReadLimits,
}

/// What one connection may send: the largest stanza, and bytes per second if shaped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadLimits {
    max_stanza: usize,
    max_rate: Option<u64>,
}

impl TcpConnection {
    fn new(
        conn: Conn,
        secure: bool,
        tls: Option<TlsAcceptor>,
        starttls: bool,
        peer: SocketAddr,
        limits: ReadLimits,
    ) -> Self {
        let (r, w) = tokio::io::split(conn);
        let activity = Activity::new();
        let touching = Touching {
            inner: Shaped::new(r, limits.max_rate),
            activity: activity.clone(),
        };
        TcpConnection {
            reader: Some(XmlReader::new(touching, limits.max_stanza)),
            activity,
            writer: Some(w),
            secure,
            tls,
            starttls,
            peer,
            limits,
        }
    }
}

impl StreamRead for TcpReader {
    async fn next(&mut self) -> Result<StreamEvent, XmlError> {
        self.0.next().await
    }
    fn activity(&self) -> Activity {
        self.1.clone()
    }
    async fn linger(&mut self) {
        self.0.linger(LINGER_BYTES, LINGER_TIME).await;
    }
}

impl StreamWrite for TcpWriter {
    async fn send(&mut self, frames: Vec<String>) -> io::Result<()> {
        write_frames(&mut self.0, frames).await
    }
    async fn shutdown(&mut self) {
        let _ = self.0.shutdown().await;
    }
}

async fn write_frames(w: &mut WriteHalf<Conn>, frames: Vec<String>) -> io::Result<()> {
    if frames.len() == 1 {
        w.write_all(frames[0].as_bytes()).await?;
    } else {
        w.write_all(frames.concat().as_bytes()).await?;
    }
    w.flush().await
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connection already closed")
}

impl StreamRead for TcpConnection {
    async fn next(&mut self) -> Result<StreamEvent, XmlError> {
        match self.reader.as_mut() {
            Some(r) => r.next().await,
            None => Err(XmlError::Eof),
        }
    }
    fn activity(&self) -> Activity {
        self.activity.clone()
    }
}

impl StreamWrite for TcpConnection {
    async fn send(&mut self, frames: Vec<String>) -> io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => write_frames(w, frames).await,
            None => Err(gone()),
        }
    }
    async fn shutdown(&mut self) {
        if let Some(w) = self.writer.as_mut() {
            let _ = w.shutdown().await;
        }
        if let Some(r) = self.reader.as_mut() {
            r.linger(LINGER_BYTES, LINGER_TIME).await;
        }
    }
}

impl Connection for TcpConnection {
    type Read = TcpReader;
    type Write = TcpWriter;
    const FRAMING: Framing = Framing::Tcp;

    fn is_secure(&self) -> bool {
        self.secure
    }

    fn can_starttls(&self) -> bool {
        self.starttls && self.tls.is_some()
    }

    async fn starttls(&mut self) -> Result<(), String> {
        let (Some(reader), Some(writer), Some(acceptor)) = (self.reader.take(), self.writer.take(), self.tls.clone())
        else {
            return Err("connection already closed".into());
        };
        if reader.has_buffered_input() {
            // RFC 6120 §5.4.3.3: nothing may follow <starttls/> before <proceed/>.
            return Err("data sent after <starttls/>".into());
        }
        let conn = reader.into_inner().inner.into_inner().unsplit(writer);
        let Conn::Plain(tcp) = conn else {
            return Err("TLS already active".into());
        };
        let tls = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
            .await
            .map_err(|_| "TLS handshake timed out".to_owned())?
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        let (r, w) = tokio::io::split(Conn::Tls(Box::new(tls)));
        let touching = Touching {
            inner: Shaped::new(r, self.limits.max_rate),
            activity: self.activity.clone(),
        };
        self.reader = Some(XmlReader::new(touching, self.limits.max_stanza));
        self.writer = Some(w);
        self.secure = true;
        Ok(())
    }

    fn restart(&mut self) {
        self.reader = self.reader.take().map(XmlReader::restart);
    }

    fn peer(&self) -> IpAddr {
        self.peer.ip()
    }

    fn split(mut self) -> (TcpReader, TcpWriter) {
        let reader = self.reader.take().expect("split once, after negotiation");
        let writer = self.writer.take().expect("split once, after negotiation");
        (TcpReader(reader, self.activity.clone()), TcpWriter(writer))
    }
}

/// Binds one `[[listen.c2s]]`; the returned future serves it forever.
pub(crate) async fn bind(
    core: Arc<Core>,
    config: &Config,
    listener: &C2sListener,
) -> Result<(SocketAddr, impl std::future::Future<Output = ()>), String> {
    let source = crate::transport::tls::CertSource::new(
        listener.tls.certfile.as_deref(),
        listener.tls.keyfile.as_deref(),
        &config.general.data_dir,
        &config.general.hosts[0],
    );
    let dir = config
        .general
        .tls_certs_dir
        .as_deref()
        .map(|d| std::sync::Arc::new(crate::transport::sni::CertDirectory::new(d, &[])));
    let acceptor = TlsAcceptor::new(source.acceptor(&[]).map_err(|e| e.to_string())?, dir);
    let mode = listener.tls.mode;
    let settings = Settings {
        starttls_required: mode == TlsMode::StarttlsRequired,
        allow_plain_without_tls: listener.allow_plain_without_tls,
        idle_timeout: Duration::from_secs(listener.idle_timeout),
        negotiation_timeout: Duration::from_secs(listener.negotiation_timeout),
        keepalive_interval: Duration::from_secs(listener.keepalive_interval),
    };
    let limits = ReadLimits {
        max_stanza: listener.max_stanza_size,
        max_rate: config.shaper_rate(listener.shaper.as_deref()),
    };
    let caps = crate::transport::listener::Caps {
        max_connections: listener.max_connections,
        max_per_address: listener.max_connections_per_ip,
    };
    crate::transport::listener::bind(listener.addr(), caps, move |socket, peer| {
        let core = core.clone();
        let acceptor = acceptor.clone();
        let settings = settings.clone();
        async move {
            let conn = match mode {
                // Boxed: the handshake's state would otherwise stay part of every
                // connection's task for as long as it lives.
                TlsMode::Tls => {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, Box::pin(acceptor.accept(socket))).await {
                        Ok(Ok(tls)) => TcpConnection::new(Conn::Tls(Box::new(tls)), true, None, false, peer, limits),
                        _ => {
                            tracing::debug!(%peer, "TLS handshake failed");
                            return;
                        }
                    }
                }
                _ => TcpConnection::new(Conn::Plain(socket), false, Some(acceptor), true, peer, limits),
            };
            stream::serve(core, conn, settings).await;
        }
    })
    .await
}

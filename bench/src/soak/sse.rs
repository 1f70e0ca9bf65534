//! A raw HTTP/1.1 client for `GET /api/sse` whose reading pace the caller controls
//! entirely: nothing is read from the socket unless asked (an HTTP client library would
//! read ahead into its own buffers, and a slow reader would not be slow).

use super::logic::Occurrences;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer to `GET /api/sse`.
pub enum Opened {
    /// `200`: the event stream, past its headers.
    Stream(EventStream),
    /// Any other status (`429` when the account has too many sessions).
    Refused(u16),
}

/// An open event stream.
pub struct EventStream {
    stream: TcpStream,
    events: Occurrences,
}

impl EventStream {
    /// Reads at most `max` bytes, waiting for some; `Ok(0)` when the server ended the
    /// stream. Counts the `message` events read.
    pub async fn read_some(&mut self, max: usize) -> io::Result<usize> {
        let mut buf = vec![0u8; max];
        let n = self.stream.read(&mut buf).await?;
        self.events.feed(&buf[..n]);
        Ok(n)
    }

    /// `message` events read so far.
    pub fn events(&self) -> u64 {
        self.events.count
    }
}

/// The socket of a slow reader: a small receive buffer, and small segments. Linux grows a
/// sender's buffer with its congestion window counted in segments, and loopback segments
/// are 64 KiB: with the default segment size the server's kernel would take about 3 MB
/// for a reader that reads nothing before the server saw any back-pressure; with 1 KiB
/// segments it takes about 100 KB, as over a real network.
#[derive(Debug, Clone, Copy)]
pub struct Slow {
    pub recv_buffer: u32,
    pub segment: u32,
}

pub const SLOW: Slow = Slow {
    recv_buffer: 4096,
    segment: 1024,
};

/// Opens `GET /api/sse` on `http` with the `Authorization` value `auth`, on a socket of
/// a slow reader when `slow` is given.
pub async fn open(http: SocketAddr, auth: &str, slow: Option<Slow>) -> io::Result<Opened> {
    tokio::time::timeout(OPEN_TIMEOUT, open_inner(http, auth, slow))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "GET /api/sse timed out"))?
}

async fn open_inner(http: SocketAddr, auth: &str, slow: Option<Slow>) -> io::Result<Opened> {
    let socket = TcpSocket::new_v4()?;
    if let Some(slow) = slow {
        socket.set_recv_buffer_size(slow.recv_buffer)?;
        socket2::SockRef::from(&socket).set_tcp_mss(slow.segment)?;
    }
    let mut stream = socket.connect(http).await?;
    let request =
        format!("GET /api/sse HTTP/1.1\r\nHost: {http}\r\nAuthorization: {auth}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte up to the end of the headers, so nothing of the body is read early.
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(io::Error::other("response headers too long"));
        }
        if stream.read(&mut byte).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the response headers",
            ));
        }
        head.push(byte[0]);
    }
    let status = std::str::from_utf8(&head)
        .ok()
        .and_then(|h| h.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| io::Error::other("malformed status line"))?;
    if status != 200 {
        return Ok(Opened::Refused(status));
    }
    Ok(Opened::Stream(EventStream {
        stream,
        events: Occurrences::new("event: message"),
    }))
}

//! The stream reader's read-ahead buffer, which holds memory only while it holds bytes.
//!
//! Most connections of a chat server are idle most of the time, so a fixed read-ahead
//! buffer per connection is most of what an idle connection costs. Reads go through one
//! scratch buffer per thread instead, and what a read brings is copied into a buffer of
//! its size, which is let go once the parser has used it and the socket has nothing
//! more. The copy costs a `memcpy` of what was read, next to a system call for it.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

/// The most one read takes from the socket.
const READ_AHEAD: usize = 8 * 1024;

thread_local! {
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_AHEAD].into_boxed_slice());
}

/// Buffered reading from `inner` with no buffer held while nothing is buffered.
pub struct LazyBuf<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
}

impl<R> LazyBuf<R> {
    pub(crate) fn new(inner: R) -> Self {
        LazyBuf {
            inner,
            buf: Vec::new(),
            pos: 0,
        }
    }

    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The byte source; buffered bytes are dropped.
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..]
    }
}

impl<R: AsyncRead + Unpin> LazyBuf<R> {
    /// Reads once from the source into the (empty) buffer.
    fn poll_refill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.buf.clear();
        self.pos = 0;
        let inner = Pin::new(&mut self.inner);
        let buf = &mut self.buf;
        let polled = SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => read_into(inner, cx, &mut scratch, buf),
            // Only if a source read through another `LazyBuf` of this thread (none does).
            Err(_) => read_into(inner, cx, &mut vec![0; READ_AHEAD], buf),
        });
        if polled.is_pending() {
            self.buf = Vec::new();
        }
        polled
    }
}

fn read_into<R: AsyncRead>(
    inner: Pin<&mut R>,
    cx: &mut Context<'_>,
    scratch: &mut [u8],
    buf: &mut Vec<u8>,
) -> Poll<io::Result<()>> {
    let mut read = ReadBuf::new(scratch);
    ready!(inner.poll_read(cx, &mut read))?;
    buf.extend_from_slice(read.filled());
    Poll::Ready(Ok(()))
}

impl<R: AsyncRead + Unpin> AsyncRead for LazyBuf<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos >= this.buf.len() {
            // Nothing buffered: read straight into the caller's buffer.
            this.buf = Vec::new();
            this.pos = 0;
            return Pin::new(&mut this.inner).poll_read(cx, out);
        }
        let n = this.buffered().len().min(out.remaining());
        out.put_slice(&this.buf[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for LazyBuf<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos >= this.buf.len() {
            ready!(this.poll_refill(cx))?;
        }
        Poll::Ready(Ok(this.buffered()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.buf.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn bytes_come_out_in_order_and_nothing_is_held_once_they_are_used() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut reader = LazyBuf::new(server);
        client.write_all(b"<a/><b/>").await.unwrap();
        let got = reader.fill_buf().await.unwrap().to_vec();
        assert_eq!(got, b"<a/><b/>");
        reader.consume(4);
        assert_eq!(reader.fill_buf().await.unwrap(), b"<b/>");
        reader.consume(4);
        // Nothing more to read: the pending read lets the buffer go.
        let pending = futures::poll!(Box::pin(reader.fill_buf()));
        assert!(pending.is_pending());
        assert_eq!(reader.buf.capacity(), 0);
        client.write_all(b"<c/>").await.unwrap();
        drop(client);
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"<c/>");
    }

    #[tokio::test]
    async fn a_read_larger_than_the_scratch_buffer_arrives_whole_over_several_fills() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let data: Vec<u8> = (0..3 * READ_AHEAD).map(|i| b'a' + (i % 26) as u8).collect();
        client.write_all(&data).await.unwrap();
        drop(client);
        let mut reader = LazyBuf::new(server);
        let mut got = Vec::new();
        loop {
            let chunk = reader.fill_buf().await.unwrap();
            if chunk.is_empty() {
                break;
            }
            assert!(chunk.len() <= READ_AHEAD);
            let n = chunk.len();
            got.extend_from_slice(chunk);
            reader.consume(n);
        }
        assert_eq!(got, data);
    }
}

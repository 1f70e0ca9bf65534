//! The XMPP stream reader (`XmlReader`) on bytes arriving in chunks, until an error or
//! `</stream:stream>`, and the WebSocket one-element parser (`parse_element`) on the same
//! text. Neither may panic or loop; every stanza either accepts must serialize to XML
//! that `parse_element` reads back as the same element.
//!
//! The first byte shapes the run: bits 0–5 the chunk size (1–64 bytes), bit 6 a stream
//! restart after the first stanza (as after SASL success), bit 7 a 256-byte stanza limit
//! instead of 64 KiB. The rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meerkat::xml::{parse_element, Element, StreamEvent, XmlReader, CLIENT_NS};
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, ReadBuf};

/// In-memory input delivered `chunk` bytes per read; always ready.
struct Chunks<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl AsyncRead for Chunks<'_> {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n = self.chunk.min(self.data.len()).min(buf.remaining());
        let (now, rest) = self.data.split_at(n);
        buf.put_slice(now);
        self.data = rest;
        Poll::Ready(Ok(()))
    }
}

/// Runs a future whose input is always ready: it must finish at its first poll.
fn ready<T>(future: impl Future<Output = T>) -> T {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the reader waits although its input is all there"),
    }
}

/// Serializing an accepted element and parsing it again gives it back.
fn round_trip(el: &Element) {
    let xml = el.to_xml(CLIENT_NS);
    match parse_element(&xml) {
        Ok(again) => assert_eq!(&again, el, "{xml}"),
        Err(e) => panic!("serialized {el:?} as {xml:?}, which does not parse: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&shape, input)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(shape & 0x3f) + 1;
    let restart = shape & 0x40 != 0;
    let max_stanza = if shape & 0x80 != 0 { 256 } else { 64 * 1024 };

    let mut reader = XmlReader::new(Chunks { data: input, chunk }, max_stanza);
    let mut restarted = false;
    // Every event consumes input: more events than bytes means the reader is looping.
    let mut events = 0usize;
    loop {
        events += 1;
        assert!(events <= input.len() + 2, "more events than input bytes");
        match ready(reader.next()) {
            Ok(StreamEvent::Stanza(el)) => {
                round_trip(&el);
                if restart && !restarted {
                    restarted = true;
                    let _ = reader.has_buffered_input();
                    reader = reader.restart();
                }
            }
            Ok(StreamEvent::Open(_) | StreamEvent::KeepAlive) => {}
            Ok(StreamEvent::Close) | Err(_) => break,
        }
    }

    if let Ok(text) = std::str::from_utf8(input) {
        if let Ok(el) = parse_element(text) {
            round_trip(&el);
        }
    }
});

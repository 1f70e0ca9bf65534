//! Response compression for listeners with `compress = true`: a body wrapper that
//! gzips (or deflates) a response as it is sent.
//!
//! A response is compressed when the request's `Accept-Encoding` allows gzip or deflate
//! (a coding with `q=0` is refused, `*` stands for any coding not named; gzip wins a
//! tie) and the response is worth it and safe to transform: a textual content type
//! (`text/*`, JSON, XML, YAML, JavaScript, SVG), not already encoded, not a range, not
//! marked `no-transform`, not tiny (a known length under [`MIN_SIZE`] bytes), and not the
//! answer to `HEAD`, a `1xx` (a WebSocket upgrade), `204`, `206` or `304`. Every
//! response that could have been compressed says `Vary: Accept-Encoding`.
//!
//! Streams stay streams: after each chunk of the inner body the compressor is flushed
//! (a sync flush), so whatever was produced so far can be decoded by the client at once.
//! An event stream (SSE) thus reaches the client event by event; only a body whose end
//! is known right away (an ordinary JSON answer) is compressed in one piece.

use super::Body;
use bytes::Bytes;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use hyper::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_RANGE, CONTENT_TYPE, VARY,
};
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::io::Write;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Bodies known to be shorter than this are sent as they are: the gzip framing (about
/// 20 bytes) and the work would not pay off.
pub(crate) const MIN_SIZE: u64 = 512;

/// A content coding the server produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    /// HTTP's `deflate`: the zlib format (RFC 9110 §8.4.1.2).
    Deflate,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// What a request allows, taken before the request is handed on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepted {
    coding: Option<Coding>,
    head: bool,
}

impl Accepted {
    pub(crate) fn of<B>(req: &Request<B>) -> Accepted {
        Accepted {
            coding: negotiate(req.headers()),
            head: req.method() == Method::HEAD,
        }
    }

    /// `response`, compressed if the request allows it and the response is worth it.
    pub(crate) fn apply(self, mut response: Response<Body>) -> Response<Body> {
        if self.head || !eligible(&response) {
            return response;
        }
        response
            .headers_mut()
            .append(VARY, HeaderValue::from_static("accept-encoding"));
        let Some(coding) = self.coding else {
            return response;
        };
        let headers = response.headers_mut();
        headers.remove(CONTENT_LENGTH);
        // Ranges would address the compressed bytes; offer none.
        headers.remove(ACCEPT_RANGES);
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
        response.map(|body| BoxBody::new(Compressed::new(body, coding)))
    }
}

/// The coding `Accept-Encoding` prefers among those we produce, if any allows one.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Coding> {
    let (mut gzip, mut deflate, mut any) = (None, None, None);
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for entry in value.split(',') {
            let mut params = entry.split(';');
            let name = params.next().unwrap_or_default().trim().to_ascii_lowercase();
            let mut q = Some(1.0);
            for p in params {
                if let Some((k, v)) = p.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        q = quality(v.trim());
                    }
                }
            }
            // A malformed weight refuses the coding rather than guess.
            let q = q.unwrap_or(0.0);
            match name.as_str() {
                "gzip" | "x-gzip" => gzip = Some(q),
                "deflate" => deflate = Some(q),
                "*" => any = Some(q),
                _ => {}
            }
        }
    }
    let gzip = gzip.or(any).unwrap_or(0.0);
    let deflate = deflate.or(any).unwrap_or(0.0);
    if gzip > 0.0 && gzip >= deflate {
        Some(Coding::Gzip)
    } else if deflate > 0.0 {
        Some(Coding::Deflate)
    } else {
        None
    }
}

/// A `q` weight: 0 to 1 with at most three decimals (RFC 9110 §12.4.2).
fn quality(v: &str) -> Option<f32> {
    let ok = matches!(v.as_bytes(), [b'0' | b'1'] | [b'0' | b'1', b'.', ..])
        && v.len() <= 5
        && v.bytes().skip(2).all(|b| b.is_ascii_digit());
    let q: f32 = v.parse().ok().filter(|_| ok)?;
    (0.0..=1.0).contains(&q).then_some(q)
}

/// Whether compressing `response` is worth it and changes nothing else it means.
fn eligible(response: &Response<Body>) -> bool {
    let status = response.status();
    if status.is_informational()
        || matches!(
            status,
            StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
        )
    {
        return false;
    }
    let h = response.headers();
    if h.contains_key(CONTENT_ENCODING) || h.contains_key(CONTENT_RANGE) {
        return false;
    }
    let no_transform = h
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-transform")));
    if no_transform || !h.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(textual) {
        return false;
    }
    response.body().size_hint().exact().is_none_or(|n| n >= MIN_SIZE)
}

/// Content types that compress well (binary formats are compressed already).
fn textual(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/xml"
                | "application/yaml"
                | "application/x-yaml"
                | "application/javascript"
                | "image/svg+xml"
        )
}

enum Encoder {
    Gzip(GzEncoder<Vec<u8>>),
    Deflate(ZlibEncoder<Vec<u8>>),
}

impl Encoder {
    fn new(coding: Coding) -> Self {
        // The default level: most of the gain at a fraction of the best level's work.
        match coding {
            Coding::Gzip => Encoder::Gzip(GzEncoder::new(Vec::new(), Compression::default())),
            Coding::Deflate => Encoder::Deflate(ZlibEncoder::new(Vec::new(), Compression::default())),
        }
    }

    /// Compresses `data` and returns everything the client can decode so far.
    fn push(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(e) => {
                e.write_all(data)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
            Encoder::Deflate(e) => {
                e.write_all(data)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
        }
    }

    /// Compresses `data` as the last part and returns the rest of the stream.
    fn finish(self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(mut e) => {
                e.write_all(data)?;
                e.finish()
            }
            Encoder::Deflate(mut e) => {
                e.write_all(data)?;
                e.finish()
            }
        }
    }
}

/// The inner body, compressed chunk by chunk.
struct Compressed {
    inner: Body,
    /// `None` once the compressed stream is complete.
    encoder: Option<Encoder>,
    /// Trailers of the inner body, sent after the compressed stream's end.
    trailers: Option<HeaderMap>,
}

impl Compressed {
    fn new(inner: Body, coding: Coding) -> Self {
        Compressed {
            inner,
            encoder: Some(Encoder::new(coding)),
            trailers: None,
        }
    }

    /// Ends the compressed stream with `data` as its last part.
    fn finish(&mut self, data: &[u8]) -> Option<Bytes> {
        let encoder = self.encoder.take()?;
        match encoder.finish(data) {
            Ok(out) => Some(Bytes::from(out)),
            Err(e) => {
                // Writing to memory; only a defect of the compressor gets here. The body
                // ends short and the client sees a truncated stream.
                tracing::error!(error = %e, "compressing a response failed");
                None
            }
        }
    }
}

impl HttpBody for Compressed {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        loop {
            if this.encoder.is_none() {
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            }
            let frame = match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => frame,
                Some(Err(never)) => match never {},
                None => return Poll::Ready(this.finish(&[]).map(|b| Ok(Frame::data(b)))),
            };
            let data = match frame.into_data() {
                Ok(data) => data,
                Err(frame) => {
                    // Trailers end the data: close the compressed stream first.
                    this.trailers = frame.into_trailers().ok();
                    match this.finish(&[]) {
                        Some(b) => return Poll::Ready(Some(Ok(Frame::data(b)))),
                        None => continue,
                    }
                }
            };
            if this.inner.is_end_stream() {
                return Poll::Ready(this.finish(&data).map(|b| Ok(Frame::data(b))));
            }
            if data.is_empty() {
                continue;
            }
            let pushed = match this.encoder.as_mut().map(|e| e.push(&data)) {
                Some(Ok(out)) => out,
                Some(Err(e)) => {
                    tracing::error!(error = %e, "compressing a response failed");
                    this.encoder = None;
                    return Poll::Ready(None);
                }
                None => continue,
            };
            if !pushed.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(Bytes::from(pushed)))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.encoder.is_none() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{GzDecoder, ZlibDecoder};
    use futures::StreamExt;
    use http_body_util::{BodyExt, StreamBody};

    fn headers(accept: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for a in accept {
            h.append(ACCEPT_ENCODING, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        let n = |a: &[&str]| negotiate(&headers(a));
        assert_eq!(n(&[]), None);
        assert_eq!(n(&["gzip"]), Some(Coding::Gzip));
        assert_eq!(n(&["deflate, gzip"]), Some(Coding::Gzip));
        assert_eq!(n(&["deflate"]), Some(Coding::Deflate));
        assert_eq!(n(&["gzip;q=0, deflate"]), Some(Coding::Deflate));
        assert_eq!(n(&["gzip;q=0.5, deflate;q=0.8"]), Some(Coding::Deflate));
        assert_eq!(n(&["gzip; q=0.000", "deflate;q=0"]), None);
        assert_eq!(n(&["*"]), Some(Coding::Gzip));
        assert_eq!(n(&["*;q=0, identity"]), None);
        assert_eq!(n(&["*;q=0, deflate"]), Some(Coding::Deflate));
        assert_eq!(n(&["br, identity"]), None);
        assert_eq!(n(&["X-GZIP"]), Some(Coding::Gzip));
        // A malformed weight refuses its coding.
        assert_eq!(n(&["gzip;q=high"]), None);
        assert_eq!(n(&["gzip;q=1.5"]), None);
        assert_eq!(n(&["gzip;q=0.1234"]), None);
    }

    fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
        let mut r = Response::new(super::super::full(body));
        *r.status_mut() = status;
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        r
    }

    fn accepted(coding: Option<Coding>, head: bool) -> Accepted {
        Accepted { coding, head }
    }

    async fn bytes(r: Response<Body>) -> Vec<u8> {
        r.into_body().collect().await.unwrap().to_bytes().to_vec()
    }

    #[tokio::test]
    async fn a_json_answer_is_gzipped_or_deflated_and_decodes_to_itself() {
        let json = serde_json::to_vec(&vec![serde_json::json!({"body": "hello there", "id": 42}); 40]).unwrap();
        let r = accepted(Some(Coding::Gzip), false).apply(response(StatusCode::OK, "application/json", json.clone()));
        assert_eq!(r.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(r.headers()[VARY], "accept-encoding");
        assert!(!r.headers().contains_key(CONTENT_LENGTH));
        let compressed = bytes(r).await;
        assert!(
            compressed.len() < json.len() / 4,
            "{} of {}",
            compressed.len(),
            json.len()
        );
        let mut d = GzDecoder::new(Vec::new());
        d.write_all(&compressed).unwrap();
        assert_eq!(d.finish().unwrap(), json);

        let r = accepted(Some(Coding::Deflate), false).apply(response(StatusCode::OK, "text/plain", json.clone()));
        assert_eq!(r.headers()[CONTENT_ENCODING], "deflate");
        let mut d = ZlibDecoder::new(Vec::new());
        d.write_all(&bytes(r).await).unwrap();
        assert_eq!(d.finish().unwrap(), json);
    }

    #[tokio::test]
    async fn what_is_not_worth_it_or_not_safe_is_left_alone() {
        let big = "x".repeat(4096);
        let gzip = accepted(Some(Coding::Gzip), false);
        let untouched = |r: &Response<Body>| !r.headers().contains_key(CONTENT_ENCODING);
        let tiny = gzip.apply(response(StatusCode::OK, "application/json", "\"Missing message body\""));
        assert!(untouched(&tiny) && !tiny.headers().contains_key(VARY));
        for status in [
            StatusCode::NO_CONTENT,
            StatusCode::NOT_MODIFIED,
            StatusCode::PARTIAL_CONTENT,
        ] {
            assert!(untouched(&gzip.apply(response(status, "text/plain", big.clone()))));
        }
        let mut upgrade = response(StatusCode::SWITCHING_PROTOCOLS, "text/plain", big.clone());
        upgrade = gzip.apply(upgrade);
        assert!(untouched(&upgrade));
        assert!(untouched(&gzip.apply(response(
            StatusCode::OK,
            "image/png",
            big.clone()
        ))));
        let mut encoded = response(StatusCode::OK, "text/plain", big.clone());
        encoded
            .headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
        assert_eq!(gzip.apply(encoded).headers()[CONTENT_ENCODING], "br");
        let mut no_transform = response(StatusCode::OK, "text/plain", big.clone());
        no_transform
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-transform"));
        assert!(untouched(&gzip.apply(no_transform)));
        let head = accepted(Some(Coding::Gzip), true).apply(response(StatusCode::OK, "text/plain", big.clone()));
        assert!(untouched(&head));
        // Not asked for: sent as it is, saying that it depends on the request.
        let plain = accepted(None, false).apply(response(StatusCode::OK, "text/plain", big.clone()));
        assert!(untouched(&plain));
        assert_eq!(plain.headers()[VARY], "accept-encoding");
        assert_eq!(bytes(plain).await, big.as_bytes());
    }

    #[tokio::test]
    async fn a_stream_is_flushed_chunk_by_chunk() {
        let (tx, rx) = futures::channel::mpsc::unbounded::<Bytes>();
        let body = StreamBody::new(rx.map(|b| Ok::<_, Infallible>(Frame::data(b))));
        let mut r = Response::new(BoxBody::new(body));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        let mut body = accepted(Some(Coding::Gzip), false).apply(r).into_body();
        let mut decoder = GzDecoder::new(Vec::new());
        for i in 0..3 {
            let event = format!("event: message\nid: {i}\ndata: {{\"n\":{i}}}\n\n");
            tx.unbounded_send(Bytes::from(event.clone())).unwrap();
            // Before the next event exists, this one decodes in full.
            let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
            decoder.write_all(&frame).unwrap();
            decoder.flush().unwrap();
            assert_eq!(std::mem::take(decoder.get_mut()), event.as_bytes());
        }
        drop(tx);
        while let Some(frame) = body.frame().await {
            decoder.write_all(&frame.unwrap().into_data().unwrap()).unwrap();
        }
        assert!(decoder.finish().unwrap().is_empty(), "the stream ends cleanly");
    }
}

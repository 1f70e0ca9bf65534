//! The upload handler (`mod_http_upload`): the HTTP side of XEP-0363. Paths below the
//! handler's are `/<slot id>/<file name>`.
//!
//! - `PUT` (with the signed query of a slot's PUT URL): `Content-Length` is required and
//!   must be the slot's size, checked before any of the body is read; the body is
//!   streamed to the core's [`PutWriter`], which refuses a byte more than announced; a
//!   body that stalls for the listener's `request_timeout`, or falls behind its deadline
//!   (`request_timeout` plus a second per `min_body_rate` bytes), is dropped. `201 Created`.
//!   Refusals: `403` (not a valid PUT URL, or expired), `409` (uploaded already, or an
//!   upload of it is under way), `411`, `413` (larger than announced), `400` (smaller),
//!   `415` (another content type than announced), `503`.
//! - `GET`/`HEAD`: the file, with the content type it was announced with,
//!   `Content-Disposition` (inline only for images, audio, video and plain text; SVG
//!   and everything else as an attachment), `X-Content-Type-Options: nosniff` and
//!   `Content-Security-Policy: default-src 'none'; sandbox`, so that an uploaded HTML or
//!   SVG file opened in a browser runs no script and reaches nothing. One byte range
//!   (`Range: bytes=…`) is honoured (`206`, or `416`). Anything not there: `404`.
//! - `OPTIONS`: CORS preflight for browser clients; every response allows any origin.
//!   No cookies or credentials are involved: the URL itself is the permission.
//!
//! The listener's `max_body_size` is not applied here (it is the JSON APIs' limit, in
//! `http::dispatch`); an upload is bounded by its slot's size, which the core bounds
//! by `max_file_size`.

use super::{full, json_error, Body, RequestBody};
use crate::core::uploads::{self, Download, GetRefusal, PutRefusal, PutRequest, PutWriter};
use crate::core::Core;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// One `mod_http_upload` handler of a listener.
pub(crate) struct UploadRoute {
    pub path: String,
    /// How long a request body may stall.
    pub idle: Duration,
}

const CSP: &str = "default-src 'none'; sandbox";
const METHODS: &str = "GET, HEAD, PUT, OPTIONS";
/// How much of a file is read per chunk of a response.
const CHUNK: usize = 64 * 1024;

/// Serves a request below `route.path`.
pub(crate) async fn serve(core: &Core, route: &UploadRoute, req: Request<RequestBody>) -> Response<Body> {
    let mut response = match *req.method() {
        Method::OPTIONS => preflight(),
        Method::PUT => put(core, route, req).await,
        Method::GET | Method::HEAD => get(core, route, &req).await,
        _ => {
            let mut r = json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(METHODS));
            r
        }
    };
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

fn preflight() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, METHODS)
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type")
        .header(header::ACCESS_CONTROL_MAX_AGE, "86400")
        .body(full(""))
        .expect("static response parts are valid")
}

/// The slot id and the decoded file name of a path below the handler's.
fn file_of<'a>(route: &UploadRoute, path: &'a str) -> Option<(&'a str, String)> {
    let rest = path.get(route.path.trim_end_matches('/').len()..)?.strip_prefix('/')?;
    let (id, name) = rest.split_once('/')?;
    if name.contains('/') || name.is_empty() {
        return None;
    }
    let name = percent_encoding::percent_decode_str(name).decode_utf8().ok()?;
    Some((id, name.into_owned()))
}

fn not_found() -> Response<Body> {
    json_error(StatusCode::NOT_FOUND, "Not found")
}

async fn put(core: &Core, route: &UploadRoute, req: Request<RequestBody>) -> Response<Body> {
    let Some((id, filename)) = file_of(route, req.uri().path()) else {
        return not_found();
    };
    let headers = req.headers();
    let content_length = match headers.get(header::CONTENT_LENGTH) {
        None => None,
        Some(v) => match v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()) {
            Some(n) => Some(n),
            None => return json_error(StatusCode::BAD_REQUEST, "Invalid Content-Length"),
        },
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let request = PutRequest {
        id,
        filename: &filename,
        query: req.uri().query(),
        content_length,
        content_type,
    };
    let writer = match uploads::begin_put(core, request).await {
        Ok(w) => w,
        Err(r) => return put_refused(r),
    };
    match receive(writer, req.into_body(), route.idle, core).await {
        Ok(()) => Response::builder()
            .status(StatusCode::CREATED)
            .body(full(""))
            .expect("static response parts are valid"),
        Err(Received::Refused(r)) => put_refused(r),
        Err(Received::Stalled) => json_error(StatusCode::REQUEST_TIMEOUT, "The upload stalled"),
        Err(Received::Broken) => json_error(StatusCode::BAD_REQUEST, "Invalid request body"),
    }
}

enum Received {
    Refused(PutRefusal),
    Stalled,
    Broken,
}

/// Moves the body into `writer`, a frame at a time.
async fn receive(mut writer: PutWriter, mut body: RequestBody, idle: Duration, core: &Core) -> Result<(), Received> {
    loop {
        match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(Received::Stalled),
            Ok(None) => break,
            Ok(Some(Err(super::timing::BodyFailure::TimedOut))) => return Err(Received::Stalled),
            Ok(Some(Err(e))) => {
                tracing::debug!(error = %e, "an upload body broke off");
                return Err(Received::Broken);
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    writer.write(&data).await.map_err(Received::Refused)?;
                }
            }
        }
    }
    writer.finish(core).await.map_err(Received::Refused)
}

fn put_refused(r: PutRefusal) -> Response<Body> {
    let status = match r {
        PutRefusal::Disabled => StatusCode::NOT_FOUND,
        PutRefusal::NotPermitted | PutRefusal::Expired => StatusCode::FORBIDDEN,
        PutRefusal::AlreadyUploaded | PutRefusal::InProgress => StatusCode::CONFLICT,
        PutRefusal::LengthRequired => StatusCode::LENGTH_REQUIRED,
        PutRefusal::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        PutRefusal::WrongSize { .. } => StatusCode::BAD_REQUEST,
        PutRefusal::WrongContentType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        PutRefusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    json_error(status, &r.to_string())
}

async fn get(core: &Core, route: &UploadRoute, req: &Request<RequestBody>) -> Response<Body> {
    let Some((id, filename)) = file_of(route, req.uri().path()) else {
        return not_found();
    };
    let download = match uploads::open_download(core, id, &filename).await {
        Ok(d) => d,
        Err(GetRefusal::NotFound) => return not_found(),
        Err(GetRefusal::Unavailable) => return super::unavailable(),
    };
    let range = match requested_range(req.headers(), download.size) {
        Ok(r) => r,
        Err(()) => {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{}", download.size))
                .body(full(""))
                .expect("a number makes a valid header");
        }
    };
    file_response(download, range, req.method() == Method::HEAD).await
}

/// The file's headers, and its bytes unless `head_only`.
async fn file_response(d: Download, range: Option<(u64, u64)>, head_only: bool) -> Response<Body> {
    let (status, start, len) = match range {
        Some((first, last)) => (StatusCode::PARTIAL_CONTENT, first, last - first + 1),
        None => (StatusCode::OK, 0, d.size),
    };
    let disposition = content_disposition(&d.content_type, &d.filename);
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, d.content_type.as_str())
        .header(header::CONTENT_LENGTH, len)
        .header(header::CONTENT_DISPOSITION, disposition)
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::ACCEPT_RANGES, "bytes");
    if let Some((first, last)) = range {
        builder = builder.header(header::CONTENT_RANGE, format!("bytes {first}-{last}/{}", d.size));
    }
    let body = if head_only || len == 0 {
        full("")
    } else {
        let mut file = d.file;
        if start > 0 {
            if let Err(e) = file.seek(std::io::SeekFrom::Start(start)).await {
                tracing::error!(error = %e, "seeking in an upload failed");
                return super::unavailable();
            }
        }
        file_body(file, len)
    };
    // The content type was checked to be printable ASCII when the slot was given, and
    // the disposition is built of ASCII; should either still not be a header value,
    // the file is not served.
    builder.body(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "an upload's headers are invalid");
        super::unavailable()
    })
}

/// `len` bytes of `file` from where it stands, as a streamed body. A read failure ends
/// the body early (logged); the client sees fewer bytes than `Content-Length`.
fn file_body(file: tokio::fs::File, len: u64) -> Body {
    let stream = futures::stream::unfold((file, len), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buf = vec![0u8; CHUNK.min(left as usize)];
        match file.read(&mut buf).await {
            Ok(0) => {
                tracing::error!(left, "an upload ended before its size");
                None
            }
            Ok(n) => {
                buf.truncate(n);
                let frame = Frame::data(Bytes::from(buf));
                Some((Ok::<_, Infallible>(frame), (file, left - n as u64)))
            }
            Err(e) => {
                tracing::error!(error = %e, "reading an upload failed");
                None
            }
        }
    });
    http_body_util::combinators::BoxBody::new(StreamBody::new(stream))
}

/// One `bytes=` range of a file of `size` bytes, inclusive: `Ok(None)` to serve it all
/// (no range, several ranges, or a header we do not read), `Err` when unsatisfiable.
fn requested_range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let range = match (first.trim().is_empty(), last.trim().is_empty()) {
        // `-N`: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => return Err(()),
            Some(n) => (size.saturating_sub(n), size.checked_sub(1).ok_or(())?),
            None => return Ok(None),
        },
        (false, _) => {
            let Some(first) = number(first) else { return Ok(None) };
            let last = if last.trim().is_empty() {
                u64::MAX
            } else {
                match number(last) {
                    Some(l) if l >= first => l,
                    _ => return Ok(None),
                }
            };
            if first >= size {
                return Err(());
            }
            (first, last.min(size - 1))
        }
        (true, true) => return Ok(None),
    };
    Ok(Some(range))
}

/// Shown in the browser, or saved: only types a browser displays without running
/// anything are inline. SVG can carry scripts, so it is an attachment like HTML.
fn is_inline(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "text/plain"
        || essence.starts_with("audio/")
        || essence.starts_with("video/")
        || (essence.starts_with("image/") && essence != "image/svg+xml")
}

/// `inline` or `attachment`, with the file name as a quoted ASCII fallback and in full
/// (RFC 6266, RFC 8187 `filename*`).
fn content_disposition(content_type: &str, filename: &str) -> String {
    const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let fallback: String = filename
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c == ' ' || c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    let kind = if is_inline(content_type) {
        "inline"
    } else {
        "attachment"
    };
    let full_name = percent_encoding::utf8_percent_encode(filename, ATTR_CHAR);
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{full_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> UploadRoute {
        UploadRoute {
            path: "/upload".into(),
            idle: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_path_names_a_slot_and_a_file() {
        let r = route();
        assert_eq!(file_of(&r, "/upload/ab12/cat.jpg"), Some(("ab12", "cat.jpg".into())));
        assert_eq!(
            file_of(&r, "/upload/ab12/tr%C3%A8s%20jolie.jpg"),
            Some(("ab12", "très jolie.jpg".into()))
        );
        for bad in [
            "/upload",
            "/upload/",
            "/upload/ab12",
            "/upload/ab12/",
            "/upload/ab12/a/b",
            "/upload/ab12/%FF",
        ] {
            assert_eq!(file_of(&r, bad), None, "{bad}");
        }
    }

    fn range(h: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(h).unwrap());
        requested_range(&headers, size)
    }

    #[test]
    fn one_byte_range_is_served_and_others_are_the_whole_file() {
        assert_eq!(requested_range(&HeaderMap::new(), 10), Ok(None));
        assert_eq!(range("bytes=0-3", 10), Ok(Some((0, 3))));
        assert_eq!(range("bytes=4-", 10), Ok(Some((4, 9))));
        assert_eq!(range("bytes=4-100", 10), Ok(Some((4, 9))));
        assert_eq!(range("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(range("bytes=-30", 10), Ok(Some((0, 9))));
        assert_eq!(range("bytes=10-", 10), Err(()));
        assert_eq!(range("bytes=-0", 10), Err(()));
        assert_eq!(range("bytes=-1", 0), Err(()));
        for whole in ["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=a-b", "bytes=-"] {
            assert_eq!(range(whole, 10), Ok(None), "{whole}");
        }
    }

    #[test]
    fn only_passive_types_are_shown_inline() {
        assert!(is_inline("image/jpeg"));
        assert!(is_inline("Video/MP4"));
        assert!(is_inline("text/plain; charset=utf-8"));
        for attached in [
            "text/html",
            "image/svg+xml",
            "application/pdf",
            "application/octet-stream",
            "text/xml",
        ] {
            assert!(!is_inline(attached), "{attached}");
        }
        assert_eq!(
            content_disposition("text/html", "a \"b\"\\é.html"),
            "attachment; filename=\"a _b___.html\"; filename*=UTF-8''a%20%22b%22%5C%C3%A9.html"
        );
        assert_eq!(
            content_disposition("image/png", "cat.png"),
            "inline; filename=\"cat.png\"; filename*=UTF-8''cat.png"
        );
    }
}

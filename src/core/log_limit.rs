//! Log lines that a client can cause many times over, bounded: one summary line per
//! interval with a count, instead of one line per occurrence.
//!
//! - [`RateLimitedWarning`]: counts occurrences of one kind of event and writes at most one
//!   `WARN` line per interval, with how many happened since the last line and the last
//!   one's detail (a peer address, say). Nothing is lost from the count: occurrences after
//!   a line are told in the next one.
//! - [`http2_floods`] and [`is_http2_flood`]: HTTP/2 connections the protocol library
//!   closed for resetting too many streams (the "rapid reset" attack, CVE-2023-44487,
//!   and its variants: `GOAWAY` with `ENHANCE_YOUR_CALM`). The library logs a line of its
//!   own for each one, which the default log filter quiets ([`quiet_libraries`]); the
//!   server reports them through this instead.
//! - [`quiet_libraries`]: the default filter directives for libraries whose own warnings
//!   a client can trigger at will.

use std::fmt::Display;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Libraries whose own warnings a remote peer can cause once per connection, and the
/// level they are logged at unless a filter names them.
const QUIET: &[(&str, &str)] = &[("h2", "error")];

/// A log filter (`RUST_LOG` or `general.loglevel`) with a directive added for each
/// library of `QUIET` (`h2`) it does not name itself: `info` becomes `info,h2=error`, while
/// `info,h2=warn` is left as it is.
pub fn quiet_libraries(filter: &str) -> String {
    let named = |library: &str| {
        filter.split(',').any(|directive| {
            let target = directive.trim().split(['=', '[']).next().unwrap_or_default();
            target == library || target.starts_with(&format!("{library}::"))
        })
    };
    let mut out = filter.trim().to_owned();
    for (library, level) in QUIET {
        if !named(library) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(library);
            out.push('=');
            out.push_str(level);
        }
    }
    out
}

/// How often the server reports HTTP/2 connections closed for too many resets.
pub const HTTP2_FLOOD_INTERVAL: Duration = Duration::from_secs(60);

/// The report of HTTP/2 connections closed for resetting too many streams; each HTTP
/// listener keeps one.
pub fn http2_floods() -> RateLimitedWarning {
    RateLimitedWarning::new(
        "HTTP/2 connections closed for resetting too many streams (rapid reset)",
        HTTP2_FLOOD_INTERVAL,
    )
}

/// How h2 writes the reason `ENHANCE_YOUR_CALM` (RFC 9113 §7) in an error's text.
const CALM_TEXT: &str = "detected excessive load generating behavior";

/// Whether an HTTP connection ended because the HTTP/2 library found its peer flooding
/// it (a `GOAWAY` with `ENHANCE_YOUR_CALM`: too many streams reset by the peer, or too
/// many it had to reset itself). Found by the reason's name anywhere in the error's
/// chain, as the library's error type is not ours to name.
pub fn is_http2_flood(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        // The reason's text (h2's `Display`) or its name (`Debug`).
        if e.to_string().contains(CALM_TEXT) || format!("{e:?}").contains("ENHANCE_YOUR_CALM") {
            return true;
        }
        next = e.source();
    }
    false
}

/// One kind of event, logged at `WARN` at most once per interval.
#[derive(Debug)]
pub struct RateLimitedWarning {
    what: &'static str,
    interval: Duration,
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    /// When the last line was written; `None`: never.
    last_line: Option<Instant>,
    /// Occurrences since then.
    count: u64,
}

impl RateLimitedWarning {
    pub const fn new(what: &'static str, interval: Duration) -> Self {
        RateLimitedWarning {
            what,
            interval,
            window: Mutex::new(Window {
                last_line: None,
                count: 0,
            }),
        }
    }

    /// Counts one occurrence at `now`; `Some(n)`: a line is due, telling of `n`
    /// occurrences (this one included) since the last line.
    pub fn count(&self, now: Instant) -> Option<u64> {
        let mut w = self.window.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        w.count += 1;
        let due = w
            .last_line
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if !due {
            return None;
        }
        w.last_line = Some(now);
        Some(std::mem::take(&mut w.count))
    }

    /// Counts one occurrence, and writes the summary line when one is due: how many since
    /// the last line, over what interval at most, and `last`, the detail of this one.
    pub fn warn(&self, last: &dyn Display) {
        if let Some(count) = self.count(Instant::now()) {
            tracing::warn!(
                count,
                interval_s = self.interval.as_secs(),
                last = %last,
                "{} (count since the last such line; at most one line per interval)",
                self.what
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_and_every_occurrence_counted() {
        let w = RateLimitedWarning::new("test", Duration::from_secs(10));
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        // The first occurrence is told at once.
        assert_eq!(w.count(at(0)), Some(1));
        // 335 more within the interval: no line.
        for i in 1..=335 {
            assert_eq!(w.count(at(i * 25)), None, "occurrence {i}");
        }
        // The first one after the interval tells of all of them, itself included.
        assert_eq!(w.count(at(10_000)), Some(336));
        assert_eq!(w.count(at(10_001)), None);
        // After a quiet spell, the next one is told at once again.
        assert_eq!(w.count(at(60_000)), Some(2));
    }

    #[test]
    fn the_h2_library_is_quieted_unless_the_filter_names_it() {
        assert_eq!(quiet_libraries("info"), "info,h2=error");
        assert_eq!(quiet_libraries(" debug "), "debug,h2=error");
        assert_eq!(quiet_libraries(""), "h2=error");
        assert_eq!(quiet_libraries("meerkat=debug,warn"), "meerkat=debug,warn,h2=error");
        for named in [
            "info,h2=warn",
            "h2=trace",
            "info, h2::proto=debug",
            "h2[conn]=debug,info",
            "h2",
        ] {
            assert_eq!(quiet_libraries(named), named.trim(), "{named}");
        }
        // A target that only starts with the same letters is another library.
        assert_eq!(quiet_libraries("h2c=debug"), "h2c=debug,h2=error");
        // What comes out is a filter tracing accepts.
        for filter in ["info", "meerkat=debug,warn", ""] {
            tracing_subscriber::EnvFilter::try_new(quiet_libraries(filter)).expect("a valid filter");
        }
    }

    /// An error as hyper reports an HTTP/2 connection error: a wrapper whose source is the
    /// library's error.
    #[derive(Debug)]
    struct Wrapper(Inner);
    #[derive(Debug)]
    struct Inner(&'static str);
    impl Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("http2 error")
        }
    }
    impl Display for Inner {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    impl std::error::Error for Inner {}

    #[test]
    fn a_goaway_for_too_many_resets_is_recognised_anywhere_in_the_chain() {
        let flood = Wrapper(Inner(
            "connection error detected: detected excessive load generating behavior",
        ));
        assert!(is_http2_flood(&flood));
        assert!(is_http2_flood(&Inner(
            "GoAway(b\"too_many_resets\", ENHANCE_YOUR_CALM, Library)"
        )));
        assert!(!is_http2_flood(&Wrapper(Inner("connection reset by peer"))));
        assert!(!is_http2_flood(&Inner("connection error received: NO_ERROR")));
    }

    /// One HTTP/2 frame: length, type, flags, stream id, payload.
    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
        let mut out = vec![len[1], len[2], len[3], kind, flags];
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// The attack itself, against hyper as the HTTP listeners build it: a client opens
    /// streams and resets each at once. The error the connection ends with is the one
    /// `serve_connection` gets, and it is recognised.
    #[tokio::test]
    async fn a_rapid_reset_against_hyper_ends_the_connection_with_an_error_recognised_as_a_flood() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (server_io, mut client) = tokio::io::duplex(1 << 20);
        let service = hyper::service::service_fn(|_req| async {
            Ok::<_, std::convert::Infallible>(hyper::Response::new(String::new()))
        });
        let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
        let served = tokio::spawn(async move {
            builder
                .serve_connection(hyper_util::rt::TokioIo::new(server_io), service)
                .await
                .err()
        });
        let mut attack = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        attack.extend(frame(0x4, 0, 0, &[]));
        for i in 0..1000u32 {
            let stream = 2 * i + 1;
            // HEADERS (END_STREAM, END_HEADERS): GET, http, / from the static table.
            attack.extend(frame(0x1, 0x5, stream, &[0x82, 0x86, 0x84]));
            // RST_STREAM, CANCEL.
            attack.extend(frame(0x3, 0, stream, &8u32.to_be_bytes()));
        }
        client.write_all(&attack).await.unwrap();
        // Read whatever the server answers until it closes.
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut sink)).await;
        drop(client);
        let ended = tokio::time::timeout(Duration::from_secs(10), served)
            .await
            .expect("the connection ends")
            .unwrap();
        let error = ended.expect("the connection ends with an error");
        // As `serve_connection` has it: hyper's error, whose own text says only
        // "http2 error"; the reason is in its source.
        assert!(is_http2_flood(&*error), "{error:?}");
        assert!(!error.to_string().contains(CALM_TEXT));
    }
}

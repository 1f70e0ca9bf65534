//! One client stream, whatever carries it (RFC 6120 §4–§7; RFC 7395 for WebSocket;
//! XEP-0206 for BOSH): what a transport provides and what the stream logic asks of it.
//!
//! A transport implements [`Connection`] (stream events in, framed text out; TCP in
//! `xmpp::c2s`, WebSocket and BOSH as [`Halves`]); [`serve`] runs a stream on it from
//! the first byte to the end. Each phase (negotiation, the bound session, its ending) is
//! a boxed future of its own, so an idle connection holds only the phase it is in.
//!
//! - [`negotiation`]: stream headers and features, STARTTLS, SASL (RFC 6120 §4.3, §5, §6);
//! - [`bind`]: resource binding (§7), the legacy session request, and XEP-0198 §5
//!   resumption in its place;
//! - [`session`]: the bound session, its reader and writer, and how it ends (detached
//!   when resumable, XEP-0198 §7, or closed);
//! - [`sm`]: XEP-0198 acks on the bound session;
//! - [`framing`]: how each transport writes headers, stanzas, errors and the end;
//! - [`halves`]: the connection WebSocket and BOSH share.
//!
//! Stream errors (RFC 6120 §4.9) are [`StreamError`]s until the writer frames them.

mod bind;
mod framing;
mod halves;
mod negotiation;
mod session;

pub(crate) use framing::{into_client_ns, Framing, FRAMING_NS};
pub(crate) use halves::{Halves, Reads};

use crate::core::Core;
use crate::xml::{Element, StreamEvent, XmlError};
use negotiation::open;
use session::active;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a write may block before the peer counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the last words to a connection taken over by a resumed stream may take: it is
/// most likely dead.
const TAKEOVER_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// When the client last sent anything. Whitespace keepalives only become parser events
/// once the next element starts, so idleness is judged on bytes (or WebSocket frames)
/// received, not on events.
#[derive(Debug, Clone)]
pub(crate) struct Activity {
    base: std::time::Instant,
    last_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Activity {
    pub(crate) fn new() -> Self {
        Activity {
            base: std::time::Instant::now(),
            last_ms: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    pub(crate) fn touch(&self) {
        let now = self.base.elapsed().as_millis() as u64;
        self.last_ms.store(now, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(std::sync::atomic::Ordering::Relaxed));
        self.base.elapsed().saturating_sub(last)
    }
}

/// Reads stream events from a split connection.
pub(crate) trait StreamRead: Send + 'static {
    fn next(&mut self) -> impl Future<Output = Result<StreamEvent, XmlError>> + Send;
    /// The activity clock this reader touches.
    fn activity(&self) -> Activity;
    /// Once the stream is over: takes in what the peer still sends for a bounded time,
    /// so that closing does not reset a connection whose last words are unread.
    fn linger(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Writes frames to a split connection.
pub(crate) trait StreamWrite: Send + 'static {
    /// Writes each frame (one WebSocket message each; concatenated on TCP).
    fn send(&mut self, frames: Vec<String>) -> impl Future<Output = io::Result<()>> + Send;
    fn shutdown(&mut self) -> impl Future<Output = ()> + Send;
}

/// A client connection during negotiation.
pub(crate) trait Connection: StreamRead + StreamWrite + Sized {
    type Read: StreamRead;
    type Write: StreamWrite;
    const FRAMING: Framing;
    fn is_secure(&self) -> bool;
    fn can_starttls(&self) -> bool;
    /// Upgrades to TLS after `<proceed/>` was written.
    fn starttls(&mut self) -> impl Future<Output = Result<(), String>> + Send;
    /// Starts a new stream on the same connection (after SASL success).
    fn restart(&mut self);
    fn peer(&self) -> IpAddr;
    fn split(self) -> (Self::Read, Self::Write);
}

/// Per-listener stream settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub starttls_required: bool,
    pub allow_plain_without_tls: bool,
    pub idle_timeout: Duration,
    pub negotiation_timeout: Duration,
    pub keepalive_interval: Duration,
}

/// Why a stream ends with an error: client streams, component and server streams alike.
#[derive(Debug)]
pub(crate) struct StreamError {
    pub(crate) condition: &'static str,
    pub(crate) text: Option<String>,
    /// An application-specific condition (XEP-0198 `<handled-count-too-high/>`).
    app: Option<Box<Element>>,
}

pub(crate) fn stream_error(condition: &'static str) -> StreamError {
    StreamError {
        condition,
        text: None,
        app: None,
    }
}

impl StreamError {
    pub(crate) fn with_text(condition: &'static str, text: impl Into<String>) -> Self {
        StreamError {
            condition,
            text: Some(text.into()),
            app: None,
        }
    }

    pub(crate) fn frames(&self, framing: Framing) -> Vec<String> {
        framing.error_with(self.condition, self.text.as_deref(), self.app.as_deref())
    }
}

impl From<XmlError> for StreamError {
    fn from(e: XmlError) -> Self {
        StreamError {
            condition: e.stream_condition().unwrap_or("undefined-condition"),
            text: match e {
                XmlError::TooLarge(n) => Some(format!("stanza larger than {n} bytes")),
                _ => None,
            },
            app: None,
        }
    }
}

/// Serves one client stream from its first byte to its end.
///
/// Each phase is boxed: a connection's task holds only the phase it is in, not the
/// largest of them, and an idle session is most of what a server holds. The connection
/// moves from one phase's box into the next; an `async fn` taking it would keep its
/// arguments beside the phase that owns them now, for as long as the stream lasts.
pub(crate) fn serve<C: Connection>(core: Arc<Core>, conn: C, settings: Settings) -> impl Future<Output = ()> + Send {
    let opening = Box::pin(opening(core, conn, settings));
    async move {
        if let Some(bound) = opening.await {
            bound.await;
        }
    }
}

/// Negotiation; the bound session's phase when it ends with one.
async fn opening<C: Connection>(
    core: Arc<Core>,
    mut conn: C,
    settings: Settings,
) -> Option<futures::future::BoxFuture<'static, ()>> {
    let (session, inbox, resumed) = open(&core, &mut conn, &settings).await?;
    Some(active(core, conn, session, inbox, settings, resumed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::Harness;

    /// A connection that never sends anything: for the size of what serves it.
    struct Silent;

    impl StreamRead for Silent {
        async fn next(&mut self) -> Result<StreamEvent, XmlError> {
            std::future::pending().await
        }
        fn activity(&self) -> Activity {
            Activity::new()
        }
    }

    impl StreamWrite for Silent {
        async fn send(&mut self, _frames: Vec<String>) -> io::Result<()> {
            Ok(())
        }
        async fn shutdown(&mut self) {}
    }

    impl Connection for Silent {
        type Read = Silent;
        type Write = Silent;
        const FRAMING: Framing = Framing::Tcp;
        fn is_secure(&self) -> bool {
            false
        }
        fn can_starttls(&self) -> bool {
            false
        }
        async fn starttls(&mut self) -> Result<(), String> {
            Err("no TLS here".into())
        }
        fn restart(&mut self) {}
        fn peer(&self) -> IpAddr {
            IpAddr::from([127, 0, 0, 1])
        }
        fn split(self) -> (Silent, Silent) {
            (Silent, Silent)
        }
    }

    #[tokio::test]
    async fn an_idle_connection_holds_only_the_state_of_the_phase_it_is_in() {
        // Most of a server's connections are idle sessions: what each holds is the
        // future serving it. Unboxed, the phases made it 20 KB (release build); these
        // bounds are about twice what the boxed phases take in a test build.
        let h = Harness::new(&["alice"]).await;
        let settings = Settings {
            starttls_required: false,
            allow_plain_without_tls: true,
            idle_timeout: Duration::from_secs(60),
            negotiation_timeout: Duration::from_secs(60),
            keepalive_interval: Duration::from_secs(60),
        };
        let serving = serve(h.core.clone(), Silent, settings.clone());
        let (session, inbox) = h.bind("alice@localhost/idle").into_parts();
        let bound = active(h.core.clone(), Silent, session, inbox, settings, None);
        assert!(
            std::mem::size_of_val(&serving) <= 1024,
            "serve: {} bytes",
            std::mem::size_of_val(&serving)
        );
        assert!(
            std::mem::size_of_val(&*bound) <= 4096,
            "active: {} bytes",
            std::mem::size_of_val(&*bound)
        );
    }
}

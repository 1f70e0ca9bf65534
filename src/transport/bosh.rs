//! The hand-over of BOSH requests (XEP-0124): the HTTP door checks the method, the
//! origin and the body size, and hands each request body to a [`BoshService`], which
//! answers with the `<body/>` wrapper to send back. The XMPP door implements one for
//! XEP-0206; the composition root connects the two.

use bytes::Bytes;
use futures::future::BoxFuture;
use std::net::IpAddr;

/// Where a request came from, and the caps of the listener it came through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoshPeer {
    pub addr: IpAddr,
    /// Whether it arrived over TLS (`https://`).
    pub secure: bool,
    /// BOSH sessions one address may have at once (the listener's
    /// `max_connections_per_ip`: a session stands for the connection it replaces).
    pub max_sessions_per_ip: usize,
    /// BOSH sessions the listener may carry at once (its `max_connections`).
    pub max_sessions: usize,
}

/// Serves the `<body/>` wrappers of BOSH sessions.
pub(crate) trait BoshService: Send + Sync + 'static {
    /// Answers one request body with the body of the `200` response (`text/xml`). The
    /// future may take up to the session's `wait` to complete: it is a held request.
    fn request(&self, body: Bytes, peer: BoshPeer) -> BoxFuture<'static, String>;
}

//! Server-to-server streams (RFC 6120, `[[listen.s2s]]` and `[s2s]`): the door other
//! servers come in by, and the one this server goes out by. It moves bytes, secures and
//! authenticates streams; what may be sent where, the queues and the retries are the
//! core's (`crate::core::s2s`).
//!
//! - `incoming`: streams other servers open here. STARTTLS (or TLS from the first byte),
//!   then each domain pair is authenticated by SASL EXTERNAL (RFC 6120 §6.4, XEP-0178)
//!   when the peer's certificate verifies for its domain, or by Server Dialback (XEP-0220;
//!   at once, without the callback, when the certificate verifies: XEP-0344 §2.4). A
//!   stream may authenticate several pairs (multiplexing). `<db:verify/>` requests for
//!   streams this server opened are answered on any stream, authenticated or not.
//! - `outgoing`: the core's [`Dialer`]: resolve (`resolve`), connect, STARTTLS,
//!   authenticate (EXTERNAL when offered and accepted, else dialback), then an
//!   [`Outbound`] the core writes to. Also the callback half of dialback: asking another
//!   server's authoritative server whether a key it sent is right.
//! - `protocol`: the elements (headers, features, dialback), without I/O; `tls`: the
//!   certificates; `wire`: one connection's bytes.
//!
//! `use_starttls` decides for both directions: `false` (never TLS), `optional` (when
//! offered), `required` (TLS always; dialback authenticates domains whose certificate
//! does not verify), `required_trusted` (TLS always, and a domain is authenticated only
//! by a certificate that verifies for it).

mod incoming;
mod outgoing;
pub(crate) mod protocol;
pub(crate) mod resolve;
pub(crate) mod tls;
mod wire;

use crate::config::{Config, S2sListener, S2sTlsMode, UseStarttls};
use crate::core::s2s::{DialError, Dialer, Outbound};
use crate::core::Core;
use async_trait::async_trait;
use resolve::Resolver;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// What both directions share: the core, TLS, how peers are found.
pub(crate) struct S2sDoor {
    core: Arc<Core>,
    use_starttls: UseStarttls,
    /// `None` with `use_starttls = "false"`.
    tls: Option<tls::Contexts>,
    resolver: Resolver,
    connection_timeout: Duration,
    /// Bounds a whole dial (or a dialback callback), as the core's.
    dial_timeout: Duration,
}

impl S2sDoor {
    /// Builds the door from `[s2s]`; the certificate is `[s2s] certfile`, else the first
    /// c2s listener's, else the generated one.
    pub(crate) fn new(core: Arc<Core>, config: &Config) -> Result<Arc<Self>, String> {
        let s = config.s2s.clone().unwrap_or_default();
        let tls = match s.use_starttls {
            UseStarttls::False => None,
            _ => Some(contexts(config, None)?),
        };
        let routes = s
            .outgoing
            .address
            .iter()
            .map(|a| {
                (
                    crate::core::jid::parse(&a.host)
                        .map(|j| j.domain().as_str().to_owned())
                        .unwrap_or_else(|_| a.host.to_lowercase()),
                    resolve::StaticRoute {
                        host: a.host.clone(),
                        ip: a.ip_address,
                        port: a.port,
                        direct_tls: a.tls,
                    },
                )
            })
            .collect();
        let resolver = Resolver::new(
            resolve::DnsSettings {
                timeout: Duration::from_secs(s.dns.timeout),
                retries: s.dns.retries,
                port: s.outgoing.port,
                nameservers: None,
            },
            routes,
        )
        .map_err(|e| format!("DNS: {e}"))?;
        Ok(Arc::new(S2sDoor {
            core,
            use_starttls: s.use_starttls,
            tls,
            resolver,
            connection_timeout: Duration::from_millis(s.outgoing.connection_timeout),
            dial_timeout: s.dial_timeout(),
        }))
    }

    /// Starts federation: the core sends to other servers through this door.
    pub(crate) fn start(self: &Arc<Self>) {
        self.core.federate(Arc::new(Connector(self.clone())));
    }

    fn tls_required(&self) -> bool {
        matches!(self.use_starttls, UseStarttls::Required | UseStarttls::RequiredTrusted)
    }
}

/// The TLS contexts for `[s2s]`, or for one listener naming its own certificate.
fn contexts(config: &Config, listener: Option<&S2sListener>) -> Result<tls::Contexts, String> {
    let s = config.s2s.clone().unwrap_or_default();
    let c2s = config.listen.c2s.first().map(|l| &l.tls);
    let (certfile, keyfile) = match listener.and_then(|l| l.tls.certfile.clone()) {
        Some(c) => (Some(c), listener.and_then(|l| l.tls.keyfile.clone())),
        None => match &s.certfile {
            Some(c) => (Some(c.clone()), s.keyfile.clone()),
            None => (
                c2s.and_then(|t| t.certfile.clone()),
                c2s.and_then(|t| t.keyfile.clone()),
            ),
        },
    };
    let (chain, key) = match (&certfile, &keyfile) {
        // A certfile alone holds its key too (MongooseIM's format).
        (Some(c), None) => {
            let pem = std::fs::read(c).map_err(|e| format!("cannot read {}: {e}", c.display()))?;
            (pem.clone(), pem)
        }
        _ => crate::transport::tls::CertSource::new(
            certfile.as_deref(),
            keyfile.as_deref(),
            &config.general.data_dir,
            &config.general.hosts[0],
        )
        .load_pem()
        .map_err(|e| e.to_string())?,
    };
    tls::Contexts::new(&chain, &key, s.cacertfile.as_deref())
}

/// The core's way out.
struct Connector(Arc<S2sDoor>);

#[async_trait]
impl Dialer for Connector {
    async fn dial(&self, local: &str, remote: &str) -> Result<Box<dyn Outbound>, DialError> {
        outgoing::dial(&self.0, local, remote).await
    }
}

/// Binds one `[[listen.s2s]]`; the returned future serves it forever.
pub(crate) async fn bind(
    door: Arc<S2sDoor>,
    config: &Config,
    listener: &S2sListener,
) -> Result<(SocketAddr, impl std::future::Future<Output = ()>), String> {
    let tls = match (&door.tls, listener.tls.certfile.is_some()) {
        (None, _) if listener.tls.mode == S2sTlsMode::Tls => {
            return Err("tls.mode = \"tls\" needs [s2s] use_starttls other than \"false\"".into())
        }
        (None, _) => None,
        (Some(_), true) => Some(Arc::new(contexts(config, Some(listener))?)),
        (Some(_), false) => None,
    };
    let settings = incoming::Settings {
        direct_tls: listener.tls.mode == S2sTlsMode::Tls,
        own_tls: tls,
        negotiation_timeout: Duration::from_secs(listener.negotiation_timeout),
        idle_timeout: Duration::from_secs(listener.idle_timeout),
        limits: wire::Limits {
            max_stanza: listener.max_stanza_size,
            max_rate: config.shaper_rate(listener.shaper.as_deref()),
        },
    };
    let caps = crate::transport::listener::Caps {
        max_connections: listener.max_connections,
        max_per_address: listener.max_connections_per_ip,
    };
    let settings = Arc::new(settings);
    crate::transport::listener::bind(listener.addr(), caps, move |socket, peer| {
        incoming::serve(door.clone(), settings.clone(), socket, peer)
    })
    .await
}

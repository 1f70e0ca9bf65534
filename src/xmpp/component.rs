//! External components over TCP (`[[listen.service]]`, XEP-0114 Jabber Component
//! Protocol). This door moves bytes; what a handshake proves, who owns a domain and where
//! a stanza goes are the core's (`crate::core::routing::component`).
//!
//! The exchange (XEP-0114 §3):
//!
//! 1. The component opens `<stream:stream xmlns='jabber:component:accept' to='DOMAIN'>`.
//!    Another namespace: `<invalid-namespace/>`. No `to`, a `to` that is not a bare
//!    domain, or a domain this server serves itself (a host, a service's domain):
//!    `<host-unknown/>`.
//! 2. The server answers with its header, carrying a fresh stream `id`.
//! 3. The component sends `<handshake>hex(SHA-1(id ‖ secret))</handshake>`. Anything
//!    else, or a wrong digest: `<not-authorized/>`. An address (or a domain from it) that
//!    failed too often lately: `<policy-violation/>`, digest unchecked. A domain already
//!    connected: `<conflict/>` (or the old connection gets it, with `kick_old`).
//! 4. `<handshake/>`: connected. Stanzas then flow both ways in `jabber:component:accept`
//!    on the wire, `jabber:client` inside the server.
//!
//! The whole negotiation must fit in `negotiation_timeout`; the stream reader applies the
//! same strict XML rules and size limit as client streams; the accept loop the same
//! connection caps.

use super::c2s::{Conn, Touching};
use super::stream::{into_client_ns, stream_error, Activity, Framing, StreamError};
use crate::config::{Config, ConflictBehaviour, ServiceListener};
use crate::core::routing::component::{self, Component, ComponentInbox, ComponentOptions, HandshakeError};
use crate::core::routing::router::{AttachError, OnConflict};
use crate::core::session::Kick;
use crate::core::stanza::ns;
use crate::core::Core;
use crate::transport::shaper::Shaped;
use crate::xml::{escape_attr, Element, StreamEvent, XmlError, XmlReader};
use rand::Rng;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// The stream namespace of a component connecting to a server (XEP-0114 §2).
pub(crate) const COMPONENT_NS: &str = "jabber:component:accept";
/// How long a write may block before the component counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Stanzas written in one go when several are queued.
const WRITE_BATCH: usize = 64;
/// How long, and how much, a closing stream reads of what the component still sends.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1 << 20;

type Reader = XmlReader<Touching>;
type Writer = WriteHalf<Conn>;

/// What one listener's connections share.
#[derive(Clone)]
struct Settings {
    secret: Arc<str>,
    options: ComponentOptions,
    negotiation_timeout: Duration,
    idle_timeout: Duration,
    keepalive_interval: Duration,
    max_stanza: usize,
    max_rate: Option<u64>,
}

/// Binds one `[[listen.service]]`; the returned future serves it forever.
pub(crate) async fn bind(
    core: Arc<Core>,
    config: &Config,
    listener: &ServiceListener,
) -> Result<(SocketAddr, impl std::future::Future<Output = ()>), String> {
    let settings = Settings {
        secret: Arc::from(listener.password.as_str()),
        options: ComponentOptions {
            check_from: listener.check_from,
            hidden: listener.hidden_components,
            on_conflict: match listener.conflict_behaviour {
                ConflictBehaviour::Disconnect => OnConflict::Refuse,
                ConflictBehaviour::KickOld => OnConflict::Replace,
            },
            queue_len: listener.max_fsm_queue,
            queue_bytes: listener.max_queue_bytes,
        },
        negotiation_timeout: Duration::from_secs(listener.negotiation_timeout),
        idle_timeout: Duration::from_secs(listener.idle_timeout),
        keepalive_interval: Duration::from_secs(listener.keepalive_interval),
        max_stanza: listener.max_stanza_size,
        max_rate: config.shaper_rate(listener.shaper_rule.as_deref()),
    };
    let caps = crate::transport::listener::Caps {
        max_connections: listener.max_connections,
        max_per_address: listener.max_connections_per_ip,
    };
    crate::transport::listener::bind(listener.addr(), caps, move |socket, peer| {
        serve(core.clone(), socket, peer, settings.clone())
    })
    .await
}

/// The server's stream header for a component stream.
fn header(id: &str, from: &str) -> String {
    let mut from_attr = String::new();
    escape_attr(from, &mut from_attr);
    format!(
        "<?xml version='1.0'?><stream:stream xmlns='{COMPONENT_NS}' xmlns:stream='{}' id='{id}' from='{from_attr}'>",
        ns::STREAM
    )
}

fn new_id() -> String {
    let bytes: [u8; 12] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn write(writer: &mut Writer, text: &str) -> std::io::Result<()> {
    tokio::time::timeout(WRITE_TIMEOUT, async {
        writer.write_all(text.as_bytes()).await?;
        writer.flush().await
    })
    .await
    .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

enum Negotiated {
    /// The component closed its stream before the handshake.
    Closed,
    /// The connection went away.
    Gone,
    Connected(Arc<Component>, ComponentInbox),
}

/// Serves one component connection from its first byte to its end.
async fn serve(core: Arc<Core>, socket: TcpStream, peer: SocketAddr, settings: Settings) {
    let (r, mut writer) = tokio::io::split(Conn::Plain(socket));
    let activity = Activity::new();
    let mut reader = XmlReader::new(
        Touching::new(Shaped::new(r, settings.max_rate), activity.clone()),
        settings.max_stanza,
    );
    let mut header_sent = false;
    let deadline = Instant::now() + settings.negotiation_timeout;
    let negotiation = negotiate(&core, &mut reader, &mut writer, peer.ip(), &settings, &mut header_sent);
    let ending = match tokio::time::timeout_at(deadline, negotiation).await {
        Ok(Ok(Negotiated::Connected(component, inbox))) => {
            return active(core, reader, writer, component, inbox, &settings, activity).await
        }
        Ok(Ok(Negotiated::Gone)) => return,
        Ok(Ok(Negotiated::Closed)) => None,
        Ok(Err(f)) => Some(f),
        Err(_) => Some(stream_error("connection-timeout")),
    };
    let mut out = String::new();
    if !header_sent {
        // RFC 6120 §4.9.1.1: an error before our header still opens the stream first.
        out.push_str(&header(&new_id(), core.default_host()));
    }
    match &ending {
        Some(f) => {
            tracing::debug!(%peer, condition = f.condition, "component stream refused");
            out.push_str(&f.frames(Framing::Tcp).concat());
        }
        None => out.push_str(&Framing::Tcp.close()),
    }
    let _ = write(&mut writer, &out).await;
    let _ = writer.shutdown().await;
    reader.linger(LINGER_BYTES, LINGER_TIME).await;
}

/// The next element of the stream, skipping keepalives; `Ok(None)` when the component
/// closed its stream.
async fn next_element(reader: &mut Reader) -> Result<Option<Element>, Option<StreamError>> {
    loop {
        match reader.next().await {
            Ok(StreamEvent::Stanza(el)) => return Ok(Some(el)),
            Ok(StreamEvent::KeepAlive) => continue,
            Ok(StreamEvent::Close) => return Ok(None),
            Ok(StreamEvent::Open(_)) => return Err(Some(stream_error("not-well-formed"))),
            Err(XmlError::Eof | XmlError::Io(_)) => return Err(None),
            Err(e) => return Err(Some(e.into())),
        }
    }
}

/// The domain a component's stream header asks for, prepped; `None` unless it is a bare
/// domain.
fn requested_domain(open: &Element) -> Option<String> {
    let jid = crate::core::jid::parse(open.attr("to")?).ok()?;
    (jid.node().is_none() && jid.resource().is_none()).then(|| jid.domain().as_str().to_owned())
}

async fn negotiate(
    core: &Core,
    reader: &mut Reader,
    writer: &mut Writer,
    peer: IpAddr,
    settings: &Settings,
    header_sent: &mut bool,
) -> Result<Negotiated, StreamError> {
    let open = loop {
        match reader.next().await {
            Ok(StreamEvent::Open(open)) => break open,
            Ok(StreamEvent::KeepAlive) => continue,
            Ok(_) => return Err(stream_error("not-well-formed")),
            Err(XmlError::Eof | XmlError::Io(_)) => return Ok(Negotiated::Gone),
            Err(e) => return Err(e.into()),
        }
    };
    if open.attr("xmlns") != Some(COMPONENT_NS) {
        return Err(stream_error("invalid-namespace"));
    }
    let domain = requested_domain(&open)
        .filter(|d| component::claimable(core, d))
        .ok_or_else(|| stream_error("host-unknown"))?;
    let id = new_id();
    *header_sent = true;
    if write(writer, &header(&id, &domain)).await.is_err() {
        return Ok(Negotiated::Gone);
    }
    let handshake = match next_element(reader).await {
        Ok(Some(el)) => el,
        Ok(None) => return Ok(Negotiated::Closed),
        Err(None) => return Ok(Negotiated::Gone),
        Err(Some(f)) => return Err(f),
    };
    if !handshake.is("handshake", COMPONENT_NS) {
        return Err(stream_error("not-authorized"));
    }
    match component::authenticate(core, peer, &domain, &id, &settings.secret, &handshake.text()) {
        Ok(()) => {}
        Err(HandshakeError::NotAuthorized) => {
            tracing::info!(%peer, domain, "component handshake failed");
            return Err(stream_error("not-authorized"));
        }
        Err(e @ HandshakeError::Throttled(_)) => return Err(StreamError::with_text("policy-violation", e.to_string())),
    }
    let (component, inbox) = match component::connect(core, &domain, settings.options) {
        Ok(connected) => connected,
        Err(AttachError::Served) => return Err(stream_error("host-unknown")),
        Err(AttachError::Taken) => {
            return Err(StreamError::with_text(
                "conflict",
                format!("a component for {domain} is connected already"),
            ))
        }
    };
    if write(writer, "<handshake/>").await.is_err() {
        component::disconnect(core, &component);
        return Ok(Negotiated::Gone);
    }
    Ok(Negotiated::Connected(component, inbox))
}

/// How the connected stream ended, and so what the writer sends last.
#[derive(Debug)]
enum Ending {
    ComponentClosed,
    Gone,
    Error(StreamError),
    Kicked(Kick),
}

async fn active(
    core: Arc<Core>,
    mut reader: Reader,
    writer: Writer,
    component: Arc<Component>,
    inbox: ComponentInbox,
    settings: &Settings,
    activity: Activity,
) {
    let (end_tx, end_rx) = oneshot::channel();
    let writer = tokio::spawn(write_loop(
        writer,
        inbox,
        component.clone(),
        end_rx,
        settings.keepalive_interval,
    ));
    let ending = read_loop(&core, &mut reader, &component, settings.idle_timeout, &activity).await;
    component::disconnect(&core, &component);
    tracing::debug!(domain = %component.domain, ?ending, "component stream ended");
    let _ = end_tx.send(ending);
    let _ = writer.await;
    reader.linger(LINGER_BYTES, LINGER_TIME).await;
}

async fn read_loop(
    core: &Arc<Core>,
    reader: &mut Reader,
    component: &Arc<Component>,
    idle: Duration,
    activity: &Activity,
) -> Ending {
    activity.touch();
    loop {
        let next = reader.next();
        tokio::pin!(next);
        // The read is never cancelled while the stream goes on: the idle check re-arms
        // around it, and only a kick or a real timeout abandons it.
        let event = loop {
            let left = idle.saturating_sub(activity.idle_for());
            tokio::select! {
                kick = component.kicked() => return Ending::Kicked(kick),
                event = &mut next => break event,
                _ = tokio::time::sleep(left) => {
                    if activity.idle_for() >= idle {
                        return Ending::Error(stream_error("connection-timeout"));
                    }
                }
            }
        };
        let mut stanza = match event {
            Ok(StreamEvent::Stanza(el)) => el,
            Ok(StreamEvent::KeepAlive) => continue,
            Ok(StreamEvent::Close) => return Ending::ComponentClosed,
            Ok(StreamEvent::Open(_)) => return Ending::Error(stream_error("not-well-formed")),
            Err(XmlError::Eof | XmlError::Io(_)) => return Ending::Gone,
            Err(e) => return Ending::Error(e.into()),
        };
        let known_ns = stanza.ns == COMPONENT_NS || stanza.ns == ns::CLIENT;
        if !known_ns || !matches!(stanza.name.as_str(), "message" | "presence" | "iq") {
            return Ending::Error(stream_error("unsupported-stanza-type"));
        }
        into_client_ns(&mut stanza, COMPONENT_NS);
        if let Err(violation) = component::from_component(core, component, stanza).await {
            return Ending::Error(StreamError::with_text(violation.condition(), violation.to_string()));
        }
    }
}

async fn write_loop(
    mut writer: Writer,
    mut inbox: ComponentInbox,
    component: Arc<Component>,
    mut end_rx: oneshot::Receiver<Ending>,
    keepalive: Duration,
) {
    let framing = Framing::Tcp;
    let last = loop {
        tokio::select! {
            biased;
            ending = &mut end_rx => {
                break match ending {
                    Ok(Ending::Error(e)) => e.frames(framing).concat(),
                    Ok(Ending::Kicked(k)) => framing.error(k.condition(), None).concat(),
                    Ok(Ending::ComponentClosed) => framing.close(),
                    Ok(Ending::Gone) | Err(_) => String::new(),
                };
            }
            kick = component.kicked() => break framing.error(kick.condition(), None).concat(),
            first = inbox.recv() => {
                let Some(first) = first else { break String::new() };
                let mut out = framing.stanza(&first);
                let mut batched = 1;
                while batched < WRITE_BATCH {
                    match inbox.try_recv() {
                        Some(el) => out.push_str(&framing.stanza(&el)),
                        None => break,
                    }
                    batched += 1;
                }
                if write(&mut writer, &out).await.is_err() {
                    component.kick(Kick::TooSlow);
                    break String::new();
                }
            }
            _ = tokio::time::sleep(keepalive) => {
                let _ = write(&mut writer, " ").await;
            }
        }
    };
    if !last.is_empty() {
        let _ = write(&mut writer, &last).await;
    }
    let _ = writer.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    #[test]
    fn the_header_declares_the_component_namespace_and_the_stream_id() {
        let h = header("abc123", "echo.localhost");
        assert_eq!(
            h,
            "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' \
             xmlns:stream='http://etherx.jabber.org/streams' id='abc123' from='echo.localhost'>"
        );
    }

    #[test]
    fn a_stanza_from_the_wire_is_moved_into_the_client_namespace_payloads_kept() {
        let mut el = parse_element(
            "<message xmlns='jabber:component:accept' to='a@localhost'><body>hi</body>\
             <x xmlns='jabber:x:data'><field/></x></message>",
        )
        .unwrap();
        into_client_ns(&mut el, COMPONENT_NS);
        assert_eq!(el.ns, ns::CLIENT);
        assert_eq!(el.child("body", ns::CLIENT).map(|b| b.text()).as_deref(), Some("hi"));
        assert!(el
            .child("x", "jabber:x:data")
            .and_then(|x| x.child("field", "jabber:x:data"))
            .is_some());
        // And back on the wire: no namespace declared, so the stream's applies.
        assert_eq!(
            Framing::Tcp.stanza(&el),
            "<message to='a@localhost'><body>hi</body><x xmlns='jabber:x:data'><field/></x></message>"
        );
    }

    #[test]
    fn only_a_bare_domain_can_be_asked_for() {
        let open = |to: &str| Element::new("stream", ns::STREAM).with_attr("to", to);
        assert_eq!(
            requested_domain(&open("Echo.LocalHost.")).as_deref(),
            Some("echo.localhost")
        );
        assert_eq!(requested_domain(&open("bot@echo.localhost")), None);
        assert_eq!(requested_domain(&open("echo.localhost/r")), None);
        assert_eq!(requested_domain(&open("")), None);
        assert_eq!(requested_domain(&Element::new("stream", ns::STREAM)), None);
    }
}

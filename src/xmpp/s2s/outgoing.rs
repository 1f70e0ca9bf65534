//! Streams this server opens to others (RFC 6120 §3.2, §4–§6; XEP-0220; XEP-0368).
//!
//! [`dial`]: the remote domain's addresses in order (`resolve`), the first that accepts
//! a TCP connection within `outgoing.connection_timeout`; TLS from the first byte for an
//! `_xmpps-server` target, else STARTTLS when offered (required by `use_starttls`
//! `required` and `required_trusted`; a peer requiring TLS with `false` is given up).
//! Then SASL EXTERNAL when offered, else (or when refused) Server Dialback: our
//! `<db:result/>` with the key for the peer's stream id, and the peer's `type='valid'`.
//! `required_trusted` also gives up a peer whose certificate does not verify for its
//! domain. The stream that comes out is written by the core; a task reads it only to
//! notice when the peer closes it.
//!
//! [`verify_key`]: the callback of dialback, for a key another server sent here: a
//! stream to its authoritative server, `<db:verify/>`, the answer.

use super::protocol::{self, DIALBACK_NS, SERVER_NS};
use super::wire::{self, Conn, Limits, Wire};
use super::S2sDoor;
use crate::config::UseStarttls;
use crate::core::s2s::{DialError, Outbound};
use crate::core::stanza::ns;
use crate::xml::{Element, StreamEvent};
use crate::xmpp::stream::Framing;
use async_trait::async_trait;
use base64::Engine;
use tokio::net::TcpStream;
use tokio::sync::watch;

/// What a stream to another server may receive: control elements only, or stanzas
/// sent on it by mistake; nothing big.
const LIMITS: Limits = Limits {
    max_stanza: 64 * 1024,
    max_rate: None,
};

fn failed(text: impl Into<String>) -> DialError {
    DialError::Failed(text.into())
}

/// A TCP connection (TLS too, for a direct-TLS target) to the server of `remote`.
async fn connect(door: &S2sDoor, remote: &str) -> Result<Wire, DialError> {
    let targets = door.resolver.targets(remote).await.map_err(|e| {
        if e.is_timeout() {
            failed(format!("resolving {remote}: {e}"))
        } else {
            DialError::NotFound(format!("resolving {remote}: {e}"))
        }
    })?;
    let mut errors = Vec::new();
    for t in targets {
        let tcp = match tokio::time::timeout(door.connection_timeout, TcpStream::connect(t.addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                errors.push(format!("{}: {e}", t.addr));
                continue;
            }
            Err(_) => {
                errors.push(format!("{}: no answer in time", t.addr));
                continue;
            }
        };
        if !t.direct_tls {
            return Ok(Wire::new(Conn::Plain(tcp), LIMITS, None));
        }
        let Some(tls) = &door.tls else {
            errors.push(format!("{}: TLS from the first byte, and TLS is off here", t.addr));
            continue;
        };
        match tokio::time::timeout(wire::TLS_TIMEOUT, tls.connect(tcp, remote)).await {
            Ok(Ok((stream, cert))) => return Ok(Wire::new(Conn::Tls(Box::new(stream)), LIMITS, Some(cert))),
            Ok(Err(e)) => errors.push(format!("{}: {e}", t.addr)),
            Err(_) => errors.push(format!("{}: the TLS handshake timed out", t.addr)),
        }
    }
    Err(DialError::NotFound(format!(
        "no address of {remote} could be reached ({})",
        errors.join("; ")
    )))
}

/// The next element of the peer's stream; a stream error or its end is a failure.
async fn next_element(wire: &mut Wire, remote: &str) -> Result<Element, DialError> {
    match wire.next_element().await {
        Ok(Some(el)) if el.is("error", ns::STREAM) => {
            let condition = el.elements().next().map(|c| c.name.clone()).unwrap_or_default();
            Err(failed(format!("{remote} ended the stream: {condition}")))
        }
        Ok(Some(el)) => Ok(el),
        Ok(None) => Err(failed(format!("{remote} closed the stream"))),
        Err(e) => Err(failed(format!("reading from {remote}: {e}"))),
    }
}

/// Sends our header, reads the peer's and its features: (stream id, features).
async fn open_stream(wire: &mut Wire, local: &str, remote: &str) -> Result<(String, Element), DialError> {
    wire.send(&protocol::header(local, Some(remote), None))
        .await
        .map_err(|e| failed(format!("writing to {remote}: {e}")))?;
    let header = loop {
        match wire.next().await {
            Ok(StreamEvent::Open(h)) => break h,
            Ok(StreamEvent::KeepAlive) => continue,
            Ok(_) => return Err(failed(format!("{remote} sent no stream header"))),
            Err(e) => return Err(failed(format!("reading from {remote}: {e}"))),
        }
    };
    if header.attr("xmlns") != Some(SERVER_NS) {
        return Err(failed(format!("{remote} answered outside jabber:server")));
    }
    let id = header
        .attr("id")
        .ok_or_else(|| failed(format!("{remote} gave its stream no id")))?
        .to_owned();
    let features = next_element(wire, remote).await?;
    if !features.is("features", ns::STREAM) {
        return Err(failed(format!("{remote} sent no stream features")));
    }
    Ok((id, features))
}

/// Opens a stream and secures it as `use_starttls` says: (stream id, features).
async fn secured(door: &S2sDoor, wire: &mut Wire, local: &str, remote: &str) -> Result<(String, Element), DialError> {
    let (mut id, mut features) = open_stream(wire, local, remote).await?;
    if !wire.is_secure() {
        match (protocol::offers_starttls(&features), &door.tls) {
            (Some(_), Some(tls)) => {
                wire.send(&format!("<starttls xmlns='{}'/>", ns::TLS))
                    .await
                    .map_err(|e| failed(format!("writing to {remote}: {e}")))?;
                let answer = next_element(wire, remote).await?;
                if !answer.is("proceed", ns::TLS) {
                    return Err(failed(format!("{remote} refused STARTTLS")));
                }
                wire.connect_tls(tls, remote).await.map_err(failed)?;
                (id, features) = open_stream(wire, local, remote).await?;
            }
            (Some(true), None) => return Err(failed(format!("{remote} requires TLS, which is off here"))),
            (_, _) if door.tls_required() => return Err(failed(format!("{remote} offers no TLS"))),
            _ => {}
        }
    }
    if door.use_starttls == UseStarttls::RequiredTrusted && !wire.cert.as_ref().is_some_and(|c| c.verifies_for(remote))
    {
        return Err(failed(format!("the certificate of {remote} does not verify for it")));
    }
    Ok((id, features))
}

/// A stream from `local` to `remote`, secured and authenticated.
pub(super) async fn dial(door: &S2sDoor, local: &str, remote: &str) -> Result<Box<dyn Outbound>, DialError> {
    let mut wire = connect(door, remote).await?;
    let (id, features) = secured(door, &mut wire, local, remote).await?;
    if wire.is_secure() && protocol::offers_external(&features) {
        let authzid = base64::engine::general_purpose::STANDARD.encode(local);
        wire.send(&format!(
            "<auth xmlns='{}' mechanism='EXTERNAL'>{authzid}</auth>",
            ns::SASL
        ))
        .await
        .map_err(|e| failed(format!("writing to {remote}: {e}")))?;
        let answer = next_element(&mut wire, remote).await?;
        if answer.is("success", ns::SASL) {
            wire.restart();
            open_stream(&mut wire, local, remote).await?;
            tracing::debug!(local, remote, "s2s stream authenticated by certificate");
            return Ok(Box::new(Stream::start(wire)));
        }
        tracing::debug!(local, remote, "SASL EXTERNAL refused; trying dialback");
    }
    let key = door
        .core
        .s2s()
        .map(|s| s.dialback_key(remote, local, &id))
        .ok_or_else(|| failed("federation is off"))?;
    wire.send(&protocol::dialback_xml(&protocol::result(
        local,
        remote,
        Some(&key),
        None,
    )))
    .await
    .map_err(|e| failed(format!("writing to {remote}: {e}")))?;
    loop {
        let el = next_element(&mut wire, remote).await?;
        if !el.is("result", DIALBACK_NS) {
            continue;
        }
        match el.attr("type") {
            Some("valid") => {
                tracing::debug!(local, remote, "s2s stream authenticated by dialback");
                return Ok(Box::new(Stream::start(wire)));
            }
            Some(other) => return Err(failed(format!("{remote} answered dialback with '{other}'"))),
            None => continue,
        }
    }
}

/// Asks the authoritative server of `remote` whether `key`, sent here on our stream
/// `stream_id` for the pair (`remote`, `local`), is right.
pub(super) async fn verify_key(
    door: &S2sDoor,
    remote: &str,
    local: &str,
    stream_id: &str,
    key: &str,
) -> Result<bool, DialError> {
    let ask = async {
        let mut wire = connect(door, remote).await?;
        secured(door, &mut wire, local, remote).await?;
        let request = protocol::verify(local, remote, stream_id, Some(key), None);
        wire.send(&protocol::dialback_xml(&request))
            .await
            .map_err(|e| failed(format!("writing to {remote}: {e}")))?;
        let valid = loop {
            let el = next_element(&mut wire, remote).await?;
            if el.is("verify", DIALBACK_NS) && el.attr("id") == Some(stream_id) {
                break el.attr("type") == Some("valid");
            }
        };
        wire.finish(&Framing::Tcp.close()).await;
        Ok(valid)
    };
    tokio::time::timeout(door.dial_timeout, ask)
        .await
        .unwrap_or_else(|_| Err(failed(format!("{remote} did not answer the dialback check in time"))))
}

/// An authenticated outgoing stream.
struct Stream {
    writer: wire::Writer,
    /// Turns true when the peer closed the stream or the connection broke.
    closed: watch::Receiver<bool>,
    reading: tokio::task::JoinHandle<()>,
}

impl Stream {
    fn start(wire: Wire) -> Self {
        let (mut reader, writer) = wire.split();
        let (tx, closed) = watch::channel(false);
        let reading = tokio::spawn(async move {
            // Only whitespace and stray elements are expected; the end matters.
            while let Ok(StreamEvent::Stanza(_) | StreamEvent::KeepAlive) = reader.next().await {}
            let _ = tx.send(true);
        });
        Stream {
            writer,
            closed,
            reading,
        }
    }
}

#[async_trait]
impl Outbound for Stream {
    async fn send(&mut self, stanzas: &[Element]) -> std::io::Result<()> {
        let mut out = String::new();
        for s in stanzas {
            // In jabber:client inside the server: written without a namespace, the
            // stream's jabber:server applies.
            out.push_str(&Framing::Tcp.stanza(s));
        }
        wire::write(&mut self.writer, &out).await
    }

    async fn closed(&mut self) {
        let _ = self.closed.wait_for(|c| *c).await;
    }

    async fn close(mut self: Box<Self>) {
        let _ = wire::write(&mut self.writer, &Framing::Tcp.close()).await;
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut self.writer).await;
        self.reading.abort();
    }
}

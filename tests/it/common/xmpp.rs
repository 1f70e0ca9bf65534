//! XMPP clients for the tests, from the xmpp-rs project's `tokio-xmpp` (driven as
//! [`super::xmpp_client`] explains): a connector that
//! dials the test server's own port (no DNS) and trusts its self-signed certificate, plus
//! helpers for logging in and waiting for stanzas.

pub use super::xmpp_client::Client;
use super::TestServer;
use futures::{SinkExt, StreamExt};
use sasl::common::{ChannelBinding, Credentials};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::BufStream;
use tokio::net::TcpStream;
use tokio_rustls::rustls::{
    self,
    pki_types::{pem::PemObject, CertificateDer, ServerName},
};
use tokio_rustls::TlsConnector;
pub use tokio_xmpp::parsers::jid::{FullJid, Jid};
use tokio_xmpp::{
    connect::{AsyncReadAndWrite, ServerConnector},
    parsers::{ns, starttls, stream_features::StreamFeatures},
    xmlstream::{
        initiate_stream, FallibleStreamElement, PendingFeaturesRecv, ReadError, StreamHeader, Timeouts, XmppStream,
        XmppStreamElement,
    },
    Error, Event, Stanza,
};

pub type BoxStream = Box<dyn AsyncReadAndWrite + Send + 'static>;
pub type RawStream = XmppStream<BoxStream>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// No TLS at all.
    PlainTcp,
    StartTls,
    DirectTls,
}

#[derive(Clone)]
pub struct TestConnector {
    pub addr: SocketAddr,
    pub transport: Transport,
    pub tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for TestConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestConnector({} {:?})", self.addr, self.transport)
    }
}

fn io_err(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> std::io::Error {
    std::io::Error::other(e)
}

fn header(domain: &str) -> StreamHeader<'_> {
    StreamHeader {
        to: Some(Cow::Borrowed(domain)),
        from: None,
        id: None,
    }
}

impl TestConnector {
    async fn tls_handshake(&self, tcp: TcpStream, domain: &str) -> Result<BoxStream, Error> {
        let name = ServerName::try_from(domain.to_owned()).map_err(io_err)?;
        let tls = TlsConnector::from(self.tls.clone()).connect(name, tcp).await?;
        Ok(Box::new(BufStream::new(tls)))
    }
}

impl ServerConnector for TestConnector {
    type Stream = BoxStream;

    async fn connect(
        &self,
        jid: &Jid,
        ns: &'static str,
        timeouts: Timeouts,
    ) -> Result<(PendingFeaturesRecv<BoxStream>, ChannelBinding), Error> {
        let domain = jid.domain().as_str();
        let tcp = TcpStream::connect(self.addr).await?;
        let io: BoxStream = match self.transport {
            Transport::PlainTcp => Box::new(BufStream::new(tcp)),
            Transport::DirectTls => self.tls_handshake(tcp, domain).await?,
            Transport::StartTls => {
                let pending = initiate_stream(BufStream::new(tcp), ns, header(domain), timeouts).await?;
                let (features, mut s): (StreamFeatures, XmppStream<_>) = pending.recv_features().await?;
                if !features.can_starttls() {
                    return Err(tokio_xmpp::error::ProtocolError::NoTls.into());
                }
                s.send(&XmppStreamElement::Starttls(starttls::Nonza::Request(
                    starttls::Request,
                )))
                .await?;
                loop {
                    match s.next().await {
                        Some(Ok(FallibleStreamElement::Ok(XmppStreamElement::Starttls(starttls::Nonza::Proceed(
                            _,
                        ))))) => break,
                        Some(Err(ReadError::SoftTimeout)) => continue,
                        other => return Err(io_err(format!("STARTTLS failed: {other:?}")).into()),
                    }
                }
                self.tls_handshake(s.into_inner().into_inner(), domain).await?
            }
        };
        // No channel binding: the server offers SCRAM without -PLUS.
        Ok((
            initiate_stream(io, ns, header(domain), timeouts).await?,
            ChannelBinding::None,
        ))
    }
}

/// TLS settings trusting exactly the server's generated certificate.
pub fn trust(server: &TestServer) -> Arc<rustls::ClientConfig> {
    let pem = server.dir.path().join("data/self-signed-cert.pem");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&pem).expect("certificate file") {
        roots.add(cert.expect("PEM certificate")).expect("usable root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

pub fn connector(server: &TestServer, transport: Transport) -> TestConnector {
    let handler = match transport {
        Transport::DirectTls => "c2s_tls",
        _ => "c2s_starttls",
    };
    TestConnector {
        addr: server.addr(handler),
        transport,
        tls: trust(server),
    }
}

/// Logs in with the high-level client and waits until it is online.
pub async fn online(server: &TestServer, jid: &str, password: &str, transport: Transport) -> (Client, Jid) {
    let jid: Jid = jid.parse().expect("JID");
    let mut client = Client::new_with_connector(jid, password, connector(server, transport), Timeouts::tight());
    loop {
        match tokio::time::timeout(Duration::from_secs(15), client.next())
            .await
            .expect("no Online event within 15 s")
        {
            Some(Event::Online { bound_jid, .. }) => return (client, bound_jid),
            Some(_) => continue,
            None => panic!("client stream ended before going online"),
        }
    }
}

/// The next stanza matching `want`, skipping others; panics after five seconds.
pub async fn next_stanza(client: &mut Client, mut want: impl FnMut(&Stanza) -> bool) -> Stanza {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .expect("no matching stanza within 5 s")
        {
            Some(Event::Stanza(s)) if want(&s) => return s,
            Some(_) => continue,
            None => panic!("client stream ended"),
        }
    }
}

/// Whether a stanza matching `want` arrives within `wait`.
pub async fn arrives(client: &mut Client, wait: Duration, mut want: impl FnMut(&Stanza) -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, client.next()).await {
            Err(_) => return false,
            Ok(Some(Event::Stanza(s))) if want(&s) => return true,
            Ok(Some(_)) => continue,
            Ok(None) => return false,
        }
    }
}

/// Low-level login with no reconnects: SASL (restricted to `mechanisms` if given) and
/// the stream restart. The caller binds and sees every element, stream errors included.
pub async fn raw_login(
    connector: &TestConnector,
    jid: &Jid,
    password: &str,
    mechanisms: Option<&[&str]>,
) -> Result<(StreamFeatures, RawStream), Error> {
    let (pending, cb) = connector.connect(jid, ns::JABBER_CLIENT, Timeouts::tight()).await?;
    let (features, stream): (StreamFeatures, XmppStream<_>) = pending.recv_features().await?;
    let mut offered = features.sasl_mechanisms.clone();
    if let Some(m) = mechanisms {
        offered.retain(|x| m.contains(&x.as_str()));
    }
    let creds = Credentials::default()
        .with_username(jid.node().expect("JID with a localpart").as_str())
        .with_password(password)
        .with_channel_binding(cb);
    let stream = tokio_xmpp::client_login(stream, offered, creds).await?;
    let pending = stream.send_header(header(jid.domain().as_str())).await?;
    Ok(pending.recv_features().await?)
}

/// The features offered before authentication.
pub async fn pre_auth_features(connector: &TestConnector, domain: &str) -> StreamFeatures {
    let jid: Jid = format!("probe@{domain}").parse().unwrap();
    let (pending, _) = connector
        .connect(&jid, ns::JABBER_CLIENT, Timeouts::tight())
        .await
        .expect("connect");
    let (features, _stream): (StreamFeatures, XmppStream<_>) = pending.recv_features().await.expect("features");
    features
}

/// Binds `resource` on a raw stream; the bound JID.
pub async fn raw_bind(stream: &mut RawStream, resource: &str) -> Result<FullJid, String> {
    use tokio_xmpp::parsers::bind::{BindQuery, BindResponse};
    use tokio_xmpp::parsers::iq::Iq;
    let iq = Iq::from_set("bind1", BindQuery::new(Some(resource.into())));
    stream
        .send(&XmppStreamElement::Stanza(iq.into()))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match stream.next().await {
            Some(Ok(FallibleStreamElement::Ok(XmppStreamElement::Stanza(Stanza::Iq(Iq::Result {
                payload: Some(p),
                ..
            }))))) => return BindResponse::try_from(p).map(|b| b.into()).map_err(|e| e.to_string()),
            Some(Err(ReadError::SoftTimeout)) => continue,
            other => return Err(format!("{other:?}")),
        }
    }
}

/// Waits for a stream error on a raw stream and returns its condition.
pub async fn raw_stream_error(stream: &mut RawStream) -> tokio_xmpp::parsers::stream_error::DefinedCondition {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("no stream error within 10 s")
        {
            Some(Ok(FallibleStreamElement::Ok(XmppStreamElement::StreamError(e)))) => return e.0.condition,
            Some(Err(ReadError::SoftTimeout)) => continue,
            Some(Ok(_)) => continue,
            other => panic!("stream ended without a stream error: {other:?}"),
        }
    }
}

/// The user's roster items, fetched with an IQ get.
pub async fn roster_of(client: &mut Client) -> Vec<tokio_xmpp::parsers::roster::Item> {
    use tokio_xmpp::parsers::roster::Roster;
    let r = client
        .send_iq(
            None,
            tokio_xmpp::IqRequest::Get(
                Roster {
                    ver: None,
                    items: vec![],
                }
                .into(),
            ),
        )
        .await
        .await
        .expect("roster answer");
    match r {
        tokio_xmpp::IqResponse::Result(Some(el)) => Roster::try_from(el).expect("a roster").items,
        other => panic!("roster get failed: {other:?}"),
    }
}

/// Pings `to` and returns the error condition of the answer, if it is an error.
pub async fn ping_error(client: &mut Client, to: &str) -> Option<tokio_xmpp::parsers::stanza_error::DefinedCondition> {
    let r = client
        .send_iq(
            Some(to.parse().expect("JID")),
            tokio_xmpp::IqRequest::Get(tokio_xmpp::parsers::ping::Ping.into()),
        )
        .await
        .await
        .expect("ping answer");
    match r {
        tokio_xmpp::IqResponse::Error(e) => Some(e.defined_condition),
        tokio_xmpp::IqResponse::Result(_) => None,
    }
}

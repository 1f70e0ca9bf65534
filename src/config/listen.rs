//! `[listen]`: the listeners (`[[listen.http]]`, `[[listen.c2s]]`, `[[listen.service]]`,
//! `[[listen.s2s]]`),
//! the handlers an HTTP listener serves, their defaults, and the listeners used when the
//! file has no `[listen]` table. The doors take these types as they are; their checks are
//! in `validate.rs`.

use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Listen {
    pub http: Vec<HttpListener>,
    pub c2s: Vec<C2sListener>,
    /// External components (XEP-0114); none by default.
    pub service: Vec<ServiceListener>,
    /// Other servers (federation, RFC 6120); none by default.
    pub s2s: Vec<S2sListener>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpListener {
    pub port: u16,
    #[serde(default = "any_address")]
    pub ip_address: IpAddr,
    /// Present: HTTPS. Files absent: a self-signed certificate in the data dir.
    #[serde(default)]
    pub tls: Option<HttpTls>,
    /// Largest accepted request body in bytes; larger ones get `413`.
    #[serde(default = "default_max_body_size")]
    pub max_body_size: usize,
    /// Connections served at once; more wait in the accept backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Connections from one IP address at once; more are closed on accept.
    #[serde(default = "default_max_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// Seconds from accepting a connection (TLS included) to its first complete request
    /// header, for each later header, and for each request's body (plus a second per
    /// `min_body_rate` bytes received); a connection that says nothing is closed, a body
    /// that does not arrive gets `408`.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: u64,
    /// Bytes per second a request body must keep up to earn time beyond
    /// `request_timeout`.
    #[serde(default = "default_min_body_rate")]
    pub min_body_rate: u64,
    /// Seconds a connection may stay open with nothing in flight (HTTP/1.1 keep-alive,
    /// HTTP/2 between streams).
    #[serde(default = "default_http_idle_timeout")]
    pub idle_timeout: u64,
    /// HTTP/2 streams open at once on one connection.
    #[serde(default = "default_max_concurrent_streams")]
    pub max_concurrent_streams: u32,
    /// Seconds a response (or an event stream) may wait for the client to take any of
    /// it before the connection is closed.
    #[serde(default = "default_send_timeout")]
    pub send_timeout: u64,
    #[serde(default)]
    pub handlers: Handlers,
    /// Compress responses (gzip or deflate) for clients whose `Accept-Encoding` allows it.
    #[serde(default)]
    pub compress: bool,
    /// Accepted for MongooseIM configs and checked, not used: see [`AcceptorCount`].
    #[serde(default)]
    pub num_acceptors: AcceptorCount,
    /// MongooseIM's `transport` table of an HTTP listener; only `num_acceptors` is known.
    #[serde(default)]
    pub transport: HttpTransport,
}

/// MongooseIM's `num_acceptors`: how many processes accept connections on a listening
/// socket. Here one task per listener accepts and hands each connection to a task of
/// its own at once, so accepting is never the bottleneck and the number changes
/// nothing; it is read (and must be a positive integer) so that MongooseIM configs
/// carry over without a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct AcceptorCount(pub u64);

impl Default for AcceptorCount {
    fn default() -> Self {
        AcceptorCount(100)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HttpTransport {
    #[serde(default)]
    pub num_acceptors: AcceptorCount,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HttpTls {
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Handlers {
    pub mongoose_client_api: Vec<ClientApiHandler>,
    pub mongoose_admin_api: Vec<AdminApiHandler>,
    pub mongoose_websocket_handler: Vec<WebsocketHandler>,
    pub mongoose_prometheus_handler: Vec<PrometheusHandler>,
    pub mod_http_upload: Vec<UploadHandler>,
    /// XMPP over BOSH (XEP-0124, XEP-0206); its options are `[modules.mod_bosh]`.
    pub mod_bosh: Vec<BoshHandler>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClientApiHandler {
    #[serde(default = "any_host")]
    pub host: String,
    #[serde(default = "default_api_path")]
    pub path: String,
    /// Serve the spec and Swagger UI on it at `<path>-docs` (`/api-docs`).
    #[serde(default = "yes")]
    pub docs: bool,
    /// Origins answered with CORS headers; `"*"` allows any.
    #[serde(default = "any_origin")]
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminApiHandler {
    #[serde(default = "any_host")]
    pub host: String,
    #[serde(default = "default_api_path")]
    pub path: String,
    /// MongooseIM's one credential: Basic, with every scope.
    pub username: Option<String>,
    pub password: Option<String>,
    /// More credentials, each with its scopes (docs/admin-api.md).
    #[serde(default)]
    pub credentials: Vec<AdminCredential>,
    /// Serve the spec and Swagger UI on it at `<path>-docs` (`/api-docs`).
    #[serde(default = "yes")]
    pub docs: bool,
}

/// One credential of the admin API: Basic (`username` and `password`) or a bearer
/// `token`, allowed the operations its `scopes` name (`"users"`, `"users:read"`,
/// `"rooms:write"`, `"*"` …; every scope when absent).
#[derive(Debug, Clone, Deserialize)]
pub struct AdminCredential {
    pub username: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    #[serde(default = "all_scopes")]
    pub scopes: Vec<String>,
}

fn all_scopes() -> Vec<String> {
    vec!["*".to_owned()]
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebsocketHandler {
    #[serde(default = "any_host")]
    pub host: String,
    #[serde(default = "default_ws_path")]
    pub path: String,
    /// Largest WebSocket message (one stanza) accepted, in bytes.
    #[serde(default = "default_max_stanza_size")]
    pub max_stanza_size: usize,
    /// The `[shaper.<name>]` limiting what each connection may send (none: unshaped).
    #[serde(default)]
    pub shaper: Option<String>,
}

/// The metrics endpoint (Prometheus text format). It has no authentication of its own:
/// it belongs on a loopback or otherwise private listener, as an open admin API does.
#[derive(Debug, Clone, Deserialize)]
pub struct PrometheusHandler {
    #[serde(default = "any_host")]
    pub host: String,
    #[serde(default = "default_metrics_path")]
    pub path: String,
}

/// Where uploaded files are received (PUT) and served (GET), for `[modules.mod_http_upload]`.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadHandler {
    #[serde(default = "any_host")]
    pub host: String,
    #[serde(default = "default_upload_path")]
    pub path: String,
}

/// The BOSH endpoint (`mod_bosh` in MongooseIM's listener tables).
#[derive(Debug, Clone, Deserialize)]
pub struct BoshHandler {
    #[serde(default = "any_host")]
    pub host: String,
    #[serde(default = "default_bosh_path")]
    pub path: String,
    /// Origins answered with CORS headers; `"*"` allows any.
    #[serde(default = "any_origin")]
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct C2sListener {
    pub port: u16,
    #[serde(default = "any_address")]
    pub ip_address: IpAddr,
    #[serde(default)]
    pub tls: C2sTls,
    /// Largest stanza accepted, in bytes; larger ones end the stream with `<policy-violation/>`.
    #[serde(default = "default_max_stanza_size")]
    pub max_stanza_size: usize,
    /// Seconds without any data from the client (whitespace keepalives count) before the
    /// stream is closed with `<connection-timeout/>`.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: u64,
    /// Seconds a client has to open its stream, secure it and authenticate.
    #[serde(default = "default_negotiation_timeout")]
    pub negotiation_timeout: u64,
    /// Seconds of silence after which the server sends a whitespace keepalive.
    #[serde(default = "default_keepalive_interval")]
    pub keepalive_interval: u64,
    /// Connections served at once.
    #[serde(default = "default_c2s_connections")]
    pub max_connections: usize,
    /// Connections from one IP address at once; more are closed on accept.
    #[serde(default = "default_max_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// Offer SASL PLAIN on connections without TLS (off: PLAIN only after TLS).
    #[serde(default)]
    pub allow_plain_without_tls: bool,
    /// The `[shaper.<name>]` limiting what each connection may send (none: unshaped).
    #[serde(default)]
    pub shaper: Option<String>,
    /// Accepted for MongooseIM configs, not used: see [`AcceptorCount`].
    #[serde(default)]
    pub num_acceptors: AcceptorCount,
}

/// External component connections (XEP-0114, `jabber:component:accept`), as
/// MongooseIM's `[[listen.service]]`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceListener {
    pub port: u16,
    /// Loopback by default: the protocol has no TLS, and a recorded handshake lets its
    /// secret be guessed offline.
    #[serde(default = "loopback_address")]
    pub ip_address: IpAddr,
    /// The secret every component on this listener proves in its handshake.
    pub password: String,
    /// Stanzas from a component must come from its own domain.
    #[serde(default = "yes")]
    pub check_from: bool,
    /// Components on this listener are left out of the servers' disco#items.
    #[serde(default)]
    pub hidden_components: bool,
    /// What a connection for a domain already connected gets.
    #[serde(default)]
    pub conflict_behaviour: ConflictBehaviour,
    /// The `[shaper.<name>]` limiting what each component may send (none: unshaped).
    #[serde(default, alias = "shaper")]
    pub shaper_rule: Option<String>,
    /// Largest stanza accepted, in bytes.
    #[serde(default = "default_max_stanza_size")]
    pub max_stanza_size: usize,
    /// Stanzas queued towards one component before it counts as too slow.
    #[serde(default = "default_component_queue")]
    pub max_fsm_queue: usize,
    /// The same bound in bytes.
    #[serde(default = "default_component_queue_bytes")]
    pub max_queue_bytes: usize,
    /// Seconds to send the stream header and the handshake.
    #[serde(default = "default_negotiation_timeout")]
    pub negotiation_timeout: u64,
    /// Seconds without any data from the component before it is disconnected.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: u64,
    /// Seconds of silence after which the server sends a whitespace keepalive.
    #[serde(default = "default_keepalive_interval")]
    pub keepalive_interval: u64,
    /// Connections served at once.
    #[serde(default = "default_service_connections")]
    pub max_connections: usize,
    /// Connections from one IP address at once; more are closed on accept.
    #[serde(default = "default_max_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// Accepted for MongooseIM configs, not used: see [`AcceptorCount`].
    #[serde(default)]
    pub num_acceptors: AcceptorCount,
}

/// Streams from other servers (`jabber:server`), as MongooseIM's `[[listen.s2s]]`.
/// What they may do once connected is `[s2s]`'s business.
#[derive(Debug, Clone, Deserialize)]
pub struct S2sListener {
    pub port: u16,
    #[serde(default = "any_address")]
    pub ip_address: IpAddr,
    #[serde(default)]
    pub tls: S2sTls,
    /// Largest stanza accepted, in bytes; larger ones end the stream with `<policy-violation/>`.
    #[serde(default = "default_max_stanza_size")]
    pub max_stanza_size: usize,
    /// The `[shaper.<name>]` limiting what each connection may send (none: unshaped).
    #[serde(default)]
    pub shaper: Option<String>,
    /// Seconds without any data from the peer (whitespace keepalives count) before the
    /// stream is closed with `<connection-timeout/>`.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: u64,
    /// Seconds a peer has to open its stream, secure it and authenticate a first domain.
    #[serde(default = "default_negotiation_timeout")]
    pub negotiation_timeout: u64,
    /// Connections served at once.
    #[serde(default = "default_s2s_connections")]
    pub max_connections: usize,
    /// Connections from one IP address at once; more are closed on accept.
    #[serde(default = "default_s2s_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// Accepted for MongooseIM configs, not used: see [`AcceptorCount`].
    #[serde(default)]
    pub num_acceptors: AcceptorCount,
}

/// `[listen.s2s.tls]`: how an s2s listener secures streams. The certificate defaults to
/// `[s2s] certfile`, then to the generated self-signed one.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct S2sTls {
    /// `starttls` (XMPP's port 5269) or `tls` (from the first byte, XEP-0368).
    #[serde(default)]
    pub mode: S2sTlsMode,
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum S2sTlsMode {
    /// STARTTLS, offered or required as `[s2s] use_starttls` says.
    #[default]
    Starttls,
    /// Direct TLS from the first byte.
    Tls,
}

/// MongooseIM's `conflict_behaviour`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictBehaviour {
    /// The new connection is refused with `<conflict/>`; the connected one stays.
    #[default]
    Disconnect,
    /// The connected one is closed with `<conflict/>`; the new one takes the domain.
    KickOld,
}

#[derive(Debug, Clone, Deserialize)]
pub struct C2sTls {
    #[serde(default)]
    pub mode: TlsMode,
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
}

impl Default for C2sTls {
    fn default() -> Self {
        C2sTls {
            mode: TlsMode::Starttls,
            certfile: None,
            keyfile: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// STARTTLS offered, not required.
    #[default]
    Starttls,
    /// STARTTLS must happen before authentication.
    StarttlsRequired,
    /// Direct TLS from the first byte.
    Tls,
}

fn any_address() -> IpAddr {
    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
}
fn loopback_address() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}
fn default_component_queue() -> usize {
    10_000
}
fn default_component_queue_bytes() -> usize {
    16 * 1024 * 1024
}
fn default_service_connections() -> usize {
    100
}
fn any_host() -> String {
    "_".into()
}
fn any_origin() -> Vec<String> {
    vec!["*".into()]
}

fn default_api_path() -> String {
    "/api".into()
}
fn default_ws_path() -> String {
    "/ws-xmpp".into()
}
fn default_bosh_path() -> String {
    "/http-bind".into()
}
fn default_metrics_path() -> String {
    "/metrics".into()
}
fn default_upload_path() -> String {
    "/upload".into()
}
fn yes() -> bool {
    true
}
fn default_max_body_size() -> usize {
    1024 * 1024
}
fn default_max_connections_per_ip() -> usize {
    100
}
fn default_request_timeout() -> u64 {
    30
}
fn default_min_body_rate() -> u64 {
    4096
}
fn default_http_idle_timeout() -> u64 {
    60
}
fn default_max_concurrent_streams() -> u32 {
    100
}
fn default_send_timeout() -> u64 {
    30
}
fn default_max_connections() -> usize {
    10_000
}
fn default_max_stanza_size() -> usize {
    65_536
}
fn default_idle_timeout() -> u64 {
    600
}
fn default_negotiation_timeout() -> u64 {
    30
}
fn default_keepalive_interval() -> u64 {
    60
}
fn default_s2s_connections() -> usize {
    1000
}
fn default_s2s_connections_per_ip() -> usize {
    20
}
fn default_c2s_connections() -> usize {
    100_000
}

/// The listeners without a `[listen]` table (see `Config::default`).
pub(super) fn default_listeners() -> Listen {
    let http = |port, ip, tls, handlers| HttpListener {
        port,
        ip_address: ip,
        tls,
        max_body_size: default_max_body_size(),
        max_connections: default_max_connections(),
        max_connections_per_ip: default_max_connections_per_ip(),
        request_timeout: default_request_timeout(),
        min_body_rate: default_min_body_rate(),
        idle_timeout: default_http_idle_timeout(),
        max_concurrent_streams: default_max_concurrent_streams(),
        send_timeout: default_send_timeout(),
        handlers,
        compress: false,
        num_acceptors: AcceptorCount::default(),
        transport: HttpTransport::default(),
    };
    Listen {
        http: vec![
            http(
                8089,
                any_address(),
                Some(HttpTls::default()),
                Handlers {
                    mongoose_client_api: vec![ClientApiHandler {
                        host: any_host(),
                        path: default_api_path(),
                        docs: true,
                        allowed_origins: any_origin(),
                    }],
                    mod_http_upload: vec![UploadHandler {
                        host: any_host(),
                        path: default_upload_path(),
                    }],
                    ..Handlers::default()
                },
            ),
            http(
                8088,
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                None,
                Handlers {
                    mongoose_admin_api: vec![AdminApiHandler {
                        host: any_host(),
                        path: default_api_path(),
                        username: None,
                        password: None,
                        credentials: Vec::new(),
                        docs: true,
                    }],
                    ..Handlers::default()
                },
            ),
            http(
                5280,
                any_address(),
                None,
                Handlers {
                    mongoose_websocket_handler: vec![WebsocketHandler {
                        host: any_host(),
                        path: default_ws_path(),
                        max_stanza_size: default_max_stanza_size(),
                        shaper: None,
                    }],
                    mod_bosh: vec![BoshHandler {
                        host: any_host(),
                        path: default_bosh_path(),
                        allowed_origins: any_origin(),
                    }],
                    ..Handlers::default()
                },
            ),
        ],
        c2s: vec![C2sListener {
            port: 5222,
            ip_address: any_address(),
            tls: C2sTls::default(),
            max_stanza_size: default_max_stanza_size(),
            idle_timeout: default_idle_timeout(),
            negotiation_timeout: default_negotiation_timeout(),
            keepalive_interval: default_keepalive_interval(),
            max_connections: default_c2s_connections(),
            max_connections_per_ip: default_max_connections_per_ip(),
            allow_plain_without_tls: false,
            shaper: None,
            num_acceptors: AcceptorCount::default(),
        }],
        service: Vec::new(),
        s2s: Vec::new(),
    }
}

impl HttpListener {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip_address, self.port)
    }
}

impl C2sListener {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip_address, self.port)
    }
}

impl S2sListener {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip_address, self.port)
    }
}

impl ServiceListener {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip_address, self.port)
    }
}

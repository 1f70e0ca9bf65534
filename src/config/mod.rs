//! Server configuration: a TOML file that reads like MongooseIM's `mongooseim.toml`.
//!
//! Contract:
//! - No file at all gives a working server (see [`Config::default`]).
//! - A key we do not know is reported as a warning naming its full path; the server starts.
//! - A value of the wrong type or out of range is an error naming the key and what was
//!   expected; the caller exits non-zero.
//! - When the file has a `[listen]` table, it defines every listener; without one the
//!   default listeners are used. `[modules]` works the same way.
//!
//! Every key is documented in `docs/config.md`.

use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// Errors that stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file is not valid TOML: {0}")]
    Syntax(String),
    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

/// The whole configuration, with defaults filled in and values validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub general: General,
    pub auth: Auth,
    pub listen: Listen,
    pub modules: Modules,
    /// Named traffic shapers (`[shaper.<name>]`), used by listeners that name one.
    pub shaper: std::collections::BTreeMap<String, Shaper>,
    /// Where `[general] storage` keeps its data when it is a database server.
    pub storage: Storage,
    /// `[cluster]`: this node is one of several sharing the storage.
    pub cluster: Option<Cluster>,
}

/// `[cluster]`: the nodes route to each other over NATS; they must share one PostgreSQL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// `nats://host:port` (several, comma-separated, for a NATS cluster).
    #[serde(default = "default_nats_url")]
    pub nats_url: String,
    /// This node's name: unique in the cluster; letters, digits, `-` and `_`.
    pub node: String,
    /// Every subject the nodes use starts with it.
    #[serde(default = "default_subject_prefix")]
    pub subject_prefix: String,
    /// How often a node says it is alive.
    #[serde(default = "default_heartbeat_ms")]
    pub heartbeat_ms: u64,
    /// A node not heard of for this long is gone: its sessions are unavailable.
    #[serde(default = "default_peer_timeout_ms")]
    pub peer_timeout_ms: u64,
}

fn default_nats_url() -> String {
    "nats://127.0.0.1:4222".into()
}

fn default_subject_prefix() -> String {
    "meerkat".into()
}

fn default_heartbeat_ms() -> u64 {
    1000
}

fn default_peer_timeout_ms() -> u64 {
    4000
}

impl Cluster {
    /// What the core needs of it.
    pub fn settings(&self) -> crate::core::cluster::ClusterSettings {
        crate::core::cluster::ClusterSettings {
            node: self.node.clone(),
            prefix: self.subject_prefix.clone(),
            heartbeat: std::time::Duration::from_millis(self.heartbeat_ms),
            peer_timeout: std::time::Duration::from_millis(self.peer_timeout_ms),
        }
    }

    fn validate(&self, storage: crate::store::Backend) -> Result<(), ConfigError> {
        if storage != crate::store::Backend::Postgres {
            return Err(invalid(
                "cluster",
                "the nodes of a cluster share one PostgreSQL: set [general] storage = \"postgres\"",
            ));
        }
        let token = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !token(&self.node) {
            return Err(invalid("cluster.node", "expected letters, digits, '-' or '_'"));
        }
        if !self.subject_prefix.split('.').all(token) {
            return Err(invalid(
                "cluster.subject_prefix",
                "expected dot-separated words of letters, digits, '-' or '_'",
            ));
        }
        if self.nats_url.split(',').any(|u| u.trim().is_empty()) {
            return Err(invalid("cluster.nats_url", "expected nats://host:port"));
        }
        if self.heartbeat_ms < 50 {
            return Err(invalid("cluster.heartbeat_ms", "expected at least 50"));
        }
        if self.peer_timeout_ms < 2 * self.heartbeat_ms {
            return Err(invalid(
                "cluster.peer_timeout_ms",
                "expected at least twice heartbeat_ms",
            ));
        }
        Ok(())
    }
}

/// `[storage]`: the settings of the database backends.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Storage {
    pub postgres: Postgres,
}

/// `[storage.postgres]`, used when `[general] storage = "postgres"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Postgres {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// Connections one node opens at most (its archive writer holds one more).
    pub pool_size: usize,
    /// Milliseconds to wait for a connection or a statement before answering that the
    /// storage is unavailable.
    pub timeout_ms: u64,
    /// This node's number among the nodes sharing the database (0–63).
    pub node_id: u8,
}

impl Default for Postgres {
    fn default() -> Self {
        let d = crate::store::PgSettings::default();
        Postgres {
            url: d.url,
            pool_size: d.pool_size,
            timeout_ms: d.timeout.as_millis() as u64,
            node_id: d.node_id,
        }
    }
}

/// A traffic shaper: what one connection may send, on average, per second.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shaper {
    pub max_rate: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct General {
    /// XMPP domains served; the first one names the self-signed certificate.
    pub hosts: Vec<String>,
    /// Where the database (and a generated certificate) live, relative to the working directory.
    pub data_dir: PathBuf,
    /// Value of the `Server` header on every HTTP response.
    pub http_server_name: String,
    /// Default tracing filter (overridden by `RUST_LOG`).
    pub loglevel: String,
    /// Stanzas queued for one session before it counts as too slow and is closed.
    pub max_session_queue: usize,
    /// The same bound in bytes (approximate size of the queued stanzas).
    pub max_session_queue_bytes: usize,
    /// Sessions one account may have at once (XMPP streams and SSE streams together).
    pub max_user_sessions: usize,
    /// The storage backend: `sqlite` (one file in `data_dir`) or `postgres` (see
    /// `[storage.postgres]`).
    pub storage: crate::store::Backend,
    /// Seconds the answer of a request with an `Idempotency-Key` is kept for replay (the
    /// client API promises at least a day).
    pub idempotency_ttl: u64,
    /// Idempotency keys one user may hold; past that the oldest answered ones are
    /// forgotten.
    pub idempotency_max_keys: usize,
}

impl Default for General {
    fn default() -> Self {
        General {
            hosts: vec!["localhost".into()],
            data_dir: PathBuf::from("data"),
            http_server_name: "meerkat".into(),
            loglevel: "info".into(),
            max_session_queue: 1000,
            max_session_queue_bytes: 1024 * 1024,
            max_user_sessions: 10,
            storage: crate::store::Backend::default(),
            idempotency_ttl: MIN_IDEMPOTENCY_TTL,
            idempotency_max_keys: 10_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Auth {
    /// PBKDF2 iterations for newly stored SCRAM credentials.
    pub scram_iterations: u32,
    /// How many verified REST credentials are remembered (keyed hash per account).
    pub cache_size: usize,
    /// How often the server looks for account changes made by another process
    /// (e.g. `meerkat passwd` while it runs), in milliseconds.
    pub sync_interval_ms: u64,
    /// Failed logins (REST and XMPP alike) allowed per source address within
    /// `failure_window_s`; then everything from that address is refused until the window
    /// has passed.
    pub max_failures_per_ip: u32,
    /// Failed logins to one account from one address within the window; then that
    /// account is refused from that address (its owner elsewhere is not).
    pub max_failures_per_account: u32,
    pub failure_window_s: u64,
    /// Seconds a bearer token of the client API lives from its creation.
    pub token_lifetime: u64,
    /// Live bearer tokens one user may have at once.
    pub max_tokens_per_user: usize,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            scram_iterations: 4096,
            cache_size: 10_000,
            sync_interval_ms: 1000,
            max_failures_per_ip: 100,
            max_failures_per_account: 10,
            failure_window_s: 60,
            token_lifetime: 3600,
            max_tokens_per_user: 100,
        }
    }
}

/// The longest `auth.token_lifetime`, in seconds (a year): tokens are meant to be
/// short-lived; a longer-lived credential is the password itself.
pub const MAX_TOKEN_LIFETIME: u64 = 365 * 86_400;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Listen {
    pub http: Vec<HttpListener>,
    pub c2s: Vec<C2sListener>,
    /// External components (XEP-0114); none by default.
    pub service: Vec<ServiceListener>,
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
    /// header, and for each later header; a connection that says nothing is closed.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: u64,
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
    pub username: Option<String>,
    pub password: Option<String>,
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Modules {
    pub mod_mam: Option<ModMam>,
    pub mod_muc_light: Option<ModMucLight>,
    pub mod_muc: Option<ModMuc>,
    pub mod_roster: Option<ModRoster>,
    pub mod_offline: Option<ModOffline>,
    pub mod_event_pusher: Option<ModEventPusher>,
    pub mod_stream_management: Option<ModStreamManagement>,
    pub mod_csi: Option<ModCsi>,
    pub mod_http_upload: Option<ModHttpUpload>,
    pub mod_bosh: Option<ModBosh>,
    pub mod_pep: Option<ModPep>,
    /// Entity capabilities; started with `mod_pep` whether listed or not (PEP needs it),
    /// as MongooseIM starts a module's dependencies.
    pub mod_caps: Option<ModCaps>,
    pub mod_vcard: Option<ModVcard>,
    pub mod_private: Option<ModPrivate>,
}

/// BOSH session options (XEP-0124), in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModBosh {
    /// How long a session may go without a request from its client before it ends.
    pub inactivity: u64,
    /// The longest a request is held waiting for something to send; a client's `wait`
    /// is lowered to it.
    pub max_wait: u64,
    /// The longest inactivity a client may ask for with `pause`.
    pub max_pause: u64,
    /// Requests held at once per session; a client's `hold` is lowered to it.
    pub hold: u64,
}

impl Default for ModBosh {
    fn default() -> Self {
        ModBosh {
            inactivity: 30,
            max_wait: 60,
            max_pause: 120,
            hold: 1,
        }
    }
}

/// XEP-0198 stream management.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModStreamManagement {
    /// Seconds a session whose connection was lost stays resumable.
    pub resume_timeout: u64,
    /// Stanzas sent and not yet acknowledged, at most.
    pub buffer_max: usize,
    /// An ack is requested every this many stanzas sent.
    pub ack_freq: u32,
}

impl Default for ModStreamManagement {
    fn default() -> Self {
        ModStreamManagement {
            resume_timeout: 300,
            buffer_max: 100,
            ack_freq: 1,
        }
    }
}

/// XEP-0352 client state indication.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModCsi {
    /// Presence updates and chat states held for an inactive client, at most.
    pub buffer_max: usize,
}

impl Default for ModCsi {
    fn default() -> Self {
        ModCsi { buffer_max: 100 }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ModMam {
    /// What an acknowledged message survives: `"process"` (a kill of the server) or
    /// `"power"` (a power loss too: an fsync per group commit).
    pub durability: crate::store::Durability,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModMucLight {
    /// Service domain; `@HOST@` stands for each served host.
    pub host: String,
    /// Members may change a room's configuration, not only its owner.
    pub all_can_configure: bool,
    /// Members may add members, not only the owner.
    pub all_can_invite: bool,
    /// Most occupants of one room, the owner included.
    pub max_occupants: usize,
    /// Most rooms one user may occupy.
    pub rooms_per_user: usize,
}

impl Default for ModMucLight {
    fn default() -> Self {
        ModMucLight {
            host: "muclight.@HOST@".into(),
            all_can_configure: false,
            all_can_invite: false,
            max_occupants: 100,
            rooms_per_user: 1000,
        }
    }
}

/// Event pushers; only the XEP-0357 `push` backend exists.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ModEventPusher {
    pub push: Option<PushBackend>,
}

/// Push notifications (XEP-0357) to app servers the clients register.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PushBackend {
    /// Registrations one user may have.
    pub max_registrations: usize,
    /// Whether a notification carries the last message's body.
    pub include_body: bool,
}

impl Default for PushBackend {
    fn default() -> Self {
        PushBackend {
            max_registrations: 10,
            include_body: false,
        }
    }
}

/// HTTP File Upload (XEP-0363), files kept in a local directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModHttpUpload {
    /// Service domain; `@HOST@` stands for each served host.
    pub host: String,
    /// Largest file accepted, in bytes.
    pub max_file_size: u64,
    /// Seconds a PUT URL stays valid.
    pub expiration_time: u64,
    /// Random bytes in a slot id (twice as many hex digits in the URL).
    pub token_bytes: usize,
    /// Bytes one user may have stored at once (pending slots included).
    pub user_quota: u64,
    /// Days an upload is kept; 0 keeps uploads for ever.
    pub expire_after_days: u64,
    /// For tests: seconds an upload is kept, instead of `expire_after_days` (0: for ever).
    pub expire_after_seconds: Option<u64>,
    /// Where the files live; default `<data_dir>/uploads`.
    pub dir: Option<PathBuf>,
    /// The URL files are served under (`@HOST@` for each host); default: derived from
    /// the first HTTP listener serving `mod_http_upload`.
    pub base_url: Option<String>,
}

impl Default for ModHttpUpload {
    fn default() -> Self {
        ModHttpUpload {
            host: "upload.@HOST@".into(),
            max_file_size: 10 * 1024 * 1024,
            expiration_time: 300,
            token_bytes: 32,
            user_quota: 1024 * 1024 * 1024,
            expire_after_days: 30,
            expire_after_seconds: None,
            dir: None,
            base_url: None,
        }
    }
}

/// Multi-User Chat (XEP-0045), MongooseIM's `mod_muc`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModMuc {
    /// Service domain; `@HOST@` stands for each served host.
    pub host: String,
    /// Rooms the service holds at once.
    pub max_rooms: usize,
    /// Rooms one user may own at once.
    pub max_rooms_per_user: usize,
    /// Rooms one user may be in at once.
    pub max_user_conferences: usize,
    /// The most occupants a room may be configured for.
    pub max_users: usize,
    /// Admins and owners enter this many past a room's maximum.
    pub max_users_admin_threshold: usize,
    /// History messages a newcomer gets at most.
    pub history_length: usize,
    pub max_room_id: usize,
    pub max_room_name: usize,
    pub max_room_desc: usize,
    pub max_subject_length: usize,
    pub max_nick_length: usize,
    pub max_room_affiliations: usize,
    /// The configuration new rooms start with.
    pub default_room: MucDefaultRoom,
}

impl Default for ModMuc {
    fn default() -> Self {
        let l = crate::core::muc::Limits::default();
        ModMuc {
            host: "conference.@HOST@".into(),
            max_rooms: l.max_rooms,
            max_rooms_per_user: l.max_rooms_per_user,
            max_user_conferences: l.max_user_conferences,
            max_users: l.max_users,
            max_users_admin_threshold: l.max_users_admin_threshold,
            history_length: l.history_length,
            max_room_id: l.max_room_id,
            max_room_name: l.max_room_name,
            max_room_desc: l.max_room_desc,
            max_subject_length: l.max_subject_length,
            max_nick_length: l.max_nick_length,
            max_room_affiliations: l.max_room_affiliations,
            default_room: MucDefaultRoom::default(),
        }
    }
}

/// `[modules.mod_muc.default_room]`: MongooseIM's names for a new room's options.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MucDefaultRoom {
    pub public: bool,
    pub persistent: bool,
    pub moderated: bool,
    pub members_only: bool,
    pub allow_change_subj: bool,
    pub allow_user_invites: bool,
    pub anonymous: bool,
    pub max_users: usize,
    pub logging: bool,
}

impl Default for MucDefaultRoom {
    fn default() -> Self {
        let d = crate::core::muc::RoomDefaults::default();
        MucDefaultRoom {
            public: d.public,
            persistent: d.persistent,
            moderated: d.moderated,
            members_only: d.members_only,
            allow_change_subj: d.allow_change_subj,
            allow_user_invites: d.allow_user_invites,
            anonymous: d.anonymous,
            max_users: d.max_users,
            logging: d.logging,
        }
    }
}

impl ModMuc {
    /// What the core gets of this table.
    pub fn settings(&self) -> crate::core::muc::MucSettings {
        let d = &self.default_room;
        crate::core::muc::MucSettings {
            host: self.host.clone(),
            limits: crate::core::muc::Limits {
                max_rooms: self.max_rooms,
                max_rooms_per_user: self.max_rooms_per_user,
                max_user_conferences: self.max_user_conferences,
                max_users: self.max_users,
                max_users_admin_threshold: self.max_users_admin_threshold,
                history_length: self.history_length,
                max_room_id: self.max_room_id,
                max_room_name: self.max_room_name,
                max_room_desc: self.max_room_desc,
                max_subject_length: self.max_subject_length,
                max_nick_length: self.max_nick_length,
                max_room_affiliations: self.max_room_affiliations,
            },
            defaults: crate::core::muc::RoomDefaults {
                public: d.public,
                persistent: d.persistent,
                moderated: d.moderated,
                members_only: d.members_only,
                allow_change_subj: d.allow_change_subj,
                allow_user_invites: d.allow_user_invites,
                anonymous: d.anonymous,
                max_users: d.max_users,
                logging: d.logging,
            },
        }
    }
}

/// Offline messages (XEP-0160).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModOffline {
    /// Messages held for one user; more are refused (the archive keeps them).
    pub max_messages: usize,
}

impl Default for ModOffline {
    fn default() -> Self {
        ModOffline { max_messages: 1000 }
    }
}

impl ModHttpUpload {
    /// How long an upload is kept; `None`: for ever.
    pub fn expire_after(&self) -> Option<std::time::Duration> {
        let seconds = self
            .expire_after_seconds
            .unwrap_or(self.expire_after_days.saturating_mul(86_400));
        (seconds > 0).then(|| std::time::Duration::from_secs(seconds))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModRoster {
    /// Items one roster may hold (contacts and pending requests from strangers).
    pub max_items: usize,
}

impl Default for ModRoster {
    fn default() -> Self {
        ModRoster { max_items: 1000 }
    }
}

/// The most requests a BOSH session may have held at once (`modules.mod_bosh.hold`):
/// browsers keep few connections per server, and each held request is one of them.
pub const MAX_BOSH_HOLD: u64 = 4;
/// The longest BOSH timer (`inactivity`, `max_wait`, `max_pause`): a day.
pub const MAX_BOSH_SECONDS: u64 = 86_400;

/// The PEP service of every account (XEP-0163).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModPep {
    /// Largest item payload, serialized, in bytes.
    pub max_payload_size: usize,
    /// The same for avatar images (`urn:xmpp:avatar:data`).
    pub max_avatar_size: usize,
    /// Nodes one account may have.
    pub max_nodes: usize,
    /// Items one node may keep (what `pubsub#max_items = max` means).
    pub max_items_node: usize,
    /// Payload bytes all of one account's items may take together.
    pub max_user_bytes: usize,
}

impl Default for ModPep {
    fn default() -> Self {
        let d = crate::core::pep::PepSettings::default();
        ModPep {
            max_payload_size: d.max_payload_size,
            max_avatar_size: d.max_avatar_size,
            max_nodes: d.max_nodes,
            max_items_node: d.max_items,
            max_user_bytes: d.max_bytes,
        }
    }
}

/// Entity capabilities (XEP-0115), as PEP uses them.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModCaps {
    /// Capability `ver` strings remembered.
    pub cache_size: usize,
}

impl Default for ModCaps {
    fn default() -> Self {
        ModCaps { cache_size: 1000 }
    }
}

/// vCards (XEP-0054).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModVcard {
    /// Largest vCard, serialized, in bytes.
    pub max_size: usize,
}

impl Default for ModVcard {
    fn default() -> Self {
        ModVcard {
            max_size: crate::core::user_data::vcard::VcardSettings::default().max_size,
        }
    }
}

/// Private XML storage (XEP-0049).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ModPrivate {
    /// Largest document of one namespace, serialized, in bytes.
    pub max_size: usize,
    /// Namespaces one account may keep.
    pub max_entries: usize,
}

impl Default for ModPrivate {
    fn default() -> Self {
        let d = crate::core::user_data::private::PrivateSettings::default();
        ModPrivate {
            max_size: d.max_size,
            max_entries: d.max_entries,
        }
    }
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
/// The shortest `[general] idempotency_ttl`: the client API promises that keys are
/// remembered for a day.
pub const MIN_IDEMPOTENCY_TTL: u64 = 24 * 3600;

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
fn default_c2s_connections() -> usize {
    100_000
}

/// The file as written: every section optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawConfig {
    general: General,
    auth: Auth,
    listen: Option<Listen>,
    modules: Option<Modules>,
    shaper: std::collections::BTreeMap<String, Shaper>,
    storage: Storage,
    cluster: Option<Cluster>,
}

impl Default for Config {
    /// What `meerkat` serves with no config file: `localhost`, `./data`, the client API over
    /// HTTPS (self-signed) on 8089, the admin API on 127.0.0.1:8088, c2s on 5222 and XMPP
    /// over WebSocket on 5280.
    fn default() -> Self {
        Config {
            general: General::default(),
            auth: Auth::default(),
            listen: default_listeners(),
            modules: default_modules(),
            shaper: Default::default(),
            storage: Storage::default(),
            cluster: None,
        }
    }
}

fn default_modules() -> Modules {
    Modules {
        mod_mam: Some(ModMam::default()),
        mod_muc_light: Some(ModMucLight::default()),
        mod_muc: Some(ModMuc::default()),
        mod_roster: Some(ModRoster::default()),
        mod_offline: Some(ModOffline::default()),
        mod_event_pusher: Some(ModEventPusher {
            push: Some(PushBackend::default()),
        }),
        mod_stream_management: Some(ModStreamManagement::default()),
        mod_csi: Some(ModCsi::default()),
        mod_http_upload: Some(ModHttpUpload::default()),
        mod_bosh: Some(ModBosh::default()),
        mod_pep: Some(ModPep::default()),
        mod_caps: Some(ModCaps::default()),
        mod_vcard: Some(ModVcard::default()),
        mod_private: Some(ModPrivate::default()),
    }
}

fn default_listeners() -> Listen {
    let http = |port, ip, tls, handlers| HttpListener {
        port,
        ip_address: ip,
        tls,
        max_body_size: default_max_body_size(),
        max_connections: default_max_connections(),
        max_connections_per_ip: default_max_connections_per_ip(),
        request_timeout: default_request_timeout(),
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
    }
}

/// A parsed config plus the keys we ignored, for the caller to log.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub unknown_keys: Vec<String>,
}

impl Config {
    /// What the archive's commits survive (the default when the archive is off).
    pub fn archive_durability(&self) -> crate::store::Durability {
        self.modules.mod_mam.as_ref().map(|m| m.durability).unwrap_or_default()
    }

    /// The storage this configuration names, with its settings.
    pub fn storage(&self) -> crate::store::Storage {
        match self.general.storage {
            crate::store::Backend::Sqlite => crate::store::Storage::Sqlite {
                data_dir: self.general.data_dir.clone(),
                durability: self.archive_durability(),
            },
            crate::store::Backend::Postgres => {
                let p = &self.storage.postgres;
                crate::store::Storage::Postgres(crate::store::PgSettings {
                    url: p.url.clone(),
                    pool_size: p.pool_size,
                    timeout: std::time::Duration::from_millis(p.timeout_ms),
                    node_id: p.node_id,
                    claim_node: true,
                })
            }
        }
    }

    /// Reads `path`, or gives the defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Loaded, ConfigError> {
        match path {
            None => Ok(Loaded {
                config: Config::default(),
                unknown_keys: Vec::new(),
            }),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                Config::parse(&text)
            }
        }
    }

    /// Parses config text; see the module docs for the rules.
    pub fn parse(text: &str) -> Result<Loaded, ConfigError> {
        let value: toml::Value = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.message().to_owned()))?;
        let mut unknown_keys = Vec::new();
        // serde_ignored reports keys our types do not have; serde_path_to_error names the
        // key whose value is malformed. Two passes over a small tree.
        let _: Result<RawConfig, _> = serde_ignored::deserialize(value.clone(), |path| {
            // Optional sections show up as `?` in the path; users never write that.
            unknown_keys.push(path.to_string().replace(".?", "").replace("?.", ""))
        });
        let raw: RawConfig = serde_path_to_error::deserialize(value).map_err(|e| {
            let key = e.path().to_string();
            invalid(key, e.into_inner().to_string())
        })?;
        let modules_listed = raw.modules.is_some();
        let modules = raw.modules.unwrap_or_else(default_modules);
        let listen = raw.listen.unwrap_or_else(|| {
            let mut listen = default_listeners();
            // The default BOSH endpoint follows the module: off when the file's
            // [modules] table does not list it.
            if modules.mod_bosh.is_none() {
                for l in &mut listen.http {
                    l.handlers.mod_bosh.clear();
                }
            }
            listen
        });
        let mut config = Config {
            general: raw.general,
            auth: raw.auth,
            listen,
            modules,
            shaper: raw.shaper,
            storage: raw.storage,
            cluster: raw.cluster,
        };
        // Uploads on by default need somewhere to receive files: a listener naming the
        // handler. Listeners without one leave them off unless `[modules]` asks for them
        // (then the missing handler is an error, below).
        if !modules_listed && config.upload_handler().is_none() {
            config.modules.mod_http_upload = None;
        }
        config.validate()?;
        Ok(Loaded { config, unknown_keys })
    }

    /// The byte rate of the shaper `name` (validated to exist), if any.
    pub fn shaper_rate(&self, name: Option<&str>) -> Option<u64> {
        name.and_then(|n| self.shaper.get(n)).map(|s| s.max_rate)
    }

    /// Checks a component service's `host` template (`@HOST@` for each served host): a
    /// domain, never one of the hosts, and, when `muc_light_clash` says how to refuse it,
    /// never the MUC Light service's domain either.
    fn check_service_host(&self, key: &str, template: &str, muc_light_clash: Option<&str>) -> Result<(), ConfigError> {
        let sample = template.replace("@HOST@", "example.com");
        let domain = jid::BareJid::new(&sample).ok().filter(|j| j.node().is_none());
        if domain.is_none() || sample.contains(char::is_whitespace) {
            return Err(invalid(key, "expected a domain, with @HOST@ for each served host"));
        }
        for h in &self.general.hosts {
            let service = template.replace("@HOST@", h);
            if service.eq_ignore_ascii_case(h) {
                return Err(invalid(key, "expected a domain other than the served hosts"));
            }
            if let Some(text) = muc_light_clash {
                if self
                    .muc_light_domain(h)
                    .is_some_and(|l| l.eq_ignore_ascii_case(&service))
                {
                    return Err(invalid(key, text));
                }
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let pg = &self.storage.postgres;
        if let Err(e) = pg.url.parse::<tokio_postgres::Config>() {
            return Err(invalid(
                "storage.postgres.url",
                format!("not a PostgreSQL connection URL: {e}"),
            ));
        }
        if pg.pool_size == 0 || pg.pool_size > 1000 {
            return Err(invalid("storage.postgres.pool_size", "expected 1 to 1000"));
        }
        if pg.timeout_ms == 0 {
            return Err(invalid("storage.postgres.timeout_ms", "expected a positive integer"));
        }
        if u32::from(pg.node_id) >= 1 << crate::core::archive::NODE_BITS {
            return Err(invalid("storage.postgres.node_id", "expected 0 to 63"));
        }
        if let Some(c) = &self.cluster {
            c.validate(self.general.storage)?;
        }
        for (name, s) in &self.shaper {
            if s.max_rate == 0 {
                return Err(invalid(
                    format!("shaper.{name}.max_rate"),
                    "expected a positive integer",
                ));
            }
        }
        let named = |key: String, name: &Option<String>| match name {
            Some(n) if !self.shaper.contains_key(n) => Err(invalid(key, format!("no [shaper.{n}] is defined"))),
            _ => Ok(()),
        };
        for (i, l) in self.listen.c2s.iter().enumerate() {
            named(format!("listen.c2s[{i}].shaper"), &l.shaper)?;
        }
        for (i, l) in self.listen.service.iter().enumerate() {
            named(format!("listen.service[{i}].shaper_rule"), &l.shaper_rule)?;
        }
        for (i, l) in self.listen.http.iter().enumerate() {
            for w in &l.handlers.mongoose_websocket_handler {
                named(
                    format!("listen.http[{i}].handlers.mongoose_websocket_handler.shaper"),
                    &w.shaper,
                )?;
            }
        }
        if self.general.hosts.is_empty() {
            return Err(invalid("general.hosts", "expected at least one host"));
        }
        for (i, host) in self.general.hosts.iter().enumerate() {
            let prepped = jid::BareJid::new(host)
                .map_err(|e| invalid(format!("general.hosts[{i}]"), format!("not a valid domain: {e}")))?;
            if prepped.node().is_some() {
                return Err(invalid(format!("general.hosts[{i}]"), "expected a domain, not a JID"));
            }
        }
        if self.auth.scram_iterations < 1 {
            return Err(invalid("auth.scram_iterations", "expected a positive integer"));
        }
        for (key, v) in [
            ("max_session_queue", self.general.max_session_queue),
            ("max_session_queue_bytes", self.general.max_session_queue_bytes),
            ("max_user_sessions", self.general.max_user_sessions),
        ] {
            if v < 1 {
                return Err(invalid(format!("general.{key}"), "expected a positive integer"));
            }
        }
        if self.general.idempotency_ttl < MIN_IDEMPOTENCY_TTL {
            return Err(invalid(
                "general.idempotency_ttl",
                format!("expected at least {MIN_IDEMPOTENCY_TTL} seconds (the client API promises a day)"),
            ));
        }
        if self.general.idempotency_max_keys < 1 {
            return Err(invalid("general.idempotency_max_keys", "expected a positive integer"));
        }
        let acceptors = |key: String, n: AcceptorCount| match n.0 {
            0 => Err(invalid(key, "expected a positive integer")),
            _ => Ok(()),
        };
        for (i, l) in self.listen.http.iter().enumerate() {
            acceptors(format!("listen.http[{i}].num_acceptors"), l.num_acceptors)?;
            acceptors(
                format!("listen.http[{i}].transport.num_acceptors"),
                l.transport.num_acceptors,
            )?;
        }
        for (i, l) in self.listen.c2s.iter().enumerate() {
            acceptors(format!("listen.c2s[{i}].num_acceptors"), l.num_acceptors)?;
        }
        for (i, l) in self.listen.service.iter().enumerate() {
            acceptors(format!("listen.service[{i}].num_acceptors"), l.num_acceptors)?;
        }
        if self.auth.failure_window_s < 1 {
            return Err(invalid("auth.failure_window_s", "expected a positive integer"));
        }
        if self.auth.sync_interval_ms < 1 {
            return Err(invalid("auth.sync_interval_ms", "expected a positive integer"));
        }
        if !(1..=MAX_TOKEN_LIFETIME).contains(&self.auth.token_lifetime) {
            return Err(invalid(
                "auth.token_lifetime",
                format!("expected seconds between 1 and {MAX_TOKEN_LIFETIME}"),
            ));
        }
        if self.auth.max_tokens_per_user < 1 {
            return Err(invalid("auth.max_tokens_per_user", "expected a positive integer"));
        }
        for (i, l) in self.listen.http.iter().enumerate() {
            let key = |k: &str| format!("listen.http[{i}].{k}");
            if let Some(tls) = &l.tls {
                if tls.certfile.is_some() != tls.keyfile.is_some() {
                    return Err(invalid(key("tls"), "expected both certfile and keyfile, or neither"));
                }
            }
            if l.max_body_size == 0 {
                return Err(invalid(key("max_body_size"), "expected a positive integer"));
            }
            for (k, v) in [
                ("max_connections", l.max_connections as u64),
                ("max_connections_per_ip", l.max_connections_per_ip as u64),
                ("request_timeout", l.request_timeout),
                ("send_timeout", l.send_timeout),
            ] {
                if v == 0 {
                    return Err(invalid(key(k), "expected a positive integer"));
                }
            }
            let h = &l.handlers;
            let paths = h
                .mongoose_client_api
                .iter()
                .map(|x| ("mongoose_client_api", &x.path))
                .chain(h.mongoose_admin_api.iter().map(|x| ("mongoose_admin_api", &x.path)))
                .chain(
                    h.mongoose_websocket_handler
                        .iter()
                        .map(|x| ("mongoose_websocket_handler", &x.path)),
                )
                .chain(
                    h.mongoose_prometheus_handler
                        .iter()
                        .map(|x| ("mongoose_prometheus_handler", &x.path)),
                )
                .chain(h.mod_http_upload.iter().map(|x| ("mod_http_upload", &x.path)))
                .chain(h.mod_bosh.iter().map(|x| ("mod_bosh", &x.path)));
            for (name, path) in paths {
                if !path.starts_with('/') {
                    return Err(invalid(
                        key(&format!("handlers.{name}.path")),
                        "expected a path starting with '/'",
                    ));
                }
            }
            if !h.mod_bosh.is_empty() && self.modules.mod_bosh.is_none() {
                return Err(invalid(
                    key("handlers.mod_bosh"),
                    "the BOSH handler needs [modules.mod_bosh] in the [modules] table",
                ));
            }
            for a in &h.mongoose_admin_api {
                if a.username.is_some() != a.password.is_some() {
                    return Err(invalid(
                        key("handlers.mongoose_admin_api"),
                        "expected both username and password, or neither",
                    ));
                }
            }
        }
        if let Some(p) = self.modules.mod_event_pusher.as_ref().and_then(|m| m.push.as_ref()) {
            if p.max_registrations == 0 {
                return Err(invalid(
                    "modules.mod_event_pusher.push.max_registrations",
                    "expected a positive integer",
                ));
            }
        }
        if self.modules.mod_offline.as_ref().is_some_and(|o| o.max_messages == 0) {
            return Err(invalid(
                "modules.mod_offline.max_messages",
                "expected a positive integer",
            ));
        }
        if let Some(b) = &self.modules.mod_bosh {
            for (k, v) in [
                ("inactivity", b.inactivity),
                ("max_wait", b.max_wait),
                ("max_pause", b.max_pause),
                ("hold", b.hold),
            ] {
                if v == 0 {
                    return Err(invalid(format!("modules.mod_bosh.{k}"), "expected a positive integer"));
                }
                if k != "hold" && v > MAX_BOSH_SECONDS {
                    return Err(invalid(
                        format!("modules.mod_bosh.{k}"),
                        format!("expected at most {MAX_BOSH_SECONDS} seconds"),
                    ));
                }
            }
            if b.hold > MAX_BOSH_HOLD {
                return Err(invalid(
                    "modules.mod_bosh.hold",
                    format!("expected at most {MAX_BOSH_HOLD}"),
                ));
            }
        }
        let positive = |key: &str, v: usize| match v {
            0 => Err(invalid(key, "expected a positive integer")),
            _ => Ok(()),
        };
        if let Some(p) = &self.modules.mod_pep {
            positive("modules.mod_pep.max_payload_size", p.max_payload_size)?;
            positive("modules.mod_pep.max_avatar_size", p.max_avatar_size)?;
            positive("modules.mod_pep.max_nodes", p.max_nodes)?;
            positive("modules.mod_pep.max_items_node", p.max_items_node)?;
            positive("modules.mod_pep.max_user_bytes", p.max_user_bytes)?;
            if p.max_items_node > u32::MAX as usize {
                return Err(invalid("modules.mod_pep.max_items_node", "expected at most 4294967295"));
            }
        }
        if let Some(c) = &self.modules.mod_caps {
            positive("modules.mod_caps.cache_size", c.cache_size)?;
        }
        if let Some(v) = &self.modules.mod_vcard {
            positive("modules.mod_vcard.max_size", v.max_size)?;
        }
        if let Some(p) = &self.modules.mod_private {
            positive("modules.mod_private.max_size", p.max_size)?;
            positive("modules.mod_private.max_entries", p.max_entries)?;
        }
        if self.modules.mod_roster.as_ref().is_some_and(|r| r.max_items == 0) {
            return Err(invalid("modules.mod_roster.max_items", "expected a positive integer"));
        }
        if let Some(m) = &self.modules.mod_stream_management {
            for (k, v) in [
                ("resume_timeout", m.resume_timeout),
                ("buffer_max", m.buffer_max as u64),
                ("ack_freq", u64::from(m.ack_freq)),
            ] {
                if v == 0 {
                    return Err(invalid(
                        format!("modules.mod_stream_management.{k}"),
                        "expected a positive integer",
                    ));
                }
            }
        }
        if self.modules.mod_csi.as_ref().is_some_and(|c| c.buffer_max == 0) {
            return Err(invalid("modules.mod_csi.buffer_max", "expected a positive integer"));
        }
        if let Some(m) = &self.modules.mod_muc_light {
            let key = |k: &str| format!("modules.mod_muc_light.{k}");
            for (k, v) in [("max_occupants", m.max_occupants), ("rooms_per_user", m.rooms_per_user)] {
                if v == 0 {
                    return Err(invalid(key(k), "expected a positive integer"));
                }
            }
            self.check_service_host(&key("host"), &m.host, None)?;
        }
        if let Some(m) = &self.modules.mod_http_upload {
            self.validate_uploads(m)?;
        }
        if let Some(m) = &self.modules.mod_muc {
            let key = |k: &str| format!("modules.mod_muc.{k}");
            for (k, v) in [
                ("max_rooms", m.max_rooms),
                ("max_rooms_per_user", m.max_rooms_per_user),
                ("max_user_conferences", m.max_user_conferences),
                ("max_users", m.max_users),
                ("max_room_id", m.max_room_id),
                ("max_room_name", m.max_room_name),
                ("max_room_desc", m.max_room_desc),
                ("max_subject_length", m.max_subject_length),
                ("max_nick_length", m.max_nick_length),
                ("max_room_affiliations", m.max_room_affiliations),
                ("default_room.max_users", m.default_room.max_users),
            ] {
                if v == 0 {
                    return Err(invalid(key(k), "expected a positive integer"));
                }
            }
            if m.default_room.max_users > m.max_users {
                return Err(invalid(
                    key("default_room.max_users"),
                    format!("expected at most max_users ({})", m.max_users),
                ));
            }
            self.check_service_host(
                &key("host"),
                &m.host,
                Some("expected a domain other than mod_muc_light's"),
            )?;
        }
        for (i, l) in self.listen.c2s.iter().enumerate() {
            if l.tls.certfile.is_some() != l.tls.keyfile.is_some() {
                return Err(invalid(
                    format!("listen.c2s[{i}].tls"),
                    "expected both certfile and keyfile, or neither",
                ));
            }
            for (key, v) in [
                ("idle_timeout", l.idle_timeout),
                ("negotiation_timeout", l.negotiation_timeout),
                ("keepalive_interval", l.keepalive_interval),
                ("max_connections", l.max_connections as u64),
                ("max_connections_per_ip", l.max_connections_per_ip as u64),
            ] {
                if v == 0 {
                    return Err(invalid(format!("listen.c2s[{i}].{key}"), "expected a positive integer"));
                }
            }
            if l.max_stanza_size < 1024 {
                return Err(invalid(
                    format!("listen.c2s[{i}].max_stanza_size"),
                    "expected at least 1024 bytes",
                ));
            }
        }
        for (i, l) in self.listen.service.iter().enumerate() {
            let key = |k: &str| format!("listen.service[{i}].{k}");
            if l.password.is_empty() {
                return Err(invalid(key("password"), "expected a non-empty secret"));
            }
            for (k, v) in [
                ("idle_timeout", l.idle_timeout),
                ("negotiation_timeout", l.negotiation_timeout),
                ("keepalive_interval", l.keepalive_interval),
                ("max_connections", l.max_connections as u64),
                ("max_connections_per_ip", l.max_connections_per_ip as u64),
                ("max_fsm_queue", l.max_fsm_queue as u64),
                ("max_queue_bytes", l.max_queue_bytes as u64),
            ] {
                if v == 0 {
                    return Err(invalid(key(k), "expected a positive integer"));
                }
            }
            if l.max_stanza_size < 1024 {
                return Err(invalid(key("max_stanza_size"), "expected at least 1024 bytes"));
            }
        }
        Ok(())
    }

    fn validate_uploads(&self, m: &ModHttpUpload) -> Result<(), ConfigError> {
        let key = |k: &str| format!("modules.mod_http_upload.{k}");
        for (k, v) in [
            ("max_file_size", m.max_file_size),
            ("expiration_time", m.expiration_time),
            ("user_quota", m.user_quota),
        ] {
            if v == 0 {
                return Err(invalid(key(k), "expected a positive integer"));
            }
        }
        // Sizes are kept as SQLite integers.
        if m.max_file_size > i64::MAX as u64 {
            return Err(invalid(key("max_file_size"), "too large"));
        }
        if !(16..=128).contains(&m.token_bytes) {
            return Err(invalid(key("token_bytes"), "expected 16 to 128"));
        }
        self.check_service_host(
            &key("host"),
            &m.host,
            Some("expected a domain other than the MUC Light service's"),
        )?;
        if let Some(base) = &m.base_url {
            let sample = base.replace("@HOST@", "example.com");
            let ok = url::Url::parse(&sample)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.query().is_none() && u.fragment().is_none());
            if !ok {
                return Err(invalid(
                    key("base_url"),
                    "expected an http:// or https:// URL without query, with @HOST@ for each served host",
                ));
            }
        }
        if self.upload_handler().is_none() {
            return Err(invalid(
                "modules.mod_http_upload",
                "no HTTP listener serves the files: add [[listen.http.handlers.mod_http_upload]]",
            ));
        }
        Ok(())
    }

    /// The first HTTP listener serving uploads, and its handler.
    pub fn upload_handler(&self) -> Option<(&HttpListener, &UploadHandler)> {
        self.listen
            .http
            .iter()
            .find_map(|l| l.handlers.mod_http_upload.first().map(|h| (l, h)))
    }

    /// The MUC Light service domain for `host`, when the module is on.
    pub fn muc_light_domain(&self, host: &str) -> Option<String> {
        self.modules
            .mod_muc_light
            .as_ref()
            .map(|m| m.host.replace("@HOST@", host))
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

impl ServiceListener {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip_address, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_means_the_documented_defaults() {
        let c = Config::load(None).unwrap().config;
        assert_eq!(c.general.hosts, ["localhost"]);
        assert_eq!(c.general.data_dir, PathBuf::from("data"));
        let ports: Vec<u16> = c.listen.http.iter().map(|l| l.port).collect();
        assert_eq!(ports, [8089, 8088, 5280]);
        assert!(c.listen.http[0].tls.is_some());
        assert_eq!(c.listen.http[1].ip_address, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(c.listen.c2s[0].port, 5222);
        assert_eq!(c.listen.c2s[0].max_stanza_size, 65536);
    }

    #[test]
    fn modules_default_to_all_unless_the_file_lists_them() {
        let c = Config::parse("[general]\nhosts = [\"localhost\"]\n").unwrap().config;
        assert!(c.modules.mod_mam.is_some() && c.modules.mod_muc_light.is_some());
        let c = Config::parse("[modules.mod_roster]\n").unwrap().config;
        assert!(c.modules.mod_mam.is_none() && c.modules.mod_roster.is_some());
    }

    #[test]
    fn a_mongooseim_style_file_parses() {
        let text = r#"
            [general]
            hosts = ["example.com", "Other.Example"]
            data_dir = "/var/lib/meerkat"
            http_server_name = "chat"

            [[listen.http]]
            port = 0
            ip_address = "127.0.0.1"
            tls.certfile = "cert.pem"
            tls.keyfile = "key.pem"

              [[listen.http.handlers.mongoose_client_api]]
              host = "_"
              path = "/api"
              docs = false

            [[listen.c2s]]
            port = 5222
            tls.mode = "starttls_required"
            max_stanza_size = 100000

            [modules.mod_mam]
            [modules.mod_muc_light]
            host = "rooms.@HOST@"
            all_can_invite = true
            [modules.mod_roster]
        "#;
        let loaded = Config::parse(text).unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let c = loaded.config;
        assert_eq!(c.general.http_server_name, "chat");
        assert_eq!(c.listen.http.len(), 1);
        assert!(!c.listen.http[0].handlers.mongoose_client_api[0].docs);
        assert_eq!(c.listen.c2s[0].tls.mode, TlsMode::StarttlsRequired);
        assert_eq!(c.muc_light_domain("example.com").unwrap(), "rooms.example.com");
    }

    #[test]
    fn the_archive_survives_a_kill_unless_told_to_survive_a_power_loss() {
        use crate::store::Durability;
        assert_eq!(Config::default().archive_durability(), Durability::Process);
        let power = Config::parse("[modules.mod_mam]\ndurability = \"power\"\n").unwrap();
        assert_eq!(power.config.archive_durability(), Durability::Power);
        let e = Config::parse("[modules.mod_mam]\ndurability = \"disk\"\n").unwrap_err();
        assert!(e.to_string().contains("unknown variant `disk`"), "{e}");
    }

    #[test]
    fn unknown_keys_are_named_not_fatal() {
        let loaded = Config::parse(
            "[general]\nhostz = [\"x\"]\n[acl.local]\nmatch = \"current_domain\"\n[modules.mod_mam]\nbackend = \"rdbms\"\n",
        )
        .unwrap();
        assert_eq!(loaded.unknown_keys, ["acl", "general.hostz", "modules.mod_mam.backend"]);
    }

    #[test]
    fn listeners_name_shapers_that_exist() {
        let listener = "[[listen.c2s]]\nport = 5222\nshaper = \"normal\"\n";
        let c = Config::parse(&format!("[shaper.normal]\nmax_rate = 1000\n{listener}"))
            .unwrap()
            .config;
        assert_eq!(c.shaper_rate(c.listen.c2s[0].shaper.as_deref()), Some(1000));
        assert_eq!(c.shaper_rate(None), None);
        let missing = Config::parse(listener).unwrap_err().to_string();
        assert!(
            missing.contains("listen.c2s[0].shaper") && missing.contains("no [shaper.normal]"),
            "{missing}"
        );
        let zero = Config::parse(&format!("[shaper.normal]\nmax_rate = 0\n{listener}"))
            .unwrap_err()
            .to_string();
        assert!(zero.contains("shaper.normal.max_rate"), "{zero}");
        let unknown = Config::parse("[shaper.normal]\nmax_rte = 5\n").unwrap_err().to_string();
        assert!(unknown.contains("shaper.normal"), "{unknown}");
    }

    #[test]
    fn token_settings_default_and_are_bounded() {
        let c = Config::parse("").unwrap().config;
        assert_eq!((c.auth.token_lifetime, c.auth.max_tokens_per_user), (3600, 100));
        let c = Config::parse("[auth]\ntoken_lifetime = 60\nmax_tokens_per_user = 5\n")
            .unwrap()
            .config;
        assert_eq!((c.auth.token_lifetime, c.auth.max_tokens_per_user), (60, 5));
        for (text, key) in [
            ("token_lifetime = 0", "auth.token_lifetime"),
            ("token_lifetime = 31536001", "auth.token_lifetime"),
            ("max_tokens_per_user = 0", "auth.max_tokens_per_user"),
        ] {
            let err = Config::parse(&format!("[auth]\n{text}\n")).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn a_malformed_value_names_the_key_and_the_expected_type() {
        let err = Config::parse("[[listen.http]]\nport = \"eighty\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("listen.http[0].port"), "{text}");
        assert!(text.contains("u16"), "{text}");

        let err = Config::parse("[[listen.c2s]]\nport = 5222\ntls.mode = \"sometimes\"\n").unwrap_err();
        assert!(err.to_string().contains("listen.c2s[0].tls.mode"), "{err}");

        let err = Config::parse("[[listen.http]]\nport = 1\nip_address = \"nowhere\"\n").unwrap_err();
        assert!(err.to_string().contains("listen.http[0].ip_address"), "{err}");
    }

    #[test]
    fn room_limits_and_the_room_service_domain_are_checked() {
        let c = Config::parse("[modules.mod_muc_light]\nmax_occupants = 5\n")
            .unwrap()
            .config;
        let m = c.modules.mod_muc_light.unwrap();
        assert_eq!((m.max_occupants, m.rooms_per_user), (5, 1000));
        for (bad, key) in [
            ("max_occupants = 0", "modules.mod_muc_light.max_occupants"),
            ("rooms_per_user = 0", "modules.mod_muc_light.rooms_per_user"),
            ("host = \"a b\"", "modules.mod_muc_light.host"),
            ("host = \"@HOST@\"", "modules.mod_muc_light.host"),
        ] {
            let err = Config::parse(&format!("[modules.mod_muc_light]\n{bad}\n")).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
        let err = Config::parse("[general]\nstorage = \"oracle\"\n").unwrap_err();
        assert!(err.to_string().contains("general.storage"), "{err}");
        for (bad, key) in [
            ("url = \"mysql://x\"", "storage.postgres.url"),
            ("pool_size = 0", "storage.postgres.pool_size"),
            ("timeout_ms = 0", "storage.postgres.timeout_ms"),
            ("node_id = 64", "storage.postgres.node_id"),
            ("node_id = -1", "storage.postgres.node_id"),
            ("size = 3", "storage.postgres"),
        ] {
            let err = Config::parse(&format!("[storage.postgres]\n{bad}\n")).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn multi_user_chat_is_on_by_default_and_its_limits_and_room_defaults_are_read_and_checked() {
        let d = Config::default();
        let m = d.modules.mod_muc.expect("on without a config file");
        assert_eq!(m.settings().limits, crate::core::muc::Limits::default());
        assert_eq!(m.settings().defaults, crate::core::muc::RoomDefaults::default());
        let loaded = Config::parse(
            "[modules.mod_muc]
host = \"chat.@HOST@\"
history_length = 0
max_nick_length = 12
\
             [modules.mod_muc.default_room]
persistent = true
anonymous = false
max_users = 50
\
             members_by_default = true
",
        )
        .unwrap();
        assert_eq!(loaded.unknown_keys, ["modules.mod_muc.default_room.members_by_default"]);
        let s = loaded.config.modules.mod_muc.unwrap().settings();
        assert_eq!(s.host, "chat.@HOST@");
        assert_eq!((s.limits.history_length, s.limits.max_nick_length), (0, 12));
        assert!(s.defaults.persistent && !s.defaults.anonymous && s.defaults.logging);
        assert_eq!(s.defaults.max_users, 50);
        assert!(
            loaded.config.modules.mod_muc_light.is_none(),
            "only listed modules are on"
        );
        for (bad, key) in [
            ("max_rooms = 0", "modules.mod_muc.max_rooms"),
            ("max_nick_length = 0", "modules.mod_muc.max_nick_length"),
            ("max_users = 10", "modules.mod_muc.default_room.max_users"),
            ("host = \"@HOST@\"", "modules.mod_muc.host"),
            ("host = \"muclight.@HOST@\"", "modules.mod_muc.host"),
            ("max_rooms = -1", "modules.mod_muc.max_rooms"),
        ] {
            let text = format!("[modules.mod_muc_light]\n[modules.mod_muc]\n{bad}\n");
            let err = Config::parse(&text).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn a_metrics_handler_parses_with_its_default_path_and_a_bad_path_is_named() {
        let text = "[[listen.http]]\nport = 9091\nip_address = \"127.0.0.1\"\n\
                    [[listen.http.handlers.mongoose_prometheus_handler]]\n";
        let loaded = Config::parse(text).unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let handlers = &loaded.config.listen.http[0].handlers.mongoose_prometheus_handler;
        assert_eq!(handlers.len(), 1);
        assert_eq!(handlers[0].path, "/metrics");
        let err = Config::parse(
            "[[listen.http]]\nport = 1\n[[listen.http.handlers.mongoose_prometheus_handler]]\npath = \"metrics\"\n",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("listen.http[0].handlers.mongoose_prometheus_handler.path"),
            "{err}"
        );
    }

    #[test]
    fn stream_management_and_csi_are_on_by_default_with_mongooseim_keys() {
        let c = Config::load(None).unwrap().config;
        let sm = c.modules.mod_stream_management.unwrap();
        assert_eq!((sm.resume_timeout, sm.buffer_max, sm.ack_freq), (300, 100, 1));
        assert_eq!(c.modules.mod_csi.unwrap().buffer_max, 100);
        let loaded = Config::parse(
            "[modules.mod_stream_management]\nresume_timeout = 2\nbuffer_max = 30\nack_freq = 3\n[modules.mod_csi]\nbuffer_max = 40\n",
        )
        .unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let sm = loaded.config.modules.mod_stream_management.unwrap();
        assert_eq!((sm.resume_timeout, sm.buffer_max, sm.ack_freq), (2, 30, 3));
        assert!(Config::parse("[modules.mod_roster]\n")
            .unwrap()
            .config
            .modules
            .mod_stream_management
            .is_none());
        for (bad, key) in [
            (
                "[modules.mod_stream_management]\nresume_timeout = 0",
                "modules.mod_stream_management.resume_timeout",
            ),
            (
                "[modules.mod_stream_management]\nbuffer_max = 0",
                "modules.mod_stream_management.buffer_max",
            ),
            (
                "[modules.mod_stream_management]\nack_freq = 0",
                "modules.mod_stream_management.ack_freq",
            ),
            ("[modules.mod_csi]\nbuffer_max = 0", "modules.mod_csi.buffer_max"),
        ] {
            let err = Config::parse(bad).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn pep_vcard_and_private_storage_are_on_by_default_with_their_limits() {
        let m = Config::load(None).unwrap().config.modules;
        let pep = m.mod_pep.unwrap();
        assert_eq!(
            (
                pep.max_payload_size,
                pep.max_avatar_size,
                pep.max_nodes,
                pep.max_items_node
            ),
            (65536, 131072, 100, 256)
        );
        assert_eq!(pep.max_user_bytes, 10 * 1024 * 1024);
        assert_eq!(m.mod_caps.unwrap().cache_size, 1000);
        assert_eq!(m.mod_vcard.unwrap().max_size, 65536);
        let private = m.mod_private.unwrap();
        assert_eq!((private.max_size, private.max_entries), (65536, 100));

        let loaded = Config::parse("[modules.mod_pep]\nmax_items_node = 10\n[modules.mod_vcard]\n").unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let m = loaded.config.modules;
        assert_eq!(m.mod_pep.unwrap().max_items_node, 10);
        assert!(m.mod_private.is_none() && m.mod_caps.is_none() && m.mod_vcard.is_some());
        for (bad, key) in [
            ("[modules.mod_pep]\nmax_nodes = 0", "modules.mod_pep.max_nodes"),
            ("[modules.mod_caps]\ncache_size = 0", "modules.mod_caps.cache_size"),
            (
                "[modules.mod_private]\nmax_entries = 0",
                "modules.mod_private.max_entries",
            ),
            ("[modules.mod_vcard]\nmax_size = 0", "modules.mod_vcard.max_size"),
        ] {
            let err = Config::parse(bad).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn uploads_are_on_by_default_where_a_listener_serves_them() {
        let c = Config::load(None).unwrap().config;
        let m = c.modules.mod_http_upload.as_ref().unwrap();
        assert_eq!(
            (m.max_file_size, m.expiration_time, m.token_bytes),
            (10_485_760, 300, 32)
        );
        assert_eq!(m.expire_after(), Some(std::time::Duration::from_secs(30 * 86_400)));
        let (listener, handler) = c.upload_handler().unwrap();
        assert_eq!((listener.port, handler.path.as_str()), (8089, "/upload"));
        // Listeners of one's own without the handler: uploads stay off.
        let c = Config::parse("[[listen.http]]\nport = 1\n").unwrap().config;
        assert!(c.modules.mod_http_upload.is_none());
        let with = "[[listen.http]]\nport = 1\n[[listen.http.handlers.mod_http_upload]]\n";
        let c = Config::parse(with).unwrap().config;
        assert!(c.modules.mod_http_upload.is_some());
        // Asked for by name without a handler: an error naming what is missing.
        let err = Config::parse("[[listen.http]]\nport = 1\n[modules.mod_http_upload]\n").unwrap_err();
        assert!(
            err.to_string().contains("listen.http.handlers.mod_http_upload"),
            "{err}"
        );
    }

    #[test]
    fn upload_settings_are_checked() {
        let with = |module: &str| {
            Config::parse(&format!(
                "[[listen.http]]\nport = 1\n[[listen.http.handlers.mod_http_upload]]\n\
                 [modules.mod_muc_light]\n[modules.mod_http_upload]\n{module}\n"
            ))
        };
        let c = with("expire_after_days = 0\nbase_url = \"https://files.@HOST@/up\"")
            .unwrap()
            .config;
        let m = c.modules.mod_http_upload.unwrap();
        assert_eq!(m.expire_after(), None);
        let m = with("expire_after_seconds = 5")
            .unwrap()
            .config
            .modules
            .mod_http_upload
            .unwrap();
        assert_eq!(m.expire_after(), Some(std::time::Duration::from_secs(5)));
        for (bad, key) in [
            ("max_file_size = 0", "modules.mod_http_upload.max_file_size"),
            ("user_quota = 0", "modules.mod_http_upload.user_quota"),
            ("expiration_time = 0", "modules.mod_http_upload.expiration_time"),
            ("token_bytes = 4", "modules.mod_http_upload.token_bytes"),
            ("host = \"@HOST@\"", "modules.mod_http_upload.host"),
            ("host = \"muclight.@HOST@\"", "modules.mod_http_upload.host"),
            ("base_url = \"ftp://x\"", "modules.mod_http_upload.base_url"),
            ("base_url = \"https://x/?a=b\"", "modules.mod_http_upload.base_url"),
            ("max_file_size = -1", "modules.mod_http_upload.max_file_size"),
        ] {
            let err = with(bad).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn a_bosh_handler_and_its_module_parse_with_their_defaults_and_bad_values_are_named() {
        let text = "[[listen.http]]\nport = 5280\n[[listen.http.handlers.mod_bosh]]\nhost = \"_\"\n";
        let loaded = Config::parse(text).unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let c = loaded.config;
        assert_eq!(c.listen.http[0].handlers.mod_bosh[0].path, "/http-bind");
        let m = c.modules.mod_bosh.unwrap();
        assert_eq!((m.inactivity, m.max_wait, m.max_pause, m.hold), (30, 60, 120, 1));
        let m = Config::parse("[modules.mod_bosh]\ninactivity = 5\nmax_wait = 20\nhold = 2\n")
            .unwrap()
            .config
            .modules
            .mod_bosh
            .unwrap();
        assert_eq!((m.inactivity, m.max_wait, m.max_pause, m.hold), (5, 20, 120, 2));
        for (bad, key) in [
            ("inactivity = 0", "modules.mod_bosh.inactivity"),
            ("max_wait = 0", "modules.mod_bosh.max_wait"),
            ("max_pause = -1", "modules.mod_bosh.max_pause"),
            ("hold = 0", "modules.mod_bosh.hold"),
            ("hold = 5", "modules.mod_bosh.hold"),
            ("max_wait = 86401", "modules.mod_bosh.max_wait"),
        ] {
            let err = Config::parse(&format!("[modules.mod_bosh]\n{bad}\n")).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
        // A handler whose module the [modules] table leaves out cannot work: said at once.
        let err = Config::parse(&format!("{text}[modules.mod_roster]\n")).unwrap_err();
        assert!(err.to_string().contains("handlers.mod_bosh"), "{err}");
        let err =
            Config::parse("[[listen.http]]\nport = 1\n[[listen.http.handlers.mod_bosh]]\npath = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("handlers.mod_bosh.path"), "{err}");
    }

    #[test]
    fn the_default_bosh_endpoint_follows_the_module() {
        let with = Config::default();
        assert_eq!(with.listen.http[2].handlers.mod_bosh[0].path, "/http-bind");
        let without = Config::parse("[modules.mod_roster]\n").unwrap().config;
        assert!(without.listen.http.iter().all(|l| l.handlers.mod_bosh.is_empty()));
    }

    #[test]
    fn a_service_listener_takes_mongooseim_keys_with_safe_defaults() {
        let text = "[shaper.fast]\nmax_rate = 50000\n\
                    [[listen.service]]\nport = 8888\npassword = \"secret\"\n\
                    [[listen.service]]\nport = 8889\nip_address = \"0.0.0.0\"\npassword = \"other\"\n\
                    shaper_rule = \"fast\"\ncheck_from = false\nhidden_components = true\n\
                    conflict_behaviour = \"kick_old\"\nmax_stanza_size = 100000\n";
        let loaded = Config::parse(text).unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let s = &loaded.config.listen.service;
        assert_eq!(s[0].ip_address, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(s[0].check_from && !s[0].hidden_components);
        assert_eq!(s[0].conflict_behaviour, ConflictBehaviour::Disconnect);
        assert_eq!((s[0].shaper_rule.as_deref(), s[0].max_stanza_size), (None, 65536));
        assert!(!s[1].check_from && s[1].hidden_components);
        assert_eq!(s[1].conflict_behaviour, ConflictBehaviour::KickOld);
        assert_eq!(loaded.config.shaper_rate(s[1].shaper_rule.as_deref()), Some(50000));
        assert!(Config::default().listen.service.is_empty(), "off unless configured");
        for (bad, key) in [
            ("port = 1", "listen.service[0]"),
            ("port = 1\npassword = \"\"", "listen.service[0].password"),
            (
                "port = 1\npassword = \"x\"\nshaper_rule = \"nope\"",
                "listen.service[0].shaper_rule",
            ),
            (
                "port = 1\npassword = \"x\"\nconflict_behaviour = \"both\"",
                "listen.service[0].conflict_behaviour",
            ),
            (
                "port = 1\npassword = \"x\"\nmax_fsm_queue = 0",
                "listen.service[0].max_fsm_queue",
            ),
        ] {
            let err = Config::parse(&format!("[[listen.service]]\n{bad}\n")).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn half_a_certificate_is_an_error() {
        let err = Config::parse("[[listen.http]]\nport = 1\ntls.certfile = \"c.pem\"\n").unwrap_err();
        assert!(err.to_string().contains("listen.http[0].tls"), "{err}");
    }

    #[test]
    fn bad_toml_is_an_error() {
        assert!(matches!(Config::parse("[general"), Err(ConfigError::Syntax(_))));
    }

    #[test]
    fn listeners_take_compress_and_mongooseim_acceptor_counts() {
        let loaded = Config::parse(
            "[[listen.http]]\nport = 1\ncompress = true\nnum_acceptors = 10\ntransport.num_acceptors = 10\n\
             [[listen.http]]\nport = 2\n\
             [[listen.c2s]]\nport = 3\nnum_acceptors = 10\n\
             [[listen.service]]\nport = 4\npassword = \"x\"\nnum_acceptors = 10\n",
        )
        .unwrap();
        assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);
        let http = &loaded.config.listen.http;
        assert!(http[0].compress && !http[1].compress, "off unless asked for");
        assert_eq!(http[0].num_acceptors, AcceptorCount(10));
        assert_eq!(http[1].num_acceptors, AcceptorCount::default());
        assert!(Config::default().listen.http.iter().all(|l| !l.compress));
        for (bad, key) in [
            (
                "[[listen.http]]\nport = 1\nnum_acceptors = 0",
                "listen.http[0].num_acceptors",
            ),
            (
                "[[listen.http]]\nport = 1\ntransport.num_acceptors = 0",
                "listen.http[0].transport.num_acceptors",
            ),
            (
                "[[listen.c2s]]\nport = 1\nnum_acceptors = 0",
                "listen.c2s[0].num_acceptors",
            ),
            (
                "[[listen.service]]\nport = 1\npassword = \"x\"\nnum_acceptors = -1",
                "listen.service[0].num_acceptors",
            ),
            (
                "[[listen.http]]\nport = 1\ncompress = \"yes\"",
                "listen.http[0].compress",
            ),
        ] {
            let err = Config::parse(bad).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn idempotency_keys_are_kept_at_least_a_day_under_a_per_user_cap() {
        let g = Config::default().general;
        assert_eq!((g.idempotency_ttl, g.idempotency_max_keys), (86_400, 10_000));
        let c = Config::parse("[general]\nidempotency_ttl = 172800\nidempotency_max_keys = 50\n")
            .unwrap()
            .config;
        assert_eq!(
            (c.general.idempotency_ttl, c.general.idempotency_max_keys),
            (172_800, 50)
        );
        let short = Config::parse("[general]\nidempotency_ttl = 3600\n").unwrap_err();
        assert!(short.to_string().contains("general.idempotency_ttl"), "{short}");
        let none = Config::parse("[general]\nidempotency_max_keys = 0\n").unwrap_err();
        assert!(none.to_string().contains("general.idempotency_max_keys"), "{none}");
    }
}

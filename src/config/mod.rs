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
//!
//! This file owns loading (`Config::load`, `Config::parse`), the errors, and the small
//! top-level sections: `[general]`, `[auth]`, `[storage]`, `[cluster]`, `[shaper]`.
//! `listen.rs` has the listeners and their handlers, `modules.rs` every `mod_*` section,
//! `s2s.rs` federation (`[s2s]`),
//! `validate.rs` every check. A section converts to the core type it configures with a
//! `From` beside it; `server.rs` assembles them.

mod listen;
mod modules;
mod s2s;
#[cfg(test)]
mod tests;
mod validate;

pub use listen::{
    AcceptorCount, AdminApiHandler, AdminCredential, BoshHandler, C2sListener, C2sTls, ClientApiHandler,
    ConflictBehaviour, Handlers, HttpListener, HttpTls, HttpTransport, Listen, PrometheusHandler, S2sListener, S2sTls,
    S2sTlsMode, ServiceListener, TlsMode, UploadHandler, WebsocketHandler,
};
pub use modules::{
    ModBosh, ModCaps, ModCsi, ModEventPusher, ModHttpUpload, ModMam, ModMuc, ModMucLight, ModOffline, ModPep,
    ModPrivate, ModRoster, ModStreamManagement, ModVcard, Modules, MucDefaultRoom, PushBackend, MAX_BOSH_HOLD,
    MAX_BOSH_SECONDS, UPLOAD_KEY_FILE,
};
pub use s2s::{Dns, HostPolicy, Outgoing, OutgoingAddress, PolicyValue, S2s, UseStarttls};

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// `[s2s]`: federation, when on (the section, or a `[[listen.s2s]]`, is present).
    pub s2s: Option<S2s>,
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

/// What the core needs of `[cluster]`.
impl From<&Cluster> for crate::core::cluster::ClusterSettings {
    fn from(c: &Cluster) -> Self {
        crate::core::cluster::ClusterSettings {
            node: c.node.clone(),
            prefix: c.subject_prefix.clone(),
            heartbeat: Duration::from_millis(c.heartbeat_ms),
            peer_timeout: Duration::from_millis(c.peer_timeout_ms),
        }
    }
}

/// `[storage]`: the settings of the database backends.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Storage {
    /// MiB of page cache the SQLite store holds at most, all its connections together
    /// (split between them; see [`crate::store::SqliteStore`]).
    pub sqlite_cache_mb: u64,
    pub postgres: Postgres,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            sqlite_cache_mb: crate::store::sqlite::DEFAULT_CACHE_MB,
            postgres: Postgres::default(),
        }
    }
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

/// The settings of a node serving: it claims its `node_id` (account commands, which run
/// beside it, clear `claim_node`).
impl From<&Postgres> for crate::store::PgSettings {
    fn from(p: &Postgres) -> Self {
        crate::store::PgSettings {
            url: p.url.clone(),
            pool_size: p.pool_size,
            timeout: Duration::from_millis(p.timeout_ms),
            node_id: p.node_id,
            claim_node: true,
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
    /// Certificates picked by the name a TLS client asks for (SNI), for client and HTTP
    /// listeners: every `.pem` file in it, by the names it covers.
    pub tls_certs_dir: Option<PathBuf>,
    /// Milliseconds between two reads of the domains added at run time (what another
    /// node or process changed is served within this).
    pub domain_sync_interval_ms: u64,
    /// Presence broadcasts one session may send at once (the shaper's bucket).
    pub presence_burst: u32,
    /// Presence broadcasts per second one session may send after its burst; over it the
    /// latest waits for the next (0: unshaped).
    pub presence_rate: f64,
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
            domain_sync_interval_ms: 1000,
            tls_certs_dir: None,
            presence_burst: 10,
            presence_rate: 1.0,
        }
    }
}

impl General {
    /// The served hosts as the core keys them: each one's prepped domain.
    pub fn prepped_hosts(&self) -> Vec<String> {
        self.hosts
            .iter()
            .map(|h| {
                jid::BareJid::new(h)
                    .map(|j| j.domain().as_str().to_owned())
                    .unwrap_or_else(|_| h.to_lowercase())
            })
            .collect()
    }
}

/// The presence shaper of every session (`presence_burst`, `presence_rate`); `None`
/// when `presence_rate` is 0.
impl From<&General> for Option<crate::core::session::presence_shaper::PresenceRate> {
    fn from(g: &General) -> Self {
        (g.presence_rate > 0.0).then_some(crate::core::session::presence_shaper::PresenceRate {
            burst: g.presence_burst,
            per_second: g.presence_rate,
        })
    }
}

/// What a session may queue (`max_session_queue`, `max_session_queue_bytes`) and how many
/// sessions an account may have (`max_user_sessions`).
impl From<&General> for crate::core::session::Limits {
    fn from(g: &General) -> Self {
        crate::core::session::Limits {
            queue_len: g.max_session_queue,
            queue_bytes: g.max_session_queue_bytes,
            max_per_user: g.max_user_sessions,
        }
    }
}

impl From<&General> for crate::core::account::idempotency::IdempotencySettings {
    fn from(g: &General) -> Self {
        crate::core::account::idempotency::IdempotencySettings {
            ttl: Duration::from_secs(g.idempotency_ttl),
            max_keys: g.idempotency_max_keys,
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

impl From<&Auth> for crate::core::account::tokens::TokenSettings {
    fn from(a: &Auth) -> Self {
        crate::core::account::tokens::TokenSettings {
            lifetime: Duration::from_secs(a.token_lifetime),
            max_per_user: a.max_tokens_per_user,
        }
    }
}

/// The longest `auth.token_lifetime`, in seconds (a year): tokens are meant to be
/// short-lived; a longer-lived credential is the password itself.
pub const MAX_TOKEN_LIFETIME: u64 = 365 * 86_400;

/// The shortest `[general] idempotency_ttl`: the client API promises that keys are
/// remembered for a day.
pub const MIN_IDEMPOTENCY_TTL: u64 = 24 * 3600;

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
    s2s: Option<S2s>,
}

impl Default for Config {
    /// What `meerkat` serves with no config file: `localhost`, `./data`, the client API over
    /// HTTPS (self-signed) on 8089, the admin API on 127.0.0.1:8088, c2s on 5222 and XMPP
    /// over WebSocket on 5280.
    fn default() -> Self {
        Config {
            general: General::default(),
            auth: Auth::default(),
            listen: listen::default_listeners(),
            modules: modules::default_modules(),
            shaper: Default::default(),
            storage: Storage::default(),
            cluster: None,
            s2s: None,
        }
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
                cache_mb: self.storage.sqlite_cache_mb,
            },
            crate::store::Backend::Postgres => crate::store::Storage::Postgres((&self.storage.postgres).into()),
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
        let modules = raw.modules.unwrap_or_else(modules::default_modules);
        let listen = raw.listen.unwrap_or_else(|| {
            let mut listen = listen::default_listeners();
            // The default BOSH endpoint follows the module: off when the file's
            // [modules] table does not list it.
            if modules.mod_bosh.is_none() {
                for l in &mut listen.http {
                    l.handlers.mod_bosh.clear();
                }
            }
            listen
        });
        let s2s = raw.s2s.or_else(|| (!listen.s2s.is_empty()).then(S2s::default));
        let mut config = Config {
            general: raw.general,
            auth: raw.auth,
            listen,
            modules,
            shaper: raw.shaper,
            storage: raw.storage,
            cluster: raw.cluster,
            s2s,
        };
        // Uploads on by default need somewhere to receive files: a listener naming the
        // handler. Listeners without one leave them off unless `[modules]` asks for them
        // (then the missing handler is an error, below).
        if !modules_listed && config.upload_handler().is_none() {
            config.modules.mod_http_upload = None;
        }
        validate::config(&config)?;
        Ok(Loaded { config, unknown_keys })
    }

    /// What the core needs of `[s2s]`, when federation is on.
    pub fn s2s_settings(&self) -> Option<crate::core::s2s::S2sSettings> {
        self.s2s.as_ref().map(Into::into)
    }

    /// The byte rate of the shaper `name` (validated to exist), if any.
    pub fn shaper_rate(&self, name: Option<&str>) -> Option<u64> {
        name.and_then(|n| self.shaper.get(n)).map(|s| s.max_rate)
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

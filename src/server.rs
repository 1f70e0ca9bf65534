//! The composition root: builds the core from the configuration and the storage it
//! names, connects the doors to it (and the HTTP door's WebSocket and BOSH handlers to
//! the XMPP door), binds every listener, and follows the account change log.
//!
//! When every listener is bound, the server logs one line per listener, then `meerkat
//! ready`, under the target [`STARTUP`], which the log filter always lets through at
//! `info` (so a `loglevel` of `warn` still shows them):
//!
//! ```text
//! 2026-12-07T10:00:00.000000Z  INFO meerkat::startup: listening kind=http addr=127.0.0.1:8089 scheme=https handlers=mongoose_client_api:/api
//! 2026-12-07T10:00:00.000000Z  INFO meerkat::startup: listening kind=http addr=127.0.0.1:8088 scheme=http handlers=mongoose_admin_api:/api
//! 2026-12-07T10:00:00.000000Z  INFO meerkat::startup: meerkat ready
//! ```
//!
//! so that scripts and tests starting it with `port = 0` learn the real ports from the
//! log (standard error).

use crate::config::{Config, TlsMode};
use crate::core::{Core, Settings};
use crate::store::StoreError;
use crate::transport::bosh::BoshService;
use crate::transport::websocket::WebSocketService;
use std::sync::Arc;
use std::time::Duration;

/// The log target of the start-up lines (`listening …`, `meerkat ready`).
pub const STARTUP: &str = "meerkat::startup";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("account changes: {0}")]
    Lifecycle(#[from] crate::core::routing::router::RouteError),
    #[error("cluster: {0}")]
    Cluster(#[from] crate::nats::JoinError),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("listener {index} ({kind}): {message}")]
    Listener {
        kind: &'static str,
        index: usize,
        message: String,
    },
}

/// What the core needs of `config`: each section converts itself (the `From` impls in
/// `config/`); this only puts the parts together.
pub fn core_settings(config: &Config) -> Settings {
    let (general, auth, modules) = (&config.general, &config.auth, &config.modules);
    Settings {
        hosts: general.prepped_hosts(),
        sessions: general.into(),
        archive: modules.mod_mam.is_some(),
        roster_max_items: modules.mod_roster.clone().unwrap_or_default().max_items,
        push: modules
            .mod_event_pusher
            .as_ref()
            .and_then(|m| m.push.as_ref())
            .map(Into::into),
        offline: modules.mod_offline.as_ref().map(Into::into),
        scram_iterations: auth.scram_iterations,
        auth_cache_size: auth.cache_size,
        max_auth_failures: auth.max_failures_per_ip,
        max_auth_failures_per_account: auth.max_failures_per_account,
        auth_failure_window: Duration::from_secs(auth.failure_window_s),
        tokens: auth.into(),
        muc_light: modules.mod_muc_light.as_ref().map(Into::into),
        stream_management: modules.mod_stream_management.as_ref().map(Into::into),
        csi: modules.mod_csi.as_ref().map(Into::into),
        uploads: modules.mod_http_upload.as_ref().map(|m| (m, general).into()),
        pep: modules.mod_pep.as_ref().map(Into::into),
        caps_cache_size: modules.mod_caps.clone().unwrap_or_default().cache_size,
        vcard: modules.mod_vcard.as_ref().map(Into::into),
        private: modules.mod_private.as_ref().map(Into::into),
        muc: modules.mod_muc.as_ref().map(Into::into),
        idempotency: general.into(),
        s2s: config.s2s_settings(),
        webhooks: modules
            .mod_event_pusher
            .as_ref()
            .and_then(|m| m.http.as_ref())
            .map(Into::into),
        presence_rate: general.into(),
    }
}

/// What BOSH sessions need of `config`: `[modules.mod_bosh]` (its defaults when the
/// module is off, since then no handler can name it) and the session queue bounds.
fn bosh_settings(config: &Config) -> crate::xmpp::bosh::BoshSettings {
    let m = config.modules.mod_bosh.clone().unwrap_or_default();
    crate::xmpp::bosh::BoshSettings {
        inactivity: Duration::from_secs(m.inactivity),
        max_wait: Duration::from_secs(m.max_wait),
        max_pause: Duration::from_secs(m.max_pause),
        hold: usize::try_from(m.hold).unwrap_or(1),
        queue_len: config.general.max_session_queue,
        queue_bytes: config.general.max_session_queue_bytes,
    }
}

/// Opens the configured storage and builds the core over it.
pub async fn open_core(config: &Config) -> Result<Arc<Core>, StoreError> {
    let stores = crate::store::open(&config.storage()).await?;
    Core::new(core_settings(config), stores).await
}

/// Binds every listener, announces them, and serves until the process is stopped.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    // Whatever the storage, the certificate, the upload key and the uploads live here.
    let data_dir = &config.general.data_dir;
    std::fs::create_dir_all(data_dir).map_err(|source| ServeError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let core = open_core(&config).await?;
    core.start_lifecycle().await?;
    let mut tasks = Vec::new();
    if let Some(c) = &config.cluster {
        tasks.extend(crate::nats::join(core.clone(), &c.nats_url, c.into()).await?);
        tracing::info!(node = %c.node, nats = %c.nats_url, "joined the cluster");
    }
    let websockets: Arc<dyn WebSocketService> = Arc::new(crate::xmpp::websocket::XmppOverWebSocket::new(core.clone()));
    let bosh: Arc<dyn BoshService> = Arc::new(crate::xmpp::bosh::XmppOverBosh::new(
        core.clone(),
        bosh_settings(&config),
    ));
    let services = crate::http::Services {
        websocket: websockets,
        bosh,
    };

    let mut announcements = Vec::new();
    let uploads_derive_base = config
        .modules
        .mod_http_upload
        .as_ref()
        .is_some_and(|m| m.base_url.is_none());
    for (index, l) in config.listen.http.iter().enumerate() {
        let (addr, task) = crate::http::bind(core.clone(), &config, l, services.clone())
            .await
            .map_err(|message| ServeError::Listener {
                kind: "http",
                index,
                message,
            })?;
        let h = &l.handlers;
        let handlers: Vec<String> = h
            .mongoose_client_api
            .iter()
            .map(|c| format!("mongoose_client_api:{}", c.path))
            .chain(
                h.mongoose_admin_api
                    .iter()
                    .map(|a| format!("mongoose_admin_api:{}", a.path)),
            )
            .chain(
                h.mongoose_websocket_handler
                    .iter()
                    .map(|w| format!("mongoose_websocket_handler:{}", w.path)),
            )
            .chain(
                h.mongoose_prometheus_handler
                    .iter()
                    .map(|p| format!("mongoose_prometheus_handler:{}", p.path)),
            )
            .chain(h.mod_http_upload.iter().map(|u| format!("mod_http_upload:{}", u.path)))
            .chain(h.mod_bosh.iter().map(|b| format!("mod_bosh:{}", b.path)))
            .collect();
        let scheme = if l.tls.is_some() { "https" } else { "http" };
        // Slots name files under the first listener serving them, by each host's name.
        if let (true, Some(u)) = (uploads_derive_base, h.mod_http_upload.first()) {
            if config.upload_handler().is_some_and(|(first, _)| std::ptr::eq(first, l)) {
                let path = u.path.trim_end_matches('/');
                core.set_upload_base_url(&format!("{scheme}://@HOST@:{}{path}", addr.port()));
            }
        }
        announcements.push(format!(
            "listening kind=http addr={addr} scheme={scheme} handlers={}",
            handlers.join(",")
        ));
        tasks.push(tokio::spawn(task));
    }
    for (index, l) in config.listen.c2s.iter().enumerate() {
        let (addr, task) = crate::xmpp::c2s::bind(core.clone(), &config, l)
            .await
            .map_err(|message| ServeError::Listener {
                kind: "c2s",
                index,
                message,
            })?;
        let tls = match l.tls.mode {
            TlsMode::Starttls => "starttls",
            TlsMode::StarttlsRequired => "starttls_required",
            TlsMode::Tls => "tls",
        };
        announcements.push(format!(
            "listening kind=c2s addr={addr} scheme=xmpp tls={tls} handlers=c2s_{tls}"
        ));
        tasks.push(tokio::spawn(task));
    }
    for (index, l) in config.listen.service.iter().enumerate() {
        let (addr, task) = crate::xmpp::component::bind(core.clone(), &config, l)
            .await
            .map_err(|message| ServeError::Listener {
                kind: "service",
                index,
                message,
            })?;
        announcements.push(format!(
            "listening kind=service addr={addr} scheme=xmpp handlers=service"
        ));
        tasks.push(tokio::spawn(task));
    }

    if config.s2s.is_some() {
        let door = crate::xmpp::s2s::S2sDoor::new(core.clone(), &config).map_err(|message| ServeError::Listener {
            kind: "s2s",
            index: 0,
            message,
        })?;
        for (index, l) in config.listen.s2s.iter().enumerate() {
            let (addr, task) = crate::xmpp::s2s::bind(door.clone(), &config, l)
                .await
                .map_err(|message| ServeError::Listener {
                    kind: "s2s",
                    index,
                    message,
                })?;
            let tls = match l.tls.mode {
                crate::config::S2sTlsMode::Starttls => "starttls",
                crate::config::S2sTlsMode::Tls => "tls",
            };
            announcements.push(format!(
                "listening kind=s2s addr={addr} scheme=xmpp tls={tls} handlers=s2s"
            ));
            tasks.push(tokio::spawn(task));
        }
        door.start();
    }

    // Account changes made by other processes (the command line) reach this server here.
    let every = Duration::from_millis(config.auth.sync_interval_ms);
    tasks.push(tokio::spawn(core.clone().follow_account_changes(every)));
    // Domains added, disabled or removed through another node (or the command line) are
    // served, or no longer, within an interval; interrupted removals resume.
    let every = Duration::from_millis(config.general.domain_sync_interval_ms.max(1));
    tasks.push(tokio::spawn(core.clone().follow_domains(every)));
    // Expired bearer tokens are deleted in the background (they are refused before that).
    tasks.push(tokio::spawn(core.clone().expire_tokens()));
    // Idempotency keys past their retention are forgotten in the background.
    tasks.push(tokio::spawn(core.clone().expire_idempotency_keys()));
    // Webhook deliveries, one task per endpoint (nothing without mod_event_pusher.http).
    tasks.extend(core.start_webhooks().await?);
    // Expired uploads and abandoned upload slots are deleted in the background.
    if config.modules.mod_http_upload.is_some() {
        tasks.push(tokio::spawn(core.clone().expire_uploads()));
    }

    // Memory freed after a burst (a slow-reader flood's queues) goes back to the system.
    return_free_memory();

    for line in &announcements {
        tracing::info!(target: STARTUP, "{line}");
    }
    tracing::info!(target: STARTUP, "meerkat ready");

    shutdown_signal().await;
    tracing::info!("shutting down");
    core.shutdown();
    // Give sessions a moment to send their stream errors (and, in a cluster, their
    // unavailable presence to other nodes).
    tokio::time::sleep(Duration::from_millis(200)).await;
    core.leave_cluster().await;
    for t in tasks {
        t.abort();
    }
    Ok(())
}

/// How often the allocator is asked to give its free memory back to the system.
const TRIM_EVERY: Duration = Duration::from_secs(10);

/// glibc's malloc keeps what a burst freed in its arenas, and on its own gives back only
/// free memory at the top of a heap; `malloc_trim(0)` returns every free page of every arena
/// (docs/security.md, "The memory bound", has the figures). It runs on a thread of its
/// own, every `TRIM_EVERY`, holding each arena's lock while it walks that arena.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_free_memory() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::os::raw::c_int;
    }
    let spawned = std::thread::Builder::new().name("malloc-trim".into()).spawn(|| loop {
        std::thread::sleep(TRIM_EVERY);
        // SAFETY: malloc_trim takes the allocator's own locks and has no preconditions.
        unsafe {
            malloc_trim(0);
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the thread returning free memory");
    }
}

/// Elsewhere (musl, other systems) nothing is called: their allocators were not measured.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_free_memory() {}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

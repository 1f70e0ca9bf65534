//! The running server: one [`Context`] shared by every door, and the listeners.
//!
//! When every listener is bound, the server prints one line per listener to stdout,
//! then `meerkat ready`:
//!
//! ```text
//! listening kind=http addr=127.0.0.1:8089 scheme=https handlers=mongoose_client_api:/api
//! listening kind=http addr=127.0.0.1:8088 scheme=http handlers=mongoose_admin_api:/api
//! meerkat ready
//! ```
//!
//! so that scripts and tests starting it with `port = 0` learn the real ports.

use crate::config::Config;
use crate::core::accounts::Accounts;
use crate::core::archive::Archive;
use crate::core::router::Router;
use crate::core::throttle::AuthThrottle;
use crate::store::{SqliteStore, Store};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// What every door of the server shares. Passed explicitly; there is no global state.
pub struct Context {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub accounts: Accounts,
    pub router: Router,
    pub archive: Archive,
    /// Serializes roster read-modify-write cycles (subscription state changes touch two
    /// users' items and must not interleave).
    pub roster_lock: tokio::sync::Mutex<()>,
    /// Failed XMPP logins per source address.
    pub throttle: AuthThrottle,
    /// Keys the fake SCRAM salts of unknown users (per process).
    pub scram_secret: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("listener {index} ({kind}): {message}")]
    Listener {
        kind: &'static str,
        index: usize,
        message: String,
    },
}

impl Context {
    /// Opens the data directory and builds the shared services.
    pub async fn open(config: Config) -> Result<Arc<Self>, crate::store::StoreError> {
        let store = Arc::new(SqliteStore::open(&config.general.data_dir)?);
        Self::from_store(config, store).await
    }

    /// Builds the services over an already opened store.
    pub async fn from_store(config: Config, store: Arc<dyn Store>) -> Result<Arc<Self>, crate::store::StoreError> {
        let archive = Archive::open(&*store).await?;
        let hosts = config
            .general
            .hosts
            .iter()
            .map(|h| {
                jid::BareJid::new(h)
                    .map(|j| j.domain().as_str().to_owned())
                    .unwrap_or_else(|_| h.to_lowercase())
            })
            .collect();
        let accounts = Accounts::new(
            store.clone(),
            hosts,
            config.auth.scram_iterations,
            config.auth.cache_size,
        );
        Ok(Arc::new(Context {
            store,
            accounts,
            router: Router::new(),
            archive,
            roster_lock: tokio::sync::Mutex::new(()),
            throttle: AuthThrottle::new(
                config.auth.max_failures_per_ip,
                Duration::from_secs(config.auth.failure_window_s),
            ),
            scram_secret: rand::random(),
            config,
        }))
    }
}

/// Binds every listener, announces them, and serves until the process is stopped.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let ctx = Context::open(config).await?;
    ctx.accounts
        .sync_external_changes()
        .await
        .map_err(|e| ServeError::Listener {
            kind: "store",
            index: 0,
            message: e.to_string(),
        })?;

    let mut announcements = Vec::new();
    let mut tasks = Vec::new();
    for (index, l) in ctx.config.listen.http.iter().enumerate() {
        let (addr, task) = crate::http::bind(ctx.clone(), l)
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
            .collect();
        let scheme = if l.tls.is_some() { "https" } else { "http" };
        announcements.push(format!(
            "listening kind=http addr={addr} scheme={scheme} handlers={}",
            handlers.join(",")
        ));
        tasks.push(tokio::spawn(task));
    }
    for (index, l) in ctx.config.listen.c2s.iter().enumerate() {
        let (addr, task) = crate::xmpp::c2s::bind(ctx.clone(), l)
            .await
            .map_err(|message| ServeError::Listener {
                kind: "c2s",
                index,
                message,
            })?;
        let tls = match l.tls.mode {
            crate::config::TlsMode::Starttls => "starttls",
            crate::config::TlsMode::StarttlsRequired => "starttls_required",
            crate::config::TlsMode::Tls => "tls",
        };
        announcements.push(format!(
            "listening kind=c2s addr={addr} scheme=xmpp tls={tls} handlers=c2s_{tls}"
        ));
        tasks.push(tokio::spawn(task));
    }

    let sync_ctx = ctx.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(sync_ctx.config.auth.sync_interval_ms));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sync_ctx.accounts.sync_external_changes().await {
                tracing::warn!(error = %e, "cannot read account changes");
            }
        }
    });

    {
        let mut out = std::io::stdout().lock();
        for line in &announcements {
            let _ = writeln!(out, "{line}");
            tracing::info!("{line}");
        }
        let _ = writeln!(out, "meerkat ready");
        let _ = out.flush();
    }

    shutdown_signal().await;
    tracing::info!("shutting down");
    ctx.router.kick_all(crate::core::router::Kick::Shutdown);
    // Give sessions a moment to send their stream errors.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for t in tasks {
        t.abort();
    }
    Ok(())
}

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

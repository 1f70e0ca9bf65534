//! The `meerkat` command line.
//!
//! ```text
//! meerkat [--config FILE] [serve]
//! meerkat [--config FILE] register JID PASSWORD
//! meerkat [--config FILE] unregister JID
//! meerkat [--config FILE] passwd JID PASSWORD
//! meerkat [--config FILE] users|sessions|messages|stanzas|contacts|muc-light|muc|domains|webhooks … [--json]
//! ```
//!
//! `--config` may come before or after the subcommand; `MEERKAT_CONFIG` sets it too.
//! Account commands open the storage directly (SQLite in WAL mode), so they work whether
//! or not a server runs on the same data directory. The change is logged with it; a
//! running server applies it within `auth.sync_interval_ms` (ending the account's
//! sessions, purging what depended on a removed account), and a server started later
//! applies it at start. `users register|passwd|remove` are the same commands.
//!
//! The other groups call the running server's admin API (`admin.rs`), found and signed
//! in to from the same configuration (`endpoint.rs`).
//!
//! Exit codes: 0 success, 1 the operation failed (e.g. the user exists, the server
//! refused or cannot be reached), 2 bad usage or configuration.

mod admin;
mod endpoint;

use crate::config::{Config, Loaded};
use crate::core::account::{AccountError, Accounts};
use admin::Call;
use clap::{Parser, Subcommand};
use endpoint::Remote;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "meerkat",
    version,
    about = "An XMPP server with a spec-first client REST API"
)]
struct Cli {
    /// Configuration file (TOML); without one, the documented defaults apply.
    #[arg(long, short = 'c', global = true, env = "MEERKAT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Create an account.
    Register { jid: String, password: String },
    /// Remove an account.
    Unregister { jid: String },
    /// Change an account's password.
    Passwd { jid: String, password: String },
    /// Users: list and count (admin API); register, passwd, remove (storage)
    Users {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Sessions: list, show and end them (admin API)
    Sessions {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: admin::SessionsCall,
    },
    /// One-to-one messages: send as a user, read archives (admin API)
    Messages {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: admin::MessagesCall,
    },
    /// Any stanza, sent as a user (admin API)
    Stanzas {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: admin::StanzasCall,
    },
    /// Users' contacts and subscriptions (admin API)
    Contacts {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: admin::ContactsCall,
    },
    /// MUC Light rooms (admin API)
    MucLight {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: admin::MucLightCall,
    },
    /// Multi-User Chat rooms (admin API)
    Muc {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: admin::MucCall,
    },
    /// Domains added, disabled and removed at run time (admin API)
    Domains {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: admin::DomainsCall,
    },
    /// Webhook endpoints: delivery state and replays (admin API)
    Webhooks {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: admin::WebhooksCall,
    },
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    #[command(flatten)]
    Call(admin::UsersCall),
    /// Create an account (on the storage, as `meerkat register`)
    Register { jid: String, password: String },
    /// Change an account's password (on the storage, as `meerkat passwd`)
    Passwd { jid: String, password: String },
    /// Remove an account (on the storage, as `meerkat unregister`)
    Remove { jid: String },
}

/// A change the account commands make on the storage.
#[derive(Debug)]
enum AccountChange {
    Register { jid: String, password: String },
    Unregister { jid: String },
    Passwd { jid: String, password: String },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let Loaded { config, unknown_keys } = match Config::load(cli.config.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("meerkat: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);
    for key in &unknown_keys {
        tracing::warn!(key = %key, "unknown config key ignored");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("meerkat: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let (remote, call) = match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                return match crate::server::serve(config).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("meerkat: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Command::Register { jid, password }
            | Command::Users {
                command: UsersCommand::Register { jid, password },
                ..
            } => return account_command(config, AccountChange::Register { jid, password }).await,
            Command::Unregister { jid }
            | Command::Users {
                command: UsersCommand::Remove { jid },
                ..
            } => return account_command(config, AccountChange::Unregister { jid }).await,
            Command::Passwd { jid, password }
            | Command::Users {
                command: UsersCommand::Passwd { jid, password },
                ..
            } => return account_command(config, AccountChange::Passwd { jid, password }).await,
            Command::Users {
                remote,
                command: UsersCommand::Call(call),
            } => (remote, Call::Users(call)),
            Command::Sessions { remote, command } => (remote, Call::Sessions(command)),
            Command::Messages { remote, command } => (remote, Call::Messages(command)),
            Command::Stanzas { remote, command } => (remote, Call::Stanzas(command)),
            Command::Contacts { remote, command } => (remote, Call::Contacts(command)),
            Command::MucLight { remote, command } => (remote, Call::MucLight(command)),
            Command::Muc { remote, command } => (remote, Call::Muc(command)),
            Command::Domains { remote, command } => (remote, Call::Domains(command)),
            Command::Webhooks { remote, command } => (remote, Call::Webhooks(command)),
        };
        admin::run(&config, &remote, call).await
    })
}

fn init_logging(config: &Config) {
    // Libraries a peer can make warn once per connection (h2's rapid-reset protection)
    // log errors only unless the filter names them; the server reports those events
    // itself, at most once a minute (`core::log_limit`).
    let quiet = crate::core::log_limit::quiet_libraries;
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|spec| !spec.trim().is_empty())
        .and_then(|spec| tracing_subscriber::EnvFilter::try_new(quiet(&spec)).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(quiet(&config.general.loglevel)))
        // Scripts learn the listeners' ports from the start-up lines, whatever the level.
        .add_directive(
            format!("{}=info", crate::server::STARTUP)
                .parse()
                .expect("a target and a level make a valid directive"),
        );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn account_command(config: Config, command: AccountChange) -> ExitCode {
    let mut storage = config.storage();
    if let crate::store::Storage::Postgres(settings) = &mut storage {
        // Account commands write no archive ids: they run beside the node holding its number.
        settings.claim_node = false;
    }
    let stores = match crate::store::open(&storage).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("meerkat: {e}");
            return ExitCode::FAILURE;
        }
    };
    let settings = crate::server::core_settings(&config);
    // Domains added at run time take accounts too, while enabled.
    let hosts = crate::core::hosts::Hosts::new(settings.hosts);
    match stores.domains.domains().await {
        Ok(domains) => {
            for d in domains {
                let added = crate::core::hosts::AddedDomain {
                    host_type: d.host_type,
                    status: d.status,
                };
                hosts.set(&d.domain, Some(added));
            }
        }
        Err(e) => {
            eprintln!("meerkat: {e}");
            return ExitCode::FAILURE;
        }
    }
    let accounts = &Accounts::new(
        stores.accounts,
        std::sync::Arc::new(hosts),
        settings.scram_iterations,
        settings.auth_cache_size,
    );
    let (jid_text, verb) = match &command {
        AccountChange::Register { jid, .. } => (jid, "registered"),
        AccountChange::Unregister { jid } => (jid, "unregistered"),
        AccountChange::Passwd { jid, .. } => (jid, "changed the password of"),
    };
    let result = match accounts.parse_local_jid(jid_text) {
        Err(e) => Err(e),
        Ok(jid) => match &command {
            AccountChange::Register { password, .. } => accounts.register(&jid, password).await,
            AccountChange::Unregister { .. } => accounts.unregister(&jid).await,
            AccountChange::Passwd { password, .. } => accounts.set_password(&jid, password).await,
        }
        .map(|()| jid),
    };
    match result {
        Ok(jid) => {
            println!("{verb} {jid}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("meerkat: {jid_text}: {e}");
            match e {
                AccountError::InvalidJid | AccountError::UnknownDomain | AccountError::InvalidUsername => {
                    ExitCode::from(2)
                }
                _ => ExitCode::FAILURE,
            }
        }
    }
}

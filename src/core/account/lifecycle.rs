//! Account lifecycle events: what follows when an account is removed or its password
//! changed, whichever process did it (the admin API in this server, or `meerkat
//! unregister`/`passwd` on the same storage while the server runs).
//!
//! The storage logs every account change in the transaction that makes it. The server
//! reads that log (at once after its own changes, and every `sync_interval`), forgets
//! cached password checks of every changed account, and applies each removal or
//! password change exactly once, by handing an [`AccountEvent`] to every [`Subscriber`]
//! in order, then marking the entry applied:
//! - removed: the account leaves every roster (pushes, unavailable presence), its roster
//!   and archive are deleted, and all its sessions (XMPP and SSE) end with `<reset/>`;
//! - password changed: all its sessions end with `<reset/>`.
//!
//! A change logged while no server ran is applied when the next one starts. A failure
//! leaves the entry unapplied; the next read of the log tries it again (every subscriber
//! is idempotent).

use crate::core::routing::router::RouteError;
use crate::core::session::Kick;
use crate::core::Core;
use crate::store::{AccountChange, AccountChangeKind, StoreError};
use async_trait::async_trait;
use jid::BareJid;
use std::sync::Arc;
use std::time::Duration;

/// Something that happened to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEvent {
    Removed(BareJid),
    PasswordChanged(BareJid),
}

impl AccountEvent {
    fn of(change: &AccountChange) -> Option<Self> {
        let jid = BareJid::new(&change.jid).ok()?;
        match change.kind {
            AccountChangeKind::Removed => Some(AccountEvent::Removed(jid)),
            AccountChangeKind::PasswordChanged => Some(AccountEvent::PasswordChanged(jid)),
            AccountChangeKind::Created | AccountChangeKind::Unknown => None,
        }
    }

    pub fn jid(&self) -> &BareJid {
        match self {
            AccountEvent::Removed(j) | AccountEvent::PasswordChanged(j) => j,
        }
    }
}

/// A consequence of account events. Must be idempotent: a failed application is retried.
#[async_trait]
pub(crate) trait Subscriber: Send + Sync {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError>;
}

/// Ends every session of the account, XMPP and SSE alike: the credentials it was
/// authenticated with no longer hold.
struct EndSessions;

#[async_trait]
impl Subscriber for EndSessions {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        core.sessions.kick_account(event.jid(), Kick::Reset);
        Ok(())
    }
}

/// The subscribers, in the order they run, and how far the log has been read.
pub(crate) struct Lifecycle {
    subscribers: Vec<Box<dyn Subscriber>>,
    /// The newest log entry handled; the lock also keeps two readers from applying the
    /// same entry twice.
    seen: tokio::sync::Mutex<i64>,
}

impl Lifecycle {
    /// `subscribers` run in the given order; [`EndSessions`] runs after them all, so
    /// that they can still say goodbye from the account's sessions.
    pub fn new(mut subscribers: Vec<Box<dyn Subscriber>>) -> Self {
        subscribers.push(Box::new(EndSessions));
        Lifecycle {
            subscribers,
            seen: tokio::sync::Mutex::new(0),
        }
    }
}

impl Core {
    /// Applies what was logged while no server ran, then starts following the log from
    /// its newest entry.
    pub async fn start_lifecycle(&self) -> Result<(), RouteError> {
        let mut seen = self.lifecycle.seen.lock().await;
        let newest = self.stores.accounts.last_account_change().await?;
        for change in self.stores.accounts.unapplied_account_changes().await? {
            self.apply(&change).await?;
        }
        *seen = newest;
        Ok(())
    }

    /// Reads the account change log since the last read and applies what it finds.
    pub async fn sync_account_changes(&self) -> Result<(), RouteError> {
        self.read_account_changes(false).await
    }

    /// [`Core::sync_account_changes`]. With `tell`, the other nodes of a cluster forget
    /// the changed accounts' cached credentials before anything is applied here: once a
    /// session ends for a change, no node still takes the old credentials.
    async fn read_account_changes(&self, tell: bool) -> Result<(), RouteError> {
        let mut seen = self.lifecycle.seen.lock().await;
        let changes = self.stores.accounts.account_changes(*seen).await?;
        if let (true, Some(c)) = (tell, self.cluster.get()) {
            let jids: Vec<String> = changes.iter().filter(|c| !c.applied).map(|c| c.jid.clone()).collect();
            if !jids.is_empty() {
                // The other nodes forget the old credentials; applying (and the sessions'
                // ending) follows.
                c.accounts_changed(jids).await;
            }
        }
        for change in changes {
            self.accounts.forget(&change.jid);
            if !change.applied {
                self.apply(&change).await?;
            }
            *seen = change.seq;
        }
        Ok(())
    }

    async fn apply(&self, change: &AccountChange) -> Result<(), RouteError> {
        if let Some(event) = AccountEvent::of(change) {
            tracing::info!(?event, "applying an account change");
            for s in &self.lifecycle.subscribers {
                s.on_account_event(self, &event).await?;
            }
        }
        match self.stores.accounts.mark_account_change_applied(change.seq).await {
            // Another reader marked it meanwhile: fine.
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Follows the log forever, every `every` (run by the composition root).
    pub async fn follow_account_changes(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.read_account_changes(true).await {
                tracing::warn!(error = %e, "cannot apply account changes; will retry");
            }
        }
    }

    /// Removes an account and carries out what follows before returning.
    pub async fn remove_account(&self, jid: &BareJid) -> Result<(), super::AccountError> {
        self.accounts.unregister(jid).await?;
        self.settle_account_changes().await;
        Ok(())
    }

    /// Changes a password and ends the account's sessions before returning.
    pub async fn change_password(&self, jid: &BareJid, password: &str) -> Result<(), super::AccountError> {
        self.accounts.set_password(jid, password).await?;
        self.settle_account_changes().await;
        Ok(())
    }

    /// After a change of our own: apply it now. It is logged, so a failure here is
    /// retried by the next read of the log rather than reported to the caller.
    pub(crate) async fn settle_account_changes(&self) {
        if let Err(e) = self.read_account_changes(true).await {
            tracing::warn!(error = %e, "applying an account change failed; will retry");
        }
    }
}

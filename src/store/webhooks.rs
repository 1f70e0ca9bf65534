//! Webhook delivery state (`[modules.mod_event_pusher.http]`): per endpoint, a bounded
//! outbox of rendered events waiting to be delivered, the cursors saying how far the
//! archive and the account change log have been copied into it, and counters.
//!
//! The events themselves are not stored anywhere else: the core derives them from the
//! archive (by id, [`crate::store::ArchiveStore::archive_after`]) and from the account
//! change log, and copies them here with [`WebhookStore::webhook_fill`], which moves
//! the cursors in the same transaction. So an event is either still ahead of the cursor
//! (read again after a crash) or in the outbox (delivered after a crash): at least once.
//!
//! Contract:
//! - an endpoint's outbox never holds more than the `max_backlog` given to the fill that
//!   filled it: the oldest events fall out first, and each one counts in `dropped`;
//! - a fill applies only if the endpoint's cursors are still those the caller read
//!   ([`StoreError::Conflict`] otherwise), so a rewind between the read and the fill wins;
//! - events come out ([`WebhookStore::webhook_pending`]) in the order they were filled.

use super::StoreError;
use async_trait::async_trait;

/// An event to put in an endpoint's outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEvent {
    /// The `webhook-id`: the archive id (decimal) of an archive event, `account-<seq>`
    /// of an account event.
    pub event_id: String,
    /// The archive id of an archive event (for rewinds); `None` for account events.
    pub archive_id: Option<i64>,
    /// The event type (`message`, `room.message`, `account.created`, …).
    pub kind: String,
    /// The JSON body, exactly as it is signed and sent.
    pub payload: String,
}

/// An event waiting in an endpoint's outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// Its place in the outbox (increasing in fill order).
    pub seq: i64,
    pub event: NewWebhookEvent,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When the first attempt failed, Unix milliseconds.
    pub first_failure_ms: Option<i64>,
}

/// One endpoint's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookState {
    pub endpoint: String,
    /// Archive entries up to this id have been copied into the outbox (or skipped).
    pub archive_cursor: i64,
    /// Account change log entries up to this position have been copied (or skipped).
    pub account_cursor: i64,
    /// Events waiting in the outbox.
    pub backlog: u64,
    /// Events delivered (a `2xx` answer), ever.
    pub delivered: u64,
    /// Events that fell out of a full outbox or were given up on, ever.
    pub dropped: u64,
    /// The last failure (an answer other than `2xx`, a timeout, a refused connection).
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    pub last_delivered_ms: Option<i64>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// `endpoint`'s state, created at the given cursors if it has none yet.
    async fn webhook_init(
        &self,
        endpoint: &str,
        archive_cursor: i64,
        account_cursor: i64,
    ) -> Result<WebhookState, StoreError>;
    /// Every endpoint's state, by name.
    async fn webhook_states(&self) -> Result<Vec<WebhookState>, StoreError>;
    /// In one transaction: if the cursors are still `from` (archive, account), appends
    /// `events`, sets the cursors to `to`, and drops the oldest events beyond
    /// `max_backlog`; returns how many were dropped. [`StoreError::Conflict`] when the
    /// cursors moved meanwhile; [`StoreError::NotFound`] for an endpoint never initialised.
    async fn webhook_fill(
        &self,
        endpoint: &str,
        from: (i64, i64),
        events: Vec<NewWebhookEvent>,
        to: (i64, i64),
        max_backlog: u64,
    ) -> Result<u64, StoreError>;
    /// The oldest `limit` events of `endpoint`'s outbox.
    async fn webhook_pending(&self, endpoint: &str, limit: usize) -> Result<Vec<WebhookEvent>, StoreError>;
    /// Event `seq` was delivered: it leaves the outbox and counts in `delivered`.
    async fn webhook_delivered(&self, endpoint: &str, seq: i64, at_ms: i64) -> Result<(), StoreError>;
    /// An attempt at event `seq` failed with `error`: its attempts grow, its first failure
    /// is kept, and the endpoint's last error is set.
    async fn webhook_failed(&self, endpoint: &str, seq: i64, error: &str, at_ms: i64) -> Result<(), StoreError>;
    /// Event `seq` is given up on: it leaves the outbox and counts in `dropped`.
    async fn webhook_give_up(&self, endpoint: &str, seq: i64, error: &str, at_ms: i64) -> Result<(), StoreError>;
    /// Sets the archive cursor back (or forward) to `after` and removes the waiting
    /// archive events with ids above it, which will be copied again in order.
    /// [`StoreError::NotFound`] for an endpoint never initialised.
    async fn webhook_rewind(&self, endpoint: &str, after: i64) -> Result<(), StoreError>;
}

//! Webhooks (`[modules.mod_event_pusher.http]`): signed HTTP `POST`s to the configured
//! endpoints for one-to-one chat messages (`message`), room events (`room.message`) and
//! account changes (`account.created`, `account.password_changed`, `account.removed`).
//!
//! Owns: each endpoint's delivery task, the event payloads (the `Webhook*` schemas of
//! `api/client.yaml`), the signature (`signing.rs`, Standard Webhooks), the outgoing
//! HTTP (`sender.rs`), and the admin operations (`list`, `replay`). Emits and hears no
//! events: it reads what is durable instead.
//!
//! Where events come from, and why nothing acknowledged is lost:
//! - messages and room events from the archive, by archive id, never past the settled
//!   watermark (an id still being written could appear behind the cursor); the archive id
//!   is the `webhook-id`. A one-to-one message is reported once, from its recipient's
//!   copy (from the sender's when the recipient is on another server);
//! - account events from the account change log (written in the transaction of the
//!   change), `webhook-id` `account-<position>`;
//! - both are copied into the endpoint's outbox together with the cursors that say how
//!   far they were read, in one transaction (`store::WebhookStore::webhook_fill`), and
//!   an event leaves the outbox only once the receiver answered `2xx`. A crash anywhere
//!   means events delivered again (same `webhook-id`), never events missing.
//!
//! Order: one endpoint gets its events one at a time in outbox order, which is archive
//! order for archive events (so per user and per room); account events go in as the
//! log is read. A failing event is retried, with exponential backoff, before anything
//! after it; it is given up (counted as dropped) once `retry_window` has passed since its
//! first failure, or after `max_attempts` when that is set.
//!
//! Bounds: an outbox holds at most `max_backlog` events; when more arrive the oldest
//! fall out and are counted (`dropped`, in the admin listing; `replay` gets them back
//! from the archive). Delivery runs in its own task per endpoint, apart from messaging:
//! a receiver that is slow or down delays only its own outbox. Memory per endpoint is one
//! page of events.
//!
//! A new endpoint starts at the current end of the archive and the log: it gets what
//! happens from then on, and history only through `replay`.
//!
//! In a cluster, the live node with the least name delivers (every node keeps a task,
//! idle elsewhere); when it goes, the next one takes over from the stored cursors after
//! the peer timeout. While nodes disagree on who is alive two may deliver at once: the
//! outbox is still filled once (fills are conditional on the cursors), but an event may
//! be sent twice, with its one `webhook-id`.

pub mod sender;
pub mod signing;

use super::archive::ChatItem;
use super::muc_light::RoomItem;
use super::Core;
use crate::store::{AccountChangeKind, ArchivedMessage, NewWebhookEvent, StoreError, WebhookState};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// The event types an endpoint may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A one-to-one chat message.
    Message,
    /// A room (MUC Light) message or affiliation change.
    RoomMessage,
    AccountCreated,
    AccountPasswordChanged,
    AccountRemoved,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::Message,
        EventKind::RoomMessage,
        EventKind::AccountCreated,
        EventKind::AccountPasswordChanged,
        EventKind::AccountRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::RoomMessage => "room.message",
            EventKind::AccountCreated => "account.created",
            EventKind::AccountPasswordChanged => "account.password_changed",
            EventKind::AccountRemoved => "account.removed",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One receiver.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Its name: the key of its state, in the admin API and the CLI.
    pub name: String,
    pub url: url::Url,
    /// The HMAC key (the secret's decoded bytes).
    pub key: Vec<u8>,
    pub events: Vec<EventKind>,
    /// Events its outbox holds at most; the oldest fall out beyond it.
    pub max_backlog: u64,
}

impl Endpoint {
    fn wants(&self, kind: EventKind) -> bool {
        self.events.contains(&kind)
    }
}

/// `[modules.mod_event_pusher.http]`.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub endpoints: Vec<Endpoint>,
    /// Events one outbox holds at most, unless its endpoint says otherwise.
    pub max_backlog: u64,
    /// The deadline of one delivery (connect, send, answer's status).
    pub request_timeout: Duration,
    /// An event failing for this long since its first failure is given up.
    pub retry_window: Duration,
    /// Attempts at one event before it is given up (0: only the window counts).
    pub max_attempts: u32,
    /// The wait after a first failure; doubled after each further one...
    pub backoff_initial: Duration,
    /// ...up to this.
    pub backoff_max: Duration,
    /// How often the archive and the account log are read for new events.
    pub poll_interval: Duration,
}

/// Events read from the archive or the log per round.
const PAGE: usize = 256;
/// Outbox events taken per read.
const BATCH: usize = 64;
/// How often an idle task compares its cursors with the stored ones (a replay moves them).
const RECHECK: Duration = Duration::from_millis(500);

/// Why an admin operation on webhooks failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("Unknown webhook endpoint")]
    UnknownEndpoint,
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

/// An endpoint as the admin API lists it.
#[derive(Debug, Clone)]
pub struct EndpointInfo {
    pub name: String,
    pub url: String,
    pub events: Vec<EventKind>,
    pub state: WebhookState,
}

fn now_ms() -> i64 {
    super::archive::now_ms()
}

/// The JSON body of a delivery.
#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: i64,
    data: &'a T,
}

#[derive(Serialize)]
struct AccountData<'a> {
    jid: &'a str,
}

fn render<T: Serialize>(kind: EventKind, timestamp: i64, data: &T) -> Option<String> {
    serde_json::to_string(&Envelope {
        kind: kind.as_str(),
        timestamp,
        data,
    })
    .ok()
}

fn domain_of(jid: &str) -> &str {
    jid.rsplit_once('@').map_or(jid, |(_, d)| d)
}

/// The event an archive entry stands for, if any: `(kind, payload)`.
fn archive_event(core: &Core, row: &ArchivedMessage) -> Option<(EventKind, String)> {
    let owner_domain = domain_of(&row.owner);
    if core.hosts.serves(owner_domain) {
        let item = ChatItem::from_archived(row)?;
        // One event per message: from the recipient's copy (a row both keep is read once),
        // or the sender's when the recipient is elsewhere.
        let recipients_copy = row.kept_by(&item.to);
        let senders_copy_only = row.owner == item.from && !core.hosts.serves(domain_of(&item.to));
        if !(recipients_copy || senders_copy_only) {
            return None;
        }
        return Some((EventKind::Message, render(EventKind::Message, item.timestamp, &item)?));
    }
    super::muc_light::service_named(core, owner_domain)?;
    let item = RoomItem::from_archived(row)?;
    let room = row.owner.split_once('@').map(|(node, _)| node.to_owned());
    let item = RoomItem { room, ..item };
    Some((
        EventKind::RoomMessage,
        render(EventKind::RoomMessage, item.timestamp, &item)?,
    ))
}

fn account_kind(kind: AccountChangeKind) -> Option<EventKind> {
    match kind {
        AccountChangeKind::Created => Some(EventKind::AccountCreated),
        AccountChangeKind::PasswordChanged => Some(EventKind::AccountPasswordChanged),
        AccountChangeKind::Removed => Some(EventKind::AccountRemoved),
        AccountChangeKind::Unknown => None,
    }
}

/// The wait before attempt `failures + 1`.
fn backoff(settings: &WebhookSettings, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    settings
        .backoff_initial
        .saturating_mul(1u32 << doublings)
        .min(settings.backoff_max)
}

/// Whether this node delivers webhooks: alone, yes; in a cluster, the live node with the
/// least name does (the others take over when it is gone, after the peer timeout).
fn delivers_here(core: &Core) -> bool {
    match core.cluster.get() {
        None => true,
        Some(c) => c.live_nodes().first().map(String::as_str) == Some(c.node()),
    }
}

/// One endpoint's delivery task.
struct Worker {
    core: Arc<Core>,
    settings: Arc<WebhookSettings>,
    endpoint: Endpoint,
    /// The cursors as last read or written (archive, account log).
    cursors: (i64, i64),
    /// When the stored cursors were last compared with these.
    last_check: std::time::Instant,
}

impl Worker {
    /// Copies new events into the outbox; whether anything was read.
    async fn fill(&mut self) -> Result<bool, StoreError> {
        let core = &*self.core;
        let (after_archive, after_account) = self.cursors;
        let mut events = Vec::new();
        let changes = core.stores.accounts.account_changes(after_account).await?;
        let mut account_to = after_account;
        for change in changes.into_iter().take(PAGE) {
            account_to = change.seq;
            let Some(kind) = account_kind(change.kind).filter(|k| self.endpoint.wants(*k)) else {
                continue;
            };
            let Some(payload) = render(kind, now_ms(), &AccountData { jid: &change.jid }) else {
                continue;
            };
            events.push(NewWebhookEvent {
                event_id: format!("account-{}", change.seq),
                archive_id: None,
                kind: kind.as_str().to_owned(),
                payload,
            });
        }
        let settled = core.archive_watermarks().await.0;
        let rows = core.stores.archive.archive_after(after_archive, settled, PAGE).await?;
        let archive_to = rows.last().map_or(after_archive, |r| r.id);
        for row in &rows {
            let Some((kind, payload)) = archive_event(core, row) else {
                continue;
            };
            if self.endpoint.wants(kind) {
                events.push(NewWebhookEvent {
                    event_id: row.id.to_string(),
                    archive_id: Some(row.id),
                    kind: kind.as_str().to_owned(),
                    payload,
                });
            }
        }
        let to = (archive_to, account_to);
        if to == self.cursors {
            // Nothing new. A replay (here or through another node) moves the stored
            // cursors back without this task knowing: look at them now and then.
            if self.last_check.elapsed() >= RECHECK {
                self.last_check = std::time::Instant::now();
                let stored = core.stores.webhooks.webhook_states().await?;
                if let Some(s) = stored.iter().find(|s| s.endpoint == self.endpoint.name) {
                    let cursors = (s.archive_cursor, s.account_cursor);
                    if cursors != self.cursors {
                        self.cursors = cursors;
                        return Ok(true);
                    }
                }
            }
            return Ok(false);
        }
        match core
            .stores
            .webhooks
            .webhook_fill(&self.endpoint.name, self.cursors, events, to, self.endpoint.max_backlog)
            .await
        {
            Ok(dropped) => {
                if dropped > 0 {
                    tracing::warn!(endpoint = %self.endpoint.name, dropped, "webhook outbox full; the oldest events were dropped");
                }
                self.cursors = to;
                Ok(true)
            }
            // Rewound meanwhile (a replay, or another node): read the cursors again.
            Err(StoreError::Conflict) => {
                self.reload().await?;
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    async fn reload(&mut self) -> Result<(), StoreError> {
        let core = &*self.core;
        let archive_start = core.archive_watermarks().await.0;
        let account_start = core.stores.accounts.last_account_change().await?;
        let state = core
            .stores
            .webhooks
            .webhook_init(&self.endpoint.name, archive_start, account_start)
            .await?;
        self.cursors = (state.archive_cursor, state.account_cursor);
        Ok(())
    }

    /// Fills until the archive and the log are read up to now (one page a round).
    async fn fill_all(&mut self) {
        for _ in 0..64 {
            match self.fill().await {
                Ok(true) => continue,
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(endpoint = %self.endpoint.name, error = %e, "webhook events could not be read");
                    return;
                }
            }
        }
    }

    /// Delivers what waits, in order, until the outbox is empty or the head failed;
    /// returns when to try the head again in that case.
    async fn deliver(&mut self) -> Result<Option<Duration>, StoreError> {
        let core = self.core.clone();
        let store = &core.stores.webhooks;
        let name = self.endpoint.name.clone();
        loop {
            let batch = store.webhook_pending(&name, BATCH).await?;
            if batch.is_empty() {
                return Ok(None);
            }
            for event in batch {
                let delivery = sender::Delivery {
                    url: &self.endpoint.url,
                    key: &self.endpoint.key,
                    id: &event.event.event_id,
                    timestamp_s: now_ms() / 1000,
                    body: &event.event.payload,
                };
                match sender::post(&delivery, self.settings.request_timeout).await {
                    Ok(_) => store.webhook_delivered(&name, event.seq, now_ms()).await?,
                    Err(e) => {
                        let now = now_ms();
                        let text = e.to_string();
                        let failures = event.attempts + 1;
                        let first = event.first_failure_ms.unwrap_or(now);
                        let window = i64::try_from(self.settings.retry_window.as_millis()).unwrap_or(i64::MAX);
                        let out_of_attempts = self.settings.max_attempts > 0 && failures >= self.settings.max_attempts;
                        if out_of_attempts || now.saturating_sub(first) >= window {
                            tracing::warn!(endpoint = %name, event = %event.event.event_id, error = %text, "webhook event given up");
                            store
                                .webhook_give_up(&name, event.seq, &format!("{text} (given up)"), now)
                                .await?;
                            continue;
                        }
                        tracing::debug!(endpoint = %name, event = %event.event.event_id, error = %text, "webhook delivery failed");
                        store.webhook_failed(&name, event.seq, &text, now).await?;
                        return Ok(Some(backoff(&self.settings, failures)));
                    }
                }
            }
            // Keep the outbox filling while a long backlog drains.
            self.fill().await.ok();
        }
    }

    async fn run(mut self) {
        let mut retry_at: Option<tokio::time::Instant> = None;
        let mut active = true;
        loop {
            if !delivers_here(&self.core) {
                active = false;
                tokio::time::sleep(self.settings.poll_interval).await;
                continue;
            }
            if !active {
                // Taking over from another node: its cursors, not ours.
                if let Err(e) = self.reload().await {
                    tracing::warn!(endpoint = %self.endpoint.name, error = %e, "webhook state unreadable");
                    tokio::time::sleep(self.settings.poll_interval).await;
                    continue;
                }
                active = true;
                retry_at = None;
            }
            self.fill_all().await;
            if retry_at.is_none_or(|at| tokio::time::Instant::now() >= at) {
                retry_at = match self.deliver().await {
                    Ok(wait) => wait.map(|w| tokio::time::Instant::now() + w),
                    Err(e) => {
                        tracing::warn!(endpoint = %self.endpoint.name, error = %e, "webhook outbox unreadable");
                        Some(tokio::time::Instant::now() + self.settings.poll_interval)
                    }
                };
            }
            let mut wait = self.settings.poll_interval;
            if let Some(at) = retry_at {
                wait = wait.min(at.saturating_duration_since(tokio::time::Instant::now()));
            }
            tokio::time::sleep(wait).await;
        }
    }
}

impl Core {
    /// Starts every configured endpoint's delivery task (with `mod_event_pusher.http`;
    /// none without). Each endpoint's state exists when this returns, so what happens
    /// after it (an account created, a message sent) is reported, also by a server that
    /// has never run with that endpoint before. Called by the composition root, which
    /// aborts the tasks at shutdown.
    pub async fn start_webhooks(self: &Arc<Core>) -> Result<Vec<tokio::task::JoinHandle<()>>, StoreError> {
        let Some(settings) = self.settings.webhooks.clone() else {
            return Ok(Vec::new());
        };
        let settings = Arc::new(settings);
        let mut tasks = Vec::new();
        for endpoint in &settings.endpoints {
            let mut worker = Worker {
                core: self.clone(),
                settings: settings.clone(),
                endpoint: endpoint.clone(),
                cursors: (0, 0),
                last_check: std::time::Instant::now(),
            };
            worker.reload().await?;
            tasks.push(tokio::spawn(worker.run()));
        }
        Ok(tasks)
    }
}

fn configured<'a>(core: &'a Core, name: &str) -> Option<&'a Endpoint> {
    core.settings
        .webhooks
        .as_ref()?
        .endpoints
        .iter()
        .find(|e| e.name == name)
}

/// Every configured endpoint with its state (backlog, counters, last error).
pub async fn list(core: &Core) -> Result<Vec<EndpointInfo>, WebhookError> {
    let Some(settings) = &core.settings.webhooks else {
        return Ok(Vec::new());
    };
    let states = core.stores.webhooks.webhook_states().await?;
    Ok(settings
        .endpoints
        .iter()
        .map(|e| EndpointInfo {
            name: e.name.clone(),
            url: e.url.to_string(),
            events: e.events.clone(),
            state: states
                .iter()
                .find(|s| s.endpoint == e.name)
                .cloned()
                .unwrap_or_else(|| WebhookState {
                    endpoint: e.name.clone(),
                    ..Default::default()
                }),
        })
        .collect())
}

/// Delivers again, in order, every archive event of `name` from archive id `from` on
/// (inclusive); events already waiting from there on are not sent twice.
pub async fn replay(core: &Core, name: &str, from: i64) -> Result<(), WebhookError> {
    configured(core, name).ok_or(WebhookError::UnknownEndpoint)?;
    let after = from.saturating_sub(1);
    match core.stores.webhooks.webhook_rewind(name, after).await {
        Ok(()) => Ok(()),
        // Its task has not started yet: start the state at the replay point.
        Err(StoreError::NotFound) => {
            let account = core.stores.accounts.last_account_change().await?;
            core.stores.webhooks.webhook_init(name, after, account).await?;
            core.stores.webhooks.webhook_rewind(name, after).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WebhookSettings {
        WebhookSettings {
            endpoints: Vec::new(),
            max_backlog: 10,
            request_timeout: Duration::from_secs(1),
            retry_window: Duration::from_secs(60),
            max_attempts: 0,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(5),
            poll_interval: Duration::from_millis(100),
        }
    }

    #[test]
    fn backoff_doubles_from_the_first_wait_up_to_the_cap() {
        let s = settings();
        let waits: Vec<u128> = (1..=6).map(|n| backoff(&s, n).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(backoff(&s, u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn event_names_read_back() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("account"), None);
    }
}

//! Archive storage (XEP-0313 user archives): ids assigned by the core (time-ordered,
//! unique), appends durable before they return.
//!
//! A one-to-one message between two accounts of this server is one row for both
//! archives ([`ArchivedMessage::shared`]): one stanza stored, one id, an entry in each
//! owner's index. Each owner reads it as its own copy; removing one owner's archive
//! leaves the row to the other.

use super::StoreError;
use async_trait::async_trait;

/// Messages queued by [`ArchiveStore::archive_enqueue`]: resolves once they are durable.
pub type Commit = futures::future::BoxFuture<'static, Result<(), StoreError>>;

/// One message as archived for one owner (and for `with` too when `shared`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedMessage {
    /// Server-assigned, unique and increasing with time.
    pub id: i64,
    /// Whose archive this copy is in (bare JID).
    pub owner: String,
    /// The other party (bare JID).
    pub with: String,
    /// When it was archived, Unix milliseconds.
    pub timestamp_ms: i64,
    /// The message stanza as XML.
    pub stanza: String,
    /// Whether `with` keeps this message in its own archive too, from this same row.
    /// Reads of `with`'s archive return it with `owner` and `with` swapped.
    pub shared: bool,
}

impl ArchivedMessage {
    /// Whether `owner`'s archive holds this message.
    pub(crate) fn kept_by(&self, owner: &str) -> bool {
        self.owner == owner || (self.shared && self.with == owner)
    }

    /// This message as `owner`'s archive shows it: `owner` first, the other party as
    /// `with` (unchanged when `owner` is not the second keeper).
    pub(crate) fn seen_by(mut self, owner: &str) -> Self {
        if self.shared && self.owner != owner && self.with == owner {
            std::mem::swap(&mut self.owner, &mut self.with);
        }
        self
    }

    /// The party `owner`'s copy is with.
    fn other_than(&self, owner: &str) -> &str {
        if self.owner == owner {
            &self.with
        } else {
            &self.owner
        }
    }
}

/// What to read from one owner's archive. Bounds are exclusive for ids and `before_ms`,
/// inclusive for `start_ms`/`end_ms`.
#[derive(Debug, Clone, Default)]
pub struct ArchiveQuery {
    pub owner: String,
    pub with: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub before_ms: Option<i64>,
    pub after_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: usize,
    /// Newest first (for "the last N"); otherwise oldest first.
    pub newest_first: bool,
}

impl ArchiveQuery {
    /// Whether `m` passes the filters (ids too when `with_ids`).
    pub(crate) fn matches(&self, m: &ArchivedMessage, with_ids: bool) -> bool {
        m.kept_by(&self.owner) && self.admits(m.id, m.other_than(&self.owner), m.timestamp_ms, with_ids)
    }

    /// Whether an entry of the owner's archive passes the other filters (ids too when
    /// `with_ids`).
    pub(crate) fn admits(&self, id: i64, with: &str, timestamp_ms: i64, with_ids: bool) -> bool {
        self.with.as_ref().is_none_or(|w| with == w)
            && self.start_ms.is_none_or(|t| timestamp_ms >= t)
            && self.end_ms.is_none_or(|t| timestamp_ms <= t)
            && self.before_ms.is_none_or(|t| timestamp_ms < t)
            && (!with_ids || self.after_id.is_none_or(|after| id > after))
            && (!with_ids || self.before_id.is_none_or(|before| id < before))
    }
}

#[async_trait]
pub trait ArchiveStore: Send + Sync + 'static {
    /// Queues messages for a commit: once this returns, the messages of a later call are
    /// committed no earlier than these. The [`Commit`] resolves `Ok` when they are
    /// durable (they survive the process being killed). Concurrent calls may be committed
    /// together.
    async fn archive_enqueue(&self, messages: Vec<ArchivedMessage>) -> Result<Commit, StoreError>;
    /// Stores messages; when this returns `Ok` they are durable.
    async fn archive_append(&self, messages: Vec<ArchivedMessage>) -> Result<(), StoreError> {
        self.archive_enqueue(messages).await?.await
    }
    /// Messages matching `query`, in the order it asks for, at most `query.limit`.
    async fn archive_query(&self, query: ArchiveQuery) -> Result<Vec<ArchivedMessage>, StoreError>;
    /// How many messages match `query`, ignoring its id bounds and limit.
    async fn archive_count(&self, query: ArchiveQuery) -> Result<u64, StoreError>;
    /// Every archive's rows (all owners, a shared row once, as written) with ids above
    /// `after` and at most `upto`, oldest first, at most `limit`: what webhooks read, in
    /// archive order.
    async fn archive_after(&self, after: i64, upto: i64, limit: usize) -> Result<Vec<ArchivedMessage>, StoreError>;
    /// The highest archive id in use (0 when empty), so new ids keep increasing.
    async fn archive_max_id(&self) -> Result<i64, StoreError>;
    /// This node's number when several nodes write this archive: the ids it issues carry
    /// it in their low bits, so they never collide with another node's. `None` when the
    /// archive has one writer.
    fn id_node(&self) -> Option<u8> {
        None
    }
    /// Deletes every message of `owner`'s archive (a row shared with another owner stays
    /// theirs); returns how many.
    async fn delete_archive(&self, owner: &str) -> Result<u64, StoreError>;
}

//! The message archive and what reads it. Beside this file: `mam` (XEP-0313 queries,
//! an account's own archive or a room's) and [`replay`] (what a resuming event stream
//! missed).
//!
//! Events: hears the removal of an account (its archive goes); emits none.
//!
//! The message archive (`mod_mam`): every one-to-one chat message routed between local
//! users is in each owner's archive (sender and recipient) before it is delivered or
//! acknowledged, so nothing acknowledged is lost (writes are group-committed by the store).
//! Between two accounts here it is one stored row with one id that both archives read
//! ([`ArchivedMessage::shared`]): one stanza serialized and written per message, not two.
//!
//! Archive ids are server-assigned and time-ordered: the millisecond timestamp shifted
//! left 16 bits plus a counter, never decreasing across restarts. They are the XEP-0313
//! result ids, XEP-0359 stanza ids, REST cursors and SSE event ids. One generator
//! ([`IdGen`]) serves users' archives and rooms' archives alike, so one id orders them
//! all, and it knows which ids are still being written ([`Archive::settled`]), so that
//! nothing reading forward passes an item that is about to appear behind it.
//!
//! Also here: the REST history ([`history`], a [`Page`] by time or by archive id) and
//! reading a stanza back as the REST/SSE item (`from`, `to`, `body`, `thread`/`parent`,
//! Smack `properties`). When an account is
//! removed, its archive goes with it (`DeleteRemovedArchive`); the copies in other
//! users' archives stay theirs.
//!
//! Every append is timed from the call to the store until it is durable (the
//! `meerkat_archive_commit_seconds` histogram): that is what a sender waits for before
//! its message is acknowledged, whatever the backend, waiting for a group commit included.

pub(crate) mod mam;
pub mod replay;

use super::metrics::Metrics;
use super::stanza::ns;
use super::Core;
use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::routing::router::RouteError;
use crate::store::{ArchiveQuery, ArchiveStore, ArchivedMessage, Commit, StoreError};
use crate::xml::{parse_element, Element};
use async_trait::async_trait;
use jid::BareJid;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Issues archive ids that increase with time and never repeat, and knows which of them
/// are still being written.
///
/// One generator serves every archive of the server (users' archives and rooms'), so
/// one id orders items across all of them: an event stream resumes from one id.
///
/// Ids are handed out before their rows are committed, and concurrent commits may finish
/// in any order; a reader that moves a cursor forward must not pass an id whose row may
/// still appear. [`IdGen::settled`] says how far every issued id has been written (or
/// given up): a forward cursor never goes beyond it.
///
/// When several nodes write one archive, each node's ids carry its number in their low
/// [`NODE_BITS`] bits (the store says which, [`ArchiveStore::id_node`]), so ids of
/// different nodes never collide and still order by time across nodes; a node then issues
/// up to 1,024 ids per millisecond before borrowing from the next one.
pub struct IdGen {
    state: Mutex<IdState>,
}

/// Bits of an id that name the node which issued it, when the archive is shared.
pub const NODE_BITS: u32 = 6;

struct IdState {
    /// The distance between two ids of this generator: 1 alone, 2^NODE_BITS when shared.
    step: i64,
    /// The low bits of every id issued (0 alone).
    node: i64,
    last: i64,
    /// Issued ids whose rows are not written yet (or whose write has not failed yet).
    pending: BTreeSet<i64>,
    /// No id at or below this is issued any more ([`IdGen::horizon`] promised it).
    promised: Option<i64>,
}

/// Ids issued together; they count as pending until this is dropped (after their write
/// returned, whatever its outcome).
pub(crate) struct Reserved<'a> {
    gen: &'a IdGen,
    pub ids: Vec<i64>,
    /// When the items count as archived: the millisecond of their first id, so that
    /// timestamps never disagree with the ids' order (two callers who read the clock in
    /// one order may reserve in the other).
    pub timestamp_ms: i64,
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        let mut state = self.gen.state();
        for id in &self.ids {
            state.pending.remove(id);
        }
    }
}

impl IdGen {
    /// A generator issuing ids above `max_existing`, carrying `node` in their low bits
    /// when given (`node < 2^NODE_BITS`).
    pub fn new(max_existing: i64, node: Option<u8>) -> Self {
        let (step, node) = match node {
            Some(n) => (1i64 << NODE_BITS, i64::from(n) & ((1 << NODE_BITS) - 1)),
            None => (1, 0),
        };
        // The newest id of ours at or below the highest in use: the next is above it.
        let last = max_existing - (max_existing - node).rem_euclid(step);
        IdGen {
            state: Mutex::new(IdState {
                step,
                node,
                last,
                pending: BTreeSet::new(),
                promised: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, IdState> {
        // Every critical section is a few integer operations that cannot panic.
        self.state.lock().expect("id mutex poisoned")
    }

    /// `n` consecutive new ids for items archived at `now_ms`, pending until the
    /// reservation is dropped.
    pub(crate) fn reserve(&self, now_ms: i64, n: usize) -> Reserved<'_> {
        let mut state = self.state();
        let step = state.step;
        let above_promise = state
            .promised
            .map_or(i64::MIN, |p| p + 1 + (state.node - p - 1).rem_euclid(step));
        let first = ((now_ms << 16) + state.node).max(state.last + step).max(above_promise);
        let ids: Vec<i64> = (0..n as i64).map(|i| first + i * step).collect();
        state.last = ids.last().copied().unwrap_or(state.last);
        state.pending.extend(&ids);
        Reserved {
            gen: self,
            ids,
            timestamp_ms: id_timestamp(first),
        }
    }

    /// Up to where this generator's ids are settled for readers of an archive other
    /// nodes write too: below its first pending id, or, with none pending, up to the
    /// start of the millisecond `now_ms`, and nothing it issues from now on goes at or
    /// below that (another node's reader may have read past it already).
    pub fn horizon(&self, now_ms: i64) -> i64 {
        let mut state = self.state();
        match state.pending.first() {
            Some(p) => p - 1,
            None => {
                let horizon = state.last.max((now_ms << 16) - 1);
                state.promised = Some(state.promised.map_or(horizon, |p| p.max(horizon)));
                horizon
            }
        }
    }

    /// One new id, settled at once (for tests of the ordering alone).
    #[cfg(test)]
    pub fn next(&self, now_ms: i64) -> i64 {
        self.reserve(now_ms, 1).ids[0]
    }

    /// The newest id issued so far (the highest id in the archive at start).
    pub fn last_issued(&self) -> i64 {
        self.state().last
    }

    /// The highest id up to which every issued id is settled: its row is durable, or its
    /// write failed and it never will be.
    pub fn settled(&self) -> i64 {
        let state = self.state();
        state.pending.first().map_or(state.last, |p| p - 1)
    }
}

/// The millisecond timestamp an archive id was issued at.
pub fn id_timestamp(id: i64) -> i64 {
    id >> 16
}

/// Whether a message belongs in the archive: chat or normal, with a body.
pub fn archivable(stanza: &Element) -> bool {
    matches!(stanza.attr("type").unwrap_or("normal"), "chat" | "normal") && stanza.child("body", ns::CLIENT).is_some()
}

/// The archive of one server.
pub struct Archive {
    /// Shared by every archive (users' and rooms'), so one id orders them all.
    pub(super) ids: IdGen,
    /// Where commit latencies are recorded.
    metrics: Arc<Metrics>,
}

/// Whose archives keep a one-to-one message ([`Core::archive_chat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keepers {
    /// The sender (an account here), and the recipient when it is a local account.
    SenderAndRecipient { recipient_is_local: bool },
    /// Only the recipient, when it is a local account: the sender is a service (a
    /// private message through a Multi-User Chat room) whose JID owns no archive here.
    Recipient { recipient_is_local: bool },
}

impl Core {
    /// Whether a one-to-one `stanza` goes to the archive: the archive is on and the
    /// stanza is one it keeps ([`archivable`]).
    pub(crate) fn archives(&self, stanza: &Element) -> bool {
        self.settings.archive && archivable(stanza)
    }

    /// The one way a one-to-one message enters users' archives, whichever door or rule
    /// it came through (delivery to an account, a stanza refused for a blocklist, a
    /// REST send to a domain not served here): `stanza` from `from` to `to`, queued for
    /// the archive's next commit with the wait for that commit, which comes before the
    /// message is acknowledged or delivered. Callers ask [`Core::archives`] first.
    pub(crate) async fn archive_chat(
        &self,
        from: &BareJid,
        to: &BareJid,
        stanza: &Element,
        keepers: Keepers,
    ) -> Result<(Archived, Committing<'_>), StoreError> {
        let store = &*self.stores.archive;
        match keepers {
            Keepers::SenderAndRecipient { recipient_is_local } => {
                self.archive.submit(store, from, to, recipient_is_local, stanza).await
            }
            Keepers::Recipient { recipient_is_local } => {
                self.archive
                    .submit_received(store, from, to, recipient_is_local, stanza)
                    .await
            }
        }
    }
}

/// Where a message was archived.
#[derive(Debug, Clone, Copy, Default)]
pub struct Archived {
    pub sender_id: Option<i64>,
    pub recipient_id: Option<i64>,
    pub timestamp_ms: i64,
}

/// Archived rows queued for a commit; [`Committing::wait`] returns once they are durable.
/// Their ids count as being written until then.
pub(crate) struct Committing<'a> {
    /// `None`: there was nothing to write.
    commit: Option<Commit>,
    started: Instant,
    metrics: &'a Metrics,
    _reserved: Option<Reserved<'a>>,
}

impl Committing<'_> {
    /// Waits for the commit, timing it from the call that queued the rows (successful
    /// ones only: a failure's duration says nothing about commits).
    pub(crate) async fn wait(self) -> Result<(), StoreError> {
        if let Some(commit) = self.commit {
            commit.await?;
            self.metrics.archive_committed(self.started.elapsed());
        }
        Ok(())
    }
}

impl Archive {
    pub(crate) async fn open(store: &dyn ArchiveStore, metrics: Arc<Metrics>) -> Result<Self, StoreError> {
        Ok(Archive {
            ids: IdGen::new(store.archive_max_id().await?, store.id_node()),
            metrics,
        })
    }

    /// Queues `rows` (ids from `reserved`) for the store's next commit; no rows, no
    /// commit (and none timed).
    async fn enqueue<'a>(
        &'a self,
        store: &dyn ArchiveStore,
        rows: Vec<ArchivedMessage>,
        reserved: Option<Reserved<'a>>,
    ) -> Result<Committing<'a>, StoreError> {
        let started = Instant::now();
        let commit = if rows.is_empty() {
            None
        } else {
            Some(store.archive_enqueue(rows).await?)
        };
        Ok(Committing {
            commit,
            started,
            metrics: &self.metrics,
            _reserved: reserved,
        })
    }

    /// Archives `stanza` for `sender` and, when it is a local account, `recipient`:
    /// returns once the copies are queued for a commit (a later call's rows commit no
    /// earlier), with the wait for it.
    async fn submit(
        &self,
        store: &dyn ArchiveStore,
        sender: &BareJid,
        recipient: &BareJid,
        recipient_is_local: bool,
        stanza: &Element,
    ) -> Result<(Archived, Committing<'_>), StoreError> {
        let both = recipient_is_local && recipient != sender;
        let reserved = self.ids.reserve(now_ms(), 1);
        let (id, ts) = (reserved.ids[0], reserved.timestamp_ms);
        let out = Archived {
            timestamp_ms: ts,
            sender_id: Some(id),
            // Both archives read the one row, under one id.
            recipient_id: (both || recipient == sender).then_some(id),
        };
        let row = ArchivedMessage {
            id,
            owner: sender.to_string(),
            with: recipient.to_string(),
            timestamp_ms: ts,
            stanza: stanza.to_xml(ns::CLIENT),
            shared: both,
        };
        let commit = self.enqueue(store, vec![row], Some(reserved)).await?;
        Ok((out, commit))
    }

    /// Archives `stanza` from a service (not an account) for `recipient` only, when it
    /// is a local account; in two steps like [`Archive::submit`].
    async fn submit_received(
        &self,
        store: &dyn ArchiveStore,
        sender: &BareJid,
        recipient: &BareJid,
        recipient_is_local: bool,
        stanza: &Element,
    ) -> Result<(Archived, Committing<'_>), StoreError> {
        if !recipient_is_local {
            let out = Archived {
                timestamp_ms: now_ms(),
                ..Default::default()
            };
            return Ok((out, self.enqueue(store, Vec::new(), None).await?));
        }
        let reserved = self.ids.reserve(now_ms(), 1);
        let ts = reserved.timestamp_ms;
        let out = Archived {
            timestamp_ms: ts,
            sender_id: None,
            recipient_id: Some(reserved.ids[0]),
        };
        let row = ArchivedMessage {
            id: reserved.ids[0],
            owner: recipient.to_string(),
            with: sender.to_string(),
            timestamp_ms: ts,
            stanza: stanza.to_xml(ns::CLIENT),
            shared: false,
        };
        let commit = self.enqueue(store, vec![row], Some(reserved)).await?;
        Ok((out, commit))
    }

    /// Archives one stanza per entry (owner, other party, stanza), committed together,
    /// with consecutive ids in the order of the entries; returns the ids once durable,
    /// and the timestamp they share.
    pub(crate) async fn append(
        &self,
        store: &dyn ArchiveStore,
        entries: Vec<(String, String, &Element)>,
    ) -> Result<(Vec<i64>, i64), StoreError> {
        let prepared: Vec<(String, String, String)> = entries
            .into_iter()
            .map(|(owner, with, stanza)| (owner, with, stanza.to_xml(ns::CLIENT)))
            .collect();
        let reserved = self.ids.reserve(now_ms(), prepared.len());
        let ts = reserved.timestamp_ms;
        let rows: Vec<ArchivedMessage> = prepared
            .into_iter()
            .zip(&reserved.ids)
            .map(|((owner, with, stanza), &id)| ArchivedMessage {
                id,
                owner,
                with,
                timestamp_ms: ts,
                stanza,
                shared: false,
            })
            .collect();
        let ids = reserved.ids.clone();
        self.enqueue(store, rows, Some(reserved)).await?.wait().await?;
        Ok((ids, ts))
    }

    /// The newest id issued so far: every item archived before this call has an id no
    /// greater (an event stream's replay reads up to it).
    pub fn last_issued(&self) -> i64 {
        self.ids.last_issued()
    }

    /// Up to where this node's ids are settled for a reader on any node (see
    /// [`IdGen::horizon`]).
    pub fn horizon(&self) -> i64 {
        self.ids.horizon(now_ms())
    }

    /// Up to where every issued id is settled (see [`IdGen::settled`]).
    pub fn settled(&self) -> i64 {
        self.ids.settled()
    }
}

/// A one-to-one chat message as REST and SSE show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatItem {
    /// The archive's id of the item (decimal), the REST cursor and the SSE event id.
    pub archive_id: String,
    pub id: String,
    pub from: String,
    pub to: String,
    pub timestamp: i64,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, String>>,
}

fn bare_of(jid: &str) -> String {
    jid::Jid::new(jid)
        .map(|j| j.to_bare().to_string())
        .unwrap_or_else(|_| jid.to_owned())
}

impl ChatItem {
    /// Reads a message stanza; `archive_id` names it when the stanza has no `id`.
    pub fn from_stanza(stanza: &Element, timestamp: i64, archive_id: i64) -> ChatItem {
        let thread = stanza.child("thread", ns::CLIENT);
        ChatItem {
            archive_id: archive_id.to_string(),
            id: stanza
                .attr("id")
                .map(str::to_owned)
                .unwrap_or_else(|| archive_id.to_string()),
            from: bare_of(stanza.attr("from").unwrap_or_default()),
            to: bare_of(stanza.attr("to").unwrap_or_default()),
            timestamp,
            body: stanza.child("body", ns::CLIENT).map(Element::text).unwrap_or_default(),
            thread: thread.map(Element::text),
            parent: thread.and_then(|t| t.attr("parent")).map(str::to_owned),
            properties: smack_properties(stanza),
        }
    }

    /// Reads an archive row; `None` if its XML no longer parses.
    pub fn from_archived(m: &ArchivedMessage) -> Option<ChatItem> {
        let stanza = parse_element(&m.stanza).ok()?;
        Some(ChatItem::from_stanza(&stanza, m.timestamp_ms, m.id))
    }

    /// A message as delivered to `owner`'s session, if it is a one-to-one chat item: its
    /// timestamp comes from the stanza id of `owner`'s archived copy.
    pub fn from_delivered(stanza: &Element, owner: &BareJid) -> Option<ChatItem> {
        if stanza.name != "message" || !archivable(stanza) {
            return None;
        }
        let archive_id = stanza
            .elements()
            .find(|e| e.is("stanza-id", ns::STANZA_ID) && e.attr("by") == Some(owner.as_str()))
            .and_then(|e| e.attr("id")?.parse::<i64>().ok());
        let timestamp = archive_id.map(id_timestamp).unwrap_or_else(now_ms);
        Some(ChatItem::from_stanza(stanza, timestamp, archive_id.unwrap_or_default()))
    }
}

/// Which items of an archive a listing asks for (REST `limit`, `before`, `after_id`,
/// `before_id`). Bounds are exclusive. Without `after_id` the listing is the newest
/// `limit` items within the bounds (paging backward); with it, the oldest `limit` of
/// them (paging forward). Either way the items come oldest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    pub limit: usize,
    /// Unix milliseconds: only items archived before.
    pub before_ms: Option<i64>,
    /// Only items with a greater archive id.
    pub after_id: Option<i64>,
    /// Only items with a smaller archive id.
    pub before_id: Option<i64>,
}

impl Page {
    /// The newest `limit` items.
    pub fn newest(limit: usize) -> Page {
        Page {
            limit,
            ..Page::default()
        }
    }
}

/// A cursor as a client gives it (`after_id`, `before_id`, `Last-Event-ID`): 1 to 19
/// decimal digits (the spec's pattern); `None` for anything else. Every archive id is
/// below `i64::MAX`, so a larger number means the same as `i64::MAX` (nothing is after
/// it, everything before it) and is read as that: every value the pattern allows is a
/// valid cursor.
pub fn parse_id(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse::<u64>().ok()?.min(i64::MAX as u64) as i64)
}

/// A page of `owner`'s archived messages, optionally only those with `with` (see
/// [`Page`]); oldest first.
pub async fn history(
    core: &Core,
    owner: &BareJid,
    with: Option<&BareJid>,
    page: Page,
) -> Result<Vec<ChatItem>, StoreError> {
    let rows = rows(core, owner, with, page).await?;
    Ok(rows.iter().filter_map(ChatItem::from_archived).collect())
}

/// The rows behind a history listing (a user's archive or a room's): a [`Page`],
/// optionally only with `with`, oldest first.
///
/// Paging forward stops at the settled id ([`Archive::settled`]): an item whose commit
/// is still under way when the page is read may get a smaller id than items already
/// committed, and a client moving its `after_id` past it would never see it. It shows on
/// the next page instead.
pub(crate) async fn rows(
    core: &Core,
    owner: &BareJid,
    with: Option<&BareJid>,
    page: Page,
) -> Result<Vec<ArchivedMessage>, StoreError> {
    if page.limit == 0 {
        return Ok(Vec::new());
    }
    let forward = page.after_id.is_some();
    let before_id = if forward {
        let settled = core.archive_watermarks().await.0.saturating_add(1);
        Some(page.before_id.map_or(settled, |b| b.min(settled)))
    } else {
        page.before_id
    };
    let query = ArchiveQuery {
        owner: owner.to_string(),
        with: with.map(|w| w.to_string()),
        before_ms: page.before_ms,
        after_id: page.after_id,
        before_id,
        limit: page.limit,
        newest_first: !forward,
        ..Default::default()
    };
    let mut rows = core.stores.archive.archive_query(query).await?;
    if !forward {
        rows.reverse();
    }
    Ok(rows)
}

/// Deletes a removed account's own archive.
pub(crate) struct DeleteRemovedArchive;

#[async_trait]
impl Subscriber for DeleteRemovedArchive {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        if let AccountEvent::Removed(jid) = event {
            let n = core.stores.archive.delete_archive(jid.as_str()).await?;
            tracing::info!(%jid, messages = n, "removed account's archive deleted");
        }
        Ok(())
    }
}

/// Smack stanza properties as a flat map of name to value text, whatever the declared
/// type. A property without a name or value is skipped; the rest are kept.
fn smack_properties(stanza: &Element) -> Option<BTreeMap<String, String>> {
    let props = stanza.child("properties", ns::SMACK_PROPERTIES)?;
    let mut out = BTreeMap::new();
    for p in props.elements().filter(|e| e.is("property", ns::SMACK_PROPERTIES)) {
        let name = p.child("name", ns::SMACK_PROPERTIES).map(Element::text);
        let value = p.child("value", ns::SMACK_PROPERTIES).map(Element::text);
        if let (Some(name), Some(value)) = (name, value) {
            if !name.is_empty() {
                out.insert(name, value);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive_ids(items: &[ChatItem]) -> Vec<i64> {
        items.iter().map(|i| i.archive_id.parse().unwrap()).collect()
    }

    #[tokio::test]
    async fn history_pages_with_both_cursors_and_forward_pages_stop_before_an_unsettled_id() {
        let h = crate::core::testkit::Harness::new(&["alice", "bob", "carol"]).await;
        let core = &h.core;
        let bare = |j: &str| BareJid::new(j).unwrap();
        let bob = bare("bob@localhost");
        for i in 0..60 {
            let from = if i % 2 == 0 {
                "alice@localhost"
            } else {
                "carol@localhost"
            };
            crate::core::im::messages::send_chat(core, &bare(from), "bob@localhost", format!("m{i}"))
                .await
                .unwrap();
        }
        let all = archive_ids(&history(core, &bob, None, Page::newest(500)).await.unwrap());
        assert_eq!(all.len(), 60);
        let page = |after_id, before_id, limit| Page {
            limit,
            after_id,
            before_id,
            ..Page::default()
        };

        let mut forward = Vec::new();
        let mut cursor = 0;
        loop {
            let got = archive_ids(&history(core, &bob, None, page(Some(cursor), None, 7)).await.unwrap());
            let Some(&last) = got.last() else { break };
            cursor = last;
            forward.extend(got);
        }
        assert_eq!(forward, all);
        let mut backward = Vec::new();
        let mut cursor = None;
        loop {
            let got = archive_ids(&history(core, &bob, None, page(None, cursor, 8)).await.unwrap());
            let Some(&first) = got.first() else { break };
            cursor = Some(first);
            backward.splice(0..0, got);
        }
        assert_eq!(backward, all);
        let with_alice = history(core, &bob, Some(&bare("alice@localhost")), page(Some(all[9]), None, 3))
            .await
            .unwrap();
        assert_eq!(archive_ids(&with_alice), [all[10], all[12], all[14]]);

        // An id issued and not written yet holds forward pages back; backward ones show
        // what is committed.
        let last = *all.last().unwrap();
        let pending = core.archive.ids.reserve(now_ms(), 1);
        crate::core::im::messages::send_chat(core, &bare("alice@localhost"), "bob@localhost", "late".into())
            .await
            .unwrap();
        assert!(history(core, &bob, None, page(Some(last), None, 10))
            .await
            .unwrap()
            .is_empty());
        let newest = history(core, &bob, None, Page::newest(1)).await.unwrap();
        assert_eq!(newest[0].body, "late");
        drop(pending);
        let after = history(core, &bob, None, page(Some(last), None, 10)).await.unwrap();
        assert_eq!(after, newest);
    }

    #[test]
    fn ids_increase_with_time_and_never_repeat() {
        let g = IdGen::new(0, None);
        let a = g.next(1_000);
        let b = g.next(1_000);
        let c = g.next(999); // the clock went back
        assert!(a < b && b < c);
        assert_eq!(id_timestamp(a), 1_000);
        let resumed = IdGen::new(c, None);
        assert!(resumed.next(900) > c);
    }

    #[test]
    fn timestamps_follow_the_ids_order_when_callers_read_the_clock_in_the_other_order() {
        let g = IdGen::new(0, None);
        // The second caller read the clock first (1,000) but reserves second.
        let later = g.reserve(1_001, 1);
        let earlier = g.reserve(1_000, 2);
        assert!(earlier.ids[0] > later.ids[0]);
        assert!(earlier.timestamp_ms >= later.timestamp_ms);
        assert_eq!(later.timestamp_ms, 1_001);
    }

    #[test]
    fn nodes_sharing_an_archive_never_issue_the_same_id_and_still_order_by_time() {
        let (a, b) = (IdGen::new(0, Some(1)), IdGen::new(0, Some(2)));
        let mut issued = std::collections::BTreeSet::new();
        for ms in [1_000, 1_000, 1_001, 999] {
            for g in [&a, &b] {
                for id in g.reserve(ms, 3).ids.clone() {
                    assert!(issued.insert(id), "{id} issued twice");
                }
            }
        }
        assert!(issued.iter().all(|id| matches!(id & 63, 1 | 2)));
        assert_eq!(id_timestamp(a.next(5_000)), 5_000);
        // A node restarting after another wrote higher ids goes on above them, its own
        // number kept.
        let highest = *issued.last().unwrap();
        let resumed = IdGen::new(highest, Some(1));
        assert!(resumed.last_issued() <= highest);
        let next = resumed.next(0);
        assert!(next > highest && next & 63 == 1, "{next} after {highest}");
    }

    #[test]
    fn settled_stops_before_the_oldest_id_still_being_written() {
        let g = IdGen::new(10, None);
        assert_eq!((g.settled(), g.last_issued()), (10, 10));
        let first = g.reserve(0, 2);
        let second = g.reserve(0, 1);
        assert_eq!(
            (first.ids.as_slice(), second.ids.as_slice()),
            (&[11, 12][..], &[13][..])
        );
        assert_eq!(g.settled(), 10);
        drop(second);
        assert_eq!(g.settled(), 10, "11 and 12 may still be written");
        drop(first);
        assert_eq!((g.settled(), g.last_issued()), (13, 13));
        // With nothing pending, a reader on another node may read up to the clock, and
        // the next id goes above that even if its caller read the clock earlier.
        let h = g.horizon(100);
        assert_eq!(h, (100 << 16) - 1);
        assert!(g.next(99) > h);
        assert!(g.reserve(0, 0).ids.is_empty());
        assert_eq!(g.settled(), g.last_issued());
    }

    #[test]
    fn an_archived_stanza_reads_back_with_thread_parent_and_properties() {
        let xml = "<message xmlns='jabber:client' from='Alice@localhost/phone' to='bob@localhost' type='chat' id='m1'>\
            <body>hi</body><thread parent='p0'>t1</thread>\
            <properties xmlns='http://www.jivesoftware.com/xmlns/xmpp/properties'>\
              <property><name>flag</name><value type='boolean'>true</value></property>\
              <property><name>count</name><value type='integer'>42</value></property>\
              <property><value type='string'>no name</value></property>\
              <property><name>no value</name></property>\
              <junk/>\
            </properties></message>";
        let m = ArchivedMessage {
            id: 7,
            owner: "bob@localhost".into(),
            with: "alice@localhost".into(),
            timestamp_ms: 1234,
            stanza: xml.into(),
            shared: false,
        };
        let item = ChatItem::from_archived(&m).unwrap();
        assert_eq!(item.id, "m1");
        assert_eq!(item.from, "alice@localhost");
        assert_eq!(item.to, "bob@localhost");
        assert_eq!(item.timestamp, 1234);
        assert_eq!(item.thread.as_deref(), Some("t1"));
        assert_eq!(item.parent.as_deref(), Some("p0"));
        let props = item.properties.unwrap();
        assert_eq!(props.len(), 2);
        assert_eq!(props["flag"], "true");
        assert_eq!(props["count"], "42");
    }

    #[test]
    fn only_chat_and_normal_messages_with_a_body_are_archived() {
        let body = || Element::new("body", ns::CLIENT).with_text("x");
        assert!(archivable(
            &Element::new("message", ns::CLIENT)
                .with_attr("type", "chat")
                .with_child(body())
        ));
        assert!(archivable(&Element::new("message", ns::CLIENT).with_child(body())));
        assert!(!archivable(
            &Element::new("message", ns::CLIENT).with_attr("type", "chat")
        ));
        assert!(!archivable(
            &Element::new("message", ns::CLIENT)
                .with_attr("type", "error")
                .with_child(body())
        ));
        assert!(!archivable(
            &Element::new("message", ns::CLIENT)
                .with_attr("type", "groupchat")
                .with_child(body())
        ));
    }
}

//! The message archive (`mod_mam`): every one-to-one chat message routed between local
//! users is stored once for each owner (sender and recipient) before it is delivered or
//! acknowledged, so nothing acknowledged is lost (writes are group-committed by the store).
//!
//! Archive ids are server-assigned and time-ordered: the millisecond timestamp shifted
//! left 16 bits plus a counter, never decreasing across restarts. They are the XEP-0313
//! result ids and XEP-0359 stanza ids.
//!
//! Also here: the REST history ([`history`]) and reading a stanza back as the REST/SSE
//! item (`from`, `to`, `body`, `thread`/`parent`, Smack `properties`). When an account is
//! removed, its archive goes with it (`DeleteRemovedArchive`); the copies in other
//! users' archives stay theirs.
//!
//! Every append is timed from the call to the store until it is durable (the
//! `meerkat_archive_commit_seconds` histogram): that is what a sender waits for before
//! its message is acknowledged, whatever the backend, waiting for a group commit included.

use super::lifecycle::{AccountEvent, Subscriber};
use super::metrics::Metrics;
use super::router::RouteError;
use super::stanza::ns;
use super::Core;
use crate::store::{ArchiveQuery, ArchiveStore, ArchivedMessage, StoreError};
use crate::xml::{parse_element, Element};
use async_trait::async_trait;
use jid::BareJid;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Issues archive ids that increase with time and never repeat.
pub struct IdGen {
    last: Mutex<i64>,
}

impl IdGen {
    pub fn new(max_existing: i64) -> Self {
        IdGen {
            last: Mutex::new(max_existing),
        }
    }

    pub fn next(&self, now_ms: i64) -> i64 {
        let mut last = self.last.lock().expect("id mutex poisoned");
        let id = (now_ms << 16).max(*last + 1);
        *last = id;
        id
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
    ids: IdGen,
    /// Where commit latencies are recorded.
    metrics: Arc<Metrics>,
}

/// Where a message was archived.
#[derive(Debug, Clone, Copy, Default)]
pub struct Archived {
    pub sender_id: Option<i64>,
    pub recipient_id: Option<i64>,
    pub timestamp_ms: i64,
}

impl Archive {
    pub(crate) async fn open(store: &dyn ArchiveStore, metrics: Arc<Metrics>) -> Result<Self, StoreError> {
        Ok(Archive {
            ids: IdGen::new(store.archive_max_id().await?),
            metrics,
        })
    }

    /// Hands `rows` to the store and returns once they are durable, timing the commit
    /// (successful ones only: a failure's duration says nothing about commits).
    async fn commit(&self, store: &dyn ArchiveStore, rows: Vec<ArchivedMessage>) -> Result<(), StoreError> {
        let started = Instant::now();
        store.archive_append(rows).await?;
        self.metrics.archive_committed(started.elapsed());
        Ok(())
    }

    /// Archives `stanza` for `sender` and, when it is a local account, `recipient`;
    /// returns once both copies are durable.
    pub async fn store(
        &self,
        store: &dyn ArchiveStore,
        sender: &BareJid,
        recipient: &BareJid,
        recipient_is_local: bool,
        stanza: &Element,
    ) -> Result<Archived, StoreError> {
        let ts = now_ms();
        let xml = stanza.to_xml(ns::CLIENT);
        let mut out = Archived {
            timestamp_ms: ts,
            ..Default::default()
        };
        let mut rows = Vec::with_capacity(2);
        let id = self.ids.next(ts);
        out.sender_id = Some(id);
        rows.push(ArchivedMessage {
            id,
            owner: sender.to_string(),
            with: recipient.to_string(),
            timestamp_ms: ts,
            stanza: xml.clone(),
        });
        if recipient_is_local && recipient != sender {
            let id = self.ids.next(ts);
            out.recipient_id = Some(id);
            rows.push(ArchivedMessage {
                id,
                owner: recipient.to_string(),
                with: sender.to_string(),
                timestamp_ms: ts,
                stanza: xml,
            });
        } else if recipient == sender {
            out.recipient_id = out.sender_id;
        }
        self.commit(store, rows).await?;
        Ok(out)
    }

    /// Archives `stanza` from a service (not an account) for `recipient` only, when it
    /// is a local account; returns once durable.
    pub async fn store_received(
        &self,
        store: &dyn ArchiveStore,
        sender: &BareJid,
        recipient: &BareJid,
        recipient_is_local: bool,
        stanza: &Element,
    ) -> Result<Archived, StoreError> {
        let ts = now_ms();
        let mut out = Archived {
            timestamp_ms: ts,
            ..Default::default()
        };
        if recipient_is_local {
            let id = self.ids.next(ts);
            out.recipient_id = Some(id);
            let row = ArchivedMessage {
                id,
                owner: recipient.to_string(),
                with: sender.to_string(),
                timestamp_ms: ts,
                stanza: stanza.to_xml(ns::CLIENT),
            };
            self.commit(store, vec![row]).await?;
        }
        Ok(out)
    }

    /// Archives one stanza per entry (owner, other party, stanza), committed together;
    /// returns their ids once durable, and the timestamp they share.
    pub(crate) async fn append(
        &self,
        store: &dyn ArchiveStore,
        entries: Vec<(String, String, &Element)>,
    ) -> Result<(Vec<i64>, i64), StoreError> {
        let ts = now_ms();
        let rows: Vec<ArchivedMessage> = entries
            .into_iter()
            .map(|(owner, with, stanza)| ArchivedMessage {
                id: self.ids.next(ts),
                owner,
                with,
                timestamp_ms: ts,
                stanza: stanza.to_xml(ns::CLIENT),
            })
            .collect();
        let ids = rows.iter().map(|r| r.id).collect();
        self.commit(store, rows).await?;
        Ok((ids, ts))
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

/// The newest `limit` archived messages of `owner`, optionally only with `with`, sent
/// before `before_ms`; returned oldest first.
pub async fn history(
    core: &Core,
    owner: &BareJid,
    with: Option<&BareJid>,
    limit: usize,
    before_ms: Option<i64>,
) -> Result<Vec<ChatItem>, StoreError> {
    let rows = newest(core, owner, with, limit, before_ms).await?;
    Ok(rows.iter().filter_map(ChatItem::from_archived).collect())
}

/// The rows behind a history listing (a user's archive or a room's): the newest `limit`,
/// optionally only with `with`, before `before_ms`, oldest first.
pub(crate) async fn newest(
    core: &Core,
    owner: &BareJid,
    with: Option<&BareJid>,
    limit: usize,
    before_ms: Option<i64>,
) -> Result<Vec<ArchivedMessage>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let query = ArchiveQuery {
        owner: owner.to_string(),
        with: with.map(|w| w.to_string()),
        before_ms,
        limit,
        newest_first: true,
        ..Default::default()
    };
    let mut rows = core.stores.archive.archive_query(query).await?;
    rows.reverse();
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

    #[test]
    fn ids_increase_with_time_and_never_repeat() {
        let g = IdGen::new(0);
        let a = g.next(1_000);
        let b = g.next(1_000);
        let c = g.next(999); // the clock went back
        assert!(a < b && b < c);
        assert_eq!(id_timestamp(a), 1_000);
        let resumed = IdGen::new(c);
        assert!(resumed.next(900) > c);
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

//! Room events as REST and SSE show them (`RoomEvent` in `api/client.yaml`): a groupchat
//! message (`type: message`, from the sender's bare JID, with `body`, `markable` and
//! `chat_marker` as sent) or an affiliation change (`type: affiliation`, from the room,
//! one item per user). Read from archived rows and from stanzas as delivered.

use crate::core::archive::{id_timestamp, now_ms};
use crate::core::stanza::ns;
use crate::store::ArchivedMessage;
use crate::xml::{parse_element, Element};
use jid::Jid;
use serde::Serialize;

/// A XEP-0333 chat marker: which kind, and the `id` of the message it marks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMarker {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// The markers a message may carry (XEP-0333 §3).
pub const MARKERS: [&str; 3] = ["received", "displayed", "acknowledged"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomItem {
    /// The room archive's id of the item (decimal), the REST cursor and the SSE event id.
    pub archive_id: String,
    /// `message` or `affiliation`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The room id; set for SSE events only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    pub id: String,
    pub from: String,
    pub timestamp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_marker: Option<ChatMarker>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
}

impl RoomItem {
    /// The items a stanza from a room stands for: one message, one per user of an
    /// affiliation notice, none for anything else (configuration notices, errors).
    pub fn from_stanza(stanza: &Element, timestamp: i64, archive_id: i64) -> Vec<RoomItem> {
        let Some(from) = stanza.attr("from").and_then(|f| Jid::new(f).ok()) else {
            return Vec::new();
        };
        if stanza.name != "message" || stanza.attr("type") != Some("groupchat") {
            return Vec::new();
        }
        let id = stanza
            .attr("id")
            .map(str::to_owned)
            .unwrap_or_else(|| archive_id.to_string());
        let item = |kind| RoomItem {
            archive_id: archive_id.to_string(),
            kind,
            room: None,
            id: id.clone(),
            from: String::new(),
            timestamp,
            body: None,
            markable: None,
            chat_marker: None,
            user: None,
            affiliation: None,
        };
        if let Some(sender) = from.resource() {
            // A message relayed from `room@service/sender-bare-jid`.
            let body = stanza.child("body", ns::CLIENT).map(Element::text);
            let markable = (body.is_some() && stanza.child("markable", ns::CHAT_MARKERS).is_some()).then_some(true);
            let chat_marker = stanza
                .elements()
                .find(|e| e.ns == ns::CHAT_MARKERS && MARKERS.contains(&e.name.as_str()))
                .and_then(|e| {
                    Some(ChatMarker {
                        kind: e.name.clone(),
                        id: e.attr("id")?.to_owned(),
                    })
                });
            return vec![RoomItem {
                from: sender.as_str().to_owned(),
                body,
                markable,
                chat_marker,
                ..item("message")
            }];
        }
        let Some(x) = stanza.child("x", ns::MUCLIGHT_AFFILIATIONS) else {
            return Vec::new();
        };
        x.elements()
            .filter(|u| u.name == "user")
            .map(|u| RoomItem {
                from: from.to_string(),
                user: Some(u.text()),
                affiliation: Some(u.attr("affiliation").unwrap_or("none").to_owned()),
                ..item("affiliation")
            })
            .collect()
    }

    /// An archived row of a room's archive.
    pub fn from_archived(row: &ArchivedMessage) -> Option<RoomItem> {
        let stanza = parse_element(&row.stanza).ok()?;
        RoomItem::from_stanza(&stanza, row.timestamp_ms, row.id)
            .into_iter()
            .next()
    }

    /// A stanza as delivered to an occupant's session (SSE): the room id is added, and
    /// the timestamp comes from the room archive's stanza id when there is one.
    pub fn from_delivered(stanza: &Element) -> Vec<RoomItem> {
        let Some(room) = stanza.attr("from").and_then(|f| Jid::new(f).ok()).map(|j| j.to_bare()) else {
            return Vec::new();
        };
        let archive_id = stanza
            .elements()
            .find(|e| e.is("stanza-id", ns::STANZA_ID) && e.attr("by") == Some(room.as_str()))
            .and_then(|e| e.attr("id")?.parse::<i64>().ok());
        let timestamp = archive_id.map(id_timestamp).unwrap_or_else(now_ms);
        let id = room.node().map(|n| n.as_str().to_owned());
        RoomItem::from_stanza(stanza, timestamp, archive_id.unwrap_or_default())
            .into_iter()
            .map(|i| RoomItem { room: id.clone(), ..i })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relayed_message_reads_as_a_message_item_from_its_sender() {
        let m = parse_element(
            "<message from='r1@muclight.localhost/alice@localhost' type='groupchat' id='m1'>\
             <body>hi</body><markable xmlns='urn:xmpp:chat-markers:0'/>\
             <displayed xmlns='urn:xmpp:chat-markers:0' id='m0'/>\
             <stanza-id xmlns='urn:xmpp:sid:0' id='77' by='r1@muclight.localhost'/></message>",
        )
        .unwrap();
        let items = RoomItem::from_delivered(&m);
        assert_eq!(items.len(), 1);
        let json = serde_json::to_value(&items[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"archive_id": "77", "type": "message", "room": "r1", "id": "m1", "from": "alice@localhost",
                "timestamp": 0, "body": "hi", "markable": true,
                "chat_marker": {"type": "displayed", "id": "m0"}})
        );
    }

    #[test]
    fn an_affiliation_notice_reads_as_one_item_per_user_from_the_room() {
        let n = parse_element(
            "<message from='r1@muclight.localhost' type='groupchat' id='n1'>\
             <x xmlns='urn:xmpp:muclight:0#affiliations'><version>v</version>\
             <user affiliation='none'>alice@localhost</user><user affiliation='owner'>bob@localhost</user></x>\
             <body/></message>",
        )
        .unwrap();
        let items = RoomItem::from_stanza(&n, 5, 9);
        let got: Vec<_> = items
            .iter()
            .map(|i| (i.kind, i.from.as_str(), i.user.as_deref(), i.affiliation.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "affiliation",
                    "r1@muclight.localhost",
                    Some("alice@localhost"),
                    Some("none")
                ),
                (
                    "affiliation",
                    "r1@muclight.localhost",
                    Some("bob@localhost"),
                    Some("owner")
                )
            ]
        );
        assert!(items[0].body.is_none());
        let config = parse_element(
            "<message from='r1@muclight.localhost' type='groupchat'><x xmlns='urn:xmpp:muclight:0#configuration'/><body/></message>",
        )
        .unwrap();
        assert!(RoomItem::from_stanza(&config, 1, 1).is_empty());
    }
}

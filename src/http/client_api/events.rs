//! `GET /api/sse`: server-sent events (a hand-written route beside the generated router;
//! documented in the spec as `text/event-stream`).
//!
//! While the response is open the stream is a session of the core, available for
//! routing like one more resource of the user (it sends no presence): one-to-one chat
//! messages addressed to the user arrive as `event: message` with the archive item as
//! data; messages and affiliation changes of the user's rooms as `event: room.message`
//! with the room event (and its `room` id) as data. Every event has an increasing `id:`. A comment is sent every 30 seconds to keep
//! proxies and clients from timing out; the server never ends the stream for idleness,
//! only when the session is ended (the account removed, its password changed, the
//! bearer token it was opened with revoked or expired, shutdown).
//! When the client goes away the response body is dropped, and so is the session.

use crate::core::archive::ChatItem;
use crate::core::muc_light::RoomItem;
use crate::core::session::{Inbox, Session};
use crate::core::tokens::Grant;
use crate::core::Core;
use crate::http::{json_error, Body};
use crate::xml::Element;
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{combinators::BoxBody, StreamBody};
use hyper::body::Frame;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::Response;
use jid::BareJid;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

const KEEPALIVE: Duration = Duration::from_secs(30);

/// Unregisters the session when the response body is dropped.
struct Registration {
    core: Arc<Core>,
    session: Arc<Session>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.core.sessions().unregister(&self.session.jid, self.session.id);
        tracing::debug!(jid = %self.session.jid, "event stream closed");
    }
}

struct State {
    registration: Registration,
    inbox: Inbox,
    next_id: u64,
    started: bool,
}

/// The SSE text for one routed stanza: what the stream reports of it (a one-to-one
/// message, a room message, one event per user of a room's affiliation change), with
/// ids from `next_id` on; empty for anything else.
fn events_for(stanza: &Element, owner: &BareJid, next_id: &mut u64) -> String {
    let mut out = String::new();
    let mut push = |event: &str, data: Option<String>| {
        if let Some(data) = data {
            out.push_str(&format!("event: {event}\nid: {next_id}\ndata: {data}\n\n"));
            *next_id += 1;
        }
    };
    if let Some(item) = ChatItem::from_delivered(stanza, owner) {
        push("message", serde_json::to_string(&item).ok());
    } else {
        for item in RoomItem::from_delivered(stanza) {
            push("room.message", serde_json::to_string(&item).ok());
        }
    }
    out
}

/// Opens the stream for the authenticated `user`, on an HTTP/1 connection when `http1`.
/// A stream opened with a bearer `token` ends when the token is revoked or expires.
pub(super) async fn open(core: &Arc<Core>, user: BareJid, token: Option<Grant>, http1: bool) -> Response<Body> {
    let (session, inbox) = match core.open_event_stream(&user, token.as_ref()).await {
        Ok(opened) => opened,
        Err(e) => return json_error(hyper::StatusCode::TOO_MANY_REQUESTS, &e.to_string()),
    };
    let state = State {
        registration: Registration {
            core: core.clone(),
            session,
        },
        inbox,
        next_id: 1,
        started: false,
    };
    let events = futures::stream::unfold(state, |mut st| async move {
        if !st.started {
            st.started = true;
            // Sent at once so that clients and proxies see the stream is open.
            return Some((Bytes::from_static(b": connected\nretry: 3000\n\n"), st));
        }
        loop {
            let session = st.registration.session.clone();
            tokio::select! {
                _ = session.kicked() => return None,
                msg = st.inbox.recv() => {
                    let stanza = msg?;
                    let owner = session.jid.to_bare();
                    let text = events_for(&stanza, &owner, &mut st.next_id);
                    if !text.is_empty() {
                        return Some((Bytes::from(text), st));
                    }
                }
                _ = tokio::time::sleep(KEEPALIVE) => return Some((Bytes::from_static(b": keepalive\n\n"), st)),
            }
        }
    });
    let body = StreamBody::new(events.map(|b| Ok::<_, Infallible>(Frame::data(b))));
    let mut response = Response::new(BoxBody::new(body));
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    if http1 {
        // The stream holds its connection to the end: nothing else is sent on it after.
        // (HTTP/2 streams end on their own and forbid the header.)
        h.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stanza::ns;

    #[test]
    fn chat_messages_become_message_events_and_others_are_skipped() {
        let owner = BareJid::new("bob@localhost").unwrap();
        let id: i64 = 1_700_000_000_000 << 16;
        let m = Element::new("message", ns::CLIENT)
            .with_attr("from", "alice@localhost/phone")
            .with_attr("to", "bob@localhost")
            .with_attr("type", "chat")
            .with_attr("id", "m1")
            .with_child(Element::new("body", ns::CLIENT).with_text("hi\\nthere"))
            .with_child(
                Element::new("stanza-id", ns::STANZA_ID)
                    .with_attr("id", id.to_string())
                    .with_attr("by", "bob@localhost"),
            );
        let mut next = 7;
        let text = events_for(&m, &owner, &mut next);
        assert_eq!(next, 8);
        assert!(text.starts_with("event: message\nid: 7\ndata: {"), "{text}");
        assert!(text.ends_with("}\n\n"));
        let data: serde_json::Value =
            serde_json::from_str(text.lines().nth(2).unwrap().strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(data["from"], "alice@localhost");
        assert_eq!(data["timestamp"], 1_700_000_000_000i64);
        assert_eq!(data["id"], "m1");
        let presence = Element::new("presence", ns::CLIENT);
        assert!(events_for(&presence, &owner, &mut next).is_empty());
        let no_body = Element::new("message", ns::CLIENT).with_attr("type", "chat");
        assert!(events_for(&no_body, &owner, &mut next).is_empty());
        assert_eq!(next, 8);
    }

    #[test]
    fn a_rooms_affiliation_change_becomes_one_room_event_per_user() {
        let owner = BareJid::new("bob@localhost").unwrap();
        let notice = crate::xml::parse_element(
            "<message from='r1@muclight.localhost' type='groupchat' id='n1'>\
             <x xmlns='urn:xmpp:muclight:0#affiliations'><user affiliation='none'>alice@localhost</user>\
             <user affiliation='owner'>bob@localhost</user></x><body/></message>",
        )
        .unwrap();
        let mut next = 1;
        let text = events_for(&notice, &owner, &mut next);
        assert_eq!(next, 3);
        let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 2);
        assert!(events[1].starts_with("event: room.message\nid: 2\ndata: "), "{text}");
        let data: serde_json::Value =
            serde_json::from_str(events[1].lines().nth(2).unwrap().strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(data["room"], "r1");
        assert_eq!(data["affiliation"], "owner");
        assert_eq!(data["from"], "r1@muclight.localhost");
    }
}

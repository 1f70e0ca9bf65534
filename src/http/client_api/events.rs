//! `GET /api/sse`: server-sent events (a hand-written route beside the generated router;
//! documented in the spec as `text/event-stream`).
//!
//! While the response is open the stream is a session of the core, available for
//! routing like one more resource of the user (it sends no presence): one-to-one chat
//! messages addressed to the user arrive as `event: message` with the archive item as
//! data. Every event has an increasing `id:`. A comment is sent every 30 seconds to keep
//! proxies and clients from timing out; the server never ends the stream for idleness,
//! only when the session is ended (the account removed, its password changed, shutdown).
//! When the client goes away the response body is dropped, and so is the session.

use crate::core::archive::ChatItem;
use crate::core::session::{Outbound, Session};
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
use tokio::sync::mpsc;

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
    rx: mpsc::Receiver<Outbound>,
    next_id: u64,
    started: bool,
}

/// The SSE text for one routed stanza, if it is something the stream reports.
fn event_for(stanza: &Element, owner: &BareJid, event_id: u64) -> Option<String> {
    let item = ChatItem::from_delivered(stanza, owner)?;
    let data = serde_json::to_string(&item).ok()?;
    Some(format!("event: message\nid: {event_id}\ndata: {data}\n\n"))
}

/// Opens the stream for the authenticated `user`.
pub(super) fn open(core: &Arc<Core>, user: BareJid) -> Response<Body> {
    let Some((session, rx)) = core.open_event_stream(&user) else {
        return json_error(hyper::StatusCode::BAD_REQUEST, "Invalid user");
    };
    let state = State {
        registration: Registration {
            core: core.clone(),
            session,
        },
        rx,
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
                msg = st.rx.recv() => {
                    let Some(Outbound::Stanza(stanza)) = msg else { return None };
                    let owner = session.jid.to_bare();
                    if let Some(text) = event_for(&stanza, &owner, st.next_id) {
                        st.next_id += 1;
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
        let text = event_for(&m, &owner, 7).unwrap();
        assert!(text.starts_with("event: message\nid: 7\ndata: {"), "{text}");
        assert!(text.ends_with("}\n\n"));
        let data: serde_json::Value =
            serde_json::from_str(text.lines().nth(2).unwrap().strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(data["from"], "alice@localhost");
        assert_eq!(data["timestamp"], 1_700_000_000_000i64);
        assert_eq!(data["id"], "m1");
        let presence = Element::new("presence", ns::CLIENT);
        assert!(event_for(&presence, &owner, 1).is_none());
        let no_body = Element::new("message", ns::CLIENT).with_attr("type", "chat");
        assert!(event_for(&no_body, &owner, 1).is_none());
    }
}

//! `GET /api/sse`: server-sent events (a hand-written route beside the generated router;
//! documented in the spec as `text/event-stream`).
//!
//! While the response is open the stream is a session of the core, available for
//! routing like one more resource of the user (it sends no presence): one-to-one chat
//! messages addressed to the user arrive as `event: message` with the archive item as
//! data; messages and affiliation changes of the user's rooms as `event: room.message`
//! with the room event (and its `room` id) as data; a message of the user's that came
//! back undelivered (a remote server out of reach, say) as `event: message.error`,
//! without an id and never replayed.
//!
//! Every event's `id:` is the archive id of the item it reports (its XEP-0359 stanza id,
//! `archive_id` in the data); the events of one room affiliation change that names
//! several users share the id of the last of its archived entries. An item that was not
//! archived (one-to-one messages without `mod_mam`) has no `id:` line and `archive_id`
//! `"0"`.
//!
//! A client that reconnects with `Last-Event-ID` first gets what it missed, read back
//! from the archives in bounded pages (`crate::core::archive::replay`), then the live stream, with no gap
//! and no duplicate: the session is registered before the replay starts, and live events
//! the replay gave already are skipped. A `Last-Event-ID` that is not an archive id gets
//! `400 "Invalid Last-Event-ID"`.
//!
//! The stream opens with `: connected` and `retry: 3000`. A comment is sent every 30
//! seconds to keep proxies and clients from timing out; the server never ends the stream
//! for idleness, only when the session is ended (the account removed, its password
//! changed, the bearer token it was opened with revoked or expired, its queue
//! overflowing, shutdown). When the client goes away the response
//! body is dropped, and so is the session.

use crate::core::account::tokens::Grant;
use crate::core::archive::replay::{Missed, Replay};
use crate::core::archive::{self, ChatItem};
use crate::core::muc_light::RoomItem;
use crate::core::session::{Inbox, Session};
use crate::core::stanza::ns;
use crate::core::Core;
use crate::http::{json_error, Body};
use crate::xml::Element;
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{combinators::BoxBody, StreamBody};
use hyper::body::Frame;
use hyper::header::{HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use jid::BareJid;
use meerkat_client_api as api;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

const KEEPALIVE: Duration = Duration::from_secs(30);
/// Live stanzas already queued are sent together, in archive-id order, up to this many.
const LIVE_BATCH: usize = 256;

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

/// Where the stream is.
enum Phase {
    /// Nothing sent yet; `Some(id)`: the client resumes after `id`.
    Opening(Option<i64>),
    /// Sending what the client missed.
    Replaying(Replay),
    /// Sending live events; those the replay (if any) gave already are skipped.
    Live(Option<Replay>),
}

struct State {
    registration: Registration,
    inbox: Inbox,
    phase: Phase,
}

/// A `Last-Event-ID` that is not an archive id (the spec's pattern: 1 to 19 digits,
/// within range); answered `400` with this text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Invalid Last-Event-ID")]
pub(super) struct InvalidLastEventId;

/// The `Last-Event-ID` of a reconnecting client: `Ok(None)` without one.
pub(super) fn resume_point(headers: &HeaderMap) -> Result<Option<i64>, InvalidLastEventId> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    match value.to_str().ok().and_then(archive::parse_id) {
        Some(id) => Ok(Some(id)),
        None => Err(InvalidLastEventId),
    }
}

/// One SSE event; without an archive id (`0`), no `id:` line.
fn push_event(out: &mut String, id: i64, event: &str, data: &str) {
    if id > 0 {
        out.push_str(&format!("id: {id}\n"));
    }
    out.push_str(&format!("event: {event}\ndata: {data}\n\n"));
}

/// A message of the user's that came back as an error (RFC 6120 §8.3): who it was for,
/// its id, the defined condition and text. `None` for an error without a condition.
fn message_error(stanza: &Element) -> Option<api::models::StreamedMessageError> {
    let error = stanza.child("error", ns::CLIENT)?;
    let condition = error
        .elements()
        .find(|c| c.ns == ns::STANZA_ERRORS && c.name != "text")?;
    let to = jid::Jid::new(stanza.attr("from")?).ok()?.to_bare().to_string();
    let mut data = api::models::StreamedMessageError::new(
        stanza.attr("id").unwrap_or_default().to_owned(),
        to,
        condition.name.clone(),
        chrono::Utc::now().timestamp_millis(),
    );
    data.text = error.child("text", ns::STANZA_ERRORS).map(|t| t.text());
    Some(data)
}

/// What the stream reports of one delivered stanza.
struct Report {
    /// The archive id its events carry (0: not archived).
    id: i64,
    /// The room it came from (bare JID), or `None` for a one-to-one message.
    room: Option<String>,
    /// Its events, ready to send.
    text: String,
}

/// The report of a routed stanza: a one-to-one message, a room message, one event per
/// user of a room's affiliation change (sharing the change's id); `None` for anything
/// else.
fn report(stanza: &Element, owner: &BareJid) -> Option<Report> {
    if stanza.name == "message" && stanza.attr("type") == Some("error") {
        let data = message_error(stanza)?;
        let mut text = String::new();
        push_event(&mut text, 0, "message.error", &serde_json::to_string(&data).ok()?);
        return Some(Report {
            id: 0,
            room: None,
            text,
        });
    }
    if let Some(item) = ChatItem::from_delivered(stanza, owner) {
        let id = item.archive_id.parse().unwrap_or(0);
        let mut text = String::new();
        push_event(&mut text, id, "message", &serde_json::to_string(&item).ok()?);
        return Some(Report { id, room: None, text });
    }
    let items = RoomItem::from_delivered(stanza);
    let first = items.first()?;
    let id = first.archive_id.parse().unwrap_or(0);
    let room = stanza
        .attr("from")
        .and_then(|f| jid::Jid::new(f).ok())
        .map(|j| j.to_bare().to_string());
    let mut text = String::new();
    for item in &items {
        if let Ok(data) = serde_json::to_string(item) {
            push_event(&mut text, id, "room.message", &data);
        }
    }
    Some(Report { id, room, text })
}

/// The events of a replayed page.
fn replayed(items: &[Missed]) -> String {
    let mut out = String::new();
    for item in items {
        let id = item.archive_id().parse().unwrap_or(0);
        let (event, data) = match item {
            Missed::Chat(c) => ("message", serde_json::to_string(c)),
            Missed::Room(r) => ("room.message", serde_json::to_string(r)),
        };
        if let Ok(data) = data {
            push_event(&mut out, id, event, &data);
        }
    }
    out
}

/// Runs `work` (reading the archives) on a task of its own and waits for it: the
/// response body must be `Sync`, which the store's futures are not. `None` if the task
/// failed (it was logged).
fn off_body<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> impl std::future::Future<Output = Option<T>> + Send + Sync {
    let task = tokio::spawn(work);
    async move {
        match task.await {
            Ok(out) => Some(out),
            Err(e) => {
                tracing::error!(error = %e, "event stream replay task failed");
                None
            }
        }
    }
}

/// Opens the stream for the authenticated `user`, on an HTTP/1 connection when `http1`,
/// resuming after `last_event_id` when given. A stream opened with a bearer `token` ends
/// when the token is revoked or expires.
pub(super) async fn open(
    core: &Arc<Core>,
    user: BareJid,
    token: Option<Grant>,
    http1: bool,
    last_event_id: Option<i64>,
) -> Response<Body> {
    // Registered first: from here on every delivery reaches the stream, so a replay
    // read after this misses nothing in between.
    let (session, inbox) = match core.open_event_stream(&user, token.as_ref()).await {
        Ok(opened) => opened,
        Err(e) => return json_error(StatusCode::TOO_MANY_REQUESTS, &e.to_string()),
    };
    let state = State {
        registration: Registration {
            core: core.clone(),
            session,
        },
        inbox,
        phase: Phase::Opening(last_event_id),
    };
    let events = futures::stream::unfold(state, |mut st| async move {
        let session = st.registration.session.clone();
        let core = st.registration.core.clone();
        let owner = session.jid.to_bare();
        loop {
            match std::mem::replace(&mut st.phase, Phase::Live(None)) {
                Phase::Opening(resume) => {
                    if let Some(after) = resume {
                        let (core, owner) = (core.clone(), owner.clone());
                        let started = off_body(async move { Replay::start(&core, &owner, after).await });
                        match started.await {
                            Some(Ok(replay)) => st.phase = Phase::Replaying(replay),
                            Some(Err(e)) => {
                                tracing::error!(jid = %session.jid, error = %e, "event stream replay failed");
                                return None;
                            }
                            None => return None,
                        }
                    }
                    // Sent at once so that clients and proxies see the stream is open.
                    return Some((Bytes::from_static(b": connected\nretry: 3000\n\n"), st));
                }
                Phase::Replaying(mut replay) => {
                    let core = core.clone();
                    let next = off_body(async move {
                        let page = replay.next(&core).await;
                        (replay, page)
                    });
                    let stepped = tokio::select! {
                        _ = session.kicked() => return None,
                        stepped = next => stepped?,
                    };
                    match stepped {
                        (replay, Ok(Some(items))) => {
                            st.phase = Phase::Replaying(replay);
                            return Some((Bytes::from(replayed(&items)), st));
                        }
                        (replay, Ok(None)) => st.phase = Phase::Live(Some(replay)),
                        (_, Err(e)) => {
                            // The client reconnects with the last id it got and resumes.
                            tracing::error!(jid = %session.jid, error = %e, "event stream replay failed");
                            return None;
                        }
                    }
                }
                Phase::Live(replay) => {
                    let got = tokio::select! {
                        _ = session.kicked() => return None,
                        msg = st.inbox.recv() => msg,
                        _ = tokio::time::sleep(KEEPALIVE) => {
                            st.phase = Phase::Live(replay);
                            return Some((Bytes::from_static(b": keepalive\n\n"), st));
                        }
                    };
                    let mut reports: Vec<Report> = report(&got?.to_element(), &owner).into_iter().collect();
                    while reports.len() < LIVE_BATCH {
                        let Some(more) = st.inbox.try_recv() else { break };
                        reports.extend(report(&more.to_element(), &owner));
                    }
                    // Deliveries finishing together may be queued out of order. (Events
                    // without an id keep their place: there is no order to restore.)
                    if reports.iter().all(|r| r.id > 0) {
                        reports.sort_by_key(|r| r.id);
                    }
                    let text: String = reports
                        .into_iter()
                        .filter(|r| !replay.as_ref().is_some_and(|p| p.covers(r.id, r.room.as_deref())))
                        .map(|r| r.text)
                        .collect();
                    st.phase = Phase::Live(replay);
                    if !text.is_empty() {
                        return Some((Bytes::from(text), st));
                    }
                }
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

    fn data_of(event: &str) -> serde_json::Value {
        let line = event.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn a_message_that_came_back_is_a_message_error_event_without_an_id() {
        let owner = BareJid::new("alice@localhost").unwrap();
        let bounced = crate::xml::parse_element(
            "<message xmlns='jabber:client' from='rita@remote.example' to='alice@localhost' type='error' id='m7'>\
             <body>hi</body><error type='wait'>\
             <remote-server-timeout xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>remote.example could not be reached</text>\
             </error></message>",
        )
        .unwrap();
        let r = report(&bounced, &owner).unwrap();
        assert_eq!(r.id, 0);
        assert!(r.text.starts_with("event: message.error\ndata: {"), "{}", r.text);
        let data = data_of(&r.text);
        assert_eq!(data["id"], "m7");
        assert_eq!(data["to"], "rita@remote.example");
        assert_eq!(data["condition"], "remote-server-timeout");
        assert_eq!(data["text"], "remote.example could not be reached");
        assert!(data["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    }

    #[test]
    fn chat_messages_become_message_events_with_their_archive_id_and_others_are_skipped() {
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
        let r = report(&m, &owner).unwrap();
        assert_eq!((r.id, r.room), (id, None));
        assert!(
            r.text.starts_with(&format!("id: {id}\nevent: message\ndata: {{")),
            "{}",
            r.text
        );
        assert!(r.text.ends_with("}\n\n"));
        let data = data_of(&r.text);
        assert_eq!(data["archive_id"], id.to_string());
        assert_eq!(data["from"], "alice@localhost");
        assert_eq!(data["timestamp"], 1_700_000_000_000i64);
        assert_eq!(data["id"], "m1");
        let presence = Element::new("presence", ns::CLIENT);
        assert!(report(&presence, &owner).is_none());
        let no_body = Element::new("message", ns::CLIENT).with_attr("type", "chat");
        assert!(report(&no_body, &owner).is_none());
    }

    #[test]
    fn a_message_that_was_not_archived_has_no_event_id() {
        let owner = BareJid::new("bob@localhost").unwrap();
        let m = crate::xml::parse_element(
            "<message xmlns='jabber:client' from='alice@localhost' to='bob@localhost' type='chat' id='m1'><body>hi</body></message>",
        )
        .unwrap();
        let r = report(&m, &owner).unwrap();
        assert_eq!(r.id, 0);
        assert!(r.text.starts_with("event: message\ndata: {"), "{}", r.text);
        assert_eq!(data_of(&r.text)["archive_id"], "0");
    }

    #[test]
    fn a_rooms_affiliation_change_becomes_one_room_event_per_user_sharing_its_id() {
        let owner = BareJid::new("bob@localhost").unwrap();
        let notice = crate::xml::parse_element(
            "<message from='r1@muclight.localhost' type='groupchat' id='n1'>\
             <x xmlns='urn:xmpp:muclight:0#affiliations'><user affiliation='none'>alice@localhost</user>\
             <user affiliation='owner'>bob@localhost</user></x><body/>\
             <stanza-id xmlns='urn:xmpp:sid:0' id='4242' by='r1@muclight.localhost'/></message>",
        )
        .unwrap();
        let r = report(&notice, &owner).unwrap();
        assert_eq!((r.id, r.room.as_deref()), (4242, Some("r1@muclight.localhost")));
        let events: Vec<&str> = r.text.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 2);
        for e in &events {
            assert!(e.starts_with("id: 4242\nevent: room.message\ndata: "), "{e}");
            assert_eq!(data_of(e)["archive_id"], "4242");
        }
        let data = data_of(events[1]);
        assert_eq!(data["room"], "r1");
        assert_eq!(data["affiliation"], "owner");
        assert_eq!(data["from"], "r1@muclight.localhost");
    }

    /// Reads the body until `done` holds for what was read so far.
    async fn read_until(body: &mut Body, text: &mut String, done: impl Fn(&str) -> bool) {
        use http_body_util::BodyExt;
        while !done(text) {
            let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
                .await
                .expect("an event within 5 s")
                .expect("the stream goes on")
                .unwrap();
            text.push_str(std::str::from_utf8(&frame.into_data().unwrap()).unwrap());
        }
    }

    #[tokio::test]
    async fn a_resumed_stream_skips_live_events_the_replay_gave_and_sends_the_others() {
        let h = crate::core::testkit::Harness::new(&["alice", "bob"]).await;
        let core = h.core.clone();
        let (alice, bob) = (
            BareJid::new("alice@localhost").unwrap(),
            BareJid::new("bob@localhost").unwrap(),
        );
        for body in ["one", "two"] {
            crate::core::im::messages::send_chat(&core, &alice, "bob@localhost", body.into())
                .await
                .unwrap();
        }
        let archived = archive::history(&core, &bob, None, archive::Page::newest(10))
            .await
            .unwrap();
        let two = archived[1].archive_id.clone();

        let mut body = open(&core, bob.clone(), None, true, Some(0)).await.into_body();
        let mut text = String::new();
        read_until(&mut body, &mut text, |t| t.contains(": connected\nretry: 3000\n\n")).await;
        // The stream is registered and its replay has its end. A delivery that raced the
        // replay brings "two" live as well; "three" comes after.
        let session = core.sessions().sessions_of(&bob).pop().unwrap();
        let again = crate::xml::parse_element(&format!(
            "<message xmlns='jabber:client' from='alice@localhost' to='bob@localhost' type='chat' id='m2'>\
             <body>two</body><stanza-id xmlns='urn:xmpp:sid:0' id='{two}' by='bob@localhost'/></message>"
        ))
        .unwrap();
        assert!(session.send(again));
        crate::core::im::messages::send_chat(&core, &alice, "bob@localhost", "three".into())
            .await
            .unwrap();
        read_until(&mut body, &mut text, |t| t.contains("three")).await;
        let bodies: Vec<String> = text
            .split("\n\n")
            .filter(|e| e.contains("event: message"))
            .map(|e| data_of(e)["body"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(bodies, ["one", "two", "three"]);
        let ids: Vec<i64> = text
            .lines()
            .filter_map(|l| l.strip_prefix("id: "))
            .map(|id| id.parse().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert_eq!(ids[1].to_string(), two);
    }

    #[test]
    fn last_event_id_must_be_an_archive_id() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("last-event-id", HeaderValue::from_str(v).unwrap());
            resume_point(&h)
        };
        assert_eq!(resume_point(&HeaderMap::new()), Ok(None));
        assert_eq!(with("113573093703696384"), Ok(Some(113573093703696384)));
        assert_eq!(with("0"), Ok(Some(0)));
        for bad in ["", "-1", "+5", "1.5", "abc", " 7", "99999999999999999999"] {
            assert_eq!(with(bad), Err(InvalidLastEventId), "{bad:?}");
        }
        // Beyond every archive id (the spec's pattern allows 19 digits): nothing to replay.
        assert_eq!(with("9223372036854775808"), Ok(Some(i64::MAX)));
        assert_eq!(InvalidLastEventId.to_string(), "Invalid Last-Event-ID");
    }
}

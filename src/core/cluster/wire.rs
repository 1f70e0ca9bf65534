//! The messages between nodes, as JSON (`{"t": "<kind>", ...}`): what each carries and
//! to which subject it goes. Adding a field takes `#[serde(default)]`, so nodes of the
//! previous version still read each other during a rolling restart.

use crate::core::caches::Cache;
use crate::core::session::{RoutingState, Session, SessionKind};
use crate::xml::Element;
use serde::{Deserialize, Serialize};

/// One session as the other nodes see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Report {
    pub(super) jid: String,
    pub(super) kind: String,
    pub(super) bound_at: u64,
    pub(super) state: RoutingState,
}

/// A message between nodes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(super) enum Wire {
    /// I am alive (on `all`).
    Heartbeat { node: String, inc: u64 },
    /// `ask`: send a snapshot of your sessions (on `all`).
    Hello { node: String, inc: u64, ask: String },
    /// A session of mine was opened or changed (on `all`).
    Session { node: String, inc: u64, s: Report },
    /// A session of mine ended (on `all`).
    Down {
        node: String,
        inc: u64,
        jid: String,
        bound_at: u64,
    },
    /// My sessions, in parts; the first replaces whatever was known of mine (on `all`).
    Snapshot {
        node: String,
        inc: u64,
        first: bool,
        #[serde(default)]
        last: bool,
        sessions: Vec<Report>,
        /// With the first part: the external components connected to me, and whether
        /// each is hidden.
        #[serde(default)]
        components: Vec<(String, bool)>,
    },
    /// A stanza for the session `to` you host.
    Deliver { to: String, stanza: String },
    /// End the session `jid` you host, the one bound at `bound_at`.
    Kick { jid: String, bound_at: u64, reason: String },
    /// A stanza for a service you run the part of (a room you host).
    Route { from: String, stanza: String },
    /// Tell me your archive's watermarks (on `all`).
    Watermarks { node: String, inc: u64, ask: u64 },
    /// The answer to `ask`: up to where this node's archive ids are settled, and the
    /// newest it issued.
    WatermarksAre {
        ask: u64,
        node: String,
        settled: i64,
        issued: i64,
    },
    /// These accounts changed (removed, new password): forget their cached credentials,
    /// then answer `ask` (on `all`).
    AccountsChanged {
        node: String,
        inc: u64,
        ask: u64,
        jids: Vec<String>,
    },
    /// The domains added at run time changed: read them again, then answer `ask` (on
    /// `all`).
    DomainsChanged { node: String, inc: u64, ask: u64 },
    /// Carry out `call` (an operation on something this node hosts, such as a room) and
    /// answer `ask` with its outcome; both are the caller's serialized types.
    Call { node: String, ask: u64, call: String },
    /// The outcome of a `Call`.
    Answer { ask: u64, answer: String },
    /// The answer to an `AccountsChanged` or `DomainsChanged` ask.
    Done { ask: u64, node: String },
    /// Sent to myself: everything I published before it has reached the NATS server.
    Marker { n: u64 },
    /// I am shutting down: my sessions have ended (on `all`).
    Leaving { node: String, inc: u64 },
    /// An external component connected to me (`up`) or left (on `all`).
    Component {
        node: String,
        inc: u64,
        domain: String,
        hidden: bool,
        up: bool,
    },
    /// Forget what `cache` holds for `key`: it changed (on `all`).
    Forget {
        node: String,
        inc: u64,
        cache: Cache,
        key: String,
    },
}

pub(super) fn report(session: &Session) -> Report {
    Report {
        jid: session.jid.to_string(),
        kind: kind_name(session.kind).to_owned(),
        bound_at: session.bound_at,
        state: session.routing_state(),
    }
}

fn kind_name(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::XmppTcp => "tcp",
        SessionKind::XmppWebSocket => "websocket",
        SessionKind::XmppBosh => "bosh",
        SessionKind::EventStream => "sse",
    }
}

pub(super) fn kind_of(name: &str) -> SessionKind {
    match name {
        "websocket" => SessionKind::XmppWebSocket,
        "bosh" => SessionKind::XmppBosh,
        "sse" => SessionKind::EventStream,
        _ => SessionKind::XmppTcp,
    }
}

/// The first byte of a [`Wire::Deliver`] in its compact form: the recipient's JID, a NUL,
/// the stanza. Stanzas are most of what nodes send each other; this form is written and
/// read without JSON's escaping. (A JSON message starts with `{`; a JID and XML never
/// contain a NUL.)
pub(super) const DELIVER: u8 = 0x01;

/// `stanza` for the session `to`, compact.
pub(super) fn encode_deliver(to: &str, stanza: &Element) -> Vec<u8> {
    let mut out = String::with_capacity(1 + to.len() + 1 + stanza.approx_size());
    out.push(char::from(DELIVER));
    out.push_str(to);
    out.push('\0');
    stanza.write_to(&mut out, crate::xml::CLIENT_NS);
    out.into_bytes()
}

/// The recipient and the stanza of a compact [`Wire::Deliver`].
pub(super) fn decode_deliver(payload: &[u8]) -> Option<(&str, &str)> {
    let rest = std::str::from_utf8(payload.strip_prefix(&[DELIVER])?).ok()?;
    rest.split_once('\0')
}

pub(super) fn serialize(stanza: &Element) -> String {
    let mut out = String::with_capacity(stanza.approx_size());
    stanza.write_to(&mut out, crate::xml::CLIENT_NS);
    out
}

impl Wire {
    /// The node that sent a message to everyone, and its incarnation.
    pub(super) fn sender(&self) -> Option<(&str, u64)> {
        match self {
            Wire::Heartbeat { node, inc }
            | Wire::Hello { node, inc, .. }
            | Wire::Session { node, inc, .. }
            | Wire::Down { node, inc, .. }
            | Wire::Snapshot { node, inc, .. }
            | Wire::Watermarks { node, inc, .. }
            | Wire::AccountsChanged { node, inc, .. }
            | Wire::DomainsChanged { node, inc, .. }
            | Wire::Forget { node, inc, .. }
            | Wire::Component { node, inc, .. }
            | Wire::Leaving { node, inc } => Some((node, *inc)),
            Wire::Deliver { .. }
            | Wire::Kick { .. }
            | Wire::Route { .. }
            | Wire::WatermarksAre { .. }
            | Wire::Done { .. }
            | Wire::Call { .. }
            | Wire::Answer { .. }
            | Wire::Marker { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_kind_reads_back_as_written() {
        let wires = [
            Wire::Heartbeat {
                node: "a".into(),
                inc: 7,
            },
            Wire::Session {
                node: "a".into(),
                inc: 7,
                s: Report {
                    jid: "alice@localhost/phone".into(),
                    kind: "tcp".into(),
                    bound_at: 1,
                    state: RoutingState {
                        available: true,
                        priority: 5,
                        last: Some("<presence/>".into()),
                        ..RoutingState::default()
                    },
                },
            },
            Wire::Deliver {
                to: "bob@localhost/x".into(),
                stanza: "<message/>".into(),
            },
        ];
        for w in wires {
            let bytes = serde_json::to_vec(&w).unwrap();
            let back: Wire = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(format!("{w:?}"), format!("{back:?}"));
        }
    }

    #[test]
    fn a_compact_delivery_reads_back_as_written() {
        let stanza = crate::xml::parse_element(
            "<message xmlns='jabber:client' type='chat'><body>a \"b\" &amp; c</body></message>",
        )
        .unwrap();
        let payload = encode_deliver("bob@localhost/x y", &stanza);
        assert_eq!(payload[0], DELIVER);
        let (to, text) = decode_deliver(&payload).expect("compact");
        assert_eq!(to, "bob@localhost/x y");
        assert_eq!(crate::xml::parse_element(text).unwrap(), stanza);
        assert_eq!(decode_deliver(b"{\"t\":\"heartbeat\"}"), None, "JSON is not compact");
    }

    #[test]
    fn session_kinds_keep_their_names() {
        for kind in [
            SessionKind::XmppTcp,
            SessionKind::XmppWebSocket,
            SessionKind::XmppBosh,
            SessionKind::EventStream,
        ] {
            assert_eq!(kind_of(kind_name(kind)), kind);
        }
    }
}

//! The labels of the metric families: each enum lists every value a label takes, so every
//! series is written even at zero, and what counts names its label without knowing the
//! text format.

/// Stanza kinds counted by the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StanzaKind {
    Message,
    Presence,
    Iq,
}

impl StanzaKind {
    pub(super) const ALL: [StanzaKind; 3] = [StanzaKind::Message, StanzaKind::Presence, StanzaKind::Iq];

    /// The kind of a stanza named `name`; `None` for anything else (not a stanza).
    pub(crate) fn of(name: &str) -> Option<StanzaKind> {
        match name {
            "message" => Some(StanzaKind::Message),
            "presence" => Some(StanzaKind::Presence),
            "iq" => Some(StanzaKind::Iq),
            _ => None,
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            StanzaKind::Message => "message",
            StanzaKind::Presence => "presence",
            StanzaKind::Iq => "iq",
        }
    }
}

/// The stages of a one-to-one message that goes to the archive, in order: the `stage`
/// label of `meerkat_message_stage_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// From the stanza read (or the REST message made) to its delivery rules starting:
    /// waiting for the session's earlier stanzas to release their turn, routing.
    Route,
    /// Reserving ids, serializing the row, queueing it for the writer.
    ArchiveQueue,
    /// Queued until durable: waiting for a group commit and taking part in it.
    ArchiveCommit,
    /// Durable until the session's earlier stanzas are done (their own commits, deliveries).
    Order,
    /// Queueing the stanza on every session of the recipient (and carbons).
    Deliver,
    /// The whole: read to delivery queued.
    Total,
}

impl Stage {
    pub(super) const ALL: [Stage; 6] = [
        Stage::Route,
        Stage::ArchiveQueue,
        Stage::ArchiveCommit,
        Stage::Order,
        Stage::Deliver,
        Stage::Total,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            Stage::Route => "route",
            Stage::ArchiveQueue => "archive_queue",
            Stage::ArchiveCommit => "archive_commit",
            Stage::Order => "order",
            Stage::Deliver => "deliver",
            Stage::Total => "total",
        }
    }
}

/// Which bound of a session's outbound queue was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueLimit {
    /// `max_session_queue`: stanzas.
    Stanzas,
    /// `max_session_queue_bytes`: their approximate size.
    Bytes,
}

impl QueueLimit {
    pub(super) const ALL: [QueueLimit; 2] = [QueueLimit::Stanzas, QueueLimit::Bytes];

    pub(super) fn label(self) -> &'static str {
        match self {
            QueueLimit::Stanzas => "stanzas",
            QueueLimit::Bytes => "bytes",
        }
    }
}

/// The door a login came through: the `door` label of the login metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Door {
    /// REST Basic auth (client API and its event stream).
    Rest,
    /// SASL on an XMPP stream over TCP.
    C2s,
    /// SASL on an XMPP stream over WebSocket.
    WebSocket,
    /// SASL on an XMPP stream over BOSH (XEP-0206).
    Bosh,
    /// The handshake of an external component (XEP-0114); the "account" is its domain.
    Component,
}

impl Door {
    pub(super) const ALL: [Door; 5] = [Door::Rest, Door::C2s, Door::WebSocket, Door::Bosh, Door::Component];

    pub(super) fn label(self) -> &'static str {
        match self {
            Door::Rest => "rest",
            Door::C2s => "c2s",
            Door::WebSocket => "websocket",
            Door::Bosh => "bosh",
            Door::Component => "component",
        }
    }
}

/// Sessions open now, by kind: read from the session table when scraped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SessionCounts {
    pub xmpp_tcp: usize,
    pub xmpp_websocket: usize,
    pub xmpp_bosh: usize,
    pub event_streams: usize,
}

impl SessionCounts {
    /// Each count with its `kind` label.
    pub(super) fn labelled(&self) -> [(&'static str, usize); 4] {
        [
            ("xmpp_tcp", self.xmpp_tcp),
            ("xmpp_websocket", self.xmpp_websocket),
            ("xmpp_bosh", self.xmpp_bosh),
            ("sse", self.event_streams),
        ]
    }
}

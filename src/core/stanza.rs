//! The stanza vocabulary, in one place: every XML namespace the server speaks, the
//! `type` values of `<message/>`, `<presence/>` and `<iq/>` (RFC 6120 §8.2.3, RFC 6121
//! §4.7.1, §5.2.2), stanza errors (RFC 6120 §8.3) and the reply builders.

use crate::xml::Element;

/// XML namespaces, each defined once.
pub mod ns {
    /// RFC 6120 §4.8.3: the stream's default namespace for client connections.
    pub const CLIENT: &str = crate::xml::CLIENT_NS;
    pub const STREAM: &str = crate::xml::STREAM_NS;
    pub const STREAM_ERRORS: &str = "urn:ietf:params:xml:ns:xmpp-streams";
    pub const STANZA_ERRORS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
    pub const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
    pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
    pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
    /// The RFC 3921 session establishment, kept for old clients.
    pub const SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
    /// RFC 7395: XMPP over WebSocket framing.
    pub const FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";
    /// XEP-0124: the `<body/>` wrapper of BOSH.
    pub const HTTPBIND: &str = "http://jabber.org/protocol/httpbind";
    /// XEP-0206: XMPP's attributes on the BOSH wrapper (`xmpp:version`, `xmpp:restart`).
    pub const XBOSH: &str = "urn:xmpp:xbosh";
    pub const ROSTER: &str = "jabber:iq:roster";
    pub const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
    pub const DISCO_ITEMS: &str = "http://jabber.org/protocol/disco#items";
    pub const PING: &str = "urn:xmpp:ping";
    pub const VERSION: &str = "jabber:iq:version";
    pub const MAM: &str = "urn:xmpp:mam:2";
    pub const RSM: &str = "http://jabber.org/protocol/rsm";
    pub const DATA_FORMS: &str = "jabber:x:data";
    pub const FORWARD: &str = "urn:xmpp:forward:0";
    pub const DELAY: &str = "urn:xmpp:delay";
    /// XEP-0359 unique and stable stanza ids.
    pub const STANZA_ID: &str = "urn:xmpp:sid:0";
    /// Smack's stanza properties (not a XEP; widely used by Smack clients).
    pub const SMACK_PROPERTIES: &str = "http://www.jivesoftware.com/xmlns/xmpp/properties";
    /// XEP-0333 chat markers.
    pub const CHAT_MARKERS: &str = "urn:xmpp:chat-markers:0";
    /// MUC Light (MongooseIM's lightweight group chat) and its sub-namespaces.
    pub const MUCLIGHT: &str = "urn:xmpp:muclight:0";
    pub const MUCLIGHT_CREATE: &str = "urn:xmpp:muclight:0#create";
    pub const MUCLIGHT_CONFIGURATION: &str = "urn:xmpp:muclight:0#configuration";
    pub const MUCLIGHT_AFFILIATIONS: &str = "urn:xmpp:muclight:0#affiliations";
    pub const MUCLIGHT_INFO: &str = "urn:xmpp:muclight:0#info";
    pub const MUCLIGHT_DESTROY: &str = "urn:xmpp:muclight:0#destroy";
    /// XEP-0198 stream management, version 3.
    pub const SM: &str = "urn:xmpp:sm:3";
    /// XEP-0352 client state indication.
    pub const CSI: &str = "urn:xmpp:csi:0";
    /// XEP-0085 chat state notifications.
    pub const CHAT_STATES: &str = "http://jabber.org/protocol/chatstates";
    /// XEP-0334 message processing hints.
    pub const HINTS: &str = "urn:xmpp:hints";
    /// XEP-0363 HTTP File Upload.
    pub const HTTP_UPLOAD: &str = "urn:xmpp:http:upload:0";
    /// XEP-0060 publish-subscribe, as PEP (XEP-0163) uses it.
    pub const PUBSUB: &str = "http://jabber.org/protocol/pubsub";
    pub const PUBSUB_OWNER: &str = "http://jabber.org/protocol/pubsub#owner";
    pub const PUBSUB_EVENT: &str = "http://jabber.org/protocol/pubsub#event";
    pub const PUBSUB_ERRORS: &str = "http://jabber.org/protocol/pubsub#errors";
    pub const PUBSUB_NODE_CONFIG: &str = "http://jabber.org/protocol/pubsub#node_config";
    pub const PUBSUB_PUBLISH_OPTIONS: &str = "http://jabber.org/protocol/pubsub#publish-options";
    /// XEP-0115 entity capabilities.
    pub const CAPS: &str = "http://jabber.org/protocol/caps";
    /// XEP-0054 vcard-temp.
    pub const VCARD: &str = "vcard-temp";
    /// XEP-0049 private XML storage.
    pub const PRIVATE: &str = "jabber:iq:private";
    /// XEP-0045 Multi-User Chat and its sub-namespaces and form types.
    pub const MUC: &str = "http://jabber.org/protocol/muc";
    pub const MUC_USER: &str = "http://jabber.org/protocol/muc#user";
    /// XEP-0249 direct MUC invitations.
    pub const CONFERENCE: &str = "jabber:x:conference";
    pub const MUC_ADMIN: &str = "http://jabber.org/protocol/muc#admin";
    pub const MUC_OWNER: &str = "http://jabber.org/protocol/muc#owner";
    pub const MUC_ROOMCONFIG: &str = "http://jabber.org/protocol/muc#roomconfig";
    pub const MUC_ROOMINFO: &str = "http://jabber.org/protocol/muc#roominfo";
    /// XEP-0410: the room answers self-pings itself.
    pub const MUC_SELF_PING: &str = "http://jabber.org/protocol/muc#self-ping-optimization";
}

/// RFC 6121 §5.2.2. An absent or unknown `type` means `normal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Chat,
    Error,
    Groupchat,
    Headline,
    Normal,
}

impl MessageType {
    pub fn of(stanza: &Element) -> Self {
        match stanza.attr("type") {
            Some("chat") => MessageType::Chat,
            Some("error") => MessageType::Error,
            Some("groupchat") => MessageType::Groupchat,
            Some("headline") => MessageType::Headline,
            _ => MessageType::Normal,
        }
    }
}

/// RFC 6121 §4.7.1 plus the subscription types of §3. An absent `type` is `Available`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceType {
    Available,
    Unavailable,
    Subscribe,
    Subscribed,
    Unsubscribe,
    Unsubscribed,
    Probe,
    Error,
}

impl PresenceType {
    /// `None` for a `type` the RFC does not define.
    pub fn of(stanza: &Element) -> Option<Self> {
        Some(match stanza.attr("type") {
            None => PresenceType::Available,
            Some("unavailable") => PresenceType::Unavailable,
            Some("subscribe") => PresenceType::Subscribe,
            Some("subscribed") => PresenceType::Subscribed,
            Some("unsubscribe") => PresenceType::Unsubscribe,
            Some("unsubscribed") => PresenceType::Unsubscribed,
            Some("probe") => PresenceType::Probe,
            Some("error") => PresenceType::Error,
            Some(_) => return None,
        })
    }

    pub fn as_str(self) -> Option<&'static str> {
        Some(match self {
            PresenceType::Available => return None,
            PresenceType::Unavailable => "unavailable",
            PresenceType::Subscribe => "subscribe",
            PresenceType::Subscribed => "subscribed",
            PresenceType::Unsubscribe => "unsubscribe",
            PresenceType::Unsubscribed => "unsubscribed",
            PresenceType::Probe => "probe",
            PresenceType::Error => "error",
        })
    }
}

/// RFC 6120 §8.2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IqType {
    Get,
    Set,
    Result,
    Error,
}

impl IqType {
    /// `None` when the `type` is missing or not one of the four.
    pub fn of(stanza: &Element) -> Option<Self> {
        Some(match stanza.attr("type")? {
            "get" => IqType::Get,
            "set" => IqType::Set,
            "result" => IqType::Result,
            "error" => IqType::Error,
            _ => return None,
        })
    }

    pub fn is_request(self) -> bool {
        matches!(self, IqType::Get | IqType::Set)
    }
}

/// Whether `stanza` is itself an error or a response, which must never be answered with
/// an error (RFC 6120 §8.3.1).
pub fn is_error_or_response(stanza: &Element) -> bool {
    stanza.attr("type") == Some("error") || (stanza.name == "iq" && stanza.attr("type") == Some("result"))
}

/// RFC 6120 §8.3.2: what the sender may do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    Auth,
    Cancel,
    Continue,
    Modify,
    Wait,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Auth => "auth",
            ErrorType::Cancel => "cancel",
            ErrorType::Continue => "continue",
            ErrorType::Modify => "modify",
            ErrorType::Wait => "wait",
        }
    }
}

/// RFC 6120 §8.3.3: the defined conditions the server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    BadRequest,
    Conflict,
    FeatureNotImplemented,
    Forbidden,
    InternalServerError,
    ItemNotFound,
    JidMalformed,
    NotAcceptable,
    NotAllowed,
    NotAuthorized,
    PolicyViolation,
    RegistrationRequired,
    RemoteServerNotFound,
    RemoteServerTimeout,
    ResourceConstraint,
    ServiceUnavailable,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::BadRequest => "bad-request",
            Condition::Conflict => "conflict",
            Condition::FeatureNotImplemented => "feature-not-implemented",
            Condition::Forbidden => "forbidden",
            Condition::InternalServerError => "internal-server-error",
            Condition::ItemNotFound => "item-not-found",
            Condition::JidMalformed => "jid-malformed",
            Condition::NotAcceptable => "not-acceptable",
            Condition::NotAllowed => "not-allowed",
            Condition::NotAuthorized => "not-authorized",
            Condition::PolicyViolation => "policy-violation",
            Condition::RegistrationRequired => "registration-required",
            Condition::RemoteServerNotFound => "remote-server-not-found",
            Condition::RemoteServerTimeout => "remote-server-timeout",
            Condition::ResourceConstraint => "resource-constraint",
            Condition::ServiceUnavailable => "service-unavailable",
        }
    }

    /// The error type RFC 6120 §8.3.3 suggests for the condition.
    pub fn default_type(self) -> ErrorType {
        match self {
            Condition::BadRequest | Condition::JidMalformed | Condition::NotAcceptable | Condition::PolicyViolation => {
                ErrorType::Modify
            }
            Condition::Forbidden | Condition::NotAuthorized | Condition::RegistrationRequired => ErrorType::Auth,
            Condition::InternalServerError | Condition::ResourceConstraint | Condition::RemoteServerTimeout => {
                ErrorType::Wait
            }
            Condition::Conflict
            | Condition::FeatureNotImplemented
            | Condition::ItemNotFound
            | Condition::NotAllowed
            | Condition::RemoteServerNotFound
            | Condition::ServiceUnavailable => ErrorType::Cancel,
        }
    }
}

/// A stanza error to send back: its type, defined condition, an optional
/// human-readable text and an optional application-specific condition (RFC 6120 §8.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanzaError {
    pub kind: ErrorType,
    pub condition: Condition,
    pub text: Option<String>,
    /// An element in the extension's own namespace that says more than the defined
    /// condition can (XEP-0363's `<file-too-large/>`). Boxed: errors travel in
    /// `Result`s, which stay small without it.
    pub app_condition: Option<Box<Element>>,
}

impl StanzaError {
    /// The condition with the type the server uses for it (RFC 6120 §8.3.3's suggestion,
    /// except `forbidden`, which the server answers with `cancel`: retrying with other
    /// credentials does not help on this server).
    pub fn new(condition: Condition) -> Self {
        let kind = match condition {
            Condition::Forbidden => ErrorType::Cancel,
            c => c.default_type(),
        };
        StanzaError {
            kind,
            condition,
            text: None,
            app_condition: None,
        }
    }

    pub fn with_type(kind: ErrorType, condition: Condition) -> Self {
        StanzaError {
            kind,
            condition,
            text: None,
            app_condition: None,
        }
    }

    /// Adds an application-specific condition.
    pub fn with_app(mut self, app: Element) -> Self {
        self.app_condition = Some(Box::new(app));
        self
    }

    /// Adds a `<text/>` saying what went wrong.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Adds an application-specific condition (RFC 6120 §8.3.4).
    pub fn with_app_condition(mut self, condition: Element) -> Self {
        self.app_condition = Some(Box::new(condition));
        self
    }

    pub fn to_element(&self) -> Element {
        let mut error = Element::new("error", ns::CLIENT)
            .with_attr("type", self.kind.as_str())
            .with_child(Element::new(self.condition.as_str(), ns::STANZA_ERRORS));
        if let Some(t) = &self.text {
            error = error.with_child(Element::new("text", ns::STANZA_ERRORS).with_text(t.clone()));
        }
        if let Some(c) = &self.app_condition {
            error = error.with_child((**c).clone());
        }
        error
    }
}

impl From<Condition> for StanzaError {
    fn from(c: Condition) -> Self {
        StanzaError::new(c)
    }
}

/// The element name and the addressing attributes of `stanza` (`id`, `from`, `to`,
/// `type`), without its payload: what an error reply to it needs.
pub fn stub(stanza: &Element) -> Element {
    let mut stub = Element::new(stanza.name.clone(), stanza.ns.clone());
    for a in ["id", "from", "to", "type"] {
        if let Some(v) = stanza.attr(a) {
            stub.set_attr(a, v);
        }
    }
    stub
}

/// The reply skeleton: same element name and `id`, addresses swapped.
fn reply_to(stanza: &Element, name: &str, kind: &str) -> Element {
    let mut reply = Element::new(name, ns::CLIENT).with_attr("type", kind);
    if let Some(id) = stanza.attr("id") {
        reply.set_attr("id", id);
    }
    if let Some(from) = stanza.attr("from") {
        reply.set_attr("to", from);
    }
    if let Some(to) = stanza.attr("to") {
        reply.set_attr("from", to);
    }
    reply
}

/// An error reply to `stanza` (RFC 6120 §8.3): addresses swapped, `type='error'`.
pub fn error_reply(stanza: &Element, error: impl Into<StanzaError>) -> Element {
    reply_to(stanza, &stanza.name, "error").with_child(error.into().to_element())
}

/// An IQ result for `request`, with an optional payload.
pub fn iq_result(request: &Element, payload: Option<Element>) -> Element {
    let reply = reply_to(request, "iq", "result");
    match payload {
        Some(p) => reply.with_child(p),
        None => reply,
    }
}

/// `<presence/>` of `kind` from `from` to `to` (a bare JID, for subscription stanzas).
pub fn presence(kind: PresenceType, from: &str, to: &str) -> Element {
    let mut p = Element::new("presence", ns::CLIENT)
        .with_attr("from", from)
        .with_attr("to", to);
    if let Some(t) = kind.as_str() {
        p.set_attr("type", t);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_with_the_rfc_defaults() {
        let m = |t: Option<&str>| {
            let mut e = Element::new("message", ns::CLIENT);
            if let Some(t) = t {
                e.set_attr("type", t);
            }
            e
        };
        assert_eq!(MessageType::of(&m(None)), MessageType::Normal);
        assert_eq!(MessageType::of(&m(Some("bogus"))), MessageType::Normal);
        assert_eq!(MessageType::of(&m(Some("groupchat"))), MessageType::Groupchat);
        assert_eq!(PresenceType::of(&m(None)), Some(PresenceType::Available));
        assert_eq!(PresenceType::of(&m(Some("bogus"))), None);
        assert_eq!(IqType::of(&m(None)), None);
        assert_eq!(IqType::of(&m(Some("set"))), Some(IqType::Set));
    }

    #[test]
    fn an_error_reply_swaps_the_addresses_and_carries_the_condition() {
        let iq = Element::new("iq", ns::CLIENT)
            .with_attr("type", "get")
            .with_attr("id", "q1")
            .with_attr("from", "alice@localhost/a")
            .with_attr("to", "localhost");
        let e = error_reply(&iq, Condition::ItemNotFound);
        assert_eq!(
            e.to_xml(""),
            "<iq xmlns='jabber:client' type='error' id='q1' to='alice@localhost/a' from='localhost'>\
             <error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        );
        assert!(is_error_or_response(&e));
        assert!(is_error_or_response(&iq_result(&iq, None)));
        assert!(!is_error_or_response(&iq));
    }
}

//! How stream-level constructs are written on each transport: the stream header, a
//! `stream:`-prefixed element (features, errors), a stanza, the end of the stream.
//!
//! - TCP (RFC 6120 §4.2, §4.9): one XML document per direction, `stream:` declared on the
//!   header, stanzas in the default `jabber:client` namespace;
//! - WebSocket (RFC 7395 §3.3–§3.6): one element per message, `<open/>` and `<close/>`
//!   in the framing namespace, every element with its own namespace;
//! - BOSH (XEP-0206 §4–§5): stanzas inside `<body/>` wrappers; the header is the
//!   session creation response's attributes, the end the terminating wrapper.
//!
//! Also what each transport is for the rest of the server: the throttle's door and the
//! session kind.

use crate::core::account::throttle::Door;
use crate::core::session::{Outbound, SessionKind};
use crate::core::stanza::ns;
use crate::xml::{escape_attr, Element};

const CLIENT_NS: &str = ns::CLIENT;
const STREAM_NS: &str = ns::STREAM;
const STREAM_ERRORS_NS: &str = ns::STREAM_ERRORS;
pub(crate) const FRAMING_NS: &str = ns::FRAMING;
const HTTPBIND_NS: &str = ns::HTTPBIND;

/// How stream-level constructs are written on a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// RFC 6120: one XML document per direction, `stream:` prefix declared on the header.
    Tcp,
    /// RFC 7395: one element per message, `<open/>`/`<close/>`.
    WebSocket,
    /// XEP-0206: stanzas travel inside BOSH `<body/>` wrappers. The stream header is the
    /// attributes a session creation response carries (`from`, `authid`,
    /// `xmpp:version`), written as an empty wrapper the BOSH session reads them from;
    /// the end of the stream is the terminating wrapper.
    Bosh,
}

impl Framing {
    /// The door logins on this transport come through, for the throttle's counts.
    pub(super) fn door(self) -> Door {
        match self {
            Framing::Tcp => Door::C2s,
            Framing::WebSocket => Door::WebSocket,
            Framing::Bosh => Door::Bosh,
        }
    }

    /// What carries the sessions bound on this transport.
    pub(super) fn session_kind(self) -> SessionKind {
        match self {
            Framing::Tcp => SessionKind::XmppTcp,
            Framing::WebSocket => SessionKind::XmppWebSocket,
            Framing::Bosh => SessionKind::XmppBosh,
        }
    }

    pub(crate) fn header(self, id: &str, from: &str) -> String {
        let mut from_attr = String::new();
        escape_attr(from, &mut from_attr);
        match self {
            Framing::Tcp => format!(
                "<?xml version='1.0'?><stream:stream xmlns='{CLIENT_NS}' xmlns:stream='{STREAM_NS}' \
                 id='{id}' from='{from_attr}' version='1.0' xml:lang='en'>"
            ),
            Framing::WebSocket => {
                format!("<open xmlns='{FRAMING_NS}' id='{id}' from='{from_attr}' version='1.0' xml:lang='en'/>")
            }
            Framing::Bosh => format!(
                "<body xmlns='{HTTPBIND_NS}' xmlns:xmpp='{}' authid='{id}' from='{from_attr}' xmpp:version='1.0'/>",
                ns::XBOSH
            ),
        }
    }

    /// A `stream:`-prefixed element (`features`, `error`).
    pub(crate) fn stream_element(self, name: &str, children: &[Element]) -> String {
        let mut out = format!("<stream:{name}");
        if self != Framing::Tcp {
            out.push_str(&format!(" xmlns:stream='{STREAM_NS}'"));
        }
        out.push('>');
        for c in children {
            c.write_to(&mut out, STREAM_NS);
        }
        out.push_str(&format!("</stream:{name}>"));
        out
    }

    pub(crate) fn stanza(self, el: &Element) -> String {
        match self {
            Framing::Tcp => el.to_xml(CLIENT_NS),
            Framing::WebSocket | Framing::Bosh => el.to_xml(""),
        }
    }

    /// Stanzas from a session's queue (a copy of a shared one written with its `to`),
    /// as frames: on TCP one frame for them all, written into one buffer; otherwise one
    /// frame (a WebSocket message) each.
    pub(crate) fn outbound(self, batch: &[Outbound]) -> Vec<String> {
        match self {
            Framing::Tcp => {
                // A typical stanza's room each, without walking every element again.
                let mut out = String::with_capacity(256 * batch.len());
                for stanza in batch {
                    stanza.write_to(&mut out, CLIENT_NS);
                }
                vec![out]
            }
            Framing::WebSocket | Framing::Bosh => batch.iter().map(|s| s.to_xml("")).collect(),
        }
    }

    pub(crate) fn close(self) -> String {
        match self {
            Framing::Tcp => "</stream:stream>".to_owned(),
            Framing::WebSocket => format!("<close xmlns='{FRAMING_NS}'/>"),
            Framing::Bosh => format!("<body xmlns='{HTTPBIND_NS}' type='terminate'/>"),
        }
    }

    /// A stream error and the end of the stream, as separate frames.
    pub(crate) fn error(self, condition: &str, text: Option<&str>) -> Vec<String> {
        self.error_with(condition, text, None)
    }

    /// [`Framing::error`] with an application-specific condition (RFC 6120 §4.9.4).
    pub(crate) fn error_with(self, condition: &str, text: Option<&str>, app: Option<&Element>) -> Vec<String> {
        let mut children = vec![Element::new(condition, STREAM_ERRORS_NS)];
        if let Some(t) = text {
            children.push(Element::new("text", STREAM_ERRORS_NS).with_text(t));
        }
        if let Some(a) = app {
            children.push(a.clone());
        }
        vec![self.stream_element("error", &children), self.close()]
    }
}

/// Stanzas on the wire of a component or server stream are in that stream's namespace
/// (`wire_ns`); inside the server, in `jabber:client`. Iterative, so a deeply nested
/// stanza costs no stack.
pub(crate) fn into_client_ns(stanza: &mut Element, wire_ns: &str) {
    let mut pending = vec![stanza];
    while let Some(el) = pending.pop() {
        if el.ns == wire_ns {
            el.ns = CLIENT_NS.to_owned();
        }
        for child in el.children.iter_mut() {
            if let crate::xml::Node::Element(c) = child {
                pending.push(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stanza::ns::BIND as BIND_NS;

    #[test]
    fn tcp_and_websocket_framings_write_what_their_rfcs_say() {
        let h = Framing::Tcp.header("abc", "localhost");
        assert!(h.starts_with("<?xml version='1.0'?><stream:stream xmlns='jabber:client'"));
        assert!(h.contains("xmlns:stream='http://etherx.jabber.org/streams'") && h.contains("from='localhost'"));
        let w = Framing::WebSocket.header("abc", "localhost");
        assert_eq!(
            w,
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='abc' from='localhost' version='1.0' xml:lang='en'/>"
        );
        let f = Framing::Tcp.stream_element("features", &[Element::new("bind", BIND_NS)]);
        assert_eq!(
            f,
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
        );
        let e = Framing::WebSocket.error("conflict", Some("replaced"));
        assert_eq!(
            e[0],
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>replaced</text></stream:error>"
        );
        assert_eq!(e[1], "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
        let m = Element::new("message", CLIENT_NS).with_attr("to", "a@b");
        assert_eq!(Framing::Tcp.stanza(&m), "<message to='a@b'/>");
        assert_eq!(
            Framing::WebSocket.stanza(&m),
            "<message xmlns='jabber:client' to='a@b'/>"
        );
    }
}

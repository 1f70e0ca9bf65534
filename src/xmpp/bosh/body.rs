//! The `<body/>` wrapper of BOSH (XEP-0124 §6, §7, §10, §13; XEP-0206 §3, §5): what a
//! request asks for, and the wrappers the server answers with. Pure functions: no
//! session, no I/O.
//!
//! Payloads a client leaves in the wrapper's own namespace (an unprefixed `<message>`
//! without `xmlns`) are taken as `jabber:client`, which is what XEP-0206 clients mean.
//! The XEP-0206 attributes are read under their usual prefix (`xmpp:version`,
//! `xmpp:restart`).

use crate::core::stanza::ns;
use crate::xml::{escape_attr, parse_element, Element, Node, XmlError};

const HTTPBIND_NS: &str = ns::HTTPBIND;

/// The highest BOSH version this server speaks (XEP-0124 1.11).
pub(crate) const SERVER_VERSION: Version = Version { major: 1, minor: 11 };

/// A BOSH protocol version (`ver`): major and minor compared as separate integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version {
    pub major: u32,
    pub minor: u32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Why a request body is refused (`bad-request`, XEP-0124 §17.2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum BodyError {
    #[error("not UTF-8")]
    Encoding,
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("not a <body/> wrapper in the httpbind namespace")]
    NotBody,
    #[error("the rid is missing or not a number")]
    Rid,
    #[error("invalid '{0}' attribute")]
    Attribute(&'static str),
    #[error("character data directly inside the wrapper")]
    Text,
}

impl From<XmlError> for BodyError {
    fn from(e: XmlError) -> Self {
        BodyError::Xml(e.to_string())
    }
}

/// A session creation request's wishes (XEP-0124 §7.1, XEP-0206 §3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Create {
    pub to: Option<String>,
    /// Seconds the client allows a request to be held.
    pub wait: Option<u64>,
    /// Requests the client allows to be held at once.
    pub hold: Option<u64>,
    pub ver: Option<Version>,
    /// `xmpp:version`: the XMPP version of the stream (`1.0` for SASL and binding).
    pub xmpp_version: Option<String>,
}

/// What a request asks for besides carrying payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No `sid`: a new session (§7.1).
    Create(Create),
    /// `xmpp:restart='true'`: a new stream after SASL success (XEP-0206 §5).
    Restart { to: Option<String> },
    /// `type='terminate'`: the end of the session, after its payloads (§13).
    Terminate,
    /// `pause`: a longer inactivity period for a while, in seconds (§10).
    Pause(u64),
    /// Payloads, or none: a request to hold until there is something to send.
    Plain,
}

/// One parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub rid: u64,
    pub sid: Option<String>,
    pub kind: Kind,
    pub payloads: Vec<Element>,
}

/// Parses a request body as far as the wrapper: the caller may read its `sid` even when
/// [`Request::from_wrapper`] then refuses it.
pub(crate) fn parse_wrapper(bytes: &[u8]) -> Result<Element, BodyError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BodyError::Encoding)?;
    let el = parse_element(text)?;
    if !el.is("body", HTTPBIND_NS) {
        return Err(BodyError::NotBody);
    }
    Ok(el)
}

/// A numeric attribute: ASCII digits only (no sign, no white space, as a `rid` that two
/// peers must agree on byte for byte), at most XEP-0124's largest `rid`, 2^53 - 1.
fn number(el: &Element, name: &'static str) -> Result<Option<u64>, BodyError> {
    const MAX: u64 = (1 << 53) - 1;
    el.attr(name)
        .map(|v| match v.parse::<u64>() {
            Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) && n <= MAX => Ok(n),
            _ => Err(BodyError::Attribute(name)),
        })
        .transpose()
}

fn version(text: &str) -> Option<Version> {
    let (major, minor) = text.trim().split_once('.')?;
    Some(Version {
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
    })
}

/// Payloads that inherited the wrapper's namespace are `jabber:client` stanzas.
fn into_client_namespace(mut el: Element) -> Element {
    if el.ns == HTTPBIND_NS {
        el.ns = ns::CLIENT.to_owned();
    }
    el.children = el
        .children
        .into_iter()
        .map(|n| match n {
            Node::Element(child) => Node::Element(into_client_namespace(child)),
            text => text,
        })
        .collect();
    el
}

impl Request {
    /// Reads what a wrapper asks for.
    pub(crate) fn from_wrapper(el: Element) -> Result<Request, BodyError> {
        let rid = number(&el, "rid")?.ok_or(BodyError::Rid)?;
        let sid = el.attr("sid").map(str::to_owned);
        let to = el.attr("to").map(str::to_owned);
        let kind = if sid.is_none() {
            let ver = match el.attr("ver") {
                None => None,
                Some(v) => Some(version(v).ok_or(BodyError::Attribute("ver"))?),
            };
            Kind::Create(Create {
                to,
                wait: number(&el, "wait")?,
                hold: number(&el, "hold")?,
                ver,
                xmpp_version: el.attr("xmpp:version").map(str::to_owned),
            })
        } else if el.attr("type") == Some("terminate") {
            Kind::Terminate
        } else if matches!(el.attr("xmpp:restart"), Some("true" | "1")) {
            Kind::Restart { to }
        } else if let Some(secs) = number(&el, "pause")? {
            Kind::Pause(secs)
        } else {
            Kind::Plain
        };
        let mut payloads = Vec::new();
        for node in el.children {
            match node {
                Node::Element(child) => payloads.push(into_client_namespace(child)),
                Node::Text(t) if t.chars().all(|c| c.is_ascii_whitespace()) => {}
                Node::Text(_) => return Err(BodyError::Text),
            }
        }
        Ok(Request {
            rid,
            sid,
            kind,
            payloads,
        })
    }
}

/// The terminal binding conditions this server sends (XEP-0124 §17.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Condition {
    /// The body could not be read, or asked for something impossible.
    BadRequest,
    /// The `to` domain is not served.
    HostUnknown,
    /// An unknown `sid`, or a `rid` outside the window or too old to replay.
    ItemNotFound,
    /// A limit was reached (sessions per address, sessions on the listener).
    PolicyViolation,
    /// The XMPP stream ended with a stream error, carried in the wrapper.
    RemoteStreamError,
    /// The server is shutting down.
    SystemShutdown,
    /// The session did not start in time.
    InternalServerError,
}

impl Condition {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Condition::BadRequest => "bad-request",
            Condition::HostUnknown => "host-unknown",
            Condition::ItemNotFound => "item-not-found",
            Condition::PolicyViolation => "policy-violation",
            Condition::RemoteStreamError => "remote-stream-error",
            Condition::SystemShutdown => "system-shutdown",
            Condition::InternalServerError => "internal-server-error",
        }
    }

    /// How the end of an XMPP stream with `stream_condition` is told in BOSH: the
    /// conditions BOSH has a name for by that name, the others as a remote stream error.
    pub(crate) fn for_stream_error(stream_condition: &str) -> Condition {
        match stream_condition {
            "host-unknown" => Condition::HostUnknown,
            "system-shutdown" => Condition::SystemShutdown,
            _ => Condition::RemoteStreamError,
        }
    }
}

/// Writes a wrapper with `attrs` around `payloads` (already serialized elements that
/// carry their own namespaces).
pub(crate) fn wrapper(attrs: &[(&str, String)], payloads: &[String]) -> String {
    let mut out = format!("<body xmlns='{HTTPBIND_NS}'");
    if attrs.iter().any(|(k, _)| k.starts_with("xmpp:")) {
        out.push_str(&format!(" xmlns:xmpp='{}'", ns::XBOSH));
    }
    if !payloads.is_empty() {
        out.push_str(&format!(" xmlns:stream='{}'", ns::STREAM));
    }
    for (k, v) in attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("='");
        escape_attr(v, &mut out);
        out.push('\'');
    }
    if payloads.is_empty() {
        out.push_str("/>");
        return out;
    }
    out.push('>');
    for p in payloads {
        out.push_str(p);
    }
    out.push_str("</body>");
    out
}

/// The empty wrapper: "nothing for you now".
pub(crate) fn empty() -> String {
    wrapper(&[], &[])
}

/// The end of the session (§13, §17.2), with the condition when it is an error.
pub(crate) fn terminate(condition: Option<Condition>, payloads: &[String]) -> String {
    let mut attrs = vec![("type", "terminate".to_owned())];
    if let Some(c) = condition {
        attrs.push(("condition", c.as_str().to_owned()));
    }
    wrapper(&attrs, payloads)
}

/// What the XMPP stream wrote, as the BOSH session sees it (see `Framing::Bosh`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    /// The stream header: the attributes of a session creation response.
    Header { authid: String, from: String },
    /// A stanza or a stream-level element to pass on.
    Payload(String),
    /// A stream error (its condition, and the element itself), right before the end.
    StreamError { condition: String, xml: String },
    /// The end of the stream.
    End,
}

/// Tells what one frame of `Framing::Bosh` is. Only the header and the end are
/// wrappers; stanzas and features never start with `<body`, and stream errors are the
/// only `stream:error` elements.
pub(crate) fn classify(frame: String) -> Frame {
    if frame.starts_with("<body ") {
        let Ok(el) = parse_element(&frame) else {
            return Frame::End;
        };
        if el.attr("type") == Some("terminate") {
            return Frame::End;
        }
        return Frame::Header {
            authid: el.attr("authid").unwrap_or_default().to_owned(),
            from: el.attr("from").unwrap_or_default().to_owned(),
        };
    }
    if frame.starts_with("<stream:error") {
        let condition = parse_element(&frame)
            .ok()
            .and_then(|el| {
                el.elements()
                    .find(|c| c.ns == ns::STREAM_ERRORS && c.name != "text")
                    .map(|c| c.name.clone())
            })
            .unwrap_or_else(|| "undefined-condition".to_owned());
        return Frame::StreamError { condition, xml: frame };
    }
    Frame::Payload(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmpp::stream::Framing;

    fn request(text: &str) -> Result<Request, BodyError> {
        Request::from_wrapper(parse_wrapper(text.as_bytes())?)
    }

    #[test]
    fn a_session_creation_request_gives_its_wishes() {
        let r = request(
            "<body content='text/xml; charset=utf-8' hold='1' rid='1573741820' to='localhost' \
             ver='1.6' wait='60' xml:lang='en' xmpp:version='1.0' \
             xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>",
        )
        .unwrap();
        assert_eq!(r.rid, 1573741820);
        assert_eq!(r.sid, None);
        assert_eq!(
            r.kind,
            Kind::Create(Create {
                to: Some("localhost".into()),
                wait: Some(60),
                hold: Some(1),
                ver: Some(Version { major: 1, minor: 6 }),
                xmpp_version: Some("1.0".into()),
            })
        );
        assert!(r.payloads.is_empty());
        assert!(Version { major: 1, minor: 6 } < Version { major: 1, minor: 11 });
    }

    #[test]
    fn restart_terminate_pause_and_payloads_are_told_apart() {
        let ns = "xmlns='http://jabber.org/protocol/httpbind'";
        let restart = request(&format!(
            "<body rid='2' sid='s' to='localhost' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh' {ns}/>"
        ))
        .unwrap();
        assert_eq!(
            restart.kind,
            Kind::Restart {
                to: Some("localhost".into())
            }
        );
        let bye = request(&format!(
            "<body rid='3' sid='s' type='terminate' {ns}><presence type='unavailable' xmlns='jabber:client'/></body>"
        ))
        .unwrap();
        assert_eq!(bye.kind, Kind::Terminate);
        assert_eq!(bye.payloads.len(), 1);
        assert!(bye.payloads[0].is("presence", ns::CLIENT));
        assert_eq!(
            request(&format!("<body rid='4' sid='s' pause='60' {ns}/>"))
                .unwrap()
                .kind,
            Kind::Pause(60)
        );
        let plain = request(&format!(
            "<body rid='5' sid='s' {ns}>\n <message to='bob@localhost'><body>hi</body></message>\n \
             <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth></body>"
        ))
        .unwrap();
        assert_eq!(plain.kind, Kind::Plain);
        // A payload that inherited the wrapper's namespace is a client stanza, and so
        // is everything inside it that did.
        assert!(plain.payloads[0].is("message", ns::CLIENT));
        assert!(plain.payloads[0].child("body", ns::CLIENT).is_some());
        assert!(plain.payloads[1].is("auth", ns::SASL));
    }

    #[test]
    fn bad_bodies_are_refused_with_a_reason() {
        let ns = "xmlns='http://jabber.org/protocol/httpbind'";
        assert_eq!(parse_wrapper(b"\xff\xfe").unwrap_err(), BodyError::Encoding);
        assert!(matches!(parse_wrapper(b"<body rid='1'"), Err(BodyError::Xml(_))));
        assert!(matches!(parse_wrapper(b""), Err(BodyError::Xml(_))));
        assert_eq!(
            parse_wrapper(b"<body rid='1' xmlns='jabber:client'/>").unwrap_err(),
            BodyError::NotBody
        );
        assert_eq!(
            parse_wrapper(b"<open rid='1' xmlns='http://jabber.org/protocol/httpbind'/>").unwrap_err(),
            BodyError::NotBody
        );
        assert!(matches!(
            parse_wrapper(format!("<body rid='1' {ns}><!-- hi --></body>").as_bytes()),
            Err(BodyError::Xml(_))
        ));
        assert_eq!(request(&format!("<body sid='s' {ns}/>")).unwrap_err(), BodyError::Rid);
        assert_eq!(
            request(&format!("<body rid='x1' {ns}/>")).unwrap_err(),
            BodyError::Attribute("rid")
        );
        assert_eq!(
            request(&format!("<body rid='-1' {ns}/>")).unwrap_err(),
            BodyError::Attribute("rid")
        );
        // Only digits: no sign, no white space, nothing past 2^53 - 1.
        for rid in ["+5", " 7", "7 ", "0x10", "1e3", "9007199254740992", ""] {
            assert_eq!(
                request(&format!("<body rid='{rid}' {ns}/>")).unwrap_err(),
                BodyError::Attribute("rid"),
                "{rid:?}"
            );
        }
        assert_eq!(
            request(&format!("<body rid='9007199254740991' {ns}/>")).unwrap().rid,
            (1 << 53) - 1
        );
        assert_eq!(
            request(&format!("<body rid='1' wait=' 60' {ns}/>")).unwrap_err(),
            BodyError::Attribute("wait")
        );
        assert_eq!(
            request(&format!("<body rid='1' wait='soon' {ns}/>")).unwrap_err(),
            BodyError::Attribute("wait")
        );
        assert_eq!(
            request(&format!("<body rid='1' ver='one' {ns}/>")).unwrap_err(),
            BodyError::Attribute("ver")
        );
        assert_eq!(
            request(&format!("<body rid='1' sid='s' {ns}>hello</body>")).unwrap_err(),
            BodyError::Text
        );
    }

    #[test]
    fn responses_declare_only_the_prefixes_they_use() {
        assert_eq!(empty(), "<body xmlns='http://jabber.org/protocol/httpbind'/>");
        assert_eq!(
            terminate(Some(Condition::ItemNotFound), &[]),
            "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>"
        );
        let created = wrapper(
            &[("sid", "a'b".into()), ("xmpp:version", "1.0".into())],
            &["<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>".into()],
        );
        assert_eq!(
            created,
            "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' \
             xmlns:stream='http://etherx.jabber.org/streams' sid='a&apos;b' xmpp:version='1.0'>\
             <stream:features xmlns:stream='http://etherx.jabber.org/streams'/></body>"
        );
        // What the server writes, a client's parser reads back.
        let el = parse_wrapper(created.as_bytes()).unwrap();
        assert_eq!(el.attr("sid"), Some("a'b"));
        assert!(el.child("features", ns::STREAM).is_some());
    }

    #[test]
    fn the_frames_of_the_bosh_framing_are_recognised() {
        let framing = Framing::Bosh;
        assert_eq!(
            classify(framing.header("id1", "localhost")),
            Frame::Header {
                authid: "id1".into(),
                from: "localhost".into()
            }
        );
        assert_eq!(classify(framing.close()), Frame::End);
        let mut error = framing.error("conflict", Some("replaced"));
        assert_eq!(classify(error.remove(1)), Frame::End);
        let Frame::StreamError { condition, xml } = classify(error.remove(0)) else {
            panic!("not a stream error");
        };
        assert_eq!(condition, "conflict");
        assert!(xml.contains("<conflict"));
        let message =
            Element::new("message", ns::CLIENT).with_child(Element::new("body", ns::CLIENT).with_text("<body a='b'>"));
        let text = framing.stanza(&message);
        assert_eq!(classify(text.clone()), Frame::Payload(text));
        assert_eq!(Condition::for_stream_error("host-unknown"), Condition::HostUnknown);
        assert_eq!(Condition::for_stream_error("conflict"), Condition::RemoteStreamError);
    }
}

//! Reading XMPP XML: a streaming reader for an RFC 6120 XML stream (TCP), and a parser
//! for the one-element documents of XMPP over WebSocket (RFC 7395).
//!
//! Both build [`Element`]s from quick-xml events through one [`TreeBuilder`]. RFC 6120
//! §11.1 restrictions are enforced: comments, processing instructions, DTDs (and so entity
//! declarations) and references to undeclared entities end the stream with
//! `<restricted-xml/>`.
//!
//! `max_stanza_size` is enforced while reading: the socket is read through a byte budget
//! that allows at most `max_stanza_size` bytes past the end of the previous top-level
//! element, so an oversized stanza is refused before more of it is buffered than that.

use super::element::{Element, Node};
use super::lexical::{LexError, Lexer};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf, Take};

use super::buffer::LazyBuf;

/// The namespace of `<stream:stream>` and `<stream:features>`.
pub const STREAM_NS: &str = "http://etherx.jabber.org/streams";
/// What unprefixed elements without a namespace declaration belong to (RFC 6120 §4.8.3:
/// the default namespace of a client stream).
pub const CLIENT_NS: &str = "jabber:client";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The stream header; its attributes include `xmlns` (the stream's default namespace).
    Open(Element),
    /// A complete top-level element.
    Stanza(Element),
    /// Whitespace between stanzas (a keepalive).
    KeepAlive,
    /// `</stream:stream>`.
    Close,
}

/// Why the XML input cannot be accepted. Each maps to one RFC 6120 stream error.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("a stanza exceeded {0} bytes")]
    TooLarge(usize),
    #[error("restricted XML: {0}")]
    Restricted(&'static str),
    #[error("not well-formed: {0}")]
    NotWellFormed(String),
    #[error("undeclared namespace prefix")]
    BadNamespacePrefix,
    /// More namespace declarations in scope than the resolver keeps (128, quick-xml's
    /// bound), or elements nested deeper than it counts: a bound on the work one stanza
    /// can cause, not a malformed stanza.
    #[error("too many namespace declarations in scope, or too deep")]
    TooManyNamespaces,
    #[error("the peer closed the connection")]
    Eof,
    #[error("read failed: {0}")]
    Io(io::Error),
}

impl XmlError {
    /// The RFC 6120 §4.9.3 condition to send for this error (none for a closed socket).
    pub fn stream_condition(&self) -> Option<&'static str> {
        match self {
            XmlError::TooLarge(_) => Some("policy-violation"),
            XmlError::Restricted(_) => Some("restricted-xml"),
            XmlError::NotWellFormed(_) => Some("not-well-formed"),
            XmlError::BadNamespacePrefix => Some("bad-namespace-prefix"),
            XmlError::TooManyNamespaces => Some("policy-violation"),
            XmlError::Eof | XmlError::Io(_) => None,
        }
    }
}

/// What one event did to the tree.
enum Built {
    Nothing,
    Open(Element),
    Top(Element),
    KeepAlive,
    Close,
}

/// Turns quick-xml events into elements. `depth_offset` is 1 for a stream (top-level
/// elements live inside `<stream:stream>`) and 0 for a WebSocket message.
struct TreeBuilder {
    stack: Vec<Element>,
    in_stream: bool,
    stream_level: bool,
}

fn unbound_or(ns: ResolveResult<'_>, default_ns: &str) -> Result<String, XmlError> {
    match ns {
        ResolveResult::Bound(n) => namespace_name(n.0),
        ResolveResult::Unbound => Ok(default_ns.to_owned()),
        ResolveResult::Unknown(_) => Err(XmlError::BadNamespacePrefix),
    }
}

/// The namespace name a declaration gives: its attribute value normalized, references
/// resolved (`xmlns='urn:a&amp;b'` declares `urn:a&b`). quick-xml's resolver keeps the raw
/// text, which would make one namespace differ from itself written another way, and be
/// escaped a second time when serialized.
fn namespace_name(raw: &str) -> Result<String, XmlError> {
    let declaration = quick_xml::events::attributes::Attribute {
        key: quick_xml::name::QName("xmlns"),
        value: raw.into(),
    };
    declaration
        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .map(|v| v.into_owned())
        .map_err(value_error)
}

/// What a malformed attribute value is.
fn value_error(e: quick_xml::Error) -> XmlError {
    match e {
        quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(..)) => {
            XmlError::Restricted("entity reference")
        }
        other => XmlError::NotWellFormed(other.to_string()),
    }
}

/// A qualified name (Namespaces in XML 1.0 §4): an optional prefix and a local part,
/// each a non-empty NCName, so at most one colon and never at either end.
fn check_qname(name: &str) -> Result<(), XmlError> {
    let ncname = |part: &str| {
        part.chars()
            .next()
            .is_some_and(|c| !c.is_ascii_digit() && !matches!(c, '-' | '.'))
    };
    let valid = match name.split_once(':') {
        None => ncname(name),
        Some((prefix, local)) => ncname(prefix) && ncname(local) && !local.contains(':'),
    };
    if valid {
        Ok(())
    } else {
        Err(XmlError::NotWellFormed(format!("invalid name '{name}'")))
    }
}

/// The element of a start tag. `declarations` are the prefix declarations its prefixed
/// attributes need (see [`attribute_prefixes`]); they follow its attributes.
fn element_from(
    start: &quick_xml::events::BytesStart<'_>,
    ns: String,
    keep_xmlns: bool,
    declarations: Declarations,
) -> Result<Element, XmlError> {
    check_qname(start.name().0)?;
    let mut el = Element::new(start.local_name().into_inner().to_owned(), ns);
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::NotWellFormed(e.to_string()))?;
        let key = attr.key.0;
        check_qname(key)?;
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(value_error)?;
        if !super::is_xml_text(&value) {
            return Err(XmlError::NotWellFormed(
                "a character reference XML does not allow".into(),
            ));
        }
        if (key == "xmlns" && !keep_xmlns) || key.starts_with("xmlns:") {
            continue;
        }
        el.attrs.push((key.to_owned(), value.into_owned()));
    }
    el.attrs.extend(declarations);
    Ok(el)
}

impl TreeBuilder {
    fn new(stream_level: bool) -> Self {
        TreeBuilder {
            stack: Vec::new(),
            in_stream: !stream_level,
            stream_level,
        }
    }

    fn push_text(&mut self, text: &str) -> Result<Built, XmlError> {
        match self.stack.last_mut() {
            Some(top) => {
                if let Some(Node::Text(t)) = top.children.last_mut() {
                    t.push_str(text);
                } else {
                    top.children.push(Node::Text(text.to_owned()));
                }
                Ok(Built::Nothing)
            }
            None if text.chars().all(|c| c.is_ascii_whitespace()) => Ok(Built::KeepAlive),
            None => Err(XmlError::NotWellFormed("character data outside a stanza".into())),
        }
    }

    fn finish(&mut self, el: Element) -> Built {
        match self.stack.last_mut() {
            Some(parent) => {
                parent.children.push(Node::Element(el));
                Built::Nothing
            }
            None => Built::Top(el),
        }
    }

    fn feed(&mut self, ns: ResolveResult<'_>, event: Event<'_>, declarations: Declarations) -> Result<Built, XmlError> {
        let default_ns = self.stack.last().map(|e| e.ns.as_str()).unwrap_or(CLIENT_NS);
        match event {
            Event::Start(start) | Event::Empty(start) if self.stream_level && !self.in_stream => {
                let ns = unbound_or(ns, "")?;
                let el = element_from(&start, ns, true, declarations)?;
                if el.name != "stream" || el.ns != STREAM_NS {
                    return Err(XmlError::NotWellFormed("expected <stream:stream>".into()));
                }
                self.in_stream = true;
                Ok(Built::Open(el))
            }
            Event::Start(start) => {
                let ns = unbound_or(ns, default_ns)?;
                let el = element_from(&start, ns, false, declarations)?;
                // A new stream starts only on a fresh parser (`XmlReader::restart`, after
                // TLS or SASL): a header inside the stream is refused at once, not read
                // as an element that never ends.
                if self.stream_level && self.stack.is_empty() && el.name == "stream" && el.ns == STREAM_NS {
                    return Err(XmlError::NotWellFormed("a stream header inside the stream".into()));
                }
                self.stack.push(el);
                Ok(Built::Nothing)
            }
            Event::Empty(start) => {
                let ns = unbound_or(ns, default_ns)?;
                let el = element_from(&start, ns, false, declarations)?;
                Ok(self.finish(el))
            }
            Event::End(_) => match self.stack.pop() {
                Some(el) => Ok(self.finish(el)),
                None if self.stream_level => Ok(Built::Close),
                None => Err(XmlError::NotWellFormed("unexpected end tag".into())),
            },
            Event::Text(text) => self.push_text(&text.xml10_content()),
            // Line ends are normalized in CDATA sections too (XML 1.0 §2.11).
            Event::CData(data) => self.push_text(&data.xml10_content()),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) if super::is_xml_char(c) => c,
                    Ok(Some(_)) => {
                        return Err(XmlError::NotWellFormed(
                            "a character reference XML does not allow".into(),
                        ))
                    }
                    Ok(None) => match &*r.xml10_content() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => return Err(XmlError::Restricted("entity reference")),
                    },
                    Err(e) => return Err(XmlError::NotWellFormed(e.to_string())),
                };
                self.push_text(c.encode_utf8(&mut [0; 4]))
            }
            Event::Decl(_) if self.stack.is_empty() && !self.in_stream => Ok(Built::Nothing),
            Event::Decl(_) | Event::PI(_) => Err(XmlError::Restricted("processing instruction")),
            Event::Comment(_) => Err(XmlError::Restricted("comment")),
            Event::DocType(_) => Err(XmlError::Restricted("DTD")),
            Event::Eof => Err(XmlError::Eof),
        }
    }
}

/// Reads an XML stream from a byte source, one top-level element at a time.
pub struct XmlReader<R> {
    /// The socket is read through `Take`: its limit is the byte budget.
    reader: NsReader<LazyBuf<Take<Checked<R>>>>,
    buf: Vec<u8>,
    tree: TreeBuilder,
    max_stanza: usize,
    /// Absolute stream offset up to which reading is allowed.
    granted_until: u64,
    /// Bytes consumed by parsers before the current one (stream restarts).
    base: u64,
}

impl<R: AsyncRead + Unpin> XmlReader<R> {
    pub fn new(inner: R, max_stanza: usize) -> Self {
        let budget = Checked::new(inner).take(max_stanza as u64);
        let mut reader = NsReader::from_reader(LazyBuf::new(budget));
        configure(&mut reader);
        XmlReader {
            reader,
            buf: Vec::new(),
            tree: TreeBuilder::new(true),
            max_stanza,
            granted_until: max_stanza as u64,
            base: 0,
        }
    }

    /// Bytes the parser has consumed since the connection started.
    fn consumed(&self) -> u64 {
        self.base + self.reader.buffer_position()
    }

    /// What a parser error means for the stream.
    fn failure(&self, e: quick_xml::Error) -> XmlError {
        if self.budget_spent() {
            // Whatever the parser made of the cut-off input, the cause is its size.
            return XmlError::TooLarge(self.max_stanza);
        }
        match e {
            quick_xml::Error::Io(e) => match e.get_ref().and_then(|inner| inner.downcast_ref::<LexError>()) {
                Some(lex) => XmlError::NotWellFormed(lex.to_string()),
                None => XmlError::Io(io::Error::new(e.kind(), e.to_string())),
            },
            quick_xml::Error::Namespace(e) => namespace_error(e),
            quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(..)) => {
                XmlError::Restricted("entity reference")
            }
            e => XmlError::NotWellFormed(e.to_string()),
        }
    }

    /// Whether the byte budget of the current element is used up.
    fn budget_spent(&self) -> bool {
        self.reader.get_ref().get_ref().limit() == 0
    }

    /// Bytes handed to the parser's buffer so far.
    fn delivered(&self) -> u64 {
        self.granted_until - self.reader.get_ref().get_ref().limit()
    }

    /// The next stream-level event.
    pub async fn next(&mut self) -> Result<StreamEvent, XmlError> {
        loop {
            self.buf.clear();
            let result = self.reader.read_resolved_event_into_async(&mut self.buf).await;
            let (ns, event) = match result {
                Ok(pair) => pair,
                Err(e) => return Err(self.failure(e)),
            };
            // Copy out of the resolver's borrow before touching the tree.
            let ns = OwnedNs::from(ns);
            let declarations = attribute_prefixes(&self.reader, &event)?;
            let event = event.into_owned();
            if matches!(event, Event::Eof) && self.budget_spent() {
                // The budget ran out, not the socket: the element needs more than allowed.
                return Err(XmlError::TooLarge(self.max_stanza));
            }
            let built = self.tree.feed(ns.as_resolve(), event, declarations)?;
            if self.tree.stack.is_empty() && !matches!(built, Built::KeepAlive) {
                // Between top-level elements: the next one gets a fresh budget. White space
                // between stanzas counts against the next one's budget, so a flood of it
                // is refused like an oversized stanza instead of being read forever.
                let delivered = self.delivered();
                self.granted_until = self.consumed() + self.max_stanza as u64;
                let limit = self.granted_until.saturating_sub(delivered);
                self.granted_until = delivered + limit;
                self.reader.get_mut().get_mut().set_limit(limit);
            }
            match built {
                Built::Nothing => continue,
                Built::Open(el) => return Ok(StreamEvent::Open(el)),
                Built::Top(el) => return Ok(StreamEvent::Stanza(el)),
                Built::KeepAlive => return Ok(StreamEvent::KeepAlive),
                Built::Close => return Ok(StreamEvent::Close),
            }
        }
    }

    /// Reads and drops what the peer still sends, until it closes, `max` bytes or `wait`.
    /// A socket closed with unread input is reset, and the reset can destroy the stream
    /// error just written before the peer reads it; lingering lets the error arrive.
    pub async fn linger(&mut self, max: usize, wait: std::time::Duration) {
        let source = &mut self.reader.get_mut().get_mut().get_mut().inner;
        let mut scratch = [0u8; 4096];
        let mut total = 0;
        let drain = async {
            while total < max {
                match source.read(&mut scratch).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
        };
        let _ = tokio::time::timeout(wait, drain).await;
    }

    /// A fresh parser for a restarted stream (after SASL success, RFC 6120 §6.4.6), keeping
    /// whatever the client already sent.
    pub fn restart(self) -> Self {
        let base = self.consumed();
        let mut reader = NsReader::from_reader(self.reader.into_inner());
        configure(&mut reader);
        XmlReader {
            reader,
            buf: self.buf,
            tree: TreeBuilder::new(true),
            max_stanza: self.max_stanza,
            granted_until: self.granted_until,
            base,
        }
    }

    /// Whether bytes have been read from the socket that the parser has not used yet.
    /// After `<starttls/>` a client must wait for `<proceed/>`; data already sent is a
    /// protocol violation (and could be an injection attempt).
    pub fn has_buffered_input(&self) -> bool {
        self.delivered() > self.consumed()
    }

    /// The byte source, for STARTTLS. Any unread buffered input is dropped; check
    /// [`has_buffered_input`](Self::has_buffered_input) first.
    pub fn into_inner(self) -> R {
        self.reader.into_inner().into_inner().into_inner().inner
    }
}

/// The byte source seen through the [`Lexer`]: input XML forbids fails the read that
/// brought it, before the parser (or anything after it) sees it.
pub struct Checked<R> {
    inner: R,
    lexer: Lexer,
}

impl<R> Checked<R> {
    fn new(inner: R) -> Self {
        Checked {
            inner,
            lexer: Lexer::default(),
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Checked<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = &buf.filled()[before..];
                Poll::Ready(
                    this.lexer
                        .feed(fresh)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
                )
            }
            other => other,
        }
    }
}

/// `xmlns:prefix` declarations, as (name, namespace) attribute pairs.
type Declarations = Vec<(String, String)>;

/// A prefixed attribute needs its prefix declared, like a prefixed element (the reader
/// resolves only element names by itself). Returns the declarations the element's prefixed
/// attributes use (all but the predefined `xml:`), wherever in scope they were made: the
/// element keeps them, so that it serializes to namespace-well-formed XML on its own, even
/// relayed without the ancestor or stream header that declared its prefixes.
fn attribute_prefixes<R>(reader: &NsReader<R>, event: &Event<'_>) -> Result<Declarations, XmlError> {
    let (Event::Start(start) | Event::Empty(start)) = event else {
        return Ok(Vec::new());
    };
    let mut declarations: Declarations = Vec::new();
    // The expanded names (namespace, local name) of the prefixed attributes: two that are
    // the same once their prefixes are resolved (`a:x` and `b:x` with `a` and `b` bound
    // to one namespace) are one attribute given twice (Namespaces in XML 1.0 §6.3).
    let mut expanded: Vec<(String, String)> = Vec::new();
    for attr in start.attributes().flatten() {
        check_qname(attr.key.0)?;
        // Namespaces in XML 1.0 §3, "No Prefix Undeclaring": only the default namespace
        // may be declared empty.
        if attr.key.0.starts_with("xmlns:") && attr.value.is_empty() {
            return Err(XmlError::NotWellFormed(
                "a prefix declared with an empty namespace".into(),
            ));
        }
        match reader.resolver().resolve_attribute(attr.key) {
            (ResolveResult::Unknown(_), _) => return Err(XmlError::BadNamespacePrefix),
            (ResolveResult::Bound(ns), local) => {
                let Some((prefix, _)) = attr.key.0.split_once(':') else {
                    continue;
                };
                let name = (ns.0.to_owned(), local.into_inner().to_owned());
                if expanded.contains(&name) {
                    return Err(XmlError::NotWellFormed(
                        "an attribute given twice under two prefixes of one namespace".into(),
                    ));
                }
                expanded.push(name);
                let name = format!("xmlns:{prefix}");
                if prefix != "xml" && prefix != "xmlns" && !declarations.iter().any(|(n, _)| *n == name) {
                    declarations.push((name, namespace_name(ns.0)?));
                }
            }
            (ResolveResult::Unbound, _) => {}
        }
    }
    Ok(declarations)
}

fn namespace_error(e: quick_xml::name::NamespaceError) -> XmlError {
    use quick_xml::name::NamespaceError as N;
    match e {
        N::TooManyBindings(_) | N::TooDeeplyNested(_) => XmlError::TooManyNamespaces,
        _ => XmlError::BadNamespacePrefix,
    }
}

fn configure<R>(reader: &mut NsReader<R>) {
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.expand_empty_elements = false;
}

enum OwnedNs {
    Bound(String),
    Unbound,
    Unknown,
}

impl From<ResolveResult<'_>> for OwnedNs {
    fn from(ns: ResolveResult<'_>) -> Self {
        match ns {
            ResolveResult::Bound(n) => OwnedNs::Bound(n.0.to_owned()),
            ResolveResult::Unbound => OwnedNs::Unbound,
            ResolveResult::Unknown(_) => OwnedNs::Unknown,
        }
    }
}

impl OwnedNs {
    fn as_resolve(&self) -> ResolveResult<'_> {
        match self {
            OwnedNs::Bound(s) => ResolveResult::Bound(quick_xml::name::Namespace(s)),
            OwnedNs::Unbound => ResolveResult::Unbound,
            OwnedNs::Unknown => ResolveResult::Unknown(String::new()),
        }
    }
}

/// Parses one complete element, as an XMPP-over-WebSocket message carries (RFC 7395 §3.3).
/// Unprefixed elements without a namespace are taken as `jabber:client`.
pub fn parse_element(text: &str) -> Result<Element, XmlError> {
    super::lexical::check(text).map_err(|e| XmlError::NotWellFormed(e.to_string()))?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;
    let mut tree = TreeBuilder::new(false);
    let mut result = None;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok(pair) => pair,
            Err(quick_xml::Error::Namespace(e)) => return Err(namespace_error(e)),
            Err(quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(..))) => {
                return Err(XmlError::Restricted("entity reference"))
            }
            Err(e) => return Err(XmlError::NotWellFormed(e.to_string())),
        };
        let ns = OwnedNs::from(ns);
        let declarations = attribute_prefixes(&reader, &event)?;
        if let Event::Eof = event {
            return result.ok_or_else(|| XmlError::NotWellFormed("no element".into()));
        }
        match tree.feed(ns.as_resolve(), event, declarations)? {
            Built::Top(el) if result.is_none() => result = Some(el),
            Built::Top(_) => return Err(XmlError::NotWellFormed("more than one element".into())),
            Built::KeepAlive | Built::Nothing => {}
            Built::Open(_) | Built::Close => unreachable!("stream events only at stream level"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Delivers `data` in the given chunk sizes, one read at a time.
    struct Chunked {
        data: Vec<u8>,
        pos: usize,
        sizes: Vec<usize>,
        i: usize,
    }

    impl AsyncRead for Chunked {
        fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            if self.pos >= self.data.len() {
                return Poll::Ready(Ok(()));
            }
            let size = self.sizes[self.i % self.sizes.len()].max(1);
            self.i += 1;
            let end = (self.pos + size).min(self.data.len()).min(self.pos + buf.remaining());
            buf.put_slice(&self.data[self.pos..end]);
            self.pos = end;
            Poll::Ready(Ok(()))
        }
    }

    const STREAM: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'> \
        <message to='bob@localhost' type='chat' id='m1'><body>a &lt;b&gt; &amp; &#x263A; &quot;</body>\
        <thread parent='p1'>t1</thread><x:ext xmlns:x='urn:example' x:flag='1'/></message>\n\
        <iq type='get' id='i1'><ping xmlns='urn:xmpp:ping'/></iq><![CDATA[]]></stream:stream>";

    async fn read_all(sizes: Vec<usize>, input: &str) -> Vec<StreamEvent> {
        let src = Chunked {
            data: input.as_bytes().to_vec(),
            pos: 0,
            sizes,
            i: 0,
        };
        let mut r = XmlReader::new(src, 65536);
        let mut out = Vec::new();
        loop {
            match r.next().await {
                Ok(StreamEvent::Close) => {
                    out.push(StreamEvent::Close);
                    return out;
                }
                Ok(e) => out.push(e),
                Err(e) => panic!("{e} after {out:?}"),
            }
        }
    }

    fn check(events: &[StreamEvent]) {
        let StreamEvent::Open(open) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(open.attr("to"), Some("localhost"));
        assert_eq!(open.attr("xmlns"), Some("jabber:client"));
        let stanzas: Vec<&Element> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Stanza(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(stanzas.len(), 2);
        let m = stanzas[0];
        assert!(m.is("message", "jabber:client"));
        assert_eq!(m.child("body", "jabber:client").unwrap().text(), "a <b> & \u{263A} \"");
        assert_eq!(m.child("thread", "jabber:client").unwrap().attr("parent"), Some("p1"));
        assert!(m.child("ext", "urn:example").is_some());
        assert!(stanzas[1].child("ping", "urn:xmpp:ping").is_some());
        assert_eq!(events.last(), Some(&StreamEvent::Close));
    }

    #[tokio::test]
    async fn a_stream_parses_whole() {
        check(&read_all(vec![usize::MAX], STREAM).await);
    }

    #[tokio::test]
    async fn a_stream_parses_fed_byte_by_byte() {
        check(&read_all(vec![1], STREAM).await);
    }

    #[tokio::test]
    async fn a_stream_parses_fed_in_random_chunks() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(6120);
        for _ in 0..50 {
            let sizes: Vec<usize> = (0..32).map(|_| rng.gen_range(1..40)).collect();
            check(&read_all(sizes, STREAM).await);
        }
    }

    async fn first_error(input: &str, max: usize) -> XmlError {
        let src = Chunked {
            data: input.as_bytes().to_vec(),
            pos: 0,
            sizes: vec![7],
            i: 0,
        };
        let mut r = XmlReader::new(src, max);
        loop {
            if let Err(e) = r.next().await {
                return e;
            }
        }
    }

    const OPEN: &str = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    #[tokio::test]
    async fn an_oversized_stanza_is_refused_before_it_is_buffered() {
        let big = format!("{OPEN}<message><body>{}</body></message>", "x".repeat(100_000));
        assert!(matches!(first_error(&big, 4096).await, XmlError::TooLarge(4096)));
        // Many small stanzas add up to far more than the limit and are fine.
        let many = format!("{OPEN}{}</stream:stream>", "<presence/> ".repeat(2000));
        let src = Chunked {
            data: many.into_bytes(),
            pos: 0,
            sizes: vec![3000],
            i: 0,
        };
        let mut r = XmlReader::new(src, 1024);
        let mut n = 0;
        while let Ok(ev) = r.next().await {
            if ev == StreamEvent::Close {
                break;
            }
            n += matches!(ev, StreamEvent::Stanza(_)) as usize;
        }
        assert_eq!(n, 2000);
    }

    #[tokio::test]
    async fn restricted_xml_is_refused() {
        for (input, what) in [
            (format!("{OPEN}<!-- hi --><presence/>"), "comment"),
            (format!("{OPEN}<?php echo 1 ?><presence/>"), "processing instruction"),
            ("<!DOCTYPE x [<!ENTITY a 'b'>]><stream:stream/>".to_owned(), "DTD"),
            (
                format!("{OPEN}<message><body>&lol;</body></message>"),
                "entity reference",
            ),
            (format!("{OPEN}<message to='&lol;'/>"), "entity reference"),
        ] {
            match first_error(&input, 65536).await {
                XmlError::Restricted(w) => assert_eq!(w, what, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_second_stream_header_without_a_restart_is_refused_at_once() {
        let e = first_error(&format!("{OPEN}<presence/>{OPEN}"), 65536).await;
        assert_eq!(e.stream_condition(), Some("not-well-formed"), "{e:?}");
        // Inside a stanza, an element of that name is only an element.
        let nested = format!("{OPEN}<message><stream:stream/></message><presence/>");
        let mut r = XmlReader::new(nested.as_bytes(), 65536);
        assert!(matches!(r.next().await, Ok(StreamEvent::Open(_))));
        assert!(matches!(r.next().await, Ok(StreamEvent::Stanza(m)) if m.name == "message"));
    }

    #[tokio::test]
    async fn a_prefix_declared_empty_is_not_well_formed_and_an_empty_default_namespace_is_fine() {
        let stanza = "<message xmlns:a=''><body>hi</body></message>";
        let e = first_error(&format!("{OPEN}{stanza}"), 65536).await;
        assert_eq!(e.stream_condition(), Some("not-well-formed"), "{e:?}");
        assert!(parse_element(stanza).is_err());
        assert!(parse_element("<message><x xmlns=''/></message>").is_ok());
    }

    #[tokio::test]
    async fn an_attribute_given_twice_under_two_prefixes_of_one_namespace_is_not_well_formed() {
        // In a stanza, in a child, and declared on an ancestor.
        for stanza in [
            "<message to='bob@localhost' xmlns:a='urn:u' xmlns:b='urn:u' a:x='1' b:x='2'><body>hi</body></message>",
            "<message xmlns:a='urn:u'><body xmlns:b='urn:u' a:x='1' b:x='2'>hi</body></message>",
            "<message xmlns:a='urn:u' xmlns:b='urn:u'><x a:y='1'><z a:x='1' b:x='2'/></x></message>",
        ] {
            let e = first_error(&format!("{OPEN}{stanza}"), 65536).await;
            assert_eq!(e.stream_condition(), Some("not-well-formed"), "{stanza}: {e:?}");
            assert!(parse_element(stanza).is_err(), "{stanza}");
        }
        // The same local name in two namespaces, or with and without a prefix, is two
        // attributes.
        for stanza in [
            "<message xmlns:a='urn:u' xmlns:b='urn:v' a:x='1' b:x='2'/>",
            "<message xmlns:a='urn:u' x='1' a:x='2'/>",
        ] {
            let input = format!("{OPEN}{stanza}");
            let mut r = XmlReader::new(input.as_bytes(), 65536);
            assert!(matches!(r.next().await, Ok(StreamEvent::Open(_))));
            assert!(matches!(r.next().await, Ok(StreamEvent::Stanza(_))), "{stanza}");
            assert!(parse_element(stanza).is_ok(), "{stanza}");
        }
    }

    #[tokio::test]
    async fn too_many_namespace_declarations_in_scope_are_a_policy_violation() {
        let decls: String = (0..1000).map(|i| format!(" xmlns:p{i}='urn:{i}'")).collect();
        let stanza = format!("<message{decls}><body>x</body></message>");
        let e = first_error(&format!("{OPEN}{stanza}"), 1 << 20).await;
        assert_eq!(e.stream_condition(), Some("policy-violation"), "{e:?}");
        assert_eq!(
            parse_element(&stanza).unwrap_err().stream_condition(),
            Some("policy-violation")
        );
        // Spread over nested elements, too.
        let nested: String = (0..200).map(|i| format!("<x xmlns:p{i}='urn:{i}'>")).collect();
        let e = first_error(&format!("{OPEN}<message>{nested}"), 1 << 20).await;
        assert_eq!(e.stream_condition(), Some("policy-violation"), "{e:?}");
        // A hundred are fine.
        let decls: String = (0..100).map(|i| format!(" xmlns:p{i}='urn:{i}'")).collect();
        assert!(parse_element(&format!("<message{decls}><body>x</body></message>")).is_ok());
    }

    #[tokio::test]
    async fn malformed_input_is_not_well_formed_or_a_bad_prefix() {
        let e = first_error(&format!("{OPEN}<message></iq>"), 65536).await;
        assert_eq!(e.stream_condition(), Some("not-well-formed"), "{e:?}");
        let e = first_error(&format!("{OPEN}hello<presence/>"), 65536).await;
        assert_eq!(e.stream_condition(), Some("not-well-formed"), "{e:?}");
        let e = first_error(&format!("{OPEN}<foo:message/>"), 65536).await;
        assert_eq!(e.stream_condition(), Some("bad-namespace-prefix"), "{e:?}");
        let e = first_error("<html>", 65536).await;
        assert_eq!(e.stream_condition(), Some("not-well-formed"), "{e:?}");
    }

    /// Found by the `xml_stream` fuzz target: a prefixed attribute lost the declaration of
    /// its prefix, so the stanza relayed (and archived) was not namespace-well-formed, and
    /// a recipient's parser would drop the stream.
    #[tokio::test]
    async fn prefixed_attributes_keep_their_declarations_when_relayed() {
        let input = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
            xmlns:h='urn:h'><message h:hint='1'><x:data xmlns:x='urn:x' x:a='1' x:b='2'>\
            <item x:c='3' xml:lang='en'/></x:data></message></stream:stream>";
        let events = read_all(vec![5], input).await;
        let StreamEvent::Stanza(m) = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!(m.child("data", "urn:x").unwrap().attr("x:a"), Some("1"));
        let xml = m.to_xml(CLIENT_NS);
        assert_eq!(
            xml,
            "<message h:hint='1' xmlns:h='urn:h'><data xmlns='urn:x' x:a='1' x:b='2' xmlns:x='urn:x'>\
             <item xmlns='jabber:client' x:c='3' xml:lang='en' xmlns:x='urn:x'/></data></message>"
        );
        assert_eq!(&parse_element(&xml).unwrap(), m);
        let ws = parse_element("<message xmlns='jabber:client'><x:data xmlns:x='urn:x' x:a='1'/></message>").unwrap();
        assert_eq!(&parse_element(&ws.to_xml(CLIENT_NS)).unwrap(), &ws);
    }

    /// Found by the `xml_stream` fuzz target: a namespace was kept as written, references
    /// unresolved, so `jabber&#58;client` was not `jabber:client` and `urn:a&amp;b` was
    /// relayed as `urn:a&amp;amp;b`.
    #[tokio::test]
    async fn namespace_names_are_attribute_values_with_references_resolved() {
        let input = "<stream:stream xmlns='jabber&#58;client' xmlns:stream='http://etherx.jabber.org/st&#x72;eams'>\
            <message><x:data xmlns:x='urn:a&amp;b' x:a='1'><y xmlns='urn:&gt;'/></x:data></message></stream:stream>";
        let events = read_all(vec![3], input).await;
        let StreamEvent::Stanza(m) = &events[1] else {
            panic!("{events:?}")
        };
        assert!(m.is("message", CLIENT_NS));
        let data = m.child("data", "urn:a&b").unwrap();
        assert!(data.child("y", "urn:>").is_some());
        let xml = m.to_xml(CLIENT_NS);
        assert_eq!(
            xml,
            "<message><data xmlns='urn:a&amp;b' x:a='1' xmlns:x='urn:a&amp;b'><y xmlns='urn:&gt;'/></data></message>"
        );
        assert_eq!(&parse_element(&xml).unwrap(), m);
    }

    /// Found by the `xml_stream` fuzz target: a CDATA section kept its carriage returns
    /// (XML normalizes line ends everywhere), and a carriage return written as `&#13;` was
    /// serialized raw, so the recipient read a line feed.
    #[tokio::test]
    async fn line_ends_are_normalized_and_a_written_carriage_return_survives() {
        let input =
            format!("{OPEN}<message><body>a\r\nb\rc<![CDATA[d\r\ne\rf]]>&#13;&#xD;\r</body></message></stream:stream>");
        let events = read_all(vec![2], &input).await;
        let StreamEvent::Stanza(m) = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!(m.child("body", CLIENT_NS).unwrap().text(), "a\nb\ncd\ne\nf\r\r\n");
        let xml = m.to_xml(CLIENT_NS);
        assert_eq!(xml, "<message><body>a\nb\ncd\ne\nf&#13;&#13;\n</body></message>");
        assert_eq!(&parse_element(&xml).unwrap(), m);
    }

    #[tokio::test]
    async fn a_restarted_stream_keeps_what_the_client_already_sent() {
        let input = format!("{OPEN}<auth/>{OPEN}<iq type='set' id='b'/></stream:stream>");
        let src = Chunked {
            data: input.into_bytes(),
            pos: 0,
            sizes: vec![usize::MAX],
            i: 0,
        };
        let mut r = XmlReader::new(src, 65536);
        assert!(matches!(r.next().await.unwrap(), StreamEvent::Open(_)));
        assert!(matches!(r.next().await.unwrap(), StreamEvent::Stanza(ref e) if e.name == "auth"));
        assert!(r.has_buffered_input());
        let mut r = r.restart();
        assert!(matches!(r.next().await.unwrap(), StreamEvent::Open(_)));
        assert!(matches!(r.next().await.unwrap(), StreamEvent::Stanza(ref e) if e.name == "iq"));
        assert_eq!(r.next().await.unwrap(), StreamEvent::Close);
        assert!(!r.has_buffered_input());
    }

    /// Reads `input` until the first error, with the source left open afterwards (as a
    /// socket whose peer sends nothing more); `None` if the reader is still waiting.
    async fn error_while_open(input: &[u8], max: usize) -> Option<XmlError> {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        tokio::io::AsyncWriteExt::write_all(&mut client, input).await.unwrap();
        let mut r = XmlReader::new(server, max);
        let read = async {
            loop {
                if let Err(e) = r.next().await {
                    return e;
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(2), read).await.ok()
    }

    #[tokio::test]
    async fn characters_xml_forbids_are_not_well_formed_wherever_they_are() {
        for body in [
            "a\u{0}b",
            "\u{1}",
            "\u{1b}[31m",
            "\u{fffe}",
            "&#0;",
            "&#x1;",
            "&#xFFFE;",
            "&#xD800;",
        ] {
            let input = format!("{OPEN}<message to='bob@localhost'><body>{body}</body></message>");
            let e = error_while_open(input.as_bytes(), 65536).await;
            assert!(matches!(e, Some(XmlError::NotWellFormed(_))), "{body:?}: {e:?}");
        }
        for attr in ["a\u{0}", "&#x1b;", "\u{ffff}"] {
            let input = format!("{OPEN}<message id='{attr}'/>");
            let e = error_while_open(input.as_bytes(), 65536).await;
            assert!(matches!(e, Some(XmlError::NotWellFormed(_))), "{attr:?}: {e:?}");
        }
        let e = error_while_open(
            &[OPEN.as_bytes(), b"<message><body>\xff</body></message>"].concat(),
            65536,
        )
        .await;
        assert!(matches!(e, Some(XmlError::NotWellFormed(_))), "{e:?}");
    }

    #[tokio::test]
    async fn broken_attributes_fail_at_once_instead_of_waiting_for_more() {
        for input in [
            "<message a='1'b='2'/>",
            "<message to=\"b\"ob@localhost\">",
            "<message to=b/>",
        ] {
            let e = error_while_open(format!("{OPEN}{input}").as_bytes(), 65536).await;
            assert_eq!(
                e.as_ref().and_then(XmlError::stream_condition),
                Some("not-well-formed"),
                "{input}: {e:?}"
            );
        }
    }

    #[tokio::test]
    async fn every_size_error_is_a_policy_violation() {
        let max = 1024;
        // Cut off inside a tag, inside an attribute, inside text, inside a CDATA section,
        // and a flood of white space between stanzas.
        for tail in [
            format!("<message to='{}'/>", "x".repeat(2000)),
            format!("<message {}", "a='1' ".repeat(400)),
            format!("<message><body>{}</body></message>", "y".repeat(2000)),
            format!("<message><body><![CDATA[{}]]></body></message>", "z".repeat(2000)),
            " ".repeat(66_000),
            format!("<presence/>{}", "\n".repeat(2000)),
        ] {
            let e = error_while_open(format!("{OPEN}{tail}").as_bytes(), max).await;
            assert_eq!(
                e.as_ref().and_then(XmlError::stream_condition),
                Some("policy-violation"),
                "{e:?}"
            );
        }
        // A stanza just inside the limit is fine.
        let body = "w".repeat(max - "<message><body></body></message>".len());
        let input = format!("{OPEN}<message><body>{body}</body></message></stream:stream>");
        assert_eq!(read_all(vec![100], &input).await.len(), 3);
    }

    /// Inputs a strict parser (xml-rs) and ours must agree on: valid stanzas, mutated one
    /// byte at a time with the bytes that matter to XML's syntax.
    #[test]
    fn the_reader_agrees_with_a_strict_parser_on_mutated_stanzas() {
        let corpus = [
            "<message xmlns='jabber:client' to='bob@localhost' type='chat' id='m1'><body>hi &amp; bye</body></message>",
            "<iq type='get' id='i1'><query xmlns='jabber:iq:roster' ver=\"v1\"/></iq>",
            "<presence><show>away</show><status>at &lt;lunch&gt; &#x263A;</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>",
            "<message><x:data xmlns:x='urn:x' x:a='1' b=\"2\"><![CDATA[raw <text>]]></x:data></message>",
        ];
        let noise: [&str; 16] = [
            "\u{0}", "\u{1b}", "\u{fffe}", "<", ">", "&", "\"", "'", "=", " ", "/", ":", "a", "&#0;", "&#x41;",
            "\u{e9}",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7622);
        let mut checked = 0;
        for _ in 0..20_000 {
            let base = corpus[rng.gen_range(0..corpus.len())];
            let mut input = base.to_owned();
            for _ in 0..rng.gen_range(1..3) {
                let mut at = rng.gen_range(0..=input.len());
                while !input.is_char_boundary(at) {
                    at -= 1;
                }
                match rng.gen_range(0..3) {
                    0 => input.insert_str(at, noise[rng.gen_range(0..noise.len())]),
                    1 if at < input.len() => {
                        input.remove(at);
                    }
                    _ => input.insert(at, ' '),
                }
            }
            let ours = parse_element(&input);
            let theirs = xml::reader::EventReader::new(input.as_bytes())
                .into_iter()
                .find_map(Result::err);
            match (&ours, &theirs) {
                (Ok(_), Some(e)) => panic!("accepted what xml-rs refuses ({e}): {input:?}"),
                // Where xml-rs is the lenient one: XML 1.0 §3.1 [10] forbids a raw '<' in
                // an attribute value, and restricted XML (RFC 6120 §11.1) is ours to refuse.
                (Err(XmlError::NotWellFormed(why)), None) if why.contains("'<' in an attribute value") => checked += 1,
                (Err(e), None) if !matches!(e, XmlError::Restricted(_)) => {
                    panic!("refused ({e}) what xml-rs accepts: {input:?}")
                }
                _ => checked += 1,
            }
        }
        assert!(checked > 19_000);
    }

    /// The same with namespaces in play, against expat in namespace-aware mode (Python's
    /// `xml.parsers.expat` with a namespace separator no input holds: expat refuses a
    /// namespace name holding its separator): prefixes declared, undeclared,
    /// redeclared, bound twice to one name, attributes repeated under other prefixes.
    #[test]
    fn the_reader_agrees_with_a_namespace_aware_parser_on_mutated_stanzas() {
        let corpus = [
            "<message xmlns='jabber:client' xmlns:a='urn:a' a:x='1' to='bob@localhost'><body>hi</body></message>",
            "<iq xmlns:a='urn:a' xmlns:b='urn:b' a:x='1' b:x='2'><q xmlns='urn:q' a:y='3'/></iq>",
            "<presence xmlns:p='urn:p'><p:x p:a='1' a='2'><p:y/></p:x></presence>",
            "<message><x xmlns='urn:x' xmlns:x='urn:x' x:k='1' k='2'/></message>",
        ];
        let noise: [&str; 13] = [
            " xmlns:a='urn:b'",
            " xmlns:b='urn:a'",
            " a:x='1'",
            " b:x='2'",
            " x:k='3'",
            " xmlns=''",
            " xmlns:a=''",
            " xmlns:xml='urn:x'",
            " xmlns:xmlns='urn:y'",
            " xml:lang='en'",
            ":",
            "a:",
            " ",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(6120);
        let mut inputs = Vec::new();
        for _ in 0..5_000 {
            let mut input = corpus[rng.gen_range(0..corpus.len())].to_owned();
            for _ in 0..rng.gen_range(1..3) {
                // At the end of a start tag's attributes most of the time.
                let ends: Vec<usize> = input
                    .match_indices('<')
                    .filter(|(i, _)| !input[i + 1..].starts_with('/'))
                    .filter_map(|(i, _)| {
                        let close = i + input[i..].find('>')?;
                        Some(if input[..close].ends_with('/') {
                            close - 1
                        } else {
                            close
                        })
                    })
                    .collect();
                let at = if !ends.is_empty() && rng.gen_range(0..4) > 0 {
                    ends[rng.gen_range(0..ends.len())]
                } else {
                    rng.gen_range(0..=input.len())
                };
                input.insert_str(at, noise[rng.gen_range(0..noise.len())]);
            }
            inputs.push(input);
        }
        let verdicts = expat_verdicts(&inputs);
        let (mut refused_by_both, mut accepted_by_both) = (0, 0);
        for (input, theirs) in inputs.iter().zip(&verdicts) {
            let ours = parse_element(input);
            match (&ours, theirs) {
                (Ok(_), Err(e)) => panic!("accepted what expat refuses ({e}): {input:?}"),
                (Err(e), Ok(())) if !matches!(e, XmlError::Restricted(_)) => {
                    panic!("refused ({e}) what expat accepts: {input:?}")
                }
                (Err(_), Err(_)) => refused_by_both += 1,
                (Ok(_), Ok(())) => accepted_by_both += 1,
                _ => {}
            }
        }
        // Both kinds occur: the mutations are neither all harmless nor all fatal.
        assert!(
            refused_by_both >= 500 && accepted_by_both >= 500,
            "{refused_by_both} refused, {accepted_by_both} accepted"
        );
    }

    /// Expat's verdict on each input (one `python3` process for all of them).
    fn expat_verdicts(inputs: &[String]) -> Vec<Result<(), String>> {
        use std::io::Write as _;
        const SCRIPT: &str = r#"
import json, sys, xml.parsers.expat as E
for line in sys.stdin:
    p = E.ParserCreate(namespace_separator="\x01")
    try:
        p.Parse(json.loads(line).encode(), True)
        print("ok")
    except E.ExpatError as e:
        print("err " + str(e))
"#;
        let mut child = std::process::Command::new("python3")
            .args(["-c", SCRIPT])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 (with its expat module) runs the namespace-aware oracle");
        let mut stdin = child.stdin.take().expect("piped");
        let lines: String = inputs
            .iter()
            .map(|i| serde_json::to_string(i).expect("a string serializes") + "\n")
            .collect();
        let writer = std::thread::spawn(move || stdin.write_all(lines.as_bytes()));
        let out = child.wait_with_output().expect("python3 ran");
        writer.join().expect("writer thread").expect("stdin written");
        let text = String::from_utf8(out.stdout).expect("UTF-8 verdicts");
        let verdicts: Vec<Result<(), String>> = text
            .lines()
            .map(|l| if l == "ok" { Ok(()) } else { Err(l.to_owned()) })
            .collect();
        assert_eq!(verdicts.len(), inputs.len(), "one verdict per input");
        verdicts
    }

    #[test]
    fn websocket_messages_parse_as_single_elements() {
        let open =
            parse_element("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>").unwrap();
        assert!(open.is("open", "urn:ietf:params:xml:ns:xmpp-framing"));
        let m = parse_element("<message xmlns='jabber:client' to='a@b'><body>x</body></message>").unwrap();
        assert!(m.child("body", "jabber:client").is_some());
        let bare = parse_element("<presence/>").unwrap();
        assert_eq!(bare.ns, "jabber:client");
        assert!(matches!(parse_element("<a/><b/>"), Err(XmlError::NotWellFormed(_))));
        assert!(matches!(parse_element("<!-- c --><a/>"), Err(XmlError::Restricted(_))));
    }
}

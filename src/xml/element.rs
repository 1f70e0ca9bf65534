//! One small element type for every stanza the server handles, and its serializer.
//!
//! Names are kept as local name + resolved namespace URI; serialization declares a
//! default namespace (`xmlns='…'`) wherever an element's namespace differs from its
//! parent's, so the output never depends on the prefixes a client happened to use.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub ns: String,
    /// Attributes in document order, by qualified name (`type`, `xml:lang`); namespace
    /// declarations are not attributes here, except the `xmlns:p` that prefixed attributes
    /// need (the reader puts them after the attributes), so that the element serializes to
    /// namespace-well-formed XML on its own.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn new(name: impl Into<String>, ns: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ns: ns.into(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Builder: sets an attribute.
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder: appends a child element.
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Builder: appends text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    pub fn is(&self, name: &str, ns: &str) -> bool {
        self.name == name && self.ns == ns
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name, value)),
        }
    }

    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let i = self.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.attrs.remove(i).1)
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, name: &str, ns: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(name, ns))
    }

    pub fn child_mut(&mut self, name: &str, ns: &str) -> Option<&mut Element> {
        self.children.iter_mut().find_map(|n| match n {
            Node::Element(e) if e.is(name, ns) => Some(e),
            _ => None,
        })
    }

    /// The concatenated text directly inside this element.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                out.push_str(t);
            }
        }
        out
    }

    /// Serializes this element as a child of an element in `parent_ns`.
    pub fn write_to(&self, out: &mut String, parent_ns: &str) {
        self.write_name(out, parent_ns);
        self.write_rest(out);
    }

    /// The start tag's name and namespace declaration: where attributes may be added.
    pub(super) fn write_name(&self, out: &mut String, parent_ns: &str) {
        out.push('<');
        out.push_str(&self.name);
        if self.ns != parent_ns {
            out.push_str(" xmlns='");
            escape_attr(&self.ns, out);
            out.push('\'');
        }
    }

    /// Everything after [`Element::write_name`].
    pub(super) fn write_rest(&self, out: &mut String) {
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("='");
            escape_attr(v, out);
            out.push('\'');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for n in &self.children {
            match n {
                Node::Element(e) => e.write_to(out, &self.ns),
                Node::Text(t) => escape_text(t, out),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// About how many bytes the element takes, serialized or in memory (names, values,
    /// text, and a fixed cost per node): what outbound queues are bounded by, without
    /// serializing.
    pub fn approx_size(&self) -> usize {
        const PER_NODE: usize = 32;
        let attrs: usize = self.attrs.iter().map(|(k, v)| k.len() + v.len() + PER_NODE).sum();
        let children: usize = self
            .children
            .iter()
            .map(|n| match n {
                Node::Element(e) => e.approx_size(),
                Node::Text(t) => t.len() + PER_NODE,
            })
            .sum();
        PER_NODE + self.name.len() + self.ns.len() + attrs + children
    }

    /// Serialized as a top-level element of a stream whose default namespace is
    /// `stream_ns` (`jabber:client`): the stanza itself carries no `xmlns` then.
    pub fn to_xml(&self, stream_ns: &str) -> String {
        let mut out = String::with_capacity(256);
        self.write_to(&mut out, stream_ns);
        out
    }
}

/// Escapes character data. A carriage return is written as a reference: raw, it would be
/// read as a line end (XML 1.0 §2.11), that is as a line feed.
pub fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Escapes an attribute value for single-quoted output.
pub fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialization_escapes_and_declares_namespaces_only_where_they_change() {
        let msg = Element::new("message", "jabber:client")
            .with_attr("to", "bob@localhost")
            .with_attr("id", "a'b\"<c>&")
            .with_child(Element::new("body", "jabber:client").with_text("1 < 2 & 3 > 2"))
            .with_child(Element::new("ping", "urn:xmpp:ping"));
        assert_eq!(
            msg.to_xml("jabber:client"),
            "<message to='bob@localhost' id='a&apos;b&quot;&lt;c&gt;&amp;'>\
             <body>1 &lt; 2 &amp; 3 &gt; 2</body><ping xmlns='urn:xmpp:ping'/></message>"
        );
        let mut out = String::new();
        escape_text("a\r\nb\tc", &mut out);
        assert_eq!(out, "a&#13;\nb\tc");
        assert!(msg
            .to_xml("jabber:server")
            .starts_with("<message xmlns='jabber:client'"));
    }

    #[test]
    fn accessors_find_children_text_and_attributes() {
        let mut m = Element::new("message", "jabber:client")
            .with_attr("type", "chat")
            .with_child(
                Element::new("body", "jabber:client")
                    .with_text("hi ")
                    .with_text("there"),
            );
        assert_eq!(m.attr("type"), Some("chat"));
        m.set_attr("type", "normal");
        assert_eq!(m.attr("type"), Some("normal"));
        assert_eq!(m.child("body", "jabber:client").unwrap().text(), "hi there");
        assert!(m.child("body", "other").is_none());
        assert_eq!(m.remove_attr("type").as_deref(), Some("normal"));
        assert_eq!(m.attr("type"), None);
    }
}

//! One stanza for many recipients: serialized once, each copy written with its own `to`.
//!
//! A room's message, a presence broadcast or a carbon goes out in copies that differ
//! only in their addressee (RFC 6120 §8.1.1). Cloning and serializing the element once
//! per recipient made the allocator the biggest cost of a fan-out; a [`SharedElement`]
//! keeps the element without its `to`, serializes it the first time a copy is written
//! (once for each of the two ways a stanza is written: in a stream whose namespace is
//! its own, or declaring it), and writes each copy as that text with ` to='…'` spliced
//! in after the element's name.

use super::element::{escape_attr, Element};
use std::sync::{Arc, OnceLock};

/// An element without its addressee, shared by every copy.
#[derive(Debug)]
pub struct SharedElement {
    element: Element,
    size: usize,
    /// The serialization in a stream of the element's own namespace, and declaring it.
    text: [OnceLock<Spliced>; 2],
}

/// A serialization and where a copy's `to` goes in it.
#[derive(Debug)]
struct Spliced {
    text: String,
    at: usize,
}

impl SharedElement {
    /// Shares `element`; a `to` it carries is dropped (each copy has its own).
    pub fn new(mut element: Element) -> Arc<Self> {
        element.remove_attr("to");
        let size = element.approx_size();
        Arc::new(SharedElement {
            element,
            size,
            text: Default::default(),
        })
    }

    /// Everything but the addressee: name, type, `from`, children.
    pub fn element(&self) -> &Element {
        &self.element
    }

    /// The copy for `to` as an element of its own, for whoever must read or change it
    /// whole (an archive, an event stream, another node). Its `to` comes first, as in
    /// [`SharedElement::write_to`].
    pub fn with_to(&self, to: &str) -> Element {
        let mut copy = self.element.clone();
        copy.attrs.insert(0, ("to".to_owned(), to.to_owned()));
        copy
    }

    /// [`Element::approx_size`] of the copy for `to`.
    pub fn approx_size(&self, to: &str) -> usize {
        self.size + "to".len() + to.len() + 32
    }

    /// Writes the copy for `to` as a top-level element of a stream whose default
    /// namespace is `stream_ns`, as [`Element::write_to`] would write [`Self::with_to`].
    pub fn write_to(&self, to: &str, out: &mut String, stream_ns: &str) {
        let slot = usize::from(self.element.ns != stream_ns);
        let spliced = self.text[slot].get_or_init(|| {
            let mut text = String::with_capacity(self.size);
            self.element.write_name(&mut text, stream_ns);
            let at = text.len();
            self.element.write_rest(&mut text);
            Spliced { text, at }
        });
        let (head, rest) = spliced.text.split_at(spliced.at);
        out.reserve(spliced.text.len() + to.len() + " to=''".len());
        out.push_str(head);
        out.push_str(" to='");
        escape_attr(to, out);
        out.push('\'');
        out.push_str(rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse_element, CLIENT_NS};

    fn message() -> Element {
        Element::new("message", CLIENT_NS)
            .with_attr("to", "first@localhost")
            .with_attr("from", "room@conference.localhost/nick")
            .with_attr("type", "groupchat")
            .with_child(Element::new("body", CLIENT_NS).with_text("fish & <chips>"))
            .with_child(Element::new("stanza-id", "urn:xmpp:sid:0").with_attr("id", "1"))
    }

    #[test]
    fn every_copy_reads_as_the_element_with_its_own_addressee() {
        let shared = SharedElement::new(message());
        assert_eq!(shared.element().attr("to"), None);
        for to in [
            "bob@localhost/phone",
            "o'brien@localhost/it's <me> & you",
            "bob@localhost",
            "мария@localhost/телефон",
            "小明@localhost/手机",
        ] {
            for stream_ns in [CLIENT_NS, ""] {
                let mut out = String::new();
                shared.write_to(to, &mut out, stream_ns);
                assert_eq!(out, shared.with_to(to).to_xml(stream_ns));
                let read = parse_element(&out).expect("a copy is well-formed");
                assert_eq!(read.attr("to"), Some(to));
                assert_eq!(read, shared.with_to(to));
            }
        }
    }

    #[test]
    fn a_copy_is_sized_like_the_element_it_stands_for() {
        let shared = SharedElement::new(message());
        let to = "bob@localhost/phone";
        assert_eq!(shared.approx_size(to), shared.with_to(to).approx_size());
    }
}

//! XML for XMPP: one element type, a streaming reader and a single-element parser, all
//! behind this module so the parser choice (quick-xml) lives in one place.

mod buffer;
mod element;
mod lexical;
mod reader;
mod shared;

pub use element::{escape_attr, escape_text, Element, Node};
pub use reader::{parse_element, StreamEvent, XmlError, XmlReader, CLIENT_NS, STREAM_NS};
pub use shared::SharedElement;

/// Whether `c` may appear in an XML 1.0 document: the `Char` production (XML 1.0 §2.2).
/// Everything else (most C0 controls, surrogates, U+FFFE and U+FFFF) can be neither
/// written nor read by a conforming parser, so no door accepts it.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Whether every character of `s` may appear in XML.
pub fn is_xml_text(s: &str) -> bool {
    s.chars().all(is_xml_char)
}

//! XML for XMPP: one element type, a streaming reader and a single-element parser, all
//! behind this module so the parser choice (quick-xml) lives in one place.

mod element;
mod reader;

pub use element::{escape_attr, escape_text, Element, Node};
pub use reader::{parse_element, StreamEvent, XmlError, XmlReader, CLIENT_NS, STREAM_NS};

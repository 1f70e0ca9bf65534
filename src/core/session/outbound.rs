//! What a session's queue holds: a stanza of its own, or its copy of a stanza shared by
//! many recipients ([`SharedElement`]: a room's message, a presence broadcast, a carbon).
//!
//! A copy stays shared from the one who fanned it out to the door's writer, which writes
//! it with its own `to` without serializing the element again. Whoever must read a copy
//! whole (an event stream, another node, an archive, stream management's retransmission)
//! makes it an element of its own then, and only then.

use crate::xml::{Element, SharedElement};
use jid::Jid;
use std::borrow::Cow;
use std::sync::Arc;

/// A stanza on its way to one session.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A stanza for this recipient alone.
    Own(Element),
    /// This recipient's copy of a shared stanza: the stanza with `to` set to the JID.
    Copy(Arc<SharedElement>, Jid),
}

impl Outbound {
    /// The copy of `shared` for `to`.
    pub fn copy(shared: &Arc<SharedElement>, to: Jid) -> Self {
        Outbound::Copy(Arc::clone(shared), to)
    }

    /// Everything but the addressee (name, type, `from`, children), for the decisions
    /// that do not depend on it. A copy's content has no `to`.
    pub fn content(&self) -> &Element {
        match self {
            Outbound::Own(el) => el,
            Outbound::Copy(shared, _) => shared.element(),
        }
    }

    /// The stanza as its recipient gets it.
    pub fn to_element(&self) -> Cow<'_, Element> {
        match self {
            Outbound::Own(el) => Cow::Borrowed(el),
            Outbound::Copy(shared, to) => Cow::Owned(shared.with_to(to.as_str())),
        }
    }

    /// [`Outbound::to_element`], taking it.
    pub fn into_element(self) -> Element {
        match self {
            Outbound::Own(el) => el,
            Outbound::Copy(shared, to) => shared.with_to(to.as_str()),
        }
    }

    /// The stanza to change: a copy becomes an element of its own first.
    pub fn make_mut(&mut self) -> &mut Element {
        if let Outbound::Copy(shared, to) = self {
            *self = Outbound::Own(shared.with_to(to.as_str()));
        }
        match self {
            Outbound::Own(el) => el,
            Outbound::Copy(..) => unreachable!("made an element of its own just above"),
        }
    }

    /// The stanza shared, for copies to other addressees: a copy's own sharing, or
    /// this one stanza shared from now on.
    pub fn share(self) -> Arc<SharedElement> {
        match self {
            Outbound::Own(el) => SharedElement::new(el),
            Outbound::Copy(shared, _) => shared,
        }
    }

    /// [`Element::approx_size`] of the stanza as its recipient gets it.
    pub fn approx_size(&self) -> usize {
        match self {
            Outbound::Own(el) => el.approx_size(),
            Outbound::Copy(shared, to) => shared.approx_size(to.as_str()),
        }
    }

    /// Writes the stanza as a top-level element of a stream whose default namespace is
    /// `stream_ns` ([`Element::write_to`]).
    pub fn write_to(&self, out: &mut String, stream_ns: &str) {
        match self {
            Outbound::Own(el) => el.write_to(out, stream_ns),
            Outbound::Copy(shared, to) => shared.write_to(to.as_str(), out, stream_ns),
        }
    }

    /// [`Outbound::write_to`] into a string of its own.
    pub fn to_xml(&self, stream_ns: &str) -> String {
        let mut out = String::with_capacity(256);
        self.write_to(&mut out, stream_ns);
        out
    }
}

impl From<Element> for Outbound {
    fn from(el: Element) -> Self {
        Outbound::Own(el)
    }
}

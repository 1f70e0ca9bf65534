//! What each account keeps on its bare JID besides PEP: vCards and private XML.

pub mod private;
pub mod vcard;

//! The XMPP doors: client-to-server streams over TCP (RFC 6120, with STARTTLS or direct
//! TLS), over WebSocket (RFC 7395) and over BOSH (XEP-0124, XEP-0206). All run the same
//! negotiation (TLS, SASL, resource binding) and then hand stanzas to the core router;
//! stream management (XEP-0198) and client state indication (XEP-0352) ride on the same
//! streams (`nonza`).
//! External components (XEP-0114) have a door of their own, `component`.

pub(crate) mod bosh;
pub(crate) mod c2s;
pub(crate) mod component;
pub(crate) mod nonza;
pub(crate) mod s2s;
pub(crate) mod sasl;
pub(crate) mod stream;
pub(crate) mod websocket;

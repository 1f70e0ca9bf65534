//! The XMPP doors: client-to-server streams over TCP (RFC 6120, with STARTTLS or direct
//! TLS) and over WebSocket (RFC 7395). Both run the same negotiation (TLS, SASL, resource
//! binding) and then hand stanzas to the core router. External components (XEP-0114)
//! have a door of their own, `component`.

pub(crate) mod c2s;
pub(crate) mod component;
pub(crate) mod sasl;
pub(crate) mod stream;
pub(crate) mod websocket;

//! What the doors share below them: the TCP accept loop (with per-address connection
//! caps), TLS certificates (picked by server name from a directory) and the plain-or-TLS connection, a write deadline for
//! connections, and the hand-over of an upgraded WebSocket, or of a BOSH request, from
//! the HTTP door to whichever protocol serves it.
//! Keeping these here lets `http` and `xmpp` stay unaware of each other; the composition
//! root (`server`) connects them.

pub(crate) mod bosh;
pub(crate) mod listener;
pub(crate) mod shaper;
pub(crate) mod sni;
pub(crate) mod stall;
pub(crate) mod tls;
pub(crate) mod websocket;

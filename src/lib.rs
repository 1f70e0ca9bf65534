//! meerkat: an XMPP server with a spec-first client REST API.
//!
//! Layers, each pointing only down:
//! - doors: `http` (the client and admin REST APIs, SSE, the WebSocket upgrade,
//!   Prometheus metrics) and `xmpp` (client streams over TCP and WebSocket, external
//!   components), on
//!   `transport` (accept loop, TLS, WebSocket hand-over);
//! - [`core`]: routing by destination domain, sessions, accounts, rosters and presence,
//!   the archive, rooms (MUC Light), metrics; typed operations every door calls;
//! - [`store`] (one trait per feature; SQLite and in-memory backends) and [`xml`].
//!
//! `server` is the composition root that builds the core from [`config`] and wires the
//! doors to it; [`cli`] is the command line. See `docs/architecture.md`.

pub mod cli;
pub mod config;
pub mod core;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod http;
pub mod nats;
pub mod server;
pub mod store;
pub(crate) mod transport;
pub mod xml;
mod xmpp;

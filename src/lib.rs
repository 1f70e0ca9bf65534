//! meerkat: an XMPP server with a spec-first client REST API.
//!
//! Layers, each pointing only down (`make lint` checks it, see `docs/architecture.md`):
//! - doors: `http` (the client and admin REST APIs, SSE, the WebSocket upgrade, BOSH
//!   requests, uploads, Prometheus metrics) and `xmpp` (client streams over TCP,
//!   WebSocket and BOSH, external components), on `transport` (accept loop, TLS, shaper,
//!   WebSocket and BOSH hand-over);
//! - [`core`]: routing by destination domain, sessions, accounts, instant messaging, the
//!   archive, rooms, PEP, uploads, the cluster, metrics; one folder per feature, typed
//!   operations every door calls;
//! - [`store`] (one trait per feature; SQLite, PostgreSQL and in-memory backends) and
//!   [`xml`].
//!
//! `server` is the composition root that builds the core from [`config`] and wires the
//! doors to it; [`nats`] carries a cluster's messages between nodes; [`cli`] is the
//! command line.

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

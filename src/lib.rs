//! meerkat: an XMPP server with a spec-first client REST API.
//!
//! Doors (`http`; XMPP over TCP and WebSocket to come) turn requests into operations on
//! one core (`core`), which keeps its state through the storage trait (`store`).
//! See `README.md` and `docs/` for the user-facing description.

pub mod cli;
pub mod config;
pub mod core;
mod http;
mod listener;
pub mod server;
pub mod store;
pub(crate) mod tls;
pub mod xml;
mod xmpp;

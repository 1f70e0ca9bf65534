//! The integration tests, one binary: the real `meerkat` binary on ephemeral loopback
//! ports, driven through its doors (REST, XMPP over TCP, WebSocket and BOSH, the command
//! line). A module per area; `common` starts servers and holds the clients every area
//! shares. One binary is compiled and linked once, where a binary per area was each time.
//!
//! A module runs alone with its path as the filter: `cargo test --test it -- bosh::`.

mod common;

mod account_lifecycle;
mod admin_api;
mod api_docs;
mod bosh;
mod cli;
mod cluster;
mod component;
mod contacts_rest;
mod domains;
mod federation;
mod federation_interop;
mod federation_peers;
mod hostile_load;
mod http_compression;
mod http_upload;
mod idempotency;
mod im_extensions;
mod messaging;
mod metrics;
mod muc;
mod pep;
mod postgres_storage;
mod push;
mod rest_foundation;
mod rooms_rest;
mod rooms_xmpp;
mod roster_presence;
mod sdk_consumers;
mod sse_resume;
mod stalled_requests;
mod stream_management;
mod strict_input;
mod tokens;
mod webhooks;
mod xmpp_clients;
mod xmpp_core;
mod xmpp_limits;
mod xmpp_websocket;

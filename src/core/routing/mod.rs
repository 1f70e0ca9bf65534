//! Routing (RFC 6120 §10): every stanza, whichever door or service it comes from, goes
//! to the service owning its destination domain.
//! - `router`: domain → service, services registered with the core and external
//!   components attached while connected; a partitioned domain (XEP-0045 rooms) goes to
//!   the node of a cluster hosting the entity. A domain nobody here owns goes to
//!   federation (`crate::core::s2s`), or is refused with `remote-server-not-found` when
//!   it is off.
//! - `delivery`: the account domains' service (RFC 6121 §8.5 for messages, IQs and
//!   presence to local JIDs), archiving through `Core::archive_chat` before delivering,
//!   and its two IQ tables (the server's, an account's bare JID's).
//! - `iq`: IQ handler tables per addressable entity, answering disco#info from their own
//!   handlers; `disco` (disco#items) and `server_iq` (ping, version, legacy session).
//! - [`pipeline`]: a session's stanzas in flight at once, acting in the order sent.
//! - `component`: external components (XEP-0114), the core side.
//!
//! Events: none; what routing decides it does by calling the features it delivers for.

pub(crate) mod component;
pub(crate) mod delivery;
pub(crate) mod disco;
pub(crate) mod iq;
pub mod pipeline;
pub(crate) mod router;
pub(crate) mod server_iq;

#[cfg(test)]
mod tests;

//! Instant messaging on the account domains (RFC 6121 and its extensions).

pub(crate) mod blocking;
pub(crate) mod carbons;
pub(crate) mod messages;
pub mod offline;
pub(crate) mod presence;
pub mod push;
pub(crate) mod roster;

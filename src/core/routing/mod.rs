//! Routing: every stanza to the service owning its destination domain.

pub(crate) mod component;
pub(crate) mod delivery;
pub(crate) mod disco;
pub(crate) mod iq;
pub mod pipeline;
pub(crate) mod router;
pub(crate) mod server_iq;

#[cfg(test)]
mod tests;

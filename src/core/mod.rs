//! The core every door leads to: accounts now; the router, sessions, roster, archive and
//! rooms as they land.

pub mod accounts;
pub(crate) mod scram;

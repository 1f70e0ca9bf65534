//! The core every door leads to: accounts, the router and its delivery rules, rosters and
//! presence; the archive and rooms as they land.

pub mod accounts;
pub mod archive;
pub mod delivery;
pub mod iq;
pub mod mam;
pub mod presence;
pub mod roster;
pub mod router;
pub(crate) mod scram;
pub mod throttle;

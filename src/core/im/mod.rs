//! Instant messaging on the account domains (RFC 6121 and what extends it):
//! - `roster`: rosters and the presence subscription state machine (RFC 6121 §2, §3,
//!   Appendix A), roster IQs and pushes, REST contact operations;
//! - `presence`: presence from a user's own sessions (broadcasts, probes, directed
//!   presence) and what contacts hear when sessions or subscriptions change;
//! - `messages`: one-to-one messages sent through the REST door;
//! - `carbons` (XEP-0280), `blocking` (XEP-0191), [`offline`] (XEP-0160), [`push`]
//!   (XEP-0357).
//!
//! What arrives for a local account is delivered by `routing::delivery`, which calls
//! these features; they route what they send with `Core::route`.
//!
//! Events:
//! - emits `PresenceEvent::Available` and `Online` (presence, after an available
//!   presence went out and after a session was brought up to date), `Shared` and
//!   `Hidden` (roster, when a subscription is approved, confirmed again or cancelled;
//!   blocking, before someone who sees the user is blocked; an account's removal);
//! - hears `SessionEvent::Ended` and `Returned` and `PresenceEvent::Shared` and `Hidden`
//!   (presence: unavailable, last or current presence to the contacts concerned),
//!   `PresenceEvent::Online` (offline: the held messages go to the new session), and the
//!   removal of an account (roster, blocking, offline, push: its data goes).

pub(crate) mod blocking;
pub(crate) mod carbons;
pub(crate) mod messages;
pub mod offline;
pub(crate) mod presence;
pub mod push;
pub(crate) mod roster;

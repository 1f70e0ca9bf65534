//! Events between features: what happened to a session, and to who sees whose presence.
//! A feature that must act on another's news subscribes here instead of being called by
//! name, so features point at this module, not at each other.
//!
//! - [`SessionEvent`]: a session ended (its door closed it, or its node of the cluster is
//!   gone) or came back with its node. Emitted by [`Core::close_session`] and
//!   `cluster`; presence tells the session's contacts.
//! - [`PresenceEvent`]: a session's available presence went out, a session is online and
//!   up to date, a contact now sees (or no longer sees) an account's presence. Emitted by
//!   `im::presence`, `im::roster` and `im::blocking`; presence sends current or
//!   unavailable presence, PEP sends capabilities-filtered last items, offline storage
//!   hands over what it held.
//!
//! Subscribers run one after another in the order [`Core`] lists them (presence first);
//! the first error stops the rest and goes back to the emitter. Account removal and
//! password changes have their own subscribers (`account::lifecycle`), which run in the
//! order their data must go.

use crate::core::routing::router::RouteError;
use crate::core::session::Session;
use crate::core::Core;
use crate::xml::Element;
use async_trait::async_trait;
use jid::BareJid;
use std::sync::Arc;

/// Something that happened to a session.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SessionEvent<'a> {
    /// The session is gone: whoever saw it available hears it is unavailable.
    Ended(&'a Arc<Session>),
    /// A session of another node, announced gone when its node went silent, is back with
    /// its node: its contacts see its last presence again.
    Returned(&'a Arc<Session>),
}

/// Something that changed who sees whose presence (RFC 6121 §3, §4).
#[derive(Debug, Clone, Copy)]
pub(crate) enum PresenceEvent<'a> {
    /// `session` sent available `presence` (`initial`: its first), already broadcast;
    /// `before` is the presence it replaced.
    Available {
        session: &'a Arc<Session>,
        before: Option<&'a Element>,
        presence: &'a Element,
        initial: bool,
    },
    /// `session`'s initial presence went out and it has its contacts' presence and the
    /// pending requests: what was held for it may come.
    Online { session: &'a Arc<Session> },
    /// `contact` sees `owner`'s presence from now on: `owner` approved its subscription
    /// (`approved`), or the server answered a request `owner` had approved already.
    Shared {
        owner: &'a BareJid,
        contact: &'a BareJid,
        approved: bool,
    },
    /// `contact` no longer sees `owner`'s presence (subscription cancelled, contact
    /// removed or blocked, account removed).
    Hidden { owner: &'a BareJid, contact: &'a BareJid },
}

/// A feature acting on events; each method defaults to doing nothing.
#[async_trait]
pub(crate) trait Subscriber: Send + Sync {
    async fn on_session(&self, _core: &Core, _event: SessionEvent<'_>) -> Result<(), RouteError> {
        Ok(())
    }

    async fn on_presence(&self, _core: &Core, _event: PresenceEvent<'_>) -> Result<(), RouteError> {
        Ok(())
    }
}

/// The subscribers, in the order they hear each event.
pub(crate) struct Events {
    subscribers: Vec<Box<dyn Subscriber>>,
}

impl Events {
    pub(crate) fn new(subscribers: Vec<Box<dyn Subscriber>>) -> Self {
        Events { subscribers }
    }
}

impl Core {
    /// Tells every subscriber of `event`, in order; stops at the first error.
    pub(crate) async fn session_event(&self, event: SessionEvent<'_>) -> Result<(), RouteError> {
        for s in &self.events.subscribers {
            s.on_session(self, event).await?;
        }
        Ok(())
    }

    /// Tells every subscriber of `event`, in order; stops at the first error.
    pub(crate) async fn presence_event(&self, event: PresenceEvent<'_>) -> Result<(), RouteError> {
        for s in &self.events.subscribers {
            s.on_presence(self, event).await?;
        }
        Ok(())
    }
}

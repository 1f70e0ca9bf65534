//! Presence (RFC 6121 §4): availability broadcasts to subscribers, probes answered from
//! the router's presence state, directed presence, and subscription stanzas handed to
//! [`super::roster`].
//!
//! - Initial presence (no `to`, available) marks the session available, goes to the
//!   user's other resources and to every contact with a `from`/`both` subscription, and
//!   brings back the presence of the user's other resources and of every contact the user
//!   is subscribed to (`to`/`both`), plus any pending inbound subscription requests.
//! - Unavailable presence (sent, or implied by the session ending) goes to the same
//!   audience and to every JID the session sent directed presence to.
//! - Directed presence (with `to`) goes to that JID only.

use super::delivery::CLIENT_NS;
use super::roster::{self, SubscriptionAction};
use super::router::Session;
use crate::server::Context;
use crate::store::Subscription;
use crate::xml::Element;
use jid::{BareJid, FullJid, Jid};
use std::sync::Arc;

fn kind(stanza: &Element) -> &str {
    stanza.attr("type").unwrap_or("available")
}

/// Delivers `presence` to every available session of `bare`.
pub fn deliver_to_available(ctx: &Context, bare: &BareJid, presence: Element) {
    for s in ctx.router.sessions_of(bare) {
        if s.available() {
            let mut p = presence.clone();
            p.set_attr("to", s.jid.to_string());
            s.send(p);
        }
    }
}

/// Sends the current presence of every available session of `owner` to `contact`.
pub fn send_current_presence(ctx: &Context, owner: &BareJid, contact: &BareJid) {
    for s in ctx.router.sessions_of(owner) {
        let last = s.presence.lock().expect("presence mutex poisoned").last.clone();
        if let (true, Some(p)) = (s.available(), last) {
            deliver_to_available(ctx, contact, p);
        }
    }
}

/// Sends unavailable presence from every available session of `owner` to `contact`.
pub fn send_unavailable_to(ctx: &Context, owner: &BareJid, contact: &BareJid) {
    for s in ctx.router.sessions_of(owner) {
        if s.available() {
            let p = Element::new("presence", CLIENT_NS)
                .with_attr("type", "unavailable")
                .with_attr("from", s.jid.to_string());
            deliver_to_available(ctx, contact, p);
        }
    }
}

/// Contacts of `owner` whose subscription matches `wanted`.
async fn contacts_with(ctx: &Context, owner: &BareJid, wanted: &[Subscription]) -> Vec<BareJid> {
    match ctx.store.roster(owner.as_str()).await {
        Ok(items) => items
            .into_iter()
            .filter(|i| wanted.contains(&i.subscription))
            .filter_map(|i| BareJid::new(&i.contact).ok())
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "roster read failed");
            Vec::new()
        }
    }
}

/// Sends `presence` (from `from`) to the user's other resources and to subscribers.
async fn broadcast(ctx: &Context, from: &FullJid, presence: &Element) {
    let owner = from.to_bare();
    for s in ctx.router.sessions_of(&owner) {
        if &s.jid != from && s.available() {
            let mut p = presence.clone();
            p.set_attr("to", s.jid.to_string());
            s.send(p);
        }
    }
    for contact in contacts_with(ctx, &owner, &[Subscription::From, Subscription::Both]).await {
        deliver_to_available(ctx, &contact, presence.clone());
    }
}

/// A presence stanza from the local session `from` (already stamped with `from`).
pub async fn handle(ctx: &Arc<Context>, from: &FullJid, to: Option<Jid>, mut stanza: Element) {
    let kind = kind(&stanza).to_owned();
    if let Some(action) = SubscriptionAction::parse(&kind) {
        let Some(contact) = to.map(|t| t.to_bare()) else {
            return;
        };
        // Subscription stanzas are between bare JIDs (RFC 6121 3.1.2).
        stanza.set_attr("from", from.to_bare().to_string());
        stanza.set_attr("to", contact.to_string());
        if let Err(e) = roster::outbound(ctx, &from.to_bare(), &contact, action, Some(stanza)).await {
            tracing::warn!(error = %e, "subscription stanza failed");
        }
        return;
    }
    let Some(session) = ctx.router.session(from) else {
        return;
    };
    match (to, kind.as_str()) {
        (None, "available") => available(ctx, &session, stanza).await,
        (None, "unavailable") => unavailable(ctx, &session, Some(stanza)).await,
        (Some(to), "available" | "unavailable") => directed(ctx, &session, &to, stanza),
        // Probes and errors from clients are not for us to act on.
        _ => {}
    }
}

async fn available(ctx: &Arc<Context>, session: &Arc<Session>, stanza: Element) {
    let priority = stanza
        .child("priority", CLIENT_NS)
        .and_then(|p| p.text().trim().parse::<i8>().ok())
        .unwrap_or(0);
    let initial = {
        let mut state = session.presence.lock().expect("presence mutex poisoned");
        let initial = !state.available;
        state.available = true;
        state.priority = priority;
        state.last = Some(stanza.clone());
        initial
    };
    broadcast(ctx, &session.jid, &stanza).await;
    if !initial {
        return;
    }
    let owner = session.jid.to_bare();
    // Bring the new resource up to date: its siblings, its contacts, pending requests.
    for s in ctx.router.sessions_of(&owner) {
        let last = s.presence.lock().expect("presence mutex poisoned").last.clone();
        if let (true, false, Some(mut p)) = (s.available(), s.id == session.id, last) {
            p.set_attr("to", session.jid.to_string());
            session.send(p);
        }
    }
    for contact in contacts_with(ctx, &owner, &[Subscription::To, Subscription::Both]).await {
        for s in ctx.router.sessions_of(&contact) {
            let last = s.presence.lock().expect("presence mutex poisoned").last.clone();
            if let (true, Some(mut p)) = (s.available(), last) {
                p.set_attr("to", session.jid.to_string());
                session.send(p);
            }
        }
    }
    for request in roster::pending_requests(ctx, &owner).await {
        session.send(request);
    }
}

async fn unavailable(ctx: &Arc<Context>, session: &Arc<Session>, stanza: Option<Element>) {
    let (was_available, directed) = {
        let mut state = session.presence.lock().expect("presence mutex poisoned");
        let was = state.available;
        state.available = false;
        state.last = None;
        (was, std::mem::take(&mut state.directed))
    };
    let presence = stanza.unwrap_or_else(|| {
        Element::new("presence", CLIENT_NS)
            .with_attr("type", "unavailable")
            .with_attr("from", session.jid.to_string())
    });
    if was_available {
        broadcast(ctx, &session.jid, &presence).await;
    }
    for to in directed {
        let mut p = presence.clone();
        p.set_attr("to", to.to_string());
        route_directed(ctx, &to, p);
    }
}

fn directed(ctx: &Context, session: &Arc<Session>, to: &Jid, stanza: Element) {
    {
        let mut state = session.presence.lock().expect("presence mutex poisoned");
        if kind(&stanza) == "unavailable" {
            state.directed.retain(|j| j != to);
        } else if !state.directed.contains(to) {
            state.directed.push(to.clone());
        }
    }
    route_directed(ctx, to, stanza);
}

fn route_directed(ctx: &Context, to: &Jid, stanza: Element) {
    if !ctx.accounts.serves(to.domain().as_str()) || to.node().is_none() {
        return;
    }
    match to.try_as_full() {
        Ok(full) => {
            if let Some(s) = ctx.router.session(full) {
                s.send(stanza);
            }
        }
        Err(bare) => deliver_to_available(ctx, bare, stanza),
    }
}

/// The session is going away: unavailable presence to whoever saw it available.
pub async fn session_ended(ctx: &Arc<Context>, session: &Arc<Session>) {
    unavailable(ctx, session, None).await;
}

//! Where a stanza goes: RFC 6120 §10 and RFC 6121 §8 server rules, for stanzas from a
//! local session (XMPP or REST alike).
//!
//! - A stanza for a domain we do not serve gets `remote-server-not-found` (there is no
//!   server-to-server yet).
//! - A stanza for the server itself, or an IQ for an account's bare JID, is answered by the
//!   server ([`super::iq`]).
//! - A message for a bare JID goes to the account's available sessions with non-negative
//!   priority; for a full JID to that session, or, for `chat`/`normal`/`headline` when it
//!   is gone, by the bare-JID rules.
//! - Anything for an account that does not exist gets `service-unavailable` (presence and
//!   errors are dropped silently, as the RFC requires).
//! - IQ requests always get an answer.

use super::archive::{archivable, Archived, STANZA_ID_NS};
use super::router::Session;
use crate::server::Context;
use crate::store::StoreError;
use crate::xml::{Element, Node};
use jid::{FullJid, Jid};
use std::sync::Arc;

pub const CLIENT_NS: &str = "jabber:client";
pub const STANZAS_NS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// An error reply to `stanza` (RFC 6120 §8.3): addresses swapped, `type='error'`.
pub fn error_reply(stanza: &Element, error_type: &str, condition: &str) -> Element {
    let mut reply = Element::new(stanza.name.clone(), CLIENT_NS).with_attr("type", "error");
    if let Some(id) = stanza.attr("id") {
        reply.set_attr("id", id);
    }
    if let Some(from) = stanza.attr("from") {
        reply.set_attr("to", from);
    }
    if let Some(to) = stanza.attr("to") {
        reply.set_attr("from", to);
    }
    reply.with_child(
        Element::new("error", CLIENT_NS)
            .with_attr("type", error_type)
            .with_child(Element::new(condition, STANZAS_NS)),
    )
}

/// An IQ result for `request`, with an optional payload.
pub fn iq_result(request: &Element, payload: Option<Element>) -> Element {
    let mut reply = Element::new("iq", CLIENT_NS).with_attr("type", "result");
    if let Some(id) = request.attr("id") {
        reply.set_attr("id", id);
    }
    if let Some(from) = request.attr("from") {
        reply.set_attr("to", from);
    }
    if let Some(to) = request.attr("to") {
        reply.set_attr("from", to);
    }
    if let Some(p) = payload {
        reply = reply.with_child(p);
    }
    reply
}

fn stanza_type(stanza: &Element) -> &str {
    stanza.attr("type").unwrap_or(match stanza.name.as_str() {
        "message" => "normal",
        "presence" => "available",
        _ => "",
    })
}

/// Sends `stanza` back to its sender, an error for it.
fn bounce(ctx: &Context, from: &FullJid, stanza: &Element, error_type: &str, condition: &str) {
    if stanza_type(stanza) == "error" || (stanza.name == "iq" && matches!(stanza_type(stanza), "result")) {
        return;
    }
    let reply = error_reply(stanza, error_type, condition);
    if let Some(s) = ctx.router.session(from) {
        s.send(reply);
    }
}

/// Routes a stanza sent by the local session `from`. `stanza` must already carry
/// `from` (stamped by the session) and, when given, a `to` that parsed as a JID.
pub async fn route(ctx: &Arc<Context>, from: &FullJid, stanza: Element) {
    let to = match stanza.attr("to") {
        None => None,
        Some(t) => match Jid::new(t) {
            Ok(j) => Some(j),
            Err(_) => return bounce(ctx, from, &stanza, "modify", "jid-malformed"),
        },
    };
    match stanza.name.as_str() {
        "message" => route_message(ctx, from, to, stanza).await,
        "iq" => route_iq(ctx, from, to, stanza).await,
        "presence" => super::presence::handle(ctx, from, to, stanza).await,
        _ => {}
    }
}

fn served_domain(ctx: &Context, jid: &Jid) -> bool {
    ctx.accounts.serves(jid.domain().as_str())
}

async fn route_message(ctx: &Arc<Context>, from: &FullJid, to: Option<Jid>, stanza: Element) {
    // A message without `to` is for the sender's own account.
    let to = to.unwrap_or_else(|| Jid::from(from.to_bare()));
    if !served_domain(ctx, &to) {
        return bounce(ctx, from, &stanza, "cancel", "remote-server-not-found");
    }
    if to.node().is_none() {
        // Messages to the server itself: nothing here handles them.
        return bounce(ctx, from, &stanza, "cancel", "service-unavailable");
    }
    // Enough of the stanza to answer it if archiving fails.
    let mut stub = Element::new("message", CLIENT_NS);
    for a in ["id", "from", "to"] {
        if let Some(v) = stanza.attr(a) {
            stub.set_attr(a, v);
        }
    }
    if let Err(e) = deliver_message(ctx, Some(from), &to, stanza).await {
        // Not archived, so not delivered either (nothing is delivered that the archive
        // might lose); the sender learns it failed and may retry.
        tracing::error!(error = %e, "archiving a message failed");
        bounce(ctx, from, &stub, "wait", "internal-server-error");
    }
}

/// Delivers a message to a local JID per RFC 6121 §8.5, archiving it first (both owners)
/// when it is a chat message. `sender` is the sending session, which gets errors back; it
/// is `None` for REST, whose caller answers the HTTP request instead. The stanza's `from`
/// must already be set.
pub async fn deliver_message(
    ctx: &Context,
    sender: Option<&FullJid>,
    to: &Jid,
    mut stanza: Element,
) -> Result<Option<Archived>, StoreError> {
    let kind = stanza_type(&stanza).to_owned();
    let bare = to.to_bare();
    let sessions = ctx.router.sessions_of(&bare);
    let local = ctx.accounts.serves(bare.domain().as_str()) && bare.node().is_some();
    let account_exists = local && (!sessions.is_empty() || ctx.accounts.exists(&bare).await.unwrap_or(true));

    let mut archived = None;
    let from = stanza.attr("from").and_then(|f| Jid::new(f).ok()).map(|j| j.to_bare());
    if let (Some(from), true, true) = (from, archivable(&stanza), ctx.config.modules.mod_mam.is_some()) {
        let a = ctx
            .archive
            .store(&*ctx.store, &from, &bare, account_exists, &stanza)
            .await?;
        // XEP-0359: the recipient learns the id of its archived copy; ids a client put
        // there itself are not trusted.
        stanza
            .children
            .retain(|n| !matches!(n, Node::Element(e) if e.is("stanza-id", STANZA_ID_NS)));
        if let Some(id) = a.recipient_id {
            stanza = stanza.with_child(
                Element::new("stanza-id", STANZA_ID_NS)
                    .with_attr("id", id.to_string())
                    .with_attr("by", bare.to_string()),
            );
        }
        archived = Some(a);
    }
    if !local {
        return Ok(archived);
    }

    if let Ok(full) = to.try_as_full() {
        if let Some(s) = sessions.iter().find(|s| &s.jid == full) {
            s.send(stanza);
            return Ok(archived);
        }
        if !matches!(kind.as_str(), "chat" | "normal" | "headline") {
            if kind != "error" {
                if let Some(sender) = sender {
                    bounce(ctx, sender, &stanza, "cancel", "service-unavailable");
                }
            }
            return Ok(archived);
        }
    }
    if kind == "groupchat" {
        if let Some(sender) = sender {
            bounce(ctx, sender, &stanza, "cancel", "service-unavailable");
        }
        return Ok(archived);
    }
    if kind == "error" {
        return Ok(archived);
    }
    let targets: Vec<&Arc<Session>> = sessions.iter().filter(|s| s.available() && s.priority() >= 0).collect();
    if !targets.is_empty() {
        for s in targets {
            s.send(stanza.clone());
        }
        return Ok(archived);
    }
    // No available session: an existing account finds the message in its archive later;
    // otherwise the sender learns the address is wrong.
    if !account_exists && kind != "headline" {
        if let Some(sender) = sender {
            bounce(ctx, sender, &stanza, "cancel", "service-unavailable");
        }
    }
    Ok(archived)
}

async fn route_iq(ctx: &Arc<Context>, from: &FullJid, to: Option<Jid>, stanza: Element) {
    let kind = stanza_type(&stanza).to_owned();
    if !matches!(kind.as_str(), "get" | "set" | "result" | "error") {
        return bounce(ctx, from, &stanza, "modify", "bad-request");
    }
    let is_request = matches!(kind.as_str(), "get" | "set");
    let Some(to) = to else {
        // No `to`: for the sender's own account (RFC 6120 §10.3.3).
        if is_request {
            let account = Jid::from(from.to_bare());
            return super::iq::handle(ctx, from, &account, stanza).await;
        }
        return;
    };
    if !served_domain(ctx, &to) {
        return bounce(ctx, from, &stanza, "cancel", "remote-server-not-found");
    }
    match to.try_as_full() {
        Ok(full) if to.node().is_some() => match ctx.router.session(full) {
            Some(s) => {
                s.send(stanza);
            }
            None if is_request => bounce(ctx, from, &stanza, "cancel", "service-unavailable"),
            None => {}
        },
        _ if is_request => super::iq::handle(ctx, from, &to, stanza).await,
        _ => {}
    }
}

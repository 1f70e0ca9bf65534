//! IQs the server answers itself: for its own domain, and for an account's bare JID on
//! the account's behalf (RFC 6120 §10.3.3, §8.4).
//!
//! - XEP-0030 service discovery (`disco#info`, `disco#items`) for the server and accounts;
//! - XEP-0199 ping; XEP-0092 software version (server only);
//! - the roster (RFC 6121 §2) and the message archive (XEP-0313) of the sender's own account;
//! - the legacy session IQ (RFC 3921), which needs no action;
//! - anything else: `service-unavailable`. A request without exactly one payload
//!   element is a `bad-request`.

use super::delivery::{error_reply, iq_result};
use super::mam::MAM_NS;
use crate::server::Context;
use crate::xml::Element;
use jid::{FullJid, Jid};
use std::sync::Arc;

pub const DISCO_INFO_NS: &str = "http://jabber.org/protocol/disco#info";
pub const DISCO_ITEMS_NS: &str = "http://jabber.org/protocol/disco#items";
pub const PING_NS: &str = "urn:xmpp:ping";
pub const VERSION_NS: &str = "jabber:iq:version";
pub const ROSTER_NS: &str = "jabber:iq:roster";
pub const SESSION_NS: &str = "urn:ietf:params:xml:ns:xmpp-session";

/// Features the server advertises for its domain.
const SERVER_FEATURES: &[&str] = &[DISCO_INFO_NS, DISCO_ITEMS_NS, PING_NS, VERSION_NS, ROSTER_NS];

/// Features advertised for an account's bare JID (answered by the server).
const ACCOUNT_FEATURES: &[&str] = &[DISCO_INFO_NS, DISCO_ITEMS_NS, PING_NS];

fn send(ctx: &Context, to: &FullJid, stanza: Element) {
    if let Some(s) = ctx.router.session(to) {
        s.send(stanza);
    }
}

/// Answers the IQ request `stanza` from `from`, addressed to `to` (our domain or an
/// account's bare JID).
pub async fn handle(ctx: &Arc<Context>, from: &FullJid, to: &Jid, stanza: Element) {
    let reply = answer(ctx, from, to, &stanza).await;
    send(ctx, from, reply);
}

async fn answer(ctx: &Arc<Context>, from: &FullJid, to: &Jid, stanza: &Element) -> Element {
    let is_get = stanza.attr("type") == Some("get");
    let mut payloads = stanza.elements();
    let (Some(payload), None) = (payloads.next(), payloads.next()) else {
        return error_reply(stanza, "modify", "bad-request");
    };
    let for_server = to.node().is_none();
    let own_account = to.node().is_some() && to.to_bare() == from.to_bare();
    if !for_server && !ctx.accounts.exists(&to.to_bare()).await.unwrap_or(false) {
        return error_reply(stanza, "cancel", "service-unavailable");
    }
    match (payload.ns.as_str(), payload.name.as_str()) {
        (PING_NS, "ping") if is_get => iq_result(stanza, None),
        (DISCO_INFO_NS, "query") if is_get => {
            let mam = ctx.config.modules.mod_mam.is_some();
            iq_result(stanza, Some(disco_info(for_server, mam, payload)))
        }
        (DISCO_ITEMS_NS, "query") if is_get => iq_result(stanza, Some(disco_items(payload))),
        (VERSION_NS, "query") if is_get && for_server => iq_result(
            stanza,
            Some(
                Element::new("query", VERSION_NS)
                    .with_child(Element::new("name", VERSION_NS).with_text("meerkat"))
                    .with_child(Element::new("version", VERSION_NS).with_text(env!("CARGO_PKG_VERSION"))),
            ),
        ),
        (SESSION_NS, "session") if !is_get => iq_result(stanza, None),
        (ROSTER_NS, "query") if own_account || (for_server && stanza.attr("to").is_none()) => {
            super::roster::handle_iq(ctx, from, stanza, payload).await
        }
        (ROSTER_NS, "query") => error_reply(stanza, "cancel", "forbidden"),
        (MAM_NS, "query") if own_account || (for_server && stanza.attr("to").is_none()) => {
            if ctx.config.modules.mod_mam.is_none() {
                return error_reply(stanza, "cancel", "service-unavailable");
            }
            super::mam::handle_iq(ctx, from, stanza, payload).await
        }
        (MAM_NS, "query") => error_reply(stanza, "cancel", "forbidden"),
        // A namespace we know, used in a way we do not support (RFC 6120 §8.3.3.3).
        (PING_NS | DISCO_INFO_NS | DISCO_ITEMS_NS | VERSION_NS | SESSION_NS, _) => {
            error_reply(stanza, "cancel", "feature-not-implemented")
        }
        _ => error_reply(stanza, "cancel", "service-unavailable"),
    }
}

fn disco_info(for_server: bool, mam: bool, request: &Element) -> Element {
    let mut query = Element::new("query", DISCO_INFO_NS);
    if let Some(node) = request.attr("node") {
        query.set_attr("node", node);
    }
    let (category, kind, features) = if for_server {
        ("server", "im", SERVER_FEATURES)
    } else {
        ("account", "registered", ACCOUNT_FEATURES)
    };
    let mut identity = Element::new("identity", DISCO_INFO_NS)
        .with_attr("category", category)
        .with_attr("type", kind);
    if for_server {
        identity.set_attr("name", "meerkat");
    }
    query = query.with_child(identity);
    for f in features {
        query = query.with_child(Element::new("feature", DISCO_INFO_NS).with_attr("var", *f));
    }
    // XEP-0313: the user archive is advertised on the account's bare JID.
    if mam && !for_server {
        query = query.with_child(Element::new("feature", DISCO_INFO_NS).with_attr("var", MAM_NS));
    }
    query
}

/// No items yet: the MUC Light service is listed here once it is served.
fn disco_items(request: &Element) -> Element {
    let mut query = Element::new("query", DISCO_ITEMS_NS);
    if let Some(node) = request.attr("node") {
        query.set_attr("node", node);
    }
    query
}

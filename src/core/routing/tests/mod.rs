//! The routing rules, in process on in-memory storage: RFC 6121 §8.5 for messages, IQs
//! and presence to bare and full JIDs, subscriptions and their pushes, the IQ tables,
//! component services, and account lifecycle events.

use super::router::{RouteError, Routed, Service};
use crate::core::account::Accounts;
use crate::core::archive;
use crate::core::session::Kick;
use crate::core::stanza::ns;
use crate::core::testkit::{condition, settings, Harness};
use crate::core::Core;
use crate::store::Subscription;
use crate::xml::Element;
use async_trait::async_trait;
use jid::BareJid;
use std::sync::Arc;

fn body(stanza: &crate::xml::Element) -> Option<String> {
    stanza.child("body", ns::CLIENT).map(|b| b.text())
}

fn bare(jid: &str) -> BareJid {
    BareJid::new(jid).unwrap()
}

fn features(info: &crate::xml::Element) -> Vec<String> {
    let query = info.child("query", ns::DISCO_INFO).expect("a disco#info result");
    query
        .elements()
        .filter(|f| f.name == "feature")
        .filter_map(|f| f.attr("var").map(str::to_owned))
        .collect()
}

mod iq;
mod lifecycle;
mod messages;
mod order;
mod presence;
mod push;
mod services;

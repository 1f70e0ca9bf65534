//! Push notifications (XEP-0357), the user's-server side: a client registers an app
//! server node (`<enable/>`); when a message is held for the user because no session is
//! available, the server publishes a summary to each registered node, and the app server
//! wakes the device (through the platform's push service), which then connects and gets
//! its messages.
//!
//! The summary (§7) carries `message-count` (messages waiting) and `last-message-sender`;
//! `last-message-body` only when `include_body` is on (off by default: the body would
//! leave the server through the app server and the platform's push service). The
//! client's `publish-options` (its secret, usually) travel with every publication. An
//! answer from the app server is not awaited: a device that registered a wrong node
//! simply is not woken.

use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::routing::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::routing::router::RouteError;
use crate::core::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::core::Core;
use crate::store::{PushRegistration, StoreError};
use crate::xml::{parse_element, Element};
use async_trait::async_trait;
use jid::{BareJid, Jid};

pub(crate) const NS: &str = "urn:xmpp:push:0";
const PUBSUB: &str = "http://jabber.org/protocol/pubsub";
const SUMMARY: &str = "urn:xmpp:push:summary";

/// `[modules.mod_event_pusher.push]`.
#[derive(Debug, Clone, Copy)]
pub struct PushSettings {
    /// Registrations one user may have (one per device, usually).
    pub max_registrations: usize,
    /// Whether the summary carries the body of the last message.
    pub include_body: bool,
}

fn field(var: &str, value: &str) -> Element {
    Element::new("field", ns::DATA_FORMS)
        .with_attr("var", var)
        .with_child(Element::new("value", ns::DATA_FORMS).with_text(value))
}

/// The publication telling `registration`'s node that `owner` has `count` messages
/// waiting, the last one being `message`.
pub(crate) fn notification(
    owner: &BareJid,
    registration: &PushRegistration,
    count: usize,
    message: &Element,
    include_body: bool,
) -> Element {
    let mut form = Element::new("x", ns::DATA_FORMS)
        .with_attr("type", "submit")
        .with_child(field("FORM_TYPE", SUMMARY))
        .with_child(field("message-count", &count.to_string()));
    if let Some(sender) = message.attr("from") {
        form = form.with_child(field("last-message-sender", sender));
    }
    if include_body {
        if let Some(body) = message.child("body", ns::CLIENT) {
            form = form.with_child(field("last-message-body", &body.text()));
        }
    }
    let mut pubsub = Element::new("pubsub", PUBSUB).with_child(
        Element::new("publish", PUBSUB)
            .with_attr("node", registration.node.as_str())
            .with_child(Element::new("item", PUBSUB).with_child(Element::new("notification", NS).with_child(form))),
    );
    if let Ok(options) = parse_element(&registration.options) {
        pubsub = pubsub.with_child(Element::new("publish-options", PUBSUB).with_child(options));
    }
    Element::new("iq", ns::CLIENT)
        .with_attr("type", "set")
        .with_attr("id", format!("push{}", rand::random::<u64>()))
        .with_attr("from", owner.to_string())
        .with_attr("to", registration.jid.as_str())
        .with_child(pubsub)
}

/// A message was held for `owner`: wake their registered devices.
pub(crate) async fn message_held(core: &Core, owner: &BareJid, message: &Element) {
    let Some(settings) = core.settings.push else {
        return;
    };
    let registrations = match core.stores.push.push_registrations(owner.as_str()).await {
        Ok(r) if r.is_empty() => return,
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(owner = %owner, error = %e, "push registrations unreadable; no notification");
            return;
        }
    };
    let count = core
        .stores
        .offline
        .count_offline(owner.as_str())
        .await
        .unwrap_or(1)
        .max(1);
    for registration in &registrations {
        let iq = notification(owner, registration, count, message, settings.include_body);
        if let Err(e) = core.route(Jid::from(owner.clone()), iq).await {
            tracing::warn!(owner = %owner, error = %e, "a push notification could not be routed");
        }
    }
}

/// `<enable/>` and `<disable/>` on the user's own account (§5, §6).
pub(crate) struct PushIq;

#[async_trait]
impl IqHandler for PushIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let Some(settings) = core.settings.push else {
            return Err(Condition::ServiceUnavailable.into());
        };
        if !request.for_own_account() {
            return Err(Condition::Forbidden.into());
        }
        if request.is_get() {
            return Err(Condition::BadRequest.into());
        }
        let owner = request.from.to_bare();
        let payload = request.payload;
        let app_server = payload
            .attr("jid")
            .and_then(|j| crate::core::jid::parse(j).ok())
            .ok_or_else(|| {
                StanzaError::with_type(ErrorType::Modify, Condition::BadRequest).with_text("Missing or invalid 'jid'")
            })?;
        let node = payload.attr("node").filter(|n| !n.is_empty());
        let failed = |e: StoreError| {
            tracing::error!(error = %e, "push registration failed");
            StanzaError::new(Condition::InternalServerError)
        };
        match payload.name.as_str() {
            "enable" => {
                let node = node.ok_or_else(|| {
                    StanzaError::with_type(ErrorType::Modify, Condition::BadRequest).with_text("Missing 'node'")
                })?;
                let options = payload
                    .child("x", ns::DATA_FORMS)
                    .map(|x| x.to_xml(ns::CLIENT))
                    .unwrap_or_default();
                let registration = PushRegistration {
                    jid: app_server.to_string(),
                    node: node.to_owned(),
                    options,
                };
                match core
                    .stores
                    .push
                    .enable_push(owner.as_str(), &registration, settings.max_registrations)
                    .await
                {
                    Ok(()) => Ok(None),
                    Err(StoreError::LimitReached) => Err(StanzaError::new(Condition::ResourceConstraint).with_text(
                        format!("At most {} push registrations per user", settings.max_registrations),
                    )),
                    Err(e) => Err(failed(e)),
                }
            }
            "disable" => {
                core.stores
                    .push
                    .disable_push(owner.as_str(), app_server.as_str(), node)
                    .await
                    .map_err(failed)?;
                Ok(None)
            }
            _ => Err(Condition::BadRequest.into()),
        }
    }
}

/// Forgets a removed account's registrations.
pub(crate) struct DeleteRemovedRegistrations;

#[async_trait]
impl Subscriber for DeleteRemovedRegistrations {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        if let AccountEvent::Removed(removed) = event {
            core.stores.push.delete_push(removed.as_str()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_names_the_count_and_sender_and_the_body_only_when_allowed() {
        let owner = BareJid::new("bob@localhost").unwrap();
        let registration = PushRegistration {
            jid: "push.example".into(),
            node: "device-1".into(),
            options: "<x xmlns='jabber:x:data' type='submit'><field var='secret'><value>s3</value></field></x>".into(),
        };
        let message =
            parse_element("<message from='alice@localhost/pc' type='chat'><body>secret plans</body></message>")
                .unwrap();
        let iq = notification(&owner, &registration, 3, &message, false);
        assert_eq!(
            (iq.attr("from"), iq.attr("to")),
            (Some("bob@localhost"), Some("push.example"))
        );
        let xml = iq.to_xml(ns::CLIENT);
        assert!(
            xml.contains("node=\"device-1\"") || xml.contains("node='device-1'"),
            "{xml}"
        );
        assert!(
            xml.contains("urn:xmpp:push:summary") && xml.contains(">3<") && xml.contains("alice@localhost/pc"),
            "{xml}"
        );
        assert!(!xml.contains("secret plans"), "{xml}");
        assert!(xml.contains("publish-options") && xml.contains("s3"), "{xml}");
        let with_body = notification(&owner, &registration, 1, &message, true).to_xml(ns::CLIENT);
        assert!(with_body.contains("secret plans"), "{with_body}");
    }
}

//! The XEP-0060 XML of PEP: reading publish requests, building results, event
//! notifications and errors with their `pubsub#errors` conditions (XEP-0060 §7–§8).

use super::super::forms::Form;
use super::super::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::xml::Element;
use jid::{BareJid, FullJid};

/// Longest node name or item id accepted, in bytes.
pub(crate) const MAX_NAME: usize = 1024;

/// A stanza error with a `pubsub#errors` condition.
pub(crate) fn error(condition: Condition, app: &str) -> StanzaError {
    StanzaError::new(condition).with_app(Element::new(app, ns::PUBSUB_ERRORS))
}

/// A request for something this service does not do (XEP-0060 §7.1.3.1 and alike).
pub(crate) fn unsupported(feature: &str) -> StanzaError {
    StanzaError::new(Condition::FeatureNotImplemented)
        .with_app(Element::new("unsupported", ns::PUBSUB_ERRORS).with_attr("feature", feature))
}

pub(crate) fn bad_request(app: &str) -> StanzaError {
    StanzaError::with_type(ErrorType::Modify, Condition::BadRequest).with_app(Element::new(app, ns::PUBSUB_ERRORS))
}

pub(crate) fn precondition_not_met(why: impl Into<String>) -> StanzaError {
    error(Condition::Conflict, "precondition-not-met").with_text(why)
}

/// A node name or item id: present, not empty, not too long.
pub(crate) fn name_of<'a>(element: &'a Element, attr: &str) -> Option<&'a str> {
    element.attr(attr).filter(|n| !n.is_empty() && n.len() <= MAX_NAME)
}

/// The node a request names (`bad-request` + `nodeid-required` otherwise).
pub(crate) fn node_of(action: &Element) -> Result<&str, StanzaError> {
    name_of(action, "node").ok_or_else(|| bad_request("nodeid-required"))
}

/// A parsed `<publish/>` (XEP-0060 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublishRequest {
    pub node: String,
    pub id: Option<String>,
    pub payload: Element,
    /// The `<publish-options/>` form, if any.
    pub options: Option<Form>,
}

/// Reads `<pubsub><publish/><publish-options/>?</pubsub>`.
pub(crate) fn parse_publish(pubsub: &Element, publish: &Element) -> Result<PublishRequest, StanzaError> {
    let node = node_of(publish)?.to_owned();
    let mut items = publish.elements().filter(|e| e.is("item", ns::PUBSUB));
    let (Some(item), None) = (items.next(), items.next()) else {
        // None, or several: one item per publication.
        return Err(bad_request("item-required"));
    };
    let id = match item.attr("id") {
        None => None,
        Some(_) => Some(
            name_of(item, "id")
                .ok_or_else(|| bad_request("invalid-payload"))?
                .to_owned(),
        ),
    };
    let mut payloads = item.elements();
    let payload = match (payloads.next(), payloads.next()) {
        (Some(p), None) => p.clone(),
        (None, _) => return Err(bad_request("payload-required")),
        (Some(_), Some(_)) => return Err(bad_request("invalid-payload")),
    };
    let options = match pubsub.child("publish-options", ns::PUBSUB) {
        None => None,
        Some(o) => {
            let form = o.elements().find_map(Form::parse);
            match form {
                // An empty <publish-options/> asks for nothing.
                None if o.elements().next().is_none() => None,
                None => return Err(bad_request("invalid-options")),
                Some(f) if f.kind != "submit" || f.form_type().is_some_and(|t| t != ns::PUBSUB_PUBLISH_OPTIONS) => {
                    return Err(bad_request("invalid-options"))
                }
                Some(f) => Some(f),
            }
        }
    };
    Ok(PublishRequest {
        node,
        id,
        payload,
        options,
    })
}

/// `<pubsub><publish node><item id/></publish></pubsub>`: the result of a publication.
pub(crate) fn published(node: &str, id: &str) -> Element {
    Element::new("pubsub", ns::PUBSUB).with_child(
        Element::new("publish", ns::PUBSUB)
            .with_attr("node", node)
            .with_child(Element::new("item", ns::PUBSUB).with_attr("id", id)),
    )
}

/// `<item id>payload</item>` in namespace `in_ns` (pubsub for results, #event for
/// notifications).
pub(crate) fn item(in_ns: &str, id: &str, payload: Option<Element>) -> Element {
    let item = Element::new("item", in_ns).with_attr("id", id);
    match payload {
        Some(p) => item.with_child(p),
        None => item,
    }
}

/// `<event><items node>…</items></event>` around items or retractions.
pub(crate) fn items_event(node: &str, children: Vec<Element>) -> Element {
    let mut items = Element::new("items", ns::PUBSUB_EVENT).with_attr("node", node);
    for c in children {
        items = items.with_child(c);
    }
    Element::new("event", ns::PUBSUB_EVENT).with_child(items)
}

pub(crate) fn retract_event(node: &str, id: &str) -> Element {
    items_event(
        node,
        vec![Element::new("retract", ns::PUBSUB_EVENT).with_attr("id", id)],
    )
}

/// `<event><delete node/></event>` or `<event><purge node/></event>`.
pub(crate) fn node_event(what: &str, node: &str) -> Element {
    Element::new("event", ns::PUBSUB_EVENT).with_child(Element::new(what, ns::PUBSUB_EVENT).with_attr("node", node))
}

/// A notification from the PEP service `owner` to one resource (XEP-0163 §4.3.1); an
/// item sent late (the last published one) carries when it was published.
pub(crate) fn notification(owner: &BareJid, to: &FullJid, event: Element, delay: Option<String>) -> Element {
    let mut m = Element::new("message", ns::CLIENT)
        .with_attr("from", owner.to_string())
        .with_attr("to", to.to_string())
        .with_attr("type", "headline")
        .with_attr("id", format!("pep-{}", super::super::hex(&rand::random::<[u8; 8]>())))
        .with_child(event);
    if let Some(stamp) = delay {
        m = m.with_child(
            Element::new("delay", ns::DELAY)
                .with_attr("from", owner.to_string())
                .with_attr("stamp", stamp),
        );
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::xml;

    fn parse(pubsub: &str) -> Result<PublishRequest, StanzaError> {
        let pubsub = xml(pubsub);
        let publish = pubsub.child("publish", ns::PUBSUB).unwrap().clone();
        parse_publish(&pubsub, &publish)
    }

    fn app(e: &StanzaError) -> String {
        e.app_condition.as_ref().map(|a| a.name.clone()).unwrap_or_default()
    }

    #[test]
    fn a_publication_has_one_item_with_one_payload() {
        let ok = parse(
            "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:metadata'>\
             <item id='abc'><metadata xmlns='urn:xmpp:avatar:metadata'/></item></publish>\
             <publish-options><x xmlns='jabber:x:data' type='submit'>\
             <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>\
             <field var='pubsub#access_model'><value>open</value></field></x></publish-options></pubsub>",
        )
        .unwrap();
        assert_eq!(ok.node, "urn:xmpp:avatar:metadata");
        assert_eq!(ok.id.as_deref(), Some("abc"));
        assert!(ok.payload.is("metadata", "urn:xmpp:avatar:metadata"));
        assert_eq!(
            ok.options.unwrap().field("pubsub#access_model").unwrap().value(),
            "open"
        );

        let refused = |x: &str| app(&parse(x).unwrap_err());
        let wrap = |inner: &str| format!("<pubsub xmlns='http://jabber.org/protocol/pubsub'>{inner}</pubsub>");
        assert_eq!(
            refused(&wrap("<publish><item><a xmlns='x'/></item></publish>")),
            "nodeid-required"
        );
        assert_eq!(refused(&wrap("<publish node='n'/>")), "item-required");
        assert_eq!(
            refused(&wrap(
                "<publish node='n'><item><a xmlns='x'/></item><item><a xmlns='x'/></item></publish>"
            )),
            "item-required"
        );
        assert_eq!(
            refused(&wrap("<publish node='n'><item id='1'/></publish>")),
            "payload-required"
        );
        assert_eq!(
            refused(&wrap(
                "<publish node='n'><item><a xmlns='x'/><b xmlns='x'/></item></publish>"
            )),
            "invalid-payload"
        );
        assert_eq!(
            refused(&wrap(
                "<publish node='n'><item><a xmlns='x'/></item></publish>\
                 <publish-options><x xmlns='jabber:x:data' type='submit'>\
                 <field var='FORM_TYPE' type='hidden'><value>urn:other</value></field></x></publish-options>"
            )),
            "invalid-options"
        );
        let long = "n".repeat(MAX_NAME + 1);
        assert_eq!(
            refused(&wrap(&format!(
                "<publish node='{long}'><item><a xmlns='x'/></item></publish>"
            ))),
            "nodeid-required"
        );
    }

    #[test]
    fn a_notification_comes_from_the_bare_jid_as_a_headline() {
        let owner = BareJid::new("alice@localhost").unwrap();
        let to = FullJid::new("bob@localhost/phone").unwrap();
        let event = items_event("n", vec![item(ns::PUBSUB_EVENT, "1", Some(xml("<a xmlns='x'/>")))]);
        let m = notification(&owner, &to, event, Some("2024-01-01T00:00:00.000Z".into()));
        assert_eq!(m.attr("from"), Some("alice@localhost"));
        assert_eq!(m.attr("type"), Some("headline"));
        let items = m
            .child("event", ns::PUBSUB_EVENT)
            .unwrap()
            .child("items", ns::PUBSUB_EVENT)
            .unwrap();
        assert_eq!(items.attr("node"), Some("n"));
        assert!(m.child("delay", ns::DELAY).is_some());
        let e = error(Condition::NotAuthorized, "presence-subscription-required").to_element();
        assert_eq!(e.attr("type"), Some("auth"));
    }
}

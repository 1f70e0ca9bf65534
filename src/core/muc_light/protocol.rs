//! MUC Light on the wire (`urn:xmpp:muclight:0`, as MongooseIM defines it): reading the
//! `#create`, `#configuration` and `#affiliations` payloads, and writing their results
//! and the notifications occupants receive. Pure functions of elements and rooms.

use super::rules::Change;
use super::Refusal;
use crate::core::stanza::ns;
use crate::store::{Affiliation, Room};
use crate::xml::Element;

/// Configuration fields a request sets (MUC Light's default schema: `roomname`,
/// `subject`); absent ones stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFields {
    pub name: Option<String>,
    pub subject: Option<String>,
}

/// Reads configuration fields from the children of `el` (a `#configuration` query, or
/// the `<configuration/>` of a `#create`).
pub(crate) fn parse_config(el: &Element) -> Result<ConfigFields, Refusal> {
    let mut fields = ConfigFields::default();
    for child in el.elements() {
        let slot = match child.name.as_str() {
            "roomname" => &mut fields.name,
            "subject" => &mut fields.subject,
            "version" => return Err(Refusal::BadRequest("Version element not allowed".into())),
            other => return Err(Refusal::BadRequest(format!("Unknown configuration field {other}"))),
        };
        if slot.is_some() {
            return Err(Refusal::BadRequest(format!("{} given twice", child.name)));
        }
        *slot = Some(child.text());
    }
    Ok(fields)
}

/// Reads `<user affiliation='owner|member|none'>bare-jid</user>` items.
pub(crate) fn parse_users(el: &Element) -> Result<Vec<Change>, Refusal> {
    let mut changes = Vec::new();
    for user in el.elements() {
        if user.name != "user" {
            return Err(Refusal::BadRequest(format!("Unexpected element {}", user.name)));
        }
        let text = user.text();
        let jid = crate::core::jid::parse_account(text.trim())
            .ok()
            .ok_or_else(|| Refusal::BadRequest(format!("Invalid user JID: {text}")))?;
        let affiliation = match user.attr("affiliation") {
            Some("none") => None,
            Some(a) => {
                Some(Affiliation::parse(a).ok_or_else(|| Refusal::BadRequest(format!("Invalid affiliation: {a}")))?)
            }
            None => return Err(Refusal::BadRequest("Missing affiliation".into())),
        };
        changes.push((jid.to_string(), affiliation));
    }
    Ok(changes)
}

/// The `<version/>` a client says it has, if any (then an unchanged room gets an empty
/// result).
pub(crate) fn known_version(query: &Element) -> Option<String> {
    query
        .elements()
        .find(|e| e.name == "version")
        .map(Element::text)
        .filter(|v| !v.is_empty())
}

fn text(name: &str, ns: &str, value: &str) -> Element {
    Element::new(name, ns).with_text(value)
}

fn user_element(ns: &str, user: &str, affiliation: Option<Affiliation>) -> Element {
    let a = affiliation.map_or("none", Affiliation::as_str);
    Element::new("user", ns).with_attr("affiliation", a).with_text(user)
}

fn config_children(ns: &str, name: &str, subject: &str) -> [Element; 2] {
    [text("roomname", ns, name), text("subject", ns, subject)]
}

/// The `#configuration` get result.
pub(crate) fn configuration_result(room: &Room) -> Element {
    let ns = ns::MUCLIGHT_CONFIGURATION;
    let mut q = Element::new("query", ns).with_child(text("version", ns, &room.version));
    for c in config_children(ns, &room.name, &room.subject) {
        q = q.with_child(c);
    }
    q
}

/// The `#affiliations` get result: every occupant in the order they joined.
pub(crate) fn affiliations_result(room: &Room) -> Element {
    let ns = ns::MUCLIGHT_AFFILIATIONS;
    let mut q = Element::new("query", ns).with_child(text("version", ns, &room.version));
    for o in &room.occupants {
        q = q.with_child(user_element(ns, &o.user, Some(o.affiliation)));
    }
    q
}

/// The `#info` get result: version, configuration and occupants.
pub(crate) fn info_result(room: &Room) -> Element {
    let ns = ns::MUCLIGHT_INFO;
    let mut configuration = Element::new("configuration", ns);
    for c in config_children(ns, &room.name, &room.subject) {
        configuration = configuration.with_child(c);
    }
    let mut occupants = Element::new("occupants", ns);
    for o in &room.occupants {
        occupants = occupants.with_child(user_element(ns, &o.user, Some(o.affiliation)));
    }
    Element::new("query", ns)
        .with_child(text("version", ns, &room.version))
        .with_child(configuration)
        .with_child(occupants)
}

/// A groupchat notification from the room (its `to` is set per recipient). The empty
/// `<body/>` is MUC Light's, so that clients and archives treat it as a message.
fn notice(room: &str, id: &str, payloads: Vec<Element>) -> Element {
    let mut m = Element::new("message", ns::CLIENT)
        .with_attr("from", room)
        .with_attr("type", "groupchat")
        .with_attr("id", id);
    for p in payloads {
        m = m.with_child(p);
    }
    m.with_child(Element::new("body", ns::CLIENT))
}

/// An affiliation change notice: `prev-version`/`version` when given, then the users.
pub(crate) fn affiliation_notice(
    room: &str,
    id: &str,
    prev_version: Option<&str>,
    version: Option<&str>,
    users: &[Change],
) -> Element {
    let ns = ns::MUCLIGHT_AFFILIATIONS;
    let mut x = Element::new("x", ns);
    if let Some(v) = prev_version {
        x = x.with_child(text("prev-version", ns, v));
    }
    if let Some(v) = version {
        x = x.with_child(text("version", ns, v));
    }
    for (user, affiliation) in users {
        x = x.with_child(user_element(ns, user, *affiliation));
    }
    notice(room, id, vec![x])
}

/// A configuration change notice with the fields that were set.
pub(crate) fn configuration_notice(
    room: &str,
    id: &str,
    prev_version: &str,
    version: &str,
    fields: &ConfigFields,
) -> Element {
    let ns = ns::MUCLIGHT_CONFIGURATION;
    let mut x = Element::new("x", ns)
        .with_child(text("prev-version", ns, prev_version))
        .with_child(text("version", ns, version));
    if let Some(n) = &fields.name {
        x = x.with_child(text("roomname", ns, n));
    }
    if let Some(s) = &fields.subject {
        x = x.with_child(text("subject", ns, s));
    }
    notice(room, id, vec![x])
}

/// The notice each occupant of a destroyed room gets.
pub(crate) fn destroy_notice(room: &str, id: &str, user: &str) -> Element {
    let affiliations =
        Element::new("x", ns::MUCLIGHT_AFFILIATIONS).with_child(user_element(ns::MUCLIGHT_AFFILIATIONS, user, None));
    notice(room, id, vec![Element::new("x", ns::MUCLIGHT_DESTROY), affiliations])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    #[test]
    fn configuration_and_users_parse_and_bad_ones_are_refused() {
        let q = parse_element("<query xmlns='urn:xmpp:muclight:0#configuration'><roomname>Cave</roomname></query>")
            .unwrap();
        assert_eq!(
            parse_config(&q).unwrap(),
            ConfigFields {
                name: Some("Cave".into()),
                subject: None
            }
        );
        for bad in [
            "<version>1</version>",
            "<colour>red</colour>",
            "<subject>a</subject><subject>b</subject>",
        ] {
            let q = parse_element(&format!(
                "<query xmlns='urn:xmpp:muclight:0#configuration'>{bad}</query>"
            ))
            .unwrap();
            assert!(matches!(parse_config(&q), Err(Refusal::BadRequest(_))), "{bad}");
        }
        let q = parse_element(
            "<query xmlns='urn:xmpp:muclight:0#affiliations'>\
             <user affiliation='member'>Bob@LocalHost</user><user affiliation='none'>carol@localhost</user></query>",
        )
        .unwrap();
        assert_eq!(
            parse_users(&q).unwrap(),
            [
                ("bob@localhost".to_owned(), Some(Affiliation::Member)),
                ("carol@localhost".to_owned(), None)
            ]
        );
        for bad in [
            "<user affiliation='boss'>a@b</user>",
            "<user>a@b</user>",
            "<user affiliation='member'>nobody</user>",
        ] {
            let q = parse_element(&format!(
                "<query xmlns='urn:xmpp:muclight:0#affiliations'>{bad}</query>"
            ))
            .unwrap();
            assert!(matches!(parse_users(&q), Err(Refusal::BadRequest(_))), "{bad}");
        }
    }

    #[test]
    fn notices_carry_versions_users_and_an_empty_body() {
        let n = affiliation_notice(
            "r@muclight.localhost",
            "i1",
            Some("v1"),
            Some("v2"),
            &[("bob@localhost".into(), None)],
        );
        assert_eq!(
            n.to_xml(""),
            "<message xmlns='jabber:client' from='r@muclight.localhost' type='groupchat' id='i1'>\
             <x xmlns='urn:xmpp:muclight:0#affiliations'><prev-version>v1</prev-version><version>v2</version>\
             <user affiliation='none'>bob@localhost</user></x><body/></message>"
        );
        let d = destroy_notice("r@muclight.localhost", "i2", "bob@localhost");
        assert!(d.child("x", ns::MUCLIGHT_DESTROY).is_some());
    }
}

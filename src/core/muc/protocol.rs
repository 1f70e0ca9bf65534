//! The XEP-0045 vocabulary as XML: what a join carries (`<x xmlns='…muc'>` with a
//! password and a history request), `muc#admin` items, mediated invitations and declines
//! (§7.8.2), and what the room sends: occupant presence with the `muc#user` item and
//! status codes (§15.6.2: 100 non-anonymous, 110 self, 170 logged, 201 created, 301
//! banned, 303 new nick, 307 kicked, 321 removed by an affiliation change, 322 removed
//! when the room became members-only, 104/172/173/170/171 configuration changes), the
//! subject, room destruction, errors carrying the MUC element (§7.2.6).

use super::history::HistoryRequest;
use super::rules::{Affiliation, Role};
use crate::core::stanza::{self, ns, Condition, ErrorType, StanzaError};
use crate::xml::{Element, Node};
use jid::{BareJid, Jid};

/// Status codes (§15.6.2).
pub(crate) mod status {
    pub const NON_ANONYMOUS: u16 = 100;
    pub const CONFIG_CHANGED: u16 = 104;
    pub const SELF: u16 = 110;
    pub const LOGGING_ON: u16 = 170;
    pub const LOGGING_OFF: u16 = 171;
    pub const NOW_NON_ANONYMOUS: u16 = 172;
    pub const NOW_SEMI_ANONYMOUS: u16 = 173;
    pub const CREATED: u16 = 201;
    pub const BANNED: u16 = 301;
    pub const NEW_NICK: u16 = 303;
    pub const KICKED: u16 = 307;
    pub const AFFILIATION_CHANGED: u16 = 321;
    pub const MEMBERS_ONLY: u16 = 322;
}

/// What a presence to an occupant JID asks for when it enters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Join {
    /// It carried `<x xmlns='http://jabber.org/protocol/muc'/>` (not a groupchat 1.0 client).
    pub muc: bool,
    pub password: Option<String>,
    pub history: HistoryRequest,
}

pub(crate) fn parse_join(presence: &Element) -> Join {
    let Some(x) = presence.child("x", ns::MUC) else {
        return Join::default();
    };
    Join {
        muc: true,
        password: x.child("password", ns::MUC).map(Element::text),
        history: HistoryRequest::parse(x.child("history", ns::MUC)),
    }
}

/// What an occupant's presence shows others: the client's own payload (show, status,
/// priority, capabilities…), without MUC elements a client put there.
pub(crate) fn shown_payload(presence: &Element) -> Element {
    let mut shown = Element::new("presence", ns::CLIENT);
    shown.children = presence
        .children
        .iter()
        .filter(|n| match n {
            Node::Element(e) => !(e.name == "x" && (e.ns == ns::MUC || e.ns == ns::MUC_USER)),
            Node::Text(_) => false,
        })
        .cloned()
        .collect();
    shown
}

/// The `<item/>` describing an occupant or a user (`muc#user` or `muc#admin`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Item<'a> {
    pub affiliation: Option<Affiliation>,
    pub role: Option<Role>,
    pub jid: Option<&'a str>,
    pub nick: Option<&'a str>,
    /// The nick of the moderator who acted.
    pub actor: Option<&'a str>,
    pub reason: Option<&'a str>,
}

impl Item<'_> {
    pub fn to_element(&self, namespace: &str) -> Element {
        let mut item = Element::new("item", namespace);
        if let Some(a) = self.affiliation {
            item.set_attr("affiliation", a.as_str());
        }
        if let Some(r) = self.role {
            item.set_attr("role", r.as_str());
        }
        if let Some(j) = self.jid {
            item.set_attr("jid", j);
        }
        if let Some(n) = self.nick {
            item.set_attr("nick", n);
        }
        if let Some(actor) = self.actor {
            item = item.with_child(Element::new("actor", namespace).with_attr("nick", actor));
        }
        if let Some(reason) = self.reason {
            item = item.with_child(Element::new("reason", namespace).with_text(reason));
        }
        item
    }
}

/// `<x xmlns='…muc#user'>` with `children` and status codes.
pub(crate) fn user_x(children: Vec<Element>, statuses: &[u16]) -> Element {
    let mut x = Element::new("x", ns::MUC_USER);
    for c in children {
        x = x.with_child(c);
    }
    for code in statuses {
        x = x.with_child(Element::new("status", ns::MUC_USER).with_attr("code", code.to_string()));
    }
    x
}

/// A presence from an occupant JID: `payload`'s children, then the `muc#user` element.
pub(crate) fn occupant_presence(from: &str, payload: &Element, unavailable: bool, x: Element) -> Element {
    let mut p = Element::new("presence", ns::CLIENT).with_attr("from", from);
    if unavailable {
        p.set_attr("type", "unavailable");
    }
    p.children = payload.children.clone();
    p.with_child(x)
}

/// Sets `to` on a stanza the room sends.
pub(crate) fn addressed(mut stanza: Element, to: &str) -> Element {
    stanza.set_attr("to", to);
    stanza
}

/// The subject as a newcomer gets it after the history (§7.2.16), and as a change goes
/// to everyone (§8.1): from the occupant who set it, or from the room.
pub(crate) fn subject_message(from: &str, subject: &str) -> Element {
    let element = Element::new("subject", ns::CLIENT);
    let element = if subject.is_empty() {
        element
    } else {
        element.with_text(subject)
    };
    Element::new("message", ns::CLIENT)
        .with_attr("from", from)
        .with_attr("type", "groupchat")
        .with_attr("id", super::new_id())
        .with_child(element)
}

/// A message from the room carrying only status codes (§10.2.1, configuration changes).
pub(crate) fn status_message(room: &str, statuses: &[u16]) -> Element {
    Element::new("message", ns::CLIENT)
        .with_attr("from", room)
        .with_attr("type", "groupchat")
        .with_attr("id", super::new_id())
        .with_child(user_x(Vec::new(), statuses))
}

/// The `<destroy/>` of a destroyed room's last presence (§10.9).
pub(crate) fn destroy_element(namespace: &str, alternate: Option<&str>, reason: Option<&str>) -> Element {
    let mut d = Element::new("destroy", namespace);
    if let Some(j) = alternate {
        d.set_attr("jid", j);
    }
    if let Some(r) = reason {
        d = d.with_child(Element::new("reason", namespace).with_text(r));
    }
    d
}

/// An error answering a presence to a room, with the MUC element clients look for
/// (§7.2.6 and on).
pub(crate) fn presence_error(presence: &Element, error: StanzaError) -> Element {
    stanza::error_reply(presence, error).with_child(Element::new("x", ns::MUC))
}

fn bad(text: &str) -> StanzaError {
    StanzaError::with_type(ErrorType::Modify, Condition::BadRequest).with_text(text)
}

/// One `<item/>` of a `muc#admin` set (§8, §9): a role change names a nick, an
/// affiliation change a JID or a nick; never both a role and an affiliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdminItem {
    pub nick: Option<String>,
    pub jid: Option<BareJid>,
    pub change: AdminChange,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminChange {
    Role(Role),
    Affiliation(Affiliation),
}

fn parse_item(item: &Element) -> Result<AdminItem, StanzaError> {
    let role = item
        .attr("role")
        .map(|r| Role::parse(r).ok_or_else(|| bad("Unknown role")));
    let affiliation = item
        .attr("affiliation")
        .map(|a| Affiliation::parse(a).ok_or_else(|| bad("Unknown affiliation")));
    let change = match (role, affiliation) {
        (Some(r), None) => AdminChange::Role(r?),
        (None, Some(a)) => AdminChange::Affiliation(a?),
        _ => return Err(bad("An item changes either a role or an affiliation")),
    };
    let jid = match item.attr("jid") {
        Some(j) => {
            let j = crate::core::jid::parse(j).map_err(|_| {
                StanzaError::with_type(ErrorType::Modify, Condition::JidMalformed).with_text("Invalid JID")
            })?;
            if j.node().is_none() {
                return Err(bad("Affiliations are given to users, not domains"));
            }
            Some(j.to_bare())
        }
        None => None,
    };
    let nick = item.attr("nick").map(str::to_owned);
    match change {
        AdminChange::Role(_) if nick.is_none() => return Err(bad("A role change names a nick")),
        AdminChange::Affiliation(_) if nick.is_none() && jid.is_none() => {
            return Err(bad("An affiliation change names a JID or a nick"))
        }
        _ => {}
    }
    Ok(AdminItem {
        nick,
        jid,
        change,
        reason: item.child("reason", ns::MUC_ADMIN).map(Element::text),
    })
}

/// The items of a `muc#admin` set; at least one.
pub(crate) fn parse_admin_items(query: &Element) -> Result<Vec<AdminItem>, StanzaError> {
    let items: Vec<AdminItem> = query
        .elements()
        .filter(|e| e.is("item", ns::MUC_ADMIN))
        .map(parse_item)
        .collect::<Result<_, _>>()?;
    if items.is_empty() {
        return Err(bad("No item to change"));
    }
    Ok(items)
}

/// What a `muc#admin` get lists (§8.5, §9.5): users by affiliation or occupants by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminList {
    Role(Role),
    Affiliation(Affiliation),
}

pub(crate) fn parse_admin_list(query: &Element) -> Result<AdminList, StanzaError> {
    let mut items = query.elements().filter(|e| e.is("item", ns::MUC_ADMIN));
    let (Some(item), None) = (items.next(), items.next()) else {
        return Err(bad("A list is asked for with one item"));
    };
    match (item.attr("role"), item.attr("affiliation")) {
        (Some(r), None) => Role::parse(r).map(AdminList::Role).ok_or_else(|| bad("Unknown role")),
        (None, Some(a)) => Affiliation::parse(a)
            .map(AdminList::Affiliation)
            .ok_or_else(|| bad("Unknown affiliation")),
        _ => Err(bad("A list is asked for by role or by affiliation")),
    }
}

/// A mediated invitation (§7.8.2) or a decline (§7.8.2.1) an occupant sends the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invitation {
    pub to: Jid,
    pub reason: Option<String>,
}

/// The `invite` (or `decline`) children of a `muc#user` element.
pub(crate) fn parse_invitations(x: &Element, name: &str) -> Result<Vec<Invitation>, StanzaError> {
    x.elements()
        .filter(|e| e.is(name, ns::MUC_USER))
        .map(|e| {
            let to = e
                .attr("to")
                .ok_or_else(|| bad("An invitation names whom it is for"))
                .and_then(|t| {
                    crate::core::jid::parse(t).map_err(|_| {
                        StanzaError::with_type(ErrorType::Modify, Condition::JidMalformed).with_text("Invalid JID")
                    })
                })?;
            Ok(Invitation {
                to,
                reason: e.child("reason", ns::MUC_USER).map(Element::text),
            })
        })
        .collect()
}

/// The invitation the room sends the invitee.
pub(crate) fn invitation_message(room: &str, from: &str, reason: Option<&str>, password: Option<&str>) -> Element {
    let mut invite = Element::new("invite", ns::MUC_USER).with_attr("from", from);
    if let Some(r) = reason {
        invite = invite.with_child(Element::new("reason", ns::MUC_USER).with_text(r));
    }
    let mut x = Element::new("x", ns::MUC_USER).with_child(invite);
    if let Some(p) = password {
        x = x.with_child(Element::new("password", ns::MUC_USER).with_text(p));
    }
    Element::new("message", ns::CLIENT)
        .with_attr("from", room)
        .with_attr("id", super::new_id())
        .with_child(x)
}

/// The decline the room passes on to the inviter.
pub(crate) fn decline_message(room: &str, from: &str, reason: Option<&str>) -> Element {
    let mut decline = Element::new("decline", ns::MUC_USER).with_attr("from", from);
    if let Some(r) = reason {
        decline = decline.with_child(Element::new("reason", ns::MUC_USER).with_text(r));
    }
    Element::new("message", ns::CLIENT)
        .with_attr("from", room)
        .with_attr("id", super::new_id())
        .with_child(Element::new("x", ns::MUC_USER).with_child(decline))
}

/// A message as sent from the room's history: with the XEP-0203 delay (`from` the room).
pub(crate) fn delayed(mut message: Element, room: &str, stamp: &str) -> Element {
    message
        .children
        .retain(|n| !matches!(n, Node::Element(e) if e.is("delay", ns::DELAY)));
    message.with_child(
        Element::new("delay", ns::DELAY)
            .with_attr("from", room)
            .with_attr("stamp", stamp),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    fn xml(s: &str) -> Element {
        parse_element(s).unwrap()
    }

    #[test]
    fn a_join_carries_a_password_and_a_history_request() {
        let j = parse_join(&xml(
            "<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'>\
             <password>cauldron</password><history maxstanzas='3'/></x></presence>",
        ));
        assert!(j.muc);
        assert_eq!(j.password.as_deref(), Some("cauldron"));
        assert_eq!(j.history.max_stanzas, Some(3));
        assert_eq!(parse_join(&xml("<presence xmlns='jabber:client'/>")), Join::default());
    }

    #[test]
    fn the_shown_payload_keeps_the_clients_elements_but_not_muc_ones() {
        let shown = shown_payload(&xml("<presence xmlns='jabber:client' id='p1'><show>away</show>\
             <x xmlns='http://jabber.org/protocol/muc'/><x xmlns='http://jabber.org/protocol/muc#user'/>\
             <c xmlns='http://jabber.org/protocol/caps' ver='v'/></presence>"));
        let names: Vec<&str> = shown.elements().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["show", "c"]);
        assert!(shown.attrs.is_empty());
    }

    #[test]
    fn occupant_presence_carries_the_item_and_status_codes() {
        let item = Item {
            affiliation: Some(Affiliation::Member),
            role: Some(Role::None),
            actor: Some("crone"),
            reason: Some("Toil"),
            ..Default::default()
        };
        let p = occupant_presence(
            "coven@conference.localhost/hag",
            &Element::new("presence", ns::CLIENT),
            true,
            user_x(vec![item.to_element(ns::MUC_USER)], &[status::KICKED, status::SELF]),
        );
        assert_eq!(
            p.to_xml(ns::CLIENT),
            "<presence from='coven@conference.localhost/hag' type='unavailable'>\
             <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='none'>\
             <actor nick='crone'/><reason>Toil</reason></item>\
             <status code='307'/><status code='110'/></x></presence>"
        );
    }

    #[test]
    fn admin_items_change_a_role_by_nick_or_an_affiliation_by_jid_or_nick() {
        let q = |items: &str| {
            xml(&format!(
                "<query xmlns='http://jabber.org/protocol/muc#admin'>{items}</query>"
            ))
        };
        let items = parse_admin_items(&q("<item nick='hag' role='none'><reason>Out</reason></item>\
             <item jid='Witch@LocalHost/broom' affiliation='outcast'/>"))
        .unwrap();
        assert_eq!(items[0].change, AdminChange::Role(Role::None));
        assert_eq!(items[0].reason.as_deref(), Some("Out"));
        assert_eq!(items[1].jid.as_ref().unwrap().as_str(), "witch@localhost");
        assert_eq!(items[1].change, AdminChange::Affiliation(Affiliation::Outcast));
        for bad in [
            "<item jid='a@localhost' role='none'/>",
            "<item nick='a' role='none' affiliation='member'/>",
            "<item role='king' nick='a'/>",
            "<item affiliation='member'/>",
            "<item jid='localhost' affiliation='outcast'/>",
            "",
        ] {
            assert!(parse_admin_items(&q(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            parse_admin_list(&q("<item affiliation='outcast'/>")).unwrap(),
            AdminList::Affiliation(Affiliation::Outcast)
        );
        assert_eq!(
            parse_admin_list(&q("<item role='moderator'/>")).unwrap(),
            AdminList::Role(Role::Moderator)
        );
        assert!(parse_admin_list(&q("<item role='moderator' affiliation='owner'/>")).is_err());
    }

    #[test]
    fn invitations_name_their_invitee() {
        let x = xml(
            "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='hecate@localhost'>\
             <reason>Join us</reason></invite><invite to='@@'/></x>",
        );
        assert!(parse_invitations(&x, "invite").is_err());
        let x = xml(
            "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='hecate@localhost'>\
             <reason>Join us</reason></invite></x>",
        );
        let invites = parse_invitations(&x, "invite").unwrap();
        assert_eq!(invites[0].to.as_str(), "hecate@localhost");
        assert_eq!(invites[0].reason.as_deref(), Some("Join us"));
        let m = invitation_message(
            "coven@conference.localhost",
            "crone@localhost",
            Some("Join us"),
            Some("pw"),
        );
        let x = m.child("x", ns::MUC_USER).unwrap();
        assert_eq!(
            x.child("invite", ns::MUC_USER).unwrap().attr("from"),
            Some("crone@localhost")
        );
        assert_eq!(x.child("password", ns::MUC_USER).unwrap().text(), "pw");
    }

    #[test]
    fn an_empty_subject_is_an_empty_element_and_errors_carry_the_muc_element() {
        let s = subject_message("coven@conference.localhost", "");
        assert!(s.child("subject", ns::CLIENT).unwrap().children.is_empty());
        let join = xml("<presence xmlns='jabber:client' from='a@localhost/x' to='coven@conference.localhost/a'/>");
        let e = presence_error(&join, StanzaError::new(Condition::Conflict));
        assert_eq!(e.attr("type"), Some("error"));
        assert!(e.child("x", ns::MUC).is_some());
        assert_eq!(e.attr("from"), Some("coven@conference.localhost/a"));
    }
}

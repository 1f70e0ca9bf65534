//! One room's state and everything that changes it, as plain functions: each operation
//! checks what XEP-0045 requires, updates the room, and returns the stanzas to send
//! (`Out`), in the order they must go. The service (`super`) holds the room's lock
//! around an operation, persists what must outlive it, archives, and routes the result.
//!
//! - Entering (§7.2): locked rooms (§10.1.1) admit only owners (`item-not-found`);
//!   outcasts are `forbidden`, non-members of a members-only room
//!   `registration-required`, a wrong password `not-authorized`, a nick someone else holds
//!   a `conflict`, a full room `service-unavailable`. The newcomer gets every occupant's
//!   presence, everyone the newcomer's, and the newcomer its own last (status 110; 100
//!   when non-anonymous, 170 when logged, 201 when it created the room). A second session
//!   of the same user under the same nick joins that occupant (§7.2.1).
//! - Presence updates go to everyone (§7.7); a new nick is announced as unavailable with
//!   303 then available (§7.6); leaving is unavailable to everyone (§7.14).
//! - Group chat (§7.4): occupants with voice; a subject-only message changes the subject
//!   (§8.1) for moderators, or for participants when the room allows it. Private
//!   messages (§7.5) go between occupants by nick. Mediated invitations (§7.8.2).
//! - Real JIDs (§7.2.3/§7.2.4): in presence `<item jid/>` to moderators, or to everyone
//!   when the room is non-anonymous (`whois` = `anyone`).
//! - Moderation (§8, §9, §10): role and affiliation changes through `muc#admin`, with
//!   the status codes of kicks (307), bans (301) and members-only removals (321, 322);
//!   configuration (§10.2) and destruction (§10.9).

use super::protocol::{self, status, AdminChange, AdminItem, AdminList, Item, Join};
use super::room_config::{RoomConfig, Whois};
use super::rules::{self, Actor, Affiliation, Role};
use super::Limits;
use crate::core::session::Outbound;
use crate::core::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::xml::{Element, Node, SharedElement};
use jid::{BareJid, FullJid, Jid};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// A stanza the room sends: `stanza` carries its `to`; `from` is what the router is told.
#[derive(Debug, Clone)]
pub(crate) struct Out {
    pub from: Jid,
    pub stanza: Outbound,
}

impl Out {
    /// `stanza` for `to` alone.
    fn one(from: Jid, stanza: Element, to: &FullJid) -> Out {
        Out {
            from,
            stanza: protocol::addressed(stanza, to.as_str()).into(),
        }
    }

    /// `to`'s copy of a stanza the room sends to several sessions.
    fn copy(from: Jid, shared: &Arc<SharedElement>, to: &FullJid) -> Out {
        Out {
            from,
            stanza: Outbound::copy(shared, Jid::from(to.clone())),
        }
    }
}

/// Someone in the room: one nick, one user, one or more of that user's sessions.
#[derive(Debug, Clone)]
pub(crate) struct Occupant {
    /// `room@service/nick`.
    pub jid: FullJid,
    /// The real bare JID.
    pub user: BareJid,
    /// The real full JIDs in the room under this nick, first joined first.
    pub sessions: Vec<FullJid>,
    pub role: Role,
    /// The presence payload the occupant shows ([`protocol::shown_payload`]).
    pub shown: Element,
}

impl Occupant {
    pub fn nick(&self) -> &str {
        self.jid.resource().as_str()
    }
}

/// A room in memory. Occupants are sessions and live only here; the rest is stored when
/// the room is persistent.
#[derive(Debug, Clone)]
pub(crate) struct Room {
    pub jid: BareJid,
    pub config: RoomConfig,
    pub subject: String,
    /// The nick that set the subject; empty when the room did.
    pub subject_by: String,
    /// Bare JID → affiliation (`none` is absence).
    pub affiliations: BTreeMap<String, Affiliation>,
    /// In the order they entered.
    pub occupants: Vec<Occupant>,
    /// Created and not configured yet (§10.1.1): only owners enter.
    pub locked: bool,
    /// The last messages of a room that is not archived, with their time (Unix ms).
    pub recent: VecDeque<(Element, i64)>,
    /// Set when the room is gone, for whoever waited for its lock meanwhile.
    pub destroyed: bool,
    /// Whether storage holds the room now.
    pub stored: bool,
}

/// What the service knows about a join besides the stanza.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JoinContext<'a> {
    pub limits: &'a Limits,
    /// The join created the room.
    pub created: bool,
    /// Rooms the user occupies besides this one.
    pub rooms_elsewhere: usize,
}

/// What an available presence from a session did.
#[derive(Debug)]
pub(crate) enum Available {
    /// The session entered: history and the subject follow, to it.
    Entered(Vec<Out>),
    /// An occupant's presence or nick changed.
    Updated(Vec<Out>),
}

/// A groupchat message from an occupant, accepted.
#[derive(Debug)]
pub(crate) enum Groupchat {
    /// To relay to everyone (the service archives it first): from the occupant JID,
    /// without `to`.
    Message(Element),
    /// The subject changed: this goes to everyone.
    Subject(Vec<Out>),
}

/// What one occupant's presence says in an announcement.
struct Notice<'a> {
    payload: &'a Element,
    unavailable: bool,
    role: Role,
    statuses: &'a [u16],
    new_nick: Option<&'a str>,
    actor: Option<&'a str>,
    reason: Option<&'a str>,
}

impl Notice<'_> {
    fn available(payload: &Element, role: Role) -> Notice<'_> {
        Notice {
            payload,
            unavailable: false,
            role,
            statuses: &[],
            new_nick: None,
            actor: None,
            reason: None,
        }
    }
}

fn error(kind: ErrorType, condition: Condition, text: impl Into<String>) -> StanzaError {
    StanzaError::with_type(kind, condition).with_text(text)
}

fn not_occupant() -> StanzaError {
    error(
        ErrorType::Modify,
        Condition::NotAcceptable,
        "Only occupants may do this; enter the room first",
    )
}

fn no_such_nick() -> StanzaError {
    error(ErrorType::Cancel, Condition::ItemNotFound, "No occupant has this nick")
}

/// The text of a nick or subject past its limit.
fn too_long(what: &str, max: usize) -> StanzaError {
    error(
        ErrorType::Modify,
        Condition::NotAcceptable,
        format!("The {what} is longer than {max} characters"),
    )
}

/// `stanza` without the elements only the room may add.
fn relayed_children(stanza: &Element) -> Vec<Node> {
    stanza
        .children
        .iter()
        .filter(|n| match n {
            Node::Element(e) => {
                !(e.is("stanza-id", ns::STANZA_ID) || e.is("x", ns::MUC_USER) || e.is("delay", ns::DELAY))
            }
            Node::Text(_) => false,
        })
        .cloned()
        .collect()
}

impl Room {
    /// A room `creator` just created: locked, with them as its owner.
    pub fn new(jid: BareJid, creator: &BareJid, config: RoomConfig) -> Room {
        let mut affiliations = BTreeMap::new();
        affiliations.insert(creator.to_string(), Affiliation::Owner);
        Room {
            jid,
            config,
            subject: String::new(),
            subject_by: String::new(),
            affiliations,
            occupants: Vec::new(),
            locked: true,
            recent: VecDeque::new(),
            destroyed: false,
            stored: false,
        }
    }

    pub fn affiliation(&self, user: &BareJid) -> Affiliation {
        self.affiliations
            .get(user.as_str())
            .copied()
            .unwrap_or(Affiliation::None)
    }

    fn owners(&self) -> usize {
        self.affiliations.values().filter(|a| **a == Affiliation::Owner).count()
    }

    /// The occupant `session` is in the room as.
    pub fn occupant_of(&self, session: &FullJid) -> Option<usize> {
        self.occupants.iter().position(|o| o.sessions.contains(session))
    }

    pub fn by_nick(&self, nick: &str) -> Option<usize> {
        self.occupants.iter().position(|o| o.nick() == nick)
    }

    /// Every session in the room.
    pub fn sessions(&self) -> impl Iterator<Item = &FullJid> {
        self.occupants.iter().flat_map(|o| o.sessions.iter())
    }

    fn room_jid(&self) -> Jid {
        Jid::from(self.jid.clone())
    }

    /// Whether `viewer` is shown real JIDs.
    fn sees_jids(&self, viewer: &Occupant) -> bool {
        self.config.whois == Whois::Anyone || viewer.role == Role::Moderator
    }

    /// The room is gone when nobody is in it, unless it is persistent and configured.
    pub fn vanishes(&self) -> bool {
        self.occupants.is_empty() && (!self.config.persistent || self.locked)
    }

    /// The subject as a newcomer gets it (§7.2.16).
    pub fn subject_message(&self, to: &FullJid) -> Out {
        let from = if self.subject_by.is_empty() {
            self.jid.to_string()
        } else {
            format!("{}/{}", self.jid, self.subject_by)
        };
        Out::one(self.room_jid(), protocol::subject_message(&from, &self.subject), to)
    }

    /// The presence of `subject` as `viewer` (an occupant) sees it.
    fn presence_for(
        &self,
        subject: &Occupant,
        notice: &Notice<'_>,
        viewer: Option<&Occupant>,
        statuses: &[u16],
    ) -> Element {
        let show_jid = viewer.is_none_or(|v| self.sees_jids(v));
        let item = Item {
            affiliation: Some(self.affiliation(&subject.user)),
            role: Some(notice.role),
            jid: subject.sessions.first().filter(|_| show_jid).map(|j| j.as_str()),
            nick: notice.new_nick,
            actor: notice.actor,
            reason: notice.reason,
        };
        protocol::occupant_presence(
            subject.jid.as_str(),
            notice.payload,
            notice.unavailable,
            protocol::user_x(vec![item.to_element(ns::MUC_USER)], statuses),
        )
    }

    /// Sends `subject`'s presence to every other occupant, then to its own sessions with
    /// status 110 (§7.2.3: one's own presence comes last).
    fn announce(&self, out: &mut Vec<Out>, subject: &Occupant, notice: &Notice<'_>) {
        let from = Jid::from(subject.jid.clone());
        self.tell_others(out, &from, subject, notice, notice.statuses);
        let mut own: Vec<u16> = notice.statuses.to_vec();
        own.push(status::SELF);
        let p = SharedElement::new(self.presence_for(subject, notice, None, &own));
        for s in &subject.sessions {
            out.push(Out::copy(from.clone(), &p, s));
        }
    }

    /// `subject`'s presence to every other occupant: one shared presence for those who
    /// see occupants' JIDs, one for those who do not.
    fn tell_others(&self, out: &mut Vec<Out>, from: &Jid, subject: &Occupant, notice: &Notice<'_>, statuses: &[u16]) {
        let mut shared: [Option<Arc<SharedElement>>; 2] = [None, None];
        for viewer in self.occupants.iter().filter(|v| v.jid != subject.jid) {
            let p = shared[usize::from(self.sees_jids(viewer))]
                .get_or_insert_with(|| SharedElement::new(self.presence_for(subject, notice, Some(viewer), statuses)));
            for s in &viewer.sessions {
                out.push(Out::copy(from.clone(), p, s));
            }
        }
    }

    /// What `session` gets on entering as occupant `i`: everyone else's presence, then
    /// its own with the status codes of the room.
    fn welcome(&self, i: usize, session: &FullJid, created: bool, out: &mut Vec<Out>) {
        let me = &self.occupants[i];
        for o in self.occupants.iter().filter(|o| o.jid != me.jid) {
            let p = self.presence_for(o, &Notice::available(&o.shown, o.role), Some(me), &[]);
            out.push(Out::one(Jid::from(o.jid.clone()), p, session));
        }
        let mut own = vec![status::SELF];
        if self.config.whois == Whois::Anyone {
            own.push(status::NON_ANONYMOUS);
        }
        if self.config.logging {
            own.push(status::LOGGING_ON);
        }
        if created {
            own.push(status::CREATED);
        }
        let p = self.presence_for(me, &Notice::available(&me.shown, me.role), None, &own);
        out.push(Out::one(Jid::from(me.jid.clone()), p, session));
    }

    /// An available presence from `session` to `room/nick`: entering, a presence update,
    /// or a new nick.
    pub fn available(
        &mut self,
        session: &FullJid,
        nick: &str,
        presence: &Element,
        join: &Join,
        ctx: JoinContext<'_>,
    ) -> Result<Available, StanzaError> {
        let limits = ctx.limits;
        let occupant_jid = self
            .jid
            .with_resource_str(nick)
            .map_err(|_| error(ErrorType::Modify, Condition::JidMalformed, "Invalid nick"))?;
        if nick.chars().count() > limits.max_nick_length {
            return Err(too_long("nick", limits.max_nick_length));
        }
        let shown = protocol::shown_payload(presence);
        if let Some(i) = self.occupant_of(session) {
            let mut out = Vec::new();
            if self.occupants[i].jid != occupant_jid {
                self.change_nick(i, occupant_jid, shown, &mut out)?;
                return Ok(Available::Updated(out));
            }
            self.occupants[i].shown = shown;
            if join.muc {
                // The client enters again (it lost track of the room): it gets everything
                // a newcomer gets.
                self.welcome(i, session, false, &mut out);
                return Ok(Available::Entered(out));
            }
            let o = &self.occupants[i];
            self.announce(&mut out, o, &Notice::available(&o.shown, o.role));
            return Ok(Available::Updated(out));
        }
        let user = session.to_bare();
        let affiliation = self.affiliation(&user);
        if self.locked && affiliation != Affiliation::Owner {
            return Err(error(
                ErrorType::Cancel,
                Condition::ItemNotFound,
                "This room is being created and is locked until it is configured",
            ));
        }
        if affiliation == Affiliation::Outcast {
            return Err(error(
                ErrorType::Auth,
                Condition::Forbidden,
                "You are banned from this room",
            ));
        }
        if self.config.members_only && affiliation < Affiliation::Member {
            return Err(error(
                ErrorType::Auth,
                Condition::RegistrationRequired,
                "This room is for members only",
            ));
        }
        if self.config.password_protected && join.password.as_deref() != Some(self.config.password.as_str()) {
            return Err(error(
                ErrorType::Auth,
                Condition::NotAuthorized,
                "This room needs the right password",
            ));
        }
        let mut out = Vec::new();
        if let Some(i) = self.by_nick(nick) {
            if self.occupants[i].user != user {
                return Err(error(
                    ErrorType::Cancel,
                    Condition::Conflict,
                    "Someone else in the room has this nick",
                ));
            }
            // Another session of the same user under the same nick (§7.2.1).
            self.occupants[i].sessions.push(session.clone());
            self.welcome(i, session, false, &mut out);
            return Ok(Available::Entered(out));
        }
        let max = if affiliation.is_admin() {
            self.config.max_users + limits.max_users_admin_threshold
        } else {
            self.config.max_users
        };
        if self.occupants.len() >= max {
            return Err(error(
                ErrorType::Wait,
                Condition::ServiceUnavailable,
                format!("The room is full (at most {} occupants)", self.config.max_users),
            ));
        }
        if ctx.rooms_elsewhere >= limits.max_user_conferences {
            return Err(error(
                ErrorType::Wait,
                Condition::ResourceConstraint,
                format!("You are in too many rooms (at most {})", limits.max_user_conferences),
            ));
        }
        self.occupants.push(Occupant {
            jid: occupant_jid,
            user,
            sessions: vec![session.clone()],
            role: rules::entering_role(affiliation, self.config.moderated),
            shown,
        });
        let i = self.occupants.len() - 1;
        // Everyone else learns of the newcomer; the newcomer gets the room, its own
        // presence last.
        let newcomer = &self.occupants[i];
        let notice = Notice::available(&newcomer.shown, newcomer.role);
        let from = Jid::from(newcomer.jid.clone());
        let mut broadcast = Vec::new();
        self.tell_others(&mut broadcast, &from, newcomer, &notice, &[]);
        let mut welcome = Vec::new();
        self.welcome(i, session, ctx.created, &mut welcome);
        // The newcomer's own presence stays last.
        let own = welcome.pop();
        out.extend(welcome);
        out.extend(broadcast);
        out.extend(own);
        Ok(Available::Entered(out))
    }

    /// Occupant `i` takes the nick of `new` (§7.6).
    fn change_nick(&mut self, i: usize, new: FullJid, shown: Element, out: &mut Vec<Out>) -> Result<(), StanzaError> {
        if let Some(j) = self.by_nick(new.resource().as_str()) {
            if j != i {
                return Err(error(
                    ErrorType::Cancel,
                    Condition::Conflict,
                    "Someone else in the room has this nick",
                ));
            }
        }
        if self.occupants[i].sessions.len() > 1 {
            return Err(error(
                ErrorType::Cancel,
                Condition::NotAcceptable,
                "This nick is in the room from several sessions; it cannot change for one of them",
            ));
        }
        let old = self.occupants[i].clone();
        let notice = Notice {
            unavailable: true,
            statuses: &[status::NEW_NICK],
            new_nick: Some(new.resource().as_str()),
            ..Notice::available(&old.shown, old.role)
        };
        self.announce(out, &old, &notice);
        self.occupants[i].jid = new;
        self.occupants[i].shown = shown;
        let o = &self.occupants[i];
        self.announce(out, o, &Notice::available(&o.shown, o.role));
        Ok(())
    }

    /// An unavailable presence from `session` (§7.14): the occupant leaves, or only this
    /// session when the nick has others. Not an occupant: nothing.
    pub fn leave(&mut self, session: &FullJid, presence: &Element) -> Vec<Out> {
        let mut out = Vec::new();
        let Some(i) = self.occupant_of(session) else {
            return out;
        };
        let payload = protocol::shown_payload(presence);
        if self.occupants[i].sessions.len() > 1 {
            self.occupants[i].sessions.retain(|s| s != session);
            let mut leaving = self.occupants[i].clone();
            leaving.sessions = vec![session.clone()];
            let notice = Notice {
                unavailable: true,
                ..Notice::available(&payload, Role::None)
            };
            let p = self.presence_for(&leaving, &notice, None, &[status::SELF]);
            out.push(Out::one(Jid::from(leaving.jid.clone()), p, session));
            return out;
        }
        let gone = self.occupants.remove(i);
        let notice = Notice {
            unavailable: true,
            ..Notice::available(&payload, Role::None)
        };
        self.announce(&mut out, &gone, &notice);
        out
    }

    /// Removes occupant `i` with `statuses` (kicked, banned…), telling everyone.
    fn remove(&mut self, i: usize, statuses: &[u16], actor: Option<&str>, reason: Option<&str>, out: &mut Vec<Out>) {
        let gone = self.occupants.remove(i);
        let empty = Element::new("presence", ns::CLIENT);
        let notice = Notice {
            unavailable: true,
            statuses,
            actor,
            reason,
            ..Notice::available(&empty, Role::None)
        };
        self.announce(out, &gone, &notice);
    }

    /// A groupchat message from `session` (§7.4, §8.1).
    pub fn groupchat(
        &mut self,
        session: &FullJid,
        message: &Element,
        limits: &Limits,
    ) -> Result<Groupchat, StanzaError> {
        let i = self.occupant_of(session).ok_or_else(not_occupant)?;
        let o = &self.occupants[i];
        let id = message.attr("id").map_or_else(super::new_id, str::to_owned);
        let subject = message.child("subject", ns::CLIENT);
        let says_more = message.child("body", ns::CLIENT).is_some() || message.child("thread", ns::CLIENT).is_some();
        if let (Some(subject), false) = (subject, says_more) {
            if !(o.role == Role::Moderator || (self.config.change_subject && o.role.has_voice())) {
                return Err(error(
                    ErrorType::Auth,
                    Condition::Forbidden,
                    "You may not change the subject of this room",
                ));
            }
            let text = subject.text();
            if text.chars().count() > limits.max_subject_length {
                return Err(too_long("subject", limits.max_subject_length));
            }
            let nick = o.nick().to_owned();
            let from = Jid::from(o.jid.clone());
            let mut change = protocol::subject_message(o.jid.as_str(), &text);
            change.set_attr("id", id);
            self.subject = text;
            self.subject_by = nick;
            let change = SharedElement::new(change);
            let out = self.sessions().map(|s| Out::copy(from.clone(), &change, s)).collect();
            return Ok(Groupchat::Subject(out));
        }
        if !o.role.has_voice() {
            return Err(error(
                ErrorType::Auth,
                Condition::Forbidden,
                "Visitors may not speak in this moderated room",
            ));
        }
        let mut relay = Element::new("message", ns::CLIENT)
            .with_attr("from", o.jid.to_string())
            .with_attr("type", "groupchat")
            .with_attr("id", id);
        relay.children = relayed_children(message);
        Ok(Groupchat::Message(relay))
    }

    /// The copies of a relayed groupchat message, one per session in the room, all
    /// sharing one stanza.
    pub fn to_everyone(&self, relay: Element) -> Vec<Out> {
        let from = relay
            .attr("from")
            .and_then(|f| Jid::new(f).ok())
            .unwrap_or_else(|| self.room_jid());
        let relay = SharedElement::new(relay);
        self.sessions().map(|s| Out::copy(from.clone(), &relay, s)).collect()
    }

    /// Keeps `relay` among the recent messages of a room that is not archived.
    pub fn remember(&mut self, relay: Element, now_ms: i64, cap: usize) {
        if cap == 0 {
            return;
        }
        while self.recent.len() >= cap {
            self.recent.pop_front();
        }
        self.recent.push_back((relay, now_ms));
    }

    /// A private message from `session` to the occupant `nick` (§7.5).
    pub fn private_message(&self, session: &FullJid, nick: &str, message: &Element) -> Result<Vec<Out>, StanzaError> {
        let i = self.occupant_of(session).ok_or_else(not_occupant)?;
        if message.attr("type") == Some("groupchat") {
            return Err(error(
                ErrorType::Modify,
                Condition::BadRequest,
                "Group chat goes to the room, not to an occupant",
            ));
        }
        let target = &self.occupants[self.by_nick(nick).ok_or_else(no_such_nick)?];
        let sender = &self.occupants[i];
        let mut relay = Element::new("message", ns::CLIENT).with_attr("from", sender.jid.to_string());
        for a in ["type", "id"] {
            if let Some(v) = message.attr(a) {
                relay.set_attr(a, v);
            }
        }
        relay.children = relayed_children(message);
        // Tells the recipient's client this came through a room (§7.5).
        let relay = SharedElement::new(relay.with_child(Element::new("x", ns::MUC_USER)));
        let from = Jid::from(sender.jid.clone());
        Ok(target
            .sessions
            .iter()
            .map(|s| Out::copy(from.clone(), &relay, s))
            .collect())
    }

    /// Mediated invitations from `session` (§7.8.2): to each invitee from the room. In a
    /// members-only room the invitee becomes a member. Returns whether affiliations changed.
    pub fn invite(
        &mut self,
        session: &FullJid,
        invitations: &[protocol::Invitation],
        limits: &Limits,
        out: &mut Vec<Out>,
    ) -> Result<bool, StanzaError> {
        let i = self.occupant_of(session).ok_or_else(not_occupant)?;
        let inviter = self.occupants[i].user.clone();
        let affiliation = self.affiliation(&inviter);
        if !(self.config.allow_invites || affiliation.is_admin() || self.occupants[i].role == Role::Moderator) {
            return Err(error(
                ErrorType::Auth,
                Condition::Forbidden,
                "Only moderators may invite others to this room",
            ));
        }
        let mut changed = false;
        for inv in invitations {
            let invitee = inv.to.to_bare();
            if self.config.members_only && self.affiliation(&invitee) == Affiliation::None {
                self.set_affiliation(&invitee, Affiliation::Member, limits)?;
                changed = true;
            }
        }
        let password = self.config.password_protected.then_some(self.config.password.as_str());
        for inv in invitations {
            let m = protocol::invitation_message(self.jid.as_str(), inviter.as_str(), inv.reason.as_deref(), password);
            out.push(Out {
                from: self.room_jid(),
                stanza: protocol::addressed(m, inv.to.as_str()).into(),
            });
        }
        Ok(changed)
    }

    /// Declines from `from`, passed on to the inviters they name (§7.8.2.1).
    pub fn declines(&self, from: &Jid, declines: &[protocol::Invitation]) -> Vec<Out> {
        declines
            .iter()
            .map(|d| {
                let m = protocol::decline_message(self.jid.as_str(), from.to_bare().as_str(), d.reason.as_deref());
                Out {
                    from: self.room_jid(),
                    stanza: protocol::addressed(m, d.to.as_str()).into(),
                }
            })
            .collect()
    }

    fn set_affiliation(
        &mut self,
        user: &BareJid,
        affiliation: Affiliation,
        limits: &Limits,
    ) -> Result<(), StanzaError> {
        if affiliation == Affiliation::None {
            self.affiliations.remove(user.as_str());
            return Ok(());
        }
        if !self.affiliations.contains_key(user.as_str()) && self.affiliations.len() >= limits.max_room_affiliations {
            return Err(error(
                ErrorType::Modify,
                Condition::PolicyViolation,
                format!(
                    "The room has as many affiliated users as it may (at most {})",
                    limits.max_room_affiliations
                ),
            ));
        }
        self.affiliations.insert(user.to_string(), affiliation);
        Ok(())
    }

    /// Removes the occupant `nick` on the service's own authority (the admin API), as a
    /// moderator's kick does (§8.2); `false` when nobody has that nick.
    pub fn kick_by_service(&mut self, nick: &str, reason: &str, out: &mut Vec<Out>) -> bool {
        let Some(i) = self.by_nick(nick) else {
            return false;
        };
        self.remove(i, &[status::KICKED], None, Some(reason), out);
        true
    }

    /// Role and affiliation changes asked by `actor` (§8, §9, §10), all or none: the
    /// caller applies them to a copy and keeps it only when this succeeds. Returns whether
    /// affiliations changed.
    pub fn admin(
        &mut self,
        actor: &Jid,
        items: &[AdminItem],
        limits: &Limits,
        out: &mut Vec<Out>,
    ) -> Result<bool, StanzaError> {
        let actor_session = actor.try_as_full().ok();
        let acting = actor_session.and_then(|s| self.occupant_of(s));
        let actor_nick = acting.map(|i| self.occupants[i].nick().to_owned());
        let actor_rights = Actor {
            role: acting.map(|i| self.occupants[i].role),
            affiliation: self.affiliation(&actor.to_bare()),
        };
        let mut changed = false;
        for item in items {
            let reason = item.reason.as_deref();
            match item.change {
                AdminChange::Role(role) => {
                    let nick = item.nick.as_deref().unwrap_or_default();
                    let i = self.by_nick(nick).ok_or_else(no_such_nick)?;
                    let target = self.affiliation(&self.occupants[i].user);
                    rules::may_change_role(actor_rights, target, role)?;
                    if role == Role::None {
                        self.remove(i, &[status::KICKED], actor_nick.as_deref(), reason, out);
                    } else {
                        self.occupants[i].role = role;
                        let o = &self.occupants[i];
                        let notice = Notice {
                            actor: actor_nick.as_deref(),
                            reason,
                            ..Notice::available(&o.shown, o.role)
                        };
                        self.announce(out, o, &notice);
                    }
                }
                AdminChange::Affiliation(new) => {
                    let user = match (&item.jid, &item.nick) {
                        (Some(j), _) => j.clone(),
                        (None, Some(n)) => self.occupants[self.by_nick(n).ok_or_else(no_such_nick)?].user.clone(),
                        (None, None) => return Err(no_such_nick()),
                    };
                    let old = self.affiliation(&user);
                    rules::may_change_affiliation(actor_rights.affiliation, old, new, self.owners())?;
                    if old == new {
                        continue;
                    }
                    self.set_affiliation(&user, new, limits)?;
                    changed = true;
                    // Every occupant of that user follows the change.
                    let mut i = 0;
                    while i < self.occupants.len() {
                        if self.occupants[i].user != user {
                            i += 1;
                            continue;
                        }
                        let leaves = match new {
                            Affiliation::Outcast => Some(status::BANNED),
                            _ if self.config.members_only && new < Affiliation::Member => {
                                Some(status::AFFILIATION_CHANGED)
                            }
                            _ => None,
                        };
                        if let Some(code) = leaves {
                            self.remove(i, &[code], actor_nick.as_deref(), reason, out);
                            continue;
                        }
                        let o = &mut self.occupants[i];
                        o.role = rules::role_after_affiliation(o.role, old, new, self.config.moderated);
                        let o = &self.occupants[i];
                        let notice = Notice {
                            actor: actor_nick.as_deref(),
                            reason,
                            ..Notice::available(&o.shown, o.role)
                        };
                        self.announce(out, o, &notice);
                        i += 1;
                    }
                }
            }
        }
        Ok(changed)
    }

    /// A `muc#admin` list (§8.5, §9.5, §10.5): affiliations for admins and owners,
    /// occupants by role for moderators.
    pub fn admin_list(&self, actor: &Jid, list: AdminList) -> Result<Element, StanzaError> {
        let acting = actor.try_as_full().ok().and_then(|s| self.occupant_of(s));
        let affiliation = self.affiliation(&actor.to_bare());
        let moderator = acting.is_some_and(|i| self.occupants[i].role == Role::Moderator);
        let mut query = Element::new("query", ns::MUC_ADMIN);
        match list {
            AdminList::Affiliation(wanted) => {
                if !affiliation.is_admin() {
                    return Err(error(
                        ErrorType::Auth,
                        Condition::Forbidden,
                        "Only admins and owners list affiliations",
                    ));
                }
                for (user, a) in self.affiliations.iter().filter(|(_, a)| **a == wanted) {
                    let item = Item {
                        affiliation: Some(*a),
                        jid: Some(user),
                        ..Default::default()
                    };
                    query = query.with_child(item.to_element(ns::MUC_ADMIN));
                }
            }
            AdminList::Role(wanted) => {
                if !(moderator || affiliation.is_admin()) {
                    return Err(error(
                        ErrorType::Auth,
                        Condition::Forbidden,
                        "Only moderators list occupants by role",
                    ));
                }
                for o in self.occupants.iter().filter(|o| o.role == wanted) {
                    let item = Item {
                        affiliation: Some(self.affiliation(&o.user)),
                        role: Some(o.role),
                        jid: o.sessions.first().map(|j| j.as_str()),
                        nick: Some(o.nick()),
                        ..Default::default()
                    };
                    query = query.with_child(item.to_element(ns::MUC_ADMIN));
                }
            }
        }
        Ok(query)
    }

    /// Applies a configuration an owner submitted (§10.2), unlocking the room. Occupants
    /// of a room already open are told what changed (§10.2.1); non-members leave a room
    /// that became members-only (322).
    pub fn configure(&mut self, config: RoomConfig, out: &mut Vec<Out>) {
        let old = std::mem::replace(&mut self.config, config);
        let was_locked = std::mem::replace(&mut self.locked, false);
        if was_locked || old == self.config {
            return;
        }
        let mut codes = vec![status::CONFIG_CHANGED];
        if old.logging != self.config.logging {
            codes.push(if self.config.logging {
                status::LOGGING_ON
            } else {
                status::LOGGING_OFF
            });
        }
        if old.whois != self.config.whois {
            codes.push(match self.config.whois {
                Whois::Anyone => status::NOW_NON_ANONYMOUS,
                Whois::Moderators => status::NOW_SEMI_ANONYMOUS,
            });
        }
        let m = SharedElement::new(protocol::status_message(self.jid.as_str(), &codes));
        for s in self.sessions() {
            out.push(Out::copy(self.room_jid(), &m, s));
        }
        if self.config.members_only && !old.members_only {
            let mut i = 0;
            while i < self.occupants.len() {
                if self.affiliation(&self.occupants[i].user) < Affiliation::Member {
                    self.remove(i, &[status::MEMBERS_ONLY], None, None, out);
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Destroys the room (§10.9): each occupant gets its last presence, naming the
    /// alternate venue if any.
    pub fn destroy(&mut self, alternate: Option<&str>, reason: Option<&str>) -> Vec<Out> {
        let mut out = Vec::new();
        for o in &self.occupants {
            let item = Item {
                affiliation: Some(Affiliation::None),
                role: Some(Role::None),
                ..Default::default()
            };
            let x = protocol::user_x(
                vec![
                    item.to_element(ns::MUC_USER),
                    protocol::destroy_element(ns::MUC_USER, alternate, reason),
                ],
                &[status::SELF],
            );
            let p = protocol::occupant_presence(o.jid.as_str(), &Element::new("presence", ns::CLIENT), true, x);
            let p = SharedElement::new(p);
            for s in &o.sessions {
                out.push(Out::copy(Jid::from(o.jid.clone()), &p, s));
            }
        }
        self.occupants.clear();
        self.destroyed = true;
        out
    }

    /// disco#info on the room (§6.4): identity, the features its configuration implies,
    /// and the `muc#roominfo` form.
    pub fn disco_info(&self, node: Option<&str>) -> Element {
        let name = if self.config.name.is_empty() {
            self.jid.node().map(|n| n.as_str()).unwrap_or_default()
        } else {
            self.config.name.as_str()
        };
        let mut query = Element::new("query", ns::DISCO_INFO);
        if let Some(n) = node {
            query.set_attr("node", n);
        }
        query = query.with_child(
            Element::new("identity", ns::DISCO_INFO)
                .with_attr("category", "conference")
                .with_attr("type", "text")
                .with_attr("name", name),
        );
        let mut features = vec![ns::DISCO_INFO, ns::DISCO_ITEMS, ns::MUC, ns::MUC_SELF_PING];
        features.extend(self.config.features());
        if self.config.logging {
            features.extend([ns::MAM, ns::STANZA_ID]);
        }
        for f in features {
            query = query.with_child(Element::new("feature", ns::DISCO_INFO).with_attr("var", f));
        }
        query.with_child(self.config.room_info(self.occupants.len(), &self.subject))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    fn jid(s: &str) -> FullJid {
        FullJid::new(s).unwrap()
    }

    fn presence() -> Element {
        parse_element("<presence xmlns='jabber:client'><show>chat</show></presence>").unwrap()
    }

    fn open_room() -> Room {
        let mut room = Room::new(
            BareJid::new("coven@conference.localhost").unwrap(),
            &BareJid::new("alice@localhost").unwrap(),
            RoomConfig::default(),
        );
        room.locked = false;
        room
    }

    fn enter(room: &mut Room, session: &str, nick: &str) -> Result<Available, StanzaError> {
        let limits = Limits::default();
        let ctx = JoinContext {
            limits: &limits,
            created: false,
            rooms_elsewhere: 0,
        };
        room.available(&jid(session), nick, &presence(), &Join::default(), ctx)
    }

    fn tos(out: &[Out]) -> Vec<(String, String)> {
        out.iter()
            .map(|o| {
                (
                    o.stanza.to_element().attr("from").unwrap_or_default().to_owned(),
                    o.stanza.to_element().attr("to").unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn a_newcomer_gets_the_room_then_everyone_gets_the_newcomer_then_its_own_presence_comes_last() {
        let mut room = open_room();
        enter(&mut room, "alice@localhost/a", "crone").unwrap();
        enter(&mut room, "bob@localhost/b", "hag").unwrap();
        let Ok(Available::Entered(out)) = enter(&mut room, "carol@localhost/c", "witch") else {
            panic!("carol enters");
        };
        let pair = |f: &str, t: &str| (f.to_owned(), t.to_owned());
        assert_eq!(
            tos(&out),
            [
                pair("coven@conference.localhost/crone", "carol@localhost/c"),
                pair("coven@conference.localhost/hag", "carol@localhost/c"),
                pair("coven@conference.localhost/witch", "alice@localhost/a"),
                pair("coven@conference.localhost/witch", "bob@localhost/b"),
                pair("coven@conference.localhost/witch", "carol@localhost/c"),
            ]
        );
        // The payload travels; the owner is a moderator, the others participants.
        assert!(out[0].stanza.content().child("show", ns::CLIENT).is_some());
        assert_eq!(room.occupants[0].role, Role::Moderator);
        assert_eq!(room.occupants[2].role, Role::Participant);
    }

    #[test]
    fn a_second_session_shares_the_occupant_and_leaving_from_one_keeps_it() {
        let mut room = open_room();
        enter(&mut room, "bob@localhost/b", "hag").unwrap();
        enter(&mut room, "bob@localhost/phone", "hag").unwrap();
        assert_eq!(room.occupants.len(), 1);
        assert_eq!(room.occupants[0].sessions.len(), 2);
        let out = room.leave(&jid("bob@localhost/phone"), &presence());
        assert_eq!(tos(&out).len(), 1, "only the session that left hears of it");
        assert_eq!(room.occupants.len(), 1);
        room.leave(&jid("bob@localhost/b"), &presence());
        assert!(room.occupants.is_empty());
        assert!(room.vanishes(), "a temporary room nobody is in goes");
        room.config.persistent = true;
        assert!(!room.vanishes());
        room.locked = true;
        assert!(room.vanishes(), "so does one never configured");
    }

    #[test]
    fn admin_changes_stop_at_the_first_refused_item_for_the_caller_to_discard() {
        let mut room = open_room();
        enter(&mut room, "alice@localhost/a", "crone").unwrap();
        enter(&mut room, "bob@localhost/b", "hag").unwrap();
        let items = [
            AdminItem {
                nick: None,
                jid: Some(BareJid::new("carol@localhost").unwrap()),
                change: AdminChange::Affiliation(Affiliation::Member),
                reason: None,
            },
            AdminItem {
                nick: Some("nobody".into()),
                jid: None,
                change: AdminChange::Role(Role::None),
                reason: None,
            },
        ];
        let mut copy = room.clone();
        let mut out = Vec::new();
        let actor = Jid::new("alice@localhost/a").unwrap();
        let e = copy.admin(&actor, &items, &Limits::default(), &mut out).unwrap_err();
        assert_eq!(e.condition, Condition::ItemNotFound);
        assert_eq!(
            room.affiliation(&BareJid::new("carol@localhost").unwrap()),
            Affiliation::None
        );
        // A participant may not act at all.
        let bob = Jid::new("bob@localhost/b").unwrap();
        let e = room
            .clone()
            .admin(&bob, &items[..1], &Limits::default(), &mut out)
            .unwrap_err();
        assert_eq!(e.condition, Condition::Forbidden);
    }

    #[test]
    fn a_subject_only_message_changes_the_subject_and_one_with_a_body_is_a_message() {
        let mut room = open_room();
        enter(&mut room, "bob@localhost/b", "hag").unwrap();
        let limits = Limits::default();
        let subject =
            parse_element("<message xmlns='jabber:client' type='groupchat'><subject>Toil</subject></message>").unwrap();
        assert!(matches!(
            room.groupchat(&jid("bob@localhost/b"), &subject, &limits),
            Ok(Groupchat::Subject(_))
        ));
        assert_eq!((room.subject.as_str(), room.subject_by.as_str()), ("Toil", "hag"));
        let both = parse_element(
            "<message xmlns='jabber:client' type='groupchat' id='x'><subject>Other</subject><body>hi</body>\
             <stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='coven@conference.localhost'/></message>",
        )
        .unwrap();
        let Ok(Groupchat::Message(relay)) = room.groupchat(&jid("bob@localhost/b"), &both, &limits) else {
            panic!("a message");
        };
        assert_eq!(room.subject, "Toil");
        assert!(
            relay.child("stanza-id", ns::STANZA_ID).is_none(),
            "ids are the room's to give"
        );
        assert_eq!(relay.attr("from"), Some("coven@conference.localhost/hag"));
        let e = room.groupchat(&jid("carol@localhost/c"), &both, &limits).unwrap_err();
        assert_eq!(e.condition, Condition::NotAcceptable);
    }
}

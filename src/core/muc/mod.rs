//! Multi-User Chat (XEP-0045, MongooseIM's `mod_muc`): a component service on
//! `conference.<host>` reached through the router, beside MUC Light.
//!
//! - Rooms live in memory, each behind its own lock, which is held around one operation
//!   from start to finish (checks, storage, archive, routing) so that every occupant sees
//!   a room's stanzas in the same order. What the room sends goes to users' sessions and
//!   never comes back into a room while the lock is held: error stanzas from users are
//!   dropped before any room is looked at, invitations never go to a room, and IQs
//!   between occupants are routed after the lock is released.
//! - Persistent rooms (configuration, subject, affiliations) are written to `MucStore`
//!   whenever they change and loaded when the server starts; occupants are sessions and
//!   are only in memory. A room that is not persistent goes when its last occupant
//!   leaves, and so does a room that was never configured.
//! - A room's messages are archived under the room's JID (the archive store, as MUC Light
//!   rooms are) before they are relayed, with a `<stanza-id by='room'/>`, when the room
//!   logs (`muc#roomconfig_enablelogging`); newcomers get their history from there, and
//!   MAM (XEP-0313) queries to the room read it. A room that does not log keeps its last
//!   `history_length` messages in memory for newcomers.
//! - A session that ends leaves its rooms: its unavailable presence reaches every room it
//!   sent presence to (`presence` tracks directed presence).
//! - The protocol itself is in `room` (one room's operations, pure), `rules` (roles and
//!   affiliations), `room_config` (the configuration form and room features), `protocol`
//!   (XML) and `history`.
//!
//! Events: hears the removal of an account (it leaves every room, its affiliations go);
//! emits none. Its rooms are the partitioned service of a cluster: each lives on one node
//! (`cluster` placement), where the router sends its stanzas.

pub mod admin;
mod history;
mod protocol;
mod room;
mod room_config;
pub(crate) mod rules;

use self::protocol::{AdminList, Join};
use self::room::{Available, Groupchat, JoinContext, Out, Room};
use self::room_config::{RoomConfig, Whois};
use self::rules::Affiliation;
use super::stanza::{self, ns, Condition, ErrorType, IqType, MessageType, PresenceType, StanzaError};
use super::{archive, Core};
use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::archive::mam;
use crate::core::hosts::{Hosts, SubdomainPattern};
use crate::core::routing::iq::{Identity, IqAnswer, IqHandler, IqRequest, IqTable};
use crate::core::routing::router::{RouteError, Routed, Service};
use crate::core::untrusted::Untrusted;
use crate::store::{ArchiveQuery, MucAffiliation, MucRoomRecord, MucStore, StoreError};
use crate::xml::{parse_element, Element};
use async_trait::async_trait;
use jid::{BareJid, FullJid, Jid};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The service's limits (`[modules.mod_muc]`); see docs/config.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Rooms one service holds at once (persistent or not).
    pub max_rooms: usize,
    /// Rooms one user may own at once (creating a room makes its owner).
    pub max_rooms_per_user: usize,
    /// Rooms one user may be in at once.
    pub max_user_conferences: usize,
    /// The most occupants a room may be configured for.
    pub max_users: usize,
    /// Admins and owners still enter a room this many occupants past its maximum.
    pub max_users_admin_threshold: usize,
    /// Messages of history a newcomer gets at most.
    pub history_length: usize,
    /// Characters of a room's name in its JID (the local part).
    pub max_room_id: usize,
    pub max_room_name: usize,
    pub max_room_desc: usize,
    pub max_subject_length: usize,
    pub max_nick_length: usize,
    /// Users with an affiliation (owners, admins, members, outcasts) in one room.
    pub max_room_affiliations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rooms: 10_000,
            max_rooms_per_user: 100,
            max_user_conferences: 100,
            max_users: 200,
            max_users_admin_threshold: 5,
            history_length: 20,
            max_room_id: 256,
            max_room_name: 256,
            max_room_desc: 1024,
            max_subject_length: 1024,
            max_nick_length: 64,
            max_room_affiliations: 1000,
        }
    }
}

/// The configuration a new room starts with (`[modules.mod_muc.default_room]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomDefaults {
    pub public: bool,
    pub persistent: bool,
    pub moderated: bool,
    pub members_only: bool,
    pub allow_change_subj: bool,
    pub allow_user_invites: bool,
    /// Semi-anonymous (real JIDs to moderators only) rather than non-anonymous.
    pub anonymous: bool,
    pub max_users: usize,
    /// Rooms keep an archive (history, MAM).
    pub logging: bool,
}

impl Default for RoomDefaults {
    fn default() -> Self {
        RoomDefaults {
            public: true,
            persistent: false,
            moderated: false,
            members_only: false,
            allow_change_subj: true,
            allow_user_invites: false,
            anonymous: true,
            max_users: 200,
            logging: true,
        }
    }
}

impl RoomDefaults {
    fn config(&self) -> RoomConfig {
        RoomConfig {
            public: self.public,
            persistent: self.persistent,
            moderated: self.moderated,
            members_only: self.members_only,
            change_subject: self.allow_change_subj,
            allow_invites: self.allow_user_invites,
            whois: if self.anonymous {
                Whois::Moderators
            } else {
                Whois::Anyone
            },
            max_users: self.max_users,
            logging: self.logging,
            ..RoomConfig::default()
        }
    }
}

/// What the core needs to know of `[modules.mod_muc]`.
#[derive(Debug, Clone)]
pub struct MucSettings {
    /// The service domain; `@HOST@` stands for each served host.
    pub host: String,
    pub limits: Limits,
    pub defaults: RoomDefaults,
}

/// A fresh id for a stanza the room makes.
pub(crate) fn new_id() -> String {
    let bytes: [u8; 8] = rand::random();
    super::hex(&bytes)
}

/// What listings and limits need of a room without taking its lock.
#[derive(Debug, Clone, Default)]
struct Summary {
    /// Public and configured: in the service's disco#items.
    listed: bool,
    name: String,
    owners: Vec<String>,
    /// The real bare JIDs in the room.
    users: Vec<String>,
}

impl Summary {
    fn of(room: &Room) -> Summary {
        Summary {
            listed: room.config.public && !room.locked,
            name: room.config.name.clone(),
            owners: room
                .affiliations
                .iter()
                .filter(|(_, a)| **a == Affiliation::Owner)
                .map(|(u, _)| u.clone())
                .collect(),
            users: room.occupants.iter().map(|o| o.user.to_string()).collect(),
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Room>>;

struct Entry {
    room: Slot,
    summary: Summary,
}

/// The Multi-User Chat service of every served host.
pub(crate) struct Muc {
    limits: Limits,
    defaults: RoomConfig,
    /// Each served host's MUC domain.
    pattern: SubdomainPattern,
    hosts: Arc<Hosts>,
    /// IQs to the service domain (disco#info answered apart).
    service: IqTable,
    /// IQs to a room (disco#info answered apart: it depends on the room).
    room: IqTable,
    /// Room JID → the room. Never held across an await.
    rooms: Mutex<HashMap<String, Entry>>,
    /// Whether users' one-to-one archives are kept (`mod_mam`): private messages are then
    /// archived for their sender too.
    user_archive: bool,
}

fn identity() -> Identity {
    Identity {
        category: "conference",
        kind: "text",
        name: Some("Chatrooms"),
    }
}

fn refusal(kind: ErrorType, condition: Condition, text: impl Into<String>) -> StanzaError {
    StanzaError::with_type(kind, condition).with_text(text)
}

fn no_room() -> StanzaError {
    refusal(ErrorType::Cancel, Condition::ItemNotFound, "No such room")
}

fn internal(e: impl std::fmt::Display) -> StanzaError {
    tracing::error!(error = %e, "room operation failed");
    StanzaError::new(Condition::InternalServerError)
}

/// Routes what a room sends, in order.
async fn send(core: &Core, out: Vec<Out>) -> Result<(), RouteError> {
    for o in out {
        core.route_outbound(o.from, o.stanza).await?;
    }
    Ok(())
}

impl Muc {
    pub fn new(settings: &MucSettings, hosts: Arc<Hosts>, user_archive: bool) -> Self {
        let service = IqTable::new(identity()).with(ns::DISCO_ITEMS, "query", RoomList);
        let room = IqTable::new(identity())
            .with(ns::DISCO_ITEMS, "query", crate::core::routing::disco::NoItems)
            .with(ns::MUC_OWNER, "query", OwnerIq)
            .with(ns::MUC_ADMIN, "query", AdminIq)
            .with(ns::MAM, "query", RoomMam);
        Muc {
            limits: settings.limits.clone(),
            defaults: settings.defaults.config(),
            pattern: SubdomainPattern::new(&settings.host),
            hosts,
            service,
            room,
            rooms: Mutex::default(),
            user_archive,
        }
    }

    /// Every MUC domain served, with the host it serves.
    pub fn domains(&self) -> Vec<(String, String)> {
        self.pattern.served_domains(&self.hosts)
    }

    /// The MUC domain of `host`, served or not.
    pub fn domain_for(&self, host: &str) -> String {
        self.pattern.domain_for(host)
    }

    fn is_service(&self, domain: &str) -> bool {
        self.pattern.host_of(domain, &self.hosts).is_some()
    }

    fn rooms(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // The map holds no invariant a panic elsewhere could break half-way.
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads every persistent room of every service domain (at start).
    pub async fn load(&self, store: &dyn MucStore) -> Result<(), StoreError> {
        for (_, domain) in self.domains() {
            self.load_service(store, &domain).await?;
        }
        Ok(())
    }

    /// Loads the persistent rooms of the service `domain` (at start, or when its host is
    /// added at run time).
    pub async fn load_service(&self, store: &dyn MucStore, domain: &str) -> Result<(), StoreError> {
        {
            for record in store.muc_rooms(domain).await? {
                match room_from_record(&record) {
                    Some(room) => {
                        let summary = Summary::of(&room);
                        self.rooms().insert(
                            record.jid.clone(),
                            Entry {
                                room: Arc::new(tokio::sync::Mutex::new(room)),
                                summary,
                            },
                        );
                    }
                    None => {
                        tracing::error!(room = %Untrusted(&record.jid), "a stored room could not be read; it is skipped")
                    }
                }
            }
        }
        Ok(())
    }

    /// Forgets the rooms of the service `domain` (its host is no longer served): their
    /// occupants' sessions end with the domain's.
    pub(crate) fn forget_service(&self, domain: &str) {
        let suffix = format!("@{domain}");
        self.rooms().retain(|jid, _| !jid.ends_with(&suffix));
    }

    /// In a cluster a room is hosted by one node, and another may have changed or
    /// destroyed a persistent room while it hosted it. When the nodes change, rooms with
    /// nobody in them are read again from storage (those no longer stored go), so a
    /// node that becomes a room's host starts from what is stored.
    pub(crate) async fn reload_idle(&self, store: &dyn MucStore) -> Result<(), StoreError> {
        let mut stored = HashMap::new();
        for (_, domain) in self.domains() {
            for record in store.muc_rooms(&domain).await? {
                stored.insert(record.jid.clone(), record);
            }
        }
        // A room locked now is in use: it stays as it is.
        let idle = |e: &Entry| e.room.try_lock().is_ok_and(|r| r.occupants.is_empty() && r.stored);
        let mut rooms = self.rooms();
        rooms.retain(|jid, e| !idle(e) || stored.contains_key(jid));
        for (jid, record) in stored {
            if rooms.get(&jid).is_some_and(|e| !idle(e)) {
                continue;
            }
            if let Some(room) = room_from_record(&record) {
                let summary = Summary::of(&room);
                rooms.insert(
                    jid,
                    Entry {
                        room: Arc::new(tokio::sync::Mutex::new(room)),
                        summary,
                    },
                );
            }
        }
        Ok(())
    }

    fn find(&self, room: &BareJid) -> Option<Slot> {
        self.rooms().get(room.as_str()).map(|e| e.room.clone())
    }

    /// The room, or a new one `creator` owns; `true` when it was created.
    fn find_or_create(&self, room: &BareJid, creator: &BareJid) -> Result<(Slot, bool), StanzaError> {
        let mut rooms = self.rooms();
        if let Some(e) = rooms.get(room.as_str()) {
            return Ok((e.room.clone(), false));
        }
        let id = room.node().map(|n| n.as_str()).unwrap_or_default();
        if id.chars().count() > self.limits.max_room_id {
            return Err(refusal(
                ErrorType::Modify,
                Condition::NotAcceptable,
                format!("Room names are at most {} characters", self.limits.max_room_id),
            ));
        }
        if rooms.len() >= self.limits.max_rooms {
            return Err(refusal(
                ErrorType::Cancel,
                Condition::NotAllowed,
                format!(
                    "This service holds as many rooms as it may (at most {})",
                    self.limits.max_rooms
                ),
            ));
        }
        let owned = rooms
            .values()
            .filter(|e| e.summary.owners.iter().any(|o| o == creator.as_str()))
            .count();
        if owned >= self.limits.max_rooms_per_user {
            return Err(refusal(
                ErrorType::Cancel,
                Condition::NotAllowed,
                format!(
                    "You own as many rooms as you may (at most {})",
                    self.limits.max_rooms_per_user
                ),
            ));
        }
        let new = Room::new(room.clone(), creator, self.defaults.clone());
        let slot = Arc::new(tokio::sync::Mutex::new(new));
        rooms.insert(
            room.to_string(),
            Entry {
                room: slot.clone(),
                summary: Summary::default(),
            },
        );
        Ok((slot, true))
    }

    /// Rooms other than `except` that `user` is in.
    fn rooms_of(&self, user: &BareJid, except: &BareJid) -> usize {
        self.rooms()
            .iter()
            .filter(|(jid, e)| jid.as_str() != except.as_str() && e.summary.users.iter().any(|u| u == user.as_str()))
            .count()
    }

    /// Writes `room` to storage if it is persistent (and configured), or deletes it from
    /// there if it no longer is.
    async fn save(&self, core: &Core, room: &mut Room) -> Result<(), StoreError> {
        if room.config.persistent && !room.locked && !room.destroyed {
            let service = room.jid.domain().as_str().to_owned();
            core.stores.muc.put_muc_room(&record_of(room, &service)?).await?;
            room.stored = true;
        } else if room.stored {
            core.stores.muc.delete_muc_room(room.jid.as_str()).await?;
            room.stored = false;
        }
        Ok(())
    }

    /// After an operation: a room nobody keeps goes (with its stored copy and archive);
    /// otherwise its summary follows it.
    async fn settle(&self, core: &Core, room: &mut Room) {
        if room.destroyed || room.vanishes() {
            self.dispose(core, room).await;
        } else {
            if let Some(e) = self.rooms().get_mut(room.jid.as_str()) {
                e.summary = Summary::of(room);
            }
        }
    }

    /// Forgets a destroyed or abandoned room: registry, storage, archive.
    async fn dispose(&self, core: &Core, room: &mut Room) {
        room.destroyed = true;
        self.rooms().remove(room.jid.as_str());
        if room.stored {
            match core.stores.muc.delete_muc_room(room.jid.as_str()).await {
                Ok(()) => room.stored = false,
                Err(e) => tracing::error!(room = %room.jid, error = %e, "a destroyed room stays in storage"),
            }
        }
        match core.stores.archive.delete_archive(room.jid.as_str()).await {
            Ok(n) if n > 0 => tracing::info!(room = %room.jid, messages = n, "room gone with its archive"),
            Ok(_) => {}
            Err(e) => tracing::error!(room = %room.jid, error = %e, "a gone room's archive could not be deleted"),
        }
    }

    /// Public rooms of `service`, sorted, for its disco#items.
    fn listed(&self, service: &str) -> Vec<(String, String)> {
        let suffix = format!("@{service}");
        let mut listed: Vec<(String, String)> = self
            .rooms()
            .iter()
            .filter(|(jid, e)| e.summary.listed && jid.ends_with(&suffix))
            .map(|(jid, e)| (jid.clone(), e.summary.name.clone()))
            .collect();
        listed.sort();
        listed
    }

    async fn presence(&self, core: &Core, from: Jid, to: Jid, stanza: Element) -> Result<(), RouteError> {
        let kind = PresenceType::of(&stanza);
        let Ok(session) = from.try_as_full() else {
            // Only sessions are occupants.
            return Ok(());
        };
        let room_jid = to.to_bare();
        let Some(nick) = to.resource().map(|r| r.as_str().to_owned()) else {
            if kind == Some(PresenceType::Available) {
                let error = refusal(
                    ErrorType::Modify,
                    Condition::JidMalformed,
                    "Enter a room with a nick: room@service/nick",
                );
                core.route(to, protocol::presence_error(&stanza, error)).await?;
            }
            return Ok(());
        };
        match kind {
            Some(PresenceType::Unavailable) => {
                let Some(slot) = self.find(&room_jid) else {
                    return Ok(());
                };
                let mut room = slot.lock().await;
                if room.destroyed {
                    return Ok(());
                }
                let out = room.leave(session, &stanza);
                send(core, out).await?;
                self.settle(core, &mut room).await;
                Ok(())
            }
            Some(PresenceType::Available) => self.available(core, session, &room_jid, &nick, stanza).await,
            // Probes, subscriptions and errors mean nothing to a room.
            _ => Ok(()),
        }
    }

    async fn available(
        &self,
        core: &Core,
        session: &FullJid,
        room_jid: &BareJid,
        nick: &str,
        stanza: Element,
    ) -> Result<(), RouteError> {
        let refuse = |error: StanzaError| {
            let reply = protocol::presence_error(&stanza, error);
            let from = Jid::from(room_jid.clone());
            async move { core.route(from, reply).await }
        };
        // Users of other servers enter when this server federates with theirs; rooms are
        // created only by users of this one.
        let domain = session.domain().as_str();
        if !core.accounts.serves(domain) {
            if !core.s2s().is_some_and(|s| s.allows(domain)) {
                return refuse(refusal(
                    ErrorType::Cancel,
                    Condition::NotAllowed,
                    "Only users of this server enter its rooms",
                ))
                .await;
            }
            if !self.rooms().contains_key(room_jid.as_str()) {
                return refuse(refusal(
                    ErrorType::Cancel,
                    Condition::NotAllowed,
                    "Only users of this server create rooms here",
                ))
                .await;
            }
        }
        let join = protocol::parse_join(&stanza);
        let user = session.to_bare();
        // A room can go between finding it and taking its lock (its last occupant left):
        // then it is looked up, or created, again.
        for _ in 0..3 {
            let (slot, created) = match self.find_or_create(room_jid, &user) {
                Ok(found) => found,
                Err(e) => return refuse(e).await,
            };
            let mut room = slot.lock().await;
            if room.destroyed {
                continue;
            }
            let ctx = JoinContext {
                limits: &self.limits,
                created,
                rooms_elsewhere: self.rooms_of(&user, room_jid),
            };
            match room.available(session, nick, &stanza, &join, ctx) {
                Err(e) => {
                    self.settle(core, &mut room).await;
                    return refuse(e).await;
                }
                Ok(Available::Updated(out)) => send(core, out).await?,
                Ok(Available::Entered(out)) => {
                    send(core, out).await?;
                    self.send_history(core, &room, session, &join).await?;
                    send(core, vec![room.subject_message(session)]).await?;
                }
            }
            if created && !join.muc {
                // A client without MUC support cannot configure: the room opens at once
                // (§10.1.1, instant room).
                room.locked = false;
                if let Err(e) = self.save(core, &mut room).await {
                    tracing::error!(room = %room_jid, error = %e, "a new room could not be stored");
                }
            }
            self.settle(core, &mut room).await;
            return Ok(());
        }
        refuse(refusal(
            ErrorType::Wait,
            Condition::ResourceConstraint,
            "The room is changing; try again",
        ))
        .await
    }

    /// A newcomer's history (§7.2.15), oldest first, each with its delay.
    async fn send_history(&self, core: &Core, room: &Room, to: &FullJid, join: &Join) -> Result<(), RouteError> {
        let request = &join.history;
        let limit = request.limit(self.limits.history_length);
        if limit == 0 {
            return Ok(());
        }
        let now = archive::now_ms();
        let start = request.start_ms(now);
        let room_name = room.jid.to_string();
        let mut messages = Vec::new();
        if room.config.logging {
            let query = ArchiveQuery {
                owner: room_name.clone(),
                start_ms: start,
                limit,
                newest_first: true,
                ..Default::default()
            };
            let rows = match core.stores.archive.archive_query(query).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(room = %room.jid, error = %e, "room history could not be read");
                    Vec::new()
                }
            };
            for row in rows.iter().rev() {
                let Ok(m) = parse_element(&row.stanza) else {
                    continue;
                };
                let m = protocol::delayed(m, &room_name, &mam::format_time(row.timestamp_ms)).with_child(
                    Element::new("stanza-id", ns::STANZA_ID)
                        .with_attr("id", row.id.to_string())
                        .with_attr("by", room_name.clone()),
                );
                messages.push(m);
            }
        } else {
            let recent: Vec<&(Element, i64)> = room
                .recent
                .iter()
                .filter(|(_, ts)| start.is_none_or(|s| *ts >= s))
                .collect();
            for (m, ts) in recent.iter().skip(recent.len().saturating_sub(limit)) {
                messages.push(protocol::delayed(m.clone(), &room_name, &mam::format_time(*ts)));
            }
        }
        for m in request.trim(messages) {
            let from = m
                .attr("from")
                .and_then(|f| Jid::new(f).ok())
                .unwrap_or_else(|| Jid::from(room.jid.clone()));
            core.route(from, protocol::addressed(m, to.as_str())).await?;
        }
        Ok(())
    }

    async fn room_message(&self, core: &Core, from: Jid, to: Jid, stanza: Element) -> Result<(), RouteError> {
        let room_jid = to.to_bare();
        let answer = match self.room_message_inner(core, &from, &room_jid, &stanza).await {
            Ok(()) => return Ok(()),
            Err(RoomFailure::Route(e)) => return Err(e),
            Err(RoomFailure::Refused(e)) => e,
        };
        core.bounce(&to, &stanza, answer).await;
        Ok(())
    }

    async fn room_message_inner(
        &self,
        core: &Core,
        from: &Jid,
        room_jid: &BareJid,
        stanza: &Element,
    ) -> Result<(), RoomFailure> {
        let slot = self.find(room_jid).ok_or_else(no_room)?;
        let mut room = slot.lock().await;
        if room.destroyed || (room.locked && from.try_as_full().ok().and_then(|s| room.occupant_of(s)).is_none()) {
            return Err(no_room().into());
        }
        if MessageType::of(stanza) == MessageType::Groupchat {
            let session = from.try_as_full().map_err(|_| not_in_room())?;
            let before = (room.subject.clone(), room.subject_by.clone());
            match room.groupchat(session, stanza, &self.limits)? {
                Groupchat::Subject(out) => {
                    if let Err(e) = self.save(core, &mut room).await {
                        (room.subject, room.subject_by) = before;
                        return Err(internal(e).into());
                    }
                    send(core, out).await?;
                }
                Groupchat::Message(relay) => self.relay(core, &mut room, relay).await?,
            }
            return Ok(());
        }
        let Some(x) = stanza.child("x", ns::MUC_USER) else {
            if stanza.child("x", ns::DATA_FORMS).is_some() {
                return Err(refusal(
                    ErrorType::Cancel,
                    Condition::FeatureNotImplemented,
                    "Voice requests are not supported",
                )
                .into());
            }
            return Err(refusal(
                ErrorType::Modify,
                Condition::BadRequest,
                "Send group chat to the room, or a private message to an occupant",
            )
            .into());
        };
        let invitations = protocol::parse_invitations(x, "invite")?;
        let declines = protocol::parse_invitations(x, "decline")?;
        if !invitations.is_empty() {
            let session = from.try_as_full().map_err(|_| not_in_room())?;
            if invitations.iter().any(|i| self.is_service(i.to.domain().as_str())) {
                return Err(refusal(
                    ErrorType::Modify,
                    Condition::BadRequest,
                    "Invitations go to users, not to rooms",
                )
                .into());
            }
            let mut next = room.clone();
            let mut out = Vec::new();
            if next.invite(session, &invitations, &self.limits, &mut out)? {
                self.save(core, &mut next).await.map_err(internal)?;
            }
            *room = next;
            send(core, out).await?;
        }
        // Declines go back to the inviter named, when it is a user of this server.
        let declines: Vec<_> = declines
            .into_iter()
            .filter(|d| d.to.node().is_some() && core.accounts.serves(d.to.domain().as_str()))
            .collect();
        send(core, room.declines(from, &declines)).await?;
        Ok(())
    }

    /// Relays an accepted groupchat message: archived first when the room logs (with its
    /// stanza id), remembered otherwise, then to everyone.
    async fn relay(&self, core: &Core, room: &mut Room, mut relay: Element) -> Result<(), RouteError> {
        let says_something = relay.child("body", ns::CLIENT).is_some();
        if room.config.logging && says_something {
            let with = relay.attr("from").unwrap_or_default().to_owned();
            let entry = (room.jid.to_string(), with, &relay);
            let (ids, _) = core.archive.append(&*core.stores.archive, vec![entry]).await?;
            relay = relay.with_child(
                Element::new("stanza-id", ns::STANZA_ID)
                    .with_attr("id", ids[0].to_string())
                    .with_attr("by", room.jid.to_string()),
            );
        } else if says_something {
            room.remember(relay.clone(), archive::now_ms(), self.limits.history_length);
        }
        send(core, room.to_everyone(relay)).await
    }

    /// A message to `room/nick` (§7.5).
    async fn private_message(&self, core: &Core, from: Jid, to: Jid, stanza: Element) -> Result<(), RouteError> {
        let result: Result<Vec<Out>, StanzaError> = async {
            let session = from.try_as_full().map_err(|_| not_in_room())?;
            let slot = self.find(&to.to_bare()).ok_or_else(no_room)?;
            let room = slot.lock().await;
            if room.destroyed {
                return Err(no_room());
            }
            let nick = to.resource().map(|r| r.as_str()).unwrap_or_default();
            room.private_message(session, nick, &stanza)
        }
        .await;
        match result {
            Ok(out) => {
                if self.user_archive && archive::archivable(&stanza) {
                    // The sender's own copy; the recipient's is archived on delivery.
                    let entry = (from.to_bare().to_string(), to.to_bare().to_string(), &stanza);
                    core.archive.append(&*core.stores.archive, vec![entry]).await?;
                }
                send(core, out).await
            }
            Err(e) => {
                core.bounce(&to, &stanza, e).await;
                Ok(())
            }
        }
    }

    async fn room_iq(&self, core: &Core, from: Jid, to: Jid, stanza: Element) -> Result<(), RouteError> {
        if !IqType::of(&stanza).is_some_and(IqType::is_request) {
            return Ok(());
        }
        let reply = match disco_info_query(&stanza) {
            Some(query) => {
                let answer = match self.find(&to.to_bare()) {
                    None => Err(no_room()),
                    Some(slot) => {
                        let room = slot.lock().await;
                        let visible = !room.destroyed
                            && (!room.locked || room.affiliation(&from.to_bare()) == Affiliation::Owner);
                        visible.then(|| room.disco_info(query.attr("node"))).ok_or_else(no_room)
                    }
                };
                match answer {
                    Ok(info) => stanza::iq_result(&stanza, Some(info)),
                    Err(e) => stanza::error_reply(&stanza, e),
                }
            }
            None => self.room.dispatch(core, &from, &to, &stanza).await,
        };
        core.route(to, reply).await
    }

    async fn service_iq(&self, core: &Core, from: Jid, to: Jid, stanza: Element) -> Result<(), RouteError> {
        if !IqType::of(&stanza).is_some_and(IqType::is_request) {
            return Ok(());
        }
        let reply = match disco_info_query(&stanza) {
            Some(query) => stanza::iq_result(&stanza, Some(service_info(query.attr("node")))),
            None => self.service.dispatch(core, &from, &to, &stanza).await,
        };
        core.route(to, reply).await
    }

    /// An IQ to `room/nick`: a self-ping is answered here (XEP-0410); other requests go to
    /// the occupant, and its answers back, after the room's lock is released.
    async fn occupant_iq(&self, core: &Core, from: Jid, to: Jid, stanza: Element) -> Result<(), RouteError> {
        let request = IqType::of(&stanza).is_some_and(IqType::is_request);
        let nick = to.resource().map(|r| r.as_str().to_owned()).unwrap_or_default();
        let Ok(session) = from.try_as_full() else {
            return Ok(());
        };
        let forward: Result<Option<(Jid, FullJid)>, StanzaError> = match self.find(&to.to_bare()) {
            None => Err(no_room()),
            Some(slot) => {
                let room = slot.lock().await;
                match room.occupant_of(session).filter(|_| !room.destroyed) {
                    None => Err(refusal(ErrorType::Cancel, Condition::NotAcceptable, "Not in this room")),
                    Some(i) => {
                        let sender = Jid::from(room.occupants[i].jid.clone());
                        match room.by_nick(&nick) {
                            Some(t) if t == i && request && stanza.elements().any(|e| e.is("ping", ns::PING)) => {
                                Ok(None)
                            }
                            Some(t) => Ok(room.occupants[t].sessions.first().map(|s| (sender, s.clone()))),
                            None => Err(refusal(
                                ErrorType::Cancel,
                                Condition::ItemNotFound,
                                "No occupant has this nick",
                            )),
                        }
                    }
                }
            }
        };
        match forward {
            Ok(Some((sender, target))) => {
                let mut relay = stanza;
                relay.set_attr("from", sender.to_string());
                relay.set_attr("to", target.to_string());
                core.route(sender, relay).await
            }
            Ok(None) => core.route(to, stanza::iq_result(&stanza, None)).await,
            Err(e) if request => core.route(to, stanza::error_reply(&stanza, e)).await,
            Err(_) => Ok(()),
        }
    }
}

/// Why a room message was not relayed.
enum RoomFailure {
    Refused(StanzaError),
    Route(RouteError),
}

impl From<StanzaError> for RoomFailure {
    fn from(e: StanzaError) -> Self {
        RoomFailure::Refused(e)
    }
}

impl From<RouteError> for RoomFailure {
    fn from(e: RouteError) -> Self {
        RoomFailure::Route(e)
    }
}

fn not_in_room() -> StanzaError {
    refusal(
        ErrorType::Modify,
        Condition::NotAcceptable,
        "Only occupants may do this; enter the room first",
    )
}

/// The payload of a disco#info get, if `stanza` is one.
fn disco_info_query(stanza: &Element) -> Option<&Element> {
    let mut payloads = stanza.elements();
    match (payloads.next(), payloads.next()) {
        (Some(q), None) if q.is("query", ns::DISCO_INFO) && IqType::of(stanza) == Some(IqType::Get) => Some(q),
        _ => None,
    }
}

/// disco#info on the service (§6.1).
fn service_info(node: Option<&str>) -> Element {
    let i = identity();
    let mut query = Element::new("query", ns::DISCO_INFO);
    if let Some(n) = node {
        query.set_attr("node", n);
    }
    query = query.with_child(
        Element::new("identity", ns::DISCO_INFO)
            .with_attr("category", i.category)
            .with_attr("type", i.kind)
            .with_attr("name", i.name.unwrap_or_default()),
    );
    for f in [ns::DISCO_INFO, ns::DISCO_ITEMS, ns::MUC] {
        query = query.with_child(Element::new("feature", ns::DISCO_INFO).with_attr("var", f));
    }
    query
}

/// The stored form of `room`.
fn record_of(room: &Room, service: &str) -> Result<MucRoomRecord, StoreError> {
    let config = serde_json::to_string(&room.config).map_err(|e| StoreError::Failed(crate::store::Cause::new(e)))?;
    Ok(MucRoomRecord {
        jid: room.jid.to_string(),
        service: service.to_owned(),
        config,
        subject: room.subject.clone(),
        subject_by: room.subject_by.clone(),
        affiliations: room
            .affiliations
            .iter()
            .map(|(user, a)| MucAffiliation {
                user: user.clone(),
                affiliation: a.as_str().to_owned(),
            })
            .collect(),
    })
}

/// A stored room, open and empty; `None` if the record does not read back.
fn room_from_record(record: &MucRoomRecord) -> Option<Room> {
    let jid = BareJid::new(&record.jid).ok()?;
    let config: RoomConfig = serde_json::from_str(&record.config).ok()?;
    let mut room = Room::new(jid, &BareJid::new(&record.jid).ok()?, config);
    room.affiliations.clear();
    for a in &record.affiliations {
        match Affiliation::parse(&a.affiliation) {
            Some(affiliation) if affiliation != Affiliation::None => {
                room.affiliations.insert(a.user.clone(), affiliation);
            }
            _ => {
                tracing::warn!(room = %Untrusted(&record.jid), user = %Untrusted(&a.user), "unknown stored affiliation skipped")
            }
        }
    }
    room.subject = record.subject.clone();
    room.subject_by = record.subject_by.clone();
    room.locked = false;
    room.stored = true;
    Some(room)
}

#[async_trait]
impl Service for Muc {
    async fn handle(&self, core: &Core, Routed { from, to, stanza }: Routed) -> Result<(), RouteError> {
        if stanza.name == "iq" {
            return match (to.node(), to.resource()) {
                (None, _) => self.service_iq(core, from, to, stanza).await,
                (Some(_), None) => self.room_iq(core, from, to, stanza).await,
                (Some(_), Some(_)) => self.occupant_iq(core, from, to, stanza).await,
            };
        }
        // Errors from users' clients are not acted on (and so never reach a room whose
        // lock is held by the operation that caused them).
        if stanza.attr("type") == Some("error") {
            return Ok(());
        }
        match (stanza.name.as_str(), to.node(), to.resource()) {
            ("presence", Some(_), _) => self.presence(core, from, to, stanza).await,
            ("message", Some(_), None) => self.room_message(core, from, to, stanza).await,
            ("message", Some(_), Some(_)) => self.private_message(core, from, to, stanza).await,
            ("message", None, _) => {
                let error = refusal(ErrorType::Cancel, Condition::ServiceUnavailable, "Messages go to rooms");
                core.bounce(&to, &stanza, error).await;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

fn muc(core: &Core) -> Result<&Muc, StanzaError> {
    core.muc
        .as_deref()
        .ok_or_else(|| StanzaError::new(Condition::ServiceUnavailable))
}

/// The room a request addresses, locked; refused when it does not exist (or is still
/// locked, for anyone but its owners).
async fn addressed_room(
    core: &Core,
    request: &IqRequest<'_>,
) -> Result<tokio::sync::OwnedMutexGuard<Room>, StanzaError> {
    let muc = muc(core)?;
    let slot = muc.find(&request.to.to_bare()).ok_or_else(no_room)?;
    let room = slot.lock_owned().await;
    let owner = room.affiliation(&request.from.to_bare()) == Affiliation::Owner;
    if room.destroyed || (room.locked && !owner) {
        return Err(no_room());
    }
    Ok(room)
}

/// `muc#owner` (§10): the configuration form, its submission (instant or configured
/// rooms, cancel), destruction. Owners only.
struct OwnerIq;

#[async_trait]
impl IqHandler for OwnerIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let muc = muc(core)?;
        let mut room = addressed_room(core, &request).await?;
        if room.affiliation(&request.from.to_bare()) != Affiliation::Owner {
            return Err(refusal(
                ErrorType::Auth,
                Condition::Forbidden,
                "Only owners configure the room",
            ));
        }
        let payload = request.payload;
        if request.is_get() {
            let form = room.config.form(room.jid.as_str(), &muc.limits);
            return Ok(Some(Element::new("query", ns::MUC_OWNER).with_child(form)));
        }
        if let Some(destroy) = payload.child("destroy", ns::MUC_OWNER) {
            let reason = destroy.child("reason", ns::MUC_OWNER).map(Element::text);
            let out = room.destroy(destroy.attr("jid"), reason.as_deref());
            send(core, out).await.map_err(internal)?;
            muc.dispose(core, &mut room).await;
            return Ok(None);
        }
        let form = payload
            .child("x", ns::DATA_FORMS)
            .ok_or_else(|| refusal(ErrorType::Modify, Condition::BadRequest, "Expected a form or destroy"))?;
        match form.attr("type") {
            Some("cancel") => {
                // Cancelling the first configuration gives the room up (§10.1.3).
                if room.locked {
                    let out = room.destroy(None, None);
                    send(core, out).await.map_err(internal)?;
                    muc.dispose(core, &mut room).await;
                }
                Ok(None)
            }
            Some("submit") => {
                let config = room.config.submit(form, &muc.limits)?;
                let mut next = room.clone();
                let mut out = Vec::new();
                next.configure(config, &mut out);
                muc.save(core, &mut next).await.map_err(internal)?;
                *room = next;
                send(core, out).await.map_err(internal)?;
                muc.settle(core, &mut room).await;
                Ok(None)
            }
            _ => Err(refusal(
                ErrorType::Modify,
                Condition::BadRequest,
                "Expected a submitted or cancelled form",
            )),
        }
    }
}

/// `muc#admin` (§8, §9): lists by role or affiliation, and role and affiliation changes.
struct AdminIq;

#[async_trait]
impl IqHandler for AdminIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let muc = muc(core)?;
        let mut room = addressed_room(core, &request).await?;
        if request.is_get() {
            let list: AdminList = protocol::parse_admin_list(request.payload)?;
            return room.admin_list(request.from, list).map(Some);
        }
        let items = protocol::parse_admin_items(request.payload)?;
        let mut next = room.clone();
        let mut out = Vec::new();
        if next.admin(request.from, &items, &muc.limits, &mut out)? {
            muc.save(core, &mut next).await.map_err(internal)?;
        }
        *room = next;
        send(core, out).await.map_err(internal)?;
        muc.settle(core, &mut room).await;
        Ok(None)
    }
}

/// MAM (XEP-0313) on a room that logs: for anyone who may enter it (members of a
/// members-only room; not outcasts).
struct RoomMam;

#[async_trait]
impl IqHandler for RoomMam {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let room_jid = request.to.to_bare();
        {
            let room = addressed_room(core, &request).await?;
            if !room.config.logging {
                return Err(refusal(
                    ErrorType::Cancel,
                    Condition::ServiceUnavailable,
                    "This room keeps no archive",
                ));
            }
            let affiliation = room.affiliation(&request.from.to_bare());
            let minimum = if room.config.members_only {
                Affiliation::Member
            } else {
                Affiliation::None
            };
            if affiliation < minimum {
                return Err(refusal(
                    ErrorType::Auth,
                    Condition::Forbidden,
                    "Not allowed to read this room's archive",
                ));
            }
        }
        mam::answer(core, &room_jid, &request).await
    }
}

/// disco#items on the service (§6.2): the public rooms.
struct RoomList;

#[async_trait]
impl IqHandler for RoomList {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        let muc = muc(core)?;
        let mut query = Element::new("query", ns::DISCO_ITEMS);
        if request.payload.attr("node").is_some() {
            return Ok(Some(query));
        }
        for (jid, name) in muc.listed(request.to.domain().as_str()) {
            let mut item = Element::new("item", ns::DISCO_ITEMS).with_attr("jid", jid.clone());
            item.set_attr(
                "name",
                if name.is_empty() {
                    jid.split('@').next().unwrap_or_default().to_owned()
                } else {
                    name
                },
            );
            query = query.with_child(item);
        }
        Ok(Some(query))
    }
}

/// A removed account loses its affiliations everywhere (its sessions ended, so it left
/// every room already).
pub(crate) struct ForgetRemovedAccount;

#[async_trait]
impl Subscriber for ForgetRemovedAccount {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        let (AccountEvent::Removed(user), Some(muc)) = (event, core.muc.as_deref()) else {
            return Ok(());
        };
        let slots: Vec<Slot> = muc.rooms().values().map(|e| e.room.clone()).collect();
        for slot in slots {
            let mut room = slot.lock().await;
            if room.destroyed || room.affiliations.remove(user.as_str()).is_none() {
                continue;
            }
            muc.save(core, &mut room).await?;
            muc.settle(core, &mut room).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

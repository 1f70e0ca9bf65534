//! Rooms: MUC Light (`urn:xmpp:muclight:0`, the lightweight group chat MongooseIM
//! defines), a component service on `muclight.<host>` reached through the router, and
//! the typed operations the REST door calls. Both doors run the same code.
//!
//! - A room has a name, a subject, occupants (`owner` or `member`, in the order they
//!   joined) and a version that changes with every change. Rules: `rules`.
//! - XMPP: `#create` (to a new room JID, or to the service for a generated id),
//!   `#configuration` and `#affiliations` get/set, `#info` get, `#destroy`, with the
//!   MUC Light `version` (a get naming the current version gets an empty result);
//!   disco#info on the service and rooms, disco#items on the service listing the
//!   requester's rooms; MAM (`urn:xmpp:mam:2`) on a room JID for its occupants.
//! - A groupchat message to a room goes to every occupant, the sender too, from
//!   `room@service/sender-bare-jid`; an unknown room gets `item-not-found`, a
//!   non-occupant `forbidden`. Presence to the service or a room is ignored.
//! - Every message and every affiliation change (one entry per user) is archived in the
//!   room's archive before it is broadcast or acknowledged; configuration changes are
//!   notified, not archived.
//! - Affiliation changes are notified as MUC Light does: occupants who stay get
//!   `prev-version`, `version` and every change; newcomers their own item with
//!   `version`; removed users their own `none` item.
//! - What was archived is delivered with its room archive id (`<stanza-id by=room>`, the
//!   SSE event id): a message its entry's, a notice of one change that entry's, a notice
//!   of several changes the last of their entries' (so a stream resuming from it gets
//!   none of them again).
//! - The owner leaving passes the room to the longest-standing member; the last
//!   occupant leaving destroys the room and deletes its archive.
//! - Changes are compare-and-set on the room's version, so concurrent changes (on one
//!   node or several) never both apply: the loser reads the room again and retries.
//!
//! Events: hears the removal of an account (it leaves every room); emits none.

mod items;
mod protocol;
pub(crate) mod rules;

pub use items::{ChatMarker, RoomItem, MARKERS};
pub use protocol::ConfigFields;
pub use rules::Rules;

use super::archive::Page;
use super::stanza::{ns, Condition, ErrorType, IqType, MessageType, StanzaError};
use super::Core;
use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::archive::mam;
use crate::core::hosts::{Hosts, SubdomainPattern};
use crate::core::routing::iq::{Identity, IqAnswer, IqHandler, IqRequest, IqTable};
use crate::core::routing::router::{RouteError, Routed, Service};
pub use crate::store::Affiliation;
use crate::store::{Room, RoomSummary, StoreError};
use crate::xml::{Element, Node, SharedElement};
use async_trait::async_trait;
use jid::{BareJid, Jid};
use rules::Change;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a room operation is refused; each door turns it into its own answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Rooms are not enabled on this server")]
    Disabled,
    #[error("Room not found")]
    NotFound,
    #[error("Given user does not occupy this room")]
    NotOccupant,
    #[error("Given user does not have permission to change affiliations")]
    NotAllowedAffiliations,
    #[error("Given user does not have permission to change config")]
    NotAllowedConfig,
    #[error("Room already exists")]
    AlreadyExists,
    #[error("Room is full (at most {max} occupants)")]
    RoomFull { max: usize },
    #[error("Given user is in too many rooms (at most {max})")]
    TooManyRooms { max: usize },
    #[error("The user {user} is in too many rooms (at most {max})")]
    UserInTooManyRooms { user: String, max: usize },
    #[error("The user {0} does not exist")]
    NoSuchUser(String),
    /// The request asks for what already is (inviting a member, removing a stranger).
    #[error("Meaningless change")]
    NoChange,
    #[error("{0}")]
    BadRequest(String),
}

impl Refusal {
    /// The stanza error an XMPP client gets.
    pub fn to_stanza_error(&self) -> StanzaError {
        let (kind, condition) = match self {
            Refusal::Disabled => (ErrorType::Cancel, Condition::ServiceUnavailable),
            Refusal::NotFound | Refusal::NoSuchUser(_) => (ErrorType::Cancel, Condition::ItemNotFound),
            Refusal::NotOccupant => (ErrorType::Cancel, Condition::Forbidden),
            Refusal::NotAllowedAffiliations | Refusal::NotAllowedConfig => (ErrorType::Cancel, Condition::NotAllowed),
            Refusal::AlreadyExists => (ErrorType::Cancel, Condition::Conflict),
            Refusal::RoomFull { .. } | Refusal::TooManyRooms { .. } | Refusal::UserInTooManyRooms { .. } => {
                (ErrorType::Modify, Condition::PolicyViolation)
            }
            Refusal::NoChange | Refusal::BadRequest(_) => (ErrorType::Modify, Condition::BadRequest),
        };
        StanzaError::with_type(kind, condition).with_text(self.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Route(#[from] RouteError),
}

impl From<StoreError> for RoomError {
    fn from(e: StoreError) -> Self {
        RoomError::Route(e.into())
    }
}

impl RoomError {
    /// The stanza error an XMPP client gets; failures of ours are logged here.
    fn to_stanza_error(&self) -> StanzaError {
        match self {
            RoomError::Refused(r) => r.to_stanza_error(),
            RoomError::Route(e) => {
                tracing::error!(error = %e, "room operation failed");
                StanzaError::new(Condition::InternalServerError)
            }
        }
    }
}

/// What the core needs to know of `[modules.mod_muc_light]`.
#[derive(Debug, Clone)]
pub struct MucLightSettings {
    /// The service domain; `@HOST@` stands for each served host.
    pub host: String,
    pub rules: Rules,
}

/// Default values of a room created without them (MUC Light's default schema).
const DEFAULT_NAME: &str = "Untitled";

/// How often a change is retried when another change to the same room won the race.
const MAX_ATTEMPTS: usize = 16;

/// The MUC Light service of every served host.
pub(crate) struct MucLight {
    rules: Rules,
    /// Each served host's MUC Light domain.
    pattern: SubdomainPattern,
    hosts: Arc<Hosts>,
    /// IQs to the service domain.
    service: IqTable,
    /// IQs to a room.
    room: IqTable,
}

fn identity() -> Identity {
    Identity {
        category: "conference",
        kind: "text",
        name: Some("MUC Light"),
    }
}

impl MucLight {
    pub fn new(settings: &MucLightSettings, hosts: Arc<Hosts>) -> Self {
        let service = IqTable::new(identity())
            .with(ns::DISCO_ITEMS, "query", RoomItems)
            .with(ns::MUCLIGHT, "query", NoQuery)
            .with(ns::MUCLIGHT_CREATE, "query", CreateIq);
        let room = IqTable::new(identity())
            .with(ns::DISCO_ITEMS, "query", crate::core::routing::disco::NoItems)
            .with(ns::MUCLIGHT, "query", NoQuery)
            .unlisted(ns::MUCLIGHT_CREATE, "query", CreateIq)
            .unlisted(ns::MUCLIGHT_CONFIGURATION, "query", ConfigurationIq)
            .unlisted(ns::MUCLIGHT_AFFILIATIONS, "query", AffiliationsIq)
            .unlisted(ns::MUCLIGHT_INFO, "query", InfoIq)
            .unlisted(ns::MUCLIGHT_DESTROY, "query", DestroyIq)
            .with(ns::MAM, "query", RoomMam);
        MucLight {
            rules: settings.rules.clone(),
            pattern: SubdomainPattern::new(&settings.host),
            hosts,
            service,
            room,
        }
    }

    /// Every MUC Light domain served, with the host it serves.
    pub fn domains(&self) -> Vec<(String, String)> {
        self.pattern.served_domains(&self.hosts)
    }

    /// The MUC Light domain of `host`, served or not.
    pub fn domain_for(&self, host: &str) -> String {
        self.pattern.domain_for(host)
    }

    /// The MUC Light domain of `user`'s host.
    pub fn domain_of(&self, user: &BareJid) -> Option<String> {
        let host = user.domain().as_str();
        self.hosts.serves(host).then(|| self.pattern.domain_for(host))
    }
}

fn muc(core: &Core) -> Result<&MucLight, Refusal> {
    core.muc_light.as_deref().ok_or(Refusal::Disabled)
}

/// A fresh room version or generated id: 96 random bits, hex.
fn new_token() -> String {
    let bytes: [u8; 12] = rand::random();
    super::hex(&bytes)
}

/// A fresh id for a stanza the server makes.
fn new_id() -> String {
    let bytes: [u8; 8] = rand::random();
    super::hex(&bytes)
}

/// Why a path's room could not be named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomIdError {
    /// Not a valid JID local part, or a JID without one.
    InvalidId,
    /// A room JID on another domain than the user's MUC Light service.
    InvalidDomain,
    Disabled,
}

/// The room a REST path names for `user`: an id on the user's MUC Light service, or a
/// full room JID on it (any letter case).
pub fn resolve_room(core: &Core, user: &BareJid, given: &str) -> Result<BareJid, RoomIdError> {
    let muc = muc(core).map_err(|_| RoomIdError::Disabled)?;
    let service = muc.domain_of(user).ok_or(RoomIdError::Disabled)?;
    if given.contains('/') {
        return Err(RoomIdError::InvalidId);
    }
    if given.contains('@') {
        let jid = crate::core::jid::parse_bare(given).map_err(|_| RoomIdError::InvalidId)?;
        if jid.node().is_none() {
            return Err(RoomIdError::InvalidId);
        }
        if jid.domain().as_str() != service {
            return Err(RoomIdError::InvalidDomain);
        }
        return Ok(jid);
    }
    crate::core::jid::parse_account(&format!("{given}@{service}")).map_err(|_| RoomIdError::InvalidId)
}

async fn load(core: &Core, room: &BareJid) -> Result<Room, RoomError> {
    Ok(core.stores.rooms.room(room.as_str()).await?.ok_or(Refusal::NotFound)?)
}

/// Loads `room` for `user`, who must occupy it.
async fn load_for(core: &Core, room: &BareJid, user: &BareJid) -> Result<Room, RoomError> {
    let r = load(core, room).await?;
    rules::occupant(&r, user.as_str())?;
    Ok(r)
}

/// Writes `after` (or deletes the room) if the room is still as `before` was read;
/// `Ok(false)` when another change came first and the caller must read again.
async fn commit(core: &Core, before: &Room, after: Option<&Room>) -> Result<bool, RoomError> {
    let rooms = &core.stores.rooms;
    let result = match after {
        Some(after) => rooms.update_room(&before.version, after).await,
        None => rooms.delete_room(&before.jid, &before.version).await,
    };
    match result {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(StoreError::NotFound) => Err(Refusal::NotFound.into()),
        Err(e) => Err(e.into()),
    }
}

/// Too many attempts lost the race: the room is too busy right now.
fn too_busy() -> RoomError {
    RoomError::Route(RouteError::Store(StoreError::Unavailable(crate::store::Cause::msg(
        "the room changed too often while this change was being made",
    ))))
}

/// Routes `stanza` from `from` to every user in `to`, each a copy of one shared stanza.
async fn send_to_each(core: &Core, from: &Jid, stanza: &Element, to: &[String]) -> Result<(), RouteError> {
    let shared = SharedElement::new(stanza.clone());
    for user in to {
        match crate::core::jid::parse(user) {
            Ok(user) => core.route_copy(from.clone(), user, &shared).await?,
            // Not a JID (nothing stores one): the router answers it as any stanza.
            Err(_) => core.route(from.clone(), shared.with_to(user)).await?,
        }
    }
    Ok(())
}

/// Checks users about to join: accounts here, or users of servers this one federates
/// with (whether they exist only their server knows), below their room limit.
async fn check_newcomers(core: &Core, muc: &MucLight, users: &[String]) -> Result<(), RoomError> {
    for user in users {
        let jid = crate::core::jid::parse_bare(user).map_err(|_| Refusal::NoSuchUser(user.clone()))?;
        let domain = jid.domain().as_str();
        let known = if core.accounts.serves(domain) {
            core.accounts.exists(&jid).await?
        } else {
            jid.node().is_some() && core.s2s().is_some_and(|s| s.allows(domain))
        };
        if !known {
            return Err(Refusal::NoSuchUser(user.clone()).into());
        }
        if core.stores.rooms.count_rooms_of(user).await? >= muc.rules.rooms_per_user {
            return Err(Refusal::UserInTooManyRooms {
                user: user.clone(),
                max: muc.rules.rooms_per_user,
            }
            .into());
        }
    }
    Ok(())
}

/// Archives one entry per change (so REST lists one item per user), each an
/// affiliation notice with the room's new version; returns each change's archive id, in
/// the order of `changes` (the ids are consecutive).
async fn archive_changes(
    core: &Core,
    room: &str,
    id: &str,
    version: &str,
    changes: &[Change],
) -> Result<HashMap<String, i64>, RoomError> {
    let notices: Vec<Element> = changes
        .iter()
        .map(|c| protocol::affiliation_notice(room, id, None, Some(version), std::slice::from_ref(c)))
        .collect();
    let entries = changes
        .iter()
        .zip(&notices)
        .map(|((user, _), notice)| (room.to_owned(), user.clone(), notice))
        .collect();
    let (ids, _) = core.archive.append(&*core.stores.archive, entries).await?;
    Ok(changes.iter().map(|(user, _)| user.clone()).zip(ids).collect())
}

/// A notice sent with the XEP-0359 id of what the room archived for it: the archived
/// entry of its one change, or for a notice of several changes the last of their
/// entries (the event stream gives that id to all of them, so that a client resuming
/// from it gets none of them again). `None` (nothing archived): the notice as it is.
fn with_archive_id(notice: Element, room: &str, id: Option<i64>) -> Element {
    match id {
        Some(id) => notice.with_child(
            Element::new("stanza-id", ns::STANZA_ID)
                .with_attr("id", id.to_string())
                .with_attr("by", room),
        ),
        None => notice,
    }
}

/// Creates a room owned by `creator` (or by the member listed as owner), with the
/// given configuration and members: `room` on the creator's service, or a generated id
/// when `None`. `id` names the notifications (the request's id).
pub async fn create(
    core: &Core,
    creator: &BareJid,
    room: Option<&BareJid>,
    config: ConfigFields,
    members: &[Change],
    id: Option<&str>,
) -> Result<Room, RoomError> {
    let muc = muc(core)?;
    let service = muc.domain_of(creator).ok_or(Refusal::Disabled)?;
    if let Some(r) = room {
        if r.domain().as_str() != service.as_str() {
            return Err(Refusal::BadRequest("Rooms are created on the service of one's own domain".into()).into());
        }
    }
    if core.stores.rooms.count_rooms_of(creator.as_str()).await? >= muc.rules.rooms_per_user {
        return Err(Refusal::TooManyRooms {
            max: muc.rules.rooms_per_user,
        }
        .into());
    }
    let occupants = rules::initial_occupants(creator.as_str(), members, &muc.rules)?;
    let newcomers: Vec<String> = occupants.iter().skip(1).map(|o| o.user.clone()).collect();
    check_newcomers(core, muc, &newcomers).await?;
    let mut created = None;
    for _ in 0..MAX_ATTEMPTS {
        let jid = match room {
            Some(r) => r.to_string(),
            None => format!("{}@{service}", &new_token()[..12]),
        };
        let new = Room {
            jid,
            name: config.name.clone().unwrap_or_else(|| DEFAULT_NAME.to_owned()),
            subject: config.subject.clone().unwrap_or_default(),
            version: new_token(),
            occupants: occupants.clone(),
        };
        match core.stores.rooms.create_room(&new).await {
            Ok(()) => {
                created = Some(new);
                break;
            }
            Err(StoreError::Conflict) if room.is_none() => continue,
            Err(StoreError::Conflict) => return Err(Refusal::AlreadyExists.into()),
            Err(e) => return Err(e.into()),
        }
    }
    let created = created.ok_or_else(too_busy)?;
    let id = id.map_or_else(new_id, str::to_owned);
    let changes: Vec<Change> = created
        .occupants
        .iter()
        .map(|o| (o.user.clone(), Some(o.affiliation)))
        .collect();
    let archived = archive_changes(core, &created.jid, &id, &created.version, &changes).await?;
    let from = Jid::new(&created.jid).map_err(|_| Refusal::NotFound)?;
    for change in &changes {
        let notice = protocol::affiliation_notice(
            &created.jid,
            &id,
            None,
            Some(&created.version),
            std::slice::from_ref(change),
        );
        let notice = with_archive_id(notice, &created.jid, archived.get(&change.0).copied());
        send_to_each(core, &from, &notice, std::slice::from_ref(&change.0)).await?;
    }
    Ok(created)
}

/// The rooms `user` occupies.
pub async fn rooms_of(core: &Core, user: &BareJid) -> Result<Vec<RoomSummary>, RoomError> {
    muc(core)?;
    Ok(core.stores.rooms.rooms_of(user.as_str()).await?)
}

/// A room as its occupant `user` sees it.
pub async fn details(core: &Core, user: &BareJid, room: &BareJid) -> Result<Room, RoomError> {
    muc(core)?;
    load_for(core, room, user).await
}

/// Sets configuration fields (absent ones stay); every occupant is notified.
pub async fn configure(
    core: &Core,
    user: &BareJid,
    room: &BareJid,
    fields: ConfigFields,
    id: Option<&str>,
) -> Result<(), RoomError> {
    let muc = muc(core)?;
    for _ in 0..MAX_ATTEMPTS {
        let before = load(core, room).await?;
        rules::may_configure(&before, user.as_str(), &muc.rules)?;
        let after = Room {
            name: fields.name.clone().unwrap_or_else(|| before.name.clone()),
            subject: fields.subject.clone().unwrap_or_else(|| before.subject.clone()),
            version: new_token(),
            ..before.clone()
        };
        if !commit(core, &before, Some(&after)).await? {
            continue;
        }
        let id = id.map_or_else(new_id, str::to_owned);
        let notice = protocol::configuration_notice(&after.jid, &id, &before.version, &after.version, &fields);
        let everyone: Vec<String> = after.occupants.iter().map(|o| o.user.clone()).collect();
        send_to_each(core, &Jid::from(room.clone()), &notice, &everyone).await?;
        return Ok(());
    }
    Err(too_busy())
}

/// Applies affiliation changes requested by `actor` (see `rules::change_affiliations`),
/// archives them, and notifies who is concerned; destroys the room when it empties.
pub async fn change_affiliations(
    core: &Core,
    actor: &BareJid,
    room: &BareJid,
    requested: &[Change],
    id: Option<&str>,
) -> Result<(), RoomError> {
    let muc = muc(core)?;
    for _ in 0..MAX_ATTEMPTS {
        let before = load(core, room).await?;
        let outcome = rules::change_affiliations(&before, actor.as_str(), requested, &muc.rules)?;
        check_newcomers(core, muc, &outcome.added).await?;
        let after = (!outcome.occupants.is_empty()).then(|| Room {
            version: new_token(),
            occupants: outcome.occupants.clone(),
            ..before.clone()
        });
        if !commit(core, &before, after.as_ref()).await? {
            continue;
        }
        let id = id.map_or_else(new_id, str::to_owned);
        let from = Jid::from(room.clone());
        let Some(after) = after else {
            // The last occupant left: the room and its archive go.
            let n = core.stores.archive.delete_archive(room.as_str()).await?;
            tracing::info!(%room, messages = n, "empty room destroyed with its archive");
            return tell_removed(core, room, &id, &outcome.removed, &HashMap::new()).await;
        };
        let archived = archive_changes(core, room.as_str(), &id, &after.version, &outcome.changes).await?;
        let staying: Vec<String> = after
            .occupants
            .iter()
            .map(|o| o.user.clone())
            .filter(|u| !outcome.added.contains(u))
            .collect();
        let full = protocol::affiliation_notice(
            room.as_str(),
            &id,
            Some(&before.version),
            Some(&after.version),
            &outcome.changes,
        );
        let full = with_archive_id(full, room.as_str(), archived.values().max().copied());
        send_to_each(core, &from, &full, &staying).await?;
        for user in &outcome.added {
            let own = outcome.changes.iter().find(|(u, _)| u == user).cloned();
            let notice = protocol::affiliation_notice(room.as_str(), &id, None, Some(&after.version), own.as_slice());
            let notice = with_archive_id(notice, room.as_str(), archived.get(user).copied());
            send_to_each(core, &from, &notice, std::slice::from_ref(user)).await?;
        }
        return tell_removed(core, room, &id, &outcome.removed, &archived).await;
    }
    Err(too_busy())
}

/// Tells each user who left `room` (or was removed) of it: their own `none` item, no
/// version (MUC Light's short form), with the archive id of that change when the room
/// archived it (`archived`).
async fn tell_removed(
    core: &Core,
    room: &BareJid,
    id: &str,
    removed: &[String],
    archived: &HashMap<String, i64>,
) -> Result<(), RoomError> {
    let from = Jid::from(room.clone());
    for user in removed {
        let notice = protocol::affiliation_notice(room.as_str(), id, None, None, &[(user.clone(), None)]);
        let notice = with_archive_id(notice, room.as_str(), archived.get(user).copied());
        send_to_each(core, &from, &notice, std::slice::from_ref(user)).await?;
    }
    Ok(())
}

/// Destroys the room (its owner only): every occupant is told, the archive is deleted.
pub async fn destroy(core: &Core, actor: &BareJid, room: &BareJid, id: Option<&str>) -> Result<(), RoomError> {
    destroy_as(core, Some(actor), room, id).await
}

/// Destroys the room on the service's own authority (the admin API), as its owner would.
pub async fn destroy_by_service(core: &Core, room: &BareJid) -> Result<(), RoomError> {
    destroy_as(core, None, room, None).await
}

/// The service of this server named `domain` (any letter case), if there is one.
pub fn service_named(core: &Core, domain: &str) -> Option<String> {
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    let muc = core.muc_light.as_deref()?;
    muc.pattern.host_of(&domain, &muc.hosts)?;
    Some(domain)
}

async fn destroy_as(core: &Core, actor: Option<&BareJid>, room: &BareJid, id: Option<&str>) -> Result<(), RoomError> {
    muc(core)?;
    for _ in 0..MAX_ATTEMPTS {
        let before = load(core, room).await?;
        if let Some(actor) = actor {
            rules::may_destroy(&before, actor.as_str())?;
        }
        if !commit(core, &before, None).await? {
            continue;
        }
        core.stores.archive.delete_archive(room.as_str()).await?;
        let id = id.map_or_else(new_id, str::to_owned);
        let from = Jid::from(room.clone());
        for o in &before.occupants {
            let notice = protocol::destroy_notice(room.as_str(), &id, &o.user);
            send_to_each(core, &from, &notice, std::slice::from_ref(&o.user)).await?;
        }
        return Ok(());
    }
    Err(too_busy())
}

/// Whether a room message is kept in the room's archive: it says something (a body) or
/// marks something (a chat marker).
fn archivable(message: &Element) -> bool {
    message.child("body", ns::CLIENT).is_some()
        || message
            .elements()
            .any(|e| e.ns == ns::CHAT_MARKERS && MARKERS.contains(&e.name.as_str()))
}

/// Relays a groupchat `message` from the occupant `sender` to every occupant of `room`
/// (the sender too), from `room/sender`, after archiving it; returns its id.
pub async fn send(core: &Core, sender: &BareJid, room: &BareJid, message: &Element) -> Result<String, RoomError> {
    muc(core)?;
    let current = load_for(core, room, sender).await?;
    let from = room
        .with_resource_str(sender.as_str())
        .map_err(|_| Refusal::BadRequest("Invalid sender".into()))?;
    let id = message.attr("id").map_or_else(new_id, str::to_owned);
    let mut relay = Element::new("message", ns::CLIENT)
        .with_attr("from", from.to_string())
        .with_attr("type", "groupchat")
        .with_attr("id", id.clone());
    // Stanza ids by the room are the room's to give, never the client's (XEP-0359 §5).
    relay.children = message
        .children
        .iter()
        .filter(|n| !matches!(n, Node::Element(e) if e.is("stanza-id", ns::STANZA_ID)))
        .cloned()
        .collect();
    if archivable(&relay) {
        let entry = (room.to_string(), sender.to_string(), &relay);
        let (ids, _) = core.archive.append(&*core.stores.archive, vec![entry]).await?;
        relay = relay.with_child(
            Element::new("stanza-id", ns::STANZA_ID)
                .with_attr("id", ids[0].to_string())
                .with_attr("by", room.to_string()),
        );
    }
    let everyone: Vec<String> = current.occupants.iter().map(|o| o.user.clone()).collect();
    send_to_each(core, &Jid::from(from), &relay, &everyone).await?;
    Ok(id)
}

/// [`send`] for a sender without a stream (the REST API), whose next message may go
/// through another node of a cluster: returns once what this one sent to other nodes is
/// on its way, so the two keep their order wherever they meet.
pub async fn send_ordered(
    core: &Core,
    sender: &BareJid,
    room: &BareJid,
    message: &Element,
) -> Result<String, RoomError> {
    // Members' sessions on this node get it at once: what the sender sent through other
    // nodes just before goes to them first (a no-op without a cluster).
    core.catch_up().await;
    let sent = send(core, sender, room, message).await;
    core.settle().await;
    sent
}

/// A page of the room's archive (see [`Page`]), oldest first, for an occupant.
pub async fn history(core: &Core, user: &BareJid, room: &BareJid, page: Page) -> Result<Vec<RoomItem>, RoomError> {
    muc(core)?;
    load_for(core, room, user).await?;
    let rows = super::archive::rows(core, room, None, page).await?;
    Ok(rows.iter().filter_map(RoomItem::from_archived).collect())
}

/// A groupchat message to a room, as REST sends it: a body, a XEP-0333 marker, or
/// both; `markable` only with a body.
pub fn room_message(body: Option<String>, markable: bool, marker: Option<&ChatMarker>) -> Element {
    let mut m = Element::new("message", ns::CLIENT)
        .with_attr("type", "groupchat")
        .with_attr("id", new_id());
    let has_body = body.is_some();
    if let Some(b) = body {
        m = m.with_child(Element::new("body", ns::CLIENT).with_text(b));
    }
    if let Some(marker) = marker {
        m = m.with_child(Element::new(marker.kind.clone(), ns::CHAT_MARKERS).with_attr("id", marker.id.clone()));
    }
    if markable && has_body {
        m = m.with_child(Element::new("markable", ns::CHAT_MARKERS));
    }
    m
}

#[async_trait]
impl Service for MucLight {
    async fn handle(&self, core: &Core, Routed { from, to, stanza }: Routed) -> Result<(), RouteError> {
        if super::stanza::is_error_or_response(&stanza) && stanza.name != "iq" {
            return Ok(());
        }
        if to.resource().is_some() {
            let error = StanzaError::new(Condition::BadRequest).with_text("Resource expected to be empty");
            core.bounce(&to, &stanza, error).await;
            return Ok(());
        }
        match stanza.name.as_str() {
            "message" => self.message(core, from, to, stanza).await,
            "iq" => self.iq(core, from, to, stanza).await,
            // MUC Light has no presence.
            _ => Ok(()),
        }
    }
}

impl MucLight {
    async fn message(&self, core: &Core, from: Jid, to: Jid, stanza: Element) -> Result<(), RouteError> {
        let refused = match (to.node(), MessageType::of(&stanza)) {
            (Some(_), MessageType::Groupchat) => match send(core, &from.to_bare(), &to.to_bare(), &stanza).await {
                Ok(_) => return Ok(()),
                Err(RoomError::Route(e)) => return Err(e),
                Err(RoomError::Refused(r)) => r.to_stanza_error(),
            },
            _ => StanzaError::new(Condition::BadRequest).with_text("Rooms take groupchat messages"),
        };
        core.bounce(&to, &stanza, refused).await;
        Ok(())
    }

    async fn iq(&self, core: &Core, from: Jid, to: Jid, stanza: Element) -> Result<(), RouteError> {
        if !IqType::of(&stanza).is_some_and(IqType::is_request) {
            return Ok(());
        }
        let table = if to.node().is_some() { &self.room } else { &self.service };
        let reply = table.dispatch(core, &from, &to, &stanza).await;
        core.route(to, reply).await
    }
}

/// The room a request addresses (its `to`, bare).
fn addressed(request: &IqRequest<'_>) -> BareJid {
    request.to.to_bare()
}

/// The answer to a get of versioned state: nothing when the client has that version.
fn versioned(request: &IqRequest<'_>, room: &Room, result: impl FnOnce(&Room) -> Element) -> IqAnswer {
    match protocol::known_version(request.payload) {
        Some(v) if v == room.version => Ok(None),
        _ => Ok(Some(result(room))),
    }
}

fn refused(e: RoomError) -> StanzaError {
    e.to_stanza_error()
}

/// `#create`: to a room JID that does not exist yet, or to the service for an id of the
/// server's choice. The result comes from where the request went; the notifications
/// from the room.
struct CreateIq;

#[async_trait]
impl IqHandler for CreateIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        let config = match request.payload.child("configuration", ns::MUCLIGHT_CREATE) {
            Some(c) => protocol::parse_config(c).map_err(|r| r.to_stanza_error())?,
            None => ConfigFields::default(),
        };
        let members = match request.payload.child("occupants", ns::MUCLIGHT_CREATE) {
            Some(o) => protocol::parse_users(o).map_err(|r| r.to_stanza_error())?,
            None => Vec::new(),
        };
        let room = request.to.node().map(|_| addressed(&request));
        create(
            core,
            &request.from.to_bare(),
            room.as_ref(),
            config,
            &members,
            request.id,
        )
        .await
        .map_err(refused)?;
        Ok(None)
    }
}

/// `#configuration` get and set.
struct ConfigurationIq;

#[async_trait]
impl IqHandler for ConfigurationIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let (user, room) = (request.from.to_bare(), addressed(&request));
        if request.is_get() {
            let r = details(core, &user, &room).await.map_err(refused)?;
            return versioned(&request, &r, protocol::configuration_result);
        }
        let fields = protocol::parse_config(request.payload).map_err(|r| r.to_stanza_error())?;
        configure(core, &user, &room, fields, request.id)
            .await
            .map_err(refused)?;
        Ok(None)
    }
}

/// `#affiliations` get and set.
struct AffiliationsIq;

#[async_trait]
impl IqHandler for AffiliationsIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let (user, room) = (request.from.to_bare(), addressed(&request));
        if request.is_get() {
            let r = details(core, &user, &room).await.map_err(refused)?;
            return versioned(&request, &r, protocol::affiliations_result);
        }
        let changes = protocol::parse_users(request.payload).map_err(|r| r.to_stanza_error())?;
        change_affiliations(core, &user, &room, &changes, request.id)
            .await
            .map_err(refused)?;
        Ok(None)
    }
}

/// `#info` get.
struct InfoIq;

#[async_trait]
impl IqHandler for InfoIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        let r = details(core, &request.from.to_bare(), &addressed(&request))
            .await
            .map_err(refused)?;
        versioned(&request, &r, protocol::info_result)
    }
}

/// `#destroy` set.
struct DestroyIq;

#[async_trait]
impl IqHandler for DestroyIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        destroy(core, &request.from.to_bare(), &addressed(&request), request.id)
            .await
            .map_err(refused)?;
        Ok(None)
    }
}

/// The bare `urn:xmpp:muclight:0` namespace only names the feature; nothing is queried
/// with it.
struct NoQuery;

#[async_trait]
impl IqHandler for NoQuery {
    async fn handle(&self, _: &Core, _: IqRequest<'_>) -> IqAnswer {
        Err(Condition::FeatureNotImplemented.into())
    }
}

/// MAM on a room's archive, for its occupants.
struct RoomMam;

#[async_trait]
impl IqHandler for RoomMam {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let room = addressed(&request);
        details(core, &request.from.to_bare(), &room).await.map_err(refused)?;
        mam::answer(core, &room, &request).await
    }
}

/// disco#items on the service: the requester's rooms, with their names and versions.
struct RoomItems;

#[async_trait]
impl IqHandler for RoomItems {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        let rooms = rooms_of(core, &request.from.to_bare()).await.map_err(refused)?;
        let mut query = Element::new("query", ns::DISCO_ITEMS);
        for r in rooms {
            query = query.with_child(
                Element::new("item", ns::DISCO_ITEMS)
                    .with_attr("jid", r.jid)
                    .with_attr("name", r.name)
                    .with_attr("version", r.version),
            );
        }
        Ok(Some(query))
    }
}

/// A removed account leaves every room it was in, as if it had left itself.
pub(crate) struct LeaveRoomsOfRemovedAccount;

#[async_trait]
impl Subscriber for LeaveRoomsOfRemovedAccount {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        let AccountEvent::Removed(user) = event else {
            return Ok(());
        };
        for summary in core.stores.rooms.rooms_of(user.as_str()).await? {
            let Ok(room) = BareJid::new(&summary.jid) else {
                continue;
            };
            match change_affiliations(core, user, &room, &[(user.to_string(), None)], None).await {
                Ok(()) | Err(RoomError::Refused(_)) => {}
                Err(RoomError::Route(e)) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

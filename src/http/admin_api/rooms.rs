//! `/muc-lights/{service}` and `/mucs/{domain}`: rooms run for users. MUC Light
//! operations are the core's room operations acting as the named user (or, to destroy,
//! as the service); MUC (XEP-0045) operations act on the room under its lock with the
//! room's own rules (`core::muc::admin`).

use super::{account_exists, internal, NoAccount};
use crate::core::muc::admin::{self as muc, MucAdminError};
use crate::core::muc_light::{self, Affiliation, ConfigFields, Refusal, RoomError};
use crate::core::Core;
use jid::BareJid;
use meerkat_admin_api as api;
use swagger::ApiError;

/// A refused request: its status and text.
pub(super) enum Refused {
    BadRequest(String),
    Forbidden(String),
    NotFound(String),
    Conflict(String),
}

type Outcome<T> = Result<Result<T, Refused>, ApiError>;

/// The response for `outcome`, for operations with no `409` of their own (a conflict is
/// then a refusal, `403`).
pub(super) fn answer<T, R>(
    outcome: Result<T, Refused>,
    ok: impl FnOnce(T) -> R,
    bad: fn(String) -> R,
    forbidden: fn(String) -> R,
    not_found: fn(String) -> R,
) -> R {
    match outcome {
        Ok(t) => ok(t),
        Err(Refused::BadRequest(t)) => bad(t),
        Err(Refused::Forbidden(t) | Refused::Conflict(t)) => forbidden(t),
        Err(Refused::NotFound(t)) => not_found(t),
    }
}

const NO_LIGHT_SERVICE: &str = "MUC Light server not found";

/// An account of this server named in a body; `unknown` is the text for one that does
/// not exist.
async fn account(core: &Core, given: &str, invalid: &str, unknown: &str) -> Outcome<BareJid> {
    let Ok(jid) = crate::core::jid::parse(given.trim()).map(|j| j.to_bare()) else {
        return Ok(Err(Refused::BadRequest(invalid.to_owned())));
    };
    if jid.node().is_none() {
        return Ok(Err(Refused::BadRequest(invalid.to_owned())));
    }
    Ok(match account_exists(core, &jid).await? {
        Ok(()) => Ok(jid),
        Err(NoAccount::Domain) => Err(Refused::BadRequest("User's domain does not exist".to_owned())),
        Err(NoAccount::User) => Err(Refused::BadRequest(unknown.to_owned())),
    })
}

fn light_refusal<T>(e: RoomError) -> Outcome<T> {
    let refusal = match e {
        RoomError::Refused(r) => r,
        RoomError::Route(e) => return Err(internal(e)),
    };
    let text = refusal.to_string();
    Ok(Err(match refusal {
        Refusal::Disabled => Refused::NotFound(NO_LIGHT_SERVICE.into()),
        Refusal::NotFound | Refusal::NoSuchUser(_) => Refused::NotFound(text),
        Refusal::AlreadyExists => Refused::Conflict(text),
        Refusal::NotOccupant
        | Refusal::NotAllowedAffiliations
        | Refusal::NotAllowedConfig
        | Refusal::RoomFull { .. }
        | Refusal::TooManyRooms { .. }
        | Refusal::UserInTooManyRooms { .. } => Refused::Forbidden(text),
        Refusal::NoChange | Refusal::BadRequest(_) => Refused::BadRequest(text),
    }))
}

/// `id@service` for a MUC Light service of this server.
fn light_room(core: &Core, service: &str, id: &str) -> Result<BareJid, Refused> {
    let service = muc_light::service_named(core, service).ok_or_else(|| Refused::NotFound(NO_LIGHT_SERVICE.into()))?;
    BareJid::new(&format!("{}@{service}", id.trim()))
        .ok()
        .filter(|j| !id.contains(['@', '/']) && j.node().is_some())
        .ok_or_else(|| Refused::BadRequest("Invalid room ID or domain name".into()))
}

pub(super) async fn create_light(
    core: &Core,
    service: &str,
    id: Option<String>,
    owner: String,
    name: String,
    subject: String,
) -> Outcome<String> {
    let Some(service) = muc_light::service_named(core, service) else {
        return Ok(Err(Refused::NotFound(NO_LIGHT_SERVICE.into())));
    };
    let owner = match account(core, &owner, "Invalid owner JID", "Given user does not exist").await? {
        Ok(jid) => jid,
        Err(r) => return Ok(Err(r)),
    };
    let room = match id {
        None => None,
        Some(id) => match BareJid::new(&format!("{}@{service}", id.trim())) {
            Ok(j) if !id.contains(['@', '/']) && j.node().is_some() => Some(j),
            _ => return Ok(Err(Refused::BadRequest("Invalid room ID".into()))),
        },
    };
    let config = ConfigFields {
        name: Some(name),
        subject: Some(subject),
    };
    match muc_light::create(core, &owner, room.as_ref(), config, &[], None).await {
        Ok(created) => Ok(Ok(created.jid)),
        Err(e) => light_refusal(e),
    }
}

pub(super) async fn invite_light(
    core: &Core,
    service: &str,
    id: &str,
    invitation: api::models::MucLightInvitation,
) -> Outcome<()> {
    let room = match light_room(core, service, id) {
        Ok(room) => room,
        Err(r) => return Ok(Err(r)),
    };
    let sender = match account(
        core,
        &invitation.sender,
        "Invalid sender JID",
        "Given user does not exist",
    )
    .await?
    {
        Ok(jid) => jid,
        Err(r) => return Ok(Err(r)),
    };
    let Ok(recipient) = crate::core::jid::parse_account(invitation.recipient.trim()) else {
        return Ok(Err(Refused::BadRequest("Invalid recipient JID".into())));
    };
    let change = (recipient.to_string(), Some(Affiliation::Member));
    match muc_light::change_affiliations(core, &sender, &room, &[change], None).await {
        // Already a member: nothing to do, which is what was asked.
        Ok(()) | Err(RoomError::Refused(Refusal::NoChange)) => Ok(Ok(())),
        Err(e) => light_refusal(e),
    }
}

pub(super) async fn send_light(
    core: &Core,
    service: &str,
    id: &str,
    message: api::models::RoomMessageToSend,
) -> Outcome<()> {
    let room = match light_room(core, service, id) {
        Ok(room) => room,
        Err(r) => return Ok(Err(r)),
    };
    let sender = match account(core, &message.from, "Invalid sender JID", "Given user does not exist").await? {
        Ok(jid) => jid,
        Err(r) => return Ok(Err(r)),
    };
    let stanza = muc_light::room_message(Some(message.body), false, None);
    match muc_light::send_ordered(core, &sender, &room, &stanza).await {
        Ok(_) => Ok(Ok(())),
        Err(e) => light_refusal(e),
    }
}

pub(super) async fn delete_light(core: &Core, service: &str, id: &str) -> Outcome<()> {
    let room = match light_room(core, service, id) {
        Ok(room) => room,
        Err(r) => return Ok(Err(r)),
    };
    match muc_light::destroy_by_service(core, &room).await {
        Ok(()) => Ok(Ok(())),
        Err(e) => light_refusal(e),
    }
}

pub(super) async fn rooms_of_user(core: &Core, service: &str, user: &str) -> Outcome<Vec<api::models::MucLightRoom>> {
    let Some(service) = muc_light::service_named(core, service) else {
        return Ok(Err(Refused::NotFound(NO_LIGHT_SERVICE.into())));
    };
    let Ok(user) = crate::core::jid::parse_account(user.trim()) else {
        return Ok(Err(Refused::BadRequest("Invalid user JID".into())));
    };
    if account_exists(core, &user).await?.is_err() {
        return Ok(Err(Refused::NotFound("User does not exist".into())));
    }
    let suffix = format!("@{service}");
    match muc_light::rooms_of(core, &user).await {
        Ok(rooms) => Ok(Ok(rooms
            .into_iter()
            .filter(|r| r.jid.ends_with(&suffix))
            .map(|r| {
                let id = r.jid.split_once('@').map_or(r.jid.as_str(), |(n, _)| n).to_owned();
                api::models::MucLightRoom::new(id, r.jid, r.name, r.subject)
            })
            .collect())),
        Err(e) => light_refusal(e),
    }
}

fn muc_refusal<T>(e: MucAdminError) -> Outcome<T> {
    let text = e.to_string();
    Ok(Err(match e {
        MucAdminError::NoService | MucAdminError::RoomNotFound | MucAdminError::OccupantNotFound => {
            Refused::NotFound(text)
        }
        MucAdminError::InvalidRoom | MucAdminError::InvalidNick => Refused::BadRequest(text),
        MucAdminError::AlreadyExists => Refused::Conflict(text),
        MucAdminError::NotOccupant | MucAdminError::Refused(_) => Refused::Forbidden(text),
        MucAdminError::Route(e) => return Err(internal(e)),
    }))
}

pub(super) async fn create_muc(core: &Core, domain: &str, room: api::models::MucRoomToCreate) -> Outcome<String> {
    let jid = match muc::room_jid(core, domain, &room.name) {
        Ok(jid) => jid,
        Err(e) => return muc_refusal(e),
    };
    let owner = match account(core, &room.owner, "Invalid owner JID", "Given user not found").await? {
        Ok(jid) => jid,
        Err(Refused::BadRequest(t)) if t != "Invalid owner JID" => {
            return Ok(Err(Refused::NotFound("Given user not found".into())))
        }
        Err(r) => return Ok(Err(r)),
    };
    match muc::create(core, &jid, &owner, &room.nick).await {
        Ok(()) => Ok(Ok(jid.node().map(|n| n.to_string()).unwrap_or_default())),
        Err(e) => muc_refusal(e),
    }
}

pub(super) async fn list_muc(core: &Core, domain: &str) -> Outcome<Vec<api::models::MucRoom>> {
    use api::models::{MucOccupantAffiliation as A, MucOccupantRole as R};
    let rooms = match muc::rooms(core, domain).await {
        Ok(rooms) => rooms,
        Err(e) => return muc_refusal(e),
    };
    Ok(Ok(rooms
        .into_iter()
        .map(|r| {
            let occupants = r
                .occupants
                .into_iter()
                .map(|o| {
                    let role = match o.role.as_str() {
                        "moderator" => R::Moderator,
                        "visitor" => R::Visitor,
                        _ => R::Participant,
                    };
                    let affiliation = match o.affiliation.as_str() {
                        "owner" => A::Owner,
                        "admin" => A::Admin,
                        "member" => A::Member,
                        _ => A::None,
                    };
                    api::models::MucOccupant::new(o.nick, o.jid, role, affiliation)
                })
                .collect();
            let name = r.jid.split_once('@').map_or("", |(n, _)| n).to_owned();
            api::models::MucRoom::new(name, r.jid, r.title, r.persistent, r.public, occupants)
        })
        .collect()))
}

pub(super) async fn invite_muc(
    core: &Core,
    domain: &str,
    room: &str,
    invitation: api::models::MucInvitation,
) -> Outcome<()> {
    let jid = match muc::room_jid(core, domain, room) {
        Ok(jid) => jid,
        Err(e) => return muc_refusal(e),
    };
    let sender = match account(core, &invitation.sender, "Invalid sender JID", "User does not exist").await? {
        Ok(jid) => jid,
        Err(r) => return Ok(Err(r)),
    };
    let Ok(recipient) = crate::core::jid::parse_account(invitation.recipient.trim()) else {
        return Ok(Err(Refused::BadRequest("Invalid recipient JID".into())));
    };
    let domain = recipient.domain().as_str().to_owned();
    if !core.accounts().serves(&domain) && core.s2s().is_none_or(|s| !s.allows(&domain)) {
        return Ok(Err(Refused::Forbidden(format!(
            "This server does not federate with {domain}"
        ))));
    }
    match muc::invite(core, &jid, &sender, &recipient, &invitation.reason).await {
        Ok(()) => Ok(Ok(())),
        Err(e) => muc_refusal(e),
    }
}

pub(super) async fn send_muc(
    core: &Core,
    domain: &str,
    room: &str,
    message: api::models::RoomMessageToSend,
) -> Outcome<()> {
    let jid = match muc::room_jid(core, domain, room) {
        Ok(jid) => jid,
        Err(e) => return muc_refusal(e),
    };
    let Ok(from) = crate::core::jid::parse(message.from.trim()).map(|j| j.to_bare()) else {
        return Ok(Err(Refused::BadRequest("Invalid sender JID".into())));
    };
    match muc::send_message(core, &jid, &from, message.body).await {
        Ok(()) => Ok(Ok(())),
        Err(e) => muc_refusal(e),
    }
}

pub(super) async fn kick_muc(core: &Core, domain: &str, room: &str, nick: &str) -> Outcome<()> {
    let jid = match muc::room_jid(core, domain, room) {
        Ok(jid) => jid,
        Err(e) => return muc_refusal(e),
    };
    match muc::kick(core, &jid, nick).await {
        Ok(()) => Ok(Ok(())),
        Err(e) => muc_refusal(e),
    }
}

//! Rooms (MUC Light) over REST: the nine room operations of `api/client.yaml`, each a
//! call to the core's room operations, so REST users and XMPP clients act on the same
//! rooms with the same rules. A room is named in a path by its id or its room JID on the
//! user's own MUC Light service. With `mod_muc_light` off, every room operation answers
//! `501`.

use super::{internal, not_implemented};
use crate::core::archive::Page;
use crate::core::muc_light::Affiliation;
use crate::core::muc_light::{self, ChatMarker, ConfigFields, Refusal, RoomError, RoomIdError, RoomItem, MARKERS};
use crate::core::Core;
use jid::BareJid;
use meerkat_client_api as api;
use meerkat_client_api::models;
use swagger::ApiError;

/// Why a room operation did not succeed: the path named no room, or the core refused.
enum Failure {
    RoomId(RoomIdError),
    Room(RoomError),
}

impl From<RoomIdError> for Failure {
    fn from(e: RoomIdError) -> Self {
        Failure::RoomId(e)
    }
}

impl From<RoomError> for Failure {
    fn from(e: RoomError) -> Self {
        Failure::Room(e)
    }
}

/// The error answers every room operation's response type has (the generated names
/// differ per operation).
trait RoomResponse: Sized {
    fn bad_request(text: String) -> Self;
    fn forbidden(text: String) -> Self;
    fn not_found(text: String) -> Self;
    fn not_implemented() -> Self;
}

macro_rules! room_response {
    ($($r:ident { $bad:ident, $forbidden:ident, $not_found:ident })*) => {$(
        impl RoomResponse for api::$r {
            fn bad_request(text: String) -> Self {
                api::$r::$bad(text)
            }
            fn forbidden(text: String) -> Self {
                api::$r::$forbidden(text)
            }
            fn not_found(text: String) -> Self {
                api::$r::$not_found(text)
            }
            fn not_implemented() -> Self {
                api::$r::NotImplemented(not_implemented())
            }
        }
    )*};
}

// Where an operation documents no 404 (creating, listing), "not found" cannot happen; it
// would be a bad request.
room_response! {
    CreateRoomResponse { BadRequest, Forbidden, BadRequest }
    CreateRoomWithIdResponse { BadRequest, Forbidden, BadRequest }
    ListRoomsResponse { BadRequest, BadRequest, BadRequest }
    GetRoomResponse { BadRequest, Forbidden, RoomNotFound }
    SetRoomConfigResponse { BadRequest, Forbidden, RoomNotFound }
    InviteToRoomResponse { BadRequest, Forbidden, RoomOrUserNotFound }
    RemoveFromRoomResponse { BadRequest, Forbidden, RoomNotFound }
    SendRoomMessageResponse { BadRequest, Forbidden, RoomNotFound }
    GetRoomMessagesResponse { BadRequest, Forbidden, RoomNotFound }
}

/// The answer to an operation's outcome; failures of ours are `503` (through
/// [`internal`]).
fn respond<R: RoomResponse>(outcome: Result<R, Failure>) -> Result<R, ApiError> {
    let refusal = match outcome {
        Ok(r) => return Ok(r),
        Err(Failure::RoomId(RoomIdError::Disabled)) => return Ok(R::not_implemented()),
        Err(Failure::RoomId(RoomIdError::InvalidDomain)) => {
            return Ok(R::bad_request("Invalid MUC Light domain".into()))
        }
        Err(Failure::RoomId(RoomIdError::InvalidId)) => return Ok(R::bad_request("Invalid room ID".into())),
        Err(Failure::Room(RoomError::Route(e))) => return Err(internal(e)),
        Err(Failure::Room(RoomError::Refused(r))) => r,
    };
    let text = refusal.to_string();
    Ok(match refusal {
        Refusal::Disabled => R::not_implemented(),
        Refusal::NotFound | Refusal::NoSuchUser(_) => R::not_found(text),
        Refusal::NotOccupant
        | Refusal::NotAllowedAffiliations
        | Refusal::NotAllowedConfig
        | Refusal::AlreadyExists
        | Refusal::RoomFull { .. }
        | Refusal::TooManyRooms { .. }
        | Refusal::UserInTooManyRooms { .. } => R::forbidden(text),
        Refusal::NoChange | Refusal::BadRequest(_) => R::bad_request(text),
    })
}

fn config(name: String, subject: String) -> ConfigFields {
    ConfigFields {
        name: Some(name),
        subject: Some(subject),
    }
}

/// A room's id: the local part of its JID.
fn node_of(jid: &str) -> String {
    jid.split_once('@').map_or(jid, |(n, _)| n).to_owned()
}

/// A user JID from a body or path: bare, with a local part.
fn user_jid(given: &str) -> Option<BareJid> {
    crate::core::jid::parse_account(given.trim()).ok()
}

/// `DELETE /rooms/{id}/users` without a user (a compatibility answer outside the spec):
/// the room id is still checked first, then `400 "Missing JID"`. With rooms switched off,
/// `None` (the caller answers `501`).
pub(super) fn missing_user(core: &Core, user: &BareJid, id: &str) -> Option<(hyper::StatusCode, &'static str)> {
    use hyper::StatusCode;
    match muc_light::resolve_room(core, user, id) {
        Ok(_) => Some((StatusCode::BAD_REQUEST, "Missing JID")),
        Err(RoomIdError::Disabled) => None,
        Err(RoomIdError::InvalidDomain) => Some((StatusCode::BAD_REQUEST, "Invalid MUC Light domain")),
        Err(RoomIdError::InvalidId) => Some((StatusCode::BAD_REQUEST, "Invalid room ID")),
    }
}

pub(super) async fn create(
    core: &Core,
    user: &BareJid,
    new: models::RoomRequest,
) -> Result<api::CreateRoomResponse, ApiError> {
    respond(
        async {
            let room = muc_light::create(core, user, None, config(new.name, new.subject), &[], None).await?;
            Ok(api::CreateRoomResponse::RoomCreated(models::RoomId::new(node_of(
                &room.jid,
            ))))
        }
        .await,
    )
}

pub(super) async fn create_with_id(
    core: &Core,
    user: &BareJid,
    id: &str,
    new: models::RoomRequest,
) -> Result<api::CreateRoomWithIdResponse, ApiError> {
    respond(
        async {
            let room = muc_light::resolve_room(core, user, id)?;
            let room = muc_light::create(core, user, Some(&room), config(new.name, new.subject), &[], None).await?;
            Ok(api::CreateRoomWithIdResponse::RoomCreated(models::RoomId::new(
                node_of(&room.jid),
            )))
        }
        .await,
    )
}

pub(super) async fn list(core: &Core, user: &BareJid) -> Result<api::ListRoomsResponse, ApiError> {
    respond(
        async {
            let rooms = muc_light::rooms_of(core, user).await?;
            Ok(api::ListRoomsResponse::RoomList(
                rooms
                    .into_iter()
                    .map(|r| models::RoomSummary::new(node_of(&r.jid), r.name, r.subject))
                    .collect(),
            ))
        }
        .await,
    )
}

pub(super) async fn get(core: &Core, user: &BareJid, id: &str) -> Result<api::GetRoomResponse, ApiError> {
    respond(
        async {
            let room = muc_light::resolve_room(core, user, id)?;
            let room = muc_light::details(core, user, &room).await?;
            let participants = room
                .occupants
                .iter()
                .map(|o| {
                    let role = match o.affiliation {
                        Affiliation::Owner => models::RoomRole::Owner,
                        Affiliation::Member => models::RoomRole::Member,
                    };
                    models::RoomParticipant::new(o.user.clone(), role)
                })
                .collect();
            Ok(api::GetRoomResponse::RoomDetails(models::RoomDetails::new(
                room.name,
                room.subject,
                participants,
            )))
        }
        .await,
    )
}

pub(super) async fn set_config(
    core: &Core,
    user: &BareJid,
    id: &str,
    new: models::RoomConfig,
) -> Result<api::SetRoomConfigResponse, ApiError> {
    respond(
        async {
            let room = muc_light::resolve_room(core, user, id)?;
            muc_light::configure(core, user, &room, config(new.name, new.subject), None).await?;
            Ok(api::SetRoomConfigResponse::ConfigChanged)
        }
        .await,
    )
}

/// Changes `target`'s affiliation on behalf of `user`; asking for what already is
/// (inviting a member, removing a stranger) is no error over REST.
async fn change(
    core: &Core,
    user: &BareJid,
    id: &str,
    target: &str,
    to: Option<Affiliation>,
) -> Result<Option<String>, Failure> {
    let room = muc_light::resolve_room(core, user, id)?;
    let Some(target) = user_jid(target) else {
        return Ok(Some(format!("Invalid user JID: {target}")));
    };
    match muc_light::change_affiliations(core, user, &room, &[(target.to_string(), to)], None).await {
        Ok(()) | Err(RoomError::Refused(Refusal::NoChange)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn invite(
    core: &Core,
    user: &BareJid,
    id: &str,
    invite: models::RoomInvite,
) -> Result<api::InviteToRoomResponse, ApiError> {
    use api::InviteToRoomResponse as R;
    let outcome = change(core, user, id, &invite.user, Some(Affiliation::Member)).await;
    respond(outcome.map(|bad| bad.map_or(R::UserInvited, R::BadRequest)))
}

pub(super) async fn remove(
    core: &Core,
    user: &BareJid,
    id: &str,
    target: &str,
) -> Result<api::RemoveFromRoomResponse, ApiError> {
    use api::RemoveFromRoomResponse as R;
    let outcome = change(core, user, id, target, None).await;
    respond(outcome.map(|bad| bad.map_or(R::UserRemoved, R::BadRequest)))
}

fn marker_kind(kind: models::ChatMarkerType) -> &'static str {
    match kind {
        models::ChatMarkerType::Received => MARKERS[0],
        models::ChatMarkerType::Displayed => MARKERS[1],
        models::ChatMarkerType::Acknowledged => MARKERS[2],
    }
}

pub(super) async fn send(
    core: &Core,
    user: &BareJid,
    id: &str,
    message: models::RoomMessage,
) -> Result<api::SendRoomMessageResponse, ApiError> {
    use api::SendRoomMessageResponse as R;
    respond(
        async {
            let room = muc_light::resolve_room(core, user, id)?;
            if message.body.is_none() && message.chat_marker.is_none() {
                return Ok(R::BadRequest("No valid message elements".into()));
            }
            let marker = message.chat_marker.map(|m| ChatMarker {
                kind: marker_kind(m.r#type).to_owned(),
                id: m.id,
            });
            let stanza = muc_light::room_message(message.body, message.markable.unwrap_or(false), marker.as_ref());
            let id = muc_light::send_ordered(core, user, &room, &stanza).await?;
            Ok(R::MessageSent(models::MessageId::new(id)))
        }
        .await,
    )
}

fn event_model(item: RoomItem) -> models::RoomEvent {
    let kind = match item.kind {
        "affiliation" => models::RoomEventType::Affiliation,
        _ => models::RoomEventType::Message,
    };
    let mut e = models::RoomEvent::new(item.archive_id, kind, item.id, item.from, item.timestamp);
    e.body = item.body;
    e.markable = item.markable;
    e.chat_marker = item.chat_marker.and_then(|m| {
        let kind = match m.kind.as_str() {
            "received" => models::ChatMarkerType::Received,
            "displayed" => models::ChatMarkerType::Displayed,
            "acknowledged" => models::ChatMarkerType::Acknowledged,
            _ => return None,
        };
        Some(models::ChatMarker::new(kind, m.id))
    });
    e.user = item.user;
    e.affiliation = item.affiliation.as_deref().map(|a| match a {
        "owner" => models::Affiliation::Owner,
        "member" => models::Affiliation::Member,
        _ => models::Affiliation::None,
    });
    e
}

pub(super) async fn history(
    core: &Core,
    user: &BareJid,
    id: &str,
    page: Page,
) -> Result<api::GetRoomMessagesResponse, ApiError> {
    respond(
        async {
            let room = muc_light::resolve_room(core, user, id)?;
            let items = muc_light::history(core, user, &room, page).await?;
            Ok(api::GetRoomMessagesResponse::ArchivedRoomEvents(
                items.into_iter().map(event_model).collect(),
            ))
        }
        .await,
    )
}

//! Rooms (MUC Light) over REST: the nine room operations of `api/client.yaml`, each a
//! call to the core's room operations, so REST users and XMPP clients act on the same
//! rooms with the same rules. A room is named in a path by its id or its room JID on the
//! user's own MUC Light service. With `mod_muc_light` off, every room operation answers
//! `501`.

use super::{internal, not_implemented};
use crate::core::muc_light::{self, ChatMarker, ConfigFields, Refusal, RoomError, RoomIdError, RoomItem, MARKERS};
use crate::core::Core;
use jid::BareJid;
use meerkat_client_api as api;
use meerkat_client_api::models;
use swagger::ApiError;

/// Listings return this many items unless the request says otherwise.
const DEFAULT_LIMIT: u16 = 50;

/// `PUT /rooms/` without an id.
pub(super) fn put_without_id() -> api::PutRoomWithoutIdResponse {
    api::PutRoomWithoutIdResponse::BadRequest("Missing room ID".to_owned())
}

/// `DELETE /rooms/{id}/users/` without a user (the room id is still checked first).
pub(super) fn remove_without_user(core: &Core, user: &BareJid, id: &str) -> api::RemoveFromRoomWithoutUserResponse {
    use api::RemoveFromRoomWithoutUserResponse as R;
    match muc_light::resolve_room(core, user, id) {
        Err(RoomIdError::Disabled) => R::NotImplemented(not_implemented()),
        Err(e) => R::BadRequest(room_id_text(e).to_owned()),
        Ok(_) => R::BadRequest("Missing JID".to_owned()),
    }
}

fn room_id_text(e: RoomIdError) -> &'static str {
    match e {
        RoomIdError::InvalidDomain => "Invalid MUC Light domain",
        RoomIdError::InvalidId | RoomIdError::Disabled => "Invalid room ID",
    }
}

/// How a failed room operation is answered: each operation maps the refusals it can
/// meet onto its response variants; storage failures are ours (`503`).
enum Answer {
    BadRequest(String),
    Forbidden(String),
    NotFound(String),
    NotImplemented,
}

fn answer(e: RoomError) -> Result<Answer, ApiError> {
    let r = match e {
        RoomError::Refused(r) => r,
        RoomError::Route(e) => return Err(internal(e)),
    };
    let text = r.to_string();
    Ok(match r {
        Refusal::Disabled => Answer::NotImplemented,
        Refusal::NotFound | Refusal::NoSuchUser(_) => Answer::NotFound(text),
        Refusal::NotOccupant
        | Refusal::NotAllowedAffiliations
        | Refusal::NotAllowedConfig
        | Refusal::AlreadyExists
        | Refusal::RoomFull { .. }
        | Refusal::TooManyRooms { .. }
        | Refusal::UserInTooManyRooms { .. } => Answer::Forbidden(text),
        Refusal::NoChange | Refusal::BadRequest(_) => Answer::BadRequest(text),
    })
}

/// Resolves the path's room, or says why it cannot be named.
fn room(core: &Core, user: &BareJid, id: &str) -> Result<BareJid, Answer> {
    muc_light::resolve_room(core, user, id).map_err(|e| match e {
        RoomIdError::Disabled => Answer::NotImplemented,
        e => Answer::BadRequest(room_id_text(e).to_owned()),
    })
}

/// Maps an [`Answer`] onto an operation's response type; a variant the operation does
/// not have (none of the refusals it can meet lead there) falls back to `403`.
macro_rules! respond {
    ($answer:expr, $r:ident { bad: $bad:ident, forbidden: $forbidden:ident, not_found: $nf:ident }) => {
        match $answer {
            Answer::BadRequest(t) => $r::$bad(t),
            Answer::Forbidden(t) => $r::$forbidden(t),
            Answer::NotFound(t) => $r::$nf(t),
            Answer::NotImplemented => $r::NotImplemented(not_implemented()),
        }
    };
}

fn config(name: String, subject: String) -> ConfigFields {
    ConfigFields {
        name: Some(name),
        subject: Some(subject),
    }
}

pub(super) async fn create(
    core: &Core,
    user: &BareJid,
    new: models::NewRoom,
) -> Result<api::CreateRoomResponse, ApiError> {
    use api::CreateRoomResponse as R;
    match muc_light::create(core, user, None, config(new.name, new.subject), &[], None).await {
        Ok(room) => Ok(R::RoomCreated(models::RoomId::new(node_of(&room.jid)))),
        Err(e) => Ok(match answer(e)? {
            Answer::BadRequest(t) | Answer::NotFound(t) => R::BadRequest(t),
            Answer::Forbidden(t) => R::Forbidden(t),
            Answer::NotImplemented => R::NotImplemented(not_implemented()),
        }),
    }
}

pub(super) async fn create_with_id(
    core: &Core,
    user: &BareJid,
    id: &str,
    new: models::NewRoom,
) -> Result<api::CreateRoomWithIdResponse, ApiError> {
    use api::CreateRoomWithIdResponse as R;
    let result = match room(core, user, id) {
        Ok(room) => muc_light::create(core, user, Some(&room), config(new.name, new.subject), &[], None).await,
        Err(a) => {
            return Ok(respond!(
                a,
                R {
                    bad: BadRequest,
                    forbidden: Forbidden,
                    not_found: BadRequest
                }
            ))
        }
    };
    match result {
        Ok(room) => Ok(R::RoomCreated(models::RoomId::new(node_of(&room.jid)))),
        Err(e) => Ok(respond!(
            answer(e)?,
            R {
                bad: BadRequest,
                forbidden: Forbidden,
                not_found: BadRequest
            }
        )),
    }
}

/// A room's id: the local part of its JID.
fn node_of(jid: &str) -> String {
    jid.split_once('@').map_or(jid, |(n, _)| n).to_owned()
}

pub(super) async fn list(core: &Core, user: &BareJid) -> Result<api::ListRoomsResponse, ApiError> {
    use api::ListRoomsResponse as R;
    match muc_light::rooms_of(core, user).await {
        Ok(rooms) => Ok(R::RoomList(
            rooms
                .into_iter()
                .map(|r| models::RoomSummary::new(node_of(&r.jid), r.name, r.subject))
                .collect(),
        )),
        Err(e) => Ok(match answer(e)? {
            Answer::NotImplemented => R::NotImplemented(not_implemented()),
            Answer::BadRequest(t) | Answer::Forbidden(t) | Answer::NotFound(t) => R::BadRequest(t),
        }),
    }
}

pub(super) async fn get(core: &Core, user: &BareJid, id: &str) -> Result<api::GetRoomResponse, ApiError> {
    use api::GetRoomResponse as R;
    let result = match room(core, user, id) {
        Ok(room) => muc_light::details(core, user, &room).await,
        Err(a) => {
            return Ok(respond!(
                a,
                R {
                    bad: BadRequest,
                    forbidden: Forbidden,
                    not_found: RoomNotFound
                }
            ))
        }
    };
    match result {
        Ok(room) => {
            let participants = room
                .occupants
                .iter()
                .map(|o| {
                    let role = match o.affiliation {
                        crate::store::Affiliation::Owner => models::RoomRole::Owner,
                        crate::store::Affiliation::Member => models::RoomRole::Member,
                    };
                    models::RoomParticipant::new(o.user.clone(), role)
                })
                .collect();
            Ok(R::RoomDetails(models::RoomDetails::new(
                room.name,
                room.subject,
                participants,
            )))
        }
        Err(e) => Ok(respond!(
            answer(e)?,
            R {
                bad: BadRequest,
                forbidden: Forbidden,
                not_found: RoomNotFound
            }
        )),
    }
}

pub(super) async fn set_config(
    core: &Core,
    user: &BareJid,
    id: &str,
    new: models::RoomConfig,
) -> Result<api::SetRoomConfigResponse, ApiError> {
    use api::SetRoomConfigResponse as R;
    let result = match room(core, user, id) {
        Ok(room) => muc_light::configure(core, user, &room, config(new.name, new.subject), None).await,
        Err(a) => {
            return Ok(respond!(
                a,
                R {
                    bad: BadRequest,
                    forbidden: Forbidden,
                    not_found: RoomNotFound
                }
            ))
        }
    };
    match result {
        Ok(()) => Ok(R::ConfigChanged),
        Err(e) => Ok(respond!(
            answer(e)?,
            R {
                bad: BadRequest,
                forbidden: Forbidden,
                not_found: RoomNotFound
            }
        )),
    }
}

/// A user JID from a body or path: bare, with a local part.
fn user_jid(given: &str) -> Option<BareJid> {
    BareJid::new(given.trim()).ok().filter(|j| j.node().is_some())
}

pub(super) async fn invite(
    core: &Core,
    user: &BareJid,
    id: &str,
    invite: models::RoomInvite,
) -> Result<api::InviteToRoomResponse, ApiError> {
    use api::InviteToRoomResponse as R;
    let room = match room(core, user, id) {
        Ok(room) => room,
        Err(a) => {
            return Ok(respond!(
                a,
                R {
                    bad: BadRequest,
                    forbidden: Forbidden,
                    not_found: RoomOrUserNotFound
                }
            ))
        }
    };
    let Some(invitee) = user_jid(&invite.user) else {
        return Ok(R::BadRequest(format!("Invalid user JID: {}", invite.user)));
    };
    let change = [(invitee.to_string(), Some(crate::store::Affiliation::Member))];
    match muc_light::change_affiliations(core, user, &room, &change, None).await {
        // Already in the room: nothing to do.
        Ok(()) | Err(RoomError::Refused(Refusal::NoChange)) => Ok(R::UserInvited),
        Err(e) => Ok(respond!(
            answer(e)?,
            R {
                bad: BadRequest,
                forbidden: Forbidden,
                not_found: RoomOrUserNotFound
            }
        )),
    }
}

pub(super) async fn remove(
    core: &Core,
    user: &BareJid,
    id: &str,
    target: &str,
) -> Result<api::RemoveFromRoomResponse, ApiError> {
    use api::RemoveFromRoomResponse as R;
    let room = match room(core, user, id) {
        Ok(room) => room,
        Err(a) => {
            return Ok(respond!(
                a,
                R {
                    bad: BadRequest,
                    forbidden: Forbidden,
                    not_found: RoomNotFound
                }
            ))
        }
    };
    let Some(target) = user_jid(target) else {
        return Ok(R::BadRequest(format!("Invalid user JID: {target}")));
    };
    match muc_light::change_affiliations(core, user, &room, &[(target.to_string(), None)], None).await {
        // Not in the room: nothing to do.
        Ok(()) | Err(RoomError::Refused(Refusal::NoChange)) => Ok(R::UserRemoved),
        Err(e) => Ok(respond!(
            answer(e)?,
            R {
                bad: BadRequest,
                forbidden: Forbidden,
                not_found: RoomNotFound
            }
        )),
    }
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
    let room = match room(core, user, id) {
        Ok(room) => room,
        Err(a) => {
            return Ok(respond!(
                a,
                R {
                    bad: BadRequest,
                    forbidden: Forbidden,
                    not_found: RoomNotFound
                }
            ))
        }
    };
    if message.body.is_none() && message.chat_marker.is_none() {
        return Ok(R::BadRequest("No valid message elements".into()));
    }
    let marker = message.chat_marker.map(|m| ChatMarker {
        kind: marker_kind(m.r#type).to_owned(),
        id: m.id,
    });
    let stanza = muc_light::room_message(message.body, message.markable.unwrap_or(false), marker.as_ref());
    match muc_light::send(core, user, &room, &stanza).await {
        Ok(id) => Ok(R::MessageSent(models::MessageId::new(id))),
        Err(e) => Ok(respond!(
            answer(e)?,
            R {
                bad: BadRequest,
                forbidden: Forbidden,
                not_found: RoomNotFound
            }
        )),
    }
}

fn event_model(item: RoomItem) -> models::RoomEvent {
    let kind = match item.kind {
        "affiliation" => models::RoomEventType::Affiliation,
        _ => models::RoomEventType::Message,
    };
    let mut e = models::RoomEvent::new(kind, item.id, item.from, item.timestamp);
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
    limit: Option<u16>,
    before: Option<i64>,
) -> Result<api::GetRoomMessagesResponse, ApiError> {
    use api::GetRoomMessagesResponse as R;
    let result = match room(core, user, id) {
        Ok(room) => {
            let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
            muc_light::history(core, user, &room, limit, before).await
        }
        Err(a) => {
            return Ok(respond!(
                a,
                R {
                    bad: BadRequest,
                    forbidden: Forbidden,
                    not_found: RoomNotFound
                }
            ))
        }
    };
    match result {
        Ok(items) => Ok(R::ArchivedRoomEvents(items.into_iter().map(event_model).collect())),
        Err(e) => Ok(respond!(
            answer(e)?,
            R {
                bad: BadRequest,
                forbidden: Forbidden,
                not_found: RoomNotFound
            }
        )),
    }
}

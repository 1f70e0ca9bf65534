//! Rooms (MUC Light) over REST. The operations answer `501` until the room service lands
//! (they are listed in `not_implemented.txt`); the two requests that lack a path part
//! already get their documented `400`s.

use meerkat_client_api as api;

/// `PUT /rooms/` without an id.
pub(super) fn put_without_id() -> api::PutRoomWithoutIdResponse {
    api::PutRoomWithoutIdResponse::BadRequest("Missing room ID".to_owned())
}

/// `DELETE /rooms/{id}/users/` without a user.
pub(super) fn remove_without_user() -> api::RemoveFromRoomWithoutUserResponse {
    api::RemoveFromRoomWithoutUserResponse::BadRequest("Missing JID".to_owned())
}

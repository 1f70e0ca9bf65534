#![allow(missing_docs, trivial_casts, unused_variables, unused_mut, unused_imports, unused_extern_crates, unused_attributes, non_camel_case_types)]
#![allow(clippy::derive_partial_eq_without_eq, clippy::disallowed_names)]

use async_trait::async_trait;
use futures::Stream;
#[cfg(feature = "mock")]
use mockall::automock;
use std::error::Error;
use std::collections::BTreeSet;
use std::task::{Poll, Context};
use swagger::{ApiError, ContextWrapper, auth::Authorization};
use serde::{Serialize, Deserialize};

#[cfg(any(feature = "client", feature = "server"))]
type ServiceError = Box<dyn Error + Send + Sync + 'static>;

pub const BASE_PATH: &str = "/api";
pub const API_VERSION: &str = "1.0.0";

mod auth;
pub use auth::{AuthenticationApi, Claims};


#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum AddContactResponse {
    /// Contact added
    ContactAdded
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// The roster is full
    TheRosterIsFull
    (String)
    ,
    /// User not found
    UserNotFound
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum DeleteContactsResponse {
    /// Contacts removed
    ContactsRemoved
    (models::NotDeleted)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListContactsResponse {
    /// Contact list
    ContactList
    (Vec<models::Contact>)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum DeleteContactResponse {
    /// Contact removed
    ContactRemoved
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Contact not found
    ContactNotFound
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ManageContactResponse {
    /// Action done
    ActionDone
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Contact not found
    ContactNotFound
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum GetMessagesResponse {
    /// Archived messages
    ArchivedMessages
    (Vec<models::ChatMessage>)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum SendMessageResponse {
    /// Message sent
    MessageSent
    (models::MessageId)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Idempotency key reused (with another request body)
    IdempotencyKeyReused
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum GetMessagesWithResponse {
    /// Archived messages
    ArchivedMessages
    (Vec<models::ChatMessage>)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum CreateRoomResponse {
    /// Room created
    RoomCreated
    (models::RoomId)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Idempotency key reused (with another request body)
    IdempotencyKeyReused
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListRoomsResponse {
    /// Room list
    RoomList
    (Vec<models::RoomSummary>)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum CreateRoomWithIdResponse {
    /// Room created
    RoomCreated
    (models::RoomId)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum GetRoomResponse {
    /// Room details
    RoomDetails
    (models::RoomDetails)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Room not found
    RoomNotFound
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum GetRoomMessagesResponse {
    /// Archived room events
    ArchivedRoomEvents
    (Vec<models::RoomEvent>)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Room not found
    RoomNotFound
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum InviteToRoomResponse {
    /// User invited
    UserInvited
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Room or user not found
    RoomOrUserNotFound
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum SendRoomMessageResponse {
    /// Message sent
    MessageSent
    (models::MessageId)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Idempotency key reused (with another request body)
    IdempotencyKeyReused
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Room not found
    RoomNotFound
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum SetRoomConfigResponse {
    /// Config changed
    ConfigChanged
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Room not found
    RoomNotFound
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum RemoveFromRoomResponse {
    /// User removed
    UserRemoved
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Room not found
    RoomNotFound
    (String)
    ,
    /// Not implemented
    NotImplemented
    (String)
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum OpenEventStreamResponse {
    /// Event stream
    EventStream
    (String)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum CreateTokenResponse {
    /// Token created
    TokenCreated
    (models::IssuedToken)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListTokensResponse {
    /// Token list
    TokenList
    (Vec<models::TokenInfo>)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum RevokeTokenResponse {
    /// Token revoked
    TokenRevoked
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// No such token
    NoSuchToken
    (String)
    ,
    /// Too many requests: the address (or this account from this address) failed to log in too often recently, or, for the event stream, the account has as many sessions as it may have. `Retry-After` says how many seconds to wait. 
    TooManyRequests
    {
        body: String,
        retry_after:
        Option<
        i32
        >
    }
    ,
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service temporarily unavailable (storage busy or unreachable; retry later)
    ServiceTemporarilyUnavailable
    (String)
}

/// API
#[cfg_attr(feature = "mock", automock)]
#[async_trait]
#[allow(clippy::too_many_arguments, clippy::ptr_arg)]
pub trait Api<C: Send + Sync> {
    /// Add a contact
    async fn add_contact(
        &self,
        contact_request: models::ContactRequest,
        context: &C) -> Result<AddContactResponse, ApiError>;

    /// Remove several contacts
    async fn delete_contacts(
        &self,
        contacts_to_delete: models::ContactsToDelete,
        context: &C) -> Result<DeleteContactsResponse, ApiError>;

    /// List contacts
    async fn list_contacts(
        &self,
        context: &C) -> Result<ListContactsResponse, ApiError>;

    /// Remove a contact
    async fn delete_contact(
        &self,
        jid: String,
        context: &C) -> Result<DeleteContactResponse, ApiError>;

    /// Invite a contact or accept their invitation
    async fn manage_contact(
        &self,
        jid: String,
        contact_action: models::ContactAction,
        context: &C) -> Result<ManageContactResponse, ApiError>;

    /// List archived chat messages
    async fn get_messages(
        &self,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetMessagesResponse, ApiError>;

    /// Send a one-to-one chat message
    async fn send_message(
        &self,
        message_request: models::MessageRequest,
        idempotency_key: Option<String>,
        context: &C) -> Result<SendMessageResponse, ApiError>;

    /// List archived chat messages with one contact
    async fn get_messages_with(
        &self,
        jid: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetMessagesWithResponse, ApiError>;

    /// Create a room
    async fn create_room(
        &self,
        room_request: models::RoomRequest,
        idempotency_key: Option<String>,
        context: &C) -> Result<CreateRoomResponse, ApiError>;

    /// List the user's rooms
    async fn list_rooms(
        &self,
        context: &C) -> Result<ListRoomsResponse, ApiError>;

    /// Create a room with a given id
    async fn create_room_with_id(
        &self,
        id: String,
        room_request: models::RoomRequest,
        context: &C) -> Result<CreateRoomWithIdResponse, ApiError>;

    /// Get a room's details
    async fn get_room(
        &self,
        id: String,
        context: &C) -> Result<GetRoomResponse, ApiError>;

    /// List a room's archive
    async fn get_room_messages(
        &self,
        id: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetRoomMessagesResponse, ApiError>;

    /// Add a user to a room
    async fn invite_to_room(
        &self,
        id: String,
        room_invite: models::RoomInvite,
        context: &C) -> Result<InviteToRoomResponse, ApiError>;

    /// Send a message to a room
    async fn send_room_message(
        &self,
        id: String,
        room_message: models::RoomMessage,
        idempotency_key: Option<String>,
        context: &C) -> Result<SendRoomMessageResponse, ApiError>;

    /// Change a room's name and subject
    async fn set_room_config(
        &self,
        id: String,
        room_config: models::RoomConfig,
        context: &C) -> Result<SetRoomConfigResponse, ApiError>;

    /// Remove a user from a room
    async fn remove_from_room(
        &self,
        id: String,
        user: String,
        context: &C) -> Result<RemoveFromRoomResponse, ApiError>;

    /// Open a server-sent events stream
    async fn open_event_stream(
        &self,
        last_event_id: Option<String>,
        access_token: Option<String>,
        context: &C) -> Result<OpenEventStreamResponse, ApiError>;

    /// Create a bearer token
    async fn create_token(
        &self,
        context: &C) -> Result<CreateTokenResponse, ApiError>;

    /// List the user's tokens
    async fn list_tokens(
        &self,
        context: &C) -> Result<ListTokensResponse, ApiError>;

    /// Revoke a token
    async fn revoke_token(
        &self,
        token_id: String,
        context: &C) -> Result<RevokeTokenResponse, ApiError>;

}

/// API where `Context` isn't passed on every API call
#[cfg_attr(feature = "mock", automock)]
#[async_trait]
#[allow(clippy::too_many_arguments, clippy::ptr_arg)]
pub trait ApiNoContext<C: Send + Sync> {
    // The std::task::Context struct houses a reference to std::task::Waker with the lifetime <'a>.
    // Adding an anonymous lifetime `'a` to allow mockall to create a mock object with the right lifetimes.
    // This is needed because the compiler is unable to determine the lifetimes on F's trait bound
    // where F is the closure created by mockall. We use higher-rank trait bounds here to get around this.

    fn context(&self) -> &C;

    /// Add a contact
    async fn add_contact(
        &self,
        contact_request: models::ContactRequest,
        ) -> Result<AddContactResponse, ApiError>;

    /// Remove several contacts
    async fn delete_contacts(
        &self,
        contacts_to_delete: models::ContactsToDelete,
        ) -> Result<DeleteContactsResponse, ApiError>;

    /// List contacts
    async fn list_contacts(
        &self,
        ) -> Result<ListContactsResponse, ApiError>;

    /// Remove a contact
    async fn delete_contact(
        &self,
        jid: String,
        ) -> Result<DeleteContactResponse, ApiError>;

    /// Invite a contact or accept their invitation
    async fn manage_contact(
        &self,
        jid: String,
        contact_action: models::ContactAction,
        ) -> Result<ManageContactResponse, ApiError>;

    /// List archived chat messages
    async fn get_messages(
        &self,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetMessagesResponse, ApiError>;

    /// Send a one-to-one chat message
    async fn send_message(
        &self,
        message_request: models::MessageRequest,
        idempotency_key: Option<String>,
        ) -> Result<SendMessageResponse, ApiError>;

    /// List archived chat messages with one contact
    async fn get_messages_with(
        &self,
        jid: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetMessagesWithResponse, ApiError>;

    /// Create a room
    async fn create_room(
        &self,
        room_request: models::RoomRequest,
        idempotency_key: Option<String>,
        ) -> Result<CreateRoomResponse, ApiError>;

    /// List the user's rooms
    async fn list_rooms(
        &self,
        ) -> Result<ListRoomsResponse, ApiError>;

    /// Create a room with a given id
    async fn create_room_with_id(
        &self,
        id: String,
        room_request: models::RoomRequest,
        ) -> Result<CreateRoomWithIdResponse, ApiError>;

    /// Get a room's details
    async fn get_room(
        &self,
        id: String,
        ) -> Result<GetRoomResponse, ApiError>;

    /// List a room's archive
    async fn get_room_messages(
        &self,
        id: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetRoomMessagesResponse, ApiError>;

    /// Add a user to a room
    async fn invite_to_room(
        &self,
        id: String,
        room_invite: models::RoomInvite,
        ) -> Result<InviteToRoomResponse, ApiError>;

    /// Send a message to a room
    async fn send_room_message(
        &self,
        id: String,
        room_message: models::RoomMessage,
        idempotency_key: Option<String>,
        ) -> Result<SendRoomMessageResponse, ApiError>;

    /// Change a room's name and subject
    async fn set_room_config(
        &self,
        id: String,
        room_config: models::RoomConfig,
        ) -> Result<SetRoomConfigResponse, ApiError>;

    /// Remove a user from a room
    async fn remove_from_room(
        &self,
        id: String,
        user: String,
        ) -> Result<RemoveFromRoomResponse, ApiError>;

    /// Open a server-sent events stream
    async fn open_event_stream(
        &self,
        last_event_id: Option<String>,
        access_token: Option<String>,
        ) -> Result<OpenEventStreamResponse, ApiError>;

    /// Create a bearer token
    async fn create_token(
        &self,
        ) -> Result<CreateTokenResponse, ApiError>;

    /// List the user's tokens
    async fn list_tokens(
        &self,
        ) -> Result<ListTokensResponse, ApiError>;

    /// Revoke a token
    async fn revoke_token(
        &self,
        token_id: String,
        ) -> Result<RevokeTokenResponse, ApiError>;

}

/// Trait to extend an API to make it easy to bind it to a context.
pub trait ContextWrapperExt<C: Send + Sync> where Self: Sized
{
    /// Binds this API to a context.
    fn with_context(self, context: C) -> ContextWrapper<Self, C>;
}

impl<T: Api<C> + Send + Sync, C: Clone + Send + Sync> ContextWrapperExt<C> for T {
    fn with_context(self: T, context: C) -> ContextWrapper<T, C> {
         ContextWrapper::<T, C>::new(self, context)
    }
}

#[async_trait]
impl<T: Api<C> + Send + Sync, C: Clone + Send + Sync> ApiNoContext<C> for ContextWrapper<T, C> {
    fn context(&self) -> &C {
        ContextWrapper::context(self)
    }

    /// Add a contact
    async fn add_contact(
        &self,
        contact_request: models::ContactRequest,
        ) -> Result<AddContactResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().add_contact(contact_request, &context).await
    }

    /// Remove several contacts
    async fn delete_contacts(
        &self,
        contacts_to_delete: models::ContactsToDelete,
        ) -> Result<DeleteContactsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().delete_contacts(contacts_to_delete, &context).await
    }

    /// List contacts
    async fn list_contacts(
        &self,
        ) -> Result<ListContactsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_contacts(&context).await
    }

    /// Remove a contact
    async fn delete_contact(
        &self,
        jid: String,
        ) -> Result<DeleteContactResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().delete_contact(jid, &context).await
    }

    /// Invite a contact or accept their invitation
    async fn manage_contact(
        &self,
        jid: String,
        contact_action: models::ContactAction,
        ) -> Result<ManageContactResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().manage_contact(jid, contact_action, &context).await
    }

    /// List archived chat messages
    async fn get_messages(
        &self,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetMessagesResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().get_messages(limit, before, after_id, before_id, &context).await
    }

    /// Send a one-to-one chat message
    async fn send_message(
        &self,
        message_request: models::MessageRequest,
        idempotency_key: Option<String>,
        ) -> Result<SendMessageResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().send_message(message_request, idempotency_key, &context).await
    }

    /// List archived chat messages with one contact
    async fn get_messages_with(
        &self,
        jid: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetMessagesWithResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().get_messages_with(jid, limit, before, after_id, before_id, &context).await
    }

    /// Create a room
    async fn create_room(
        &self,
        room_request: models::RoomRequest,
        idempotency_key: Option<String>,
        ) -> Result<CreateRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().create_room(room_request, idempotency_key, &context).await
    }

    /// List the user's rooms
    async fn list_rooms(
        &self,
        ) -> Result<ListRoomsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_rooms(&context).await
    }

    /// Create a room with a given id
    async fn create_room_with_id(
        &self,
        id: String,
        room_request: models::RoomRequest,
        ) -> Result<CreateRoomWithIdResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().create_room_with_id(id, room_request, &context).await
    }

    /// Get a room's details
    async fn get_room(
        &self,
        id: String,
        ) -> Result<GetRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().get_room(id, &context).await
    }

    /// List a room's archive
    async fn get_room_messages(
        &self,
        id: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetRoomMessagesResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().get_room_messages(id, limit, before, after_id, before_id, &context).await
    }

    /// Add a user to a room
    async fn invite_to_room(
        &self,
        id: String,
        room_invite: models::RoomInvite,
        ) -> Result<InviteToRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().invite_to_room(id, room_invite, &context).await
    }

    /// Send a message to a room
    async fn send_room_message(
        &self,
        id: String,
        room_message: models::RoomMessage,
        idempotency_key: Option<String>,
        ) -> Result<SendRoomMessageResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().send_room_message(id, room_message, idempotency_key, &context).await
    }

    /// Change a room's name and subject
    async fn set_room_config(
        &self,
        id: String,
        room_config: models::RoomConfig,
        ) -> Result<SetRoomConfigResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().set_room_config(id, room_config, &context).await
    }

    /// Remove a user from a room
    async fn remove_from_room(
        &self,
        id: String,
        user: String,
        ) -> Result<RemoveFromRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().remove_from_room(id, user, &context).await
    }

    /// Open a server-sent events stream
    async fn open_event_stream(
        &self,
        last_event_id: Option<String>,
        access_token: Option<String>,
        ) -> Result<OpenEventStreamResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().open_event_stream(last_event_id, access_token, &context).await
    }

    /// Create a bearer token
    async fn create_token(
        &self,
        ) -> Result<CreateTokenResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().create_token(&context).await
    }

    /// List the user's tokens
    async fn list_tokens(
        &self,
        ) -> Result<ListTokensResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_tokens(&context).await
    }

    /// Revoke a token
    async fn revoke_token(
        &self,
        token_id: String,
        ) -> Result<RevokeTokenResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().revoke_token(token_id, &context).await
    }

}


#[cfg(feature = "client")]
pub mod client;

// Re-export Client as a top-level name
#[cfg(feature = "client")]
pub use client::Client;

#[cfg(feature = "server")]
pub mod server;

// Re-export router() as a top-level name
#[cfg(feature = "server")]
pub use self::server::Service;

#[cfg(feature = "server")]
pub mod context;

pub mod models;

#[cfg(any(feature = "client", feature = "server"))]
pub(crate) mod header;

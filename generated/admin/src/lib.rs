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
pub const API_VERSION: &str = "2.0.0";

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
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListContactsResponse {
    /// Contacts
    Contacts
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
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ChangeSubscriptionResponse {
    /// Subscription presence sent
    SubscriptionPresenceSent
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
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
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ManageContactsResponse {
    /// Done
    Done
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListDomainsResponse {
    /// Domains
    Domains
    (Vec<models::Domain>)
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum AddDomainResponse {
    /// Domain added
    DomainAdded
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
    /// Conflict
    Conflict
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum GetDomainResponse {
    /// The domain
    TheDomain
    (models::Domain)
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum RemoveDomainResponse {
    /// Removal started
    RemovalStarted
    ,
    /// Domain removed
    DomainRemoved
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum SetDomainEnabledResponse {
    /// Status set
    StatusSet
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum SendMessageResponse {
    /// Message sent
    MessageSent
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
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum GetArchiveResponse {
    /// Archived messages, oldest first
    ArchivedMessages
    (Vec<models::ArchivedMessage>)
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum GetArchiveWithResponse {
    /// Archived messages, oldest first
    ArchivedMessages
    (Vec<models::ArchivedMessage>)
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum CreateMucLightRoomResponse {
    /// Room created
    RoomCreated
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
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum CreateMucLightRoomWithIdResponse {
    /// Room created
    RoomCreated
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
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Not found
    NotFound
    (String)
    ,
    /// Conflict
    Conflict
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum CreateMucRoomResponse {
    /// Room created
    RoomCreated
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
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Not found
    NotFound
    (String)
    ,
    /// Conflict
    Conflict
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListMucRoomsResponse {
    /// Rooms
    Rooms
    (Vec<models::MucRoom>)
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
    /// Not found
    NotFound
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum DeleteMucLightRoomResponse {
    /// Room destroyed
    RoomDestroyed
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum InviteToMucLightRoomResponse {
    /// Member added
    MemberAdded
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum InviteToMucRoomResponse {
    /// Invitation sent
    InvitationSent
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListUserMucLightRoomsResponse {
    /// Rooms
    Rooms
    (Vec<models::MucLightRoom>)
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum SendMucLightMessageResponse {
    /// Message sent
    MessageSent
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum SendMucMessageResponse {
    /// Message sent
    MessageSent
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum KickMucOccupantResponse {
    /// Occupant kicked
    OccupantKicked
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListSessionsResponse {
    /// Session list
    SessionList
    (Vec<String>)
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
    /// Not found
    NotFound
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum KickUserResponse {
    /// Kicked
    Kicked
    (models::Kicked)
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
    /// Not found
    NotFound
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListUserSessionsResponse {
    /// Sessions
    Sessions
    (Vec<models::Session>)
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
    /// Not found
    NotFound
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum KickSessionResponse {
    /// Session ended
    SessionEnded
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
    /// Not found
    NotFound
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum SendStanzaResponse {
    /// Stanza sent
    StanzaSent
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
    /// The request's body did not arrive in time (the connection closes after this answer)
    TheRequest
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum CountUsersResponse {
    /// Count
    Count
    (models::Count)
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListUsersResponse {
    /// User list
    UserList
    (Vec<String>)
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum RegisterUserResponse {
    /// User registered
    UserRegistered
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
    /// Forbidden
    Forbidden
    (String)
    ,
    /// Not found
    NotFound
    (String)
    ,
    /// Conflict
    Conflict
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ChangePasswordResponse {
    /// Password changed
    PasswordChanged
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum UnregisterUserResponse {
    /// User removed
    UserRemoved
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
    /// Not found
    NotFound
    (String)
    ,
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListWebhooksResponse {
    /// Endpoints
    Endpoints
    (Vec<models::WebhookEndpoint>)
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ReplayWebhookResponse {
    /// Replay started
    ReplayStarted
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
    /// Not found
    NotFound
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
    /// Service unavailable
    ServiceUnavailable
    (String)
}

/// API
#[cfg_attr(feature = "mock", automock)]
#[async_trait]
#[allow(clippy::too_many_arguments, clippy::ptr_arg)]
pub trait Api<C: Send + Sync> {
    /// Add a contact to a user's roster
    async fn add_contact(
        &self,
        user: String,
        contact_to_add: models::ContactToAdd,
        context: &C) -> Result<AddContactResponse, ApiError>;

    /// List a user's contacts
    async fn list_contacts(
        &self,
        user: String,
        context: &C) -> Result<ListContactsResponse, ApiError>;

    /// Ask for or grant a presence subscription
    async fn change_subscription(
        &self,
        user: String,
        contact: String,
        subscription_change: models::SubscriptionChange,
        context: &C) -> Result<ChangeSubscriptionResponse, ApiError>;

    /// Remove a contact from a user's roster
    async fn delete_contact(
        &self,
        user: String,
        contact: String,
        context: &C) -> Result<DeleteContactResponse, ApiError>;

    /// Connect or disconnect two users
    async fn manage_contacts(
        &self,
        user: String,
        contact: String,
        contacts_link: models::ContactsLink,
        context: &C) -> Result<ManageContactsResponse, ApiError>;

    /// List the domains added at run time
    async fn list_domains(
        &self,
        context: &C) -> Result<ListDomainsResponse, ApiError>;

    /// Add a domain
    async fn add_domain(
        &self,
        domain: String,
        domain_to_add: models::DomainToAdd,
        context: &C) -> Result<AddDomainResponse, ApiError>;

    /// Read a domain added at run time
    async fn get_domain(
        &self,
        domain: String,
        context: &C) -> Result<GetDomainResponse, ApiError>;

    /// Remove a domain with its data
    async fn remove_domain(
        &self,
        domain: String,
        domain_to_remove: models::DomainToRemove,
        context: &C) -> Result<RemoveDomainResponse, ApiError>;

    /// Enable or disable a domain
    async fn set_domain_enabled(
        &self,
        domain: String,
        domain_enabled: models::DomainEnabled,
        context: &C) -> Result<SetDomainEnabledResponse, ApiError>;

    /// Send a chat message as a user
    async fn send_message(
        &self,
        message_to_send: models::MessageToSend,
        context: &C) -> Result<SendMessageResponse, ApiError>;

    /// Read a user's archive
    async fn get_archive(
        &self,
        owner: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetArchiveResponse, ApiError>;

    /// Read a user's archive with one peer
    async fn get_archive_with(
        &self,
        owner: String,
        with: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetArchiveWithResponse, ApiError>;

    /// Create a MUC Light room
    async fn create_muc_light_room(
        &self,
        domain: String,
        muc_light_room_to_create: models::MucLightRoomToCreate,
        context: &C) -> Result<CreateMucLightRoomResponse, ApiError>;

    /// Create a MUC Light room with a given id
    async fn create_muc_light_room_with_id(
        &self,
        domain: String,
        muc_light_room_with_id_to_create: models::MucLightRoomWithIdToCreate,
        context: &C) -> Result<CreateMucLightRoomWithIdResponse, ApiError>;

    /// Create a Multi-User Chat room
    async fn create_muc_room(
        &self,
        domain: String,
        muc_room_to_create: models::MucRoomToCreate,
        context: &C) -> Result<CreateMucRoomResponse, ApiError>;

    /// List the domain's Multi-User Chat rooms with their occupants
    async fn list_muc_rooms(
        &self,
        domain: String,
        context: &C) -> Result<ListMucRoomsResponse, ApiError>;

    /// Destroy a MUC Light room
    async fn delete_muc_light_room(
        &self,
        domain: String,
        id: String,
        context: &C) -> Result<DeleteMucLightRoomResponse, ApiError>;

    /// Add a member to a MUC Light room, on behalf of a user
    async fn invite_to_muc_light_room(
        &self,
        domain: String,
        id: String,
        muc_light_invitation: models::MucLightInvitation,
        context: &C) -> Result<InviteToMucLightRoomResponse, ApiError>;

    /// Invite a user to a Multi-User Chat room, on behalf of another
    async fn invite_to_muc_room(
        &self,
        domain: String,
        room: String,
        muc_invitation: models::MucInvitation,
        context: &C) -> Result<InviteToMucRoomResponse, ApiError>;

    /// List the MUC Light rooms a user is in
    async fn list_user_muc_light_rooms(
        &self,
        domain: String,
        user: String,
        context: &C) -> Result<ListUserMucLightRoomsResponse, ApiError>;

    /// Send a message to a MUC Light room, on behalf of a member
    async fn send_muc_light_message(
        &self,
        domain: String,
        id: String,
        room_message_to_send: models::RoomMessageToSend,
        context: &C) -> Result<SendMucLightMessageResponse, ApiError>;

    /// Send a message to a Multi-User Chat room, on behalf of an occupant
    async fn send_muc_message(
        &self,
        domain: String,
        room: String,
        room_message_to_send: models::RoomMessageToSend,
        context: &C) -> Result<SendMucMessageResponse, ApiError>;

    /// Kick an occupant out of a Multi-User Chat room
    async fn kick_muc_occupant(
        &self,
        domain: String,
        room: String,
        nick: String,
        context: &C) -> Result<KickMucOccupantResponse, ApiError>;

    /// List the sessions of a domain
    async fn list_sessions(
        &self,
        domain: String,
        context: &C) -> Result<ListSessionsResponse, ApiError>;

    /// End all of a user's sessions
    async fn kick_user(
        &self,
        domain: String,
        username: String,
        context: &C) -> Result<KickUserResponse, ApiError>;

    /// List a user's sessions with their details
    async fn list_user_sessions(
        &self,
        domain: String,
        username: String,
        context: &C) -> Result<ListUserSessionsResponse, ApiError>;

    /// End one session
    async fn kick_session(
        &self,
        domain: String,
        username: String,
        resource: String,
        context: &C) -> Result<KickSessionResponse, ApiError>;

    /// Send any stanza as a user
    async fn send_stanza(
        &self,
        stanza_to_send: models::StanzaToSend,
        context: &C) -> Result<SendStanzaResponse, ApiError>;

    /// Count the users of a domain
    async fn count_users(
        &self,
        domain: String,
        context: &C) -> Result<CountUsersResponse, ApiError>;

    /// List the users of a domain
    async fn list_users(
        &self,
        domain: String,
        limit: Option<u16>,
        after: Option<String>,
        context: &C) -> Result<ListUsersResponse, ApiError>;

    /// Register a user
    async fn register_user(
        &self,
        domain: String,
        new_user: models::NewUser,
        context: &C) -> Result<RegisterUserResponse, ApiError>;

    /// Change a user's password
    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: models::NewPassword,
        context: &C) -> Result<ChangePasswordResponse, ApiError>;

    /// Remove a user
    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        context: &C) -> Result<UnregisterUserResponse, ApiError>;

    /// List the webhook endpoints with their delivery state
    async fn list_webhooks(
        &self,
        context: &C) -> Result<ListWebhooksResponse, ApiError>;

    /// Deliver an endpoint's events again from an archive id
    async fn replay_webhook(
        &self,
        name: String,
        webhook_replay: models::WebhookReplay,
        context: &C) -> Result<ReplayWebhookResponse, ApiError>;

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

    /// Add a contact to a user's roster
    async fn add_contact(
        &self,
        user: String,
        contact_to_add: models::ContactToAdd,
        ) -> Result<AddContactResponse, ApiError>;

    /// List a user's contacts
    async fn list_contacts(
        &self,
        user: String,
        ) -> Result<ListContactsResponse, ApiError>;

    /// Ask for or grant a presence subscription
    async fn change_subscription(
        &self,
        user: String,
        contact: String,
        subscription_change: models::SubscriptionChange,
        ) -> Result<ChangeSubscriptionResponse, ApiError>;

    /// Remove a contact from a user's roster
    async fn delete_contact(
        &self,
        user: String,
        contact: String,
        ) -> Result<DeleteContactResponse, ApiError>;

    /// Connect or disconnect two users
    async fn manage_contacts(
        &self,
        user: String,
        contact: String,
        contacts_link: models::ContactsLink,
        ) -> Result<ManageContactsResponse, ApiError>;

    /// List the domains added at run time
    async fn list_domains(
        &self,
        ) -> Result<ListDomainsResponse, ApiError>;

    /// Add a domain
    async fn add_domain(
        &self,
        domain: String,
        domain_to_add: models::DomainToAdd,
        ) -> Result<AddDomainResponse, ApiError>;

    /// Read a domain added at run time
    async fn get_domain(
        &self,
        domain: String,
        ) -> Result<GetDomainResponse, ApiError>;

    /// Remove a domain with its data
    async fn remove_domain(
        &self,
        domain: String,
        domain_to_remove: models::DomainToRemove,
        ) -> Result<RemoveDomainResponse, ApiError>;

    /// Enable or disable a domain
    async fn set_domain_enabled(
        &self,
        domain: String,
        domain_enabled: models::DomainEnabled,
        ) -> Result<SetDomainEnabledResponse, ApiError>;

    /// Send a chat message as a user
    async fn send_message(
        &self,
        message_to_send: models::MessageToSend,
        ) -> Result<SendMessageResponse, ApiError>;

    /// Read a user's archive
    async fn get_archive(
        &self,
        owner: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetArchiveResponse, ApiError>;

    /// Read a user's archive with one peer
    async fn get_archive_with(
        &self,
        owner: String,
        with: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetArchiveWithResponse, ApiError>;

    /// Create a MUC Light room
    async fn create_muc_light_room(
        &self,
        domain: String,
        muc_light_room_to_create: models::MucLightRoomToCreate,
        ) -> Result<CreateMucLightRoomResponse, ApiError>;

    /// Create a MUC Light room with a given id
    async fn create_muc_light_room_with_id(
        &self,
        domain: String,
        muc_light_room_with_id_to_create: models::MucLightRoomWithIdToCreate,
        ) -> Result<CreateMucLightRoomWithIdResponse, ApiError>;

    /// Create a Multi-User Chat room
    async fn create_muc_room(
        &self,
        domain: String,
        muc_room_to_create: models::MucRoomToCreate,
        ) -> Result<CreateMucRoomResponse, ApiError>;

    /// List the domain's Multi-User Chat rooms with their occupants
    async fn list_muc_rooms(
        &self,
        domain: String,
        ) -> Result<ListMucRoomsResponse, ApiError>;

    /// Destroy a MUC Light room
    async fn delete_muc_light_room(
        &self,
        domain: String,
        id: String,
        ) -> Result<DeleteMucLightRoomResponse, ApiError>;

    /// Add a member to a MUC Light room, on behalf of a user
    async fn invite_to_muc_light_room(
        &self,
        domain: String,
        id: String,
        muc_light_invitation: models::MucLightInvitation,
        ) -> Result<InviteToMucLightRoomResponse, ApiError>;

    /// Invite a user to a Multi-User Chat room, on behalf of another
    async fn invite_to_muc_room(
        &self,
        domain: String,
        room: String,
        muc_invitation: models::MucInvitation,
        ) -> Result<InviteToMucRoomResponse, ApiError>;

    /// List the MUC Light rooms a user is in
    async fn list_user_muc_light_rooms(
        &self,
        domain: String,
        user: String,
        ) -> Result<ListUserMucLightRoomsResponse, ApiError>;

    /// Send a message to a MUC Light room, on behalf of a member
    async fn send_muc_light_message(
        &self,
        domain: String,
        id: String,
        room_message_to_send: models::RoomMessageToSend,
        ) -> Result<SendMucLightMessageResponse, ApiError>;

    /// Send a message to a Multi-User Chat room, on behalf of an occupant
    async fn send_muc_message(
        &self,
        domain: String,
        room: String,
        room_message_to_send: models::RoomMessageToSend,
        ) -> Result<SendMucMessageResponse, ApiError>;

    /// Kick an occupant out of a Multi-User Chat room
    async fn kick_muc_occupant(
        &self,
        domain: String,
        room: String,
        nick: String,
        ) -> Result<KickMucOccupantResponse, ApiError>;

    /// List the sessions of a domain
    async fn list_sessions(
        &self,
        domain: String,
        ) -> Result<ListSessionsResponse, ApiError>;

    /// End all of a user's sessions
    async fn kick_user(
        &self,
        domain: String,
        username: String,
        ) -> Result<KickUserResponse, ApiError>;

    /// List a user's sessions with their details
    async fn list_user_sessions(
        &self,
        domain: String,
        username: String,
        ) -> Result<ListUserSessionsResponse, ApiError>;

    /// End one session
    async fn kick_session(
        &self,
        domain: String,
        username: String,
        resource: String,
        ) -> Result<KickSessionResponse, ApiError>;

    /// Send any stanza as a user
    async fn send_stanza(
        &self,
        stanza_to_send: models::StanzaToSend,
        ) -> Result<SendStanzaResponse, ApiError>;

    /// Count the users of a domain
    async fn count_users(
        &self,
        domain: String,
        ) -> Result<CountUsersResponse, ApiError>;

    /// List the users of a domain
    async fn list_users(
        &self,
        domain: String,
        limit: Option<u16>,
        after: Option<String>,
        ) -> Result<ListUsersResponse, ApiError>;

    /// Register a user
    async fn register_user(
        &self,
        domain: String,
        new_user: models::NewUser,
        ) -> Result<RegisterUserResponse, ApiError>;

    /// Change a user's password
    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: models::NewPassword,
        ) -> Result<ChangePasswordResponse, ApiError>;

    /// Remove a user
    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        ) -> Result<UnregisterUserResponse, ApiError>;

    /// List the webhook endpoints with their delivery state
    async fn list_webhooks(
        &self,
        ) -> Result<ListWebhooksResponse, ApiError>;

    /// Deliver an endpoint's events again from an archive id
    async fn replay_webhook(
        &self,
        name: String,
        webhook_replay: models::WebhookReplay,
        ) -> Result<ReplayWebhookResponse, ApiError>;

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

    /// Add a contact to a user's roster
    async fn add_contact(
        &self,
        user: String,
        contact_to_add: models::ContactToAdd,
        ) -> Result<AddContactResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().add_contact(user, contact_to_add, &context).await
    }

    /// List a user's contacts
    async fn list_contacts(
        &self,
        user: String,
        ) -> Result<ListContactsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_contacts(user, &context).await
    }

    /// Ask for or grant a presence subscription
    async fn change_subscription(
        &self,
        user: String,
        contact: String,
        subscription_change: models::SubscriptionChange,
        ) -> Result<ChangeSubscriptionResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().change_subscription(user, contact, subscription_change, &context).await
    }

    /// Remove a contact from a user's roster
    async fn delete_contact(
        &self,
        user: String,
        contact: String,
        ) -> Result<DeleteContactResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().delete_contact(user, contact, &context).await
    }

    /// Connect or disconnect two users
    async fn manage_contacts(
        &self,
        user: String,
        contact: String,
        contacts_link: models::ContactsLink,
        ) -> Result<ManageContactsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().manage_contacts(user, contact, contacts_link, &context).await
    }

    /// List the domains added at run time
    async fn list_domains(
        &self,
        ) -> Result<ListDomainsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_domains(&context).await
    }

    /// Add a domain
    async fn add_domain(
        &self,
        domain: String,
        domain_to_add: models::DomainToAdd,
        ) -> Result<AddDomainResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().add_domain(domain, domain_to_add, &context).await
    }

    /// Read a domain added at run time
    async fn get_domain(
        &self,
        domain: String,
        ) -> Result<GetDomainResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().get_domain(domain, &context).await
    }

    /// Remove a domain with its data
    async fn remove_domain(
        &self,
        domain: String,
        domain_to_remove: models::DomainToRemove,
        ) -> Result<RemoveDomainResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().remove_domain(domain, domain_to_remove, &context).await
    }

    /// Enable or disable a domain
    async fn set_domain_enabled(
        &self,
        domain: String,
        domain_enabled: models::DomainEnabled,
        ) -> Result<SetDomainEnabledResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().set_domain_enabled(domain, domain_enabled, &context).await
    }

    /// Send a chat message as a user
    async fn send_message(
        &self,
        message_to_send: models::MessageToSend,
        ) -> Result<SendMessageResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().send_message(message_to_send, &context).await
    }

    /// Read a user's archive
    async fn get_archive(
        &self,
        owner: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetArchiveResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().get_archive(owner, limit, before, after_id, before_id, &context).await
    }

    /// Read a user's archive with one peer
    async fn get_archive_with(
        &self,
        owner: String,
        with: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        ) -> Result<GetArchiveWithResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().get_archive_with(owner, with, limit, before, after_id, before_id, &context).await
    }

    /// Create a MUC Light room
    async fn create_muc_light_room(
        &self,
        domain: String,
        muc_light_room_to_create: models::MucLightRoomToCreate,
        ) -> Result<CreateMucLightRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().create_muc_light_room(domain, muc_light_room_to_create, &context).await
    }

    /// Create a MUC Light room with a given id
    async fn create_muc_light_room_with_id(
        &self,
        domain: String,
        muc_light_room_with_id_to_create: models::MucLightRoomWithIdToCreate,
        ) -> Result<CreateMucLightRoomWithIdResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().create_muc_light_room_with_id(domain, muc_light_room_with_id_to_create, &context).await
    }

    /// Create a Multi-User Chat room
    async fn create_muc_room(
        &self,
        domain: String,
        muc_room_to_create: models::MucRoomToCreate,
        ) -> Result<CreateMucRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().create_muc_room(domain, muc_room_to_create, &context).await
    }

    /// List the domain's Multi-User Chat rooms with their occupants
    async fn list_muc_rooms(
        &self,
        domain: String,
        ) -> Result<ListMucRoomsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_muc_rooms(domain, &context).await
    }

    /// Destroy a MUC Light room
    async fn delete_muc_light_room(
        &self,
        domain: String,
        id: String,
        ) -> Result<DeleteMucLightRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().delete_muc_light_room(domain, id, &context).await
    }

    /// Add a member to a MUC Light room, on behalf of a user
    async fn invite_to_muc_light_room(
        &self,
        domain: String,
        id: String,
        muc_light_invitation: models::MucLightInvitation,
        ) -> Result<InviteToMucLightRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().invite_to_muc_light_room(domain, id, muc_light_invitation, &context).await
    }

    /// Invite a user to a Multi-User Chat room, on behalf of another
    async fn invite_to_muc_room(
        &self,
        domain: String,
        room: String,
        muc_invitation: models::MucInvitation,
        ) -> Result<InviteToMucRoomResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().invite_to_muc_room(domain, room, muc_invitation, &context).await
    }

    /// List the MUC Light rooms a user is in
    async fn list_user_muc_light_rooms(
        &self,
        domain: String,
        user: String,
        ) -> Result<ListUserMucLightRoomsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_user_muc_light_rooms(domain, user, &context).await
    }

    /// Send a message to a MUC Light room, on behalf of a member
    async fn send_muc_light_message(
        &self,
        domain: String,
        id: String,
        room_message_to_send: models::RoomMessageToSend,
        ) -> Result<SendMucLightMessageResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().send_muc_light_message(domain, id, room_message_to_send, &context).await
    }

    /// Send a message to a Multi-User Chat room, on behalf of an occupant
    async fn send_muc_message(
        &self,
        domain: String,
        room: String,
        room_message_to_send: models::RoomMessageToSend,
        ) -> Result<SendMucMessageResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().send_muc_message(domain, room, room_message_to_send, &context).await
    }

    /// Kick an occupant out of a Multi-User Chat room
    async fn kick_muc_occupant(
        &self,
        domain: String,
        room: String,
        nick: String,
        ) -> Result<KickMucOccupantResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().kick_muc_occupant(domain, room, nick, &context).await
    }

    /// List the sessions of a domain
    async fn list_sessions(
        &self,
        domain: String,
        ) -> Result<ListSessionsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_sessions(domain, &context).await
    }

    /// End all of a user's sessions
    async fn kick_user(
        &self,
        domain: String,
        username: String,
        ) -> Result<KickUserResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().kick_user(domain, username, &context).await
    }

    /// List a user's sessions with their details
    async fn list_user_sessions(
        &self,
        domain: String,
        username: String,
        ) -> Result<ListUserSessionsResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_user_sessions(domain, username, &context).await
    }

    /// End one session
    async fn kick_session(
        &self,
        domain: String,
        username: String,
        resource: String,
        ) -> Result<KickSessionResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().kick_session(domain, username, resource, &context).await
    }

    /// Send any stanza as a user
    async fn send_stanza(
        &self,
        stanza_to_send: models::StanzaToSend,
        ) -> Result<SendStanzaResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().send_stanza(stanza_to_send, &context).await
    }

    /// Count the users of a domain
    async fn count_users(
        &self,
        domain: String,
        ) -> Result<CountUsersResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().count_users(domain, &context).await
    }

    /// List the users of a domain
    async fn list_users(
        &self,
        domain: String,
        limit: Option<u16>,
        after: Option<String>,
        ) -> Result<ListUsersResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_users(domain, limit, after, &context).await
    }

    /// Register a user
    async fn register_user(
        &self,
        domain: String,
        new_user: models::NewUser,
        ) -> Result<RegisterUserResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().register_user(domain, new_user, &context).await
    }

    /// Change a user's password
    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: models::NewPassword,
        ) -> Result<ChangePasswordResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().change_password(domain, username, new_password, &context).await
    }

    /// Remove a user
    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        ) -> Result<UnregisterUserResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().unregister_user(domain, username, &context).await
    }

    /// List the webhook endpoints with their delivery state
    async fn list_webhooks(
        &self,
        ) -> Result<ListWebhooksResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_webhooks(&context).await
    }

    /// Deliver an endpoint's events again from an archive id
    async fn replay_webhook(
        &self,
        name: String,
        webhook_replay: models::WebhookReplay,
        ) -> Result<ReplayWebhookResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().replay_webhook(name, webhook_replay, &context).await
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

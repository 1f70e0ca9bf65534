//! CLI tool driving the API client
use anyhow::{anyhow, Context, Result};
use clap::Parser;
use dialoguer::Confirm;
use log::{debug, info};
// models may be unused if all inputs are primitive types
#[allow(unused_imports)]
use meerkat_client_api::{
    models, ApiNoContext, Client, ContextWrapperExt,
    AddContactResponse,
    DeleteContactsResponse,
    ListContactsResponse,
    DeleteContactResponse,
    ManageContactResponse,
    GetMessagesResponse,
    SendMessageResponse,
    GetMessagesWithResponse,
    CreateRoomResponse,
    ListRoomsResponse,
    CreateRoomWithIdResponse,
    GetRoomResponse,
    GetRoomMessagesResponse,
    InviteToRoomResponse,
    SendRoomMessageResponse,
    SetRoomConfigResponse,
    RemoveFromRoomResponse,
    OpenEventStreamResponse,
    CreateTokenResponse,
    ListTokensResponse,
    RevokeTokenResponse,
};
use simple_logger::SimpleLogger;
use swagger::{AuthData, ContextBuilder, EmptyContext, Push, XSpanIdString};

type ClientContext = swagger::make_context_ty!(
    ContextBuilder,
    EmptyContext,
    Option<AuthData>,
    XSpanIdString
);

#[derive(Parser, Debug)]
#[clap(
    name = "meerkat client REST API",
    version = "1.0.0",
    about = "CLI access to meerkat client REST API"
)]
struct Cli {
    #[clap(subcommand)]
    operation: Operation,

    /// Address or hostname of the server hosting this API, including optional port
    #[clap(short = 'a', long, default_value = "http://localhost")]
    server_address: String,

    /// Path to the client private key if using client-side TLS authentication
    #[cfg(all(feature = "client-tls", not(any(target_os = "macos", target_os = "windows", target_os = "ios"))))]
    #[clap(long, requires_all(&["client_certificate", "server_certificate"]))]
    client_key: Option<String>,

    /// Path to the client's public certificate associated with the private key
    #[cfg(all(feature = "client-tls", not(any(target_os = "macos", target_os = "windows", target_os = "ios"))))]
    #[clap(long, requires_all(&["client_key", "server_certificate"]))]
    client_certificate: Option<String>,

    /// Path to CA certificate used to authenticate the server
    #[cfg(all(feature = "client-tls", not(any(target_os = "macos", target_os = "windows", target_os = "ios"))))]
    #[clap(long)]
    server_certificate: Option<String>,

    /// If set, write output to file instead of stdout
    #[clap(short, long)]
    output_file: Option<String>,

    #[command(flatten)]
    verbosity: clap_verbosity_flag::Verbosity,

    /// Don't ask for any confirmation prompts
    #[allow(dead_code)]
    #[clap(short, long)]
    force: bool,

    /// Bearer token if used for authentication
    #[arg(env = "MEERKAT_CLIENT_API_BEARER_TOKEN", hide_env = true)]
    bearer_token: Option<String>,
}

#[derive(Parser, Debug)]
enum Operation {
    /// Add a contact
    AddContact {
        #[clap(value_parser = parse_json::<models::ContactRequest>)]
        contact_request: models::ContactRequest,
    },
    /// Remove several contacts
    DeleteContacts {
        #[clap(value_parser = parse_json::<models::ContactsToDelete>)]
        contacts_to_delete: models::ContactsToDelete,
    },
    /// List contacts
    ListContacts {
    },
    /// Remove a contact
    DeleteContact {
        /// Bare JID of the contact, in any letter case. A value the `Jid` pattern does not match gets `400 \"Invalid JID: <given>\"`. 
        jid: String,
    },
    /// Invite a contact or accept their invitation
    ManageContact {
        /// Bare JID of the contact, in any letter case. A value the `Jid` pattern does not match gets `400 \"Invalid JID: <given>\"`. 
        jid: String,
        #[clap(value_parser = parse_json::<models::ContactAction>)]
        contact_action: models::ContactAction,
    },
    /// List archived chat messages
    GetMessages {
        /// Maximum number of items to return (the newest ones), 0 to 500.
        limit: Option<u16>,
        /// Return only items older than this time, in Unix milliseconds, e.g. `1732521600000` (an item's `timestamp`). 
        before: Option<i64>,
        /// Cursor: return only items whose `archive_id` is greater than this one, the oldest `limit` of them (paging forward; `0` starts from the oldest item). Items sharing a millisecond are never skipped or repeated; an item still being written when the page is read, behind items already written, comes on the next page instead of being skipped. With `before_id` too, the page is the oldest `limit` items between both. E.g. `113573093703696384`, an item's `archive_id`. 
        after_id: Option<String>,
        /// Cursor: return only items whose `archive_id` is smaller than this one, the newest `limit` of them (paging backward). Items sharing a millisecond are never skipped or repeated. With `after_id` too, the page is the oldest `limit` items between both. E.g. `113573093703696384`, an item's `archive_id`. 
        before_id: Option<String>,
    },
    /// Send a one-to-one chat message
    SendMessage {
        #[clap(value_parser = parse_json::<models::MessageRequest>)]
        message_request: models::MessageRequest,
        /// Makes the request safe to retry. A retry with the same key and the same body gets the first answer again (with `Idempotent-Replayed: true`) and creates nothing new; the same key with another body gets `422`. A key is remembered per user for at least 24 hours. 1 to 255 printable ASCII characters; anything else gets `400 \"Invalid Idempotency-Key\"`. A UUID per logical request, e.g. `5b0d7c1e-8a34-4f2e-9b61-2c9e4f0a7d13`, is a good key. 
        idempotency_key: Option<String>,
    },
    /// List archived chat messages with one contact
    GetMessagesWith {
        /// Bare JID of the interlocutor, in any letter case. A value the `Jid` pattern does not match gets `400 \"Invalid interlocutor JID\"`. 
        jid: String,
        /// Maximum number of items to return (the newest ones), 0 to 500.
        limit: Option<u16>,
        /// Return only items older than this time, in Unix milliseconds, e.g. `1732521600000` (an item's `timestamp`). 
        before: Option<i64>,
        /// Cursor: return only items whose `archive_id` is greater than this one, the oldest `limit` of them (paging forward; `0` starts from the oldest item). Items sharing a millisecond are never skipped or repeated; an item still being written when the page is read, behind items already written, comes on the next page instead of being skipped. With `before_id` too, the page is the oldest `limit` items between both. E.g. `113573093703696384`, an item's `archive_id`. 
        after_id: Option<String>,
        /// Cursor: return only items whose `archive_id` is smaller than this one, the newest `limit` of them (paging backward). Items sharing a millisecond are never skipped or repeated. With `after_id` too, the page is the oldest `limit` items between both. E.g. `113573093703696384`, an item's `archive_id`. 
        before_id: Option<String>,
    },
    /// Create a room
    CreateRoom {
        #[clap(value_parser = parse_json::<models::RoomRequest>)]
        room_request: models::RoomRequest,
        /// Makes the request safe to retry. A retry with the same key and the same body gets the first answer again (with `Idempotent-Replayed: true`) and creates nothing new; the same key with another body gets `422`. A key is remembered per user for at least 24 hours. 1 to 255 printable ASCII characters; anything else gets `400 \"Invalid Idempotency-Key\"`. A UUID per logical request, e.g. `5b0d7c1e-8a34-4f2e-9b61-2c9e4f0a7d13`, is a good key. 
        idempotency_key: Option<String>,
    },
    /// List the user's rooms
    ListRooms {
    },
    /// Create a room with a given id
    CreateRoomWithId {
        /// The room: its id (`656c6f656c6f`, a `RoomLocalpart`), in any letter case. The full room JID on the user's own MUC Light service (`656c6f656c6f@muclight.localhost`) is accepted too, for compatibility; the schema cannot spell it because the service's domain is the deployment's (`muclight.<domain>` unless configured otherwise). An id (or the part of a room JID before its `@`) that the pattern does not match gets `400 \"Invalid room ID\"`; a room JID of another domain gets `400 \"Invalid MUC Light domain\"`. 
        id: String,
        #[clap(value_parser = parse_json::<models::RoomRequest>)]
        room_request: models::RoomRequest,
    },
    /// Get a room's details
    GetRoom {
        /// The room: its id (`656c6f656c6f`, a `RoomLocalpart`), in any letter case. The full room JID on the user's own MUC Light service (`656c6f656c6f@muclight.localhost`) is accepted too, for compatibility; the schema cannot spell it because the service's domain is the deployment's (`muclight.<domain>` unless configured otherwise). An id (or the part of a room JID before its `@`) that the pattern does not match gets `400 \"Invalid room ID\"`; a room JID of another domain gets `400 \"Invalid MUC Light domain\"`. 
        id: String,
    },
    /// List a room's archive
    GetRoomMessages {
        /// The room: its id (`656c6f656c6f`, a `RoomLocalpart`), in any letter case. The full room JID on the user's own MUC Light service (`656c6f656c6f@muclight.localhost`) is accepted too, for compatibility; the schema cannot spell it because the service's domain is the deployment's (`muclight.<domain>` unless configured otherwise). An id (or the part of a room JID before its `@`) that the pattern does not match gets `400 \"Invalid room ID\"`; a room JID of another domain gets `400 \"Invalid MUC Light domain\"`. 
        id: String,
        /// Maximum number of items to return (the newest ones), 0 to 500.
        limit: Option<u16>,
        /// Return only items older than this time, in Unix milliseconds, e.g. `1732521600000` (an item's `timestamp`). 
        before: Option<i64>,
        /// Cursor: return only items whose `archive_id` is greater than this one, the oldest `limit` of them (paging forward; `0` starts from the oldest item). Items sharing a millisecond are never skipped or repeated; an item still being written when the page is read, behind items already written, comes on the next page instead of being skipped. With `before_id` too, the page is the oldest `limit` items between both. E.g. `113573093703696384`, an item's `archive_id`. 
        after_id: Option<String>,
        /// Cursor: return only items whose `archive_id` is smaller than this one, the newest `limit` of them (paging backward). Items sharing a millisecond are never skipped or repeated. With `after_id` too, the page is the oldest `limit` items between both. E.g. `113573093703696384`, an item's `archive_id`. 
        before_id: Option<String>,
    },
    /// Add a user to a room
    InviteToRoom {
        /// The room: its id (`656c6f656c6f`, a `RoomLocalpart`), in any letter case. The full room JID on the user's own MUC Light service (`656c6f656c6f@muclight.localhost`) is accepted too, for compatibility; the schema cannot spell it because the service's domain is the deployment's (`muclight.<domain>` unless configured otherwise). An id (or the part of a room JID before its `@`) that the pattern does not match gets `400 \"Invalid room ID\"`; a room JID of another domain gets `400 \"Invalid MUC Light domain\"`. 
        id: String,
        #[clap(value_parser = parse_json::<models::RoomInvite>)]
        room_invite: models::RoomInvite,
    },
    /// Send a message to a room
    SendRoomMessage {
        /// The room: its id (`656c6f656c6f`, a `RoomLocalpart`), in any letter case. The full room JID on the user's own MUC Light service (`656c6f656c6f@muclight.localhost`) is accepted too, for compatibility; the schema cannot spell it because the service's domain is the deployment's (`muclight.<domain>` unless configured otherwise). An id (or the part of a room JID before its `@`) that the pattern does not match gets `400 \"Invalid room ID\"`; a room JID of another domain gets `400 \"Invalid MUC Light domain\"`. 
        id: String,
        #[clap(value_parser = parse_json::<models::RoomMessage>)]
        room_message: models::RoomMessage,
        /// Makes the request safe to retry. A retry with the same key and the same body gets the first answer again (with `Idempotent-Replayed: true`) and creates nothing new; the same key with another body gets `422`. A key is remembered per user for at least 24 hours. 1 to 255 printable ASCII characters; anything else gets `400 \"Invalid Idempotency-Key\"`. A UUID per logical request, e.g. `5b0d7c1e-8a34-4f2e-9b61-2c9e4f0a7d13`, is a good key. 
        idempotency_key: Option<String>,
    },
    /// Change a room's name and subject
    SetRoomConfig {
        /// The room: its id (`656c6f656c6f`, a `RoomLocalpart`), in any letter case. The full room JID on the user's own MUC Light service (`656c6f656c6f@muclight.localhost`) is accepted too, for compatibility; the schema cannot spell it because the service's domain is the deployment's (`muclight.<domain>` unless configured otherwise). An id (or the part of a room JID before its `@`) that the pattern does not match gets `400 \"Invalid room ID\"`; a room JID of another domain gets `400 \"Invalid MUC Light domain\"`. 
        id: String,
        #[clap(value_parser = parse_json::<models::RoomConfig>)]
        room_config: models::RoomConfig,
    },
    /// Remove a user from a room
    RemoveFromRoom {
        /// The room: its id (`656c6f656c6f`, a `RoomLocalpart`), in any letter case. The full room JID on the user's own MUC Light service (`656c6f656c6f@muclight.localhost`) is accepted too, for compatibility; the schema cannot spell it because the service's domain is the deployment's (`muclight.<domain>` unless configured otherwise). An id (or the part of a room JID before its `@`) that the pattern does not match gets `400 \"Invalid room ID\"`; a room JID of another domain gets `400 \"Invalid MUC Light domain\"`. 
        id: String,
        /// Bare JID of the user to remove, in any letter case. A value the `UserJid` pattern does not match gets `400 \"Invalid user JID: <given>\"`. 
        user: String,
    },
    /// Open a server-sent events stream
    OpenEventStream {
        /// The `id:` of the last event received (e.g. `113573093703696384`); the events after it are replayed first. 
        last_event_id: Option<String>,
        /// A bearer token from `POST /tokens` (e.g. `mkt_2bV0dQk3n9o1Yc8Z5xLr7TqAe4sWuHfJ`), for clients that cannot send headers. 
        access_token: Option<String>,
    },
    /// Create a bearer token
    CreateToken {
    },
    /// List the user's tokens
    ListTokens {
    },
    /// Revoke a token
    RevokeToken {
        /// The `id` of one of the user's tokens. A value the pattern does not match gets `400 \"Invalid token ID\"`. 
        token_id: String,
    },
}

// On Linux/Unix with OpenSSL (client-tls feature), support certificate pinning and mutual TLS
#[cfg(all(feature = "client-tls", not(any(target_os = "macos", target_os = "windows", target_os = "ios"))))]
fn create_client(args: &Cli, context: ClientContext) -> Result<Box<dyn ApiNoContext<ClientContext>>> {
    if args.client_certificate.is_some() {
        debug!("Using mutual TLS");
        let client = Client::try_new_https_mutual(
            &args.server_address,
            args.server_certificate.clone().unwrap(),
            args.client_key.clone().unwrap(),
            args.client_certificate.clone().unwrap(),
        )
        .context("Failed to create HTTPS client")?;
        Ok(Box::new(client.with_context(context)))
    } else if args.server_certificate.is_some() {
        debug!("Using TLS with pinned server certificate");
        let client =
            Client::try_new_https_pinned(&args.server_address, args.server_certificate.clone().unwrap())
                .context("Failed to create HTTPS client")?;
        Ok(Box::new(client.with_context(context)))
    } else {
        debug!("Using client without certificates");
        let client =
            Client::try_new(&args.server_address).context("Failed to create HTTP(S) client")?;
        Ok(Box::new(client.with_context(context)))
    }
}

// On macOS/Windows/iOS or without client-tls feature, use simple client (no cert pinning/mutual TLS)
#[cfg(any(
    not(feature = "client-tls"),
    all(feature = "client-tls", any(target_os = "macos", target_os = "windows", target_os = "ios"))
))]
fn create_client(args: &Cli, context: ClientContext) -> Result<Box<dyn ApiNoContext<ClientContext>>> {
    // Client::try_new() automatically detects the URL scheme (http:// or https://)
    // and creates the appropriate client.
    // Note: Certificate pinning and mutual TLS are only available on Linux/Unix with OpenSSL
    let client =
        Client::try_new(&args.server_address).context("Failed to create HTTP(S) client")?;
    Ok(Box::new(client.with_context(context)))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Cli::parse();
    if let Some(log_level) = args.verbosity.log_level() {
        SimpleLogger::new().with_level(log_level.to_level_filter()).init()?;
    }

    debug!("Arguments: {:?}", &args);

    let mut auth_data: Option<AuthData> = None;

    if let Some(ref bearer_token) = args.bearer_token {
        debug!("Using bearer token");
        auth_data = AuthData::bearer(bearer_token);
    }

    #[allow(trivial_casts)]
    let context = swagger::make_context!(
        ContextBuilder,
        EmptyContext,
        auth_data,
        XSpanIdString::default()
    );

    let client = create_client(&args, context)?;

    let result = match args.operation {
        Operation::AddContact {
            contact_request,
        } => {
            info!("Performing a AddContact request");

            let result = client.add_contact(
                contact_request,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                AddContactResponse::ContactAdded
                => "ContactAdded\n".to_string()
                    ,
                AddContactResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddContactResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                AddContactResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                AddContactResponse::TheRosterIsFull
                (body)
                => "TheRosterIsFull\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddContactResponse::UserNotFound
                (body)
                => "UserNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddContactResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddContactResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddContactResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddContactResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::DeleteContacts {
            contacts_to_delete,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a DeleteContacts request");

            let result = client.delete_contacts(
                contacts_to_delete,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                DeleteContactsResponse::ContactsRemoved
                (body)
                => "ContactsRemoved\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactsResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactsResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                DeleteContactsResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                DeleteContactsResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactsResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactsResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactsResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListContacts {
        } => {
            info!("Performing a ListContacts request");

            let result = client.list_contacts(
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListContactsResponse::ContactList
                (body)
                => "ContactList\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListContactsResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListContactsResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                ListContactsResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                ListContactsResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListContactsResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListContactsResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListContactsResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::DeleteContact {
            jid,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a DeleteContact request on {:?}", (
                &jid
            ));

            let result = client.delete_contact(
                jid,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                DeleteContactResponse::ContactRemoved
                => "ContactRemoved\n".to_string()
                    ,
                DeleteContactResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                DeleteContactResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                DeleteContactResponse::ContactNotFound
                (body)
                => "ContactNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ManageContact {
            jid,
            contact_action,
        } => {
            info!("Performing a ManageContact request on {:?}", (
                &jid
            ));

            let result = client.manage_contact(
                jid,
                contact_action,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ManageContactResponse::ActionDone
                => "ActionDone\n".to_string()
                    ,
                ManageContactResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                ManageContactResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                ManageContactResponse::ContactNotFound
                (body)
                => "ContactNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::GetMessages {
            limit,
            before,
            after_id,
            before_id,
        } => {
            info!("Performing a GetMessages request");

            let result = client.get_messages(
                limit,
                before,
                after_id,
                before_id,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                GetMessagesResponse::ArchivedMessages
                (body)
                => "ArchivedMessages\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                GetMessagesResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                GetMessagesResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::SendMessage {
            message_request,
            idempotency_key,
        } => {
            info!("Performing a SendMessage request");

            let result = client.send_message(
                message_request,
                idempotency_key,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                SendMessageResponse::MessageSent
                (body)
                => "MessageSent\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMessageResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMessageResponse::IdempotencyKeyReused
                (body)
                => "IdempotencyKeyReused\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMessageResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                SendMessageResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                SendMessageResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMessageResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMessageResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMessageResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMessageResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::GetMessagesWith {
            jid,
            limit,
            before,
            after_id,
            before_id,
        } => {
            info!("Performing a GetMessagesWith request on {:?}", (
                &jid
            ));

            let result = client.get_messages_with(
                jid,
                limit,
                before,
                after_id,
                before_id,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                GetMessagesWithResponse::ArchivedMessages
                (body)
                => "ArchivedMessages\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesWithResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesWithResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                GetMessagesWithResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                GetMessagesWithResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesWithResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesWithResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetMessagesWithResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::CreateRoom {
            room_request,
            idempotency_key,
        } => {
            info!("Performing a CreateRoom request");

            let result = client.create_room(
                room_request,
                idempotency_key,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                CreateRoomResponse::RoomCreated
                (body)
                => "RoomCreated\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomResponse::IdempotencyKeyReused
                (body)
                => "IdempotencyKeyReused\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                CreateRoomResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                CreateRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListRooms {
        } => {
            info!("Performing a ListRooms request");

            let result = client.list_rooms(
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListRoomsResponse::RoomList
                (body)
                => "RoomList\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListRoomsResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListRoomsResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                ListRoomsResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                ListRoomsResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListRoomsResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListRoomsResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListRoomsResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::CreateRoomWithId {
            id,
            room_request,
        } => {
            info!("Performing a CreateRoomWithId request on {:?}", (
                &id
            ));

            let result = client.create_room_with_id(
                id,
                room_request,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                CreateRoomWithIdResponse::RoomCreated
                (body)
                => "RoomCreated\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomWithIdResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomWithIdResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                CreateRoomWithIdResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                CreateRoomWithIdResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomWithIdResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomWithIdResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomWithIdResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateRoomWithIdResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::GetRoom {
            id,
        } => {
            info!("Performing a GetRoom request on {:?}", (
                &id
            ));

            let result = client.get_room(
                id,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                GetRoomResponse::RoomDetails
                (body)
                => "RoomDetails\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                GetRoomResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                GetRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomResponse::RoomNotFound
                (body)
                => "RoomNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::GetRoomMessages {
            id,
            limit,
            before,
            after_id,
            before_id,
        } => {
            info!("Performing a GetRoomMessages request on {:?}", (
                &id
            ));

            let result = client.get_room_messages(
                id,
                limit,
                before,
                after_id,
                before_id,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                GetRoomMessagesResponse::ArchivedRoomEvents
                (body)
                => "ArchivedRoomEvents\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomMessagesResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomMessagesResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                GetRoomMessagesResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                GetRoomMessagesResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomMessagesResponse::RoomNotFound
                (body)
                => "RoomNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomMessagesResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomMessagesResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomMessagesResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetRoomMessagesResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::InviteToRoom {
            id,
            room_invite,
        } => {
            info!("Performing a InviteToRoom request on {:?}", (
                &id
            ));

            let result = client.invite_to_room(
                id,
                room_invite,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                InviteToRoomResponse::UserInvited
                => "UserInvited\n".to_string()
                    ,
                InviteToRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToRoomResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                InviteToRoomResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                InviteToRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToRoomResponse::RoomOrUserNotFound
                (body)
                => "RoomOrUserNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToRoomResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToRoomResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToRoomResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToRoomResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::SendRoomMessage {
            id,
            room_message,
            idempotency_key,
        } => {
            info!("Performing a SendRoomMessage request on {:?}", (
                &id
            ));

            let result = client.send_room_message(
                id,
                room_message,
                idempotency_key,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                SendRoomMessageResponse::MessageSent
                (body)
                => "MessageSent\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendRoomMessageResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendRoomMessageResponse::IdempotencyKeyReused
                (body)
                => "IdempotencyKeyReused\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendRoomMessageResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                SendRoomMessageResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                SendRoomMessageResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendRoomMessageResponse::RoomNotFound
                (body)
                => "RoomNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendRoomMessageResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendRoomMessageResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendRoomMessageResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendRoomMessageResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::SetRoomConfig {
            id,
            room_config,
        } => {
            info!("Performing a SetRoomConfig request on {:?}", (
                &id
            ));

            let result = client.set_room_config(
                id,
                room_config,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                SetRoomConfigResponse::ConfigChanged
                => "ConfigChanged\n".to_string()
                    ,
                SetRoomConfigResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetRoomConfigResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                SetRoomConfigResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                SetRoomConfigResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetRoomConfigResponse::RoomNotFound
                (body)
                => "RoomNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetRoomConfigResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetRoomConfigResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetRoomConfigResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetRoomConfigResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::RemoveFromRoom {
            id,
            user,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a RemoveFromRoom request on {:?}", (
                &id,
                &user
            ));

            let result = client.remove_from_room(
                id,
                user,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                RemoveFromRoomResponse::UserRemoved
                => "UserRemoved\n".to_string()
                    ,
                RemoveFromRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveFromRoomResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                RemoveFromRoomResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                RemoveFromRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveFromRoomResponse::RoomNotFound
                (body)
                => "RoomNotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveFromRoomResponse::NotImplemented
                (body)
                => "NotImplemented\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveFromRoomResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveFromRoomResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveFromRoomResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::OpenEventStream {
            last_event_id,
            access_token,
        } => {
            info!("Performing a OpenEventStream request");

            let result = client.open_event_stream(
                last_event_id,
                access_token,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                OpenEventStreamResponse::EventStream
                (body)
                => "EventStream\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                OpenEventStreamResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                OpenEventStreamResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                OpenEventStreamResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                OpenEventStreamResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                OpenEventStreamResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                OpenEventStreamResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::CreateToken {
        } => {
            info!("Performing a CreateToken request");

            let result = client.create_token(
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                CreateTokenResponse::TokenCreated
                (body)
                => "TokenCreated\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateTokenResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateTokenResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                CreateTokenResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateTokenResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                CreateTokenResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateTokenResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateTokenResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListTokens {
        } => {
            info!("Performing a ListTokens request");

            let result = client.list_tokens(
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListTokensResponse::TokenList
                (body)
                => "TokenList\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListTokensResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListTokensResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                ListTokensResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                ListTokensResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListTokensResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListTokensResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::RevokeToken {
            token_id,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a RevokeToken request on {:?}", (
                &token_id
            ));

            let result = client.revoke_token(
                token_id,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                RevokeTokenResponse::TokenRevoked
                => "TokenRevoked\n".to_string()
                    ,
                RevokeTokenResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RevokeTokenResponse::Unauthorized
                {
                    body,
                    www_authenticate,
                }
                => "Unauthorized\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "www_authenticate: {}\n",
                        serde_json::to_string_pretty(&www_authenticate)?
                    ),
                RevokeTokenResponse::NoSuchToken
                (body)
                => "NoSuchToken\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RevokeTokenResponse::TooManyRequests
                {
                    body,
                    retry_after,
                }
                => "TooManyRequests\n".to_string()
                   +
                    &format!("body: {}\n", serde_json::to_string_pretty(&body)?) +
                    &format!(
                        "retry_after: {}\n",
                        serde_json::to_string_pretty(&retry_after)?
                    ),
                RevokeTokenResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RevokeTokenResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RevokeTokenResponse::ServiceTemporarilyUnavailable
                (body)
                => "ServiceTemporarilyUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
    };

    if let Some(output_file) = args.output_file {
        std::fs::write(output_file, result)?
    } else {
        println!("{}", result);
    }
    Ok(())
}

fn prompt(force: bool, text: &str) -> Result<()> {
    if force || Confirm::new().with_prompt(text).interact()? {
        Ok(())
    } else {
        Err(anyhow!("Aborting"))
    }
}

// May be unused if all inputs are primitive types
#[allow(dead_code)]
fn parse_json<T: serde::de::DeserializeOwned>(json_string: &str) -> Result<T> {
    serde_json::from_str(json_string).map_err(|err| anyhow!("Error parsing input: {}", err))
}

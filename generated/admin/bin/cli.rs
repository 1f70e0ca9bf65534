//! CLI tool driving the API client
use anyhow::{anyhow, Context, Result};
use clap::Parser;
use dialoguer::Confirm;
use log::{debug, info};
// models may be unused if all inputs are primitive types
#[allow(unused_imports)]
use meerkat_admin_api::{
    models, ApiNoContext, Client, ContextWrapperExt,
    AddContactResponse,
    ListContactsResponse,
    ChangeSubscriptionResponse,
    DeleteContactResponse,
    ManageContactsResponse,
    ListDomainsResponse,
    AddDomainResponse,
    GetDomainResponse,
    RemoveDomainResponse,
    SetDomainEnabledResponse,
    SendMessageResponse,
    GetArchiveResponse,
    GetArchiveWithResponse,
    CreateMucLightRoomResponse,
    CreateMucLightRoomWithIdResponse,
    CreateMucRoomResponse,
    ListMucRoomsResponse,
    DeleteMucLightRoomResponse,
    InviteToMucLightRoomResponse,
    InviteToMucRoomResponse,
    ListUserMucLightRoomsResponse,
    SendMucLightMessageResponse,
    SendMucMessageResponse,
    KickMucOccupantResponse,
    ListSessionsResponse,
    KickUserResponse,
    ListUserSessionsResponse,
    KickSessionResponse,
    SendStanzaResponse,
    CountUsersResponse,
    ListUsersResponse,
    RegisterUserResponse,
    ChangePasswordResponse,
    UnregisterUserResponse,
    ListWebhooksResponse,
    ReplayWebhookResponse,
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
    name = "meerkat admin REST API",
    version = "2.0.0",
    about = "CLI access to meerkat admin REST API"
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
    #[arg(env = "MEERKAT_ADMIN_API_BEARER_TOKEN", hide_env = true)]
    bearer_token: Option<String>,
}

#[derive(Parser, Debug)]
enum Operation {
    /// Add a contact to a user's roster
    AddContact {
        /// The bare JID of a user of this server.
        user: String,
        #[clap(value_parser = parse_json::<models::ContactToAdd>)]
        contact_to_add: models::ContactToAdd,
    },
    /// List a user's contacts
    ListContacts {
        /// The bare JID of a user of this server.
        user: String,
    },
    /// Ask for or grant a presence subscription
    ChangeSubscription {
        /// The bare JID of a user of this server.
        user: String,
        /// The contact's bare JID.
        contact: String,
        #[clap(value_parser = parse_json::<models::SubscriptionChange>)]
        subscription_change: models::SubscriptionChange,
    },
    /// Remove a contact from a user's roster
    DeleteContact {
        /// The bare JID of a user of this server.
        user: String,
        /// The contact's bare JID.
        contact: String,
    },
    /// Connect or disconnect two users
    ManageContacts {
        /// The bare JID of a user of this server.
        user: String,
        /// The contact's bare JID.
        contact: String,
        #[clap(value_parser = parse_json::<models::ContactsLink>)]
        contacts_link: models::ContactsLink,
    },
    /// List the domains added at run time
    ListDomains {
    },
    /// Add a domain
    AddDomain {
        /// The domain, in any letter case.
        domain: String,
        #[clap(value_parser = parse_json::<models::DomainToAdd>)]
        domain_to_add: models::DomainToAdd,
    },
    /// Read a domain added at run time
    GetDomain {
        /// The domain, in any letter case.
        domain: String,
    },
    /// Remove a domain with its data
    RemoveDomain {
        /// The domain, in any letter case.
        domain: String,
        #[clap(value_parser = parse_json::<models::DomainToRemove>)]
        domain_to_remove: models::DomainToRemove,
    },
    /// Enable or disable a domain
    SetDomainEnabled {
        /// The domain, in any letter case.
        domain: String,
        #[clap(value_parser = parse_json::<models::DomainEnabled>)]
        domain_enabled: models::DomainEnabled,
    },
    /// Send a chat message as a user
    SendMessage {
        #[clap(value_parser = parse_json::<models::MessageToSend>)]
        message_to_send: models::MessageToSend,
    },
    /// Read a user's archive
    GetArchive {
        /// The bare JID of the archive's owner, a user of this server.
        owner: String,
        /// The most messages to return.
        limit: Option<u16>,
        /// Only messages sent before this time, in Unix seconds (as MongooseIM), e.g. `1732521600`. 
        before: Option<u64>,
        /// Only messages after this archive id (page forward by `id`), e.g. `1732521600000000`. 
        after_id: Option<String>,
        /// Only messages before this archive id (page back by `id`), e.g. `1732521600000000`. 
        before_id: Option<String>,
    },
    /// Read a user's archive with one peer
    GetArchiveWith {
        /// The bare JID of the archive's owner, a user of this server.
        owner: String,
        /// The other party's bare JID.
        with: String,
        /// The most messages to return.
        limit: Option<u16>,
        /// Only messages sent before this time, in Unix seconds (as MongooseIM), e.g. `1732521600`. 
        before: Option<u64>,
        /// Only messages after this archive id (page forward by `id`), e.g. `1732521600000000`. 
        after_id: Option<String>,
        /// Only messages before this archive id (page back by `id`), e.g. `1732521600000000`. 
        before_id: Option<String>,
    },
    /// Create a MUC Light room
    CreateMucLightRoom {
        /// A MUC Light service of this server (`muclight.<host>` by default).
        domain: String,
        #[clap(value_parser = parse_json::<models::MucLightRoomToCreate>)]
        muc_light_room_to_create: models::MucLightRoomToCreate,
    },
    /// Create a MUC Light room with a given id
    CreateMucLightRoomWithId {
        /// A MUC Light service of this server (`muclight.<host>` by default).
        domain: String,
        #[clap(value_parser = parse_json::<models::MucLightRoomWithIdToCreate>)]
        muc_light_room_with_id_to_create: models::MucLightRoomWithIdToCreate,
    },
    /// Create a Multi-User Chat room
    CreateMucRoom {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        #[clap(value_parser = parse_json::<models::MucRoomToCreate>)]
        muc_room_to_create: models::MucRoomToCreate,
    },
    /// List the domain's Multi-User Chat rooms with their occupants
    ListMucRooms {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
    },
    /// Destroy a MUC Light room
    DeleteMucLightRoom {
        /// A MUC Light service of this server (`muclight.<host>` by default).
        domain: String,
        /// The room's id (the local part of its JID).
        id: String,
    },
    /// Add a member to a MUC Light room, on behalf of a user
    InviteToMucLightRoom {
        /// A MUC Light service of this server (`muclight.<host>` by default).
        domain: String,
        /// The room's id (the local part of its JID).
        id: String,
        #[clap(value_parser = parse_json::<models::MucLightInvitation>)]
        muc_light_invitation: models::MucLightInvitation,
    },
    /// Invite a user to a Multi-User Chat room, on behalf of another
    InviteToMucRoom {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The room's name (the local part of its JID on `conference.<domain>`).
        room: String,
        #[clap(value_parser = parse_json::<models::MucInvitation>)]
        muc_invitation: models::MucInvitation,
    },
    /// List the MUC Light rooms a user is in
    ListUserMucLightRooms {
        /// A MUC Light service of this server (`muclight.<host>` by default).
        domain: String,
        /// The bare JID of a user of this server.
        user: String,
    },
    /// Send a message to a MUC Light room, on behalf of a member
    SendMucLightMessage {
        /// A MUC Light service of this server (`muclight.<host>` by default).
        domain: String,
        /// The room's id (the local part of its JID).
        id: String,
        #[clap(value_parser = parse_json::<models::RoomMessageToSend>)]
        room_message_to_send: models::RoomMessageToSend,
    },
    /// Send a message to a Multi-User Chat room, on behalf of an occupant
    SendMucMessage {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The room's name (the local part of its JID on `conference.<domain>`).
        room: String,
        #[clap(value_parser = parse_json::<models::RoomMessageToSend>)]
        room_message_to_send: models::RoomMessageToSend,
    },
    /// Kick an occupant out of a Multi-User Chat room
    KickMucOccupant {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The room's name (the local part of its JID on `conference.<domain>`).
        room: String,
        /// The occupant's nickname in the room.
        nick: String,
    },
    /// List the sessions of a domain
    ListSessions {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
    },
    /// End all of a user's sessions
    KickUser {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The local part of the user's JID, in any letter case.
        username: String,
    },
    /// List a user's sessions with their details
    ListUserSessions {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The local part of the user's JID, in any letter case.
        username: String,
    },
    /// End one session
    KickSession {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The local part of the user's JID, in any letter case.
        username: String,
        /// The resource of the session's full JID.
        resource: String,
    },
    /// Send any stanza as a user
    SendStanza {
        #[clap(value_parser = parse_json::<models::StanzaToSend>)]
        stanza_to_send: models::StanzaToSend,
    },
    /// Count the users of a domain
    CountUsers {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
    },
    /// List the users of a domain
    ListUsers {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The most users to return, e.g. `100`.
        limit: Option<u16>,
        /// Return only users whose JID sorts after `<after>@<domain>` (the last local part of the previous page, e.g. `alice`). 
        after: Option<String>,
    },
    /// Register a user
    RegisterUser {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        #[clap(value_parser = parse_json::<models::NewUser>)]
        new_user: models::NewUser,
    },
    /// Change a user's password
    ChangePassword {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The local part of the user's JID, in any letter case.
        username: String,
        #[clap(value_parser = parse_json::<models::NewPassword>)]
        new_password: models::NewPassword,
    },
    /// Remove a user
    UnregisterUser {
        /// One of the server's XMPP domains (hosts), in any letter case.
        domain: String,
        /// The local part of the user's JID, in any letter case.
        username: String,
    },
    /// List the webhook endpoints with their delivery state
    ListWebhooks {
    },
    /// Deliver an endpoint's events again from an archive id
    ReplayWebhook {
        /// The endpoint's configured name.
        name: String,
        #[clap(value_parser = parse_json::<models::WebhookReplay>)]
        webhook_replay: models::WebhookReplay,
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
            user,
            contact_to_add,
        } => {
            info!("Performing a AddContact request on {:?}", (
                &user
            ));

            let result = client.add_contact(
                user,
                contact_to_add,
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
                AddContactResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddContactResponse::NotFound
                (body)
                => "NotFound\n".to_string()
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
                AddContactResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListContacts {
            user,
        } => {
            info!("Performing a ListContacts request on {:?}", (
                &user
            ));

            let result = client.list_contacts(
                user,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListContactsResponse::Contacts
                (body)
                => "Contacts\n".to_string()
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
                ListContactsResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListContactsResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListContactsResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ChangeSubscription {
            user,
            contact,
            subscription_change,
        } => {
            info!("Performing a ChangeSubscription request on {:?}", (
                &user,
                &contact
            ));

            let result = client.change_subscription(
                user,
                contact,
                subscription_change,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ChangeSubscriptionResponse::SubscriptionPresenceSent
                => "SubscriptionPresenceSent\n".to_string()
                    ,
                ChangeSubscriptionResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangeSubscriptionResponse::Unauthorized
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
                ChangeSubscriptionResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangeSubscriptionResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangeSubscriptionResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangeSubscriptionResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangeSubscriptionResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::DeleteContact {
            user,
            contact,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a DeleteContact request on {:?}", (
                &user,
                &contact
            ));

            let result = client.delete_contact(
                user,
                contact,
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
                DeleteContactResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteContactResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ManageContacts {
            user,
            contact,
            contacts_link,
        } => {
            info!("Performing a ManageContacts request on {:?}", (
                &user,
                &contact
            ));

            let result = client.manage_contacts(
                user,
                contact,
                contacts_link,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ManageContactsResponse::Done
                => "Done\n".to_string()
                    ,
                ManageContactsResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactsResponse::Unauthorized
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
                ManageContactsResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactsResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactsResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactsResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ManageContactsResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListDomains {
        } => {
            info!("Performing a ListDomains request");

            let result = client.list_domains(
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListDomainsResponse::Domains
                (body)
                => "Domains\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListDomainsResponse::Unauthorized
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
                ListDomainsResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListDomainsResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::AddDomain {
            domain,
            domain_to_add,
        } => {
            info!("Performing a AddDomain request on {:?}", (
                &domain
            ));

            let result = client.add_domain(
                domain,
                domain_to_add,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                AddDomainResponse::DomainAdded
                => "DomainAdded\n".to_string()
                    ,
                AddDomainResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddDomainResponse::Unauthorized
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
                AddDomainResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddDomainResponse::Conflict
                (body)
                => "Conflict\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddDomainResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddDomainResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                AddDomainResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::GetDomain {
            domain,
        } => {
            info!("Performing a GetDomain request on {:?}", (
                &domain
            ));

            let result = client.get_domain(
                domain,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                GetDomainResponse::TheDomain
                (body)
                => "TheDomain\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetDomainResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetDomainResponse::Unauthorized
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
                GetDomainResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetDomainResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetDomainResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::RemoveDomain {
            domain,
            domain_to_remove,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a RemoveDomain request on {:?}", (
                &domain
            ));

            let result = client.remove_domain(
                domain,
                domain_to_remove,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                RemoveDomainResponse::RemovalStarted
                => "RemovalStarted\n".to_string()
                    ,
                RemoveDomainResponse::DomainRemoved
                => "DomainRemoved\n".to_string()
                    ,
                RemoveDomainResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveDomainResponse::Unauthorized
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
                RemoveDomainResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveDomainResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveDomainResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveDomainResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RemoveDomainResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::SetDomainEnabled {
            domain,
            domain_enabled,
        } => {
            info!("Performing a SetDomainEnabled request on {:?}", (
                &domain
            ));

            let result = client.set_domain_enabled(
                domain,
                domain_enabled,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                SetDomainEnabledResponse::StatusSet
                => "StatusSet\n".to_string()
                    ,
                SetDomainEnabledResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetDomainEnabledResponse::Unauthorized
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
                SetDomainEnabledResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetDomainEnabledResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetDomainEnabledResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetDomainEnabledResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SetDomainEnabledResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::SendMessage {
            message_to_send,
        } => {
            info!("Performing a SendMessage request");

            let result = client.send_message(
                message_to_send,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                SendMessageResponse::MessageSent
                => "MessageSent\n".to_string()
                    ,
                SendMessageResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
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
                SendMessageResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::GetArchive {
            owner,
            limit,
            before,
            after_id,
            before_id,
        } => {
            info!("Performing a GetArchive request on {:?}", (
                &owner
            ));

            let result = client.get_archive(
                owner,
                limit,
                before,
                after_id,
                before_id,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                GetArchiveResponse::ArchivedMessages
                (body)
                => "ArchivedMessages\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetArchiveResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetArchiveResponse::Unauthorized
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
                GetArchiveResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetArchiveResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetArchiveResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::GetArchiveWith {
            owner,
            with,
            limit,
            before,
            after_id,
            before_id,
        } => {
            info!("Performing a GetArchiveWith request on {:?}", (
                &owner,
                &with
            ));

            let result = client.get_archive_with(
                owner,
                with,
                limit,
                before,
                after_id,
                before_id,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                GetArchiveWithResponse::ArchivedMessages
                (body)
                => "ArchivedMessages\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetArchiveWithResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetArchiveWithResponse::Unauthorized
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
                GetArchiveWithResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetArchiveWithResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                GetArchiveWithResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::CreateMucLightRoom {
            domain,
            muc_light_room_to_create,
        } => {
            info!("Performing a CreateMucLightRoom request on {:?}", (
                &domain
            ));

            let result = client.create_muc_light_room(
                domain,
                muc_light_room_to_create,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                CreateMucLightRoomResponse::RoomCreated
                (body)
                => "RoomCreated\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomResponse::Unauthorized
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
                CreateMucLightRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::CreateMucLightRoomWithId {
            domain,
            muc_light_room_with_id_to_create,
        } => {
            info!("Performing a CreateMucLightRoomWithId request on {:?}", (
                &domain
            ));

            let result = client.create_muc_light_room_with_id(
                domain,
                muc_light_room_with_id_to_create,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                CreateMucLightRoomWithIdResponse::RoomCreated
                (body)
                => "RoomCreated\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomWithIdResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomWithIdResponse::Unauthorized
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
                CreateMucLightRoomWithIdResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomWithIdResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomWithIdResponse::Conflict
                (body)
                => "Conflict\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomWithIdResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomWithIdResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucLightRoomWithIdResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::CreateMucRoom {
            domain,
            muc_room_to_create,
        } => {
            info!("Performing a CreateMucRoom request on {:?}", (
                &domain
            ));

            let result = client.create_muc_room(
                domain,
                muc_room_to_create,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                CreateMucRoomResponse::RoomCreated
                (body)
                => "RoomCreated\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucRoomResponse::Unauthorized
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
                CreateMucRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucRoomResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucRoomResponse::Conflict
                (body)
                => "Conflict\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucRoomResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucRoomResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CreateMucRoomResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListMucRooms {
            domain,
        } => {
            info!("Performing a ListMucRooms request on {:?}", (
                &domain
            ));

            let result = client.list_muc_rooms(
                domain,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListMucRoomsResponse::Rooms
                (body)
                => "Rooms\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListMucRoomsResponse::Unauthorized
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
                ListMucRoomsResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListMucRoomsResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::DeleteMucLightRoom {
            domain,
            id,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a DeleteMucLightRoom request on {:?}", (
                &domain,
                &id
            ));

            let result = client.delete_muc_light_room(
                domain,
                id,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                DeleteMucLightRoomResponse::RoomDestroyed
                => "RoomDestroyed\n".to_string()
                    ,
                DeleteMucLightRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteMucLightRoomResponse::Unauthorized
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
                DeleteMucLightRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteMucLightRoomResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                DeleteMucLightRoomResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::InviteToMucLightRoom {
            domain,
            id,
            muc_light_invitation,
        } => {
            info!("Performing a InviteToMucLightRoom request on {:?}", (
                &domain,
                &id
            ));

            let result = client.invite_to_muc_light_room(
                domain,
                id,
                muc_light_invitation,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                InviteToMucLightRoomResponse::MemberAdded
                => "MemberAdded\n".to_string()
                    ,
                InviteToMucLightRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucLightRoomResponse::Unauthorized
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
                InviteToMucLightRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucLightRoomResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucLightRoomResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucLightRoomResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucLightRoomResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::InviteToMucRoom {
            domain,
            room,
            muc_invitation,
        } => {
            info!("Performing a InviteToMucRoom request on {:?}", (
                &domain,
                &room
            ));

            let result = client.invite_to_muc_room(
                domain,
                room,
                muc_invitation,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                InviteToMucRoomResponse::InvitationSent
                => "InvitationSent\n".to_string()
                    ,
                InviteToMucRoomResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucRoomResponse::Unauthorized
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
                InviteToMucRoomResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucRoomResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucRoomResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucRoomResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                InviteToMucRoomResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListUserMucLightRooms {
            domain,
            user,
        } => {
            info!("Performing a ListUserMucLightRooms request on {:?}", (
                &domain,
                &user
            ));

            let result = client.list_user_muc_light_rooms(
                domain,
                user,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListUserMucLightRoomsResponse::Rooms
                (body)
                => "Rooms\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUserMucLightRoomsResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUserMucLightRoomsResponse::Unauthorized
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
                ListUserMucLightRoomsResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUserMucLightRoomsResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUserMucLightRoomsResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::SendMucLightMessage {
            domain,
            id,
            room_message_to_send,
        } => {
            info!("Performing a SendMucLightMessage request on {:?}", (
                &domain,
                &id
            ));

            let result = client.send_muc_light_message(
                domain,
                id,
                room_message_to_send,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                SendMucLightMessageResponse::MessageSent
                => "MessageSent\n".to_string()
                    ,
                SendMucLightMessageResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucLightMessageResponse::Unauthorized
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
                SendMucLightMessageResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucLightMessageResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucLightMessageResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucLightMessageResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucLightMessageResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::SendMucMessage {
            domain,
            room,
            room_message_to_send,
        } => {
            info!("Performing a SendMucMessage request on {:?}", (
                &domain,
                &room
            ));

            let result = client.send_muc_message(
                domain,
                room,
                room_message_to_send,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                SendMucMessageResponse::MessageSent
                => "MessageSent\n".to_string()
                    ,
                SendMucMessageResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucMessageResponse::Unauthorized
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
                SendMucMessageResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucMessageResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucMessageResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucMessageResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendMucMessageResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::KickMucOccupant {
            domain,
            room,
            nick,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a KickMucOccupant request on {:?}", (
                &domain,
                &room,
                &nick
            ));

            let result = client.kick_muc_occupant(
                domain,
                room,
                nick,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                KickMucOccupantResponse::OccupantKicked
                => "OccupantKicked\n".to_string()
                    ,
                KickMucOccupantResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                KickMucOccupantResponse::Unauthorized
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
                KickMucOccupantResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                KickMucOccupantResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                KickMucOccupantResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListSessions {
            domain,
        } => {
            info!("Performing a ListSessions request on {:?}", (
                &domain
            ));

            let result = client.list_sessions(
                domain,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListSessionsResponse::SessionList
                (body)
                => "SessionList\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListSessionsResponse::Unauthorized
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
                ListSessionsResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListSessionsResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::KickUser {
            domain,
            username,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a KickUser request on {:?}", (
                &domain,
                &username
            ));

            let result = client.kick_user(
                domain,
                username,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                KickUserResponse::Kicked
                (body)
                => "Kicked\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                KickUserResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                KickUserResponse::Unauthorized
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
                KickUserResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                KickUserResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListUserSessions {
            domain,
            username,
        } => {
            info!("Performing a ListUserSessions request on {:?}", (
                &domain,
                &username
            ));

            let result = client.list_user_sessions(
                domain,
                username,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListUserSessionsResponse::Sessions
                (body)
                => "Sessions\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUserSessionsResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUserSessionsResponse::Unauthorized
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
                ListUserSessionsResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUserSessionsResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::KickSession {
            domain,
            username,
            resource,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a KickSession request on {:?}", (
                &domain,
                &username,
                &resource
            ));

            let result = client.kick_session(
                domain,
                username,
                resource,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                KickSessionResponse::SessionEnded
                => "SessionEnded\n".to_string()
                    ,
                KickSessionResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                KickSessionResponse::Unauthorized
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
                KickSessionResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                KickSessionResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::SendStanza {
            stanza_to_send,
        } => {
            info!("Performing a SendStanza request");

            let result = client.send_stanza(
                stanza_to_send,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                SendStanzaResponse::StanzaSent
                => "StanzaSent\n".to_string()
                    ,
                SendStanzaResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendStanzaResponse::Unauthorized
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
                SendStanzaResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendStanzaResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendStanzaResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                SendStanzaResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::CountUsers {
            domain,
        } => {
            info!("Performing a CountUsers request on {:?}", (
                &domain
            ));

            let result = client.count_users(
                domain,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                CountUsersResponse::Count
                (body)
                => "Count\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CountUsersResponse::Unauthorized
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
                CountUsersResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CountUsersResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                CountUsersResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListUsers {
            domain,
            limit,
            after,
        } => {
            info!("Performing a ListUsers request on {:?}", (
                &domain
            ));

            let result = client.list_users(
                domain,
                limit,
                after,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListUsersResponse::UserList
                (body)
                => "UserList\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUsersResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUsersResponse::Unauthorized
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
                ListUsersResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUsersResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListUsersResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::RegisterUser {
            domain,
            new_user,
        } => {
            info!("Performing a RegisterUser request on {:?}", (
                &domain
            ));

            let result = client.register_user(
                domain,
                new_user,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                RegisterUserResponse::UserRegistered
                (body)
                => "UserRegistered\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::Unauthorized
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
                RegisterUserResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::Conflict
                (body)
                => "Conflict\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                RegisterUserResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ChangePassword {
            domain,
            username,
            new_password,
        } => {
            info!("Performing a ChangePassword request on {:?}", (
                &domain,
                &username
            ));

            let result = client.change_password(
                domain,
                username,
                new_password,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ChangePasswordResponse::PasswordChanged
                => "PasswordChanged\n".to_string()
                    ,
                ChangePasswordResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangePasswordResponse::Unauthorized
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
                ChangePasswordResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangePasswordResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangePasswordResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangePasswordResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ChangePasswordResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::UnregisterUser {
            domain,
            username,
        } => {
            prompt(args.force, "This will delete the given entry, are you sure?")?;
            info!("Performing a UnregisterUser request on {:?}", (
                &domain,
                &username
            ));

            let result = client.unregister_user(
                domain,
                username,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                UnregisterUserResponse::UserRemoved
                => "UserRemoved\n".to_string()
                    ,
                UnregisterUserResponse::Unauthorized
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
                UnregisterUserResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                UnregisterUserResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                UnregisterUserResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ListWebhooks {
        } => {
            info!("Performing a ListWebhooks request");

            let result = client.list_webhooks(
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ListWebhooksResponse::Endpoints
                (body)
                => "Endpoints\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListWebhooksResponse::Unauthorized
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
                ListWebhooksResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ListWebhooksResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
            }
        }
        Operation::ReplayWebhook {
            name,
            webhook_replay,
        } => {
            info!("Performing a ReplayWebhook request on {:?}", (
                &name
            ));

            let result = client.replay_webhook(
                name,
                webhook_replay,
            ).await?;
            debug!("Result: {:?}", result);

            match result {
                ReplayWebhookResponse::ReplayStarted
                => "ReplayStarted\n".to_string()
                    ,
                ReplayWebhookResponse::BadRequest
                (body)
                => "BadRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ReplayWebhookResponse::Unauthorized
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
                ReplayWebhookResponse::Forbidden
                (body)
                => "Forbidden\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ReplayWebhookResponse::NotFound
                (body)
                => "NotFound\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ReplayWebhookResponse::TheRequest
                (body)
                => "TheRequest\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ReplayWebhookResponse::PayloadTooLarge
                (body)
                => "PayloadTooLarge\n".to_string()
                   +
                    &serde_json::to_string_pretty(&body)?,
                ReplayWebhookResponse::ServiceUnavailable
                (body)
                => "ServiceUnavailable\n".to_string()
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

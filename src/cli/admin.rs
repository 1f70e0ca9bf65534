//! The commands that call a running server's admin API (`api/admin.yaml`), one for each
//! operation, through the generated client: what a backend does over REST, an operator
//! can do from a shell on the server's machine with no credentials to type (they come
//! from the configuration, see [`super::endpoint`]).
//!
//! Answers print as lines of text (one JID a line for lists), or with `--json` as the
//! body the server sent. A refusal prints the server's own sentence.

use super::endpoint::{AdminClient, AdminError, Endpoint, Remote};
use crate::config::Config;
use clap::{Subcommand, ValueEnum};
use meerkat_admin_api::models;
use meerkat_admin_api::ApiNoContext as _;
use serde::Serialize;
use serde_json::Value;
use std::io::Read as _;
use std::process::ExitCode;

/// `meerkat users …` that go through the admin API (the others change the storage).
#[derive(Debug, Subcommand)]
pub(crate) enum UsersCall {
    /// List a domain's users, one JID a line, sorted
    List {
        domain: String,
        /// At most this many users (1 to 10000)
        #[arg(long, value_name = "N")]
        limit: Option<u16>,
        /// Only users after this one (a local part: the last of the previous page)
        #[arg(long, value_name = "NAME")]
        after: Option<String>,
    },
    /// Count a domain's users
    Count { domain: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SessionsCall {
    /// List the sessions of a domain's users, one full JID a line
    List { domain: String },
    /// List a user's sessions: full JID, connection (c2s, websocket, bosh, sse) and node
    Of {
        #[arg(value_name = "USER@DOMAIN")]
        user: String,
    },
    /// End one session (a full JID) or all of a user's sessions (a bare JID)
    Kick { jid: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MessagesCall {
    /// Send a chat message as CALLER, exactly as if their client had sent it
    Send { caller: String, to: String, body: String },
    /// Read OWNER's archive (with WITH only, if given), oldest first
    Archive {
        owner: String,
        with: Option<String>,
        /// At most this many messages, the newest (0 to 500; the server's default: 50)
        #[arg(long, value_name = "N")]
        limit: Option<u16>,
        /// Only messages sent before this time, in Unix seconds
        #[arg(long, value_name = "SECS")]
        before: Option<u64>,
        /// Only messages after this archive id (page forward)
        #[arg(long, value_name = "ID")]
        after_id: Option<String>,
        /// Only messages before this archive id (page back)
        #[arg(long, value_name = "ID")]
        before_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum StanzasCall {
    /// Route a stanza as the user in its `from` (XML; `-` reads it from standard input)
    Send { xml: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ContactsCall {
    /// List USER's contacts: JID, subscription, and pending requests
    List { user: String },
    /// Add CONTACT to USER's contacts, with no subscription
    Add { user: String, contact: String },
    /// Send USER's subscription presence to CONTACT
    Subscribe {
        user: String,
        contact: String,
        action: Subscription,
    },
    /// Remove CONTACT from USER's contacts, cancelling the subscriptions both ways
    Remove { user: String, contact: String },
    /// Make USER and CONTACT each other's contacts, subscribed both ways
    Connect { user: String, contact: String },
    /// Remove USER and CONTACT from each other's contacts
    Disconnect { user: String, contact: String },
}

/// What `contacts subscribe` sends.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Subscription {
    /// Ask to see the contact's presence
    #[value(alias = "subscribe")]
    Invite,
    /// Let the contact see the user's presence
    #[value(alias = "subscribed")]
    Accept,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MucLightCall {
    /// Create a room on SERVICE (e.g. muclight.localhost) owned by OWNER; prints its JID
    Create {
        service: String,
        owner: String,
        name: String,
        subject: String,
        /// The room's id (the local part of its JID) instead of a fresh one
        #[arg(long)]
        id: Option<String>,
    },
    /// Make RECIPIENT a member, on behalf of SENDER
    Invite {
        service: String,
        id: String,
        sender: String,
        recipient: String,
    },
    /// Send a message to the room as FROM, a member
    Send {
        service: String,
        id: String,
        from: String,
        body: String,
    },
    /// Destroy a room
    Delete { service: String, id: String },
    /// List the rooms USER is in: JID and name
    Rooms { service: String, user: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MucCall {
    /// Create the persistent room NAME@conference.DOMAIN owned by OWNER
    Create {
        domain: String,
        name: String,
        owner: String,
        nick: String,
    },
    /// Invite RECIPIENT to the room on behalf of SENDER
    Invite {
        domain: String,
        room: String,
        sender: String,
        recipient: String,
        reason: String,
    },
    /// Send a message to the room as FROM, who must be in it
    Send {
        domain: String,
        room: String,
        from: String,
        body: String,
    },
    /// Kick the occupant NICK out of the room
    Kick { domain: String, room: String, nick: String },
    /// List the domain's rooms, each with its occupants (nick, JID, role, affiliation)
    List { domain: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum DomainsCall {
    /// List the domains added at run time, with their host type and status
    List,
    /// Show one added domain
    Get { domain: String },
    /// Add DOMAIN, served at once, with the settings of the configured host HOST_TYPE
    Add { domain: String, host_type: String },
    /// Stop serving DOMAIN (its sessions end, logins are refused); its data stays
    Disable { domain: String },
    /// Serve DOMAIN again
    Enable { domain: String },
    /// Remove DOMAIN with its accounts and rooms (HOST_TYPE must be the domain's)
    Remove {
        domain: String,
        host_type: String,
        /// Return at once; the removal goes on in the background
        #[arg(long)]
        background: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WebhooksCall {
    /// List the webhook endpoints: name, backlog, delivered, dropped, URL, last error
    List,
    /// Deliver NAME's message and room events again from archive id FROM (included)
    Replay { name: String, from: String },
}

/// One admin command, of whichever group.
#[derive(Debug)]
pub(crate) enum Call {
    Users(UsersCall),
    Sessions(SessionsCall),
    Messages(MessagesCall),
    Stanzas(StanzasCall),
    Contacts(ContactsCall),
    MucLight(MucLightCall),
    Muc(MucCall),
    Domains(DomainsCall),
    Webhooks(WebhooksCall),
}

/// Runs `call` against the admin API `remote` and `config` point to, printing the
/// answer or the reason there is none.
pub(crate) async fn run(config: &Config, remote: &Remote, call: Call) -> ExitCode {
    let result = async {
        let endpoint = remote.endpoint(config)?;
        let client = endpoint.client()?;
        execute(&endpoint, &client, call).await
    }
    .await;
    match result {
        Ok(reply) => {
            reply.print(remote.json);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("meerkat: {e}");
            e.exit_code()
        }
    }
}

/// A successful answer: lines for people, and the body for `--json` (none when the
/// server sent none, e.g. `204`).
struct Reply {
    lines: Vec<String>,
    body: Option<Value>,
}

impl Reply {
    /// An answer with no body, told in one word.
    fn done(word: &str) -> Self {
        Reply {
            lines: vec![word.to_owned()],
            body: None,
        }
    }

    fn with_body(body: &impl Serialize, lines: Vec<String>) -> Self {
        Reply {
            lines,
            body: serde_json::to_value(body).ok(),
        }
    }

    fn print(&self, json: bool) {
        if !json {
            for line in &self.lines {
                println!("{line}");
            }
        } else if let Some(body) = &self.body {
            println!("{body}");
        }
    }
}

/// The refusal in an answer the command does not take as success. Every error answer
/// of the spec carries one sentence, which the generated enums hold as their variant's
/// only field (`NotFound("Unknown domain")`) or as `body` (`Unauthorized`); their
/// serialised form gives it for all of them alike.
fn refusal(answer: &impl Serialize) -> AdminError {
    let value = serde_json::to_value(answer).unwrap_or(Value::Null);
    let sentence = value
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_str().or_else(|| v.get("body").and_then(Value::as_str)));
    match sentence {
        Some(s) => AdminError::Refused(s.to_owned()),
        None => AdminError::Refused(format!("the admin API answered {value}")),
    }
}

async fn execute(endpoint: &Endpoint, api: &AdminClient, call: Call) -> Result<Reply, AdminError> {
    match call {
        Call::Users(call) => users(endpoint, api, call).await,
        Call::Sessions(call) => sessions(endpoint, api, call).await,
        Call::Messages(call) => messages(endpoint, api, call).await,
        Call::Stanzas(call) => stanzas(endpoint, api, call).await,
        Call::Contacts(call) => contacts(endpoint, api, call).await,
        Call::MucLight(call) => muc_light(endpoint, api, call).await,
        Call::Muc(call) => muc(endpoint, api, call).await,
        Call::Domains(call) => domains(endpoint, api, call).await,
        Call::Webhooks(call) => webhooks(endpoint, api, call).await,
    }
}

async fn users(endpoint: &Endpoint, api: &AdminClient, call: UsersCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::{CountUsersResponse, ListUsersResponse};
    match call {
        UsersCall::List { domain, limit, after } => match endpoint.ask(api.list_users(domain, limit, after)).await? {
            ListUsersResponse::UserList(users) => Ok(Reply::with_body(&users, users.clone())),
            other => Err(refusal(&other)),
        },
        UsersCall::Count { domain } => match endpoint.ask(api.count_users(domain)).await? {
            CountUsersResponse::Count(count) => Ok(Reply::with_body(&count, vec![count.count.to_string()])),
            other => Err(refusal(&other)),
        },
    }
}

/// `(local part, domain, resource)` of a user's JID as typed, for the session paths.
/// The server checks and preps each part; only the shape is checked here.
fn split_jid(jid: &str) -> Option<(String, String, Option<String>)> {
    let (bare, resource) = match jid.split_once('/') {
        Some((bare, resource)) => (bare, Some(resource)),
        None => (jid, None),
    };
    let (user, domain) = bare.split_once('@')?;
    if user.is_empty() || domain.is_empty() || resource == Some("") {
        return None;
    }
    Some((user.to_owned(), domain.to_owned(), resource.map(str::to_owned)))
}

async fn sessions(endpoint: &Endpoint, api: &AdminClient, call: SessionsCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::{KickSessionResponse, KickUserResponse, ListSessionsResponse, ListUserSessionsResponse};
    match call {
        SessionsCall::List { domain } => match endpoint.ask(api.list_sessions(domain)).await? {
            ListSessionsResponse::SessionList(jids) => Ok(Reply::with_body(&jids, jids.clone())),
            other => Err(refusal(&other)),
        },
        SessionsCall::Of { user } => {
            let Some((name, domain, None)) = split_jid(&user) else {
                return Err(AdminError::InvalidJid {
                    jid: user,
                    want: "a bare JID, user@domain",
                });
            };
            match endpoint.ask(api.list_user_sessions(domain, name)).await? {
                ListUserSessionsResponse::Sessions(sessions) => {
                    let lines = sessions
                        .iter()
                        .map(|s| format!("{} {} {}", s.jid, s.connection, s.node))
                        .collect();
                    Ok(Reply::with_body(&sessions, lines))
                }
                other => Err(refusal(&other)),
            }
        }
        SessionsCall::Kick { jid } => match split_jid(&jid) {
            None => Err(AdminError::InvalidJid {
                jid,
                want: "user@domain, or user@domain/resource for one session",
            }),
            Some((name, domain, Some(resource))) => {
                match endpoint.ask(api.kick_session(domain, name, resource)).await? {
                    KickSessionResponse::SessionEnded => Ok(Reply::done("kicked 1 session")),
                    other => Err(refusal(&other)),
                }
            }
            Some((name, domain, None)) => match endpoint.ask(api.kick_user(domain, name)).await? {
                KickUserResponse::Kicked(kicked) => {
                    let n = kicked.kicked;
                    let line = format!("kicked {n} session{}", if n == 1 { "" } else { "s" });
                    Ok(Reply::with_body(&kicked, vec![line]))
                }
                other => Err(refusal(&other)),
            },
        },
    }
}

/// One archived message as a line: `<archive id> <UTC time> <sender>: <body>`.
fn archived_line(m: &models::ArchivedMessage) -> String {
    let time = chrono::DateTime::from_timestamp(m.timestamp, 0).map_or_else(
        || m.timestamp.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    format!("{} {time} {}: {}", m.id, m.sender, m.body)
}

async fn messages(endpoint: &Endpoint, api: &AdminClient, call: MessagesCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::{GetArchiveResponse, GetArchiveWithResponse, SendMessageResponse};
    match call {
        MessagesCall::Send { caller, to, body } => {
            let message = models::MessageToSend::new(caller, to, body);
            match endpoint.ask(api.send_message(message)).await? {
                SendMessageResponse::MessageSent => Ok(Reply::done("sent")),
                other => Err(refusal(&other)),
            }
        }
        MessagesCall::Archive {
            owner,
            with,
            limit,
            before,
            after_id,
            before_id,
        } => {
            let found = match with {
                None => match endpoint
                    .ask(api.get_archive(owner, limit, before, after_id, before_id))
                    .await?
                {
                    GetArchiveResponse::ArchivedMessages(m) => m,
                    other => return Err(refusal(&other)),
                },
                Some(with) => match endpoint
                    .ask(api.get_archive_with(owner, with, limit, before, after_id, before_id))
                    .await?
                {
                    GetArchiveWithResponse::ArchivedMessages(m) => m,
                    other => return Err(refusal(&other)),
                },
            };
            Ok(Reply::with_body(&found, found.iter().map(archived_line).collect()))
        }
    }
}

async fn stanzas(endpoint: &Endpoint, api: &AdminClient, call: StanzasCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::SendStanzaResponse;
    let StanzasCall::Send { xml } = call;
    let xml = if xml == "-" {
        let mut read = String::new();
        std::io::stdin()
            .read_to_string(&mut read)
            .map_err(|e| AdminError::Stdin(e.to_string()))?;
        read
    } else {
        xml
    };
    match endpoint.ask(api.send_stanza(models::StanzaToSend::new(xml))).await? {
        SendStanzaResponse::StanzaSent => Ok(Reply::done("sent")),
        other => Err(refusal(&other)),
    }
}

async fn contacts(endpoint: &Endpoint, api: &AdminClient, call: ContactsCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::{
        AddContactResponse, ChangeSubscriptionResponse, DeleteContactResponse, ListContactsResponse,
        ManageContactsResponse,
    };
    use models::{ContactAsk, ContactsLink, ContactsLinkAction, SubscriptionChange, SubscriptionChangeAction};
    let link = |action| ContactsLink::new(action);
    match call {
        ContactsCall::List { user } => match endpoint.ask(api.list_contacts(user)).await? {
            ListContactsResponse::Contacts(contacts) => {
                let lines = contacts
                    .iter()
                    .map(|c| match c.ask {
                        ContactAsk::None => format!("{} {}", c.jid, c.subscription),
                        ask => format!("{} {} (asking: {ask})", c.jid, c.subscription),
                    })
                    .collect();
                Ok(Reply::with_body(&contacts, lines))
            }
            other => Err(refusal(&other)),
        },
        ContactsCall::Add { user, contact } => {
            match endpoint
                .ask(api.add_contact(user, models::ContactToAdd::new(contact)))
                .await?
            {
                AddContactResponse::ContactAdded => Ok(Reply::done("added")),
                other => Err(refusal(&other)),
            }
        }
        ContactsCall::Subscribe { user, contact, action } => {
            let action = match action {
                Subscription::Invite => SubscriptionChangeAction::Invite,
                Subscription::Accept => SubscriptionChangeAction::Accept,
            };
            match endpoint
                .ask(api.change_subscription(user, contact, SubscriptionChange::new(action)))
                .await?
            {
                ChangeSubscriptionResponse::SubscriptionPresenceSent => Ok(Reply::done("sent")),
                other => Err(refusal(&other)),
            }
        }
        ContactsCall::Remove { user, contact } => match endpoint.ask(api.delete_contact(user, contact)).await? {
            DeleteContactResponse::ContactRemoved => Ok(Reply::done("removed")),
            other => Err(refusal(&other)),
        },
        ContactsCall::Connect { user, contact } => {
            match endpoint
                .ask(api.manage_contacts(user, contact, link(ContactsLinkAction::Connect)))
                .await?
            {
                ManageContactsResponse::Done => Ok(Reply::done("connected")),
                other => Err(refusal(&other)),
            }
        }
        ContactsCall::Disconnect { user, contact } => {
            match endpoint
                .ask(api.manage_contacts(user, contact, link(ContactsLinkAction::Disconnect)))
                .await?
            {
                ManageContactsResponse::Done => Ok(Reply::done("disconnected")),
                other => Err(refusal(&other)),
            }
        }
    }
}

async fn muc_light(endpoint: &Endpoint, api: &AdminClient, call: MucLightCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::{
        CreateMucLightRoomResponse, CreateMucLightRoomWithIdResponse, DeleteMucLightRoomResponse,
        InviteToMucLightRoomResponse, ListUserMucLightRoomsResponse, SendMucLightMessageResponse,
    };
    match call {
        MucLightCall::Create {
            service,
            owner,
            name,
            subject,
            id: None,
        } => {
            let room = models::MucLightRoomToCreate::new(owner, name, subject);
            match endpoint.ask(api.create_muc_light_room(service, room)).await? {
                CreateMucLightRoomResponse::RoomCreated(jid) => Ok(Reply::with_body(&jid, vec![jid.clone()])),
                other => Err(refusal(&other)),
            }
        }
        MucLightCall::Create {
            service,
            owner,
            name,
            subject,
            id: Some(id),
        } => {
            let room = models::MucLightRoomWithIdToCreate::new(id, owner, name, subject);
            match endpoint.ask(api.create_muc_light_room_with_id(service, room)).await? {
                CreateMucLightRoomWithIdResponse::RoomCreated(jid) => Ok(Reply::with_body(&jid, vec![jid.clone()])),
                other => Err(refusal(&other)),
            }
        }
        MucLightCall::Invite {
            service,
            id,
            sender,
            recipient,
        } => {
            let invitation = models::MucLightInvitation::new(sender, recipient);
            match endpoint
                .ask(api.invite_to_muc_light_room(service, id, invitation))
                .await?
            {
                InviteToMucLightRoomResponse::MemberAdded => Ok(Reply::done("added")),
                other => Err(refusal(&other)),
            }
        }
        MucLightCall::Send {
            service,
            id,
            from,
            body,
        } => {
            let message = models::RoomMessageToSend::new(from, body);
            match endpoint.ask(api.send_muc_light_message(service, id, message)).await? {
                SendMucLightMessageResponse::MessageSent => Ok(Reply::done("sent")),
                other => Err(refusal(&other)),
            }
        }
        MucLightCall::Delete { service, id } => match endpoint.ask(api.delete_muc_light_room(service, id)).await? {
            DeleteMucLightRoomResponse::RoomDestroyed => Ok(Reply::done("deleted")),
            other => Err(refusal(&other)),
        },
        MucLightCall::Rooms { service, user } => {
            match endpoint.ask(api.list_user_muc_light_rooms(service, user)).await? {
                ListUserMucLightRoomsResponse::Rooms(rooms) => {
                    let lines = rooms.iter().map(|r| format!("{} {}", r.jid, r.name)).collect();
                    Ok(Reply::with_body(&rooms, lines))
                }
                other => Err(refusal(&other)),
            }
        }
    }
}

async fn domains(endpoint: &Endpoint, api: &AdminClient, call: DomainsCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::{AddDomainResponse, GetDomainResponse, ListDomainsResponse, RemoveDomainResponse};
    let line = |d: &models::Domain| format!("{} {} {}", d.domain, d.host_type, d.status);
    match call {
        DomainsCall::List => match endpoint.ask(api.list_domains()).await? {
            ListDomainsResponse::Domains(all) => {
                let lines = all.iter().map(line).collect();
                Ok(Reply::with_body(&all, lines))
            }
            other => Err(refusal(&other)),
        },
        DomainsCall::Get { domain } => match endpoint.ask(api.get_domain(domain)).await? {
            GetDomainResponse::TheDomain(d) => Ok(Reply::with_body(&d, vec![line(&d)])),
            other => Err(refusal(&other)),
        },
        DomainsCall::Add { domain, host_type } => {
            match endpoint
                .ask(api.add_domain(domain, models::DomainToAdd::new(host_type)))
                .await?
            {
                AddDomainResponse::DomainAdded => Ok(Reply::done("added")),
                other => Err(refusal(&other)),
            }
        }
        DomainsCall::Disable { domain } => set_enabled(endpoint, api, domain, false).await,
        DomainsCall::Enable { domain } => set_enabled(endpoint, api, domain, true).await,
        DomainsCall::Remove {
            domain,
            host_type,
            background,
        } => {
            let removal = models::DomainToRemove {
                host_type,
                request: background.then_some(true),
            };
            match endpoint.ask(api.remove_domain(domain, removal)).await? {
                RemoveDomainResponse::DomainRemoved => Ok(Reply::done("removed")),
                RemoveDomainResponse::RemovalStarted => Ok(Reply::done("removal started")),
                other => Err(refusal(&other)),
            }
        }
    }
}

async fn webhooks(endpoint: &Endpoint, api: &AdminClient, call: WebhooksCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::{ListWebhooksResponse, ReplayWebhookResponse};
    match call {
        WebhooksCall::List => match endpoint.ask(api.list_webhooks()).await? {
            ListWebhooksResponse::Endpoints(all) => {
                let lines = all
                    .iter()
                    .map(|e| {
                        let error = e.last_error.as_deref().unwrap_or("-");
                        format!(
                            "{} backlog={} delivered={} dropped={} {} last_error={error}",
                            e.name, e.backlog, e.delivered, e.dropped, e.url
                        )
                    })
                    .collect();
                Ok(Reply::with_body(&all, lines))
            }
            other => Err(refusal(&other)),
        },
        WebhooksCall::Replay { name, from } => {
            match endpoint
                .ask(api.replay_webhook(name, models::WebhookReplay::new(from)))
                .await?
            {
                ReplayWebhookResponse::ReplayStarted => Ok(Reply::done("replay started")),
                other => Err(refusal(&other)),
            }
        }
    }
}

async fn set_enabled(
    endpoint: &Endpoint,
    api: &AdminClient,
    domain: String,
    enabled: bool,
) -> Result<Reply, AdminError> {
    use meerkat_admin_api::SetDomainEnabledResponse;
    match endpoint
        .ask(api.set_domain_enabled(domain, models::DomainEnabled::new(enabled)))
        .await?
    {
        SetDomainEnabledResponse::StatusSet => Ok(Reply::done(if enabled { "enabled" } else { "disabled" })),
        other => Err(refusal(&other)),
    }
}

/// A room as lines: its JID (and title), then each occupant indented.
fn room_lines(room: &models::MucRoom) -> Vec<String> {
    let head = if room.title.is_empty() {
        room.jid.clone()
    } else {
        format!("{} {}", room.jid, room.title)
    };
    std::iter::once(head)
        .chain(
            room.occupants
                .iter()
                .map(|o| format!("  {} {} {} {}", o.nick, o.jid, o.role, o.affiliation)),
        )
        .collect()
}

async fn muc(endpoint: &Endpoint, api: &AdminClient, call: MucCall) -> Result<Reply, AdminError> {
    use meerkat_admin_api::{
        CreateMucRoomResponse, InviteToMucRoomResponse, KickMucOccupantResponse, ListMucRoomsResponse,
        SendMucMessageResponse,
    };
    match call {
        MucCall::Create {
            domain,
            name,
            owner,
            nick,
        } => {
            let room = models::MucRoomToCreate::new(name, owner, nick);
            match endpoint.ask(api.create_muc_room(domain, room)).await? {
                CreateMucRoomResponse::RoomCreated(name) => Ok(Reply::with_body(&name, vec![name.clone()])),
                other => Err(refusal(&other)),
            }
        }
        MucCall::Invite {
            domain,
            room,
            sender,
            recipient,
            reason,
        } => {
            let invitation = models::MucInvitation::new(sender, recipient, reason);
            match endpoint.ask(api.invite_to_muc_room(domain, room, invitation)).await? {
                InviteToMucRoomResponse::InvitationSent => Ok(Reply::done("invited")),
                other => Err(refusal(&other)),
            }
        }
        MucCall::Send {
            domain,
            room,
            from,
            body,
        } => {
            let message = models::RoomMessageToSend::new(from, body);
            match endpoint.ask(api.send_muc_message(domain, room, message)).await? {
                SendMucMessageResponse::MessageSent => Ok(Reply::done("sent")),
                other => Err(refusal(&other)),
            }
        }
        MucCall::Kick { domain, room, nick } => match endpoint.ask(api.kick_muc_occupant(domain, room, nick)).await? {
            KickMucOccupantResponse::OccupantKicked => Ok(Reply::done("kicked")),
            other => Err(refusal(&other)),
        },
        MucCall::List { domain } => match endpoint.ask(api.list_muc_rooms(domain)).await? {
            ListMucRoomsResponse::Rooms(rooms) => {
                let lines = rooms.iter().flat_map(room_lines).collect();
                Ok(Reply::with_body(&rooms, lines))
            }
            other => Err(refusal(&other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_the_servers_sentence_whatever_the_status() {
        let e = refusal(&meerkat_admin_api::ListUsersResponse::NotFound("Unknown domain".into()));
        assert_eq!(e.to_string(), "Unknown domain");
        let e = refusal(&meerkat_admin_api::ListUsersResponse::Unauthorized {
            body: "Authentication required".into(),
            www_authenticate: "Basic realm=\"meerkat admin\"".into(),
        });
        assert_eq!(e.to_string(), "Authentication required");
        assert_eq!(e.exit_code(), ExitCode::FAILURE);
    }

    #[test]
    fn session_jids_are_split_for_the_paths() {
        assert_eq!(
            split_jid("alice@localhost/phone/1"),
            Some(("alice".into(), "localhost".into(), Some("phone/1".into())))
        );
        assert_eq!(
            split_jid("alice@localhost"),
            Some(("alice".into(), "localhost".into(), None))
        );
        for bad in ["localhost", "@localhost", "alice@", "alice@localhost/"] {
            assert_eq!(split_jid(bad), None, "{bad}");
        }
    }

    #[test]
    fn archived_messages_print_one_a_line_in_utc() {
        let m = models::ArchivedMessage::new(
            "42".into(),
            "alice@localhost/phone".into(),
            1_732_521_600,
            "x".into(),
            "hi".into(),
        );
        assert_eq!(archived_line(&m), "42 2024-11-25T08:00:00Z alice@localhost/phone: hi");
    }
}

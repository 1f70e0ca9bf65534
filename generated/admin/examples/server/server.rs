//! Main library entry point for meerkat_admin_api implementation.

#![allow(unused_imports)]

use async_trait::async_trait;
use futures::{future, Stream, StreamExt, TryFutureExt, TryStreamExt};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper::service::{service_fn, Service};
use log::info;
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use swagger::{Has, XSpanIdString};
use swagger::auth::MakeAllowAllAuthenticator;
use swagger::EmptyContext;
use tokio::net::TcpListener;

#[cfg(not(any(target_os = "macos", target_os = "windows", target_os = "ios")))]
use openssl::ssl::{Ssl, SslAcceptor, SslAcceptorBuilder, SslFiletype, SslMethod};

use meerkat_admin_api::models;

/// Builds an SSL implementation for Simple HTTPS from some hard-coded file names
pub async fn create(addr: &str, https: bool) {
    let addr: SocketAddr = addr.parse().expect("Failed to parse bind address");
    let listener = TcpListener::bind(&addr).await.unwrap();

    let server = Server::new();

    let service = MakeService::new(server);
    let service = MakeAllowAllAuthenticator::new(service, "cosmo");

    #[allow(unused_mut)]
    let mut service =
        meerkat_admin_api::server::context::MakeAddContext::<_, EmptyContext>::new(
            service
        );

    if https {
        #[cfg(any(target_os = "macos", target_os = "windows", target_os = "ios"))]
        {
            unimplemented!("SSL is not implemented for the examples on MacOS, Windows or iOS");
        }

        #[cfg(not(any(target_os = "macos", target_os = "windows", target_os = "ios")))]
        {
            let mut ssl = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("Failed to create SSL Acceptor");

            // Server authentication
            ssl.set_private_key_file("examples/server-key.pem", SslFiletype::PEM).expect("Failed to set private key");
            ssl.set_certificate_chain_file("examples/server-chain.pem").expect("Failed to set certificate chain");
            ssl.check_private_key().expect("Failed to check private key");

            let tls_acceptor = ssl.build();

            info!("Starting a server (with https)");
            loop {
                if let Ok((tcp, addr)) = listener.accept().await {
                    let ssl = Ssl::new(tls_acceptor.context()).unwrap();
                    let service = service.call(addr);

                    tokio::spawn(async move {
                        let tls = tokio_openssl::SslStream::new(ssl, tcp).map_err(|_| ())?;
                        let service = service.await.map_err(|_| ())?;

                        http1::Builder::new()
                            .serve_connection(TokioIo::new(tls), service)
                            .await
                            .map_err(|_| ())
                    });
                }
            }
        }
    } else {
        info!("Starting a server (over http, so no TLS)");
        println!("Listening on http://{}", addr);

        loop {
            // When an incoming TCP connection is received grab a TCP stream for
            // client<->server communication.
            //
            // Note, this is a .await point, this loop will loop forever but is not a busy loop. The
            // .await point allows the Tokio runtime to pull the task off of the thread until the task
            // has work to do. In this case, a connection arrives on the port we are listening on and
            // the task is woken up, at which point the task is then put back on a thread, and is
            // driven forward by the runtime, eventually yielding a TCP stream.
            let (tcp_stream, addr) = listener.accept().await.expect("Failed to accept connection");

            let service = service.call(addr).await.unwrap();
            let io = TokioIo::new(tcp_stream);
            // Spin up a new task in Tokio so we can continue to listen for new TCP connection on the
            // current task without waiting for the processing of the HTTP1 connection we just received
            // to finish
            tokio::task::spawn(async move {
                // Handle the connection from the client using HTTP1 and pass any
                // HTTP requests received on that connection to the `hello` function
                let result = http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
                if let Err(err) = result
                {
                    println!("Error serving connection: {err:?}");
                }
            });
        }
    }
}

#[derive(Copy)]
pub struct Server<C> {
    marker: PhantomData<C>,
}

impl<C> Server<C> {
    pub fn new() -> Self {
        Server{marker: PhantomData}
    }
}

impl<C> Clone for Server<C> {
    fn clone(&self) -> Self {
        Self {
            marker: PhantomData,
        }
    }
}


use jsonwebtoken::{decode, encode, errors::Error as JwtError, Algorithm, DecodingKey, EncodingKey, Header, TokenData, Validation};
use serde::{Deserialize, Serialize};
use swagger::auth::Authorization;
use crate::server_auth;


use meerkat_admin_api::{
    Api,
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
use meerkat_admin_api::server::MakeService;
use std::error::Error;
use swagger::ApiError;

#[async_trait]
impl<C> Api<C> for Server<C> where C: Has<XSpanIdString> + Send + Sync
{
    /// Add a contact to a user's roster
    async fn add_contact(
        &self,
        user: String,
        contact_to_add: models::ContactToAdd,
        context: &C) -> Result<AddContactResponse, ApiError>
    {
        info!("add_contact({:?}, {:?}) - X-Span-ID: {:?}", user, contact_to_add, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List a user's contacts
    async fn list_contacts(
        &self,
        user: String,
        context: &C) -> Result<ListContactsResponse, ApiError>
    {
        info!("list_contacts({:?}) - X-Span-ID: {:?}", user, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Ask for or grant a presence subscription
    async fn change_subscription(
        &self,
        user: String,
        contact: String,
        subscription_change: models::SubscriptionChange,
        context: &C) -> Result<ChangeSubscriptionResponse, ApiError>
    {
        info!("change_subscription({:?}, {:?}, {:?}) - X-Span-ID: {:?}", user, contact, subscription_change, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Remove a contact from a user's roster
    async fn delete_contact(
        &self,
        user: String,
        contact: String,
        context: &C) -> Result<DeleteContactResponse, ApiError>
    {
        info!("delete_contact({:?}, {:?}) - X-Span-ID: {:?}", user, contact, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Connect or disconnect two users
    async fn manage_contacts(
        &self,
        user: String,
        contact: String,
        contacts_link: models::ContactsLink,
        context: &C) -> Result<ManageContactsResponse, ApiError>
    {
        info!("manage_contacts({:?}, {:?}, {:?}) - X-Span-ID: {:?}", user, contact, contacts_link, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List the domains added at run time
    async fn list_domains(
        &self,
        context: &C) -> Result<ListDomainsResponse, ApiError>
    {
        info!("list_domains() - X-Span-ID: {:?}", context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Add a domain
    async fn add_domain(
        &self,
        domain: String,
        domain_to_add: models::DomainToAdd,
        context: &C) -> Result<AddDomainResponse, ApiError>
    {
        info!("add_domain({:?}, {:?}) - X-Span-ID: {:?}", domain, domain_to_add, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Read a domain added at run time
    async fn get_domain(
        &self,
        domain: String,
        context: &C) -> Result<GetDomainResponse, ApiError>
    {
        info!("get_domain({:?}) - X-Span-ID: {:?}", domain, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Remove a domain with its data
    async fn remove_domain(
        &self,
        domain: String,
        domain_to_remove: models::DomainToRemove,
        context: &C) -> Result<RemoveDomainResponse, ApiError>
    {
        info!("remove_domain({:?}, {:?}) - X-Span-ID: {:?}", domain, domain_to_remove, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Enable or disable a domain
    async fn set_domain_enabled(
        &self,
        domain: String,
        domain_enabled: models::DomainEnabled,
        context: &C) -> Result<SetDomainEnabledResponse, ApiError>
    {
        info!("set_domain_enabled({:?}, {:?}) - X-Span-ID: {:?}", domain, domain_enabled, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Send a chat message as a user
    async fn send_message(
        &self,
        message_to_send: models::MessageToSend,
        context: &C) -> Result<SendMessageResponse, ApiError>
    {
        info!("send_message({:?}) - X-Span-ID: {:?}", message_to_send, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Read a user's archive
    async fn get_archive(
        &self,
        owner: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetArchiveResponse, ApiError>
    {
        info!("get_archive({:?}, {:?}, {:?}, {:?}, {:?}) - X-Span-ID: {:?}", owner, limit, before, after_id, before_id, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
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
        context: &C) -> Result<GetArchiveWithResponse, ApiError>
    {
        info!("get_archive_with({:?}, {:?}, {:?}, {:?}, {:?}, {:?}) - X-Span-ID: {:?}", owner, with, limit, before, after_id, before_id, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Create a MUC Light room
    async fn create_muc_light_room(
        &self,
        domain: String,
        muc_light_room_to_create: models::MucLightRoomToCreate,
        context: &C) -> Result<CreateMucLightRoomResponse, ApiError>
    {
        info!("create_muc_light_room({:?}, {:?}) - X-Span-ID: {:?}", domain, muc_light_room_to_create, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Create a MUC Light room with a given id
    async fn create_muc_light_room_with_id(
        &self,
        domain: String,
        muc_light_room_with_id_to_create: models::MucLightRoomWithIdToCreate,
        context: &C) -> Result<CreateMucLightRoomWithIdResponse, ApiError>
    {
        info!("create_muc_light_room_with_id({:?}, {:?}) - X-Span-ID: {:?}", domain, muc_light_room_with_id_to_create, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Create a Multi-User Chat room
    async fn create_muc_room(
        &self,
        domain: String,
        muc_room_to_create: models::MucRoomToCreate,
        context: &C) -> Result<CreateMucRoomResponse, ApiError>
    {
        info!("create_muc_room({:?}, {:?}) - X-Span-ID: {:?}", domain, muc_room_to_create, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List the domain's Multi-User Chat rooms with their occupants
    async fn list_muc_rooms(
        &self,
        domain: String,
        context: &C) -> Result<ListMucRoomsResponse, ApiError>
    {
        info!("list_muc_rooms({:?}) - X-Span-ID: {:?}", domain, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Destroy a MUC Light room
    async fn delete_muc_light_room(
        &self,
        domain: String,
        id: String,
        context: &C) -> Result<DeleteMucLightRoomResponse, ApiError>
    {
        info!("delete_muc_light_room({:?}, {:?}) - X-Span-ID: {:?}", domain, id, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Add a member to a MUC Light room, on behalf of a user
    async fn invite_to_muc_light_room(
        &self,
        domain: String,
        id: String,
        muc_light_invitation: models::MucLightInvitation,
        context: &C) -> Result<InviteToMucLightRoomResponse, ApiError>
    {
        info!("invite_to_muc_light_room({:?}, {:?}, {:?}) - X-Span-ID: {:?}", domain, id, muc_light_invitation, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Invite a user to a Multi-User Chat room, on behalf of another
    async fn invite_to_muc_room(
        &self,
        domain: String,
        room: String,
        muc_invitation: models::MucInvitation,
        context: &C) -> Result<InviteToMucRoomResponse, ApiError>
    {
        info!("invite_to_muc_room({:?}, {:?}, {:?}) - X-Span-ID: {:?}", domain, room, muc_invitation, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List the MUC Light rooms a user is in
    async fn list_user_muc_light_rooms(
        &self,
        domain: String,
        user: String,
        context: &C) -> Result<ListUserMucLightRoomsResponse, ApiError>
    {
        info!("list_user_muc_light_rooms({:?}, {:?}) - X-Span-ID: {:?}", domain, user, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Send a message to a MUC Light room, on behalf of a member
    async fn send_muc_light_message(
        &self,
        domain: String,
        id: String,
        room_message_to_send: models::RoomMessageToSend,
        context: &C) -> Result<SendMucLightMessageResponse, ApiError>
    {
        info!("send_muc_light_message({:?}, {:?}, {:?}) - X-Span-ID: {:?}", domain, id, room_message_to_send, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Send a message to a Multi-User Chat room, on behalf of an occupant
    async fn send_muc_message(
        &self,
        domain: String,
        room: String,
        room_message_to_send: models::RoomMessageToSend,
        context: &C) -> Result<SendMucMessageResponse, ApiError>
    {
        info!("send_muc_message({:?}, {:?}, {:?}) - X-Span-ID: {:?}", domain, room, room_message_to_send, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Kick an occupant out of a Multi-User Chat room
    async fn kick_muc_occupant(
        &self,
        domain: String,
        room: String,
        nick: String,
        context: &C) -> Result<KickMucOccupantResponse, ApiError>
    {
        info!("kick_muc_occupant({:?}, {:?}, {:?}) - X-Span-ID: {:?}", domain, room, nick, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List the sessions of a domain
    async fn list_sessions(
        &self,
        domain: String,
        context: &C) -> Result<ListSessionsResponse, ApiError>
    {
        info!("list_sessions({:?}) - X-Span-ID: {:?}", domain, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// End all of a user's sessions
    async fn kick_user(
        &self,
        domain: String,
        username: String,
        context: &C) -> Result<KickUserResponse, ApiError>
    {
        info!("kick_user({:?}, {:?}) - X-Span-ID: {:?}", domain, username, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List a user's sessions with their details
    async fn list_user_sessions(
        &self,
        domain: String,
        username: String,
        context: &C) -> Result<ListUserSessionsResponse, ApiError>
    {
        info!("list_user_sessions({:?}, {:?}) - X-Span-ID: {:?}", domain, username, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// End one session
    async fn kick_session(
        &self,
        domain: String,
        username: String,
        resource: String,
        context: &C) -> Result<KickSessionResponse, ApiError>
    {
        info!("kick_session({:?}, {:?}, {:?}) - X-Span-ID: {:?}", domain, username, resource, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Send any stanza as a user
    async fn send_stanza(
        &self,
        stanza_to_send: models::StanzaToSend,
        context: &C) -> Result<SendStanzaResponse, ApiError>
    {
        info!("send_stanza({:?}) - X-Span-ID: {:?}", stanza_to_send, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Count the users of a domain
    async fn count_users(
        &self,
        domain: String,
        context: &C) -> Result<CountUsersResponse, ApiError>
    {
        info!("count_users({:?}) - X-Span-ID: {:?}", domain, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List the users of a domain
    async fn list_users(
        &self,
        domain: String,
        limit: Option<u16>,
        after: Option<String>,
        context: &C) -> Result<ListUsersResponse, ApiError>
    {
        info!("list_users({:?}, {:?}, {:?}) - X-Span-ID: {:?}", domain, limit, after, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Register a user
    async fn register_user(
        &self,
        domain: String,
        new_user: models::NewUser,
        context: &C) -> Result<RegisterUserResponse, ApiError>
    {
        info!("register_user({:?}, {:?}) - X-Span-ID: {:?}", domain, new_user, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Change a user's password
    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: models::NewPassword,
        context: &C) -> Result<ChangePasswordResponse, ApiError>
    {
        info!("change_password({:?}, {:?}, {:?}) - X-Span-ID: {:?}", domain, username, new_password, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Remove a user
    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        context: &C) -> Result<UnregisterUserResponse, ApiError>
    {
        info!("unregister_user({:?}, {:?}) - X-Span-ID: {:?}", domain, username, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List the webhook endpoints with their delivery state
    async fn list_webhooks(
        &self,
        context: &C) -> Result<ListWebhooksResponse, ApiError>
    {
        info!("list_webhooks() - X-Span-ID: {:?}", context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Deliver an endpoint's events again from an archive id
    async fn replay_webhook(
        &self,
        name: String,
        webhook_replay: models::WebhookReplay,
        context: &C) -> Result<ReplayWebhookResponse, ApiError>
    {
        info!("replay_webhook({:?}, {:?}) - X-Span-ID: {:?}", name, webhook_replay, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

}

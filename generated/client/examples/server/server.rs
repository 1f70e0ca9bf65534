//! Main library entry point for meerkat_client_api implementation.

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

use meerkat_client_api::models;

/// Builds an SSL implementation for Simple HTTPS from some hard-coded file names
pub async fn create(addr: &str, https: bool) {
    let addr: SocketAddr = addr.parse().expect("Failed to parse bind address");
    let listener = TcpListener::bind(&addr).await.unwrap();

    let server = Server::new();

    let service = MakeService::new(server);
    let service = MakeAllowAllAuthenticator::new(service, "cosmo");

    #[allow(unused_mut)]
    let mut service =
        meerkat_client_api::server::context::MakeAddContext::<_, EmptyContext>::new(
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


use meerkat_client_api::{
    Api,
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
use meerkat_client_api::server::MakeService;
use std::error::Error;
use swagger::ApiError;

#[async_trait]
impl<C> Api<C> for Server<C> where C: Has<XSpanIdString> + Send + Sync
{
    /// Add a contact
    async fn add_contact(
        &self,
        contact_request: models::ContactRequest,
        context: &C) -> Result<AddContactResponse, ApiError>
    {
        info!("add_contact({:?}) - X-Span-ID: {:?}", contact_request, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Remove several contacts
    async fn delete_contacts(
        &self,
        contacts_to_delete: models::ContactsToDelete,
        context: &C) -> Result<DeleteContactsResponse, ApiError>
    {
        info!("delete_contacts({:?}) - X-Span-ID: {:?}", contacts_to_delete, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List contacts
    async fn list_contacts(
        &self,
        context: &C) -> Result<ListContactsResponse, ApiError>
    {
        info!("list_contacts() - X-Span-ID: {:?}", context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Remove a contact
    async fn delete_contact(
        &self,
        jid: String,
        context: &C) -> Result<DeleteContactResponse, ApiError>
    {
        info!("delete_contact({:?}) - X-Span-ID: {:?}", jid, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Invite a contact or accept their invitation
    async fn manage_contact(
        &self,
        jid: String,
        contact_action: models::ContactAction,
        context: &C) -> Result<ManageContactResponse, ApiError>
    {
        info!("manage_contact({:?}, {:?}) - X-Span-ID: {:?}", jid, contact_action, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List archived chat messages
    async fn get_messages(
        &self,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetMessagesResponse, ApiError>
    {
        info!("get_messages({:?}, {:?}, {:?}, {:?}) - X-Span-ID: {:?}", limit, before, after_id, before_id, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Send a one-to-one chat message
    async fn send_message(
        &self,
        message_request: models::MessageRequest,
        idempotency_key: Option<String>,
        context: &C) -> Result<SendMessageResponse, ApiError>
    {
        info!("send_message({:?}, {:?}) - X-Span-ID: {:?}", message_request, idempotency_key, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List archived chat messages with one contact
    async fn get_messages_with(
        &self,
        jid: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetMessagesWithResponse, ApiError>
    {
        info!("get_messages_with({:?}, {:?}, {:?}, {:?}, {:?}) - X-Span-ID: {:?}", jid, limit, before, after_id, before_id, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Create a room
    async fn create_room(
        &self,
        room_request: models::RoomRequest,
        idempotency_key: Option<String>,
        context: &C) -> Result<CreateRoomResponse, ApiError>
    {
        info!("create_room({:?}, {:?}) - X-Span-ID: {:?}", room_request, idempotency_key, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List the user's rooms
    async fn list_rooms(
        &self,
        context: &C) -> Result<ListRoomsResponse, ApiError>
    {
        info!("list_rooms() - X-Span-ID: {:?}", context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Create a room with a given id
    async fn create_room_with_id(
        &self,
        id: String,
        room_request: models::RoomRequest,
        context: &C) -> Result<CreateRoomWithIdResponse, ApiError>
    {
        info!("create_room_with_id({:?}, {:?}) - X-Span-ID: {:?}", id, room_request, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Get a room's details
    async fn get_room(
        &self,
        id: String,
        context: &C) -> Result<GetRoomResponse, ApiError>
    {
        info!("get_room({:?}) - X-Span-ID: {:?}", id, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List a room's archive
    async fn get_room_messages(
        &self,
        id: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &C) -> Result<GetRoomMessagesResponse, ApiError>
    {
        info!("get_room_messages({:?}, {:?}, {:?}, {:?}, {:?}) - X-Span-ID: {:?}", id, limit, before, after_id, before_id, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Add a user to a room
    async fn invite_to_room(
        &self,
        id: String,
        room_invite: models::RoomInvite,
        context: &C) -> Result<InviteToRoomResponse, ApiError>
    {
        info!("invite_to_room({:?}, {:?}) - X-Span-ID: {:?}", id, room_invite, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Send a message to a room
    async fn send_room_message(
        &self,
        id: String,
        room_message: models::RoomMessage,
        idempotency_key: Option<String>,
        context: &C) -> Result<SendRoomMessageResponse, ApiError>
    {
        info!("send_room_message({:?}, {:?}, {:?}) - X-Span-ID: {:?}", id, room_message, idempotency_key, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Change a room's name and subject
    async fn set_room_config(
        &self,
        id: String,
        room_config: models::RoomConfig,
        context: &C) -> Result<SetRoomConfigResponse, ApiError>
    {
        info!("set_room_config({:?}, {:?}) - X-Span-ID: {:?}", id, room_config, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Remove a user from a room
    async fn remove_from_room(
        &self,
        id: String,
        user: String,
        context: &C) -> Result<RemoveFromRoomResponse, ApiError>
    {
        info!("remove_from_room({:?}, {:?}) - X-Span-ID: {:?}", id, user, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Open a server-sent events stream
    async fn open_event_stream(
        &self,
        last_event_id: Option<String>,
        access_token: Option<String>,
        context: &C) -> Result<OpenEventStreamResponse, ApiError>
    {
        info!("open_event_stream({:?}, {:?}) - X-Span-ID: {:?}", last_event_id, access_token, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Create a bearer token
    async fn create_token(
        &self,
        context: &C) -> Result<CreateTokenResponse, ApiError>
    {
        info!("create_token() - X-Span-ID: {:?}", context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// List the user's tokens
    async fn list_tokens(
        &self,
        context: &C) -> Result<ListTokensResponse, ApiError>
    {
        info!("list_tokens() - X-Span-ID: {:?}", context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

    /// Revoke a token
    async fn revoke_token(
        &self,
        token_id: String,
        context: &C) -> Result<RevokeTokenResponse, ApiError>
    {
        info!("revoke_token({:?}) - X-Span-ID: {:?}", token_id, context.get().0.clone());
        Err(ApiError("Api-Error: Operation is NOT implemented".into()))
    }

}

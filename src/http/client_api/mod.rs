//! The client REST API door (`mongoose_client_api`): Basic auth, CORS, the body limit and
//! the request contract in front of the generated router, and the `Api` implementation
//! behind it.
//!
//! Request path: `OPTIONS` → preflight, no auth. Otherwise credentials are checked
//! (`401`): Basic credentials or a bearer token in `Authorization`, or a bearer token in
//! the event stream's `access_token` parameter. Then the body is read within the limit
//! (`413`), the operation looked up and checked against `api/client.yaml` (`400` with the
//! documented text, or `501` for an operation listed in `not_implemented.txt`), and only
//! then handed to the generated router.
//!
//! The operations themselves live one file per resource family: [`messages`],
//! [`contacts`], [`rooms`], [`tokens`], and [`events`] (the SSE stream, outside the
//! generated router). A request with an `Idempotency-Key` to an operation that takes one
//! goes through [`idempotent`] around the generated router (so the operations below ignore
//! the key they are handed: by then it has been claimed, and their answer is recorded
//! there).
//! [`cursors`] reads the paging parameters the listings share.

mod compat;
mod contacts;
mod cursors;
mod events;
mod idempotent;
#[cfg(test)]
mod jid_patterns;
mod messages;
mod rooms;
mod tokens;

use super::contract::{Contract, Operation};
use super::cors::Cors;
use super::{basic_auth, bearer};
use super::{json_error, Body, RequestContext, CLIENT_SPEC as SPEC};
use crate::config::ClientApiHandler;
use crate::core::account::throttle::Door;
use crate::core::account::tokens::Grant;
use crate::core::Core;
use async_trait::async_trait;
use hyper::{Method, Request, Response, StatusCode};
use meerkat_client_api as api;
use std::sync::{Arc, OnceLock};
use swagger::ApiError;

/// Operations the server cannot back yet; each answers `501` until its feature lands.
/// The contract test skips exactly these.
const NOT_IMPLEMENTED: &str = include_str!("../not_implemented.txt");

pub(crate) fn not_implemented_ids() -> impl Iterator<Item = &'static str> {
    NOT_IMPLEMENTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Parsed once: the spec is part of the binary and checked by tests, so a parse failure
/// is a build defect, not a runtime condition.
fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::from_yaml(SPEC).expect("api/client.yaml is a valid spec (tested)"))
}

/// Who a request acts for, and with which credential.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub jid: jid::BareJid,
    /// The bearer token the request was authenticated with; `None` for Basic credentials.
    pub token: Option<Grant>,
}

/// Per-request context: who the authenticated user is.
pub(crate) type ApiContext = RequestContext<Caller>;

pub(crate) struct ClientApi {
    core: Arc<Core>,
    /// The Basic auth realm: the server's default host.
    realm: String,
    path: String,
    /// `<path>/sse`, the hand-written event stream.
    sse_path: String,
    /// `<path>-docs` when docs are served.
    docs: Option<String>,
    cors: Cors,
    max_body: usize,
    router: api::server::Service<ClientApiImpl, ApiContext>,
}

impl ClientApi {
    pub(crate) fn new(core: Arc<Core>, handler: &ClientApiHandler, max_body: usize) -> Self {
        ClientApi {
            router: api::server::Service::new(ClientApiImpl { core: core.clone() }, false),
            realm: core.default_host().to_owned(),
            core,
            path: handler.path.trim_end_matches('/').to_owned(),
            sse_path: format!("{}/sse", handler.path.trim_end_matches('/')),
            docs: handler
                .docs
                .then(|| format!("{}-docs", handler.path.trim_end_matches('/'))),
            cors: Cors::new(&handler.allowed_origins),
            max_body,
        }
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Whether `path` is this handler's documentation (`/api-docs…`, beside the API).
    pub(crate) fn docs_path(&self, path: &str) -> bool {
        self.docs.as_deref().is_some_and(|docs| super::under(path, docs))
    }

    pub(crate) async fn serve_docs(&self, req: &Request<crate::http::RequestBody>) -> Response<Body> {
        super::docs::serve(
            req,
            self.docs.as_deref().unwrap_or_default(),
            &self.path,
            super::docs::Spec::Client,
        )
        .await
    }

    /// Serves a request from `peer`.
    pub(crate) async fn serve(&self, req: Request<crate::http::RequestBody>, peer: std::net::IpAddr) -> Response<Body> {
        if req.method() == Method::OPTIONS {
            return self.cors.preflight(req.headers());
        }
        let request_headers = req.headers().clone();
        let mut response = self.serve_authenticated(req, peer).await;
        self.cors.decorate(&request_headers, &mut response);
        response
    }

    async fn serve_authenticated(
        &self,
        req: Request<crate::http::RequestBody>,
        peer: std::net::IpAddr,
    ) -> Response<Body> {
        let caller = match self.authenticate(&req, peer).await {
            Ok(caller) => caller,
            Err(response) => return response,
        };
        if self.is_event_stream(&req) {
            // The event stream is hand-written; its query string still follows the spec.
            let sse = format!("{}/sse", contract().base_path);
            let checked = contract().find(&Method::GET, &sse).map_err(|_| ()).and_then(|op| {
                op.check(&sse, req.uri().query(), &hyper::HeaderMap::new(), b"")
                    .map_err(|_| ())
            });
            if checked.is_err() {
                return json_error(StatusCode::BAD_REQUEST, "Invalid query string");
            }
            let resume = match events::resume_point(req.headers()) {
                Ok(resume) => resume,
                Err(e) => return json_error(StatusCode::BAD_REQUEST, &e.to_string()),
            };
            let http1 = req.version() < hyper::Version::HTTP_2;
            return events::open(&self.core, caller.jid, caller.token, http1, resume).await;
        }
        if let Some((status, text)) = compat::answer(
            &self.core,
            &caller.jid,
            req.method(),
            &req.uri().path()[self.path.len()..],
        ) {
            return json_error(status, text);
        }
        match idempotent::requested(self, &req) {
            None => {}
            Some(Ok(key)) => return idempotent::serve(self, key, req, caller).await,
            Some(Err(_)) => return json_error(StatusCode::BAD_REQUEST, idempotent::INVALID_KEY),
        }
        let context = RequestContext::new(req.headers(), caller.jid.to_string(), caller);
        super::dispatch(
            &self.router,
            contract(),
            &self.path,
            req,
            self.max_body,
            context,
            is_not_implemented,
        )
        .await
    }

    fn is_event_stream(&self, req: &Request<crate::http::RequestBody>) -> bool {
        req.method() == Method::GET && req.uri().path() == self.sse_path
    }

    /// Who `req` comes from: Basic credentials or a bearer token in `Authorization`, or,
    /// on the event stream only and when there is no `Authorization`, a bearer token in
    /// `access_token`. `Err` is the answer: `401`, `429` for an address that failed too
    /// often, `503` when the storage cannot tell.
    async fn authenticate(
        &self,
        req: &Request<crate::http::RequestBody>,
        peer: std::net::IpAddr,
    ) -> Result<Caller, Response<Body>> {
        let headers = req.headers();
        if let Some(creds) = basic_auth::credentials(headers) {
            let jid = self.check_password(creds, peer).await?;
            return Ok(Caller { jid, token: None });
        }
        let token = match bearer::token(headers) {
            Some(token) => token.to_owned(),
            None if headers.contains_key(hyper::header::AUTHORIZATION) => {
                return Err(basic_auth::unauthorized(&self.realm, "Invalid credentials"));
            }
            None => match bearer::access_token(req.uri().query()).filter(|_| self.is_event_stream(req)) {
                Some(token) => token,
                None => return Err(basic_auth::unauthorized(&self.realm, "Authentication required")),
            },
        };
        let grant = self.check_token(&token, peer).await?;
        Ok(Caller {
            jid: grant.user.clone(),
            token: Some(grant),
        })
    }

    /// Checks Basic credentials. Failed logins count for every door alike (the XMPP ones
    /// too). The JID is parsed once, for the throttle's key and the password check.
    async fn check_password(
        &self,
        creds: basic_auth::BasicCredentials,
        peer: std::net::IpAddr,
    ) -> Result<jid::BareJid, Response<Body>> {
        let accounts = self.core.accounts();
        let parsed = accounts.parse_local_jid(&creds.user).ok();
        let account = parsed
            .as_ref()
            .map_or_else(|| creds.user.to_lowercase(), |j| j.to_string());
        let throttle = self.core.throttle();
        if let Err(wait) = throttle.check(peer, Some(&account), Door::Rest) {
            return Err(basic_auth::too_many_failures(wait));
        }
        let checked = match parsed {
            Some(jid) => accounts.check_account_password(jid, &creds.password).await,
            None => accounts.refuse_unknown(&account, &creds.password).await,
        };
        match checked {
            Ok(Some(user)) => {
                throttle.succeeded(peer, &account);
                Ok(user)
            }
            Ok(None) => {
                throttle.failed(peer, Some(&account), Door::Rest);
                Err(basic_auth::unauthorized(&self.realm, "Invalid credentials"))
            }
            Err(e) => {
                tracing::error!(error = %e, "credential check failed");
                Err(super::unavailable())
            }
        }
    }

    /// Checks a bearer token. An unknown, expired or revoked token is a failed login of
    /// the address, as a wrong password is (it names no account): an address guessing
    /// tokens is throttled like one guessing passwords.
    async fn check_token(&self, token: &str, peer: std::net::IpAddr) -> Result<Grant, Response<Body>> {
        let throttle = self.core.throttle();
        if let Err(wait) = throttle.check(peer, None, Door::Rest) {
            return Err(basic_auth::too_many_failures(wait));
        }
        match self.core.tokens().authenticate(token).await {
            Ok(Some(grant)) => Ok(grant),
            Ok(None) => {
                throttle.failed(peer, None, Door::Rest);
                Err(basic_auth::unauthorized(&self.realm, "Invalid credentials"))
            }
            Err(e) => {
                tracing::error!(error = %e, "token check failed");
                Err(super::unavailable())
            }
        }
    }
}

fn is_not_implemented(op: &Operation) -> bool {
    not_implemented_ids().any(|id| id == op.id)
}

/// The `Api` implementation: each operation is a call into the file of its resource.
/// Operations still in `not_implemented.txt` never reach it.
#[derive(Clone)]
pub(crate) struct ClientApiImpl {
    core: Arc<Core>,
}

/// The text of the interim `501` answers.
fn not_implemented() -> String {
    "Not implemented".to_owned()
}

/// A failure of ours, not the client's: logged, and answered `503` by [`super::dispatch`].
fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "client API operation failed");
    ApiError(format!("internal error: {e}"))
}

#[async_trait]
impl api::Api<ApiContext> for ClientApiImpl {
    async fn add_contact(
        &self,
        new_contact: api::models::ContactRequest,
        context: &ApiContext,
    ) -> Result<api::AddContactResponse, ApiError> {
        contacts::add(&self.core, &context.user.jid, new_contact).await
    }

    async fn delete_contacts(
        &self,
        request: api::models::ContactsToDelete,
        context: &ApiContext,
    ) -> Result<api::DeleteContactsResponse, ApiError> {
        contacts::delete_many(&self.core, &context.user.jid, request).await
    }

    async fn list_contacts(&self, context: &ApiContext) -> Result<api::ListContactsResponse, ApiError> {
        contacts::list(&self.core, &context.user.jid).await
    }

    async fn delete_contact(&self, jid: String, context: &ApiContext) -> Result<api::DeleteContactResponse, ApiError> {
        contacts::delete(&self.core, &context.user.jid, &jid).await
    }

    async fn manage_contact(
        &self,
        jid: String,
        action: api::models::ContactAction,
        context: &ApiContext,
    ) -> Result<api::ManageContactResponse, ApiError> {
        contacts::manage(&self.core, &context.user.jid, &jid, action).await
    }

    async fn get_messages(
        &self,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &ApiContext,
    ) -> Result<api::GetMessagesResponse, ApiError> {
        let page = match cursors::page(limit, before, after_id, before_id) {
            Ok(page) => page,
            Err(text) => return Ok(api::GetMessagesResponse::BadRequest(text.into())),
        };
        messages::history(&self.core, &context.user.jid, page).await
    }

    async fn send_message(
        &self,
        message: api::models::MessageRequest,
        _idempotency_key: Option<String>,
        context: &ApiContext,
    ) -> Result<api::SendMessageResponse, ApiError> {
        messages::send(&self.core, &context.user.jid, message).await
    }

    async fn get_messages_with(
        &self,
        jid: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &ApiContext,
    ) -> Result<api::GetMessagesWithResponse, ApiError> {
        let page = match cursors::page(limit, before, after_id, before_id) {
            Ok(page) => page,
            Err(text) => return Ok(api::GetMessagesWithResponse::BadRequest(text.into())),
        };
        messages::history_with(&self.core, &context.user.jid, &jid, page).await
    }

    async fn create_room(
        &self,
        new_room: api::models::RoomRequest,
        _idempotency_key: Option<String>,
        context: &ApiContext,
    ) -> Result<api::CreateRoomResponse, ApiError> {
        rooms::create(&self.core, &context.user.jid, new_room).await
    }

    async fn list_rooms(&self, context: &ApiContext) -> Result<api::ListRoomsResponse, ApiError> {
        rooms::list(&self.core, &context.user.jid).await
    }

    async fn create_room_with_id(
        &self,
        id: String,
        new_room: api::models::RoomRequest,
        context: &ApiContext,
    ) -> Result<api::CreateRoomWithIdResponse, ApiError> {
        rooms::create_with_id(&self.core, &context.user.jid, &id, new_room).await
    }

    async fn get_room(&self, id: String, context: &ApiContext) -> Result<api::GetRoomResponse, ApiError> {
        rooms::get(&self.core, &context.user.jid, &id).await
    }

    async fn get_room_messages(
        &self,
        id: String,
        limit: Option<u16>,
        before: Option<i64>,
        after_id: Option<String>,
        before_id: Option<String>,
        context: &ApiContext,
    ) -> Result<api::GetRoomMessagesResponse, ApiError> {
        let page = match cursors::page(limit, before, after_id, before_id) {
            Ok(page) => page,
            Err(text) => return Ok(api::GetRoomMessagesResponse::BadRequest(text.into())),
        };
        rooms::history(&self.core, &context.user.jid, &id, page).await
    }

    async fn invite_to_room(
        &self,
        id: String,
        invite: api::models::RoomInvite,
        context: &ApiContext,
    ) -> Result<api::InviteToRoomResponse, ApiError> {
        rooms::invite(&self.core, &context.user.jid, &id, invite).await
    }

    async fn send_room_message(
        &self,
        id: String,
        message: api::models::RoomMessage,
        _idempotency_key: Option<String>,
        context: &ApiContext,
    ) -> Result<api::SendRoomMessageResponse, ApiError> {
        rooms::send(&self.core, &context.user.jid, &id, message).await
    }

    async fn set_room_config(
        &self,
        id: String,
        config: api::models::RoomConfig,
        context: &ApiContext,
    ) -> Result<api::SetRoomConfigResponse, ApiError> {
        rooms::set_config(&self.core, &context.user.jid, &id, config).await
    }

    async fn remove_from_room(
        &self,
        id: String,
        user: String,
        context: &ApiContext,
    ) -> Result<api::RemoveFromRoomResponse, ApiError> {
        rooms::remove(&self.core, &context.user.jid, &id, &user).await
    }

    /// Served by [`events`] before the generated router; listed in the spec only.
    async fn open_event_stream(
        &self,
        _: Option<String>,
        _: Option<String>,
        _: &ApiContext,
    ) -> Result<api::OpenEventStreamResponse, ApiError> {
        Err(ApiError("the event stream is served before the router".into()))
    }

    async fn create_token(&self, context: &ApiContext) -> Result<api::CreateTokenResponse, ApiError> {
        tokens::create(&self.core, &context.user).await
    }

    async fn list_tokens(&self, context: &ApiContext) -> Result<api::ListTokensResponse, ApiError> {
        tokens::list(&self.core, &context.user).await
    }

    async fn revoke_token(&self, token_id: String, context: &ApiContext) -> Result<api::RevokeTokenResponse, ApiError> {
        tokens::revoke(&self.core, &context.user, &token_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_parses_and_every_interim_operation_exists_in_it() {
        let ids: Vec<&str> = contract().operations().map(|o| o.id.as_str()).collect();
        assert!(ids.len() >= 21, "{ids:?}");
        for id in not_implemented_ids() {
            assert!(
                ids.contains(&id),
                "{id} is listed as not implemented but is not in the spec"
            );
        }
    }

    #[test]
    fn the_spec_carries_the_documented_error_texts() {
        let c = contract();
        let none = hyper::HeaderMap::new();
        let err = |method: Method, path: &str, q: Option<&str>, b: &str| {
            let op = c.find(&method, path).unwrap();
            op.check(path, q, &none, b.as_bytes()).unwrap_err().text
        };
        let send = |b| err(Method::POST, "/api/messages", None, b);
        assert_eq!(send(r#"{"to":"bob@localhost"}"#), "Missing message body");
        assert_eq!(send(r#"{"body":"hi"}"#), "Missing recipient JID");
        assert_eq!(send("[]"), "Invalid request body");
        let list = |q| err(Method::GET, "/api/messages/bob@localhost", Some(q), "");
        assert_eq!(list("limit=501"), "Invalid limit");
        assert_eq!(list("before=x"), "Invalid value of 'before'");
        assert_eq!(list("x=1"), "Invalid query string");
        let contact = |b| err(Method::POST, "/api/contacts", None, b);
        assert_eq!(contact("{}"), "Missing JID");
        assert_eq!(contact(r#"{"jid":7}"#), "Invalid JID: 7");
        let action = |b| err(Method::PUT, "/api/contacts/bob@localhost", None, b);
        assert_eq!(action(r#"{"action":"poke"}"#), "Invalid action");
        assert_eq!(action("{}"), "Missing action");
        let room_msg = |b| err(Method::POST, "/api/rooms/r1/messages", None, b);
        assert_eq!(room_msg(r#"{"body":1}"#), "Invalid message body");
        assert_eq!(
            room_msg(r#"{"chat_marker":{"type":"seen","id":"1"}}"#),
            "Invalid chat marker"
        );
        let config = err(Method::PUT, "/api/rooms/r1/config", None, r#"{"name":1,"subject":"s"}"#);
        assert!(config.starts_with("Validation failed "));
    }
}

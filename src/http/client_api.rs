//! The client REST API door (`mongoose_client_api`): Basic auth, CORS, the body limit and
//! the request contract in front of the generated router, and the `Api` implementation
//! behind it.
//!
//! Request path: `OPTIONS` → preflight, no auth. Otherwise credentials are checked
//! (`401`), the body read within the limit (`413`), the operation looked up and checked
//! against `api/client.yaml` (`400` with the documented text, or `501` for an operation
//! listed in `not_implemented.txt`), and only then handed to the generated router.

use super::basic_auth;
use super::contract::{Contract, Operation};
use super::cors::Cors;
use super::{json_error, Body, RequestContext};
use crate::config::ClientApiHandler;
use crate::core::archive::ChatItem;
use crate::core::delivery::{self, CLIENT_NS};
use crate::core::roster::{self, RosterError, SubscriptionAction};
use crate::server::Context;
use crate::store::ArchiveQuery;
use crate::store::Subscription;
use crate::xml::Element;
use async_trait::async_trait;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use meerkat_client_api as api;
use std::sync::{Arc, OnceLock};
use swagger::ApiError;

/// The spec this door implements, served at `/api-docs` too.
pub(crate) const SPEC: &str = include_str!("../../api/client.yaml");

/// Operations the server cannot back yet; each answers `501` until its feature lands.
/// The contract test skips exactly these.
const NOT_IMPLEMENTED: &str = include_str!("not_implemented.txt");

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

/// Per-request context: who the authenticated user is.
pub(crate) type ApiContext = RequestContext<jid::BareJid>;

pub(crate) struct ClientApi {
    ctx: Arc<Context>,
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
    pub(crate) fn new(ctx: Arc<Context>, handler: &ClientApiHandler, max_body: usize) -> Self {
        ClientApi {
            router: api::server::Service::new(ClientApiImpl { ctx: ctx.clone() }, false),
            ctx,
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

    pub(crate) fn serve_docs(&self, req: &Request<Incoming>) -> Response<Body> {
        super::docs::serve(req, self.docs.as_deref().unwrap_or_default())
    }

    pub(crate) async fn serve(&self, req: Request<Incoming>) -> Response<Body> {
        if req.method() == Method::OPTIONS {
            return self.cors.preflight(req.headers());
        }
        let request_headers = req.headers().clone();
        let mut response = self.serve_authenticated(req).await;
        self.cors.decorate(&request_headers, &mut response);
        response
    }

    async fn serve_authenticated(&self, req: Request<Incoming>) -> Response<Body> {
        let Some(creds) = basic_auth::credentials(req.headers()) else {
            let text = if req.headers().contains_key(hyper::header::AUTHORIZATION) {
                "Invalid credentials"
            } else {
                "Authentication required"
            };
            return basic_auth::unauthorized(&self.ctx.config.general.hosts[0], text);
        };
        let user = match self.ctx.accounts.check_password(&creds.user, &creds.password).await {
            Ok(Some(user)) => user,
            Ok(None) => return basic_auth::unauthorized(&self.ctx.config.general.hosts[0], "Invalid credentials"),
            Err(e) => {
                tracing::error!(error = %e, "credential check failed");
                return json_error(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable");
            }
        };

        if req.method() == Method::GET && req.uri().path() == self.sse_path {
            // The event stream is hand-written; its query string still follows the spec.
            let checked = contract()
                .find(&Method::GET, &format!("{}/sse", contract().base_path))
                .map_err(|_| ())
                .and_then(|op| op.check(req.uri().query(), b"").map_err(|_| ()));
            if checked.is_err() {
                return json_error(StatusCode::BAD_REQUEST, "Invalid query string");
            }
            return super::sse::open(self.ctx.clone(), user);
        }
        let context = RequestContext::new(req.headers(), user.to_string(), user);
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
}

fn is_not_implemented(op: &Operation) -> bool {
    not_implemented_ids().any(|id| id == op.id)
}

/// The `Api` implementation. Operations still in `not_implemented.txt` never reach it.
#[derive(Clone)]
pub(crate) struct ClientApiImpl {
    ctx: Arc<Context>,
}

fn not_implemented() -> String {
    "Not implemented".to_owned()
}

/// A failure of ours, not the client's: logged, and answered by the generated router.
fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "client API operation failed");
    ApiError(format!("internal error: {e}"))
}

/// A contact JID as given in a path or body (any letter case), in canonical bare form.
fn parse_contact(given: &str) -> Result<jid::BareJid, ()> {
    jid::BareJid::new(given.trim()).map_err(|_| ())
}

fn subscription_model(s: Subscription) -> api::models::Subscription {
    match s {
        Subscription::None => api::models::Subscription::None,
        Subscription::To => api::models::Subscription::To,
        Subscription::From => api::models::Subscription::From,
        Subscription::Both => api::models::Subscription::Both,
    }
}

fn ask_model(ask: &str) -> api::models::SubscriptionAsk {
    match ask {
        "in" => api::models::SubscriptionAsk::In,
        "out" => api::models::SubscriptionAsk::Out,
        "both" => api::models::SubscriptionAsk::Both,
        _ => api::models::SubscriptionAsk::None,
    }
}

/// A fresh message id: 128 random bits, hex.
fn new_message_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn chat_message_model(item: ChatItem) -> api::models::ChatMessage {
    let mut m = api::models::ChatMessage::new(item.id, item.from, item.to, item.timestamp, item.body);
    m.thread = item.thread;
    m.parent = item.parent;
    m.properties = item.properties.map(|p| p.into_iter().collect());
    m
}

impl ClientApiImpl {
    /// The newest `limit` (default 50) archived messages of `owner`, optionally only with
    /// `with`, sent before `before` (Unix ms), oldest first.
    async fn history(
        &self,
        owner: &jid::BareJid,
        with: Option<&jid::BareJid>,
        limit: Option<u16>,
        before: Option<i64>,
    ) -> Result<Vec<api::models::ChatMessage>, ApiError> {
        let limit = limit.unwrap_or(50) as usize;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let query = ArchiveQuery {
            owner: owner.to_string(),
            with: with.map(|w| w.to_string()),
            before_ms: before,
            limit,
            newest_first: true,
            ..Default::default()
        };
        let mut rows = self.ctx.store.archive_query(query).await.map_err(internal)?;
        rows.reverse();
        Ok(rows
            .iter()
            .filter_map(ChatItem::from_archived)
            .map(chat_message_model)
            .collect())
    }

    /// Whether `jid` is an account on this server (contacts elsewhere need federation).
    async fn is_local_user(&self, jid: &jid::BareJid) -> Result<bool, ApiError> {
        if jid.node().is_none() || !self.ctx.accounts.serves(jid.domain().as_str()) {
            return Ok(false);
        }
        self.ctx.accounts.exists(jid).await.map_err(internal)
    }
}

#[async_trait]
impl api::Api<ApiContext> for ClientApiImpl {
    async fn add_contact(
        &self,
        new_contact: api::models::NewContact,
        context: &ApiContext,
    ) -> Result<api::AddContactResponse, ApiError> {
        use api::AddContactResponse as R;
        let contact = match parse_contact(&new_contact.jid) {
            Ok(c) if c != context.user => c,
            _ => return Ok(R::BadRequest(format!("Invalid JID: {}", new_contact.jid))),
        };
        if !self.is_local_user(&contact).await? {
            return Ok(R::UserNotFound(format!("The user {contact} does not exist")));
        }
        roster::set_item(&self.ctx, &context.user, &contact, None, Vec::new())
            .await
            .map_err(internal)?;
        Ok(R::ContactAdded)
    }

    async fn delete_contacts(
        &self,
        request: api::models::ContactsToDelete,
        context: &ApiContext,
    ) -> Result<api::DeleteContactsResponse, ApiError> {
        let mut not_deleted = Vec::new();
        for given in request.to_delete {
            let removed = match parse_contact(&given) {
                Ok(contact) => match roster::remove_item(&self.ctx, &context.user, &contact).await {
                    Ok(()) => true,
                    Err(RosterError::NotFound) => false,
                    Err(e) => return Err(internal(e)),
                },
                Err(()) => false,
            };
            if !removed {
                not_deleted.push(given);
            }
        }
        Ok(api::DeleteContactsResponse::ContactsRemoved(
            api::models::NotDeleted::new(not_deleted),
        ))
    }

    async fn list_contacts(&self, context: &ApiContext) -> Result<api::ListContactsResponse, ApiError> {
        let items = self.ctx.store.roster(context.user.as_str()).await.map_err(internal)?;
        let contacts = items
            .into_iter()
            .filter(|i| i.in_roster || i.pending_in)
            .map(|i| {
                let state = roster::State {
                    subscription: i.subscription,
                    pending_out: i.ask_out,
                    pending_in: i.pending_in,
                };
                api::models::Contact::new(i.contact, subscription_model(i.subscription), ask_model(state.ask()))
            })
            .collect();
        Ok(api::ListContactsResponse::ContactList(contacts))
    }

    async fn delete_contact(&self, jid: String, context: &ApiContext) -> Result<api::DeleteContactResponse, ApiError> {
        use api::DeleteContactResponse as R;
        let Ok(contact) = parse_contact(&jid) else {
            return Ok(R::BadRequest(format!("Invalid JID: {jid}")));
        };
        match roster::remove_item(&self.ctx, &context.user, &contact).await {
            Ok(()) => Ok(R::ContactRemoved),
            Err(RosterError::NotFound) => Ok(R::ContactNotFound(format!(
                "Cannot remove {contact} contact that does not exist"
            ))),
            Err(e) => Err(internal(e)),
        }
    }

    /// A single contact is not a resource of this API (MongooseIM behaves the same).
    async fn get_contact(&self, _: String, _: &ApiContext) -> Result<api::GetContactResponse, ApiError> {
        Ok(api::GetContactResponse::NotFound(
            "JID provided but not supported".to_owned(),
        ))
    }

    async fn manage_contact(
        &self,
        jid: String,
        action: api::models::ContactAction,
        context: &ApiContext,
    ) -> Result<api::ManageContactResponse, ApiError> {
        use api::ManageContactResponse as R;
        let Ok(contact) = parse_contact(&jid) else {
            return Ok(R::BadRequest(format!("Invalid JID: {jid}")));
        };
        let known = self
            .ctx
            .store
            .roster_item(context.user.as_str(), contact.as_str())
            .await
            .map_err(internal)?
            .is_some_and(|i| i.in_roster || i.pending_in);
        if !known {
            return Ok(R::ContactNotFound("Given contact does not exist".into()));
        }
        let action = match action.action {
            api::models::ContactActionType::Invite => SubscriptionAction::Subscribe,
            api::models::ContactActionType::Accept => SubscriptionAction::Subscribed,
        };
        roster::outbound(&self.ctx, &context.user, &contact, action, None)
            .await
            .map_err(internal)?;
        Ok(R::ActionDone)
    }

    async fn get_messages(
        &self,
        limit: Option<u16>,
        before: Option<i64>,
        context: &ApiContext,
    ) -> Result<api::GetMessagesResponse, ApiError> {
        let items = self.history(&context.user, None, limit, before).await?;
        Ok(api::GetMessagesResponse::ArchivedMessages(items))
    }

    async fn send_message(
        &self,
        message: api::models::NewMessage,
        context: &ApiContext,
    ) -> Result<api::SendMessageResponse, ApiError> {
        use api::SendMessageResponse as R;
        let to = match jid::Jid::new(message.to.trim()) {
            Ok(to) if to.node().is_some() => to,
            _ => return Ok(R::BadRequest("Invalid recipient JID".into())),
        };
        let id = new_message_id();
        let stanza = Element::new("message", CLIENT_NS)
            .with_attr("from", context.user.to_string())
            .with_attr("to", to.to_string())
            .with_attr("type", "chat")
            .with_attr("id", id.clone())
            .with_child(Element::new("body", CLIENT_NS).with_text(message.body));
        delivery::deliver_message(&self.ctx, None, &to, stanza)
            .await
            .map_err(internal)?;
        Ok(R::MessageSent(api::models::MessageId::new(id)))
    }

    async fn get_messages_with(
        &self,
        with: String,
        limit: Option<u16>,
        before: Option<i64>,
        context: &ApiContext,
    ) -> Result<api::GetMessagesWithResponse, ApiError> {
        let with = match jid::BareJid::new(with.trim()) {
            Ok(w) => w,
            Err(_) => {
                return Ok(api::GetMessagesWithResponse::BadRequest(
                    "Invalid interlocutor JID".into(),
                ))
            }
        };
        let items = self.history(&context.user, Some(&with), limit, before).await?;
        Ok(api::GetMessagesWithResponse::ArchivedMessages(items))
    }

    async fn create_room(&self, _: api::models::NewRoom, _: &ApiContext) -> Result<api::CreateRoomResponse, ApiError> {
        Ok(api::CreateRoomResponse::NotImplemented(not_implemented()))
    }

    async fn list_rooms(&self, _: &ApiContext) -> Result<api::ListRoomsResponse, ApiError> {
        Ok(api::ListRoomsResponse::NotImplemented(not_implemented()))
    }

    async fn put_room_without_id(&self, _: &ApiContext) -> Result<api::PutRoomWithoutIdResponse, ApiError> {
        Ok(api::PutRoomWithoutIdResponse::BadRequest("Missing room ID".to_owned()))
    }

    async fn create_room_with_id(
        &self,
        _: String,
        _: api::models::NewRoom,
        _: &ApiContext,
    ) -> Result<api::CreateRoomWithIdResponse, ApiError> {
        Ok(api::CreateRoomWithIdResponse::NotImplemented(not_implemented()))
    }

    async fn get_room(&self, _: String, _: &ApiContext) -> Result<api::GetRoomResponse, ApiError> {
        Ok(api::GetRoomResponse::NotImplemented(not_implemented()))
    }

    async fn get_room_messages(
        &self,
        _: String,
        _: Option<u16>,
        _: Option<i64>,
        _: &ApiContext,
    ) -> Result<api::GetRoomMessagesResponse, ApiError> {
        Ok(api::GetRoomMessagesResponse::NotImplemented(not_implemented()))
    }

    async fn invite_to_room(
        &self,
        _: String,
        _: api::models::RoomInvite,
        _: &ApiContext,
    ) -> Result<api::InviteToRoomResponse, ApiError> {
        Ok(api::InviteToRoomResponse::NotImplemented(not_implemented()))
    }

    async fn remove_from_room_without_user(
        &self,
        _: String,
        _: &ApiContext,
    ) -> Result<api::RemoveFromRoomWithoutUserResponse, ApiError> {
        Ok(api::RemoveFromRoomWithoutUserResponse::BadRequest(
            "Missing JID".to_owned(),
        ))
    }

    async fn send_room_message(
        &self,
        _: String,
        _: api::models::RoomMessage,
        _: &ApiContext,
    ) -> Result<api::SendRoomMessageResponse, ApiError> {
        Ok(api::SendRoomMessageResponse::NotImplemented(not_implemented()))
    }

    async fn set_room_config(
        &self,
        _: String,
        _: api::models::RoomConfig,
        _: &ApiContext,
    ) -> Result<api::SetRoomConfigResponse, ApiError> {
        Ok(api::SetRoomConfigResponse::NotImplemented(not_implemented()))
    }

    async fn remove_from_room(
        &self,
        _: String,
        _: String,
        _: &ApiContext,
    ) -> Result<api::RemoveFromRoomResponse, ApiError> {
        Ok(api::RemoveFromRoomResponse::NotImplemented(not_implemented()))
    }

    async fn open_event_stream(&self, _: &ApiContext) -> Result<api::OpenEventStreamResponse, ApiError> {
        Ok(api::OpenEventStreamResponse::NotImplemented(not_implemented()))
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
        let send = c.find(&Method::POST, "/api/messages").unwrap();
        let err = |op: &Operation, q: Option<&str>, b: &str| op.check(q, b.as_bytes()).unwrap_err().text;
        assert_eq!(err(send, None, r#"{"to":"bob@localhost"}"#), "Missing message body");
        assert_eq!(err(send, None, r#"{"body":"hi"}"#), "Missing recipient JID");
        assert_eq!(err(send, None, "[]"), "Invalid request body");
        let list = c.find(&Method::GET, "/api/messages/bob@localhost").unwrap();
        assert_eq!(err(list, Some("limit=501"), ""), "Invalid limit");
        assert_eq!(err(list, Some("before=x"), ""), "Invalid value of 'before'");
        assert_eq!(err(list, Some("x=1"), ""), "Invalid query string");
        let contact = c.find(&Method::POST, "/api/contacts").unwrap();
        assert_eq!(err(contact, None, "{}"), "Missing JID");
        assert_eq!(err(contact, None, r#"{"jid":7}"#), "Invalid JID: 7");
        let action = c.find(&Method::PUT, "/api/contacts/bob@localhost").unwrap();
        assert_eq!(err(action, None, r#"{"action":"poke"}"#), "Invalid action");
        assert_eq!(err(action, None, "{}"), "Missing action");
        let room_msg = c.find(&Method::POST, "/api/rooms/r1/messages").unwrap();
        assert_eq!(err(room_msg, None, r#"{"body":1}"#), "Invalid message body");
        assert_eq!(
            err(room_msg, None, r#"{"chat_marker":{"type":"seen","id":"1"}}"#),
            "Invalid chat marker"
        );
        let config = c.find(&Method::PUT, "/api/rooms/r1/config").unwrap();
        assert!(err(config, None, r#"{"name":1,"subject":"s"}"#).starts_with("Validation failed "));
    }
}

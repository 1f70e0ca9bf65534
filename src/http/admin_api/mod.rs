//! The REST API for backend services (`mongoose_admin_api`, `api/admin.yaml`): users,
//! sessions, messages and stanzas sent for users, archives, contacts, MUC Light and MUC
//! rooms, domains, webhook endpoints. Each operation is a call to the core, which does
//! what the same act over XMPP does. Open when the handler configures no credentials (the configuration refuses that
//! off loopback); otherwise each request carries Basic credentials or a bearer token, and
//! the credential's scopes must cover the operation (`<tag>:read` for `GET`,
//! `<tag>:write` otherwise).

mod contacts;
mod domains;
mod messages;
mod rooms;
mod sessions;
mod users;
mod webhooks;

use super::contract::{Contract, Operation};
use super::{basic_auth, bearer, json_error, Body, RequestContext};
use crate::config::AdminApiHandler;
use crate::core::Core;
use async_trait::async_trait;
use hyper::{Method, Request, Response, StatusCode};
use meerkat_admin_api as api;
use std::sync::{Arc, OnceLock};
use subtle::ConstantTimeEq;
use swagger::ApiError;

use super::ADMIN_SPEC as SPEC;

const REALM: &str = "meerkat admin";

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::from_yaml(SPEC).expect("api/admin.yaml is a valid spec (tested)"))
}

type AdminContext = RequestContext<()>;

/// What a credential may do: per tag, reading and writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Scopes(Vec<(String, bool, bool)>);

impl Scopes {
    fn all() -> Self {
        Scopes(vec![("*".into(), true, true)])
    }

    /// From the configuration's strings (`"*"`, `"users"`, `"users:read"`,
    /// `"rooms:write"`), already validated.
    fn parse(given: &[String]) -> Self {
        Scopes(
            given
                .iter()
                .map(|s| match s.split_once(':') {
                    Some((tag, "read")) => (tag.to_owned(), true, false),
                    Some((tag, _)) => (tag.to_owned(), false, true),
                    None => (s.clone(), true, true),
                })
                .collect(),
        )
    }

    fn allows(&self, tag: &str, write: bool) -> bool {
        self.0
            .iter()
            .any(|(t, r, w)| (t == "*" || t == tag) && if write { *w } else { *r })
    }
}

enum Secret {
    Basic { user: String, password: String },
    Token(String),
}

struct Credential {
    secret: Secret,
    scopes: Scopes,
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

pub(crate) struct AdminApi {
    path: String,
    credentials: Vec<Credential>,
    max_body: usize,
    docs: bool,
    router: api::server::Service<AdminApiImpl, AdminContext>,
}

impl AdminApi {
    pub(crate) fn new(core: Arc<Core>, handler: &AdminApiHandler, max_body: usize) -> Self {
        let mut credentials = Vec::new();
        if let (Some(user), Some(password)) = (&handler.username, &handler.password) {
            credentials.push(Credential {
                secret: Secret::Basic {
                    user: user.clone(),
                    password: password.clone(),
                },
                scopes: Scopes::all(),
            });
        }
        for c in &handler.credentials {
            let secret = match (&c.username, &c.password, &c.token) {
                (Some(user), Some(password), _) => Secret::Basic {
                    user: user.clone(),
                    password: password.clone(),
                },
                (_, _, Some(token)) => Secret::Token(token.clone()),
                // The configuration refuses anything else.
                _ => continue,
            };
            credentials.push(Credential {
                secret,
                scopes: Scopes::parse(&c.scopes),
            });
        }
        AdminApi {
            router: api::server::Service::new(AdminApiImpl { core }, false),
            path: handler.path.trim_end_matches('/').to_owned(),
            credentials,
            max_body,
            docs: handler.docs,
        }
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Whether `path` is under this API's documentation mount (`<path>-docs`).
    pub(crate) fn docs_path(&self, path: &str) -> bool {
        self.docs && super::under(path, &format!("{}-docs", self.path))
    }

    pub(crate) async fn serve_docs<B>(&self, req: &Request<B>) -> Response<Body> {
        super::docs::serve(
            req,
            &format!("{}-docs", self.path),
            &self.path,
            super::docs::Spec::Admin,
        )
        .await
    }

    /// Who is asking and what they may do; `Err` is the `401` to answer.
    fn authenticate(&self, headers: &hyper::HeaderMap) -> Result<(String, Scopes), Box<Response<Body>>> {
        if self.credentials.is_empty() {
            return Ok(("admin".to_owned(), Scopes::all()));
        }
        if let Some(given) = basic_auth::credentials(headers) {
            // Every credential is compared, so the time taken does not tell which matched.
            let mut found = None;
            for c in &self.credentials {
                if let Secret::Basic { user, password } = &c.secret {
                    if same(&given.user, user) & same(&given.password, password) && found.is_none() {
                        found = Some((given.user.clone(), c.scopes.clone()));
                    }
                }
            }
            return found.ok_or_else(|| Box::new(basic_auth::unauthorized(REALM, "Invalid credentials")));
        }
        if let Some(token) = bearer::token(headers) {
            let mut found = None;
            for (i, c) in self.credentials.iter().enumerate() {
                if let Secret::Token(t) = &c.secret {
                    if same(token, t) && found.is_none() {
                        found = Some((format!("token#{}", i + 1), c.scopes.clone()));
                    }
                }
            }
            return found.ok_or_else(|| Box::new(basic_auth::unauthorized(REALM, "Invalid credentials")));
        }
        Err(Box::new(basic_auth::unauthorized(REALM, "Authentication required")))
    }

    pub(crate) async fn serve(&self, req: Request<crate::http::RequestBody>) -> Response<Body> {
        let (subject, scopes) = match self.authenticate(req.headers()) {
            Ok(who) => who,
            Err(response) => return *response,
        };
        let c = contract();
        let routed = format!("{}{}", c.base_path, &req.uri().path()[self.path.len()..]);
        if let Ok(op) = c.find(req.method(), &routed) {
            if let Some(missing) = missing_scope(op, &scopes) {
                return json_error(StatusCode::FORBIDDEN, &format!("Missing scope {missing}"));
            }
        }
        let context = RequestContext::new(req.headers(), subject, ());
        super::dispatch(
            &self.router,
            c,
            &self.path,
            req,
            self.max_body,
            context,
            |_: &Operation| false,
        )
        .await
    }
}

/// The scope `op` needs that `scopes` lacks, as `<tag>:<read|write>`.
fn missing_scope(op: &Operation, scopes: &Scopes) -> Option<String> {
    let write = !matches!(*op.method(), Method::GET | Method::HEAD);
    let tag = op.tags.first().map_or("", String::as_str);
    (!scopes.allows(tag, write)).then(|| format!("{tag}:{}", if write { "write" } else { "read" }))
}

/// Why a JID a request names is no account to act for.
enum NoAccount {
    /// Its domain is not served here.
    Domain,
    /// No account of that name on a served domain.
    User,
}

/// Whether `jid` is an account of this server; each operation answers the misses with
/// its own texts (MongooseIM's differ per family).
async fn account_exists(core: &Core, jid: &jid::BareJid) -> Result<Result<(), NoAccount>, ApiError> {
    if !core.accounts().serves(jid.domain().as_str()) {
        return Ok(Err(NoAccount::Domain));
    }
    match core.accounts().exists(jid).await {
        Ok(true) => Ok(Ok(())),
        Ok(false) => Ok(Err(NoAccount::User)),
        Err(e) => Err(internal(e)),
    }
}

/// A failure of ours, not the caller's: logged, and answered `503` by
/// [`super::dispatch`].
fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "admin API operation failed");
    ApiError(format!("internal error: {e}"))
}

#[derive(Clone)]
struct AdminApiImpl {
    core: Arc<Core>,
}

#[async_trait]
impl api::Api<AdminContext> for AdminApiImpl {
    async fn list_users(
        &self,
        domain: String,
        limit: Option<u16>,
        after: Option<String>,
        _: &AdminContext,
    ) -> Result<api::ListUsersResponse, ApiError> {
        users::list(&self.core, &domain, limit, after).await
    }

    async fn count_users(&self, domain: String, _: &AdminContext) -> Result<api::CountUsersResponse, ApiError> {
        users::count(&self.core, &domain).await
    }

    async fn register_user(
        &self,
        domain: String,
        new_user: api::models::NewUser,
        _: &AdminContext,
    ) -> Result<api::RegisterUserResponse, ApiError> {
        users::register(&self.core, &domain, new_user).await
    }

    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: api::models::NewPassword,
        _: &AdminContext,
    ) -> Result<api::ChangePasswordResponse, ApiError> {
        users::change_password(&self.core, &domain, &username, new_password).await
    }

    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        _: &AdminContext,
    ) -> Result<api::UnregisterUserResponse, ApiError> {
        users::unregister(&self.core, &domain, &username).await
    }

    async fn list_webhooks(&self, _: &AdminContext) -> Result<api::ListWebhooksResponse, ApiError> {
        webhooks::list(&self.core).await
    }

    async fn replay_webhook(
        &self,
        name: String,
        replay: api::models::WebhookReplay,
        _: &AdminContext,
    ) -> Result<api::ReplayWebhookResponse, ApiError> {
        webhooks::replay(&self.core, &name, &replay.from).await
    }

    async fn list_domains(&self, _: &AdminContext) -> Result<api::ListDomainsResponse, ApiError> {
        domains::list(&self.core).await
    }

    async fn get_domain(&self, domain: String, _: &AdminContext) -> Result<api::GetDomainResponse, ApiError> {
        domains::get(&self.core, &domain).await
    }

    async fn add_domain(
        &self,
        domain: String,
        added: api::models::DomainToAdd,
        _: &AdminContext,
    ) -> Result<api::AddDomainResponse, ApiError> {
        domains::add(&self.core, &domain, &added.host_type).await
    }

    async fn set_domain_enabled(
        &self,
        domain: String,
        status: api::models::DomainEnabled,
        _: &AdminContext,
    ) -> Result<api::SetDomainEnabledResponse, ApiError> {
        domains::set_enabled(&self.core, &domain, status.enabled).await
    }

    async fn remove_domain(
        &self,
        domain: String,
        removal: api::models::DomainToRemove,
        _: &AdminContext,
    ) -> Result<api::RemoveDomainResponse, ApiError> {
        domains::remove(&self.core, &domain, removal).await
    }

    async fn list_sessions(&self, domain: String, _: &AdminContext) -> Result<api::ListSessionsResponse, ApiError> {
        sessions::list(&self.core, &domain)
    }

    async fn list_user_sessions(
        &self,
        domain: String,
        username: String,
        _: &AdminContext,
    ) -> Result<api::ListUserSessionsResponse, ApiError> {
        sessions::of_user(&self.core, &domain, &username)
    }

    async fn kick_user(
        &self,
        domain: String,
        username: String,
        _: &AdminContext,
    ) -> Result<api::KickUserResponse, ApiError> {
        sessions::kick_user(&self.core, &domain, &username)
    }

    async fn kick_session(
        &self,
        domain: String,
        username: String,
        resource: String,
        _: &AdminContext,
    ) -> Result<api::KickSessionResponse, ApiError> {
        sessions::kick_session(&self.core, &domain, &username, &resource)
    }

    async fn send_message(
        &self,
        message: api::models::MessageToSend,
        _: &AdminContext,
    ) -> Result<api::SendMessageResponse, ApiError> {
        messages::send(&self.core, message).await
    }

    async fn get_archive(
        &self,
        owner: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        _: &AdminContext,
    ) -> Result<api::GetArchiveResponse, ApiError> {
        let page = messages::page(limit, before, after_id, before_id);
        messages::archive(&self.core, &owner, None, page)
            .await
            .map(|r| match r {
                Ok(items) => api::GetArchiveResponse::ArchivedMessages(items),
                Err(messages::ArchiveRefusal::BadRequest(t)) => api::GetArchiveResponse::BadRequest(t),
                Err(messages::ArchiveRefusal::NotFound(t)) => api::GetArchiveResponse::NotFound(t),
            })
    }

    async fn get_archive_with(
        &self,
        owner: String,
        with: String,
        limit: Option<u16>,
        before: Option<u64>,
        after_id: Option<String>,
        before_id: Option<String>,
        _: &AdminContext,
    ) -> Result<api::GetArchiveWithResponse, ApiError> {
        let page = messages::page(limit, before, after_id, before_id);
        messages::archive(&self.core, &owner, Some(&with), page)
            .await
            .map(|r| match r {
                Ok(items) => api::GetArchiveWithResponse::ArchivedMessages(items),
                Err(messages::ArchiveRefusal::BadRequest(t)) => api::GetArchiveWithResponse::BadRequest(t),
                Err(messages::ArchiveRefusal::NotFound(t)) => api::GetArchiveWithResponse::NotFound(t),
            })
    }

    async fn send_stanza(
        &self,
        stanza: api::models::StanzaToSend,
        _: &AdminContext,
    ) -> Result<api::SendStanzaResponse, ApiError> {
        messages::send_stanza(&self.core, &stanza.stanza).await
    }

    async fn list_contacts(&self, user: String, _: &AdminContext) -> Result<api::ListContactsResponse, ApiError> {
        contacts::list(&self.core, &user).await
    }

    async fn add_contact(
        &self,
        user: String,
        contact: api::models::ContactToAdd,
        _: &AdminContext,
    ) -> Result<api::AddContactResponse, ApiError> {
        contacts::add(&self.core, &user, &contact.jid).await
    }

    async fn change_subscription(
        &self,
        user: String,
        contact: String,
        change: api::models::SubscriptionChange,
        _: &AdminContext,
    ) -> Result<api::ChangeSubscriptionResponse, ApiError> {
        contacts::change_subscription(&self.core, &user, &contact, change).await
    }

    async fn delete_contact(
        &self,
        user: String,
        contact: String,
        _: &AdminContext,
    ) -> Result<api::DeleteContactResponse, ApiError> {
        contacts::delete(&self.core, &user, &contact).await
    }

    async fn manage_contacts(
        &self,
        user: String,
        contact: String,
        link: api::models::ContactsLink,
        _: &AdminContext,
    ) -> Result<api::ManageContactsResponse, ApiError> {
        contacts::manage(&self.core, &user, &contact, link).await
    }

    async fn create_muc_light_room(
        &self,
        domain: String,
        room: api::models::MucLightRoomToCreate,
        _: &AdminContext,
    ) -> Result<api::CreateMucLightRoomResponse, ApiError> {
        rooms::create_light(&self.core, &domain, None, room.owner, room.name, room.subject)
            .await
            .map(|r| match r {
                Ok(jid) => api::CreateMucLightRoomResponse::RoomCreated(jid),
                Err(rooms::Refused::BadRequest(t)) => api::CreateMucLightRoomResponse::BadRequest(t),
                Err(rooms::Refused::Forbidden(t)) => api::CreateMucLightRoomResponse::Forbidden(t),
                Err(rooms::Refused::NotFound(t)) => api::CreateMucLightRoomResponse::NotFound(t),
                // A generated id never collides: the core draws another.
                Err(rooms::Refused::Conflict(t)) => api::CreateMucLightRoomResponse::Forbidden(t),
            })
    }

    async fn create_muc_light_room_with_id(
        &self,
        domain: String,
        room: api::models::MucLightRoomWithIdToCreate,
        _: &AdminContext,
    ) -> Result<api::CreateMucLightRoomWithIdResponse, ApiError> {
        rooms::create_light(&self.core, &domain, Some(room.id), room.owner, room.name, room.subject)
            .await
            .map(|r| match r {
                Ok(jid) => api::CreateMucLightRoomWithIdResponse::RoomCreated(jid),
                Err(rooms::Refused::BadRequest(t)) => api::CreateMucLightRoomWithIdResponse::BadRequest(t),
                Err(rooms::Refused::Forbidden(t)) => api::CreateMucLightRoomWithIdResponse::Forbidden(t),
                Err(rooms::Refused::NotFound(t)) => api::CreateMucLightRoomWithIdResponse::NotFound(t),
                Err(rooms::Refused::Conflict(t)) => api::CreateMucLightRoomWithIdResponse::Conflict(t),
            })
    }

    async fn invite_to_muc_light_room(
        &self,
        domain: String,
        id: String,
        invitation: api::models::MucLightInvitation,
        _: &AdminContext,
    ) -> Result<api::InviteToMucLightRoomResponse, ApiError> {
        use api::InviteToMucLightRoomResponse as R;
        rooms::invite_light(&self.core, &domain, &id, invitation)
            .await
            .map(|r| rooms::answer(r, |()| R::MemberAdded, R::BadRequest, R::Forbidden, R::NotFound))
    }

    async fn send_muc_light_message(
        &self,
        domain: String,
        id: String,
        message: api::models::RoomMessageToSend,
        _: &AdminContext,
    ) -> Result<api::SendMucLightMessageResponse, ApiError> {
        use api::SendMucLightMessageResponse as R;
        rooms::send_light(&self.core, &domain, &id, message)
            .await
            .map(|r| rooms::answer(r, |()| R::MessageSent, R::BadRequest, R::Forbidden, R::NotFound))
    }

    async fn delete_muc_light_room(
        &self,
        domain: String,
        id: String,
        _: &AdminContext,
    ) -> Result<api::DeleteMucLightRoomResponse, ApiError> {
        use api::DeleteMucLightRoomResponse as R;
        rooms::delete_light(&self.core, &domain, &id)
            .await
            .map(|r| rooms::answer(r, |()| R::RoomDestroyed, R::BadRequest, R::Forbidden, R::NotFound))
    }

    async fn list_user_muc_light_rooms(
        &self,
        domain: String,
        user: String,
        _: &AdminContext,
    ) -> Result<api::ListUserMucLightRoomsResponse, ApiError> {
        use api::ListUserMucLightRoomsResponse as R;
        rooms::rooms_of_user(&self.core, &domain, &user)
            .await
            .map(|r| rooms::answer(r, R::Rooms, R::BadRequest, R::Forbidden, R::NotFound))
    }

    async fn create_muc_room(
        &self,
        domain: String,
        room: api::models::MucRoomToCreate,
        _: &AdminContext,
    ) -> Result<api::CreateMucRoomResponse, ApiError> {
        use api::CreateMucRoomResponse as R;
        rooms::create_muc(&self.core, &domain, room).await.map(|r| match r {
            Ok(name) => R::RoomCreated(name),
            Err(rooms::Refused::BadRequest(t)) => R::BadRequest(t),
            Err(rooms::Refused::Forbidden(t)) => R::Forbidden(t),
            Err(rooms::Refused::NotFound(t)) => R::NotFound(t),
            Err(rooms::Refused::Conflict(t)) => R::Conflict(t),
        })
    }

    async fn list_muc_rooms(&self, domain: String, _: &AdminContext) -> Result<api::ListMucRoomsResponse, ApiError> {
        use api::ListMucRoomsResponse as R;
        rooms::list_muc(&self.core, &domain)
            .await
            .map(|r| rooms::answer(r, R::Rooms, R::NotFound, R::Forbidden, R::NotFound))
    }

    async fn invite_to_muc_room(
        &self,
        domain: String,
        room: String,
        invitation: api::models::MucInvitation,
        _: &AdminContext,
    ) -> Result<api::InviteToMucRoomResponse, ApiError> {
        use api::InviteToMucRoomResponse as R;
        rooms::invite_muc(&self.core, &domain, &room, invitation)
            .await
            .map(|r| rooms::answer(r, |()| R::InvitationSent, R::BadRequest, R::Forbidden, R::NotFound))
    }

    async fn send_muc_message(
        &self,
        domain: String,
        room: String,
        message: api::models::RoomMessageToSend,
        _: &AdminContext,
    ) -> Result<api::SendMucMessageResponse, ApiError> {
        use api::SendMucMessageResponse as R;
        rooms::send_muc(&self.core, &domain, &room, message)
            .await
            .map(|r| rooms::answer(r, |()| R::MessageSent, R::BadRequest, R::Forbidden, R::NotFound))
    }

    async fn kick_muc_occupant(
        &self,
        domain: String,
        room: String,
        nick: String,
        _: &AdminContext,
    ) -> Result<api::KickMucOccupantResponse, ApiError> {
        use api::KickMucOccupantResponse as R;
        rooms::kick_muc(&self.core, &domain, &room, &nick)
            .await
            .map(|r| rooms::answer(r, |()| R::OccupantKicked, R::BadRequest, R::Forbidden, R::NotFound))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::{Method, StatusCode};

    #[test]
    fn the_admin_spec_parses_with_its_texts() {
        let c = contract();
        let op = c.find(&Method::POST, "/api/users/localhost").unwrap();
        assert_eq!(op.id, "registerUser");
        let err = op
            .check(
                "/api/users/localhost",
                None,
                &hyper::HeaderMap::new(),
                br#"{"password":"x"}"#,
            )
            .unwrap_err();
        assert_eq!(
            (err.status, err.text.as_str()),
            (StatusCode::BAD_REQUEST, "Missing username")
        );
        assert_eq!(
            c.find(&Method::PUT, "/api/users/localhost/alice").unwrap().id,
            "changePassword"
        );
        assert_eq!(
            c.find(&Method::GET, "/api/users/localhost/count").unwrap().id,
            "countUsers"
        );
        assert_eq!(
            c.find(&Method::DELETE, "/api/mucs/localhost/lobby/participants")
                .unwrap()
                .id,
            "kickMucOccupant"
        );
    }

    #[test]
    fn every_admin_operation_has_one_scope_tag() {
        let tags = [
            "users", "sessions", "messages", "stanzas", "contacts", "rooms", "domains", "webhooks",
        ];
        for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            for path in [
                "/api/users/d",
                "/api/sessions/d/u/r",
                "/api/messages",
                "/api/stanzas",
                "/api/contacts/u",
                "/api/domains/d",
                "/api/mucs/d",
            ] {
                if let Ok(op) = contract().find(&method, path) {
                    assert_eq!(op.tags.len(), 1, "{}", op.id);
                    assert!(tags.contains(&op.tags[0].as_str()), "{}", op.id);
                }
            }
        }
    }

    #[test]
    fn scopes_allow_what_they_name() {
        let s = Scopes::parse(&["users:read".into(), "rooms".into()]);
        assert!(s.allows("users", false));
        assert!(!s.allows("users", true));
        assert!(s.allows("rooms", true) && s.allows("rooms", false));
        assert!(!s.allows("sessions", false));
        assert!(Scopes::all().allows("anything", true));
        let post = contract().find(&Method::POST, "/api/users/localhost").unwrap();
        assert_eq!(missing_scope(post, &s).as_deref(), Some("users:write"));
        let get = contract().find(&Method::GET, "/api/users/localhost").unwrap();
        assert_eq!(missing_scope(get, &s), None);
    }
}

//! The account administration door (`mongoose_admin_api`, `api/admin.yaml`): register,
//! list, change the password of and remove users. Protected by Basic auth when the handler
//! configures `username` and `password`; open otherwise (bind it to loopback, as the
//! default does).

use super::basic_auth;
use super::contract::{Contract, Operation};
use super::{Body, RequestContext};
use crate::config::AdminApiHandler;
use crate::core::account::AccountError;
use crate::core::Core;
use async_trait::async_trait;
use hyper::body::Incoming;
use hyper::{Request, Response};
use meerkat_admin_api as api;
use std::sync::{Arc, OnceLock};
use subtle::ConstantTimeEq;
use swagger::ApiError;

pub(crate) const SPEC: &str = include_str!("../../api/admin.yaml");

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::from_yaml(SPEC).expect("api/admin.yaml is a valid spec (tested)"))
}

type AdminContext = RequestContext<()>;

pub(crate) struct AdminApi {
    path: String,
    credentials: Option<(String, String)>,
    max_body: usize,
    router: api::server::Service<AdminApiImpl, AdminContext>,
}

impl AdminApi {
    pub(crate) fn new(core: Arc<Core>, handler: &AdminApiHandler, max_body: usize) -> Self {
        AdminApi {
            router: api::server::Service::new(AdminApiImpl { core }, false),
            path: handler.path.trim_end_matches('/').to_owned(),
            credentials: handler.username.clone().zip(handler.password.clone()),
            max_body,
        }
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    pub(crate) async fn serve(&self, req: Request<Incoming>) -> Response<Body> {
        let subject = match &self.credentials {
            None => "admin".to_owned(),
            Some((user, password)) => {
                let Some(given) = basic_auth::credentials(req.headers()) else {
                    return basic_auth::unauthorized("meerkat admin", "Authentication required");
                };
                let user_ok: bool = given.user.as_bytes().ct_eq(user.as_bytes()).into();
                let password_ok: bool = given.password.as_bytes().ct_eq(password.as_bytes()).into();
                if !(user_ok && password_ok) {
                    return basic_auth::unauthorized("meerkat admin", "Invalid credentials");
                }
                given.user
            }
        };
        let context = RequestContext::new(req.headers(), subject, ());
        super::dispatch(
            &self.router,
            contract(),
            &self.path,
            req,
            self.max_body,
            context,
            |_: &Operation| false,
        )
        .await
    }
}

#[derive(Clone)]
struct AdminApiImpl {
    core: Arc<Core>,
}

fn internal(e: AccountError) -> ApiError {
    tracing::error!(error = %e, "account operation failed");
    ApiError(format!("account operation failed: {e}"))
}

#[async_trait]
impl api::Api<AdminContext> for AdminApiImpl {
    async fn list_users(&self, domain: String, _: &AdminContext) -> Result<api::ListUsersResponse, ApiError> {
        match self.core.accounts().list(&domain).await {
            Ok(users) => Ok(api::ListUsersResponse::UserList(users)),
            Err(AccountError::UnknownDomain) => Ok(api::ListUsersResponse::BadRequest("Unknown domain".into())),
            Err(e) => Err(internal(e)),
        }
    }

    async fn register_user(
        &self,
        domain: String,
        new_user: api::models::NewUser,
        _: &AdminContext,
    ) -> Result<api::RegisterUserResponse, ApiError> {
        use api::RegisterUserResponse as R;
        let accounts = self.core.accounts();
        let jid = match accounts.user_jid(&new_user.username, &domain) {
            Ok(jid) => jid,
            Err(AccountError::UnknownDomain) => return Ok(R::BadRequest("Unknown domain".into())),
            Err(_) => return Ok(R::BadRequest("Invalid username".into())),
        };
        match accounts.register(&jid, &new_user.password).await {
            Ok(()) => Ok(R::UserRegistered(jid.to_string())),
            Err(AccountError::AlreadyExists) => Ok(R::UserAlreadyExists("User already exists".into())),
            Err(AccountError::InvalidPassword(_)) => Ok(R::BadRequest("Invalid password".into())),
            Err(e) => Err(internal(e)),
        }
    }

    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: api::models::NewPassword,
        _: &AdminContext,
    ) -> Result<api::ChangePasswordResponse, ApiError> {
        use api::ChangePasswordResponse as R;
        let accounts = self.core.accounts();
        let Ok(jid) = accounts.user_jid(&username, &domain) else {
            return Ok(R::UserNotFound("User not found".into()));
        };
        // The account's sessions end before the answer (the core applies the change).
        match self.core.change_password(&jid, &new_password.newpass).await {
            Ok(()) => Ok(R::PasswordChanged),
            Err(AccountError::NotFound) => Ok(R::UserNotFound("User not found".into())),
            Err(AccountError::InvalidPassword(_)) => Ok(R::BadRequest("Invalid password".into())),
            Err(e) => Err(internal(e)),
        }
    }

    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        _: &AdminContext,
    ) -> Result<api::UnregisterUserResponse, ApiError> {
        use api::UnregisterUserResponse as R;
        let accounts = self.core.accounts();
        let Ok(jid) = accounts.user_jid(&username, &domain) else {
            return Ok(R::UserNotFound("User not found".into()));
        };
        // Its sessions end and its data is purged before the answer.
        match self.core.remove_account(&jid).await {
            Ok(()) => Ok(R::UserRemoved),
            Err(AccountError::NotFound) => Ok(R::UserNotFound("User not found".into())),
            Err(e) => Err(internal(e)),
        }
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
    }
}

//! `/users/{domain}`: accounts listed (whole or by page), counted, registered, given a new
//! password and removed.

use super::internal;
use crate::core::account::AccountError;
use crate::core::Core;
use meerkat_admin_api as api;
use swagger::ApiError;

const UNKNOWN_DOMAIN: &str = "Unknown domain";

pub(super) async fn list(
    core: &Core,
    domain: &str,
    limit: Option<u16>,
    after: Option<String>,
) -> Result<api::ListUsersResponse, ApiError> {
    use api::ListUsersResponse as R;
    let limit = limit.map(usize::from);
    match core.accounts().list(domain, after.as_deref(), limit).await {
        Ok(users) => Ok(R::UserList(users)),
        Err(AccountError::UnknownDomain) => Ok(R::NotFound(UNKNOWN_DOMAIN.into())),
        Err(AccountError::InvalidUsername | AccountError::InvalidJid) => {
            Ok(R::BadRequest("Invalid value of 'after'".into()))
        }
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn count(core: &Core, domain: &str) -> Result<api::CountUsersResponse, ApiError> {
    use api::CountUsersResponse as R;
    match core.accounts().count(domain).await {
        Ok(n) => Ok(R::Count(api::models::Count::new(i64::try_from(n).unwrap_or(i64::MAX)))),
        Err(AccountError::UnknownDomain) => Ok(R::NotFound(UNKNOWN_DOMAIN.into())),
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn register(
    core: &Core,
    domain: &str,
    new_user: api::models::NewUser,
) -> Result<api::RegisterUserResponse, ApiError> {
    use api::RegisterUserResponse as R;
    let accounts = core.accounts();
    let jid = match accounts.user_jid(&new_user.username, domain) {
        Ok(jid) => jid,
        Err(AccountError::UnknownDomain) => return Ok(R::NotFound(UNKNOWN_DOMAIN.into())),
        Err(_) => return Ok(R::BadRequest("Invalid username".into())),
    };
    match accounts.register(&jid, &new_user.password).await {
        Ok(()) => Ok(R::UserRegistered(jid.to_string())),
        Err(AccountError::AlreadyExists) => Ok(R::Conflict("User already exists".into())),
        Err(AccountError::InvalidPassword(_)) => Ok(R::BadRequest("Invalid password".into())),
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn change_password(
    core: &Core,
    domain: &str,
    username: &str,
    new_password: api::models::NewPassword,
) -> Result<api::ChangePasswordResponse, ApiError> {
    use api::ChangePasswordResponse as R;
    let jid = match core.accounts().user_jid(username, domain) {
        Ok(jid) => jid,
        Err(AccountError::UnknownDomain) => return Ok(R::NotFound(UNKNOWN_DOMAIN.into())),
        Err(_) => return Ok(R::NotFound("User not found".into())),
    };
    // The account's sessions end before the answer (the core applies the change).
    match core.change_password(&jid, &new_password.newpass).await {
        Ok(()) => Ok(R::PasswordChanged),
        Err(AccountError::NotFound) => Ok(R::NotFound("User not found".into())),
        Err(AccountError::InvalidPassword(_)) => Ok(R::BadRequest("Invalid password".into())),
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn unregister(
    core: &Core,
    domain: &str,
    username: &str,
) -> Result<api::UnregisterUserResponse, ApiError> {
    use api::UnregisterUserResponse as R;
    let jid = match core.accounts().user_jid(username, domain) {
        Ok(jid) => jid,
        Err(AccountError::UnknownDomain) => return Ok(R::NotFound(UNKNOWN_DOMAIN.into())),
        Err(_) => return Ok(R::NotFound("User not found".into())),
    };
    // Its sessions end and its data is purged before the answer.
    match core.remove_account(&jid).await {
        Ok(()) => Ok(R::UserRemoved),
        Err(AccountError::NotFound) => Ok(R::NotFound("User not found".into())),
        Err(e) => Err(internal(e)),
    }
}

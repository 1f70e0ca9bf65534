//! Bearer tokens over REST: create (`POST /tokens`, Basic credentials only), list
//! (`GET /tokens`) and revoke (`DELETE /tokens/{token_id}`), on `crate::core::account::tokens`.

use super::{internal, Caller};
use crate::core::account::tokens::TokenError;
use crate::core::Core;
use meerkat_client_api as api;
use swagger::ApiError;

/// The `403` for a token presented to create another: a token must not be able to
/// outlive itself by minting successors, so only the password creates tokens.
const NEEDS_BASIC: &str = "Tokens are created with Basic credentials";

pub(super) async fn create(core: &Core, caller: &Caller) -> Result<api::CreateTokenResponse, ApiError> {
    if caller.token.is_some() {
        return Ok(api::CreateTokenResponse::Forbidden(NEEDS_BASIC.to_owned()));
    }
    match core.tokens().issue(&caller.jid).await {
        Ok(t) => Ok(api::CreateTokenResponse::TokenCreated(api::models::IssuedToken::new(
            t.id,
            t.secret,
            t.expires_ms,
        ))),
        Err(e @ TokenError::TooMany { .. }) => Ok(api::CreateTokenResponse::Forbidden(e.to_string())),
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn list(core: &Core, caller: &Caller) -> Result<api::ListTokensResponse, ApiError> {
    let tokens = core.tokens().list(&caller.jid).await.map_err(internal)?;
    Ok(api::ListTokensResponse::TokenList(
        tokens
            .into_iter()
            .map(|t| api::models::TokenInfo::new(t.id, t.created_ms, t.expires_ms))
            .collect(),
    ))
}

pub(super) async fn revoke(core: &Core, caller: &Caller, id: &str) -> Result<api::RevokeTokenResponse, ApiError> {
    match core.revoke_token(&caller.jid, id).await {
        Ok(()) => Ok(api::RevokeTokenResponse::TokenRevoked),
        Err(e @ TokenError::NotFound) => Ok(api::RevokeTokenResponse::NoSuchToken(e.to_string())),
        Err(e) => Err(internal(e)),
    }
}

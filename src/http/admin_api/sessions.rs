//! `/sessions/{domain}`: the sessions of a domain's users on every node, one user's with
//! how they are connected, and ending them. A session of another node is ended through
//! its proxy, which tells that node.

use crate::core::account::AccountError;
use crate::core::session::{Kick, Session, SessionKind};
use crate::core::Core;
use jid::BareJid;
use meerkat_admin_api as api;
use std::sync::Arc;
use swagger::ApiError;

const UNKNOWN_DOMAIN: &str = "Unknown domain";
const NO_SESSION: &str = "No active session";

/// The served domain, prepped; `None` for one the server does not serve.
fn served(core: &Core, domain: &str) -> Option<String> {
    core.accounts().domain(domain).ok()
}

enum UserError {
    UnknownDomain,
    InvalidUsername,
}

fn user(core: &Core, domain: &str, username: &str) -> Result<BareJid, UserError> {
    match core.accounts().user_jid(username, domain) {
        Ok(jid) => Ok(jid),
        Err(AccountError::UnknownDomain) => Err(UserError::UnknownDomain),
        Err(_) => Err(UserError::InvalidUsername),
    }
}

pub(super) fn list(core: &Core, domain: &str) -> Result<api::ListSessionsResponse, ApiError> {
    use api::ListSessionsResponse as R;
    let Some(domain) = served(core, domain) else {
        return Ok(R::NotFound(UNKNOWN_DOMAIN.into()));
    };
    let jids = core
        .sessions()
        .of_domain(&domain)
        .iter()
        .filter(|s| !s.is_ended())
        .map(|s| s.jid.to_string())
        .collect();
    Ok(R::SessionList(jids))
}

fn connection(kind: SessionKind) -> api::models::SessionConnection {
    use api::models::SessionConnection as C;
    match kind {
        SessionKind::XmppTcp => C::C2s,
        SessionKind::XmppWebSocket => C::Websocket,
        SessionKind::XmppBosh => C::Bosh,
        SessionKind::EventStream => C::Sse,
    }
}

fn live_sessions(core: &Core, jid: &BareJid) -> Vec<Arc<Session>> {
    let mut sessions: Vec<Arc<Session>> = core
        .sessions()
        .sessions_of(jid)
        .into_iter()
        .filter(|s| !s.is_ended())
        .collect();
    sessions.sort_by(|a, b| a.jid.as_str().cmp(b.jid.as_str()));
    sessions
}

pub(super) fn of_user(core: &Core, domain: &str, username: &str) -> Result<api::ListUserSessionsResponse, ApiError> {
    use api::ListUserSessionsResponse as R;
    let jid = match user(core, domain, username) {
        Ok(jid) => jid,
        Err(UserError::UnknownDomain) => return Ok(R::NotFound(UNKNOWN_DOMAIN.into())),
        Err(UserError::InvalidUsername) => return Ok(R::BadRequest("Invalid username".into())),
    };
    let listed = live_sessions(core, &jid)
        .iter()
        .map(|s| {
            let node = s.remote_node().unwrap_or_else(|| core.node_name());
            api::models::Session::new(s.jid.to_string(), connection(s.kind), node.to_owned())
        })
        .collect();
    Ok(R::Sessions(listed))
}

pub(super) fn kick_user(core: &Core, domain: &str, username: &str) -> Result<api::KickUserResponse, ApiError> {
    use api::KickUserResponse as R;
    let jid = match user(core, domain, username) {
        Ok(jid) => jid,
        Err(UserError::UnknownDomain) => return Ok(R::NotFound(UNKNOWN_DOMAIN.into())),
        Err(UserError::InvalidUsername) => return Ok(R::BadRequest("Invalid username".into())),
    };
    let kicked = live_sessions(core, &jid).iter().filter(|s| s.kick(Kick::Admin)).count();
    if kicked == 0 {
        return Ok(R::NotFound(NO_SESSION.into()));
    }
    Ok(R::Kicked(api::models::Kicked::new(kicked as i64)))
}

pub(super) fn kick_session(
    core: &Core,
    domain: &str,
    username: &str,
    resource: &str,
) -> Result<api::KickSessionResponse, ApiError> {
    use api::KickSessionResponse as R;
    let jid = match user(core, domain, username) {
        Ok(jid) => jid,
        Err(UserError::UnknownDomain) => return Ok(R::NotFound(UNKNOWN_DOMAIN.into())),
        Err(UserError::InvalidUsername) => return Ok(R::BadRequest("Invalid username".into())),
    };
    let Ok(full) = jid.with_resource_str(resource) else {
        return Ok(R::BadRequest("Invalid resource".into()));
    };
    match core.sessions().session(&full) {
        Some(s) if !s.is_ended() && s.kick(Kick::Admin) => Ok(R::SessionEnded),
        _ => Ok(R::NotFound(NO_SESSION.into())),
    }
}

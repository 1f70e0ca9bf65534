//! `/messages` and `/stanzas`: a chat message or any stanza sent as a user, exactly as if
//! from that user's client, and a user's archive read (whole or with one peer) by time
//! or by the client API's cursors.

use super::{account_exists, internal, NoAccount};
use crate::core::archive::{self, Page};
use crate::core::im::messages::{self as core_messages, SendError, StanzaSendError};
use crate::core::Core;
use jid::BareJid;
use meerkat_admin_api as api;
use swagger::ApiError;

const DEFAULT_LIMIT: usize = 50;

/// The sender a body names: an account of this server, or the error text to answer.
async fn account(core: &Core, given: &str, invalid: &str) -> Result<Result<BareJid, String>, ApiError> {
    let Ok(jid) = crate::core::jid::parse_account(given.trim()) else {
        return Ok(Err(invalid.to_owned()));
    };
    Ok(match account_exists(core, &jid).await? {
        Ok(()) => Ok(jid),
        Err(NoAccount::Domain) => Err("User's domain does not exist".to_owned()),
        Err(NoAccount::User) => Err("User does not exist".to_owned()),
    })
}

pub(super) async fn send(
    core: &Core,
    message: api::models::MessageToSend,
) -> Result<api::SendMessageResponse, ApiError> {
    use api::SendMessageResponse as R;
    let caller = match account(core, &message.caller, "Invalid sender JID").await? {
        Ok(jid) => jid,
        Err(text) => return Ok(R::BadRequest(text)),
    };
    match core_messages::send_chat(core, &caller, &message.to, message.body).await {
        Ok(_) => Ok(R::MessageSent),
        Err(SendError::InvalidRecipient) => Ok(R::BadRequest("Invalid recipient JID".into())),
        // The caller's own blocklist: sent nowhere, as from the caller's client.
        Err(SendError::Blocked) => Ok(R::Forbidden("The sender has blocked this recipient".into())),
        Err(SendError::NotFederated(domain)) => {
            Ok(R::Forbidden(format!("This server does not federate with {domain}")))
        }
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn send_stanza(core: &Core, xml: &str) -> Result<api::SendStanzaResponse, ApiError> {
    use api::SendStanzaResponse as R;
    match core_messages::send_stanza(core, xml).await {
        Ok(()) => Ok(R::StanzaSent),
        Err(StanzaSendError::Route(e)) => Err(internal(e)),
        Err(refused) => Ok(R::BadRequest(refused.to_string())),
    }
}

/// The page the query asks for; `before` is in seconds (as MongooseIM).
pub(super) fn page(
    limit: Option<u16>,
    before: Option<u64>,
    after_id: Option<String>,
    before_id: Option<String>,
) -> Page {
    Page {
        limit: limit.map_or(DEFAULT_LIMIT, usize::from),
        before_ms: before.map(|s| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX)),
        after_id: after_id.as_deref().and_then(archive::parse_id),
        before_id: before_id.as_deref().and_then(archive::parse_id),
    }
}

pub(super) enum ArchiveRefusal {
    BadRequest(String),
    NotFound(String),
}

pub(super) async fn archive(
    core: &Core,
    owner: &str,
    with: Option<&str>,
    page: Page,
) -> Result<Result<Vec<api::models::ArchivedMessage>, ArchiveRefusal>, ApiError> {
    let owner = match account(core, owner, "Invalid owner JID").await? {
        Ok(jid) => jid,
        Err(text) if text == "Invalid owner JID" => return Ok(Err(ArchiveRefusal::BadRequest(text))),
        Err(text) => return Ok(Err(ArchiveRefusal::NotFound(text))),
    };
    let with = match with.map(|w| crate::core::jid::parse_bare(w.trim())) {
        None => None,
        Some(Ok(w)) => Some(w),
        Some(Err(_)) => return Ok(Err(ArchiveRefusal::BadRequest("Invalid interlocutor JID".into()))),
    };
    let items = archive::history(core, &owner, with.as_ref(), page)
        .await
        .map_err(internal)?;
    Ok(Ok(items
        .into_iter()
        .map(|i| {
            let seconds = (i.timestamp + 500).div_euclid(1000);
            api::models::ArchivedMessage::new(i.archive_id, i.from, seconds, i.id, i.body)
        })
        .collect()))
}

//! One-to-one messages over REST: send (`POST /messages`) and the archive listing
//! (`GET /messages`, `GET /messages/{jid}`), on the core's message and archive
//! operations.

use super::internal;
use crate::core::archive::{self, ChatItem, Page};
use crate::core::im::messages::{self, SendError};
use crate::core::Core;
use jid::BareJid;
use meerkat_client_api as api;
use swagger::ApiError;

pub(super) fn chat_message_model(item: ChatItem) -> api::models::ChatMessage {
    let mut m = api::models::ChatMessage::new(item.archive_id, item.id, item.from, item.to, item.timestamp, item.body);
    m.thread = item.thread;
    m.parent = item.parent;
    m.properties = item.properties.map(|p| p.into_iter().collect());
    m
}

async fn items(
    core: &Core,
    owner: &BareJid,
    with: Option<&BareJid>,
    page: Page,
) -> Result<Vec<api::models::ChatMessage>, ApiError> {
    let items = archive::history(core, owner, with, page).await.map_err(internal)?;
    Ok(items.into_iter().map(chat_message_model).collect())
}

pub(super) async fn history(core: &Core, user: &BareJid, page: Page) -> Result<api::GetMessagesResponse, ApiError> {
    let items = items(core, user, None, page).await?;
    Ok(api::GetMessagesResponse::ArchivedMessages(items))
}

pub(super) async fn history_with(
    core: &Core,
    user: &BareJid,
    with: &str,
    page: Page,
) -> Result<api::GetMessagesWithResponse, ApiError> {
    let Ok(with) = crate::core::jid::parse_bare(with.trim()) else {
        return Ok(api::GetMessagesWithResponse::BadRequest(
            "Invalid interlocutor JID".into(),
        ));
    };
    let items = items(core, user, Some(&with), page).await?;
    Ok(api::GetMessagesWithResponse::ArchivedMessages(items))
}

pub(super) async fn send(
    core: &Core,
    user: &BareJid,
    message: api::models::MessageRequest,
) -> Result<api::SendMessageResponse, ApiError> {
    use api::SendMessageResponse as R;
    match messages::send_chat(core, user, &message.to, message.body).await {
        Ok(id) => Ok(R::MessageSent(api::models::MessageId::new(id))),
        Err(SendError::InvalidRecipient) => Ok(R::BadRequest("Invalid recipient JID".into())),
        Err(SendError::Blocked) => Ok(R::Forbidden("You have blocked this recipient".into())),
        Err(SendError::NotFederated(domain)) => {
            Ok(R::Forbidden(format!("This server does not federate with {domain}")))
        }
        Err(e) => Err(internal(e)),
    }
}

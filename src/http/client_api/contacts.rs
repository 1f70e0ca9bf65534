//! Contacts over REST (`/contacts`), on the same rosters XMPP clients use: every change
//! goes through the core's roster operations, so pushes and presence follow as they
//! would for an XMPP client.

use super::internal;
use crate::core::im::roster::{self, Ask, RosterError, Subscription, SubscriptionAction};
use crate::core::Core;
use jid::BareJid;
use meerkat_client_api as api;
use swagger::ApiError;

/// A contact JID as given in a path or body (any letter case), in canonical bare form.
fn parse_contact(given: &str) -> Option<BareJid> {
    crate::core::jid::parse_bare(given.trim()).ok()
}

fn subscription_model(s: Subscription) -> api::models::Subscription {
    match s {
        Subscription::None => api::models::Subscription::None,
        Subscription::To => api::models::Subscription::To,
        Subscription::From => api::models::Subscription::From,
        Subscription::Both => api::models::Subscription::Both,
    }
}

fn ask_model(ask: Ask) -> api::models::SubscriptionAsk {
    match ask {
        Ask::In => api::models::SubscriptionAsk::In,
        Ask::Out => api::models::SubscriptionAsk::Out,
        Ask::Both => api::models::SubscriptionAsk::Both,
        Ask::None => api::models::SubscriptionAsk::None,
    }
}

pub(super) async fn list(core: &Core, user: &BareJid) -> Result<api::ListContactsResponse, ApiError> {
    let contacts = roster::contacts(core, user)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|c| api::models::Contact::new(c.jid, subscription_model(c.subscription), ask_model(c.ask)))
        .collect();
    Ok(api::ListContactsResponse::ContactList(contacts))
}

pub(super) async fn add(
    core: &Core,
    user: &BareJid,
    new_contact: api::models::ContactRequest,
) -> Result<api::AddContactResponse, ApiError> {
    use api::AddContactResponse as R;
    let contact = match parse_contact(&new_contact.jid) {
        Some(c) if &c != user => c,
        _ => return Ok(R::BadRequest(format!("Invalid JID: {}", new_contact.jid))),
    };
    match roster::add_contact(core, user, &contact).await {
        Ok(()) => Ok(R::ContactAdded),
        Err(RosterError::NoSuchUser) => Ok(R::UserNotFound(format!("The user {contact} does not exist"))),
        Err(RosterError::Full(max)) => Ok(R::TheRosterIsFull(format!(
            "The roster is full (at most {max} contacts)"
        ))),
        Err(e) => Err(internal(e)),
    }
}

/// Removes `contact`; `Ok(false)` when it was not in the roster.
async fn remove(core: &Core, user: &BareJid, contact: &BareJid) -> Result<bool, ApiError> {
    match roster::remove_item(core, user, contact).await {
        Ok(()) => Ok(true),
        Err(RosterError::NotFound) => Ok(false),
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn delete(core: &Core, user: &BareJid, jid: &str) -> Result<api::DeleteContactResponse, ApiError> {
    use api::DeleteContactResponse as R;
    let Some(contact) = parse_contact(jid) else {
        return Ok(R::BadRequest(format!("Invalid JID: {jid}")));
    };
    if remove(core, user, &contact).await? {
        Ok(R::ContactRemoved)
    } else {
        Ok(R::ContactNotFound(format!(
            "Cannot remove {contact} contact that does not exist"
        )))
    }
}

pub(super) async fn delete_many(
    core: &Core,
    user: &BareJid,
    request: api::models::ContactsToDelete,
) -> Result<api::DeleteContactsResponse, ApiError> {
    let mut not_deleted = Vec::new();
    for given in request.to_delete {
        let removed = match parse_contact(&given) {
            Some(contact) => remove(core, user, &contact).await?,
            None => false,
        };
        if !removed {
            not_deleted.push(given);
        }
    }
    Ok(api::DeleteContactsResponse::ContactsRemoved(
        api::models::NotDeleted::new(not_deleted),
    ))
}

/// A single contact is not a resource of this API (MongooseIM behaves the same).
pub(super) async fn manage(
    core: &Core,
    user: &BareJid,
    jid: &str,
    action: api::models::ContactAction,
) -> Result<api::ManageContactResponse, ApiError> {
    use api::ManageContactResponse as R;
    let Some(contact) = parse_contact(jid) else {
        return Ok(R::BadRequest(format!("Invalid JID: {jid}")));
    };
    if !roster::is_contact(core, user, &contact).await.map_err(internal)? {
        return Ok(R::ContactNotFound("Given contact does not exist".into()));
    }
    let action = match action.action {
        api::models::ContactActionType::Invite => SubscriptionAction::Subscribe,
        api::models::ContactActionType::Accept => SubscriptionAction::Subscribed,
    };
    roster::outbound(core, user, &contact, action, None)
        .await
        .map_err(internal)?;
    Ok(R::ActionDone)
}

//! `/contacts/{user}`: a user's roster read and changed for them, through the core's
//! roster operations, so roster pushes and presence follow as for a client's own change.
//! `manage` links two users of this server both ways at once.

use super::{account_exists, internal, NoAccount};
use crate::core::im::roster::{self, Ask, RosterError, Subscription, SubscriptionAction};
use crate::core::Core;
use api::models::{ContactAsk, ContactSubscription, ContactsLinkAction, SubscriptionChangeAction};
use jid::BareJid;
use meerkat_admin_api as api;
use swagger::ApiError;

/// Why the path's user cannot be acted for: `400` or `404` with the text.
enum Refused {
    BadRequest(String),
    NotFound(String),
}

/// The user a path names: an existing account of this server.
async fn user(core: &Core, given: &str) -> Result<Result<BareJid, Refused>, ApiError> {
    let Ok(jid) = crate::core::jid::parse_account(given.trim()) else {
        return Ok(Err(Refused::BadRequest("Invalid user JID".into())));
    };
    exists(core, jid).await
}

async fn exists(core: &Core, jid: BareJid) -> Result<Result<BareJid, Refused>, ApiError> {
    Ok(match account_exists(core, &jid).await? {
        Ok(()) => Ok(jid),
        Err(NoAccount::Domain) => Err(Refused::NotFound("Domain not found".into())),
        Err(NoAccount::User) => Err(Refused::NotFound(format!("The user {jid} does not exist"))),
    })
}

fn contact_jid(given: &str) -> Result<BareJid, Refused> {
    crate::core::jid::parse_bare(given.trim())
        .ok()
        .filter(|j| j.node().is_some())
        .ok_or_else(|| Refused::BadRequest("Invalid contact JID".into()))
}

macro_rules! refuse {
    ($r:ident, $e:expr) => {
        match $e {
            Refused::BadRequest(t) => return Ok(api::$r::BadRequest(t)),
            Refused::NotFound(t) => return Ok(api::$r::NotFound(t)),
        }
    };
}

pub(super) async fn list(core: &Core, given: &str) -> Result<api::ListContactsResponse, ApiError> {
    let owner = match user(core, given).await? {
        Ok(jid) => jid,
        Err(e) => refuse!(ListContactsResponse, e),
    };
    let contacts = roster::contacts(core, &owner)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|c| {
            let subscription = match c.subscription {
                Subscription::None => ContactSubscription::None,
                Subscription::To => ContactSubscription::To,
                Subscription::From => ContactSubscription::From,
                Subscription::Both => ContactSubscription::Both,
            };
            let ask = match c.ask {
                Ask::None => ContactAsk::None,
                Ask::In => ContactAsk::In,
                Ask::Out => ContactAsk::Out,
                Ask::Both => ContactAsk::Both,
            };
            api::models::Contact::new(c.jid, subscription, ask)
        })
        .collect();
    Ok(api::ListContactsResponse::Contacts(contacts))
}

pub(super) async fn add(core: &Core, given: &str, contact: &str) -> Result<api::AddContactResponse, ApiError> {
    use api::AddContactResponse as R;
    let owner = match user(core, given).await? {
        Ok(jid) => jid,
        Err(e) => refuse!(AddContactResponse, e),
    };
    let Ok(contact) = crate::core::jid::parse_account(contact.trim()) else {
        return Ok(R::BadRequest("Invalid JID".into()));
    };
    let domain = contact.domain().as_str().to_owned();
    if !core.accounts().serves(&domain) && core.s2s().is_some_and(|s| !s.allows(&domain)) {
        return Ok(R::Forbidden(format!("This server does not federate with {domain}")));
    }
    match roster::add_contact(core, &owner, &contact).await {
        Ok(()) => Ok(R::ContactAdded),
        Err(RosterError::NoSuchUser | RosterError::NotFound) => {
            Ok(R::NotFound(format!("The user {contact} does not exist")))
        }
        Err(RosterError::Full(max)) => Ok(R::Forbidden(format!("The roster is full (at most {max} contacts)"))),
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn change_subscription(
    core: &Core,
    given: &str,
    contact: &str,
    change: api::models::SubscriptionChange,
) -> Result<api::ChangeSubscriptionResponse, ApiError> {
    use api::ChangeSubscriptionResponse as R;
    let owner = match user(core, given).await? {
        Ok(jid) => jid,
        Err(e) => refuse!(ChangeSubscriptionResponse, e),
    };
    let contact = match contact_jid(contact) {
        Ok(jid) => jid,
        Err(e) => refuse!(ChangeSubscriptionResponse, e),
    };
    let domain = contact.domain().as_str().to_owned();
    if !core.accounts().serves(&domain) && core.s2s().is_none_or(|s| !s.allows(&domain)) {
        return Ok(R::Forbidden(format!("This server does not federate with {domain}")));
    }
    let action = match change.action {
        SubscriptionChangeAction::Invite | SubscriptionChangeAction::Subscribe => SubscriptionAction::Subscribe,
        SubscriptionChangeAction::Accept | SubscriptionChangeAction::Subscribed => SubscriptionAction::Subscribed,
    };
    roster::outbound(core, &owner, &contact, action, None)
        .await
        .map_err(internal)?;
    Ok(R::SubscriptionPresenceSent)
}

pub(super) async fn delete(core: &Core, given: &str, contact: &str) -> Result<api::DeleteContactResponse, ApiError> {
    use api::DeleteContactResponse as R;
    let owner = match user(core, given).await? {
        Ok(jid) => jid,
        Err(e) => refuse!(DeleteContactResponse, e),
    };
    let contact = match contact_jid(contact) {
        Ok(jid) => jid,
        Err(e) => refuse!(DeleteContactResponse, e),
    };
    match roster::remove_item(core, &owner, &contact).await {
        Ok(()) => Ok(R::ContactRemoved),
        Err(RosterError::NotFound) => Ok(R::NotFound(format!(
            "Cannot remove {contact} contact that does not exist"
        ))),
        Err(e) => Err(internal(e)),
    }
}

pub(super) async fn manage(
    core: &Core,
    given: &str,
    contact: &str,
    link: api::models::ContactsLink,
) -> Result<api::ManageContactsResponse, ApiError> {
    use api::ManageContactsResponse as R;
    let a = match user(core, given).await? {
        Ok(jid) => jid,
        Err(e) => refuse!(ManageContactsResponse, e),
    };
    let b = match contact_jid(contact) {
        Ok(jid) => jid,
        Err(e) => refuse!(ManageContactsResponse, e),
    };
    match link.action {
        ContactsLinkAction::Connect => {
            let b = match exists(core, b).await? {
                Ok(jid) => jid,
                Err(e) => refuse!(ManageContactsResponse, e),
            };
            // Each asks and the other accepts, as two clients would (RFC 6121 §3.1):
            // both end with a subscription both ways, and their sessions hear of it.
            for (from, to) in [(&a, &b), (&b, &a)] {
                match roster::add_contact(core, from, to).await {
                    Ok(()) => {}
                    Err(RosterError::Full(max)) => {
                        return Ok(R::Forbidden(format!(
                            "The roster of {from} is full (at most {max} contacts)"
                        )))
                    }
                    Err(e) => return Err(internal(e)),
                }
            }
            for (from, to) in [(&a, &b), (&b, &a)] {
                roster::outbound(core, from, to, SubscriptionAction::Subscribe, None)
                    .await
                    .map_err(internal)?;
                roster::outbound(core, to, from, SubscriptionAction::Subscribed, None)
                    .await
                    .map_err(internal)?;
            }
            Ok(R::Done)
        }
        ContactsLinkAction::Disconnect => {
            match roster::remove_item(core, &a, &b).await {
                Ok(()) => {}
                Err(RosterError::NotFound) => {
                    return Ok(R::NotFound(format!("Cannot remove {b} contact that does not exist")))
                }
                Err(e) => return Err(internal(e)),
            }
            match roster::remove_item(core, &b, &a).await {
                Ok(()) | Err(RosterError::NotFound) => Ok(R::Done),
                Err(e) => Err(internal(e)),
            }
        }
    }
}

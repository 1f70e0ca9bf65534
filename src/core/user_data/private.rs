//! Private XML storage (XEP-0049, `jabber:iq:private`): XML an account keeps for itself,
//! one document per namespace (legacy bookmarks, XEP-0048, live in `storage:bookmarks`).
//!
//! - Only the account itself may get or set (`forbidden` otherwise, §2.3).
//! - A set stores each namespace it carries (several elements of one namespace are kept
//!   together); a get names one namespace and gets back what is stored, or the empty
//!   element it sent. A query with no child is `not-acceptable`; a get naming more than
//!   one element is `bad-request`; an element without a namespace of its own
//!   (`jabber:iq:private`, `jabber:client`) is `not-acceptable`.
//! - Bounds: `max_size` bytes per namespace, `max_entries` namespaces per account
//!   (`not-acceptable` beyond either).
//!
//! An account's vCard and private XML are deleted with it (`DeleteUserDataOfRemovedAccount`).

use crate::core::account::lifecycle::{AccountEvent, Subscriber};
use crate::core::routing::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::routing::router::RouteError;
use crate::core::stanza::{ns, Condition, ErrorType, StanzaError};
use crate::core::untrusted::Untrusted;
use crate::core::Core;
use crate::store::{StoreError, UserDataKind};
use crate::xml::{parse_element, Element};
use async_trait::async_trait;

/// `[modules.mod_private]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateSettings {
    /// Largest document of one namespace, serialized, in bytes.
    pub max_size: usize,
    /// Namespaces one account may store.
    pub max_entries: usize,
}

impl Default for PrivateSettings {
    fn default() -> Self {
        PrivateSettings {
            max_size: 64 * 1024,
            max_entries: 100,
        }
    }
}

/// Namespaces that are not private data (XEP-0049 §2.3: refused as `not-acceptable`).
fn reserved(namespace: &str) -> bool {
    matches!(namespace, ns::PRIVATE | ns::CLIENT | "jabber:server" | "")
}

fn not_acceptable(text: impl Into<String>) -> StanzaError {
    StanzaError::new(Condition::NotAcceptable).with_text(text)
}

fn failed(e: StoreError) -> StanzaError {
    tracing::error!(error = %e, "private storage failed");
    StanzaError::new(Condition::InternalServerError)
}

/// The elements stored for one namespace, serialized one after another.
fn serialize(elements: &[&Element]) -> String {
    elements.iter().map(|e| e.to_xml(ns::PRIVATE)).collect()
}

/// Reads back what [`serialize`] wrote.
fn deserialize(text: &str) -> Option<Vec<Element>> {
    let query = parse_element(&format!("<query xmlns='{}'>{text}</query>", ns::PRIVATE)).ok()?;
    Some(query.elements().cloned().collect())
}

/// `<query xmlns='jabber:iq:private'/>` to the account's own bare JID.
pub(crate) struct PrivateIq;

#[async_trait]
impl IqHandler for PrivateIq {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        let Some(settings) = core.settings.private.as_ref() else {
            return Err(Condition::ServiceUnavailable.into());
        };
        if !request.for_own_account() {
            return Err(Condition::Forbidden.into());
        }
        let owner = request.to.to_bare();
        let children: Vec<&Element> = request.payload.elements().collect();
        if children.is_empty() {
            return Err(not_acceptable("Name the namespace of the private data"));
        }
        if let Some(r) = children.iter().find(|c| reserved(&c.ns)) {
            return Err(not_acceptable(format!(
                "{:?} is not a namespace for private data",
                r.ns
            )));
        }
        if request.is_get() {
            let [asked] = children.as_slice() else {
                return Err(StanzaError::with_type(ErrorType::Modify, Condition::BadRequest)
                    .with_text("Ask for one namespace at a time"));
            };
            let stored = core
                .stores
                .user_data
                .user_data(owner.as_str(), UserDataKind::Private, &asked.ns)
                .await
                .map_err(failed)?;
            let found = match stored.as_deref().map(deserialize) {
                None => vec![Element::new(asked.name.clone(), asked.ns.clone())],
                Some(Some(elements)) => elements,
                Some(None) => {
                    tracing::error!(%owner, namespace = %Untrusted(&asked.ns), "unreadable private data");
                    vec![Element::new(asked.name.clone(), asked.ns.clone())]
                }
            };
            let mut query = Element::new("query", ns::PRIVATE);
            for e in found {
                query = query.with_child(e);
            }
            return Ok(Some(query));
        }
        // Group the elements by namespace, checking everything before writing anything.
        let mut by_ns: Vec<(&str, Vec<&Element>)> = Vec::new();
        for c in &children {
            match by_ns.iter_mut().find(|(n, _)| *n == c.ns) {
                Some((_, list)) => list.push(c),
                None => by_ns.push((&c.ns, vec![c])),
            }
        }
        let mut documents = Vec::new();
        for (namespace, elements) in by_ns {
            let text = serialize(&elements);
            if text.len() > settings.max_size {
                return Err(not_acceptable(format!(
                    "Private data of one namespace may take at most {} bytes",
                    settings.max_size
                )));
            }
            if deserialize(&text).as_ref().map(|v| v.iter().collect::<Vec<_>>()) != Some(elements) {
                return Err(StanzaError::with_type(ErrorType::Modify, Condition::BadRequest));
            }
            documents.push((namespace, text));
        }
        for (namespace, text) in documents {
            match core
                .stores
                .user_data
                .put_user_data(
                    owner.as_str(),
                    UserDataKind::Private,
                    namespace,
                    &text,
                    settings.max_entries,
                )
                .await
            {
                Ok(()) => {}
                Err(StoreError::LimitReached) => {
                    return Err(not_acceptable(format!(
                        "An account may keep private data of at most {} namespaces",
                        settings.max_entries
                    )))
                }
                Err(e) => return Err(failed(e)),
            }
        }
        Ok(None)
    }
}

/// Deletes a removed account's vCard and private XML.
pub(crate) struct DeleteUserDataOfRemovedAccount;

#[async_trait]
impl Subscriber for DeleteUserDataOfRemovedAccount {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        if let AccountEvent::Removed(removed) = event {
            core.stores.user_data.delete_user_data(removed.as_str()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::xml;

    #[test]
    fn stored_elements_read_back_as_they_were() {
        let a = xml("<storage xmlns='storage:bookmarks'><conference jid='tea@muc' autojoin='true'><nick>al</nick></conference></storage>");
        let b = xml("<storage xmlns='storage:bookmarks'/>");
        let text = serialize(&[&a, &b]);
        assert_eq!(deserialize(&text).unwrap(), vec![a, b]);
        assert!(reserved(ns::PRIVATE) && reserved(ns::CLIENT) && !reserved("storage:bookmarks"));
    }
}

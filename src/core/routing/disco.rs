//! Service discovery items (XEP-0030 disco#items). disco#info is answered by every
//! [`super::iq::IqTable`] from its own handlers; items depend on the entity.

use super::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::stanza::{ns, Condition};
use crate::core::Core;
use crate::xml::Element;
use async_trait::async_trait;

fn items_query(request: &IqRequest<'_>) -> Element {
    let mut query = Element::new("query", ns::DISCO_ITEMS);
    if let Some(node) = request.payload.attr("node") {
        query.set_attr("node", node);
    }
    query
}

/// An entity with no items (an account's bare JID).
pub(crate) struct NoItems;

#[async_trait]
impl IqHandler for NoItems {
    async fn handle(&self, _: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        Ok(Some(items_query(&request)))
    }
}

/// The server domain: its items are the component services registered for it, so a new
/// service is listed without touching this code.
pub(crate) struct ServerItems;

#[async_trait]
impl IqHandler for ServerItems {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        let mut query = items_query(&request);
        if request.payload.attr("node").is_none() {
            for domain in core.router.components_of(request.to.domain().as_str()) {
                query = query.with_child(Element::new("item", ns::DISCO_ITEMS).with_attr("jid", domain));
            }
        }
        Ok(Some(query))
    }
}

//! IQs every XMPP server answers: XEP-0199 ping, XEP-0092 software version, and the
//! RFC 3921 session request, which needs no action (RFC 6121 keeps it optional).

use super::iq::{IqAnswer, IqHandler, IqRequest};
use crate::core::stanza::{ns, Condition};
use crate::core::Core;
use crate::xml::Element;
use async_trait::async_trait;

pub(crate) struct Ping;

#[async_trait]
impl IqHandler for Ping {
    async fn handle(&self, _: &Core, request: IqRequest<'_>) -> IqAnswer {
        match request.is_get() {
            true => Ok(None),
            false => Err(Condition::FeatureNotImplemented.into()),
        }
    }
}

pub(crate) struct Version;

#[async_trait]
impl IqHandler for Version {
    async fn handle(&self, _: &Core, request: IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        Ok(Some(
            Element::new("query", ns::VERSION)
                .with_child(Element::new("name", ns::VERSION).with_text("meerkat"))
                .with_child(Element::new("version", ns::VERSION).with_text(env!("CARGO_PKG_VERSION"))),
        ))
    }
}

pub(crate) struct LegacySession;

#[async_trait]
impl IqHandler for LegacySession {
    async fn handle(&self, _: &Core, request: IqRequest<'_>) -> IqAnswer {
        match request.is_get() {
            false => Ok(None),
            true => Err(Condition::FeatureNotImplemented.into()),
        }
    }
}

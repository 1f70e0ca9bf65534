//! Routing by destination domain (RFC 6120 §10): the router finds the service that owns
//! the domain of a stanza's `to` and hands the stanza to it; what happens next is that
//! service's business. The account domains are one service ([`super::delivery`]);
//! a component (MUC Light on `muclight.<host>`, later upload or pubsub) is another,
//! registered with [`Router::register`] — no delivery rule changes for it.
//!
//! The router itself only refuses what no service could take: a `to` that is not a JID
//! (`jid-malformed`), an IQ without a valid `type` (`bad-request`), and a domain nobody
//! here serves (`remote-server-not-found`; there is no server-to-server yet).
//!
//! Each stanza a service accepts is counted by kind (`meerkat_routed_stanzas_total`):
//! the one place every stanza passes, whatever door or service sent it.

use super::metrics::StanzaKind;
use super::stanza::{Condition, ErrorType, IqType, StanzaError};
use super::Core;
use crate::store::StoreError;
use crate::xml::Element;
use async_trait::async_trait;
use jid::Jid;
use std::collections::HashMap;
use std::sync::Arc;

/// A stanza on its way to a service, with its addresses parsed.
#[derive(Debug, Clone)]
pub(crate) struct Routed {
    /// Who sent it (a session's full JID, a REST user's bare JID, a service's JID).
    pub from: Jid,
    /// Where it goes; the sender's bare JID when the stanza had no `to`.
    pub to: Jid,
    pub stanza: Element,
}

/// Why a stanza was not accepted. Delivery problems the sender should hear of travel back
/// as stanza errors instead; this is for failures that leave the stanza unhandled.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A service owning one or more domains.
#[async_trait]
pub(crate) trait Service: Send + Sync {
    /// Takes a stanza addressed to one of the service's domains or a JID in it.
    async fn handle(&self, core: &Core, stanza: Routed) -> Result<(), RouteError>;
}

/// Domain → the service that owns it.
#[derive(Default)]
pub(crate) struct Router {
    services: HashMap<String, Arc<dyn Service>>,
    /// Component domain → the served host it belongs to (listed in that host's
    /// disco#items), if any.
    components: HashMap<String, Option<String>>,
}

impl Router {
    /// Makes `service` the owner of `domain` (prepped). The last registration wins.
    pub fn register(&mut self, domain: &str, service: Arc<dyn Service>) {
        self.services.insert(domain.to_owned(), service);
    }

    /// Registers a component service on `domain`, belonging to the served `host`
    /// (`None`: to no host in particular).
    pub fn register_component(&mut self, domain: &str, host: Option<&str>, service: Arc<dyn Service>) {
        self.register(domain, service);
        self.components.insert(domain.to_owned(), host.map(str::to_owned));
    }

    /// The component domains a server `host` lists as its items, sorted.
    pub fn components_of(&self, host: &str) -> Vec<&str> {
        let mut d: Vec<&str> = self
            .components
            .iter()
            .filter(|(_, h)| h.as_deref().is_none_or(|h| h == host))
            .map(|(d, _)| d.as_str())
            .collect();
        d.sort_unstable();
        d
    }

    pub fn serves(&self, domain: &str) -> bool {
        self.services.contains_key(domain)
    }

    pub async fn route(&self, core: &Core, from: Jid, mut stanza: Element) -> Result<(), RouteError> {
        let to = match stanza.attr("to") {
            None => Jid::from(from.to_bare()),
            Some(t) => match super::jid::parse(t) {
                Ok(j) => {
                    // The recipient sees the address it is known by (`Bob@LocalHost.` is
                    // delivered as `bob@localhost`).
                    if j.as_str() != t {
                        stanza.set_attr("to", j.to_string());
                    }
                    j
                }
                Err(_) => {
                    let error = StanzaError::with_type(ErrorType::Modify, Condition::JidMalformed);
                    core.bounce(&Jid::from(from.to_bare()), &stanza, error).await;
                    return Ok(());
                }
            },
        };
        if stanza.name == "iq" && IqType::of(&stanza).is_none() {
            core.bounce(&to, &stanza, StanzaError::new(Condition::BadRequest)).await;
            return Ok(());
        }
        match self.services.get(to.domain().as_str()) {
            Some(service) => {
                let kind = StanzaKind::of(&stanza.name);
                service.handle(core, Routed { from, to, stanza }).await?;
                if let Some(kind) = kind {
                    core.metrics.routed(kind);
                }
                Ok(())
            }
            None => {
                core.bounce(&to, &stanza, StanzaError::new(Condition::RemoteServerNotFound))
                    .await;
                Ok(())
            }
        }
    }
}

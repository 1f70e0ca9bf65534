//! Routing by destination domain (RFC 6120 §10): the router finds the service that owns
//! the domain of a stanza's `to` and hands the stanza to it; what happens next is that
//! service's business. The account domains are one service ([`super::delivery`]);
//! a component (MUC Light on `muclight.<host>`, later upload or pubsub) is another,
//! registered with [`Router::register`] — no delivery rule changes for it.
//!
//! Those are registered once, when the core is built. An external component (XEP-0114)
//! owns its domain only while it is connected: [`Router::attach`] and [`Router::detach`]
//! change a second table at runtime, behind a lock that routing reads only when the
//! static table has no owner for a domain (a remote domain, or an attached one).
//!
//! A domain nobody here serves goes to the remote service ([`Router::set_remote`]:
//! federation, `crate::core::s2s`), or, without one, is answered
//! `remote-server-not-found`. Besides that the router only refuses what no service could
//! take: a `to` that is not a JID (`jid-malformed`) and an IQ without a valid `type`
//! (`bad-request`).
//!
//! Each stanza a service accepts is counted by kind (`meerkat_routed_stanzas_total`):
//! the one place every stanza passes, whatever door or service sent it.

use super::pipeline::Turn;
use crate::core::metrics::StanzaKind;
use crate::core::session::Kick;
use crate::core::stanza::{Condition, ErrorType, IqType, StanzaError};
use crate::core::Core;
use crate::store::StoreError;
use crate::xml::{Element, SharedElement};
use async_trait::async_trait;
use jid::Jid;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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

    /// Takes a stanza that has a place in its sender's order ([`super::pipeline`]). A
    /// service that knows no better acts only once the stanzas before it are done.
    async fn handle_in_turn(&self, core: &Core, stanza: Routed, turn: &mut Turn) -> Result<(), RouteError> {
        turn.in_order().await;
        self.handle(core, stanza).await
    }

    /// A service attached at runtime no longer owns its domain because of `why` (another
    /// connection took it over, or the server is shutting down): it should end.
    /// Services registered at start-up are never told this.
    fn displaced(&self, _why: Kick) {}

    /// Takes `to`'s copy of a stanza shared by many recipients. A service that knows no
    /// better makes it an element of its own.
    async fn handle_copy(
        &self,
        core: &Core,
        from: Jid,
        to: Jid,
        shared: &Arc<SharedElement>,
    ) -> Result<(), RouteError> {
        let stanza = shared.with_to(to.as_str());
        self.handle(core, Routed { from, to, stanza }).await
    }
}

/// A service attached at runtime ([`Router::attach`]).
#[derive(Clone)]
struct Attached {
    service: Arc<dyn Service>,
    /// Left out of the servers' disco#items.
    hidden: bool,
    /// The node of a cluster the service is attached to, when not this one.
    node: Option<String>,
}

/// Why a domain cannot be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AttachError {
    /// One of the served hosts, or the domain of a service registered at start-up.
    #[error("the domain is served by this server itself")]
    Served,
    /// Attached already, and the newcomer may not take it over.
    #[error("the domain is already attached")]
    Taken,
}

/// What to do when a domain is attached already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnConflict {
    /// Refuse the newcomer.
    Refuse,
    /// Displace the attached service ([`Kick::Conflict`]) and take the domain.
    Replace,
}

/// A domain served from some point at run time on (a domain added through the admin
/// API, and its services' subdomains), until it is removed.
#[derive(Clone)]
struct Added {
    service: Arc<dyn Service>,
    /// The served host a component domain belongs to.
    host: Option<String>,
    partitioned: bool,
}

/// Domain → the service that owns it.
#[derive(Default)]
pub(crate) struct Router {
    services: HashMap<String, Arc<dyn Service>>,
    /// Component domain → the served host it belongs to (listed in that host's
    /// disco#items), if any.
    components: HashMap<String, Option<String>>,
    /// Domains owned at runtime (external components while they are connected).
    attached: RwLock<HashMap<String, Attached>>,
    /// Domains served from some point at run time on ([`Router::add`]).
    added: RwLock<HashMap<String, Added>>,
    /// Domains whose entities (rooms) live on one node of a cluster each
    /// ([`crate::core::cluster`]): a stanza to one of them goes to the node hosting it.
    partitioned: std::collections::HashSet<String>,
    /// The owner of every other domain (federation), if any.
    remote: Option<Arc<dyn Service>>,
}

impl Router {
    /// Makes `service` the owner of `domain` (prepped). The last registration wins.
    pub fn register(&mut self, domain: &str, service: Arc<dyn Service>) {
        self.services.insert(domain.to_owned(), service);
    }

    /// Makes `service` the owner of every domain no other service owns: other servers'.
    pub fn set_remote(&mut self, service: Arc<dyn Service>) {
        self.remote = Some(service);
    }

    /// Like [`Router::register_component`], for a service whose entities each live on
    /// one node of a cluster.
    pub fn register_partitioned(&mut self, domain: &str, host: Option<&str>, service: Arc<dyn Service>) {
        self.register_component(domain, host, service);
        self.partitioned.insert(domain.to_owned());
    }

    /// Registers a component service on `domain`, belonging to the served `host`
    /// (`None`: to no host in particular).
    pub fn register_component(&mut self, domain: &str, host: Option<&str>, service: Arc<dyn Service>) {
        self.register(domain, service);
        self.components.insert(domain.to_owned(), host.map(str::to_owned));
    }

    /// Makes `service` the owner of `domain` from now on (a domain added at run time, or
    /// one of its services' subdomains, belonging to `host`), until [`Router::remove`].
    /// A domain registered at start-up stays with its service.
    pub fn add(&self, domain: &str, host: Option<&str>, service: Arc<dyn Service>, partitioned: bool) {
        if self.services.contains_key(domain) {
            return;
        }
        let added = Added {
            service,
            host: host.map(str::to_owned),
            partitioned,
        };
        self.added_table_mut().insert(domain.to_owned(), added);
    }

    /// Gives up `domain` added at run time.
    pub fn remove(&self, domain: &str) {
        self.added_table_mut().remove(domain);
    }

    fn added_table(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Added>> {
        // The table is consistent after every write, even one that panicked midway.
        self.added.read().unwrap_or_else(|p| p.into_inner())
    }

    fn added_table_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Added>> {
        self.added.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The component domains a server `host` lists as its items, sorted: those
    /// registered for it or for no host in particular, and the attached ones that are not
    /// hidden and are a subdomain of `host` or of no served host at all.
    pub fn components_of(&self, host: &str) -> Vec<String> {
        let mut d: Vec<String> = self
            .components
            .iter()
            .filter(|(_, h)| h.as_deref().is_none_or(|h| h == host))
            .map(|(d, _)| d.clone())
            .collect();
        d.extend(
            self.added_table()
                .iter()
                .filter(|(_, a)| a.host.as_deref() == Some(host))
                .map(|(domain, _)| domain.clone()),
        );
        let belongs = |domain: &str, host: &str| domain.strip_suffix(host).is_some_and(|sub| sub.ends_with('.'));
        for (domain, a) in self.attached_table().iter() {
            if a.hidden {
                continue;
            }
            let parent_served = self
                .services
                .keys()
                .any(|h| !self.components.contains_key(h) && belongs(domain, h));
            if belongs(domain, host) || !parent_served {
                d.push(domain.clone());
            }
        }
        d.sort_unstable();
        d
    }

    /// Whether `domain` was registered at start-up (a served host or a service's domain).
    pub fn is_registered(&self, domain: &str) -> bool {
        self.services.contains_key(domain) || self.added_table().contains_key(domain)
    }

    /// Whether some service here owns `domain` now (registered or attached).
    pub fn serves(&self, domain: &str) -> bool {
        self.is_registered(domain) || self.attached_table().contains_key(domain)
    }

    fn attached_table(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Attached>> {
        // The table is consistent after every write, even one that panicked midway.
        self.attached.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `service` the owner of `domain` (prepped) until [`Router::detach`]. A domain
    /// registered at start-up is never taken; an attached one is refused or displaced
    /// as `on_conflict` says.
    pub fn attach(
        &self,
        domain: &str,
        service: Arc<dyn Service>,
        hidden: bool,
        on_conflict: OnConflict,
    ) -> Result<(), AttachError> {
        if self.is_registered(domain) {
            return Err(AttachError::Served);
        }
        let attached = Attached {
            service,
            hidden,
            node: None,
        };
        let displaced = {
            let mut table = self.attached.write().unwrap_or_else(|p| p.into_inner());
            match table.get(domain) {
                Some(_) if on_conflict == OnConflict::Refuse => return Err(AttachError::Taken),
                _ => table.insert(domain.to_owned(), attached),
            }
        };
        if let Some(old) = displaced {
            old.service.displaced(Kick::Conflict);
        }
        Ok(())
    }

    /// Gives `domain` up, if `service` still owns it: a service that was displaced
    /// cannot detach its successor.
    pub fn detach(&self, domain: &str, service: &Arc<dyn Service>) {
        let mut table = self.attached.write().unwrap_or_else(|p| p.into_inner());
        if table.get(domain).is_some_and(|a| Arc::ptr_eq(&a.service, service)) {
            table.remove(domain);
        }
    }

    /// Makes `service`, which forwards to the cluster's node `node`, the owner of
    /// `domain`, unless a service attached here owns it.
    pub fn attach_remote(&self, domain: &str, node: &str, service: Arc<dyn Service>, hidden: bool) {
        if self.is_registered(domain) {
            return;
        }
        let mut table = self.attached.write().unwrap_or_else(|p| p.into_inner());
        if table.get(domain).is_some_and(|a| a.node.is_none()) {
            tracing::warn!(
                domain,
                node,
                "a component is attached here and on another node; kept ours"
            );
            return;
        }
        table.insert(
            domain.to_owned(),
            Attached {
                service,
                hidden,
                node: Some(node.to_owned()),
            },
        );
    }

    /// Gives up `domain` if the node `node` owned it; every domain of `node` for `None`.
    pub fn detach_remote(&self, domain: Option<&str>, node: &str) {
        let mut table = self.attached.write().unwrap_or_else(|p| p.into_inner());
        table.retain(|d, a| a.node.as_deref() != Some(node) || domain.is_some_and(|domain| domain != d));
    }

    /// The domains attached here (not on other nodes), and whether each is hidden.
    pub fn attached_here(&self) -> Vec<(String, bool)> {
        self.attached_table()
            .iter()
            .filter(|(_, a)| a.node.is_none())
            .map(|(d, a)| (d.clone(), a.hidden))
            .collect()
    }

    /// Tells every attached service it is displaced by `why` (shutdown).
    pub fn displace_all(&self, why: Kick) {
        let services: Vec<Attached> = self
            .attached_table()
            .values()
            .filter(|a| a.node.is_none())
            .cloned()
            .collect();
        for a in services {
            a.service.displaced(why);
        }
    }

    /// The attached owner of `domain`, asked only when the static table has none.
    fn attached_owner(&self, domain: &str) -> Option<Arc<dyn Service>> {
        self.attached_table().get(domain).map(|a| a.service.clone())
    }

    pub async fn route(&self, core: &Core, from: Jid, stanza: Element) -> Result<(), RouteError> {
        self.route_in_turn(core, from, stanza, &mut Turn::alone()).await
    }

    /// [`Router::route`] for a stanza another node sent here because this node hosts
    /// its destination: it is not sent on again.
    pub async fn route_here(&self, core: &Core, from: Jid, stanza: Element) -> Result<(), RouteError> {
        self.dispatch(core, from, stanza, &mut Turn::alone(), false).await
    }

    /// [`Router::route`] for a stanza with a place in its sender's order.
    pub async fn route_in_turn(
        &self,
        core: &Core,
        from: Jid,
        stanza: Element,
        turn: &mut Turn,
    ) -> Result<(), RouteError> {
        self.dispatch(core, from, stanza, turn, true).await
    }

    /// The service owning `domain`, and whether its entities live on one node each. The
    /// static table is read without a lock; the guard on the others is released before
    /// the service runs.
    fn owner_of(&self, domain: &str) -> Option<(Arc<dyn Service>, bool)> {
        if let Some(service) = self.services.get(domain) {
            return Some((Arc::clone(service), self.partitioned.contains(domain)));
        }
        let added = self.added_table().get(domain).cloned();
        match added {
            Some(a) => Some((a.service, a.partitioned)),
            None => self.attached_owner(domain).map(|service| (service, false)),
        }
    }

    /// Routes the copy of `shared` for `to` ([`Service::handle_copy`]); a copy for a
    /// partitioned domain, another server or nobody is made an element of its own and
    /// routed as any stanza.
    pub async fn route_copy(
        &self,
        core: &Core,
        from: Jid,
        to: Jid,
        shared: &Arc<SharedElement>,
    ) -> Result<(), RouteError> {
        match self.owner_of(to.domain().as_str()) {
            Some((service, partitioned)) if !(partitioned && to.node().is_some()) => {
                let kind = StanzaKind::of(&shared.element().name);
                service.handle_copy(core, from, to, shared).await?;
                if let Some(kind) = kind {
                    core.metrics.routed(kind);
                }
                Ok(())
            }
            _ => {
                let stanza = shared.with_to(to.as_str());
                self.route(core, from, stanza).await
            }
        }
    }

    async fn dispatch(
        &self,
        core: &Core,
        from: Jid,
        mut stanza: Element,
        turn: &mut Turn,
        forward: bool,
    ) -> Result<(), RouteError> {
        let to = match stanza.attr("to") {
            None => Jid::from(from.to_bare()),
            Some(t) => match crate::core::jid::parse(t) {
                Ok(j) => {
                    // The recipient sees the address it is known by (`Bob@LocalHost.` is
                    // delivered as `bob@localhost`).
                    if j.as_str() != t {
                        stanza.set_attr("to", j.to_string());
                    }
                    j
                }
                Err(_) => {
                    turn.in_order().await;
                    let error = StanzaError::with_type(ErrorType::Modify, Condition::JidMalformed);
                    core.bounce(&Jid::from(from.to_bare()), &stanza, error).await;
                    return Ok(());
                }
            },
        };
        if stanza.name == "iq" && IqType::of(&stanza).is_none() {
            turn.in_order().await;
            core.bounce(&to, &stanza, StanzaError::new(Condition::BadRequest)).await;
            return Ok(());
        }
        let (owner, partitioned) = match self.owner_of(to.domain().as_str()) {
            Some((service, partitioned)) => (Some(service), partitioned),
            None => (None, false),
        };
        match owner {
            Some(service) if forward && to.node().is_some() && partitioned => {
                let kind = StanzaKind::of(&stanza.name);
                match core.host_of(&to.to_bare()) {
                    // Counted by the node hosting the room.
                    Some((cluster, node)) => {
                        turn.in_order().await;
                        cluster.route_to(&node, &from, &stanza);
                    }
                    None => {
                        service.handle_in_turn(core, Routed { from, to, stanza }, turn).await?;
                        if let Some(kind) = kind {
                            core.metrics.routed(kind);
                        }
                    }
                }
                Ok(())
            }
            Some(service) => {
                let kind = StanzaKind::of(&stanza.name);
                service.handle_in_turn(core, Routed { from, to, stanza }, turn).await?;
                if let Some(kind) = kind {
                    core.metrics.routed(kind);
                }
                Ok(())
            }
            None => match &self.remote {
                Some(remote) => {
                    let kind = StanzaKind::of(&stanza.name);
                    remote.handle_in_turn(core, Routed { from, to, stanza }, turn).await?;
                    if let Some(kind) = kind {
                        core.metrics.routed(kind);
                    }
                    Ok(())
                }
                None => {
                    turn.in_order().await;
                    core.bounce(&to, &stanza, StanzaError::new(Condition::RemoteServerNotFound))
                        .await;
                    Ok(())
                }
            },
        }
    }
}

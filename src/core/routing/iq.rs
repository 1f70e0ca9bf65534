//! IQ handler tables (RFC 6120 §8.2.3, §10.3.3). Each addressable entity a service
//! answers for (the server domain, an account's bare JID, a room…) has one table keyed
//! by the payload's (namespace, element name). The table answers disco#info itself, from
//! its identity and the features its handlers list (XEP-0030), so what is advertised is
//! exactly what is handled. An entity may have several identities (an account is also a
//! PEP service) and list features beyond its handlers' namespaces; disco#info about one
//! of its `node`s goes to a handler of its own when the table has one.
//!
//! Dispatch rules: a request without exactly one payload element is a `bad-request`; a
//! payload with a handler goes to it; one in a namespace the table knows, under another
//! element name, is `feature-not-implemented`; anything else `service-unavailable`.

use crate::core::stanza::{error_reply, iq_result, ns, Condition, IqType, StanzaError};
use crate::core::Core;
use crate::xml::Element;
use async_trait::async_trait;
use jid::Jid;
use std::sync::Arc;

/// One IQ request, as a handler sees it.
pub(crate) struct IqRequest<'a> {
    /// The requester.
    pub from: &'a Jid,
    /// The entity addressed (the sender's bare JID when the IQ had no `to`).
    pub to: &'a Jid,
    pub kind: IqType,
    /// The `<iq/>`'s `id`; what the request causes (a room notification) carries it too.
    pub id: Option<&'a str>,
    /// The `<iq/>`'s one child element.
    pub payload: &'a Element,
}

impl IqRequest<'_> {
    /// Whether the request concerns the requester's own account (a roster get, a MAM
    /// query on the user's own archive).
    pub fn for_own_account(&self) -> bool {
        self.to.node().is_some() && self.to.to_bare() == self.from.to_bare()
    }

    pub fn is_get(&self) -> bool {
        self.kind == IqType::Get
    }
}

/// The payload of the result, or the error.
pub(crate) type IqAnswer = Result<Option<Element>, StanzaError>;

#[async_trait]
pub(crate) trait IqHandler: Send + Sync {
    async fn handle(&self, core: &Core, request: IqRequest<'_>) -> IqAnswer;
}

/// A XEP-0030 identity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Identity {
    pub category: &'static str,
    pub kind: &'static str,
    pub name: Option<&'static str>,
}

struct Entry {
    ns: &'static str,
    name: &'static str,
    handler: Arc<dyn IqHandler>,
}

/// The IQ handlers of one addressable entity.
pub(crate) struct IqTable {
    identities: Vec<Identity>,
    entries: Vec<Entry>,
    features: Vec<&'static str>,
    /// XEP-0128 data forms appended to disco#info (a service's limits).
    info_forms: Vec<Element>,
    /// Answers disco#info about a `node` of the entity (PEP nodes), when set.
    node_info: Option<Arc<dyn IqHandler>>,
}

impl IqTable {
    /// A table answering disco#info (listed); handlers are added with [`IqTable::with`].
    pub fn new(identity: Identity) -> Self {
        IqTable {
            identities: vec![identity],
            entries: Vec::new(),
            features: vec![ns::DISCO_INFO],
            info_forms: Vec::new(),
            node_info: None,
        }
    }

    /// Adds a XEP-0128 extended information form (`<x xmlns='jabber:x:data'
    /// type='result'/>`) to disco#info.
    pub fn with_info_form(mut self, form: Element) -> Self {
        self.info_forms.push(form);
        self
    }

    /// Hands disco#info requests naming a `node` to `handler` (XEP-0030 §3.2); without
    /// one, the table answers them as for the entity itself.
    pub fn with_node_info(mut self, handler: impl IqHandler + 'static) -> Self {
        self.node_info = Some(Arc::new(handler));
        self
    }

    /// Adds an identity the entity also has (an account is also a PEP service).
    pub fn also(mut self, identity: Identity) -> Self {
        self.identities.push(identity);
        self
    }

    /// Lists features a handler implements beyond its namespace (XEP-0060's
    /// `pubsub#publish`…).
    pub fn with_features(mut self, features: &[&'static str]) -> Self {
        for f in features {
            if !self.features.contains(f) {
                self.features.push(f);
            }
        }
        self
    }

    /// Adds a handler and lists its namespace among the features.
    pub fn with(mut self, ns: &'static str, name: &'static str, handler: impl IqHandler + 'static) -> Self {
        if !self.features.contains(&ns) {
            self.features.push(ns);
        }
        self.unlisted(ns, name, handler)
    }

    /// Adds (or replaces) a handler without advertising it.
    pub fn unlisted(mut self, ns: &'static str, name: &'static str, handler: impl IqHandler + 'static) -> Self {
        self.entries.retain(|e| !(e.ns == ns && e.name == name));
        self.entries.push(Entry {
            ns,
            name,
            handler: Arc::new(handler),
        });
        self
    }

    /// Answers the IQ request `stanza` from `from` to `to`; returns the reply.
    pub async fn dispatch(&self, core: &Core, from: &Jid, to: &Jid, stanza: &Element) -> Element {
        let Some(kind) = IqType::of(stanza).filter(|k| k.is_request()) else {
            return error_reply(stanza, Condition::BadRequest);
        };
        let mut payloads = stanza.elements();
        let (Some(payload), None) = (payloads.next(), payloads.next()) else {
            return error_reply(stanza, Condition::BadRequest);
        };
        let request = IqRequest {
            from,
            to,
            kind,
            id: stanza.attr("id"),
            payload,
        };
        let answer = if payload.is("query", ns::DISCO_INFO) {
            match (&self.node_info, payload.attr("node")) {
                (Some(handler), Some(_)) if request.is_get() => handler.handle(core, request).await,
                _ => self.disco_info(&request),
            }
        } else if let Some(e) = self.entries.iter().find(|e| payload.is(e.name, e.ns)) {
            e.handler.handle(core, request).await
        } else if payload.ns == ns::DISCO_INFO || self.entries.iter().any(|e| e.ns == payload.ns) {
            // A namespace we know, used in a way we do not support (RFC 6120 §8.3.3.3).
            Err(Condition::FeatureNotImplemented.into())
        } else {
            Err(Condition::ServiceUnavailable.into())
        };
        match answer {
            Ok(payload) => iq_result(stanza, payload),
            Err(e) => error_reply(stanza, e),
        }
    }

    fn disco_info(&self, request: &IqRequest<'_>) -> IqAnswer {
        if !request.is_get() {
            return Err(Condition::FeatureNotImplemented.into());
        }
        let mut query = Element::new("query", ns::DISCO_INFO);
        if let Some(node) = request.payload.attr("node") {
            query.set_attr("node", node);
        }
        for id in &self.identities {
            let mut identity = Element::new("identity", ns::DISCO_INFO)
                .with_attr("category", id.category)
                .with_attr("type", id.kind);
            if let Some(name) = id.name {
                identity.set_attr("name", name);
            }
            query = query.with_child(identity);
        }
        for f in &self.features {
            query = query.with_child(Element::new("feature", ns::DISCO_INFO).with_attr("var", *f));
        }
        for form in &self.info_forms {
            query = query.with_child(form.clone());
        }
        Ok(Some(query))
    }
}

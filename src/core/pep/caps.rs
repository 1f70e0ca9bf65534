//! Entity capabilities (XEP-0115), as the PEP service needs them: which nodes a client's
//! resource wants notifications for (`<node>+notify` features, XEP-0163 §4.2).
//!
//! A client's presence carries `<c hash node ver/>`. The server asks that resource for
//! the disco#info behind it once per `ver` (from the server's domain, with the
//! `node#ver` node), rebuilds the verification string from the answer (§5.1, with the
//! well-formedness checks of §5.4) and keeps the result under the `ver` for every client
//! sending it only if the hash matches. A `ver` whose hash algorithm the server does not
//! implement is not checked and its answer serves only the resource that gave it; a
//! presence without `hash` (the legacy format) is not resolved. Until a resource's caps
//! are known, it gets no notifications; once they are, [`crate::core::pep`] sends it the last
//! items it missed.
//!
//! Bounds: at most `cache_size` `ver` strings are remembered (the oldest go first), and
//! as many answers of unverifiable algorithms; at most one query per resource is
//! outstanding, [`MAX_PENDING`] in all, each forgotten after [`QUERY_TIMEOUT`].

use crate::core::forms::Form;
use crate::core::routing::router::RouteError;
use crate::core::session::Session;
use crate::core::stanza::{ns, IqType};
use crate::core::untrusted::Untrusted;
use crate::core::Core;
use crate::xml::Element;
use base64::Engine;
use jid::{FullJid, Jid};
use sha2::Digest;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Queries awaiting an answer, across all resources.
pub(crate) const MAX_PENDING: usize = 10_000;
/// How long an unanswered query is remembered.
pub(crate) const QUERY_TIMEOUT: Duration = Duration::from_secs(30);
/// Resources waiting for the answer of another resource with the same `ver`.
const MAX_WAITING: usize = 100;

/// The nodes a resource wants notifications for.
pub(crate) type Interests = HashSet<String>;

/// What a presence says of its sender's capabilities.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CapsRef {
    pub hash: Option<String>,
    pub node: String,
    pub ver: String,
}

impl CapsRef {
    /// The `<c/>` of a presence, if it has one with a `node` and a `ver`.
    pub fn of(presence: &Element) -> Option<CapsRef> {
        let c = presence.child("c", ns::CAPS)?;
        Some(CapsRef {
            hash: c.attr("hash").map(str::to_owned),
            node: c.attr("node")?.to_owned(),
            ver: c.attr("ver").filter(|v| !v.is_empty())?.to_owned(),
        })
    }

    /// The algorithm, when the server can check it.
    fn checkable(&self) -> Option<&str> {
        self.hash.as_deref().filter(|h| digest(h, "").is_some())
    }
}

/// `text` hashed with the IANA-named `algorithm`, in base64; `None` for an algorithm the
/// server does not implement.
pub(crate) fn digest(algorithm: &str, text: &str) -> Option<String> {
    let bytes = match algorithm {
        "sha-1" => sha1::Sha1::digest(text.as_bytes()).to_vec(),
        "sha-256" => sha2::Sha256::digest(text.as_bytes()).to_vec(),
        "sha-512" => sha2::Sha512::digest(text.as_bytes()).to_vec(),
        _ => return None,
    };
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Why a disco#info answer cannot be checked against a `ver` (§5.4 step 3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum IllFormed {
    // Each variant: something listed twice.
    #[error("an identity is listed twice")]
    Identity,
    #[error("a feature is listed twice")]
    Feature,
    #[error("two forms have the same FORM_TYPE, or one FORM_TYPE has several values")]
    FormType,
}

/// The XEP-0115 §5.1 verification string of a disco#info `<query/>`.
pub(crate) fn verification_string(query: &Element) -> Result<String, IllFormed> {
    let mut identities = BTreeSet::new();
    for i in query.elements().filter(|e| e.is("identity", ns::DISCO_INFO)) {
        let text = format!(
            "{}/{}/{}/{}",
            i.attr("category").unwrap_or(""),
            i.attr("type").unwrap_or(""),
            i.attr("xml:lang").unwrap_or(""),
            i.attr("name").unwrap_or("")
        );
        if !identities.insert(text) {
            return Err(IllFormed::Identity);
        }
    }
    let mut features = BTreeSet::new();
    for f in query.elements().filter(|e| e.is("feature", ns::DISCO_INFO)) {
        if !features.insert(f.attr("var").unwrap_or("").to_owned()) {
            return Err(IllFormed::Feature);
        }
    }
    let mut forms = std::collections::BTreeMap::new();
    for form in query.elements().filter_map(Form::parse) {
        // A form without a hidden FORM_TYPE is ignored (§5.4 3.6).
        let Some(form_type) = form.field("FORM_TYPE").filter(|f| f.kind.as_deref() == Some("hidden")) else {
            continue;
        };
        let distinct: BTreeSet<&String> = form_type.values.iter().collect();
        if distinct.len() > 1 {
            return Err(IllFormed::FormType);
        }
        let name = form_type.value().to_owned();
        if forms.insert(name, form).is_some() {
            return Err(IllFormed::FormType);
        }
    }
    let mut s = String::new();
    for text in identities.iter().chain(features.iter()) {
        s.push_str(text);
        s.push('<');
    }
    for (form_type, form) in &forms {
        s.push_str(form_type);
        s.push('<');
        let mut fields: Vec<_> = form.data_fields().collect();
        fields.sort_by(|a, b| a.var.cmp(&b.var));
        for field in fields {
            s.push_str(&field.var);
            s.push('<');
            let mut values = field.values.clone();
            values.sort();
            for v in values {
                s.push_str(&v);
                s.push('<');
            }
        }
    }
    Ok(s)
}

/// The nodes named by `+notify` features of a disco#info `<query/>`.
pub(crate) fn interests(query: &Element) -> Interests {
    query
        .elements()
        .filter(|e| e.is("feature", ns::DISCO_INFO))
        .filter_map(|f| f.attr("var")?.strip_suffix("+notify"))
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A query sent and not yet answered.
struct Pending {
    jid: FullJid,
    caps: CapsRef,
    sent: Instant,
    /// Other resources sending the same checkable `ver`, served by this answer.
    waiting: Vec<FullJid>,
}

/// A bounded map that forgets its oldest entries first.
struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    limit: usize,
}

impl<K: std::hash::Hash + Eq + Clone, V> Bounded<K, V> {
    fn new(limit: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            limit: limit.max(1),
        }
    }

    fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }

    fn insert(&mut self, k: K, v: V) {
        if self.map.insert(k.clone(), v).is_none() {
            self.order.push_back(k);
        }
        while self.map.len() > self.limit {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
    }
}

struct State {
    /// (algorithm, ver) → interests, checked against the hash.
    verified: Bounded<(String, String), Arc<Interests>>,
    /// (resource, ver) → interests, for algorithms the server cannot check.
    unchecked: Bounded<(FullJid, String), Arc<Interests>>,
    /// IQ id → query.
    pending: HashMap<String, Pending>,
}

/// The capabilities cache and the queries in flight, owned by the [`Core`].
pub(crate) struct Caps {
    state: Mutex<State>,
}

/// What a query about to be sent asks.
struct Query {
    id: String,
    jid: FullJid,
    caps: CapsRef,
}

impl Caps {
    pub fn new(cache_size: usize) -> Self {
        Caps {
            state: Mutex::new(State {
                verified: Bounded::new(cache_size),
                unchecked: Bounded::new(cache_size),
                pending: HashMap::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Plain maps: consistent enough after a panic elsewhere.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The interests behind `caps` as sent by `jid`, once known.
    pub fn interests(&self, jid: &FullJid, caps: &CapsRef) -> Option<Arc<Interests>> {
        let state = self.state();
        match caps.checkable() {
            Some(algorithm) => state.verified.get(&(algorithm.to_owned(), caps.ver.clone())).cloned(),
            None => state.unchecked.get(&(jid.clone(), caps.ver.clone())).cloned(),
        }
    }

    /// Whether `session`'s current presence asks for notifications of `node`.
    pub fn wants(&self, session: &Session, node: &str) -> bool {
        session
            .last_presence()
            .and_then(|p| CapsRef::of(&p))
            .and_then(|caps| self.interests(&session.jid, &caps))
            .is_some_and(|i| i.contains(node))
    }

    /// Asks `jid` what `caps` stands for, unless that is known or being asked already.
    pub async fn resolve(&self, core: &Core, jid: &FullJid, caps: &CapsRef) -> Result<(), RouteError> {
        if caps.hash.is_none() || self.interests(jid, caps).is_some() {
            return Ok(());
        }
        let query = {
            let mut state = self.state();
            let now = Instant::now();
            state.pending.retain(|_, p| now.duration_since(p.sent) < QUERY_TIMEOUT);
            // One query per resource: a newer presence supersedes the older question.
            state.pending.retain(|_, p| &p.jid != jid);
            for p in state.pending.values_mut() {
                p.waiting.retain(|w| w != jid);
            }
            if caps.checkable().is_some() {
                if let Some(p) = state.pending.values_mut().find(|p| &p.caps == caps) {
                    if p.waiting.len() < MAX_WAITING {
                        p.waiting.push(jid.clone());
                    }
                    return Ok(());
                }
            }
            if state.pending.len() >= MAX_PENDING {
                tracing::warn!(%jid, "too many capability queries in flight; not asking");
                return Ok(());
            }
            let query = Query {
                id: format!("caps-{}", crate::core::hex(&rand::random::<[u8; 8]>())),
                jid: jid.clone(),
                caps: caps.clone(),
            };
            state.pending.insert(
                query.id.clone(),
                Pending {
                    jid: jid.clone(),
                    caps: caps.clone(),
                    sent: now,
                    waiting: Vec::new(),
                },
            );
            query
        };
        send_query(core, query).await
    }

    /// An IQ response addressed to a served domain: if it answers one of our queries,
    /// learns from it and tells the PEP service which resources are now known.
    pub async fn response(&self, core: &Core, from: &Jid, stanza: &Element) -> Result<(), RouteError> {
        let Some(id) = stanza.attr("id") else {
            return Ok(());
        };
        let pending = {
            let mut state = self.state();
            match state.pending.get(id) {
                // Only the resource asked may answer.
                Some(p) if from.try_as_full().ok() == Some(&p.jid) => state.pending.remove(id),
                _ => None,
            }
        };
        let Some(Pending {
            jid, caps, mut waiting, ..
        }) = pending
        else {
            return Ok(());
        };
        let query = stanza
            .child("query", ns::DISCO_INFO)
            .filter(|_| IqType::of(stanza) == Some(IqType::Result));
        let learned = query.and_then(|q| self.learn(&jid, &caps, q));
        match learned {
            Some(true) => {
                // Checked: it serves every resource sending this ver.
                super::caps_known(core, &jid).await?;
                for w in waiting {
                    super::caps_known(core, &w).await?;
                }
            }
            Some(false) => super::caps_known(core, &jid).await?,
            None => {
                // No usable answer: ask the next resource with the same ver (§5.4 3.9).
                if !waiting.is_empty() {
                    let next = waiting.remove(0);
                    self.resolve(core, &next, &caps).await?;
                    let mut state = self.state();
                    if let Some(p) = state.pending.values_mut().find(|p| p.jid == next) {
                        p.waiting.extend(waiting);
                    }
                }
            }
        }
        Ok(())
    }

    /// Keeps what `query` says of `caps`: `Some(true)` when checked and kept for the ver,
    /// `Some(false)` when kept for `jid` only, `None` when refused.
    fn learn(&self, jid: &FullJid, caps: &CapsRef, query: &Element) -> Option<bool> {
        let interests = Arc::new(interests(query));
        let mut state = self.state();
        match caps.checkable() {
            Some(algorithm) => {
                let s = match verification_string(query) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!(%jid, error = %e, "ill-formed capabilities");
                        return None;
                    }
                };
                if digest(algorithm, &s).as_deref() != Some(caps.ver.as_str()) {
                    tracing::debug!(%jid, ver = %Untrusted(&caps.ver), "capabilities do not match their hash");
                    return None;
                }
                state
                    .verified
                    .insert((algorithm.to_owned(), caps.ver.clone()), interests);
                Some(true)
            }
            None => {
                state.unchecked.insert((jid.clone(), caps.ver.clone()), interests);
                Some(false)
            }
        }
    }
}

async fn send_query(core: &Core, q: Query) -> Result<(), RouteError> {
    let server = jid::BareJid::from_parts(None, q.jid.domain());
    let iq = Element::new("iq", ns::CLIENT)
        .with_attr("type", "get")
        .with_attr("id", q.id)
        .with_attr("from", server.to_string())
        .with_attr("to", q.jid.to_string())
        .with_child(Element::new("query", ns::DISCO_INFO).with_attr("node", format!("{}#{}", q.caps.node, q.caps.ver)));
    core.route(Jid::from(server), iq).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::xml;

    /// XEP-0115 §5.2, the simple example.
    #[test]
    fn the_simple_example_of_the_xep_hashes_to_its_ver() {
        let query = xml("<query xmlns='http://jabber.org/protocol/disco#info'>\
             <identity category='client' name='Exodus 0.9.1' type='pc'/>\
             <feature var='http://jabber.org/protocol/caps'/>\
             <feature var='http://jabber.org/protocol/disco#info'/>\
             <feature var='http://jabber.org/protocol/disco#items'/>\
             <feature var='http://jabber.org/protocol/muc'/></query>");
        let s = verification_string(&query).unwrap();
        assert_eq!(
            s,
            "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<\
             http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<"
        );
        assert_eq!(digest("sha-1", &s).unwrap(), "QgayPKawpkPSDYmwT/WM94uAlu0=");
    }

    /// XEP-0115 §5.3, the complex example: languages, a form with several values.
    #[test]
    fn the_complex_example_of_the_xep_hashes_to_its_ver() {
        let query = xml("<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>\
             <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>\
             <identity xml:lang='el' category='client' name='\u{3a8} 0.11' type='pc'/>\
             <feature var='http://jabber.org/protocol/caps'/>\
             <feature var='http://jabber.org/protocol/disco#info'/>\
             <feature var='http://jabber.org/protocol/disco#items'/>\
             <feature var='http://jabber.org/protocol/muc'/>\
             <x xmlns='jabber:x:data' type='result'>\
               <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>\
               <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>\
               <field var='os'><value>Mac</value></field>\
               <field var='os_version'><value>10.5.1</value></field>\
               <field var='software'><value>Psi</value></field>\
               <field var='software_version'><value>0.11</value></field>\
             </x></query>");
        let s = verification_string(&query).unwrap();
        assert_eq!(digest("sha-1", &s).unwrap(), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
    }

    #[test]
    fn ill_formed_answers_are_refused_and_forms_without_a_hidden_form_type_ignored() {
        let dup = xml("<query xmlns='http://jabber.org/protocol/disco#info'>\
             <feature var='a'/><feature var='a'/></query>");
        assert_eq!(verification_string(&dup), Err(IllFormed::Feature));
        let dup = xml("<query xmlns='http://jabber.org/protocol/disco#info'>\
             <identity category='client' type='pc'/><identity category='client' type='pc'/></query>");
        assert_eq!(verification_string(&dup), Err(IllFormed::Identity));
        let two_types = xml("<query xmlns='http://jabber.org/protocol/disco#info'>\
             <x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>a</value><value>b</value></field></x></query>");
        assert_eq!(verification_string(&two_types), Err(IllFormed::FormType));
        let plain = xml("<query xmlns='http://jabber.org/protocol/disco#info'><feature var='f'/>\
             <x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>a</value></field><field var='x'><value>1</value></field></x></query>");
        assert_eq!(verification_string(&plain).unwrap(), "f<");
    }

    #[test]
    fn notify_features_name_the_nodes_of_interest() {
        let query = xml("<query xmlns='http://jabber.org/protocol/disco#info'>\
             <feature var='urn:xmpp:avatar:metadata+notify'/><feature var='urn:xmpp:avatar:metadata'/>\
             <feature var='+notify'/><feature var='eu.siacs.conversations.axolotl.devicelist+notify'/></query>");
        let mut nodes: Vec<String> = interests(&query).into_iter().collect();
        nodes.sort();
        assert_eq!(
            nodes,
            ["eu.siacs.conversations.axolotl.devicelist", "urn:xmpp:avatar:metadata"]
        );
    }

    #[test]
    fn caps_are_read_from_presence_and_the_cache_forgets_its_oldest() {
        let p = xml("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v='/></presence>");
        let caps = CapsRef::of(&p).unwrap();
        assert_eq!((caps.hash.as_deref(), caps.ver.as_str()), (Some("sha-1"), "v="));
        assert!(CapsRef::of(&xml("<presence/>")).is_none());
        assert!(CapsRef::of(&xml(
            "<presence><c xmlns='http://jabber.org/protocol/caps' node='n' ver=''/></presence>"
        ))
        .is_none());
        assert_eq!(digest("md5", "x"), None);

        let mut b = Bounded::new(2);
        b.insert(1, "a");
        b.insert(2, "b");
        b.insert(1, "a2");
        b.insert(3, "c");
        assert_eq!((b.get(&1), b.get(&2), b.get(&3)), (None, Some(&"b"), Some(&"c")));
    }
}

//! The core every door leads to. A door (REST and SSE, XMPP over TCP, WebSocket and BOSH,
//! external components) holds an `Arc<Core>` and calls typed operations on it; it never
//! makes routing decisions or touches storage itself.
//!
//! One folder per feature; each folder's `mod.rs` says what it owns, which events it
//! emits and which it hears:
//! - [`routing`]: the router (every stanza to the service owning its destination
//!   domain), the account domains' delivery rules (RFC 6121 §8.5), IQ tables and disco,
//!   the order of a session's stanzas, external components;
//! - [`session`]: the table of connected resources and their bounded queues, client state
//!   indication, stream management and resumption;
//! - [`im`]: rosters and presence, one-to-one messages sent over REST, carbons, blocking,
//!   offline messages, push notifications;
//! - [`archive`]: archive ids and writes (one entry point for one-to-one messages), REST
//!   history, MAM, what a resuming event stream missed;
//! - [`account`]: accounts and password checks, SCRAM, the login throttle, bearer tokens,
//!   idempotency keys, and what follows an account's removal or new password;
//! - [`pep`] (with entity capabilities and avatar conversion) and [`user_data`] (vCards,
//!   private XML): what an account keeps on its bare JID;
//! - [`muc_light`], [`muc`], [`uploads`]: services on domains of their own;
//! - [`s2s`]: federation, the service owning every domain nobody here serves (queues per
//!   domain pair towards other servers) and the checks on what they send;
//! - [`cluster`]: this node's part in a cluster sharing one storage;
//! - [`webhooks`]: signed HTTP deliveries of messages, room events and account changes
//!   to configured endpoints, read from the archive and the account change log;
//! - `metrics`: counters of what the core sees, rendered for Prometheus.
//!
//! Beside them: [`stanza`] and [`jid`] (the vocabulary every feature speaks), `forms`
//! (XEP-0004 data forms), `events` (session and presence events: how a feature hears of
//! another's news without calling it by name) and `caches` (stored state a node keeps in
//! memory, forgotten on every node when it changes); [`log_limit`] (log lines a client
//! could cause without bound, written at most once per interval, and the default quieting
//! of libraries' own such lines) and [`untrusted`] (text from outside, escaped and bounded
//! for a log line). A test build adds `testkit`: the
//! core on in-memory storage, alone or as an in-process cluster.
//!
//! The core imports nothing above it (no door, no composition root); what it needs from
//! the configuration arrives as [`Settings`], its storage as [`crate::store::Stores`].

pub mod account;
pub mod archive;
pub(crate) mod caches;
pub mod cluster;
pub mod domains;
pub(crate) mod events;
pub(crate) mod forms;
pub mod hosts;
pub mod im;
pub mod jid;
pub mod log_limit;
pub(crate) mod metrics;
pub mod muc;
pub mod muc_light;
pub mod pep;
pub mod routing;
pub mod s2s;
pub mod session;
pub mod stanza;
pub mod untrusted;
pub mod uploads;
pub mod user_data;
pub mod webhooks;

#[cfg(test)]
pub(crate) mod testkit;

use crate::store::{StoreError, Stores};
use crate::xml::{Element, SharedElement};
use ::jid::{BareJid, FullJid, Jid};
use account::throttle::AuthThrottle;
use account::Accounts;
use archive::Archive;
use metrics::Metrics;
use routing::pipeline::Turn;
use routing::router::{RouteError, Router};
use session::{Inbox, Kick, OpenError, Outbound, Session, SessionKind, Sessions};
use stanza::{Condition, StanzaError};
use std::sync::Arc;
use std::time::Duration;

/// What the core needs to know of the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The account domains served, prepped; the first is the default host.
    pub hosts: Vec<String>,
    /// How much a session may have queued, and how many sessions an account may have.
    pub sessions: session::Limits,
    /// Whether one-to-one messages are archived (`mod_mam`).
    pub archive: bool,
    /// PBKDF2 iterations of new SCRAM credentials.
    pub scram_iterations: u32,
    /// Successful password checks remembered (0 turns the cache off).
    pub auth_cache_size: usize,
    /// Failed logins per source address within `auth_failure_window`, then refusal.
    pub max_auth_failures: u32,
    /// Failed logins to one account from one address within the window, then refusal of
    /// that account from that address.
    pub max_auth_failures_per_account: u32,
    pub auth_failure_window: Duration,
    /// Bearer tokens of the client REST API: lifetime and how many per user.
    pub tokens: account::tokens::TokenSettings,
    /// Items one roster may hold.
    pub roster_max_items: usize,
    /// Offline messages (`mod_offline`), when on.
    pub offline: Option<im::offline::OfflineSettings>,
    /// Push notifications (`mod_event_pusher.push`), when on.
    pub push: Option<im::push::PushSettings>,
    /// Rooms (`mod_muc_light`), when on.
    pub muc_light: Option<muc_light::MucLightSettings>,
    /// XEP-0198 stream management (`mod_stream_management`), when on.
    pub stream_management: Option<session::stream_management::SmSettings>,
    /// XEP-0352 client state indication (`mod_csi`), when on.
    pub csi: Option<session::csi::CsiSettings>,
    /// HTTP File Upload (`mod_http_upload`), when on.
    pub uploads: Option<uploads::UploadSettings>,
    /// The PEP service of every account (`mod_pep`), when on.
    pub pep: Option<pep::PepSettings>,
    /// Capability `ver` strings remembered (`mod_caps`, used by PEP).
    pub caps_cache_size: usize,
    /// vCards (`mod_vcard`), when on.
    pub vcard: Option<user_data::vcard::VcardSettings>,
    /// Private XML storage (`mod_private`), when on.
    pub private: Option<user_data::private::PrivateSettings>,
    /// Multi-User Chat (`mod_muc`), when on.
    pub muc: Option<muc::MucSettings>,
    /// Idempotency keys of the client API: how long answers are kept, how many per user.
    pub idempotency: account::idempotency::IdempotencySettings,
    /// Federation (`[s2s]`), when on.
    pub s2s: Option<s2s::S2sSettings>,
    /// Webhooks (`mod_event_pusher.http`), when on.
    pub webhooks: Option<webhooks::WebhookSettings>,
    /// How often one session's presence may be broadcast (`general.presence_burst`,
    /// `general.presence_rate`); `None`: unshaped.
    pub presence_rate: Option<session::presence_shaper::PresenceRate>,
}

/// The core context: built once by the composition root, shared by every door.
pub struct Core {
    settings: Settings,
    stores: Stores,
    /// The domains served: the configuration's and those added at run time.
    hosts: Arc<hosts::Hosts>,
    accounts: Accounts,
    sessions: Sessions,
    router: Router,
    archive: Archive,
    throttle: AuthThrottle,
    /// Bearer tokens of the client REST API.
    tokens: account::tokens::Tokens,
    lifecycle: account::lifecycle::Lifecycle,
    /// The account domains' service, which a domain added at run time gets too.
    account_domains: Arc<routing::delivery::AccountDomains>,
    muc_light: Option<Arc<muc_light::MucLight>>,
    uploads: Option<Arc<uploads::Uploads>>,
    /// What clients' capabilities mean, for PEP notifications.
    caps: pep::caps::Caps,
    muc: Option<Arc<muc::Muc>>,
    /// Federation, when on: the owner of every domain nobody here serves.
    s2s: Option<Arc<s2s::S2s>>,
    /// Counters of this core only (no process-wide state): shared with the session
    /// table, the throttle and the archive, which count what they see.
    metrics: Arc<Metrics>,
    /// Blocklists and avatar hashes read so far.
    caches: caches::Caches,
    /// Who hears of session and presence events, in order.
    events: events::Events,
    /// Sessions a client may resume (XEP-0198), by SM-ID.
    resumptions: session::resumption::Resumptions,
    /// Requests with an idempotency key running in this process.
    in_flight: account::idempotency::InFlight,
    /// This node's part in a cluster, once it joined one.
    cluster: std::sync::OnceLock<Arc<cluster::Cluster>>,
}

impl Core {
    /// Builds the core over opened storage: the account domains' service, the
    /// subscribers to account events, the archive id generator.
    pub async fn new(settings: Settings, stores: Stores) -> Result<Arc<Core>, StoreError> {
        Self::with_components(settings, stores, Vec::new()).await
    }

    /// [`Core::new`], plus component services owning their own domains.
    pub(crate) async fn with_components(
        settings: Settings,
        stores: Stores,
        components: Vec<(String, Arc<dyn routing::router::Service>)>,
    ) -> Result<Arc<Core>, StoreError> {
        let metrics = Arc::new(Metrics::new());
        let archive = Archive::open(&*stores.archive, metrics.clone()).await?;
        let hosts = Arc::new(hosts::Hosts::new(settings.hosts.clone()));
        let accounts = Accounts::new(
            stores.accounts.clone(),
            hosts.clone(),
            settings.scram_iterations,
            settings.auth_cache_size,
        );
        let mut router = Router::default();
        let local = Arc::new(routing::delivery::AccountDomains::new(&settings));
        for host in &settings.hosts {
            router.register(host, local.clone());
        }
        let muc_light = settings
            .muc_light
            .as_ref()
            .map(|m| Arc::new(muc_light::MucLight::new(m, hosts.clone())));
        if let Some(m) = &muc_light {
            for (host, domain) in m.domains() {
                router.register_component(&domain, Some(&host), m.clone());
            }
        }
        let uploads = match &settings.uploads {
            None => None,
            Some(u) => Some(Arc::new(uploads::Uploads::open(u, hosts.clone()).map_err(|e| {
                StoreError::Unavailable(crate::store::Cause::msg(format!(
                    "cannot open the upload directory or key: {e}"
                )))
            })?)),
        };
        if let Some(u) = &uploads {
            for (host, domain) in u.domains() {
                router.register_component(&domain, Some(&host), u.clone());
            }
        }
        let muc = match &settings.muc {
            Some(m) => {
                let m = Arc::new(muc::Muc::new(m, hosts.clone(), settings.archive));
                // Persistent rooms are in memory from the start.
                m.load(&*stores.muc).await?;
                Some(m)
            }
            None => None,
        };
        if let Some(m) = &muc {
            for (host, domain) in m.domains() {
                router.register_partitioned(&domain, Some(&host), m.clone());
            }
        }
        for (domain, service) in components {
            router.register_component(&domain, None, service);
        }
        let s2s = settings.s2s.clone().map(|s| Arc::new(s2s::S2s::new(s)));
        if let Some(s) = &s2s {
            router.set_remote(s.clone());
        }
        // What follows an account's removal, data first; its tokens go before anything
        // else, so that none is accepted while the rest is carried out.
        let mut on_removal: Vec<Box<dyn account::lifecycle::Subscriber>> =
            vec![Box::new(account::tokens::RevokeTokensOfChangedAccount)];
        if muc_light.is_some() {
            on_removal.push(Box::new(muc_light::LeaveRoomsOfRemovedAccount));
        }
        if uploads.is_some() {
            on_removal.push(Box::new(uploads::DeleteUploadsOfRemovedAccount));
        }
        if muc.is_some() {
            on_removal.push(Box::new(muc::ForgetRemovedAccount));
        }
        on_removal.push(Box::new(im::roster::PurgeRemovedAccount));
        on_removal.push(Box::new(archive::DeleteRemovedArchive));
        on_removal.push(Box::new(im::offline::DeleteRemovedOffline));
        on_removal.push(Box::new(im::blocking::DeleteRemovedBlocklist));
        on_removal.push(Box::new(im::push::DeleteRemovedRegistrations));
        on_removal.push(Box::new(pep::DeletePepOfRemovedAccount));
        on_removal.push(Box::new(user_data::private::DeleteUserDataOfRemovedAccount));
        on_removal.push(Box::new(account::idempotency::ForgetKeysOfRemovedAccount));
        let core = Arc::new(Core {
            throttle: AuthThrottle::new(
                settings.max_auth_failures,
                settings.max_auth_failures_per_account,
                settings.auth_failure_window,
                metrics.clone(),
            ),
            tokens: account::tokens::Tokens::new(stores.tokens.clone(), settings.tokens),
            lifecycle: account::lifecycle::Lifecycle::new(on_removal),
            muc_light,
            uploads,
            caps: pep::caps::Caps::new(settings.caps_cache_size),
            muc,
            s2s,
            sessions: Sessions::new(metrics.clone()),
            metrics,
            caches: caches::Caches::default(),
            events: events::Events::new(vec![
                Box::new(im::presence::TellContacts),
                Box::new(pep::LastItems),
                Box::new(im::offline::DeliverHeld),
            ]),
            settings,
            stores,
            accounts,
            router,
            archive,
            resumptions: session::resumption::Resumptions::default(),
            in_flight: account::idempotency::InFlight::default(),
            cluster: std::sync::OnceLock::new(),
            hosts,
            account_domains: local,
        });
        // The domains added at run time, as stored.
        core.sync_domains().await?;
        Ok(core)
    }

    /// Makes this core a node of a cluster whose messages go over `bus`; from now on the
    /// other nodes hear of its sessions. Once only.
    pub(crate) fn join_cluster(
        &self,
        settings: cluster::ClusterSettings,
        bus: Arc<dyn cluster::Bus>,
    ) -> Arc<cluster::Cluster> {
        let joined = cluster::Cluster::new(settings, bus);
        if self.cluster.set(joined.clone()).is_err() {
            tracing::warn!("the core joined a second cluster; kept the first");
            return self.cluster.get().expect("set before").clone();
        }
        self.sessions.set_news(joined.news());
        joined
    }

    /// Up to where archive ids are settled and the newest issued, across the cluster
    /// when there is one ([`cluster::Cluster::watermarks`]).
    pub(crate) async fn archive_watermarks(&self) -> (i64, i64) {
        match self.cluster.get() {
            Some(c) => c.watermarks(self.archive.horizon(), self.archive.last_issued()).await,
            None => (self.archive.settled(), self.archive.last_issued()),
        }
    }

    /// This node changed what `cache` holds for `key`: the other nodes of a cluster
    /// forget theirs (they read it again from storage), before this returns.
    pub(crate) async fn cached_changed(&self, cache: caches::Cache, key: &str) {
        if let Some(c) = self.cluster.get() {
            c.cached_changed(cache, key);
            c.flushed().await;
        }
    }

    /// Tells the other nodes of the cluster, if any, that this node is leaving (its
    /// sessions ended already), before the process exits.
    pub async fn leave_cluster(&self) {
        if let Some(c) = self.cluster.get() {
            c.leave().await;
        }
    }

    /// Waits until the stanzas this node sent to other nodes of its cluster are on their
    /// way (see [`cluster::Cluster::flushed`]); at once without a cluster.
    pub(crate) async fn settle(&self) {
        if let Some(c) = self.cluster.get() {
            c.flushed().await;
        }
    }

    /// Waits until what other nodes of a cluster sent here before now has been delivered
    /// (see [`cluster::Cluster::caught_up`]); at once without a cluster.
    pub(crate) async fn catch_up(&self) {
        if let Some(c) = self.cluster.get() {
            c.caught_up().await;
        }
    }

    /// This node's name in its cluster; `local` without one.
    pub(crate) fn node_name(&self) -> &str {
        self.cluster.get().map_or("local", |c| c.node())
    }

    /// The node hosting `entity` of a partitioned service (a room), when that is another
    /// node of a cluster.
    pub(crate) fn host_of(&self, entity: &BareJid) -> Option<(&Arc<cluster::Cluster>, String)> {
        let cluster = self.cluster.get()?;
        let node = cluster.host_of(entity.as_str());
        (node != cluster.node()).then_some((cluster, node))
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Failed logins per source address, shared by every door that checks passwords.
    pub fn throttle(&self) -> &AuthThrottle {
        &self.throttle
    }

    /// The first configured host: names the server where no host was asked for.
    pub fn default_host(&self) -> &str {
        &self.settings.hosts[0]
    }

    /// Every metric, in the Prometheus text format ([`metrics::CONTENT_TYPE`]).
    pub(crate) fn metrics_text(&self) -> String {
        let mut text = self.metrics.render(self.sessions.count_by_kind());
        if let Some(c) = self.cluster.get() {
            text.push_str(&c.metrics_text());
        }
        if let Some(s) = &self.s2s {
            text.push_str(&s.metrics_text());
        }
        text
    }

    /// Registers a bound XMPP session carried by `kind`. A session already bound to the
    /// same full JID is replaced (it gets `<conflict/>`); an account at its session limit
    /// gets no more.
    pub fn open_session(&self, jid: FullJid, kind: SessionKind) -> Result<(Arc<Session>, Inbox), OpenError> {
        self.sessions.register(jid, kind, self.settings.sessions)
    }

    /// Registers an event stream (SSE) for `user`: a resource of its own, available for
    /// routing from the start, that never sends presence. Opened with a bearer `token`,
    /// it ends when the token is revoked or expires.
    pub async fn open_event_stream(
        &self,
        user: &BareJid,
        token: Option<&account::tokens::Grant>,
    ) -> Result<(Arc<Session>, Inbox), OpenError> {
        let suffix: [u8; 8] = rand::random();
        let resource = format!("sse-{}", hex(&suffix));
        let full = user
            .with_resource_str(&resource)
            .expect("a bare JID with an ASCII hex resource is a valid full JID");
        let (session, inbox) = self.open_session(full, SessionKind::EventStream)?;
        if let Some(grant) = token {
            self.bind_token(&session, grant).await;
        }
        session.mark_available(0);
        Ok((session, inbox))
    }

    /// Ends a session: removes it from the table and tells whoever saw it available.
    pub async fn close_session(&self, session: &Arc<Session>) {
        self.sessions.unregister(&session.jid, session.id);
        if let Err(e) = self.session_event(events::SessionEvent::Ended(session)).await {
            tracing::error!(jid = %session.jid, error = %e, "presence after the session ended failed");
        }
    }

    /// A session ended with messages it never delivered (unacknowledged under stream
    /// management, or still queued). Those addressed to this very resource go to the
    /// user's other available sessions; with none left, every such chat message is held
    /// offline (XEP-0160) and push notifications go out, as for any message that found
    /// nobody. Messages to the bare JID already reached the other sessions on their own.
    pub(crate) async fn redeliver_undelivered(&self, session: &Session, stanzas: Vec<Element>) {
        let owner = session.jid.to_bare();
        let others: Vec<Arc<Session>> = self
            .sessions
            .sessions_of(&owner)
            .into_iter()
            .filter(|s| s.id != session.id && s.available() && s.priority() >= 0)
            .collect();
        let this = Jid::from(session.jid.clone());
        for stanza in stanzas
            .into_iter()
            .filter(|s| s.name == "message" && archive::archivable(s))
        {
            if others.is_empty() {
                if !im::offline::holds(&stanza) {
                    continue;
                }
                match im::offline::hold(self, &owner, &stanza).await {
                    Ok(true) => im::push::message_held(self, &owner, &stanza).await,
                    Ok(false) => {
                        tracing::debug!(jid = %session.jid, "offline queue full; an undelivered message stays in the archive")
                    }
                    Err(e) => {
                        tracing::warn!(jid = %session.jid, error = %e, "an undelivered message could not be held; it stays in the archive")
                    }
                }
            } else if stanza.attr("to").and_then(|t| jid::parse(t).ok()).as_ref() == Some(&this) {
                for other in &others {
                    other.send(stanza.clone());
                }
            }
        }
    }

    /// XEP-0352: the client of `session` says it is active (`true`) or inactive.
    pub(crate) fn set_client_state(&self, session: &Session, active: bool) {
        match (active, &self.settings.csi) {
            (true, _) => session.set_active(),
            (false, Some(csi)) => session.set_inactive(csi.buffer_max),
            (false, None) => {}
        }
    }

    /// A stanza a bound client session sent: stamped with the session's JID and routed
    /// in its `turn` among the session's stanzas ([`routing::pipeline`]). Failures the sender must
    /// hear of come back to it as stanza errors.
    pub async fn from_client(self: &Arc<Self>, session: &Arc<Session>, stanza: Element, mut turn: Turn) {
        turn.start().await;
        self.handle_client_stanza(session, stanza, &mut turn).await;
        turn.finish().await;
    }

    async fn handle_client_stanza(self: &Arc<Self>, session: &Arc<Session>, mut stanza: Element, turn: &mut Turn) {
        stanza.set_attr("from", session.jid.to_string());
        // Enough of the stanza to answer it should routing fail.
        let stub = stanza::stub(&stanza);
        let from = Jid::from(session.jid.clone());
        let blocked = self.blocked_recipient(&session.jid.to_bare(), &stanza).await;
        if !matches!(blocked, Ok(false)) {
            turn.in_order().await;
        }
        match blocked {
            Ok(false) => {}
            Ok(true) => {
                // XEP-0191 §3.4: nothing goes to someone the user blocked.
                self.bounce(&Jid::from(session.jid.to_bare()), &stub, im::blocking::blocked_error())
                    .await;
                return;
            }
            Err(e) => {
                tracing::error!(jid = %session.jid, error = %e, "reading a blocklist failed");
                let error = StanzaError::new(Condition::InternalServerError);
                self.bounce(&Jid::from(session.jid.to_bare()), &stub, error).await;
                return;
            }
        }
        let result = if stanza.name == "presence" {
            turn.in_order().await;
            im::presence::from_client(self, session, stanza).await
        } else if stanza.name == "message"
            && im::carbons::eligible(&stanza)
            && im::carbons::wanted(self, &session.jid.to_bare())
        {
            let copy = stanza.clone();
            let routed = self.router.route_in_turn(self, from, stanza, turn).await;
            turn.in_order().await;
            if routed.is_ok() {
                im::carbons::copy_sent(self, &session.jid.to_bare(), Some(session.id), &copy);
            }
            routed
        } else {
            self.router.route_in_turn(self, from, stanza, turn).await
        };
        if let Err(e) = result {
            turn.in_order().await;
            // E.g. the archive could not take a message: it was not delivered either (nothing
            // is delivered that the archive might lose), and the sender may retry.
            tracing::error!(jid = %session.jid, error = %e, "routing a client stanza failed");
            let error = StanzaError::new(Condition::InternalServerError);
            self.bounce(&Jid::from(session.jid.to_bare()), &stub, error).await;
        }
    }

    /// Whether `stanza` from `owner` is addressed to someone `owner` blocked.
    async fn blocked_recipient(&self, owner: &BareJid, stanza: &Element) -> Result<bool, StoreError> {
        match stanza.attr("to").map(jid::parse) {
            Some(Ok(to)) => im::blocking::blocks(self, owner, &to).await,
            _ => Ok(false),
        }
    }

    /// Routes `stanza` from `from` to the service owning its destination domain (the
    /// sender's own account when it has no `to`, RFC 6120 §10.3). An `Err` means the
    /// stanza was not accepted (not archived, not delivered).
    pub(crate) async fn route(&self, from: Jid, stanza: Element) -> Result<(), RouteError> {
        self.router.route(self, from, stanza).await
    }

    /// Routes `to`'s copy of a stanza shared by many recipients: delivered to a session
    /// here, it is written without being cloned or serialized again.
    pub(crate) async fn route_copy(&self, from: Jid, to: Jid, shared: &Arc<SharedElement>) -> Result<(), RouteError> {
        self.router.route_copy(self, from, to, shared).await
    }

    /// Routes a stanza of its own or a copy, whichever `stanza` is.
    pub(crate) async fn route_outbound(&self, from: Jid, stanza: Outbound) -> Result<(), RouteError> {
        match stanza {
            Outbound::Own(stanza) => self.route(from, stanza).await,
            Outbound::Copy(shared, to) => self.route_copy(from, to, &shared).await,
        }
    }

    /// Answers `stanza` with `error`, from `replier`, unless it is itself an error or a
    /// response (RFC 6120 §8.3.1). Failing to deliver an error is only logged.
    pub(crate) async fn bounce(&self, replier: &Jid, stanza: &Element, error: StanzaError) {
        if stanza::is_error_or_response(stanza) || stanza.attr("from").is_none() {
            return;
        }
        let reply = stanza::error_reply(stanza, error);
        if let Err(e) = Box::pin(self.route(replier.clone(), reply)).await {
            tracing::warn!(error = %e, "an error reply could not be routed");
        }
    }

    /// Ends every session and external component (shutdown).
    pub fn shutdown(&self) {
        self.sessions.kick_all(Kick::Shutdown);
        self.router.displace_all(Kick::Shutdown);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

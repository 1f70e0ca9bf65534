//! The account domains' service: where a stanza for a local JID goes (RFC 6121 §8.5),
//! whoever sent it (an XMPP session, a REST call, another service).
//!
//! - A message to the domain itself gets `service-unavailable`. A message to an account
//!   is archived first (chat/normal with a body, both owners, when the archive is on; only
//!   the recipient when a service sent it, e.g. a private message through a room):
//!   nothing is delivered that the archive might lose. Then, to a full JID: that session,
//!   or, for `chat`/`normal`/`headline` when it is gone, the bare-JID rules; to a bare
//!   JID: every available session with non-negative priority. No such session: an
//!   existing account finds the message in its archive; otherwise `service-unavailable`
//!   (not for `headline`). `groupchat` is delivered like `chat` when a room of a
//!   component service sends it, and refused from anyone else; `error` is dropped.
//! - An IQ to a full JID goes to that session (`service-unavailable` if there is none);
//!   an IQ request to the domain or to an account's bare JID is answered by the server
//!   from an [`IqTable`] (the account must exist).
//! - Presence: subscription stanzas go to [`crate::core::im::roster::inbound`]; probes are answered
//!   from the sessions' last presence when the prober may see it; other presence goes to
//!   the session or available sessions addressed. Presence to a missing account is
//!   dropped silently, as RFC 6121 §4.5.3 asks.
//!
//! A client's message to an account is the one stanza that may overtake the stanzas
//! before it ([`super::pipeline`]): once its rows are queued for the archive's commit it
//! lets the session's next message start, then waits for the commit and for the stanzas
//! before it to be done before delivering. Everything else acts in order.

use super::iq::{Identity, IqTable};
use super::pipeline::Turn;
use super::router::{RouteError, Routed, Service};
use super::{disco, server_iq};
use crate::core::archive::{mam, Keepers};
use crate::core::im::roster::{self, SubscriptionAction};
use crate::core::im::{blocking, carbons, push};
use crate::core::metrics::{Metrics, Stage};
use crate::core::pep;
use crate::core::session::{Outbound, Session, SessionKind};
use crate::core::stanza::{ns, Condition, IqType, MessageType, PresenceType, StanzaError};
use crate::core::user_data::{private, vcard};
use crate::core::{Core, Settings};
use crate::store::{StoreError, Subscription};
use crate::xml::{Element, Node, SharedElement};
use async_trait::async_trait;
use jid::{BareJid, Jid};
use std::sync::Arc;
use std::time::Instant;

/// The service owning every configured host.
pub(crate) struct AccountDomains {
    /// IQs to the domain itself.
    server: IqTable,
    /// IQs to an account's bare JID, answered on the account's behalf.
    account: IqTable,
}

impl AccountDomains {
    pub fn new(settings: &Settings) -> Self {
        let server = IqTable::new(Identity {
            category: "server",
            kind: "im",
            name: Some("meerkat"),
        })
        .with(ns::DISCO_ITEMS, "query", disco::ServerItems)
        .with(ns::PING, "ping", server_iq::Ping)
        .with(ns::VERSION, "query", server_iq::Version)
        // Listed: the server keeps rosters. Asked of the domain rather than of one's own
        // account, the handler refuses.
        .with(ns::ROSTER, "query", roster::RosterIq)
        .with(carbons::NS, "enable", carbons::CarbonsIq)
        .unlisted(carbons::NS, "disable", carbons::CarbonsIq)
        .with(blocking::NS, "blocklist", blocking::BlockingIq)
        .unlisted(blocking::NS, "block", blocking::BlockingIq)
        .unlisted(blocking::NS, "unblock", blocking::BlockingIq)
        .unlisted(ns::SESSION, "session", server_iq::LegacySession);
        let server = match settings.vcard {
            // XEP-0054 §7: vcard-temp is advertised by the server.
            Some(_) => server.with(ns::VCARD, "vCard", vcard::ServerVcard),
            None => server,
        };
        let mut account = IqTable::new(Identity {
            category: "account",
            kind: "registered",
            name: None,
        })
        .with(ns::DISCO_ITEMS, "query", disco::NoItems)
        .with(ns::PING, "ping", server_iq::Ping)
        .unlisted(ns::ROSTER, "query", roster::RosterIq)
        .unlisted(carbons::NS, "enable", carbons::CarbonsIq)
        .unlisted(carbons::NS, "disable", carbons::CarbonsIq)
        .unlisted(push::NS, "disable", push::PushIq)
        .unlisted(blocking::NS, "blocklist", blocking::BlockingIq)
        .unlisted(blocking::NS, "block", blocking::BlockingIq)
        .unlisted(blocking::NS, "unblock", blocking::BlockingIq)
        .unlisted(ns::SESSION, "session", server_iq::LegacySession);
        if settings.push.is_some() {
            // XEP-0357 §5: advertised on the account's bare JID.
            account = account.with(push::NS, "enable", push::PushIq);
        }
        if settings.archive {
            // XEP-0313 §7: the user archive is advertised on the account's bare JID.
            account = account.with(ns::MAM, "query", mam::MamIq);
        }
        if settings.pep.is_some() {
            // XEP-0163 §6: the bare JID is also a PEP service; its nodes are its items.
            account = account
                .also(pep::IDENTITY)
                .with_features(pep::FEATURES)
                .unlisted(ns::PUBSUB, "pubsub", pep::PubsubIq)
                .unlisted(ns::PUBSUB_OWNER, "pubsub", pep::PubsubOwnerIq)
                .with(ns::DISCO_ITEMS, "query", pep::NodeItems)
                .with_node_info(pep::NodeInfo);
        }
        if settings.vcard.is_some() {
            account = account.with(ns::VCARD, "vCard", vcard::VcardIq);
        }
        if settings.vcard.is_some() && settings.pep.is_some() {
            account = account.with_features(&[crate::core::pep::avatar_sync::FEATURE]);
        }
        if settings.private.is_some() {
            account = account.with(ns::PRIVATE, "query", private::PrivateIq);
        }
        AccountDomains { server, account }
    }
}

#[async_trait]
impl Service for AccountDomains {
    async fn handle(&self, core: &Core, routed: Routed) -> Result<(), RouteError> {
        self.handle_in_turn(core, routed, &mut Turn::alone()).await
    }

    async fn handle_in_turn(&self, core: &Core, routed: Routed, turn: &mut Turn) -> Result<(), RouteError> {
        let Routed { from, to, stanza } = routed;
        self.take(core, from, to, stanza.into(), turn).await
    }

    async fn handle_copy(
        &self,
        core: &Core,
        from: Jid,
        to: Jid,
        shared: &Arc<SharedElement>,
    ) -> Result<(), RouteError> {
        let stanza = Outbound::copy(shared, to.clone());
        self.take(core, from, to, stanza, &mut Turn::alone()).await
    }
}

impl AccountDomains {
    /// A stanza of its own or a copy: messages and presence are delivered as they are
    /// (a copy stays shared), the rest made whole.
    async fn take(&self, core: &Core, from: Jid, to: Jid, stanza: Outbound, turn: &mut Turn) -> Result<(), RouteError> {
        if to.node().is_some() && blocking::blocks(core, &to.to_bare(), &from).await? {
            turn.in_order().await;
            let stanza = stanza.into_element();
            return refuse_blocked(core, Routed { from, to, stanza }).await;
        }
        let name = stanza.content().name.as_str();
        if name != "message" {
            turn.in_order().await;
        }
        match name {
            "message" => message(core, from, to, stanza, turn).await,
            "iq" => {
                let stanza = stanza.into_element();
                self.iq(core, Routed { from, to, stanza }).await
            }
            "presence" => presence(core, from, to, stanza).await,
            _ => Ok(()),
        }
    }

    async fn iq(&self, core: &Core, Routed { from, to, stanza }: Routed) -> Result<(), RouteError> {
        let is_request = IqType::of(&stanza).is_some_and(IqType::is_request);
        if let (Some(_), Ok(full)) = (to.node(), to.try_as_full()) {
            match core.sessions.session(full) {
                Some(s) => {
                    s.send(stanza);
                }
                None if is_request => {
                    core.bounce(&to, &stanza, StanzaError::new(Condition::ServiceUnavailable))
                        .await
                }
                None => {}
            }
            return Ok(());
        }
        if !is_request {
            // Responses to the server answer its capability queries (XEP-0115); responses
            // to a bare JID: nobody waits for them.
            if to.node().is_none() {
                core.caps.response(core, &from, &stanza).await?;
            }
            return Ok(());
        }
        let table = if to.node().is_none() {
            &self.server
        } else if core.accounts.exists(&to.to_bare()).await? {
            &self.account
        } else {
            core.bounce(&to, &stanza, StanzaError::new(Condition::ServiceUnavailable))
                .await;
            return Ok(());
        };
        let reply = table.dispatch(core, &from, &to, &stanza).await;
        core.route(to, reply).await
    }
}

/// A stanza from someone the recipient blocked (XEP-0191 §3.3): answered as if the
/// recipient had no account, so the sender cannot tell the difference.
async fn refuse_blocked(core: &Core, Routed { from, to, stanza }: Routed) -> Result<(), RouteError> {
    match stanza.name.as_str() {
        "message" => {
            if core.archives(&stanza) {
                let keepers = Keepers::SenderAndRecipient {
                    recipient_is_local: false,
                };
                let (_, commit) = core
                    .archive_chat(&from.to_bare(), &to.to_bare(), &stanza, keepers)
                    .await?;
                commit.wait().await?;
            }
            if MessageType::of(&stanza) != MessageType::Headline {
                core.bounce(&to, &stanza, StanzaError::new(Condition::ServiceUnavailable))
                    .await;
            }
        }
        "iq" if IqType::of(&stanza).is_some_and(IqType::is_request) => {
            core.bounce(&to, &stanza, StanzaError::new(Condition::ServiceUnavailable))
                .await
        }
        _ => {}
    }
    Ok(())
}

async fn message(core: &Core, from: Jid, to: Jid, stanza: Outbound, turn: &mut Turn) -> Result<(), RouteError> {
    if to.node().is_none() {
        turn.in_order().await;
        // Messages to the server itself: nothing here handles them.
        core.bounce(
            &to,
            &stanza.to_element(),
            StanzaError::new(Condition::ServiceUnavailable),
        )
        .await;
        return Ok(());
    }
    deliver_message(core, from, to, stanza, turn).await
}

/// Times the stages of an archived message (`meerkat_message_stage_seconds`); delivery
/// and the whole are observed when it is dropped, at whichever return the delivery ends
/// (not when archiving failed: that message was never delivered).
struct StageClock<'a> {
    metrics: &'a Metrics,
    read_at: Instant,
    last: Instant,
    delivering: bool,
}

impl<'a> StageClock<'a> {
    /// Starts once the message's delivery rules start, observing its route stage.
    fn start(metrics: &'a Metrics, turn: &Turn) -> Self {
        let now = Instant::now();
        let read_at = turn.read_at().unwrap_or(now);
        metrics.message_stage(Stage::Route, now - read_at);
        StageClock {
            metrics,
            read_at,
            last: now,
            delivering: false,
        }
    }

    /// Ends `stage` now.
    fn mark(&mut self, stage: Stage) {
        let now = Instant::now();
        self.metrics.message_stage(stage, now - self.last);
        self.last = now;
        self.delivering = stage == Stage::Order;
    }
}

impl Drop for StageClock<'_> {
    fn drop(&mut self) {
        if !self.delivering {
            return;
        }
        self.metrics.message_stage(Stage::Deliver, self.last.elapsed());
        self.metrics.message_stage(Stage::Total, self.read_at.elapsed());
    }
}

/// RFC 6121 §8.5 for a message to a JID with a local part; archives first.
async fn deliver_message(
    core: &Core,
    from: Jid,
    to: Jid,
    mut stanza: Outbound,
    turn: &mut Turn,
) -> Result<(), RouteError> {
    let kind = MessageType::of(stanza.content());
    let bare = to.to_bare();
    let mut sessions = core.sessions.sessions_of(&bare);
    let refuse = StanzaError::new(Condition::ServiceUnavailable);
    // Held until this returns: its drop times the delivery, whichever return ends it.
    let mut timing = None;
    if core.archives(stanza.content()) {
        let clock = timing.insert(StageClock::start(&core.metrics, turn));
        let recipient_is_local = account_exists(core, &sessions, &bare).await?;
        let keepers = if core.accounts.serves(from.domain().as_str()) {
            Keepers::SenderAndRecipient { recipient_is_local }
        } else {
            // From a service (a private message through a Multi-User Chat room): only the
            // recipient keeps a copy; the service's JID owns no archive here.
            Keepers::Recipient { recipient_is_local }
        };
        let (archived, commit) = core
            .archive_chat(&from.to_bare(), &bare, &stanza.to_element(), keepers)
            .await?;
        clock.mark(Stage::ArchiveQueue);
        // The next message's rows queue behind these and may share their commit.
        turn.release();
        commit.wait().await?;
        clock.mark(Stage::ArchiveCommit);
        turn.in_order().await;
        clock.mark(Stage::Order);
        // XEP-0359: the recipient learns the id of its archived copy; ids a client put
        // there itself are not trusted.
        let el = stanza.make_mut();
        el.children
            .retain(|n| !matches!(n, Node::Element(e) if e.is("stanza-id", ns::STANZA_ID)));
        if let Some(id) = archived.recipient_id {
            el.children.push(Node::Element(
                Element::new("stanza-id", ns::STANZA_ID)
                    .with_attr("id", id.to_string())
                    .with_attr("by", bare.to_string()),
            ));
        }
        // The sessions that get it are those registered once it is durable: an event
        // stream that opened meanwhile may have read the archive before this commit
        // (resuming from `Last-Event-ID`), so it must get the message live.
        sessions = core.sessions.sessions_of(&bare);
    } else {
        // Nothing to queue: the next message may take its place in the archive's queue.
        turn.release();
        turn.in_order().await;
    }

    // Group chat reaches users from the rooms of a component service (MUC Light sends
    // each occupant's copy to the bare JID), here or, with federation, on another server;
    // from anyone else it is refused.
    let from_domain = from.domain().as_str();
    let from_room = kind == MessageType::Groupchat
        && !core.accounts.serves(from_domain)
        && (core.router.serves(from_domain) || core.s2s().is_some());
    if let Ok(full) = to.try_as_full() {
        if let Some(s) = sessions.iter().find(|s| &s.jid == full) {
            carbons::copy_received(&bare, &sessions, &[s.id], &stanza);
            if s.is_detached() && crate::core::im::offline::holds(stanza.content()) {
                push::message_held(core, &bare, &stanza.to_element()).await;
            }
            s.send(stanza);
            return Ok(());
        }
        if !matches!(kind, MessageType::Chat | MessageType::Normal | MessageType::Headline) && !from_room {
            core.bounce(&to, &stanza.to_element(), refuse).await;
            return Ok(());
        }
    }
    match kind {
        MessageType::Groupchat if !from_room => {
            core.bounce(&to, &stanza.to_element(), refuse).await;
            return Ok(());
        }
        MessageType::Error => {
            // RFC 6121 §8.5.2.1.1 ignores an error to a bare JID, but REST sends go out
            // from the bare JID: what comes back for one (a remote server out of reach)
            // goes to the account's event streams, the REST sender's view.
            for s in sessions.iter().filter(|s| s.kind == SessionKind::EventStream) {
                s.send(stanza.clone());
            }
            return Ok(());
        }
        _ => {}
    }
    let targets: Vec<&Arc<Session>> = sessions.iter().filter(|s| s.available() && s.priority() >= 0).collect();
    if !targets.is_empty() {
        let delivered: Vec<u64> = targets.iter().map(|s| s.id).collect();
        carbons::copy_received(&bare, &sessions, &delivered, &stanza);
        // Every session waiting to be resumed: the devices sleep, wake them (XEP-0357).
        let asleep = targets.iter().all(|s| s.is_detached());
        if asleep && crate::core::im::offline::holds(stanza.content()) {
            push::message_held(core, &bare, &stanza.to_element()).await;
        }
        // Several sessions share one copy, written for each without serializing again.
        let stanza = if targets.len() > 1 {
            Outbound::copy(&stanza.share(), to.clone())
        } else {
            stanza
        };
        for s in targets {
            s.send(stanza.clone());
        }
        return Ok(());
    }
    // No available session: an existing account finds the message in its archive later;
    // otherwise the sender learns the address is wrong. A room's copy for an occupant who
    // is offline is simply not delivered (the room's archive keeps it).
    if from_room || kind == MessageType::Headline {
        return Ok(());
    }
    let stanza = stanza.into_element();
    if !account_exists(core, &sessions, &bare).await? {
        core.bounce(&to, &stanza, refuse).await;
    } else if crate::core::im::offline::holds(&stanza) {
        if crate::core::im::offline::hold(core, &bare, &stanza).await? {
            push::message_held(core, &bare, &stanza).await;
        } else {
            core.bounce(&to, &stanza, crate::core::im::offline::queue_full(core))
                .await;
        }
    }
    Ok(())
}

/// Whether `bare` is an account here. Asked only when it matters (archiving, or nobody
/// to deliver to), so a room fanning out to its occupants costs no lookups.
async fn account_exists(core: &Core, sessions: &[Arc<Session>], bare: &BareJid) -> Result<bool, StoreError> {
    Ok(!sessions.is_empty() || core.accounts.exists(bare).await?)
}

async fn presence(core: &Core, from: Jid, to: Jid, stanza: Outbound) -> Result<(), RouteError> {
    let Some(kind) = PresenceType::of(stanza.content()) else {
        return Ok(());
    };
    if to.node().is_none() {
        // Presence to the server itself carries nothing for us.
        return Ok(());
    }
    if let Some(action) = SubscriptionAction::of(kind) {
        let stanza = stanza.into_element();
        if let Some(delivered) = roster::inbound(core, &from.to_bare(), &to.to_bare(), action, stanza).await? {
            deliver_presence(core, &from.to_bare().into(), &to.to_bare().into(), delivered.into());
        }
        return Ok(());
    }
    match kind {
        PresenceType::Probe => answer_probe(core, &from, &to.to_bare()).await,
        _ => {
            deliver_presence(core, &from, &to, stanza);
            Ok(())
        }
    }
}

/// Available, unavailable or error presence to a local JID: to the full JID's session,
/// or to every available session of the bare JID except the sender's own, each a copy
/// addressed to the session.
fn deliver_presence(core: &Core, from: &Jid, to: &Jid, stanza: Outbound) {
    match to.try_as_full() {
        Ok(full) => {
            if let Some(s) = core.sessions.session(full) {
                s.send(stanza);
            }
        }
        Err(bare) => {
            let shared = stanza.share();
            for s in core.sessions.sessions_of(bare) {
                if s.available() && from.try_as_full().ok() != Some(&s.jid) {
                    s.send(Outbound::copy(&shared, Jid::from(s.jid.clone())));
                }
            }
        }
    }
}

/// RFC 6121 §4.3.2: a probe of `owner` by `prober` is answered with the last presence of
/// each of `owner`'s available sessions, when `prober` is the owner (another resource)
/// or subscribed to the owner's presence. Otherwise nothing is sent.
async fn answer_probe(core: &Core, prober: &Jid, owner: &BareJid) -> Result<(), RouteError> {
    // The sessions first (in memory): an owner with none available needs no roster read.
    let present: Vec<(Jid, Element)> = core
        .sessions
        .sessions_of(owner)
        .iter()
        .filter(|s| prober.try_as_full().ok() != Some(&s.jid))
        .filter_map(|s| Some((Jid::from(s.jid.clone()), s.last_presence()?)))
        .collect();
    if present.is_empty() {
        return Ok(());
    }
    if &prober.to_bare() != owner {
        let item = core
            .stores
            .roster
            .roster_item(owner.as_str(), prober.to_bare().as_str())
            .await?;
        if !item.is_some_and(|i| matches!(i.subscription, Subscription::From | Subscription::Both)) {
            return Ok(());
        }
    }
    for (from, mut p) in present {
        p.set_attr("to", prober.to_string());
        core.route(from, p).await?;
    }
    Ok(())
}

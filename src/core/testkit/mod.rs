//! The real core on in-memory storage, for unit tests: sessions are registered directly
//! and read through their queues, so routing rules are tested without sockets or files.
//! Every routing step is awaited, so once a `send` returns, everything it caused is
//! queued.

pub(crate) mod cluster;

use super::session::{Inbox, Kick, Outbound, Session};
use super::{Core, Settings};
use crate::core::routing::router::Service;
use crate::store::Stores;
use crate::xml::{parse_element, Element};
use jid::{BareJid, FullJid};
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn settings() -> Settings {
    Settings {
        hosts: vec!["localhost".into(), "example.com".into()],
        sessions: super::session::Limits {
            queue_len: 100,
            queue_bytes: 1 << 20,
            max_per_user: 10,
        },
        archive: true,
        roster_max_items: 1000,
        offline: Some(crate::core::im::offline::OfflineSettings { max_messages: 3 }),
        push: Some(crate::core::im::push::PushSettings {
            max_registrations: 2,
            include_body: false,
        }),
        scram_iterations: 1,
        auth_cache_size: 100,
        max_auth_failures: 5,
        max_auth_failures_per_account: 5,
        auth_failure_window: Duration::from_secs(60),
        tokens: crate::core::account::tokens::TokenSettings {
            lifetime: Duration::from_secs(3600),
            max_per_user: 100,
        },
        muc_light: Some(super::muc_light::MucLightSettings {
            host: "muclight.@HOST@".into(),
            rules: super::muc_light::Rules {
                all_can_configure: false,
                all_can_invite: false,
                max_occupants: 5,
                rooms_per_user: 3,
            },
        }),
        stream_management: Some(crate::core::session::stream_management::SmSettings {
            resume_timeout: Duration::from_secs(300),
            buffer_max: 100,
            ack_freq: 1,
        }),
        csi: Some(crate::core::session::csi::CsiSettings { buffer_max: 100 }),
        uploads: None,
        pep: Some(super::pep::PepSettings {
            max_payload_size: 2048,
            max_avatar_size: 4096,
            max_nodes: 4,
            max_items: 5,
            max_bytes: 16 * 1024,
        }),
        caps_cache_size: 100,
        idempotency: crate::core::account::idempotency::IdempotencySettings::default(),
        s2s: None,
        webhooks: None,
        presence_rate: Some(crate::core::session::presence_shaper::PresenceRate::default()),
        vcard: Some(crate::core::user_data::vcard::VcardSettings { max_size: 2048 }),
        private: Some(crate::core::user_data::private::PrivateSettings {
            max_size: 2048,
            max_entries: 3,
        }),
        muc: Some(super::muc::MucSettings {
            host: "conference.@HOST@".into(),
            limits: super::muc::Limits {
                max_rooms: 10,
                max_rooms_per_user: 3,
                max_user_conferences: 5,
                max_users: 20,
                history_length: 3,
                ..Default::default()
            },
            defaults: super::muc::RoomDefaults {
                max_users: 20,
                ..Default::default()
            },
        }),
    }
}

pub(crate) struct Harness {
    pub core: Arc<Core>,
    pub stores: Stores,
}

/// A bound session and what was queued for it.
pub(crate) struct Client {
    pub session: Arc<Session>,
    inbox: Inbox,
}

/// Parses a stanza; unprefixed elements are `jabber:client`.
pub(crate) fn xml(text: &str) -> Element {
    parse_element(text).unwrap_or_else(|e| panic!("bad test XML {text}: {e}"))
}

/// The defined condition of an error stanza.
pub(crate) fn condition(stanza: &Element) -> Option<String> {
    let error = stanza.child("error", super::stanza::ns::CLIENT)?;
    error.elements().next().map(|c| c.name.clone())
}

impl Harness {
    /// `users` (local parts on `localhost`) registered with password `pw`.
    pub async fn new(users: &[&str]) -> Self {
        Self::with(settings(), users, Vec::new()).await
    }

    pub async fn with(settings: Settings, users: &[&str], components: Vec<(String, Arc<dyn Service>)>) -> Self {
        Self::with_stores(settings, Stores::memory(), users, components).await
    }

    /// On `stores` (memory ones with a feature swapped for a test's own, say).
    pub async fn with_stores(
        settings: Settings,
        stores: Stores,
        users: &[&str],
        components: Vec<(String, Arc<dyn Service>)>,
    ) -> Self {
        let core = Core::with_components(settings, stores.clone(), components)
            .await
            .expect("memory storage opens");
        core.start_lifecycle().await.expect("an empty log applies");
        let h = Harness { core, stores };
        for u in users {
            h.register(u).await;
        }
        h
    }

    pub async fn register(&self, user: &str) {
        let jid = BareJid::new(&format!("{user}@localhost")).unwrap();
        self.core.accounts().register(&jid, "pw").await.unwrap();
    }

    /// A session bound to `jid` that has sent no presence.
    pub fn bind(&self, jid: &str) -> Client {
        let (session, inbox) = self
            .core
            .open_session(FullJid::new(jid).unwrap(), super::session::SessionKind::XmppTcp)
            .unwrap();
        Client { session, inbox }
    }

    /// A session that sent initial presence with `priority`; its queue is emptied.
    pub async fn online_with(&self, jid: &str, priority: i8) -> Client {
        let mut c = self.bind(jid);
        self.send(&c, &format!("<presence><priority>{priority}</priority></presence>"))
            .await;
        c.take();
        c
    }

    pub async fn online(&self, jid: &str) -> Client {
        self.online_with(jid, 0).await
    }

    /// `client` sends `stanza`.
    pub async fn send(&self, client: &Client, stanza: &str) {
        self.core
            .from_client(
                &client.session,
                xml(stanza),
                crate::core::routing::pipeline::Turn::alone(),
            )
            .await;
    }

    /// `client` sends `stanza`, which comes back as the one error it gets: its condition.
    pub async fn error_for(&self, client: &mut Client, stanza: &str) -> Option<String> {
        self.send(client, stanza).await;
        condition(&client.take_one())
    }

    /// Ends the session as a door would when the connection goes away.
    pub async fn close(&self, client: Client) {
        self.core.close_session(&client.session).await;
    }

    /// `a` and `b` (bare JIDs) subscribed to each other, through the real handshake.
    pub async fn befriend(&self, a: &str, b: &str) {
        use crate::core::im::roster::outbound;
        use crate::core::im::roster::SubscriptionAction::*;
        let (a, b) = (BareJid::new(a).unwrap(), BareJid::new(b).unwrap());
        for (x, y) in [(&a, &b), (&b, &a)] {
            outbound(&self.core, x, y, Subscribe, None).await.unwrap();
            outbound(&self.core, y, x, Subscribed, None).await.unwrap();
        }
    }
}

impl Client {
    /// Everything queued so far, in order.
    pub fn take(&mut self) -> Vec<Element> {
        self.take_queued().into_iter().map(Outbound::into_element).collect()
    }

    /// Everything queued so far as the queue holds it (copies of shared stanzas as such).
    pub fn take_queued(&mut self) -> Vec<Outbound> {
        let mut out = Vec::new();
        while let Some(s) = self.inbox.try_recv() {
            out.push(s);
        }
        out
    }

    /// Exactly one queued stanza.
    pub fn take_one(&mut self) -> Element {
        let mut all = self.take();
        assert_eq!(all.len(), 1, "expected one stanza, got {all:#?}");
        all.remove(0)
    }

    /// The session and its queue, for a test that carries them as a door would.
    pub fn into_parts(self) -> (Arc<Session>, Inbox) {
        (self.session, self.inbox)
    }

    /// A client for a session and queue a test carried.
    pub fn from_parts(session: Arc<Session>, inbox: Inbox) -> Self {
        Client { session, inbox }
    }

    /// Why the session was told to end, if it was.
    pub fn kicked(&self) -> Option<Kick> {
        let kicked = self.session.kicked();
        futures::FutureExt::now_or_never(kicked)
    }
}

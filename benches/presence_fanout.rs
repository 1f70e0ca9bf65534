//! What one presence broadcast costs: a user whose roster holds `ROSTER` contacts, all
//! subscribed to the user's presence, of whom `present` have an available session, sends
//! available presence again and again. Prints the median and p99 per presence, for a few
//! numbers of present contacts; the cost should follow the contacts present, not the
//! roster's size.
//!
//!     cargo bench --bench presence_fanout [-- ROSTER]

use meerkat::core::routing::pipeline::Turn;
use meerkat::core::session::{Limits, SessionKind};
use meerkat::core::{Core, Settings};
use meerkat::store::{self, RosterEdit, RosterItem, Subscription};
use meerkat::xml::Element;
use std::time::{Duration, Instant};

const PRESENCES: usize = 400;

fn settings(roster: usize) -> Settings {
    Settings {
        hosts: vec!["localhost".into()],
        sessions: Limits {
            queue_len: 100_000,
            queue_bytes: 1 << 30,
            max_per_user: 10,
        },
        archive: false,
        roster_max_items: roster + 1,
        offline: None,
        push: None,
        scram_iterations: 4096,
        auth_cache_size: 0,
        max_auth_failures: 100,
        max_auth_failures_per_account: 10,
        auth_failure_window: Duration::from_secs(60),
        tokens: meerkat::core::account::tokens::TokenSettings {
            lifetime: Duration::from_secs(3600),
            max_per_user: 100,
        },
        muc_light: None,
        stream_management: None,
        csi: None,
        uploads: None,
        pep: None,
        caps_cache_size: 1,
        idempotency: meerkat::core::account::idempotency::IdempotencySettings::default(),
        s2s: None,
        webhooks: None,
        // Unshaped: every presence timed here is broadcast, not held.
        presence_rate: None,
        vcard: None,
        private: None,
        muc: None,
    }
}

fn presence() -> Element {
    Element::new("presence", "jabber:client").with_child(Element::new("show", "jabber:client").with_text("chat"))
}

fn main() {
    let roster: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let storage = store::Storage::Sqlite {
            data_dir: dir.path().to_owned(),
            durability: store::Durability::Process,
            cache_mb: store::sqlite::DEFAULT_CACHE_MB,
        };
        let stores = store::open(&storage).await.unwrap();
        for i in 0..roster {
            let contact = format!("user{i}@localhost");
            let mut item = RosterItem::new(&contact);
            item.subscription = Subscription::Both;
            stores
                .roster
                .update_roster_item(
                    "alice@localhost",
                    &contact,
                    usize::MAX,
                    Box::new(move |_| RosterEdit::Put(item)),
                )
                .await
                .unwrap();
        }
        let core = Core::new(settings(roster), stores).await.unwrap();
        let (alice, mut alice_inbox) = core
            .open_session("alice@localhost/bench".parse().unwrap(), SessionKind::XmppTcp)
            .unwrap();
        let mut inboxes = Vec::new();
        let mut present = 0;
        println!("roster of {roster} contacts, {PRESENCES} presences each");
        println!("| contacts present | median per presence | p99 |");
        println!("| ---: | ---: | ---: |");
        for target in [0usize, 10, 100, 1000.min(roster)] {
            while present < target {
                let (s, inbox) = core
                    .open_session(
                        format!("user{present}@localhost/r").parse().unwrap(),
                        SessionKind::XmppTcp,
                    )
                    .unwrap();
                core.from_client(&s, presence(), Turn::alone()).await;
                inboxes.push((s, inbox));
                present += 1;
            }
            let mut times = Vec::with_capacity(PRESENCES);
            for _ in 0..PRESENCES {
                let t = Instant::now();
                core.from_client(&alice, presence(), Turn::alone()).await;
                times.push(t.elapsed().as_secs_f64() * 1e6);
                while alice_inbox.try_recv().is_some() {}
                for (_, inbox) in inboxes.iter_mut() {
                    while inbox.try_recv().is_some() {}
                }
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
            println!("| {target} | {:.0} µs | {:.0} µs |", at(0.5), at(0.99));
        }
    });
}

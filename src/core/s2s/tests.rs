//! The outgoing queues and the incoming checks, in process: a fake dialer stands for the
//! door and the remote servers behind it.

use super::*;
use crate::core::testkit::{condition, settings, xml, Client, Harness};
use std::sync::atomic::AtomicUsize;
use tokio::sync::{mpsc, Semaphore};

/// What a remote domain does when dialled.
#[derive(Clone)]
enum Behaviour {
    /// A stream, once the gate lets the dial through.
    Accept(Arc<Semaphore>),
    NotFound,
    Refused,
    /// Never answers.
    Hang,
}

struct FakeDialer {
    behaviours: Mutex<HashMap<String, Behaviour>>,
    dials: AtomicUsize,
    /// Everything written to any stream: (local, remote, stanza).
    written: mpsc::UnboundedSender<(String, String, Element)>,
    /// Closing a stream from the remote side.
    hang_up: Arc<tokio::sync::Notify>,
    /// Writes fail from now on.
    broken: Arc<std::sync::atomic::AtomicBool>,
}

struct FakeStream {
    local: String,
    remote: String,
    written: mpsc::UnboundedSender<(String, String, Element)>,
    hang_up: Arc<tokio::sync::Notify>,
    broken: Arc<std::sync::atomic::AtomicBool>,
}

#[async_trait]
impl Outbound for FakeStream {
    async fn send(&mut self, stanzas: &[Element]) -> std::io::Result<()> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        for s in stanzas {
            let _ = self.written.send((self.local.clone(), self.remote.clone(), s.clone()));
        }
        Ok(())
    }
    async fn closed(&mut self) {
        self.hang_up.notified().await;
    }
    async fn close(self: Box<Self>) {}
}

#[async_trait]
impl Dialer for FakeDialer {
    async fn dial(&self, local: &str, remote: &str) -> Result<Box<dyn Outbound>, DialError> {
        self.dials.fetch_add(1, Ordering::SeqCst);
        let behaviour = self.behaviours.lock().unwrap().get(remote).cloned();
        match behaviour.unwrap_or(Behaviour::NotFound) {
            Behaviour::Accept(gate) => {
                let _permit = gate.acquire().await.expect("the gate stays open");
                Ok(Box::new(FakeStream {
                    local: local.to_owned(),
                    remote: remote.to_owned(),
                    written: self.written.clone(),
                    hang_up: self.hang_up.clone(),
                    broken: self.broken.clone(),
                }))
            }
            Behaviour::NotFound => Err(DialError::NotFound(format!("{remote} does not resolve"))),
            Behaviour::Refused => Err(DialError::Failed("TLS required".into())),
            Behaviour::Hang => std::future::pending().await,
        }
    }
}

struct World {
    h: Harness,
    dialer: Arc<FakeDialer>,
    written: mpsc::UnboundedReceiver<(String, String, Element)>,
}

fn s2s_settings() -> S2sSettings {
    S2sSettings {
        queue_len: 3,
        connect_timeout: Duration::from_secs(20),
        max_retry_delay: Duration::from_secs(8),
        secret: "s3cret".into(),
        ..S2sSettings::default()
    }
}

async fn world(s2s: S2sSettings, remotes: &[(&str, Behaviour)]) -> World {
    let mut settings = settings();
    settings.s2s = Some(s2s);
    let h = Harness::with(settings, &["alice", "bob"], Vec::new()).await;
    let (tx, written) = mpsc::unbounded_channel();
    let dialer = Arc::new(FakeDialer {
        behaviours: Mutex::new(remotes.iter().map(|(d, b)| (d.to_string(), b.clone())).collect()),
        dials: AtomicUsize::new(0),
        written: tx,
        hang_up: Arc::new(tokio::sync::Notify::new()),
        broken: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    });
    h.core.federate(dialer.clone());
    World { h, dialer, written }
}

fn chat(to: &str, body: &str) -> String {
    format!("<message to='{to}' type='chat' id='{body}'><body>{body}</body></message>")
}

fn body(stanza: &Element) -> String {
    stanza
        .child("body", crate::core::stanza::ns::CLIENT)
        .map(|b| b.text())
        .unwrap_or_default()
}

impl World {
    /// The next stanza written to a remote stream, waiting (in paused time) if needed.
    async fn next_written(&mut self) -> (String, String, Element) {
        tokio::time::timeout(Duration::from_secs(60), self.written.recv())
            .await
            .expect("a stanza is written in time")
            .expect("the dialer lives")
    }

    fn nothing_written(&mut self) -> bool {
        self.written.try_recv().is_err()
    }

    fn dials(&self) -> usize {
        self.dialer.dials.load(Ordering::SeqCst)
    }

    /// Lets spawned tasks run until they wait on something.
    async fn settle(&self) {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }
}

/// Waits for the error the client gets (spawned tasks bounce on their own time).
async fn error_of(client: &mut Client) -> Element {
    for _ in 0..200 {
        let got = client.take();
        if let Some(e) = got.into_iter().find(|s| s.attr("type") == Some("error")) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no error reached the client");
}

#[tokio::test(start_paused = true)]
async fn stanzas_for_a_remote_domain_wait_for_the_stream_then_flow_in_order() {
    let gate = Arc::new(Semaphore::new(0));
    let mut w = world(s2s_settings(), &[("remote.example", Behaviour::Accept(gate.clone()))]).await;
    let alice = w.h.online("alice@localhost/a").await;
    for b in ["one", "two", "three"] {
        w.h.send(&alice, &chat("rita@remote.example", b)).await;
    }
    w.settle().await;
    assert!(w.nothing_written(), "nothing goes out before the stream is up");
    assert_eq!(w.dials(), 1, "one dial for the pair, however many stanzas wait");
    gate.add_permits(10);
    for b in ["one", "two", "three"] {
        let (local, remote, stanza) = w.next_written().await;
        assert_eq!((local.as_str(), remote.as_str()), ("localhost", "remote.example"));
        assert_eq!(body(&stanza), b);
        assert_eq!(stanza.attr("from"), Some("alice@localhost/a"));
    }
    // The stream stays up: the next stanza needs no dial.
    w.h.send(&alice, &chat("rita@remote.example", "four")).await;
    assert_eq!(body(&w.next_written().await.2), "four");
    assert_eq!(w.dials(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_domain_that_does_not_resolve_bounces_what_waited_then_backs_off_doubling() {
    let w = world(s2s_settings(), &[("nowhere.example", Behaviour::NotFound)]).await;
    let mut alice = w.h.online("alice@localhost/a").await;
    w.h.send(&alice, &chat("rita@nowhere.example", "one")).await;
    let e = error_of(&mut alice).await;
    assert_eq!(condition(&e).as_deref(), Some("remote-server-not-found"));
    assert_eq!(e.attr("from"), Some("rita@nowhere.example"));
    assert_eq!(w.dials(), 1);
    // During the back-off (1 s): bounced at once, no new dial.
    w.h.send(&alice, &chat("rita@nowhere.example", "two")).await;
    assert_eq!(
        condition(&error_of(&mut alice).await).as_deref(),
        Some("remote-server-not-found")
    );
    assert_eq!(w.dials(), 1);
    // After it, the next stanza dials again; the second failure backs off 2 s.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    w.h.send(&alice, &chat("rita@nowhere.example", "three")).await;
    error_of(&mut alice).await;
    assert_eq!(w.dials(), 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    w.h.send(&alice, &chat("rita@nowhere.example", "four")).await;
    error_of(&mut alice).await;
    assert_eq!(w.dials(), 2, "still backing off 1.5 s after the second failure");
    tokio::time::sleep(Duration::from_millis(600)).await;
    w.h.send(&alice, &chat("rita@nowhere.example", "five")).await;
    error_of(&mut alice).await;
    assert_eq!(w.dials(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_stream_that_cannot_be_made_in_time_or_secured_bounces_with_remote_server_timeout() {
    let mut w = world(
        s2s_settings(),
        &[
            ("slow.example", Behaviour::Hang),
            ("strict.example", Behaviour::Refused),
        ],
    )
    .await;
    let mut alice = w.h.online("alice@localhost/a").await;
    w.h.send(&alice, &chat("rita@strict.example", "x")).await;
    assert_eq!(
        condition(&error_of(&mut alice).await).as_deref(),
        Some("remote-server-timeout")
    );
    w.h.send(&alice, &chat("rita@slow.example", "y")).await;
    w.settle().await;
    assert!(
        alice.take().is_empty(),
        "waiting, not bounced, before the dial times out"
    );
    tokio::time::sleep(Duration::from_secs(21)).await;
    let e = error_of(&mut alice).await;
    assert_eq!(condition(&e).as_deref(), Some("remote-server-timeout"));
    assert_eq!(e.attr("id"), Some("y"));
    assert!(w.nothing_written());
}

#[tokio::test(start_paused = true)]
async fn one_remote_domain_that_never_answers_slows_nobody_else() {
    let open = Arc::new(Semaphore::new(100));
    let mut w = world(
        s2s_settings(),
        &[
            ("slow.example", Behaviour::Hang),
            ("fast.example", Behaviour::Accept(open)),
        ],
    )
    .await;
    let alice = w.h.online("alice@localhost/a").await;
    let mut bob = w.h.online("bob@localhost/b").await;
    w.h.send(&alice, &chat("rita@slow.example", "stuck")).await;
    w.h.send(&alice, &chat("fred@fast.example", "through")).await;
    w.h.send(&alice, &chat("bob@localhost", "local")).await;
    let (_, remote, stanza) = w.next_written().await;
    assert_eq!((remote.as_str(), body(&stanza).as_str()), ("fast.example", "through"));
    assert_eq!(body(&bob.take_one()), "local");
}

#[tokio::test(start_paused = true)]
async fn a_domain_the_policy_refuses_is_not_allowed_at_once_without_a_dial() {
    let mut s = s2s_settings();
    s.policy.hosts.insert("banned.example".into(), false);
    let mut w = world(
        s,
        &[("banned.example", Behaviour::Accept(Arc::new(Semaphore::new(10))))],
    )
    .await;
    let mut alice = w.h.online("alice@localhost/a").await;
    assert_eq!(
        w.h.error_for(&mut alice, &chat("rita@banned.example", "x"))
            .await
            .as_deref(),
        Some("not-allowed")
    );
    assert_eq!(w.dials(), 0);
    assert!(w.nothing_written());
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_bounces_with_resource_constraint_and_keeps_what_it_holds() {
    let gate = Arc::new(Semaphore::new(0));
    let mut w = world(s2s_settings(), &[("remote.example", Behaviour::Accept(gate.clone()))]).await;
    let mut alice = w.h.online("alice@localhost/a").await;
    for b in ["1", "2", "3"] {
        w.h.send(&alice, &chat("rita@remote.example", b)).await;
    }
    assert_eq!(
        w.h.error_for(&mut alice, &chat("rita@remote.example", "4"))
            .await
            .as_deref(),
        Some("resource-constraint")
    );
    assert!(w
        .h
        .core
        .metrics_text()
        .contains("meerkat_s2s_queued_stanzas{remote=\"remote.example\"} 3"));
    gate.add_permits(1);
    for b in ["1", "2", "3"] {
        assert_eq!(body(&w.next_written().await.2), b);
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_the_remote_closes_is_dialled_again_for_the_next_stanza() {
    let open = Arc::new(Semaphore::new(100));
    let mut w = world(s2s_settings(), &[("remote.example", Behaviour::Accept(open))]).await;
    let alice = w.h.online("alice@localhost/a").await;
    w.h.send(&alice, &chat("rita@remote.example", "one")).await;
    w.next_written().await;
    w.dialer.hang_up.notify_waiters();
    w.settle().await;
    w.h.send(&alice, &chat("rita@remote.example", "two")).await;
    assert_eq!(body(&w.next_written().await.2), "two");
    assert_eq!(w.dials(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_write_that_fails_bounces_its_stanzas_with_remote_server_timeout() {
    let open = Arc::new(Semaphore::new(100));
    let mut w = world(s2s_settings(), &[("remote.example", Behaviour::Accept(open))]).await;
    let mut alice = w.h.online("alice@localhost/a").await;
    w.h.send(&alice, &chat("rita@remote.example", "one")).await;
    w.next_written().await;
    w.dialer.broken.store(true, Ordering::SeqCst);
    w.h.send(&alice, &chat("rita@remote.example", "two")).await;
    let e = error_of(&mut alice).await;
    assert_eq!(condition(&e).as_deref(), Some("remote-server-timeout"));
    assert_eq!(e.attr("id"), Some("two"));
    assert!(w.h.core.metrics_text().contains("meerkat_s2s_bounced_total 1"));
}

#[tokio::test(start_paused = true)]
async fn an_idle_stream_is_closed_and_the_next_stanza_dials_again() {
    let open = Arc::new(Semaphore::new(100));
    let mut w = world(s2s_settings(), &[("remote.example", Behaviour::Accept(open))]).await;
    let alice = w.h.online("alice@localhost/a").await;
    w.h.send(&alice, &chat("rita@remote.example", "one")).await;
    w.next_written().await;
    assert!(w
        .h
        .core
        .metrics_text()
        .contains("meerkat_s2s_outgoing_streams{remote=\"remote.example\"} 1"));
    tokio::time::sleep(Duration::from_secs(601)).await;
    assert!(w
        .h
        .core
        .metrics_text()
        .contains("meerkat_s2s_outgoing_streams{remote=\"remote.example\"} 0"));
    w.h.send(&alice, &chat("rita@remote.example", "two")).await;
    w.next_written().await;
    assert_eq!(w.dials(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_room_and_a_user_of_this_server_get_a_stream_each() {
    let open = Arc::new(Semaphore::new(100));
    let mut w = world(s2s_settings(), &[("remote.example", Behaviour::Accept(open))]).await;
    let alice = w.h.online("alice@localhost/a").await;
    w.h.send(&alice, &chat("rita@remote.example", "from alice")).await;
    let (local, ..) = w.next_written().await;
    assert_eq!(local, "localhost");
    w.h.core
        .route(
            crate::core::jid::parse("room@muclight.localhost").unwrap(),
            xml("<message to='rita@remote.example' from='room@muclight.localhost' type='groupchat'><body>r</body></message>"),
        )
        .await
        .unwrap();
    let (local, ..) = w.next_written().await;
    assert_eq!(local, "muclight.localhost");
    assert_eq!(w.dials(), 2);
}

#[tokio::test]
async fn a_stanza_from_another_server_reaches_a_local_user_once_its_addresses_check_out() {
    let w = world(s2s_settings(), &[]).await;
    let mut bob = w.h.online("bob@localhost/b").await;
    let authenticated = |remote: &str, local: &str| remote == "remote.example" && local == "localhost";
    let good = xml("<message from='rita@remote.example/x' to='bob@localhost' type='chat'><body>hi</body></message>");
    let (from, _) = check_incoming(&w.h.core, &good, authenticated).expect("addresses check out");
    w.h.core.route_from_remote(from, good).await;
    let got = bob.take_one();
    assert_eq!(got.attr("from"), Some("rita@remote.example/x"));
    assert_eq!(body(&got), "hi");

    let spoofed = xml("<message from='eve@other.example' to='bob@localhost'><body>x</body></message>");
    assert_eq!(
        check_incoming(&w.h.core, &spoofed, authenticated).unwrap_err(),
        IncomingViolation::InvalidFrom
    );
    let no_from = xml("<message to='bob@localhost'><body>x</body></message>");
    assert_eq!(
        check_incoming(&w.h.core, &no_from, authenticated).unwrap_err(),
        IncomingViolation::InvalidFrom
    );
    let relayed = xml("<message from='rita@remote.example' to='carol@third.example'><body>x</body></message>");
    assert_eq!(
        check_incoming(&w.h.core, &relayed, authenticated).unwrap_err(),
        IncomingViolation::HostUnknown
    );
    // Authenticated for `localhost` only, not for the other host this server serves.
    let other_pair = xml("<message from='rita@remote.example' to='bob@example.com'><body>x</body></message>");
    assert_eq!(
        check_incoming(&w.h.core, &other_pair, authenticated).unwrap_err(),
        IncomingViolation::InvalidFrom
    );
}

#[tokio::test]
async fn a_stanza_from_a_domain_the_policy_refuses_ends_the_stream() {
    let mut s = s2s_settings();
    s.policy.default_allow = false;
    let w = world(s, &[]).await;
    let stanza = xml("<message from='rita@remote.example' to='bob@localhost'><body>x</body></message>");
    assert_eq!(
        check_incoming(&w.h.core, &stanza, |_, _| true).unwrap_err(),
        IncomingViolation::PolicyViolation
    );
}

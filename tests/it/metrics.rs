//! The Prometheus endpoint (`mongoose_prometheus_handler`) of the real server: an
//! operator scrapes it while users log in over TCP, WebSocket and SSE, send messages and
//! guess passwords, and reads exact figures back.

use crate::common;
use crate::common::sse::EventStream;
use crate::common::xmpp::{online, ping_error, raw_login, Jid, Transport};
use crate::common::{basic, raw_request, TestServer};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use meerkat_client_api::models::MessageRequest;
use meerkat_client_api::{ApiNoContext as _, SendMessageResponse};
use sasl::client::mechanisms::Scram;
use sasl::client::Mechanism;
use sasl::common::scram::Sha1;
use sasl::common::ChannelBinding;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The client API and XMPP over WebSocket on one listener, the admin API and the metrics
/// on a loopback one, c2s with STARTTLS. Session queues hold 4 KiB, and two failed logins
/// to one account from one address are enough to be throttled.
fn config(data: &Path) -> String {
    format!(
        r#"
[general]
hosts = ["localhost"]
data_dir = "{data}"
max_session_queue_bytes = 4096

[auth]
max_failures_per_account = 2

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"
  [[listen.http.handlers.mongoose_websocket_handler]]
  path = "/ws-xmpp"

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"
  [[listen.http.handlers.mongoose_prometheus_handler]]
  path = "/metrics"

[[listen.c2s]]
port = 0
ip_address = "127.0.0.1"
"#,
        data = data.display()
    )
}

/// One scrape: every sample by its series (name and labels as written).
struct Scrape {
    samples: HashMap<String, f64>,
}

impl Scrape {
    /// Scrapes and checks the text format as it goes: every sample belongs to the family
    /// the last `# TYPE` line announced, and every value parses.
    fn take(server: &TestServer) -> Scrape {
        let r = raw_request(server.addr("mongoose_prometheus_handler"), "GET", "/metrics", &[], "");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        let mut samples = HashMap::new();
        let mut family = None;
        for line in r.body.lines() {
            if let Some(t) = line.strip_prefix("# TYPE ") {
                family = t.split(' ').next().map(str::to_owned);
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {line:?}"));
            let f = family.as_deref().unwrap_or_else(|| panic!("{line:?} before any TYPE"));
            assert!(series.starts_with(f), "{series} is outside its family {f}");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line:?}"));
            assert!(samples.insert(series.to_owned(), value).is_none(), "{series} twice");
        }
        Scrape { samples }
    }

    fn get(&self, series: &str) -> f64 {
        *self
            .samples
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in {:?}", self.samples.keys()))
    }

    /// `name{label="value"}`.
    fn labelled(&self, name: &str, label: &str, value: &str) -> f64 {
        self.get(&format!("{name}{{{label}=\"{value}\"}}"))
    }

    fn sessions(&self, kind: &str) -> f64 {
        self.labelled("meerkat_sessions", "kind", kind)
    }

    fn routed(&self, kind: &str) -> f64 {
        self.labelled("meerkat_routed_stanzas_total", "kind", kind)
    }

    fn failures(&self, door: &str) -> f64 {
        self.labelled("meerkat_login_failures_total", "door", door)
    }

    fn throttled(&self, door: &str) -> f64 {
        self.labelled("meerkat_login_throttled_total", "door", door)
    }

    fn closed_queue_full(&self, limit: &str) -> f64 {
        self.labelled("meerkat_sessions_closed_queue_full_total", "limit", limit)
    }

    fn commits(&self) -> f64 {
        self.get("meerkat_archive_commit_seconds_count")
    }
}

type Ws = WebSocketStream<TcpStream>;

async fn ws_send(ws: &mut Ws, text: String) {
    ws.send(Message::text(text)).await.expect("WebSocket send");
}

/// The next text message.
async fn ws_next(ws: &mut Ws) -> String {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("nothing from the server within 10 s")
            .expect("the WebSocket ended")
            .expect("a WebSocket message");
        if let Message::Text(t) = m {
            return t.to_string();
        }
    }
}

/// The text content of a one-element message such as `<challenge …>B64</challenge>`.
fn content(element: &str) -> &str {
    element
        .split_once('>')
        .and_then(|(_, rest)| rest.split_once('<'))
        .map_or("", |(text, _)| text)
}

/// Opens an RFC 7395 stream (header and features read).
async fn ws_open(ws: &mut Ws) {
    ws_send(
        ws,
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>".into(),
    )
    .await;
    assert!(ws_next(ws).await.starts_with("<open"));
    assert!(ws_next(ws).await.contains("features"));
}

/// Logs in over XMPP on WebSocket with SCRAM-SHA-1 and binds a resource: `Ok` with the
/// bound stream, `Err` with the server's SASL failure.
async fn ws_login(server: &TestServer, user: &str, password: &str) -> Result<Ws, String> {
    let addr = server.addr("mongoose_websocket_handler");
    let mut request = format!("ws://{addr}/ws-xmpp").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "xmpp".parse().unwrap());
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp).await.expect("upgrade");
    ws_open(&mut ws).await;
    let sasl_ns = "urn:ietf:params:xml:ns:xmpp-sasl";
    let mut scram = Scram::<Sha1>::new(user, password, ChannelBinding::None).unwrap();
    let first = B64.encode(scram.initial());
    ws_send(
        &mut ws,
        format!("<auth xmlns='{sasl_ns}' mechanism='SCRAM-SHA-1'>{first}</auth>"),
    )
    .await;
    let challenge = B64.decode(content(&ws_next(&mut ws).await)).unwrap();
    let response = B64.encode(scram.response(&challenge).unwrap());
    ws_send(&mut ws, format!("<response xmlns='{sasl_ns}'>{response}</response>")).await;
    let outcome = ws_next(&mut ws).await;
    if !outcome.starts_with("<success") {
        return Err(outcome);
    }
    ws_open(&mut ws).await;
    ws_send(
        &mut ws,
        "<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>".into(),
    )
    .await;
    let bound = ws_next(&mut ws).await;
    assert!(bound.contains("type='result'") && bound.contains("<jid"), "{bound}");
    Ok(ws)
}

async fn rest_send(server: &TestServer, to: &str, body: String) {
    let r = server
        .client_as("alice@localhost", "secret")
        .send_message(MessageRequest::new(to.into(), body), None)
        .await
        .unwrap();
    assert!(matches!(r, SendMessageResponse::MessageSent(_)), "{r:?}");
}

#[tokio::test]
async fn an_operator_scrapes_sessions_messages_and_login_failures() {
    let server = TestServer::start_with(config);
    let fresh = Scrape::take(&server);
    for kind in ["xmpp_tcp", "xmpp_websocket", "sse"] {
        assert_eq!(fresh.sessions(kind), 0.0, "{kind}");
    }
    assert_eq!(fresh.routed("message"), 0.0);
    assert_eq!(fresh.commits(), 0.0);
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }

    // One session of each kind: bob over TCP (no presence sent) and SSE, carol over WebSocket.
    let (mut bob_xmpp, _) = online(&server, "bob@localhost/phone", "secret", Transport::StartTls).await;
    let _carol = ws_login(&server, "carol", "secret").await.expect("carol logs in");
    let mut bob_sse = EventStream::open(&server, "bob@localhost").await;

    // One REST message (archived, then on bob's event stream) and one ping and its result.
    rest_send(&server, "bob@localhost", "hello".into()).await;
    let (_, item) = bob_sse.next_message().await;
    assert_eq!(item["body"], "hello");
    assert_eq!(ping_error(&mut bob_xmpp, "localhost").await, None);

    // Wrong passwords: twice over REST to one account, then the throttle refuses it;
    // once over c2s and once over WebSocket to another.
    let api = server.addr("mongoose_client_api");
    let guess = basic("mallory@localhost", "guess");
    let statuses: Vec<u16> = (0..3)
        .map(|_| raw_request(api, "GET", "/api/contacts", &[("authorization", &guess)], "").status)
        .collect();
    assert_eq!(statuses, [401, 401, 429]);
    let eve: Jid = "eve@localhost".parse().unwrap();
    let connector = common::xmpp::connector(&server, Transport::StartTls);
    assert!(raw_login(&connector, &eve, "guess", None).await.is_err());
    let refused = ws_login(&server, "eve", "guess")
        .await
        .expect_err("a wrong password fails");
    assert!(refused.contains("not-authorized"), "{refused}");

    let s = Scrape::take(&server);
    assert_eq!(
        (s.sessions("xmpp_tcp"), s.sessions("xmpp_websocket"), s.sessions("sse")),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(s.routed("message"), 1.0);
    assert_eq!(s.routed("iq"), 2.0, "the ping and its result");
    assert_eq!(s.routed("presence"), 0.0, "nobody sent presence");
    assert_eq!(s.commits(), 1.0, "one append holds both copies");
    assert_eq!(s.get("meerkat_archive_commit_seconds_bucket{le=\"+Inf\"}"), 1.0);
    assert!(s.get("meerkat_archive_commit_seconds_sum") > 0.0);
    // The message's stages, each observed once; the whole takes at least the commit.
    let stage = |name: &str, what: &str| s.get(&format!("meerkat_message_stage_seconds_{what}{{stage=\"{name}\"}}"));
    for name in ["route", "archive_queue", "archive_commit", "order", "deliver", "total"] {
        assert_eq!(stage(name, "count"), 1.0, "{name}");
    }
    assert!(stage("total", "sum") >= stage("archive_commit", "sum"));
    assert_eq!(
        (s.failures("rest"), s.failures("c2s"), s.failures("websocket")),
        (2.0, 1.0, 1.0)
    );
    assert_eq!(
        (s.throttled("rest"), s.throttled("c2s"), s.throttled("websocket")),
        (1.0, 0.0, 0.0)
    );
    assert_eq!(
        (s.closed_queue_full("stanzas"), s.closed_queue_full("bytes")),
        (0.0, 0.0)
    );
    assert!(s.get("meerkat_uptime_seconds") > 0.0);

    // A message larger than bob's 4 KiB queue: archived and acknowledged, but his event
    // stream cannot take it and is closed.
    rest_send(&server, "bob@localhost", "x".repeat(6000)).await;
    assert!(bob_sse.ends_within(Duration::from_secs(10)).await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let s = loop {
        let s = Scrape::take(&server);
        if s.sessions("sse") == 0.0 || tokio::time::Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(s.sessions("sse"), 0.0, "the closed stream left the table");
    assert_eq!(
        (s.closed_queue_full("stanzas"), s.closed_queue_full("bytes")),
        (0.0, 1.0)
    );
    assert_eq!(s.routed("message"), 2.0);
    assert_eq!(s.commits(), 2.0);
    // Buckets are cumulative.
    let mut buckets: Vec<(f64, f64)> = s
        .samples
        .iter()
        .filter_map(|(k, v)| {
            let le = k.strip_prefix("meerkat_archive_commit_seconds_bucket{le=\"")?;
            let le = le.trim_end_matches("\"}");
            Some((if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? }, *v))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
    assert_eq!(buckets.last().map(|b| b.1), Some(2.0));

    // Only where configured, and only for reading.
    assert_eq!(raw_request(api, "GET", "/metrics", &[], "").status, 404);
    let post = raw_request(server.addr("mongoose_prometheus_handler"), "POST", "/metrics", &[], "");
    assert_eq!((post.status, post.header("allow")), (405, Some("GET, HEAD")));
    bob_xmpp.send_end().await.unwrap();
}

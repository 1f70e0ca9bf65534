//! Requests that hold a connection without finishing: bodies that never arrive (or
//! trickle) over REST, the admin API and BOSH, HTTP/2 streams waiting for DATA and
//! connections kept open with nothing but pings, and a full listener that makes room.
//! A legitimate client is served throughout.

use crate::common::{basic, raw_request, TestServer};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One HTTP listener with the client API and BOSH, one with the admin API; `listener`
/// lines go into both tables.
fn config(data: &std::path::Path, listener: &str) -> String {
    format!(
        r#"
[auth]
scram_iterations = 4096

[general]
hosts = ["localhost"]
data_dir = "{data}"

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
{listener}
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"
  [[listen.http.handlers.mod_bosh]]
  path = "/http-bind"

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
{listener}
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"

[modules.mod_bosh]
"#,
        data = data.display()
    )
}

async fn server(listener: &str) -> TestServer {
    let listener = listener.to_owned();
    let server = TestServer::start_with(move |dir| config(dir, &listener));
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    server
}

/// A blocking connection to `addr` from the loopback address `ip`.
async fn connect_from(ip: &str, addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
    let s = socket.connect(addr).await.unwrap().into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    s
}

/// Sends a request header announcing 1,000 bytes of body, and six of them.
fn start_stalled(s: &mut TcpStream, method: &str, path: &str, headers: &[(&str, &str)]) {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n{\"to\":");
    s.write_all(req.as_bytes()).unwrap();
}

/// Reads what the server sends on `s` until it closes (or `wait` passes): the status of
/// its answer (0 for none), its `Connection` header, and whether it closed.
fn answer_and_close(s: &mut TcpStream, wait: Duration) -> (u16, Option<String>, bool) {
    let deadline = Instant::now() + wait;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let mut closed = false;
    while Instant::now() < deadline {
        s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        match s.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let connection = text.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("connection:")
            .map(|v| v.trim().to_owned())
    });
    (status, connection, closed)
}

fn contacts_status(addr: SocketAddr) -> (u16, Duration) {
    let started = Instant::now();
    let r = raw_request(
        addr,
        "GET",
        "/api/contacts",
        &[("Authorization", &basic("alice@localhost", "secret"))],
        "",
    );
    (r.status, started.elapsed())
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_and_its_connection_closes_on_every_door() {
    let server = server("request_timeout = 1").await;
    let addr = server.addr("mongoose_client_api");
    let alice = basic("alice@localhost", "secret");
    let admin = server.addr("mongoose_admin_api");
    type Door<'a> = (SocketAddr, &'a str, &'a str, Vec<(&'a str, &'a str)>);
    let doors: [Door; 3] = [
        (
            addr,
            "/api/messages",
            "POST",
            vec![("Authorization", alice.as_str()), ("Content-Type", "application/json")],
        ),
        (
            admin,
            "/api/users/localhost",
            "POST",
            vec![("Content-Type", "application/json")],
        ),
        (
            addr,
            "/http-bind",
            "POST",
            vec![("Content-Type", "text/xml; charset=utf-8")],
        ),
    ];
    let mut stalled = Vec::new();
    for (to, path, method, headers) in &doors {
        let mut s = connect_from("127.0.0.2", *to).await;
        start_stalled(&mut s, method, path, headers);
        stalled.push((path, s, Instant::now()));
    }
    // Served meanwhile, at once.
    let (status, took) = contacts_status(addr);
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "{took:?}");
    for (path, s, started) in stalled.iter_mut() {
        let (status, connection, closed) = answer_and_close(s, Duration::from_secs(5));
        let took = started.elapsed();
        assert_eq!(status, 408, "{path}");
        assert_eq!(connection.as_deref(), Some("close"), "{path}");
        assert!(closed, "{path}: the connection ends with the answer");
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(4),
            "{path}: answered after {took:?}"
        );
    }
}

#[tokio::test]
async fn a_body_must_keep_up_the_minimum_rate_and_one_that_does_is_taken_whole() {
    let server = server("request_timeout = 1\nmin_body_rate = 1000").await;
    let addr = server.addr("mongoose_client_api");
    let alice = basic("alice@localhost", "secret");
    let head = |len: usize| {
        format!(
            "POST /api/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: {alice}\r\n\
             Content-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
        )
    };

    // 3,000 bytes at 2,000 a second: 1.5 s, within the second of grace plus the three
    // seconds they earn.
    let body = format!(r#"{{"to":"bob@localhost","body":"{}"}}"#, "x".repeat(2_968));
    assert_eq!(body.len(), 3_000);
    let mut s = connect_from("127.0.0.2", addr).await;
    s.write_all(head(body.len()).as_bytes()).unwrap();
    for chunk in body.as_bytes().chunks(100) {
        s.write_all(chunk).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, _, _) = answer_and_close(&mut s, Duration::from_secs(2));
    assert_eq!(status, 200, "a body that keeps up is never cut off");

    // A byte every 200 ms keeps arriving but earns nothing like the time it takes.
    let mut s = connect_from("127.0.0.2", addr).await;
    s.write_all(head(1000).as_bytes()).unwrap();
    let started = Instant::now();
    let mut answered = None;
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut buf = [0u8; 1024];
    while started.elapsed() < Duration::from_secs(6) {
        if s.write_all(b" ").is_err() {
            break;
        }
        match s.read(&mut buf) {
            Ok(n) if n > 0 => {
                answered = Some((String::from_utf8_lossy(&buf[..n]).into_owned(), started.elapsed()));
                break;
            }
            Ok(_) => break,
            Err(_) => {}
        }
    }
    let (text, took) = answered.expect("a trickling body is answered");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        took < Duration::from_secs(3),
        "cut off at its deadline, not per chunk: {took:?}"
    );
}

/// An HTTP/2 connection (prior knowledge, over TCP) to `addr`; its driver runs on a task
/// that ends when the server closes the connection.
async fn h2_connect(
    addr: SocketAddr,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    (client, tokio::spawn(connection))
}

#[tokio::test]
async fn an_http2_stream_waiting_for_data_is_answered_408_and_reset_and_an_idle_connection_gets_goaway() {
    let server = server("request_timeout = 1\nidle_timeout = 2").await;
    let addr = server.addr("mongoose_client_api");
    let alice = basic("alice@localhost", "secret");
    let (client, connection) = h2_connect(addr).await;
    let mut client = client.ready().await.unwrap();

    let contacts = || {
        hyper::Request::get("http://localhost/api/contacts")
            .header("authorization", &alice)
            .body(())
            .unwrap()
    };
    // Alice's password is checked once; later requests find it in the credential cache.
    let (response, _) = client.send_request(contacts(), true).unwrap();
    assert_eq!(response.await.unwrap().status(), 200);

    // 50 streams announce a body and send none of it.
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let req = hyper::Request::post("http://localhost/api/messages")
            .header("authorization", &alice)
            .header("content-type", "application/json")
            .header("content-length", "1000")
            .body(())
            .unwrap();
        let (response, send) = client.send_request(req, false).unwrap();
        stalled.push((response, send));
        client = client.ready().await.unwrap();
    }
    // The same connection serves another stream meanwhile.
    let (response, _) = client.send_request(contacts(), true).unwrap();
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(10), response)
        .await
        .expect("served at once")
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());

    for (response, mut send) in stalled {
        let response = tokio::time::timeout(Duration::from_secs(5), response)
            .await
            .expect("a stalled stream is answered")
            .unwrap();
        assert_eq!(response.status(), 408);
        let reset = tokio::time::timeout(Duration::from_secs(5), std::future::poll_fn(|cx| send.poll_reset(cx)))
            .await
            .expect("and reset");
        assert!(reset.is_ok(), "{reset:?}");
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "within the deadline: {took:?}");

    // Nothing in flight: the connection ends after idle_timeout although this client
    // answers every ping.
    let ended = tokio::time::timeout(Duration::from_secs(6), connection)
        .await
        .expect("an idle HTTP/2 connection is closed");
    assert!(ended.unwrap().is_ok(), "with a GOAWAY, not an error");
    drop(client);
}

#[tokio::test]
async fn a_full_listener_closes_the_connection_waiting_longest_for_a_new_client_and_never_an_event_stream() {
    let server = server("max_connections = 10\nmax_connections_per_ip = 5\nrequest_timeout = 60").await;
    let addr = server.addr("mongoose_client_api");
    // An event stream in flight takes a slot first.
    let mut events = connect_from("127.0.0.2", addr).await;
    events
        .write_all(
            format!(
                "GET /api/sse HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\n\r\n",
                basic("bob@localhost", "secret")
            )
            .as_bytes(),
        )
        .unwrap();
    let (status, _, _) = answer_and_close(&mut events, Duration::from_millis(500));
    assert_eq!(status, 200);
    // Nine stalled BOSH bodies from two addresses take the rest.
    let mut stalled = Vec::new();
    for i in 0..9 {
        let ip = if i < 4 { "127.0.0.2" } else { "127.0.0.3" };
        let mut s = connect_from(ip, addr).await;
        start_stalled(&mut s, "POST", "/http-bind", &[]);
        stalled.push(s);
        // Each waits a little longer than the next.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Every slot is taken; a new client is served within a second all the same, three
    // times over.
    for _ in 0..3 {
        let (status, took) = contacts_status(addr);
        assert_eq!(status, 200);
        assert!(took < Duration::from_secs(1), "{took:?}");
    }
    // The one that waited longest made room; the next ones did if a new client came
    // before the last one's slot was given back, oldest first. The event stream is
    // still open.
    let closed: Vec<bool> = stalled
        .iter_mut()
        .map(|s| answer_and_close(s, Duration::from_millis(100)).2)
        .collect();
    let made_room = closed.iter().take_while(|c| **c).count();
    assert!((1..=3).contains(&made_room), "{closed:?}");
    assert!(closed[made_room..].iter().all(|c| !c), "oldest first: {closed:?}");
    let alice = server.client_as("alice@localhost", "secret");
    use meerkat_client_api::ApiNoContext as _;
    let r = alice
        .send_message(
            meerkat_client_api::models::MessageRequest::new("bob@localhost".into(), "still there?".into()),
            None,
        )
        .await
        .unwrap();
    assert!(
        matches!(r, meerkat_client_api::SendMessageResponse::MessageSent(_)),
        "{r:?}"
    );
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(3);
    events.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !String::from_utf8_lossy(&seen).contains("still there?") {
        match events.read(&mut buf) {
            Ok(0) => panic!("the event stream was closed"),
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    assert!(
        String::from_utf8_lossy(&seen).contains("still there?"),
        "the event stream keeps delivering"
    );
}

//! Clients that hold an HTTP connection without finishing anything: a request body that
//! never arrives (the server's body deadline must answer `408` and close), and an HTTP/2
//! connection that is served once and then only answers pings (the server's
//! `idle_timeout` must close it). Each loops until the load ends, one connection at a time.

use super::{basic, bump, Env, Stop, REQUEST_TIMEOUT};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// How late past its deadline the server may act and still count as on time (the
/// machine is busy with the rest of the load).
const SLACK: Duration = Duration::from_secs(5);

/// Sends `POST /api/messages` announcing 1,000 bytes and six of them, then waits for the
/// server: `408` and the connection closed within `request_timeout` (plus [`SLACK`]) is
/// a cut, anything else is counted apart and noted.
pub(super) async fn stalled_body(env: Arc<Env>, me: String, request_timeout: Duration, mut stop: Stop) {
    while !stop.is_set() {
        let mut s = match TcpStream::connect(env.http).await {
            Ok(s) => s,
            Err(e) => {
                env.note(format!("stalled body: connect: {e}"));
                bump(&env.counters.body_not_cut);
                if stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        let head = format!(
            "POST /api/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"to\":",
            basic(&me)
        );
        let started = Instant::now();
        if s.write_all(head.as_bytes()).await.is_err() {
            bump(&env.counters.body_not_cut);
            continue;
        }
        let mut answer = Vec::new();
        let read = async {
            let mut buf = [0u8; 1024];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                }
            }
        };
        let closed = tokio::select! {
            r = tokio::time::timeout(request_timeout + SLACK, read) => r.unwrap_or(false),
            _ = stop.wait() => return,
        };
        let took = started.elapsed();
        let text = String::from_utf8_lossy(&answer);
        let status = text.split(' ').nth(1).unwrap_or("none");
        if status == "408" && closed && took + Duration::from_millis(500) >= request_timeout {
            bump(&env.counters.body_cut);
        } else {
            bump(&env.counters.body_not_cut);
            env.note(format!(
                "stalled body: status {status}, closed {closed}, after {:.1} s",
                took.as_secs_f64()
            ));
        }
    }
}

/// Opens an HTTP/2 connection (prior knowledge), gets `/api/contacts` on it, then keeps
/// it without a request (the client library answers the server's pings) until the
/// server closes it: within `idle_timeout` plus `request_timeout` (the time a GOAWAY
/// leaves) plus [`SLACK`] is a close, later is a survivor.
pub(super) async fn idle_http2(
    env: Arc<Env>,
    me: String,
    idle_timeout: Duration,
    request_timeout: Duration,
    mut stop: Stop,
) {
    let limit = idle_timeout + request_timeout + SLACK;
    while !stop.is_set() {
        let served = match serve_once(&env, &me).await {
            Ok(held) => held,
            Err(e) => {
                bump(&env.counters.h2_failed);
                env.note(format!("idle HTTP/2: {e}"));
                if stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        let (send, mut connection, at) = served;
        tokio::select! {
            _ = &mut connection => {
                let took = at.elapsed();
                if took + Duration::from_millis(500) >= idle_timeout {
                    bump(&env.counters.h2_closed);
                } else {
                    bump(&env.counters.h2_failed);
                    env.note(format!("idle HTTP/2: closed after {:.1} s, before idle_timeout", took.as_secs_f64()));
                }
            }
            _ = tokio::time::sleep(limit) => {
                bump(&env.counters.h2_survived);
                connection.abort();
            }
            _ = stop.wait() => {
                connection.abort();
                return;
            }
        }
        // Held until the server ended the connection: dropping it would end it here.
        drop(send);
    }
}

type Held = (
    hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    tokio::task::JoinHandle<()>,
    Instant,
);

async fn serve_once(env: &Env, me: &str) -> Result<Held, String> {
    let tcp = TcpStream::connect(env.http)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut send, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    let req = hyper::Request::get(format!("http://{}/api/contacts", env.http))
        .header(hyper::header::AUTHORIZATION, basic(me))
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = tokio::time::timeout(REQUEST_TIMEOUT, send.send_request(req))
        .await
        .map_err(|_| "no answer in 10 s".to_owned())?
        .map_err(|e| format!("request: {e}"))?;
    if response.status() != 200 {
        return Err(format!("answered {}", response.status()));
    }
    let _ = response.into_body().collect().await;
    bump(&env.counters.h2_served);
    Ok((send, connection, Instant::now()))
}

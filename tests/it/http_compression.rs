//! `compress = true` on an HTTP listener, end to end: JSON answers and the event stream
//! compressed for clients that accept it (the stream still event by event), nothing
//! encoded for those that do not, and MongooseIM's `num_acceptors` accepted.

use crate::common;
use crate::common::{basic, TestServer};
use bytes::Bytes;
use flate2::write::{GzDecoder, ZlibDecoder};
use http_body_util::{BodyExt, Empty};
use hyper::header::HeaderMap;
use std::io::Write;
use std::time::Duration;

const PASSWORD: &str = "secret";

/// The test config with compression (and MongooseIM's acceptor counts) on the client
/// API's listener.
fn compressing(dir: &std::path::Path) -> String {
    common::default_config(dir, "").replacen(
        "max_body_size = 4096\n",
        "max_body_size = 4096\ncompress = true\nnum_acceptors = 10\ntransport.num_acceptors = 10\n",
        1,
    )
}

async fn started(make_config: fn(&std::path::Path) -> String) -> TestServer {
    let server = TestServer::start_with(make_config);
    server.register("alice", PASSWORD).await;
    server.register("bob", PASSWORD).await;
    server
}

fn client() -> hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>> {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// `GET path` as `user`; the status, headers and body bytes as received.
async fn get(server: &TestServer, user: &str, path: &str, accept: Option<&str>) -> (u16, HeaderMap, Vec<u8>) {
    let mut req = hyper::Request::get(format!("{}{path}", server.base_url("mongoose_client_api")))
        .header("authorization", basic(&format!("{user}@localhost"), PASSWORD));
    if let Some(accept) = accept {
        req = req.header("accept-encoding", accept);
    }
    let response = client().request(req.body(Empty::new()).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status.as_u16(), parts.headers, bytes)
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut d = GzDecoder::new(Vec::new());
    d.write_all(data).unwrap();
    d.finish().unwrap()
}

fn inflate(data: &[u8]) -> Vec<u8> {
    let mut d = ZlibDecoder::new(Vec::new());
    d.write_all(data).unwrap();
    d.finish().unwrap()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Enough archived messages that the listing is worth compressing.
async fn chat(server: &TestServer, n: usize) {
    use meerkat_client_api::{models, ApiNoContext as _};
    let alice = server.client_as("alice@localhost", PASSWORD);
    for i in 0..n {
        let r = alice
            .send_message(
                models::MessageRequest::new("bob@localhost".into(), format!("message number {i}")),
                None,
            )
            .await
            .unwrap();
        assert!(
            matches!(r, meerkat_client_api::SendMessageResponse::MessageSent(_)),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn a_json_answer_is_compressed_for_clients_that_accept_it() {
    let server = started(compressing).await;
    chat(&server, 12).await;
    let (status, h, plain) = get(&server, "bob", "/api/messages", None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-encoding"), None, "nothing asked, nothing encoded");
    let listing: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(listing.as_array().unwrap().len(), 12);

    let (status, h, gz) = get(&server, "bob", "/api/messages", Some("gzip, deflate")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-encoding"), Some("gzip"));
    assert!(
        h.get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("accept-encoding")),
        "{h:?}"
    );
    assert_eq!(header(&h, "content-type"), Some("application/json"));
    assert!(gz.len() < plain.len() / 2, "{} of {}", gz.len(), plain.len());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&gunzip(&gz)).unwrap(),
        listing
    );

    let (_, h, deflated) = get(&server, "bob", "/api/messages", Some("gzip;q=0, deflate")).await;
    assert_eq!(header(&h, "content-encoding"), Some("deflate"));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&inflate(&deflated)).unwrap(),
        listing
    );

    let (_, h, refused) = get(&server, "bob", "/api/messages", Some("gzip;q=0, deflate;q=0")).await;
    assert_eq!(header(&h, "content-encoding"), None);
    assert_eq!(refused, plain);

    // A tiny answer is not worth it.
    let (status, h, body) = get(&server, "bob", "/api/nothing-here", Some("gzip")).await;
    assert_eq!((status, header(&h, "content-encoding")), (404, None));
    assert_eq!(body, br#""Not found""#);

    // The acceptor counts MongooseIM configs carry are known keys.
    let log = server.log();
    assert!(!log.contains("num_acceptors"), "{log}");
}

#[tokio::test]
async fn a_listener_without_compress_sends_everything_as_it_is() {
    let server = started(|dir| common::default_config(dir, "")).await;
    chat(&server, 12).await;
    let (status, h, body) = get(&server, "bob", "/api/messages", Some("gzip")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-encoding"), None);
    assert_eq!(header(&h, "vary"), None);
    let listing: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(listing.as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn a_compressed_event_stream_arrives_event_by_event() {
    use meerkat_client_api::{models, ApiNoContext as _};
    let server = started(compressing).await;
    let req = hyper::Request::get(format!("{}/api/sse", server.base_url("mongoose_client_api")))
        .header("authorization", basic("bob@localhost", PASSWORD))
        .header("accept-encoding", "gzip")
        .body(Empty::new())
        .unwrap();
    let response = client().request(req).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "content-type"), Some("text/event-stream"));
    assert_eq!(header(response.headers(), "content-encoding"), Some("gzip"));
    let mut stream = Decoded {
        body: response.into_body(),
        decoder: GzDecoder::new(Vec::new()),
        text: String::new(),
    };
    stream.read_until(": connected").await;
    let alice = server.client_as("alice@localhost", PASSWORD);
    for i in 0..3 {
        let body = format!("event number {i}");
        let r = alice
            .send_message(models::MessageRequest::new("bob@localhost".into(), body.clone()), None)
            .await
            .unwrap();
        assert!(
            matches!(r, meerkat_client_api::SendMessageResponse::MessageSent(_)),
            "{r:?}"
        );
        // Decoded in full before the next message exists.
        let text = stream.read_until(&format!("\"body\":\"{body}\"")).await;
        let complete = text
            .rsplit("event: message\n")
            .next()
            .is_some_and(|last| last.contains(&body) && last.ends_with("\n\n"));
        assert!(complete, "{text:?}");
    }
}

/// A compressed stream, decoded as it arrives.
struct Decoded {
    body: hyper::body::Incoming,
    decoder: GzDecoder<Vec<u8>>,
    text: String,
}

impl Decoded {
    /// Reads frame by frame until the decoded text holds `wanted`; the text so far.
    async fn read_until(&mut self, wanted: &str) -> &str {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.text.contains(wanted) {
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .unwrap_or_else(|_| panic!("{wanted:?} not decodable within 10 s; so far: {:?}", self.text))
                .expect("stream ended")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                self.decoder.write_all(&data).unwrap();
                self.decoder.flush().unwrap();
                let decoded = std::mem::take(self.decoder.get_mut());
                self.text.push_str(&String::from_utf8(decoded).unwrap());
            }
        }
        &self.text
    }
}

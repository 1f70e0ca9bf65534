//! Server-sent events read incrementally from `/api/sse`.

use super::{basic, TestServer};
use http_body_util::BodyExt;
use std::time::Duration;

/// One event of the stream.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its `id:` line, when it has one.
    pub id: Option<i64>,
    /// Its `event:` line.
    pub name: String,
    pub data: serde_json::Value,
}

/// An open SSE stream, read incrementally.
pub struct EventStream {
    body: hyper::body::Incoming,
    buffer: String,
}

impl EventStream {
    pub async fn open(server: &TestServer, user: &str) -> EventStream {
        Self::open_with(server, user, &[]).await
    }

    /// Opens the stream resuming after `last_event_id`.
    pub async fn resume(server: &TestServer, user: &str, last_event_id: i64) -> EventStream {
        Self::open_with(server, user, &[("last-event-id", &last_event_id.to_string())]).await
    }

    /// Opens the stream with extra request headers; it must answer `200`.
    pub async fn open_with(server: &TestServer, user: &str, headers: &[(&str, &str)]) -> EventStream {
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http::<http_body_util::Empty<bytes::Bytes>>();
        let uri: hyper::Uri = format!("{}/api/sse", server.base_url("mongoose_client_api"))
            .parse()
            .unwrap();
        let mut req = hyper::Request::get(uri).header("authorization", basic(user, "secret"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let response = client
            .request(req.body(http_body_util::Empty::new()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut stream = EventStream {
            body: response.into_body(),
            buffer: String::new(),
        };
        stream.skip_announcement().await;
        stream
    }

    /// The stream announces itself at once (after that the session is registered); the
    /// announcement is checked and dropped.
    async fn skip_announcement(&mut self) {
        const ANNOUNCEMENT: &str = ": connected\nretry: 3000\n\n";
        self.read_until(|b| b.contains(ANNOUNCEMENT)).await;
        let start = self.buffer.find(ANNOUNCEMENT).unwrap();
        self.buffer.replace_range(..start + ANNOUNCEMENT.len(), "");
    }

    /// Opens `/api/sse` with `query` (e.g. `?access_token=…`, or empty) and the
    /// `Authorization` header value `authorization`, if any: the stream once it has
    /// announced itself, or the status and body of a refusal.
    pub async fn open_as(
        server: &TestServer,
        query: &str,
        authorization: Option<&str>,
    ) -> Result<EventStream, (u16, String)> {
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http::<http_body_util::Empty<bytes::Bytes>>();
        let uri: hyper::Uri = format!("{}/api/sse{query}", server.base_url("mongoose_client_api"))
            .parse()
            .unwrap();
        let mut req = hyper::Request::get(uri);
        if let Some(value) = authorization {
            req = req.header("authorization", value);
        }
        let response = client
            .request(req.body(http_body_util::Empty::new()).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        if status != 200 {
            let body = response.into_body().collect().await.unwrap().to_bytes();
            return Err((status, String::from_utf8_lossy(&body).into_owned()));
        }
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut stream = EventStream {
            body: response.into_body(),
            buffer: String::new(),
        };
        stream.skip_announcement().await;
        Ok(stream)
    }

    pub async fn read_until(&mut self, mut done: impl FnMut(&str) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(&self.buffer) {
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .expect("no event within 10 s")
                .expect("stream ended")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }

    /// The next event (comments, such as keep-alives, are skipped).
    pub async fn next(&mut self) -> Event {
        loop {
            self.read_until(|b| b.contains("\n\n")).await;
            let end = self.buffer.find("\n\n").unwrap() + 2;
            let block: String = self.buffer[..end].to_owned();
            self.buffer.replace_range(..end, "");
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
                    .map(str::to_owned)
            };
            let Some(name) = field("event") else {
                assert!(
                    block.lines().all(|l| l.starts_with(':')),
                    "a block with no event: {block:?}"
                );
                continue;
            };
            let id = field("id").map(|id| id.parse().unwrap_or_else(|_| panic!("bad id in {block:?}")));
            let data = serde_json::from_str(&field("data").unwrap()).unwrap();
            return Event { id, name, data };
        }
    }

    /// The next `event: message` (id and JSON data).
    pub async fn next_message(&mut self) -> (i64, serde_json::Value) {
        self.next_event("message").await
    }

    /// The next event named `name` (id and JSON data); earlier events of other names are
    /// skipped. It must have an id, and the same one as `archive_id` in its data.
    pub async fn next_event(&mut self, name: &str) -> (i64, serde_json::Value) {
        loop {
            let event = self.next().await;
            if event.name != name {
                continue;
            }
            let id = event.id.unwrap_or_else(|| panic!("no id: {event:?}"));
            assert_eq!(event.data["archive_id"], id.to_string(), "{event:?}");
            return (id, event.data);
        }
    }

    /// Whether the server ends the stream within `wait` (events before the end are
    /// skipped).
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Whether an event (not a comment) arrives within `wait`.
    pub async fn quiet_for(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if self
                .buffer
                .split("\n\n")
                .any(|b| b.lines().any(|l| l.starts_with("event:")))
            {
                return false;
            }
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => return true,
                Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.push_str(&String::from_utf8_lossy(&data));
                    }
                }
            }
        }
    }
}

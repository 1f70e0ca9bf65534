//! Server-sent events read incrementally from `/api/sse`.

use super::{basic, TestServer};
use http_body_util::BodyExt;
use std::time::Duration;

/// An open SSE stream, read incrementally.
pub struct EventStream {
    body: hyper::body::Incoming,
    buffer: String,
}

impl EventStream {
    pub async fn open(server: &TestServer, user: &str) -> EventStream {
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http::<http_body_util::Empty<bytes::Bytes>>();
        let uri: hyper::Uri = format!("{}/api/sse", server.base_url("mongoose_client_api"))
            .parse()
            .unwrap();
        let req = hyper::Request::get(uri)
            .header("authorization", basic(user, "secret"))
            .body(http_body_util::Empty::new())
            .unwrap();
        let response = client.request(req).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut stream = EventStream {
            body: response.into_body(),
            buffer: String::new(),
        };
        // The stream announces itself at once; after that the session is registered.
        stream.read_until(|b| b.contains(": connected")).await;
        stream
    }

    /// Opens `/api/sse` with `query` (e.g. `?access_token=…`, or empty) and the
    /// `Authorization` header value `authorization`, if any: the stream once it has
    /// announced itself, or the status and body of a refusal.
    pub async fn open_with(
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
        stream.read_until(|b| b.contains(": connected")).await;
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

    /// The next `event: message` (id and JSON data).
    pub async fn next_message(&mut self) -> (u64, serde_json::Value) {
        self.next_event("message").await
    }

    /// The next event named `name` (id and JSON data); earlier events of other names are
    /// skipped.
    pub async fn next_event(&mut self, name: &str) -> (u64, serde_json::Value) {
        let marker = format!("event: {name}\n");
        self.read_until(|b| b.find(&marker).is_some_and(|i| b[i..].contains("\n\n")))
            .await;
        let start = self.buffer.find(&marker).unwrap();
        let end = start + self.buffer[start..].find("\n\n").unwrap() + 2;
        let block: String = self.buffer[start..end].to_owned();
        self.buffer.replace_range(..end, "");
        let id = block
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .unwrap()
            .parse()
            .unwrap();
        let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
        (id, serde_json::from_str(data).unwrap())
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
}

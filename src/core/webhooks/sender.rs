//! One webhook delivery over HTTP/1.1: a fresh connection (TCP, TLS for `https` through
//! native-tls with the system's roots), one signed `POST`, the status of the answer.
//! The answer's body is not read. The whole exchange has one deadline.

use super::signing;
use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Why an attempt failed; the text is what the admin listing shows as the last error.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("HTTP {0}")]
    Status(u16),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    #[error("TLS: {0}")]
    Tls(native_tls::Error),
    #[error("HTTP: {0}")]
    Http(hyper::Error),
    #[error("bad request: {0}")]
    Request(String),
}

/// What one delivery sends.
pub struct Delivery<'a> {
    pub url: &'a url::Url,
    pub key: &'a [u8],
    pub id: &'a str,
    pub timestamp_s: i64,
    pub body: &'a str,
}

/// Posts `d`; `Ok` for a `2xx` answer.
pub async fn post(d: &Delivery<'_>, timeout: Duration) -> Result<u16, SendError> {
    match tokio::time::timeout(timeout, attempt(d)).await {
        Ok(answer) => answer,
        Err(_) => Err(SendError::Timeout(timeout)),
    }
}

async fn attempt(d: &Delivery<'_>) -> Result<u16, SendError> {
    let host = d
        .url
        .host_str()
        .ok_or_else(|| SendError::Request("the URL has no host".into()))?;
    let port = d
        .url
        .port_or_known_default()
        .ok_or_else(|| SendError::Request("the URL has no port".into()))?;
    // `[::1]` as a URL host; the socket wants it bare.
    let connect_host = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((connect_host, port))
        .await
        .map_err(SendError::Connect)?;
    let _ = tcp.set_nodelay(true);
    let authority = match d.url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    let path = match d.url.query() {
        Some(q) => format!("{}?{q}", d.url.path()),
        None => d.url.path().to_owned(),
    };
    let request = Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, "meerkat-webhooks")
        .header("webhook-id", d.id)
        .header("webhook-timestamp", d.timestamp_s.to_string())
        .header(
            "webhook-signature",
            signing::sign(d.key, d.id, d.timestamp_s, d.body.as_bytes()),
        )
        .body(Full::new(Bytes::copy_from_slice(d.body.as_bytes())))
        .map_err(|e| SendError::Request(e.to_string()))?;
    if d.url.scheme() == "https" {
        let connector = native_tls::TlsConnector::new().map_err(SendError::Tls)?;
        let tls = tokio_native_tls::TlsConnector::from(connector)
            .connect(connect_host, tcp)
            .await
            .map_err(SendError::Tls)?;
        exchange(tls, request).await
    } else {
        exchange(tcp, request).await
    }
}

async fn exchange<S>(io: S, request: Request<Full<Bytes>>) -> Result<u16, SendError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(SendError::Http)?;
    let driver = tokio::spawn(connection);
    let answer = sender.send_request(request).await;
    // The body is not read: the connection goes with the answer.
    driver.abort();
    let status = answer.map_err(SendError::Http)?.status().as_u16();
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(SendError::Status(status))
    }
}

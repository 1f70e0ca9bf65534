//! HTTP listeners: plain or TLS, HTTP/1.1 keep-alive and HTTP/2, each serving the
//! handlers its `[[listen.http]]` table names (client API, admin API, XMPP over
//! WebSocket, XMPP over BOSH, Prometheus metrics, HTTP File Upload) plus the API docs.
//!
//! The listener's `max_body_size` is applied by the JSON API doors ([`dispatch`]), not
//! here for every request: the upload handler streams bodies to disk within the size
//! of their upload slot instead.
//!
//! Every response carries the configured `Server` header. Error bodies are JSON strings.
//! A listener with `compress = true` compresses what clients accept compressed
//! ([`compression`]). Request bodies have a deadline and idle connections are closed
//! ([`timing`]).
//!
//! The doors here call the core's typed operations; a WebSocket handler hands its
//! upgraded connections to the [`WebSocketService`] the composition root supplies, a
//! BOSH handler its request bodies to the [`BoshService`].

mod admin_api;
mod basic_auth;
mod bearer;
mod bosh;
mod client_api;
mod compression;
pub(crate) mod contract;
mod cors;
mod docs;
mod prometheus;
mod timing;
mod upload;
mod websocket;

use crate::config::{Config, HttpListener};
use crate::core::Core;
use crate::transport::bosh::{BoshPeer, BoshService};
use crate::transport::websocket::{Peer, WebSocketService};
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, SERVER};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use swagger::auth::{Authorization, Scopes};
use swagger::{Has, XSpanIdString};

pub(crate) type Body = BoxBody<Bytes, Infallible>;

/// A request's body, as every handler receives it: within its deadline ([`timing`]).
pub(crate) type RequestBody = timing::TimedBody;

/// The client API's spec: the contract `client_api` enforces, served at `/api-docs`.
pub(crate) const CLIENT_SPEC: &str = include_str!("../../api/client.yaml");
/// The admin API's spec: the contract `admin_api` enforces, served at its `-docs` page.
pub(crate) const ADMIN_SPEC: &str = include_str!("../../api/admin.yaml");

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    BoxBody::new(Full::new(bytes.into()))
}

/// A JSON-string error body, the shape every error of the API has.
pub(crate) fn json_error(status: StatusCode, text: &str) -> Response<Body> {
    let body = serde_json::to_string(text).expect("a string always serializes");
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(full(body))
        .expect("static response parts are valid")
}

/// What the generated routers need from a request (a span id, the authorization they
/// check for) plus what our `Api` implementations need (`user`).
#[derive(Clone, Debug)]
pub(crate) struct RequestContext<U> {
    span: XSpanIdString,
    authorization: Option<Authorization>,
    pub user: U,
}

impl<U> RequestContext<U> {
    /// A context for a request already authenticated as `subject`.
    pub(crate) fn new(headers: &hyper::HeaderMap, subject: String, user: U) -> Self {
        let span = headers
            .get("x-span-id")
            .and_then(|v| v.to_str().ok())
            .map(|s| XSpanIdString(s.to_owned()))
            .unwrap_or_default();
        RequestContext {
            span,
            authorization: Some(Authorization {
                subject,
                scopes: Scopes::All,
                issuer: None,
            }),
            user,
        }
    }
}

impl<U> Has<XSpanIdString> for RequestContext<U> {
    fn get(&self) -> &XSpanIdString {
        &self.span
    }
    fn get_mut(&mut self) -> &mut XSpanIdString {
        &mut self.span
    }
    fn set(&mut self, value: XSpanIdString) {
        self.span = value;
    }
}

impl<U> Has<Option<Authorization>> for RequestContext<U> {
    fn get(&self) -> &Option<Authorization> {
        &self.authorization
    }
    fn get_mut(&mut self) -> &mut Option<Authorization> {
        &mut self.authorization
    }
    fn set(&mut self, value: Option<Authorization>) {
        self.authorization = value;
    }
}

/// Why a request body could not be read.
pub(crate) enum BodyError {
    TooLarge,
    Broken,
    /// Not all there within the listener's deadline.
    TimedOut,
}

/// Reads the whole body, refusing more than `limit` bytes before buffering them.
pub(crate) async fn read_body(body: RequestBody, headers: &hyper::HeaderMap, limit: usize) -> Result<Bytes, BodyError> {
    if let Some(len) = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return Err(BodyError::TooLarge);
        }
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(e) if matches!(e.downcast_ref(), Some(timing::BodyFailure::TimedOut)) => Err(BodyError::TimedOut),
        Err(_) => Err(BodyError::Broken),
    }
}

/// `503`: the request was fine, the server could not carry it out now.
pub(crate) fn unavailable() -> Response<Body> {
    json_error(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable")
}

pub(crate) fn body_error_response(e: BodyError) -> Response<Body> {
    match e {
        BodyError::TooLarge => json_error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
        BodyError::Broken => json_error(StatusCode::BAD_REQUEST, "Invalid request body"),
        BodyError::TimedOut => timed_out(),
    }
}

/// `408`: the request's body did not arrive in time. The connection closes after it
/// ([`serve_connection`]).
pub(crate) fn timed_out() -> Response<Body> {
    json_error(StatusCode::REQUEST_TIMEOUT, "Request body timed out")
}

/// `path` is `prefix` itself or below it.
pub(crate) fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    path == prefix || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// The common tail of both API doors, after authentication: read the body within
/// `max_body`, find the operation, answer `501` for one not built yet, check the request
/// against the spec, and hand it to the generated `router` at its base path.
pub(crate) async fn dispatch<S, C>(
    router: &S,
    contract: &contract::Contract,
    mount: &str,
    req: Request<RequestBody>,
    max_body: usize,
    context: C,
    not_implemented: fn(&contract::Operation) -> bool,
) -> Response<Body>
where
    S: hyper::service::Service<(Request<Full<Bytes>>, C), Response = Response<Body>>,
    S::Error: std::fmt::Display,
{
    // The body limit holds for every request, whatever it turns out to address.
    let (parts, body) = req.into_parts();
    let body = match read_body(body, &parts.headers, max_body).await {
        Ok(b) => b,
        Err(e) => return body_error_response(e),
    };
    dispatch_read(router, contract, mount, parts, body, context, not_implemented).await
}

/// [`dispatch`] for a request whose body was read already (within the limit).
pub(crate) async fn dispatch_read<S, C>(
    router: &S,
    contract: &contract::Contract,
    mount: &str,
    mut parts: hyper::http::request::Parts,
    body: Bytes,
    context: C,
    not_implemented: fn(&contract::Operation) -> bool,
) -> Response<Body>
where
    S: hyper::service::Service<(Request<Full<Bytes>>, C), Response = Response<Body>>,
    S::Error: std::fmt::Display,
{
    // The generated router matches paths under the spec's base path (`/api`); a handler
    // mounted elsewhere is rewritten to it.
    let routed_path = format!("{}{}", contract.base_path, &parts.uri.path()[mount.len()..]);
    let op = match contract.find(&parts.method, &routed_path) {
        Ok(op) => op,
        Err(allowed) if allowed.is_empty() => return json_error(StatusCode::NOT_FOUND, "Not found"),
        Err(allowed) => {
            let mut response = json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
            let mut list: Vec<&str> = allowed.iter().map(Method::as_str).collect();
            list.push("OPTIONS");
            if let Ok(v) = HeaderValue::from_str(&list.join(", ")) {
                response.headers_mut().insert(hyper::header::ALLOW, v);
            }
            return response;
        }
    };
    if not_implemented(op) {
        return json_error(StatusCode::NOT_IMPLEMENTED, "Not implemented");
    }
    if let Err(rejection) = op.check(&routed_path, parts.uri.query(), &parts.headers, &body) {
        return json_error(rejection.status, &rejection.text);
    }
    let body = match op.without_unknown_fields(&body) {
        Some(known) => {
            parts.headers.remove(hyper::header::CONTENT_LENGTH);
            Bytes::from(known)
        }
        None => body,
    };
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{routed_path}?{q}"),
        None => routed_path,
    };
    parts.uri = match path_and_query.parse::<hyper::Uri>() {
        Ok(uri) => uri,
        Err(_) => return json_error(StatusCode::BAD_REQUEST, "Invalid request path"),
    };
    match router
        .call((Request::from_parts(parts, Full::new(body)), context))
        .await
    {
        // The generated router answers 500 when an operation failed on our side (the
        // failure is logged where it happened); to the client that is a temporary state.
        Ok(response) if response.status() == StatusCode::INTERNAL_SERVER_ERROR => unavailable(),
        Ok(response) if response.status().is_client_error() && !is_json(&response) => own_rejection(op, response).await,
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "API handler failed");
            unavailable()
        }
    }
}

fn is_json(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The generated router refused the request with a plain-text text of its own (a body
/// our contract check let through but its parser did not take, a path parameter it
/// cannot decode): answer with the spec's text for that part of the request instead, so
/// every error body is one the spec documents and none shows the parser's internals.
async fn own_rejection(op: &contract::Operation, response: Response<Body>) -> Response<Body> {
    let status = response.status();
    let said = match http_body_util::Limited::new(response.into_body(), 4096).collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    tracing::debug!(
        operation = %op.id,
        said = %crate::core::untrusted::Untrusted(&said),
        "generated router refused a request"
    );
    let text = if said.contains("body") {
        op.invalid_body_text()
    } else if said.contains("query") {
        "Invalid query string"
    } else {
        "Invalid request path"
    };
    json_error(status, text)
}

/// A WebSocket handler: its path and message limit.
struct WebSocketRoute {
    path: String,
    max_message: usize,
    max_rate: Option<u64>,
}

/// What one listener serves.
pub(crate) struct Routes {
    /// Read by the metrics handler; the API handlers hold their own.
    core: Arc<Core>,
    server_name: HeaderValue,
    /// Paths of the metrics handlers, matched exactly.
    metrics: Vec<String>,
    client_api: Vec<client_api::ClientApi>,
    admin_api: Vec<admin_api::AdminApi>,
    websockets: Vec<WebSocketRoute>,
    uploads: Vec<upload::UploadRoute>,
    websocket_service: Arc<dyn WebSocketService>,
    bosh: Vec<bosh::BoshRoute>,
    bosh_service: Arc<dyn BoshService>,
    max_body_size: usize,
    max_connections: usize,
    max_connections_per_ip: usize,
    secure: bool,
    /// Compress responses the client accepts compressed (`compress = true`).
    compress: bool,
    /// HTTP/2 connections closed for flooding, reported once a minute.
    floods: crate::core::log_limit::RateLimitedWarning,
}

impl Routes {
    fn new(core: Arc<Core>, config: &Config, listener: &HttpListener, services: Services) -> Result<Self, String> {
        let server_name = HeaderValue::from_str(&config.general.http_server_name)
            .map_err(|_| "general.http_server_name: not a valid header value".to_owned())?;
        let h = &listener.handlers;
        Ok(Routes {
            metrics: h.mongoose_prometheus_handler.iter().map(|p| p.path.clone()).collect(),
            client_api: h
                .mongoose_client_api
                .iter()
                .map(|c| client_api::ClientApi::new(core.clone(), c, listener.max_body_size))
                .collect(),
            admin_api: h
                .mongoose_admin_api
                .iter()
                .map(|c| admin_api::AdminApi::new(core.clone(), c, listener.max_body_size))
                .collect(),
            websockets: h
                .mongoose_websocket_handler
                .iter()
                .map(|w| WebSocketRoute {
                    path: w.path.clone(),
                    max_message: w.max_stanza_size,
                    max_rate: config.shaper_rate(w.shaper.as_deref()),
                })
                .collect(),
            uploads: h
                .mod_http_upload
                .iter()
                .map(|u| upload::UploadRoute {
                    path: u.path.trim_end_matches('/').to_owned(),
                    idle: Duration::from_secs(listener.request_timeout),
                })
                .collect(),
            websocket_service: services.websocket,
            bosh: h
                .mod_bosh
                .iter()
                .map(|b| bosh::BoshRoute {
                    path: b.path.clone(),
                    cors: cors::Cors::new(&b.allowed_origins),
                })
                .collect(),
            bosh_service: services.bosh,
            max_body_size: listener.max_body_size,
            max_connections: listener.max_connections,
            max_connections_per_ip: listener.max_connections_per_ip,
            secure: listener.tls.is_some(),
            compress: listener.compress,
            floods: crate::core::log_limit::http2_floods(),
            server_name,
            core,
        })
    }

    async fn handle(&self, req: Request<RequestBody>, addr: std::net::SocketAddr) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let compression = self.compress.then(|| compression::Accepted::of(&req));
        // Exact paths first: they may sit under an API's mount point.
        let mut response = if self.metrics.contains(&path) {
            prometheus::serve(&self.core, req.method())
        } else if let Some(u) = self.uploads.iter().find(|u| under(&path, &u.path)) {
            upload::serve(&self.core, u, req).await
        } else if let Some(route) = self
            .bosh
            .iter()
            .find(|b| path.trim_end_matches('/') == b.path.trim_end_matches('/'))
        {
            let peer = BoshPeer {
                addr: addr.ip(),
                secure: self.secure,
                max_sessions_per_ip: self.max_connections_per_ip,
                max_sessions: self.max_connections,
            };
            bosh::serve(&self.bosh_service, route, req, peer, self.max_body_size).await
        } else if let Some(api) = self.client_api.iter().find(|a| a.docs_path(&path)) {
            api.serve_docs(&req).await
        } else if let Some(api) = self.client_api.iter().find(|a| under(&path, a.path())) {
            api.serve(req, addr.ip()).await
        } else if let Some(api) = self.admin_api.iter().find(|a| a.docs_path(&path)) {
            api.serve_docs(&req).await
        } else if let Some(api) = self.admin_api.iter().find(|a| under(&path, a.path())) {
            api.serve(req).await
        } else if let Some(ws) = self.websockets.iter().find(|w| under(&path, &w.path)) {
            let peer = Peer {
                addr,
                secure: self.secure,
                max_message: ws.max_message,
                max_rate: ws.max_rate,
            };
            websocket::upgrade(self.websocket_service.clone(), req, peer)
        } else {
            json_error(StatusCode::NOT_FOUND, "Not found")
        };
        if let Some(accepted) = compression {
            response = accepted.apply(response);
        }
        response.headers_mut().insert(SERVER, self.server_name.clone());
        response
    }
}

/// The protocols an HTTP listener hands requests over to, supplied by the composition
/// root.
#[derive(Clone)]
pub(crate) struct Services {
    /// Takes the connections WebSocket handlers upgrade.
    pub websocket: Arc<dyn WebSocketService>,
    /// Answers the bodies BOSH handlers receive.
    pub bosh: Arc<dyn BoshService>,
}

/// Binds one `[[listen.http]]` table; the returned future serves it forever. Its
/// WebSocket and BOSH handlers hand their connections and requests to `services`.
pub(crate) async fn bind(
    core: Arc<Core>,
    config: &Config,
    listener: &HttpListener,
    services: Services,
) -> Result<(std::net::SocketAddr, impl std::future::Future<Output = ()>), String> {
    let routes = Arc::new(Routes::new(core, config, listener, services)?);
    let tls = match &listener.tls {
        None => None,
        Some(t) => {
            let source = crate::transport::tls::CertSource::new(
                t.certfile.as_deref(),
                t.keyfile.as_deref(),
                &config.general.data_dir,
                &config.general.hosts[0],
            );
            let alpn = ["h2", "http/1.1"];
            let acceptor = source.acceptor(&alpn).map_err(|e| e.to_string())?;
            let dir = config
                .general
                .tls_certs_dir
                .as_deref()
                .map(|d| std::sync::Arc::new(crate::transport::sni::CertDirectory::new(d, &alpn)));
            Some(crate::transport::sni::Acceptors::new(acceptor, dir))
        }
    };
    let caps = crate::transport::listener::Caps {
        max_connections: listener.max_connections,
        max_per_address: listener.max_connections_per_ip,
    };
    let timing = Timing {
        request: Duration::from_secs(listener.request_timeout),
        send: Duration::from_secs(listener.send_timeout),
        idle: Duration::from_secs(listener.idle_timeout),
        body: timing::BodyRules {
            grace: Duration::from_secs(listener.request_timeout),
            min_rate: listener.min_body_rate,
        },
        max_streams: listener.max_concurrent_streams,
    };
    crate::transport::listener::bind_sheddable(listener.addr(), caps, move |stream, peer, standing| {
        let routes = routes.clone();
        let tls = tls.clone();
        let deadline = tokio::time::Instant::now() + timing.request;
        async move {
            let evicted = standing.clone();
            let serve = async move {
                match tls {
                    None => serve_connection(routes, stream, peer, timing, deadline, standing).await,
                    Some(tls) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                        Ok(Ok(stream)) => serve_connection(routes, stream, peer, timing, deadline, standing).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    },
                }
            };
            tokio::select! {
                () = serve => {}
                () = evicted.evicted() => {
                    tracing::debug!(%peer, "closed for a new connection: it waited longest on its client");
                }
            }
        }
    })
    .await
}

/// What hyper may hold for one connection (HTTP/1) or stream (HTTP/2) before it waits
/// for the peer. Its default (about 400 KB) would sit outside the session queue's bounds:
/// a slow event-stream reader would hold that much more before the bounds saw it. HTTP/1
/// uses the same size for reading, so it also caps a request head.
const WRITE_BUFFER: usize = 64 * 1024;

/// A listener's time limits.
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// For each request header, and from accept to the first one.
    request: Duration,
    /// For the client to take any part of what is written to it.
    send: Duration,
    /// With nothing in flight, before the connection is closed.
    idle: Duration,
    /// For each request's body.
    body: timing::BodyRules,
    /// HTTP/2 streams open at once on one connection.
    max_streams: u32,
}

/// Serves one connection. A connection with no complete request header by
/// `first_request` (counted from accept, TLS included) is closed: silent connections do
/// not hold a slot. So is one with nothing in flight for `timing.idle` (over HTTP/2, a
/// GOAWAY first, then at most `timing.request` for the peer to end it).
async fn serve_connection<S>(
    routes: Arc<Routes>,
    stream: S,
    peer: std::net::SocketAddr,
    timing: Timing,
    first_request: tokio::time::Instant,
    standing: Arc<crate::transport::listener::Standing>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // The listener's reports outlive the service, which takes `routes`.
    let reports = routes.clone();
    let activity = timing::Activity::new(standing);
    let requested = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = requested.clone();
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        seen.store(true, std::sync::atomic::Ordering::Relaxed);
        let routes = routes.clone();
        let ticket = requests.request();
        let version = req.version();
        let req = req.map(|body| timing::TimedBody::new(body, timing.body, ticket.clone()));
        async move {
            let mut response = routes.handle(req, peer).await;
            // A body that did not arrive ends its HTTP/1 connection: what is left of it
            // would be read as the next request. HTTP/2 resets just the stream.
            if response.status() == StatusCode::REQUEST_TIMEOUT && version < hyper::Version::HTTP_2 {
                response
                    .headers_mut()
                    .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, Infallible>(response.map(|body| BoxBody::new(timing::Answering::new(body, ticket))))
        }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timing.request)
        .max_buf_size(WRITE_BUFFER);
    // Pings find peers that went away; the idle timer below ends connections kept busy
    // with nothing but pings.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(10))
        .max_concurrent_streams(timing.max_streams)
        .max_send_buf_size(WRITE_BUFFER);
    let io = TokioIo::new(crate::transport::stall::WriteDeadline::new(stream, timing.send));
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let mut first_checked = false;
    let mut closing: Option<tokio::time::Instant> = None;
    let result = loop {
        tokio::select! {
            r = &mut connection => break r,
            _ = tokio::time::sleep_until(first_request), if !first_checked => {
                if !requested.load(std::sync::atomic::Ordering::Relaxed) {
                    tracing::debug!(%peer, "no request in time; connection closed");
                    return;
                }
                first_checked = true;
            }
            () = activity.idle_for(timing.idle), if closing.is_none() => {
                tracing::debug!(%peer, "idle; connection closing");
                connection.as_mut().graceful_shutdown();
                closing = Some(tokio::time::Instant::now() + timing.request);
            }
            _ = tokio::time::sleep_until(closing.unwrap_or_else(tokio::time::Instant::now)), if closing.is_some() => {
                tracing::debug!(%peer, "the peer did not end an idle connection in time; closed");
                return;
            }
        }
    };
    if let Err(e) = result {
        if crate::core::log_limit::is_http2_flood(&*e) {
            reports.floods.warn(&peer);
        }
        tracing::debug!(error = %e, "HTTP connection ended with an error");
    }
}

//! The HTTP side of a WebSocket handler (`mongoose_websocket_handler`): checks the
//! upgrade request (RFC 6455 §4.2.1, with the subprotocol the service needs), answers
//! `101`, and hands the upgraded connection to the service (XMPP over WebSocket, RFC 7395,
//! wired in by the composition root).

use super::{full, json_error, Body, RequestBody};
use crate::transport::websocket::{Peer, WebSocketService};
use hyper::header::{
    HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

fn header_has(req: &Request<RequestBody>, name: hyper::header::HeaderName, token: &str) -> bool {
    req.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Answers the upgrade request and, once upgraded, lets `service` serve the connection.
pub(crate) fn upgrade(service: Arc<dyn WebSocketService>, mut req: Request<RequestBody>, peer: Peer) -> Response<Body> {
    let protocol = service.subprotocol();
    if !header_has(&req, UPGRADE, "websocket") || !header_has(&req, CONNECTION, "upgrade") {
        let text = format!("{} needs a WebSocket upgrade", service.name());
        let mut r = json_error(StatusCode::UPGRADE_REQUIRED, &text);
        r.headers_mut().insert(UPGRADE, HeaderValue::from_static("websocket"));
        return r;
    }
    if req.headers().get(SEC_WEBSOCKET_VERSION).and_then(|v| v.to_str().ok()) != Some("13") {
        let mut r = json_error(StatusCode::BAD_REQUEST, "Unsupported WebSocket version");
        r.headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return r;
    }
    if !header_has(&req, SEC_WEBSOCKET_PROTOCOL, protocol) {
        return json_error(
            StatusCode::BAD_REQUEST,
            &format!("The WebSocket subprotocol must be {protocol}"),
        );
    }
    let Some(key) = req
        .headers()
        .get(SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()))
    else {
        return json_error(StatusCode::BAD_REQUEST, "Missing Sec-WebSocket-Key");
    };
    let Ok(accept) = HeaderValue::from_str(&key) else {
        return json_error(StatusCode::BAD_REQUEST, "Invalid Sec-WebSocket-Key");
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(peer = %peer.addr, error = %e, "WebSocket upgrade failed");
                return;
            }
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .write_buffer_size(0)
            .max_message_size(Some(peer.max_message))
            .max_frame_size(Some(peer.max_message));
        let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
        service.serve(socket, peer).await;
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "Upgrade")
        .header(SEC_WEBSOCKET_ACCEPT, accept)
        .header(SEC_WEBSOCKET_PROTOCOL, protocol)
        .body(full(""))
        .expect("static response parts are valid")
}

//! The HTTP side of the BOSH handler (`mod_bosh`, XEP-0124 §5): `POST` only (plus CORS
//! preflights), bodies within the listener's `max_body_size`, and every answer a
//! `text/xml; charset=utf-8` `<body/>` wrapper. What a body means is the
//! [`BoshService`]'s business (XMPP over BOSH, wired in by the composition root).

use super::cors::Cors;
use super::{full, read_body, Body, BodyError, RequestBody};
use crate::transport::bosh::{BoshPeer, BoshService};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;

const CONTENT_TYPE_XML: &str = "text/xml; charset=utf-8";
const HTTPBIND_NS: &str = crate::core::stanza::ns::HTTPBIND;

/// One `[[listen.http.handlers.mod_bosh]]`.
pub(crate) struct BoshRoute {
    pub path: String,
    pub cors: Cors,
}

fn xml(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, CONTENT_TYPE_XML)
        .body(full(body))
        .expect("static response parts are valid")
}

/// A terminal binding error (XEP-0124 §17.2) for a request no session could read.
fn terminate(status: StatusCode, condition: &str) -> Response<Body> {
    xml(
        status,
        format!("<body xmlns='{HTTPBIND_NS}' type='terminate' condition='{condition}'/>"),
    )
}

/// Serves one request to a BOSH endpoint.
pub(crate) async fn serve(
    service: &Arc<dyn BoshService>,
    route: &BoshRoute,
    req: Request<RequestBody>,
    peer: BoshPeer,
    max_body: usize,
) -> Response<Body> {
    if req.method() == Method::OPTIONS {
        return route.cors.preflight(req.headers());
    }
    let headers = req.headers().clone();
    let mut response = if req.method() != Method::POST {
        let mut r = terminate(StatusCode::METHOD_NOT_ALLOWED, "bad-request");
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("POST, OPTIONS"));
        r
    } else {
        match read_body(req.into_body(), &headers, max_body).await {
            // Too large: refused before buffering, as every door does; the client learns
            // it from the status and from the wrapper alike.
            Err(BodyError::TooLarge) => terminate(StatusCode::PAYLOAD_TOO_LARGE, "policy-violation"),
            Err(BodyError::Broken) => terminate(StatusCode::OK, "bad-request"),
            // No session is known yet: the client learns it from the status.
            Err(BodyError::TimedOut) => terminate(StatusCode::REQUEST_TIMEOUT, "bad-request"),
            Ok(body) => xml(StatusCode::OK, service.request(body, peer).await),
        }
    };
    route.cors.decorate(&headers, &mut response);
    response
}

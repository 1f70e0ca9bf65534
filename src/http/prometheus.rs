//! The metrics endpoint (`mongoose_prometheus_handler`): the core's counters in the
//! Prometheus text format, version 0.0.4, for an operator's scraper.
//!
//! It is an operator endpoint, not part of the client API (no spec, no JSON, no
//! authentication of its own): configure it on a loopback or otherwise private listener.
//! `GET` and `HEAD` only.

use super::{full, json_error, Body};
use crate::core::metrics::CONTENT_TYPE;
use crate::core::Core;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL};
use hyper::{Method, Response, StatusCode};

/// Answers a request for the metrics.
pub(crate) fn serve(core: &Core, method: &Method) -> Response<Body> {
    if method != Method::GET && method != Method::HEAD {
        let mut r = json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    Response::builder()
        .status(StatusCode::OK)
        .header(hyper::header::CONTENT_TYPE, CONTENT_TYPE)
        // Every scrape must see the figures of now.
        .header(CACHE_CONTROL, "no-store")
        .body(full(core.metrics_text()))
        .expect("static response parts are valid")
}

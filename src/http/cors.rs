//! CORS for browser frontends: preflight `OPTIONS` answered without authentication, and
//! the allow-origin header on real responses, for the origins the handler allows.

use super::{full, Body};
use hyper::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ORIGIN, VARY,
};
use hyper::{HeaderMap, Response, StatusCode};

const METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";
const HEADERS: &str = "authorization, content-type";

#[derive(Debug, Clone)]
pub(crate) struct Cors {
    any: bool,
    origins: Vec<String>,
}

impl Cors {
    pub(crate) fn new(allowed: &[String]) -> Self {
        Cors {
            any: allowed.iter().any(|o| o == "*"),
            origins: allowed.iter().filter(|o| *o != "*").cloned().collect(),
        }
    }

    fn allowed_origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(ORIGIN)?;
        let text = origin.to_str().ok()?;
        (self.any || self.origins.iter().any(|o| o == text)).then(|| origin.clone())
    }

    /// The answer to `OPTIONS`: `204`, with CORS headers when the origin is allowed.
    pub(crate) fn preflight(&self, headers: &HeaderMap) -> Response<Body> {
        let mut response = Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(full(""))
            .expect("static response parts are valid");
        if let Some(origin) = self.allowed_origin(headers) {
            let h = response.headers_mut();
            h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS));
            h.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(HEADERS));
            h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
        }
        response.headers_mut().insert(VARY, HeaderValue::from_static("Origin"));
        response
    }

    /// Adds the allow-origin header to a real response.
    pub(crate) fn decorate(&self, request_headers: &HeaderMap, response: &mut Response<Body>) {
        if let Some(origin) = self.allowed_origin(request_headers) {
            response.headers_mut().insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            response.headers_mut().insert(VARY, HeaderValue::from_static("Origin"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(o: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ORIGIN, HeaderValue::from_str(o).unwrap());
        h
    }

    #[test]
    fn only_listed_origins_get_cors_headers() {
        let cors = Cors::new(&["https://app.example".into()]);
        let ok = cors.preflight(&origin("https://app.example"));
        assert_eq!(ok.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "https://app.example");
        assert_eq!(ok.headers()[ACCESS_CONTROL_ALLOW_HEADERS], HEADERS);
        let other = cors.preflight(&origin("https://evil.example"));
        assert!(other.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    }

    #[test]
    fn a_star_allows_any_origin() {
        let cors = Cors::new(&["*".into()]);
        let r = cors.preflight(&origin("http://localhost:3000"));
        assert_eq!(r.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "http://localhost:3000");
        assert!(cors
            .preflight(&HeaderMap::new())
            .headers()
            .get(ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none());
    }
}

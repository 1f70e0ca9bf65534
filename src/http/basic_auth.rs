//! HTTP Basic credentials (RFC 7617): parsing the header, the `401` answer, and the
//! `429` for addresses that failed to log in too often.

use super::{json_error, Body};
use base64::Engine;
use hyper::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::{HeaderMap, Response, StatusCode};

/// A user name and password taken from an `Authorization: Basic` header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BasicCredentials {
    pub user: String,
    pub password: String,
}

/// The credentials of `headers`, or `None` when absent or malformed in any way
/// (another scheme, bad base64, no colon, not UTF-8).
pub(crate) fn credentials(headers: &HeaderMap) -> Option<BasicCredentials> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    if user.is_empty() {
        return None;
    }
    Some(BasicCredentials {
        user: user.to_owned(),
        password: password.to_owned(),
    })
}

/// `401` with the challenge a browser or HTTP library answers with credentials.
pub(crate) fn unauthorized(realm: &str, text: &str) -> Response<Body> {
    let mut response = json_error(StatusCode::UNAUTHORIZED, text);
    let challenge = HeaderValue::from_str(&format!("Basic realm=\"{realm}\", charset=\"UTF-8\""))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic realm=\"meerkat\""));
    response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    response
}

/// `429` for an address (or an account from it) that failed to log in too often, with
/// `Retry-After` in whole seconds.
pub(crate) fn too_many_failures(wait: std::time::Duration) -> Response<Body> {
    let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, "Too many failed logins");
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(hyper::header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn well_formed_credentials_parse() {
        // "alice@localhost:pa:ss" — the password may contain colons.
        let b64 = base64::engine::general_purpose::STANDARD.encode("alice@localhost:pa:ss");
        assert_eq!(
            credentials(&with(&format!("Basic {b64}"))),
            Some(BasicCredentials {
                user: "alice@localhost".into(),
                password: "pa:ss".into()
            })
        );
        assert!(credentials(&with(&format!("basic  {b64}"))).is_some());
    }

    #[test]
    fn credentials_are_read_as_utf8() {
        // RFC 7617's charset="UTF-8", which the challenge announces: any script.
        for (user, password) in [("дмитрий@localhost", "пароль"), ("李@localhost", "密码")] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            assert_eq!(
                credentials(&with(&format!("Basic {b64}"))),
                Some(BasicCredentials {
                    user: user.into(),
                    password: password.into()
                })
            );
        }
        // Latin-1 bytes (what a client that ignores the charset sends for "jürgen") are
        // not UTF-8: no credentials, so a 401, never another user's name.
        let latin1 = base64::engine::general_purpose::STANDARD.encode(b"j\xfcrgen@localhost:pw");
        assert_eq!(credentials(&with(&format!("Basic {latin1}"))), None);
    }

    #[test]
    fn malformed_headers_are_no_credentials() {
        assert_eq!(credentials(&HeaderMap::new()), None);
        assert_eq!(credentials(&with("Bearer abc")), None);
        assert_eq!(credentials(&with("Basic !!!notbase64")), None);
        let no_colon = base64::engine::general_purpose::STANDARD.encode("alice");
        assert_eq!(credentials(&with(&format!("Basic {no_colon}"))), None);
        let no_user = base64::engine::general_purpose::STANDARD.encode(":pw");
        assert_eq!(credentials(&with(&format!("Basic {no_user}"))), None);
        assert_eq!(credentials(&with("Basic")), None);
    }
}

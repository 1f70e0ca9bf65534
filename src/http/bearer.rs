//! Bearer tokens on the wire (RFC 6750): the `Authorization: Bearer` header (§2.1), and
//! the `access_token` query parameter (§2.3), which only the event stream takes, for
//! browsers' `EventSource` that cannot send headers. What a token is worth is decided
//! by `crate::core::account::tokens`; this only finds it in a request.

use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;

/// The token of an `Authorization: Bearer <token>` header (scheme in any case), or
/// `None` when the header is absent, of another scheme, or has no token. The token is
/// returned as sent: an ill-formed one is refused by the core like an unknown one.
pub(crate) fn token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// The value of the first `access_token` parameter of a query string, decoded; `None`
/// when there is none. An empty one is a token too (that no one holds).
pub(crate) fn access_token(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "access_token")
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn a_bearer_header_gives_its_token() {
        assert_eq!(token(&with("Bearer mkt_abc")), Some("mkt_abc"));
        assert_eq!(token(&with("bearer   mkt_abc ")), Some("mkt_abc"));
        assert_eq!(token(&with("BEARER mkt_abc")), Some("mkt_abc"));
    }

    #[test]
    fn other_headers_give_no_token() {
        assert_eq!(token(&HeaderMap::new()), None);
        assert_eq!(token(&with("Basic YWxpY2U6cHc=")), None);
        assert_eq!(token(&with("Bearer")), None);
        assert_eq!(token(&with("Bearer ")), None);
        assert_eq!(token(&with("Bearerx mkt_abc")), None);
    }

    #[test]
    fn the_access_token_parameter_is_decoded() {
        assert_eq!(access_token(Some("access_token=mkt_a-b_c")), Some("mkt_a-b_c".into()));
        assert_eq!(
            access_token(Some("x=1&access_token=mkt%5Fab&access_token=other")),
            Some("mkt_ab".into())
        );
        assert_eq!(access_token(Some("access_token=")), Some(String::new()));
        assert_eq!(access_token(Some("token=mkt_ab")), None);
        assert_eq!(access_token(None), None);
    }
}

//! Requests MongooseIM answers with an error that are not operations of the spec: a room
//! without its id (`PUT /rooms`), a room member without the user
//! (`DELETE /rooms/{id}/users`), and one contact read as a resource (`GET /contacts/{jid}`).
//! Frontends written for MongooseIM may rely on those answers, so they keep them; the spec
//! lists them in its conventions only, so that generated SDKs have no method that can
//! only fail.

use crate::core::Core;
use hyper::{Method, StatusCode};
use jid::BareJid;

/// The answer to `method` on `path` (below the API's mount point) when it is one of the
/// compatibility requests; `None` otherwise.
pub(super) fn answer(core: &Core, user: &BareJid, method: &Method, path: &str) -> Option<(StatusCode, &'static str)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::PUT, ["rooms"]) => Some((StatusCode::BAD_REQUEST, "Missing room ID")),
        (&Method::DELETE, ["rooms", id, "users"]) if !id.is_empty() => {
            let id = percent_encoding::percent_decode_str(id).decode_utf8().ok()?;
            super::rooms::missing_user(core, user, &id).or(Some((StatusCode::NOT_IMPLEMENTED, "Not implemented")))
        }
        (&Method::GET, ["contacts", jid]) if !jid.is_empty() => {
            Some((StatusCode::NOT_FOUND, "JID provided but not supported"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_three_compatibility_requests_are_answered_here() {
        let harness = crate::core::testkit::Harness::new(&[]).await;
        let core = &harness.core;
        let user = BareJid::new("alice@localhost").unwrap();
        let ask = |m: Method, p: &str| answer(core, &user, &m, p);
        assert_eq!(
            ask(Method::PUT, "/rooms"),
            Some((StatusCode::BAD_REQUEST, "Missing room ID"))
        );
        assert_eq!(
            ask(Method::PUT, "/rooms/"),
            Some((StatusCode::BAD_REQUEST, "Missing room ID"))
        );
        assert_eq!(
            ask(Method::GET, "/contacts/bob@localhost"),
            Some((StatusCode::NOT_FOUND, "JID provided but not supported"))
        );
        assert_eq!(ask(Method::GET, "/contacts"), None);
        assert_eq!(ask(Method::PUT, "/rooms/r1"), None);
        assert_eq!(ask(Method::DELETE, "/rooms/r1/users/bob@localhost"), None);
        assert_eq!(ask(Method::POST, "/rooms"), None);
    }
}

//! `Idempotency-Key` on the operations that create something (`POST /messages`,
//! `POST /rooms`, `POST /rooms/{id}/messages`): the door's half of idempotent requests.
//! The core ([`crate::core::account::idempotency`]) decides whether a keyed request runs, waits
//! or replays; this file reads the key, fingerprints the request, runs it through the
//! usual dispatch and records its answer.
//!
//! - A key that is not 1 to 255 printable ASCII characters (or is sent twice) is
//!   refused before anything else: `400 "Invalid Idempotency-Key"`. The header is ignored
//!   on operations that do not take it.
//! - The request's fingerprint is its method, its path below the API's mount (with the
//!   query string) and its body; a JSON body counts by its value (object keys sorted,
//!   no whitespace), so the same object serialized another way is the same request.
//! - Every answer is recorded except `5xx` and `429`: those tell the client to try
//!   again, and the retry must then really run. Requests refused before the operation
//!   (`401`, `413`) never reach a key.
//! - The operation and the recording of its answer run in a task of their own: a client
//!   that disconnects mid-request does not cancel them, so its retry replays instead of
//!   running the request a second time.
//! - A replay is the recorded status and body with `Idempotent-Replayed: true`.

use super::{contract, is_not_implemented, Caller, ClientApi};
use crate::core::account::idempotency::IdempotentAnswer;
use crate::core::account::idempotency::{self, Begun, Claim, Fingerprint, InvalidKey, Key};
use crate::http::{
    body_error_response, dispatch_read, full, json_error, read_body, unavailable, Body, RequestBody, RequestContext,
};
use http_body_util::BodyExt;
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use std::borrow::Cow;
use std::time::Duration;

/// The operations (by id in `api/client.yaml`) that take the header.
const KEYED: [&str; 3] = ["sendMessage", "createRoom", "sendRoomMessage"];

const HEADER: &str = "idempotency-key";

/// The header marking a replayed answer.
const REPLAYED: &str = "idempotent-replayed";

pub(super) const INVALID_KEY: &str = "Invalid Idempotency-Key";
const REUSED: &str = "Idempotency-Key already used for another request";

/// The key of a request to a keyed operation: `None` when it sends none or addresses
/// another operation, an error when the header is not one valid key.
pub(super) fn requested(api: &ClientApi, req: &Request<RequestBody>) -> Option<Result<Key, InvalidKey>> {
    let mut values = req.headers().get_all(HEADER).iter();
    let first = values.next()?;
    let below = req.uri().path().get(api.path.len()..)?;
    let op = contract()
        .find(req.method(), &format!("{}{below}", contract().base_path))
        .ok()?;
    if !KEYED.contains(&op.id.as_str()) {
        return None;
    }
    if values.next().is_some() {
        return Some(Err(InvalidKey));
    }
    Some(Key::parse(first.as_bytes()))
}

/// Serves an authenticated request of `caller` carrying `key`.
pub(super) async fn serve(api: &ClientApi, key: Key, req: Request<RequestBody>, caller: Caller) -> Response<Body> {
    let user = caller.jid.clone();
    let (parts, body) = req.into_parts();
    let body = match read_body(body, &parts.headers, api.max_body).await {
        Ok(b) => b,
        Err(e) => return body_error_response(e),
    };
    let below = parts
        .uri
        .path_and_query()
        .and_then(|p| p.as_str().get(api.path.len()..))
        .unwrap_or_default();
    let fingerprint = Fingerprint::of(&[parts.method.as_str().as_bytes(), below.as_bytes(), &canonical(&body)]);
    let claim = match idempotency::begin(&api.core, &user, &key, fingerprint).await {
        Ok(Begun::Run(claim)) => claim,
        Ok(Begun::Replay(answer)) => return replay(answer),
        Ok(Begun::Reused) => return json_error(StatusCode::UNPROCESSABLE_ENTITY, REUSED),
        Ok(Begun::Busy { retry_after }) => return busy(retry_after),
        Err(e) => {
            tracing::error!(%user, error = %e, "claiming an idempotency key failed");
            return unavailable();
        }
    };
    let context = RequestContext::new(&parts.headers, user.to_string(), caller);
    let (router, mount) = (api.router.clone(), api.path.clone());
    let work = tokio::spawn(async move {
        let response = dispatch_read(&router, contract(), &mount, parts, body, context, is_not_implemented).await;
        record(claim, response).await
    });
    match work.await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a keyed request failed");
            unavailable()
        }
    }
}

/// Records `response` under the claim (or gives the key back for an answer that asks
/// for a retry) and returns it.
async fn record(claim: Claim, response: Response<Body>) -> Response<Body> {
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        if let Err(e) = claim.release().await {
            tracing::warn!(error = %e, "an idempotency key stays claimed until its lease ends");
        }
        return response;
    }
    // The keyed operations answer small JSON documents built in memory.
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let answer = IdempotentAnswer {
        status: status.as_u16(),
        body: bytes.to_vec(),
    };
    match claim.finish(answer).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!("a keyed request outlived its claim; its answer was not recorded"),
        // The work is done: the client gets its answer all the same (a retry would run
        // again; see the core's module docs).
        Err(e) => tracing::warn!(error = %e, "recording the answer of a keyed request failed"),
    }
    Response::from_parts(parts, full(bytes))
}

/// The recorded answer again.
fn replay(answer: IdempotentAnswer) -> Response<Body> {
    let Ok(status) = StatusCode::from_u16(answer.status) else {
        tracing::error!(status = answer.status, "a recorded answer has no valid status");
        return unavailable();
    };
    let mut response = Response::new(full(answer.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// `503` with the seconds to wait: the first request with the key runs elsewhere.
fn busy(retry_after: Duration) -> Response<Body> {
    let mut response = unavailable();
    let seconds = retry_after.as_millis().div_ceil(1000).max(1);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds as u64));
    response
}

/// A JSON body as its canonical bytes (object keys sorted, no whitespace); any other
/// body as it is.
fn canonical(body: &[u8]) -> Cow<'_, [u8]> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            let mut out = Vec::with_capacity(body.len());
            write_canonical(&value, &mut out);
            Cow::Owned(out)
        }
        Err(_) => Cow::Borrowed(body),
    }
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                scalar(k, out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        other => scalar(other, out),
    }
}

/// Writes a string or a JSON leaf value the way `serde_json` does.
fn scalar<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Serializing a string or a leaf value into memory cannot fail.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_count_by_value_and_others_by_bytes() {
        let a = canonical(br#"{"to": "bob@localhost", "body": "hi", "x": {"b": [1, 2.5, null], "a": true}}"#);
        let b = canonical(br#"{"x":{"a":true,"b":[1,2.5,null]},"body":"hi","to":"bob@localhost"}"#);
        assert_eq!(a, b);
        assert_eq!(
            std::str::from_utf8(&a).unwrap(),
            r#"{"body":"hi","to":"bob@localhost","x":{"a":true,"b":[1,2.5,null]}}"#
        );
        assert_ne!(canonical(br#"{"body":"hi"}"#), canonical(br#"{"body":"hi "}"#));
        assert_eq!(canonical(b"not json {"), Cow::Borrowed(&b"not json {"[..]));
        assert_eq!(&*canonical(br#""\u00e9\n""#), "\"\u{e9}\\n\"".as_bytes());
    }
}

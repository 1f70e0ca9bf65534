//! `/webhooks`: the endpoints' delivery state and replays, through `core::webhooks`.

use super::internal;
use crate::core::webhooks::{self, EndpointInfo, EventKind, WebhookError};
use crate::core::Core;
use meerkat_admin_api as api;
use swagger::ApiError;

fn event(kind: EventKind) -> api::models::WebhookEndpointEventsInner {
    use api::models::WebhookEndpointEventsInner as E;
    match kind {
        EventKind::Message => E::Message,
        EventKind::RoomMessage => E::RoomMessage,
        EventKind::AccountCreated => E::AccountCreated,
        EventKind::AccountPasswordChanged => E::AccountPasswordChanged,
        EventKind::AccountRemoved => E::AccountRemoved,
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn model(e: EndpointInfo) -> api::models::WebhookEndpoint {
    let s = e.state;
    let mut m = api::models::WebhookEndpoint::new(
        e.name,
        e.url,
        e.events.into_iter().map(event).collect(),
        count(s.backlog),
        count(s.delivered),
        count(s.dropped),
        s.archive_cursor.max(0).to_string(),
    );
    m.last_error = s.last_error;
    m.last_error_at = s.last_error_ms;
    m.last_delivered_at = s.last_delivered_ms;
    m
}

pub(super) async fn list(core: &Core) -> Result<api::ListWebhooksResponse, ApiError> {
    let all = webhooks::list(core).await.map_err(internal)?;
    Ok(api::ListWebhooksResponse::Endpoints(
        all.into_iter().map(model).collect(),
    ))
}

pub(super) async fn replay(core: &Core, name: &str, from: &str) -> Result<api::ReplayWebhookResponse, ApiError> {
    use api::ReplayWebhookResponse as R;
    // The spec's pattern admits up to 19 digits; beyond i64 is not an id.
    let Ok(from) = from.parse::<i64>() else {
        return Ok(R::BadRequest("Invalid archive id".into()));
    };
    match webhooks::replay(core, name, from).await {
        Ok(()) => Ok(R::ReplayStarted),
        Err(e @ WebhookError::UnknownEndpoint) => Ok(R::NotFound(e.to_string())),
        Err(WebhookError::Store(e)) => Err(internal(e)),
    }
}

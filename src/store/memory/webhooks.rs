//! [`WebhookStore`] in memory: each endpoint's state and outbox.

use super::MemoryStore;
use crate::store::{NewWebhookEvent, StoreError, WebhookEvent, WebhookState, WebhookStore};
use async_trait::async_trait;
use std::collections::VecDeque;

#[derive(Default)]
pub(super) struct Endpoint {
    state: WebhookState,
    outbox: VecDeque<WebhookEvent>,
    next_seq: i64,
}

impl Endpoint {
    fn state(&self) -> WebhookState {
        WebhookState {
            backlog: self.outbox.len() as u64,
            ..self.state.clone()
        }
    }

    fn take(&mut self, seq: i64) -> bool {
        let before = self.outbox.len();
        self.outbox.retain(|e| e.seq != seq);
        before != self.outbox.len()
    }
}

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn webhook_init(
        &self,
        endpoint: &str,
        archive_cursor: i64,
        account_cursor: i64,
    ) -> Result<WebhookState, StoreError> {
        let mut d = self.data();
        let e = d.webhooks.entry(endpoint.to_owned()).or_insert_with(|| Endpoint {
            state: WebhookState {
                endpoint: endpoint.to_owned(),
                archive_cursor,
                account_cursor,
                ..Default::default()
            },
            ..Default::default()
        });
        Ok(e.state())
    }

    async fn webhook_states(&self) -> Result<Vec<WebhookState>, StoreError> {
        Ok(self.data().webhooks.values().map(Endpoint::state).collect())
    }

    async fn webhook_fill(
        &self,
        endpoint: &str,
        from: (i64, i64),
        events: Vec<NewWebhookEvent>,
        to: (i64, i64),
        max_backlog: u64,
    ) -> Result<u64, StoreError> {
        let mut d = self.data();
        let e = d.webhooks.get_mut(endpoint).ok_or(StoreError::NotFound)?;
        if (e.state.archive_cursor, e.state.account_cursor) != from {
            return Err(StoreError::Conflict);
        }
        for event in events {
            e.next_seq += 1;
            e.outbox.push_back(WebhookEvent {
                seq: e.next_seq,
                event,
                attempts: 0,
                first_failure_ms: None,
            });
        }
        (e.state.archive_cursor, e.state.account_cursor) = to;
        let mut dropped = 0;
        while e.outbox.len() as u64 > max_backlog {
            e.outbox.pop_front();
            dropped += 1;
        }
        e.state.dropped += dropped;
        Ok(dropped)
    }

    async fn webhook_pending(&self, endpoint: &str, limit: usize) -> Result<Vec<WebhookEvent>, StoreError> {
        let d = self.data();
        Ok(d.webhooks
            .get(endpoint)
            .map(|e| e.outbox.iter().take(limit).cloned().collect())
            .unwrap_or_default())
    }

    async fn webhook_delivered(&self, endpoint: &str, seq: i64, at_ms: i64) -> Result<(), StoreError> {
        let mut d = self.data();
        if let Some(e) = d.webhooks.get_mut(endpoint) {
            if e.take(seq) {
                e.state.delivered += 1;
                e.state.last_delivered_ms = Some(at_ms);
            }
        }
        Ok(())
    }

    async fn webhook_failed(&self, endpoint: &str, seq: i64, error: &str, at_ms: i64) -> Result<(), StoreError> {
        let mut d = self.data();
        if let Some(e) = d.webhooks.get_mut(endpoint) {
            if let Some(ev) = e.outbox.iter_mut().find(|ev| ev.seq == seq) {
                ev.attempts += 1;
                ev.first_failure_ms.get_or_insert(at_ms);
            }
            e.state.last_error = Some(error.to_owned());
            e.state.last_error_ms = Some(at_ms);
        }
        Ok(())
    }

    async fn webhook_give_up(&self, endpoint: &str, seq: i64, error: &str, at_ms: i64) -> Result<(), StoreError> {
        let mut d = self.data();
        if let Some(e) = d.webhooks.get_mut(endpoint) {
            if e.take(seq) {
                e.state.dropped += 1;
            }
            e.state.last_error = Some(error.to_owned());
            e.state.last_error_ms = Some(at_ms);
        }
        Ok(())
    }

    async fn webhook_rewind(&self, endpoint: &str, after: i64) -> Result<(), StoreError> {
        let mut d = self.data();
        let e = d.webhooks.get_mut(endpoint).ok_or(StoreError::NotFound)?;
        e.outbox.retain(|ev| ev.event.archive_id.is_none_or(|id| id <= after));
        e.state.archive_cursor = after;
        Ok(())
    }
}

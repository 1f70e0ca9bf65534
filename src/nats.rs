//! The cluster's bus over NATS core: one connection per node, which publishes what
//! `core::cluster` hands it, in order, and feeds it what arrives on the node's two
//! subjects. Nothing here knows what the messages mean.
//!
//! The connection is made in the background and made again whenever it breaks (every
//! 100 ms at first, then at most every second), so a node starts, and keeps serving its
//! own sessions, while NATS is away; its subscriptions are renewed on reconnection.
//! What is published meanwhile waits in a bounded queue; past it, messages are dropped
//! (counted in the log): stanzas so lost are in the archive, and session news is made
//! good by the snapshot peers ask for when they hear of the node again.

use crate::core::cluster::{Bus, Cluster, ClusterSettings};
use crate::core::Core;
use futures::StreamExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Messages waiting to be published, at most.
const OUTBOX: usize = 65_536;

struct NatsBus {
    outbox: mpsc::Sender<(String, Vec<u8>)>,
    dropped: AtomicU64,
}

impl Bus for NatsBus {
    fn publish(&self, subject: String, payload: Vec<u8>) {
        if self.outbox.try_send((subject, payload)).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    dropped = n,
                    "the cluster's outbox is full; messages to other nodes were dropped"
                );
            }
        }
    }
}

/// Why the node could not join its cluster.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("NATS at {url}: {message}")]
    Nats { url: String, message: String },
}

/// Connects `core` to the cluster over the NATS server(s) at `url` and runs its tasks:
/// publishing, receiving, routing what other nodes send for rooms hosted here, and the
/// heartbeat.
pub async fn join(core: Arc<Core>, url: &str, settings: ClusterSettings) -> Result<Vec<JoinHandle<()>>, JoinError> {
    let failed = |e: &dyn std::fmt::Display| JoinError::Nats {
        url: url.to_owned(),
        message: e.to_string(),
    };
    let heartbeat = settings.heartbeat;
    let client = async_nats::ConnectOptions::new()
        .name(format!("meerkat {}", settings.node))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(2))
        .ping_interval(Duration::from_secs(5))
        .reconnect_delay_callback(|attempts| Duration::from_millis((100 * attempts as u64).min(1000)))
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("connected to NATS"),
                async_nats::Event::Disconnected => tracing::warn!("disconnected from NATS; reconnecting"),
                other => tracing::debug!(event = %other, "NATS"),
            }
        })
        .connect(url)
        .await
        .map_err(|e| failed(&e))?;
    let (outbox, mut queued) = mpsc::channel::<(String, Vec<u8>)>(OUTBOX);
    let bus = Arc::new(NatsBus {
        outbox,
        dropped: AtomicU64::new(0),
    });
    let cluster = core.join_cluster(settings, bus);
    let [all, own] = cluster.subjects();
    let mut all = client.subscribe(all).await.map_err(|e| failed(&e))?;
    let mut own = client.subscribe(own).await.map_err(|e| failed(&e))?;

    let publisher = client.clone();
    let publishing = tokio::spawn(async move {
        while let Some((subject, payload)) = queued.recv().await {
            if let Err(e) = publisher.publish(subject, payload.into()).await {
                tracing::warn!(error = %e, "a message to other nodes could not be published");
            }
        }
    });
    let receiving = {
        let core = core.clone();
        let cluster = cluster.clone();
        tokio::spawn(async move {
            loop {
                // What one node publishes leaves it in order and reaches each
                // subscription in that order; between the two, news of a session (on
                // `all`) is taken before a stanza that follows it (on this node's own).
                let message = tokio::select! {
                    biased;
                    m = all.next() => m,
                    m = own.next() => m,
                };
                match message {
                    Some(m) => cluster.receive(&core, &m.payload),
                    None => break,
                }
            }
            tracing::error!("the subscriptions to the cluster ended");
        })
    };
    let routing = cluster.run_routes(core.clone());
    let beating = tokio::spawn(beat(core, cluster, heartbeat));
    Ok(vec![publishing, receiving, routing, beating])
}

async fn beat(core: Arc<Core>, cluster: Arc<Cluster>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        cluster.tick(&core);
    }
}

//! XMPP over BOSH (XEP-0124, XEP-0206) on an HTTP listener (`mod_bosh`): the HTTP door
//! hands each request body here; a body without `sid` creates a session, the others go
//! to their session's task in arrival order.
//!
//! - [`body`]: the `<body/>` wrapper, parsed and written (pure);
//! - [`machine`]: a session's request ids, held requests and timers, as data (pure);
//! - [`connection`]: the session's XMPP stream as a `Connection`, so negotiation, SASL,
//!   binding, routing, presence and every session limit are those of TCP and WebSocket;
//! - [`session`]: the task that runs a session.
//!
//! Limits: bodies within the listener's `max_body_size` (checked by the HTTP door), at
//! most the listener's `max_connections_per_ip` sessions per address and
//! `max_connections` in all (`policy-violation` beyond), the per-account session limit
//! at binding, and `[modules.mod_bosh]`'s timers. A body that cannot be read is answered
//! with `bad-request` (and ends the session it names); an unknown `sid` with
//! `item-not-found`.
//!
//! Not supported: multiple streams per session (§16), key sequencing (§15), response
//! acknowledgements (§9), a `content` type other than `text/xml; charset=utf-8`, and the
//! legacy HTTP error codes of pre-1.6 clients (errors are always terminal binding
//! conditions in a `200`).

mod body;
mod connection;
mod machine;
mod session;

use crate::core::Core;
use crate::transport::bosh::{BoshPeer, BoshService};
use body::Condition;
use bytes::Bytes;
use futures::future::BoxFuture;
use rand::Rng;
use session::{Command, Start};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Requests of one session waiting for its task to take them.
const COMMANDS: usize = 8;

/// `[modules.mod_bosh]`, with the session queue bounds responses are limited by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoshSettings {
    pub inactivity: Duration,
    pub max_wait: Duration,
    pub max_pause: Duration,
    /// The most requests held at once; a client's `hold` is lowered to it.
    pub hold: usize,
    /// What may wait for the client between its requests (`max_session_queue`,
    /// `max_session_queue_bytes`).
    pub queue_len: usize,
    pub queue_bytes: usize,
}

/// The sessions open now, by `sid`, and how many each address has.
#[derive(Debug, Default)]
struct Table {
    sessions: HashMap<String, (mpsc::Sender<Command>, IpAddr)>,
    per_address: HashMap<IpAddr, usize>,
}

impl Table {
    fn remove(&mut self, sid: &str) {
        if let Some((_, addr)) = self.sessions.remove(sid) {
            if let Some(n) = self.per_address.get_mut(&addr) {
                *n -= 1;
                if *n == 0 {
                    self.per_address.remove(&addr);
                }
            }
        }
    }
}

/// The BOSH sessions of the server, shared by every listener with a `mod_bosh` handler.
pub(crate) struct XmppOverBosh {
    core: Arc<Core>,
    settings: BoshSettings,
    table: Arc<Mutex<Table>>,
}

impl XmppOverBosh {
    pub(crate) fn new(core: Arc<Core>, settings: BoshSettings) -> Self {
        XmppOverBosh {
            core,
            settings,
            table: Arc::default(),
        }
    }
}

fn lock(table: &Mutex<Table>) -> std::sync::MutexGuard<'_, Table> {
    // The table stays consistent even if a holder panicked (every change is one step).
    table.lock().unwrap_or_else(|p| p.into_inner())
}

fn new_sid() -> String {
    let bytes: [u8; 16] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn refuse(condition: Condition) -> String {
    body::terminate(Some(condition), &[])
}

impl BoshService for XmppOverBosh {
    fn request(&self, bytes: Bytes, peer: BoshPeer) -> BoxFuture<'static, String> {
        let core = self.core.clone();
        let settings = self.settings;
        let table = self.table.clone();
        Box::pin(async move {
            let wrapper = match body::parse_wrapper(&bytes) {
                Ok(w) => w,
                Err(e) => {
                    tracing::debug!(peer = %peer.addr, error = %e, "unreadable BOSH body");
                    return refuse(Condition::BadRequest);
                }
            };
            let named = wrapper.attr("sid").map(str::to_owned);
            let request = match body::Request::from_wrapper(wrapper) {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(peer = %peer.addr, error = %e, "bad BOSH body");
                    // A terminal condition: the session it names ends too.
                    let session = named.and_then(|sid| lock(&table).sessions.get(&sid).map(|s| s.0.clone()));
                    if let Some(commands) = session {
                        let _ = commands.send(Command::Refuse).await;
                    }
                    return refuse(Condition::BadRequest);
                }
            };
            match request.sid.clone() {
                None => create(core, settings, table, request, peer).await,
                Some(sid) => {
                    let commands = lock(&table).sessions.get(&sid).map(|s| s.0.clone());
                    let Some(commands) = commands else {
                        return refuse(Condition::ItemNotFound);
                    };
                    let (reply, response) = oneshot::channel();
                    if commands.send(Command::Request { request, reply }).await.is_err() {
                        return refuse(Condition::ItemNotFound);
                    }
                    // A session that ended before answering is gone for this request too.
                    response.await.unwrap_or_else(|_| refuse(Condition::ItemNotFound))
                }
            }
        })
    }
}

/// A session's place in the table, given up when its task ends, however it ends.
struct Registered {
    table: Arc<Mutex<Table>>,
    sid: String,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.table).remove(&self.sid);
    }
}

/// Opens a session for a creation request, within the listener's caps.
async fn create(
    core: Arc<Core>,
    settings: BoshSettings,
    table: Arc<Mutex<Table>>,
    request: body::Request,
    peer: BoshPeer,
) -> String {
    let body::Kind::Create(create) = request.kind else {
        return refuse(Condition::BadRequest);
    };
    let sid = new_sid();
    let (commands_tx, commands) = mpsc::channel(COMMANDS);
    {
        let mut t = lock(&table);
        let from_address = t.per_address.get(&peer.addr).copied().unwrap_or(0);
        if t.sessions.len() >= peer.max_sessions || from_address >= peer.max_sessions_per_ip {
            tracing::debug!(peer = %peer.addr, "BOSH session refused: too many sessions");
            return refuse(Condition::PolicyViolation);
        }
        t.sessions.insert(sid.clone(), (commands_tx, peer.addr));
        *t.per_address.entry(peer.addr).or_insert(0) += 1;
    }
    let (reply, response) = oneshot::channel();
    let start = Start {
        sid: sid.clone(),
        rid: request.rid,
        create,
        peer,
        reply,
    };
    let registered = Registered { table, sid };
    tokio::spawn(async move {
        session::run(core, settings, start, commands).await;
        drop(registered);
    });
    response
        .await
        .unwrap_or_else(|_| refuse(Condition::InternalServerError))
}

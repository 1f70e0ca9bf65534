//! Idempotent requests: a client names a request with a key of its choosing (the client
//! API's `Idempotency-Key`), and a retry with the same key gets the first answer again
//! instead of doing the work twice.
//!
//! Keys are per user. A door asks `begin` with the key and a [`Fingerprint`] of the
//! request (what makes two requests "the same" is the door's business); the answer is
//! one of [`Begun`]:
//! - `Run`: the key is new; the door does the work and hands the answer to
//!   [`Claim::finish`] (or gives the key back with [`Claim::release`] when the failure
//!   is one the client should retry for real);
//! - `Replay`: the key was used for this very request; here is its answer;
//! - `Reused`: the key was used for another request;
//! - `Busy`: the first request with this key is still running in another process (or
//!   in one that stopped before answering, until its claim's lease ends).
//!
//! Two requests with one key never both run: within this process the second waits on a
//! per-key lock for the first to finish, then replays its answer; across processes the
//! store's claim is atomic, and the second polls until the first answers (or answers
//! `Busy` after [`WAIT_FOR_OTHER`]).
//!
//! What is guaranteed, honestly: the answer is recorded *after* the work is done, in a
//! separate write (the work may touch several stores, the archive writes on its own
//! connection), so a process that dies between the two leaves a claim without an
//! answer. Once that claim's lease ([`LEASE`]) has passed, a retry runs the request
//! again: in that window a retried send may happen twice (at least once, never lost).
//! Everything else (a client that disconnects, a retry racing the first request, a
//! restart after the answer was recorded) replays. A failure to record the answer is
//! logged and the client still gets its answer; its retries would run again.
//!
//! Answers are kept for [`IdempotencySettings::ttl`] after they were recorded; each user
//! may hold [`IdempotencySettings::max_keys`] keys, and past that the oldest answered
//! keys are forgotten first (a retry with a forgotten key runs again). An expired key is
//! as good as absent at once; its row is removed by [`Core::expire_idempotency_keys`]
//! (every [`SWEEP_EVERY`], in batches of [`SWEEP_BATCH`]), or sooner when its user
//! claims it again or needs its slot; a removed account's keys go with it. A claim costs
//! the same whatever the number of keys its user holds (see [`IdempotencyStore`]).

use super::lifecycle::{AccountEvent, Subscriber};
use crate::core::routing::router::RouteError;
use crate::core::Core;
pub use crate::store::IdempotentAnswer;
use crate::store::{Claimed, IdempotencyRecord, IdempotencyStore, KeyClaim, StoreError};
use async_trait::async_trait;
use jid::BareJid;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OwnedMutexGuard;

/// The longest key, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// How long a claim holds without an answer. Requests finish in well under this; a
/// claim older than that belongs to a process that is gone, and the key is free again.
pub const LEASE: Duration = Duration::from_secs(60);

/// How long a request waits for a claim held by another process to be answered before
/// it is answered [`Begun::Busy`].
pub const WAIT_FOR_OTHER: Duration = Duration::from_secs(5);

/// How often a claim held elsewhere is looked at again.
const POLL: Duration = Duration::from_millis(100);

/// How often expired keys are removed.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The most expired keys one sweep statement removes; a sweep runs batches until one
/// comes back short, yielding between them, so no write holds the store for long.
pub const SWEEP_BATCH: usize = 500;

/// What the configuration says of keys (`[general] idempotency_ttl`,
/// `idempotency_max_keys`).
#[derive(Debug, Clone, Copy)]
pub struct IdempotencySettings {
    /// How long an answer is kept for replay.
    pub ttl: Duration,
    /// Keys one user may hold at once (answered or running).
    pub max_keys: usize,
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        IdempotencySettings {
            ttl: Duration::from_secs(24 * 3600),
            max_keys: 10_000,
        }
    }
}

/// A key as a client sent it: 1 to [`MAX_KEY_LEN`] printable ASCII characters
/// (`!` to `~`), compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key is 1 to {MAX_KEY_LEN} printable ASCII characters")]
pub struct InvalidKey;

impl Key {
    pub fn parse(raw: &[u8]) -> Result<Key, InvalidKey> {
        if raw.is_empty() || raw.len() > MAX_KEY_LEN || !raw.iter().all(|b| (b'!'..=b'~').contains(b)) {
            return Err(InvalidKey);
        }
        // Printable ASCII is UTF-8.
        String::from_utf8(raw.to_vec()).map(Key).map_err(|_| InvalidKey)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What identifies a request: a SHA-256 over its parts, each prefixed with its length
/// so that no two lists of parts run into the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of(parts: &[&[u8]]) -> Fingerprint {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Fingerprint(hash.finalize().into())
    }
}

/// What to do with a keyed request.
#[derive(Debug)]
pub enum Begun {
    /// First use of the key: do the work, then [`Claim::finish`] (or [`Claim::release`]).
    Run(Claim),
    /// The same request was answered before: answer this again.
    Replay(IdempotentAnswer),
    /// The key was used for another request.
    Reused,
    /// The first request with this key is running elsewhere; ask again after this long.
    Busy { retry_after: Duration },
}

/// The requests with a key running in this process: one lock per (user, key), present
/// only while some request holds or waits for it.
#[derive(Default)]
pub(crate) struct InFlight(Mutex<Locks>);

/// (owner, key) → the lock its requests take in turn.
type Locks = HashMap<(String, String), Arc<tokio::sync::Mutex<()>>>;

impl InFlight {
    fn table(&self) -> std::sync::MutexGuard<'_, Locks> {
        // The map stays consistent whatever panicked while holding it.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many keys have requests holding or waiting for them.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table().len()
    }
}

/// A request's place at one key's lock; the entry goes when its last user leaves.
struct Slot {
    core: Arc<Core>,
    id: (String, String),
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Slot {
    fn enter(core: &Arc<Core>, id: (String, String)) -> Slot {
        let lock = core.in_flight.table().entry(id.clone()).or_default().clone();
        Slot {
            core: core.clone(),
            id,
            lock,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut table = self.core.in_flight.table();
        // Ours and the table's: nobody else holds or waits.
        if Arc::strong_count(&self.lock) == 2 {
            table.remove(&self.id);
        }
    }
}

/// The key, claimed for one request that is now to run. Dropped without
/// [`finish`](Claim::finish) or [`release`](Claim::release) (the request panicked), the
/// claim is released in the background.
pub struct Claim {
    // Dropped before `slot`, whose drop counts the lock's holders.
    guard: Option<OwnedMutexGuard<()>>,
    slot: Slot,
    store: Arc<dyn IdempotencyStore>,
    token: i64,
    ttl: Duration,
    settled: bool,
}

impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim")
            .field("key", &self.slot.id)
            .finish_non_exhaustive()
    }
}

impl Claim {
    /// Records `answer` for replay, durably, then lets waiting requests with the key
    /// go on. `Ok(false)`: the claim had been lost (the request outlived its lease and
    /// another took the key), so nothing was recorded.
    pub async fn finish(mut self, answer: IdempotentAnswer) -> Result<bool, StoreError> {
        self.settled = true;
        let (owner, key) = &self.slot.id;
        let expires = crate::core::archive::now_ms().saturating_add(self.ttl.as_millis() as i64);
        self.store
            .answer_idempotency_key(owner, key, self.token, &answer, expires)
            .await
    }

    /// Gives the key back without an answer: the next request with it runs for real.
    pub async fn release(mut self) -> Result<(), StoreError> {
        self.settled = true;
        let (owner, key) = &self.slot.id;
        self.store.release_idempotency_key(owner, key, self.token).await
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.settled {
            let (store, (owner, key), token) = (self.store.clone(), self.slot.id.clone(), self.token);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(e) = store.release_idempotency_key(&owner, &key, token).await {
                        tracing::warn!(%owner, error = %e, "an abandoned idempotency claim stays until its lease ends");
                    }
                });
            }
        }
        self.guard.take();
    }
}

/// Claims `key` of `owner` for the request `fingerprint`, or says why not (see the
/// module docs). Waits while another request of this process holds the key.
pub(crate) async fn begin(
    core: &Arc<Core>,
    owner: &BareJid,
    key: &Key,
    fingerprint: Fingerprint,
) -> Result<Begun, StoreError> {
    let slot = Slot::enter(core, (owner.to_string(), key.0.clone()));
    let guard = slot.lock.clone().lock_owned().await;
    let settings = core.settings.idempotency;
    let store = core.stores.idempotency.clone();
    let started = Instant::now();
    loop {
        let now = crate::core::archive::now_ms();
        let token: i64 = rand::random();
        let claim = KeyClaim {
            owner: &slot.id.0,
            key: &slot.id.1,
            fingerprint: &fingerprint.0,
            token,
            now_ms: now,
            lease_until_ms: now.saturating_add(LEASE.as_millis() as i64),
            max_keys: settings.max_keys,
        };
        let record = match store.claim_idempotency_key(&claim).await {
            Ok(Claimed::Yes) => {
                return Ok(Begun::Run(Claim {
                    guard: Some(guard),
                    slot,
                    store,
                    token,
                    ttl: settings.ttl,
                    settled: false,
                }))
            }
            Ok(Claimed::Held(record)) => record,
            // Every key the user may hold is a running request.
            Err(StoreError::LimitReached) => {
                return Ok(Begun::Busy {
                    retry_after: Duration::from_secs(1),
                })
            }
            Err(e) => return Err(e),
        };
        match record {
            IdempotencyRecord { fingerprint: f, .. } if f != fingerprint.0 => return Ok(Begun::Reused),
            IdempotencyRecord {
                answer: Some(answer), ..
            } => return Ok(Begun::Replay(answer)),
            // A claim, and not of this process (this request holds the key's lock):
            // another process runs the request, or ran it and stopped.
            IdempotencyRecord { expires_ms, .. } => {
                if started.elapsed() >= WAIT_FOR_OTHER {
                    let left = u64::try_from(expires_ms.saturating_sub(now)).unwrap_or(0);
                    return Ok(Begun::Busy {
                        retry_after: Duration::from_millis(left).max(Duration::from_secs(1)),
                    });
                }
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

impl Core {
    /// Removes expired idempotency keys every minute ([`SWEEP_EVERY`]), forever, in
    /// batches of at most [`SWEEP_BATCH`]; a failed round is logged and the next one
    /// tries again.
    pub async fn expire_idempotency_keys(self: Arc<Self>) {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep_expired_keys(&*self.stores.idempotency, crate::core::archive::now_ms(), SWEEP_BATCH).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(removed = n, "expired idempotency keys removed"),
                Err(e) => tracing::warn!(error = %e, "the idempotency key sweep failed; will retry"),
            }
        }
    }
}

/// Removes the keys expired by `now_ms`, `batch` at most per store call, until a call
/// comes back short; how many went. Other writers get the store between batches.
pub(crate) async fn sweep_expired_keys(
    store: &dyn IdempotencyStore,
    now_ms: i64,
    batch: usize,
) -> Result<usize, StoreError> {
    let mut removed = 0;
    loop {
        let n = store.expire_idempotency_keys(now_ms, batch).await?;
        removed += n;
        if n < batch.max(1) {
            return Ok(removed);
        }
        tokio::task::yield_now().await;
    }
}

/// A removed account's keys go with it (a new account of the same name starts afresh).
pub(crate) struct ForgetKeysOfRemovedAccount;

#[async_trait]
impl Subscriber for ForgetKeysOfRemovedAccount {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        if let AccountEvent::Removed(jid) = event {
            core.stores.idempotency.delete_idempotency_keys(jid.as_str()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testkit::Harness;

    fn alice() -> BareJid {
        BareJid::new("alice@localhost").unwrap()
    }

    fn answer(body: &str) -> IdempotentAnswer {
        IdempotentAnswer {
            status: 200,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        assert!(Key::parse(b"a").is_ok());
        assert!(Key::parse(b"5b0d7c1e-8a34-4f2e-9b61-2c9e4f0a7d13").is_ok());
        assert!(Key::parse("!~".repeat(127).as_bytes()).is_ok());
        assert_eq!(Key::parse(&[b'k'; 256]), Err(InvalidKey));
        for bad in [&b""[..], b"with space", b"tab\t", b"caf\xc3\xa9", b"nul\0", b"\x7f"] {
            assert_eq!(Key::parse(bad), Err(InvalidKey), "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_tell_parts_apart() {
        assert_eq!(Fingerprint::of(&[b"POST", b"/x"]), Fingerprint::of(&[b"POST", b"/x"]));
        assert_ne!(Fingerprint::of(&[b"POST", b"/x"]), Fingerprint::of(&[b"POST/", b"x"]));
        assert_ne!(Fingerprint::of(&[b"ab"]), Fingerprint::of(&[b"a", b"b"]));
    }

    #[tokio::test]
    async fn a_key_runs_once_then_replays_and_refuses_another_request() {
        let h = Harness::new(&["alice"]).await;
        let key = Key::parse(b"k1").unwrap();
        let first = Fingerprint::of(&[b"one"]);
        let Begun::Run(claim) = begin(&h.core, &alice(), &key, first).await.unwrap() else {
            panic!("a new key runs")
        };
        assert!(claim.finish(answer("{\"id\":\"1\"}")).await.unwrap());
        match begin(&h.core, &alice(), &key, first).await.unwrap() {
            Begun::Replay(a) => assert_eq!(a, answer("{\"id\":\"1\"}")),
            other => panic!("{other:?}"),
        }
        let other = Fingerprint::of(&[b"two"]);
        assert!(matches!(
            begin(&h.core, &alice(), &key, other).await.unwrap(),
            Begun::Reused
        ));
        // Another user's key of the same name is another key.
        let bob = BareJid::new("bob@localhost").unwrap();
        assert!(matches!(
            begin(&h.core, &bob, &key, other).await.unwrap(),
            Begun::Run(_)
        ));
        assert_eq!(h.core.in_flight.len(), 0, "no lock outlives its requests");
    }

    #[tokio::test]
    async fn a_released_or_abandoned_claim_lets_the_next_request_run() {
        let h = Harness::new(&["alice"]).await;
        let key = Key::parse(b"k1").unwrap();
        let fp = Fingerprint::of(&[b"one"]);
        let Begun::Run(claim) = begin(&h.core, &alice(), &key, fp).await.unwrap() else {
            panic!("a new key runs")
        };
        claim.release().await.unwrap();
        let Begun::Run(claim) = begin(&h.core, &alice(), &key, fp).await.unwrap() else {
            panic!("a released key runs again")
        };
        drop(claim);
        // The release of a dropped claim runs in the background; the next request waits
        // for it rather than answering busy.
        let again = tokio::time::timeout(WAIT_FOR_OTHER, begin(&h.core, &alice(), &key, fp))
            .await
            .expect("an abandoned claim is released");
        assert!(matches!(again.unwrap(), Begun::Run(_)));
    }

    #[tokio::test]
    async fn a_concurrent_request_with_the_key_waits_for_the_first_and_replays() {
        let h = Harness::new(&["alice"]).await;
        let key = Key::parse(b"k1").unwrap();
        let fp = Fingerprint::of(&[b"one"]);
        let Begun::Run(claim) = begin(&h.core, &alice(), &key, fp).await.unwrap() else {
            panic!("a new key runs")
        };
        let core = h.core.clone();
        let (k, waiting) = (key.clone(), alice());
        let second = tokio::spawn(async move { begin(&core, &waiting, &k, fp).await.unwrap() });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!second.is_finished(), "the second request waits for the first");
        claim.finish(answer("{\"id\":\"1\"}")).await.unwrap();
        match second.await.unwrap() {
            Begun::Replay(a) => assert_eq!(a, answer("{\"id\":\"1\"}")),
            other => panic!("{other:?}"),
        }
        assert_eq!(h.core.in_flight.len(), 0);
    }

    #[tokio::test]
    async fn a_claim_of_another_process_is_waited_for_then_busy() {
        let h = Harness::new(&["alice"]).await;
        let key = Key::parse(b"k1").unwrap();
        let fp = Fingerprint::of(&[b"one"]);
        // Another process claimed the key a moment ago and is still at work.
        let now = crate::core::archive::now_ms();
        h.stores
            .idempotency
            .claim_idempotency_key(&KeyClaim {
                owner: "alice@localhost",
                key: "k1",
                fingerprint: &fp.0,
                token: 7,
                now_ms: now,
                lease_until_ms: now + LEASE.as_millis() as i64,
                max_keys: 10,
            })
            .await
            .unwrap();
        let store = h.stores.idempotency.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            store
                .answer_idempotency_key("alice@localhost", "k1", 7, &answer("{}"), now + 60_000)
                .await
                .unwrap();
        });
        assert!(matches!(
            begin(&h.core, &alice(), &key, fp).await.unwrap(),
            Begun::Replay(_)
        ));
        let other = Key::parse(b"k2").unwrap();
        h.stores
            .idempotency
            .claim_idempotency_key(&KeyClaim {
                owner: "alice@localhost",
                key: "k2",
                fingerprint: &fp.0,
                token: 8,
                now_ms: now,
                lease_until_ms: now + LEASE.as_millis() as i64,
                max_keys: 10,
            })
            .await
            .unwrap();
        let started = Instant::now();
        match begin(&h.core, &alice(), &other, fp).await.unwrap() {
            Begun::Busy { retry_after } => {
                assert!(started.elapsed() >= WAIT_FOR_OTHER);
                assert!(
                    retry_after > Duration::from_secs(40) && retry_after <= LEASE,
                    "{retry_after:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_removed_account_forgets_its_keys() {
        let h = Harness::new(&["alice"]).await;
        let key = Key::parse(b"k1").unwrap();
        let fp = Fingerprint::of(&[b"one"]);
        let Begun::Run(claim) = begin(&h.core, &alice(), &key, fp).await.unwrap() else {
            panic!("a new key runs")
        };
        claim.finish(answer("{}")).await.unwrap();
        ForgetKeysOfRemovedAccount
            .on_account_event(&h.core, &AccountEvent::Removed(alice()))
            .await
            .unwrap();
        assert!(matches!(
            begin(&h.core, &alice(), &key, Fingerprint::of(&[b"two"]))
                .await
                .unwrap(),
            Begun::Run(_)
        ));
    }

    #[tokio::test]
    async fn a_sweep_runs_batches_until_one_comes_back_short() {
        let h = Harness::new(&["alice"]).await;
        let store = h.core.stores.idempotency.clone();
        for token in 0..5 {
            let key = format!("k{token}");
            let claim = KeyClaim {
                owner: "alice@localhost",
                key: &key,
                fingerprint: b"req",
                token,
                now_ms: 0,
                lease_until_ms: 10,
                max_keys: 100,
            };
            assert_eq!(store.claim_idempotency_key(&claim).await.unwrap(), Claimed::Yes);
        }
        assert_eq!(sweep_expired_keys(&*store, 20, 2).await.unwrap(), 5);
        assert_eq!(sweep_expired_keys(&*store, 20, 2).await.unwrap(), 0);
    }
}

//! Accounts and what proves who a client is. This file: accounts (registration, password
//! changes, removal) and password checks. Beside it: `scram` (credentials and SCRAM
//! lookups), [`throttle`] (failed logins per address and per account), [`tokens`]
//! (bearer tokens of the client API), [`idempotency`] (idempotency keys of the client
//! API), `lifecycle` (what follows an account's removal or new password, whichever
//! process made it).
//!
//! Events: `lifecycle` emits the account events (`lifecycle::AccountEvent`) to the
//! subscribers `Core` lists, data first and sessions last; [`tokens`] and
//! [`idempotency`] hear them (tokens revoked on removal and on a new password, keys
//! forgotten on removal). Session and presence events: none.
//!
//!
//! Only SCRAM credentials are stored. A password check costs one PBKDF2 derivation, far
//! too much to pay on every REST request, so a successful check is remembered as a keyed
//! hash (HMAC-SHA-256 under a per-process random key) of the JID and password. A later
//! request with the same credentials is answered from that cache in about a microsecond;
//! a different password for the same JID misses and is checked for real. Changing or
//! removing the account drops the entry, in this process at once and in a server sharing
//! the storage when it reads the account change log (`lifecycle`).

pub mod idempotency;
pub(crate) mod lifecycle;
pub(crate) mod scram;
pub mod throttle;
pub mod tokens;

use crate::store::{AccountStore, ScramCredential, StoreError};
use hmac::{Hmac, Mac};
use jid::BareJid;
use rand::RngCore;
use scram::{ScramError, ScramHash};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("Invalid username")]
    InvalidUsername,
    #[error("Invalid JID")]
    InvalidJid,
    #[error("Unknown domain")]
    UnknownDomain,
    #[error("User already exists")]
    AlreadyExists,
    #[error("User not found")]
    NotFound,
    #[error("Invalid password: {0}")]
    InvalidPassword(#[from] ScramError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => AccountError::AlreadyExists,
            StoreError::NotFound => AccountError::NotFound,
            other => AccountError::Store(other),
        }
    }
}

type Tag = [u8; 32];

/// Remembered successful password checks, bounded in size.
struct AuthCache {
    key: [u8; 32],
    capacity: usize,
    entries: Mutex<HashMap<String, Tag>>,
    /// Bumped by every invalidation; a check that started before a bump does not insert,
    /// so a password changed mid-check is never cached as valid.
    epoch: AtomicU64,
}

impl AuthCache {
    fn new(capacity: usize) -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        AuthCache {
            key,
            capacity,
            entries: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        }
    }

    fn tag(&self, jid: &str, password: &str) -> Tag {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(jid.as_bytes());
        mac.update(&[0]);
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn hit(&self, jid: &str, tag: &Tag) -> bool {
        let entries = self.entries.lock().expect("auth cache mutex poisoned");
        entries.get(jid).is_some_and(|t| bool::from(t.ct_eq(tag)))
    }

    fn insert(&self, jid: &str, tag: Tag, epoch_at_start: u64) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().expect("auth cache mutex poisoned");
        if self.epoch.load(Ordering::Acquire) != epoch_at_start {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(jid) {
            // Any victim will do: the cache only saves work, and a evicted user pays one
            // derivation on the next request.
            if let Some(victim) = entries.keys().next().cloned() {
                entries.remove(&victim);
            }
        }
        entries.insert(jid.to_owned(), tag);
    }

    fn invalidate(&self, jid: &str) {
        let mut entries = self.entries.lock().expect("auth cache mutex poisoned");
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.remove(jid);
    }
}

/// What a SASL SCRAM exchange needs of an account (RFC 5802 §5.1): its credential
/// for the hash, or, for an unknown user, a salt that looks real and stays the same.
pub struct ScramLookup {
    pub credential: Option<ScramCredential>,
    pub fake_salt: Vec<u8>,
    pub iterations: u32,
}

/// The account service shared by the REST doors, the admin API, SASL and the CLI.
pub struct Accounts {
    store: Arc<dyn AccountStore>,
    hosts: Arc<crate::core::hosts::Hosts>,
    iterations: u32,
    cache: AuthCache,
    derivations: AtomicU64,
    /// Keys the fake SCRAM salts of unknown users (per process).
    scram_secret: [u8; 32],
}

impl Accounts {
    /// The domains served (the configuration's, prepped, and those added at run time).
    pub fn new(
        store: Arc<dyn AccountStore>,
        hosts: Arc<crate::core::hosts::Hosts>,
        iterations: u32,
        cache_size: usize,
    ) -> Self {
        Accounts {
            store,
            hosts,
            iterations,
            cache: AuthCache::new(cache_size),
            derivations: AtomicU64::new(0),
            scram_secret: rand::random(),
        }
    }

    pub fn serves(&self, domain: &str) -> bool {
        self.hosts.serves(domain)
    }

    /// Key derivations performed so far (registrations, password changes, uncached
    /// checks and refusals of unknown accounts); lets tests show that cached checks
    /// derive nothing and refusals as much as a wrong password.
    pub fn derivations(&self) -> u64 {
        self.derivations.load(Ordering::Relaxed)
    }

    /// A prepped domain we serve, or [`AccountError::UnknownDomain`].
    pub fn domain(&self, domain: &str) -> Result<String, AccountError> {
        let prepped = BareJid::new(domain).map_err(|_| AccountError::UnknownDomain)?;
        if prepped.node().is_some() || !self.serves(prepped.domain().as_str()) {
            return Err(AccountError::UnknownDomain);
        }
        Ok(prepped.domain().as_str().to_owned())
    }

    /// The account JID for `username` on `domain`, prepped and checked.
    pub fn user_jid(&self, username: &str, domain: &str) -> Result<BareJid, AccountError> {
        let domain = self.domain(domain)?;
        if username.is_empty() || username.contains(['@', '/']) {
            return Err(AccountError::InvalidUsername);
        }
        let jid = BareJid::new(&format!("{username}@{domain}")).map_err(|_| AccountError::InvalidUsername)?;
        Ok(jid)
    }

    /// Parses a bare JID naming a possible local account (`alice@localhost`, any case).
    pub fn parse_local_jid(&self, jid: &str) -> Result<BareJid, AccountError> {
        let parsed = BareJid::new(jid).map_err(|_| AccountError::InvalidJid)?;
        if parsed.node().is_none() {
            return Err(AccountError::InvalidJid);
        }
        if !self.serves(parsed.domain().as_str()) {
            return Err(AccountError::UnknownDomain);
        }
        Ok(parsed)
    }

    async fn derive(&self, password: &str) -> Result<crate::store::Credentials, AccountError> {
        self.derivations.fetch_add(1, Ordering::Relaxed);
        let password = password.to_owned();
        let iterations = self.iterations;
        tokio::task::spawn_blocking(move || scram::new_credentials(&password, iterations))
            .await
            .map_err(task_failed)?
            .map_err(AccountError::from)
    }

    pub async fn register(&self, jid: &BareJid, password: &str) -> Result<(), AccountError> {
        let credentials = self.derive(password).await?;
        self.store.create_account(jid.as_str(), &credentials).await?;
        self.cache.invalidate(jid.as_str());
        Ok(())
    }

    /// Replaces the password. Ending the account's sessions follows from the logged
    /// change (`lifecycle`).
    pub async fn set_password(&self, jid: &BareJid, password: &str) -> Result<(), AccountError> {
        let credentials = self.derive(password).await?;
        self.cache.invalidate(jid.as_str());
        self.store.set_credentials(jid.as_str(), &credentials).await?;
        Ok(())
    }

    /// Removes the account. Ending its sessions and purging what depends on it follow
    /// from the logged change (`lifecycle`).
    pub async fn unregister(&self, jid: &BareJid) -> Result<(), AccountError> {
        self.cache.invalidate(jid.as_str());
        self.store.delete_account(jid.as_str()).await?;
        Ok(())
    }

    /// Drops any cached password check of `jid` (it changed elsewhere).
    pub(crate) fn forget(&self, jid: &str) {
        self.cache.invalidate(jid);
    }

    /// The domain's accounts, sorted; a page of them after the local part `after` (any
    /// letter case) when `limit` is given.
    pub async fn list(
        &self,
        domain: &str,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<String>, AccountError> {
        let domain = self.domain(domain)?;
        let after = match after {
            Some(a) => Some(self.user_jid(a, &domain)?.to_string()),
            None => None,
        };
        Ok(self.store.list_accounts(&domain, after.as_deref(), limit).await?)
    }

    /// How many accounts `domain` has.
    pub async fn count(&self, domain: &str) -> Result<u64, AccountError> {
        let domain = self.domain(domain)?;
        Ok(self.store.count_accounts(&domain).await?)
    }

    pub async fn exists(&self, jid: &BareJid) -> Result<bool, StoreError> {
        Ok(self.store.credentials(jid.as_str()).await?.is_some())
    }

    /// Checks `password` for the account `jid` (any letter case). `Ok(None)` for an
    /// unknown user and for a wrong password alike.
    pub async fn check_password(&self, jid: &str, password: &str) -> Result<Option<BareJid>, AccountError> {
        match self.parse_local_jid(jid) {
            Ok(jid) => self.check_account_password(jid, password).await,
            Err(_) => self.refuse_unknown(jid, password).await,
        }
    }

    /// `Ok(None)` for a name that is no account, after the work a wrong password costs.
    pub async fn refuse_unknown(&self, name: &str, password: &str) -> Result<Option<BareJid>, AccountError> {
        self.derivations.fetch_add(1, Ordering::Relaxed);
        let salt = ScramHash::Sha256.hmac(&self.scram_secret, name.as_bytes())[..16].to_vec();
        let (pw, iterations) = (password.to_owned(), self.iterations);
        tokio::task::spawn_blocking(move || scram::verify_nothing(&pw, &salt, iterations))
            .await
            .map_err(task_failed)?;
        Ok(None)
    }

    /// [`Accounts::check_password`] for a JID already parsed with
    /// [`Accounts::parse_local_jid`] (the REST door parses it once for its throttle too).
    pub async fn check_account_password(&self, jid: BareJid, password: &str) -> Result<Option<BareJid>, AccountError> {
        let tag = self.cache.tag(jid.as_str(), password);
        if self.cache.hit(jid.as_str(), &tag) {
            return Ok(Some(jid));
        }
        let epoch = self.cache.epoch.load(Ordering::Acquire);
        let Some(credentials) = self.store.credentials(jid.as_str()).await? else {
            return self.refuse_unknown(jid.as_str(), password).await;
        };
        self.derivations.fetch_add(1, Ordering::Relaxed);
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || scram::verify_password(&credentials, &pw))
            .await
            .map_err(task_failed)?;
        if !ok {
            return Ok(None);
        }
        self.cache.insert(jid.as_str(), tag, epoch);
        Ok(Some(jid))
    }

    /// What a SCRAM exchange with `hash` needs for the SASL `username`, which names
    /// `account` when it names a possible local account at all.
    pub(crate) async fn scram_lookup(
        &self,
        hash: ScramHash,
        account: Option<&BareJid>,
        username: &str,
    ) -> Result<ScramLookup, AccountError> {
        let credential = match account {
            Some(jid) => self
                .store
                .credentials(jid.as_str())
                .await?
                .map(|c| hash.pick(&c).clone()),
            None => None,
        };
        Ok(ScramLookup {
            credential,
            fake_salt: hash.hmac(&self.scram_secret, username.as_bytes())[..16].to_vec(),
            iterations: self.iterations,
        })
    }
}

/// A blocking key derivation that did not finish (the runtime is shutting down).
fn task_failed(e: tokio::task::JoinError) -> AccountError {
    AccountError::Store(StoreError::Unavailable(crate::store::Cause::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Stores;

    fn accounts(cache: usize) -> Accounts {
        Accounts::new(
            Stores::memory().accounts,
            std::sync::Arc::new(crate::core::hosts::Hosts::new(vec!["localhost".into()])),
            64,
            cache,
        )
    }

    #[tokio::test]
    async fn a_cached_check_pays_no_key_derivation() {
        let a = accounts(10);
        let alice = a.user_jid("alice", "localhost").unwrap();
        a.register(&alice, "pw").await.unwrap();
        let after_register = a.derivations();

        assert_eq!(
            a.check_password("Alice@LocalHost", "pw").await.unwrap(),
            Some(alice.clone())
        );
        assert_eq!(a.derivations(), after_register + 1);
        for _ in 0..100 {
            assert!(a.check_password("alice@localhost", "pw").await.unwrap().is_some());
        }
        assert_eq!(a.derivations(), after_register + 1, "cached checks must not derive");

        // A wrong password is never answered from the cache.
        assert_eq!(a.check_password("alice@localhost", "nope").await.unwrap(), None);
        assert_eq!(a.derivations(), after_register + 2);
    }

    #[tokio::test]
    async fn an_unknown_account_costs_the_key_derivation_a_wrong_password_costs() {
        let a = accounts(10);
        let before = a.derivations();
        assert_eq!(a.check_password("nobody@localhost", "pw").await.unwrap(), None);
        assert_eq!(a.derivations(), before + 1);
        // Not even a local JID: the same work.
        assert_eq!(a.check_password("nobody@elsewhere.example", "pw").await.unwrap(), None);
        assert_eq!(a.derivations(), before + 2);
    }

    #[tokio::test]
    async fn changing_or_removing_the_account_invalidates_the_cache() {
        let a = accounts(10);
        let alice = a.user_jid("alice", "localhost").unwrap();
        a.register(&alice, "old").await.unwrap();
        assert!(matches!(
            a.register(&alice, "again").await,
            Err(AccountError::AlreadyExists)
        ));
        assert!(a.check_password("alice@localhost", "old").await.unwrap().is_some());
        a.set_password(&alice, "new").await.unwrap();
        assert!(a.check_password("alice@localhost", "old").await.unwrap().is_none());
        assert!(a.check_password("alice@localhost", "new").await.unwrap().is_some());
        a.unregister(&alice).await.unwrap();
        assert!(a.check_password("alice@localhost", "new").await.unwrap().is_none());
        assert!(matches!(a.unregister(&alice).await, Err(AccountError::NotFound)));
        assert!(matches!(a.set_password(&alice, "x").await, Err(AccountError::NotFound)));
    }

    #[tokio::test]
    async fn the_cache_stays_within_its_bound() {
        let a = accounts(2);
        for name in ["a", "b", "c", "d"] {
            let jid = a.user_jid(name, "localhost").unwrap();
            a.register(&jid, "pw").await.unwrap();
            assert!(a.check_password(jid.as_str(), "pw").await.unwrap().is_some());
        }
        assert_eq!(a.cache.entries.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn scram_lookups_of_unknown_users_get_a_stable_fake_salt() {
        let a = accounts(0);
        let alice = a.user_jid("alice", "localhost").unwrap();
        a.register(&alice, "pw").await.unwrap();
        let known = a.scram_lookup(ScramHash::Sha256, Some(&alice), "alice").await.unwrap();
        assert_eq!(known.credential.unwrap().iterations, 64);
        let nobody = BareJid::new("nobody@localhost").unwrap();
        let first = a
            .scram_lookup(ScramHash::Sha256, Some(&nobody), "nobody")
            .await
            .unwrap();
        let second = a.scram_lookup(ScramHash::Sha256, None, "nobody").await.unwrap();
        assert!(first.credential.is_none() && second.credential.is_none());
        assert_eq!(first.fake_salt, second.fake_salt);
        assert_eq!(first.fake_salt.len(), 16);
        assert_eq!(first.iterations, 64);
    }

    #[test]
    fn usernames_and_domains_are_checked() {
        let a = accounts(10);
        assert_eq!(a.user_jid("Alice", "LOCALHOST").unwrap().as_str(), "alice@localhost");
        assert!(matches!(
            a.user_jid("a@b", "localhost"),
            Err(AccountError::InvalidUsername)
        ));
        assert!(matches!(
            a.user_jid("", "localhost"),
            Err(AccountError::InvalidUsername)
        ));
        assert!(matches!(
            a.user_jid("a b", "localhost"),
            Err(AccountError::InvalidUsername)
        ));
        assert!(matches!(
            a.user_jid("alice", "example.com"),
            Err(AccountError::UnknownDomain)
        ));
    }
}

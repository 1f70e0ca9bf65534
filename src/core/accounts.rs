//! Accounts: registration, password changes, removal, and password checks.
//!
//! Only SCRAM credentials are stored. A password check costs one PBKDF2 derivation, far
//! too much to pay on every REST request, so a successful check is remembered as a keyed
//! hash (HMAC-SHA-256 under a per-process random key) of the JID and password. A later
//! request with the same credentials is answered from that cache in about a microsecond;
//! a different password for the same JID misses and is checked for real. Changing or
//! removing the account drops the entry, in this process at once and in other processes
//! sharing the database within `auth.sync_interval_ms`.

use super::scram::{self, ScramError};
use crate::store::{Store, StoreError};
use hmac::{Hmac, Mac};
use jid::BareJid;
use rand::RngCore;
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
            StoreError::AlreadyExists => AccountError::AlreadyExists,
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

/// The account service shared by the REST doors, the admin API, SASL and the CLI.
pub struct Accounts {
    store: Arc<dyn Store>,
    hosts: Vec<String>,
    iterations: u32,
    cache: AuthCache,
    derivations: AtomicU64,
    seen_change: AtomicU64,
}

impl Accounts {
    /// `hosts` must already be prepped (lower-case domains).
    pub fn new(store: Arc<dyn Store>, hosts: Vec<String>, iterations: u32, cache_size: usize) -> Self {
        Accounts {
            store,
            hosts,
            iterations,
            cache: AuthCache::new(cache_size),
            derivations: AtomicU64::new(0),
            seen_change: AtomicU64::new(0),
        }
    }

    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    pub fn serves(&self, domain: &str) -> bool {
        self.hosts.iter().any(|h| h == domain)
    }

    /// Key derivations performed so far (registrations, password changes and uncached
    /// checks); lets tests show that cached checks derive nothing.
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
            .map_err(|e| AccountError::Store(StoreError::Task(e.to_string())))?
            .map_err(AccountError::from)
    }

    pub async fn register(&self, jid: &BareJid, password: &str) -> Result<(), AccountError> {
        let credentials = self.derive(password).await?;
        self.store.create_account(jid.as_str(), &credentials).await?;
        self.cache.invalidate(jid.as_str());
        Ok(())
    }

    pub async fn set_password(&self, jid: &BareJid, password: &str) -> Result<(), AccountError> {
        let credentials = self.derive(password).await?;
        self.cache.invalidate(jid.as_str());
        if !self.store.set_credentials(jid.as_str(), &credentials).await? {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    pub async fn unregister(&self, jid: &BareJid) -> Result<(), AccountError> {
        self.cache.invalidate(jid.as_str());
        if !self.store.delete_account(jid.as_str()).await? {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    pub async fn list(&self, domain: &str) -> Result<Vec<String>, AccountError> {
        let domain = self.domain(domain)?;
        Ok(self.store.list_accounts(&domain).await?)
    }

    pub async fn exists(&self, jid: &BareJid) -> Result<bool, AccountError> {
        Ok(self.store.credentials(jid.as_str()).await?.is_some())
    }

    /// Checks `password` for the account `jid` (any letter case). `Ok(None)` for an
    /// unknown user and for a wrong password alike.
    pub async fn check_password(&self, jid: &str, password: &str) -> Result<Option<BareJid>, AccountError> {
        let Ok(jid) = self.parse_local_jid(jid) else {
            return Ok(None);
        };
        let tag = self.cache.tag(jid.as_str(), password);
        if self.cache.hit(jid.as_str(), &tag) {
            return Ok(Some(jid));
        }
        let epoch = self.cache.epoch.load(Ordering::Acquire);
        let Some(credentials) = self.store.credentials(jid.as_str()).await? else {
            return Ok(None);
        };
        self.derivations.fetch_add(1, Ordering::Relaxed);
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || scram::verify_password(&credentials, &pw))
            .await
            .map_err(|e| AccountError::Store(StoreError::Task(e.to_string())))?;
        if !ok {
            return Ok(None);
        }
        self.cache.insert(jid.as_str(), tag, epoch);
        Ok(Some(jid))
    }

    /// Drops cached checks for accounts another process changed since the last call.
    pub async fn sync_external_changes(&self) -> Result<(), AccountError> {
        let after = self.seen_change.load(Ordering::Acquire) as i64;
        let (newest, jids) = self.store.account_changes(after).await?;
        for jid in jids {
            self.cache.invalidate(&jid);
        }
        self.seen_change.store(newest as u64, Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    async fn accounts(dir: &std::path::Path, cache: usize) -> Accounts {
        let store = Arc::new(SqliteStore::open(dir).unwrap());
        Accounts::new(store, vec!["localhost".into()], 64, cache)
    }

    #[tokio::test]
    async fn a_cached_check_pays_no_key_derivation() {
        let dir = tempfile::tempdir().unwrap();
        let a = accounts(dir.path(), 10).await;
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
    async fn changing_or_removing_the_account_invalidates_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let a = accounts(dir.path(), 10).await;
        let alice = a.user_jid("alice", "localhost").unwrap();
        a.register(&alice, "old").await.unwrap();
        assert!(a.check_password("alice@localhost", "old").await.unwrap().is_some());
        a.set_password(&alice, "new").await.unwrap();
        assert!(a.check_password("alice@localhost", "old").await.unwrap().is_none());
        assert!(a.check_password("alice@localhost", "new").await.unwrap().is_some());
        a.unregister(&alice).await.unwrap();
        assert!(a.check_password("alice@localhost", "new").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_change_made_by_another_process_reaches_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let server = accounts(dir.path(), 10).await;
        let cli = accounts(dir.path(), 10).await;
        let alice = server.user_jid("alice", "localhost").unwrap();
        server.register(&alice, "old").await.unwrap();
        server.sync_external_changes().await.unwrap();
        assert!(server.check_password("alice@localhost", "old").await.unwrap().is_some());
        cli.set_password(&alice, "new").await.unwrap();
        server.sync_external_changes().await.unwrap();
        assert!(server.check_password("alice@localhost", "old").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_cache_stays_within_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let a = accounts(dir.path(), 2).await;
        for name in ["a", "b", "c", "d"] {
            let jid = a.user_jid(name, "localhost").unwrap();
            a.register(&jid, "pw").await.unwrap();
            assert!(a.check_password(jid.as_str(), "pw").await.unwrap().is_some());
        }
        assert_eq!(a.cache.entries.lock().unwrap().len(), 2);
    }

    #[test]
    fn usernames_and_domains_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let a = Accounts::new(store, vec!["localhost".into()], 64, 10);
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

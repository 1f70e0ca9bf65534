//! Bearer tokens of the client REST API: short-lived, revocable credentials a user gets
//! in exchange for Basic credentials, for clients that should not keep a password (a
//! browser tab, a service) and for `EventSource`, which cannot send headers.
//!
//! - The secret is `mkt_` followed by 32 random bytes in unpadded base64url; it is shown
//!   once, when issued. The store keeps only its SHA-256 hash, so a copy of the database
//!   gives nobody a usable token. 32 random bytes need no key stretching: nobody can
//!   guess them, so hashing is there only to keep the secret out of storage.
//! - The id (16 lowercase hex characters) names the token in listings and revocation;
//!   it grants nothing.
//! - A token lives `lifetime` (an hour unless configured) from its creation; a user has
//!   at most `max_per_user` live tokens. Expired tokens are refused at once and deleted
//!   by a periodic sweep ([`Core::expire_tokens`]), a bounded number per pass.
//! - Revoking a token ([`Core::revoke_token`]) deletes it and ends the event streams
//!   opened with it; a stream also ends when its token expires (the session carries the
//!   deadline, see `session::Session::kicked`). A changed password or a removed account
//!   revokes every token of the account (`RevokeTokensOfChangedAccount`, an account
//!   lifecycle subscriber, so changes made by the command line count too).

use super::lifecycle::{AccountEvent, Subscriber};
use crate::core::routing::router::RouteError;
use crate::core::session::{Kick, Session};
use crate::core::Core;
use crate::store::{StoreError, StoredToken, TokenStore};
use async_trait::async_trait;
use base64::Engine;
use jid::BareJid;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// What the core needs to know of the token settings (`[auth]`).
#[derive(Debug, Clone, Copy)]
pub struct TokenSettings {
    /// How long a token lives from its creation.
    pub lifetime: Duration,
    /// Live tokens one user may have at once.
    pub max_per_user: usize,
}

/// The secret's prefix: says what the string is (in logs, in a leaked config file).
const PREFIX: &str = "mkt_";
/// Random bytes of a secret.
const SECRET_BYTES: usize = 32;
/// The secret's length: the prefix and 32 bytes in unpadded base64 (43 characters).
const SECRET_LEN: usize = PREFIX.len() + (SECRET_BYTES * 4).div_ceil(3);
/// Tokens deleted per batch of the expiry sweep, and batches per pass: the sweep's work
/// stays bounded however many tokens expired at once; the rest waits for the next pass.
const SWEEP_BATCH: usize = 500;
const SWEEP_BATCHES: usize = 20;
/// How often the expiry sweep runs.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Attempts at a fresh id before giving up (a collision of 64 random bits).
const ISSUE_ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The user has `max` live tokens already.
    #[error("Too many tokens (at most {max})")]
    TooMany { max: usize },
    /// The user has no live token with that id.
    #[error("Token not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token just issued: the only moment its secret is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub id: String,
    pub secret: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// What a listing shows of a live token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// A request authenticated by a live token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Whom the token acts for.
    pub user: BareJid,
    /// The token's id.
    pub id: String,
    /// When the token expires, Unix milliseconds.
    pub expires_ms: i64,
    /// SHA-256 of the secret: looks the token up again (an event stream checks that it
    /// was not revoked while the stream was being opened).
    hash: Vec<u8>,
}

/// The token service: issuing, authenticating, listing. Revocation, which also ends
/// sessions, is on [`Core`].
pub struct Tokens {
    store: Arc<dyn TokenStore>,
    settings: TokenSettings,
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `secret` has the shape of one of our secrets: anything else is refused
/// without a storage lookup.
fn well_formed(secret: &str) -> bool {
    secret.len() == SECRET_LEN
        && secret.starts_with(PREFIX)
        && secret[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh secret and id from the operating system's random source.
fn fresh() -> (String, String) {
    let mut secret = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    (
        crate::core::hex(&id),
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
        ),
    )
}

impl Tokens {
    pub(crate) fn new(store: Arc<dyn TokenStore>, settings: TokenSettings) -> Self {
        Tokens { store, settings }
    }

    /// Issues a token for `owner`, refused with [`TokenError::TooMany`] when `owner` has
    /// `max_per_user` live tokens already.
    pub async fn issue(&self, owner: &BareJid) -> Result<IssuedToken, TokenError> {
        self.issue_at(owner, crate::core::archive::now_ms()).await
    }

    async fn issue_at(&self, owner: &BareJid, now_ms: i64) -> Result<IssuedToken, TokenError> {
        let lifetime = i64::try_from(self.settings.lifetime.as_millis()).unwrap_or(i64::MAX);
        let expires_ms = now_ms.saturating_add(lifetime);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (id, secret) = fresh();
            let record = StoredToken {
                id: id.clone(),
                owner: owner.to_string(),
                hash: hash(&secret),
                created_ms: now_ms,
                expires_ms,
            };
            match self
                .store
                .insert_token(&record, now_ms, self.settings.max_per_user)
                .await
            {
                Ok(()) => {
                    return Ok(IssuedToken {
                        id,
                        secret,
                        created_ms: now_ms,
                        expires_ms,
                    })
                }
                Err(StoreError::LimitReached) => {
                    return Err(TokenError::TooMany {
                        max: self.settings.max_per_user,
                    })
                }
                Err(StoreError::Conflict) if attempt < ISSUE_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The grant of a live token whose secret is `secret`; `None` for anything else
    /// (malformed, unknown, expired, revoked), which the caller counts as a failed login.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Grant>, StoreError> {
        self.authenticate_at(secret, crate::core::archive::now_ms()).await
    }

    async fn authenticate_at(&self, secret: &str, now_ms: i64) -> Result<Option<Grant>, StoreError> {
        if !well_formed(secret) {
            return Ok(None);
        }
        let hash = hash(secret);
        let Some(token) = self.store.token_by_hash(&hash).await? else {
            return Ok(None);
        };
        if !token.is_live(now_ms) {
            return Ok(None);
        }
        let Ok(user) = BareJid::new(&token.owner) else {
            tracing::warn!(id = %token.id, "a stored token names no valid owner; refused");
            return Ok(None);
        };
        Ok(Some(Grant {
            user,
            id: token.id,
            expires_ms: token.expires_ms,
            hash,
        }))
    }

    /// Whether the token of `grant` still holds (not revoked, not expired).
    async fn holds(&self, grant: &Grant) -> Result<bool, StoreError> {
        let now_ms = crate::core::archive::now_ms();
        Ok(self
            .store
            .token_by_hash(&grant.hash)
            .await?
            .is_some_and(|t| t.id == grant.id && t.is_live(now_ms)))
    }

    /// `owner`'s live tokens, oldest first.
    pub async fn list(&self, owner: &BareJid) -> Result<Vec<TokenInfo>, StoreError> {
        self.list_at(owner, crate::core::archive::now_ms()).await
    }

    async fn list_at(&self, owner: &BareJid, now_ms: i64) -> Result<Vec<TokenInfo>, StoreError> {
        Ok(self
            .store
            .tokens_of(owner.as_str(), now_ms)
            .await?
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                created_ms: t.created_ms,
                expires_ms: t.expires_ms,
            })
            .collect())
    }

    /// Deletes `owner`'s live token `id`: [`TokenError::NotFound`] when there is none
    /// (an expired one is gone already as far as the user can tell).
    async fn delete_at(&self, owner: &BareJid, id: &str, now_ms: i64) -> Result<(), TokenError> {
        match self.store.delete_token(owner.as_str(), id).await? {
            Some(t) if t.is_live(now_ms) => Ok(()),
            _ => Err(TokenError::NotFound),
        }
    }

    /// Deletes the tokens expired at `now_ms`, at most `SWEEP_BATCH × SWEEP_BATCHES`.
    async fn purge_expired(&self, now_ms: i64) -> Result<usize, StoreError> {
        let mut total = 0;
        for _ in 0..SWEEP_BATCHES {
            let n = self.store.delete_expired_tokens(now_ms, SWEEP_BATCH).await?;
            total += n;
            if n < SWEEP_BATCH {
                break;
            }
        }
        Ok(total)
    }
}

impl Core {
    /// The token service.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Revokes `owner`'s token `id` and ends the event streams opened with it, at once.
    /// Another user's token is [`TokenError::NotFound`], as an unknown one is.
    pub async fn revoke_token(&self, owner: &BareJid, id: &str) -> Result<(), TokenError> {
        self.tokens.delete_at(owner, id, crate::core::archive::now_ms()).await?;
        self.end_token_sessions(owner, |t| t == id);
        Ok(())
    }

    /// Revokes every token of `owner` and ends the event streams opened with any of them
    /// (a changed password, a removed account).
    pub(crate) async fn revoke_tokens_of(&self, owner: &BareJid) -> Result<usize, StoreError> {
        let n = self.tokens.store.delete_tokens_of(owner.as_str()).await?;
        self.end_token_sessions(owner, |_| true);
        Ok(n)
    }

    /// Kicks `owner`'s sessions opened with a token `which` picks. A user has at most
    /// `max_user_sessions` sessions, so this is a short walk.
    fn end_token_sessions(&self, owner: &BareJid, which: impl Fn(&str) -> bool) {
        for s in self.sessions.sessions_of(owner) {
            if s.token_id().is_some_and(&which) {
                s.kick(Kick::Reset);
            }
        }
    }

    /// Ties a session just opened with `grant` to its token: the session ends when the
    /// token expires or is revoked. Revocation deletes the token, then kicks the sessions
    /// it finds; this binds the session, then looks the token up again: whichever comes
    /// second sees the other, so a stream opened while its token is being revoked never
    /// outlives the revocation.
    pub(crate) async fn bind_token(&self, session: &Session, grant: &Grant) {
        let left_ms = grant.expires_ms.saturating_sub(crate::core::archive::now_ms()).max(0);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(left_ms as u64);
        session.bind_token(grant.id.clone(), deadline);
        match self.tokens.holds(grant).await {
            Ok(true) => {}
            Ok(false) => {
                session.kick(Kick::Reset);
            }
            Err(e) => {
                // Cannot tell: end the stream rather than let a revoked token keep it.
                tracing::warn!(jid = %session.jid, error = %e, "cannot check the stream's token; ending the stream");
                session.kick(Kick::Reset);
            }
        }
    }

    /// Deletes expired tokens every minute, a bounded number per pass (run by the
    /// composition root). Expired tokens are refused whether or not they were deleted
    /// yet; the sweep only keeps the table small.
    pub async fn expire_tokens(self: Arc<Self>) {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.tokens.purge_expired(crate::core::archive::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "expired tokens deleted"),
                Err(e) => tracing::warn!(error = %e, "the token expiry sweep failed; will retry"),
            }
        }
    }
}

/// A changed password or a removed account revokes every token of the account: a token
/// stands for the credentials it was created with.
pub(crate) struct RevokeTokensOfChangedAccount;

#[async_trait]
impl Subscriber for RevokeTokensOfChangedAccount {
    async fn on_account_event(&self, core: &Core, event: &AccountEvent) -> Result<(), RouteError> {
        let n = core.revoke_tokens_of(event.jid()).await?;
        if n > 0 {
            tracing::info!(jid = %event.jid(), revoked = n, "tokens revoked");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::session::SessionKind;
    use crate::core::testkit;
    use crate::store::Stores;

    const HOUR_MS: i64 = 3_600_000;

    fn tokens(max_per_user: usize) -> Tokens {
        Tokens::new(
            Stores::memory().tokens,
            TokenSettings {
                lifetime: Duration::from_secs(3600),
                max_per_user,
            },
        )
    }

    fn bare(s: &str) -> BareJid {
        BareJid::new(s).unwrap()
    }

    #[test]
    fn secrets_and_ids_have_the_documented_shape() {
        let (id, secret) = fresh();
        assert_eq!(id.len(), 16);
        assert!(
            id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{id}"
        );
        assert_eq!(secret.len(), 47, "{secret}");
        assert!(secret.starts_with("mkt_"));
        assert!(well_formed(&secret));
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&secret[4..])
            .unwrap();
        assert_eq!(raw.len(), 32);
        assert_ne!(fresh(), fresh());
        for bad in [
            "",
            "mkt_",
            "abc",
            &secret[1..],
            &format!("{secret}x"),
            &secret.replace("mkt_", "mk__"),
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
        assert!(!well_formed(&format!("mkt_{}", "+".repeat(43))));
    }

    #[tokio::test]
    async fn a_token_authenticates_its_owner_until_it_expires() {
        let t = tokens(10);
        let alice = bare("alice@localhost");
        let issued = t.issue_at(&alice, 1_000).await.unwrap();
        assert_eq!(issued.created_ms, 1_000);
        assert_eq!(issued.expires_ms, 1_000 + HOUR_MS);
        let grant = t.authenticate_at(&issued.secret, 2_000).await.unwrap().unwrap();
        assert_eq!(grant.user, alice);
        assert_eq!(grant.id, issued.id);
        assert_eq!(grant.expires_ms, issued.expires_ms);
        assert!(t
            .authenticate_at(&issued.secret, issued.expires_ms - 1)
            .await
            .unwrap()
            .is_some());
        assert_eq!(
            t.authenticate_at(&issued.secret, issued.expires_ms).await.unwrap(),
            None
        );
        // A secret that is not the token's, or only its id, is nothing.
        let (_, other) = fresh();
        assert_eq!(t.authenticate_at(&other, 2_000).await.unwrap(), None);
        assert_eq!(t.authenticate_at(&issued.id, 2_000).await.unwrap(), None);
    }

    #[tokio::test]
    async fn only_the_hash_of_the_secret_is_stored() {
        let store = Stores::memory().tokens;
        let t = Tokens::new(
            store.clone(),
            TokenSettings {
                lifetime: Duration::from_secs(60),
                max_per_user: 10,
            },
        );
        let issued = t.issue_at(&bare("alice@localhost"), 0).await.unwrap();
        let stored = store.tokens_of("alice@localhost", 0).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].hash, Sha256::digest(issued.secret.as_bytes()).to_vec());
        assert!(!stored[0].hash.windows(4).any(|w| w == b"mkt_"));
    }

    #[tokio::test]
    async fn tokens_are_listed_live_oldest_first_and_limited_per_user() {
        let t = tokens(2);
        let alice = bare("alice@localhost");
        let first = t.issue_at(&alice, 1_000).await.unwrap();
        let second = t.issue_at(&alice, 2_000).await.unwrap();
        let over = t.issue_at(&alice, 3_000).await;
        assert!(matches!(over, Err(TokenError::TooMany { max: 2 })), "{over:?}");
        assert_eq!(
            over.unwrap_err().to_string(),
            "Too many tokens (at most 2)",
            "the API's text"
        );
        let ids: Vec<String> = t
            .list_at(&alice, 3_000)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, [first.id.clone(), second.id.clone()]);
        let info = &t.list_at(&alice, 3_000).await.unwrap()[0];
        assert_eq!((info.created_ms, info.expires_ms), (1_000, 1_000 + HOUR_MS));
        // Bob has a limit of his own.
        t.issue_at(&bare("bob@localhost"), 3_000).await.unwrap();
        // Once the first expired, it is not listed and leaves room for another.
        let later = first.expires_ms;
        let ids: Vec<String> = t
            .list_at(&alice, later)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, [second.id]);
        t.issue_at(&alice, later).await.unwrap();
    }

    #[tokio::test]
    async fn a_revoked_token_is_refused_and_revoking_is_per_owner() {
        let h = testkit::Harness::new(&["alice", "bob"]).await;
        let alice = bare("alice@localhost");
        let bob = bare("bob@localhost");
        let issued = h.core.tokens().issue(&alice).await.unwrap();
        let other = h.core.tokens().issue(&alice).await.unwrap();
        // Bob cannot revoke alice's token, and learns nothing from trying.
        assert!(matches!(
            h.core.revoke_token(&bob, &issued.id).await,
            Err(TokenError::NotFound)
        ));
        assert!(h.core.tokens().authenticate(&issued.secret).await.unwrap().is_some());
        h.core.revoke_token(&alice, &issued.id).await.unwrap();
        assert_eq!(h.core.tokens().authenticate(&issued.secret).await.unwrap(), None);
        assert!(matches!(
            h.core.revoke_token(&alice, &issued.id).await,
            Err(TokenError::NotFound)
        ));
        assert!(matches!(
            h.core.revoke_token(&alice, "0123456789abcdef").await,
            Err(TokenError::NotFound)
        ));
        assert!(h.core.tokens().authenticate(&other.secret).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn an_expired_token_cannot_be_revoked_and_the_sweep_deletes_it() {
        let store = Stores::memory().tokens;
        let t = Tokens::new(
            store.clone(),
            TokenSettings {
                lifetime: Duration::from_secs(1),
                max_per_user: 10,
            },
        );
        let alice = bare("alice@localhost");
        let old = t.issue_at(&alice, 0).await.unwrap();
        let live = t.issue_at(&alice, 5_000).await.unwrap();
        assert!(matches!(
            t.delete_at(&alice, &old.id, 5_000).await,
            Err(TokenError::NotFound)
        ));
        let old2 = t.issue_at(&alice, 10).await.unwrap();
        assert_eq!(t.purge_expired(5_000).await.unwrap(), 1);
        assert_eq!(store.token_by_hash(&hash(&old2.secret)).await.unwrap(), None);
        assert!(store.token_by_hash(&hash(&live.secret)).await.unwrap().is_some());
        assert_eq!(t.purge_expired(5_000).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn revoking_a_token_ends_the_streams_opened_with_it_only() {
        let h = testkit::Harness::new(&["alice", "bob"]).await;
        let alice = bare("alice@localhost");
        let core = &h.core;
        let a = core.tokens().issue(&alice).await.unwrap();
        let b = core.tokens().issue(&alice).await.unwrap();
        let grant_a = core.tokens().authenticate(&a.secret).await.unwrap().unwrap();
        let grant_b = core.tokens().authenticate(&b.secret).await.unwrap().unwrap();
        let (with_a, _ia) = core.open_event_stream(&alice, Some(&grant_a)).await.unwrap();
        let (with_b, _ib) = core.open_event_stream(&alice, Some(&grant_b)).await.unwrap();
        let (basic, _ic) = core.open_event_stream(&alice, None).await.unwrap();
        let (xmpp, _id) = core
            .open_session(alice.with_resource_str("phone").unwrap(), SessionKind::XmppTcp)
            .unwrap();
        assert_eq!(with_a.token_id(), Some(a.id.as_str()));
        assert_eq!(basic.token_id(), None);
        core.revoke_token(&alice, &a.id).await.unwrap();
        assert!(with_a.is_ended());
        assert_eq!(with_a.kicked().await, Kick::Reset);
        for s in [&with_b, &basic, &xmpp] {
            assert!(!s.is_ended(), "{}", s.jid);
        }
    }

    #[tokio::test]
    async fn a_stream_opened_with_a_token_revoked_meanwhile_ends_at_once() {
        let h = testkit::Harness::new(&["alice", "bob"]).await;
        let alice = bare("alice@localhost");
        let issued = h.core.tokens().issue(&alice).await.unwrap();
        let grant = h.core.tokens().authenticate(&issued.secret).await.unwrap().unwrap();
        // Revoked after the request was authenticated, before its stream was open.
        h.core.revoke_token(&alice, &issued.id).await.unwrap();
        let (session, _inbox) = h.core.open_event_stream(&alice, Some(&grant)).await.unwrap();
        assert!(session.is_ended());
    }

    #[tokio::test]
    async fn a_stream_ends_when_its_token_expires() {
        let h = testkit::Harness::new(&["alice", "bob"]).await;
        let alice = bare("alice@localhost");
        let issued = h.core.tokens().issue(&alice).await.unwrap();
        let mut grant = h.core.tokens().authenticate(&issued.secret).await.unwrap().unwrap();
        // As if the token had 150 ms left.
        grant.expires_ms = crate::core::archive::now_ms() + 150;
        let (session, _inbox) = h.core.open_event_stream(&alice, Some(&grant)).await.unwrap();
        assert!(!session.is_ended());
        let started = std::time::Instant::now();
        let kick = tokio::time::timeout(Duration::from_secs(5), session.kicked())
            .await
            .expect("ended at the expiry");
        assert_eq!(kick, Kick::Reset);
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "{:?}",
            started.elapsed()
        );
        assert!(session.is_ended());
    }

    #[tokio::test]
    async fn a_password_change_or_removal_revokes_every_token_of_the_account() {
        let h = testkit::Harness::new(&["alice", "bob"]).await;
        let alice = bare("alice@localhost");
        let bob = bare("bob@localhost");
        let a1 = h.core.tokens().issue(&alice).await.unwrap();
        let a2 = h.core.tokens().issue(&alice).await.unwrap();
        let b1 = h.core.tokens().issue(&bob).await.unwrap();
        let grant = h.core.tokens().authenticate(&a1.secret).await.unwrap().unwrap();
        let (stream, _inbox) = h.core.open_event_stream(&alice, Some(&grant)).await.unwrap();
        h.core.change_password(&alice, "new").await.unwrap();
        assert!(stream.is_ended());
        for secret in [&a1.secret, &a2.secret] {
            assert_eq!(h.core.tokens().authenticate(secret).await.unwrap(), None);
        }
        assert!(h.core.tokens().list(&alice).await.unwrap().is_empty());
        assert!(h.core.tokens().authenticate(&b1.secret).await.unwrap().is_some());
        h.core.remove_account(&bob).await.unwrap();
        assert_eq!(h.core.tokens().authenticate(&b1.secret).await.unwrap(), None);
    }
}

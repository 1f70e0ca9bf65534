//! Failed logins, counted for every door alike (REST Basic auth, SASL over TCP and
//! WebSocket, external component handshakes), per source address and per account from
//! that address, over a sliding window:
//! - an address with `max_per_address` failures (any accounts) is refused until its
//!   window has passed, even with the right password (it is guessing);
//! - an account with `max_per_account` failures from one address is refused from that
//!   address only: its owner, elsewhere, still logs in with the right password, and many
//!   users behind one address are not locked out by one of them.
//!
//! A success clears the account's count from that address, not the address's count (a
//! valid account of the attacker's cannot wipe it). Bounded in memory: expired entries
//! are swept when a table grows.
//!
//! Doors say which `Door` a login came through, so failures and refusals are counted
//! per door in the core's metrics (`meerkat_login_failures_total`,
//! `meerkat_login_throttled_total`).

use crate::core::metrics::Metrics;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SWEEP_AT: usize = 10_000;

/// Failures of one key since `since`.
#[derive(Debug, Clone, Copy)]
struct Window {
    count: u32,
    since: Instant,
}

struct Counter<K> {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<K, Window>>,
}

impl<K: Hash + Eq + Clone> Counter<K> {
    fn new(max: u32, window: Duration) -> Self {
        Counter {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<K, Window>> {
        // Counters stay meaningful even if a holder panicked.
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(wait)` while `key` is over its limit.
    fn check(&self, key: &K) -> Result<(), Duration> {
        match self.table().get(key) {
            Some(w) if w.count >= self.max && w.since.elapsed() < self.window => {
                Err(self.window.saturating_sub(w.since.elapsed()))
            }
            _ => Ok(()),
        }
    }

    fn failed(&self, key: K) {
        let mut table = self.table();
        if table.len() >= SWEEP_AT {
            let window = self.window;
            table.retain(|_, w| w.since.elapsed() < window);
        }
        let w = table.entry(key).or_insert(Window {
            count: 0,
            since: Instant::now(),
        });
        if w.since.elapsed() >= self.window {
            *w = Window {
                count: 0,
                since: Instant::now(),
            };
        }
        w.count += 1;
    }

    fn clear(&self, key: &K) {
        self.table().remove(key);
    }
}

pub(crate) use crate::core::metrics::Door;

pub struct AuthThrottle {
    by_address: Counter<IpAddr>,
    by_account: Counter<(String, IpAddr)>,
    metrics: Arc<Metrics>,
}

impl AuthThrottle {
    pub(crate) fn new(max_per_address: u32, max_per_account: u32, window: Duration, metrics: Arc<Metrics>) -> Self {
        AuthThrottle {
            by_address: Counter::new(max_per_address, window),
            by_account: Counter::new(max_per_account, window),
            metrics,
        }
    }

    /// Whether `ip` may try to log in now (to `account`, when known) through `door`;
    /// `Err` says how long to wait. A door calls this once per attempt (at most once
    /// with an `Err`), so each refusal is counted once.
    pub(crate) fn check(&self, ip: IpAddr, account: Option<&str>, door: Door) -> Result<(), Duration> {
        let verdict = self.by_address.check(&ip).and_then(|()| match account {
            Some(a) => self.by_account.check(&(a.to_owned(), ip)),
            None => Ok(()),
        });
        if verdict.is_err() {
            self.metrics.login_throttled(door);
        }
        verdict
    }

    /// A failed login from `ip` (to `account`, when the attempt named one) through `door`.
    pub(crate) fn failed(&self, ip: IpAddr, account: Option<&str>, door: Door) {
        self.metrics.login_failed(door);
        self.by_address.failed(ip);
        if let Some(a) = account {
            self.by_account.failed((a.to_owned(), ip));
        }
    }

    /// `account` logged in from `ip`: its failures from there are forgiven.
    pub fn succeeded(&self, ip: IpAddr, account: &str) {
        self.by_account.clear(&(account.to_owned(), ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_that_keeps_failing_is_refused_until_its_window_passes() {
        let t = AuthThrottle::new(3, 100, Duration::from_millis(50), Arc::new(Metrics::new()));
        for user in ["a", "b", "c"] {
            assert!(t.check(ip("127.0.0.9"), Some(user), Door::Rest).is_ok());
            t.failed(ip("127.0.0.9"), Some(user), Door::Rest);
        }
        let wait = t.check(ip("127.0.0.9"), Some("d"), Door::Rest).unwrap_err();
        assert!(wait <= Duration::from_millis(50));
        assert!(
            t.check(ip("127.0.0.10"), Some("d"), Door::Rest).is_ok(),
            "other addresses are not"
        );
        std::thread::sleep(Duration::from_millis(60));
        assert!(t.check(ip("127.0.0.9"), Some("d"), Door::Rest).is_ok());
    }

    #[test]
    fn an_account_guessed_from_one_address_still_logs_in_from_another() {
        let t = AuthThrottle::new(100, 2, Duration::from_secs(60), Arc::new(Metrics::new()));
        t.failed(ip("10.0.0.1"), Some("alice"), Door::Rest);
        t.failed(ip("10.0.0.1"), Some("alice"), Door::Rest);
        assert!(t.check(ip("10.0.0.1"), Some("alice"), Door::Rest).is_err());
        assert!(
            t.check(ip("10.0.0.1"), Some("bob"), Door::Rest).is_ok(),
            "bob behind the same address is fine"
        );
        assert!(
            t.check(ip("10.0.0.2"), Some("alice"), Door::Rest).is_ok(),
            "alice elsewhere is fine"
        );
        t.succeeded(ip("10.0.0.1"), "alice");
        assert!(t.check(ip("10.0.0.1"), Some("alice"), Door::Rest).is_ok());
    }

    #[test]
    fn logging_into_another_account_does_not_wipe_an_addresss_failures() {
        let t = AuthThrottle::new(2, 100, Duration::from_secs(60), Arc::new(Metrics::new()));
        t.failed(ip("10.0.0.1"), Some("alice"), Door::Rest);
        t.succeeded(ip("10.0.0.1"), "mallory");
        t.failed(ip("10.0.0.1"), Some("alice"), Door::Rest);
        assert!(t.check(ip("10.0.0.1"), None, Door::Rest).is_err());
    }

    #[test]
    fn failures_and_refusals_are_counted_per_door() {
        let metrics = Arc::new(Metrics::new());
        let t = AuthThrottle::new(100, 2, Duration::from_secs(60), metrics.clone());
        t.failed(ip("10.0.0.1"), Some("alice"), Door::C2s);
        t.failed(ip("10.0.0.1"), Some("alice"), Door::WebSocket);
        assert!(t.check(ip("10.0.0.1"), Some("alice"), Door::Rest).is_err());
        assert!(
            t.check(ip("10.0.0.1"), Some("bob"), Door::Rest).is_ok(),
            "allowed: not counted"
        );
        let text = metrics.render(Default::default());
        for line in [
            "meerkat_login_failures_total{door=\"c2s\"} 1",
            "meerkat_login_failures_total{door=\"websocket\"} 1",
            "meerkat_login_failures_total{door=\"rest\"} 0",
            "meerkat_login_throttled_total{door=\"rest\"} 1",
            "meerkat_login_throttled_total{door=\"c2s\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}

//! Failed-authentication throttling per source address: after `max` failures within a
//! window, further attempts from that address are refused until the window has passed.
//! Bounded in memory: expired entries are swept when the table grows.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SWEEP_AT: usize = 10_000;

pub struct AuthThrottle {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl AuthThrottle {
    pub fn new(max: u32, window: Duration) -> Self {
        AuthThrottle {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ip` may try to authenticate now.
    pub fn allowed(&self, ip: IpAddr) -> bool {
        let failures = self.failures.lock().expect("throttle mutex poisoned");
        match failures.get(&ip) {
            Some((count, since)) => *count < self.max || since.elapsed() >= self.window,
            None => true,
        }
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut failures = self.failures.lock().expect("throttle mutex poisoned");
        if failures.len() >= SWEEP_AT {
            let window = self.window;
            failures.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = failures.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, ip: IpAddr) {
        self.failures.lock().expect("throttle mutex poisoned").remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_too_many_failures_and_forgiven_later() {
        let t = AuthThrottle::new(3, Duration::from_millis(50));
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        let other: IpAddr = "127.0.0.10".parse().unwrap();
        for _ in 0..3 {
            assert!(t.allowed(ip));
            t.failed(ip);
        }
        assert!(!t.allowed(ip));
        assert!(t.allowed(other));
        std::thread::sleep(Duration::from_millis(60));
        assert!(t.allowed(ip));
        t.failed(ip);
        t.succeeded(ip);
        assert!(t.allowed(ip));
    }
}

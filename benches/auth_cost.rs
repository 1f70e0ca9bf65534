//! Server-side cost of REST Basic auth: a request whose credentials were already verified
//! (answered from the keyed-hash cache) against one that must verify the password (a
//! PBKDF2 derivation at the configured iteration count). Prints medians of several runs.
//!
//!     cargo bench --bench auth_cost

use meerkat::core::accounts::Accounts;
use meerkat::store::SqliteStore;
use std::sync::Arc;
use std::time::Instant;

const RUNS: usize = 7;

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let cached = Accounts::new(store.clone(), vec!["localhost".into()], 4096, 10_000);
        let uncached = Accounts::new(store, vec!["localhost".into()], 4096, 0);
        let jid = cached.user_jid("alice", "localhost").unwrap();
        cached.register(&jid, "wonderland").await.unwrap();

        let mut hit = Vec::new();
        let mut miss = Vec::new();
        for _ in 0..RUNS {
            const N: u32 = 20_000;
            let before = cached.derivations();
            let t = Instant::now();
            for _ in 0..N {
                assert!(cached
                    .check_password("alice@localhost", "wonderland")
                    .await
                    .unwrap()
                    .is_some());
            }
            hit.push(t.elapsed().as_secs_f64() * 1e6 / N as f64);
            assert!(cached.derivations() - before <= 1, "cached checks derived keys");

            const M: u32 = 50;
            let t = Instant::now();
            for _ in 0..M {
                assert!(uncached
                    .check_password("alice@localhost", "wonderland")
                    .await
                    .unwrap()
                    .is_some());
            }
            miss.push(t.elapsed().as_secs_f64() * 1e6 / M as f64);
        }
        let (h, hmin, hmax) = median(hit);
        let (m, mmin, mmax) = median(miss);
        println!("auth check, cached credentials:   median {h:8.2} µs (min {hmin:.2}, max {hmax:.2})");
        println!(
            "auth check, verifying password:   median {m:8.2} µs (min {mmin:.2}, max {mmax:.2}), SCRAM 4096 iterations"
        );
        println!("ratio: {:.0}x", m / h);
    });
}

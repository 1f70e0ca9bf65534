//! Archive reads at scale: fills one user's archive with a million messages (100
//! interlocutors), then times "the newest 50" overall and with one interlocutor, as the
//! REST history and MAM use them. Prints p50/p99/max over repeated queries.
//!
//!     cargo bench --bench archive_read [-- MESSAGES]

use meerkat::store::{ArchiveQuery, ArchiveStore, ArchivedMessage, SqliteStore};
use std::time::Instant;

const QUERIES: usize = 2000;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let total: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let owner = "alice@localhost";
        let t = Instant::now();
        let batch = 10_000;
        let base_ms: i64 = 1_764_000_000_000;
        for start in (0..total).step_by(batch) {
            let rows: Vec<ArchivedMessage> = (start..(start + batch).min(total))
                .map(|i| {
                    let ts = base_ms + i as i64;
                    let with = format!("user{}@localhost", i % 100);
                    ArchivedMessage {
                        id: (ts << 16) | (i as i64 & 0xffff),
                        owner: owner.into(),
                        stanza: format!(
                            "<message xmlns='jabber:client' from='{with}' to='{owner}' type='chat' id='m{i}'><body>message number {i} with a body of ordinary length</body></message>"
                        ),
                        with,
                        timestamp_ms: ts,
                        shared: true,
                    }
                })
                .collect();
            store.archive_append(rows).await.unwrap();
        }
        let fill = t.elapsed();
        println!(
            "filled {total} messages in {:.1} s ({:.0} messages/s, group-committed in batches of {batch})",
            fill.as_secs_f64(),
            total as f64 / fill.as_secs_f64()
        );
        for (label, with) in [("newest 50 overall", None), ("newest 50 with one peer", Some("user42@localhost"))] {
            let mut samples = Vec::with_capacity(QUERIES);
            for _ in 0..QUERIES {
                let q = ArchiveQuery {
                    owner: owner.into(),
                    with: with.map(str::to_owned),
                    limit: 50,
                    newest_first: true,
                    ..Default::default()
                };
                let t = Instant::now();
                let rows = store.archive_query(q).await.unwrap();
                samples.push(t.elapsed().as_secs_f64() * 1e3);
                assert_eq!(rows.len(), 50);
            }
            samples.sort_by(|a, b| a.total_cmp(b));
            println!(
                "{label}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms over {QUERIES} queries",
                percentile(&samples, 0.5),
                percentile(&samples, 0.99),
                samples[samples.len() - 1]
            );
        }
    });
}

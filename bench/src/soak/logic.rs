//! The pure parts of the soak run, kept apart so they can be tested: whether the server's
//! figures stayed flat, how to page the archive by timestamp, what the server's log says,
//! counting markers in a byte stream, and a small seeded random generator.

use std::collections::HashMap;

/// One reading of the server process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub rss_kb: u64,
    pub fds: u64,
    pub threads: u64,
}

/// How much a figure may grow from the warm-up level to the end level: the larger of an
/// absolute amount and a share of the warm-up level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub abs: u64,
    pub percent: u64,
}

impl Allowance {
    pub fn allowed(&self, warm: u64) -> u64 {
        self.abs.max(warm * self.percent / 100)
    }
}

/// The allowances of [`judge`], one per figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerances {
    pub rss_kb: Allowance,
    pub fds: Allowance,
    pub threads: Allowance,
}

/// The documented tolerances (docs/performance.md, "Soak"). RSS: 32 MiB or 25%, whichever
/// is larger — SQLite's page caches and the allocator's arenas are bounded and fill during
/// the first minutes, session queues are bounded by `max_session_queue_bytes`; a leak of a
/// few hundred bytes per message or a few KB per connection exceeds it within minutes.
/// File descriptors: 16 or 20%, for the connections that open and close between samples.
/// Threads: 4 or 25%, for blocking-pool threads that come and go with storage reads.
pub const TOLERANCES: Tolerances = Tolerances {
    rss_kb: Allowance {
        abs: 32 * 1024,
        percent: 25,
    },
    fds: Allowance { abs: 16, percent: 20 },
    threads: Allowance { abs: 4, percent: 25 },
};

/// The fewest readings [`judge`] decides on (two per quarter).
pub const MIN_READINGS: usize = 8;

/// The verdict on one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judgement {
    pub figure: &'static str,
    /// Median of the second quarter of the readings (after warm-up).
    pub warm: u64,
    /// Median of the last quarter.
    pub end: u64,
    /// Most the end level may exceed the warm-up level by.
    pub allowed: u64,
    pub flat: bool,
}

/// The median (the upper one of an even count); `None` for no values.
pub fn median(values: &[u64]) -> Option<u64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// Whether each figure stayed flat under steady load: the median of the last quarter of
/// `readings` may exceed the median of the second quarter (the first one is warm-up) by
/// at most its allowance. Falling is always flat. `None` with fewer than
/// [`MIN_READINGS`] readings.
pub fn judge(readings: &[Reading], tol: &Tolerances) -> Option<[Judgement; 3]> {
    let n = readings.len();
    if n < MIN_READINGS {
        return None;
    }
    let q = n / 4;
    let second = &readings[q..2 * q];
    let last = &readings[n - q..];
    let one = |figure: &'static str, pick: fn(&Reading) -> u64, allowance: Allowance| {
        let warm = median(&second.iter().map(pick).collect::<Vec<_>>()).unwrap_or(0);
        let end = median(&last.iter().map(pick).collect::<Vec<_>>()).unwrap_or(0);
        let allowed = allowance.allowed(warm);
        Judgement {
            figure,
            warm,
            end,
            allowed,
            flat: end <= warm + allowed,
        }
    };
    Some([
        one("RSS (KiB)", |r| r.rss_kb, tol.rss_kb),
        one("open fds", |r| r.fds, tol.fds),
        one("threads", |r| r.threads, tol.threads),
    ])
}

/// Least-squares slope of `values` against `times`, per unit of time; 0 for fewer than
/// two points.
pub fn slope(times: &[f64], values: &[f64]) -> f64 {
    let n = times.len().min(values.len());
    if n < 2 {
        return 0.0;
    }
    let mt = times[..n].iter().sum::<f64>() / n as f64;
    let mv = values[..n].iter().sum::<f64>() / n as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..n {
        num += (times[i] - mt) * (values[i] - mv);
        den += (times[i] - mt) * (times[i] - mt);
    }
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// The next `before` when paging an archive backwards by timestamp (ms, exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextPage {
    /// One past the oldest timestamp of the page: the next page repeats the items that
    /// share it (skipping none) and goes further back, since the page holds newer ones.
    Before(i64),
    /// Every item of the page has the same timestamp: the only way further back is past
    /// it, which may skip items of that millisecond the page did not hold.
    Past(i64),
}

/// Where to page next from a full page holding `timestamps`; `None` for an empty page.
pub fn next_page(timestamps: &[i64]) -> Option<NextPage> {
    let oldest = *timestamps.iter().min()?;
    if timestamps.iter().any(|&t| t > oldest) {
        Some(NextPage::Before(oldest + 1))
    } else {
        Some(NextPage::Past(oldest))
    }
}

/// What the server's log (stderr, without colours) says about a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LogFindings {
    /// Sessions closed because their queue was full: per bare JID, the bytes that were
    /// queued each time.
    pub queue_full: HashMap<String, Vec<u64>>,
    /// `ERROR` lines, the first few kept.
    pub errors: u64,
    pub first_errors: Vec<String>,
    /// Lines of a panic.
    pub panics: u64,
}

impl LogFindings {
    pub fn queue_full_total(&self) -> u64 {
        self.queue_full.values().map(|v| v.len() as u64).sum()
    }

    /// Closes for a full queue of `jid`: (by the bound in bytes, by the bound in stanzas).
    /// A close with at least `max_bytes` less one largest stanza (64 KiB) queued is
    /// counted as the byte bound.
    pub fn queue_full_of(&self, jid: &str, max_bytes: u64) -> (u64, u64) {
        let closes = self.queue_full.get(jid).map(Vec::as_slice).unwrap_or_default();
        let by_bytes = closes.iter().filter(|&&b| b + 64 * 1024 >= max_bytes).count() as u64;
        (by_bytes, closes.len() as u64 - by_bytes)
    }
}

/// Reads the server's log text.
pub fn scan_log(text: &str) -> LogFindings {
    let mut f = LogFindings::default();
    for line in text.lines() {
        if line.contains("outbound queue full") {
            let field = |name: &str| line.split_whitespace().find_map(|w| w.strip_prefix(name));
            let jid = field("jid=")
                .map(|j| j.split('/').next().unwrap_or(j).to_owned())
                .unwrap_or_default();
            let queued = field("queued_bytes=").and_then(|b| b.parse().ok()).unwrap_or(0);
            f.queue_full.entry(jid).or_default().push(queued);
        }
        if line.contains(" ERROR ") {
            f.errors += 1;
            if f.first_errors.len() < 5 {
                f.first_errors.push(line.to_owned());
            }
        }
        if line.contains("panicked at") {
            f.panics += 1;
        }
    }
    f
}

/// Counts a marker in a byte stream split anywhere into chunks.
#[derive(Debug)]
pub struct Occurrences {
    needle: &'static [u8],
    tail: Vec<u8>,
    pub count: u64,
}

impl Occurrences {
    pub fn new(needle: &'static str) -> Self {
        Occurrences {
            needle: needle.as_bytes(),
            tail: Vec::new(),
            count: 0,
        }
    }

    /// Counts the markers completed by `bytes`; returns how many.
    pub fn feed(&mut self, bytes: &[u8]) -> u64 {
        let n = self.needle.len();
        let mut data = std::mem::take(&mut self.tail);
        data.extend_from_slice(bytes);
        let mut found = 0;
        let mut i = 0;
        while i + n <= data.len() {
            if &data[i..i + n] == self.needle {
                found += 1;
                i += n;
            } else {
                i += 1;
            }
        }
        // Keep what could be the start of a marker split by the chunking.
        let keep_from = data.len().saturating_sub(n - 1).max(i.min(data.len()));
        self.tail = data[keep_from..].to_vec();
        self.count += found;
        found
    }
}

/// SplitMix64: a seeded, reproducible generator, enough for choosing recipients and
/// pauses (no dependency needed).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(rss_mib: impl Fn(usize) -> u64, fds: impl Fn(usize) -> u64, n: usize) -> Vec<Reading> {
        (0..n)
            .map(|i| Reading {
                rss_kb: rss_mib(i) * 1024,
                fds: fds(i),
                threads: 12,
            })
            .collect()
    }

    #[test]
    fn a_flat_series_with_a_warm_up_ramp_and_noise_is_flat() {
        // A ramp in the first quarter (caches filling), then noise around 120 MiB.
        let s = series(
            |i| {
                if i < 25 {
                    40 + 3 * i as u64
                } else {
                    118 + (i % 5) as u64
                }
            },
            |i| 60 + (i % 7) as u64,
            100,
        );
        let j = judge(&s, &TOLERANCES).unwrap();
        assert!(j.iter().all(|j| j.flat), "{j:?}");
        assert_eq!(j[2].warm, 12);
    }

    #[test]
    fn steady_growth_of_memory_is_not_flat() {
        // 1 MiB per reading: 50 MiB between the second and the last quarter.
        let s = series(|i| 100 + i as u64, |_| 60, 100);
        let j = judge(&s, &TOLERANCES).unwrap();
        assert!(!j[0].flat, "{:?}", j[0]);
        assert!(j[1].flat && j[2].flat);
    }

    #[test]
    fn memory_may_grow_by_the_larger_of_the_absolute_and_the_relative_allowance() {
        // Warm level 400 MiB: 25% (100 MiB) is the allowance, not 32 MiB.
        let s = series(|i| if i >= 75 { 490 } else { 400 }, |_| 60, 100);
        assert!(judge(&s, &TOLERANCES).unwrap()[0].flat);
        let s = series(|i| if i >= 75 { 510 } else { 400 }, |_| 60, 100);
        assert!(!judge(&s, &TOLERANCES).unwrap()[0].flat);
        // Warm level 40 MiB: 32 MiB is the allowance.
        let s = series(|i| if i >= 75 { 70 } else { 40 }, |_| 60, 100);
        assert!(judge(&s, &TOLERANCES).unwrap()[0].flat);
    }

    #[test]
    fn leaking_descriptors_are_not_flat_but_a_spike_in_the_middle_is() {
        let s = series(|_| 100, |i| 60 + i as u64, 100);
        assert!(!judge(&s, &TOLERANCES).unwrap()[1].flat);
        let s = series(|_| 100, |i| if (50..70).contains(&i) { 500 } else { 60 }, 100);
        assert!(judge(&s, &TOLERANCES).unwrap()[1].flat);
    }

    #[test]
    fn falling_is_flat_and_too_few_readings_decide_nothing() {
        let s = series(|i| 200 - i as u64, |_| 60, 100);
        assert!(judge(&s, &TOLERANCES).unwrap()[0].flat);
        assert!(judge(&s[..MIN_READINGS - 1], &TOLERANCES).is_none());
        assert!(judge(&s[..MIN_READINGS], &TOLERANCES).is_some());
    }

    #[test]
    fn median_and_slope() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3, 1, 2]), Some(2));
        assert_eq!(median(&[4, 1, 3, 2]), Some(3));
        let t = [0.0, 1.0, 2.0, 3.0];
        assert!((slope(&t, &[1.0, 3.0, 5.0, 7.0]) - 2.0).abs() < 1e-9);
        assert_eq!(slope(&t[..1], &[1.0]), 0.0);
    }

    #[test]
    fn paging_repeats_the_oldest_millisecond_unless_the_whole_page_is_in_it() {
        assert_eq!(next_page(&[]), None);
        assert_eq!(next_page(&[10, 10, 11, 12]), Some(NextPage::Before(11)));
        assert_eq!(next_page(&[10, 10, 10]), Some(NextPage::Past(10)));
    }

    #[test]
    fn the_log_tells_queue_overflows_per_account_errors_and_panics() {
        let log = "2026-11-25T10:00:00.000001Z  WARN meerkat::core::session: outbound queue full; closing the session jid=s7@localhost/abc queued_bytes=1048000\n\
                   2026-11-25T10:00:01.000001Z  WARN meerkat::core::session: outbound queue full; closing the session jid=s7@localhost queued_bytes=10\n\
                   2026-11-25T10:00:02.000001Z ERROR meerkat::core: routing a client stanza failed jid=s1@localhost/x error=busy\n\
                   thread 'tokio-runtime-worker' panicked at src/core/mod.rs:1:1:\n";
        let f = scan_log(log);
        assert_eq!(f.queue_full.get("s7@localhost"), Some(&vec![1_048_000, 10]));
        assert_eq!(f.queue_full_total(), 2);
        assert_eq!(f.queue_full_of("s7@localhost", 1 << 20), (1, 1));
        assert_eq!(f.queue_full_of("nobody@localhost", 1 << 20), (0, 0));
        assert_eq!((f.errors, f.panics), (1, 1));
        assert!(f.first_errors[0].contains("routing a client stanza failed"));
        assert_eq!(scan_log(""), LogFindings::default());
    }

    #[test]
    fn markers_are_counted_across_any_split() {
        let text = b"event: message\nid: 1\n\n: keepalive\n\nevent: message\nid: 2\n\nevent: room.message\n";
        for split in 0..=text.len() {
            let mut o = Occurrences::new("event: message");
            o.feed(&text[..split]);
            o.feed(&text[split..]);
            assert_eq!(o.count, 2, "split at {split}");
        }
        let mut o = Occurrences::new("<message");
        for b in b"<message/><message><messag" {
            o.feed(&[*b]);
        }
        assert_eq!(o.count, 2);
    }

    #[test]
    fn the_generator_is_reproducible_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            let x = a.between(3, 9);
            assert_eq!(x, b.between(3, 9));
            assert!((3..=9).contains(&x));
        }
        assert_eq!(a.below(0), 0);
        let heads = (0..10_000).filter(|_| a.percent(30)).count();
        assert!((2_500..3_500).contains(&heads), "{heads}");
    }
}

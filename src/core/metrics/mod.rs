//! Operational figures of one server, for an operator's Prometheus to scrape: sessions
//! open, stanzas routed, archive commit latency, where an archived message's time goes
//! (by stage), sessions dropped for a full queue, failed and throttled logins, uptime.
//!
//! [`Metrics`] is plain atomics and one fixed-bucket histogram, owned by the [`Core`]
//! (no global state: two cores in one process, as tests build them, count apart) and
//! handed to the parts that count (the session table, the login throttle, the archive).
//! Counting is a relaxed atomic add on paths that already do far more work, so it costs
//! nothing measurable. Gauges that the core knows anyway (sessions by kind) are read when
//! scraped rather than kept twice.
//!
//! [`Metrics::render`] writes the Prometheus text exposition format, version 0.0.4, by
//! hand: a dozen series need no client library. Every metric is listed in
//! `docs/metrics.md`.
//!
//! [`Core`]: super::Core
//!
//! Events: none; what counts calls [`Metrics`] directly, and the label enums of every
//! series live here.

mod labels;
mod text;

pub(crate) use labels::{Door, QueueLimit, SessionCounts, Stage, StanzaKind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
pub(crate) use text::Text;

/// The `Content-Type` of [`Metrics::render`]'s output.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds, inclusive) of the archive commit histogram's buckets. A SQLite
/// group commit takes a millisecond or a few on a local disk, tens on a slow or busy one;
/// seconds mean the writer is far behind.
const COMMIT_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Upper bounds (seconds) of the message stage histograms: stages take microseconds when
/// nothing waits, so the buckets start at 50 µs.
const STAGE_BUCKETS: [f64; 16] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// A histogram with fixed buckets; observing is two relaxed adds.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    /// Observations per bucket (not cumulative); the last one is above every bound.
    counts: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = self.bounds.iter().position(|b| secs <= *b).unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Writes the `_bucket` series (cumulative, as the format wants), `_sum` and
    /// `_count`. `_count` is the `+Inf` bucket itself, so the two always agree even while
    /// observations race with the scrape.
    fn render(&self, out: &mut Text, name: &str) {
        self.render_with(out, name, &[]);
    }

    /// [`Histogram::render`] for one series of a family split by a label.
    fn render_labelled(&self, out: &mut Text, name: &str, label: (&str, &str)) {
        self.render_with(out, name, &[label]);
    }

    fn render_with(&self, out: &mut Text, name: &str, labels: &[(&str, &str)]) {
        let mut cumulative = 0;
        let bucket = format!("{name}_bucket");
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = match self.bounds.get(i) {
                Some(b) => b.to_string(),
                None => "+Inf".to_owned(),
            };
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            out.sample(&bucket, &with_le, cumulative);
        }
        let sum = Duration::from_nanos(self.sum_nanos.load(Ordering::Relaxed)).as_secs_f64();
        out.sample(&format!("{name}_sum"), labels, sum);
        out.sample(&format!("{name}_count"), labels, cumulative);
    }
}

/// One counter per value of a label.
#[derive(Debug)]
struct Counters<const N: usize>([AtomicU64; N]);

impl<const N: usize> Counters<N> {
    fn new() -> Self {
        Counters(std::array::from_fn(|_| AtomicU64::new(0)))
    }

    fn add(&self, i: usize) {
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self, i: usize) -> u64 {
        self.0[i].load(Ordering::Relaxed)
    }
}

/// The server's counters. Every method takes `&self`; share it as `Arc<Metrics>`.
#[derive(Debug)]
pub(crate) struct Metrics {
    started: Instant,
    /// Unix time the server started, in seconds.
    started_unix: f64,
    routed: Counters<{ StanzaKind::ALL.len() }>,
    queue_full: Counters<{ QueueLimit::ALL.len() }>,
    login_failures: Counters<{ Door::ALL.len() }>,
    login_throttled: Counters<{ Door::ALL.len() }>,
    archive_commit: Histogram,
    stages: [Histogram; Stage::ALL.len()],
}

impl Metrics {
    pub(crate) fn new() -> Self {
        Metrics {
            started: Instant::now(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            routed: Counters::new(),
            queue_full: Counters::new(),
            login_failures: Counters::new(),
            login_throttled: Counters::new(),
            archive_commit: Histogram::new(&COMMIT_BUCKETS),
            stages: std::array::from_fn(|_| Histogram::new(&STAGE_BUCKETS)),
        }
    }

    /// The router handed a stanza to the service owning its destination, which took it.
    pub(crate) fn routed(&self, kind: StanzaKind) {
        self.routed.add(kind as usize);
    }

    /// A session was closed because its outbound queue reached `limit`.
    pub(crate) fn queue_full(&self, limit: QueueLimit) {
        self.queue_full.add(limit as usize);
    }

    /// A login through `door` failed (wrong password or no such account).
    pub(crate) fn login_failed(&self, door: Door) {
        self.login_failures.add(door as usize);
    }

    /// A login attempt through `door` was refused by the throttle without a password check.
    pub(crate) fn login_throttled(&self, door: Door) {
        self.login_throttled.add(door as usize);
    }

    /// An archive append became durable after `took`.
    pub(crate) fn archive_committed(&self, took: Duration) {
        self.archive_commit.observe(took);
    }

    /// An archived one-to-one message spent `took` in `stage`.
    pub(crate) fn message_stage(&self, stage: Stage, took: Duration) {
        self.stages[stage as usize].observe(took);
    }

    /// Everything, in the Prometheus text format 0.0.4 ([`CONTENT_TYPE`]).
    pub(crate) fn render(&self, sessions: SessionCounts) -> String {
        let mut out = Text::default();
        out.family(
            "meerkat_sessions",
            "gauge",
            "Sessions open now, by what carries them (XMPP over TCP, XMPP over WebSocket, XMPP over BOSH, server-sent events).",
        );
        for (kind, count) in sessions.labelled() {
            out.sample("meerkat_sessions", &[("kind", kind)], count);
        }
        out.family(
            "meerkat_routed_stanzas_total",
            "counter",
            "Stanzas the router handed to the service owning their destination and that it accepted, by stanza kind; replies and broadcasts the server routes count too.",
        );
        for kind in StanzaKind::ALL {
            out.sample(
                "meerkat_routed_stanzas_total",
                &[("kind", kind.label())],
                self.routed.get(kind as usize),
            );
        }
        out.family(
            "meerkat_archive_commit_seconds",
            "histogram",
            "Time from handing an archive append to the store until it is durable (waiting for and taking part in a group commit).",
        );
        self.archive_commit.render(&mut out, "meerkat_archive_commit_seconds");
        out.family(
            "meerkat_message_stage_seconds",
            "histogram",
            "Where an archived one-to-one message's time goes, from its stanza read to its delivery queued, by stage.",
        );
        for stage in Stage::ALL {
            self.stages[stage as usize].render_labelled(
                &mut out,
                "meerkat_message_stage_seconds",
                ("stage", stage.label()),
            );
        }
        out.family(
            "meerkat_sessions_closed_queue_full_total",
            "counter",
            "Sessions closed because their outbound queue was full, by the bound reached.",
        );
        for limit in QueueLimit::ALL {
            out.sample(
                "meerkat_sessions_closed_queue_full_total",
                &[("limit", limit.label())],
                self.queue_full.get(limit as usize),
            );
        }
        out.family(
            "meerkat_login_failures_total",
            "counter",
            "Failed logins (wrong password or no such account), by door.",
        );
        for door in Door::ALL {
            out.sample(
                "meerkat_login_failures_total",
                &[("door", door.label())],
                self.login_failures.get(door as usize),
            );
        }
        out.family(
            "meerkat_login_throttled_total",
            "counter",
            "Login attempts refused by the failed-login throttle before any password check, by door.",
        );
        for door in Door::ALL {
            out.sample(
                "meerkat_login_throttled_total",
                &[("door", door.label())],
                self.login_throttled.get(door as usize),
            );
        }
        out.family("meerkat_uptime_seconds", "gauge", "Seconds since the server started.");
        out.sample("meerkat_uptime_seconds", &[], self.started.elapsed().as_secs_f64());
        out.family(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch, in seconds.",
        );
        out.sample("process_start_time_seconds", &[], self.started_unix);
        out.family(
            "meerkat_build_info",
            "gauge",
            "Always 1; the version of the running server as a label.",
        );
        out.sample("meerkat_build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);
        out.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the series written exactly as `series` (name and labels).
    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| l.rsplit_once(' ').filter(|(s, _)| *s == series))
            .and_then(|(_, v)| v.parse().ok())
    }

    #[test]
    fn a_fresh_server_exposes_every_series_at_zero_with_help_and_type() {
        let text = Metrics::new().render(SessionCounts::default());
        for series in [
            "meerkat_sessions{kind=\"xmpp_tcp\"}",
            "meerkat_sessions{kind=\"xmpp_websocket\"}",
            "meerkat_sessions{kind=\"xmpp_bosh\"}",
            "meerkat_sessions{kind=\"sse\"}",
            "meerkat_routed_stanzas_total{kind=\"message\"}",
            "meerkat_routed_stanzas_total{kind=\"presence\"}",
            "meerkat_routed_stanzas_total{kind=\"iq\"}",
            "meerkat_archive_commit_seconds_count",
            "meerkat_archive_commit_seconds_bucket{le=\"+Inf\"}",
            "meerkat_sessions_closed_queue_full_total{limit=\"stanzas\"}",
            "meerkat_sessions_closed_queue_full_total{limit=\"bytes\"}",
            "meerkat_login_failures_total{door=\"rest\"}",
            "meerkat_login_failures_total{door=\"c2s\"}",
            "meerkat_login_failures_total{door=\"websocket\"}",
            "meerkat_login_failures_total{door=\"bosh\"}",
            "meerkat_login_throttled_total{door=\"rest\"}",
            "meerkat_login_throttled_total{door=\"c2s\"}",
            "meerkat_login_throttled_total{door=\"websocket\"}",
            "meerkat_login_throttled_total{door=\"bosh\"}",
        ] {
            assert_eq!(value(&text, series), Some(0.0), "{series} in\n{text}");
        }
        // Every family is announced once, before its samples, with a known type.
        let mut families = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
                assert!(!families.contains(&name), "{name} announced twice");
                families.push(name);
            } else if !line.starts_with("# HELP ") {
                let family = families.last().expect("a sample before any TYPE line");
                assert!(line.starts_with(family), "{line} outside its family {family}");
            }
        }
        assert!(text.ends_with('\n'));
        assert_eq!(value(&text, "meerkat_build_info{version=\"0.1.0\"}"), Some(1.0));
        assert!(value(&text, "process_start_time_seconds").unwrap() > 1.6e9);
    }

    #[test]
    fn counters_move_by_label_and_sessions_come_from_the_snapshot() {
        let m = Metrics::new();
        m.routed(StanzaKind::Message);
        m.routed(StanzaKind::Message);
        m.routed(StanzaKind::Iq);
        m.queue_full(QueueLimit::Bytes);
        m.login_failed(Door::Rest);
        m.login_failed(Door::WebSocket);
        m.login_failed(Door::WebSocket);
        m.login_throttled(Door::C2s);
        m.login_failed(Door::Bosh);
        let sessions = SessionCounts {
            xmpp_tcp: 3,
            xmpp_websocket: 1,
            xmpp_bosh: 4,
            event_streams: 2,
        };
        let text = m.render(sessions);
        for (series, want) in [
            ("meerkat_sessions{kind=\"xmpp_tcp\"}", 3.0),
            ("meerkat_sessions{kind=\"xmpp_websocket\"}", 1.0),
            ("meerkat_sessions{kind=\"xmpp_bosh\"}", 4.0),
            ("meerkat_sessions{kind=\"sse\"}", 2.0),
            ("meerkat_routed_stanzas_total{kind=\"message\"}", 2.0),
            ("meerkat_routed_stanzas_total{kind=\"presence\"}", 0.0),
            ("meerkat_routed_stanzas_total{kind=\"iq\"}", 1.0),
            ("meerkat_sessions_closed_queue_full_total{limit=\"stanzas\"}", 0.0),
            ("meerkat_sessions_closed_queue_full_total{limit=\"bytes\"}", 1.0),
            ("meerkat_login_failures_total{door=\"rest\"}", 1.0),
            ("meerkat_login_failures_total{door=\"websocket\"}", 2.0),
            ("meerkat_login_failures_total{door=\"bosh\"}", 1.0),
            ("meerkat_login_throttled_total{door=\"c2s\"}", 1.0),
            ("meerkat_login_throttled_total{door=\"rest\"}", 0.0),
        ] {
            assert_eq!(value(&text, series), Some(want), "{series}");
        }
    }

    #[test]
    fn message_stages_are_one_histogram_family_labelled_by_stage() {
        let m = Metrics::new();
        m.message_stage(Stage::Order, Duration::from_millis(3));
        m.message_stage(Stage::Total, Duration::from_micros(40));
        let text = m.render(SessionCounts::default());
        let get = |s: &str| value(&text, s);
        assert_eq!(
            get("meerkat_message_stage_seconds_bucket{stage=\"order\",le=\"0.0025\"}"),
            Some(0.0)
        );
        assert_eq!(
            get("meerkat_message_stage_seconds_bucket{stage=\"order\",le=\"0.005\"}"),
            Some(1.0)
        );
        assert_eq!(
            get("meerkat_message_stage_seconds_bucket{stage=\"total\",le=\"0.00005\"}"),
            Some(1.0)
        );
        assert_eq!(get("meerkat_message_stage_seconds_count{stage=\"order\"}"), Some(1.0));
        for stage in Stage::ALL {
            let count = format!("meerkat_message_stage_seconds_count{{stage=\"{}\"}}", stage.label());
            assert!(get(&count).is_some(), "{count} is written even at zero");
        }
    }

    #[test]
    fn the_histogram_is_cumulative_with_inclusive_bounds_and_a_matching_count() {
        let m = Metrics::new();
        for ms in [1, 1, 3, 40, 7000] {
            m.archive_committed(Duration::from_millis(ms));
        }
        let text = m.render(SessionCounts::default());
        let bucket = |le: &str| value(&text, &format!("meerkat_archive_commit_seconds_bucket{{le=\"{le}\"}}"));
        assert_eq!(bucket("0.0005"), Some(0.0));
        assert_eq!(bucket("0.001"), Some(2.0), "1 ms falls in le=0.001 (inclusive)");
        assert_eq!(bucket("0.0025"), Some(2.0));
        assert_eq!(bucket("0.005"), Some(3.0));
        assert_eq!(bucket("0.05"), Some(4.0));
        assert_eq!(bucket("5"), Some(4.0));
        assert_eq!(bucket("+Inf"), Some(5.0));
        assert_eq!(value(&text, "meerkat_archive_commit_seconds_count"), Some(5.0));
        let sum = value(&text, "meerkat_archive_commit_seconds_sum").unwrap();
        assert!((sum - 7.045).abs() < 1e-9, "{sum}");
        // Buckets are listed in increasing order of their bounds.
        let bounds: Vec<f64> = text
            .lines()
            .filter_map(|l| l.strip_prefix("meerkat_archive_commit_seconds_bucket{le=\""))
            .filter_map(|l| l.split('"').next())
            .map(|le| {
                if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap()
                }
            })
            .collect();
        assert_eq!(bounds.len(), COMMIT_BUCKETS.len() + 1);
        assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{bounds:?}");
    }

    #[test]
    fn label_values_and_help_texts_are_escaped() {
        let mut out = Text::default();
        out.family("x", "gauge", "a \\ b\nc \"q\"");
        out.sample("x", &[("path", "C:\\dir\n\"quoted\""), ("k", "v")], 1.5);
        assert_eq!(
            out.0,
            "# HELP x a \\\\ b\\nc \"q\"\n# TYPE x gauge\nx{path=\"C:\\\\dir\\n\\\"quoted\\\"\",k=\"v\"} 1.5\n"
        );
    }
}

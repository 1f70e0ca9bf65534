//! The growth curves of `make bench`, drawn as SVG line charts from the results file,
//! and the generated part of `docs/performance.md`.
//!
//! Curves (each point the median of its runs):
//! - REST send throughput against the number of concurrent senders (`meerkat-senders`);
//! - REST send throughput and the 50-message page p99 against the archive's size
//!   (`meerkat` at the first size, `meerkat-archive-10M` after filling to the second);
//! - RSS per idle session against the number of sessions, plain (`meerkat` at the
//!   headline size, `meerkat-idle-curve` at the other points) and over STARTTLS
//!   (`meerkat-tls`).
//!
//! Failed runs are left out (see `failure` in main.rs).

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One line of a chart: its name and its points (x, y), x ascending.
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

struct Chart<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    log_x: bool,
    series: Vec<Series>,
}

const W: f64 = 640.0;
const H: f64 = 360.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 160.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Medians of `figure` by the value of `by`, over the lines of `workload` and `target`.
fn curve(lines: &[Value], workload: &str, target: &str, by: &str, figure: &str) -> Vec<(f64, f64)> {
    let mut runs: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    // A failed run's figure is no point of a curve (the report says FAILED instead).
    for v in lines
        .iter()
        .filter(|v| v["workload"] == workload && v["target"] == target && crate::failure(v).is_none())
    {
        if let (Some(x), Some(y)) = (v[by].as_f64(), v[figure].as_f64()) {
            runs.entry(x as u64).or_default().push(y);
        }
    }
    runs.into_iter().map(|(x, ys)| (x as f64, median(ys))).collect()
}

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&m| m >= max)
        .unwrap_or(10.0 * p)
}

fn fmt_tick(x: f64) -> String {
    if x >= 1_000_000.0 && x % 1_000_000.0 == 0.0 {
        format!("{}M", x / 1_000_000.0)
    } else if x >= 10_000.0 && x % 1000.0 == 0.0 {
        format!("{}k", x / 1000.0)
    } else if x.fract() == 0.0 {
        format!("{x}")
    } else {
        format!("{x:.2}")
    }
}

impl Chart<'_> {
    fn svg(&self) -> String {
        let xs: Vec<f64> = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
        let ys: Vec<f64> = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
        let (x_min, x_max) = xs.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        let y_max = nice_max(ys.iter().copied().fold(0.0, f64::max));
        let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
        let fx = |x: f64| -> f64 {
            let (a, b, v) = if self.log_x {
                (x_min.max(1e-9).ln(), x_max.max(1e-9).ln(), x.max(1e-9).ln())
            } else {
                (0.0, nice_max(x_max), x)
            };
            LEFT + if b > a { (v - a) / (b - a) * pw } else { pw / 2.0 }
        };
        let fy = |y: f64| TOP + ph - y / y_max * ph;
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns='http://www.w3.org/2000/svg' width='{W}' height='{H}' viewBox='0 0 {W} {H}' \
             font-family='sans-serif' font-size='12'>\n<rect width='{W}' height='{H}' fill='white'/>\n\
             <text x='{}' y='22' text-anchor='middle' font-size='14'>{}</text>\n",
            LEFT + pw / 2.0,
            self.title
        );
        // Axes, with five horizontal grid lines and a tick at every x of the data.
        for i in 0..=5 {
            let y = y_max * i as f64 / 5.0;
            let py = fy(y);
            let _ = writeln!(
                out,
                "<line x1='{LEFT}' y1='{py:.1}' x2='{:.1}' y2='{py:.1}' stroke='#ddd'/>\
                 <text x='{:.1}' y='{:.1}' text-anchor='end'>{}</text>",
                LEFT + pw,
                LEFT - 6.0,
                py + 4.0,
                fmt_tick(y)
            );
        }
        let mut ticks = xs.clone();
        ticks.sort_by(|a, b| a.total_cmp(b));
        ticks.dedup();
        for x in ticks {
            let px = fx(x);
            let _ = writeln!(
                out,
                "<line x1='{px:.1}' y1='{:.1}' x2='{px:.1}' y2='{:.1}' stroke='#000'/>\
                 <text x='{px:.1}' y='{:.1}' text-anchor='middle'>{}</text>",
                TOP + ph,
                TOP + ph + 5.0,
                TOP + ph + 18.0,
                fmt_tick(x)
            );
        }
        let _ = writeln!(
            out,
            "<line x1='{LEFT}' y1='{TOP}' x2='{LEFT}' y2='{:.1}' stroke='#000'/>\
             <line x1='{LEFT}' y1='{:.1}' x2='{:.1}' y2='{:.1}' stroke='#000'/>\
             <text x='{:.1}' y='{:.1}' text-anchor='middle'>{}</text>\
             <text transform='translate(18 {:.1}) rotate(-90)' text-anchor='middle'>{}</text>",
            TOP + ph,
            TOP + ph,
            LEFT + pw,
            TOP + ph,
            LEFT + pw / 2.0,
            H - 16.0,
            self.x_label,
            TOP + ph / 2.0,
            self.y_label
        );
        for (i, s) in self.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let points: Vec<String> = s
                .points
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", fx(x), fy(y)))
                .collect();
            let _ = writeln!(
                out,
                "<polyline fill='none' stroke='{colour}' stroke-width='2' points='{}'/>",
                points.join(" ")
            );
            for &(x, y) in &s.points {
                let _ = writeln!(
                    out,
                    "<circle cx='{:.1}' cy='{:.1}' r='3' fill='{colour}'><title>{}: {}</title></circle>",
                    fx(x),
                    fy(y),
                    fmt_tick(x),
                    fmt_tick((y * 100.0).round() / 100.0)
                );
            }
            let ly = TOP + 10.0 + 18.0 * i as f64;
            let _ = writeln!(
                out,
                "<line x1='{:.1}' y1='{ly:.1}' x2='{:.1}' y2='{ly:.1}' stroke='{colour}' stroke-width='2'/>\
                 <text x='{:.1}' y='{:.1}'>{}</text>",
                W - RIGHT + 10.0,
                W - RIGHT + 30.0,
                W - RIGHT + 36.0,
                ly + 4.0,
                s.name
            );
        }
        out.push_str("</svg>\n");
        out
    }
}

/// Writes the charts the results hold into `dir`; returns the files written.
pub fn write(results: &str, dir: &str) -> Vec<String> {
    let lines: Vec<Value> = std::fs::read_to_string(results)
        .expect("results file")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let sizes = |target: &str, workload: &str, figure: &str| -> Vec<(f64, f64)> {
        // One point per archive size: the size is in the label's runs' `archive` field.
        curve(&lines, workload, target, "archive", figure)
    };
    let mut archive_rate = sizes("meerkat", "rest-send", "delivered_per_s");
    archive_rate.extend(sizes("meerkat-archive-10M", "rest-send", "delivered_per_s"));
    let mut archive_page = sizes("meerkat", "archive-read", "p99_ms");
    archive_page.extend(sizes("meerkat-archive-10M", "archive-read", "p99_ms"));
    let mut idle_plain = curve(&lines, "idle", "meerkat", "sessions", "per_session_kb");
    idle_plain.extend(curve(
        &lines,
        "idle",
        "meerkat-idle-curve",
        "sessions",
        "per_session_kb",
    ));
    idle_plain.sort_by(|a, b| a.0.total_cmp(&b.0));
    let charts = [
        (
            "perf-senders.svg",
            Chart {
                title: "REST send → XMPP, by concurrent senders (archive on)",
                x_label: "concurrent keep-alive senders",
                y_label: "messages delivered per second",
                log_x: true,
                series: vec![Series {
                    name: "meerkat".into(),
                    points: curve(&lines, "rest-send", "meerkat-senders", "senders", "delivered_per_s"),
                }],
            },
        ),
        (
            "perf-archive-size.svg",
            Chart {
                title: "By archived messages: REST send rate and page p99",
                x_label: "messages in the archive",
                y_label: "messages/s ÷ 1000, or ms",
                log_x: true,
                series: vec![
                    Series {
                        name: "send, k msg/s".into(),
                        points: archive_rate.iter().map(|&(x, y)| (x, y / 1000.0)).collect(),
                    },
                    Series {
                        name: "page p99, ms".into(),
                        points: archive_page,
                    },
                ],
            },
        ),
        (
            "perf-idle-memory.svg",
            Chart {
                title: "Memory per idle session",
                x_label: "idle sessions",
                y_label: "KB per session",
                log_x: false,
                series: vec![
                    Series {
                        name: "plain".into(),
                        points: idle_plain,
                    },
                    Series {
                        name: "STARTTLS".into(),
                        points: curve(&lines, "idle", "meerkat-tls", "sessions", "per_session_kb"),
                    },
                ],
            },
        ),
    ];
    let mut written = Vec::new();
    for (file, mut chart) in charts {
        chart.series.retain(|s| !s.points.is_empty());
        if chart.series.is_empty() {
            continue;
        }
        let path = format!("{dir}/{file}");
        std::fs::write(&path, chart.svg()).expect("write a chart");
        written.push(path);
    }
    written
}

/// Replaces what lies between the `<!-- bench:begin -->` and `<!-- bench:end -->` lines
/// of `doc` with `generated`.
pub fn splice(doc: &str, generated: &str) -> Result<String, String> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let b = doc.find(BEGIN).ok_or("no bench:begin marker")?;
    let e = doc.find(END).ok_or("no bench:end marker")?;
    if e < b {
        return Err("bench:end before bench:begin".into());
    }
    Ok(format!("{}{BEGIN}\n{}\n{}", &doc[..b], generated.trim_end(), &doc[e..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_part_replaces_only_what_lies_between_the_markers() {
        let doc = "a\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nb\n";
        assert_eq!(
            splice(doc, "new\n").unwrap(),
            "a\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\nb\n"
        );
        assert!(splice("no markers", "x").is_err());
    }

    #[test]
    fn a_chart_has_a_line_per_series_and_a_point_per_value() {
        let chart = Chart {
            title: "t",
            x_label: "x",
            y_label: "y",
            log_x: true,
            series: vec![Series {
                name: "s".into(),
                points: vec![(1.0, 10.0), (4.0, 30.0), (16.0, 35.0)],
            }],
        };
        let svg = chart.svg();
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }

    #[test]
    fn axes_end_at_round_numbers() {
        assert_eq!(nice_max(13_400.0), 20_000.0);
        assert_eq!(nice_max(0.9), 1.0);
        assert_eq!(nice_max(45.0), 50.0);
    }
}

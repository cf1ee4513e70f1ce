//! Timeline pictures: the spans a test run recorded (`WOW_TIMELINE`, see
//! `test_support::timeline`) drawn as an SVG, one lane per thread or tokio task, the
//! jobs in flight below them against the number of cores, time in ms on the axis.
//!
//! `check --timeline` draws the learner's last run above the reference solution's;
//! `cargo xtask timelines` draws the reference's paused-clock runs for the book.

use crate::course::{Course, Exercise};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The spans file of an exercise's last run in a batch (`exercises`, `solutions`, ...).
pub fn spans_file(course: &Course, batch: &str, exercise: &Exercise) -> PathBuf {
    course
        .scratch_dir()
        .join("reports")
        .join(batch)
        .join(format!("{}.timeline.jsonl", exercise.package))
}

/// Where `check --timeline` writes an exercise's picture.
pub fn picture_file(course: &Course, exercise: &Exercise) -> PathBuf {
    course
        .scratch_dir()
        .join("timelines")
        .join(format!("timeline-{}.svg", exercise.id().replace('/', "-")))
}

/// One span, in ms from the start of its test.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub start: f64,
    pub end: f64,
    /// Which gauge (or named span) of the test it belongs to, from 0.
    pub group: usize,
}

/// One thread or task.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub name: String,
    pub spans: Vec<Span>,
}

/// The spans of one test on one clock.
#[derive(Clone, Debug, PartialEq)]
pub struct TestTimeline {
    pub test: String,
    /// Tokio's clock (virtual under a paused clock), not the wall clock.
    pub tokio: bool,
    pub cores: usize,
    pub lanes: Vec<Lane>,
}

impl TestTimeline {
    pub fn spans(&self) -> impl Iterator<Item = &Span> {
        self.lanes.iter().flat_map(|l| l.spans.iter())
    }

    /// The most spans open at the same time.
    pub fn most_at_once(&self) -> usize {
        let mut edges: Vec<(f64, i32)> = self
            .spans()
            .flat_map(|s| [(s.start, 1), (s.end, -1)])
            .collect();
        // At equal times an end comes before a start: back to back is not overlap.
        edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (mut now, mut most) = (0i32, 0i32);
        for (_, d) in edges {
            now += d;
            most = most.max(now);
        }
        most as usize
    }

    pub fn end(&self) -> f64 {
        self.spans().map(|s| s.end).fold(0.0, f64::max)
    }
}

/// Reads a spans file: one timeline per test and clock, in the order the tests ran.
pub fn read(path: &Path) -> Vec<TestTimeline> {
    parse(&std::fs::read_to_string(path).unwrap_or_default())
}

pub fn parse(text: &str) -> Vec<TestTimeline> {
    struct Group {
        test: String,
        tokio: bool,
        created: u64,
        cores: usize,
    }
    let mut groups: HashMap<u64, Group> = HashMap::new();
    // A lane's thread name, and whether it is a label of the test's own (`replay`).
    let mut thread_names: HashMap<u64, (String, bool)> = HashMap::new();
    let mut spans: Vec<(u64, u64, u64, u64)> = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let num = |k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        match v.get("kind").and_then(|k| k.as_str()) {
            Some("group") => {
                groups.insert(
                    num("group"),
                    Group {
                        test: text("test"),
                        tokio: text("clock") == "tokio",
                        created: num("created"),
                        cores: num("cores").max(1) as usize,
                    },
                );
            }
            Some("lane") => {
                thread_names.insert(num("lane"), (text("name"), text("thread").is_empty()));
            }
            Some("span") => spans.push((num("group"), num("lane"), num("start"), num("end"))),
            _ => {}
        }
    }
    // Tests (and clocks) in the order their first gauge was made.
    let mut keys: Vec<(String, bool)> = Vec::new();
    let mut group_ids: Vec<&u64> = groups.keys().collect();
    group_ids.sort();
    for id in &group_ids {
        let g = &groups[id];
        let key = (g.test.clone(), g.tokio);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut out = Vec::new();
    for (test, tokio) in keys {
        let mine: Vec<u64> = group_ids
            .iter()
            .filter(|id| groups[id].test == test && groups[id].tokio == tokio)
            .map(|id| **id)
            .collect();
        let zero = mine.iter().map(|id| groups[id].created).min().unwrap_or(0);
        let cores = groups[&mine[0]].cores;
        let mut test_spans: Vec<&(u64, u64, u64, u64)> =
            spans.iter().filter(|s| mine.contains(&s.0)).collect();
        // By start, then in the order the spans began (stable: the file's order), so
        // that a paused-clock run draws the same lanes every time.
        test_spans.sort_by_key(|s| s.2);
        let mut lanes: Vec<(u64, Lane)> = Vec::new();
        let mut tasks = 0;
        for &&(group, lane, start, end) in &test_spans {
            let i = match lanes.iter().position(|(l, _)| *l == lane) {
                Some(i) => i,
                None => {
                    let name = if lane & test_support::timeline::TASK_LANE != 0 {
                        tasks += 1;
                        format!("task {tasks}")
                    } else {
                        match thread_names.get(&lane).map(|(n, l)| (n.as_str(), *l)) {
                            Some((label, true)) => label.to_string(),
                            Some((n, _)) if n == test => "test thread".to_string(),
                            Some((n, _)) if n != "unnamed" => format!("thread {n}"),
                            _ => format!("thread {lane}"),
                        }
                    };
                    lanes.push((
                        lane,
                        Lane {
                            name,
                            spans: Vec::new(),
                        },
                    ));
                    lanes.len() - 1
                }
            };
            let ms = |t: u64| t.saturating_sub(zero) as f64 / 1e6;
            lanes[i].1.spans.push(Span {
                start: ms(start),
                end: ms(end.max(start)),
                group: mine.iter().position(|g| *g == group).unwrap_or(0),
            });
        }
        if lanes.is_empty() {
            continue;
        }
        out.push(TestTimeline {
            test,
            tokio,
            cores,
            lanes: lanes.into_iter().map(|(_, l)| l).collect(),
        });
    }
    out
}

/// One sentence about a test's spans for a failure message, or `None` when it has
/// none: "your 8 jobs ran one after another" or "at most 3 of your 8 jobs ran at
/// once". A test that times a variant against a sequential baseline has a gauge for
/// each: the sentence is about the one whose jobs overlapped most (the first made,
/// the test's own gauge, when none did).
pub fn describe(timelines: &[TestTimeline], test: &str) -> Option<String> {
    let t = timelines.iter().find(|t| t.test == test)?;
    let groups = t.spans().map(|s| s.group).max()? + 1;
    let (most, n) = (0..groups)
        .map(|g| {
            let spans: Vec<Span> = t.spans().filter(|s| s.group == g).cloned().collect();
            let n = spans.len();
            let one = TestTimeline {
                lanes: vec![Lane {
                    name: String::new(),
                    spans,
                }],
                ..t.clone()
            };
            (one.most_at_once(), n)
        })
        .filter(|&(_, n)| n > 0)
        .fold(
            (0, 0),
            |best, this| if this.0 > best.0 { this } else { best },
        );
    Some(if most <= 1 && n > 1 {
        format!("your {n} jobs ran one after another")
    } else {
        format!("at most {most} of your {n} jobs ran at once")
    })
}

/// A picture with one section per `(title, timelines)`, one above the other.
pub fn render(title: &str, sections: &[(&str, &[TestTimeline])]) -> String {
    const WIDTH: f64 = 900.0;
    const LABEL: f64 = 150.0;
    const PLOT: f64 = WIDTH - LABEL - 20.0;
    const LANE: f64 = 14.0;
    const MAX_LANES: usize = 16;
    // More spans than this in one row are drawn as their union.
    const MAX_SPANS_IN_A_ROW: usize = 200;
    const BAND: f64 = 36.0;
    const COLOURS: [&str; 6] = [
        "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2",
    ];
    let mut body = String::new();
    let mut y = 34.0;
    let _ = writeln!(
        body,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#,
        xml(title)
    );
    for (heading, timelines) in sections {
        y += 8.0;
        let _ = writeln!(
            body,
            r#"<text x="10" y="{y:.1}" font-size="14" font-weight="bold">{}</text>"#,
            xml(heading)
        );
        y += 8.0;
        if timelines.is_empty() {
            y += 14.0;
            let _ = writeln!(
                body,
                r##"<text x="20" y="{y:.1}" font-size="12" fill="#666">no spans recorded (no job watched by a gauge ran)</text>"##
            );
            y += 8.0;
        }
        for t in *timelines {
            // The same scale for the same test in every section, to compare them.
            let end = nice_end(
                sections
                    .iter()
                    .flat_map(|(_, ts)| ts.iter())
                    .filter(|o| o.test == t.test && o.tokio == t.tokio)
                    .map(TestTimeline::end)
                    .fold(0.0, f64::max),
            );
            let x = |ms: f64| LABEL + ms / end * PLOT;
            y += 16.0;
            let clock = if t.tokio {
                "tokio's clock (virtual when paused)"
            } else {
                "real clock"
            };
            let n = t.spans().count();
            let _ = writeln!(
                body,
                r#"<text x="10" y="{y:.1}" font-size="12" font-weight="bold">{}<tspan font-weight="normal">: {n} jobs, at most {} at once, {clock} (one colour per gauge)</tspan></text>"#,
                xml(&t.test),
                t.most_at_once()
            );
            y += 6.0;
            let top = y;
            let shown = t.lanes.len().min(MAX_LANES);
            let rest = t.lanes.len() - shown;
            let rows = shown + usize::from(rest > 0);
            let _ = writeln!(
                body,
                r##"<g class="lanes" data-test="{}" data-lanes="{}">"##,
                xml(&t.test),
                t.lanes.len()
            );
            for row in 0..rows {
                let ry = top + row as f64 * LANE;
                let (name, lanes): (String, &[Lane]) = if row < shown {
                    (t.lanes[row].name.clone(), &t.lanes[row..=row])
                } else {
                    (format!("{rest} more lanes"), &t.lanes[shown..])
                };
                let fill = if row % 2 == 0 { "#f4f4f4" } else { "#ffffff" };
                let _ = writeln!(
                    body,
                    r#"<rect x="{LABEL}" y="{ry:.1}" width="{PLOT}" height="{LANE}" fill="{fill}"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{}</text>"#,
                    LABEL - 4.0,
                    ry + LANE - 3.5,
                    xml(&name)
                );
                let mut row_spans: Vec<Span> =
                    lanes.iter().flat_map(|l| l.spans.iter().cloned()).collect();
                if lanes.len() > 1 || row_spans.len() > MAX_SPANS_IN_A_ROW {
                    row_spans = merged(row_spans);
                }
                {
                    for s in &row_spans {
                        let w = (x(s.end) - x(s.start)).max(0.8);
                        let _ = writeln!(
                            body,
                            r#"<rect class="span" x="{:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" fill="{}" fill-opacity="0.85" stroke="white" stroke-width="0.3"><title>{} to {} ms</title></rect>"#,
                            x(s.start),
                            ry + 2.0,
                            LANE - 4.0,
                            COLOURS[s.group % COLOURS.len()],
                            fmt_ms(s.start),
                            fmt_ms(s.end)
                        );
                    }
                }
            }
            body.push_str("</g>\n");
            y = top + rows as f64 * LANE + 4.0;
            // Jobs in flight, against the cores.
            let cores = if t.tokio { 1 } else { t.cores };
            let most = t.most_at_once().max(cores).max(1) as f64;
            let scale = BAND / most;
            let base = y + BAND;
            let mut edges: Vec<(f64, i32)> = t
                .spans()
                .flat_map(|s| [(s.start, 1), (s.end, -1)])
                .collect();
            edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut path = format!("M{LABEL:.2},{base:.1}");
            // One step per moment (all the edges at one time summed), and none closer
            // than a tenth of a pixel: ten thousand jobs make a short path.
            let mut steps: Vec<(f64, i32)> = Vec::new();
            let mut now = 0i32;
            for (at, d) in edges {
                now += d;
                match steps.last_mut() {
                    Some(last) if (x(at) - x(last.0)).abs() < 0.1 => last.1 = now,
                    _ => steps.push((at, now)),
                }
            }
            let mut level = 0i32;
            for (at, now) in steps {
                if now != level {
                    let _ = write!(path, " L{:.2},{:.1}", x(at), base - level as f64 * scale);
                    let _ = write!(path, " L{:.2},{:.1}", x(at), base - now as f64 * scale);
                    level = now;
                }
            }
            let _ = write!(path, " L{:.2},{base:.1} Z", LABEL + PLOT);
            let _ = writeln!(
                body,
                r##"<rect x="{LABEL}" y="{y:.1}" width="{PLOT}" height="{BAND}" fill="#fafafa" stroke="#ddd"/>"##
            );
            // The cores, for work on the real clock (waits on tokio's clock need none,
            // and a paused-clock picture stays the same on every machine): a band as
            // high as the machine has cores, so jobs in flight above it are jobs that
            // wait for a core.
            let cores_y = base - t.cores as f64 * scale;
            if !t.tokio {
                let _ = writeln!(
                    body,
                    r##"<rect class="cores" x="{LABEL}" y="{cores_y:.1}" width="{PLOT}" height="{:.1}" fill="#e15759" fill-opacity="0.10"/>"##,
                    base - cores_y
                );
            }
            let _ = writeln!(
                body,
                r##"<path d="{path}" fill="#4e79a7" fill-opacity="0.35" stroke="#4e79a7" stroke-width="0.8"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">in flight</text>"##,
                LABEL - 4.0,
                y + BAND / 2.0 + 3.0,
            );
            if !t.tokio {
                let _ = writeln!(
                    body,
                    r##"<line class="cores" x1="{LABEL}" y1="{cores_y:.1}" x2="{:.1}" y2="{cores_y:.1}" stroke="#e15759" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" font-size="9" fill="#e15759" text-anchor="end">{} core{}</text>"##,
                    LABEL + PLOT,
                    LABEL + PLOT - 2.0,
                    cores_y - 2.0,
                    t.cores,
                    if t.cores == 1 { "" } else { "s" }
                );
            }
            y = base;
            // The axis, in ms.
            let step = end / 5.0;
            for i in 0..=5 {
                let ms = step * i as f64;
                let _ = writeln!(
                    body,
                    r##"<line x1="{0:.1}" y1="{y:.1}" x2="{0:.1}" y2="{1:.1}" stroke="#999"/><text x="{0:.1}" y="{2:.1}" font-size="9" text-anchor="middle">{3}</text>"##,
                    x(ms),
                    y + 3.0,
                    y + 12.0,
                    fmt_ms(ms)
                );
            }
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="end">ms</text>"#,
                LABEL - 4.0,
                y + 12.0
            );
            y += 18.0;
        }
    }
    let height = (y + 10.0).ceil();
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">
<title>{}</title>
<rect width="100%" height="100%" fill="white"/>
{body}</svg>
"#,
        xml(title)
    )
}

/// The union of spans (sorted, overlapping or touching ones joined), each keeping the
/// group of its first span: a row of thousands of jobs drawn in a few rectangles.
fn merged(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut out: Vec<Span> = Vec::new();
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// The end of the axis: a round number at or above `ms`.
fn nice_end(ms: f64) -> f64 {
    let ms = ms.max(1.0);
    let magnitude = 10f64.powf(ms.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&e| e >= ms)
        .unwrap_or(10.0 * magnitude)
}

fn fmt_ms(ms: f64) -> String {
    if ms == ms.round() {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPANS: &str = r#"{"kind":"group","group":0,"test":"jobs_overlap","name":"gauge","clock":"real","created":1000000,"cores":2}
{"kind":"lane","lane":1,"name":"jobs_overlap","thread":"ThreadId(2)"}
{"kind":"lane","lane":2,"name":"unnamed","thread":"ThreadId(3)"}
{"kind":"span","group":0,"lane":1,"start":1000000,"end":101000000}
{"kind":"span","group":0,"lane":2,"start":2000000,"end":102000000}
{"kind":"lane","lane":7,"name":"pasta","thread":""}
{"kind":"span","group":0,"lane":7,"start":3000000,"end":4000000}
{"kind":"group","group":1,"test":"one_at_a_time","name":"gauge","clock":"tokio","created":0,"cores":2}
{"kind":"span","group":1,"lane":9223372036854775809,"start":0,"end":50000000}
{"kind":"span","group":1,"lane":9223372036854775810,"start":50000000,"end":100000000}
{"kind":"span","group":1,"lane":9223372036854775811,"start":100000000,"end":150000000}
"#;

    #[test]
    fn spans_are_grouped_by_test_and_lane_from_the_test_start() {
        let t = parse(SPANS);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].test, "jobs_overlap");
        assert!(!t[0].tokio);
        let names: Vec<&str> = t[0].lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["test thread", "thread 2", "pasta"]);
        assert_eq!(t[0].lanes[1].spans[0].start, 1.0);
        assert_eq!(t[0].most_at_once(), 3);
        assert!(t[1].tokio);
        assert_eq!(t[1].lanes.len(), 3);
        assert_eq!(t[1].lanes[2].name, "task 3");
        // Back to back is one after another, not overlap.
        assert_eq!(t[1].most_at_once(), 1);
        assert_eq!(
            describe(&t, "one_at_a_time").unwrap(),
            "your 3 jobs ran one after another"
        );
        assert_eq!(
            describe(&t, "jobs_overlap").unwrap(),
            "at most 3 of your 3 jobs ran at once"
        );
        assert_eq!(describe(&t, "elsewhere"), None);
    }

    #[test]
    fn the_picture_is_well_formed_svg_with_one_lane_per_thread_or_task() {
        let t = parse(SPANS);
        let svg = render(
            "01/02 <four> & jobs",
            &[("your code", &t), ("reference solution", &t[1..])],
        );
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        for attribute in ["width", "height", "viewBox"] {
            assert!(root.attribute(attribute).is_some(), "{attribute}");
        }
        assert!(root.children().any(|n| n.has_tag_name("title")));
        let groups: Vec<(String, usize)> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("lanes"))
            .map(|n| {
                (
                    n.attribute("data-test").unwrap().to_string(),
                    n.children().filter(|c| c.has_tag_name("text")).count(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("jobs_overlap".to_string(), 3),
                ("one_at_a_time".to_string(), 3),
                ("one_at_a_time".to_string(), 3)
            ]
        );
        let spans = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("span"))
            .count();
        assert_eq!(spans, 3 + 3 + 3);
        // A band of the cores under the real-clock jobs only (the one real-clock group:
        // its band and its line), none under the paused-clock ones.
        let cores: Vec<&str> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("cores"))
            .map(|n| n.tag_name().name())
            .collect();
        assert_eq!(cores, ["rect", "line"]);
    }

    #[test]
    fn many_lanes_fold_into_one_row() {
        let mut text = String::from(
            r#"{"kind":"group","group":0,"test":"many","name":"gauge","clock":"tokio","created":0,"cores":2}"#,
        );
        for i in 0..40u64 {
            let _ = write!(
                text,
                "\n{{\"kind\":\"span\",\"group\":0,\"lane\":{},\"start\":0,\"end\":1000000}}",
                test_support::timeline::TASK_LANE | i
            );
        }
        let t = parse(&text);
        assert_eq!(t[0].lanes.len(), 40);
        let svg = render("many", &[("reference", &t)]);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let lanes = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("lanes"))
            .unwrap();
        assert_eq!(lanes.attribute("data-lanes"), Some("40"));
        assert!(svg.contains("24 more lanes"));
        // 16 lanes of their own, and the 24 others drawn as one union.
        let spans = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("span"))
            .count();
        assert_eq!(spans, 16 + 1);
    }

    #[test]
    fn the_axis_ends_on_a_round_number() {
        assert_eq!(nice_end(0.0), 1.0);
        assert_eq!(nice_end(150.0), 150.0);
        assert_eq!(nice_end(205.0), 250.0);
        assert_eq!(nice_end(502.0), 600.0);
        assert_eq!(nice_end(1000.0), 1000.0);
    }
}

//! Recording spans: on only when `WOW_TIMELINE` names a file, one span per gauge job
//! and per `timeline::span`, on the thread or tokio task that ran it, with paused-clock
//! spans exact. (One test: the recorder reads `WOW_TIMELINE` once per process.)

use std::time::Duration;
use test_support::Gauge;

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn field(line: &str, key: &str) -> u64 {
    let at = line.find(&format!("\"{key}\":")).expect(key) + key.len() + 3;
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn spans_are_recorded_per_job_lane_and_clock() {
    let path = std::env::temp_dir().join(format!("wow-timeline-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // SAFETY: the only test of this binary, before any other thread reads the environment.
    unsafe { std::env::set_var(test_support::timeline::VAR, &path) };
    assert!(test_support::timeline::enabled());

    // Real clock: two jobs on two threads, overlapping.
    let gauge = Gauge::new();
    std::thread::scope(|s| {
        for _ in 0..2 {
            let gauge = gauge.clone();
            s.spawn(move || {
                let _job = gauge.enter();
                std::thread::sleep(Duration::from_millis(30));
            });
        }
    });
    drop(gauge);
    let written = lines(&path);
    let spans: Vec<&String> = written.iter().filter(|l| l.contains("\"span\"")).collect();
    assert_eq!(spans.len(), 2, "{written:#?}");
    let lanes: std::collections::HashSet<u64> = spans.iter().map(|l| field(l, "lane")).collect();
    assert_eq!(lanes.len(), 2, "two threads, two lanes: {written:#?}");
    let (a, b) = (spans[0], spans[1]);
    assert!(field(a, "start") < field(b, "end") && field(b, "start") < field(a, "end"));
    assert!(field(a, "end") - field(a, "start") >= 30_000_000);
    assert_eq!(
        written.iter().filter(|l| l.contains("\"lane\",")).count(),
        2
    );
    assert!(written[0].contains("\"clock\":\"real\""), "{}", written[0]);

    // A named span, written when it ends.
    {
        let _span = test_support::timeline::span("setup");
    }
    assert!(
        lines(&path)
            .iter()
            .any(|l| l.contains("\"name\":\"setup\""))
    );

    // Paused clock: three tasks of 50 ms one after another, exactly 50 ms apart.
    let _ = std::fs::remove_file(&path);
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(async {
            let gauge = Gauge::new();
            for _ in 0..3 {
                let gauge = gauge.clone();
                tokio::spawn(async move {
                    let _job = gauge.enter();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                })
                .await
                .unwrap();
            }
        });
    let written = lines(&path);
    let group = written.iter().find(|l| l.contains("\"group\",")).unwrap();
    assert!(group.contains("\"clock\":\"tokio\""), "{group}");
    let created = field(group, "created");
    let spans: Vec<(u64, u64, u64)> = written
        .iter()
        .filter(|l| l.contains("\"span\""))
        .map(|l| {
            (
                field(l, "start") - created,
                field(l, "end") - created,
                field(l, "lane"),
            )
        })
        .collect();
    assert_eq!(spans.len(), 3, "{written:#?}");
    for (i, (start, end, lane)) in spans.iter().enumerate() {
        assert_eq!(*start, i as u64 * 50_000_000, "{spans:?}");
        assert_eq!(*end, (i as u64 + 1) * 50_000_000, "{spans:?}");
        assert!(
            lane & test_support::timeline::TASK_LANE != 0,
            "a task's lane"
        );
    }

    // A schedule from the test's own log, on a lane with a label.
    let _ = std::fs::remove_file(&path);
    test_support::timeline::replay(
        "steps",
        "pasta",
        Duration::from_millis(70),
        Duration::from_millis(160),
    );
    let written = lines(&path);
    assert!(
        written
            .iter()
            .any(|l| l.contains("\"name\":\"pasta\",\"thread\":\"\"")),
        "{written:#?}"
    );
    let span = written.iter().find(|l| l.contains("\"span\"")).unwrap();
    assert_eq!(
        (field(span, "start"), field(span, "end")),
        (70_000_000, 160_000_000)
    );
    let _ = std::fs::remove_file(&path);
}

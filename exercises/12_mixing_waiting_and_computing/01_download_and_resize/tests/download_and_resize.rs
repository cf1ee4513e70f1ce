//! Tests for 12/01. Run them with `cargo xtask check 12/01`.
//!
//! Every test starts its own loopback HTTP server (`server.rs`) and writes into a
//! fresh temporary folder. The timing test sizes the work on this machine first: the
//! resizing of the whole batch is made to take about as long as its downloads, so
//! that "the larger of the two" is about half of "their sum".

use ex12_01_download_and_resize::image::{Image, probe, thumbnail};
use ex12_01_download_and_resize::server::Server;
use ex12_01_download_and_resize::{
    Config, ConfigError, Report, download_and_resize, http, thumbnail_on_rayon,
};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use test_support::{Outcome, RatioCheck, expect_at_least, expect_at_most, report};

/// The thumbnail probe counts for the whole process: tests that resize take turns.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    let guard = TURN.lock().unwrap_or_else(|p| p.into_inner());
    probe::reset();
    guard
}

/// A fresh, empty folder for one test's thumbnails.
fn fresh_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wow-12-01-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create a temporary folder");
    dir
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn config(
    server: &Server,
    names: &[&str],
    max_downloads: usize,
    passes: u32,
    out: &Path,
) -> Config {
    Config {
        server: server.addr(),
        names: names.iter().map(|n| n.to_string()).collect(),
        max_downloads,
        passes,
        out_dir: out.to_path_buf(),
    }
}

/// One line per file: the thumbnail's size and checksum, or the error, plus whether
/// the file on disk holds exactly that thumbnail.
fn describe(report: &Report) -> String {
    let mut text = String::new();
    for file in &report.files {
        match &file.result {
            Ok(t) => {
                let on_disk = std::fs::read(&t.path)
                    .ok()
                    .and_then(|bytes| Image::decode(&bytes).ok());
                let written = match on_disk {
                    Some(img) if img.checksum() == t.checksum => "written",
                    Some(_) => "WRONG FILE ON DISK",
                    None => "MISSING OR UNREADABLE ON DISK",
                };
                text += &format!(
                    "{:<12} ok   {}x{} checksum {:016x} {written} as {}\n",
                    file.name,
                    t.width,
                    t.height,
                    t.checksum,
                    t.path.file_name().unwrap_or_default().to_string_lossy()
                );
            }
            Err(e) => text += &format!("{:<12} err  {e}\n", file.name),
        }
    }
    text
}

/// Draws each download and each resize since `origin` as a span of the grader's
/// timeline picture (`cargo xtask check --timeline`); does nothing otherwise.
fn draw_timeline(origin: Instant, server: &Server) {
    use test_support::timeline::replay;
    let since = |t: Instant| t.saturating_duration_since(origin);
    for (name, began, ended) in server.download_spans() {
        replay(
            "downloads",
            &format!("download {name}"),
            since(began),
            since(ended),
        );
    }
    let mut resizes = probe::spans();
    resizes.sort();
    for (i, (began, ended)) in resizes.into_iter().enumerate() {
        replay(
            "resizes",
            &format!("resize {}", i + 1),
            since(began),
            since(ended),
        );
    }
}

#[test]
fn every_file_becomes_a_thumbnail_in_name_order() {
    let _turn = one_at_a_time();
    let sizes = [(64, 48), (33, 17), (1, 1), (80, 80), (16, 90), (2, 3)];
    let names: Vec<String> = (0..sizes.len()).map(|i| format!("pic{i}.pgm")).collect();
    let mut builder = Server::builder().delay(Duration::from_millis(5));
    for (i, &(w, h)) in sizes.iter().enumerate() {
        builder = builder.file(&names[i], Image::generate(i as u64, w, h).encode());
    }
    let server = builder.start();
    let out = fresh_dir("all");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let origin = Instant::now();
    let report = runtime()
        .block_on(download_and_resize(&config(&server, &names, 3, 2, &out)))
        .expect("a valid configuration must give a report");
    draw_timeline(origin, &server);
    assert_eq!(
        report
            .files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        names,
        "the report must list the files in the order of `names`, whatever order they finished in"
    );
    expect_at_most(
        "downloads in progress at once (max_downloads = 3)",
        server.most_at_once(),
        3,
    );
    assert_eq!(
        server.requests(),
        names.len(),
        "each file must be downloaded exactly once"
    );
    let text = describe(&report);
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        !text.contains("ON DISK"),
        "each thumbnail must be written, as PGM, to `out_dir/<name>`:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_bad_file_fails_alone() {
    let _turn = one_at_a_time();
    let good = |seed| Image::generate(seed, 40, 30).encode();
    let mut corrupt = Image::generate(3, 64, 64).encode();
    corrupt.truncate(corrupt.len() - 4000); // the header still says 64x64
    let server = Server::builder()
        .delay(Duration::from_millis(5))
        .file("first.pgm", good(1))
        .cut_short("short.pgm", good(2), 500)
        .file("corrupt.pgm", corrupt)
        .file("text.pgm", b"hello, not an image".to_vec())
        .file("last.pgm", good(5))
        .start();
    let names = [
        "first.pgm",
        "missing.pgm",
        "short.pgm",
        "corrupt.pgm",
        "text.pgm",
        "last.pgm",
    ];
    let out = fresh_dir("bad");
    let report = runtime()
        .block_on(download_and_resize(&config(&server, &names, 2, 1, &out)))
        .expect("bad files are errors in the report, not an error of the whole run");
    let ok: Vec<&str> = report
        .files
        .iter()
        .filter(|f| f.result.is_ok())
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        ok,
        ["first.pgm", "last.pgm"],
        "only the two good files can give thumbnails; a 404, a body cut short and a \
         corrupt image must each be an error for that file alone"
    );
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .expect("the output folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    written.sort();
    assert_eq!(
        written,
        ["first.pgm", "last.pgm"],
        "write a file for good images only"
    );
    let text = describe(&report);
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        !text.contains("ON DISK"),
        "each thumbnail must be written, as PGM, to `out_dir/<name>`:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_slow_download_does_not_hold_up_the_others() {
    // Clock-free, with uneven downloads: the server holds back `slow.pgm` until the
    // five other files were answered (5 s at most). With a permit given back as soon
    // as a body has arrived, the second permit fetches them all meanwhile; downloads
    // started in batches of `max_downloads` wait for the slow one before the next
    // batch.
    let _turn = one_at_a_time();
    let mut builder = Server::builder()
        .delay(Duration::from_millis(2))
        .slow_file("slow.pgm", Image::generate(9, 20, 20).encode());
    let mut names = vec!["slow.pgm".to_string()];
    for i in 0..5 {
        let name = format!("quick{i}.pgm");
        builder = builder.file(&name, Image::generate(i, 20, 20).encode());
        names.push(name);
    }
    let server = builder.start();
    let out = fresh_dir("slow");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let report = runtime()
        .block_on(download_and_resize(&config(&server, &names, 2, 1, &out)))
        .expect("a valid configuration must give a report");
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        report.files.iter().all(|f| f.result.is_ok()),
        "every file of this batch is good:\n{}",
        describe(&report)
    );
    let done = server.answered_before_slow().unwrap_or(0);
    let what = "quick downloads answered while slow.pgm was still downloading";
    let detail = format!("{done} of 5, needed all of them");
    if done < 5 {
        report::record_figure(what, Outcome::Failed, &detail, done as f64, 5.0);
        panic!(
            "with max_downloads = 2, slow.pgm's download took one permit and only {done} \
             of the 5 quick files were downloaded with the other one meanwhile: the rest \
             waited for the slow download (started in batches?). Give each file a task \
             of its own that takes a permit when one is free, and gives it back as soon as \
             its body has arrived"
        );
    }
    report::record_figure(what, Outcome::Passed, &detail, done as f64, 5.0);
}

#[test]
fn the_permit_goes_back_before_the_resize() {
    // Clock-free in what it counts: one download at a time (max_downloads = 1), and
    // resizes that take about 60 ms against downloads of 1 ms. A permit given back as
    // soon as the body has arrived lets the next download run while the image before
    // it is resized; a permit held through the resize (and the write) lets none.
    let _turn = one_at_a_time();
    let image = Image::generate(11, 96, 96);
    let passes = passes_for(&image, Duration::from_millis(60));
    let mut builder = Server::builder().delay(Duration::from_millis(1));
    let names: Vec<String> = (0..3).map(|i| format!("big{i}.pgm")).collect();
    for (i, name) in names.iter().enumerate() {
        builder = builder.file(name, Image::generate(20 + i as u64, 96, 96).encode());
    }
    let server = builder.start();
    let out = fresh_dir("permit");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    probe::reset();
    let report = runtime()
        .block_on(download_and_resize(&config(
            &server, &names, 1, passes, &out,
        )))
        .expect("a valid configuration must give a report");
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        report.files.iter().all(|f| f.result.is_ok()),
        "every file of this batch is good:\n{}",
        describe(&report)
    );
    let during = server.answered_during_thumbnail();
    let what = "downloads answered while an image was resized (max_downloads = 1)";
    let detail = format!("{during}, needed at least 1");
    if during < 1 {
        report::record_figure(what, Outcome::Failed, &detail, during as f64, 1.0);
        panic!(
            "with max_downloads = 1, no download was answered while an image was resized: \
             the one permit was held through the resize. Give it back as soon as the body \
             has arrived (hold it in a block of its own around `http::get`), so that the \
             next download runs while this image is resized"
        );
    }
    report::record_figure(what, Outcome::Passed, &detail, during as f64, 1.0);
}

#[test]
fn a_bad_configuration_is_an_error() {
    let server = Server::builder().start();
    let out = fresh_dir("config");
    let rt = runtime();
    let run = |c: Config| rt.block_on(download_and_resize(&c));
    let mut text = String::new();
    let cases = [
        ("max_downloads = 0", config(&server, &["a.pgm"], 0, 1, &out)),
        (
            "missing folder",
            Config {
                out_dir: PathBuf::from("no/such/folder"),
                ..config(&server, &["a.pgm"], 2, 1, &out)
            },
        ),
        (
            "name with a slash",
            config(&server, &["../a.pgm"], 2, 1, &out),
        ),
        ("empty name", config(&server, &["a.pgm", ""], 2, 1, &out)),
    ];
    for (what, c) in cases {
        match run(c) {
            Err(e) => text += &format!("{what}: {e}\n"),
            Ok(_) => panic!(
                "a configuration with {what} must be refused with an `Err` (call `config.validate()`)"
            ),
        }
    }
    assert_eq!(
        server.requests(),
        0,
        "nothing may be downloaded with a bad configuration"
    );
    let empty = run(config(&server, &[], 2, 1, &out)).expect("no names is a valid, empty batch");
    assert!(empty.files.is_empty(), "no names, no files in the report");
    assert!(matches!(
        run(config(&server, &["a"], 0, 1, &out)),
        Err(ConfigError::NoDownloads)
    ));
    let _ = std::fs::remove_dir_all(&out);
    insta::assert_snapshot!(text);
}

#[test]
fn a_thumbnail_on_rayon_leaves_the_runtime_free() {
    let _turn = one_at_a_time();
    let image = Image::generate(7, 96, 96);
    let passes = passes_for(&image, Duration::from_millis(100));
    let expected = thumbnail(&image, passes);
    probe::reset();
    let rt = runtime();
    let (small, ticks) = rt.block_on(async {
        // A task that ticks every 5 ms on the same (one-thread) runtime: it can only
        // tick while the runtime's thread is free.
        let ticks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let ticker = tokio::spawn({
            let ticks = Arc::clone(&ticks);
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        });
        tokio::task::yield_now().await;
        let small = thumbnail_on_rayon(image, passes)
            .await
            .unwrap_or_else(|e| panic!("`thumbnail_on_rayon` failed on a good image: {e}"));
        ticker.abort();
        (small, ticks.load(std::sync::atomic::Ordering::SeqCst))
    });
    assert_eq!(
        small, expected,
        "`thumbnail_on_rayon` must return `thumbnail(&image, passes)`"
    );
    let threads = probe::thumbnail_threads();
    assert!(
        !threads.contains(&std::thread::current().id()),
        "the thumbnail was computed on the runtime's own thread: hand it to `rayon::spawn`"
    );
    let rayon_threads = rayon::broadcast(|_| std::thread::current().id());
    assert!(
        threads.iter().all(|t| rayon_threads.contains(t)),
        "the thumbnail was computed on a thread that is not one of rayon's (tokio's \
         blocking pool, started by `spawn_blocking`, has a thread per call): a resize \
         computes, so it goes to rayon's pool, one thread per core, with `rayon::spawn`"
    );
    // About 20 ticks when the thread is free during a 100 ms resize; 0 when blocked.
    expect_at_least("heartbeat ticks during a 100 ms resize", ticks, 3);
}

/// How many blur passes make one `thumbnail` of `image` take about `target` here.
fn passes_for(image: &Image, target: Duration) -> u32 {
    let probe_passes = 8;
    let took = test_support::best_of(3, || {
        std::hint::black_box(thumbnail(image, probe_passes));
    });
    let per_pass = took.as_secs_f64() / f64::from(probe_passes);
    ((target.as_secs_f64() / per_pass.max(1e-9)) as u32).max(1)
}

/// The stages one after the other, with the same tools: all downloads (bounded,
/// async), then all resizes (rayon), then all writes.
async fn one_stage_after_the_other(c: &Config) {
    let permits = Arc::new(tokio::sync::Semaphore::new(c.max_downloads));
    let mut tasks = tokio::task::JoinSet::new();
    for name in c.names.clone() {
        let (permits, server) = (Arc::clone(&permits), c.server);
        tasks.spawn(async move {
            let _permit = permits.acquire().await.expect("open");
            let body = http::get(server, &name).await.expect("a good file");
            (name, body)
        });
    }
    let bodies: Vec<(String, Vec<u8>)> = tasks.join_all().await;
    let passes = c.passes;
    let smalls: Vec<(String, Image)> = tokio::task::spawn_blocking(move || {
        bodies
            .par_iter()
            .map(|(name, b)| {
                let image = Image::decode(b).expect("a good image");
                (name.clone(), thumbnail(&image, passes))
            })
            .collect()
    })
    .await
    .expect("resizing");
    for (name, small) in smalls {
        tokio::fs::write(c.out_dir.join(name), small.encode())
            .await
            .expect("write");
    }
}

#[test]
fn the_total_is_near_the_larger_stage_not_the_sum() {
    let _turn = one_at_a_time();
    const FILES: usize = 8;
    const MAX_DOWNLOADS: usize = 2;
    let images: Vec<Image> = (0..FILES as u64)
        .map(|i| Image::generate(i, 96, 96))
        .collect();
    let names: Vec<String> = (0..FILES).map(|i| format!("photo{i}.pgm")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();

    // Size the computing: one thumbnail of about 40 ms, then the whole batch on rayon.
    let passes = passes_for(&images[0], Duration::from_millis(40));
    let compute = test_support::best_of(2, || {
        images
            .par_iter()
            .for_each(|img| drop(thumbnail(img, passes)));
    });
    // Size the waiting to match: FILES / MAX_DOWNLOADS rounds of `delay` take as long
    // as the computing. Then the larger stage is about half of the sum.
    let rounds = (FILES / MAX_DOWNLOADS) as u32;
    let delay = (compute / rounds).max(Duration::from_millis(20));
    let start = |delay| {
        let mut b = Server::builder().delay(delay);
        for (name, img) in names.iter().zip(&images) {
            b = b.file(name, img.encode());
        }
        b.start()
    };
    let server = start(delay);
    let out = fresh_dir("timing");
    let c = config(&server, &names, MAX_DOWNLOADS, passes, &out);
    let rt = runtime();

    // Downloads of about `compute` plus resizes of about `compute`: one stage after
    // the other takes about twice as long as a pipeline (a little less, since the
    // last images are resized after the last download): about 1.6x here, 1.25x is required (a program
    // without overlap measures about 1.0x).
    RatioCheck::new("a pipeline against one stage after the other", 1.25)
        .quiet_only()
        .run(
            || rt.block_on(one_stage_after_the_other(&c)),
            || {
                rt.block_on(download_and_resize(&c))
                    .expect("a valid configuration");
            },
        );

    // Structural twins, without the clock. With downloads twice as fast as the
    // resizes, later downloads must be answered while earlier images are resized...
    let server = start(delay / 2);
    let c = Config {
        server: server.addr(),
        ..c
    };
    probe::reset();
    let report = rt
        .block_on(download_and_resize(&c))
        .expect("a valid configuration");
    assert!(
        report.files.iter().all(|f| f.result.is_ok()),
        "every file of this batch is good: {report:?}"
    );
    expect_at_least(
        "downloads answered while a resize was running",
        server.answered_during_thumbnail(),
        1,
    );
    // ...bounded, but overlapped...
    expect_at_most(
        "downloads in progress at once (max_downloads = 2)",
        server.most_at_once(),
        2,
    );
    expect_at_least(
        "downloads in progress at once (they must overlap)",
        server.most_at_once(),
        2,
    );
    // ...and the runtime's thread never resized an image itself.
    let on_runtime = probe::thumbnail_threads().contains(&std::thread::current().id());
    if on_runtime {
        report::record(
            "resizes off the runtime's thread",
            Outcome::Failed,
            "a thumbnail ran on the runtime's thread",
        );
        panic!(
            "a thumbnail was computed on the async runtime's own thread, so no download \
             could make progress meanwhile: use `thumbnail_on_rayon`"
        );
    }
    report::record(
        "resizes off the runtime's thread",
        Outcome::Passed,
        "none ran on it",
    );
    let _ = std::fs::remove_dir_all(&out);
}

//! Tests for 08/02. Run them with `cargo xtask check 08/02`.

use ex08_02_rayon_pools::{ParError, View, ascii, in_pool, par_rows, render, render_row};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use test_support::{Gauge, Outcome, SpeedupCheck, ThreadSet, expect_at_least, report};

#[test]
fn the_picture_is_the_same_on_any_pool() {
    let view = View::classic(72, 28);
    let one = render(&view, 1).expect("valid input");
    for threads in [2, 3, 4, 7] {
        assert!(
            render(&view, threads).expect("valid input") == one,
            "the picture rendered on {threads} threads differs from the one on 1 thread: \
             each row must be rendered with its own `y`"
        );
    }
    insta::assert_snapshot!(ascii(&view, &one));
}

#[test]
fn a_pool_has_exactly_the_threads_asked_for() {
    for threads in [1, 2, 3, 5] {
        let seen = in_pool(threads, rayon::current_num_threads);
        assert_eq!(
            seen,
            Ok(threads),
            "inside `in_pool({threads}, ..)` rayon reported {seen:?} threads: build a \
             `ThreadPool` with `num_threads({threads})` and `install` the job in it"
        );
    }
    let caller = std::thread::current().id();
    let worker = in_pool(2, || std::thread::current().id()).expect("valid input");
    assert_ne!(
        worker, caller,
        "the job ran on the caller's thread: `install` runs it on one of the pool's threads"
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut table = String::new();
    let zero = in_pool(0, || panic!("the job must not run in a pool of 0 threads"));
    table += &format!("in_pool(0, ..): {}\n", zero.expect_err("0 threads"));
    let never = |_: usize, _: &mut [u16]| panic!("`render` must not be called on bad input");
    let err: ParError = par_rows(&mut [0; 12], 0, never).expect_err("zero width");
    table += &format!("par_rows, width 0: {err}\n");
    let err = par_rows(&mut [0; 10], 3, never).expect_err("ragged rows");
    table += &format!("par_rows, 10 pixels, width 3: {err}\n");
    let err = match par_rows(&mut [], 0, never) {
        Err(e) => e,
        Ok(()) => panic!(
            "`par_rows` on no pixels of width 0 returned Ok, but width 0 is an error: check \
             the input before anything else, even when there are no rows"
        ),
    };
    table += &format!("par_rows, no pixels, width 0: {err}\n");
    assert!(
        par_rows(&mut [], 3, never).is_ok(),
        "no rows is no work, not an error"
    );
    insta::assert_snapshot!(table);
}

#[test]
fn the_pool_threads_share_the_rows() {
    // Clock-free: each row sleeps, so rows run at the same time only if the pool's
    // threads really took them at the same time.
    let gauge = Gauge::new();
    let threads = ThreadSet::new();
    let mut out = vec![0u16; 64 * 4];
    in_pool(4, || {
        par_rows(&mut out, 4, |y, row| {
            let _in_flight = gauge.enter();
            threads.record();
            std::thread::sleep(Duration::from_millis(2));
            row.fill(y as u16);
        })
    })
    .expect("valid input")
    .expect("valid input");
    assert_eq!(
        gauge.total(),
        64,
        "each of the 64 rows must be rendered exactly once"
    );
    let expected: Vec<u16> = (0..64u16).flat_map(|y| [y; 4]).collect();
    assert!(out == expected, "row `y` must be handed to `render` as `y`");
    expect_at_least(
        "rows in flight at once in a pool of 4",
        gauge.most_at_once(),
        2,
    );
    expect_at_least("pool threads that rendered rows", threads.distinct(), 2);
}

#[test]
fn a_slow_row_does_not_hold_up_the_rows_behind_it() {
    // Clock-free, with uneven rows (a Mandelbrot picture has them): on a pool of 2
    // threads, row 0 waits until row 31, the last row of the top half, is rendered (it
    // gives up after a few seconds). Rayon cuts the rows into pieces smaller than one
    // band per thread, and the idle thread steals the pieces behind row 0, row 31
    // among them. One fixed band per thread leaves rows 1 to 31 behind row 0, on its
    // thread: they start only once row 0 gave up.
    const ROWS: usize = 64;
    const LAST_OF_TOP_HALF: usize = ROWS / 2 - 1;
    let done: Vec<AtomicBool> = (0..ROWS).map(|_| AtomicBool::new(false)).collect();
    let seen_by_row_0 = Mutex::new(None);
    let start = Instant::now();
    let mut out = vec![0u16; ROWS * 4];
    in_pool(2, || {
        par_rows(&mut out, 4, |y, row| {
            if y == 0 {
                while !done[LAST_OF_TOP_HALF].load(Ordering::SeqCst)
                    && start.elapsed() < Duration::from_secs(5)
                {
                    std::thread::sleep(Duration::from_micros(100));
                }
                let others = done.iter().filter(|d| d.load(Ordering::SeqCst)).count();
                *seen_by_row_0.lock().unwrap() =
                    Some((done[LAST_OF_TOP_HALF].load(Ordering::SeqCst), others));
            }
            row.fill(y as u16);
            done[y].store(true, Ordering::SeqCst);
        })
    })
    .expect("valid input")
    .expect("valid input");
    let expected: Vec<u16> = (0..ROWS as u16).flat_map(|y| [y; 4]).collect();
    assert!(out == expected, "row `y` must be handed to `render` as `y`");
    let (stolen, others) = seen_by_row_0
        .into_inner()
        .unwrap()
        .expect("row 0 was rendered");
    let what = "rows rendered by the other thread while row 0 was slow";
    let detail = format!(
        "{others} of {}, row {LAST_OF_TOP_HALF} {}",
        ROWS - 1,
        if stolen {
            "among them"
        } else {
            "not among them"
        }
    );
    if stolen {
        report::record(what, Outcome::Passed, &detail);
    } else {
        report::record(what, Outcome::Failed, &detail);
        panic!(
            "on a pool of 2 threads, row 0 of {ROWS} waited for row {LAST_OF_TOP_HALF} to be \
             rendered, and it never was: {others} other rows were rendered meanwhile, and \
             row {LAST_OF_TOP_HALF} waited behind row 0 on the same thread. Let rayon hand \
             out the rows (`out.par_chunks_mut(width)`): it cuts them into pieces smaller \
             than a band per thread, and an idle thread steals the pieces behind a slow row"
        );
    }
}

/// A view whose rendering takes about `target` on one thread here.
fn view_for(target: Duration) -> View {
    let probe = View::classic(800, 60);
    let mut row = vec![0u16; probe.width];
    let start = Instant::now();
    for y in 0..probe.height {
        render_row(&probe, y, &mut row);
    }
    let per_row = start.elapsed().as_secs_f64().max(1e-9) / probe.height as f64;
    let height = ((target.as_secs_f64() / per_row) as usize).clamp(60, 20_000);
    View::classic(800, height)
}

#[test]
fn rendering_speeds_up_with_a_bigger_pool() {
    let cores = test_support::cores();
    let view = view_for(Duration::from_millis(150));
    let mut sequential = vec![0u16; view.width * view.height];
    let mut parallel = vec![0u16; view.width * view.height];
    SpeedupCheck::new("rendering on a pool of one thread per core")
        .pieces(cores)
        .tries(8)
        .run(
            || {
                for (y, row) in sequential.chunks_mut(view.width).enumerate() {
                    render_row(&view, y, row);
                }
            },
            || {
                in_pool(cores, || {
                    par_rows(&mut parallel, view.width, |y, row| {
                        render_row(&view, y, row)
                    })
                })
                .expect("valid input")
                .expect("valid input");
            },
        );
    // Structural twin: on a pool of one thread per core, more than one thread renders.
    let threads = ThreadSet::new();
    let mut out = vec![0u16; view.width * view.height];
    in_pool(cores, || {
        par_rows(&mut out, view.width, |y, row| {
            threads.record();
            render_row(&view, y, row)
        })
    })
    .expect("valid input")
    .expect("valid input");
    assert!(
        out == sequential,
        "the parallel picture differs from the sequential one"
    );
    expect_at_least(
        "pool threads that rendered rows",
        threads.distinct(),
        cores.min(2),
    );
}

//! Tests for 08/01. Run them with `cargo xtask check 08/01`.

use ex08_01_split_by_hand::{
    Image, SplitError, blur, blur_rows, checksum, for_each_band, generate,
};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use test_support::{Gauge, SpeedupCheck, ThreadSet, expect_at_least};

/// Runs `for_each_band` with a `work` that only writes down which band it got.
fn bands_of(rows: usize, width: usize, threads: usize) -> Vec<(usize, usize)> {
    let seen = Mutex::new(Vec::new());
    let mut out = vec![0u8; rows * width];
    for_each_band(&mut out, width, threads, |first_row, band| {
        assert_eq!(band.len() % width, 0, "a band must hold whole rows");
        seen.lock().unwrap().push((first_row, band.len() / width));
    })
    .expect("valid input");
    let mut bands = seen.into_inner().unwrap();
    bands.sort();
    bands
}

#[test]
fn bands_cover_every_row_exactly_once() {
    let mut table = String::from("rows threads  bands (first row..end)\n");
    for (rows, threads) in [(12, 1), (12, 2), (12, 4), (10, 4), (10, 6), (3, 8), (0, 3)] {
        let bands = bands_of(rows, 5, threads);
        let mut next = 0;
        for &(first, len) in &bands {
            assert_eq!(
                first, next,
                "{rows} rows on {threads} threads: bands {bands:?} must follow each other \
                 without gap or overlap (a band starts at row {first}, expected {next})"
            );
            assert!(len > 0, "{rows} rows on {threads} threads: an empty band");
            assert!(
                len <= rows.div_ceil(threads),
                "{rows} rows on {threads} threads: a band of {len} rows is more than \
                 rows.div_ceil(threads) = {}",
                rows.div_ceil(threads)
            );
            next += len;
        }
        assert_eq!(
            next, rows,
            "{rows} rows: the bands {bands:?} must cover every row"
        );
        assert!(bands.len() <= threads, "more bands than threads: {bands:?}");
        let shown: Vec<String> = bands
            .iter()
            .map(|(first, len)| format!("{first}..{}", first + len))
            .collect();
        table += &format!("{rows:>4} {threads:>7}  {}\n", shown.join(" "));
    }
    // As many threads as asked for, even more than this machine has cores: the
    // caller decides, and every band has `rows.div_ceil(threads)` rows.
    let bands = bands_of(64, 2, 64);
    assert_eq!(
        bands.len(),
        64,
        "64 rows on 64 threads must make 64 bands of 1 row, whatever the number of cores, \
         but made {} bands: use the `threads` you were given",
        bands.len()
    );
    insta::assert_snapshot!(table);
}

#[test]
fn bands_run_at_the_same_time_on_threads_of_their_own() {
    // Clock-free: the bands sleep, so on any machine they are in flight together if
    // and only if they were started together.
    let gauge = Gauge::new();
    let threads = ThreadSet::new();
    let mut out = vec![0u8; 8 * 3];
    for_each_band(&mut out, 3, 4, |_, _| {
        let _in_flight = gauge.enter();
        threads.record();
        std::thread::sleep(Duration::from_millis(40));
    })
    .expect("valid input");
    assert_eq!(
        gauge.total(),
        4,
        "8 rows on 4 threads make 4 bands of 2 rows"
    );
    expect_at_least("bands in flight at once", gauge.most_at_once(), 4);
    expect_at_least("distinct threads for 4 bands", threads.distinct(), 4);
    assert!(
        !threads.contains_current(),
        "a band ran on the thread that called `for_each_band`: each band gets a scoped \
         thread of its own, and the caller only waits for them"
    );
}

#[test]
fn the_blur_is_the_same_on_any_number_of_threads() {
    // Odd sizes on purpose, so that the last band is shorter than the others.
    let image = generate(97, 61, 8);
    let mut expected = vec![0u8; image.pixels.len()];
    blur_rows(&image, 0, &mut expected);
    let mut table = String::from("threads  checksum of the blurred 97x61 image\n");
    for threads in [1, 2, 3, 4, 7, 61, 100] {
        let blurred = blur(&image, threads).expect("valid input");
        assert!(
            blurred.pixels == expected,
            "blurring on {threads} threads changed the picture: each band must be \
             blurred from its own `first_row`"
        );
        table += &format!("{threads:>7}  {:016x}\n", checksum(&blurred.pixels));
    }
    insta::assert_snapshot!(table);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut table = String::new();
    let cases: [(&str, usize, usize, usize); 5] = [
        ("no threads", 12, 3, 0),
        ("zero width", 12, 0, 2),
        ("ragged rows", 10, 3, 2),
        // No rows is no work, but only once the input is known to be good.
        ("no threads, no rows", 0, 3, 0),
        ("zero width, no rows", 0, 0, 2),
    ];
    for (name, len, width, threads) in cases {
        let mut out = vec![0u8; len];
        let result = for_each_band(&mut out, width, threads, |_, _| {
            panic!("`work` must not be called on bad input")
        });
        let err: SplitError = match result {
            Err(e) => e,
            Ok(()) => panic!(
                "`for_each_band` on {len} pixels of width {width} with {threads} threads \
                 returned Ok, but that is bad input ({name}): check the input before \
                 anything else, even when there are no rows"
            ),
        };
        table += &format!("{name}: {err}\n");
    }
    insta::assert_snapshot!(table);
}

/// An image whose blur takes about `target` on one thread here.
fn image_for(target: Duration) -> Image {
    let probe = generate(1024, 32, 1);
    let mut out = vec![0u8; probe.pixels.len()];
    let start = Instant::now();
    blur_rows(&probe, 0, &mut out);
    let per_row = start.elapsed().as_secs_f64().max(1e-9) / 32.0;
    let rows = ((target.as_secs_f64() / per_row) as usize).clamp(64, 16_384);
    generate(1024, rows, 1)
}

#[test]
fn blurring_speeds_up_with_cores() {
    let cores = test_support::cores();
    let image = image_for(Duration::from_millis(150));
    let mut seq_out = vec![0u8; image.pixels.len()];
    let mut par_out = vec![0u8; image.pixels.len()];
    SpeedupCheck::new("blurring an image in bands")
        .pieces(cores)
        .tries(8)
        .run(
            || blur_rows(&image, 0, &mut seq_out),
            || {
                for_each_band(&mut par_out, image.width, cores, |first_row, band| {
                    blur_rows(&image, first_row, band)
                })
                .expect("valid input");
            },
        );
    assert!(
        par_out == seq_out,
        "the parallel blur differs from the sequential one"
    );
    // Whatever the clock said: one thread per band, as many bands as cores.
    let threads = ThreadSet::new();
    for_each_band(&mut par_out, image.width, cores, |first_row, band| {
        threads.record();
        blur_rows(&image, first_row, band)
    })
    .expect("valid input");
    expect_at_least(
        "distinct threads that blurred a band",
        threads.distinct(),
        cores.min(image.height),
    );
}

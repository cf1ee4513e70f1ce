//! Tests for 10/01. Run them with `cargo xtask check 10/01`.

use ex10_01_fold_and_reduce::{
    BUCKETS, HistError, generate, histogram_parallel, histogram_sequential, word_bucket,
};
use std::time::{Duration, Instant};
use test_support::{SpeedupCheck, ThreadSet, expect_at_least};

fn in_pool<R: Send>(threads: usize, job: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a pool")
        .install(job)
}

#[test]
fn the_histogram_is_the_sequential_one_on_any_pool() {
    let text = generate(50_000, 10);
    let words: Vec<&str> = text.split(' ').collect();
    let expected = histogram_sequential(&words, BUCKETS, word_bucket).expect("valid input");
    assert_eq!(
        histogram_parallel(&words, BUCKETS, word_bucket).as_ref(),
        Ok(&expected),
        "the parallel histogram differs from the sequential one"
    );
    for threads in [1, 2, 3, 8] {
        let got = in_pool(threads, || histogram_parallel(&words, BUCKETS, word_bucket));
        assert_eq!(
            got.as_ref(),
            Ok(&expected),
            "on a pool of {threads} threads the histogram differs from the sequential one: \
             every word must be counted exactly once"
        );
    }
    let mut table = String::from("bucket   words\n");
    for (bucket, n) in expected.iter().enumerate() {
        table += &format!("{bucket:>6} {n:>7}\n");
    }
    table += &format!(" total {:>7}\n", expected.iter().sum::<u64>());
    insta::assert_snapshot!(table);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let words = ["ka", "to", "oops", "ri"];
    let mut table = String::new();
    let none = histogram_parallel(&words, 0, |_| 0).expect_err("0 buckets");
    table += &format!("0 buckets: {none}\n");
    let bad = histogram_parallel(&words, 3, |w| if w == "oops" { 7 } else { 1 })
        .expect_err("a word in bucket 7 of 3");
    assert!(
        matches!(&bad, HistError::BucketOutOfRange { word, .. } if word == "oops"),
        "expected the word \"oops\" to be reported, got {bad:?}"
    );
    table += &format!("bucket 7 of 3: {bad}\n");
    assert_eq!(
        histogram_parallel(&[], 3, |_| 0),
        Ok(vec![0, 0, 0]),
        "no words make an empty histogram, not an error"
    );
    insta::assert_snapshot!(table);
}

#[test]
fn several_threads_count_words() {
    // Clock-free: which threads ran the per-word work.
    let text = generate(2_000, 3);
    let words: Vec<&str> = text.split(' ').collect();
    let threads = ThreadSet::new();
    histogram_parallel(&words, BUCKETS, word_bucket).expect("valid input"); // on this thread
    let histogram = in_pool(4, || {
        histogram_parallel(&words, BUCKETS, |w| {
            threads.record();
            // A pause, so that the other threads surely wake up and take words too.
            std::thread::sleep(Duration::from_micros(20));
            word_bucket(w)
        })
    })
    .expect("valid input");
    assert_eq!(histogram.iter().sum::<u64>(), words.len() as u64);
    expect_at_least(
        "threads of a 4-thread pool that counted words",
        threads.distinct(),
        2,
    );
}

/// A corpus whose histogram takes about `target` on one thread here.
fn corpus_for(target: Duration) -> String {
    let probe = generate(100_000, 5);
    let words: Vec<&str> = probe.split(' ').collect();
    let start = Instant::now();
    histogram_sequential(&words, BUCKETS, word_bucket).expect("valid input");
    let per_word = start.elapsed().as_secs_f64().max(1e-9) / words.len() as f64;
    generate(
        ((target.as_secs_f64() / per_word) as usize).clamp(100_000, 20_000_000),
        5,
    )
}

#[test]
fn the_histogram_speeds_up_with_cores() {
    let text = corpus_for(Duration::from_millis(150));
    let words: Vec<&str> = text.split(' ').collect();
    let (mut seq, mut par) = (Vec::new(), Vec::new());
    SpeedupCheck::new("counting words into per-task histograms")
        .pieces(test_support::cores())
        .tries(8)
        .run(
            || seq = histogram_sequential(&words, BUCKETS, word_bucket).expect("valid input"),
            || par = histogram_parallel(&words, BUCKETS, word_bucket).expect("valid input"),
        );
    assert_eq!(
        par, seq,
        "the parallel histogram differs from the sequential one"
    );
}

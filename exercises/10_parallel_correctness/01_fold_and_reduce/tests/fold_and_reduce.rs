//! Tests for 10/01. Run them with `cargo xtask check 10/01`.

use ex10_01_fold_and_reduce::{
    BUCKETS, CHUNK, HistError, generate, histogram_parallel, histogram_sequential, word_bucket,
};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use test_support::pools::{OutsideThePool, in_pool};
use test_support::{Gauge, Outcome, SpeedupCheck, ThreadSet, expect_at_least, report};

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
        "no words make a histogram of 3 empty buckets (not an error, and not a histogram \
         without buckets: both closures that start a histogram start it with `buckets` zeros)"
    );
    assert_eq!(
        histogram_parallel(&[], 0, |_| 0),
        Err(HistError::NoBuckets),
        "0 buckets is an error even with no words to count: check `buckets` first"
    );
    insta::assert_snapshot!(table);
}

#[test]
fn several_threads_count_words_at_the_same_time() {
    // Clock-free: which threads ran the per-word work, and how many words were in
    // flight at once. The first word waits until another thread is counting a word
    // too (a few seconds at most): per-task histograms let the others go on, one
    // lock held around the per-word work does not.
    let text = generate(2_000, 3);
    let words: Vec<&str> = text.split(' ').collect();
    let threads = ThreadSet::new();
    let outside = OutsideThePool::default();
    let at_once = Gauge::new();
    let gave_up = AtomicBool::new(false);
    let start = Instant::now();
    histogram_parallel(&words, BUCKETS, word_bucket).expect("valid input"); // on this thread
    let histogram = in_pool(4, || {
        histogram_parallel(&words, BUCKETS, |w| {
            let _in_flight = at_once.enter();
            threads.record();
            outside.record();
            while at_once.most_at_once() < 2 && !gave_up.load(Ordering::SeqCst) {
                if start.elapsed() > Duration::from_secs(5) {
                    gave_up.store(true, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_micros(100));
            }
            // A pause, so that the other threads surely wake up and take words too.
            std::thread::sleep(Duration::from_micros(20));
            word_bucket(w)
        })
    })
    .expect("valid input");
    assert_eq!(histogram.iter().sum::<u64>(), words.len() as u64);
    outside.expect_none(words.len(), "words");
    expect_at_least(
        "threads of a 4-thread pool that counted words",
        threads.distinct(),
        2,
    );
    let what = "words counted at once in a 4-thread pool";
    let most = at_once.most_at_once();
    let detail = format!("{most}, needed at least 2");
    if most >= 2 {
        report::record_figure(what, Outcome::Passed, &detail, most as f64, 2.0);
    } else {
        report::record_figure(what, Outcome::Failed, &detail, most as f64, 2.0);
        panic!(
            "the first word waited for another thread to count a word at the same time, \
             and none did: the per-word work (`bucket_of`) ran one word at a time. Is a \
             lock held while `bucket_of` runs? Give each rayon task a histogram of its \
             own (`try_fold`) and share nothing"
        );
    }
}

#[test]
fn each_task_counts_whole_chunks_of_words() {
    // Clock-free: which words each thread counted, in the order it counted them.
    // Folding chunks (`par_chunks(CHUNK)`), a thread counts the words of a chunk one
    // after another, so every run of neighbouring words it counts starts at a multiple
    // of CHUNK. Folding single words (`par_iter`), rayon cuts the slice in halves
    // wherever they fall: 10,007 words split at word 5,003, and the thread that steals
    // that half starts in the middle of a chunk. The first word waits until a second
    // thread counts a word too (a few seconds at most), so that a steal surely happens.
    let text = generate(12_000, 11);
    let all: Vec<&str> = text.split(' ').collect();
    let words = &all[..10_007];
    let index_of: HashMap<usize, usize> = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.as_ptr() as usize, i))
        .collect();
    let counted: Mutex<Vec<(std::thread::ThreadId, usize)>> = Mutex::new(Vec::new());
    let at_once = Gauge::new();
    let gave_up = AtomicBool::new(false);
    let start = Instant::now();
    let histogram = in_pool(4, || {
        histogram_parallel(words, BUCKETS, |w| {
            let _in_flight = at_once.enter();
            if let Some(&i) = index_of.get(&(w.as_ptr() as usize)) {
                counted
                    .lock()
                    .unwrap()
                    .push((std::thread::current().id(), i));
            }
            while at_once.most_at_once() < 2 && !gave_up.load(Ordering::SeqCst) {
                if start.elapsed() > Duration::from_secs(5) {
                    gave_up.store(true, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_micros(100));
            }
            word_bucket(w)
        })
    })
    .expect("valid input");
    assert_eq!(histogram.iter().sum::<u64>(), words.len() as u64);
    // Where each run of neighbouring words on one thread starts.
    let mut last: HashMap<std::thread::ThreadId, usize> = HashMap::new();
    let mut starts = Vec::new();
    for (thread, i) in counted.into_inner().unwrap() {
        if last
            .insert(thread, i)
            .is_none_or(|previous| previous + 1 != i)
        {
            starts.push(i);
        }
    }
    if let Some(&bad) = starts.iter().find(|&&i| i % CHUNK != 0) {
        panic!(
            "a thread started counting at word {bad}, which is not the first word of a \
             chunk of CHUNK = {CHUNK} words (runs started at words {:?}): the words were \
             handed out one at a time (`par_iter` over the words), and rayon cut the \
             slice between two words of a chunk. \
             Fold chunks, not items, when an item is cheap: `words.par_chunks(CHUNK)` \
             and a plain `for` loop over each chunk inside `try_fold`",
            &starts[..starts.len().min(8)]
        );
    }
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

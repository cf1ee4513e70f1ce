//! Tests for 02/02. Run them with `cargo xtask check 02/02`.

use ex02_02_scoped_chunks::{ChunkError, chunk_ranges, map_chunks};
use std::time::Duration;

use test_support::{Gauge, SpeedupCheck, ThreadSet, expect_at_least, expect_at_most, kernel, spin};

#[test]
fn chunk_ranges_table() {
    // Pure arithmetic: deterministic, so the expected answers live in a snapshot.
    let mut table = String::from("items parts  chunks\n");
    for (len, parts) in [
        (10, 1),
        (10, 2),
        (10, 3),
        (10, 4),
        (7, 7),
        (5, 2),
        (0, 1),
        (3, 4),
        (0, 2),
        (4, 0),
    ] {
        let chunks = match chunk_ranges(len, parts) {
            Ok(ranges) => format!("{ranges:?}"),
            Err(e) => format!("error: {e}"),
        };
        table += &format!("{len:>5} {parts:>5}  {chunks}\n");
    }
    insta::assert_snapshot!(table);
}

#[test]
fn bad_splits_are_errors_not_panics() {
    assert_eq!(
        map_chunks(&[1, 2, 3], 0, |c| c.len()),
        Err(ChunkError::ZeroParts)
    );
    assert_eq!(
        map_chunks(&[1, 2, 3], 4, |c| c.len()),
        Err(ChunkError::TooManyParts { parts: 4, items: 3 }),
        "4 parts of 3 items would leave a chunk empty: that is an error"
    );
}

#[test]
fn chunks_of_borrowed_data_come_back_in_order() {
    let data: Vec<u64> = (1..=10).collect();
    let sums = map_chunks(&data, 3, |chunk| chunk.iter().sum::<u64>()).expect("3 parts of 10");
    assert_eq!(
        sums,
        vec![1 + 2 + 3 + 4, 5 + 6 + 7, 8 + 9 + 10],
        "the sums of the chunks 0..4, 4..7 and 7..10, in chunk order"
    );
    // `data` was only borrowed: it is still here.
    assert_eq!(data.len(), 10);
    let empty: [u64; 0] = [];
    assert_eq!(
        map_chunks(&empty, 1, |chunk| chunk.len()),
        Ok(vec![0]),
        "an empty slice in one part is one empty chunk"
    );
}

#[test]
fn results_follow_the_chunks_not_the_order_they_finish() {
    // Deterministic order of finishing, the reverse of the chunks': the call on chunk
    // i ends only after the calls on every chunk above it have ended, and then 20 ms
    // later, so that whatever its thread does with the result happens in that order
    // too. Results collected as they come in would come out [3, 2, 1, 0].
    use std::sync::{Condvar, Mutex};
    const PARTS: usize = 4;
    let data: Vec<usize> = (0..PARTS).collect();
    let turn = (Mutex::new(0usize), Condvar::new());
    // A deadline, so that an answer that runs the chunks one at a time still ends.
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    let results = map_chunks(&data, PARTS, |chunk| {
        let i = chunk[0];
        let (ended, wake) = &turn;
        let mut ended_now = ended.lock().unwrap();
        while *ended_now < PARTS - 1 - i {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            ended_now = wake.wait_timeout(ended_now, left).unwrap().0;
        }
        drop(ended_now);
        std::thread::sleep(Duration::from_millis(20));
        *ended.lock().unwrap() += 1;
        wake.notify_all();
        i
    })
    .expect("4 parts of 4");
    assert_eq!(
        results,
        vec![0, 1, 2, 3],
        "the calls ended in the order of chunks 3, 2, 1, 0, and `map_chunks` returned their \
         results as {results:?}: results must be in chunk order (chunk i's result at index \
         i), whichever call finished first; join the handles in order"
    );
}

#[test]
fn every_chunk_gets_a_scoped_thread_of_its_own() {
    let data: Vec<u32> = (0..40).collect();
    let threads = ThreadSet::new();
    let gauge = Gauge::new();
    map_chunks(&data, 4, |chunk| {
        threads.record();
        let _in_flight = gauge.enter();
        std::thread::sleep(Duration::from_millis(30));
        chunk.len()
    })
    .expect("4 parts of 40");
    // One scoped thread per chunk: not fewer (a chunk without a thread of its own) ...
    expect_at_least(
        "distinct threads that ran the 4 chunks (each chunk needs its own)",
        threads.distinct(),
        4,
    );
    // ... and not more (a chunk split further, or a thread per item).
    expect_at_most(
        "distinct threads that ran the 4 chunks (one per chunk, no more)",
        threads.distinct(),
        4,
    );
    assert!(
        !threads.contains_current(),
        "a chunk ran on the test's own thread: spawn a scoped thread for every chunk"
    );
    expect_at_least("chunks in flight at once", gauge.most_at_once(), 4);
}

#[test]
fn chunks_compute_in_parallel() {
    // 32 items of about 6 ms of CPU each: about 200 ms on one thread.
    let steps = kernel::steps_for(Duration::from_millis(6));
    let data = vec![steps; 32];
    let parts = test_support::cores().clamp(2, 8);
    let work = |chunk: &[u64]| chunk.iter().map(|&s| spin(s)).fold(0, u64::wrapping_add);
    // The distinct threads of each run of `map_chunks`, counted run by run.
    let mut per_run = Vec::new();
    SpeedupCheck::new(format!("{parts} chunks on scoped threads"))
        .pieces(parts)
        .run(
            || {
                work(&data);
            },
            || {
                let threads = ThreadSet::new();
                map_chunks(&data, parts, |chunk| {
                    threads.record();
                    work(chunk)
                })
                .expect("the split is valid");
                per_run.push(threads.distinct());
            },
        );
    let runs = per_run.len();
    expect_at_least(
        &format!(
            "distinct threads that computed the {parts} chunks (the fewest in one run, of {runs})"
        ),
        per_run.into_iter().min().unwrap_or(0),
        parts,
    );
}

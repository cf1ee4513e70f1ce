//! # 10/01 Fold and reduce: a histogram that every thread builds alone
//!
//! Counting in parallel gives exactly the sequential answer, whatever the order,
//! because adding counts is associative and commutative. How you combine the counts
//! decides the speed: one shared histogram behind a `Mutex` makes every word queue
//! for the lock; rayon's `fold` gives each task a histogram of its own, and `reduce`
//! adds those up at the end.
//!
//! Book: `book/src/ch10-parallel-correctness/three-ways.md`

use rayon::prelude::*;
use std::fmt;
use std::sync::Mutex;

mod corpus;
pub use corpus::{BUCKETS, generate, word_bucket};

/// How many words one step of the fold takes: a chunk is counted in a tight loop,
/// so the fold's own bookkeeping is paid once per chunk, not once per word.
pub const CHUNK: usize = 256;

/// Why a histogram could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistError {
    /// A histogram needs at least one bucket.
    NoBuckets,
    /// `bucket_of` put a word in a bucket that does not exist.
    BucketOutOfRange {
        word: String,
        bucket: usize,
        buckets: usize,
    },
}

impl fmt::Display for HistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistError::NoBuckets => write!(f, "a histogram needs at least 1 bucket"),
            HistError::BucketOutOfRange {
                word,
                bucket,
                buckets,
            } => write!(
                f,
                "the word {word:?} went to bucket {bucket}, but there are only {buckets} \
                 buckets (0 to {})",
                buckets - 1
            ),
        }
    }
}

impl std::error::Error for HistError {}

/// Adds one word to `histogram`, or says why it cannot.
fn count(histogram: &mut [u64], word: &str, bucket: usize) -> Result<(), HistError> {
    match histogram.get_mut(bucket) {
        Some(slot) => {
            *slot += 1;
            Ok(())
        }
        None => Err(HistError::BucketOutOfRange {
            word: word.to_string(),
            bucket,
            buckets: histogram.len(),
        }),
    }
}

/// Given: the sequential histogram, one word after the other.
pub fn histogram_sequential<F>(
    words: &[&str],
    buckets: usize,
    bucket_of: F,
) -> Result<Vec<u64>, HistError>
where
    F: Fn(&str) -> usize,
{
    if buckets == 0 {
        return Err(HistError::NoBuckets);
    }
    let mut histogram = vec![0; buckets];
    for word in words {
        count(&mut histogram, word, bucket_of(word))?;
    }
    Ok(histogram)
}

/// Given: parallel and correct, but every word takes the one lock. Slower than the
/// sequential version on two cores.
pub fn histogram_locked<F>(
    words: &[&str],
    buckets: usize,
    bucket_of: F,
) -> Result<Vec<u64>, HistError>
where
    F: Fn(&str) -> usize + Sync,
{
    if buckets == 0 {
        return Err(HistError::NoBuckets);
    }
    let shared = Mutex::new(vec![0; buckets]);
    words.par_iter().try_for_each(|word| {
        let bucket = bucket_of(word);
        count(&mut shared.lock().unwrap(), word, bucket)
    })?;
    Ok(shared.into_inner().unwrap())
}

/// The same histogram as `histogram_sequential`, built in parallel without any
/// shared state: each rayon task counts into a histogram of its own
/// (`try_fold`), and the partial histograms are added up bucket by bucket
/// (`try_reduce`). It runs on the rayon pool it is called in (the global one, or the
/// one a caller `install`ed), never on a pool or threads of its own.
///
/// Errors: `buckets == 0`, or a word that `bucket_of` puts in a bucket
/// `>= buckets` (if several words do, any one of them may be reported).
pub fn histogram_parallel<F>(
    words: &[&str],
    buckets: usize,
    bucket_of: F,
) -> Result<Vec<u64>, HistError>
where
    F: Fn(&str) -> usize + Sync,
{
    // TODO: check `buckets`, then
    //   words.par_chunks(CHUNK)
    //       .try_fold(|| vec![0; buckets], |mut h, chunk| { count each word(..)?; Ok(h) })
    //       .try_reduce(|| vec![0; buckets], |mut a, b| { add b into a; Ok(a) })
    // `count` above does the bounds check for you.
    let _ = (words, buckets, bucket_of);
    todo!("fold into per-task histograms, then reduce them into one")
}

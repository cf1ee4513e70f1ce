//! # 13/02 Log crunch: each stage where the flowchart sends it
//!
//! One small program, three stages, and the flowchart asked once per stage:
//!
//! 1. **Arrive.** Each log file comes from a slow [`Collector`] (tens of ms of
//!    waiting, an async API, next to no computing): *tokio tasks*, at most
//!    [`Collector::max_in_flight`] fetches at once.
//! 2. **Parse.** Checking a file's seals keeps a core busy for milliseconds, far
//!    more than 100 µs between two awaits: *rayon*, handed over with a oneshot
//!    channel so that the runtime's thread stays free for the arrivals.
//! 3. **Merge.** Adding up a file's counts takes microseconds (less than 1 ms in
//!    all): *sequential*, as the results come back. They come back in the order
//!    the files arrive, not in the order of the names, so the merge must give the
//!    same tally in any order.
//!
//! Given code, in modules you do not need to change: [`collector`] (the slow
//! source, and the probes the tests read), [`log`] (the format and the parser),
//! [`report`] (the report and its table) and [`one_by_one`] (the program as it
//! runs today, one file after the other).
//!
//! Book: `book/src/ch13-choosing/exercises.md`

pub mod collector;
pub mod log;
pub mod one_by_one;
pub mod report;

pub use collector::{Collector, FetchError, LogFile};
pub use log::ParseError;
pub use report::{FileError, Report, ServiceCounts, Tally};

use std::sync::Arc;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

impl Tally {
    /// Adds `other`'s counts to these: for each service, the counts of each level
    /// add up, and `latest` is the later of the two times.
    ///
    /// Files are merged in the order they arrive, which changes from run to run:
    /// the result must not depend on it (merging `a` then `b` gives the same tally
    /// as `b` then `a`).
    pub fn merge(&mut self, other: Tally) {
        for (service, theirs) in other.services {
            let ours = self.services.entry(service).or_default();
            for (n, m) in ours.by_level.iter_mut().zip(theirs.by_level) {
                *n += m;
            }
            // The later time, whichever file came first: never "the last merged".
            if theirs.latest > ours.latest {
                ours.latest = theirs.latest;
            }
        }
    }
}

/// Fetches every file of `names` from `collector`, parses it and merges its counts
/// into one [`Report`]: the same report as
/// [`one_by_one::crunch_one_by_one`], in a fraction of the time.
///
/// * The waits overlap: one tokio task per file, never more than
///   `collector.max_in_flight()` fetches at once. A fetch that ends frees its place
///   for the next file at once: a slow file holds up no file behind it.
/// * Each parse runs on rayon's pool, never on the runtime's thread.
/// * A file that fails (missing, malformed) is in `errors`, in the order of
///   `names`; every other file is still counted.
pub fn crunch(collector: &Collector, names: &[String]) -> Report {
    // Waits only need one thread: a current-thread runtime, built for this call.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(crunch_async(collector, names))
}

async fn crunch_async(collector: &Collector, names: &[String]) -> Report {
    let permits = Arc::new(Semaphore::new(collector.max_in_flight()));
    let mut tasks = JoinSet::new();
    for (index, name) in names.iter().enumerate() {
        let (collector, name) = (collector.clone(), name.clone());
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let fetched = {
                let _permit = permits.acquire().await.expect("never closed");
                collector.fetch(&name).await
            }; // the permit goes back here: the next fetch starts while this parses
            let result = match fetched {
                Err(error) => Err(FileError::Fetch { name, error }),
                Ok(file) => parse_on_rayon(file)
                    .await
                    .map_err(|error| FileError::Parse { name, error }),
            };
            (index, result)
        });
    }
    let mut report = Report::default();
    let mut errors = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (index, result) = done.expect("a file's task never panics");
        match result {
            Ok(tally) => {
                report.tally.merge(tally);
                report.counted += 1;
            }
            Err(error) => errors.push((index, error)),
        }
    }
    // They failed in the order they arrived; the report lists them by name order.
    errors.sort_by_key(|&(index, _)| index);
    report.errors = errors.into_iter().map(|(_, error)| error).collect();
    report
}

/// Parses `file` on rayon's pool and awaits the result without blocking the
/// runtime. [`LogFile::parse`] never panics (a malformed file is an `Err`), so the
/// closure always sends; code that could panic would need `catch_unwind` inside it
/// (exercise 12/01).
async fn parse_on_rayon(file: LogFile) -> Result<Tally, ParseError> {
    let (send, receive) = oneshot::channel();
    rayon::spawn(move || {
        let _ = send.send(file.parse()); // the receiver may have given up
    });
    receive.await.expect("the parse always sends")
}

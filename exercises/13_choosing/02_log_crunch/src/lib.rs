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

impl Tally {
    /// Adds `other`'s counts to these: for each service, the counts of each level
    /// add up, and `latest` is the later of the two times.
    ///
    /// Files are merged in the order they arrive, which changes from run to run:
    /// the result must not depend on it (merging `a` then `b` gives the same tally
    /// as `b` then `a`).
    pub fn merge(&mut self, other: Tally) {
        // TODO: for each service of `other`, add its counts level by level into
        // `self.services.entry(service).or_default()`, and keep the later `latest`
        // (times of this form compare as text). Not "the one merged last": the
        // one-by-one program met the files in name order, yours will not.
        let _ = other;
        todo!("merge the counts, the same in any order")
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
    // TODO: ask the flowchart once per stage, then wire the answers together.
    // Arrivals: a tokio runtime (built here; one thread is enough), a task per
    // file, a `tokio::sync::Semaphore` of `collector.max_in_flight()` permits held
    // only while `collector.fetch(&name).await` waits. Parsing: `file.parse()`
    // inside `rayon::spawn`, its result sent back through a
    // `tokio::sync::oneshot` channel that the task awaits. Merging: as the tasks
    // finish (`JoinSet::join_next`), with `Tally::merge`; keep each failure with
    // its name's index and sort them at the end.
    let _ = (collector, names);
    todo!("arrivals on tokio, parsing on rayon, merging as the results come back")
}

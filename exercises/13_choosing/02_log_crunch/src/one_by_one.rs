//! Given code (you do not need to change it): the program as it runs today, one
//! file after the other on one thread. It gives the right report, slowly: every
//! wait and every parse adds up. The tests time your [`crate::crunch`] against it.

use crate::collector::Collector;
use crate::report::{FileError, Report};

/// Fetches each file through the blocking client, parses it, merges its counts
/// ([`crate::report::Tally::merge`], yours), one file after the other.
pub fn crunch_one_by_one(collector: &Collector, names: &[String]) -> Report {
    let mut report = Report::default();
    for name in names {
        let file = match collector.fetch_blocking(name) {
            Ok(file) => file,
            Err(error) => {
                let name = name.clone();
                report.errors.push(FileError::Fetch { name, error });
                continue;
            }
        };
        match file.parse() {
            Ok(tally) => {
                report.tally.merge(tally);
                report.counted += 1;
            }
            Err(error) => {
                let name = name.clone();
                report.errors.push(FileError::Parse { name, error });
            }
        }
    }
    report
}

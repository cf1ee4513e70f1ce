//! Given code (you do not need to change it): what the program produces, and the
//! table it prints. [`Tally::merge`] is yours, in `lib.rs`.

use crate::collector::FetchError;
use crate::log::{LEVELS, ParseError};
use std::collections::BTreeMap;
use std::fmt;

/// One service's lines: how many of each level, and the latest time seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceCounts {
    /// Lines per level, in the order of [`LEVELS`]: INFO, WARN, ERROR.
    pub by_level: [u64; 3],
    /// The latest time of a line, e.g. `2026-11-29T03:14:15Z` (times of this fixed
    /// form sort as text); empty before the first line.
    pub latest: String,
}

/// The counts of one file, or of many files merged ([`Tally::merge`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// By service name, in name order.
    pub services: BTreeMap<String, ServiceCounts>,
}

/// Why one file counts for nothing. The other files are not affected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    /// The collector could not deliver it.
    Fetch { name: String, error: FetchError },
    /// It arrived, but a line is malformed.
    Parse { name: String, error: ParseError },
}

impl FileError {
    /// The name of the file that failed.
    pub fn name(&self) -> &str {
        match self {
            FileError::Fetch { name, .. } | FileError::Parse { name, .. } => name,
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Fetch { name, error } => write!(f, "{name}: cannot fetch it: {error}"),
            FileError::Parse { name, error } => write!(f, "{name}: malformed, {error}"),
        }
    }
}

impl std::error::Error for FileError {}

/// What the whole program produces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Every file that parsed, merged.
    pub tally: Tally,
    /// How many files parsed (and are in `tally`).
    pub counted: usize,
    /// The files that failed, **in the order of the names** the program was given.
    pub errors: Vec<FileError>,
}

impl fmt::Display for Report {
    /// The report table: one row per service, a total, then the files that failed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<12} {:>7} {:>7} {:>7}  latest",
            "service", LEVELS[0], LEVELS[1], LEVELS[2]
        )?;
        let mut total = [0u64; 3];
        for (service, counts) in &self.tally.services {
            let [info, warn, error] = counts.by_level;
            writeln!(
                f,
                "{service:<12} {info:>7} {warn:>7} {error:>7}  {}",
                counts.latest
            )?;
            for (t, n) in total.iter_mut().zip(counts.by_level) {
                *t += n;
            }
        }
        let [info, warn, error] = total;
        writeln!(f, "{:<12} {info:>7} {warn:>7} {error:>7}", "(all)")?;
        writeln!(
            f,
            "{} files counted, {} failed",
            self.counted,
            self.errors.len()
        )?;
        for e in &self.errors {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

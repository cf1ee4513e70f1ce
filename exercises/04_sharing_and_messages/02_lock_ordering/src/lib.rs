//! # 04/02 Two stations at once: a deadlock, fixed by lock ordering
//!
//! Some dishes need two stations of the kitchen at the same time (the stove and the
//! board, say), each behind a `Mutex`. A cook who takes the stove and then waits for
//! the board, while another cook holds the board and waits for the stove, waits
//! forever: a **deadlock**. The cure is a rule every cook follows: always take the
//! lower-numbered station first. Then no cycle of waiting can form.
//!
//! Book: `book/src/ch04-sharing-and-messages/deadlock.md`

use std::fmt;
use std::sync::{Mutex, MutexGuard, TryLockError};

/// One station of the kitchen and how often it was used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Station {
    pub name: String,
    pub uses: u64,
}

/// Why two stations could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StationError {
    /// There is no station with that number.
    NoSuchStation { index: usize, stations: usize },
    /// Both numbers name the same station: locking it twice would deadlock at once.
    SameStation(usize),
}

impl fmt::Display for StationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StationError::NoSuchStation { index, stations } => write!(
                f,
                "there is no station {index}: the kitchen has stations 0 to {}",
                stations.saturating_sub(1)
            ),
            StationError::SameStation(i) => {
                write!(
                    f,
                    "station {i} was asked for twice: a dish needs two different stations"
                )
            }
        }
    }
}

impl std::error::Error for StationError {}

/// A kitchen of numbered stations, each behind a lock of its own.
#[derive(Debug)]
pub struct Kitchen {
    stations: Vec<Mutex<Station>>,
}

fn lock(station: &Mutex<Station>) -> MutexGuard<'_, Station> {
    station
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Kitchen {
    /// Given: a kitchen with one station per name, numbered from 0, none used yet.
    pub fn new(names: &[&str]) -> Kitchen {
        Kitchen {
            stations: names
                .iter()
                .map(|name| {
                    Mutex::new(Station {
                        name: name.to_string(),
                        uses: 0,
                    })
                })
                .collect(),
        }
    }

    /// Given: a copy of every station, in order.
    pub fn stations(&self) -> Vec<Station> {
        self.stations.iter().map(|s| lock(s).clone()).collect()
    }

    /// Given: whether some cook holds station `index` at this moment (the tests use
    /// it to watch the order in which stations are taken).
    pub fn is_in_use(&self, index: usize) -> Result<bool, StationError> {
        let station = self
            .stations
            .get(index)
            .ok_or(StationError::NoSuchStation {
                index,
                stations: self.stations.len(),
            })?;
        Ok(matches!(station.try_lock(), Err(TryLockError::WouldBlock)))
    }

    /// Holds stations `a` and `b` at the same time, counts one use of each, and runs
    /// `work` while holding both; returns what `work` returned.
    ///
    /// Any number of threads may call this at once, with the stations in any order:
    /// it must never deadlock. The kitchen's rule makes sure of that: the
    /// lower-numbered station is always taken first, whichever is named first. Uses of two *disjoint* pairs of stations must be able
    /// to run at the same time (one lock per station, not one for the kitchen).
    ///
    /// A station number out of range is [`StationError::NoSuchStation`], the same
    /// number twice is [`StationError::SameStation`]; nothing is locked then.
    pub fn use_two<R>(
        &self,
        a: usize,
        b: usize,
        work: impl FnOnce() -> R,
    ) -> Result<R, StationError> {
        for index in [a, b] {
            if index >= self.stations.len() {
                return Err(StationError::NoSuchStation {
                    index,
                    stations: self.stations.len(),
                });
            }
        }
        if a == b {
            return Err(StationError::SameStation(a));
        }
        // TODO: this takes station `a`, then station `b`. When one cook calls
        // `use_two(0, 1, ..)` while another calls `use_two(1, 0, ..)`, each can end up
        // holding one station and waiting forever for the other: run the tests and
        // see. Fix it with one rule: always lock the lower-numbered station first.
        let mut first = lock(&self.stations[a]);
        let mut second = lock(&self.stations[b]);
        first.uses += 1;
        second.uses += 1;
        Ok(work())
    }
}

//! Timing checks that hold on a noisy machine and cannot pass by luck.

use crate::kernel;
use crate::report::{self, Outcome};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Wall-clock time of one call.
pub fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// The shortest of `tries` timings: noise only ever adds time, so the minimum is the
/// best estimate of what the code itself costs.
pub fn best_of(tries: usize, mut f: impl FnMut()) -> Duration {
    (0..tries.max(1))
        .map(|_| time(&mut f))
        .min()
        .expect("at least one try")
}

/// Below this spare capacity the machine cannot tell a parallel answer from a
/// sequential one (one core, or the other cores are busy): the speedup is "not
/// checked", never passed and never failed. Measured here, a correct parallel answer
/// could fall to 1.1x while the reference kernel still showed 1.3x (many processes
/// competing for the cores), so the line is drawn at 1.5x: a quiet 2-core machine
/// shows 1.9x, one with a busy core about 1.0x.
pub const MIN_CAPACITY: f64 = 1.5;

/// No speedup threshold is ever below this, so noise alone (a sequential answer
/// measured twice) cannot reach it; measured here, sequential-vs-sequential stays
/// within a few percent of 1.0x.
pub const MIN_SPEEDUP: f64 = 1.2;

/// Length of one reference kernel in the calibration; the calibration runs it once
/// per thread on one thread, then once per thread on that many threads.
const CALIBRATION_UNIT: Duration = Duration::from_millis(40);

fn calibration_steps() -> u64 {
    static STEPS: OnceLock<u64> = OnceLock::new();
    *STEPS.get_or_init(|| kernel::steps_for(CALIBRATION_UNIT))
}

/// A speedup claim: the parallel variant must beat the sequential one by a fraction
/// of the spare capacity that the machine shows in the same try.
///
/// With `capacity` measured by [`kernel::capacity`] on `min(cores, pieces)` threads
/// right before and right after each try (the smaller of the two counts),
/// the speedup needed is `max(MIN_SPEEDUP, 1 + fraction * (capacity - 1))`:
/// 1.45x on a quiet 2-core machine (capacity ~1.9x) with the default fraction 0.5,
/// 1.2x when another process keeps one core busy (capacity ~1.4x), and "not checked"
/// below [`MIN_CAPACITY`].
#[derive(Clone, Debug)]
pub struct SpeedupCheck {
    what: String,
    pieces: usize,
    fraction: f64,
    tries: usize,
}

/// What a check measured and what it was held to.
#[derive(Clone, Debug)]
pub struct Checked {
    pub outcome: Outcome,
    /// The best ratio measured (sequential time / concurrent or parallel time).
    pub measured: f64,
    /// The ratio it was held to in that try.
    pub needed: f64,
    /// The machine's spare capacity in that try (speedup checks only).
    pub capacity: Option<f64>,
    /// One line for a human.
    pub detail: String,
}

impl SpeedupCheck {
    /// `what` names the claim in plain words, e.g. `"four computing jobs on threads"`.
    pub fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            pieces: usize::MAX,
            fraction: 0.5,
            tries: 5,
        }
    }

    /// How many pieces of work can run at once (jobs, chunks): the speedup can never
    /// exceed `min(cores, pieces)`, so the calibration uses that many threads.
    pub fn pieces(mut self, pieces: usize) -> Self {
        self.pieces = pieces.max(1);
        self
    }

    /// Which fraction of the measured spare capacity the speedup must reach.
    pub fn fraction(mut self, fraction: f64) -> Self {
        self.fraction = fraction.clamp(0.0, 1.0);
        self
    }

    /// How many tries before giving up (the check stops at the first pass).
    pub fn tries(mut self, tries: usize) -> Self {
        self.tries = tries.max(1);
        self
    }

    /// Measures without asserting: see [`SpeedupCheck::run`].
    pub fn measure(&self, mut sequential: impl FnMut(), mut parallel: impl FnMut()) -> Checked {
        let cores = crate::cores();
        let threads = cores.min(self.pieces);
        // Run both variants once whatever happens: it warms up caches, the allocator
        // and the thread machinery, and the structural probes a test records inside
        // them (threads, pieces in flight) must see the work even when the timing
        // cannot be checked here.
        sequential();
        parallel();
        if threads < 2 {
            let detail = if cores < 2 {
                format!("needs 2 cores, this machine has {cores}")
            } else {
                "the work has a single piece, so nothing can run in parallel".to_string()
            };
            return Checked {
                outcome: Outcome::NotChecked,
                measured: 0.0,
                needed: 0.0,
                capacity: None,
                detail,
            };
        }
        let steps = calibration_steps();
        let mut best: Option<(f64, f64, f64)> = None; // (speedup, needed, capacity)
        let mut best_capacity: f64 = 0.0;
        for _ in 0..self.tries {
            // Capacity right before and right after the learner's code: the machine's
            // load can change within a try, and a try only counts when both agree
            // that there was room to run in parallel (the smaller one is used).
            let before = kernel::capacity(threads, steps);
            let seq = time(&mut sequential);
            let par = time(&mut parallel);
            let after = kernel::capacity(threads, steps);
            let capacity = before.min(after);
            best_capacity = best_capacity.max(capacity);
            if capacity < MIN_CAPACITY {
                continue;
            }
            let speedup = seq.as_secs_f64() / par.as_secs_f64().max(1e-9);
            let needed = (1.0 + self.fraction * (capacity - 1.0)).max(MIN_SPEEDUP);
            let margin = speedup / needed;
            if best.is_none_or(|(s, n, _)| margin > s / n) {
                best = Some((speedup, needed, capacity));
            }
            if speedup >= needed {
                break;
            }
        }
        match best {
            None => Checked {
                outcome: Outcome::NotChecked,
                measured: 0.0,
                needed: 0.0,
                capacity: Some(best_capacity),
                detail: format!(
                    "the machine's spare capacity was {best_capacity:.2}x at best, \
                     {MIN_CAPACITY:.2}x is needed to tell parallel from sequential \
                     (are other programs busy?)"
                ),
            },
            Some((speedup, needed, capacity)) => Checked {
                outcome: if speedup >= needed {
                    Outcome::Passed
                } else {
                    Outcome::Failed
                },
                measured: speedup,
                needed,
                capacity: Some(capacity),
                detail: format!(
                    "speedup {speedup:.2}x, needed {needed:.2}x on {cores} cores \
                     (spare capacity {capacity:.2}x)"
                ),
            },
        }
    }

    /// Measures, reports, and panics with a plain-words message if the parallel
    /// variant was not fast enough. A "not checked" outcome is reported, not failed.
    #[track_caller]
    pub fn run(self, sequential: impl FnMut(), parallel: impl FnMut()) -> Checked {
        let checked = self.measure(sequential, parallel);
        record_checked(&self.what, &checked);
        if checked.outcome == Outcome::Failed {
            panic!(
                "{} were not faster in parallel: {}",
                self.what, checked.detail
            );
        }
        checked
    }
}

/// A fixed-ratio claim that needs no free core, such as overlapping waits: N waits of
/// 100 ms overlapped take about 100 ms even on a busy one-core machine, so the ratio
/// to the sequential run is held to a fixed `needed` (say half of N).
#[derive(Clone, Debug)]
pub struct RatioCheck {
    what: String,
    needed: f64,
    tries: usize,
}

impl RatioCheck {
    pub fn new(what: impl Into<String>, needed: f64) -> Self {
        Self {
            what: what.into(),
            needed,
            tries: 3,
        }
    }

    pub fn tries(mut self, tries: usize) -> Self {
        self.tries = tries.max(1);
        self
    }

    pub fn measure(&self, mut sequential: impl FnMut(), mut concurrent: impl FnMut()) -> Checked {
        let mut best: f64 = 0.0;
        for _ in 0..self.tries {
            let seq = time(&mut sequential);
            let conc = time(&mut concurrent);
            best = best.max(seq.as_secs_f64() / conc.as_secs_f64().max(1e-9));
            if best >= self.needed {
                break;
            }
        }
        Checked {
            outcome: if best >= self.needed {
                Outcome::Passed
            } else {
                Outcome::Failed
            },
            measured: best,
            needed: self.needed,
            capacity: None,
            detail: format!("{best:.2}x faster, needed {:.2}x", self.needed),
        }
    }

    #[track_caller]
    pub fn run(self, sequential: impl FnMut(), concurrent: impl FnMut()) -> Checked {
        let checked = self.measure(sequential, concurrent);
        record_checked(&self.what, &checked);
        if checked.outcome == Outcome::Failed {
            panic!("{} did not overlap: {}", self.what, checked.detail);
        }
        checked
    }
}

fn record_checked(what: &str, checked: &Checked) {
    if checked.outcome == Outcome::NotChecked {
        report::record(what, checked.outcome, &checked.detail);
    } else {
        report::record_figure(
            what,
            checked.outcome,
            &checked.detail,
            checked.measured,
            checked.needed,
        );
    }
}

//! Given code: the kitchen's logbook. You do not need to edit this file.
//!
//! The kitchen remembers when each step of each dish started and finished, measured
//! on tokio's clock from the moment the kitchen opened. Under a paused clock
//! (`#[tokio::test(start_paused = true)]`) those are exact virtual milliseconds.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;
use tokio::time::{Duration, Instant};

/// One step of a dish that takes time without the cook: the water boils, the dough
/// rises, the bread bakes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub name: &'static str,
    pub takes: Duration,
}

/// A dish: steps that must happen one after the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dish {
    pub name: &'static str,
    pub steps: Vec<Step>,
}

impl Dish {
    /// A dish from `(step name, milliseconds)` pairs, in order.
    pub fn new(name: &'static str, steps: &[(&'static str, u64)]) -> Dish {
        Dish {
            name,
            steps: steps
                .iter()
                .map(|&(name, ms)| Step {
                    name,
                    takes: Duration::from_millis(ms),
                })
                .collect(),
        }
    }

    /// How long the dish takes on its own: the sum of its steps.
    pub fn total(&self) -> Duration {
        self.steps.iter().map(|s| s.takes).sum()
    }
}

/// A dish on the pass, ready to go out, and when it got there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub dish: &'static str,
    /// Time since the kitchen opened.
    pub at: Duration,
}

/// What happened to a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum What {
    // The order matters for the timeline: at the same instant, endings come first.
    Finished,
    Dropped,
    Served,
    Started,
}

/// One line of the logbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub at: Duration,
    pub dish: &'static str,
    pub step: &'static str,
    pub what: What,
}

#[derive(Debug, Default)]
struct Book {
    events: Vec<Event>,
    cooks: HashSet<ThreadId>,
}

/// The kitchen: a logbook shared by every dish. Cheap to clone (all clones share
/// one book), so it can move into spawned tasks.
#[derive(Clone, Debug)]
pub struct Kitchen {
    opened: Instant,
    book: Arc<Mutex<Book>>,
    on_the_stove: Arc<AtomicUsize>,
    most_on_the_stove: Arc<AtomicUsize>,
}

impl Default for Kitchen {
    fn default() -> Self {
        Self::new()
    }
}

impl Kitchen {
    /// Opens the kitchen now (on tokio's clock).
    pub fn new() -> Kitchen {
        Kitchen {
            opened: Instant::now(),
            book: Arc::default(),
            on_the_stove: Arc::default(),
            most_on_the_stove: Arc::default(),
        }
    }

    /// Time since the kitchen opened.
    pub fn elapsed(&self) -> Duration {
        self.opened.elapsed()
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, dish: &'static str, step: &'static str, what: What) {
        let at = self.elapsed();
        let mut book = self.book();
        book.events.push(Event {
            at,
            dish,
            step,
            what,
        });
        book.cooks.insert(std::thread::current().id());
    }

    /// Puts a step on the stove: logs that it started and returns a ticket. Call
    /// [`Doing::finish`] on the ticket when the step is done. A ticket dropped
    /// without `finish` (say, because its future was cancelled) logs the step as
    /// dropped.
    pub fn begin(&self, dish: &'static str, step: &'static str) -> Doing {
        self.log(dish, step, What::Started);
        let now = self.on_the_stove.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_on_the_stove.fetch_max(now, Ordering::SeqCst);
        Doing {
            kitchen: self.clone(),
            dish,
            step,
            finished: false,
        }
    }

    /// Puts a finished dish on the pass and says when.
    pub fn serve(&self, dish: &'static str) -> Served {
        self.log(dish, "", What::Served);
        Served {
            dish,
            at: self.elapsed(),
        }
    }

    /// Everything that happened, in the order it was logged.
    pub fn events(&self) -> Vec<Event> {
        self.book().events.clone()
    }

    /// The most steps that were on the stove at the same time.
    pub fn most_at_once(&self) -> usize {
        self.most_on_the_stove.load(Ordering::SeqCst)
    }

    /// How many distinct OS threads did the cooking: the number of cooks.
    pub fn cooks(&self) -> usize {
        self.book().cooks.len()
    }

    /// The logbook as text, in time order (whole milliseconds). Events of the same
    /// millisecond are sorted by kind and dish, so the text does not depend on the
    /// order in which the runtime happened to poll ready tasks.
    pub fn timeline(&self) -> String {
        let mut events = self.events();
        events.sort_by(|a, b| {
            (a.at.as_millis(), a.what, a.dish, a.step).cmp(&(
                b.at.as_millis(),
                b.what,
                b.dish,
                b.step,
            ))
        });
        let mut out = String::new();
        for e in events {
            let what = match e.what {
                What::Started => "started",
                What::Finished => "finished",
                What::Dropped => "DROPPED",
                What::Served => "served",
            };
            let line = format!(
                "{:>5} ms  {:<6} {what:<8} {}",
                e.at.as_millis(),
                e.dish,
                e.step
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

/// A step on the stove. Finish it with [`Doing::finish`].
#[must_use = "call `finish()` when the step is done"]
#[derive(Debug)]
pub struct Doing {
    kitchen: Kitchen,
    dish: &'static str,
    step: &'static str,
    finished: bool,
}

impl Doing {
    /// Takes the step off the stove: logs that it finished.
    pub fn finish(mut self) {
        self.finished = true;
        self.kitchen.log(self.dish, self.step, What::Finished);
    }
}

impl Drop for Doing {
    fn drop(&mut self) {
        self.kitchen.on_the_stove.fetch_sub(1, Ordering::SeqCst);
        if !self.finished {
            self.kitchen.log(self.dish, self.step, What::Dropped);
        }
    }
}

//! Given code: the tally and the ticket printer. You do not need to edit this file.
//!
//! The printer takes `PRINT_TAKES` per ticket, on tokio's clock, and several tickets
//! can print at once. It keeps a log of what it printed and when (since it was
//! made), and counts the tickets printing at the same time. While each ticket
//! prints, it also tries to lock the tally, the way any other order would, and
//! remembers whether it could. The tally can also make two threads take turns
//! between their locks, so that a test can let one order in between two locks of
//! another, every time (a race two threads would hit once in a million runs).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, LockResult, Mutex, MutexGuard, TryLockResult};
use std::thread::ThreadId;
use tokio::time::{Duration, Instant};

/// The evening's tally: how many orders of each dish so far, behind a
/// `std::sync::Mutex` (the work done under it is short, and never waits). Cheap to
/// clone: clones share the counts, so it can move into spawned tasks.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    counts: Arc<Mutex<HashMap<String, u32>>>,
    turns: Arc<Turns>,
}

/// The counts of a [`Tally`].
pub type Counts = HashMap<String, u32>;

impl Tally {
    /// Locks the counts, as `std::sync::Mutex::lock` does (the guard is a
    /// `std::sync::MutexGuard`).
    pub fn lock(&self) -> LockResult<MutexGuard<'_, Counts>> {
        self.turns.before_lock();
        self.counts.lock()
    }

    /// Tries to lock the counts without waiting, as `std::sync::Mutex::try_lock`.
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, Counts>> {
        self.counts.try_lock()
    }

    /// For the tests: until [`Tally::stop_taking_turns`], a thread that calls
    /// [`Tally::lock`] a second time first waits (at most 2 s) until the thread
    /// `other` has called it twice. Between two locks of one order, it lets another
    /// order in, every time: what two threads at the same moment might do once in a
    /// million runs.
    pub fn take_turns_with(&self, other: ThreadId) {
        let mut state = lock(&self.turns.state);
        *state = TurnsState {
            other: Some(other),
            ..TurnsState::default()
        };
    }

    /// For the tests: no more waiting in [`Tally::lock`].
    pub fn stop_taking_turns(&self) {
        *lock(&self.turns.state) = TurnsState::default();
        self.turns.changed.notify_all();
    }
}

#[derive(Debug, Default)]
struct Turns {
    state: Mutex<TurnsState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct TurnsState {
    /// Taking turns with this thread (none: no waiting).
    other: Option<ThreadId>,
    /// How many times each thread called `lock` since the turns began.
    locks: HashMap<ThreadId, usize>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Turns {
    fn before_lock(&self) {
        let me = std::thread::current().id();
        let mut state = lock(&self.state);
        let Some(other) = state.other else {
            return;
        };
        let mine = {
            let n = state.locks.entry(me).or_insert(0);
            *n += 1;
            *n
        };
        self.changed.notify_all();
        if me == other || mine < 2 {
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while state.other == Some(other) && state.locks.get(&other).copied().unwrap_or(0) < 2 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// How long the printer takes for one ticket.
pub const PRINT_TAKES: Duration = Duration::from_millis(20);

/// One printed ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// When the ticket came out, since the printer was made.
    pub at: Duration,
    pub dish: String,
    pub number: u32,
}

/// The ticket printer.
#[derive(Debug)]
pub struct Printer {
    started: Instant,
    tally: Tally,
    printing: AtomicUsize,
    most_at_once: AtomicUsize,
    tally_locked_while_printing: AtomicUsize,
    tickets: Mutex<Vec<Ticket>>,
}

impl Printer {
    /// A printer beside `tally` (which it tries to lock while it prints).
    pub fn new(tally: Tally) -> Printer {
        Printer {
            started: Instant::now(),
            tally,
            printing: AtomicUsize::new(0),
            most_at_once: AtomicUsize::new(0),
            tally_locked_while_printing: AtomicUsize::new(0),
            tickets: Mutex::new(Vec::new()),
        }
    }

    /// Prints the ticket "`dish` #`number`": takes `PRINT_TAKES`.
    pub async fn print(&self, dish: &str, number: u32) {
        let now = self.printing.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        // Another order arriving now would need the tally: is it free?
        if self.tally.try_lock().is_err() {
            self.tally_locked_while_printing
                .fetch_add(1, Ordering::SeqCst);
        }
        tokio::time::sleep(PRINT_TAKES).await;
        self.printing.fetch_sub(1, Ordering::SeqCst);
        self.tickets.lock().unwrap().push(Ticket {
            at: self.started.elapsed(),
            dish: dish.to_string(),
            number,
        });
    }

    /// The tickets printed so far, in the order they came out.
    pub fn tickets(&self) -> Vec<Ticket> {
        self.tickets.lock().unwrap().clone()
    }

    /// The most tickets that were printing at the same time.
    pub fn most_at_once(&self) -> usize {
        self.most_at_once.load(Ordering::SeqCst)
    }

    /// How many tickets started printing while the tally was locked.
    pub fn tally_locked_while_printing(&self) -> usize {
        self.tally_locked_while_printing.load(Ordering::SeqCst)
    }

    /// The tickets, one line each: `  20 ms  soup #1`.
    pub fn log(&self) -> String {
        let mut text = String::new();
        for t in self.tickets() {
            let _ = writeln!(text, "{:>4} ms  {} #{}", t.at.as_millis(), t.dish, t.number);
        }
        text
    }
}

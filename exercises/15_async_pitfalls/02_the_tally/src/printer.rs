//! Given code: the tally and the ticket printer. You do not need to edit this file.
//!
//! The printer takes `PRINT_TAKES` per ticket, on tokio's clock, and several tickets
//! can print at once. It keeps a log of what it printed and when (since it was
//! made), and counts the tickets printing at the same time. While each ticket
//! prints, it also tries to lock the tally, the way any other order would, and
//! remembers whether it could.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::time::{Duration, Instant};

/// The evening's tally: how many orders of each dish so far. A `std::sync::Mutex`:
/// the work done under it is short, and never waits.
pub type Tally = Arc<Mutex<HashMap<String, u32>>>;

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

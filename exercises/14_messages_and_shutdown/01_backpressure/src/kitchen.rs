//! Given code: the waiter, the cook and the kitchen's logbook. You do not need to edit
//! this file.
//!
//! The waiter takes orders at the counter and writes a [`Ticket`] for each; the cook
//! cooks the dish on a ticket. Both take time on tokio's clock, so under a paused
//! clock (`#[tokio::test(start_paused = true)]`) every line of the logbook has an
//! exact virtual millisecond. The kitchen also counts the tickets that exist at any
//! moment: written by the waiter and not yet taken by the cook. That count is the
//! memory the rail between them uses, measured without a clock.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::time::{Duration, Instant};

/// What happened to a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum What {
    // The order matters for the timeline: at the same instant, a dish served comes
    // first, and a ticket is written before the cook can take it.
    Served,
    Wrote,
    Took,
    ThrownAway,
}

/// One line of the logbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub at: Duration,
    pub order: u32,
    pub what: What,
}

/// A dish on the pass, and when it got there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Served {
    pub order: u32,
    /// Time since the kitchen opened.
    pub at: Duration,
}

#[derive(Debug, Default)]
struct Book {
    events: Vec<Event>,
    /// Tickets written and not yet taken by the cook (or thrown away).
    waiting: usize,
    most_waiting: usize,
}

/// The kitchen: how long the waiter takes per order and the cook per dish, and a
/// logbook shared by every clone (so it can move into spawned tasks).
#[derive(Clone, Debug)]
pub struct Kitchen {
    opened: Instant,
    writing: Duration,
    cooking: Duration,
    book: Arc<Mutex<Book>>,
}

impl Kitchen {
    /// Opens the kitchen now (on tokio's clock). The waiter needs `waiter_ms` to take
    /// one order; the cook needs `cook_ms` to cook one dish.
    pub fn new(waiter_ms: u64, cook_ms: u64) -> Kitchen {
        Kitchen {
            opened: Instant::now(),
            writing: Duration::from_millis(waiter_ms),
            cooking: Duration::from_millis(cook_ms),
            book: Arc::default(),
        }
    }

    /// Time since the kitchen opened.
    pub fn elapsed(&self) -> Duration {
        self.opened.elapsed()
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, book: &mut Book, order: u32, what: What) {
        let at = self.elapsed();
        book.events.push(Event { at, order, what });
    }

    /// The waiter: takes `order` at the counter (this takes the waiter's time) and
    /// returns its ticket. From now on the ticket exists until the cook takes it.
    pub async fn take_order(&self, order: u32) -> Ticket {
        tokio::time::sleep(self.writing).await;
        let mut book = self.book();
        self.log(&mut book, order, What::Wrote);
        book.waiting += 1;
        book.most_waiting = book.most_waiting.max(book.waiting);
        Ticket {
            order,
            kitchen: Some(self.clone()),
        }
    }

    /// The cook: takes the ticket, cooks its dish (this takes the cook's time) and
    /// puts it on the pass.
    pub async fn cook(&self, mut ticket: Ticket) -> Served {
        let order = ticket.order;
        ticket.kitchen = None; // taken: no longer waiting, and not thrown away
        {
            let mut book = self.book();
            self.log(&mut book, order, What::Took);
            book.waiting -= 1;
        }
        tokio::time::sleep(self.cooking).await;
        let mut book = self.book();
        self.log(&mut book, order, What::Served);
        Served {
            order,
            at: self.elapsed(),
        }
    }

    /// Everything that happened, in the order it was logged.
    pub fn events(&self) -> Vec<Event> {
        self.book().events.clone()
    }

    /// The most tickets that existed at once: written by the waiter and not yet taken
    /// by the cook (on the rail, or in the waiter's hand).
    pub fn most_waiting(&self) -> usize {
        self.book().most_waiting
    }

    /// The orders whose ticket was dropped without being cooked.
    pub fn thrown_away(&self) -> Vec<u32> {
        let book = self.book();
        let events = book.events.iter().filter(|e| e.what == What::ThrownAway);
        events.map(|e| e.order).collect()
    }

    /// The logbook as text, in time order (whole milliseconds), with the number of
    /// tickets waiting after each line. Lines of the same millisecond are sorted by
    /// kind and order, so the text does not depend on the order in which the runtime
    /// happened to poll ready tasks.
    pub fn timeline(&self) -> String {
        let mut events = self.events();
        events.sort_by_key(|e| (e.at.as_millis(), e.what, e.order));
        let mut out = String::new();
        let mut waiting = 0i64;
        for e in events {
            let what = match e.what {
                What::Wrote => {
                    waiting += 1;
                    "waiter wrote ticket"
                }
                What::Took => {
                    waiting -= 1;
                    "cook took ticket"
                }
                What::Served => "cook served dish",
                What::ThrownAway => {
                    waiting -= 1;
                    "THROWN AWAY ticket"
                }
            };
            let _ = writeln!(
                out,
                "{:>5} ms  {what:<19} #{:<3} waiting: {waiting}",
                e.at.as_millis(),
                e.order
            );
        }
        out
    }
}

/// An order written down by the waiter. The cook takes it with [`Kitchen::cook`]; a
/// ticket dropped before that is logged as thrown away.
#[derive(Debug)]
pub struct Ticket {
    order: u32,
    kitchen: Option<Kitchen>,
}

impl Ticket {
    /// The order this ticket is for.
    pub fn order(&self) -> u32 {
        self.order
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(kitchen) = self.kitchen.take() {
            let mut book = kitchen.book();
            kitchen.log(&mut book, self.order, What::ThrownAway);
            book.waiting -= 1;
        }
    }
}

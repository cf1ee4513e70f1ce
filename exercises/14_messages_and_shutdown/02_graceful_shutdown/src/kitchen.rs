//! Given code: orders, the door guests order through, the stove and the kitchen's
//! logbook. You do not need to edit this file.
//!
//! Everything is logged on tokio's clock from the moment the kitchen opened. Under a
//! paused clock (`#[tokio::test(start_paused = true)]`) those are exact virtual
//! milliseconds. The kitchen also counts the dishes on the stove right now, and the
//! dishes thrown away half-cooked (a cooking future dropped before it finished).

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

/// A guest's order: which one, and how long its dish cooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: u32,
    pub cook_ms: u64,
}

impl Order {
    pub fn new(id: u32, cook_ms: u64) -> Order {
        Order { id, cook_ms }
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum What {
    // The order matters for the timeline: at the same instant, endings come first,
    // an order is taken before it is cooked, and "closed" comes last.
    Served,
    ThrownAway,
    Ordered,
    Refused,
    ClosingTime,
    Cooking,
    Closed,
}

/// One line of the logbook. `order` is 0 for the lines about the whole restaurant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub at: Duration,
    pub order: u32,
    pub what: What,
}

#[derive(Debug, Default)]
struct Book {
    events: Vec<Event>,
    on_the_stove: usize,
    most_on_the_stove: usize,
}

/// The kitchen's logbook, shared by every clone (so it can move into spawned tasks).
#[derive(Clone, Debug)]
pub struct Kitchen {
    opened: Instant,
    book: Arc<Mutex<Book>>,
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
        }
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, order: u32, what: What) {
        let at = self.opened.elapsed();
        self.book().events.push(Event { at, order, what });
    }

    /// Cooks one dish: puts it on the stove, waits `order.cook_ms`, serves it and
    /// returns its id. If this future is dropped before the dish is done (an aborted
    /// task, say), the dish is logged as thrown away.
    pub async fn cook(&self, order: Order) -> u32 {
        let stove = Stove::on(self, order.id);
        tokio::time::sleep(Duration::from_millis(order.cook_ms)).await;
        stove.serve();
        order.id
    }

    /// For the tests: closing time was called now.
    pub fn note_closing_time(&self) {
        self.log(0, What::ClosingTime);
    }

    /// For the tests: the restaurant reported itself closed now.
    pub fn note_closed(&self) {
        self.log(0, What::Closed);
    }

    /// Everything that happened, in the order it was logged.
    pub fn events(&self) -> Vec<Event> {
        self.book().events.clone()
    }

    fn orders(&self, what: What) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .book()
            .events
            .iter()
            .filter(|e| e.what == what)
            .map(|e| e.order)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The orders a guest placed successfully (`Door::order` returned `Ok`), sorted.
    pub fn taken(&self) -> Vec<u32> {
        self.orders(What::Ordered)
    }

    /// The orders whose dish was served, sorted.
    pub fn served(&self) -> Vec<u32> {
        self.orders(What::Served)
    }

    /// The orders whose dish was thrown away half-cooked, sorted.
    pub fn thrown_away(&self) -> Vec<u32> {
        self.orders(What::ThrownAway)
    }

    /// Dishes on the stove right now.
    pub fn on_the_stove(&self) -> usize {
        self.book().on_the_stove
    }

    /// The most dishes that were on the stove at the same time.
    pub fn most_at_once(&self) -> usize {
        self.book().most_on_the_stove
    }

    /// The logbook as text, in time order (whole milliseconds). Lines of the same
    /// millisecond are sorted by kind and order, so the text does not depend on the
    /// order in which the runtime happened to poll ready tasks.
    pub fn timeline(&self) -> String {
        let mut events = self.events();
        events.sort_by_key(|e| (e.at.as_millis(), e.what, e.order));
        let mut out = String::new();
        for e in events {
            let line = match e.what {
                What::Ordered => format!("order #{} taken", e.order),
                What::Refused => format!("order #{} REFUSED: closing", e.order),
                What::Cooking => format!("dish  #{} on the stove", e.order),
                What::Served => format!("dish  #{} served", e.order),
                What::ThrownAway => format!("dish  #{} THROWN AWAY half-cooked", e.order),
                What::ClosingTime => "-- closing time --".to_string(),
                What::Closed => "-- closed --".to_string(),
            };
            let _ = writeln!(out, "{:>5} ms  {line}", e.at.as_millis());
        }
        out
    }
}

/// A dish on the stove. Logs "served" when served, "thrown away" when dropped
/// before.
struct Stove {
    kitchen: Kitchen,
    order: u32,
    served: bool,
}

impl Stove {
    fn on(kitchen: &Kitchen, order: u32) -> Stove {
        kitchen.log(order, What::Cooking);
        let mut book = kitchen.book();
        book.on_the_stove += 1;
        book.most_on_the_stove = book.most_on_the_stove.max(book.on_the_stove);
        Stove {
            kitchen: kitchen.clone(),
            order,
            served: false,
        }
    }

    fn serve(mut self) {
        self.served = true;
        self.kitchen.log(self.order, What::Served);
    }
}

impl Drop for Stove {
    fn drop(&mut self) {
        if !self.served {
            self.kitchen.log(self.order, What::ThrownAway);
        }
        self.kitchen.book().on_the_stove -= 1;
    }
}

/// The restaurant's door: guests hand in orders here. Cheap to clone, one per guest.
#[derive(Clone, Debug)]
pub struct Door {
    inbox: mpsc::Sender<Order>,
    kitchen: Kitchen,
}

/// An order the kitchen no longer takes: it is closing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused(pub u32);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "order #{} refused: the kitchen is closing", self.0)
    }
}

impl std::error::Error for Refused {}

impl Door {
    /// A door that hands orders to `inbox` and logs them in `kitchen`.
    pub fn new(inbox: mpsc::Sender<Order>, kitchen: Kitchen) -> Door {
        Door { inbox, kitchen }
    }

    /// Hands in an order (waiting while the inbox is full). `Ok` means the kitchen
    /// took it: it must be cooked, closing time or not. `Err` means the kitchen's
    /// inbox is closed.
    pub async fn order(&self, order: Order) -> Result<(), Refused> {
        let id = order.id;
        match self.inbox.send(order).await {
            Ok(()) => {
                self.kitchen.log(id, What::Ordered);
                Ok(())
            }
            Err(_) => {
                self.kitchen.log(id, What::Refused);
                Err(Refused(id))
            }
        }
    }
}

//! # 15/02 The tally: no lock guard at an `.await`
//!
//! `tokio::spawn` runs a task on any worker thread of the runtime, and a task that
//! waits at an `.await` may wake up on another one. So the future must be `Send`,
//! and so must everything alive at each of its `.await`s. A `std::sync::MutexGuard`
//! is not `Send`: a future that holds one at an `.await` cannot be spawned ("future
//! cannot be sent between threads safely"). And on one thread, it would keep every
//! other order out of the tally while the ticket prints.
//!
//! Book: `book/src/ch15-async-pitfalls/not-send.md`

use std::sync::Arc;

mod printer;
pub use printer::{PRINT_TAKES, Printer, Tally, Ticket};

/// Takes one order of `dish`: adds 1 to the dish's count in `tally` (a dish not in
/// it yet starts at 0), prints the ticket "`dish` #count" on `printer` with the new
/// count, and returns that count once the ticket is printed.
///
/// The tests run it with `tokio::spawn`, on a runtime with two worker threads, many
/// orders at once: each order of a dish must get its own number (1, 2, 3, ..., none
/// twice, none skipped), tickets must print at the same time, and the tally must be
/// free while they print.
pub async fn take_order(tally: Tally, printer: Arc<Printer>, dish: String) -> u32 {
    let number = {
        let mut counts = tally.lock().unwrap();
        let count = counts.entry(dish.clone()).or_insert(0);
        *count += 1;
        *count
    }; // the guard is dropped here, before the `.await`
    printer.print(&dish, number).await;
    number
}

//! # 14/01 The order rail: a bounded channel and backpressure
//!
//! A fast waiter and a slow cook, joined by a rail of order tickets with a few
//! slots: a bounded `tokio::sync::mpsc` channel. When the rail is full, the waiter's
//! `send(...).await` waits until the cook takes a ticket. That wait is
//! **backpressure**: the producer slows down to the consumer's pace, so the tickets
//! in memory never exceed the rail's slots (plus the one in the waiter's hand),
//! however many guests are queueing at the counter.
//!
//! Book: `book/src/ch14-messages-and-shutdown/bounded.md`

mod kitchen;
pub use kitchen::{Event, Kitchen, Served, Ticket, What};

/// Runs the evening: the waiter takes every order in `orders` (in that order) and
/// pins each ticket on a rail of `slots` slots; at the same time the cook takes the
/// tickets off the rail, oldest first, and cooks them. Returns what the cook served,
/// in the order served. `slots` is at least 1.
pub async fn service(orders: Vec<u32>, slots: usize, kitchen: Kitchen) -> Vec<Served> {
    // TODO: the rail is `tokio::sync::mpsc::channel(slots)`. Spawn the waiter as a task
    // of its own: for each order, `kitchen.take_order(order).await`, then
    // `rail.send(ticket).await` (it waits while the rail is full: never drop a ticket,
    // never use an unbounded channel). Here, be the cook: `recv().await` tickets until
    // the rail is closed (the waiter's task ended and dropped its sender) and
    // `kitchen.cook(ticket).await` each one. Then await the waiter's handle.
    let _ = (orders, slots, kitchen);
    todo!("a waiter task and a cook joined by a bounded channel")
}

/// Given: the slow way, with no rail. The waiter takes one order and waits for the
/// cook to cook it before taking the next.
pub async fn one_at_a_time(orders: Vec<u32>, kitchen: Kitchen) -> Vec<Served> {
    let mut served = Vec::with_capacity(orders.len());
    for order in orders {
        let ticket = kitchen.take_order(order).await;
        served.push(kitchen.cook(ticket).await);
    }
    served
}

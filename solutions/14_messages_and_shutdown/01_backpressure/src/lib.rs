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

use tokio::sync::mpsc;

/// Runs the evening: the waiter takes every order in `orders` (in that order) and
/// pins each ticket on a rail of `slots` slots; at the same time the cook takes the
/// tickets off the rail, oldest first, and cooks them. Returns what the cook served,
/// in the order served. `slots` is at least 1.
pub async fn service(orders: Vec<u32>, slots: usize, kitchen: Kitchen) -> Vec<Served> {
    let (rail, mut off_the_rail) = mpsc::channel(slots);
    let waiter = {
        let kitchen = kitchen.clone();
        tokio::spawn(async move {
            for order in orders {
                let ticket = kitchen.take_order(order).await;
                // Waits while the rail is full: backpressure.
                if rail.send(ticket).await.is_err() {
                    break; // the cook has gone home
                }
            }
            // `rail` is dropped here: the cook's `recv` returns `None` once it is empty.
        })
    };
    let mut served = Vec::new();
    while let Some(ticket) = off_the_rail.recv().await {
        served.push(kitchen.cook(ticket).await);
    }
    if let Err(e) = waiter.await {
        std::panic::resume_unwind(e.into_panic());
    }
    served
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

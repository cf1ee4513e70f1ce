//! # 04/01 The kitchen as a program: orders, cooks and the pass
//!
//! Orders go on a channel. Several cooks (worker threads) share its receiving end,
//! each taking the next order as soon as it is free. Every finished plate goes on a
//! second channel to the pass, the calling thread, which collects them all.
//! Nothing but the channels is shared: each order and each plate has exactly one
//! owner at a time.
//!
//! Book: `book/src/ch04-sharing-and-messages/kitchen.md`

use std::collections::HashSet;
use std::fmt;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

/// One order: a number that is unique in the evening, and a dish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: u32,
    pub dish: String,
}

/// What a cook hands to the pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plate {
    /// The order this plate answers.
    pub order: u32,
    /// What the cooking function made of the order.
    pub food: String,
    /// Which cook made it, `0..cooks`.
    pub cook: usize,
}

/// Why the kitchen did not open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KitchenError {
    /// No cooks: the orders would never be cooked.
    NoCooks,
    /// Two orders carry the same number: their plates could not be told apart.
    DuplicateOrder(u32),
}

impl fmt::Display for KitchenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KitchenError::NoCooks => write!(f, "a kitchen needs at least 1 cook, got 0"),
            KitchenError::DuplicateOrder(id) => write!(f, "order number {id} appears twice"),
        }
    }
}

impl std::error::Error for KitchenError {}

/// Cooks every order with `cooks` cook threads and returns the plates sorted by order
/// number: the evening's ledger.
///
/// The orders travel to the cooks on an `mpsc` channel whose receiver the cooks share
/// (`Arc<Mutex<Receiver<Order>>>`); a cook holds the lock only to *take* an order,
/// never while cooking, so that cooks work at the same time. Plates travel back to
/// the calling thread on a second channel. `cook(&order)` makes the food.
///
/// `cooks == 0` is [`KitchenError::NoCooks`]; two orders with one number is
/// [`KitchenError::DuplicateOrder`]. Both are checked before any cook starts.
pub fn run_kitchen<F>(orders: Vec<Order>, cooks: usize, cook: F) -> Result<Vec<Plate>, KitchenError>
where
    F: Fn(&Order) -> String + Send + Sync + 'static,
{
    if cooks == 0 {
        return Err(KitchenError::NoCooks);
    }
    let mut seen = HashSet::new();
    if let Some(order) = orders.iter().find(|o| !seen.insert(o.id)) {
        return Err(KitchenError::DuplicateOrder(order.id));
    }

    let (order_tx, order_rx) = mpsc::channel::<Order>();
    let order_rx = Arc::new(Mutex::new(order_rx));
    let (plate_tx, plate_rx) = mpsc::channel::<Plate>();
    let cook = Arc::new(cook);

    let handles: Vec<_> = (0..cooks)
        .map(|me| {
            let order_rx = Arc::clone(&order_rx);
            let plate_tx = plate_tx.clone();
            let cook = Arc::clone(&cook);
            thread::spawn(move || {
                loop {
                    // The guard is a temporary: the lock is released at the end of
                    // this statement, before the cooking starts.
                    let next = order_rx
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .recv();
                    let Ok(order) = next else { break }; // channel closed and empty
                    let food = cook(&order);
                    let plate = Plate {
                        order: order.id,
                        food,
                        cook: me,
                    };
                    if plate_tx.send(plate).is_err() {
                        break; // the pass has gone home
                    }
                }
            })
        })
        .collect();
    // The pass keeps no sender of its own: once every cook has stopped, `recv` ends.
    drop(plate_tx);

    for order in orders {
        order_tx
            .send(order)
            .expect("the cooks hold the receiver until it is closed");
    }
    drop(order_tx); // no more orders tonight: the cooks stop when the queue is empty

    let mut plates: Vec<Plate> = plate_rx.iter().collect();
    for handle in handles {
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
    plates.sort_by_key(|p| p.order);
    Ok(plates)
}

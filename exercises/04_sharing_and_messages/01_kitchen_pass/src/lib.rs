//! # 04/01 The kitchen as a program: orders, cooks and the pass
//!
//! Orders go on a channel. Several cooks (worker threads) share its receiving end,
//! each taking the next order as soon as it is free. Every finished plate goes on a
//! second channel to the pass, the calling thread, which collects them all.
//! Nothing but the channels is shared: each order and each plate has exactly one
//! owner at a time.
//!
//! Book: `book/src/ch04-sharing-and-messages/kitchen.md`

use std::fmt;

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
    // TODO:
    // 1. Check the input: 0 cooks, or an order number seen twice
    //    (`std::collections::HashSet::insert` says whether it was new).
    // 2. Two channels (`std::sync::mpsc::channel`): orders to the cooks, plates to
    //    the pass. The cooks share the order receiver as `Arc<Mutex<Receiver<_>>>`,
    //    and `cook` as an `Arc<F>`; each cook gets a clone of the plate sender.
    // 3. Each cook thread loops: lock, `recv()`, and let the guard go *before*
    //    cooking; stop when `recv` fails (the channel is closed and empty).
    // 4. The pass (this thread) sends every order, drops its senders, collects the
    //    plates until the channel ends, joins the cooks, and sorts by order number.
    let _ = (orders, cooks, cook);
    todo!("open the kitchen")
}

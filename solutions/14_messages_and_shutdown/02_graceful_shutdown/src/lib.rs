//! # 14/02 Closing time: a graceful shutdown
//!
//! The kitchen is an actor: one task owns its state (the dishes on the stove, in a
//! `JoinSet`) and a `tokio::select!` loop waits on two things, its inbox of orders
//! and the closing signal (a `CancellationToken`). At closing time it stops taking
//! orders, cooks every order it already took, waits for every dish, and only then
//! reports. Nothing is lost and nothing is left running.
//!
//! Book: `book/src/ch14-messages-and-shutdown/shutdown.md`

mod kitchen;
pub use kitchen::{Door, Event, Kitchen, Order, Refused, What};

use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// Given: a restaurant. Guests order through its [`Door`]; one task, the kitchen
/// ([`run_kitchen`]), takes the orders from its inbox and cooks them.
pub struct Restaurant {
    door: Door,
    closing: CancellationToken,
    kitchen: JoinHandle<usize>,
}

impl Restaurant {
    /// Given: opens the restaurant: an inbox with room for `slots` orders, a closing
    /// signal, and the kitchen's task. Call it inside a tokio runtime.
    pub fn open(slots: usize, kitchen: Kitchen) -> Restaurant {
        let (inbox_sender, inbox) = mpsc::channel(slots);
        let closing = CancellationToken::new();
        let task = tokio::spawn(run_kitchen(inbox, closing.clone(), kitchen.clone()));
        Restaurant {
            door: Door::new(inbox_sender, kitchen),
            closing,
            kitchen: task,
        }
    }

    /// Given: a door for one more guest.
    pub fn door(&self) -> Door {
        self.door.clone()
    }

    /// Closing time: tells the kitchen to close, and returns when it has closed, with
    /// the number of dishes it cooked. When this returns, every order a guest placed
    /// successfully has been served, and no task of the restaurant is left running.
    pub async fn close(self) -> usize {
        self.closing.cancel();
        match self.kitchen.await {
            Ok(cooked) => cooked,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// The kitchen, an actor: takes orders from `inbox` and cooks each one as a task of its
/// own (`kitchen.cook(order)`), so dishes cook at the same time, until `closing` is
/// cancelled. Then it closes the inbox (guests are refused from now on), still cooks
/// every order already in it or on its way in (a guest who got a slot before the
/// inbox closed may hand the order in a moment later), waits for every dish, and
/// returns how many it cooked.
/// If every door is dropped first, the inbox ends by itself: the kitchen then stops
/// taking orders too, and returns the same way, without waiting for closing time.
pub async fn run_kitchen(
    mut inbox: mpsc::Receiver<Order>,
    closing: CancellationToken,
    kitchen: Kitchen,
) -> usize {
    let mut dishes = JoinSet::new();
    let mut cooked = 0;
    let cook = |dishes: &mut JoinSet<u32>, order: Order| {
        let kitchen = kitchen.clone();
        dishes.spawn(async move { kitchen.cook(order).await });
    };
    loop {
        tokio::select! {
            order = inbox.recv() => match order {
                Some(order) => cook(&mut dishes, order),
                None => break, // every door is gone
            },
            () = closing.cancelled() => break,
            // Count the dishes as they are served, so finished ones do not pile up.
            Some(done) = dishes.join_next() => cooked += served(done),
        }
    }
    // Closing time: refuse new orders, but cook the ones already taken.
    inbox.close();
    while let Some(order) = inbox.recv().await {
        cook(&mut dishes, order);
    }
    // Wait for every dish on the stove.
    while let Some(done) = dishes.join_next().await {
        cooked += served(done);
    }
    cooked
}

/// One dish's task ended: 1 if it was served; a panic is passed on.
fn served(done: Result<u32, JoinError>) -> usize {
    match done {
        Ok(_) => 1,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Given: the slow way, for comparison. Cooks the orders one after the other.
pub async fn one_after_another(orders: Vec<Order>, kitchen: Kitchen) -> usize {
    let mut cooked = 0;
    for order in orders {
        kitchen.cook(order).await;
        cooked += 1;
    }
    cooked
}

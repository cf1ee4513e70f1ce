//! # 05/02 Dinner deadline: timeouts and `select!`
//!
//! Dropping a future cancels it: it is never polled again, so it stops at the
//! `.await` where it was waiting, and whatever it held is dropped. Two tools are built
//! on that. `tokio::time::timeout` races a future against a timer and drops the
//! future if the timer wins; `tokio::select!` races several futures and drops every
//! one that did not finish first.
//!
//! Book: `book/src/ch05-one-cook-many-dishes/select-and-timeout.md`

use std::fmt;
use std::time::Duration;

mod kitchen;
pub use kitchen::{Dish, Doing, Event, Kitchen, Served, Step, What};

/// A dish that was not ready in time, and was taken off the stove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Late {
    pub dish: &'static str,
    /// The limit the dish was given (not the time measured until it was given up).
    pub limit: Duration,
}

impl fmt::Display for Late {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` was not ready within {} ms, so it was taken off the stove",
            self.dish,
            self.limit.as_millis()
        )
    }
}

impl std::error::Error for Late {}

/// Cooks `dish`, but gives up as soon as `limit` has passed.
///
/// Returns the served dish if it was ready within `limit` (a dish ready at the very
/// moment `limit` runs out is in time), or `Err(Late)` at the very
/// moment `limit` runs out (not when the dish would have been ready). Giving up must
/// stop the dish: the step on the stove at that moment is dropped, and no later step
/// starts.
pub async fn serve_within(dish: Dish, limit: Duration, kitchen: Kitchen) -> Result<Served, Late> {
    let name = dish.name;
    // When the timer wins, `timeout` drops the cooking future: the ticket of the step
    // on the stove is dropped with it, and no later step ever starts.
    tokio::time::timeout(limit, cook_dish(dish, kitchen))
        .await
        .map_err(|_elapsed| Late { dish: name, limit })
}

/// Cooks two dishes at the same time and serves whichever is ready first; the other
/// one is abandoned at that moment (its step on the stove is dropped).
pub async fn first_ready(a: Dish, b: Dish, kitchen: Kitchen) -> Served {
    tokio::select! {
        served = cook_dish(a, kitchen.clone()) => served,
        served = cook_dish(b, kitchen.clone()) => served,
    }
}

/// Given: cooks one dish, its steps one after the other, then serves it (the solution
/// of 05/01).
pub async fn cook_dish(dish: Dish, kitchen: Kitchen) -> Served {
    for step in &dish.steps {
        let doing = kitchen.begin(dish.name, step.name);
        tokio::time::sleep(step.takes).await;
        doing.finish();
    }
    kitchen.serve(dish.name)
}

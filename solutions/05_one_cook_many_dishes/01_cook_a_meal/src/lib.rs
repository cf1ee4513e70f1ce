//! # 05/01 Cook a meal: one cook, many dishes
//!
//! An `async fn` returns a future: a recipe that does nothing until an executor polls
//! it. Each `.await` is a point where the task may pause while it waits, and the
//! executor (here tokio's current-thread runtime: one thread, one cook) uses that
//! pause to move another task forward. Dishes that wait overlap; the meal takes as
//! long as the longest dish, not the sum of all of them.
//!
//! Book: `book/src/ch05-one-cook-many-dishes/spawn-and-join.md`

mod kitchen;
pub use kitchen::{Dish, Doing, Event, Kitchen, Served, Step, What};

/// Cooks one dish: its steps one after the other, then serves it.
///
/// For each step: `kitchen.begin(dish.name, step.name)` puts it on the stove, then
/// wait for `step.takes` without blocking the thread, then `finish()` the ticket.
/// When every step is done, return `kitchen.serve(dish.name)`.
pub async fn cook_dish(dish: Dish, kitchen: Kitchen) -> Served {
    for step in &dish.steps {
        let doing = kitchen.begin(dish.name, step.name);
        // The task pauses here; the cook is free for the other dishes.
        tokio::time::sleep(step.takes).await;
        doing.finish();
    }
    kitchen.serve(dish.name)
}

/// Cooks every dish at the same time, as separate tasks on the current runtime, and
/// returns what was served in the order of `dishes` (not the order they were ready).
pub async fn cook_meal(dishes: Vec<Dish>, kitchen: Kitchen) -> Vec<Served> {
    // Start them all first ...
    let handles: Vec<_> = dishes
        .into_iter()
        .map(|dish| tokio::spawn(cook_dish(dish, kitchen.clone())))
        .collect();
    // ... then wait for each, in order. The others keep cooking meanwhile.
    let mut served = Vec::with_capacity(handles.len());
    for handle in handles {
        match handle.await {
            Ok(dish) => served.push(dish),
            // Pass a dish's own panic on, message and all.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("a dish was cancelled: {e}"),
        }
    }
    served
}

/// Given: the slow way, one dish after the other. The meal takes the sum of the
/// dishes.
pub async fn cook_one_after_another(dishes: Vec<Dish>, kitchen: Kitchen) -> Vec<Served> {
    let mut served = Vec::with_capacity(dishes.len());
    for dish in dishes {
        served.push(cook_dish(dish, kitchen.clone()).await);
    }
    served
}

//! # 13/01 Pick the model
//!
//! The whole course in one function: given what a program's items do (how long
//! each one waits, how long it computes, whether its waits go through a blocking
//! API), pick the model. The given runner ([`run::run`]) then runs the program
//! under your model, for real, and the tests hold it to a measured target: a
//! speedup over one item after the other, and a cost (threads used, a runtime
//! kept free).
//!
//! Book: `book/src/ch13-choosing/flowchart.md`

pub mod run;

use std::time::Duration;

/// What every item of a program does, and how many items there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub name: String,
    /// How many items (requests, tiles, files...).
    pub items: usize,
    /// How long each item waits (network, disk, timer).
    pub wait: Duration,
    /// How long each item keeps a core busy.
    pub compute: Duration,
    /// The waits go through a blocking API (no async version exists).
    pub blocking_api: bool,
}

/// The models of the course.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Model {
    /// One item after the other, on the calling thread.
    Sequential,
    /// One OS thread per item (`std::thread::scope`).
    Threads,
    /// One tokio task per item, on one runtime thread.
    AsyncTasks,
    /// Rayon's pool, one thread per core (`par_iter`).
    Rayon,
    /// Tokio tasks for the waits, each computation handed to rayon.
    AsyncWithRayon,
}

/// Less total work than this is not worth a tool: threads, tasks and pools cost
/// more to start than they could save.
pub const NOT_WORTH_IT: Duration = Duration::from_millis(1);
/// An item that waits less than this does not really wait.
pub const REAL_WAIT: Duration = Duration::from_millis(1);
/// More computing than this between two awaits blocks an async runtime.
pub const BLOCKS_A_RUNTIME: Duration = Duration::from_micros(100);

/// The flowchart of chapter 13, as code. Ask, in this order:
///
/// 1. Is the total work, `items * (wait + compute)`, below [`NOT_WORTH_IT`]?
///    Then [`Model::Sequential`].
/// 2. Does an item wait less than [`REAL_WAIT`]? Then it only computes:
///    [`Model::Rayon`].
/// 3. Do the waits go through a blocking API? Then [`Model::Threads`].
/// 4. Does an item compute [`BLOCKS_A_RUNTIME`] or more? Then
///    [`Model::AsyncWithRayon`]; otherwise [`Model::AsyncTasks`].
pub fn choose(program: &Program) -> Model {
    // TODO: four questions, in the order above, each an `if` that returns a model.
    // `Duration` multiplies by a `u32` (`d * n`); `items` is a `usize`, so convert
    // with `u32::try_from(..).unwrap_or(u32::MAX)`, or use `Duration::mul_f64`.
    let _ = program;
    todo!("walk the flowchart")
}

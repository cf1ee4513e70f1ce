//! Given code (you do not need to change it): runs a [`Program`] under any
//! [`Model`], for real, and reports what it cost.
//!
//! Every item of a program first *waits* (`Program::wait`: a tokio sleep, or a
//! blocking `std::thread::sleep` when the program's waits go through a blocking API
//! or the model has no async runtime) and then *computes* (`Program::compute` of
//! arithmetic on one core, see [`compute`]).
//!
//! An item that panics makes [`run`] panic with the item's own panic, whatever the
//! model, as a plain call, `par_iter` or a joined thread would. Under
//! [`Model::AsyncWithRayon`] the panic is caught inside the closure given to
//! `rayon::spawn` and sent back through the channel (`on_rayon`): let loose, it would
//! have no caller to go back to, and rayon would abort the whole process.

use crate::{Model, Program};
use std::collections::HashSet;
use std::fmt;
use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// What one run produced and what it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// One result per item, in item order.
    pub results: Vec<u64>,
    /// How many distinct threads ran the items' work.
    pub threads: usize,
    /// Whether some computing ran on an async runtime's own thread (blocking it).
    pub computed_on_runtime: bool,
}

/// A program the runner refuses to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// More items than the runner accepts for this model.
    TooManyItems {
        items: usize,
        limit: usize,
        model: Model,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::TooManyItems {
                items,
                limit,
                model,
            } => write!(
                f,
                "{items} items is too many for {model:?} (at most {limit}): \
                 it would start a thread or a task per item"
            ),
        }
    }
}

impl std::error::Error for RunError {}

/// The most items for one run; a thread per item is capped lower.
pub const MAX_ITEMS: usize = 100_000;
pub const MAX_THREADS: usize = 1_000;

/// Keeps one core busy for about `d` and returns a number that depends on the
/// work (so that it cannot be optimised away). Calibrated once per process.
pub fn compute(d: Duration) -> u64 {
    if d.is_zero() {
        return 0;
    }
    let steps = (d.as_secs_f64() * steps_per_second()) as u64;
    spin(steps.max(1))
}

#[inline(never)]
fn spin(steps: u64) -> u64 {
    let mut x = black_box(steps) ^ 0x9E37_79B9_7F4A_7C15;
    for i in 0..black_box(steps) {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9).wrapping_add(i);
    }
    black_box(x)
}

fn steps_per_second() -> f64 {
    static RATE: OnceLock<f64> = OnceLock::new();
    *RATE.get_or_init(|| {
        let mut steps: u64 = 1 << 16;
        loop {
            let start = Instant::now();
            spin(steps);
            let took = start.elapsed();
            if took >= Duration::from_millis(10) {
                return steps as f64 / took.as_secs_f64();
            }
            steps *= 2;
        }
    })
}

#[derive(Default)]
struct Probe {
    threads: Mutex<HashSet<ThreadId>>,
    runtime: Mutex<Option<ThreadId>>,
    computed_on_runtime: Mutex<bool>,
}

impl Probe {
    fn record(&self) {
        let me = std::thread::current().id();
        self.threads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(me);
    }
    fn computing(&self) {
        let me = std::thread::current().id();
        if *self.runtime.lock().unwrap_or_else(|p| p.into_inner()) == Some(me) {
            *self
                .computed_on_runtime
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = true;
        }
    }
    fn item(&self, p: &Program, blocking_wait: bool) -> u64 {
        self.record();
        if blocking_wait {
            std::thread::sleep(p.wait);
        }
        self.work(p)
    }
    fn work(&self, p: &Program) -> u64 {
        self.record();
        self.computing();
        compute(p.compute)
    }
}

/// Runs every item of `program` under `model` and reports the results and the cost.
pub fn run(model: Model, program: &Program) -> Result<Run, RunError> {
    let limit = if model == Model::Threads {
        MAX_THREADS
    } else {
        MAX_ITEMS
    };
    if program.items > limit {
        return Err(RunError::TooManyItems {
            items: program.items,
            limit,
            model,
        });
    }
    let probe = Probe::default();
    let p = program;
    let results: Vec<u64> = match model {
        Model::Sequential => (0..p.items).map(|_| probe.item(p, true)).collect(),
        Model::Threads => std::thread::scope(|s| {
            let handles: Vec<_> = (0..p.items)
                .map(|_| s.spawn(|| probe.item(p, true)))
                .collect();
            handles
                .into_iter()
                // An item's panic goes on in the caller, with its own message.
                .map(|h| h.join().unwrap_or_else(|panic| resume_unwind(panic)))
                .collect()
        }),
        Model::Rayon => {
            use rayon::prelude::*;
            // Rayon has no async waits: a waiting item blocks a pool thread.
            (0..p.items)
                .into_par_iter()
                .map(|_| probe.item(p, true))
                .collect()
        }
        Model::AsyncTasks | Model::AsyncWithRayon => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a tokio runtime");
            *probe.runtime.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(std::thread::current().id());
            let probe = std::sync::Arc::new(probe);
            let program = p.clone();
            let results = rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for index in 0..program.items {
                    let (probe, program) = (probe.clone(), program.clone());
                    tasks.spawn(async move {
                        probe.record();
                        if program.blocking_api {
                            std::thread::sleep(program.wait); // blocks the runtime
                        } else {
                            tokio::time::sleep(program.wait).await;
                        }
                        let value = if model == Model::AsyncWithRayon {
                            let (probe, program) = (probe.clone(), program.clone());
                            // A panic of the work goes on in this task.
                            on_rayon(move || probe.work(&program))
                                .await
                                .unwrap_or_else(|panic| resume_unwind(panic))
                        } else {
                            probe.work(&program)
                        };
                        (index, value)
                    });
                }
                let mut results = vec![0; program.items];
                while let Some(done) = tasks.join_next().await {
                    // A task's panic goes on in the caller, with its own message.
                    let (index, value) = done.unwrap_or_else(|e| match e.try_into_panic() {
                        Ok(panic) => resume_unwind(panic),
                        Err(e) => panic!("an item's task did not finish: {e}"),
                    });
                    results[index] = value;
                }
                results
            });
            return Ok(Run {
                results,
                threads: probe
                    .threads
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .len(),
                computed_on_runtime: *probe
                    .computed_on_runtime
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            });
        }
    };
    Ok(Run {
        results,
        threads: probe
            .threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len(),
        computed_on_runtime: false,
    })
}

/// Runs `work` on rayon's pool and awaits its result without blocking the async
/// runtime: `Ok` with the value, or `Err` with the payload of the panic it raised.
///
/// The panic is caught inside the closure given to `rayon::spawn` and sent back
/// through the channel. Let loose, it would have no caller to go back to: rayon hands
/// it to the pool's `panic_handler`, and the global pool has none, so it would abort
/// the whole process.
async fn on_rayon<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> std::thread::Result<T> {
    let (send, receive) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(work));
        let _ = send.send(result); // the receiver may have given up
    });
    receive.await.expect("the closure always sends")
}

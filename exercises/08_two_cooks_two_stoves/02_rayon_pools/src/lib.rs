//! # 08/02 Rayon: parallel rows, and pools of any size
//!
//! `par_chunks_mut` turns "for each row" into "for each row, on every core", and
//! rayon's work stealing keeps all cores busy even when some rows cost far more than
//! others. A `ThreadPool` built with `ThreadPoolBuilder` decides how many cores that
//! is: `pool.install(job)` runs `job` (and every rayon call inside it) on that pool.
//!
//! Book: `book/src/ch08-two-cooks-two-stoves/rayon.md`

use std::fmt;

mod mandelbrot;
pub use mandelbrot::{View, ascii, render_row};

/// Why a call refused its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParError {
    /// A pool of 0 threads was asked for.
    NoThreads,
    /// `width` was 0: a row must hold at least one pixel.
    ZeroWidth,
    /// The output is not a whole number of rows of `width` pixels.
    RaggedRows { len: usize, width: usize },
    /// Rayon could not build the pool (its message).
    Pool(String),
}

impl fmt::Display for ParError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParError::NoThreads => write!(f, "a pool needs at least 1 thread, 0 were asked for"),
            ParError::ZeroWidth => write!(f, "rows must be at least 1 pixel wide"),
            ParError::RaggedRows { len, width } => write!(
                f,
                "{len} pixels are not a whole number of rows of {width} pixels"
            ),
            ParError::Pool(msg) => write!(f, "cannot build the thread pool: {msg}"),
        }
    }
}

impl std::error::Error for ParError {}

/// Calls `render(y, row)` for every row of `out` (rows of `width` pixels, one after
/// the other; `y` counts from 0), in parallel on the current rayon pool.
///
/// `width == 0` or an `out` that is not a whole number of rows is an error, and
/// `render` is never called.
pub fn par_rows<F>(out: &mut [u16], width: usize, render: F) -> Result<(), ParError>
where
    F: Fn(usize, &mut [u16]) + Sync + Send,
{
    // TODO: check `width` and `out.len()` first. Then let rayon share the rows out:
    // `out.par_chunks_mut(width).enumerate().for_each(...)` (bring the traits into
    // scope with `use rayon::prelude::*;`).
    let _ = (out, width, render);
    todo!("render the rows in parallel with rayon")
}

/// Runs `job` on a fresh rayon pool of exactly `threads` threads and returns its
/// result: every rayon call inside `job` (such as `par_rows`) uses that pool.
///
/// `threads == 0` is an error (careful: rayon itself reads 0 as "pick for me"), and
/// so is a pool that rayon cannot build; in both cases `job` is never run.
pub fn in_pool<R, J>(threads: usize, job: J) -> Result<R, ParError>
where
    R: Send,
    J: FnOnce() -> R + Send,
{
    // TODO: `rayon::ThreadPoolBuilder::new().num_threads(threads).build()`, turn its
    // error into `ParError::Pool(e.to_string())`, then `pool.install(job)`.
    let _ = (threads, job);
    todo!("build a pool of `threads` threads and run `job` inside it")
}

/// Given: renders `view` on a pool of `threads` threads.
pub fn render(view: &View, threads: usize) -> Result<Vec<u16>, ParError> {
    in_pool(threads, || {
        let mut pixels = vec![0; view.width * view.height];
        par_rows(&mut pixels, view.width, |y, row| render_row(view, y, row))?;
        Ok(pixels)
    })?
}

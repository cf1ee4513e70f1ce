//! # 08/01 Split by hand: one band of rows per thread
//!
//! Data parallelism by hand: cut the output into as many pieces as there are cooks,
//! give each piece to a thread of its own, and wait for all of them. Scoped threads
//! (`std::thread::scope`) may borrow the image and the pieces of the output, because
//! the scope waits for every thread before it returns.
//!
//! Book: `book/src/ch08-two-cooks-two-stoves/split-by-hand.md`

use std::fmt;

mod image;
pub use image::{Image, RADIUS, blur_rows, checksum, generate, hash};

/// Why `for_each_band` refused its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// `threads` was 0: nobody to do the work.
    NoThreads,
    /// `width` was 0: a row must hold at least one pixel.
    ZeroWidth,
    /// `out.len()` is not a whole number of rows of `width` pixels.
    RaggedRows { len: usize, width: usize },
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::NoThreads => write!(f, "cannot split the work among 0 threads"),
            SplitError::ZeroWidth => write!(f, "rows must be at least 1 pixel wide"),
            SplitError::RaggedRows { len, width } => write!(
                f,
                "{len} pixels are not a whole number of rows of {width} pixels"
            ),
        }
    }
}

impl std::error::Error for SplitError {}

/// Splits `out` (rows of `width` pixels, one after the other) into bands of whole
/// rows and calls `work(first_row, band)` once for each band, each band on a scoped
/// thread of its own, all at the same time. Returns once every band is done.
///
/// * Every band has `rows.div_ceil(threads)` rows, except the last one, which may be
///   shorter; so there are at most `threads` bands, and together they cover every
///   row exactly once. `first_row` is the index of the band's first row in `out`.
/// * No rows (an empty `out`) means no bands: `work` is never called.
/// * `threads == 0`, `width == 0`, or an `out` that is not a whole number of rows is
///   an error, and `work` is never called.
pub fn for_each_band<F>(
    out: &mut [u8],
    width: usize,
    threads: usize,
    work: F,
) -> Result<(), SplitError>
where
    F: Fn(usize, &mut [u8]) + Sync,
{
    // TODO: check the input first (see `SplitError`). Then compute the rows per band,
    // cut `out` with `chunks_mut(rows_per_band * width)`, and inside
    // `std::thread::scope` spawn one thread per band that calls `work`.
    // Spawn them all in one loop: the scope joins them when it ends.
    let _ = (out, width, threads, work);
    todo!("split the rows into bands, one scoped thread per band")
}

/// Given: blurs `image` with `threads` threads, one band of rows each.
pub fn blur(image: &Image, threads: usize) -> Result<Image, SplitError> {
    let mut out = vec![0; image.pixels.len()];
    for_each_band(&mut out, image.width, threads, |first_row, band| {
        blur_rows(image, first_row, band)
    })?;
    Ok(Image {
        width: image.width,
        height: image.height,
        pixels: out,
    })
}

//! # 02/02 Scoped chunks: threads that borrow
//!
//! `std::thread::spawn` needs `'static` data, so it cannot borrow a local slice.
//! `std::thread::scope` can: the scope waits for every thread it started before it
//! returns, so the borrow outlives the threads. Split a borrowed slice into one
//! contiguous chunk per thread, process the chunks at the same time, and combine.
//!
//! Book: `book/src/ch02-cores-and-threads/scoped-threads.md`

use std::fmt;
use std::ops::Range;

/// Why a slice cannot be split the way it was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkError {
    /// Zero parts: there would be no chunk to put the items in.
    ZeroParts,
    /// More parts than items: some chunk would be empty.
    TooManyParts { parts: usize, items: usize },
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::ZeroParts => write!(f, "cannot split into 0 parts"),
            ChunkError::TooManyParts { parts, items } => {
                write!(f, "cannot split {items} items into {parts} non-empty parts")
            }
        }
    }
}

impl std::error::Error for ChunkError {}

/// The index ranges of `parts` contiguous chunks that cover `0..len` in order.
///
/// The chunks differ in length by at most one, and the longer ones come first:
/// 10 items in 3 parts are `0..4`, `4..7`, `7..10`. Every chunk is non-empty, except
/// that an empty slice is one empty chunk (`0..0`) when asked for one part.
/// `parts == 0` is [`ChunkError::ZeroParts`]; more parts than items (and more than
/// one) is [`ChunkError::TooManyParts`].
pub fn chunk_ranges(len: usize, parts: usize) -> Result<Vec<Range<usize>>, ChunkError> {
    if parts == 0 {
        return Err(ChunkError::ZeroParts);
    }
    if parts > len.max(1) {
        return Err(ChunkError::TooManyParts { parts, items: len });
    }
    let base = len / parts;
    let extra = len % parts;
    let mut start = 0;
    Ok((0..parts)
        .map(|i| {
            let end = start + base + usize::from(i < extra);
            let range = start..end;
            start = end;
            range
        })
        .collect())
}

/// Splits `data` into `parts` chunks (see [`chunk_ranges`]), calls `f` on every chunk
/// at the same time, each on a scoped thread of its own, and returns the results in
/// chunk order.
///
/// `data` is only borrowed: no copy, no `Arc`. A call to `f` that panics makes this
/// function panic too.
pub fn map_chunks<T, R, F>(data: &[T], parts: usize, f: F) -> Result<Vec<R>, ChunkError>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let ranges = chunk_ranges(data.len(), parts)?;
    let f = &f;
    Ok(std::thread::scope(|s| {
        // Start every thread first, then join them in order.
        let handles: Vec<_> = ranges
            .into_iter()
            .map(|range| {
                let chunk = &data[range];
                s.spawn(move || f(chunk))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    }))
}

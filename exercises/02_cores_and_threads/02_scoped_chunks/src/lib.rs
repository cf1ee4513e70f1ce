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
    // TODO: reject 0 parts and more parts than items (an empty slice may be one
    // empty chunk). Then every chunk gets `len / parts` items, and the first
    // `len % parts` chunks get one more.
    let _ = (len, parts);
    todo!("compute the chunk ranges")
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
    // TODO: get the ranges from `chunk_ranges` (`?` passes its error on), then in
    // `std::thread::scope(|s| ...)` spawn one scoped thread per chunk with
    // `s.spawn(...)`, keep the handles, and join them in order. A scoped thread may
    // borrow `data` and `f`: the scope outlives them.
    let _ = (data, parts, f);
    todo!("one scoped thread per chunk, results in chunk order")
}

//! # 06/02 Bounded fetch: many requests, few connections
//!
//! An async TCP client looks like a blocking one with `.await` after every call that
//! waits. Starting one task per request gives you as many requests in flight as you
//! like; a `Semaphore` puts a ceiling on it (a server, or your own file descriptors,
//! will thank you), and `tokio::time::timeout` makes sure that a request that never
//! gets an answer cannot hold everything up.
//!
//! Book: `book/src/ch06-ten-thousand-waits/bounded.md`

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

mod server;
pub use server::Server;

/// Asks the server at `addr` for `key` over a new TCP connection and returns its
/// answer without the trailing newline.
///
/// An answer that starts with `ERR ` is the server refusing the request: return it as
/// an `io::Error` (kind `InvalidData`) whose message is the rest of the line.
pub async fn fetch(addr: SocketAddr, key: &str) -> io::Result<String> {
    // TODO: `tokio::net::TcpStream::connect(addr).await?`; send the key and a newline
    // with `write_all` (from `tokio::io::AsyncWriteExt`); read one line back, e.g.
    // with `tokio::io::BufReader::new(stream)` and `read_line` (`AsyncBufReadExt`).
    let _ = (addr, key);
    todo!("send the key, read one line back")
}

/// Why `fetch_all` failed.
#[derive(Debug)]
pub enum FetchError {
    /// A limit of 0 connections: nothing could ever be fetched.
    NoConnectionsAllowed,
    /// No answer for `key` within `after` (counted from when its request started).
    TimedOut { key: String, after: Duration },
    /// Fetching `key` failed.
    Failed { key: String, source: io::Error },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::NoConnectionsAllowed => {
                write!(f, "the limit must be at least 1 connection, not 0")
            }
            FetchError::TimedOut { key, after } => {
                write!(f, "no answer for `{key}` within {} ms", after.as_millis())
            }
            FetchError::Failed { key, source } => write!(f, "fetching `{key}` failed: {source}"),
        }
    }
}

impl std::error::Error for FetchError {}

/// Fetches every key at the same time, with at most `limit` requests in progress at
/// once, and returns the answers in the order of `keys`.
///
/// Each request gets `each_within` from the moment it has its connection slot; a
/// request that takes longer is abandoned (its connection closed) and reported as
/// `FetchError::TimedOut`. If several keys fail, the error of the first failing key
/// (in the order of `keys`) is returned. A `limit` of 0 is an error.
pub async fn fetch_all(
    addr: SocketAddr,
    keys: &[&str],
    limit: usize,
    each_within: Duration,
) -> Result<Vec<String>, FetchError> {
    // TODO: return `Err(FetchError::NoConnectionsAllowed)` for a limit of 0. Make an
    // `Arc<tokio::sync::Semaphore>` with `limit` permits. Spawn one task per key that
    // first takes a permit (`acquire_owned().await`), keeps it until its request is
    // done, and wraps `fetch` in `tokio::time::timeout(each_within, ...)`. Then await
    // the handles in order and turn each outcome into a `String` or a `FetchError`.
    let _ = (addr, keys, limit, each_within);
    todo!("fetch every key, at most `limit` at once")
}

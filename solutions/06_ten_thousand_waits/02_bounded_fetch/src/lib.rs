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
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

mod server;
pub use server::Server;

/// Asks the server at `addr` for `key` over a new TCP connection and returns its
/// answer without the trailing newline.
///
/// An answer that starts with `ERR ` is the server refusing the request: return it as
/// an `io::Error` (kind `InvalidData`) whose message is the rest of the line.
pub async fn fetch(addr: SocketAddr, key: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(format!("{key}\n").as_bytes()).await?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await?;
    let answer = line.trim_end_matches(['\r', '\n']);
    match answer.strip_prefix("ERR ") {
        Some(refusal) => Err(io::Error::new(io::ErrorKind::InvalidData, refusal)),
        None => Ok(answer.to_string()),
    }
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
    if limit == 0 {
        return Err(FetchError::NoConnectionsAllowed);
    }
    let slots = Arc::new(Semaphore::new(limit));
    let handles: Vec<_> = keys
        .iter()
        .map(|&key| {
            let key = key.to_string();
            let slots = Arc::clone(&slots);
            tokio::spawn(async move {
                // Held until this task ends: at most `limit` requests at once.
                let _slot = slots.acquire_owned().await.expect("never closed");
                let outcome = tokio::time::timeout(each_within, fetch(addr, &key)).await;
                match outcome {
                    Ok(Ok(answer)) => Ok(answer),
                    Ok(Err(source)) => Err(FetchError::Failed { key, source }),
                    // The `fetch` future was dropped: its socket is closed.
                    Err(_elapsed) => Err(FetchError::TimedOut {
                        key,
                        after: each_within,
                    }),
                }
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(handles.len());
    let mut first_error = None;
    for handle in handles {
        match handle.await {
            Ok(Ok(answer)) => answers.push(answer),
            Ok(Err(error)) => {
                first_error.get_or_insert(error);
            }
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("a request task was cancelled: {e}"),
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(answers),
    }
}

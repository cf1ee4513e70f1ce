//! # 12/02 A checksum service: blocking reads on spawn_blocking, checksums on rayon
//!
//! Each request of the service does two things that an async task must not do on
//! the runtime's thread. It *reads* a blob with a blocking client ([`Store::read`]
//! holds its thread until the answer is back: waiting, but not async), then it
//! *computes* a checksum ([`checksum::checksum`]: a core busy all along). Both are
//! handed over, each to the pool made for it:
//!
//! * the blocking read to tokio's **blocking pool** (`spawn_blocking`), which starts
//!   a thread for each call in progress (up to 512): blocked threads use no core,
//!   so a burst of reads all wait at once;
//! * the checksum to **rayon** (`rayon::spawn` and a oneshot channel), whose pool has
//!   one thread per core and queues the rest: a burst of checksums never makes more
//!   busy threads than there are cores.
//!
//! Swap them and the service still answers right, but a burst of reads queues
//! behind the cores, or a burst of checksums becomes one busy thread per request.
//!
//! Given code, in modules you do not need to change: [`store`] (the blob store and
//! its blocking client) and [`checksum`] (the computing step).
//!
//! Book: `book/src/ch12-mixing-waiting-and-computing/exercises.md` (12/02), after
//! `hand-off.md` ("Which hand-off?")

pub mod checksum;
pub mod store;

use std::any::Any;
use std::fmt;
use std::panic::AssertUnwindSafe;
use store::{ReadError, Store};
use tokio::task::JoinSet;

/// One request: the checksum of blob `name`, mixed `rounds` times over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub name: String,
    pub rounds: u32,
}

/// Why one request got no checksum. The other requests are not affected.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The read failed (no such blob).
    Read(ReadError),
    /// The checksum panicked (a bug in the computing step); the panic's message.
    Checksum(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Read(e) => write!(f, "cannot read: {e}"),
            RequestError::Checksum(message) => write!(f, "the checksum panicked: {message}"),
        }
    }
}

impl std::error::Error for RequestError {}

/// The answer to one request.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub name: String,
    pub result: Result<u64, RequestError>,
}

/// Given: the message of a panic, from the payload that `std::panic::catch_unwind`
/// (or a thread's `join`) returns.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Reads blob `name` with the blocking [`Store::read`] on tokio's **blocking pool**
/// and waits for it without blocking the runtime: while the read holds its thread,
/// the runtime's thread is free for other tasks, and a burst of reads all wait at
/// the same time (the pool starts a thread for each).
pub async fn read_on_blocking_pool(store: &Store, name: &str) -> Result<Vec<u8>, ReadError> {
    let (store, name) = (store.clone(), name.to_string());
    tokio::task::spawn_blocking(move || store.read(&name))
        .await
        // `Store::read` never panics, and a blocking task cannot be cancelled.
        .expect("a blocking read never panics")
}

/// Computes [`checksum::checksum`] on **rayon's** pool and waits for it through a
/// oneshot channel, without blocking the runtime. However many requests ask at
/// once, at most one checksum per core runs at a time; the rest wait in rayon's
/// queue.
///
/// A checksum that panics is `Err` with the panic's message ([`panic_message`]),
/// caught inside the closure given to `rayon::spawn`: a panic that escapes it
/// aborts the whole process (unless the pool has a `panic_handler`).
pub async fn checksum_on_rayon(data: Vec<u8>, rounds: u32) -> Result<u64, String> {
    let (done, result) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let sum = std::panic::catch_unwind(AssertUnwindSafe(|| checksum::checksum(&data, rounds)))
            .map_err(|payload| panic_message(payload.as_ref()));
        // The receiver may be gone if the caller gave up: nothing to do then.
        let _ = done.send(sum);
    });
    // Every path through the closure sends: a closed channel means the pool itself
    // dropped the job.
    result
        .await
        .unwrap_or_else(|_| Err("the rayon pool dropped the checksum".to_string()))
}

/// Serves every request at once, one task each: read the blob
/// ([`read_on_blocking_pool`]), then compute its checksum ([`checksum_on_rayon`]).
///
/// Returns one response per request, **in the order of `requests`**, whatever order
/// they finished in. A missing blob is [`RequestError::Read`] and a checksum that
/// panics is [`RequestError::Checksum`], for that request alone: the others are
/// served as usual.
pub async fn serve(store: &Store, requests: &[Request]) -> Vec<Response> {
    let mut tasks = JoinSet::new();
    for (index, request) in requests.iter().cloned().enumerate() {
        let store = store.clone();
        tasks.spawn(async move {
            let result = match read_on_blocking_pool(&store, &request.name).await {
                Ok(data) => checksum_on_rayon(data, request.rounds)
                    .await
                    .map_err(RequestError::Checksum),
                Err(e) => Err(RequestError::Read(e)),
            };
            let response = Response {
                name: request.name,
                result,
            };
            (index, response)
        });
    }
    let mut responses: Vec<Option<Response>> = requests.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (index, response) = joined.expect("a request's task panicked");
        responses[index] = Some(response);
    }
    responses
        .into_iter()
        .map(|r| r.expect("every request answered"))
        .collect()
}

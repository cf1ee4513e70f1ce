//! Given code (you do not need to change it): a blob store and its **blocking**
//! client, like a legacy storage library or a synchronous read of a network disk.
//!
//! [`Store::read`] holds its thread until the answer is back (it sleeps for the
//! store's delay, then copies the blob): it *waits*, and uses no core meanwhile. But
//! it is not async: called on the runtime's thread, it stops every other task there.
//!
//! The store also counts, without a clock, what the tests check: the most reads in
//! progress at once, the reads in all, and the threads that did them (the runtime's?
//! one of rayon's?).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// Why a read failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The store holds no blob of that name.
    NotFound(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound(name) => write!(f, "no blob named {name:?} in the store"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Builds a [`Store`].
#[derive(Clone, Debug, Default)]
pub struct StoreBuilder {
    blobs: HashMap<String, (Vec<u8>, Option<Duration>)>,
    delay: Duration,
}

impl StoreBuilder {
    /// Holds `bytes` under `name`; reading it takes the store's delay.
    pub fn blob(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.blobs.insert(name.to_string(), (bytes, None));
        self
    }

    /// Holds `bytes` under `name`; reading it takes `delay` instead of the store's.
    pub fn slow_blob(mut self, name: &str, bytes: Vec<u8>, delay: Duration) -> Self {
        self.blobs.insert(name.to_string(), (bytes, Some(delay)));
        self
    }

    /// How long each read blocks its thread (default: not at all). A name that is
    /// not in the store fails after the same delay.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn build(self) -> Store {
        Store {
            inner: Arc::new(Inner {
                blobs: self.blobs,
                delay: self.delay,
                now: AtomicUsize::new(0),
                most: AtomicUsize::new(0),
                reads: AtomicUsize::new(0),
                threads: Mutex::new(Vec::new()),
                spans: Mutex::new(Vec::new()),
            }),
        }
    }
}

#[derive(Debug)]
struct Inner {
    blobs: HashMap<String, (Vec<u8>, Option<Duration>)>,
    delay: Duration,
    now: AtomicUsize,
    most: AtomicUsize,
    reads: AtomicUsize,
    /// Each thread that read, and whether it was one of rayon's.
    threads: Mutex<Vec<(ThreadId, bool)>>,
    /// Each read: the blob's name, when it began and when it ended.
    spans: Mutex<Vec<(String, Instant, Instant)>>,
}

/// A blob store with a blocking client. Cheap to clone: every clone is the same
/// store (an `Arc` inside), so a clone can move into a `'static` closure.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    pub fn builder() -> StoreBuilder {
        StoreBuilder::default()
    }

    /// **Blocks the calling thread** for the store's delay, then returns a copy of
    /// the blob `name`, or [`ReadError::NotFound`].
    pub fn read(&self, name: &str) -> Result<Vec<u8>, ReadError> {
        let inner = &self.inner;
        let now = inner.now.fetch_add(1, Ordering::SeqCst) + 1;
        inner.most.fetch_max(now, Ordering::SeqCst);
        inner.reads.fetch_add(1, Ordering::SeqCst);
        {
            let here = (
                std::thread::current().id(),
                rayon::current_thread_index().is_some(),
            );
            let mut threads = inner.threads.lock().unwrap_or_else(|p| p.into_inner());
            if !threads.contains(&here) {
                threads.push(here);
            }
        }
        let blob = inner.blobs.get(name);
        let delay = blob.and_then(|(_, d)| *d).unwrap_or(inner.delay);
        let began = Instant::now();
        std::thread::sleep(delay);
        inner.now.fetch_sub(1, Ordering::SeqCst);
        let span = (name.to_string(), began, Instant::now());
        inner
            .spans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(span);
        blob.map(|(bytes, _)| bytes.clone())
            .ok_or_else(|| ReadError::NotFound(name.to_string()))
    }

    /// The most reads that were in progress at the same time.
    pub fn most_at_once(&self) -> usize {
        self.inner.most.load(Ordering::SeqCst)
    }

    /// How many reads there were in all.
    pub fn reads(&self) -> usize {
        self.inner.reads.load(Ordering::SeqCst)
    }

    /// The distinct threads that read from this store.
    pub fn read_threads(&self) -> Vec<ThreadId> {
        let threads = self.inner.threads.lock().unwrap_or_else(|p| p.into_inner());
        threads.iter().map(|&(id, _)| id).collect()
    }

    /// Each read so far: the blob's name, when it began and when it ended (for the
    /// grader's timeline pictures).
    pub fn read_spans(&self) -> Vec<(String, Instant, Instant)> {
        self.inner
            .spans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many distinct threads of a rayon pool read from this store.
    pub fn rayon_threads_that_read(&self) -> usize {
        let threads = self.inner.threads.lock().unwrap_or_else(|p| p.into_inner());
        threads.iter().filter(|&&(_, on_rayon)| on_rayon).count()
    }
}

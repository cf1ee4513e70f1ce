//! Given code (you do not need to change it): the slow source the log files come
//! from, and the probes the tests read.
//!
//! Each file arrives after a wait (the network, in a real service; a timer here).
//! The collector has an **async** API, [`Collector::fetch`], and, for old code, a
//! **blocking** one, [`Collector::fetch_blocking`], that holds its thread for the
//! whole wait. It serves at most [`Collector::max_in_flight`] requests at once: the
//! tests count how many you ask for at the same time.
//!
//! A fetched [`LogFile`] is parsed with [`LogFile::parse`] (the computing step,
//! [`crate::log::parse`]); the collector also counts where that ran.

use crate::log;
use crate::report::Tally;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

/// Why a file could not be fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// The collector has no file of that name.
    NotFound,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::NotFound => write!(f, "the collector has no such file"),
        }
    }
}

impl std::error::Error for FetchError {}

/// Builds a [`Collector`].
#[derive(Clone, Debug)]
pub struct CollectorBuilder {
    files: HashMap<String, String>,
    waits: HashMap<String, Duration>,
    wait: Duration,
    max_in_flight: usize,
}

impl CollectorBuilder {
    /// Serves `text` as the file `name`.
    pub fn file(mut self, name: &str, text: String) -> Self {
        self.files.insert(name.to_string(), text);
        self
    }

    /// How long each file takes to arrive (default 20 ms).
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// How long the file (or missing file) `name` takes to arrive, instead.
    pub fn wait_for(mut self, name: &str, wait: Duration) -> Self {
        self.waits.insert(name.to_string(), wait);
        self
    }

    /// How many requests the collector serves at once (default 4, at least 1).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    pub fn build(self) -> Collector {
        Collector {
            inner: Arc::new(Inner {
                config: self,
                probe: Probe::default(),
            }),
        }
    }
}

/// The slow source of log files. Cheap to clone (clones share everything), so it
/// can move into `'static` tasks and closures.
#[derive(Clone, Debug)]
pub struct Collector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: CollectorBuilder,
    probe: Probe,
}

#[derive(Debug, Default)]
struct Probe {
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    fetches: AtomicUsize,
    blocking_fetches: AtomicUsize,
    waited_on: Mutex<HashSet<ThreadId>>,
    parses: AtomicUsize,
    parses_off_rayon: AtomicUsize,
    parses_in_runtime: AtomicUsize,
    parsed_on: Mutex<HashSet<ThreadId>>,
    fetch_log: Mutex<Vec<Fetch>>,
}

/// One line of the collector's fetch log: a request started, or ended (its file
/// delivered, or found missing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetch {
    Started(String),
    Ended(String),
}

/// Leaves the in-flight count when dropped (also when a fetch is cancelled), and
/// logs the end of the request.
struct InFlight<'a>(&'a Probe, String);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        lock(&self.0.fetch_log).push(Fetch::Ended(std::mem::take(&mut self.1)));
    }
}

impl Probe {
    fn enter(&self, name: &str, blocking: bool) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if blocking {
            self.blocking_fetches.fetch_add(1, Ordering::SeqCst);
        }
        lock(&self.waited_on).insert(std::thread::current().id());
        lock(&self.fetch_log).push(Fetch::Started(name.to_string()));
        InFlight(self, name.to_string())
    }

    fn parsing(&self) {
        self.parses.fetch_add(1, Ordering::SeqCst);
        if rayon::current_thread_index().is_none() {
            self.parses_off_rayon.fetch_add(1, Ordering::SeqCst);
        }
        // True on a runtime's worker, inside `block_on`, and on its blocking pool.
        if tokio::runtime::Handle::try_current().is_ok() {
            self.parses_in_runtime.fetch_add(1, Ordering::SeqCst);
        }
        lock(&self.parsed_on).insert(std::thread::current().id());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the collector saw so far (for the tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Requests made, through either API.
    pub fetches: usize,
    /// Requests made through [`Collector::fetch_blocking`].
    pub blocking_fetches: usize,
    /// The most requests in progress at the same time.
    pub most_in_flight: usize,
    /// Distinct threads that made a request (and waited on it).
    pub threads_that_waited: usize,
    /// Calls of [`LogFile::parse`].
    pub parses: usize,
    /// Parses that ran outside any rayon pool.
    pub parses_off_rayon: usize,
    /// Parses that ran inside a tokio runtime (a worker, `block_on`, or the
    /// runtime's blocking pool).
    pub parses_in_runtime: usize,
    /// Distinct threads that parsed.
    pub threads_that_parsed: usize,
    /// Threads that both waited for a file and parsed one.
    pub threads_that_did_both: usize,
}

impl Collector {
    pub fn builder() -> CollectorBuilder {
        CollectorBuilder {
            files: HashMap::new(),
            waits: HashMap::new(),
            wait: Duration::from_millis(20),
            max_in_flight: 4,
        }
    }

    /// The most requests the collector serves at once: never have more in flight.
    pub fn max_in_flight(&self) -> usize {
        self.inner.config.max_in_flight
    }

    fn wait_for(&self, name: &str) -> Duration {
        let config = &self.inner.config;
        config.waits.get(name).copied().unwrap_or(config.wait)
    }

    fn deliver(&self, name: &str) -> Result<LogFile, FetchError> {
        let text = self
            .inner
            .config
            .files
            .get(name)
            .ok_or(FetchError::NotFound)?;
        Ok(LogFile {
            name: name.to_string(),
            text: text.clone(),
            collector: self.clone(),
        })
    }

    /// Fetches the file `name`: waits (without holding a thread: an async timer)
    /// until it arrives. A missing file is `Err(NotFound)`, after the same wait.
    pub async fn fetch(&self, name: &str) -> Result<LogFile, FetchError> {
        let _in_flight = self.inner.probe.enter(name, false);
        tokio::time::sleep(self.wait_for(name)).await;
        self.deliver(name)
    }

    /// The same, through the old blocking client: holds the calling thread for the
    /// whole wait (`std::thread::sleep`).
    pub fn fetch_blocking(&self, name: &str) -> Result<LogFile, FetchError> {
        let _in_flight = self.inner.probe.enter(name, true);
        std::thread::sleep(self.wait_for(name));
        self.deliver(name)
    }

    /// Every request so far, in the order they started and ended (for the tests).
    pub fn fetch_log(&self) -> Vec<Fetch> {
        lock(&self.inner.probe.fetch_log).clone()
    }

    /// What the collector saw so far.
    pub fn stats(&self) -> Stats {
        let p = &self.inner.probe;
        let waited = lock(&p.waited_on).clone();
        let parsed = lock(&p.parsed_on).clone();
        Stats {
            fetches: p.fetches.load(Ordering::SeqCst),
            blocking_fetches: p.blocking_fetches.load(Ordering::SeqCst),
            most_in_flight: p.most_in_flight.load(Ordering::SeqCst),
            threads_that_waited: waited.len(),
            parses: p.parses.load(Ordering::SeqCst),
            parses_off_rayon: p.parses_off_rayon.load(Ordering::SeqCst),
            parses_in_runtime: p.parses_in_runtime.load(Ordering::SeqCst),
            threads_that_parsed: parsed.len(),
            threads_that_did_both: waited.intersection(&parsed).count(),
        }
    }
}

/// A file that has arrived. `Send + 'static`: it can move to another thread.
#[derive(Clone, Debug)]
pub struct LogFile {
    pub name: String,
    pub text: String,
    collector: Collector,
}

impl LogFile {
    /// The computing step ([`log::parse`]): keeps a core busy for a few
    /// milliseconds. Call it off the async runtime.
    pub fn parse(&self) -> Result<Tally, log::ParseError> {
        self.collector.inner.probe.parsing();
        log::parse(&self.text)
    }
}

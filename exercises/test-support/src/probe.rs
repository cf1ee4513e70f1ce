//! Structural probes: facts about a run that do not depend on the clock, so they
//! catch a sequential answer even on a busy or one-core machine.

use crate::timeline;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

/// Counts how many jobs are in flight at once, and remembers the most it ever saw.
///
/// Cheap to clone (all clones share one count), so it can move into threads and
/// `'static` tasks. A job calls [`Gauge::enter`] when it starts and keeps the guard
/// until it ends.
#[derive(Clone, Debug, Default)]
pub struct Gauge {
    inner: Arc<GaugeInner>,
}

#[derive(Debug)]
struct GaugeInner {
    now: AtomicUsize,
    most: AtomicUsize,
    total: AtomicUsize,
    /// Where its jobs' spans go when the grader records a timeline.
    timeline: Option<timeline::GroupId>,
}

impl Default for GaugeInner {
    fn default() -> Self {
        GaugeInner {
            now: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            timeline: timeline::group("gauge"),
        }
    }
}

impl Drop for GaugeInner {
    fn drop(&mut self) {
        if self.timeline.is_some() {
            timeline::flush();
        }
    }
}

/// Held while a job is in flight; dropping it leaves the gauge.
#[must_use = "the job is in flight only while the guard is alive"]
#[derive(Debug)]
pub struct GaugeGuard {
    // Ends before `inner` is let go: the last guard's drop may flush the spans.
    _span: Option<timeline::Open>,
    inner: Arc<GaugeInner>,
}

impl Gauge {
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks one more job in flight until the returned guard is dropped.
    pub fn enter(&self) -> GaugeGuard {
        let now = self.inner.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.most.fetch_max(now, Ordering::SeqCst);
        self.inner.total.fetch_add(1, Ordering::SeqCst);
        GaugeGuard {
            _span: timeline::begin(self.inner.timeline),
            inner: Arc::clone(&self.inner),
        }
    }

    /// The largest number of jobs that were in flight at the same time.
    pub fn most_at_once(&self) -> usize {
        self.inner.most.load(Ordering::SeqCst)
    }

    /// How many jobs entered in all.
    pub fn total(&self) -> usize {
        self.inner.total.load(Ordering::SeqCst)
    }

    /// How many jobs are in flight right now.
    pub fn now(&self) -> usize {
        self.inner.now.load(Ordering::SeqCst)
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.inner.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The set of distinct OS threads that did some work.
#[derive(Clone, Debug, Default)]
pub struct ThreadSet {
    inner: Arc<Mutex<HashSet<ThreadId>>>,
}

impl ThreadSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the calling thread.
    pub fn record(&self) {
        let id = std::thread::current().id();
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id);
    }

    /// How many distinct threads called [`ThreadSet::record`].
    pub fn distinct(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// Whether the calling thread is among the recorded ones.
    pub fn contains_current(&self) -> bool {
        let id = std::thread::current().id();
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauge_keeps_the_most_at_once() {
        let gauge = Gauge::new();
        let a = gauge.enter();
        let b = gauge.enter();
        drop(a);
        let c = gauge.enter();
        drop((b, c));
        assert_eq!(gauge.most_at_once(), 2);
        assert_eq!(gauge.total(), 3);
        assert_eq!(gauge.now(), 0);
    }

    #[test]
    fn thread_set_counts_distinct_threads() {
        let set = ThreadSet::new();
        set.record();
        set.record();
        std::thread::scope(|s| {
            s.spawn(|| set.record());
            s.spawn(|| set.record());
        });
        assert_eq!(set.distinct(), 3);
    }
}

//! Spans for the grader's timeline pictures: which job ran on which thread or tokio
//! task, from when to when.
//!
//! Recording is off unless the grader sets `WOW_TIMELINE` to a file path (`cargo
//! xtask check --timeline`); then every [`crate::Gauge`] job (from `enter` to the
//! guard's drop) and every [`span`] guard is one span. A span takes a slot of a
//! fixed table (each thread reserves blocks of 64 slots with one atomic add: no lock
//! and no shared counter on the hot path) and writes its start and end there; the spans are written to the file as JSON lines when a gauge is dropped,
//! when the last open [`span`] ends, or on [`flush`]:
//!
//! ```json
//! {"kind":"group","group":0,"test":"jobs_overlap","name":"gauge","clock":"real","created":1200,"cores":2}
//! {"kind":"lane","lane":3,"name":"jobs_overlap","thread":"ThreadId(2)"}
//! {"kind":"span","group":0,"lane":3,"start":1500,"end":100002000}
//! ```
//!
//! Times are nanoseconds on the group's clock: `real` (a process-wide
//! `std::time::Instant`) or, for a gauge made inside a tokio runtime, `tokio`
//! (`tokio::time::Instant`, virtual and exact under a paused clock). A lane is a
//! thread (named in a `lane` line) or, inside a tokio task, that task (a lane number
//! with the top bit set, the same for the whole task).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The environment variable with which the grader asks for spans: the file to append
/// them to.
pub const VAR: &str = "WOW_TIMELINE";

/// How many spans one test process can hold; later ones are counted, not kept.
const CAPACITY: usize = 1 << 17;

/// How many slots a thread takes at a time.
const BLOCK: usize = 64;

/// The top bit of a lane number: a tokio task rather than a thread.
pub const TASK_LANE: u64 = 1 << 63;

const EMPTY: u8 = 0;
const OPEN: u8 = 1;
const DONE: u8 = 2;
const WRITTEN: u8 = 3;

#[derive(Default)]
struct Slot {
    state: AtomicU8,
    group: AtomicU32,
    lane: AtomicU64,
    start: AtomicU64,
    end: AtomicU64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Clock {
    Real,
    Tokio,
}

struct Group {
    test: String,
    name: String,
    clock: Clock,
    created: u64,
}

struct Recorder {
    path: std::path::PathBuf,
    origin: Instant,
    slots: Box<[Slot]>,
    next: AtomicUsize,
    /// Spans not kept: the table was full.
    dropped: AtomicUsize,
    /// Spans begun and not yet ended by [`span`] guards.
    open_named: AtomicUsize,
    groups: Mutex<Vec<Group>>,
    lanes: Mutex<Vec<(u64, String, String)>>,
    /// The groups and lanes of [`replay`], by test and name, and by label.
    replayed: Mutex<Replayed>,
    /// What has been written so far: groups, lanes, and the first slot that may
    /// still be unwritten.
    written: Mutex<(usize, usize, usize)>,
    next_lane: AtomicU64,
}

/// [`replay`]'s groups by test and name, and its lanes by label.
type Replayed = (HashMap<(String, String), u32>, HashMap<String, u64>);

static RECORDER: OnceLock<Option<Recorder>> = OnceLock::new();

fn recorder() -> Option<&'static Recorder> {
    RECORDER
        .get_or_init(|| {
            let path = std::env::var_os(VAR).filter(|p| !p.is_empty())?;
            Some(Recorder {
                path: path.into(),
                origin: Instant::now(),
                slots: (0..CAPACITY).map(|_| Slot::default()).collect(),
                next: AtomicUsize::new(0),
                dropped: AtomicUsize::new(0),
                open_named: AtomicUsize::new(0),
                groups: Mutex::new(Vec::new()),
                lanes: Mutex::new(Vec::new()),
                replayed: Mutex::new((HashMap::new(), HashMap::new())),
                written: Mutex::new((0, 0, 0)),
                next_lane: AtomicU64::new(1),
            })
        })
        .as_ref()
}

/// Whether spans are being recorded (`WOW_TIMELINE` is set).
pub fn enabled() -> bool {
    recorder().is_some()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Recorder {
    fn now(&self, clock: Clock) -> u64 {
        let elapsed = match clock {
            Clock::Real => self.origin.elapsed(),
            Clock::Tokio => tokio::time::Instant::now()
                .saturating_duration_since(tokio::time::Instant::from_std(self.origin)),
        };
        elapsed.as_nanos() as u64
    }

    fn register(&self, name: &str, clock: Clock) -> u32 {
        self.register_at(name, clock, self.now(clock))
    }

    fn register_at(&self, name: &str, clock: Clock, created: u64) -> u32 {
        let test = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        let mut groups = lock(&self.groups);
        groups.push(Group {
            test,
            name: name.to_string(),
            clock,
            created,
        });
        (groups.len() - 1) as u32
    }

    fn lane(&self) -> u64 {
        if let Some(task) = tokio::task::try_id() {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            task.hash(&mut hasher);
            return hasher.finish() | TASK_LANE;
        }
        thread_local! {
            static LANE: Cell<u64> = const { Cell::new(0) };
        }
        LANE.with(|lane| {
            if lane.get() == 0 {
                let n = self.next_lane.fetch_add(1, Ordering::Relaxed);
                let current = std::thread::current();
                lock(&self.lanes).push((
                    n,
                    current.name().unwrap_or("unnamed").to_string(),
                    format!("{:?}", current.id()),
                ));
                lane.set(n);
            }
            lane.get()
        })
    }

    /// A free slot: each thread takes a block of [`BLOCK`] slots at a time, so that
    /// threads neither contend for one counter nor write to the same cache lines.
    fn take_slot(&self) -> Option<usize> {
        thread_local! {
            static BLOCK_AT: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
        }
        BLOCK_AT.with(|at| {
            let (mut next, mut end) = at.get();
            if next == end {
                next = self.next.fetch_add(BLOCK, Ordering::Relaxed);
                end = next + BLOCK;
            }
            at.set((next + 1, end));
            if next < CAPACITY {
                Some(next)
            } else {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                None
            }
        })
    }

    fn begin(&self, group: u32, clock: Clock) -> Option<usize> {
        let index = self.take_slot()?;
        let slot = &self.slots[index];
        slot.group.store(group, Ordering::Relaxed);
        slot.lane.store(self.lane(), Ordering::Relaxed);
        slot.start.store(self.now(clock), Ordering::Relaxed);
        slot.state.store(OPEN, Ordering::Release);
        Some(index)
    }

    fn end(&self, index: usize, clock: Clock) {
        let slot = &self.slots[index];
        slot.end.store(self.now(clock), Ordering::Relaxed);
        slot.state.store(DONE, Ordering::Release);
    }

    fn flush(&self) {
        let mut written = lock(&self.written);
        let mut out = String::new();
        {
            let groups = lock(&self.groups);
            for (i, g) in groups.iter().enumerate().skip(written.0) {
                out.push_str(&format!(
                    "{{\"kind\":\"group\",\"group\":{i},\"test\":\"{}\",\"name\":\"{}\",\"clock\":\"{}\",\"created\":{},\"cores\":{}}}\n",
                    escape(&g.test),
                    escape(&g.name),
                    if g.clock == Clock::Real { "real" } else { "tokio" },
                    g.created,
                    crate::cores()
                ));
            }
            written.0 = groups.len();
        }
        {
            let lanes = lock(&self.lanes);
            for (lane, name, thread) in lanes.iter().skip(written.1) {
                out.push_str(&format!(
                    "{{\"kind\":\"lane\",\"lane\":{lane},\"name\":\"{}\",\"thread\":\"{}\"}}\n",
                    escape(name),
                    escape(thread)
                ));
            }
            written.1 = lanes.len();
        }
        let taken = self.next.load(Ordering::Relaxed);
        let end = taken.min(CAPACITY);
        let mut first_open = None;
        for (i, slot) in self.slots[..end].iter().enumerate().skip(written.2) {
            match slot.state.load(Ordering::Acquire) {
                DONE => {
                    out.push_str(&format!(
                        "{{\"kind\":\"span\",\"group\":{},\"lane\":{},\"start\":{},\"end\":{}}}\n",
                        slot.group.load(Ordering::Relaxed),
                        slot.lane.load(Ordering::Relaxed),
                        slot.start.load(Ordering::Relaxed),
                        slot.end.load(Ordering::Relaxed)
                    ));
                    slot.state.store(WRITTEN, Ordering::Relaxed);
                }
                WRITTEN => {}
                EMPTY | OPEN => {
                    first_open.get_or_insert(i);
                }
                _ => {}
            }
        }
        written.2 = first_open.unwrap_or(end);
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            out.push_str(&format!("{{\"kind\":\"dropped\",\"count\":{dropped}}}\n"));
        }
        if out.is_empty() {
            return;
        }
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            let _ = file.write_all(out.as_bytes());
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A group of spans (one [`crate::Gauge`], or one name given to [`span`]): the test
/// that made it and its clock. `None` when nothing is recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupId {
    id: u32,
    clock: Clock,
}

/// Registers a gauge's group, on tokio's clock inside a runtime.
pub(crate) fn group(name: &str) -> Option<GroupId> {
    let recorder = recorder()?;
    let clock = if tokio::runtime::Handle::try_current().is_ok() {
        Clock::Tokio
    } else {
        Clock::Real
    };
    Some(GroupId {
        id: recorder.register(name, clock),
        clock,
    })
}

/// One span in flight: ends when dropped.
#[derive(Debug)]
pub(crate) struct Open {
    index: Option<usize>,
    clock: Clock,
}

pub(crate) fn begin(group: Option<GroupId>) -> Option<Open> {
    let group = group?;
    let recorder = recorder()?;
    Some(Open {
        index: recorder.begin(group.id, group.clock),
        clock: group.clock,
    })
}

impl Drop for Open {
    fn drop(&mut self) {
        if let (Some(index), Some(recorder)) = (self.index, recorder()) {
            recorder.end(index, self.clock);
        }
    }
}

/// Writes every finished span to the file (a gauge does it when it is dropped).
pub fn flush() {
    if let Some(recorder) = recorder() {
        recorder.flush();
    }
}

/// A span named by the test itself, from this call to the guard's drop, for work that
/// no [`crate::Gauge`] watches:
///
/// ```
/// let _span = test_support::timeline::span("download");
/// ```
///
/// Costs one check of a flag when nothing is recorded.
pub fn span(name: &'static str) -> SpanGuard {
    let Some(recorder) = recorder() else {
        return SpanGuard { open: None };
    };
    thread_local! {
        static GROUPS: RefCell<HashMap<&'static str, GroupId>> = RefCell::new(HashMap::new());
    }
    let group = GROUPS.with(|groups| {
        *groups
            .borrow_mut()
            .entry(name)
            .or_insert_with(|| group(name).expect("recording is on"))
    });
    recorder.open_named.fetch_add(1, Ordering::Relaxed);
    SpanGuard {
        open: begin(Some(group)),
    }
}

/// Held while a [`span`] is open.
#[must_use = "the span is open only while the guard is alive"]
#[derive(Debug)]
pub struct SpanGuard {
    open: Option<Open>,
}

impl Drop for SpanGuard {
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            drop(open);
            if let Some(recorder) = recorder()
                && recorder.open_named.fetch_sub(1, Ordering::AcqRel) == 1
            {
                recorder.flush();
            }
        }
    }
}

/// Records a span that a test's own log already holds, on tokio's clock, from the
/// start of the test: for a schedule kept by given code (a kitchen's logbook on the
/// paused clock) rather than watched by a [`crate::Gauge`]. `lane` names its row in
/// the picture (a dish, a cook); the spans of one `group` share a colour. Written at
/// once; does nothing when nothing is recorded.
pub fn replay(group: &str, lane: &str, start: std::time::Duration, end: std::time::Duration) {
    let Some(recorder) = recorder() else {
        return;
    };
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_string();
    let (group, lane) = {
        let mut replayed = lock(&recorder.replayed);
        let group = *replayed
            .0
            .entry((test, group.to_string()))
            .or_insert_with(|| recorder.register_at(group, Clock::Tokio, 0));
        let lane = *replayed.1.entry(lane.to_string()).or_insert_with(|| {
            let n = recorder.next_lane.fetch_add(1, Ordering::Relaxed);
            // No thread: the label is the lane's name.
            lock(&recorder.lanes).push((n, lane.to_string(), String::new()));
            n
        });
        (group, lane)
    };
    let Some(index) = recorder.take_slot() else {
        return;
    };
    let slot = &recorder.slots[index];
    slot.group.store(group, Ordering::Relaxed);
    slot.lane.store(lane, Ordering::Relaxed);
    slot.start.store(start.as_nanos() as u64, Ordering::Relaxed);
    slot.end
        .store(end.max(start).as_nanos() as u64, Ordering::Relaxed);
    slot.state.store(DONE, Ordering::Release);
    recorder.flush();
}

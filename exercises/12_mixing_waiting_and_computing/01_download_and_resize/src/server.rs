//! Given code (you do not need to change it): a tiny HTTP/1.1 file server on
//! `127.0.0.1`, started by the tests, standard library only.
//!
//! It serves the files it was given at `/<name>`, each after a fixed delay (the
//! network being slow), answers `404 Not Found` for any other name, and can cut a
//! chosen file short (it promises the whole length, sends part of it and closes), and
//! can hold back the answer of one slow file until every other file was answered.
//! Every connection gets a thread of its own, so the server never makes requests
//! wait for each other.
//!
//! It also counts, without a clock, what the tests check: the most requests in
//! progress at once, and how many answers were sent while a
//! [`thumbnail`](crate::image::thumbnail) was running somewhere in the process.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Builds a [`Server`].
#[derive(Clone, Debug, Default)]
pub struct ServerBuilder {
    files: HashMap<String, Vec<u8>>,
    cut: HashMap<String, usize>,
    slow: Option<String>,
    delay: Duration,
}

impl ServerBuilder {
    /// Serves `bytes` at `/<name>`.
    pub fn file(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.files.insert(name.to_string(), bytes);
        self
    }

    /// Serves `bytes` at `/<name>`, but sends only the first `keep` bytes of the body
    /// (after a `Content-Length` of all of them) and closes: a truncated download.
    pub fn cut_short(mut self, name: &str, bytes: Vec<u8>, keep: usize) -> Self {
        self.cut.insert(name.to_string(), keep);
        self.file(name, bytes)
    }

    /// Serves `bytes` at `/<name>`, but holds its answer back until every other file
    /// of the server has been answered (or for 5 seconds at most): one slow download
    /// among quick ones. [`Server::answered_before_slow`] then says how many others
    /// were answered meanwhile.
    pub fn slow_file(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.slow = Some(name.to_string());
        self.file(name, bytes)
    }

    /// How long the server waits before it answers each request (default: none).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Binds `127.0.0.1:0` and serves on threads of its own until the [`Server`] is
    /// dropped.
    pub fn start(self) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("cannot bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let config = Arc::new(self);
        {
            let (stats, stop) = (Arc::clone(&stats), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("http-server".into())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        let (stats, config) = (Arc::clone(&stats), Arc::clone(&config));
                        let _ = std::thread::Builder::new()
                            .name("http-conn".into())
                            .spawn(move || handle(stream, &config, &stats));
                    }
                })
                .expect("cannot start the server thread");
        }
        Server { addr, stats, stop }
    }
}

#[derive(Debug, Default)]
struct Stats {
    now: AtomicUsize,
    most: AtomicUsize,
    requests: AtomicUsize,
    answered_during_thumbnail: AtomicUsize,
    /// Answers of files other than the slow one.
    answered_others: AtomicUsize,
    /// `answered_others` when the slow file was answered, plus one (0: not yet).
    answered_before_slow: AtomicUsize,
    /// Each request for a file: its name, when it was taken and when answered.
    spans: Mutex<Vec<(String, Instant, Instant)>>,
}

/// A running server; stops when dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The most requests that were in progress at the same time (from the moment a
    /// connection is taken to the moment its answer is sent).
    pub fn most_at_once(&self) -> usize {
        self.stats.most.load(Ordering::SeqCst)
    }

    /// How many requests arrived in all.
    pub fn requests(&self) -> usize {
        self.stats.requests.load(Ordering::SeqCst)
    }

    /// How many answers were sent while at least one `thumbnail` was running in this
    /// process: downloads that made progress during the computing.
    pub fn answered_during_thumbnail(&self) -> usize {
        self.stats.answered_during_thumbnail.load(Ordering::SeqCst)
    }

    /// Each request for a file so far: its name, when the server took it and when
    /// it answered (for the grader's timeline pictures).
    pub fn download_spans(&self) -> Vec<(String, Instant, Instant)> {
        self.stats
            .spans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many other files had been answered when the slow file
    /// ([`ServerBuilder::slow_file`]) was answered; `None` if it was not.
    pub fn answered_before_slow(&self) -> Option<usize> {
        self.stats
            .answered_before_slow
            .load(Ordering::SeqCst)
            .checked_sub(1)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn handle(mut stream: TcpStream, config: &ServerBuilder, stats: &Stats) {
    let taken = Instant::now();
    let now = stats.now.fetch_add(1, Ordering::SeqCst) + 1;
    stats.most.fetch_max(now, Ordering::SeqCst);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let name = line
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("GET /"))
        .and_then(|l| l.split(' ').next())
        .map(str::to_string);
    if name.is_some() {
        stats.requests.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(config.delay);
    }
    if name.is_some() && name == config.slow {
        // Held back until every other file was answered, 5 seconds at most.
        let others = config.files.len() - 1;
        let start = std::time::Instant::now();
        while stats.answered_others.load(Ordering::SeqCst) < others
            && start.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        let before = stats.answered_others.load(Ordering::SeqCst);
        stats
            .answered_before_slow
            .store(before + 1, Ordering::SeqCst);
    } else if name.is_some() {
        stats.answered_others.fetch_add(1, Ordering::SeqCst);
    }
    if crate::image::probe::thumbnails_running() > 0 {
        stats
            .answered_during_thumbnail
            .fetch_add(1, Ordering::SeqCst);
    }
    if let Some(name) = &name {
        let span = (name.clone(), taken, Instant::now());
        stats
            .spans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(span);
    }
    // Out of the count *before* the client can see the answer end: a client that
    // starts its next request as soon as this one ends must not be counted twice.
    stats.now.fetch_sub(1, Ordering::SeqCst);
    let response = match name.as_deref().map(|n| (n, config.files.get(n))) {
        Some((name, Some(body))) => {
            let keep = config
                .cut
                .get(name)
                .copied()
                .unwrap_or(body.len())
                .min(body.len());
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/x-portable-graymap\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            out.extend_from_slice(&body[..keep]);
            out
        }
        Some((_, None)) => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
        None => {
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    let _ = stream.write_all(&response);
    let _ = stream.shutdown(Shutdown::Write);
}

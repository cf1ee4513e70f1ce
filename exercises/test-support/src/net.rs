//! A slow TCP server on loopback, for the tests of chapter 3 (threads for waiting).
//!
//! Started inside a test on `127.0.0.1` port 0 (the OS picks a free port), it
//! answers each request after a fixed delay, so a client that fetches one resource
//! after another waits `n` delays while one that overlaps its requests waits about
//! one. A [`Gauge`] counts the requests in progress at the server at once: a
//! structural fact that does not depend on the clock.
//!
//! The protocol is one line each way:
//!
//! ```text
//! client: GET <name>\n
//! server: OK contents of <name>\n        (after the delay, then it closes)
//! server: ERR <reason>\n                 (a malformed request)
//! ```
//!
//! A server can be told to close some connections without answering
//! ([`SlowServerBuilder::close_early_on`]), and [`refused_addr`] gives an address
//! where nobody listens, so that clients can be tested on both failures.

use crate::probe::Gauge;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a handler waits for the request line before it gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a [`SlowServer`].
#[derive(Clone, Debug)]
pub struct SlowServerBuilder {
    delay: Duration,
    close_early: Vec<String>,
}

impl SlowServerBuilder {
    /// How long the server waits before it answers each request (default 100 ms).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// For a request of `name`, the server waits its delay and then closes the
    /// connection without answering, as a crashing server would.
    pub fn close_early_on(mut self, name: &str) -> Self {
        self.close_early.push(name.to_string());
        self
    }

    /// Binds `127.0.0.1:0` and starts answering on a thread of its own; every
    /// connection gets a thread too, so the server itself never makes requests wait
    /// for each other. Stops when the [`SlowServer`] is dropped.
    pub fn start(self) -> SlowServer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("cannot bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let gauge = Gauge::new();
        let stop = Arc::new(AtomicBool::new(false));
        let config = Arc::new(self);
        let acceptor = {
            let (gauge, stop) = (gauge.clone(), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("slow-server".to_string())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        // Counted from the moment the connection is accepted.
                        let in_progress = gauge.enter();
                        let config = Arc::clone(&config);
                        let _ = std::thread::Builder::new()
                            .name("slow-server-conn".to_string())
                            .spawn(move || handle(stream, &config, in_progress));
                    }
                })
                .expect("cannot start the server thread")
        };
        SlowServer {
            addr,
            gauge,
            stop,
            acceptor: Some(acceptor),
        }
    }
}

/// Serves one connection. The request leaves the gauge *before* the server sends
/// anything, so a client that waits for each answer before the next request is never
/// seen with two requests in progress.
fn handle(stream: TcpStream, config: &SlowServerBuilder, in_progress: crate::probe::GaugeGuard) {
    let _ = stream.set_read_timeout(Some(REQUEST_TIMEOUT));
    let mut line = String::new();
    let read = BufReader::new(&stream).read_line(&mut line);
    let request = line.trim_end_matches(['\r', '\n']);
    let name = match (read, request.strip_prefix("GET ")) {
        (Ok(n), Some(name)) if n > 0 && !name.is_empty() => name.to_string(),
        _ => {
            drop(in_progress);
            let _ = (&stream).write_all(b"ERR bad request: expected `GET <name>`\n");
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    };
    std::thread::sleep(config.delay);
    drop(in_progress);
    if !config.close_early.contains(&name) {
        let _ = (&stream).write_all(format!("OK contents of {name}\n").as_bytes());
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// A slow server on `127.0.0.1`, stopped when dropped.
#[derive(Debug)]
pub struct SlowServer {
    addr: SocketAddr,
    gauge: Gauge,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl SlowServer {
    /// A server that answers every request after `delay`.
    pub fn start(delay: Duration) -> SlowServer {
        Self::builder().delay(delay).start()
    }

    pub fn builder() -> SlowServerBuilder {
        SlowServerBuilder {
            delay: Duration::from_millis(100),
            close_early: Vec::new(),
        }
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The requests in progress at the server: `most_at_once()` is the most
    /// connections it served at the same time, `total()` every connection so far.
    pub fn gauge(&self) -> &Gauge {
        &self.gauge
    }
}

impl Drop for SlowServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor up with one last connection, so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// An address on `127.0.0.1` where nobody listens: connecting is refused. (The port
/// was free a moment ago; the OS does not hand it out again right away.)
pub fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("cannot bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(addr: SocketAddr, request: &str) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn answers_closes_early_and_refuses() {
        let server = SlowServer::builder()
            .delay(Duration::from_millis(10))
            .close_early_on("broken")
            .start();
        assert_eq!(get(server.addr(), "GET menu\n"), "OK contents of menu\n");
        assert_eq!(get(server.addr(), "GET broken\n"), "");
        assert!(get(server.addr(), "HELLO\n").starts_with("ERR bad request"));
        assert_eq!(server.gauge().total(), 3);
        assert_eq!(server.gauge().most_at_once(), 1);
        let refused = TcpStream::connect(refused_addr()).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn overlapping_requests_are_counted_at_once() {
        let server = SlowServer::start(Duration::from_millis(50));
        let addr = server.addr();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(move || get(addr, "GET x\n"));
            }
        });
        assert_eq!(server.gauge().most_at_once(), 4);
    }
}

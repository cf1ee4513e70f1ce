//! Given code: a small async key-value server on loopback. You do not need to edit
//! this file.
//!
//! Protocol, one request per connection: the client sends a key and a newline; the
//! server waits `delay` (a slow database, say), answers the key in capital letters
//! and a newline, and closes the connection. An empty key gets `ERR empty key`. The
//! key `silent` never gets an answer: the server holds the connection open until the
//! client closes it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug, Default)]
struct Counts {
    open: AtomicUsize,
    most: AtomicUsize,
    served: AtomicUsize,
}

/// A running server. It runs as tasks on the runtime that started it, and stops when
/// dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    counts: Arc<Counts>,
    accept: JoinHandle<()>,
}

impl Server {
    /// Starts a server on `127.0.0.1` on a free port, answering after `delay`.
    pub async fn start(delay: Duration) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let counts = Arc::new(Counts::default());
        let accept = tokio::spawn({
            let counts = Arc::clone(&counts);
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    // Counted from the moment the connection is accepted until just
                    // before the answer is written (or the client goes away).
                    let now = counts.open.fetch_add(1, Ordering::SeqCst) + 1;
                    counts.most.fetch_max(now, Ordering::SeqCst);
                    let counts = Arc::clone(&counts);
                    tokio::spawn(async move {
                        let _ = answer(stream, delay, &counts).await;
                    });
                }
            }
        });
        Ok(Server {
            addr,
            counts,
            accept,
        })
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The most requests in progress at the same time (connections accepted and not
    /// yet answered).
    pub fn most_at_once(&self) -> usize {
        self.counts.most.load(Ordering::SeqCst)
    }

    /// Requests in progress right now.
    pub fn open_now(&self) -> usize {
        self.counts.open.load(Ordering::SeqCst)
    }

    /// How many answers were sent.
    pub fn served(&self) -> usize {
        self.counts.served.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Leaves the count of open requests when dropped, however the request ends.
struct Open<'a>(&'a Counts, bool);

impl Open<'_> {
    fn close(&mut self) {
        if !self.1 {
            self.1 = true;
            self.0.open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.close();
    }
}

async fn answer(stream: TcpStream, delay: Duration, counts: &Counts) -> io::Result<()> {
    let mut open = Open(counts, false);
    let mut stream = BufReader::new(stream);
    let mut key = String::new();
    stream.read_line(&mut key).await?;
    let key = key.trim_end_matches(['\r', '\n']);
    if key == "silent" {
        // Never answer; wait until the client closes its end.
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
        return Ok(());
    }
    tokio::time::sleep(delay).await;
    let reply = if key.is_empty() {
        "ERR empty key\n".to_string()
    } else {
        format!("{}\n", key.to_uppercase())
    };
    open.close();
    counts.served.fetch_add(1, Ordering::SeqCst);
    let mut stream = stream.into_inner();
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}
